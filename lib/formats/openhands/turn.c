/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: one turn = one model response. The assistant message is
 * rebuilt from the raw model output: v0 tool_call_metadata.model_response
 * (content + every tool call of the response), v1 the ActionEvents sharing
 * llm_response_id (thought of the first + every tool_call). */
#include <string.h>

#include "walk.h"

int oh_msg_text(oh_walk *w, const char *role, const char *s, size_t n,
                const ti_message **out) {
  int rc = ti_emit_msg_begin(w->ctx, role);
  if (rc == TI_OK)
    rc = ti_emit_msg_content(w->ctx, s ? s : "", s ? n : 0);
  if (rc == TI_OK)
    rc = ti_emit_msg_end(w->ctx, out);
  return rc;
}

static oh_call *call_add(oh_walk *w) {
  if (w->ncalls == w->capcalls) {
    size_t nc = w->capcalls ? w->capcalls * 2 : 8;
    oh_call *p = ti_mem_realloc(w->calls, nc * sizeof *p);
    if (!p)
      return NULL;
    memset(p + w->capcalls, 0, (nc - w->capcalls) * sizeof *p);
    w->calls = p;
    w->capcalls = nc;
  }
  oh_call *c = &w->calls[w->ncalls++];
  ti_buf_reset(&c->id);
  ti_buf_reset(&c->name);
  ti_buf_reset(&c->args);
  c->result = NULL;
  c->result_ev = 0;
  return c;
}

/* arguments: a JSON string holding JSON text (kept as is), or an object
 * (written compact). */
static int put_args(ti_buf *b, const ti_jv *v) {
  if (v->type == TI_JSON_STRING)
    return ti_json_str_append(v, b);
  if (v->type == TI_JSON_OBJECT || v->type == TI_JSON_ARRAY)
    return ti_json_write_compact(v, b);
  return ti_buf_puts(b, "{}");
}

/* A v0 action's args as call arguments (no model response to take them
 * from): every member but the thought and null values. */
static int put_action_args(ti_buf *b, const ti_jv *args) {
  ti_json_iter it;
  ti_jv k, v;
  int rc = ti_buf_puts(b, "{"), first = 1;
  ti_json_iter_init(&it, args);
  while (rc == TI_OK && ti_json_next_member(&it, &k, &v)) {
    if (v.type == TI_JSON_NULL || ti_json_str_eq(&k, "thought"))
      continue;
    if (!first)
      rc = ti_buf_puts(b, ",");
    if (rc == TI_OK)
      rc = ti_json_write_compact(&k, b);
    if (rc == TI_OK)
      rc = ti_buf_puts(b, ":");
    if (rc == TI_OK)
      rc = ti_json_write_compact(&v, b);
    first = 0;
  }
  return rc ? rc : ti_buf_puts(b, "}");
}

static int add_call(oh_walk *w, const ti_jv *id, const ti_jv *name,
                    const ti_jv *args) {
  oh_call *c = call_add(w);
  if (!c)
    return TI_ERR_NOMEM;
  int rc = oh_append_str(&c->id, id);
  if (rc == TI_OK)
    rc = oh_append_str(&c->name, name);
  if (rc == TI_OK)
    rc = put_args(&c->args, args);
  if (rc == TI_OK && !c->id.p)
    rc = ti_buf_puts(&c->id, "");
  if (rc == TI_OK && !c->name.p)
    rc = ti_buf_puts(&c->name, "");
  return rc;
}

static int acts_add(oh_walk *w, size_t j) {
  if (w->nacts == w->capacts) {
    size_t nc = w->capacts ? w->capacts * 2 : 64;
    size_t *p = ti_mem_realloc(w->acts, nc * sizeof *p);
    if (!p)
      return TI_ERR_NOMEM;
    w->acts = p;
    w->capacts = nc;
  }
  w->acts[w->nacts++] = j;
  return TI_OK;
}

/* One tool call {id, function:{name, arguments}}: one pass per level. */
static int v0_call(oh_walk *w, const ti_jv *tc) {
  ti_jv id = {0}, name = {0}, args = {0}, fn = {0}, k, v;
  ti_json_iter it;
  ti_json_iter_init(&it, tc);
  while (ti_json_next_member(&it, &k, &v)) {
    if (TI_JSON_STR_IS(&k, "id"))
      id = v;
    else if (TI_JSON_STR_IS(&k, "function"))
      fn = v;
  }
  ti_json_iter_init(&it, &fn);
  while (ti_json_next_member(&it, &k, &v)) {
    if (TI_JSON_STR_IS(&k, "name"))
      name = v;
    else if (TI_JSON_STR_IS(&k, "arguments"))
      args = v;
  }
  return add_call(w, &id, &name, &args);
}

/* v0: choices[0].message of the model response (content, every tool call,
 * reasoning), plus its model and usage; each object is walked once. */
static int v0_from_response(oh_walk *w, const oh_ev *e, ti_buf *content,
                            ti_buf *reasoning) {
  ti_jv choices = {0}, ch, msg = {0}, mcontent = {0}, mreason = {0}, tcs = {0}, tc, v, k;
  ti_json_iter it;
  int rc = TI_OK;
  ti_json_iter_init(&it, &e->mresp);
  while (ti_json_next_member(&it, &k, &v)) {
    if (TI_JSON_STR_IS(&k, "choices"))
      choices = v;
    else if (TI_JSON_STR_IS(&k, "usage") && v.type == TI_JSON_OBJECT)
      w->usage = v;
    else if (TI_JSON_STR_IS(&k, "model") && v.type == TI_JSON_STRING) {
      ti_buf_reset(&w->last_model);
      if (oh_append_str(&w->last_model, &v) != TI_OK)
        return TI_ERR_NOMEM;
    }
  }
  if (choices.type != TI_JSON_ARRAY)
    return 1;
  ti_json_iter_init(&it, &choices);
  if (!ti_json_next(&it, &ch))
    return 1;
  ti_json_iter_init(&it, &ch);
  while (ti_json_next_member(&it, &k, &v))
    if (TI_JSON_STR_IS(&k, "message")) {
      msg = v;
      break;
    }
  if (msg.type != TI_JSON_OBJECT)
    return 1;
  ti_json_iter_init(&it, &msg);
  while (ti_json_next_member(&it, &k, &v)) {
    if (TI_JSON_STR_IS(&k, "content"))
      mcontent = v;
    else if (TI_JSON_STR_IS(&k, "reasoning_content"))
      mreason = v;
    else if (TI_JSON_STR_IS(&k, "tool_calls"))
      tcs = v;
  }
  if (mcontent.type != TI_JSON_NULL)
    rc = oh_append_text(content, &mcontent, "");
  if (rc == TI_OK && mreason.type == TI_JSON_STRING)
    rc = oh_append_str(reasoning, &mreason);
  ti_json_iter_init(&it, &tcs);
  while (rc == TI_OK && ti_json_next(&it, &tc))
    rc = v0_call(w, &tc);
  return rc;
}

/* v1: a MessageToolCall {id,name,arguments} or the older litellm shape. */
static int v1_add_call(oh_walk *w, const oh_ev *e) {
  ti_jv tc, id = {0}, name = {0}, args = {0}, fn;
  if (oh_get(&e->obj, "tool_call", &tc) && tc.type == TI_JSON_OBJECT) {
    (void)ti_json_get(&tc, "id", &id);
    if (!ti_json_get(&tc, "name", &name) && oh_get(&tc, "function", &fn)) {
      (void)ti_json_get(&fn, "name", &name);
      (void)ti_json_get(&fn, "arguments", &args);
    } else {
      (void)ti_json_get(&tc, "arguments", &args);
    }
  }
  if (id.type != TI_JSON_STRING)
    id = e->call_id;
  if (name.type != TI_JSON_STRING)
    name = e->tool;
  if (args.type == TI_JSON_INVALID && e->args.type == TI_JSON_OBJECT)
    args = e->args;
  return add_call(w, &id, &name, &args);
}

/* Drop a leading <think>...</think> block that duplicates the reasoning. */
static void strip_think(ti_buf *content, const ti_buf *reasoning) {
  if (!reasoning->len || content->len < 7)
    return;
  size_t a = 0;
  while (a < content->len && (content->p[a] == ' ' || content->p[a] == '\n'))
    a++;
  if (content->len - a < 7 || memcmp(content->p + a, "<think>", 7) != 0)
    return;
  const char *end = memmem(content->p + a, content->len - a, "</think>", 8);
  if (!end)
    return;
  size_t b = (size_t)(end - content->p) + 8;
  while (b < content->len && (content->p[b] == ' ' || content->p[b] == '\n'))
    b++;
  memmove(content->p, content->p + b, content->len - b);
  content->len -= b;
  content->p[content->len] = '\0';
}

int oh_turn_build(oh_walk *w, size_t i) {
  oh_traj *t = w->t;
  const oh_ev *e = &t->ev[i];
  ti_buf *content = &w->text, *reasoning = &w->text2;
  int rc = TI_OK;
  ti_jv v;
  ti_buf_reset(content);
  ti_buf_reset(reasoning);
  w->ncalls = 0;
  w->act_start = w->nacts;
  w->usage.type = TI_JSON_INVALID;
  w->rebuilt = 0;
  if (e->ver == 0) {
    int got = v0_from_response(w, e, content, reasoning);
    if (got < 0)
      return got;
    if (got != TI_OK || w->ncalls == 0) {
      /* No usable model response: fall back on the action itself. */
      w->ncalls = 0;
      ti_buf_reset(content);
      if (oh_get(&e->args, "thought", &v))
        rc = oh_append_str(content, &v);
      ti_jv none = {0};
      if (rc == TI_OK)
        rc = add_call(w, &e->call_id, &e->tool, &none);
      if (rc == TI_OK && e->args.type == TI_JSON_OBJECT) {
        ti_buf *a = &w->calls[w->ncalls - 1].args;
        ti_buf_reset(a);
        rc = put_action_args(a, &e->args);
      }
      w->rebuilt = 1;
      if (rc == TI_OK)
        rc = ti_count(w->ctx, "openhands.response_missing", 1);
    }
  } else {
    if (oh_get(&e->obj, "thought", &v))
      rc = oh_append_text(content, &v, "\n");
    if (rc == TI_OK && oh_get(&e->obj, "reasoning_content", &v))
      rc = oh_append_str(reasoning, &v);
  }
  /* Every action of the response, with the results and errors in between,
   * up to the next model response. */
  for (size_t j = i; j < t->n && rc == TI_OK; j++) {
    const oh_ev *x = &t->ev[j];
    if (j != i && (x->kind == OH_K_AGENT_MSG || x->kind == OH_K_TEXT_TURN))
      break;
    if (x->kind != OH_K_CALL || x->ver != e->ver)
      continue;
    if (j != i && (e->resp.type != TI_JSON_STRING || !oh_jv_streq(&x->resp, &e->resp)))
      break;
    rc = acts_add(w, j);
    if (rc == TI_OK && e->ver == 1)
      rc = v1_add_call(w, x);
  }
  if (rc != TI_OK)
    return rc;
  if (w->o.strip_think)
    strip_think(content, reasoning);
  ti_buf_reset(&w->turn_content);
  ti_buf_reset(&w->turn_reasoning);
  if (content->len && !oh_blank(content->p, content->len))
    rc = ti_buf_append(&w->turn_content, content->p, content->len);
  if (rc == TI_OK && reasoning->len)
    rc = ti_buf_append(&w->turn_reasoning, reasoning->p, reasoning->len);
  if (rc == TI_OK)
    rc = ti_emit_msg_begin(w->ctx, "assistant");
  if (rc == TI_OK && w->turn_content.len)
    rc = ti_emit_msg_content(w->ctx, w->turn_content.p, w->turn_content.len);
  for (size_t k = 0; k < w->ncalls && rc == TI_OK; k++) {
    oh_call *c = &w->calls[k];
    rc = ti_emit_msg_tool_call(w->ctx, c->id.p, c->id.len, c->name.p, c->name.len,
                               c->args.p ? c->args.p : "{}", c->args.p ? c->args.len : 2);
  }
  if (rc == TI_OK && reasoning->len)
    rc = ti_emit_msg_reasoning(w->ctx, reasoning->p, reasoning->len);
  if (rc == TI_OK)
    rc = ti_emit_msg_end(w->ctx, &w->full);
  return rc;
}

/* student_action: the turn's text; when it has none, the calls rendered as
 * a JSON array of {"name","arguments"} (arguments parsed when valid). The
 * text and calls come from the walker's buffers, not read back from the
 * message. */
static int student_text(oh_walk *w, const char *text, size_t len, int calls,
                        ti_buf *out) {
  if (text && len && !oh_blank(text, len))
    return ti_buf_append(out, text, len);
  if (!w->o.student_calls || !calls || w->ncalls == 0)
    return ti_buf_append(out, "", 0);
  int rc = ti_buf_puts(out, "[");
  for (size_t k = 0; k < w->ncalls && rc == TI_OK; k++) {
    const oh_call *c = &w->calls[k];
    ti_jv root;
    rc = ti_buf_puts(out, k ? ",{\"name\":" : "{\"name\":");
    if (rc == TI_OK)
      rc = ti_buf_json_string(out, c->name.p ? c->name.p : "", c->name.len);
    if (rc == TI_OK)
      rc = ti_buf_puts(out, ",\"arguments\":");
    if (rc != TI_OK)
      break;
    if (c->args.p && ti_json_parse(c->args.p, c->args.len, 0, &root, NULL) == TI_OK)
      rc = ti_json_write_compact(&root, out);
    else
      rc = ti_buf_json_string(out, c->args.p ? c->args.p : "", c->args.len);
    if (rc == TI_OK)
      rc = ti_buf_puts(out, "}");
  }
  return rc ? rc : ti_buf_puts(out, "]");
}

static int meta_jv_str(ti_plugin_ctx *ctx, ti_buf *tmp, const char *key,
                       const ti_jv *v) {
  if (v->type == TI_JSON_STRING) {
    ti_buf_reset(tmp);
    int rc = ti_json_str_append(v, tmp);
    return rc ? rc : ti_emit_meta_str(ctx, key, tmp->p ? tmp->p : "", tmp->len);
  }
  if (v->type == TI_JSON_NUMBER) {
    int64_t x;
    if (ti_json_int(v, &x) == TI_OK)
      return ti_emit_meta_int(ctx, key, x);
  }
  return TI_OK;
}

int oh_turn_emit_state(oh_walk *w, size_t i, const ti_message *action) {
  ti_plugin_ctx *ctx = w->ctx;
  oh_traj *t = w->t;
  const oh_ev *e = &t->ev[i];
  ti_buf *tmp = &w->scratch;
  int rc = ti_emit_state_begin(ctx);
  ti_buf_reset(tmp);
  if (rc == TI_OK && t->id.len)
    rc = ti_buf_append(tmp, t->id.p, t->id.len);
  if (rc == TI_OK)
    rc = ti_buf_append(tmp, ":", 1);
  if (rc == TI_OK)
    rc = oh_put_int(tmp, (int64_t)w->turns);
  if (rc == TI_OK)
    rc = ti_emit_state_id(ctx, tmp->p, tmp->len);
  if (rc == TI_OK)
    rc = ti_emit_state_action(ctx, action);
  ti_buf_reset(tmp);
  if (e->kind == OH_K_CALL && w->turn_content.len) {
    /* the turn's text is the action's content: the core's default */
  } else {
    if (rc == TI_OK && e->kind == OH_K_CALL)
      rc = student_text(w, w->turn_content.p, w->turn_content.len, 1, tmp);
    else if (rc == TI_OK)
      rc = student_text(w, w->text.p, w->text.len, 0, tmp);
    if (rc == TI_OK)
      rc = ti_emit_state_student_action(ctx, tmp->p ? tmp->p : "", tmp->len);
  }
  /* source model: the response's model, else the envelope's. */
  ti_buf_reset(tmp);
  if (rc == TI_OK && w->last_model.len)
    rc = ti_buf_append(tmp, w->last_model.p, w->last_model.len);
  else if (rc == TI_OK && t->model.len)
    rc = ti_buf_append(tmp, t->model.p, t->model.len);
  if (rc == TI_OK && tmp->len)
    rc = ti_emit_state_model(ctx, tmp->p, tmp->len);
  if (rc == TI_OK && e->file)
    rc = ti_emit_state_file(ctx, e->file);
  if (rc == TI_OK && e->line)
    rc = ti_emit_state_lines(ctx, e->line, e->line);
  /* metadata */
  if (rc == TI_OK)
    rc = ti_emit_meta_str(ctx, "variant", oh_variant_names[t->variant],
                          strlen(oh_variant_names[t->variant]));
  if (rc == TI_OK && t->instance_id.type != TI_JSON_INVALID)
    rc = meta_jv_str(ctx, tmp, "instance_id", &t->instance_id);
  if (rc == TI_OK && e->ver == 1 && e->uid.type == TI_JSON_STRING)
    rc = meta_jv_str(ctx, tmp, "event_id", &e->uid);
  else if (rc == TI_OK && e->id >= 0)
    rc = ti_emit_meta_int(ctx, "event_id", e->id);
  if (rc == TI_OK && e->resp.type == TI_JSON_STRING)
    rc = meta_jv_str(ctx, tmp, "model_response_id", &e->resp);
  if (rc == TI_OK && e->kind == OH_K_CALL)
    rc = ti_emit_meta_int(ctx, "tool_calls", (int64_t)w->ncalls);
  if (rc == TI_OK && e->kind == OH_K_CALL && w->usage.type == TI_JSON_OBJECT)
    rc = ti_emit_meta_jv(ctx, "usage", &w->usage);
  if (rc == TI_OK && (w->prefc || e->kind == OH_K_TEXT_TURN ||
                      (e->kind == OH_K_CALL && w->rebuilt)))
    rc = ti_emit_meta_bool(ctx, "reconstructed", 1);
  if (rc == TI_OK && !w->has_system)
    rc = ti_emit_meta_bool(ctx, "system_missing", 1);
  if (rc == TI_OK && w->condensations)
    rc = ti_emit_meta_int(ctx, "condensations", (int64_t)w->condensations);
  if (rc == TI_OK && w->version.len)
    rc = ti_emit_meta_str(ctx, "openhands_version", w->version.p, w->version.len);
  /* Tool schemas: on the first state after the system event that declared
   * them (option tools_metadata=all repeats them on every state). */
  if (rc == TI_OK && w->tools && w->o.tools_meta &&
      (w->o.tools_meta == 2 || !w->tools_sent)) {
    /* compact JSON the plugin wrote from the parse: no second validation */
    ti_jv tv = {.p = w->tools, .n = w->tools_buf.len, .type = TI_JSON_ARRAY};
    rc = ti_emit_meta_jv(ctx, "tools", &tv);
    w->tools_sent = 1;
  }
  if (rc == TI_OK)
    rc = ti_emit_state_end(ctx);
  if (rc == TI_OK)
    w->turns++;
  return rc;
}
