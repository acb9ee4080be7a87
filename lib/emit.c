/* SPDX-License-Identifier: MIT */
/* Emitting: how a format plugin builds messages, histories and states
 * (the plugin context itself is in context.c). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "json/json-internal.h"

/* ---- trajectories ------------------------------------------------------------ */
TI_API int ti_emit_trajectory(ti_plugin_ctx *ctx, const char *id, size_t len) {
  if (!ctx || (!id && len)) return TI_ERR_INVALID;
  ti_log *spare = ctx->log && ti_log_sole_owner(ctx->log) ? ctx->log : ctx->it->spare_log;
  if (spare) {
    if (ti_log_recycle(spare, id, len)) return TI_ERR_NOMEM;
    if (spare == ctx->it->spare_log) {
      ctx->it->spare_log = NULL;
      ti_log_unref(ctx->log);
      ctx->log = spare;
    }
  } else {
    ti_log *l = ti_log_new(id, len);
    if (!l) return TI_ERR_NOMEM;
    ti_log_unref(ctx->log);
    ctx->log = l;
  }
  ctx->in_msg = ctx->in_state = 0;
  ctx->it->n_trajectories++;
  return TI_OK;
}

/* A plugin that emits without naming a trajectory gets one named after the
 * input file (without directory and extension). */
static int ensure_log(ti_plugin_ctx *ctx) {
  if (ctx->log) return TI_OK;
  const char *p = ctx->path ? ctx->path : ti_ctx_file(ctx);
  const char *b = strrchr(p, '/');
  b = b && b[1] ? b + 1 : p;
  const char *dot = strchr(b, '.');
  size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
  return ti_emit_trajectory(ctx, b, n);
}

/* ---- messages ------------------------------------------------------------------ */
TI_API int ti_emit_msg_begin(ti_plugin_ctx *ctx, const char *role) {
  if (!ctx || !role) return TI_ERR_INVALID;
  int rc = ensure_log(ctx);
  if (rc) return rc;
  ti_buf_reset(&ctx->mrole);
  ti_buf_reset(&ctx->mcontent);
  ti_buf_reset(&ctx->mtools);
  ti_buf_reset(&ctx->mtcid);
  ti_buf_reset(&ctx->mname);
  ti_buf_reset(&ctx->mreason);
  memset(&ctx->mb, 0, sizeof(ctx->mb));
  ctx->has_tcid = ctx->has_name = ctx->has_reason = 0;
  ctx->cref = NULL;
  ctx->cref_n = 0;
  ctx->ncspans = 0;
  ctx->in_msg = 1;
  return ti_buf_puts(&ctx->mrole, role);
}

TI_API int ti_emit_msg_content(ti_plugin_ctx *ctx, const char *s, size_t len) {
  if (!ctx || !ctx->in_msg || (!s && len)) return TI_ERR_MISUSE;
  ti_buf_reset(&ctx->mcontent);
  ctx->mb.content_kind = TI_CONTENT_TEXT;
  ctx->cref = NULL;
  ctx->ncspans = 0;
  return ti_buf_append(&ctx->mcontent, s ? s : "", len);
}

static int hexlow(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* Is this JSON string literal (quotes included) written exactly as
 * ti_buf_json_string would write its decoded value? Then it can be copied. */
static int canonical_literal(const char *p, size_t n) {
  const char *end = p + n - 1, *q = p + 1;
  while ((q = memchr(q, '\\', (size_t)(end - q))) != NULL) {
    char c = q[1];
    if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
      q += 2;
      continue;
    }
    /* \u00XX only for the control characters without a short form */
    if (c != 'u' || end - q < 6 || q[2] != '0' || q[3] != '0' || (q[4] != '0' && q[4] != '1') ||
        !hexlow(q[5]))
      return 0;
    unsigned v = (unsigned)(q[4] - '0') * 16 + (unsigned)(q[5] <= '9' ? q[5] - '0' : q[5] - 'a' + 10);
    if (v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t') return 0;
    q += 6;
  }
  return 1;
}

TI_API int ti_emit_msg_content_jv(ti_plugin_ctx *ctx, const ti_jv *v) {
  if (!ctx || !ctx->in_msg || !v) return TI_ERR_MISUSE;
  ctx->ncspans = 0;
  if (v->type == TI_JSON_ARRAY && v->p && v->n >= 2) { /* content parts */
    ti_buf_reset(&ctx->mcontent);
    ctx->mb.content_kind = TI_CONTENT_PARTS;
    if (v->flags & TI_JV_CANONICAL) { /* compact canonical already */
      ctx->cref = v->p;
      ctx->cref_n = v->n;
      return TI_OK;
    }
    ctx->cref = NULL;
    return ti_json_write_compact(v, &ctx->mcontent);
  }
  if (v->type != TI_JSON_STRING || v->n < 2) return TI_ERR_INVALID;
  ti_buf_reset(&ctx->mcontent);
  ctx->mb.content_kind = TI_CONTENT_TEXT;
  if (!(v->flags & TI_JV_ESCAPES) || (v->flags & TI_JV_CANONICAL) ||
      canonical_literal(v->p, v->n)) {
    /* referenced, not copied: the bytes go once, straight into the log */
    ctx->cref = v->p;
    ctx->cref_n = v->n;
    return TI_OK;
  }
  ctx->cref = NULL;
  return ti_json_str_append(v, &ctx->mcontent);
}

TI_API int ti_emit_msg_content_json(ti_plugin_ctx *ctx, const char *json, size_t len) {
  if (!ctx || !ctx->in_msg || !json) return TI_ERR_MISUSE;
  ctx->ncspans = 0;
  ti_jv v;
  if (ti_json_parse(json, len, ctx->it->max_depth, &v, NULL)) return TI_ERR_INVALID;
  if (v.type == TI_JSON_STRING) { /* a plain string is text content */
    int rc = ti_json_str(&v, &ctx->scratch, &json, &len);
    return rc ? rc : ti_emit_msg_content(ctx, json, len);
  }
  ctx->cref = NULL;
  if (v.type == TI_JSON_NULL) {
    ctx->mb.content_kind = TI_CONTENT_NULL;
    return TI_OK;
  }
  ti_buf_reset(&ctx->mcontent);
  ctx->mb.content_kind = TI_CONTENT_PARTS;
  return ti_json_write_compact(&v, &ctx->mcontent);
}

TI_API int ti_emit_msg_content_spans(ti_plugin_ctx *ctx, const ti_span *pieces, size_t n) {
  if (!ctx || !ctx->in_msg || (!pieces && n)) return TI_ERR_MISUSE;
  if (n > TI_EMIT_MAX_SPANS) return TI_ERR_LIMIT;
  const char *first = NULL, *last = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!pieces[i].p && pieces[i].n) return TI_ERR_INVALID;
    if (!pieces[i].n) continue;
    if (!first) first = pieces[i].p;
    last = pieces[i].p + pieces[i].n - 1;
  }
  if (!first || *first != '[' || *last != ']' || (first == last)) return TI_ERR_INVALID;
  ti_buf_reset(&ctx->cspans);
  int rc = ti_buf_append(&ctx->cspans, pieces, n * sizeof *pieces);
  if (rc) return rc;
  ti_buf_reset(&ctx->mcontent);
  ctx->mb.content_kind = TI_CONTENT_PARTS;
  ctx->cref = NULL;
  ctx->ncspans = n;
  return TI_OK;
}

/* Tool calls are written straight into their JSON (mtools holds the
 * members of the tool_calls array); the decoded fields are made again from
 * it only if an accessor asks (ti_message_tool_call). */
/* A tool call's JSON up to its arguments string, into mtools. */
static int tool_call_head(ti_plugin_ctx *ctx, const char *id, size_t id_len, const char *name,
                          size_t name_len) {
  ti_buf *b = &ctx->mtools;
  int rc = ti_buf_puts(b, ctx->mb.ntools ? ",{\"id\":" : "{\"id\":");
  if (!rc) rc = ti_buf_json_string(b, id ? id : "", id_len);
  if (!rc) rc = ti_buf_puts(b, ",\"type\":\"function\",\"function\":{\"name\":");
  if (!rc) rc = ti_buf_json_string(b, name ? name : "", name_len);
  if (!rc) rc = ti_buf_puts(b, ",\"arguments\":");
  return rc;
}

/* ... and after it (rc: how the arguments went). */
static int tool_call_end(ti_plugin_ctx *ctx, int rc) {
  if (!rc) rc = ti_buf_puts(&ctx->mtools, "}}");
  if (!rc) ctx->mb.ntools++;
  return rc;
}

TI_API int ti_emit_msg_tool_call(ti_plugin_ctx *ctx, const char *id, size_t id_len,
                                 const char *name, size_t name_len, const char *arguments,
                                 size_t args_len) {
  if (!ctx || !ctx->in_msg || (!id && id_len) || (!name && name_len)) return TI_ERR_MISUSE;
  ti_buf *b = &ctx->mtools;
  int rc = tool_call_head(ctx, id, id_len, name, name_len);
  if (!rc) rc = arguments ? ti_buf_json_string(b, arguments, args_len) : ti_buf_puts(b, "\"{}\"");
  return tool_call_end(ctx, rc);
}

/* The same with the arguments as a JSON value: canonical bytes (a
 * TI_JV_CANONICAL container, or what ti_json_write_compact makes of any
 * other value) only need a backslash before '"' and '\\' to become the
 * arguments string, ~5x faster than ti_buf_json_string on object text. */
TI_API int ti_emit_msg_tool_call_jv(ti_plugin_ctx *ctx, const char *id, size_t id_len,
                                    const char *name, size_t name_len, const ti_jv *args) {
  if (!ctx || !ctx->in_msg || (!id && id_len) || (!name && name_len)) return TI_ERR_MISUSE;
  if (args && args->type != TI_JSON_INVALID && (!args->p || args->n == 0)) return TI_ERR_INVALID;
  ti_buf *b = &ctx->mtools;
  int rc = tool_call_head(ctx, id, id_len, name, name_len);
  if (rc) return rc;
  if (!args || args->type == TI_JSON_INVALID) {
    rc = ti_buf_puts(b, "\"{}\"");
  } else if ((args->flags & TI_JV_CANONICAL) &&
             (args->type == TI_JSON_OBJECT || args->type == TI_JSON_ARRAY)) {
    rc = ti_json_quote_json(b, args->p, args->n);
  } else {
    ti_buf *t = &ctx->scratch; /* free until ti_emit_msg_end */
    ti_buf_reset(t);
    rc = ti_json_write_compact(args, t);
    if (!rc) rc = ti_json_quote_json(b, t->p, t->len);
  }
  return tool_call_end(ctx, rc);
}

TI_API int ti_emit_msg_tool_call_id(ti_plugin_ctx *ctx, const char *s, size_t len) {
  if (!ctx || !ctx->in_msg || !s) return TI_ERR_MISUSE;
  ti_buf_reset(&ctx->mtcid);
  ctx->has_tcid = 1;
  return ti_buf_append(&ctx->mtcid, s, len);
}

TI_API int ti_emit_msg_name(ti_plugin_ctx *ctx, const char *s, size_t len) {
  if (!ctx || !ctx->in_msg || !s) return TI_ERR_MISUSE;
  ti_buf_reset(&ctx->mname);
  ctx->has_name = 1;
  return ti_buf_append(&ctx->mname, s, len);
}

TI_API int ti_emit_msg_reasoning(ti_plugin_ctx *ctx, const char *s, size_t len) {
  if (!ctx || !ctx->in_msg || !s) return TI_ERR_MISUSE;
  ti_buf_reset(&ctx->mreason);
  ctx->has_reason = 1;
  return ti_buf_append(&ctx->mreason, s, len);
}

#define TI_EXT_MIN 64

/* Canonical JSON of the message under construction: into ctx->scratch,
 * except content JSON that already exists as bytes (a referenced literal,
 * the parts in mcontent, or the plugin's pieces): that is left out of
 * scratch, to go between scratch[0, content_json_off) and the rest; *mid
 * (*nmid pieces, `one` when a single one) and *mid_n say what. */
static int build_message_json(ti_plugin_ctx *ctx, const ti_span **mid, size_t *nmid,
                              size_t *mid_n, ti_span *one) {
  ti_buf *b = &ctx->scratch;
  ti_message *m = &ctx->mb;
  ti_buf_reset(b);
  *mid = one;
  *nmid = 0;
  *mid_n = 0;
  static const char *const known[] = {"{\"role\":\"assistant\",\"content\":",
                                      "{\"role\":\"tool\",\"content\":",
                                      "{\"role\":\"user\",\"content\":",
                                      "{\"role\":\"system\",\"content\":"};
  const char *head = NULL;
  for (size_t i = 0; i < sizeof known / sizeof *known && !head; i++) {
    size_t rn = strlen(known[i]) - 21; /* the role's length */
    if (ctx->mrole.len == rn && !memcmp(known[i] + 9, ctx->mrole.p, rn)) head = known[i];
  }
  int rc;
  if (head) { /* the usual roles: the head is a constant */
    rc = ti_buf_puts(b, head);
  } else {
    rc = ti_buf_puts(b, "{\"role\":");
    if (!rc) rc = ti_buf_json_string(b, ctx->mrole.p, ctx->mrole.len);
    if (!rc) rc = ti_buf_puts(b, ",\"content\":");
  }
  m->content_json_off = b->len;
  if (rc) return rc;
  if (ctx->cref) { /* text or parts from ti_emit_msg_content_jv */
    *one = (ti_span){ctx->cref, ctx->cref_n};
    *nmid = 1;
  } else if (ctx->ncspans) { /* parts from ti_emit_msg_content_spans */
    *mid = (const ti_span *)(const void *)ctx->cspans.p;
    *nmid = ctx->ncspans;
  } else if (m->content_kind == TI_CONTENT_TEXT) {
    rc = ti_buf_json_string(b, ctx->mcontent.p ? ctx->mcontent.p : "", ctx->mcontent.len);
  } else if (m->content_kind == TI_CONTENT_PARTS) {
    *one = (ti_span){ctx->mcontent.p ? ctx->mcontent.p : "", ctx->mcontent.len};
    *nmid = 1;
  } else {
    rc = ti_buf_puts(b, "null");
  }
  for (size_t i = 0; i < *nmid; i++) *mid_n += (*mid)[i].n;
  m->content_json_len = b->len - m->content_json_off + *mid_n;
  if (!rc && m->ntools) {
    rc = ti_buf_puts(b, ",\"tool_calls\":");
    m->tools_json_off = b->len + *mid_n; /* the '[' in the whole JSON */
    if (!rc) rc = ti_buf_puts(b, "[");
    if (!rc) rc = ti_buf_append(b, ctx->mtools.p, ctx->mtools.len);
    if (!rc) rc = ti_buf_puts(b, "]");
    m->tools_json_len = ctx->mtools.len + 2;
  }
  if (!rc && ctx->has_tcid) {
    rc = ti_buf_puts(b, ",\"tool_call_id\":");
    if (!rc) rc = ti_buf_json_string(b, ctx->mtcid.p ? ctx->mtcid.p : "", ctx->mtcid.len);
  }
  if (!rc && ctx->has_name) {
    rc = ti_buf_puts(b, ",\"name\":");
    if (!rc) rc = ti_buf_json_string(b, ctx->mname.p ? ctx->mname.p : "", ctx->mname.len);
  }
  m->reasoning_json_off = m->reasoning_json_len = 0;
  if (!rc && ctx->has_reason) {
    rc = ti_buf_puts(b, ",\"reasoning_content\":");
    m->reasoning_json_off = b->len + *mid_n;
    if (!rc) rc = ti_buf_json_string(b, ctx->mreason.p ? ctx->mreason.p : "", ctx->mreason.len);
    m->reasoning_json_len = b->len + *mid_n - m->reasoning_json_off;
  }
  if (!rc) rc = ti_buf_puts(b, "}");
  return rc;
}

TI_API int ti_emit_msg_end(ti_plugin_ctx *ctx, const ti_message **out) {
  if (!ctx || !out || !ctx->in_msg) return TI_ERR_MISUSE;
  ctx->in_msg = 0;
  ti_message *m = &ctx->mb;
  const ti_span *mid;
  ti_span one;
  size_t nmid, mid_n;
  int rc = build_message_json(ctx, &mid, &nmid, &mid_n, &one);
  if (rc == TI_OK) {
    m->role = ctx->mrole.p;
    m->json = ctx->scratch.p;
    m->json_len = ctx->scratch.len + mid_n;
    m->tool_call_id = ctx->has_tcid ? (ctx->mtcid.p ? ctx->mtcid.p : "") : NULL;
    m->name = ctx->has_name ? (ctx->mname.p ? ctx->mname.p : "") : NULL;
    int is_new = 0;
    /* Content read from a mapped file is not copied: the message points to
     * it (its largest piece, when it comes in pieces: image data between
     * parts made here), and its log keeps the mapping. Pieces under 64
     * bytes are copied all the same: a reference costs as much. (From 256
     * bytes, as before the sixteenth session, the long session's log took
     * 1.3 MB more of fresh memory and ~0.7 ms more: docs/performance.md.) */
    size_t big = 0;
    for (size_t i = 1; i < nmid; i++)
      if (mid[i].n > mid[big].n) big = i;
    ti_blob *blob = nmid && mid[big].n >= TI_EXT_MIN
                        ? ti_input_blob(&ctx->in, mid[big].p, mid[big].n)
                        : NULL;
    if (blob)
      *out = ti_log_intern_ext(ctx->log, m, m->content_json_off, mid, nmid, big, blob, &is_new);
    else
      *out = ti_log_intern3(ctx->log, m, m->content_json_off, mid, nmid, &is_new);
    if (!*out) rc = TI_ERR_NOMEM;
    else if (is_new) ctx->it->n_messages++;
  }
  return rc;
}

/* ---- history --------------------------------------------------------------------- */
TI_API int ti_emit_push(ti_plugin_ctx *ctx, const ti_message *m) {
  if (!ctx || !m || !ctx->log) return TI_ERR_MISUSE;
  return ti_log_push(ctx->log, m);
}

TI_API int ti_emit_truncate(ti_plugin_ctx *ctx, size_t n) {
  if (!ctx) return TI_ERR_MISUSE;
  if (ctx->log) ti_log_truncate(ctx->log, n);
  return TI_OK;
}

TI_API size_t ti_emit_history_len(const ti_plugin_ctx *ctx) {
  return ctx && ctx->log ? ctx->log->cur_len : 0;
}

TI_API const ti_message *ti_emit_history_at(const ti_plugin_ctx *ctx, size_t i) {
  if (!ctx || !ctx->log || i >= ctx->log->cur_len) return NULL;
  return ctx->log->cur->v[i];
}

/* ---- states ------------------------------------------------------------------------ */
TI_API int ti_emit_state_begin(ti_plugin_ctx *ctx) {
  if (!ctx) return TI_ERR_MISUSE;
  int rc = ensure_log(ctx);
  if (rc) return rc;
  ctx->in_state = 1;
  ctx->saction = NULL;
  ctx->has_sid = ctx->has_student = ctx->has_model = ctx->has_file = 0;
  ctx->sfirst = ctx->slast = 0;
  ti_buf_reset(&ctx->sid);
  ti_buf_reset(&ctx->sstudent);
  ti_buf_reset(&ctx->smodel);
  ti_buf_reset(&ctx->sfile);
  /* The metadata object is written first, then the state's strings after
   * it, and the buffer becomes the state's (ti_emit_state_end): no copy. */
  ti_buf_reset(&ctx->smeta);
  return ti_buf_append(&ctx->smeta, "{", 1);
}

static int set_str(ti_plugin_ctx *ctx, ti_buf *b, int *flag, const char *s, size_t len) {
  if (!ctx || !ctx->in_state || (!s && len)) return TI_ERR_MISUSE;
  ti_buf_reset(b);
  *flag = 1;
  return ti_buf_append(b, s ? s : "", len);
}

TI_API int ti_emit_state_id(ti_plugin_ctx *ctx, const char *s, size_t len) {
  return ctx ? set_str(ctx, &ctx->sid, &ctx->has_sid, s, len) : TI_ERR_MISUSE;
}

TI_API int ti_emit_state_student_action(ti_plugin_ctx *ctx, const char *s, size_t len) {
  return ctx ? set_str(ctx, &ctx->sstudent, &ctx->has_student, s, len) : TI_ERR_MISUSE;
}

TI_API int ti_emit_state_model(ti_plugin_ctx *ctx, const char *s, size_t len) {
  return ctx ? set_str(ctx, &ctx->smodel, &ctx->has_model, s, len) : TI_ERR_MISUSE;
}

TI_API int ti_emit_state_file(ti_plugin_ctx *ctx, const char *path) {
  if (!path) return TI_ERR_INVALID;
  return ctx ? set_str(ctx, &ctx->sfile, &ctx->has_file, path, strlen(path)) : TI_ERR_MISUSE;
}

TI_API int ti_emit_state_action(ti_plugin_ctx *ctx, const ti_message *m) {
  if (!ctx || !ctx->in_state || !m) return TI_ERR_MISUSE;
  ctx->saction = m;
  return TI_OK;
}

TI_API int ti_emit_state_lines(ti_plugin_ctx *ctx, uint64_t first, uint64_t last) {
  if (!ctx || !ctx->in_state) return TI_ERR_MISUSE;
  ctx->sfirst = first;
  ctx->slast = last;
  return TI_OK;
}

/* Bytes a JSON string holds as they are: printable ASCII but '"', '\\'. */
static const unsigned char plain_key_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x80-0xFF: 0 */};

/* `,"key":` (the comma unless first). Keys are short plain ASCII as a
 * rule: those are copied; anything else goes through the encoder. */
static int meta_key(ti_plugin_ctx *ctx, const char *key) {
  if (!ctx || !ctx->in_state || !key) return TI_ERR_MISUSE;
  ti_buf *b = &ctx->smeta;
  size_t n = 0;
  while (plain_key_byte[(unsigned char)key[n]]) n++;
  if (key[n] == '\0') {
    if (ti_buf_reserve(b, n + 4)) return TI_ERR_NOMEM;
    char *d = b->p + b->len;
    if (b->len > 1) *d++ = ','; /* after the opening brace: not first */
    *d++ = '"';
    memcpy(d, key, n);
    d += n;
    *d++ = '"';
    *d++ = ':';
    *d = '\0';
    b->len = (size_t)(d - b->p);
    return TI_OK;
  }
  int rc = b->len > 1 ? ti_buf_puts(b, ",") : TI_OK;
  if (!rc) rc = ti_buf_json_string(b, key, strlen(key));
  if (!rc) rc = ti_buf_puts(b, ":");
  return rc;
}

TI_API int ti_emit_meta_str(ti_plugin_ctx *ctx, const char *key, const char *s, size_t len) {
  int rc = meta_key(ctx, key);
  if (rc) return rc;
  return s ? ti_buf_json_string(&ctx->smeta, s, len) : ti_buf_puts(&ctx->smeta, "null");
}

TI_API int ti_emit_meta_int(ti_plugin_ctx *ctx, const char *key, int64_t v) {
  int rc = meta_key(ctx, key);
  return rc ? rc : ti_buf_i64(&ctx->smeta, v);
}

TI_API int ti_emit_meta_bool(ti_plugin_ctx *ctx, const char *key, int v) {
  int rc = meta_key(ctx, key);
  return rc ? rc : ti_buf_puts(&ctx->smeta, v ? "true" : "false");
}

/* The literals a plugin passes most often need no parse. */
static int is_literal(const char *json, size_t len) {
  return (len == 4 && (!memcmp(json, "null", 4) || !memcmp(json, "true", 4))) ||
         (len == 5 && !memcmp(json, "false", 5)) ||
         (len == 2 && (!memcmp(json, "[]", 2) || !memcmp(json, "{}", 2)));
}

TI_API int ti_emit_meta_json(ti_plugin_ctx *ctx, const char *key, const char *json, size_t len) {
  if (!ctx || !json) return TI_ERR_MISUSE;
  if (is_literal(json, len)) {
    int rc = meta_key(ctx, key);
    return rc ? rc : ti_buf_append(&ctx->smeta, json, len);
  }
  ti_jv v;
  if (ti_json_parse(json, len, ctx->it->max_depth, &v, NULL)) return TI_ERR_INVALID;
  int rc = meta_key(ctx, key);
  return rc ? rc : ti_json_write_compact(&v, &ctx->smeta);
}

TI_API int ti_emit_meta_members_jv(ti_plugin_ctx *ctx, const ti_jv *obj) {
  if (!ctx || !ctx->in_state || !obj) return TI_ERR_MISUSE;
  if (obj->type != TI_JSON_OBJECT || !obj->p || obj->n < 2) return TI_ERR_INVALID;
  ti_buf *b = &ctx->smeta;
  if (obj->flags & TI_JV_CANONICAL) { /* compact canonical: spliced as it is */
    if (obj->n == 2) return TI_OK;
    int rc = b->len > 1 ? ti_buf_append(b, ",", 1) : TI_OK;
    return rc ? rc : ti_buf_append(b, obj->p + 1, obj->n - 2);
  }
  ti_json_iter it;
  ti_jv k, v;
  int rc = TI_OK;
  ti_json_iter_init(&it, obj);
  while (!rc && ti_json_next_member(&it, &k, &v)) {
    rc = b->len > 1 ? ti_buf_append(b, ",", 1) : TI_OK;
    if (!rc) rc = ti_json_write_compact(&k, b);
    if (!rc) rc = ti_buf_append(b, ":", 1);
    if (!rc) rc = ti_json_write_compact(&v, b);
  }
  return rc;
}

TI_API int ti_emit_meta_jv(ti_plugin_ctx *ctx, const char *key, const ti_jv *v) {
  if (!ctx || !v) return TI_ERR_MISUSE;
  int rc = meta_key(ctx, key);
  if (rc) return rc;
  if (v->type == TI_JSON_INVALID || !v->p) return ti_buf_append(&ctx->smeta, "null", 4);
  return ti_json_write_compact(v, &ctx->smeta);
}

static int add_str(ti_buf *b, size_t *off, const char *s, size_t n) {
  *off = b->len;
  int rc = ti_buf_append(b, s, n);
  return rc ? rc : ti_buf_append(b, "", 1);
}

TI_API int ti_emit_state_end(ti_plugin_ctx *ctx) {
  if (!ctx || !ctx->in_state) return TI_ERR_MISUSE;
  ctx->in_state = 0;
  if (!ctx->saction)
    return ti_fail(ctx, TI_ERR_MISUSE, 0, 0, "format %s emitted a state without an action",
                   ctx->ops->name);
  ti_iter *it = ctx->it;
  ti_state *s = &it->state;
  ti_state_clear(s);
  ti_log *l = ctx->log;
  /* smeta holds "{" and the members: close it, append the other strings,
   * then the buffer is the state's strs (swapped, not copied) */
  ti_buf *b = &ctx->smeta;
  s->meta = 0;
  int rc = ti_buf_append(b, "}", 2);
  s->meta_len = b->len - 1;
  if (!rc && ctx->has_sid) {
    rc = add_str(b, &s->id, ctx->sid.p ? ctx->sid.p : "", ctx->sid.len);
  } else if (!rc) {
    s->id = b->len;
    rc = ti_buf_printf(b, "%s:%llu", l->traj_id, (unsigned long long)l->nstates);
    if (!rc) rc = ti_buf_append(b, "", 1);
  }
  if (!rc) rc = add_str(b, &s->traj, l->traj_id, strlen(l->traj_id));
  if (!rc) rc = add_str(b, &s->format, ctx->ops->name, strlen(ctx->ops->name));
  if (!rc && ctx->has_model) rc = add_str(b, &s->model, ctx->smodel.p ? ctx->smodel.p : "", ctx->smodel.len);
  if (!rc && (ctx->has_file || ctx->path)) {
    const char *f = ctx->has_file ? ctx->sfile.p : ctx->path;
    rc = add_str(b, &s->file, f ? f : "", f ? strlen(f) : 0);
  }
  if (!rc) {
    const ti_message *a = ctx->saction;
    if (ctx->has_student) {
      rc = add_str(b, &s->student, ctx->sstudent.p ? ctx->sstudent.p : "", ctx->sstudent.len);
      s->student_len = b->len - s->student - 1;
    } else if (a->content_kind == TI_CONTENT_TEXT) {
      s->student_is_action = 1; /* no copy: see ti_state_student_action */
    } else {
      rc = add_str(b, &s->student, "", 0);
      s->student_len = 0;
    }
  }
  if (rc) {
    ti_state_clear(s);
    return ti_fail(ctx, TI_ERR_NOMEM, 0, 0, "out of memory");
  }
  ti_buf mine = s->strs; /* empty after the clear; its memory serves the next state */
  s->strs = *b;
  *b = mine;
  ti_log_ref(l);
  s->log = l;
  s->offset = ti_log_mark_state(l, &s->spine, &s->count);
  s->action = ctx->saction;
  s->first_line = ctx->sfirst;
  s->last_line = ctx->slast;
  l->nstates++;
  it->have_state = 1;
  ctx->emitted = 1;
  it->n_states++;
  return TI_OK;
}
