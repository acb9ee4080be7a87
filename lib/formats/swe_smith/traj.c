/* SPDX-License-Identifier: MIT */
/* SWE-agent .traj (0.x, 0.7, 1.0.x, >= 1.1, RetryAgent): the conversation is
 * `history`; steps of `trajectory` missing from it at the end are appended
 * (reference §4, §7.3). */
#include <string.h>

#include "swe_smith.h"

/* Model name from replay_config (an object or a JSON string of one). */
static int traj_model(ss_parser *p, ti_plugin_ctx *ctx, const ti_jv *m) {
  ti_jv rc_v = m[SS_M_REPLAY], root, name;
  const char *s;
  size_t n;
  int rc;
  if (rc_v.type == TI_JSON_INVALID) return TI_OK;
  if (rc_v.type == TI_JSON_STRING) {
    if ((rc = ti_json_str(&rc_v, &p->rcfg, &s, &n)) != TI_OK) return rc;
    if (ti_json_parse(s, n, ti_max_depth(ctx), &root, NULL) != TI_OK) return TI_OK;
  } else {
    root = rc_v;
  }
  if (ti_json_getv(&root, &name, "agent", "model", "name", (const char *)NULL) &&
      name.type == TI_JSON_STRING) {
    if ((rc = ti_json_str(&name, &p->tmp3, &s, &n)) != TI_OK) return rc;
    return ti_buf_append(&p->model, s, n);
  }
  return TI_OK;
}

/* Version heuristics (§4.6) when info.swe_agent_version is absent. */
static const char *traj_version(ss_conv *c) {
  ti_json_iter it;
  ti_jv step, v;
  int state_str = 0, state_obj = 0, msgs = 0, query = 0, etime = 0;
  ti_json_iter_init(&it, &c->steps);
  while (ti_json_next(&it, &step)) {
    if (ti_json_get(&step, "query", &v)) query = 1;
    if (ti_json_get(&step, "messages", &v)) msgs = 1;
    if (ti_json_get(&step, "execution_time", &v)) etime = 1;
    if (ti_json_get(&step, "state", &v)) {
      if (v.type == TI_JSON_STRING) state_str = 1;
      if (v.type == TI_JSON_OBJECT) state_obj = 1;
    }
  }
  if (query) return "1.1";
  if (msgs || etime || state_obj || c->scan.saw_main) return "1.0";
  if (state_str || c->scan.saw_primary) return c->scan.saw_message_type ? "0.7" : "0.x";
  return NULL;
}

int ss_traj_setup(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c) {
  ti_jv v;
  int rc;
  static const char empty[] = "[]";
  if (c->m[SS_M_HISTORY].type == TI_JSON_ARRAY) {
    c->msgs = c->m[SS_M_HISTORY];
  } else {
    /* no history: every step comes from `trajectory` */
    if ((rc = ti_json_parse(empty, 2, 0, &c->msgs, NULL)) != TI_OK) return rc;
  }
  c->in_input = p->mode == 1;
  ss_prescan(&c->msgs, 0, 1, &c->scan);
  c->steps.type = TI_JSON_INVALID;
  if ((v = c->m[SS_M_TRAJECTORY]).type == TI_JSON_ARRAY) {
    c->steps = v;
    c->steps_n = ti_json_count(&v);
  }
  c->tail_next = c->scan.assistants;
  if (!p->opt.tail || c->tail_next > c->steps_n) c->tail_next = c->steps_n;
  c->version = traj_version(c);
  if (p->opt.steps && c->steps.type == TI_JSON_ARRAY && ss_steps_usable(c)) {
    c->steps_mode = 1;
    ti_json_iter_init(&c->step_it, &c->steps);
    c->step_prev.type = TI_JSON_INVALID;
  }

  ti_buf_reset(&p->tmp);
  if ((rc = ti_buf_puts(&p->tmp, p->stem)) != TI_OK) return rc;
  if (c->attempt >= 0 && (rc = ti_buf_printf(&p->tmp, "#attempt%d", c->attempt)) != TI_OK)
    return rc;
  if ((rc = ss_set_tid(p, p->tmp.p, p->tmp.len, c->row)) != TI_OK) return rc;
  if ((rc = traj_model(p, ctx, c->m)) != TI_OK) return rc;
  if (!p->model.len && c->attempt >= 0 && (rc = traj_model(p, ctx, p->retry_m)) != TI_OK)
    return rc;
  c->active = 1;
  return TI_OK;
}

int ss_traj_meta(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c, int flags) {
  ti_jv info, v;
  int rc = TI_OK;
  int has_info = (info = c->m[SS_M_INFO]).type == TI_JSON_OBJECT;
  rc = ti_emit_meta_str(ctx, "source", "swe-agent", 9);
  if (rc == TI_OK) {
    if (has_info && ti_json_get(&info, "swe_agent_version", &v))
      rc = ss_meta_jv(ctx, "swe_agent_version", &v);
    else if (c->version)
      rc = ti_emit_meta_str(ctx, "swe_agent_version", c->version, strlen(c->version));
  }
  if (rc == TI_OK && c->steps.type == TI_JSON_INVALID && !has_info)
    rc = ti_emit_meta_bool(ctx, "demonstration_file", 1);
  if (rc == TI_OK && c->attempt >= 0) rc = ti_emit_meta_int(ctx, "attempt", c->attempt);
  if (has_info) {
    if (rc == TI_OK) rc = ss_meta_member(ctx, &info, "exit_status", NULL);
    if (rc == TI_OK && p->opt.meta_patch) {
      ti_jv sub;
      if (ti_json_get(&info, "submission", &sub)) rc = ss_meta_big(p, ctx, "submission", &sub);
    }
    if (rc == TI_OK) rc = ss_meta_member(ctx, &info, "model_stats", NULL);
  }
  if (rc == TI_OK && c->attempt >= 0 && (info = p->retry_m[SS_M_INFO]).type == TI_JSON_OBJECT)
    rc = ss_meta_member(ctx, &info, "best_attempt_idx", NULL);
  if (rc == TI_OK) rc = ti_emit_meta_int(ctx, "demo_turns_skipped", (int64_t)c->scan.demo_skipped);
  if (rc == TI_OK && c->steps_mode) rc = ti_emit_meta_str(ctx, "messages_from", "steps", 5);
  if (rc == TI_OK && (flags & SS_F_FROM_TRAJ)) {
    rc = ti_emit_meta_bool(ctx, "from_trajectory", 1);
    if (rc == TI_OK && c->tail_step.type == TI_JSON_OBJECT)
      rc = ss_meta_member(ctx, &c->tail_step, "action", "step_action");
  }
  return rc;
}

static int step_at(const ss_conv *c, size_t j, ti_jv *out) {
  ti_json_iter it;
  size_t i = 0;
  ti_json_iter_init(&it, &c->steps);
  while (ti_json_next(&it, out))
    if (i++ == j) return 1;
  return 0;
}

/* Append one step missing from `history` (e.g. the final submit of early
 * 1.0 files). Returns 1 (state emitted), 0 (none left), or < 0. */
int ss_traj_tail(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c) {
  ti_jv step, prev, v;
  const ti_message *m;
  const char *s;
  size_t n;
  int rc;
  if (c->tail_next >= c->steps_n || !step_at(c, c->tail_next, &step)) return 0;
  /* between two appended steps: the earlier one's observation */
  if (c->tail_next > c->scan.assistants && step_at(c, c->tail_next - 1, &prev) &&
      ti_json_get(&prev, "observation", &v) && v.type == TI_JSON_STRING) {
    if ((rc = ti_json_str(&v, &p->tmp, &s, &n)) != TI_OK) return rc;
    if ((rc = ss_text_message(ctx, "user", s, n, &m)) != TI_OK) return rc;
    if ((rc = ti_emit_push(ctx, m)) != TI_OK) return rc;
  }
  if (!(ti_json_get(&step, "response", &v) && v.type == TI_JSON_STRING))
    ti_json_get(&step, "thought", &v);
  if ((rc = ss_jv_str(&v, &p->tmp, &s, &n)) != TI_OK) s = "", n = 0;
  /* copy: the scratch is reused below */
  ti_buf_reset(&p->tmp2);
  if ((rc = ti_buf_append(&p->tmp2, s, n)) != TI_OK) return rc;
  if ((rc = ss_text_message(ctx, "assistant", p->tmp2.p, n, &m)) != TI_OK) return rc;
  c->tail_next++;
  c->tail_step = step;
  if ((rc = ti_count(ctx, SS_NAME ".steps_from_trajectory", 1)) != TI_OK) return rc;
  if ((rc = ss_emit_state(p, ctx, c, &step, m, p->tmp2.p, n, NULL, SS_F_FROM_TRAJ)) != TI_OK)
    return rc;
  c->pending = m;
  return 1;
}
