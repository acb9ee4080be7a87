/* SPDX-License-Identifier: MIT */
/* Scalar accessors: decoded strings (zero-copy when there are no escapes),
 * integers, doubles, literals. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json-internal.h"

static int is_string(const ti_jv *v) {
  return v && v->type == TI_JSON_STRING && v->p && v->n >= 2;
}

TI_API int ti_json_str_eq(const ti_jv *v, const char *s) {
  if (!is_string(v) || !s) return 0;
  return ti_json__body_eq((const ti_u8 *)v->p + 1, (const ti_u8 *)v->p + v->n - 1,
                          v->flags & TI_JV_ESCAPES, s, strlen(s));
}

/* Decode the body [s, e) into dst (room for the bound below, plus
 * TI_DECODE_SLACK bytes: 16-byte blocks are stored whole and the output
 * pointer only moves past what was copied). Escape-dense text (every '/'
 * or non-ASCII character escaped) costs one block load per escape, no
 * library call. Returns the length. */
#define TI_DECODE_SLACK 16

/* The byte a two-byte escape stands for, by its second byte (0: not one). */
static const char short_escape[256] = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
                                       ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};

#if TI_JSON_SSE2
/* Copy n bytes from s to d, 16 at a time (may read and write up to 15
 * bytes more). */
TI_INLINE void copy16s(char *d, const ti_u8 *s, size_t n) {
  size_t i = 0;
  do {
    _mm_storeu_si128((__m128i *)(void *)(d + i), _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
    i += 16;
  } while (i < n);
}
#endif

static size_t decode_body(const ti_u8 *s, const ti_u8 *e, char *dst) {
  char *d = dst;
#if TI_JSON_SSE2
  /* 64-byte blocks: the backslashes that start escapes come from the
   * block's mask (ti_json_escaped64); the runs between them are copied 16
   * bytes at a time, two-byte escapes mapped by table. The copies read up
   * to 15 bytes past the block: blocks need 80 bytes of input. A \u escape
   * (or a malformed one) is decoded on its own and the next block starts
   * after it; a block whose last byte starts an escape ends one early. */
  while (e - s >= 80) {
    uint64_t bs = ti_json_bs_mask64(s);
    if (!bs) {
      copy16s(d, s, 64);
      s += 64;
      d += 64;
      continue;
    }
    uint64_t st = bs & ~ti_json_escaped64(bs); /* escape starters */
    size_t blk = 64, prev = 0;
    if (st >> 63) {
      st &= ~((uint64_t)1 << 63);
      blk = 63;
    }
    while (st) {
      size_t i = TI_CTZ64(st);
      copy16s(d, s + prev, i - prev);
      d += i - prev;
      char c = short_escape[s[i + 1]];
      if (TI_UNLIKELY(!c)) {
        const ti_u8 *t = s + i;
        d += ti_utf8_put(ti_json_unescape(&t, e), d);
        s = t;
        goto next;
      }
      *d++ = c;
      prev = i + 2;
      st &= st - 1;
    }
    copy16s(d, s + prev, blk - prev);
    d += blk - prev;
    s += blk;
  next:;
  }
  const __m128i vbs = _mm_set1_epi8('\\');
  while (e - s >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    _mm_storeu_si128((__m128i *)(void *)d, x);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vbs));
    if (!m) {
      s += 16;
      d += 16;
      continue;
    }
    unsigned i = TI_CTZ(m);
    s += i;
    d += i;
    char c = e - s >= 2 ? short_escape[s[1]] : 0;
    if (c) {
      *d++ = c;
      s += 2;
      continue;
    }
    d += ti_utf8_put(ti_json_unescape(&s, e), d);
  }
#endif
  while (s < e) {
    const ti_u8 *bs = memchr(s, '\\', (size_t)(e - s));
    size_t run = (size_t)((bs ? bs : e) - s);
    memcpy(d, s, run);
    d += run;
    s += run;
    if (!bs) break;
    char c = e - s >= 2 ? short_escape[s[1]] : 0;
    if (c) {
      *d++ = c;
      s += 2;
      continue;
    }
    d += ti_utf8_put(ti_json_unescape(&s, e), d);
  }
  return (size_t)(d - dst);
}

/* Decoding never grows valid input (\n: 2 -> 1, \uXXXX: 6 -> <= 3, a pair:
 * 12 -> 4). On unvalidated input a malformed escape of 2 bytes gives U+FFFD
 * (3 bytes), a lone trailing backslash 1 -> 3: bound by raw * 3 / 2 + 3. */
static int append_decoded(const ti_jv *v, ti_buf *out) {
  const ti_u8 *s = (const ti_u8 *)v->p + 1, *e = (const ti_u8 *)v->p + v->n - 1;
  size_t raw = (size_t)(e - s);
  if (ti_buf_reserve(out, raw + raw / 2 + 3 + TI_DECODE_SLACK)) return TI_ERR_NOMEM;
  out->len += decode_body(s, e, out->p + out->len);
  out->p[out->len] = '\0';
  return TI_OK;
}

TI_API int ti_json_str(const ti_jv *v, ti_buf *scratch, const char **s, size_t *n) {
  if (!is_string(v) || !s || !n) return TI_ERR_INVALID;
  if (!(v->flags & TI_JV_ESCAPES)) {
    *s = v->p + 1;
    *n = v->n - 2;
    return TI_OK;
  }
  if (!scratch) return TI_ERR_INVALID;
  ti_buf_reset(scratch);
  int rc = append_decoded(v, scratch);
  if (rc) return rc;
  *s = scratch->p;
  *n = scratch->len;
  return TI_OK;
}

TI_API int ti_json_str_append(const ti_jv *v, ti_buf *out) {
  if (!is_string(v) || !out) return TI_ERR_INVALID;
  if (!(v->flags & TI_JV_ESCAPES)) return ti_buf_append(out, v->p + 1, v->n - 2);
  return append_decoded(v, out);
}

TI_API int ti_json_int(const ti_jv *v, int64_t *out) {
  if (!v || v->type != TI_JSON_NUMBER || !v->p || v->n == 0) return TI_ERR_INVALID;
  const ti_u8 *p = (const ti_u8 *)v->p, *end = p + v->n;
  int neg = 0;
  uint64_t acc = 0;
  if (*p == '-') {
    neg = 1;
    p++;
  }
  if (p >= end) return TI_ERR_INVALID;
  for (; p < end; p++) {
    if (*p < '0' || *p > '9') return TI_ERR_INVALID;
    unsigned d = (unsigned)(*p - '0');
    if (acc > (UINT64_MAX - d) / 10) return TI_ERR_INVALID;
    acc = acc * 10 + d;
  }
  if (neg) {
    if (acc > (uint64_t)INT64_MAX + 1) return TI_ERR_INVALID;
    if (out) *out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
  } else {
    if (acc > (uint64_t)INT64_MAX) return TI_ERR_INVALID;
    if (out) *out = (int64_t)acc;
  }
  return TI_OK;
}

TI_API int ti_json_double(const ti_jv *v, double *out) {
  if (!v || v->type != TI_JSON_NUMBER || !v->p || v->n == 0) return TI_ERR_INVALID;
  char stack[64];
  char *tmp = stack;
  if (v->n >= sizeof stack) {
    tmp = ti_mem_alloc(v->n + 1);
    if (!tmp) return TI_ERR_NOMEM;
  }
  memcpy(tmp, v->p, v->n);
  tmp[v->n] = '\0';
  /* strtod honours LC_NUMERIC: use the locale's decimal point. */
  const char *dp = localeconv()->decimal_point;
  if (dp && dp[0] != '.' && dp[0] && !dp[1]) {
    char *dot = strchr(tmp, '.');
    if (dot) *dot = dp[0];
  }
  char *endp;
  errno = 0;
  double d = strtod(tmp, &endp);
  int ok = endp == tmp + v->n && !(errno == ERANGE && isinf(d));
  if (tmp != stack) ti_mem_free(tmp);
  if (!ok) return TI_ERR_INVALID;
  if (out) *out = d;
  return TI_OK;
}

TI_API int ti_json_is_true(const ti_jv *v) { return v && v->type == TI_JSON_TRUE; }

TI_API int ti_json_is_null_or_absent(const ti_jv *v) {
  return !v || v->type == TI_JSON_INVALID || v->type == TI_JSON_NULL;
}
