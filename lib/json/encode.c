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

/* Invariant of the encoder: room after d for two bytes per input byte
 * left, the closing quote, the NUL and ENC_SLACK bytes, so that plain
 * bytes go 16 at a time (stored before they are checked) and '"' / '\\'
 * escapes need no check; the rarer longer outputs (\u00XX for a control
 * byte, U+FFFD for invalid UTF-8) make room first. */
#define ENC_SLACK 16
#define ENC_ROOM(rest) (2 * (rest) + ENC_SLACK + 2)

static inline int enc_room(ti_buf *b, char **d, size_t rest, size_t more) {
  b->len = (size_t)(*d - b->p);
  if (ensure(b, ENC_ROOM(rest) + more)) return TI_ERR_NOMEM;
  *d = b->p + b->len;
  return TI_OK;
}

TI_API int ti_buf_json_string(ti_buf *b, const char *s, size_t n) {
  if (!b || (!s && n)) return TI_ERR_INVALID;
  if (n > (SIZE_MAX - 64) / 4) return TI_ERR_NOMEM;
  const ti_u8 *p = (const ti_u8 *)s, *end = p + n;
  if (ensure(b, ENC_ROOM(n) + 1)) return TI_ERR_NOMEM;
  char *d = b->p + b->len;
  *d++ = '"';
  while (p < end) {
#if TI_JSON_SSE2
    unsigned mask, k;
    if (end - p >= 16) {
      __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
      _mm_storeu_si128((__m128i *)(void *)d, a);
      mask = ti_json_special16(a);
      if (!mask) {
        p += 16;
        d += 16;
        continue;
      }
      k = TI_CTZ(mask);
    } else {
      /* The last bytes: in the 16 that end the input (those before p are
       * looked at again, not copied again), or, for a short input, in a
       * padded copy. */
      size_t rem = (size_t)(end - p);
      ti_u8 pad[16];
      const ti_u8 *blk = end - 16;
      if (n < 16) {
        memset(pad, 'a', sizeof pad);
        memcpy(pad + 16 - rem, p, rem);
        blk = pad;
      }
      mask = ti_json_special16(_mm_loadu_si128((const __m128i *)(const void *)blk)) >> (16 - rem);
      k = mask ? TI_CTZ(mask) : (unsigned)rem;
      memcpy(d, p, k);
    }
    p += k;
    d += k;
    if (p == end) break;
#else
    {
      ti_u8 c = *p;
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        *d++ = (char)c;
        p++;
        continue;
      }
    }
#endif
    ti_u8 c = *p; /* a byte that needs a look */
    if (c == '"' || c == '\\') {
      d[0] = '\\';
      d[1] = (char)c;
      d += 2;
      p++;
    } else if (c < 0x20) {
      if (enc_room(b, &d, (size_t)(end - p), 4)) return TI_ERR_NOMEM;
      d += escape_ascii(c, d);
      p++;
    } else {
      int sq = ti_utf8_seq(p, end);
      if (sq > 0) {
        memcpy(d, p, (size_t)sq);
        d += sq;
        p += sq;
      } else { /* -sq invalid bytes become U+FFFD */
        if (enc_room(b, &d, (size_t)(end - p), 1)) return TI_ERR_NOMEM;
        memcpy(d, fffd, 3);
        d += 3;
        p += -sq;
      }
    }
  }
  *d++ = '"';
  *d = '\0';
  b->len = (size_t)(d - b->p);
  return TI_OK;
}

/* Re-encode a string body with escapes [s, e) canonically. On validated
 * input the output is never longer than the input (\uXXXX -> at most 6,
 * a pair 12 -> 4, \X -> 2); malformed escapes (2 bytes, or a lone trailing
 * backslash) give U+FFFD (3): bound by raw * 3 / 2 + 3. */
/* ---- quoting canonical JSON text ------------------------------------------
 * The arguments of a tool call are JSON text inside a JSON string. Text the
 * library wrote or knows canonical holds no control byte and only valid
 * UTF-8, so quoting it only puts a backslash before each '"' and '\\': no
 * byte needs a second look. Object text has a quote every few bytes, which
 * is what makes the general encoder slow on it (~2.6 GB/s). */
#if TI_JSON_AVX512
/* 32 bytes in, up to 64 out, no branch per quote: each byte is doubled
 * (vpermb), the copies in front become backslashes, and vpcompressb keeps
 * those only in front of '"' and '\\'. */
__attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,popcnt"))) static void
quote_avx512(const ti_u8 **sp, const ti_u8 *e, char **dp) {
  const ti_u8 *s = *sp;
  char *d = *dp;
  static const ti_u8 dup_idx[64] = {
      0,  0,  1,  1,  2,  2,  3,  3,  4,  4,  5,  5,  6,  6,  7,  7,  8,  8,  9,  9,  10, 10,
      11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 21, 21,
      22, 22, 23, 23, 24, 24, 25, 25, 26, 26, 27, 27, 28, 28, 29, 29, 30, 30, 31, 31};
  const __m512i idx = _mm512_loadu_si512((const void *)dup_idx);
  const __m256i q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
  const __m512i vbs = _mm512_set1_epi8('\\');
  const uint64_t odd = 0xAAAAAAAAAAAAAAAAull;
  while (e - s >= 32) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)s);
    __m256i sp8 = _mm256_or_si256(_mm256_cmpeq_epi8(x, q), _mm256_cmpeq_epi8(x, bs));
    if (_mm256_testz_si256(sp8, sp8)) {
      _mm256_storeu_si256((__m256i *)(void *)d, x);
      s += 32;
      d += 32;
      continue;
    }
    __m512i w = _mm512_permutexvar_epi8(idx, _mm512_castsi256_si512(x));
    __m512i ws = _mm512_permutexvar_epi8(idx, _mm512_castsi256_si512(sp8));
    uint64_t keep = odd | (_mm512_movepi8_mask(ws) & ~odd);
    w = _mm512_mask_mov_epi8(w, ~odd, vbs);
    _mm512_storeu_si512((void *)d, _mm512_maskz_compress_epi8(keep, w));
    d += __builtin_popcountll(keep);
    s += 32;
  }
  *sp = s;
  *dp = d;
}
#endif

int ti_json_quote_json(ti_buf *b, const char *text, size_t n) {
  if (!b || (!text && n)) return TI_ERR_INVALID;
  if (n > (SIZE_MAX - 64) / 2) return TI_ERR_NOMEM;
  /* out: at most two bytes per byte, the quotes, and a block's overshoot */
  if (ensure(b, 2 * n + 64 + 2)) return TI_ERR_NOMEM;
  const ti_u8 *s = (const ti_u8 *)text, *e = s + n;
  char *d = b->p + b->len;
  *d++ = '"';
#if TI_JSON_AVX512
  if (e - s >= 32 && ti_json_have_avx512()) quote_avx512(&s, e, &d);
#endif
#if TI_JSON_SSE2
  const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
  while (e - s >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)));
    unsigned prev = 0;
    while (m) {
      unsigned k = TI_CTZ(m);
      memcpy(d, s + prev, k - prev);
      d += k - prev;
      *d++ = '\\';
      *d++ = (char)s[k];
      prev = k + 1;
      m &= m - 1;
    }
    memcpy(d, s + prev, 16 - prev);
    d += 16 - prev;
    s += 16;
  }
#endif
  for (; s < e; s++) {
    if (*s == '"' || *s == '\\') *d++ = '\\';
    *d++ = (char)*s;
  }
  *d++ = '"';
  b->len = (size_t)(d - b->p);
  b->p[b->len] = '\0';
  return TI_OK;
}

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
  /* a value the parse or the cursor knows to be canonical (compact, for a
   * container) is copied as it is */
  if ((v->flags & TI_JV_CANONICAL) && v->n >= 2 &&
      ((v->type == TI_JSON_STRING && p[0] == '"') ||
       (v->type == TI_JSON_OBJECT && p[0] == '{') || (v->type == TI_JSON_ARRAY && p[0] == '[')))
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
