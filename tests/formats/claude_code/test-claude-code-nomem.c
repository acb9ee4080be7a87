/* SPDX-License-Identifier: MIT */
/* claude-code plugin under allocation failure: every allocation of a whole
 * ingest (a session with split responses, tool results, an image, a
 * compaction, a broken link, an inline sidechain, a torn tail, and a
 * directory with a subagent file) fails in turn; each run must end in
 * TI_DONE or TI_ERR_NOMEM, without crashes or leaks (run under ASan or
 * valgrind to see the leaks). Links the internal static library. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static const char session[] =
    "{\"parentUuid\":null,\"type\":\"user\",\"uuid\":\"u1\",\"sessionId\":\"s\",\"timestamp\":\"1\","
    "\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
    "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"QUFB\"}}]}}\n"
    "{\"parentUuid\":\"u1\",\"type\":\"assistant\",\"uuid\":\"a1\",\"sessionId\":\"s\",\"timestamp\":\"2\","
    "\"message\":{\"id\":\"m1\",\"model\":\"claude-x\",\"role\":\"assistant\",\"content\":"
    "[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"x\"}]}}\n"
    "{\"parentUuid\":\"a1\",\"type\":\"assistant\",\"uuid\":\"a2\",\"sessionId\":\"s\",\"timestamp\":\"2\","
    "\"message\":{\"id\":\"m1\",\"model\":\"claude-x\",\"role\":\"assistant\",\"content\":"
    "[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Task\",\"input\":{\"prompt\":\"sub \\u00e9\"}}]}}\n"
    "{\"parentUuid\":null,\"isSidechain\":true,\"type\":\"user\",\"uuid\":\"s1\",\"sessionId\":\"s\","
    "\"message\":{\"role\":\"user\",\"content\":\"sub \\u00e9\"}}\n"
    "{\"parentUuid\":\"s1\",\"isSidechain\":true,\"type\":\"assistant\",\"uuid\":\"s2\",\"sessionId\":\"s\","
    "\"message\":{\"id\":\"ms\",\"model\":\"claude-x\",\"role\":\"assistant\",\"content\":"
    "[{\"type\":\"text\",\"text\":\"done\"}]}}\n"
    "{\"parentUuid\":\"a2\",\"type\":\"user\",\"uuid\":\"r1\",\"sessionId\":\"s\",\"timestamp\":\"3\","
    "\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\","
    "\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"is_error\":true}]}}\n"
    "{\"type\":\"brand-new\",\"x\":1}\n"
    "not json\n"
    "{\"parentUuid\":\"gone\",\"type\":\"user\",\"uuid\":\"u2\",\"sessionId\":\"s\",\"timestamp\":\"4\","
    "\"message\":{\"role\":\"user\",\"content\":\"next\"}}\n"
    "{\"parentUuid\":\"u2\",\"type\":\"assistant\",\"uuid\":\"a3\",\"sessionId\":\"s\",\"timestamp\":\"5\","
    "\"message\":{\"id\":\"m2\",\"model\":\"claude-x\",\"role\":\"assistant\",\"content\":"
    "[{\"type\":\"text\",\"text\":\"fine\"}],\"stop_reason\":\"end_turn\"}}\n"
    "{\"parentUuid\":null,\"type\":\"system\",\"subtype\":\"compact_boundary\",\"uuid\":\"b1\","
    "\"logicalParentUuid\":\"a3\",\"sessionId\":\"s\",\"timestamp\":\"6\"}\n"
    "{\"parentUuid\":\"b1\",\"type\":\"user\",\"uuid\":\"c1\",\"isCompactSummary\":true,\"sessionId\":\"s\","
    "\"timestamp\":\"6\",\"message\":{\"role\":\"user\",\"content\":\"summary\"}}\n"
    "{\"parentUuid\":\"c1\",\"type\":\"assistant\",\"uuid\":\"a4\",\"sessionId\":\"s\",\"timestamp\":\"7\","
    "\"message\":{\"id\":\"m3\",\"model\":\"claude-x\",\"role\":\"assistant\",\"content\":"
    "[{\"type\":\"text\",\"text\":\"after\"}]}}\n"
    "{\"parentUuid\":\"a4\",\"type\":\"ass";

static unsigned long last_calls;

static int run_with_failure(long n, const char *path) {
  static const char *const sub[] = {"subagents=1", NULL};
  ti_test_fail_after(n);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.format_options = sub;
  if (!path) o.format = "claude-code";
  ti_iter *it = NULL;
  int rc = path ? ti_open(&it, path, &o) : ti_open_memory(&it, session, sizeof session - 1, &o);
  int completed = 0;
  size_t states = 0;
  if (rc == TI_OK) {
    const ti_state *s;
    while ((rc = ti_next(&s, it)) == TI_OK) {
      const char *js;
      size_t len;
      rc = ti_state_json(&js, &len, s, TI_JSON_DELTA);
      if (rc) break;
      states++;
    }
    ck_assert_msg(rc == TI_DONE || rc == TI_ERR_NOMEM, "n=%ld rc=%d", n, rc);
    completed = rc == TI_DONE;
  } else {
    ck_assert_int_eq(rc, TI_ERR_NOMEM);
  }
  ti_free(it);
  last_calls = ti_test_alloc_calls();
  ti_test_fail_after(-1);
  if (n < 0) ck_assert_uint_eq(states, (size_t)(path ? 4 : 3));
  return completed;
}

/* Fail each allocation of a complete run in turn (some failures are
 * absorbed by the core, e.g. while formatting an error message, so a run
 * may still complete: every allocation index is tried). */
static void every_allocation(const char *path) {
  ck_assert(run_with_failure(-1, path));
  long total = (long)last_calls;
  ck_assert_int_gt(total, 20);
  for (long n = 0; n <= total; n++) run_with_failure(n, path);
}

START_TEST(memory_session) { every_allocation(NULL); }
END_TEST

START_TEST(directory_with_subagent) {
  const char *data = getenv("TI_TEST_DATA");
  char path[4096];
  snprintf(path, sizeof path, "%s/claude-code/subagents-dir-on/input", data ? data : "tests/data");
  every_allocation(path);
}
END_TEST

int main(void) {
  Suite *su = suite_create("claude-code-nomem");
  TCase *tc = tcase_create("nomem");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, memory_session);
  tcase_add_test(tc, directory_with_subagent);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
