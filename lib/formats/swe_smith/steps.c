/* SPDX-License-Identifier: MIT */
/* traj_messages=steps: SWE-agent .traj states built from what the model was
 * actually sent at each step (reference §7.3, "faithful-to-model-input"):
 * step k's `query` (>= 1.1), or step k-1's `messages` (1.0.x: the processed
 * history after that step; step 0 sees the history before the first
 * assistant turn). History processors rewrite older observations between
 * steps, so the history is truncated to the longest shared prefix
 * (interned messages compare by pointer) and the rest pushed again. The
 * action is the step's assistant turn from `history` (tool calls included),
 * else one built from the step's `response`. */
#include <string.h>

#include "swe_smith.h"

int ss_steps_usable(const ss_conv *c) {
  ti_json_iter it;
  ti_jv step, v;
  ti_json_iter_init(&it, &c->steps);
  if (!ti_json_next(&it, &step)) return 0;
  return (ti_json_get(&step, "query", &v) && v.type == TI_JSON_ARRAY) ||
         (ti_json_get(&step, "messages", &v) && v.type == TI_JSON_ARRAY);
}

static int same_agent(const ss_conv *c, const ss_msg *m) {
  return !(c->scan.agent0.type == TI_JSON_STRING && m->agent.type == TI_JSON_STRING &&
           !(m->agent.n == c->scan.agent0.n &&
             memcmp(m->agent.p, c->scan.agent0.p, m->agent.n) == 0));
}

/* Rebuild the history from `input`; with stop_at_assistant, only up to the
 * first non-demonstration assistant message. */
static int rebuild(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c, const ti_jv *input,
                   int stop_at_assistant) {
  ti_json_iter it;
  ti_jv raw;
  ss_msg m;
  size_t i = 0;
  int diverged = 0, rc;
  ti_json_iter_init(&it, input);
  while (ti_json_next(&it, &raw)) {
    if ((rc = ss_norm_message(p, ctx, &raw, 0, &m)) != TI_OK) return rc;
    if (!m.msg || !same_agent(c, &m)) continue;
    if (stop_at_assistant && m.role == SS_R_ASSISTANT && !m.is_demo) break;
    if (!diverged && i < ti_emit_history_len(ctx) && ti_emit_history_at(ctx, i) == m.msg) {
      i++;
      continue;
    }
    if (!diverged) {
      if ((rc = ti_emit_truncate(ctx, i)) != TI_OK) return rc;
      diverged = 1;
    }
    if ((rc = ti_emit_push(ctx, m.msg)) != TI_OK) return rc;
    i++;
  }
  if (!diverged && i < ti_emit_history_len(ctx)) return ti_emit_truncate(ctx, i);
  return TI_OK;
}

/* The next non-demo assistant turn of `history`, normalised. */
static int next_action(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c, ss_msg *out, ti_jv *raw) {
  int rc;
  while (ti_json_next(&c->it, raw)) {
    if ((rc = ss_norm_message(p, ctx, raw, 0, out)) != TI_OK) return rc;
    if (out->msg && out->role == SS_R_ASSISTANT && !out->is_demo && same_agent(c, out)) return 1;
  }
  return 0;
}

int ss_steps_step(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c) {
  ti_jv step, input, raw;
  ss_msg m;
  int rc, have;
  if (!ti_json_next(&c->step_it, &step)) return 0;
  if (ti_json_get(&step, "query", &input) && input.type == TI_JSON_ARRAY) {
    rc = rebuild(p, ctx, c, &input, 0);
  } else if (c->step_prev.type == TI_JSON_OBJECT &&
             ti_json_get(&c->step_prev, "messages", &input) && input.type == TI_JSON_ARRAY) {
    rc = rebuild(p, ctx, c, &input, 0);
  } else {
    rc = rebuild(p, ctx, c, &c->msgs, 1); /* step 0 of a 1.0.x file */
  }
  if (rc != TI_OK) return rc;
  c->step_prev = step;
  if ((rc = next_action(p, ctx, c, &m, &raw)) < 0) return rc;
  have = rc;
  if (!have) {
    /* no history turn left: build the action from the step */
    ti_jv v;
    const char *s;
    size_t n;
    if (!(ti_json_get(&step, "response", &v) && v.type == TI_JSON_STRING))
      ti_json_get(&step, "thought", &v);
    if (ss_jv_str(&v, &p->tmp, &s, &n) != TI_OK) s = "", n = 0;
    ti_buf_reset(&p->tmp2);
    if ((rc = ti_buf_append(&p->tmp2, s, n)) != TI_OK) return rc;
    memset(&m, 0, sizeof m);
    if ((rc = ss_text_message(ctx, "assistant", p->tmp2.p, n, &m.msg)) != TI_OK) return rc;
    m.content = p->tmp2.p;
    m.content_len = n;
    c->tail_step = step;
  }
  rc = ss_emit_state(p, ctx, c, &step, m.msg, m.content, m.content_len, &m.tool_calls,
                     have ? 0 : SS_F_FROM_TRAJ);
  return rc == TI_OK ? 1 : rc;
}
