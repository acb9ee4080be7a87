/* SPDX-License-Identifier: MIT */
/* claude-code plugin: the real corpus (state counts, structure of every
 * state, stable ids, shared histories, subagents), probing, and corrupted
 * copies (truncated, bytes flipped, lines concatenated, NUL padding) fed
 * through ti_open_memory. Corpus tests are skipped when TI_CORPUS_DIR is
 * unset or missing; the corruption test then uses the golden fixtures.
 * jansson is the oracle for the exported JSON. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <traceingest/ti-format.h>
#include <traceingest/traceingest.h>

static char corpus[4096];
static int have_corpus;

/* Expected states per main session file: the number of distinct message.id
 * of its non-sidechain, non-synthetic assistant records, counted
 * independently (a Python json.loads pass over each file). with_sub adds
 * the sidechain message.ids of inline sidechains / subagent files. */
static const struct {
  const char *file;
  size_t states, with_sub;
} expected[] = {
    {"ccl_03eb5929-52b3-4b13-ada3-b93ae35806b8.jsonl", 9, 9},
    {"ccl_0d3a8e6f-290f-4105-a327-a2496e5e2a83.jsonl", 15, 15},
    {"ccl_2b4ed4c0-b905-41de-9238-273db3ec737a.jsonl", 10, 10},
    {"ccl_cb2e607c-c758-415a-8b45-c49e4631906a.jsonl", 80, 80},
    {"ccl_ef958aa1-0e93-49f0-bb71-150f63befcd1.jsonl", 17, 37},
    {"ccl_fe869ecb-c176-478f-9734-7e4b8ef12cff.jsonl", 34, 34},
    {"cls_305d01e1-9f36-4024-87ff-a1fc2a7818e0.jsonl", 0, 0},
    {"cls_8aa54c1d-5030-4491-be42-e0c416424b8a.jsonl", 2, 2},
    {"cls_c2fc3a3f-66d5-4c87-9f78-1a31dd719471.jsonl", 4, 4},
    {"vsla_0a725fb5-6378-432a-9e84-9f3f49d4043d.jsonl", 201, 212},
    {"vsla_9b92ce83-1981-4cdc-9f5d-7f66c4b10389.jsonl", 0, 0},
    {"vsla_c001d2c0-fa59-4098-9d96-e46afcfa1170.jsonl", 0, 0},
    {"vsla_f6108699-47cc-4b21-8ca6-3223992990b3.jsonl", 6, 6},
};
#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

static void path_of(char *out, size_t n, const char *file) {
  snprintf(out, n, "%s/%s", corpus, file);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  if (b) b[n] = 0, *len = (size_t)n;
  return b;
}

/* ---- structural checks of one exported state (jansson oracle) ------------ */
static const char *role_of(json_t *m) { return json_string_value(json_object_get(m, "role")); }

static void check_state(const char *js, size_t len, int with_system) {
  json_error_t err;
  json_t *s = json_loadb(js, len, 0, &err);
  ck_assert_msg(s != NULL, "state JSON does not load: %s", err.text);
  json_t *msgs = json_object_get(s, "messages");
  ck_assert(json_is_array(msgs));
  size_t n = json_array_size(msgs);
  const char *sid = json_string_value(json_object_get(s, "state_id"));
  ck_assert_ptr_nonnull(sid);
  if (with_system) {
    ck_assert_uint_ge(n, 1);
    ck_assert_str_eq(role_of(json_array_get(msgs, 0)), "system");
  }
  for (size_t i = 0; i < n; i++) {
    json_t *m = json_array_get(msgs, i);
    const char *r = role_of(m);
    ck_assert_ptr_nonnull(r);
    /* history copies of assistant turns carry no reasoning */
    if (!strcmp(r, "assistant")) {
      ck_assert_msg(json_object_get(m, "reasoning_content") == NULL, "%s: reasoning in history", sid);
      json_t *calls = json_object_get(m, "tool_calls");
      for (size_t k = 0; k < json_array_size(calls); k++) {
        ck_assert_msg(i + 1 + k < n, "%s: tool call without a tool message", sid);
        json_t *t = json_array_get(msgs, i + 1 + k);
        ck_assert_str_eq(role_of(t), "tool");
        ck_assert_str_eq(json_string_value(json_object_get(t, "tool_call_id")),
                         json_string_value(json_object_get(json_array_get(calls, k), "id")));
      }
    }
    if (!strcmp(r, "tool")) {
      ck_assert(i > 0);
      const char *pr = role_of(json_array_get(msgs, i - 1));
      ck_assert_msg(!strcmp(pr, "assistant") || !strcmp(pr, "tool"), "%s: stray tool message", sid);
    }
    if (!strcmp(r, "user") && i > 0)
      ck_assert_msg(strcmp(role_of(json_array_get(msgs, i - 1)), "user") != 0,
                    "%s: consecutive user messages at %zu", sid, i);
  }
  json_t *action = json_object_get(s, "action");
  ck_assert_str_eq(role_of(action), "assistant");
  json_t *meta = json_object_get(s, "metadata");
  ck_assert(json_is_object(meta));
  ck_assert(json_is_boolean(json_object_get(meta, "on_active_branch")));
  ck_assert(json_is_integer(json_object_get(meta, "compactions_before")));
  ck_assert_uint_gt(json_integer_value(json_object_get(s, "first_line")), 0);
  ck_assert_uint_ge(json_integer_value(json_object_get(s, "last_line")),
                    json_integer_value(json_object_get(s, "first_line")));
  json_decref(s);
}

typedef struct run_result {
  size_t states;
  int status;
  uint64_t skipped;
  char *ids; /* state ids, one per line */
} run_result;

static run_result run_path(const char *path, const char *const *fopts, int check) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.format_options = fopts;
  ti_iter *it = NULL;
  run_result r = {0};
  ck_assert_int_eq(ti_open(&it, path, &o), TI_OK);
  const ti_state *s;
  size_t cap = 4096, len = 0;
  r.ids = malloc(cap);
  r.ids[0] = 0;
  int with_system = 1;
  for (const char *const *p = fopts; p && *p; p++)
    if (!strcmp(*p, "system_prompt=none")) with_system = 0;
  while ((r.status = ti_next(&s, it)) == TI_OK) {
    r.states++;
    if (check) {
      const char *js;
      size_t jl;
      ck_assert_int_eq(ti_state_json(&js, &jl, s, 0), TI_OK);
      check_state(js, jl, with_system);
    }
    const char *id = ti_state_id(s);
    size_t l = strlen(id);
    while (len + l + 2 > cap) r.ids = realloc(r.ids, cap *= 2);
    memcpy(r.ids + len, id, l);
    len += l;
    r.ids[len++] = '\n';
    r.ids[len] = 0;
  }
  r.skipped = ti_stat(it, "skipped");
  ck_assert_int_eq(ti_errcode(it), TI_OK);
  ti_free(it);
  return r;
}

static int ids_unique(const char *ids) {
  /* quadratic but small (a few hundred ids) */
  for (const char *a = ids; *a; a = strchr(a, '\n') + 1) {
    size_t la = (size_t)(strchr(a, '\n') - a);
    for (const char *b = strchr(a, '\n') + 1; *b; b = strchr(b, '\n') + 1) {
      size_t lb = (size_t)(strchr(b, '\n') - b);
      if (la == lb && !memcmp(a, b, la)) return 0;
    }
  }
  return 1;
}

/* ---- corpus ---------------------------------------------------------------- */
START_TEST(corpus_state_counts) {
  if (!have_corpus) return;
  char path[8192];
  for (size_t i = 0; i < N_EXPECTED; i++) {
    path_of(path, sizeof path, expected[i].file);
    run_result r = run_path(path, NULL, 1);
    ck_assert_msg(r.states == expected[i].states, "%s: %zu states, expected %zu",
                  expected[i].file, r.states, expected[i].states);
    ck_assert_int_eq(r.status, TI_DONE);
    ck_assert_msg(r.skipped == 0, "%s: %llu records skipped", expected[i].file,
                  (unsigned long long)r.skipped);
    ck_assert(ids_unique(r.ids));
    free(r.ids);
  }
}
END_TEST

START_TEST(corpus_subagents) {
  if (!have_corpus) return;
  static const char *const sub[] = {"subagents=1", NULL};
  char path[8192];
  for (size_t i = 0; i < N_EXPECTED; i++) {
    path_of(path, sizeof path, expected[i].file);
    run_result r = run_path(path, sub, 0);
    ck_assert_msg(r.states == expected[i].with_sub, "%s: %zu states with subagents, expected %zu",
                  expected[i].file, r.states, expected[i].with_sub);
    ck_assert(ids_unique(r.ids));
    free(r.ids);
  }
}
END_TEST

/* A directory walk visits the subagent files too: they must not yield
 * trajectories of their own (no duplicate states), with or without the
 * option. */
START_TEST(corpus_walk_no_duplicates) {
  if (!have_corpus) return;
  static const char *const sub[] = {"subagents=1", NULL};
  size_t base = 0, with = 0;
  for (size_t i = 0; i < N_EXPECTED; i++) base += expected[i].states, with += expected[i].with_sub;
  run_result r = run_path(corpus, NULL, 0);
  ck_assert_uint_eq(r.states, base);
  ck_assert(ids_unique(r.ids));
  free(r.ids);
  r = run_path(corpus, sub, 0);
  ck_assert_uint_eq(r.states, with);
  ck_assert(ids_unique(r.ids));
  free(r.ids);
}
END_TEST

START_TEST(corpus_ids_stable) {
  if (!have_corpus) return;
  char path[8192];
  path_of(path, sizeof path, "ccl_ef958aa1-0e93-49f0-bb71-150f63befcd1.jsonl");
  run_result a = run_path(path, NULL, 0), b = run_path(path, NULL, 0);
  ck_assert_str_eq(a.ids, b.ids);
  ck_assert_ptr_nonnull(strstr(a.ids, "ef958aa1-0e93-49f0-bb71-150f63befcd1:main:msg_"));
  free(a.ids);
  free(b.ids);
}
END_TEST

/* A linear session: every state extends the previous history, so each
 * state shares all earlier messages (messages_offset = previous count). */
START_TEST(corpus_histories_shared) {
  if (!have_corpus) return;
  char path[8192];
  path_of(path, sizeof path, "ccl_cb2e607c-c758-415a-8b45-c49e4631906a.jsonl");
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open(&it, path, NULL), TI_OK);
  const ti_state *s;
  size_t prev = 0, n = 0, extended = 0;
  while (ti_next(&s, it) == TI_OK) {
    if (n++ && ti_state_messages_offset(s) == prev) extended++;
    ck_assert_uint_le(ti_state_messages_offset(s), ti_state_message_count(s));
    prev = ti_state_message_count(s);
  }
  ck_assert_uint_eq(n, 80);
  ck_assert_uint_eq(extended, n - 1);
  ti_free(it);
}
END_TEST

START_TEST(corpus_probe) {
  if (!have_corpus) return;
  char path[8192];
  for (size_t i = 0; i < N_EXPECTED; i++) {
    path_of(path, sizeof path, expected[i].file);
    const char *names[16];
    int scores[16];
    size_t n = 0;
    ck_assert_int_eq(ti_probe_scores(NULL, path, NULL, 0, names, scores, 16, &n), TI_OK);
    int mine = -1, best_other = 0;
    for (size_t k = 0; k < n && k < 16; k++) {
      if (!strcmp(names[k], "claude-code")) mine = scores[k];
      else if (scores[k] > best_other) best_other = scores[k];
    }
    ck_assert_msg(mine >= TI_PROBE_LIKELY, "%s: probe %d", expected[i].file, mine);
    ck_assert_int_gt(mine, best_other);
  }
}
END_TEST

/* ---- corrupted copies ------------------------------------------------------- */
typedef struct err_check {
  size_t len;
  size_t count;
} err_check;

static void on_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                     uint64_t off) {
  err_check *e = user;
  e->count++;
  ck_assert(code < 0);
  ck_assert_ptr_nonnull(msg);
  ck_assert(msg[0] != 0);
  ck_assert_ptr_nonnull(file);
  ck_assert_msg(line >= 1, "error without a line: %s", msg);
  ck_assert_msg(off <= e->len, "offset %llu beyond %zu: %s", (unsigned long long)off, e->len, msg);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static size_t run_memory(const char *buf, size_t len, int strict, size_t *errors) {
  static const char *const sub[] = {"subagents=1", NULL};
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.format = "claude-code";
  o.flags = strict ? TI_OPEN_STRICT : 0;
  o.format_options = sub;
  err_check e = {len, 0};
  o.on_error = on_error;
  o.on_error_user = &e;
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open_memory(&it, buf, len, &o), TI_OK);
  const ti_state *s;
  size_t n = 0;
  int rc;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    const char *js;
    size_t jl;
    ck_assert_int_eq(ti_state_json(&js, &jl, s, TI_JSON_DELTA), TI_OK);
    json_t *j = json_loadb(js, jl, 0, NULL);
    ck_assert_ptr_nonnull(j);
    json_decref(j);
    n++;
  }
  if (strict) ck_assert_msg(rc == TI_DONE || rc == TI_ERR_PARSE || rc == TI_ERR_LIMIT, "rc %d", rc);
  else ck_assert_int_eq(rc, TI_DONE);
  if (rc != TI_DONE) {
    uint64_t line = 0;
    ti_error_position(it, NULL, &line, NULL);
    ck_assert_uint_ge(line, 1);
  }
  ti_free(it);
  if (errors) *errors = e.count;
  return n;
}

static void mutate_and_run(const char *src, size_t len, int rounds) {
  char *b = malloc(len + 64);
  for (int r = 0; r < rounds; r++) {
    /* truncated at a random point (mid-line most of the time) */
    size_t cut = len ? (size_t)(next_rand() % len) : 0;
    run_memory(src, cut, 0, NULL);
    /* bytes flipped */
    memcpy(b, src, len);
    int flips = 1 + (int)(next_rand() % 8);
    for (int k = 0; k < flips && len; k++) b[next_rand() % len] ^= (char)(1u << (next_rand() % 8));
    run_memory(b, len, 0, NULL);
    run_memory(b, len, 1, NULL);
    /* lines concatenated: newlines removed */
    memcpy(b, src, len);
    for (int k = 0; k < 4 && len; k++) {
      size_t at = (size_t)(next_rand() % len);
      char *nl = memchr(b + at, '\n', len - at);
      if (nl) *nl = ' ';
    }
    run_memory(b, len, 0, NULL);
    /* NUL padding over a random span */
    memcpy(b, src, len);
    if (len > 32) {
      size_t at = (size_t)(next_rand() % (len - 32));
      memset(b + at, 0, 1 + next_rand() % 31);
    }
    run_memory(b, len, 0, NULL);
  }
  free(b);
}

static void each_fixture(void (*fn)(const char *path)) {
  const char *data = getenv("TI_TEST_DATA");
  char dir[4096], path[8192];
  snprintf(dir, sizeof dir, "%s/claude-code", data ? data : "tests/data");
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "no fixtures in %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s/input.jsonl", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) == 0) fn(path);
  }
  closedir(d);
}

static void corrupt_one(const char *path) {
  size_t len;
  char *buf = slurp(path, &len);
  ck_assert_ptr_nonnull(buf);
  mutate_and_run(buf, len, len > 200000 ? 3 : 12);
  free(buf);
}

START_TEST(corrupted_copies_fixtures) { each_fixture(corrupt_one); }
END_TEST

START_TEST(corrupted_copies_corpus) {
  if (!have_corpus) return;
  char path[8192];
  for (size_t i = 0; i < N_EXPECTED; i++) {
    path_of(path, sizeof path, expected[i].file);
    corrupt_one(path);
  }
}
END_TEST

/* Concrete damage with known positions. */
START_TEST(damage_positions) {
  static const char good[] =
      "{\"parentUuid\":null,\"type\":\"user\",\"uuid\":\"u1\",\"sessionId\":\"s\","
      "\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n";
  static const char asst[] =
      "{\"parentUuid\":\"u1\",\"type\":\"assistant\",\"uuid\":\"a1\",\"sessionId\":\"s\","
      "\"message\":{\"id\":\"m1\",\"role\":\"assistant\",\"model\":\"claude-x\","
      "\"content\":[{\"type\":\"text\",\"text\":\"yo\"}]}}\n";
  char buf[2048];
  /* line 2 is broken JSON: reported at line 2, offset inside line 2 */
  snprintf(buf, sizeof buf, "%s{\"type\":\"user\",\"uuid\":\n%s", good, asst);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.format = "claude-code";
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open_memory(&it, buf, strlen(buf), &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_id(s), "s:main:m1");
  ck_assert_uint_eq(ti_state_first_line(s), 3);
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  uint64_t line, off;
  ck_assert_int_eq(ti_error_position(it, NULL, &line, &off), TI_ERR_PARSE);
  ck_assert_uint_eq(line, 2);
  ck_assert_uint_ge(off, strlen(good));
  ck_assert_uint_le(off, strlen(good) + 25);
  ck_assert_uint_eq(ti_stat(it, "skipped"), 1);
  ti_free(it);

  /* a torn last line is not an error; its turn (the parent has no
   * stop_reason yet) is held back until the line is complete */
  snprintf(buf, sizeof buf, "%s%s{\"parentUuid\":\"a1\",\"type\":\"us", good, asst);
  ck_assert_int_eq(ti_open_memory(&it, buf, strlen(buf), &o), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_int_eq(ti_errcode(it), TI_OK);
  ck_assert_uint_eq(ti_stat(it, "claude-code.torn_tail"), 1);
  ck_assert_uint_eq(ti_stat(it, "claude-code.incomplete_turns"), 1);
  ti_free(it);
  /* the same file once the line is complete */
  snprintf(buf, sizeof buf, "%s%s{\"parentUuid\":\"a1\",\"type\":\"user\",\"uuid\":\"u3\"}\n",
           good, asst);
  ck_assert_int_eq(ti_open_memory(&it, buf, strlen(buf), &o), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_id(s), "s:main:m1");
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ti_free(it);

  /* a line of 3 MB (one big tool result) is fine */
  size_t big = 3u << 20;
  char *huge = malloc(big + 4096);
  size_t n = (size_t)snprintf(huge, 4096, "%s{\"parentUuid\":\"u1\",\"type\":\"user\",\"uuid\":\"u2\","
                                          "\"message\":{\"role\":\"user\",\"content\":\"", good);
  memset(huge + n, 'x', big);
  n += big;
  n += (size_t)snprintf(huge + n, 4096, "\"}}\n%s", asst);
  ck_assert_uint_eq(run_memory(huge, n, 1, NULL), 1);
  free(huge);
}
END_TEST

/* Unknown format options are refused; every declared key is accepted. */
START_TEST(options_declared) {
  static const char *const ok[] = {"subagents=1", "system_prompt=none",
                                   "thinking_in_student_action=0", "images=placeholder",
                                   "branches=active", "merge_user=0", NULL};
  static const char *const bad[] = {"no_such_option=1", NULL};
  static const char txt[] = "{\"type\":\"summary\",\"summary\":\"x\",\"leafUuid\":\"y\"}\n";
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.format = "claude-code";
  o.format_options = ok;
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open_memory(&it, txt, sizeof txt - 1, &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_uint_eq(ti_stat(it, "claude-code.type.summary"), 1);
  ti_free(it);
  o.format_options = bad;
  ck_assert_int_eq(ti_open_memory(&it, txt, sizeof txt - 1, &o), TI_ERR_INVALID);
  ti_free(it);
}
END_TEST

int main(void) {
  const char *c = getenv("TI_CORPUS_DIR");
  struct stat st;
  if (c) {
    snprintf(corpus, sizeof corpus, "%s/claude_code", c);
    have_corpus = stat(corpus, &st) == 0 && S_ISDIR(st.st_mode);
  }
  Suite *su = suite_create("claude-code");
  TCase *tc = tcase_create("corpus");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, corpus_state_counts);
  tcase_add_test(tc, corpus_subagents);
  tcase_add_test(tc, corpus_walk_no_duplicates);
  tcase_add_test(tc, corpus_ids_stable);
  tcase_add_test(tc, corpus_histories_shared);
  tcase_add_test(tc, corpus_probe);
  tcase_add_test(tc, corrupted_copies_corpus);
  suite_add_tcase(su, tc);
  TCase *tm = tcase_create("memory");
  tcase_set_timeout(tm, 120);
  tcase_add_test(tm, corrupted_copies_fixtures);
  tcase_add_test(tm, damage_positions);
  tcase_add_test(tm, options_declared);
  suite_add_tcase(su, tm);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  if (!have_corpus && !failed) {
    fprintf(stderr, "corpus tests skipped: TI_CORPUS_DIR unset or missing\n");
  }
  return failed ? 1 : 0;
}
