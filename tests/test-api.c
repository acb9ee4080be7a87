/* SPDX-License-Identifier: MIT */
/* The public API as a consumer uses it: options and their ABI rules,
 * opening, iteration, states, detaching, JSON export, errors, registries,
 * probing and directory walks. Links the shared library. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "big-session.h"
#include "lines-format.h"
#include <traceingest/traceingest.h>

static ti_registry *reg;

static void setup(void) {
  ck_assert_int_eq(ti_registry_new(&reg), TI_OK);
  ck_assert_int_eq(ti_registry_add(reg, &lines_format), TI_OK);
}
static void teardown(void) { ti_registry_free(reg); }

static ti_open_options opts_with_reg(void) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.registry = reg;
  return o;
}

/* An iterator over a "test-lines" text, with the test registry (the
 * options are applied at open: the local copy may go). */
static ti_iter *open_text(const char *in, size_t n) {
  ti_open_options o = opts_with_reg();
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open_memory(&it, in, n, &o), TI_OK);
  return it;
}

static const char SAMPLE[] =
    "#traj t1\n"
    "S be brief\n"
    "U fix it\n"
    "C c1 bash {\"cmd\":\"ls\"}\n"
    "A looking\n"
    "T c1 a.txt\n"
    "A done\n";

/* Collect all JSON lines of an iterator. */
/* All states' JSON, one per line (release with ti_mem_free: a ti_buf). */
static char *drain(ti_iter *it, uint32_t flags, int *status, size_t *nstates) {
  ti_buf b = {0};
  const ti_state *s;
  int rc;
  size_t n = 0;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    const char *js;
    size_t len;
    ck_assert_int_eq(ti_state_json(&js, &len, s, flags), TI_OK);
    ti_buf_append(&b, js, len);
    ti_buf_append(&b, "\n", 1);
    n++;
  }
  if (status) *status = rc;
  if (nstates) *nstates = n;
  if (!b.p) ti_buf_append(&b, "", 0);
  return b.p;
}

/* ---- ti_state_json_into ------------------------------------------------------ */
/* Every buffer size from 0 to past the text: the whole text or TI_ERR_LIMIT
 * with the size it needs, never a byte past `cap`; strings that need
 * escapes (control bytes take 6 bytes each) under the worst-case checks. */
START_TEST(json_into_caller_memory) {
  static const char in[] = "#traj tj\x01\n"
                           "S sys \"q\" \\\\ \x01\x02\n"
                           "U user\ttab \xc3\xa9 \x1f\x1f\x1f\n"
                           "A step \x01 one\n"
                           "U more\n"
                           "A two\n";
  ti_iter *it = open_text(in, sizeof in - 1);
  const ti_state *s;
  size_t states = 0;
  static char buf[4096];
  while (ti_next(&s, it) == TI_OK) {
    states++;
    for (uint32_t flags = 0; flags <= TI_JSON_DELTA; flags += TI_JSON_DELTA) {
      char *ref;
      size_t rn, len;
      ck_assert_int_eq(ti_state_dup_json(&ref, &rn, s, flags), TI_OK);
      ck_assert_uint_lt(rn + 64, sizeof buf);
      for (size_t cap = 0; cap <= rn + 2; cap++) {
        memset(buf, '#', sizeof buf);
        len = 12345;
        int rc = ti_state_json_into(buf, cap, &len, s, flags);
        ck_assert_uint_eq(len, rn);
        if (cap >= rn) {
          ck_assert_int_eq(rc, TI_OK);
          ck_assert_int_eq(memcmp(buf, ref, rn), 0);
        } else {
          ck_assert_int_eq(rc, TI_ERR_LIMIT);
        }
        for (size_t i = cap; i < cap + 64; i++) ck_assert_int_eq(buf[i], '#');
      }
      /* the last LIMIT left the text rendered: ti_state_json gives it as is */
      const char *j1, *j2;
      ck_assert_int_eq(ti_state_json_into(buf, 1, &len, s, flags), TI_ERR_LIMIT);
      ck_assert_int_eq(ti_state_json(&j1, &len, s, flags), TI_OK);
      ck_assert_int_eq(ti_state_json(&j2, &len, s, flags), TI_OK);
      ck_assert_ptr_eq(j1, j2);
      ck_assert_uint_eq(len, rn);
      ck_assert_int_eq(memcmp(j1, ref, rn), 0);
      ck_assert_int_eq(ti_state_json_into(NULL, 0, &len, s, flags), TI_ERR_LIMIT);
      ck_assert_uint_eq(len, rn);
      ti_string_free(ref);
    }
    size_t len;
    const char *j;
    ck_assert_int_eq(ti_state_json(&j, &len, s, 0), TI_OK);
    ck_assert_ptr_nonnull(strstr(j, "\"trajectory_id\":\"tj\\u0001\""));
    ck_assert_int_eq(ti_state_json_into(buf, sizeof buf, NULL, s, 0), TI_ERR_INVALID);
    ck_assert_int_eq(ti_state_json_into(NULL, 8, &len, s, 0), TI_ERR_INVALID);
    ck_assert_int_eq(ti_state_json_into(buf, sizeof buf, &len, s, 0x80), TI_ERR_INVALID);
  }
  ck_assert_uint_eq(states, 2);
  size_t len;
  ck_assert_int_eq(ti_state_json_into(buf, sizeof buf, &len, NULL, 0), TI_ERR_INVALID);
  ti_free(it);
}
END_TEST

/* ---- options ------------------------------------------------------------ */
START_TEST(options_init_and_size_rules) {
  ti_open_options o;
  ck_assert_int_eq(ti_open_options_init(&o, sizeof o), TI_OK);
  ck_assert_uint_eq(o.size, sizeof o);
  ck_assert_int_eq(ti_open_options_init(&o, 8), TI_ERR_INVALID);
  ck_assert_int_eq(ti_open_options_init(NULL, sizeof o), TI_ERR_INVALID);

  ti_iter *it = NULL;
  o.size = 8; /* an older or uninitialised struct */
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_ERR_VERSION);
  ck_assert_ptr_nonnull(it);
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "options.size"));
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_ERR_VERSION); /* sticky */
  ti_free(it);

  /* a caller built against the older, smaller layout (before `threads`) */
  ti_open_options old;
  ck_assert_int_eq(ti_open_options_init(&old, offsetof(ti_open_options, threads)), TI_OK);
  ck_assert_uint_eq(old.size, offsetof(ti_open_options, threads));
  old.registry = reg;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &old), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ti_free(it);

  /* a caller built against a newer header: zero tail accepted, non-zero refused */
  struct {
    ti_open_options o;
    uint64_t future[4];
  } big;
  memset(&big, 0, sizeof big);
  big.o.size = sizeof big;
  big.o.registry = reg;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &big.o), TI_OK);
  ti_free(it);
  big.future[2] = 1;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &big.o), TI_ERR_VERSION);
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "newer"));
  ti_free(it);
}
END_TEST

START_TEST(options_invalid_values) {
  ti_iter *it = NULL;
  ti_open_options o = opts_with_reg();
  o.flags = 1u << 30;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_ERR_INVALID);
  ti_free(it);
  o = opts_with_reg();
  o.reserved0 = 7;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_ERR_INVALID);
  ti_free(it);
  o = opts_with_reg();
  o.min_probe_score = 101;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_ERR_INVALID);
  ti_free(it);
  o = opts_with_reg();
  o.format = "no-such-format";
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_ERR_FORMAT_UNKNOWN);
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "test-lines"));   /* lists the known names */
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "claude-code"));
  ti_free(it);
  const char *bad[] = {"no_such_key=1", NULL};
  o = opts_with_reg();
  o.format_options = bad;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "no_such_key"));
  ti_free(it);
  const char *good[] = {"lines_flag=1", NULL};
  o.format_options = good;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_OK);
  ti_free(it);
  ck_assert_int_eq(ti_open_memory(NULL, SAMPLE, 1, NULL), TI_ERR_INVALID);
}
END_TEST

/* ---- iteration and states ------------------------------------------------ */
START_TEST(iterate_states) {
  ti_open_options o = opts_with_reg();
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_OK);
  ck_assert_str_eq(ti_format_name(it), "test-lines");
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_id(s), "t1:0");
  ck_assert_str_eq(ti_state_trajectory_id(s), "t1");
  ck_assert_str_eq(ti_state_format(s), "test-lines");
  ck_assert_str_eq(ti_state_source_model(s), "test-model");
  ck_assert_ptr_null(ti_state_file(s)); /* memory input */
  ck_assert_uint_eq(ti_state_first_line(s), 5);
  ck_assert_uint_eq(ti_state_message_count(s), 2);
  ck_assert_str_eq(ti_message_role(ti_state_message(s, 0)), "system");
  ck_assert_str_eq(ti_message_content(ti_state_message(s, 1), NULL), "fix it");
  ck_assert_ptr_null(ti_state_message(s, 2));
  const ti_message *a = ti_state_action(s);
  ck_assert_str_eq(ti_message_role(a), "assistant");
  ck_assert_uint_eq(ti_message_tool_call_count(a), 1);
  const char *id, *name, *args;
  ck_assert_int_eq(ti_message_tool_call(a, 0, &id, &name, &args), TI_OK);
  ck_assert_str_eq(id, "c1");
  ck_assert_str_eq(name, "bash");
  ck_assert_str_eq(args, "{\"cmd\":\"ls\"}");
  const char *id_again;
  ck_assert_int_eq(ti_message_tool_call(a, 0, &id_again, NULL, NULL), TI_OK);
  ck_assert_ptr_eq(id_again, id); /* decoded once, from the message JSON */
  ck_assert_int_eq(ti_message_tool_call(a, 1, &id, NULL, NULL), TI_ERR_INVALID);
  size_t n;
  ck_assert_str_eq(ti_state_student_action(s, &n), "looking");
  ck_assert_uint_eq(n, 7);
  ck_assert_str_eq(ti_state_metadata_json(s, NULL), "{\"line\":5}");
  const char *cj = ti_message_content_json(ti_state_message(s, 1), &n);
  ck_assert_int_eq((int)n, 8);
  ck_assert_int_eq(memcmp(cj, "\"fix it\"", 8), 0);
  const char *js;
  ck_assert_int_eq(ti_state_json(&js, &n, s, 0), TI_OK);
  ck_assert_str_eq(js,
      "{\"state_id\":\"t1:0\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
      "{\"role\":\"user\",\"content\":\"fix it\"}],\"action\":{\"role\":\"assistant\",\"content\":"
      "\"looking\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":"
      "\"bash\",\"arguments\":\"{\\\"cmd\\\":\\\"ls\\\"}\"}}]},\"student_action\":\"looking\","
      "\"trajectory_id\":\"t1\",\"format\":\"test-lines\",\"source_model\":\"test-model\","
      "\"file\":null,\"first_line\":5,\"last_line\":5,\"metadata\":{\"line\":5}}");
  ck_assert_uint_eq(strlen(js), n);

  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_uint_eq(ti_state_message_count(s), 4);
  ck_assert_str_eq(ti_message_tool_call_id(ti_state_message(s, 3)), "c1");
  ck_assert_uint_eq(ti_state_messages_offset(s), 2);
  ck_assert_int_eq(ti_state_json(&js, &n, s, TI_JSON_DELTA), TI_OK);
  ck_assert_ptr_nonnull(strstr(js, "\"messages\":[{\"role\":\"assistant\""));
  ck_assert_ptr_nonnull(strstr(js, "\"messages_offset\":2"));
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_int_eq(ti_next(&s, it), TI_DONE); /* sticky */
  ck_assert_ptr_null(s);
  ck_assert_uint_eq(ti_stat(it, "states"), 2);
  ck_assert_uint_eq(ti_stat(it, "records"), 7);
  ck_assert_uint_eq(ti_stat(it, "trajectories"), 1);
  ck_assert_uint_eq(ti_stat(it, "messages"), 5);
  ck_assert_uint_eq(ti_stat(it, "no-such-counter"), 0);
  const char *sj;
  ck_assert_int_eq(ti_stats_json(it, &sj, NULL), TI_OK);
  ck_assert_ptr_nonnull(strstr(sj, "\"states\":2"));
  ck_assert_int_eq(ti_state_json(&js, &n, s, 0), TI_ERR_INVALID); /* s is NULL */
  ti_free(it);
  ti_free(NULL);
}
END_TEST

/* History rewrites: offsets are the common prefix with the previous state. */
START_TEST(rewrite_and_delta_offsets) {
  static const char in[] = "#traj r\nU one\nA a1\nU two\nA a2\nR 1\nU three\nA a3\n#traj q\nU x\nA y\n";
  ti_iter *it = open_text(in, sizeof in - 1);
  const ti_state *s;
  size_t expect_count[] = {1, 3, 2, 1}, expect_off[] = {0, 1, 1, 0};
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(ti_next(&s, it), TI_OK);
    ck_assert_uint_eq(ti_state_message_count(s), expect_count[i]);
    ck_assert_uint_eq(ti_state_messages_offset(s), expect_off[i]);
  }
  ck_assert_str_eq(ti_message_content(ti_state_message(s, 0), NULL), "x");
  ck_assert_str_eq(ti_state_trajectory_id(s), "q");
  ti_free(it);
}
END_TEST

/* Content taken from JSON string literals: canonical ones are copied,
 * others re-encoded; the decoded text is the same either way. */
START_TEST(content_from_json_literals) {
  static const char in[] = "#traj j\n"
                           "J \"tab\\there \\\"q\\\" \\u001f caf\xC3\xA9\"\n"
                           "J \"a\\/b \\u00e9 \\u0041 \\n\"\n"
                           "A ok\n";
  ti_iter *it = open_text(in, sizeof in - 1);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  size_t n;
  const ti_message *m0 = ti_state_message(s, 0), *m1 = ti_state_message(s, 1);
  ck_assert_str_eq(ti_message_json(m0, &n),
                   "{\"role\":\"user\",\"content\":\"tab\\there \\\"q\\\" \\u001f caf\xC3\xA9\"}");
  ck_assert_str_eq(ti_message_content(m0, &n), "tab\there \"q\" \x1f caf\xC3\xA9");
  ck_assert_uint_eq(n, strlen("tab\there \"q\" \x1f caf\xC3\xA9"));
  ck_assert_str_eq(ti_message_json(m1, NULL),
                   "{\"role\":\"user\",\"content\":\"a/b \xC3\xA9 A \\n\"}");
  ck_assert_str_eq(ti_message_content(m1, NULL), "a/b \xC3\xA9 A \n");
  ck_assert_ptr_eq(ti_message_content(m1, NULL), ti_message_content(m1, NULL)); /* decoded once */
  ti_free(it);
}
END_TEST

/* Content parts from a JSON array: a parsed one is stored compact and
 * canonical; one the plugin wrote compact (TI_JV_CANONICAL) as it is. The
 * same parts either way make the same (interned) message. */
START_TEST(content_parts_from_json_arrays) {
  static const char in[] = "#traj p\n"
                           "J [ {\"type\": \"text\", \"text\": \"caf\\u00e9\"} ,\"x\" ]\n"
                           "P [{\"type\":\"text\",\"text\":\"caf\xC3\xA9\"},\"x\"]\n"
                           "A ok\n";
  ti_iter *it = open_text(in, sizeof in - 1);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_uint_eq(ti_state_message_count(s), 2);
  const ti_message *m0 = ti_state_message(s, 0), *m1 = ti_state_message(s, 1);
  size_t n;
  const char *want = "[{\"type\":\"text\",\"text\":\"caf\xC3\xA9\"},\"x\"]";
  const char *cj = ti_message_content_json(m0, &n);
  ck_assert_uint_eq(n, strlen(want));
  ck_assert_int_eq(memcmp(cj, want, n), 0);
  ck_assert_str_eq(ti_message_json(m0, NULL),
                   "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"caf\xC3\xA9\"},\"x\"]}");
  ck_assert_ptr_null(ti_message_content(m0, NULL)); /* parts, not text */
  ck_assert_ptr_eq(m1, m0);                         /* interned: the same message */
  ck_assert_uint_eq(ti_stat(it, "messages"), 2);    /* the parts and the assistant */
  ti_free(it);
}
END_TEST

/* Content given as JSON text: an array is stored compact, a string is text
 * content, null is no content, anything invalid is refused. */
/* The iterator's next state, which must have n messages before its action. */
static const ti_state *next_with(ti_iter *it, size_t n) {
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_uint_eq(ti_state_message_count(s), n);
  return s;
}

START_TEST(content_from_json_text) {
  static const char in[] = "#traj q\n"
                           "Q [ {\"type\" : \"text\", \"text\": \"a\\u0062\"} ]\n"
                           "Q \"plain \\\"text\\\"\"\n"
                           "Q null\n"
                           "Q [1,\n"
                           "A ok\n";
  ti_iter *it = open_text(in, sizeof in - 1);
  const ti_state *s = next_with(it, 3);
  ck_assert_str_eq(ti_message_json(ti_state_message(s, 0), NULL),
                   "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"ab\"}]}");
  ck_assert_str_eq(ti_message_content(ti_state_message(s, 1), NULL), "plain \"text\"");
  ck_assert_str_eq(ti_message_json(ti_state_message(s, 2), NULL),
                   "{\"role\":\"user\",\"content\":null}");
  ck_assert_uint_eq(ti_stat(it, "skipped"), 1); /* the invalid one */
  ti_free(it);
}
END_TEST

/* Tool-call arguments given as a JSON value come out as the compact
 * canonical text of that value, exactly as if given as that text. */
START_TEST(tool_call_arguments_from_json_values) {
  static const char as_values[] =
      "#traj t\nU q\n"
      "V c1 f {\"b\": [1, \"x\\u0041\\\"\"], \"a\":\"\xc3\xa9\\\\\", \"/\":\"\\/\"}\n"
      "W c2 g {\"k\":\"v\\\"w\\\\\",\"n\":[\"\xe2\x82\xac\"]}\n"
      "V c3 h \"just a string\"\n"
      "V c4 i 42\n"
      "V c5 j not json\n"
      "W c6 k [\"a long array to go past the 32-byte blocks\",\"\\\"q\\\"\",\"\\\\\\\\\"]\n"
      "A done\n";
  static const char as_text[] =
      "#traj t\nU q\n"
      "C c1 f {\"b\":[1,\"xA\\\"\"],\"a\":\"\xc3\xa9\\\\\",\"/\":\"/\"}\n"
      "C c2 g {\"k\":\"v\\\"w\\\\\",\"n\":[\"\xe2\x82\xac\"]}\n"
      "C c3 h \"just a string\"\n"
      "C c4 i 42\n"
      "C c5 j {}\n"
      "C c6 k [\"a long array to go past the 32-byte blocks\",\"\\\"q\\\"\",\"\\\\\\\\\"]\n"
      "A done\n";
  ti_iter *a = open_text(as_values, sizeof as_values - 1);
  ti_iter *b = open_text(as_text, sizeof as_text - 1);
  const ti_state *sa, *sb;
  ck_assert_int_eq(ti_next(&sa, a), TI_OK);
  ck_assert_int_eq(ti_next(&sb, b), TI_OK);
  const ti_message *ma = ti_state_action(sa), *mb = ti_state_action(sb);
  ck_assert_uint_eq(ti_message_tool_call_count(ma), 6);
  const char *args;
  ck_assert_int_eq(ti_message_tool_call(ma, 0, NULL, NULL, &args), TI_OK);
  ck_assert_str_eq(args, "{\"b\":[1,\"xA\\\"\"],\"a\":\"\xc3\xa9\\\\\",\"/\":\"/\"}");
  ck_assert_int_eq(ti_message_tool_call(ma, 1, NULL, NULL, &args), TI_OK);
  ck_assert_str_eq(args, "{\"k\":\"v\\\"w\\\\\",\"n\":[\"\xe2\x82\xac\"]}");
  ck_assert_int_eq(ti_message_tool_call(ma, 2, NULL, NULL, &args), TI_OK);
  ck_assert_str_eq(args, "\"just a string\"");
  ck_assert_int_eq(ti_message_tool_call(ma, 3, NULL, NULL, &args), TI_OK);
  ck_assert_str_eq(args, "42");
  ck_assert_int_eq(ti_message_tool_call(ma, 4, NULL, NULL, &args), TI_OK);
  ck_assert_str_eq(args, "{}");
  ck_assert_str_eq(ti_message_json(ma, NULL), ti_message_json(mb, NULL));
  ti_free(a);
  ti_free(b);
}
END_TEST

/* Content parts in pieces (ti_emit_msg_content_spans) make the same
 * message as the same JSON in one; too many pieces, or pieces that are
 * not an array, are refused. */
START_TEST(content_parts_from_pieces) {
  static const char in[] = "#traj y\n"
                           "Y [{\"type\":\"text\",\"text\":\"he|llo\"}|,{\"type\":\"text\",\"text\":\"|\"}||]\n"
                           "Q [{\"type\":\"text\",\"text\":\"hello\"},{\"type\":\"text\",\"text\":\"\"}]\n"
                           "Y {\"not\":\"an array\"}\n"
                           "Y [|||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||]\n"
                           "Y [||]\n"
                           "A ok\n";
  ti_iter *it = open_text(in, sizeof in - 1);
  const ti_state *s = next_with(it, 3);
  ck_assert_str_eq(ti_message_json(ti_state_message(s, 0), NULL),
                   "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello\"},"
                   "{\"type\":\"text\",\"text\":\"\"}]}");
  ck_assert_ptr_eq(ti_state_message(s, 0), ti_state_message(s, 1)); /* one node */
  size_t cl;
  const char *cj = ti_message_content_json(ti_state_message(s, 2), &cl);
  ck_assert_uint_eq(cl, 2);
  ck_assert_int_eq(memcmp(cj, "[]", 2), 0);
  ck_assert_uint_eq(ti_stat(it, "skipped"), 2); /* not an array; 65 pieces */
  ti_free(it);
}
END_TEST

/* Metadata members from an object: a parsed one is written member by
 * member in compact canonical form; a canonical one is spliced as is. */
START_TEST(metadata_members_from_objects) {
  static const char in[] = "#traj m\n"
                           "M { \"a\" : [1, 2], \"b\": \"x\\u0041\", \"c\\u0064\": {} }\n"
                           "A one\n"
                           "N {\"k\":\"v\",\"n\":null}\n"
                           "A two\n"
                           "N {}\n"
                           "A three\n";
  ti_iter *it = open_text(in, sizeof in - 1);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_metadata_json(s, NULL), "{\"line\":3,\"a\":[1,2],\"b\":\"xA\",\"cd\":{}}");
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_metadata_json(s, NULL), "{\"line\":5,\"k\":\"v\",\"n\":null}");
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_metadata_json(s, NULL), "{\"line\":7}");
  ti_free(it);
}
END_TEST

START_TEST(dup_outlives_iterator) {
  ti_open_options o = opts_with_reg();
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_OK);
  const ti_state *s;
  ti_state *d1, *d2;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(ti_state_dup(&d1, s), TI_OK);
  ti_state_free((ti_state *)s); /* borrowed: refused, s stays valid */
  ck_assert_str_eq(ti_state_id(s), "t1:0");
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(ti_state_dup(&d2, s), TI_OK);
  char *json1 = NULL;
  size_t n1;
  ck_assert_int_eq(ti_state_dup_json(&json1, &n1, d1, 0), TI_OK);
  ti_free(it);
  ck_assert_str_eq(ti_state_id(d1), "t1:0");
  ck_assert_str_eq(ti_state_id(d2), "t1:1");
  ck_assert_uint_eq(ti_state_message_count(d2), 4);
  ck_assert_str_eq(ti_message_content(ti_state_message(d2, 2), NULL), "looking");
  const char *js;
  size_t n;
  ck_assert_int_eq(ti_state_json(&js, &n, d1, 0), TI_OK);
  ck_assert_uint_eq(n, n1);
  ck_assert_int_eq(memcmp(js, json1, n), 0);
  ti_string_free(json1);
  ti_state *d3;
  ck_assert_int_eq(ti_state_dup(&d3, d2), TI_OK); /* dup of an owned state */
  ti_state_free(d2);
  ck_assert_uint_eq(ti_state_message_count(d3), 4);
  ti_state_free(d3);
  ti_state_free(d1);
  ti_state_free(NULL);
  ck_assert_int_eq(ti_state_dup(&d1, NULL), TI_ERR_INVALID);
  ck_assert_int_eq(ti_state_dup_json(NULL, NULL, NULL, 0), TI_ERR_INVALID);
}
END_TEST

/* reasoning_content is decoded from the action's JSON when asked, once:
 * in memory, and mapped with the content left in the file (the reasoning
 * then comes after it); history messages have none; a signature-only
 * thinking block gives "" (present, empty). */
START_TEST(reasoning_decoded_on_access) {
  char dir[] = "/tmp/ti-reason-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[256];
  snprintf(p, sizeof p, "%s/s.jsonl", dir);
  for (int big = 0; big < 2; big++) {
    int turns = big ? 800 : 3;
    write_session(p, turns, big ? 3000 : 10, 1);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_size > (4 << 20), big);
    ti_open_options o = TI_OPEN_OPTIONS_INIT;
    o.flags = TI_OPEN_MMAP;
    ti_iter *it;
    ck_assert_int_eq(ti_open(&it, p, &o), TI_OK);
    const ti_state *s;
    ti_state *kept = NULL;
    int n = 0;
    while (ti_next(&s, it) == TI_OK) {
      n++;
      char want[32], member[64];
      snprintf(want, sizeof want, "think %d\"\n", n);
      snprintf(member, sizeof member, "\"reasoning_content\":\"think %d\\\"\\n\"}", n);
      const ti_message *a = ti_state_action(s);
      size_t len = 99, jl;
      const char *r = ti_message_reasoning(a, &len);
      ck_assert_ptr_nonnull(r);
      ck_assert_str_eq(r, want);
      ck_assert_uint_eq(len, strlen(want));
      ck_assert_ptr_eq(ti_message_reasoning(a, NULL), r); /* made once */
      const char *js = ti_message_json(a, &jl);
      ck_assert_ptr_nonnull(strstr(js, member));
      for (size_t i = 0; i < ti_state_message_count(s); i++) {
        const ti_message *m = ti_state_message(s, i);
        len = 99;
        ck_assert_ptr_null(ti_message_reasoning(m, &len));
        ck_assert_uint_eq(len, 0);
      }
      if (n == 2) ck_assert_int_eq(ti_state_dup(&kept, s), TI_OK);
    }
    ck_assert_int_eq(n, turns);
    ti_free(it);
    /* detached, the iterator gone: the first access is now */
    size_t len;
    ck_assert_str_eq(ti_message_reasoning(ti_state_action(kept), &len), "think 2\"\n");
    ti_state_free(kept);
  }
  unlink(p);
  rmdir(dir);
  /* signature-only thinking */
  const char *data = getenv("TI_TEST_DATA");
  if (!data) return;
  snprintf(p, sizeof p, "%s/claude-code/empty-thinking/input.jsonl", data);
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, p, NULL), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  size_t len = 99;
  const char *r = ti_message_reasoning(ti_state_action(s), &len);
  ck_assert_ptr_nonnull(r);
  ck_assert_str_eq(r, "");
  ck_assert_uint_eq(len, 0);
  ti_free(it);
}
END_TEST

/* 1 when p lies in a mapping of the file at path (/proc/self/maps). */
static int in_file_mapping(const void *p, const char *path) {
  char real[4096], line[8192];
  if (!realpath(path, real)) return 0;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return 0;
  int found = 0;
  while (!found && fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char *name = strchr(line, '/');
    if (!name || sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
    name[strcspn(name, "\n")] = '\0';
    found = strcmp(name, real) == 0 && (uintptr_t)p >= lo && (uintptr_t)p < hi;
  }
  fclose(f);
  return found;
}

/* Every state of the file or directory at path as delta JSON, opened
 * with `flags` and `threads`. */
static char *drain_path(const char *path, uint32_t flags, uint32_t threads, size_t *nstates) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.flags = flags;
  o.threads = threads;
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, path, &o), TI_OK);
  int rc;
  char *out = drain(it, TI_JSON_DELTA, &rc, nstates);
  ck_assert_int_eq(rc, TI_DONE);
  ti_free(it);
  return out;
}

/* The second state of the file or directory at path, opened with `flags`,
 * kept (ti_state_dup) past the iterator, which is freed. */
static ti_state *second_state(const char *path, uint32_t flags) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.flags = flags;
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, path, &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ti_state *d;
  ck_assert_int_eq(ti_state_dup(&d, s), TI_OK);
  ti_free(it); /* d keeps what it needs, the mapping too */
  return d;
}

/* Mapped (TI_OPEN_MMAP, a file over 4 MiB) and read, the same states; a
 * mapped file's contents are not copied, so states (even detached ones,
 * after ti_free) must still read them, and the accessors give them. */
START_TEST(mapped_file_contents_outlive_iterator) {
  char dir[] = "/tmp/ti-map-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[256];
  snprintf(p, sizeof p, "%s/s.jsonl", dir);
  write_big_session(p, 800, 3000);
  struct stat st;
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_gt(st.st_size, 4 << 20);
  char *out[2];
  size_t n[2];
  ti_state *last = NULL;
  for (int mapped = 0; mapped < 2; mapped++) {
    uint32_t flags = mapped ? TI_OPEN_MMAP : TI_OPEN_NO_MMAP;
    out[mapped] = drain_path(p, flags, 0, &n[mapped]);
    ti_state *d = second_state(p, flags);
    ck_assert_uint_eq(ti_state_message_count(d), 4); /* system, user, assistant, user */
    const ti_message *u = ti_state_message(d, 3);
    size_t len, jlen, clen;
    const char *text = ti_message_content(u, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(len, 3 + 3000 + 3); /* "q2 " + pad + "\n" + U+00E9 */
    ck_assert_int_eq(memcmp(text, "q2 abc", 6), 0);
    ck_assert_int_eq(memcmp(text + len - 3, "\n\xc3\xa9", 3), 0);
    const char *cj = ti_message_content_json(u, &clen);
    ck_assert_int_eq(memcmp(cj, "\"q2 abc", 7), 0);
    ck_assert_int_eq(memcmp(cj + clen - 5, "\\n\xc3\xa9\"", 5), 0);
    const char *mj = ti_message_json(u, &jlen);
    ck_assert_uint_eq(jlen, strlen(mj));
    ck_assert_int_eq(strncmp(mj, "{\"role\":\"user\",\"content\":\"q2 abc", 32), 0);
    ck_assert_int_eq(strcmp(mj + jlen - 6, "\\n\xc3\xa9\"}"), 0);
    ck_assert_ptr_eq(ti_message_json(u, NULL), mj); /* made once */
    /* the content JSON is not copied into the message JSON: mapped, it is
     * the file's own bytes; read, the read buffer's, which the state keeps */
    const char *in_mj = mj + strlen("{\"role\":\"user\",\"content\":");
    ck_assert_ptr_ne(cj, in_mj);
    ck_assert_int_eq(in_file_mapping(cj, p), mapped);
    const ti_message *a = ti_state_action(d);
    ck_assert_int_eq(memcmp(ti_message_content(a, NULL), "r2 abc", 6), 0);
    if (last) {
      char *j0, *j1;
      ck_assert_int_eq(ti_state_dup_json(&j0, &len, last, 0), TI_OK);
      ck_assert_int_eq(ti_state_dup_json(&j1, &clen, d, 0), TI_OK);
      ck_assert_uint_eq(len, clen);
      ck_assert_int_eq(memcmp(j0, j1, len), 0);
      ti_string_free(j0);
      ti_string_free(j1);
      ti_state_free(last);
      ti_state_free(d);
    } else {
      last = d;
    }
  }
  ck_assert_uint_eq(n[0], 800);
  ck_assert_uint_eq(n[1], 800);
  ck_assert_str_eq(out[0], out[1]);
  ti_mem_free(out[0]);
  ti_mem_free(out[1]);
  /* two of them in a directory, on worker threads: the same again */
  char q[256];
  snprintf(q, sizeof q, "%s/t.jsonl", dir);
  write_big_session(q, 700, 3100);
  /* read on one thread, read on two (each read buffer lent to the log the
   * other thread hands out), mapped on two */
  static const struct {
    uint32_t flags, threads;
  } runs[] = {{TI_OPEN_NO_MMAP, 1}, {TI_OPEN_NO_MMAP, 2}, {TI_OPEN_MMAP, 2}};
  char *w[3];
  for (int r = 0; r < 3; r++) {
    size_t k;
    w[r] = drain_path(dir, runs[r].flags, runs[r].threads, &k);
    ck_assert_uint_eq(k, 1500);
  }
  ck_assert_str_eq(w[0], w[1]);
  ck_assert_str_eq(w[0], w[2]);
  for (int r = 0; r < 3; r++) ti_mem_free(w[r]);
  unlink(p);
  unlink(q);
  rmdir(dir);
}
END_TEST

/* With TI_OPEN_MMAP, where a session's contents are: copied into the
 * message JSON, left in the file's mapping, or left in the read buffer (the
 * second state's second user message is looked at, see above). */
enum { IN_MESSAGE, IN_MAPPING, IN_READ_BUFFER };
static int contents_where(const char *path) {
  ti_state *s = second_state(path, TI_OPEN_MMAP);
  const ti_message *u = ti_state_message(s, 3);
  size_t clen, jlen;
  const char *cj = ti_message_content_json(u, &clen);
  const char *mj = ti_message_json(u, &jlen);
  ck_assert_int_eq(memcmp(cj, "\"q2 ", 4), 0);
  int where = cj == mj + strlen("{\"role\":\"user\",\"content\":") ? IN_MESSAGE
              : in_file_mapping(cj, path)                             ? IN_MAPPING
                                                                      : IN_READ_BUFFER;
  ti_state_free(s);
  return where;
}

/* Same states mapped or read. */
static void check_map_same(const char *path, size_t states) {
  char *out[2];
  for (int mapped = 0; mapped < 2; mapped++) {
    size_t n;
    out[mapped] = drain_path(path, mapped ? TI_OPEN_MMAP : TI_OPEN_NO_MMAP, 0, &n);
    ck_assert_uint_eq(n, states);
  }
  ck_assert_str_eq(out[0], out[1]);
  ti_mem_free(out[0]);
  ti_mem_free(out[1]);
}

/* TI_OPEN_MMAP maps sessions of 64 KiB and more, after a probe that reads
 * only its window: under 64 KiB a file is read; from 64 KiB it is mapped
 * (into a map region under 4 MiB, on its own from 4 MiB), also with a BOM
 * and with a first line longer than the first window. */
START_TEST(mapped_after_probe_window) {
  char dir[] = "/tmp/ti-mapw-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[256], q[256];
  snprintf(p, sizeof p, "%s/s.jsonl", dir);
  snprintf(q, sizeof q, "%s/bom.jsonl", dir);
  struct stat st;
  write_big_session(p, 8, 3000);
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_lt(st.st_size, 64 << 10);
  ck_assert_int_eq(contents_where(p), IN_MESSAGE);
  check_map_same(p, 8);
  write_big_session(p, 13, 3000);
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_ge(st.st_size, 64 << 10);
  ck_assert_int_eq(contents_where(p), IN_MAPPING);
  check_map_same(p, 13);
  write_big_session(p, 600, 3000);
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_lt(st.st_size, 4 << 20);
  ck_assert_int_eq(contents_where(p), IN_MAPPING);
  check_map_same(p, 600);
  write_big_session(p, 240, 9000); /* first line ~9 KB: the probe window grows */
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_ge(st.st_size, 4 << 20);
  ck_assert_int_eq(contents_where(p), IN_MAPPING);
  check_map_same(p, 240);
  /* the same file after a BOM */
  FILE *in = fopen(p, "rb"), *out = fopen(q, "wb");
  ck_assert_ptr_nonnull(in);
  ck_assert_ptr_nonnull(out);
  fputs("\xEF\xBB\xBF", out);
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, in)) > 0) ck_assert_uint_eq(fwrite(buf, 1, k, out), k);
  fclose(in);
  ck_assert_int_eq(fclose(out), 0);
  ck_assert_int_eq(contents_where(q), IN_MAPPING);
  check_map_same(q, 240);
  unlink(p);
  unlink(q);
  rmdir(dir);
}
END_TEST

/* Files from 64 KiB to 4 MiB are mapped side by side into map regions of
 * 8 MiB, unmapped when all their files are released: a directory of more
 * than one region's worth gives the same states mapped and read, on one
 * thread and on two, and a state detached from the first file keeps its
 * contents (and their region) after the iterator and the other regions
 * are gone. */
START_TEST(mapped_regions_directory) {
  char dir[] = "/tmp/ti-mapr-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[256];
  enum { FILES = 12 };
  off_t total = 0;
  for (int i = 0; i < FILES; i++) {
    snprintf(p, sizeof p, "%s/s%02d.jsonl", dir, i);
    write_big_session(p, 90 + i, 6000);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_lt(st.st_size, 4 << 20);
    total += st.st_size;
  }
  ck_assert_int_gt(total, 9 << 20); /* more than one region */
  static const struct {
    uint32_t flags, threads;
  } runs[] = {{TI_OPEN_NO_MMAP, 1}, {TI_OPEN_MMAP, 1}, {TI_OPEN_MMAP, 2}};
  ti_state *kept = second_state(dir, TI_OPEN_MMAP); /* the first file's */
  snprintf(p, sizeof p, "%s/s00.jsonl", dir);
  char *w[3];
  for (int r = 0; r < 3; r++) {
    size_t k;
    w[r] = drain_path(dir, runs[r].flags, runs[r].threads, &k);
    ck_assert_uint_eq(k, (size_t)FILES * 90 + FILES * (FILES - 1) / 2);
  }
  ck_assert_str_eq(w[0], w[1]);
  ck_assert_str_eq(w[0], w[2]);
  for (int r = 0; r < 3; r++) ti_mem_free(w[r]);
  const ti_message *u = ti_state_message(kept, 3);
  size_t len;
  const char *cj = ti_message_content_json(u, &len);
  ck_assert_int_eq(memcmp(cj, "\"q2 abc", 7), 0);
  ck_assert_int_eq(in_file_mapping(cj, p), 1);
  ck_assert_int_eq(memcmp(ti_message_content(ti_state_action(kept), NULL), "r2 abc", 6), 0);
  ti_state_free(kept);
  ck_assert_int_eq(in_file_mapping(cj, p), 0); /* its region is gone with it */
  for (int i = 0; i < FILES; i++) {
    snprintf(p, sizeof p, "%s/s%02d.jsonl", dir, i);
    unlink(p);
  }
  rmdir(dir);
}
END_TEST

/* ---- errors ---------------------------------------------------------------- */
typedef struct seen {
  int n, code;
  uint64_t line;
  char file[64];
} seen;

static void record_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                         uint64_t off) {
  (void)msg, (void)off;
  seen *e = user;
  e->n++;
  e->code = code;
  e->line = line;
  snprintf(e->file, sizeof e->file, "%s", file);
}

START_TEST(malformed_records_skipped_or_fatal) {
  static const char in[] = "#traj e\nU hi\nX broken\nA ok\n";
  seen e = {0, 0, 0, ""};
  ti_open_options o = opts_with_reg();
  o.on_error = record_error;
  o.on_error_user = &e;
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, in, sizeof in - 1, &o), TI_OK);
  size_t n;
  int rc;
  ti_mem_free(drain(it, 0, &rc, &n));
  ck_assert_int_eq(rc, TI_DONE);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(e.n, 1);
  ck_assert_int_eq(e.code, TI_ERR_PARSE);
  ck_assert_uint_eq(e.line, 3);
  ck_assert_str_eq(e.file, "<memory>");
  ck_assert_uint_eq(ti_stat(it, "skipped"), 1);
  uint64_t line, off, rec;
  ck_assert_int_eq(ti_error_position(it, &rec, &line, &off), TI_ERR_PARSE);
  ck_assert_uint_eq(line, 3);
  ck_assert_uint_eq(off, 13);
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "<memory>:3: malformed: broken"));
  ti_free(it);

  o.flags = TI_OPEN_STRICT;
  ck_assert_int_eq(ti_open_memory(&it, in, sizeof in - 1, &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_ERR_PARSE);
  ck_assert_int_eq(ti_next(&s, it), TI_ERR_PARSE); /* sticky */
  ti_free(it);

  static const char fatal[] = "#traj f\nU hi\nA one\nF stop\nA two\n";
  o.flags = 0;
  ck_assert_int_eq(ti_open_memory(&it, fatal, sizeof fatal - 1, &o), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "fatal: stop"));
  ck_assert_int_eq(ti_next(&s, it), TI_ERR_PARSE);
  ti_free(it);
}
END_TEST

START_TEST(record_limit_bom_crlf) {
  static const char in[] = "\xEF\xBB\xBF#traj b\r\nU hi\r\nU this line is far too long for the limit\r\nA ok\r\n";
  seen e = {0, 0, 0, ""};
  ti_open_options o = opts_with_reg();
  o.max_record_bytes = 30;
  o.on_error = record_error;
  o.on_error_user = &e;
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, in, sizeof in - 1, &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_str_eq(ti_state_trajectory_id(s), "b");
  ck_assert_uint_eq(ti_state_message_count(s), 1);
  ck_assert_str_eq(ti_message_content(ti_state_message(s, 0), NULL), "hi");
  ck_assert_int_eq(e.code, TI_ERR_LIMIT);
  ck_assert_uint_eq(e.line, 3);
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ti_free(it);
}
END_TEST

START_TEST(open_errors_keep_a_handle) {
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open(&it, "/nonexistent/trace.jsonl", NULL), TI_ERR_IO);
  ck_assert_ptr_nonnull(it);
  ck_assert_int_eq(ti_errcode(it), TI_ERR_IO);
  ck_assert_str_eq(ti_error_file(it), "/nonexistent/trace.jsonl");
  ti_free(it);
  ck_assert_int_eq(ti_open(&it, NULL, NULL), TI_ERR_INVALID);
  ti_free(it);
  static const char junk[] = "plain text, no format";
  ck_assert_int_eq(ti_open_memory(&it, junk, sizeof junk - 1, NULL), TI_ERR_FORMAT_UNKNOWN);
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "no format accepted"));
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_ERR_FORMAT_UNKNOWN);
  ti_free(it);
  ck_assert_int_eq(ti_next(&s, NULL), TI_ERR_MISUSE);
  ck_assert_int_eq(ti_errcode(NULL), TI_ERR_MISUSE);
  ck_assert_int_eq(ti_open_fd(&it, -1, NULL), TI_ERR_INVALID);
  ti_free(it);
}
END_TEST

/* ---- sources ------------------------------------------------------------------ */
START_TEST(fd_pipe_matches_memory) {
  ti_open_options o = opts_with_reg();
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_OK);
  char *mem = drain(it, 0, NULL, NULL);
  ti_free(it);
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  ck_assert_int_eq((int)write(fds[1], SAMPLE, sizeof SAMPLE - 1), (int)sizeof SAMPLE - 1);
  close(fds[1]);
  ck_assert_int_eq(ti_open_fd(&it, fds[0], &o), TI_OK);
  char *fd = drain(it, 0, NULL, NULL);
  ti_free(it);
  close(fds[0]);
  ck_assert_str_eq(mem, fd);
  ti_mem_free(mem);
  ti_mem_free(fd);
}
END_TEST

static void write_file(const char *path, const char *s) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs(s, f);
  fclose(f);
}

/* Entries the directory lists as regular files are taken without a stat;
 * a symlink is followed (a file reached through one is a trace of its
 * own), and one that leads nowhere is reported and skipped. */
START_TEST(directory_walk_links) {
  char dir[] = "/tmp/ti-links-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[256], q[256];
  snprintf(p, sizeof p, "%s/f.txt", dir);
  write_file(p, "#traj f\nU q\nA from-f\n");
  snprintf(p, sizeof p, "%s/l.txt", dir);
  ck_assert_int_eq(symlink("f.txt", p), 0);
  snprintf(p, sizeof p, "%s/m.txt", dir);
  ck_assert_int_eq(symlink("nowhere.txt", p), 0);
  snprintf(p, sizeof p, "%s/d", dir);
  ck_assert_int_eq(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/d/g.txt", dir);
  write_file(p, "#traj g\nU q\nA from-g\n");
  snprintf(p, sizeof p, "%s/e", dir);
  ck_assert_int_eq(symlink("d", p), 0); /* a second way into d: walked once */
  ti_open_options o = opts_with_reg();
  seen e = {0, 0, 0, ""};
  o.on_error = record_error;
  o.on_error_user = &e;
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
  const ti_state *s;
  const char *want[] = {"g:0", "f:0", "f:0"}; /* d/g, f.txt, l.txt */
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(ti_next(&s, it), TI_OK);
    ck_assert_str_eq(ti_state_id(s), want[i]);
  }
  ck_assert_ptr_nonnull(strstr(ti_state_file(s), "l.txt"));
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_int_eq(e.n, 1); /* m.txt */
  ck_assert_ptr_nonnull(strstr(e.file, "m.txt"));
  ck_assert_uint_eq(ti_stat(it, "files"), 3);
  ti_free(it);
  const char *rm[] = {"d/g.txt", "e", "d", "f.txt", "l.txt", "m.txt"};
  for (size_t i = 0; i < sizeof rm / sizeof *rm; i++) {
    snprintf(q, sizeof q, "%s/%s", dir, rm[i]);
    ck_assert_int_eq(i == 2 ? rmdir(q) : unlink(q), 0);
  }
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(directory_walk) {
  char dir[] = "/tmp/ti-walk-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[256];
  snprintf(p, sizeof p, "%s/b.txt", dir);
  write_file(p, "#traj b\nU q\nA from-b\n");
  snprintf(p, sizeof p, "%s/a.txt", dir);
  write_file(p, "#traj a\nU q\nA from-a\n");
  snprintf(p, sizeof p, "%s/junk.bin", dir);
  write_file(p, "not a trace");
  snprintf(p, sizeof p, "%s/sub", dir);
  ck_assert_int_eq(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/sub/c.txt", dir);
  write_file(p, "#traj c\nU q\nA from-c\n");
  snprintf(p, sizeof p, "%s/sub/loop", dir);
  ck_assert_int_eq(symlink("..", p), 0); /* a symlink loop */
  snprintf(p, sizeof p, "%s/z.lines", dir);
  ck_assert_int_eq(mkdir(p, 0700), 0); /* claimed as one trace */

  ti_open_options o = opts_with_reg();
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
  const ti_state *s;
  const char *want[] = {"a:0", "b:0", "c:0", "z:0"};
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(ti_next(&s, it), TI_OK);
    ck_assert_str_eq(ti_state_id(s), want[i]);
  }
  ck_assert_ptr_nonnull(strstr(ti_state_file(s), "z.lines"));
  ck_assert_int_eq(ti_next(&s, it), TI_DONE);
  ck_assert_uint_eq(ti_stat(it, "files"), 4);
  ck_assert_uint_eq(ti_stat(it, "files_skipped"), 1);
  ti_free(it);

  o.flags = TI_OPEN_NO_RECURSE;
  ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
  size_t n;
  ti_mem_free(drain(it, 0, NULL, &n));
  ck_assert_uint_eq(n, 3); /* a, b and the claimed z.lines */
  ti_free(it);

  /* worker threads: the same states, errors and counters, in the same order */
  for (int i = 0; i < 40; i++) {
    snprintf(p, sizeof p, "%s/sub/m%02d.txt", dir, i);
    char body[128];
    snprintf(body, sizeof body, "#traj m%02d\nU q\nA one\n%sU r\nA two\n", i, i % 7 ? "" : "X bad\n");
    write_file(p, body);
  }
  o.flags = 0;
  seen e1 = {0, 0, 0, ""}, e2 = {0, 0, 0, ""};
  o.on_error = record_error;
  o.on_error_user = &e1;
  ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
  char *single = drain(it, TI_JSON_DELTA, NULL, &n);
  ck_assert_uint_eq(n, 84);
  const char *st1;
  ck_assert_int_eq(ti_stats_json(it, &st1, NULL), TI_OK);
  char *stats1 = strdup(st1);
  ti_free(it);
  for (uint32_t threads = 2; threads <= 3; threads++) {
    o.threads = threads;
    o.on_error_user = &e2;
    memset(&e2, 0, sizeof e2);
    ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
    char *multi = drain(it, TI_JSON_DELTA, NULL, &n);
    ck_assert_str_eq(single, multi);
    const char *st2;
    ck_assert_int_eq(ti_stats_json(it, &st2, NULL), TI_OK);
    ck_assert_str_eq(stats1, st2);
    ck_assert_int_eq(e1.n, e2.n);
    ck_assert_uint_eq(e1.line, e2.line);
    ck_assert_str_eq(ti_format_name(it), "test-lines");
    ti_mem_free(multi);
    ti_free(it);
  }
  /* freeing mid-walk stops the workers cleanly */
  ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ti_state *kept;
  ck_assert_int_eq(ti_state_dup(&kept, s), TI_OK);
  ti_state_free((ti_state *)s); /* borrowed: refused */
  ti_free(it);
  ck_assert_str_eq(ti_state_id(kept), "a:0");
  ti_state_free(kept);
  ti_mem_free(single);
  free(stats1);

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Every error as "file:line: message", in the order reported. */
static void log_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                      uint64_t off) {
  (void)code, (void)off;
  ti_buf *b = user;
  char head[320];
  snprintf(head, sizeof head, "%s:%llu: ", file, (unsigned long long)line);
  ti_buf_puts(b, head);
  ti_buf_puts(b, msg);
  ti_buf_puts(b, "\n");
}

/* Worker threads with traces of very different lengths (more states and
 * errors than one batch of events holds, next to one-state traces): states,
 * errors and counters come out as with one thread, also in strict mode and
 * with more threads than traces; freeing the iterator at any point of the
 * walk stops cleanly. */
START_TEST(threads_uneven_traces) {
  char dir[] = "/tmp/ti-threads-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[256];
  size_t total = 0;
  for (int i = 0; i < 24; i++) {
    snprintf(p, sizeof p, "%s/t%02d.txt", dir, i);
    ti_buf body = {0};
    char line[96];
    snprintf(line, sizeof line, "#traj t%02d\n", i);
    ti_buf_puts(&body, line);
    int turns = i % 5 == 0 ? 150 : i % 3 == 0 ? 40 : 1;
    for (int k = 0; k < turns; k++) {
      snprintf(line, sizeof line, "U question %d\n%sA answer %d of t%02d\n", k,
               i % 2 == 0 && k % 3 == 0 ? "X bad record\n" : "", k, i);
      ti_buf_puts(&body, line);
    }
    total += (size_t)turns;
    write_file(p, body.p);
    ti_buf_free(&body);
  }
  ti_open_options o = opts_with_reg();
  ti_buf err1 = {0}, err2 = {0};
  o.on_error = log_error;
  o.on_error_user = &err1;
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
  size_t n;
  int rc;
  char *single = drain(it, TI_JSON_DELTA, &rc, &n);
  ck_assert_int_eq(rc, TI_DONE);
  ck_assert_uint_eq(n, total);
  const char *st;
  ck_assert_int_eq(ti_stats_json(it, &st, NULL), TI_OK);
  char *stats1 = strdup(st);
  ti_free(it);
  ck_assert_ptr_nonnull(err1.p);

  o.on_error_user = &err2;
  for (uint32_t threads = 2; threads <= 32; threads *= 2) {
    o.threads = threads;
    ti_buf_reset(&err2);
    ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
    char *multi = drain(it, TI_JSON_DELTA, &rc, &n);
    ck_assert_int_eq(rc, TI_DONE);
    ck_assert_str_eq(single, multi);
    ck_assert_str_eq(err1.p, err2.p);
    ck_assert_int_eq(ti_stats_json(it, &st, NULL), TI_OK);
    ck_assert_str_eq(stats1, st);
    ck_assert_str_eq(ti_format_name(it), "test-lines");
    ti_mem_free(multi);
    ti_free(it);
  }

  /* strict: the first bad record ends the walk, after the same states */
  o.flags = TI_OPEN_STRICT;
  o.threads = 0;
  o.on_error_user = &err1;
  ti_buf_reset(&err1);
  ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
  char *strict1 = drain(it, 0, &rc, &n);
  int strict_rc = rc;
  ck_assert_int_lt(strict_rc, 0);
  ti_free(it);
  o.on_error_user = &err2;
  for (uint32_t threads = 2; threads <= 3; threads++) {
    o.threads = threads;
    ti_buf_reset(&err2);
    ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
    char *strict2 = drain(it, 0, &rc, &n);
    ck_assert_int_eq(rc, strict_rc);
    ck_assert_str_eq(strict1, strict2);
    ck_assert_str_eq(err1.p, err2.p);
    const ti_state *s;
    ck_assert_int_eq(ti_next(&s, it), strict_rc); /* sticky */
    ti_mem_free(strict2);
    ti_free(it);
  }
  ti_mem_free(strict1);

  /* freed after k states, the caller's own trace perhaps half read */
  o.flags = 0;
  o.threads = 2;
  for (size_t k = 0; k < total; k += 37) {
    ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
    const ti_state *s = NULL;
    for (size_t i = 0; i < k; i++) ck_assert_int_eq(ti_next(&s, it), TI_OK);
    ti_state *kept = NULL;
    if (s) ck_assert_int_eq(ti_state_dup(&kept, s), TI_OK);
    ti_free(it);
    if (kept) {
      ck_assert_ptr_nonnull(ti_state_id(kept));
      ti_state_free(kept);
    }
  }
  ti_mem_free(single);
  free(stats1);
  ti_buf_free(&err1);
  ti_buf_free(&err2);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- registry and probing ------------------------------------------------------ */
static const ti_format_ops lines_clone = {
    TI_FORMAT_ABI_VERSION, sizeof(ti_format_ops), "test-lines-clone", "tie", NULL,
    lines_probe, NULL, lines_create, lines_next, lines_destroy,
};

START_TEST(registry_rules_and_ambiguity) {
  ti_format_ops bad = lines_format;
  bad.name = "other";
  bad.abi_version = TI_FORMAT_ABI_VERSION + 1;
  ck_assert_int_eq(ti_registry_add(reg, &bad), TI_ERR_VERSION);
  bad.abi_version = TI_FORMAT_ABI_VERSION;
  bad.struct_size = 8;
  ck_assert_int_eq(ti_registry_add(reg, &bad), TI_ERR_VERSION);
  bad.struct_size = sizeof bad;
  bad.probe = NULL;
  ck_assert_int_eq(ti_registry_add(reg, &bad), TI_ERR_INVALID);
  ck_assert_int_eq(ti_registry_add(reg, &lines_format), TI_ERR_INVALID); /* duplicate */
  ck_assert_uint_eq(ti_registry_count(reg), ti_registry_count(NULL) + 1);
  ck_assert_str_eq(ti_registry_name(reg, ti_registry_count(reg) - 1), "test-lines");
  ck_assert_ptr_null(ti_registry_name(reg, 99));

  const char *names[8];
  int scores[8];
  size_t n;
  ck_assert_int_eq(ti_probe_scores(reg, NULL, SAMPLE, sizeof SAMPLE - 1, names, scores, 8, &n), TI_OK);
  ck_assert_uint_eq(n, ti_registry_count(reg));
  ck_assert_str_eq(names[n - 1], "test-lines");
  ck_assert_int_eq(scores[n - 1], 100);
  for (size_t i = 0; i + 1 < n; i++) ck_assert_int_lt(scores[i], 50);

  ck_assert_int_eq(ti_registry_add(reg, &lines_clone), TI_OK);
  ti_open_options o = opts_with_reg();
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_ERR_FORMAT_AMBIGUOUS);
  ck_assert_ptr_nonnull(strstr(ti_errmsg(it), "test-lines, test-lines-clone"));
  ti_free(it);
  o.format = "test-lines-clone"; /* an explicit name skips probing */
  ck_assert_int_eq(ti_open_memory(&it, SAMPLE, sizeof SAMPLE - 1, &o), TI_OK);
  ck_assert_str_eq(ti_format_name(it), "test-lines-clone");
  ti_free(it);
}
END_TEST

START_TEST(version_and_strerror) {
  ck_assert_uint_eq(ti_version_number(), TI_VERSION_NUMBER);
  ck_assert_str_eq(ti_version_string(), TI_VERSION_STRING);
  for (int c = -9; c <= 1; c++) ck_assert_ptr_nonnull(ti_strerror(c));
  ck_assert_str_eq(ti_strerror(-1000), "unknown status");
  ck_assert_str_eq(ti_strerror(TI_ERR_FORMAT_AMBIGUOUS), "ambiguous format");
}
END_TEST

int main(void) {
  Suite *s = suite_create("api");
  TCase *tc = tcase_create("api");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, options_init_and_size_rules);
  tcase_add_test(tc, directory_walk_links);
  tcase_add_test(tc, json_into_caller_memory);
  tcase_add_test(tc, options_invalid_values);
  tcase_add_test(tc, iterate_states);
  tcase_add_test(tc, rewrite_and_delta_offsets);
  tcase_add_test(tc, content_from_json_literals);
  tcase_add_test(tc, content_parts_from_json_arrays);
  tcase_add_test(tc, tool_call_arguments_from_json_values);
  tcase_add_test(tc, metadata_members_from_objects);
  tcase_add_test(tc, content_from_json_text);
  tcase_add_test(tc, content_parts_from_pieces);
  tcase_add_test(tc, dup_outlives_iterator);
  tcase_add_test(tc, mapped_file_contents_outlive_iterator);
  tcase_add_test(tc, reasoning_decoded_on_access);
  tcase_add_test(tc, mapped_after_probe_window);
  tcase_add_test(tc, mapped_regions_directory);
  tcase_add_test(tc, malformed_records_skipped_or_fatal);
  tcase_add_test(tc, record_limit_bom_crlf);
  tcase_add_test(tc, open_errors_keep_a_handle);
  tcase_add_test(tc, fd_pipe_matches_memory);
  tcase_add_test(tc, directory_walk);
  tcase_add_test(tc, threads_uneven_traces);
  tcase_add_test(tc, registry_rules_and_ambiguity);
  tcase_add_test(tc, version_and_strerror);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
