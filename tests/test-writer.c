/* SPDX-License-Identifier: MIT */
/* ti_writer as a consumer uses it: the bytes it writes are those of
 * ti_state_json and a newline per state, into a file (mapped contents
 * passed by reference), a pipe (copied), with states bigger than its
 * buffer or than its piece list; what it holds outlives the iterator; write
 * errors are sticky and keep their errno. Links the shared library. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "big-session.h"
#include <traceingest/traceingest.h>

static char dir[64];
static char big[128]; /* 300 turns of 7,500-byte contents: 4.5 MB, mapped */

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/ti-writer-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(big, sizeof big, "%s/big.jsonl", dir);
  write_big_session(big, 300, 7500);
}

static void teardown(void) {
  unlink(big);
  rmdir(dir);
}

static ti_iter *open_mapped(const char *path) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.flags = TI_OPEN_MMAP;
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, path, &o), TI_OK);
  return it;
}

/* An output file in dir, opened for writing. */
static int out_file(const char *name) {
  char p[160];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  unlink(p); /* gone with the fd */
  return fd;
}

/* All that fd holds (from offset 0), NUL-terminated; *n its length. */
static char *slurp(int fd, size_t *n) {
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  char *b = malloc((size_t)st.st_size + 1);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq((int)pread(fd, b, (size_t)st.st_size, 0), (int)st.st_size);
  b[st.st_size] = '\0';
  *n = (size_t)st.st_size;
  return b;
}

/* Appends the JSON of s and a newline to *acc (a growing string). */
static void add_json(char **acc, size_t *len, const ti_state *s, uint32_t flags) {
  const char *js;
  size_t n;
  ck_assert_int_eq(ti_state_json(&js, &n, s, flags), TI_OK);
  char *a = realloc(*acc, *len + n + 2);
  ck_assert_ptr_nonnull(a);
  memcpy(a + *len, js, n);
  a[*len + n] = '\n';
  *len += n + 1;
  a[*len] = '\0';
  *acc = a;
}

/* Every state of the mapped session, delta: the writer's bytes are
 * ti_state_json's, written after the iterator is freed (the writer holds
 * the mapping its pieces point into). */
START_TEST(writes_what_state_json_renders) {
  for (int delta = 0; delta < 2; delta++) {
    uint32_t flags = delta ? TI_JSON_DELTA : 0;
    ti_iter *it = open_mapped(big);
    int fd = out_file("out.jsonl");
    ti_writer *w;
    ck_assert_int_eq(ti_writer_new(&w, fd, flags), TI_OK);
    char *want = NULL;
    size_t wlen = 0, n = 0;
    const ti_state *s;
    int rc;
    while ((rc = ti_next(&s, it)) == TI_OK) {
      n++;
      /* without delta, some states only: the 100th to 102nd (~100 pieces
       * each: the piece list fills up during the third) and the last two
       * (~300 each: more than the list holds, written whole) */
      if (!delta && !(n >= 100 && n <= 102) && n < 299) continue;
      add_json(&want, &wlen, s, flags);
      ck_assert_int_eq(ti_writer_put(w, s), TI_OK);
    }
    ck_assert_int_eq(rc, TI_DONE);
    ck_assert_uint_eq(n, 300);
    ti_free(it);
    ck_assert_int_eq(ti_writer_flush(w), TI_OK);
    ck_assert_int_eq(ti_writer_errno(w), 0);
    size_t glen;
    char *got = slurp(fd, &glen);
    ck_assert_uint_eq(glen, wlen);
    ck_assert_int_eq(memcmp(got, want, wlen), 0);
    /* flushing again writes nothing more */
    ck_assert_int_eq(ti_writer_flush(w), TI_OK);
    ck_assert_int_eq((int)lseek(fd, 0, SEEK_END), (int)wlen);
    ti_writer_free(w);
    close(fd);
    free(got);
    free(want);
  }
}
END_TEST

/* The contents are written from the mapping itself: cut short before the
 * flush, the file gives EFAULT (and the error stays). */
START_TEST(contents_are_written_from_the_mapping) {
  ti_iter *it = open_mapped(big);
  int fd = out_file("cut.jsonl");
  ti_writer *w;
  ck_assert_int_eq(ti_writer_new(&w, fd, TI_JSON_DELTA), TI_OK);
  const ti_state *s;
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(ti_next(&s, it), TI_OK);
    ck_assert_int_eq(ti_writer_put(w, s), TI_OK);
  }
  ti_free(it);
  ck_assert_int_eq(truncate(big, 0), 0);
  ck_assert_int_eq(ti_writer_flush(w), TI_ERR_IO);
  ck_assert_int_eq(ti_writer_errno(w), EFAULT);
  ck_assert_int_eq(ti_writer_flush(w), TI_ERR_IO);
  ti_writer_free(w);
  close(fd);
}
END_TEST

/* Into a pipe the same bytes (copied, not passed by reference); a state
 * bigger than the writer's buffer (read into memory: nothing to pass by
 * reference) is written whole. */
START_TEST(pipe_and_states_bigger_than_the_buffer) {
  char small[160];
  snprintf(small, sizeof small, "%s/small.jsonl", dir);
  write_big_session(small, 3, 2000);
  ti_iter *it = open_mapped(small);
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  ti_writer *w;
  ck_assert_int_eq(ti_writer_new(&w, fds[1], TI_JSON_DELTA), TI_OK);
  char *want = NULL;
  size_t wlen = 0;
  const ti_state *s;
  while (ti_next(&s, it) == TI_OK) {
    add_json(&want, &wlen, s, TI_JSON_DELTA);
    ck_assert_int_eq(ti_writer_put(w, s), TI_OK);
  }
  ti_free(it);
  ck_assert_int_eq(ti_writer_flush(w), TI_OK);
  ti_writer_free(w);
  close(fds[1]);
  char got[65536];
  size_t glen = 0;
  ssize_t r;
  while ((r = read(fds[0], got + glen, sizeof got - glen)) > 0) glen += (size_t)r;
  close(fds[0]);
  ck_assert_uint_eq(glen, wlen);
  ck_assert_int_eq(memcmp(got, want, wlen), 0);
  free(want);
  unlink(small);

  /* 600 KB contents, memory input */
  size_t pad = 600000;
  char *x = malloc(pad + 1);
  ck_assert_ptr_nonnull(x);
  memset(x, 'z', pad);
  x[pad] = '\0';
  size_t cap = pad * 2 + 1024, len;
  char *in = malloc(cap);
  ck_assert_ptr_nonnull(in);
  len = (size_t)snprintf(
      in, cap,
      "{\"type\":\"user\",\"parentUuid\":null,\"uuid\":\"u1\",\"sessionId\":\"m\",\"message\":"
      "{\"role\":\"user\",\"content\":\"%s\"}}\n"
      "{\"type\":\"assistant\",\"parentUuid\":\"u1\",\"uuid\":\"a1\",\"sessionId\":\"m\","
      "\"message\":{\"model\":\"claude-x\",\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":"
      "[{\"type\":\"text\",\"text\":\"ok\"}]}}\n"
      "{\"type\":\"user\",\"parentUuid\":\"a1\",\"uuid\":\"u2\",\"sessionId\":\"m\",\"message\":"
      "{\"role\":\"user\",\"content\":\"again\"}}\n"
      "{\"type\":\"assistant\",\"parentUuid\":\"u2\",\"uuid\":\"a2\",\"sessionId\":\"m\","
      "\"message\":{\"model\":\"claude-x\",\"id\":\"msg_2\",\"role\":\"assistant\",\"content\":"
      "[{\"type\":\"text\",\"text\":\"%s\"}]}}\n",
      x, x);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ck_assert_int_eq(ti_open_memory(&it, in, len, &o), TI_OK);
  int fd = out_file("whole.jsonl");
  ck_assert_int_eq(ti_writer_new(&w, fd, 0), TI_OK);
  want = NULL;
  wlen = 0;
  int n = 0;
  while (ti_next(&s, it) == TI_OK) {
    add_json(&want, &wlen, s, 0);
    ck_assert_int_eq(ti_writer_put(w, s), TI_OK);
    n++;
  }
  ck_assert_int_eq(n, 2);
  ck_assert_uint_gt(wlen, 1200000);
  ti_free(it);
  ck_assert_int_eq(ti_writer_flush(w), TI_OK);
  size_t flen;
  char *file = slurp(fd, &flen);
  ck_assert_uint_eq(flen, wlen);
  ck_assert_int_eq(memcmp(file, want, wlen), 0);
  ti_writer_free(w);
  close(fd);
  free(file);
  free(want);
  free(in);
  free(x);
}
END_TEST

/* A descriptor not open for writing: the first flush fails with its errno,
 * and so does everything after it; bad arguments. */
START_TEST(write_errors_and_bad_arguments) {
  ti_iter *it = open_mapped(big);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  int fd = open(big, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ti_writer *w;
  ck_assert_int_eq(ti_writer_new(&w, fd, 0), TI_OK);
  ck_assert_int_eq(ti_writer_put(w, s), TI_OK); /* buffered */
  ck_assert_int_eq(ti_writer_flush(w), TI_ERR_IO);
  ck_assert_int_eq(ti_writer_errno(w), EBADF);
  ck_assert_int_eq(ti_writer_put(w, s), TI_ERR_IO);
  ck_assert_int_eq(ti_writer_flush(w), TI_ERR_IO);
  ck_assert_int_eq(ti_writer_put(w, NULL), TI_ERR_INVALID);
  ti_writer_free(w);
  close(fd);

  w = (ti_writer *)&fd;
  ck_assert_int_eq(ti_writer_new(&w, -1, 0), TI_ERR_INVALID);
  ck_assert_ptr_null(w);
  ck_assert_int_eq(ti_writer_new(&w, 1, 0x80u), TI_ERR_INVALID);
  ck_assert_ptr_null(w);
  ck_assert_int_eq(ti_writer_new(NULL, 1, 0), TI_ERR_INVALID);
  ck_assert_int_eq(ti_writer_put(NULL, s), TI_ERR_INVALID);
  ck_assert_int_eq(ti_writer_flush(NULL), TI_ERR_INVALID);
  ck_assert_int_eq(ti_writer_errno(NULL), 0);
  ti_writer_free(NULL);
  ti_free(it);
}
END_TEST

/* ---- ti_writer_put_all -------------------------------------------------------- */

/* Every error as "file:line: message", in the order reported. */
static void log_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                      uint64_t off) {
  (void)code, (void)off;
  char **acc = user;
  size_t had = *acc ? strlen(*acc) : 0, add = strlen(msg) + strlen(file) + 32;
  char *a = realloc(*acc, had + add);
  ck_assert_ptr_nonnull(a);
  snprintf(a + had, add, "%s:%llu: %s\n", file, (unsigned long long)line, msg);
  *acc = a;
}

/* A directory of sessions of very different sizes, so that with threads a
 * reader finishes traces while another's is still being written: long
 * traces (more than a writer's buffer of output), states longer than the
 * buffer, a mapped session (contents by reference), small ones, and one
 * with bad lines (errors). Returns how many traces. */
static int make_walk(const char *root) {
  char p[256];
  snprintf(p, sizeof p, "%s/w", root);
  ck_assert_int_eq(mkdir(p, 0700), 0);
  int n = 0;
  for (int i = 0; i < 26; i++, n++) {
    snprintf(p, sizeof p, "%s/w/s%02d.jsonl", root, i);
    if (i == 5) write_big_session(p, 4, 600000); /* 4.8 MB: mapped */
    else if (i % 12 == 0) write_session(p, 40, 4000, i == 12);
    else if (i % 6 == 1) write_session(p, 2, 300000, 0);
    else write_session(p, 1 + i % 4, 100, 0);
    if (i == 9 || i == 20) { /* a bad line inside */
      FILE *f = fopen(p, "ab");
      ck_assert_ptr_nonnull(f);
      fputs("{\"type\":\"user\",\"uuid\":\n", f);
      fputs("{\"type\":\"user\",\"parentUuid\":\"a1\",\"uuid\":\"ux\",\"sessionId\":\"big\","
            "\"message\":{\"role\":\"user\",\"content\":\"late\"}}\n", f);
      fputs("{\"type\":\"assistant\",\"parentUuid\":\"ux\",\"uuid\":\"ax\",\"sessionId\":\"big\","
            "\"message\":{\"model\":\"m\",\"id\":\"msg_x\",\"role\":\"assistant\",\"content\":"
            "[{\"type\":\"text\",\"text\":\"after\"}]}}\n", f);
      ck_assert_int_eq(fclose(f), 0);
    }
  }
  return n;
}

static void remove_walk(const char *root) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s/w", root);
  ck_assert_int_eq(system(cmd), 0);
}

typedef struct run {
  char *out, *errors, *stats;
  size_t len;
  uint64_t n;
  int rc;
} run;

static void run_free(run *r) {
  free(r->out);
  free(r->errors);
  free(r->stats);
}

/* The walk of root/w with `threads` and `oflags`, written with `flags`: by
 * ti_next and ti_writer_put (put_all 0) or by ti_writer_put_all. */
static run walk(const char *root, uint32_t threads, uint32_t oflags, uint32_t flags, int put_all) {
  char p[256];
  snprintf(p, sizeof p, "%s/w", root);
  run r = {0};
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.flags = oflags;
  o.threads = threads;
  o.on_error = log_error;
  o.on_error_user = &r.errors;
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, p, &o), TI_OK);
  int fd = out_file("walk.jsonl");
  ti_writer *w;
  ck_assert_int_eq(ti_writer_new(&w, fd, flags), TI_OK);
  const ti_state *s;
  if (put_all) {
    r.n = 12345;
    r.rc = ti_writer_put_all(w, it, &r.n);
    ck_assert_int_eq(ti_next(&s, it), r.rc); /* used up */
  } else {
    while ((r.rc = ti_next(&s, it)) == TI_OK) {
      ck_assert_int_eq(ti_writer_put(w, s), TI_OK);
      r.n++;
    }
  }
  ck_assert_int_eq(ti_writer_flush(w), TI_OK);
  ti_writer_free(w);
  const char *st;
  ck_assert_int_eq(ti_stats_json(it, &st, NULL), TI_OK);
  r.stats = strdup(st);
  ti_free(it);
  r.out = slurp(fd, &r.len);
  close(fd);
  return r;
}

/* ti_writer_put_all writes what ti_next and ti_writer_put would, in the
 * same order, with the same errors and counters: one thread, and readers
 * writing their own traces' states in turn (2 and 3 threads), whole and
 * delta, also in strict mode (nothing after the failing trace). */
START_TEST(put_all_writes_what_next_and_put_do) {
  int traces = make_walk(dir);
  for (int strict = 0; strict < 2; strict++) {
    for (int delta = 1; delta >= strict; delta--) { /* whole states: not strict */
      uint32_t flags = delta ? TI_JSON_DELTA : 0;
      uint32_t of = TI_OPEN_MMAP | (strict ? TI_OPEN_STRICT : 0);
      run want = walk(dir, 1, of, flags, 0);
      ck_assert_ptr_nonnull(want.errors);
      if (strict) {
        ck_assert_int_lt(want.rc, 0);
      } else {
        ck_assert_int_eq(want.rc, TI_DONE);
        ck_assert_uint_gt(want.n, 100);
        ck_assert_uint_gt(want.len, (size_t)4 << 20);
      }
      for (uint32_t threads = delta ? 1 : 2; threads <= (delta ? 3u : 2u); threads++) {
        run got = walk(dir, threads, of, flags, 1);
        ck_assert_int_eq(got.rc, want.rc);
        ck_assert_uint_eq(got.n, want.n); /* states written */
        ck_assert_uint_eq(got.len, want.len);
        ck_assert_int_eq(memcmp(got.out, want.out, want.len), 0);
        ck_assert_str_eq(got.errors, want.errors);
        ck_assert_str_eq(got.stats, want.stats);
        run_free(&got);
      }
      run_free(&want);
    }
  }
  ck_assert_int_eq(traces, 26);
  remove_walk(dir);
}
END_TEST

/* What the writer held before goes first; an iterator already read by
 * ti_next goes on from there; a write error stops the walk and stays;
 * bad arguments. */
START_TEST(put_all_around_other_calls) {
  make_walk(dir);
  run want = walk(dir, 1, 0, TI_JSON_DELTA, 0);
  char p[256];
  snprintf(p, sizeof p, "%s/w", dir);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.threads = 2;
  for (int k = 0; k < 3; k++) {
    ti_iter *it;
    ck_assert_int_eq(ti_open(&it, p, &o), TI_OK);
    int fd = out_file("around.jsonl");
    ti_writer *w;
    ck_assert_int_eq(ti_writer_new(&w, fd, TI_JSON_DELTA), TI_OK);
    const ti_state *s;
    size_t first = k == 0 ? 0 : k == 1 ? 1 : 40; /* states by ti_next first */
    for (size_t i = 0; i < first; i++) {
      ck_assert_int_eq(ti_next(&s, it), TI_OK);
      ck_assert_int_eq(ti_writer_put(w, s), TI_OK); /* held in the buffer */
    }
    uint64_t n;
    ck_assert_int_eq(ti_writer_put_all(w, it, &n), TI_DONE);
    ck_assert_uint_eq(n + first, want.n);
    ck_assert_int_eq(ti_writer_put_all(w, it, &n), TI_DONE); /* nothing left */
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(ti_writer_flush(w), TI_OK);
    size_t len;
    char *got = slurp(fd, &len);
    ck_assert_uint_eq(len, want.len);
    ck_assert_int_eq(memcmp(got, want.out, len), 0);
    free(got);
    ti_writer_free(w);
    close(fd);
    ti_free(it);
  }

  /* not open for writing: TI_ERR_IO with its errno, for the iterator too */
  for (uint32_t threads = 1; threads <= 2; threads++) {
    o.threads = threads;
    ti_iter *it;
    ck_assert_int_eq(ti_open(&it, p, &o), TI_OK);
    snprintf(p, sizeof p, "%s/w/s03.jsonl", dir);
    int fd = open(p, O_RDONLY);
    snprintf(p, sizeof p, "%s/w", dir);
    ck_assert_int_ge(fd, 0);
    ti_writer *w;
    ck_assert_int_eq(ti_writer_new(&w, fd, 0), TI_OK);
    uint64_t n;
    ck_assert_int_eq(ti_writer_put_all(w, it, &n), TI_ERR_IO);
    ck_assert_int_eq(ti_writer_errno(w), EBADF);
    const ti_state *s;
    ck_assert_int_eq(ti_next(&s, it), TI_ERR_IO);
    ck_assert_int_eq(ti_writer_put_all(w, it, NULL), TI_ERR_IO);
    ti_writer_free(w);
    close(fd);
    ti_free(it);
  }

  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, p, &o), TI_OK);
  ti_writer *w;
  ck_assert_int_eq(ti_writer_new(&w, 1, 0), TI_OK);
  uint64_t n = 7;
  ck_assert_int_eq(ti_writer_put_all(NULL, it, &n), TI_ERR_INVALID);
  ck_assert_uint_eq(n, 0);
  ck_assert_int_eq(ti_writer_put_all(w, NULL, &n), TI_ERR_MISUSE);
  ck_assert_int_eq(ti_writer_put_all(w, (ti_iter *)&n, NULL), TI_ERR_MISUSE);
  ti_writer_free(w);
  ti_free(it); /* never started */
  run_free(&want);
  remove_walk(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("writer");
  TCase *tc = tcase_create("writer");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, writes_what_state_json_renders);
  tcase_add_test(tc, contents_are_written_from_the_mapping);
  tcase_add_test(tc, pipe_and_states_bigger_than_the_buffer);
  tcase_add_test(tc, write_errors_and_bad_arguments);
  tcase_add_test(tc, put_all_writes_what_next_and_put_do);
  tcase_add_test(tc, put_all_around_other_calls);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
