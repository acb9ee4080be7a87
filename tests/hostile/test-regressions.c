/* SPDX-License-Identifier: MIT */
/* Reproducers of bugs found by the fuzzers and the hostile suite in code
 * this suite does not own (core, JSON core, plugins). One case per run:
 *   test-regressions CASE
 * Each case passes once the bug is fixed. Cases whose fix has not landed
 * are registered with should_fail in meson.build (marked KNOWN BUG there,
 * reported in /tmp/core-requests/hardening.md at the time). A hang fails
 * through alarm() instead of blocking the suite. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "FAIL: hang (alarm fired)\n";
  if (write(2, msg, sizeof msg - 1) < 0) _exit(1);
  _exit(1);
}

#define CHECK(c)                                                         \
  do {                                                                   \
    if (!(c)) {                                                          \
      fprintf(stderr, "FAIL: %s:%d: %s\n", __FILE__, __LINE__, #c);      \
      return 1;                                                          \
    }                                                                    \
  } while (0)

/* fuzz-probe: the swe-smith probe looped forever on a mismatched closer
 * inside the first array element list (lib/formats/swe_smith/detect.c,
 * first_elem/skip). */
static int swe_smith_probe_mismatched_closer(void) {
  static const char *inputs[] = {"{\"messages\":[}", "{\"messages\":[1}", "{\"history\":[}",
                                 "{\"trajectory\":[{}}", "{\"attempts\":[\"a\"}"};
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    const char *names[8];
    int scores[8];
    size_t n;
    alarm(5);
    CHECK(ti_probe_scores(NULL, NULL, inputs[i], strlen(inputs[i]), names, scores, 8, &n) == TI_OK);
    h_result r;
    h_run_mem(&r, inputs[i], strlen(inputs[i]), NULL);
    alarm(0);
    CHECK(r.open_rc == TI_OK || r.open_rc == TI_ERR_FORMAT_UNKNOWN);
    h_result_free(&r);
  }
  return 0;
}

#define U1 "{\"parentUuid\":null,\"sessionId\":\"s-1\",\"type\":\"user\",\"uuid\":\"u1\"," \
           "\"message\":{\"role\":\"user\",\"content\":\"Write a poem.\"}}"
#define A1 "{\"parentUuid\":\"u1\",\"sessionId\":\"s-1\",\"type\":\"assistant\",\"uuid\":\"a1\"," \
           "\"message\":{\"model\":\"m\",\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":" \
           "[{\"type\":\"text\",\"text\":\"Roses are red.\"}]}}"

/* hostile suite: claude-code reads its file with ti_input_whole, which
 * applies max_record_bytes to the WHOLE input: a JSONL file larger than the
 * limit fails fatally (TI_ERR_LIMIT, line 1) although every line is small,
 * and a single over-long line is not reported on its own. */
static int claude_code_record_limit_is_per_line(void) {
  char *dir = h_tmpdir();
  CHECK(dir != NULL);
  char path[4096];
  snprintf(path, sizeof path, "%s/many.jsonl", dir);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  fputs(U1 "\n" A1 "\n", f);
  /* 2 MiB of small, unrelated records */
  for (int i = 0; i < 12000; i++)
    fprintf(f, "{\"type\":\"progress\",\"uuid\":\"p%d\",\"data\":\"%0150d\"}\n", i, i);
  long small_end = ftell(f);
  /* then one 2 MiB line */
  fputs("{\"type\":\"user\",\"uuid\":\"big\",\"message\":{\"role\":\"user\",\"content\":\"", f);
  for (int i = 0; i < 2 << 20; i++) fputc('x', f);
  fputs("\"}}\n", f);
  CHECK(fclose(f) == 0);

  h_opts o = {"claude-code", 0, 1 << 20, 0, NULL};
  h_result r;
  h_run_path(&r, path, &o);
  h_dump("claude-code, 1 MiB record limit, 4 MiB file", &r);
  CHECK(r.open_rc == TI_OK);
  CHECK(r.end_rc == TI_DONE);
  CHECK(r.states == 1);
  CHECK(r.nerr == 1);
  CHECK(r.err[0].code == TI_ERR_LIMIT);
  CHECK(r.err[0].line == 12003);
  CHECK(r.err[0].offset == (uint64_t)small_end);
  h_result_free(&r);
  h_rmtree(dir);
  free(dir);
  return 0;
}

/* hostile suite: a file truncated while it is read. The default reader
 * maps the file (mmap); touching mapped pages past the new end of file
 * raises SIGBUS and kills the consumer. Expected: the run ends (TI_DONE or
 * a TI_ERR_IO error), no crash. */
static int file_truncated_while_read(void) {
  char *dir = h_tmpdir();
  CHECK(dir != NULL);
  char path[4096];
  snprintf(path, sizeof path, "%s/rows.jsonl", dir);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  for (int i = 0; i < 20000; i++)
    fprintf(f, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi %d\"},{\"role\":"
               "\"assistant\",\"content\":\"yo\"}],\"instance_id\":\"x%d\"}\n", i, i);
  CHECK(fclose(f) == 0);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.format = "swe-smith";
  ti_iter *it = NULL;
  CHECK(ti_open(&it, path, &o) == TI_OK);
  const ti_state *s;
  CHECK(ti_next(&s, it) == TI_OK);
  CHECK(truncate(path, 100) == 0); /* the writer rewrites the file */
  int rc;
  while ((rc = ti_next(&s, it)) == TI_OK) {
  }
  CHECK(rc == TI_DONE || rc == TI_ERR_IO);
  ti_free(it);
  h_rmtree(dir);
  free(dir);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGALRM, on_alarm);
  if (argc != 2) return 2;
  if (!strcmp(argv[1], "swe-smith-probe-mismatched-closer"))
    return swe_smith_probe_mismatched_closer();
  if (!strcmp(argv[1], "claude-code-record-limit-per-line"))
    return claude_code_record_limit_is_per_line();
  if (!strcmp(argv[1], "file-truncated-while-read"))
    return file_truncated_while_read();
  fprintf(stderr, "unknown case %s\n", argv[1]);
  return 2;
}
