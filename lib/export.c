/* SPDX-License-Identifier: MIT */
/* JSON export of a state: one compact object, fixed key order. Messages
 * are spliced from their cached canonical JSON. */
#include <string.h>

#include "core.h"

/* Room for n more bytes and the NUL that every ti_buf call keeps. A
 * fixed buffer (caller memory, ti_state_json_into) must never grow: each
 * step checks for its worst case first and gives TI_ERR_LIMIT. */
#define ROOM(n)                                                                        \
  do {                                                                                 \
    if (fixed && (n) >= b->cap - b->len) return TI_ERR_LIMIT;                           \
  } while (0)
/* A JSON string of n bytes takes at most 6n + 2 (every byte as \u00XX);
 * the encoder keeps some slack on top while it works (json/encode.c). */
#define STR_ROOM(n) ROOM((n) > (SIZE_MAX - 64) / 6 ? SIZE_MAX - 1 : 6 * (n) + 64)

static int put_str(ti_buf *b, const char *s, size_t n, int fixed) {
  STR_ROOM(n);
  return ti_buf_json_string(b, s, n) ? TI_ERR_NOMEM : TI_OK;
}

static int put_opt_str(ti_buf *b, const char *s, int fixed) {
  if (s) return put_str(b, s, strlen(s), fixed);
  ROOM(4);
  return ti_buf_puts(b, "null") ? TI_ERR_NOMEM : TI_OK;
}

static int put_lit(ti_buf *b, const char *lit, int fixed) {
  ROOM(strlen(lit));
  return ti_buf_puts(b, lit) ? TI_ERR_NOMEM : TI_OK;
}

static int put_u64(ti_buf *b, uint64_t v, int fixed) {
  ROOM(20);
  return ti_buf_u64(b, v) ? TI_ERR_NOMEM : TI_OK;
}

/* With a gather (writer.c), a message whose content stayed in its input
 * and is long enough is passed by reference: only the JSON around the
 * content goes into b. */
static int by_ref(const ti_message *m, const ti_gather *g) {
  return g && m->ext_blob && m->ext_len >= TI_GATHER_MIN; /* ext_blob: ext is set */
}

/* The bytes of m that go into b. */
static size_t in_buf(const ti_message *m, const ti_gather *g) {
  return m->json_len - (by_ref(m, g) ? m->ext_len : 0);
}

/* m's JSON after b's contents, the room checked by the caller. */
static int put_msg(ti_buf *b, const ti_message *m, ti_gather *g) {
  if (!by_ref(m, g)) {
    b->len = (size_t)(ti_msg_put(b->p + b->len, m) - b->p);
    return TI_OK;
  }
  size_t a = m->ext_off, c = m->ext_len, t = m->json_len - a - c;
  memcpy(b->p + b->len, m->json, a);
  b->len += a;
  int rc = ti_gather_ref(g, b, m->ext, c, m->ext_blob);
  if (rc) return rc;
  memcpy(b->p + b->len, m->json + a, t);
  b->len += t;
  return TI_OK;
}

/* Render s after b's current contents. fixed: b is caller memory of b->cap
 * bytes; TI_ERR_LIMIT when the text may not fit (b->len then undefined).
 * Otherwise TI_OK or TI_ERR_NOMEM. g (only with fixed): pass long contents
 * kept in their input by reference, see ti_gather_ref. */
static int render(ti_buf *b, const ti_state *s, uint32_t flags, int fixed, ti_gather *g) {
  const char *id = ti_state_str(s, s->id);
  int rc = put_lit(b, "{\"state_id\":", fixed);
  if (!rc) rc = put_str(b, id, strlen(id), fixed);
  if (!rc) rc = put_lit(b, ",\"messages\":[", fixed);
  if (rc) return rc;
  size_t from = (flags & TI_JSON_DELTA) ? s->offset : 0;
  /* Reserve once for the messages: splicing is then plain copies. */
  size_t need = 0;
  for (size_t i = from; i < s->count; i++) need += in_buf(s->spine->v[i], g) + 1;
  ROOM(need + in_buf(s->action, g) + 16);
  if (!fixed && ti_buf_reserve(b, need + s->action->json_len + s->student_len + 256))
    return TI_ERR_NOMEM;
  for (size_t i = from; i < s->count; i++) {
    if (i > from) b->p[b->len++] = ',';
    if ((rc = put_msg(b, s->spine->v[i], g)) != TI_OK) return rc;
  }
  memcpy(b->p + b->len, "],\"action\":", 11);
  b->len += 11;
  if ((rc = put_msg(b, s->action, g)) != TI_OK) return rc;
  b->p[b->len] = '\0';
  rc = put_lit(b, ",\"student_action\":", fixed);
  if (!rc && s->student_is_action && by_ref(s->action, g) &&
      s->action->ext_len == s->action->content_json_len) {
    rc = ti_gather_ref(g, b, s->action->ext, s->action->content_json_len, s->action->ext_blob);
  } else if (!rc && s->student_is_action) { /* the action's text content, already JSON */
    ROOM(s->action->content_json_len);
    const char *c = ti_msg_content(s->action);
    rc = c ? ti_buf_append(b, c, s->action->content_json_len) : TI_ERR_NOMEM;
  } else if (!rc) {
    rc = put_str(b, ti_state_str(s, s->student), s->student_len, fixed);
  }
  if (!rc && (flags & TI_JSON_DELTA)) {
    rc = put_lit(b, ",\"messages_offset\":", fixed);
    if (!rc) rc = put_u64(b, s->offset, fixed);
  }
  if (!rc) rc = put_lit(b, ",\"trajectory_id\":", fixed);
  if (!rc) rc = put_opt_str(b, ti_state_str(s, s->traj), fixed);
  if (!rc) rc = put_lit(b, ",\"format\":", fixed);
  if (!rc) rc = put_opt_str(b, ti_state_str(s, s->format), fixed);
  if (!rc) rc = put_lit(b, ",\"source_model\":", fixed);
  if (!rc) rc = put_opt_str(b, ti_state_str(s, s->model), fixed);
  if (!rc) rc = put_lit(b, ",\"file\":", fixed);
  if (!rc) rc = put_opt_str(b, ti_state_str(s, s->file), fixed);
  if (!rc) rc = put_lit(b, ",\"first_line\":", fixed);
  if (!rc) rc = put_u64(b, s->first_line, fixed);
  if (!rc) rc = put_lit(b, ",\"last_line\":", fixed);
  if (!rc) rc = put_u64(b, s->last_line, fixed);
  if (!rc) rc = put_lit(b, ",\"metadata\":", fixed);
  if (!rc) {
    ROOM(s->meta_len + 1);
    rc = ti_buf_append(b, ti_state_str(s, s->meta), s->meta_len) ? TI_ERR_NOMEM : TI_OK;
  }
  if (!rc) rc = put_lit(b, "}", fixed);
  return rc;
}

static int check(const ti_state *s, uint32_t flags) {
  if (!s || s->magic != TI_STATE_MAGIC || !s->action) return TI_ERR_INVALID;
  if (flags & ~TI_JSON_FLAGS_ALL) return TI_ERR_INVALID;
  return TI_OK;
}

int ti_export_gather(ti_buf *b, const ti_state *s, uint32_t flags, ti_gather *g) {
  int rc = check(s, flags);
  return rc ? rc : render(b, s, flags, 1, g);
}

TI_API int ti_state_json(const char **out, size_t *len, const ti_state *s, uint32_t flags) {
  if (!out) return TI_ERR_INVALID;
  *out = NULL;
  int rc = check(s, flags);
  if (rc) return rc;
  ti_state *ms = (ti_state *)s; /* the export scratch is the state's own */
  ti_buf *b = &ms->json;
  if (ms->json_for != flags + 1) {
    ms->json_for = 0;
    ti_buf_reset(b);
    if ((rc = render(b, s, flags, 0, NULL)) != TI_OK) return rc;
    ms->json_for = flags + 1;
  }
  *out = b->p;
  if (len) *len = b->len;
  return TI_OK;
}

TI_API int ti_state_dup_json(char **out, size_t *len, const ti_state *s, uint32_t flags) {
  if (!out) return TI_ERR_INVALID;
  *out = NULL;
  int rc = check(s, flags);
  if (rc) return rc;
  ti_buf b = {0};
  rc = render(&b, s, flags, 0, NULL);
  if (rc) {
    ti_buf_free(&b);
    return rc;
  }
  *out = b.p;
  if (len) *len = b.len;
  return TI_OK;
}

TI_API int ti_state_json_into(char *buf, size_t cap, size_t *len, const ti_state *s,
                              uint32_t flags) {
  if (!len || (!buf && cap)) return TI_ERR_INVALID;
  *len = 0;
  int rc = check(s, flags);
  if (rc) return rc;
  if (cap > 1) {
    /* One byte is kept for the NUL the buffer calls write, and not counted. */
    ti_buf b = {buf, 0, cap};
    rc = render(&b, s, flags, 1, NULL);
    if (rc == TI_OK) {
      *len = b.len;
      return TI_OK;
    }
    if (rc != TI_ERR_LIMIT) return rc;
  }
  /* It may not fit: the checks allow for the worst case of every string.
   * Render into the state's scratch to know; ti_state_json then returns
   * that text without rendering it again. */
  const char *t;
  if ((rc = ti_state_json(&t, len, s, flags)) != TI_OK) return rc;
  if (*len > cap) return TI_ERR_LIMIT;
  memcpy(buf, t, *len);
  return TI_OK;
}

TI_API void ti_string_free(char *p) { ti_mem_free(p); }
