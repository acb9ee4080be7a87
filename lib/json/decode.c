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
 * TI_DECODE_SLACK bytes: blocks of up to 64 bytes are stored whole and the
 * output pointer only moves past what was copied). Escape-dense text (every '/'
 * or non-ASCII character escaped) costs one block load per escape, no
 * library call. Returns the length. */
#define TI_DECODE_SLACK 64

/* The byte a two-byte escape stands for, by its second byte (0: not one). */
static const char short_escape[256] = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
                                       ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};

#if TI_JSON_SSE2
/* Copy n <= 64 bytes from s to d: 32 bytes, and 32 more when n > 32 (may
 * read and write up to 63 bytes more). Most runs between escapes are
 * shorter than 32 bytes: one predictable branch per run. */
TI_INLINE void copy_run(char *d, const ti_u8 *s, size_t n) {
  __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
  __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
  _mm_storeu_si128((__m128i *)(void *)d, a);
  _mm_storeu_si128((__m128i *)(void *)(d + 16), b);
  if (TI_UNLIKELY(n > 32)) {
    a = _mm_loadu_si128((const __m128i *)(const void *)(s + 32));
    b = _mm_loadu_si128((const __m128i *)(const void *)(s + 48));
    _mm_storeu_si128((__m128i *)(void *)(d + 32), a);
    _mm_storeu_si128((__m128i *)(void *)(d + 48), b);
  }
}
#endif

#if TI_JSON_SSE2
/* One 64-byte block at *sp (e - *sp >= 128): the backslashes that start
 * escapes come from the block's mask (ti_json_escaped64); the runs between
 * them are copied 32 or 64 bytes at a time, two-byte escapes mapped by
 * table. The copies read up to 63 bytes past the block. A \u escape (or a
 * malformed one) is decoded on its own and the next block starts after
 * it; a block whose last byte starts an escape ends one early. */
TI_INLINE void decode_block_sse2(const ti_u8 **sp, const ti_u8 *e, char **dp) {
  const ti_u8 *s = *sp;
  char *d = *dp;
  uint64_t bs = ti_json_bs_mask64(s);
  if (!bs) {
    copy_run(d, s, 64);
    *sp = s + 64;
    *dp = d + 64;
    return;
  }
  uint64_t st = bs & ~ti_json_escaped64(bs); /* escape starters */
  size_t blk = 64, prev = 0;
  if (st >> 63) {
    st &= ~((uint64_t)1 << 63);
    blk = 63;
  }
  while (st) {
    size_t i = TI_CTZ64(st);
    copy_run(d, s + prev, i - prev);
    d += i - prev;
    char c = short_escape[s[i + 1]];
    if (TI_UNLIKELY(!c)) {
      const ti_u8 *t = s + i;
      d += ti_utf8_put(ti_json_unescape(&t, e), d);
      *sp = t;
      *dp = d;
      return;
    }
    *d++ = c;
    prev = i + 2;
    st &= st - 1;
  }
  copy_run(d, s + prev, blk - prev);
  *dp = d + (blk - prev);
  *sp = s + blk;
}
#endif

#if TI_JSON_AVX512
/* AVX-512 (BW, VBMI, VBMI2): 64-byte blocks whose escapes are all two-byte
 * ones, without a branch per escape: every escaped byte is mapped by a
 * 128-byte table lookup in the register (n -> LF, '/' -> '/'...; 0: not a
 * two-byte escape) and the backslashes that start escapes are squeezed out
 * with vpcompressb. Blocks advance by 64 bytes whatever they hold (an
 * escape across two blocks is carried). Stops at the first other block (a
 * \u escape or a malformed one) or when fewer than 64 bytes are left. */
__attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,popcnt"))) static void
decode_avx512(const ti_u8 **sp, const ti_u8 *e, char **dp) {
  const ti_u8 *s = *sp;
  char *d = *dp;
  const __m512i vbs = _mm512_set1_epi8('\\');
  const __m512i tlo = _mm512_load_si512((const void *)ti_json_short_escape128);
  const __m512i thi = _mm512_load_si512((const void *)(ti_json_short_escape128 + 64));
  uint64_t prev = 0; /* the block's first byte is escaped */
  while (e - s >= 64) {
    __m512i x = _mm512_loadu_si512((const void *)s);
    uint64_t bs = _mm512_cmpeq_epi8_mask(x, vbs);
    if (!(bs | prev)) {
      _mm512_storeu_si512((void *)d, x);
      s += 64;
      d += 64;
      continue;
    }
    uint64_t pin = prev;
    uint64_t escd = ti_json_escaped64c(bs, &prev);
    uint64_t st = bs & ~escd; /* escape starters */
    __m512i mapped = _mm512_permutex2var_epi8(tlo, x, thi);
    uint64_t bad = _mm512_testn_epi8_mask(mapped, mapped) | _mm512_movepi8_mask(x);
    if (escd & bad) {
      s -= pin; /* resume at the backslash of an escape that began before */
      prev = 0;
      break;
    }
    x = _mm512_mask_mov_epi8(x, escd, mapped);
    _mm512_storeu_si512((void *)d, _mm512_maskz_compress_epi8(~st, x));
    d += 64 - __builtin_popcountll(st);
    s += 64;
  }
  *sp = s - prev; /* an escape left open: resume at its backslash */
  *dp = d;
}
#endif

static size_t decode_body(const ti_u8 *s, const ti_u8 *e, char *dst) {
  char *d = dst;
#if TI_JSON_AVX512
  if (ti_json_have_avx512()) {
    while (e - s >= 64) {
      decode_avx512(&s, e, &d);
      if (e - s < 128) break;
      decode_block_sse2(&s, e, &d); /* the block it stopped at */
    }
  }
#endif
#if TI_JSON_SSE2
  while (e - s >= 128) decode_block_sse2(&s, e, &d);
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
