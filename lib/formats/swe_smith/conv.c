/* SPDX-License-Identifier: MIT */
/* One conversation (a row, a .traj, a mini trajectory): walk its messages,
 * keep the history, emit one state per assistant turn (reference §7.2). */
#include <string.h>

#include "swe_smith.h"

uint64_t ss_line_of(ss_parser *p, const char *ptr) {
  const char *q;
  if (!p->buf || ptr < p->buf || ptr > p->buf + p->len) return 0;
  if (!p->lc_ptr || ptr < p->lc_ptr) {
    p->lc_ptr = p->buf;
    p->lc_line = 1;
  }
  q = p->lc_ptr;
  while (q < ptr && (q = memchr(q, '\n', (size_t)(ptr - q))) != NULL) {
    p->lc_line++;
    q++;
  }
  p->lc_ptr = ptr;
  return p->lc_line;
}

/* v comes from a validating parse: ti_emit_meta_jv stores its compact form
 * without parsing it again (what ti_emit_meta_json would do). */
int ss_meta_jv(ti_plugin_ctx *ctx, const char *key, const ti_jv *v) {
  if (v->type == TI_JSON_INVALID) return TI_OK;
  return ti_emit_meta_jv(ctx, key, v);
}

int ss_meta_member(ti_plugin_ctx *ctx, const ti_jv *obj, const char *member, const char *key) {
  ti_jv v;
  if (!ti_json_get(obj, member, &v)) return TI_OK;
  return ss_meta_jv(ctx, key ? key : member, &v);
}

int ss_meta_big(ss_parser *p, ti_plugin_ctx *ctx, const char *key, const ti_jv *v) {
  int rc;
  if (v->type != TI_JSON_STRING) return ss_meta_jv(ctx, key, v);
  /* Emitted for every state of the record: its canonical JSON literal is
   * made once, and only copied from then on (a string written by
   * ti_json_write_compact is canonical: TI_JV_CANONICAL). */
  if (p->big_src != v->p || !p->big.p) {
    ti_buf_reset(&p->big);
    if ((rc = ti_json_write_compact(v, &p->big)) != TI_OK) return rc;
    p->big_src = v->p;
  }
  ti_jv lit = {.p = p->big.p, .n = p->big.len, .type = TI_JSON_STRING,
               .flags = TI_JV_ESCAPES | TI_JV_CANONICAL};
  return ti_emit_meta_jv(ctx, key, &lit);
}

static uint64_t fnv(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h ? h : 1;
}

/* 1 if h was already present; inserts it. Negative on OOM. */
static int seen_add(ss_parser *p, uint64_t h) {
  size_t i;
  if ((p->seen_n + 1) * 2 > p->seen_cap) {
    size_t ncap = p->seen_cap ? p->seen_cap * 2 : 64;
    uint64_t *n = ti_mem_calloc(ncap, sizeof *n);
    if (!n) return TI_ERR_NOMEM;
    for (i = 0; i < p->seen_cap; i++) {
      if (!p->seen[i]) continue;
      size_t j = (size_t)(p->seen[i] & (ncap - 1));
      while (n[j]) j = (j + 1) & (ncap - 1);
      n[j] = p->seen[i];
    }
    ti_mem_free(p->seen);
    p->seen = n;
    p->seen_cap = ncap;
  }
  i = (size_t)(h & (p->seen_cap - 1));
  while (p->seen[i]) {
    if (p->seen[i] == h) return 1;
    i = (i + 1) & (p->seen_cap - 1);
  }
  p->seen[i] = h;
  p->seen_n++;
  return 0;
}

int ss_set_tid(ss_parser *p, const char *s, size_t n, size_t row) {
  int rc, dup;
  ti_buf_reset(&p->tid);
  if ((rc = ti_buf_append(&p->tid, s, n)) != TI_OK) return rc;
  dup = seen_add(p, fnv(p->tid.p, p->tid.len));
  if (dup < 0) return dup;
  if (dup) {
    if ((rc = ti_buf_printf(&p->tid, "#%zu", row)) != TI_OK) return rc;
    dup = seen_add(p, fnv(p->tid.p, p->tid.len));
    if (dup < 0) return dup;
  }
  return TI_OK;
}

int ss_conv_start(ss_parser *p, ti_plugin_ctx *ctx, const ti_jv *rec, const ti_jv *members,
                  int kind, uint64_t line, uint64_t offset, uint64_t line_end) {
  ss_conv *c = &p->conv;
  int attempt = c->attempt;
  int rc;
  memset(c, 0, sizeof *c);
  c->attempt = attempt;
  c->kind = kind;
  c->rec = *rec;
  if (members)
    memcpy(c->m, members, sizeof c->m);
  else
    ss_members(rec, c->m);
  c->line = line;
  c->offset = offset;
  c->line_end = line_end;
  c->row = p->nrec - 1;
  ti_buf_reset(&p->tid);
  ti_buf_reset(&p->model);
  p->big_src = NULL; /* a new record may reuse the bytes of the last one */
  switch (kind) {
  case SS_K_TRAJ: rc = ss_traj_setup(p, ctx, c); break;
  case SS_K_MINI: rc = ss_mini_setup(p, ctx, c); break;
  default: rc = ss_row_setup(p, ctx, c); break;
  }
  if (rc < 0 || !c->active) {
    c->active = 0;
    return rc < 0 ? rc : TI_OK;
  }
  if ((rc = ti_emit_trajectory(ctx, p->tid.p, p->tid.len)) != TI_OK) {
    c->active = 0;
    return rc;
  }
  ti_json_iter_init(&c->it, &c->msgs);
  return TI_OK;
}

int ss_emit_state(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c, const ti_jv *pos,
                  const ti_message *msg, const char *content, size_t clen,
                  const ti_jv *calls, int flags) {
  int rc;
  int has_calls = calls && calls->type == TI_JSON_ARRAY;
  if ((rc = ti_emit_state_begin(ctx)) != TI_OK) return rc;
  ti_buf_reset(&p->sa);
  if ((rc = ti_buf_append(&p->sa, p->tid.p, p->tid.len)) != TI_OK ||
      (rc = ti_buf_printf(&p->sa, ":%zu", c->turn)) != TI_OK ||
      (rc = ti_emit_state_id(ctx, p->sa.p, p->sa.len)) != TI_OK)
    return rc;
  if ((rc = ti_emit_state_action(ctx, msg)) != TI_OK) return rc;
  /* student_action: the content; tool-only turns render their calls */
  if (has_calls && (p->opt.student_action == SS_SA_XML ||
                    (p->opt.student_action == SS_SA_AUTO && clen == 0))) {
    size_t b = 0, e;
    ti_buf_reset(&p->sa);
    if (p->opt.student_action == SS_SA_XML && clen > 0) {
      if ((rc = ti_buf_append(&p->sa, content, clen)) != TI_OK ||
          (rc = ti_buf_puts(&p->sa, "\n\n")) != TI_OK)
        return rc;
    }
    if ((rc = ss_render_calls(calls, &p->sa, &p->tmp2)) != TI_OK) return rc;
    if (!p->sa.p && (rc = ti_buf_append(&p->sa, "", 0)) != TI_OK) return rc;
    e = p->sa.len; /* Python str.strip() */
    while (b < e && (p->sa.p[b] == ' ' || p->sa.p[b] == '\n' || p->sa.p[b] == '\t' || p->sa.p[b] == '\r')) b++;
    while (e > b && (p->sa.p[e - 1] == ' ' || p->sa.p[e - 1] == '\n' || p->sa.p[e - 1] == '\t' || p->sa.p[e - 1] == '\r')) e--;
    if ((rc = ti_emit_state_student_action(ctx, p->sa.p + b, e - b)) != TI_OK) return rc;
  }
  if (p->model.len && (rc = ti_emit_state_model(ctx, p->model.p, p->model.len)) != TI_OK)
    return rc;
  if (pos && c->in_input) {
    uint64_t a = ss_line_of(p, pos->p), z = ss_line_of(p, pos->p + pos->n - 1);
    rc = ti_emit_state_lines(ctx, a, z);
  } else if (c->line) {
    rc = ti_emit_state_lines(ctx, c->line, c->line_end ? c->line_end : c->line);
  }
  if (rc != TI_OK) return rc;
  switch (c->kind) {
  case SS_K_TRAJ: rc = ss_traj_meta(p, ctx, c, flags); break;
  case SS_K_MINI: rc = ss_mini_meta(p, ctx, c); break;
  default: rc = ss_row_meta(p, ctx, c); break;
  }
  if (rc == TI_OK && (flags & SS_F_SYNTHETIC)) rc = ti_emit_meta_bool(ctx, "synthetic", 1);
  if (rc != TI_OK) return rc;
  if ((rc = ti_emit_state_end(ctx)) != TI_OK) return rc;
  c->turn++;
  return TI_OK;
}

static int bad_message(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c, const ti_jv *raw) {
  uint64_t line = c->in_input ? ss_line_of(p, raw->p) : c->line;
  uint64_t off = c->in_input ? (uint64_t)(raw->p - p->buf) : c->offset;
  if (raw->type != TI_JSON_OBJECT)
    return ti_report(ctx, TI_ERR_PARSE, line, off, "message is not a JSON object; dropped");
  if (p->opt.unknown_role_err) {
    ti_jv r;
    ti_json_get(raw, "role", &r);
    return ti_report(ctx, TI_ERR_PARSE, line, off, "message with unknown role %.*s; dropped",
                     (int)(r.type == TI_JSON_STRING && r.n < 64 ? r.n : 7),
                     r.type == TI_JSON_STRING && r.n < 64 ? r.p : "missing");
  }
  return ti_count(ctx, SS_NAME ".unknown_role", 1);
}

int ss_conv_step(ss_parser *p, ti_plugin_ctx *ctx) {
  ss_conv *c = &p->conv;
  ti_jv raw;
  ss_msg m;
  int rc;
  if (c->steps_mode) return ss_steps_step(p, ctx, c);
  if (c->pending) {
    if ((rc = ti_emit_push(ctx, c->pending)) != TI_OK) return rc;
    c->pending = NULL;
  }
  while (ti_json_next(&c->it, &raw)) {
    if ((rc = ss_norm_message(p, ctx, &raw, c->kind == SS_K_NEBIUS, &m)) != TI_OK) return rc;
    if (m.role == SS_R_UNKNOWN) {
      if ((rc = bad_message(p, ctx, c, &raw)) != TI_OK) return rc;
      continue;
    }
    if (m.role == SS_R_DROP) continue;
    if (c->scan.agent0.type == TI_JSON_STRING && m.agent.type == TI_JSON_STRING &&
        !(m.agent.n == c->scan.agent0.n && memcmp(m.agent.p, c->scan.agent0.p, m.agent.n) == 0)) {
      if ((rc = ti_count(ctx, SS_NAME ".other_agent_messages", 1)) != TI_OK) return rc;
      continue;
    }
    if (m.role == SS_R_ASSISTANT && m.is_demo) {
      if ((rc = ti_count(ctx, SS_NAME ".demo_turns_skipped", 1)) != TI_OK) return rc;
    } else if (m.role == SS_R_ASSISTANT && m.synthetic && !p->opt.keep_synthetic) {
      if ((rc = ti_count(ctx, SS_NAME ".synthetic_turns_skipped", 1)) != TI_OK) return rc;
    } else if (m.role == SS_R_ASSISTANT) {
      rc = ss_emit_state(p, ctx, c, &raw, m.msg, m.content, m.content_len, &m.tool_calls,
                         m.synthetic ? SS_F_SYNTHETIC : 0);
      if (rc != TI_OK) return rc;
      c->pending = m.msg;
      return 1;
    }
    if ((rc = ti_emit_push(ctx, m.msg)) != TI_OK) return rc;
  }
  if (c->kind == SS_K_TRAJ) return ss_traj_tail(p, ctx, c);
  return 0;
}
