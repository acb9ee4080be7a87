/* SPDX-License-Identifier: MIT */
/* The canonical JSON string encoder and the compact re-serialiser. */
#include <string.h>

#include "json-internal.h"

static const char hexdig[] = "0123456789abcdef";

/* Canonical escape of an ASCII byte that needs one ('"', '\\', < 0x20)
 * into out; returns its length. */
static int escape_ascii(ti_u8 c, char *out) {
  out[0] = '\\';
  switch (c) {
  case '"': out[1] = '"'; return 2;
  case '\\': out[1] = '\\'; return 2;
  case '\b': out[1] = 'b'; return 2;
  case '\f': out[1] = 'f'; return 2;
  case '\n': out[1] = 'n'; return 2;
  case '\r': out[1] = 'r'; return 2;
  case '\t': out[1] = 't'; return 2;
  default:
    out[1] = 'u';
    out[2] = '0';
    out[3] = '0';
    out[4] = hexdig[c >> 4];
    out[5] = hexdig[c & 15];
    return 6;
  }
}

static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

/* Room for `extra` more bytes (plus the NUL) without a call when it fits. */
static inline int ensure(ti_buf *b, size_t extra) {
  if (TI_LIKELY(b->p && b->cap - b->len > extra)) return TI_OK;
  return ti_buf_reserve(b, extra);
}

TI_API int ti_buf_json_string(ti_buf *b, const char *s, size_t n) {
  if (!b || (!s && n)) return TI_ERR_INVALID;
  const ti_u8 *p = (const ti_u8 *)s, *end = p + n, *run = p;
  /* Invariant: room for the rest of the input verbatim plus the quote. */
  if (ti_buf_reserve(b, n + 2)) return TI_ERR_NOMEM;
  b->p[b->len++] = '"';
  while (p < end) {
    const ti_u8 *q = ti_json_find_str_special(p, end);
    if (q >= end) break;
    if (*q >= 0x80) {
      int k = ti_utf8_seq(q, end);
      if (k > 0) { /* valid: take the whole run of valid sequences */
        q += k;
        while (q < end && *q >= 0x80 && (k = ti_utf8_seq(q, end)) > 0) q += k;
        p = q;
        continue;
      }
      /* k invalid bytes become 3: keep the invariant */
      memcpy(b->p + b->len, run, (size_t)(q - run));
      b->len += (size_t)(q - run);
      if (ensure(b, (size_t)(end - q) + 3 + 1)) return TI_ERR_NOMEM;
      memcpy(b->p + b->len, fffd, 3);
      b->len += 3;
      p = run = q - k;
      continue;
    }
    memcpy(b->p + b->len, run, (size_t)(q - run));
    b->len += (size_t)(q - run);
    if (ensure(b, (size_t)(end - q) + 6 + 1)) return TI_ERR_NOMEM;
    b->len += (size_t)escape_ascii(*q, b->p + b->len);
    p = run = q + 1;
  }
  memcpy(b->p + b->len, run, (size_t)(end - run));
  b->len += (size_t)(end - run);
  b->p[b->len++] = '"';
  b->p[b->len] = '\0';
  return TI_OK;
}

/* Re-encode a string body with escapes [s, e) canonically. On validated
 * input the output is never longer than the input (\uXXXX -> at most 6,
 * a pair 12 -> 4, \X -> 2); malformed escapes (2 bytes, or a lone trailing
 * backslash) give U+FFFD (3): bound by raw * 3 / 2 + 3. */
static int reencode_body(const ti_u8 *s, const ti_u8 *e, ti_buf *out) {
  size_t raw = (size_t)(e - s);
  if (ensure(out, raw + raw / 2 + 3)) return TI_ERR_NOMEM;
  char *d = out->p + out->len;
  while (s < e) {
    const ti_u8 *bs = memchr(s, '\\', (size_t)(e - s));
    if (!bs) bs = e;
    memcpy(d, s, (size_t)(bs - s));
    d += bs - s;
    s = bs;
    if (s >= e) break;
    unsigned long cp = ti_json_unescape(&s, e);
    d += (cp < 0x20 || cp == '"' || cp == '\\') ? escape_ascii((ti_u8)cp, d)
                                                 : ti_utf8_put(cp, d);
  }
  out->len = (size_t)(d - out->p);
  out->p[out->len] = '\0';
  return TI_OK;
}

TI_API int ti_json_write_compact(const ti_jv *v, ti_buf *out) {
  if (!v || !out || !v->p || v->type == TI_JSON_INVALID) return TI_ERR_INVALID;
  const ti_u8 *p = (const ti_u8 *)v->p, *end = p + v->n, *run = p;
  if (ti_buf_reserve(out, v->n)) return TI_ERR_NOMEM;
  /* a string the cursor knows to be canonical is copied as it is */
  if (v->type == TI_JSON_STRING && (v->flags & TI_JV_CANONICAL) && v->n >= 2 && p[0] == '"')
    return ti_buf_append(out, v->p, v->n);
  while (p < end) {
    ti_u8 c = *p;
    if (c == '"') {
      const ti_u8 *body = p + 1, *q = body;
      int escapes = 0; /* non-canonical ones: those are re-encoded */
      for (;;) {
        q = ti_json_find_quote_bs(q, end);
        if (q >= end || *q == '"') break;
        if (q + 1 >= end || !ti_json_escape_canonical(q, end)) escapes = 1;
        q += 2;
      }
      if (q >= end) q = end; /* unterminated: not validated input */
      if (!escapes) {
        p = q < end ? q + 1 : end; /* part of the verbatim run */
        continue;
      }
      if (ti_buf_append(out, run, (size_t)(body - run)) || reencode_body(body, q, out) ||
          ti_buf_append(out, "\"", 1))
        return TI_ERR_NOMEM;
      p = run = q < end ? q + 1 : end;
      continue;
    }
    if (ti_json_is_ws(c)) {
      if (ti_buf_append(out, run, (size_t)(p - run))) return TI_ERR_NOMEM;
      p = run = ti_json_skip_ws(p, end);
      continue;
    }
    p++;
  }
  if (ti_buf_append(out, run, (size_t)(end - run))) return TI_ERR_NOMEM;
  return TI_OK;
}
