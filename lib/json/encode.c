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

TI_API int ti_buf_json_string(ti_buf *b, const char *s, size_t n) {
  if (!b || (!s && n)) return TI_ERR_INVALID;
  const ti_u8 *p = (const ti_u8 *)s, *end = p + n, *run = p;
  char esc[6];
  if (ti_buf_reserve(b, n + 2)) return TI_ERR_NOMEM;
  b->p[b->len++] = '"';
  while (p < end) {
    const ti_u8 *q = ti_json_find_str_special(p, end);
    if (q >= end) break;
    if (*q >= 0x80) {
      int k = ti_utf8_seq(q, end);
      if (k > 0) {
        p = q + k;
        continue;
      }
      if (ti_buf_append(b, run, (size_t)(q - run)) || ti_buf_append(b, fffd, 3))
        return TI_ERR_NOMEM;
      p = run = q - k;
      continue;
    }
    int m = escape_ascii(*q, esc);
    if (ti_buf_append(b, run, (size_t)(q - run)) || ti_buf_append(b, esc, (size_t)m))
      return TI_ERR_NOMEM;
    p = run = q + 1;
  }
  if (ti_buf_append(b, run, (size_t)(end - run)) || ti_buf_append(b, "\"", 1))
    return TI_ERR_NOMEM;
  return TI_OK;
}

/* Re-encode a string body with escapes [s, e) (validated) canonically. */
static int reencode_body(const ti_u8 *s, const ti_u8 *e, ti_buf *out) {
  char tmp[6];
  while (s < e) {
    const ti_u8 *bs = memchr(s, '\\', (size_t)(e - s));
    const ti_u8 *re = bs ? bs : e;
    if (ti_buf_append(out, s, (size_t)(re - s))) return TI_ERR_NOMEM;
    s = re;
    if (!bs) break;
    unsigned long cp = ti_json_unescape(&s, e);
    int m = (cp < 0x20 || cp == '"' || cp == '\\') ? escape_ascii((ti_u8)cp, tmp)
                                                   : ti_utf8_put(cp, tmp);
    if (ti_buf_append(out, tmp, (size_t)m)) return TI_ERR_NOMEM;
  }
  return TI_OK;
}

TI_API int ti_json_write_compact(const ti_jv *v, ti_buf *out) {
  if (!v || !out || !v->p || v->type == TI_JSON_INVALID) return TI_ERR_INVALID;
  const ti_u8 *p = (const ti_u8 *)v->p, *end = p + v->n, *run = p;
  if (ti_buf_reserve(out, v->n)) return TI_ERR_NOMEM;
  while (p < end) {
    ti_u8 c = *p;
    if (c == '"') {
      const ti_u8 *body = p + 1, *q = body;
      int escapes = 0;
      for (;;) {
        q = ti_json_find_quote_bs(q, end);
        if (q >= end || *q == '"') break;
        escapes = 1;
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
