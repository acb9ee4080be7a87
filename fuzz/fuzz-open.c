/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the whole path ti_open_memory -> ti_next ->
 * accessors/ti_state_json, and a ti_writer on a memory file whose bytes
 * must be those of ti_state_json and a newline per state. Without FUZZ_FORMAT the format is detected
 * (auto-detect path); with -DFUZZ_FORMAT="name" it is forced through
 * opts.format, so every input reaches that plugin.
 * The first input byte selects options (strict mode, small limits) so both
 * the skipping and the strict paths are covered. ti_writer_put_all must
 * write the same bytes; with bit 32, the input is also written twice into a
 * directory, walked with one and with two threads (readers writing their
 * own states in turn): the same bytes, status, count and errors. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <traceingest/traceingest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz-open: invariant broken: %s\n", what);
    abort();
  }
}

static void on_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                     uint64_t offset) {
  (void)offset;
  check(code < 0, "reported error code not negative");
  check(msg != NULL && file != NULL, "error message/file");
  (void)strlen(msg);
  ++*(unsigned long *)user;
  (void)line;
}

static void touch_message(const ti_message *m) {
  size_t len;
  check(m != NULL, "NULL message");
  const char *role = ti_message_role(m);
  check(role != NULL, "role");
  (void)ti_message_content(m, &len);
  (void)ti_message_content_json(m, &len);
  size_t n = ti_message_tool_call_count(m);
  for (size_t i = 0; i < n; i++) {
    const char *id, *name, *args;
    check(ti_message_tool_call(m, i, &id, &name, &args) == TI_OK, "tool call");
  }
  check(ti_message_tool_call(m, n, NULL, NULL, NULL) == TI_ERR_INVALID, "tool call range");
  (void)ti_message_tool_call_id(m);
  (void)ti_message_name(m);
  (void)ti_message_reasoning(m, &len);
  check(ti_message_json(m, &len) != NULL, "message json");
}

/* The bytes fd holds (malloc'd, the caller frees them); *len their count. */
static char *slurp_fd(int fd, size_t *len) {
  off_t n = lseek(fd, 0, SEEK_END);
  check(n >= 0, "lseek");
  *len = (size_t)n;
  char *b = malloc(*len + 1);
  check(b != NULL, "malloc");
  check(pread(fd, b, *len, 0) == (ssize_t)*len, "read back");
  return b;
}

/* it's states through ti_writer_put_all into a fresh memory file: its
 * bytes (*len), the status (*rc) and the count (*n). */
static char *put_all(ti_iter *it, uint32_t wflags, int *rc, uint64_t *n, size_t *len) {
  int fd = memfd_create("fuzz-put-all", 0);
  check(fd >= 0, "memfd");
  ti_writer *w;
  check(ti_writer_new(&w, fd, wflags) == TI_OK, "writer new");
  *rc = ti_writer_put_all(w, it, n);
  check(*rc != TI_OK, "put_all status");
  check(ti_writer_flush(w) == TI_OK && ti_writer_errno(w) == 0, "put_all flush");
  ti_writer_free(w);
  const ti_state *s;
  check(ti_next(&s, it) == *rc, "used up after put_all");
  char *b = slurp_fd(fd, len);
  close(fd);
  return b;
}

static char walk_dir[64];

static void walk_dir_remove(void) {
  char p[96];
  for (int i = 0; i < 2; i++) {
    snprintf(p, sizeof p, "%s/t%d.jsonl", walk_dir, i);
    unlink(p);
  }
  rmdir(walk_dir);
}

/* The input twice in a directory, walked with 1 and with 2 threads. */
static void walk_twice(const uint8_t *data, size_t size, ti_open_options o, uint32_t wflags) {
  char *dir = walk_dir, p[96];
  if (!dir[0]) {
    snprintf(dir, sizeof walk_dir, "/tmp/fuzz-open-XXXXXX");
    check(mkdtemp(dir) != NULL, "mkdtemp");
    atexit(walk_dir_remove);
  }
  for (int i = 0; i < 2; i++) {
    snprintf(p, sizeof p, "%s/t%d.jsonl", dir, i);
    FILE *f = fopen(p, "wb");
    check(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "write trace");
  }
  char *out[2];
  size_t len[2];
  int rc[2];
  uint64_t n[2];
  unsigned long errs[2] = {0, 0};
  for (int t = 0; t < 2; t++) {
    o.threads = (uint32_t)t + 1;
    o.on_error_user = &errs[t];
    ti_iter *it = NULL;
    rc[t] = ti_open(&it, dir, &o);
    check(rc[t] == TI_OK, "open dir");
    out[t] = put_all(it, wflags, &rc[t], &n[t], &len[t]);
    ti_free(it);
  }
  check(rc[0] == rc[1], "threads: status");
  check(n[0] == n[1], "threads: states");
  check(errs[0] == errs[1], "threads: errors");
  check(len[0] == len[1] && (!len[0] || memcmp(out[0], out[1], len[0]) == 0), "threads: bytes");
  free(out[0]);
  free(out[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned mode = size ? data[0] : 0;
  if (size) data++, size--;
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  unsigned long errors = 0;
#ifdef FUZZ_FORMAT
  o.format = FUZZ_FORMAT;
#endif
  if (mode & 1) o.flags |= TI_OPEN_STRICT;
  if (mode & 2) o.max_depth = 8;
  if (mode & 4) o.max_record_bytes = 64;
  if (mode & 8) o.probe_bytes = 16;
  o.on_error = on_error;
  o.on_error_user = &errors;
  ti_iter *it = NULL;
  int rc = ti_open_memory(&it, data, size, &o);
  if (rc != TI_OK) {
    check(rc < 0, "open status");
    check(it != NULL || rc == TI_ERR_NOMEM, "open sets *out");
    (void)ti_errmsg(it);
    ti_free(it);
    return 0;
  }
  const ti_state *s;
  ti_state *kept = NULL;
  unsigned long states = 0;
  /* the writer's bytes, checked against what the loop renders */
  uint32_t wflags = (mode & 16) ? TI_JSON_DELTA : 0;
  int wfd = memfd_create("fuzz-writer", 0);
  ti_writer *w = NULL;
  if (wfd >= 0) check(ti_writer_new(&w, wfd, wflags) == TI_OK, "writer new");
  char *want = NULL;
  size_t want_len = 0;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    states++;
    const char *js;
    size_t len;
    if (w) {
      check(ti_writer_put(w, s) == TI_OK, "writer put");
      check(ti_state_json(&js, &len, s, wflags) == TI_OK, "state json (writer flags)");
      char *nw = realloc(want, want_len + len + 1);
      check(nw != NULL, "realloc");
      want = nw;
      memcpy(want + want_len, js, len);
      want[want_len + len] = '\n';
      want_len += len + 1;
    }
    check(ti_state_json(&js, &len, s, 0) == TI_OK, "state json");
    check(strlen(js) == len, "state json length");
    check(ti_state_json(&js, &len, s, TI_JSON_DELTA) == TI_OK, "state json delta");
    { /* the same text into caller memory, around its exact size */
      static char into[1 << 16];
      size_t cap = len + (size % 5) - 2 > sizeof into ? sizeof into : len + (size % 5) - 2, got;
      char *copy = len < sizeof into ? malloc(len + 1) : NULL;
      if (copy) memcpy(copy, js, len);
      int irc = ti_state_json_into(into, cap, &got, s, TI_JSON_DELTA);
      check(got == len, "json_into length");
      check(irc == (len <= cap ? TI_OK : TI_ERR_LIMIT), "json_into status");
      check(irc != TI_OK || !copy || memcmp(into, copy, len) == 0, "json_into text");
      free(copy);
    }
    size_t n = ti_state_message_count(s);
    check(ti_state_messages_offset(s) <= n, "messages_offset");
    for (size_t i = 0; i < n; i++) touch_message(ti_state_message(s, i));
    check(ti_state_message(s, n) == NULL, "message range");
    touch_message(ti_state_action(s));
    check(ti_state_student_action(s, &len) != NULL, "student_action");
    check(ti_state_metadata_json(s, &len) != NULL, "metadata");
    check(ti_state_id(s) != NULL && ti_state_format(s) != NULL, "ids");
    (void)ti_state_trajectory_id(s);
    (void)ti_state_source_model(s);
    (void)ti_state_file(s);
    check(ti_state_first_line(s) <= ti_state_last_line(s) || ti_state_last_line(s) == 0,
          "line range");
    if (!kept) check(ti_state_dup(&kept, s) == TI_OK, "dup");
  }
  check(rc == TI_DONE || rc < 0, "next status");
  if (rc < 0) {
    check(ti_next(&s, it) == rc, "fatal error not sticky");
    uint64_t rec, line, off;
    check(ti_error_position(it, &rec, &line, &off) == ti_errcode(it), "error position");
  } else {
    check(ti_next(&s, it) == TI_DONE, "done not sticky");
  }
  check(ti_stat(it, "states") == states, "states counter");
  if (w) { /* flushed after the iterator's last state: what it wrote */
    check(ti_writer_flush(w) == TI_OK && ti_writer_errno(w) == 0, "writer flush");
    ti_writer_free(w);
    size_t got;
    char *back = slurp_fd(wfd, &got);
    check(got == want_len, "writer length");
    check(!want_len || memcmp(back, want, want_len) == 0, "writer bytes");
    free(back);
  }
  if (wfd >= 0) { /* the library's own loop: the same bytes, status and count */
    close(wfd);
    unsigned long errors2 = 0;
    o.on_error_user = &errors2;
    ti_iter *it2 = NULL;
    check(ti_open_memory(&it2, data, size, &o) == TI_OK, "open again");
    int rc2;
    uint64_t n2;
    size_t len2;
    char *got = put_all(it2, wflags, &rc2, &n2, &len2);
    check(rc2 == rc && n2 == states && errors2 == errors, "put_all status, count, errors");
    check(len2 == want_len && (!want_len || memcmp(got, want, want_len) == 0), "put_all bytes");
    free(got);
    ti_free(it2);
    o.on_error_user = &errors;
    if (mode & 32) walk_twice(data, size, o, wflags);
  }
  free(want);
  const char *st;
  size_t sl;
  check(ti_stats_json(it, &st, &sl) == TI_OK, "stats json");
  ti_free(it);
  if (kept) { /* a detached state outlives its iterator */
    char *j;
    size_t len;
    check(ti_state_dup_json(&j, &len, kept, 0) == TI_OK, "dup json");
    ti_string_free(j);
    ti_state_free(kept);
  }
  return 0;
}
