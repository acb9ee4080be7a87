/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: detection, inputs from memory and pipes, options. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <traceingest/traceingest.h>

static int score_of(const char *buf, const char *fmt) {
  const char *names[8];
  int scores[8];
  size_t n = 0;
  ck_assert_int_eq(ti_probe_scores(NULL, NULL, buf, strlen(buf), names, scores, 8, &n),
                   TI_OK);
  for (size_t k = 0; k < n && k < 8; k++)
    if (strcmp(names[k], fmt) == 0)
      return scores[k];
  return -1;
}

START_TEST(test_probe) {
  /* v0 and v1 events are decisive */
  ck_assert_int_ge(score_of("[{\"id\": 0, \"source\": \"user\", \"action\": \"message\", "
                            "\"args\": {\"content\": \"hi\"}}]",
                            "openhands"),
                   90);
  ck_assert_int_ge(score_of("{\"id\":\"u1\",\"timestamp\":\"t\",\"source\":\"user\","
                            "\"llm_message\":{\"role\":\"user\"},\"kind\":\"MessageEvent\"}\n",
                            "openhands"),
                   90);
  ck_assert_int_ge(score_of("{\"instance_id\": \"x\", \"history\": [[{\"action\": \"message\"}, "
                            "{\"observation\": \"null\"}]]}",
                            "openhands"),
                   80);
  /* SWE-agent trajectories and SWE-smith rows share envelope keys: low */
  ck_assert_int_lt(score_of("{\"trajectory\": [{\"action\": \"ls\", \"observation\": \"a\", "
                            "\"response\": \"r\", \"thought\": \"t\"}], \"history\": "
                            "[{\"role\": \"system\", \"content\": \"s\"}], \"info\": {}}",
                            "openhands"),
                   50);
  ck_assert_int_lt(score_of("{\"instance_id\": \"x\", \"messages\": [{\"role\": \"user\", "
                            "\"content\": \"c\"}], \"traj_id\": \"t\"}\n",
                            "openhands"),
                   50);
  ck_assert_int_eq(score_of("{\"type\":\"user\",\"sessionId\":\"s\",\"uuid\":\"u\","
                            "\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n",
                            "openhands"),
                   0);
  ck_assert_int_eq(score_of("hello world\n", "openhands"), 0);
}
END_TEST

static const char rows[] =
    "{\"instance_id\": \"a-1\", \"history\": [{\"id\": 0, \"source\": \"user\", \"action\": "
    "\"message\", \"args\": {\"content\": \"go\"}}, {\"id\": 1, \"source\": \"agent\", "
    "\"action\": \"message\", \"args\": {\"content\": \"gone\"}}]}\n"
    "\n"
    "{\"instance_id\": 7, \"history\": [{\"id\": 0, \"source\": \"user\", \"action\": "
    "\"message\", \"args\": {\"content\": \"again\"}}, {\"id\": 1, \"source\": \"agent\", "
    "\"action\": \"message\", \"args\": {\"content\": \"done\"}}]}\n";

/* Eval rows from memory: one trajectory per row, ids from instance_id. */
START_TEST(test_rows_from_memory) {
  ti_iter *it = NULL;
  const ti_state *s;
  ck_assert_int_eq(ti_open_memory(&it, rows, sizeof rows - 1, NULL), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_id(s), "a-1:0");
  ck_assert_str_eq(ti_state_student_action(s, NULL), "gone");
  ck_assert_uint_eq(ti_state_first_line(s), 1);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_id(s), "7:0");
  ck_assert_uint_eq(ti_state_first_line(s), 3);
  ck_assert_uint_eq(ti_state_message_count(s), 1);
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_uint_eq(ti_stat(it, "trajectories"), 2);
  ti_free(it);
}
END_TEST

/* A pretty-printed document through a pipe (nothing is seeked). */
START_TEST(test_pretty_document_from_pipe) {
  static const char doc[] = "[\n  {\n    \"id\": 0,\n    \"source\": \"user\",\n"
                            "    \"action\": \"message\",\n    \"args\": {\"content\": \"q\"}\n  },\n"
                            "  {\n    \"id\": 1,\n    \"source\": \"agent\",\n"
                            "    \"action\": \"message\",\n    \"args\": {\"content\": \"a\"}\n  }\n]\n";
  int fd[2];
  ck_assert_int_eq(pipe(fd), 0);
  ck_assert_int_eq(write(fd[1], doc, sizeof doc - 1), (ssize_t)(sizeof doc - 1));
  close(fd[1]);
  ti_iter *it = NULL;
  const ti_state *s;
  ck_assert_int_eq(ti_open_fd(&it, fd[0], NULL), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_student_action(s, NULL), "a");
  ck_assert_uint_eq(ti_state_first_line(s), 8); /* the line where the agent event starts */
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ti_free(it);
  close(fd[0]);
}
END_TEST

START_TEST(test_bad_option_value) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  const char *opts[] = {"condense=sometimes", NULL};
  ti_iter *it = NULL;
  const ti_state *s;
  o.format_options = opts;
  o.format = "openhands";
  int rc = ti_open_memory(&it, rows, sizeof rows - 1, &o);
  if (rc == TI_OK)
    rc = ti_next(&s, it);
  ck_assert_int_eq(rc, TI_ERR_INVALID);
  ti_free(it);
}
END_TEST

/* Truncated document: reported with its position, no state, no crash. */
START_TEST(test_truncated_document) {
  static const char doc[] = "[\n {\"id\": 0, \"source\": \"user\", \"action\": \"message\",\n";
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ti_iter *it = NULL;
  const ti_state *s;
  o.format = "openhands";
  ck_assert_int_eq(ti_open_memory(&it, doc, sizeof doc - 1, &o), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_int_eq(ti_errcode(it), TI_ERR_PARSE);
  ck_assert_uint_eq(ti_stat(it, "skipped"), 1);
  ti_free(it);
  o.flags = TI_OPEN_STRICT;
  ck_assert_int_eq(ti_open_memory(&it, doc, sizeof doc - 1, &o), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_ERR_PARSE);
  ti_free(it);
}
END_TEST

/* Unknown event types are passed over and counted by name. */
START_TEST(test_unknown_types_counted) {
  static const char doc[] =
      "[{\"id\": 0, \"source\": \"user\", \"action\": \"message\", \"args\": {\"content\": \"q\"}},"
      " {\"id\": 1, \"source\": \"agent\", \"action\": \"frobnicate\", \"args\": {}},"
      " {\"id\": 2, \"source\": \"agent\", \"observation\": \"sparkle\", \"content\": \"\"},"
      " {\"id\": 3, \"source\": \"agent\", \"action\": \"message\", \"args\": {\"content\": \"a\"}}]";
  ti_iter *it = NULL;
  const ti_state *s;
  ck_assert_int_eq(ti_open_memory(&it, doc, sizeof doc - 1, NULL), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_uint_eq(ti_stat(it, "openhands.unknown_type.frobnicate"), 1);
  ck_assert_uint_eq(ti_stat(it, "openhands.unknown_type.sparkle"), 1);
  ck_assert_uint_eq(ti_stat(it, "skipped"), 0);
  ti_free(it);
}
END_TEST

int main(void) {
  Suite *su = suite_create("openhands");
  TCase *tc = tcase_create("unit");
  tcase_add_test(tc, test_probe);
  tcase_add_test(tc, test_rows_from_memory);
  tcase_add_test(tc, test_pretty_document_from_pipe);
  tcase_add_test(tc, test_bad_option_value);
  tcase_add_test(tc, test_truncated_document);
  tcase_add_test(tc, test_unknown_types_counted);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
