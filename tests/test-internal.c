/* SPDX-License-Identifier: MIT */
/* Internals: histories share one message log (no per-state copies), and
 * every allocation can fail once without a crash or a leak. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "lines-format.h"

static const char LINEAR[] =
    "#traj t\nS sys\nU q\nA a1\nT c1 out\nA a2\nU more\nA a3\nA a4\n";

static ti_registry *make_reg(void) {
  ti_registry *r = NULL;
  if (ti_registry_new(&r) == TI_OK && ti_registry_add(r, &lines_format) != TI_OK) {
    ti_registry_free(r);
    r = NULL;
  }
  return r;
}

START_TEST(linear_history_shares_one_spine) {
  ti_registry *r = make_reg();
  ck_assert_ptr_nonnull(r);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.registry = r;
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, LINEAR, sizeof LINEAR - 1, &o), TI_OK);
  const ti_state *s;
  ti_state *first = NULL;
  const ti_spine *spine = NULL;
  while (ti_next(&s, it) == TI_OK) {
    if (!first) ck_assert_int_eq(ti_state_dup(&first, s), TI_OK);
    if (spine) ck_assert_ptr_eq(s->spine->v[0], spine->v[0]);
    spine = s->spine;
  }
  /* one log for the whole trajectory; messages interned once */
  ck_assert_ptr_eq(first->log, it->ctx ? it->ctx->log : first->log);
  size_t spines = 0;
  for (ti_spine *p = first->log->spines; p; p = p->next) spines++;
  /* the dup pinned the first spine: growth moved to at most a few copies */
  ck_assert_uint_le(spines, 3);
  ti_free(it);
  ck_assert_uint_eq(ti_state_message_count(first), 2);
  ti_state_free(first);
  ti_registry_free(r);
}
END_TEST

START_TEST(identical_messages_are_interned) {
  ti_registry *r = make_reg();
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.registry = r;
  static const char in[] = "#traj t\nU same\nA a\nR 0\nU same\nA a\n";
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, in, sizeof in - 1, &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  const ti_message *m0 = ti_state_message(s, 0);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_ptr_eq(ti_state_message(s, 0), m0); /* same node */
  ck_assert_uint_eq(ti_state_messages_offset(s), 1);
  ck_assert_uint_eq(ti_stat(it, "messages"), 2);
  ti_free(it);
  ti_registry_free(r);
}
END_TEST

/* Run a whole ingest with the n-th allocation failing. Returns 1 when the
 * run completed without hitting the failure. */
static int run_with_failure(long n) {
  static const char in[] = "#traj t\nS sys\nU q\nC c1 bash {}\nA a1\nT c1 out\nX bad\nA a2\nR 1\nU z\nA a3\n";
  ti_test_fail_after(n);
  ti_registry *r = make_reg();
  int completed = 0;
  if (r) {
    ti_open_options o = TI_OPEN_OPTIONS_INIT;
    o.registry = r;
    ti_iter *it = NULL;
    int rc = ti_open_memory(&it, in, sizeof in - 1, &o);
    if (rc == TI_OK) {
      const ti_state *s;
      ti_state *keep = NULL;
      while ((rc = ti_next(&s, it)) == TI_OK) {
        const char *js;
        size_t len;
        rc = ti_state_json(&js, &len, s, TI_JSON_DELTA);
        if (rc) break;
        if (!keep && ti_state_dup(&keep, s) != TI_OK) keep = NULL;
      }
      ck_assert(rc == TI_DONE || rc == TI_ERR_NOMEM);
      completed = rc == TI_DONE;
      ti_state_free(keep);
    } else {
      ck_assert_int_eq(rc, TI_ERR_NOMEM);
    }
    ti_free(it);
    ti_registry_free(r);
  }
  ti_test_fail_after(-1);
  return completed && r;
}

START_TEST(every_allocation_can_fail) {
  ti_test_fail_after(-1);
  ck_assert(run_with_failure(-1));
  long n = 0;
  while (!run_with_failure(n)) n++;
  ck_assert_int_gt(n, 10); /* the loop did reach the allocations */
}
END_TEST

int main(void) {
  Suite *s = suite_create("internal");
  TCase *tc = tcase_create("internal");
  tcase_add_test(tc, linear_history_shares_one_spine);
  tcase_add_test(tc, identical_messages_are_interned);
  tcase_add_test(tc, every_allocation_can_fail);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
