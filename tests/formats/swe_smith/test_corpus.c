/* SPDX-License-Identifier: MIT */
/* swe-smith plugin on the real corpus (../shared/corpus/swe_smith): every
 * file ingests without error and gives the state counts of SOURCES.md; the
 * states are compared with an independent jansson reading of each file.
 * Exit 77 (skip) when TI_CORPUS_DIR is unset or has no swe_smith folder. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <traceingest/traceingest.h>

static char corpus[4096];

typedef struct errs {
  int n;
  char last[512];
} errs;

static void on_err(void *user, int code, const char *msg, const char *file, uint64_t line,
                   uint64_t off) {
  errs *e = user;
  (void)file, (void)off;
  e->n++;
  snprintf(e->last, sizeof e->last, "%d line %llu: %s", code, (unsigned long long)line, msg);
}

static ti_iter *open_file(const char *name, errs *e, const char *const *fopts) {
  char p[4200];
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ti_iter *it = NULL;
  snprintf(p, sizeof p, "%s/%s", corpus, name);
  o.on_error = on_err;
  o.on_error_user = e;
  o.format_options = fopts;
  int rc = ti_open(&it, p, &o);
  ck_assert_msg(rc == TI_OK, "%s: ti_open %d %s", name, rc, it ? ti_errmsg(it) : "");
  return it;
}

/* Expected counts from SOURCES.md. 6e44b9: "4 from history (5 if the missing
 * final submit step is appended from trajectory)" -- we append it. */
static const struct {
  const char *file;
  int states, trajectories;
  int tail; /* states appended from `trajectory` */
} counts[] = {
    {"swesmith__run_evaluation.xml.jsonl", 120, 4, 0},
    {"adp__swe-smith_sample_raw.json", 116, 5, 0},
    {"adp__swe-smith-5k-train_sample_raw.json", 44, 2, 0},
    {"swesmith__pandas-dev__pandas.95280573.pr_53856.traj", 17, 1, 0},
    {"sweagent__marshmallow-1867__function_calling_replace_from_source.traj", 13, 1, 0},
    {"sweagent__swe-agent__test-repo-i1.traj", 5, 1, 0},
    {"sweagent__humanevalfix-python-0.traj", 5, 1, 0},
    {"sweagent__function_calling_simple.traj", 5, 1, 0},
    {"sweagent__6e44b9__sweagenttestrepo-1c2844.traj", 5, 1, 1},
    {"mini__astropy__astropy-7336.traj.json", 18, 1, 0},
    {"adp__nebius_swe-agent-trajectories_sample_raw.json", 49, 5, 0},
    {"adp__swe-gym_openhands-sampled_sample_raw.json", 88, 5, 0},
};
#define NCOUNTS (sizeof counts / sizeof counts[0])

/* Every file: no error, the expected counts, and the history invariants:
 * each state of a trajectory extends the previous one's history, sharing
 * its message objects (not copies). */
START_TEST(test_counts) {
  const char *name = counts[_i].file;
  errs e = {0};
  ti_iter *it = open_file(name, &e, NULL);
  const ti_state *s;
  ti_state *prev = NULL;
  int rc, n = 0;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    ck_assert_str_eq(ti_state_format(s), "swe-smith");
    ck_assert_str_eq(ti_message_role(ti_state_action(s)), "assistant");
    ck_assert_uint_ge(ti_state_message_count(s), 1);
    ck_assert_str_eq(ti_message_role(ti_state_message(s, 0)), "system");
    if (prev && strcmp(ti_state_trajectory_id(prev), ti_state_trajectory_id(s)) == 0) {
      size_t pc = ti_state_message_count(prev);
      ck_assert_uint_gt(ti_state_message_count(s), pc);
      ck_assert_uint_eq(ti_state_messages_offset(s), pc);
      for (size_t i = 0; i < pc; i++)
        ck_assert_ptr_eq(ti_state_message(prev, i), ti_state_message(s, i));
      /* the previous action is the next history entry */
      ck_assert_str_eq(ti_message_json(ti_state_message(s, pc), NULL),
                       ti_message_json(ti_state_action(prev), NULL));
    } else {
      ck_assert_uint_eq(ti_state_messages_offset(s), 0);
    }
    ti_state_free(prev);
    ck_assert_int_eq(ti_state_dup(&prev, s), TI_OK);
    n++;
  }
  ti_state_free(prev);
  ck_assert_msg(rc == TI_DONE, "%s: %d %s", name, rc, ti_errmsg(it));
  ck_assert_msg(e.n == 0, "%s: %d errors, last: %s", name, e.n, e.last);
  ck_assert_int_eq(n, counts[_i].states);
  ck_assert_uint_eq(ti_stat(it, "states"), (uint64_t)counts[_i].states);
  ck_assert_uint_eq(ti_stat(it, "trajectories"), (uint64_t)counts[_i].trajectories);
  ck_assert_uint_eq(ti_stat(it, "skipped"), 0);
  ti_free(it);
}
END_TEST

/* The probe picks swe-smith, alone at the top, for every corpus file. */
START_TEST(test_probe) {
  char p[4200];
  const char *names[16];
  int scores[16];
  size_t n = 0;
  snprintf(p, sizeof p, "%s/%s", corpus, counts[_i].file);
  ck_assert_int_eq(ti_probe_scores(NULL, p, NULL, 0, names, scores, 16, &n), TI_OK);
  int best = -1, mine = -1;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(names[i], "swe-smith") == 0) mine = scores[i];
    else if (scores[i] > best) best = scores[i];
  }
  ck_assert_int_ge(mine, 50);
  ck_assert_msg(mine > best, "%s: swe-smith %d, another format %d", counts[_i].file, mine, best);
}
END_TEST

/* ---- the jansson oracle ------------------------------------------------------ */
static void text_of(json_t *m, int nebius, char **out) {
  json_t *c = json_object_get(m, nebius ? "text" : "content");
  size_t cap = 1, len = 0;
  char *s = calloc(1, 1);
  if (nebius && !json_is_string(c)) c = json_object_get(m, "system_prompt");
  if (json_is_string(c)) {
    free(s);
    s = strdup(json_string_value(c));
  } else if (json_is_array(c)) {
    size_t i;
    json_t *part;
    json_array_foreach(c, i, part) {
      json_t *t = json_object_get(part, "text");
      if (!json_is_string(t)) continue;
      size_t tl = strlen(json_string_value(t));
      cap = len + tl + 1;
      s = realloc(s, cap);
      memcpy(s + len, json_string_value(t), tl + 1);
      len += tl;
    }
  }
  *out = s;
}

static const char *role_of(json_t *m) {
  const char *r = json_string_value(json_object_get(m, "role"));
  return r && strcmp(r, "ai") == 0 ? "assistant" : r;
}

/* Walk one conversation's raw messages alongside the states. */
static void check_conv(ti_iter *it, json_t *msgs, int nebius, const char *name) {
  size_t i, kept = 0;
  json_t *m;
  ck_assert_msg(json_is_array(msgs), "%s: no message array", name);
  json_array_foreach(msgs, i, m) {
    const char *role = role_of(m);
    if (strcmp(role, "assistant") != 0 || json_is_true(json_object_get(m, "is_demo"))) {
      kept++;
      continue;
    }
    const ti_state *s;
    ck_assert_int_eq(ti_next(&s, it), TI_OK);
    ck_assert_uint_eq(ti_state_message_count(s), kept);
    char *want;
    text_of(m, nebius, &want);
    size_t alen;
    const char *got = ti_message_content(ti_state_action(s), &alen);
    ck_assert_msg(got && strcmp(got, want) == 0, "%s: message %zu differs", name, i);
    /* student_action: the content, or the rendered calls when it is empty */
    const char *sa = ti_state_student_action(s, NULL);
    json_t *calls = json_object_get(m, "tool_calls");
    if (*want || !json_is_array(calls) || json_array_size(calls) == 0) {
      ck_assert_str_eq(sa, want);
    } else {
      ck_assert_msg(strncmp(sa, "<function=", 10) == 0, "%s: %s", name, sa);
      ck_assert_uint_eq(ti_message_tool_call_count(ti_state_action(s)), json_array_size(calls));
    }
    free(want);
    if (json_is_array(calls) && json_array_size(calls) > 0) {
      const char *id, *fname;
      json_t *c0 = json_array_get(calls, 0);
      ck_assert_int_eq(ti_message_tool_call(ti_state_action(s), 0, &id, &fname, NULL), TI_OK);
      ck_assert_str_eq(id, json_string_value(json_object_get(c0, "id")));
      ck_assert_str_eq(fname, json_string_value(json_object_get(json_object_get(c0, "function"), "name")));
    }
    /* the history: the same roles and texts, tool_call_ids[0] kept */
    size_t j;
    json_t *h;
    size_t k = 0;
    json_array_foreach(msgs, j, h) {
      if (j >= i) break;
      const ti_message *tm = ti_state_message(s, k++);
      ck_assert_ptr_nonnull(tm);
      ck_assert_str_eq(ti_message_role(tm), role_of(h));
      if (j + 1 == i || j < 2) { /* text of the first and the latest messages */
        char *ht;
        text_of(h, nebius, &ht);
        ck_assert_str_eq(ti_message_content(tm, NULL), ht);
        free(ht);
      }
      json_t *ids = json_object_get(h, "tool_call_ids");
      if (json_is_array(ids))
        ck_assert_str_eq(ti_message_tool_call_id(tm), json_string_value(json_array_get(ids, 0)));
    }
    kept++;
  }
}

static json_t *row_messages(json_t *row, int *nebius) {
  json_t *m = json_object_get(row, "messages");
  *nebius = 0;
  if (!m) {
    *nebius = 1;
    return json_incref(json_object_get(row, "trajectory"));
  }
  if (json_is_string(m)) return json_loads(json_string_value(m), 0, NULL);
  return json_incref(m);
}

START_TEST(test_oracle) {
  const char *name = counts[_i].file;
  char p[4200];
  errs e = {0};
  json_error_t jerr;
  int nebius = 0;
  snprintf(p, sizeof p, "%s/%s", corpus, name);
  ti_iter *it = open_file(name, &e, NULL);
  size_t n = strlen(name);
  if (n > 6 && strcmp(name + n - 6, ".jsonl") == 0) {
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
      json_t *row = json_loads(line, 0, &jerr), *msgs;
      ck_assert_ptr_nonnull(row);
      msgs = row_messages(row, &nebius);
      check_conv(it, msgs, nebius, name);
      json_decref(msgs);
      json_decref(row);
    }
    free(line);
    fclose(f);
  } else {
    json_t *doc = json_load_file(p, 0, &jerr), *row;
    size_t i;
    ck_assert_msg(doc != NULL, "%s: %s", name, jerr.text);
    if (json_is_array(doc)) {
      json_array_foreach(doc, i, row) {
        json_t *msgs = row_messages(row, &nebius);
        check_conv(it, msgs, nebius, name);
        json_decref(msgs);
      }
    } else if (json_object_get(doc, "history")) {
      check_conv(it, json_object_get(doc, "history"), 0, name);
    } else {
      check_conv(it, json_object_get(doc, "messages"), 0, name);
    }
    json_decref(doc);
  }
  const ti_state *s;
  for (int t = 0; t < counts[_i].tail; t++) ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_int_eq(e.n, 0);
  ti_free(it);
}
END_TEST

/* ---- specific files ---------------------------------------------------------- */
static const char *meta(const ti_state *s) { return ti_state_metadata_json(s, NULL); }

START_TEST(test_tail_step) {
  errs e = {0};
  ti_iter *it = open_file("sweagent__6e44b9__sweagenttestrepo-1c2844.traj", &e, NULL);
  const ti_state *s = NULL;
  int n = 0;
  while (ti_next(&s, it) == TI_OK && ++n < 5) {
    ck_assert_ptr_null(strstr(meta(s), "from_trajectory"));
  }
  ck_assert_int_eq(n, 5);
  ck_assert_ptr_nonnull(strstr(meta(s), "\"from_trajectory\":true"));
  ck_assert_ptr_nonnull(strstr(meta(s), "\"step_action\":\"submit\""));
  ck_assert_uint_eq(ti_state_message_count(s), 10);
  ck_assert_ptr_nonnull(strstr(ti_state_student_action(s, NULL), "I will now submit the changes"));
  ck_assert_str_eq(ti_state_source_model(s), "gpt-4o");
  ck_assert_uint_eq(ti_stat(it, "swe-smith.steps_from_trajectory"), 1);
  ti_free(it);
  /* traj_tail=0 gives the 4 history turns only */
  const char *opts[] = {"traj_tail=0", NULL};
  it = open_file("sweagent__6e44b9__sweagenttestrepo-1c2844.traj", &e, opts);
  n = 0;
  while (ti_next(&s, it) == TI_OK) n++;
  ck_assert_int_eq(n, 4);
  ti_free(it);
}
END_TEST

START_TEST(test_traj_metadata) {
  errs e = {0};
  const ti_state *s;
  ti_iter *it = open_file("swesmith__pandas-dev__pandas.95280573.pr_53856.traj", &e, NULL);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_source_model(s), "claude-3-7-sonnet-20250219");
  ck_assert_str_eq(ti_state_trajectory_id(s), "swesmith__pandas-dev__pandas.95280573.pr_53856");
  ck_assert_str_eq(ti_state_id(s), "swesmith__pandas-dev__pandas.95280573.pr_53856:0");
  ck_assert_ptr_nonnull(strstr(meta(s), "\"swe_agent_version\":\"1.0.1\""));
  ck_assert_ptr_nonnull(strstr(meta(s), "\"exit_status\":\"submitted\""));
  ck_assert_ptr_nonnull(strstr(meta(s), "\"model_stats\":{\"instance_cost\":"));
  /* the list-typed user content is flattened; cache_control is gone */
  ck_assert_ptr_null(strstr(ti_message_json(ti_state_message(s, 1), NULL), "cache_control"));
  ck_assert_ptr_nonnull(ti_message_content(ti_state_message(s, 1), NULL));
  ck_assert_uint_gt(ti_state_first_line(s), 1);
  ti_free(it);

  it = open_file("sweagent__swe-agent__test-repo-i1.traj", &e, NULL);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_ptr_nonnull(strstr(meta(s), "\"swe_agent_version\":\"0.x\""));
  /* system, the demonstration, the instance: consecutive user messages */
  ck_assert_uint_eq(ti_state_message_count(s), 3);
  ck_assert_str_eq(ti_message_role(ti_state_message(s, 1)), "user");
  ck_assert_str_eq(ti_message_role(ti_state_message(s, 2)), "user");
  ti_free(it);

  it = open_file("mini__astropy__astropy-7336.traj.json", &e, NULL);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_source_model(s), "google/gemini-3-pro-preview");
  ck_assert_str_eq(ti_state_trajectory_id(s), "astropy__astropy-7336");
  ck_assert_ptr_nonnull(strstr(meta(s), "\"trajectory_format\":\"mini-swe-agent-1\""));
  ck_assert_ptr_nonnull(strstr(meta(s), "\"exit_status\":\"Submitted\""));
  ti_free(it);
  ck_assert_int_eq(e.n, 0);
}
END_TEST

START_TEST(test_rows_metadata) {
  errs e = {0};
  const ti_state *s;
  int n = 0, empty = 0;
  ti_iter *it = open_file("swesmith__run_evaluation.xml.jsonl", &e, NULL);
  while (ti_next(&s, it) == TI_OK) {
    ck_assert_msg(strncmp(ti_state_id(s), "xml/", 4) == 0, "%s", ti_state_id(s));
    ck_assert_ptr_nonnull(strstr(meta(s), "\"variant\":\"xml\""));
    ck_assert_str_eq(ti_state_source_model(s), "claude-3-7-sonnet-20250219");
    ck_assert_uint_eq(ti_state_first_line(s), ti_state_last_line(s));
    if (ti_state_first_line(s) == 2)
      ck_assert_ptr_nonnull(strstr(meta(s), "\"resolved\":false"));
    else
      ck_assert_ptr_nonnull(strstr(meta(s), "\"resolved\":true"));
    n++;
  }
  ck_assert_int_eq(n, 120);
  ti_free(it);

  it = open_file("adp__swe-gym_openhands-sampled_sample_raw.json", &e, NULL);
  while (ti_next(&s, it) == TI_OK) {
    size_t len;
    const char *c = ti_message_content(ti_state_action(s), &len);
    if (c && len == 0) {
      empty++;
      ck_assert_uint_ge(ti_message_tool_call_count(ti_state_action(s)), 1);
      ck_assert_msg(strncmp(ti_state_student_action(s, NULL), "<function=", 10) == 0, "%s",
                    ti_state_student_action(s, NULL));
    }
    ck_assert_ptr_nonnull(strstr(meta(s), "\"source\":\"swe-gym\""));
  }
  /* SOURCES.md: 49 of 88 with empty content (4 of them null in the file) */
  ck_assert_int_eq(empty, 49);
  ti_free(it);

  it = open_file("adp__nebius_swe-agent-trajectories_sample_raw.json", &e, NULL);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_source_model(s), "swe-agent-llama-70b");
  ck_assert_ptr_nonnull(strstr(meta(s), "\"resolved\":true"));
  /* the system row's text is null: its prompt is in system_prompt */
  ck_assert_int_eq(strncmp(ti_message_content(ti_state_message(s, 0), NULL), "SETTING:", 8), 0);
  ti_free(it);
  ck_assert_int_eq(e.n, 0);
}
END_TEST

/* traj_messages=steps on 1.0.1 files (steps carry `messages`): same states;
 * pandas has no eliding history processor, so the histories are those of
 * `history` mode exactly. */
START_TEST(test_steps_mode) {
  static const char *const files[] = {"swesmith__pandas-dev__pandas.95280573.pr_53856.traj",
                                      "sweagent__marshmallow-1867__function_calling_replace_from_source.traj"};
  const char *steps[] = {"traj_messages=steps", NULL};
  for (int f = 0; f < 2; f++) {
    errs e = {0};
    ti_iter *a = open_file(files[f], &e, NULL), *b = open_file(files[f], &e, steps);
    const ti_state *sa, *sb;
    int n = 0, identical = 0;
    while (ti_next(&sa, a) == TI_OK) {
      ck_assert_int_eq(ti_next(&sb, b), TI_OK);
      ck_assert_ptr_nonnull(strstr(ti_state_metadata_json(sb, NULL), "\"messages_from\":\"steps\""));
      ck_assert_str_eq(ti_message_json(ti_state_action(sa), NULL),
                       ti_message_json(ti_state_action(sb), NULL));
      int same = ti_state_message_count(sa) == ti_state_message_count(sb);
      for (size_t i = 0; same && i < ti_state_message_count(sa); i++)
        same = strcmp(ti_message_json(ti_state_message(sa, i), NULL),
                      ti_message_json(ti_state_message(sb, i), NULL)) == 0;
      identical += same;
      n++;
    }
    ck_assert_int_eq(ti_next(&sb, b), TI_DONE);
    ck_assert_int_eq(e.n, 0);
    ck_assert_int_eq(n, f == 0 ? 17 : 13);
    if (f == 0) ck_assert_int_eq(identical, 17);
    ti_free(a);
    ti_free(b);
  }
}
END_TEST

int main(void) {
  const char *d = getenv("TI_CORPUS_DIR");
  struct stat st;
  if (!d || !*d) {
    printf("TI_CORPUS_DIR not set: skipped\n");
    return 77;
  }
  snprintf(corpus, sizeof corpus, "%s/swe_smith", d);
  if (stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode)) {
    printf("%s missing: skipped\n", corpus);
    return 77;
  }
  Suite *su = suite_create("swe-smith-corpus");
  TCase *tc = tcase_create("corpus");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_counts, 0, (int)NCOUNTS);
  tcase_add_loop_test(tc, test_probe, 0, (int)NCOUNTS);
  tcase_add_loop_test(tc, test_oracle, 0, (int)NCOUNTS);
  tcase_add_test(tc, test_tail_step);
  tcase_add_test(tc, test_traj_metadata);
  tcase_add_test(tc, test_rows_metadata);
  tcase_add_test(tc, test_steps_mode);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
