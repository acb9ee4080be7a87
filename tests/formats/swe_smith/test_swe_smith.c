/* SPDX-License-Identifier: MIT */
/* swe-smith plugin: behaviour on small hand-written inputs (no corpus). */
#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <traceingest/traceingest.h>

typedef struct errs {
  int n, code;
  uint64_t line;
  char last[512];
} errs;

static void on_err(void *user, int code, const char *msg, const char *file, uint64_t line,
                   uint64_t off) {
  errs *e = user;
  (void)file, (void)off;
  e->n++;
  e->code = code;
  e->line = line;
  snprintf(e->last, sizeof e->last, "%s", msg);
}

static ti_iter *open_mem(const char *buf, errs *e, uint32_t flags, const char *const *fopts) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ti_iter *it = NULL;
  o.flags = flags;
  o.on_error = on_err;
  o.on_error_user = e;
  o.format_options = fopts;
  o.format = fopts ? "swe-smith" : NULL;
  int rc = ti_open_memory(&it, buf, strlen(buf), &o);
  ck_assert_msg(rc == TI_OK, "ti_open_memory %d %s", rc, it ? ti_errmsg(it) : "");
  return it;
}

/* Collect every state's JSON (without file/lines/metadata differences:
 * messages, action and student_action only). */
static char *conversation(const char *buf, int *nstates) {
  errs e = {0};
  ti_iter *it = open_mem(buf, &e, 0, NULL);
  const ti_state *s;
  size_t cap = 1, len = 0;
  char *out = calloc(1, 1);
  *nstates = 0;
  while (ti_next(&s, it) == TI_OK) {
    for (size_t i = 0; i <= ti_state_message_count(s); i++) {
      const ti_message *m = i < ti_state_message_count(s) ? ti_state_message(s, i) : ti_state_action(s);
      size_t n;
      const char *j = ti_message_json(m, &n);
      out = realloc(out, cap += n + 1);
      memcpy(out + len, j, n);
      len += n;
      out[len++] = '\n';
      out[len] = 0;
    }
    const char *sa = ti_state_student_action(s, NULL);
    out = realloc(out, cap += strlen(sa) + 1);
    memcpy(out + len, sa, strlen(sa));
    len += strlen(sa);
    out[len++] = '\n';
    out[len] = 0;
    (*nstates)++;
  }
  ck_assert_int_eq(e.n, 0);
  ti_free(it);
  return out;
}

/* The same row as HF's to_json writes it (messages a JSON string, pandas
 * escaping: \/ and \uXXXX, decoded twice inside) and as a list. */
static const char row_string[] =
    "{\"messages\":\"[{\\\"role\\\": \\\"system\\\", \\\"content\\\": \\\"sys\\\"}, "
    "{\\\"role\\\": \\\"user\\\", \\\"content\\\": \\\"fix \\\\\\/srv\\\\\\/caf\\\\u00e9.py "
    "\\\\u2192 na\\\\u00efve\\\"}, "
    "{\\\"role\\\": \\\"assistant\\\", \\\"content\\\": \\\"look\\\\n\\\\n<function=bash>\\\\n"
    "<parameter=command>cat \\\\\\/srv\\\\\\/caf\\\\u00e9.py<\\\\\\/parameter>\\\\n<\\\\\\/function>\\\"}]\","
    "\"instance_id\":\"a__b.1\",\"resolved\":true,\"model\":\"m\",\"traj_id\":\"a__b.1.x\","
    "\"patch\":\"\"}\n";
static const char row_list[] =
    "{\"messages\": [{\"role\": \"system\", \"content\": \"sys\"}, "
    "{\"role\": \"user\", \"content\": \"fix /srv/caf\\u00e9.py \\u2192 na\\u00efve\"}, "
    "{\"role\": \"assistant\", \"content\": \"look\\n\\n<function=bash>\\n"
    "<parameter=command>cat /srv/caf\\u00e9.py</parameter>\\n</function>\"}], "
    "\"instance_id\": \"a__b.1\", \"resolved\": true, \"model\": \"m\", \"traj_id\": \"a__b.1.x\", "
    "\"patch\": \"\"}\n";

START_TEST(test_string_equals_list) {
  int n1, n2;
  char *a = conversation(row_string, &n1), *b = conversation(row_list, &n2);
  ck_assert_int_eq(n1, 1);
  ck_assert_int_eq(n2, 1);
  ck_assert_str_eq(a, b);
  /* decoded twice: no backslash left, UTF-8 text */
  ck_assert_ptr_nonnull(strstr(a, "fix /srv/caf\xc3\xa9.py \xe2\x86\x92 na\xc3\xafve"));
  ck_assert_ptr_nonnull(strstr(a, "cat /srv/caf\xc3\xa9.py</parameter>"));
  free(a);
  free(b);
  errs e = {0};
  const ti_state *s;
  ti_iter *it = open_mem(row_string, &e, 0, NULL);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_id(s), "xml/a__b.1.x:0");
  ck_assert_str_eq(ti_state_source_model(s), "m");
  ck_assert_str_eq(ti_state_metadata_json(s, NULL),
                   "{\"variant\":\"xml\",\"instance_id\":\"a__b.1\",\"traj_id\":\"a__b.1.x\","
                   "\"resolved\":true,\"model\":\"m\",\"patch\":\"\",\"row\":0}");
  ck_assert_uint_eq(ti_stat(it, "swe-smith.string_messages"), 1);
  ti_free(it);
}
END_TEST

START_TEST(test_columnar_rejected) {
  static const char col[] =
      "{\"messages\":{\"0\":\"[]\",\"1\":\"[]\"},\"instance_id\":{\"0\":\"a\",\"1\":\"b\"}}";
  errs e = {0};
  const ti_state *s;
  ti_iter *it = open_mem(col, &e, 0, NULL);
  ck_assert_str_eq(ti_format_name(it) ? ti_format_name(it) : "swe-smith", "swe-smith");
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_int_eq(e.n, 1);
  ck_assert_int_eq(e.code, TI_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(e.last, "column-wise"));
  ck_assert_ptr_nonnull(strstr(e.last, "orient=\"records\""));
  ck_assert_uint_eq(ti_stat(it, "skipped"), 1);
  ti_free(it);
  memset(&e, 0, sizeof e);
  it = open_mem(col, &e, TI_OPEN_STRICT, NULL);
  ck_assert_int_eq(ti_next(&s, it), TI_ERR_PARSE);
  ti_free(it);
}
END_TEST

static int score_of(const char *buf, const char *fmt) {
  const char *names[8];
  int scores[8];
  size_t n = 0;
  ck_assert_int_eq(ti_probe_scores(NULL, NULL, buf, strlen(buf), names, scores, 8, &n), TI_OK);
  for (size_t i = 0; i < n && i < 8; i++)
    if (strcmp(names[i], fmt) == 0) return scores[i];
  return -1;
}

START_TEST(test_probe) {
  /* OpenHands shapes are left to the openhands plugin */
  ck_assert_int_eq(score_of("{\"history\":[{\"id\":1,\"timestamp\":\"t\",\"source\":\"agent\","
                            "\"action\":\"run\",\"args\":{}}]}", "swe-smith"), 0);
  ck_assert_int_eq(score_of("{\"trajectory\":[{\"id\":0,\"source\":\"user\",\"action\":\"message\"}]}",
                            "swe-smith"), 0);
  ck_assert_int_eq(score_of("[{\"id\":0,\"timestamp\":\"t\",\"source\":\"user\",\"message\":\"hi\"}]",
                            "swe-smith"), 0);
  ck_assert_int_eq(score_of("{\"instance_id\":\"x\",\"history\":[{\"action\":\"run\","
                            "\"observation\":\"run\"}]}", "swe-smith"), 0);
  /* malformed prefixes end the scan (they used to loop forever) */
  ck_assert_int_eq(score_of("{\"messages\":[}", "swe-smith"), 0);
  ck_assert_int_eq(score_of("{\"messages\":[1}", "swe-smith"), 0);
  ck_assert_int_eq(score_of("{\"history\":[}", "swe-smith"), 0);
  score_of("[{\"trajectory\":[{\"response\":]}]", "swe-smith"); /* returns */
  ck_assert_int_le(score_of("{\"a\":]", "swe-smith"), TI_PROBE_WEAK);
  /* LLM completion logs are not trajectories */
  ck_assert_int_eq(score_of("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response\":{},"
                            "\"timestamp\":1}", "swe-smith"), 0);
  /* ours, decisive */
  ck_assert_int_eq(score_of(row_string, "swe-smith"), 100);
  ck_assert_int_ge(score_of("{\n  \"trajectory\": [\n    {\n      \"action\": \"ls\",\n      "
                            "\"observation\": \"a\", \"response\": \"r\"}], \"history\": []}",
                            "swe-smith"), 80);
  ck_assert_int_eq(score_of("{\"info\":{},\"messages\":[],\"trajectory_format\":\"mini-swe-agent-1\"}",
                            "swe-smith"), 100);
  /* a truncated HF row: the string prefix is enough */
  ck_assert_int_ge(score_of("{\"messages\":\"[{\\\"role\\\": \\\"system\\\", \\\"content\\\": \\\"You are",
                            "swe-smith"), 50);
}
END_TEST

START_TEST(test_bad_option) {
  const char *opts[] = {"student_action=bogus", NULL};
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ti_iter *it = NULL;
  const ti_state *s;
  o.format = "swe-smith";
  o.format_options = opts;
  int rc = ti_open_memory(&it, row_list, strlen(row_list), &o);
  if (rc == TI_OK) rc = ti_next(&s, it);
  ck_assert_int_eq(rc, TI_ERR_INVALID);
  ti_free(it);
}
END_TEST

static const char tool_row[] =
    "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"u\"}, "
    "{\"role\": \"assistant\", \"content\": \"Thinking.\", \"tool_calls\": [{\"id\": \"c1\", \"type\": "
    "\"function\", \"function\": {\"name\": \"str_replace_editor\", \"arguments\": "
    "\"{\\\"command\\\": \\\"create\\\", \\\"file_text\\\": \\\"a\\\\nb\\\", \\\"opts\\\": "
    "{\\\"q\\\": \\\"it's\\\", \\\"n\\\": null, \\\"l\\\": [true, 1.5]}}\"}}]}, "
    "{\"role\": \"tool\", \"content\": \"ok\", \"tool_call_ids\": [\"c1\"]}, "
    "{\"role\": \"assistant\", \"content\": [], \"tool_calls\": [{\"id\": \"c2\", \"type\": \"function\", "
    "\"function\": {\"name\": \"submit\", \"arguments\": {}}}, {\"id\": \"c3\", \"type\": "
    "\"function\", \"function\": {\"name\": \"bash\", \"arguments\": \"not json\"}}]}, "
    "{\"role\": \"reviewer\", \"content\": \"?\"}, "
    "{\"role\": \"assistant\", \"content\": \"Exit due to cost limit\"}], "
    "\"instance_id\": \"t.1\", \"traj_id\": \"t.1.x\"}\n";

START_TEST(test_student_action_modes) {
  errs e = {0};
  const ti_state *s;
  /* auto: content, or the rendered calls when there is no text */
  ti_iter *it = open_mem(tool_row, &e, 0, NULL);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_student_action(s, NULL), "Thinking.");
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_student_action(s, NULL),
                   "<function=submit>\n</function>\n<function=bash>\nnot json\n</function>");
  ck_assert_uint_eq(ti_message_tool_call_count(ti_state_action(s)), 2);
  const char *args;
  ck_assert_int_eq(ti_message_tool_call(ti_state_action(s), 0, NULL, NULL, &args), TI_OK);
  ck_assert_str_eq(args, "{}"); /* an object argument is serialised */
  ck_assert_str_eq(ti_message_tool_call_id(ti_state_message(s, 3)), "c1");
  /* the synthetic cost-limit turn is skipped; the unknown role dropped */
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_uint_eq(ti_stat(it, "swe-smith.synthetic_turns_skipped"), 1);
  ck_assert_uint_eq(ti_stat(it, "swe-smith.unknown_role"), 1);
  ck_assert_int_eq(e.n, 0);
  ti_free(it);

  /* xml: SWE-smith's rendering, thought then calls (Python str() values) */
  const char *xml[] = {"student_action=xml", "synthetic_turns=keep", NULL};
  it = open_mem(tool_row, &e, 0, xml);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_student_action(s, NULL),
                   "Thinking.\n\n<function=str_replace_editor>\n<parameter=command>create</parameter>\n"
                   "<parameter=file_text>\na\nb\n</parameter>\n"
                   "<parameter=opts>{'q': \"it's\", 'n': None, 'l': [True, 1.5]}</parameter>\n"
                   "</function>");
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_student_action(s, NULL), "Exit due to cost limit");
  ck_assert_ptr_nonnull(strstr(ti_state_metadata_json(s, NULL), "\"synthetic\":true"));
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ti_free(it);

  /* content: verbatim, even when empty */
  const char *content[] = {"student_action=content", "unknown_role=error", NULL};
  memset(&e, 0, sizeof e);
  it = open_mem(tool_row, &e, 0, content);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_student_action(s, NULL), "");
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_int_eq(e.n, 1); /* the unknown role, reported */
  ck_assert_ptr_nonnull(strstr(e.last, "reviewer"));
  ti_free(it);
}
END_TEST

START_TEST(test_pipe) {
  int fds[2];
  errs e = {0};
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ti_iter *it = NULL;
  const ti_state *s;
  int n = 0;
  ck_assert_int_eq(pipe(fds), 0);
  ck_assert_int_eq(write(fds[1], row_string, strlen(row_string)), (ssize_t)strlen(row_string));
  ck_assert_int_eq(write(fds[1], row_list, strlen(row_list)), (ssize_t)strlen(row_list));
  close(fds[1]);
  o.on_error = on_err;
  o.on_error_user = &e;
  ck_assert_int_eq(ti_open_fd(&it, fds[0], &o), TI_OK);
  while (ti_next(&s, it) == TI_OK) {
    n++;
    ck_assert_uint_eq(ti_state_first_line(s), (uint64_t)n);
  }
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(e.n, 0);
  ti_free(it);
  close(fds[0]);
}
END_TEST

/* JSONL rows stream one by one: the heap does not grow with the file. */
START_TEST(test_streaming_memory) {
  char path[] = "/tmp/ti-swe-smith-stream-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  const int rows = 600;
  for (int r = 0; r < rows; r++) {
    fprintf(f, "{\"messages\":\"[{\\\"role\\\": \\\"system\\\", \\\"content\\\": \\\"s\\\"}");
    for (int k = 0; k < 20; k++) {
      fprintf(f, ", {\\\"role\\\": \\\"user\\\", \\\"content\\\": \\\"row %d obs %d ", r, k);
      for (int x = 0; x < 40; x++) fprintf(f, "lorem ipsum \\\\u00e9 \\\\\\/x ");
      fprintf(f, "\\\"}, {\\\"role\\\": \\\"assistant\\\", \\\"content\\\": \\\"turn %d\\\"}", k);
    }
    fprintf(f, "]\",\"instance_id\":\"i%d\",\"traj_id\":\"i%d.x\",\"resolved\":false}\n", r, r);
  }
  fclose(f);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ti_iter *it = NULL;
  const ti_state *s;
  size_t early = 0, peak = 0;
  int n = 0;
  ck_assert_int_eq(ti_open(&it, path, &o), TI_OK);
  while (ti_next(&s, it) == TI_OK) {
    n++;
    if (n % 20 == 0) {
      struct mallinfo2 mi = mallinfo2();
      if (n <= 100 && mi.uordblks > early) early = mi.uordblks;
      if (mi.uordblks > peak) peak = mi.uordblks;
    }
  }
  ck_assert_int_eq(n, rows * 20);
  ck_assert_uint_eq(ti_stat(it, "trajectories"), (uint64_t)rows);
  ti_free(it);
  unlink(path);
  /* the file is ~12 MB; the heap stays at what 5 rows needed */
  ck_assert_msg(peak < early + (1u << 20), "heap grew from %zu to %zu bytes", early, peak);
}
END_TEST

int main(void) {
  Suite *su = suite_create("swe-smith");
  TCase *tc = tcase_create("unit");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_string_equals_list);
  tcase_add_test(tc, test_columnar_rejected);
  tcase_add_test(tc, test_probe);
  tcase_add_test(tc, test_bad_option);
  tcase_add_test(tc, test_student_action_modes);
  tcase_add_test(tc, test_pipe);
  tcase_add_test(tc, test_streaming_memory);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
