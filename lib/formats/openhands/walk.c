/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: replay a trajectory's events the way OpenHands builds
 * the model's context (formats/openhands.md 4.1/4.2 and 5.3), emitting one
 * state per model response. The history is kept with ti_emit_push; a
 * condensation rewrites it (condense.c). */
#include <string.h>

#include "walk.h"

int oh_walk_new(oh_walk **out) {
  *out = ti_mem_calloc(1, sizeof **out);
  return *out ? TI_OK : TI_ERR_NOMEM;
}

void oh_walk_free(oh_walk *w) {
  if (!w)
    return;
  for (size_t i = 0; i < w->capcalls; i++) {
    ti_buf_free(&w->calls[i].id);
    ti_buf_free(&w->calls[i].name);
    ti_buf_free(&w->calls[i].args);
  }
  ti_mem_free(w->calls);
  ti_mem_free(w->units);
  ti_mem_free(w->res);
  ti_mem_free(w->res_ev);
  ti_mem_free(w->acts);
  ti_mem_free(w->deferred);
  oh_set_free(&w->closed_resp);
  oh_set_free(&w->results);
  ti_buf_free(&w->tools_buf);
  ti_buf_free(&w->version);
  ti_buf_free(&w->last_model);
  ti_buf_free(&w->turn_content);
  ti_buf_free(&w->turn_reasoning);
  ti_buf_free(&w->text);
  ti_buf_free(&w->text2);
  ti_buf_free(&w->scratch);
  ti_mem_free(w);
}

static int unit_grow(oh_unit **arr, size_t *cap, size_t need) {
  if (need <= *cap)
    return TI_OK;
  size_t nc = *cap ? *cap * 2 : 64;
  while (nc < need)
    nc *= 2;
  oh_unit *p = ti_mem_realloc(*arr, nc * sizeof *p);
  if (!p)
    return TI_ERR_NOMEM;
  *arr = p;
  *cap = nc;
  return TI_OK;
}

int oh_units_append(oh_walk *w, const oh_unit *u) {
  int rc = unit_grow(&w->units, &w->capunits, w->nunits + 1);
  if (rc == TI_OK)
    w->units[w->nunits++] = *u;
  return rc;
}

static int is_role(const ti_message *m, const char *role) {
  return m && strcmp(ti_message_role(m), role) == 0;
}

/* Push a message, applying v0's "\n\n" between consecutive user messages. */
static int push_msg(oh_walk *w, oh_unit *u, const ti_message *m) {
  size_t h = ti_emit_history_len(w->ctx);
  if (w->t->ev[u->ev].ver == 0 && u->type != OH_U_GROUP && is_role(m, "user") && h &&
      is_role(ti_emit_history_at(w->ctx, h - 1), "user")) {
    if (!u->msg_nn) {
      size_t len = 0;
      const char *s = ti_message_content(m, &len);
      if (!s) /* our user messages always have text: decoding it failed */
        return TI_ERR_NOMEM;
      ti_buf_reset(&w->scratch);
      int rc = ti_buf_puts(&w->scratch, "\n\n");
      if (rc == TI_OK && s)
        rc = ti_buf_append(&w->scratch, s, len);
      if (rc == TI_OK)
        rc = oh_msg_text(w, "user", w->scratch.p, w->scratch.len, &u->msg_nn);
      if (rc != TI_OK)
        return rc;
    }
    m = u->msg_nn;
  }
  return ti_emit_push(w->ctx, m);
}

int oh_unit_push(oh_walk *w, oh_unit *u) {
  int rc = TI_OK;
  if (u->msg)
    rc = push_msg(w, u, u->msg);
  if (u->type == OH_U_GROUP)
    for (size_t k = 0; k < u->res_n && rc == TI_OK; k++)
      rc = ti_emit_push(w->ctx, w->res[u->res_start + k]);
  return rc;
}

/* A message unit: pushed now, or deferred while a turn waits for results. */
static int add_msg(oh_walk *w, size_t ev, const ti_message *m) {
  oh_unit u = {OH_U_MSG, m, NULL, ev, 0, 0, 0, 0};
  if (w->open) {
    int rc = unit_grow(&w->deferred, &w->capdeferred, w->ndeferred + 1);
    if (rc == TI_OK)
      w->deferred[w->ndeferred++] = u;
    return rc;
  }
  int rc = oh_units_append(w, &u);
  return rc ? rc : oh_unit_push(w, &w->units[w->nunits - 1]);
}

static int res_add(oh_walk *w, const ti_message *m, size_t ev) {
  if (w->nres == w->capres) {
    size_t nc = w->capres ? w->capres * 2 : 64;
    const ti_message **p = ti_mem_realloc(w->res, nc * sizeof *p);
    if (!p)
      return TI_ERR_NOMEM;
    w->res = p;
    size_t *q = ti_mem_realloc(w->res_ev, nc * sizeof *q);
    if (!q)
      return TI_ERR_NOMEM;
    w->res_ev = q;
    w->capres = nc;
  }
  w->res[w->nres] = m;
  w->res_ev[w->nres++] = ev;
  return TI_OK;
}

/* Close the open turn: its assistant message keeps the calls that got a
 * result (in call order, each followed by its result); then the messages
 * that arrived meanwhile. */
static int close_turn(oh_walk *w) {
  if (!w->open)
    return TI_OK;
  w->open = 0;
  const oh_ev *lead = &w->t->ev[w->lead];
  int rc = TI_OK;
  if (lead->resp.type == TI_JSON_STRING)
    rc = oh_set_add(&w->closed_resp, lead->resp.p, lead->resp.n) < 0 ? TI_ERR_NOMEM
                                                                      : TI_OK;
  oh_unit u = {OH_U_GROUP, NULL, NULL, w->lead, w->nres, 0, w->act_start,
               w->nacts - w->act_start};
  size_t kept = 0, missing = 0;
  for (size_t k = 0; k < w->ncalls; k++)
    w->calls[k].result ? kept++ : missing++;
  if (rc == TI_OK && missing)
    rc = ti_count(w->ctx, "openhands.missing_results", missing);
  if (rc == TI_OK && missing == 0) {
    u.msg = w->full;
  } else if (rc == TI_OK) {
    size_t clen = w->turn_content.len, rlen = w->turn_reasoning.len;
    const char *content = w->turn_content.p, *reasoning = rlen ? w->turn_reasoning.p : NULL;
    if (kept || clen) {
      rc = ti_emit_msg_begin(w->ctx, "assistant");
      if (rc == TI_OK && clen)
        rc = ti_emit_msg_content(w->ctx, content, clen);
      for (size_t k = 0; k < w->ncalls && rc == TI_OK; k++) {
        oh_call *c = &w->calls[k];
        if (c->result)
          rc = ti_emit_msg_tool_call(w->ctx, c->id.p, c->id.len, c->name.p,
                                     c->name.len, c->args.p ? c->args.p : "{}",
                                     c->args.p ? c->args.len : 2);
      }
      if (rc == TI_OK && reasoning)
        rc = ti_emit_msg_reasoning(w->ctx, reasoning, rlen);
      if (rc == TI_OK)
        rc = ti_emit_msg_end(w->ctx, &u.msg);
    }
  }
  for (size_t k = 0; k < w->ncalls && rc == TI_OK; k++)
    if (w->calls[k].result)
      rc = res_add(w, w->calls[k].result, w->calls[k].result_ev);
  u.res_n = w->nres - u.res_start;
  if (rc == TI_OK && (u.msg || u.res_n)) {
    rc = oh_units_append(w, &u);
    if (rc == TI_OK)
      rc = oh_unit_push(w, &w->units[w->nunits - 1]);
  }
  for (size_t k = 0; k < w->ndeferred && rc == TI_OK; k++) {
    rc = oh_units_append(w, &w->deferred[k]);
    if (rc == TI_OK)
      rc = oh_unit_push(w, &w->units[w->nunits - 1]);
  }
  w->ndeferred = 0;
  return rc;
}

static int text_of(oh_walk *w, size_t i, ti_buf *b) {
  const oh_ev *e = &w->t->ev[i];
  ti_buf_reset(b);
  switch (e->kind) {
  case OH_K_USER:
    return e->ver ? oh_render_v1_message(b, e) : oh_render_v0_user(b, e);
  case OH_K_AGENT_MSG:
    return e->ver ? oh_render_v1_message(b, e) : oh_render_v0_text_turn(b, e);
  case OH_K_TEXT_TURN:
    return oh_render_v0_text_turn(b, e);
  case OH_K_RESULT:
    return e->ver ? oh_render_v1_result(b, e) : oh_render_v0_obs(b, e);
  case OH_K_OBS_USER:
    return e->ver ? oh_render_v1_message(b, e)
                  : oh_render_v0_obs_user(b, w->t, i, w->prefc);
  default:
    return TI_OK;
  }
}

static int on_system(oh_walk *w, size_t i) {
  const oh_ev *e = &w->t->ev[i];
  ti_jv v, tools = {0};
  ti_buf *b = &w->text;
  int rc = TI_OK;
  ti_buf_reset(b);
  if (e->ver == 0) {
    if (oh_get(&e->args, "content", &v))
      rc = oh_append_str(b, &v);
    (void)oh_get(&e->args, "tools", &tools);
    if (rc == TI_OK && oh_get(&e->args, "openhands_version", &v)) {
      ti_buf_reset(&w->version);
      rc = oh_append_str(&w->version, &v);
    }
  } else {
    if (ti_json_getv(&e->obj, &v, "system_prompt", "text", (const char *)NULL))
      rc = oh_append_str(b, &v);
    if (rc == TI_OK &&
        ti_json_getv(&e->obj, &v, "dynamic_context", "text", (const char *)NULL) &&
        v.type == TI_JSON_STRING) {
      rc = ti_buf_puts(b, "\n");
      if (rc == TI_OK)
        rc = oh_append_str(b, &v);
    }
    (void)oh_get(&e->obj, "tools", &tools);
  }
  if (rc == TI_OK && tools.type == TI_JSON_ARRAY) {
    ti_buf_reset(&w->tools_buf);
    rc = ti_json_write_compact(&tools, &w->tools_buf);
    w->tools = w->tools_buf.p;
    w->tools_sent = 0;
  }
  const ti_message *m;
  if (rc == TI_OK)
    rc = oh_msg_text(w, "system", b->p, b->len, &m);
  w->has_system = 1;
  return rc ? rc : add_msg(w, i, m);
}

static int on_result(oh_walk *w, size_t i) {
  const oh_ev *e = &w->t->ev[i];
  int rc = oh_set_add(&w->results, e->call_id.p, e->call_id.n);
  if (rc < 0)
    return rc;
  if (rc == 0) /* a second result for the same call: keep the first */
    return ti_count(w->ctx, "openhands.duplicate_results", 1);
  oh_call *c = NULL;
  if (w->open) {
    ti_buf *id = &w->scratch;
    ti_buf_reset(id);
    if ((rc = oh_append_str(id, &e->call_id)) != TI_OK)
      return rc;
    for (size_t k = 0; k < w->ncalls; k++)
      if (w->calls[k].id.len == id->len && !w->calls[k].result &&
          (id->len == 0 || memcmp(w->calls[k].id.p, id->p, id->len) == 0)) {
        c = &w->calls[k];
        break;
      }
  }
  if (!c) /* its call is not in the trace (or was closed): dropped */
    return ti_count(w->ctx, "openhands.orphan_results", 1);
  const ti_jv *sole = e->kind == OH_K_RESULT ? oh_v0_obs_sole(e) : NULL;
  if (!sole && (rc = text_of(w, i, &w->text)) != TI_OK)
    return rc;
  rc = ti_emit_msg_begin(w->ctx, "tool");
  if (rc == TI_OK)
    rc = sole ? ti_emit_msg_content_jv(w->ctx, sole)
              : ti_emit_msg_content(w->ctx, w->text.p ? w->text.p : "", w->text.len);
  if (rc == TI_OK)
    rc = ti_emit_msg_tool_call_id(w->ctx, c->id.p, c->id.len);
  if (rc == TI_OK && c->name.len)
    rc = ti_emit_msg_name(w->ctx, c->name.p, c->name.len);
  if (rc == TI_OK)
    rc = ti_emit_msg_end(w->ctx, &c->result);
  c->result_ev = i;
  for (size_t k = 0; k < w->ncalls; k++)
    if (!w->calls[k].result)
      return rc;
  return rc ? rc : close_turn(w);
}

int oh_walk_begin(oh_walk *w, ti_plugin_ctx *ctx, oh_traj *t, const oh_opts *o) {
  w->ctx = ctx;
  w->t = t;
  w->o = *o;
  w->pos = w->turns = w->condensations = 0;
  /* A pre-function-calling trace: its tool turns are rebuilt as text. */
  w->prefc = 0;
  for (size_t i = 0; !t->fc && i < t->n; i++)
    if (t->ev[i].kind == OH_K_TEXT_TURN)
      w->prefc = 1;
  w->has_system = 0;
  w->tools = NULL;
  w->tools_sent = 0;
  ti_buf_reset(&w->version);
  ti_buf_reset(&w->last_model);
  w->nunits = w->nres = w->nacts = w->ncalls = w->ndeferred = 0;
  w->open = 0;
  oh_set_clear(&w->closed_resp);
  oh_set_clear(&w->results);
  return ti_emit_trajectory(ctx, t->id.p ? t->id.p : "", t->id.len);
}

int oh_walk_next(oh_walk *w) {
  oh_traj *t = w->t;
  int rc = TI_OK;
  while (w->pos < t->n) {
    size_t i = w->pos++;
    const oh_ev *e = &t->ev[i];
    const ti_message *m;
    switch (e->kind) {
    case OH_K_SYSTEM:
      rc = on_system(w, i);
      break;
    case OH_K_USER:
    case OH_K_OBS_USER:
      if (e->kind == OH_K_OBS_USER && e->ver == 0 && !w->o.recall &&
          ti_json_str_eq(&e->type, "recall"))
        break;
      rc = text_of(w, i, &w->text);
      if (rc == TI_OK && (e->kind == OH_K_USER || w->text.len)) {
        rc = oh_msg_text(w, "user", w->text.p, w->text.len, &m);
        if (rc == TI_OK)
          rc = add_msg(w, i, m);
      }
      break;
    case OH_K_RESULT:
      rc = on_result(w, i);
      break;
    case OH_K_CALL:
      if (w->open && oh_jv_streq(&e->resp, &t->ev[w->lead].resp))
        break; /* a sibling call of the open turn */
      if (e->resp.type == TI_JSON_STRING &&
          oh_set_has(&w->closed_resp, e->resp.p, e->resp.n)) {
        rc = ti_count(w->ctx, "openhands.late_calls", 1);
        break;
      }
      if ((rc = close_turn(w)) != TI_OK || (rc = oh_turn_build(w, i)) != TI_OK)
        return rc;
      if ((rc = oh_turn_emit_state(w, i, w->full)) != TI_OK)
        return rc;
      w->open = 1;
      w->lead = i;
      return TI_OK;
    case OH_K_AGENT_MSG:
    case OH_K_TEXT_TURN: {
      if ((rc = close_turn(w)) != TI_OK || (rc = text_of(w, i, &w->text)) != TI_OK)
        return rc;
      ti_jv rs;
      rc = ti_emit_msg_begin(w->ctx, "assistant");
      if (rc == TI_OK)
        rc = ti_emit_msg_content(w->ctx, w->text.p ? w->text.p : "", w->text.len);
      ti_buf_reset(&w->text2);
      if (rc == TI_OK && e->ver == 1 &&
          ti_json_getv(&e->obj, &rs, "llm_message", "reasoning_content",
                       (const char *)NULL) &&
          rs.type == TI_JSON_STRING && (rc = oh_append_str(&w->text2, &rs)) == TI_OK &&
          w->text2.len)
        rc = ti_emit_msg_reasoning(w->ctx, w->text2.p, w->text2.len);
      if (rc == TI_OK)
        rc = ti_emit_msg_end(w->ctx, &m);
      w->ncalls = 0;
      if (rc == TI_OK)
        rc = oh_turn_emit_state(w, i, m);
      if (rc == TI_OK)
        rc = add_msg(w, i, m);
      return rc;
    }
    case OH_K_CONDENSE:
      if (!w->o.condense)
        break;
      if ((rc = close_turn(w)) == TI_OK)
        rc = oh_condense(w, i);
      break;
    default:
      break;
    }
    if (rc != TI_OK)
      return rc;
  }
  rc = close_turn(w);
  return rc ? rc : TI_DONE;
}
