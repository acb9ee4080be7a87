/* SPDX-License-Identifier: MIT */
/* OpenHands plugin against the real traces in $TI_CORPUS_DIR/openhands
 * (see ../shared/corpus/openhands/SOURCES.md). Skips (exit 77) when the
 * corpus is absent. State counts are the ones recorded in
 * ../shared/formats/openhands_anchors.md (one state per model response);
 * the resolver, pairs and feedback counts were checked by hand (see
 * docs/formats/openhands.md). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <traceingest/traceingest.h>

static char corpus[4096];

typedef struct errs {
  int n;
  char first[512];
} errs;

static void on_error(void *user, int code, const char *msg, const char *file,
                     uint64_t line, uint64_t off) {
  errs *e = user;
  if (!e->n++)
    snprintf(e->first, sizeof e->first, "%d %s:%llu@%llu %s", code, file ? file : "?",
             (unsigned long long)line, (unsigned long long)off, msg);
}

static const char *path_of(const char *name) {
  static char p[8192];
  snprintf(p, sizeof p, "%s/%s", corpus, name);
  return p;
}

/* Open `name` (probing), count states; fails on any reported error. */
static size_t count_states(const char *name, ti_iter **keep) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  errs e = {0, ""};
  ti_iter *it = NULL;
  o.on_error = on_error;
  o.on_error_user = &e;
  int rc = ti_open(&it, path_of(name), &o);
  ck_assert_msg(rc == TI_OK, "%s: open: %s", name, it ? ti_errmsg(it) : "nomem");
  const ti_state *s;
  size_t n = 0;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    ck_assert_str_eq(ti_state_format(s), "openhands");
    n++;
  }
  ck_assert_msg(rc == TI_DONE, "%s: %s", name, ti_errmsg(it));
  ck_assert_msg(e.n == 0, "%s: %d errors, first: %s", name, e.n, e.first);
  if (keep)
    *keep = it;
  else
    ti_free(it);
  return n;
}

static const struct {
  const char *name;
  size_t states;
} expected[] = {
    {"oh-v0-traj-basic.json", 2},
    {"oh-v0-traj-guimode.json", 5},
    {"oh-v0-traj-interactions.json", 3},
    {"oh-v0-multiswe-output.jsonl", 23 + 33 + 49},
    {"oh-v0-session-coinflip", 3},
    {"ohcli-v1-echo", 2},
    {"ohcli-v1-iterative", 6},
    {"ohsdk-v1-goal-events.jsonl", 2},
    {"oh-resolver-output.jsonl", 4 + 22},
    {"oh-opendevin-humanevalfix-pairs.json", 4},
    {"adp-oh-feedback-sample.json", 17 + 11 + 3 + 25 + 19},
};

START_TEST(test_counts) {
  size_t n = count_states(expected[_i].name, NULL);
  ck_assert_msg(n == expected[_i].states, "%s: %zu states, expected %zu",
                expected[_i].name, n, expected[_i].states);
}
END_TEST

START_TEST(test_probe_scores) {
  const char *names[8];
  int scores[8];
  size_t n = 0;
  int rc = ti_probe_scores(NULL, path_of(expected[_i].name), NULL, 0, names, scores, 8, &n);
  ck_assert_int_eq(rc, TI_OK);
  int best = -1, oh = -1;
  for (size_t k = 0; k < n && k < 8; k++) {
    if (strcmp(names[k], "openhands") == 0)
      oh = scores[k];
    else if (scores[k] > best)
      best = scores[k];
  }
  ck_assert_msg(oh >= 50 && oh > best, "%s: openhands %d, best other %d",
                expected[_i].name, oh, best);
}
END_TEST

/* The whole directory: every file and directory ingests, the session and
 * conversation directories are claimed as one trajectory each. */
START_TEST(test_directory_walk) {
  ti_iter *it = NULL;
  size_t want = 0;
  for (size_t k = 0; k < sizeof expected / sizeof *expected; k++)
    want += expected[k].states;
  ck_assert_uint_eq(count_states("", &it), want);
  ck_assert_uint_eq(ti_stat(it, "files_skipped"), 1); /* SOURCES.md */
  /* one per array/directory/event stream, one per eval, resolver or feedback row */
  ck_assert_uint_eq(ti_stat(it, "trajectories"), 3 + 3 + 1 + 1 + 1 + 1 + 2 + 1 + 5);
  ck_assert_uint_eq(ti_stat(it, "skipped"), 0);
  ti_free(it);
}
END_TEST

static const ti_state *nth(ti_iter *it, size_t n) {
  const ti_state *s = NULL;
  for (size_t k = 0; k <= n; k++)
    ck_assert_int_eq(ti_next(&s, it), TI_OK);
  return s;
}

static ti_iter *open_one(const char *name) {
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open(&it, path_of(name), NULL), TI_OK);
  return it;
}

/* Multi-SWE row 1: system prompt, task, recall context (a second user
 * message, "\n\n"-prefixed as OpenHands formats consecutive users); the
 * turn rebuilt from the model response with its tool call. */
START_TEST(test_multiswe_first_turn) {
  ti_iter *it = open_one("oh-v0-multiswe-output.jsonl");
  const ti_state *s = nth(it, 0);
  const char *id, *name, *args;
  size_t len;
  ck_assert_str_eq(ti_state_id(s), "ponylang__ponyc-4595:0");
  ck_assert_uint_eq(ti_state_message_count(s), 3);
  ck_assert_str_eq(ti_message_role(ti_state_message(s, 0)), "system");
  const char *recall = ti_message_content(ti_state_message(s, 2), &len);
  ck_assert_ptr_nonnull(recall);
  ck_assert_msg(strncmp(recall, "\n\n<RUNTIME_INFORMATION>\n", 24) == 0, "%.40s", recall);
  ck_assert_ptr_nonnull(strstr(recall, "Today's date is 2025-04-30 (UTC)."));
  ck_assert_ptr_nonnull(strstr(recall, "keyword match for \"github\""));
  const ti_message *a = ti_state_action(s);
  ck_assert_uint_eq(ti_message_tool_call_count(a), 1);
  ck_assert_int_eq(ti_message_tool_call(a, 0, &id, &name, &args), TI_OK);
  ck_assert_str_eq(id, "toolu_01");
  ck_assert_str_eq(name, "execute_bash");
  ck_assert_str_eq(args, "{\"command\": \"ls -l /workspace/ponylang__ponyc__0.1\"}");
  ck_assert_str_eq(ti_state_source_model(s), "meta-llama/llama-4-maverick");
  const char *meta = ti_state_metadata_json(s, &len);
  ck_assert_ptr_nonnull(strstr(meta, "\"instance_id\":\"ponylang__ponyc-4595\""));
  ck_assert_ptr_nonnull(strstr(meta, "\"tools\":[{\"type\":\"function\""));
  /* second turn: the tool result follows the assistant message */
  s = nth(it, 0);
  ck_assert_uint_eq(ti_state_message_count(s), 5);
  ck_assert_uint_eq(ti_state_messages_offset(s), 3);
  const ti_message *tool = ti_state_message(s, 4);
  ck_assert_str_eq(ti_message_role(tool), "tool");
  ck_assert_str_eq(ti_message_tool_call_id(tool), "toolu_01");
  const char *out = ti_message_content(tool, &len);
  ck_assert_ptr_nonnull(strstr(out, "[The command completed with exit code 0.]\n"
                                    "[Current working directory: /workspace/ponylang__ponyc__0.1]\n"
                                    "[Command finished with exit code 0]"));
  ti_free(it);
}
END_TEST

/* A parse error without tool metadata is fed back as a user message. */
START_TEST(test_multiswe_agent_error) {
  ti_iter *it = open_one("oh-v0-multiswe-output.jsonl");
  const ti_state *s = nth(it, 23 + 12); /* row 2, the turn after event 29 */
  size_t n = ti_state_message_count(s), len;
  const ti_message *last = ti_state_message(s, n - 1);
  ck_assert_str_eq(ti_message_role(last), "user");
  const char *t = ti_message_content(last, &len);
  ck_assert_msg(strstr(t, "\n[Error occurred in processing last action]") != NULL, "%s", t);
  ti_free(it);
}
END_TEST

/* finish is kept as a tool call with the model's arguments. */
START_TEST(test_coinflip_finish) {
  ti_iter *it = open_one("oh-v0-session-coinflip");
  const ti_state *s = nth(it, 2);
  const char *name, *args;
  ck_assert_str_eq(ti_state_trajectory_id(s), "63b4315947a049e2b7a51249b3d4fcc3");
  ck_assert_int_eq(ti_message_tool_call(ti_state_action(s), 0, NULL, &name, &args), TI_OK);
  ck_assert_str_eq(name, "finish");
  ck_assert_ptr_nonnull(strstr(args, "\"message\": \"The coin flip result is: Heads\""));
  ck_assert_ptr_null(ti_message_content(ti_state_action(s), NULL));
  ti_free(it);
}
END_TEST

/* v1: reasoning apart, thought empty; the <think> block that duplicates
 * reasoning_content is not emitted twice; the orphan result is dropped. */
START_TEST(test_v1_reasoning_and_orphan) {
  ti_iter *it = open_one("ohcli-v1-echo");
  const ti_state *s = nth(it, 0);
  size_t len;
  ck_assert_ptr_nonnull(ti_message_reasoning(ti_state_action(s), &len));
  ck_assert_ptr_null(ti_message_content(ti_state_action(s), NULL));
  ck_assert_str_eq(ti_message_role(ti_state_message(s, 0)), "system");
  ti_free(it);
  it = open_one("ohsdk-v1-goal-events.jsonl");
  for (int k = 0; k < 2; k++) {
    s = nth(it, 0);
    const char *c = ti_message_content(ti_state_action(s), &len);
    ck_assert_msg(!c || !strstr(c, "<think>"), "%s", c);
    ck_assert_ptr_nonnull(ti_message_reasoning(ti_state_action(s), &len));
  }
  ck_assert_uint_eq(ti_stat(it, "openhands.orphan_results"), 1);
  ti_free(it);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("openhands-corpus");
  TCase *tc = tcase_create("corpus");
  tcase_set_timeout(tc, 60);
  int n = (int)(sizeof expected / sizeof *expected);
  tcase_add_loop_test(tc, test_counts, 0, n);
  tcase_add_loop_test(tc, test_probe_scores, 0, n);
  tcase_add_test(tc, test_directory_walk);
  tcase_add_test(tc, test_multiswe_first_turn);
  tcase_add_test(tc, test_multiswe_agent_error);
  tcase_add_test(tc, test_coinflip_finish);
  tcase_add_test(tc, test_v1_reasoning_and_orphan);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  const char *dir = getenv("TI_CORPUS_DIR");
  struct stat st;
  if (!dir || !*dir)
    return 77;
  snprintf(corpus, sizeof corpus, "%s/openhands", dir);
  if (stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode))
    return 77;
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
