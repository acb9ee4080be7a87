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

int main(void) {
  Suite *s = suite_create("writer");
  TCase *tc = tcase_create("writer");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, writes_what_state_json_renders);
  tcase_add_test(tc, contents_are_written_from_the_mapping);
  tcase_add_test(tc, pipe_and_states_bigger_than_the_buffer);
  tcase_add_test(tc, write_errors_and_bad_arguments);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
