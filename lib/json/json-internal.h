/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by the JSON core (lib/json/): byte classes, the
 * SSE2 string scanners, UTF-8 sequence checks and escape decoding. */
#ifndef TI_JSON_INTERNAL_H
#define TI_JSON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <traceingest/ti-format.h>

#if defined(__SSE2__) && !defined(TI_JSON_NO_SIMD)
#include <emmintrin.h>
#define TI_JSON_SSE2 1
#else
#define TI_JSON_SSE2 0
#endif

/* Reading ahead: the scanner touches its input once, in order, and on some
 * machines the hardware does not fetch it ahead (an Intel Xeon KVM guest:
 * string bodies of the 64 MB long session scanned at 1.6 GB/s from memory,
 * 5 GB/s from the cache). The string scanners ask for the line
 * TI_JSON_PF_DIST bytes on at each string and each 64-byte block: the long
 * session 58 -> 29 ms there, no change elsewhere. Within TI_JSON_PF_DIST of
 * `end` they ask for p's own line instead (no pointer past the text, no
 * branch). */
#ifndef TI_JSON_PF_DIST
#define TI_JSON_PF_DIST 2048
#endif
#if defined(__GNUC__) || defined(__clang__)
#define TI_JSON_PREFETCH(p, end)                                                          \
  __builtin_prefetch((end) - (p) > TI_JSON_PF_DIST ? (const void *)((p) + TI_JSON_PF_DIST) \
                                                   : (const void *)(p))
#else
#define TI_JSON_PREFETCH(p, end) ((void)0)
#endif

/* Wider vector code is chosen at run time on x86-64 with GCC or clang:
 * the CPU is asked once (ti_json_cpu, any thread finds the same). */
#if TI_JSON_SSE2 && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
enum { TI_CPU_AVX2 = 1, TI_CPU_AVX512 = 2, TI_CPU_KNOWN = 4 };
static inline int ti_json_cpu(void) {
  static int have; /* TI_CPU_* bits; 0: not asked yet */
  int h = __atomic_load_n(&have, __ATOMIC_RELAXED);
  if (__builtin_expect(!h, 0)) {
    __builtin_cpu_init(); /* in case this runs before the compiler's own constructor */
    h = TI_CPU_KNOWN | (__builtin_cpu_supports("avx2") ? TI_CPU_AVX2 : 0) |
        (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi") &&
                 __builtin_cpu_supports("avx512vbmi2")
             ? TI_CPU_AVX512
             : 0);
    __atomic_store_n(&have, h, __ATOMIC_RELAXED);
  }
  return h;
}
#endif

/* AVX-512 (BW, VBMI, VBMI2) string decoding; TI_JSON_NO_AVX512 (or
 * TI_JSON_NO_SIMD) leaves it out. */
#if TI_JSON_SSE2 && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(TI_JSON_NO_AVX512)
#define TI_JSON_AVX512 1
static inline int ti_json_have_avx512(void) { return ti_json_cpu() & TI_CPU_AVX512; }
/* What a two-byte escape's second byte stands for, for the bytes < 0x80
 * (0: not one), as two 64-byte tables for vpermi2b. */
static const char ti_json_short_escape128[128] __attribute__((aligned(64))) = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};
#else
#define TI_JSON_AVX512 0
#endif

/* AVX2 string blocks of the scanner (on this project's AMD Zen 4 build
 * machine faster than AVX-512 ones were), chosen at run time;
 * TI_JSON_NO_AVX2 (or TI_JSON_NO_SIMD) leaves them out. */
#if TI_JSON_SSE2 && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(TI_JSON_NO_AVX2)
#define TI_JSON_AVX2 1
#else
#define TI_JSON_AVX2 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TI_LIKELY(x) __builtin_expect(!!(x), 1)
#define TI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TI_INLINE static inline __attribute__((always_inline))
#define TI_CTZ(x) ((unsigned)__builtin_ctz((unsigned)(x)))
#define TI_CTZ64(x) ((unsigned)__builtin_ctzll((unsigned long long)(x)))
#else
#define TI_LIKELY(x) (x)
#define TI_UNLIKELY(x) (x)
#define TI_INLINE static inline
static inline unsigned ti_ctz_portable(unsigned x) {
  unsigned n = 0;
  while (!(x & 1u)) { x >>= 1; n++; }
  return n;
}
#define TI_CTZ(x) ti_ctz_portable((unsigned)(x))
static inline unsigned ti_ctz64_portable(uint64_t x) {
  unsigned n = 0;
  while (!(x & 1u)) { x >>= 1; n++; }
  return n;
}
#define TI_CTZ64(x) ti_ctz64_portable((uint64_t)(x))
#endif

typedef unsigned char ti_u8;

#if !TI_JSON_SSE2
/* Portable fallback: 8 bytes at a time (SWAR). A test says only whether
 * the word holds a match; the exact byte is then found bytewise, so this
 * is independent of byte order. */
#define TI_SWAR_ONES 0x0101010101010101ull
#define TI_SWAR_HIGHS 0x8080808080808080ull
static inline uint64_t ti_swar_load(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
/* nonzero iff some byte of v equals c */
static inline uint64_t ti_swar_eq(uint64_t v, unsigned char c) {
  uint64_t x = v ^ (TI_SWAR_ONES * c);
  return (x - TI_SWAR_ONES) & ~x & TI_SWAR_HIGHS;
}
/* nonzero iff some byte of v is < 0x20 or >= 0x80 */
static inline uint64_t ti_swar_ctl_or_high(uint64_t v) {
  return ((v - TI_SWAR_ONES * 0x20) & ~v & TI_SWAR_HIGHS) | (v & TI_SWAR_HIGHS);
}
#endif

/* JSON whitespace: space, \t, \n, \r. */
TI_INLINE int ti_json_is_ws(ti_u8 c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

TI_INLINE const ti_u8 *ti_json_skip_ws(const ti_u8 *p, const ti_u8 *end) {
  while (p < end && *p <= ' ' && ti_json_is_ws(*p)) p++;
  return p;
}

/* Type of the value starting with byte c (validated input). */
TI_INLINE int ti_json_type_of(ti_u8 c) {
  switch (c) {
  case '{': return TI_JSON_OBJECT;
  case '[': return TI_JSON_ARRAY;
  case '"': return TI_JSON_STRING;
  case 't': return TI_JSON_TRUE;
  case 'f': return TI_JSON_FALSE;
  case 'n': return TI_JSON_NULL;
  default: return (c == '-' || (c >= '0' && c <= '9')) ? TI_JSON_NUMBER : TI_JSON_INVALID;
  }
}

/* First byte at or after p that is '"', '\\', < 0x20 or >= 0x80 (or end).
 * One signed compare catches both < 0x20 and >= 0x80. */
TI_INLINE const ti_u8 *ti_json_find_str_special(const ti_u8 *p, const ti_u8 *end) {
#if TI_JSON_SSE2
  const __m128i q = _mm_set1_epi8('"');
  const __m128i bs = _mm_set1_epi8('\\');
  const __m128i sp = _mm_set1_epi8(0x20);
  while (end - p >= 32) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i ma = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(a, bs)),
                              _mm_cmplt_epi8(a, sp));
    __m128i mb = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, q), _mm_cmpeq_epi8(b, bs)),
                              _mm_cmplt_epi8(b, sp));
    unsigned m = (unsigned)_mm_movemask_epi8(ma) | ((unsigned)_mm_movemask_epi8(mb) << 16);
    if (m) return p + TI_CTZ(m);
    p += 32;
  }
  if (end - p >= 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i ma = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(a, bs)),
                              _mm_cmplt_epi8(a, sp));
    unsigned m = (unsigned)_mm_movemask_epi8(ma);
    if (m) return p + TI_CTZ(m);
    p += 16;
  }
#else
  while (end - p >= 8) {
    uint64_t v = ti_swar_load(p);
    if (ti_swar_eq(v, '"') | ti_swar_eq(v, '\\') | ti_swar_ctl_or_high(v)) break;
    p += 8;
  }
#endif
  while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) p++;
  return p;
}

#if TI_JSON_SSE2
/* Bit i set when byte i of v is '"', '\\', < 0x20 or >= 0x80 (one signed
 * compare with 0x20 takes both ranges). */
TI_INLINE unsigned ti_json_special16(__m128i v) {
  __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                        _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                           _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
  return (unsigned)_mm_movemask_epi8(m);
}

/* Bit i set when p[i] (i < 32) is '"', '\\', < 0x20 or >= 0x80. */
TI_INLINE uint32_t ti_json_mask32_special(const ti_u8 *p) {
  __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
  __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
  return (uint32_t)ti_json_special16(a) | ((uint32_t)ti_json_special16(b) << 16);
}

/* Bit i set when p[i] (i < 32) is '"' or '\\'. */
TI_INLINE uint32_t ti_json_mask32_quote_bs(const ti_u8 *p) {
  const __m128i q = _mm_set1_epi8('"');
  const __m128i bs = _mm_set1_epi8('\\');
  __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
  __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
  __m128i ma = _mm_or_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(a, bs));
  __m128i mb = _mm_or_si128(_mm_cmpeq_epi8(b, q), _mm_cmpeq_epi8(b, bs));
  return (uint32_t)_mm_movemask_epi8(ma) | ((uint32_t)_mm_movemask_epi8(mb) << 16);
}
#endif

#if TI_JSON_SSE2
/* 64-byte masks at p: '"', '\\', and bytes < 0x20 or >= 0x80. */
TI_INLINE void ti_json_str_masks64(const ti_u8 *p, uint64_t *q, uint64_t *bs, uint64_t *sp) {
  const __m128i vq = _mm_set1_epi8('"');
  const __m128i vb = _mm_set1_epi8('\\');
  const __m128i v20 = _mm_set1_epi8(0x20);
  uint64_t mq = 0, mb = 0, ms = 0;
  for (int k = 0; k < 4; k++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
    mq |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vq)) << (16 * k);
    mb |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vb)) << (16 * k);
    ms |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmplt_epi8(x, v20)) << (16 * k);
  }
  *q = mq;
  *bs = mb;
  *sp = ms;
}

/* 64-byte mask of '\\' at p. */
TI_INLINE uint64_t ti_json_bs_mask64(const ti_u8 *p) {
  const __m128i vb = _mm_set1_epi8('\\');
  uint64_t mb = 0;
  for (int k = 0; k < 4; k++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
    mb |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vb)) << (16 * k);
  }
  return mb;
}

/* Bytes escaped by the backslashes `bs` of a 64-byte block that starts
 * outside an escape: bit i is set when byte i follows an odd-length run of
 * backslashes (the simdjson method, without carry in or out). A backslash
 * at bit 63 that is not itself escaped starts an escape that ends in the
 * next block. */
TI_INLINE uint64_t ti_json_escaped64(uint64_t bs) {
  const uint64_t even = 0x5555555555555555ull;
  uint64_t follows = bs << 1;
  uint64_t odd_starts = bs & ~even & ~follows;
  uint64_t seq = odd_starts + bs;
  return (even ^ (seq << 1)) & follows;
}

/* The same with a carry between consecutive blocks: *prev is 1 when the
 * block's first byte is escaped by a backslash at the end of the block
 * before, and is set for the next block (the simdjson method). Blocks then
 * advance by a fixed 64 bytes, so that the next load does not wait for
 * this block's masks. */
TI_INLINE uint64_t ti_json_escaped64c(uint64_t bs, uint64_t *prev) {
  const uint64_t even = 0x5555555555555555ull;
  bs &= ~*prev;
  uint64_t follows = bs << 1 | *prev;
  uint64_t odd_starts = bs & ~even & ~follows;
  uint64_t seq = odd_starts + bs;
  *prev = seq < odd_starts; /* carry out */
  return (even ^ (seq << 1)) & follows;
}
#endif

/* The bytes of a 64-byte string block before its closing quote, given its
 * unescaped quotes qr (all 64 when there is none). */
TI_INLINE uint64_t ti_json_before_quote(uint64_t qr) {
  return qr ? (qr ^ (qr - 1)) >> 1 : ~(uint64_t)0;
}

/* First '"' or '\\' at or after p (validated strings), or end. */
TI_INLINE const ti_u8 *ti_json_find_quote_bs(const ti_u8 *p, const ti_u8 *end) {
#if TI_JSON_SSE2
  const __m128i q = _mm_set1_epi8('"');
  const __m128i bs = _mm_set1_epi8('\\');
  while (end - p >= 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned m = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(a, bs)));
    if (m) return p + TI_CTZ(m);
    p += 16;
  }
#else
  while (end - p >= 8) {
    uint64_t v = ti_swar_load(p);
    if (ti_swar_eq(v, '"') | ti_swar_eq(v, '\\')) break;
    p += 8;
  }
#endif
  while (p < end && *p != '"' && *p != '\\') p++;
  return p;
}

/* First '"', '[', ']', '{' or '}' at or after p, or end. */
TI_INLINE const ti_u8 *ti_json_find_structural(const ti_u8 *p, const ti_u8 *end) {
#if TI_JSON_SSE2
  const __m128i q = _mm_set1_epi8('"');
  const __m128i b20 = _mm_set1_epi8(0x20);
  const __m128i ob = _mm_set1_epi8('{');
  const __m128i cb = _mm_set1_epi8('}');
  while (end - p >= 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i l = _mm_or_si128(a, b20); /* '[' -> '{', ']' -> '}' */
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(a, q), _mm_or_si128(_mm_cmpeq_epi8(l, ob), _mm_cmpeq_epi8(l, cb))));
    if (m) return p + TI_CTZ(m);
    p += 16;
  }
#else
  while (end - p >= 8) {
    uint64_t v = ti_swar_load(p), l = v | (TI_SWAR_ONES * 0x20);
    if (ti_swar_eq(v, '"') | ti_swar_eq(l, '{') | ti_swar_eq(l, '}')) break;
    p += 8;
  }
#endif
  while (p < end) {
    ti_u8 l = (ti_u8)(*p | 0x20);
    if (*p == '"' || l == '{' || l == '}') break;
    p++;
  }
  return p;
}

/* UTF-8 sequence at p (p < end, *p >= 0x80 or not): returns its length
 * (1..4) when valid, else -k where k >= 1 is the length of the maximal
 * invalid subpart (Unicode "substitution of maximal subparts"). Rejects
 * overlongs, UTF-8-encoded surrogates and code points above U+10FFFF. */
TI_INLINE int ti_utf8_seq(const ti_u8 *p, const ti_u8 *end) {
  ti_u8 c = p[0];
  size_t avail = (size_t)(end - p);
  ti_u8 lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c < 0xC2) return -1;
  if (c < 0xE0) {
    if (avail < 2 || (p[1] & 0xC0) != 0x80) return -1;
    return 2;
  }
  if (c < 0xF0) {
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
    if (avail < 2 || p[1] < lo || p[1] > hi) return -1;
    if (avail < 3 || (p[2] & 0xC0) != 0x80) return -2;
    return 3;
  }
  if (c < 0xF5) {
    if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    if (avail < 2 || p[1] < lo || p[1] > hi) return -1;
    if (avail < 3 || (p[2] & 0xC0) != 0x80) return -2;
    if (avail < 4 || (p[3] & 0xC0) != 0x80) return -3;
    return 4;
  }
  return -1;
}

TI_INLINE int ti_hexval(ti_u8 c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Four hex digits at p (p + 4 <= end checked by caller); -1 if not hex. */
TI_INLINE long ti_hex4(const ti_u8 *p) {
  int a = ti_hexval(p[0]), b = ti_hexval(p[1]), c = ti_hexval(p[2]), d = ti_hexval(p[3]);
  if ((a | b | c | d) < 0) return -1;
  return (long)((a << 12) | (b << 8) | (c << 4) | d);
}

TI_INLINE int ti_utf8_put(unsigned long cp, char *out) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decode one escape at *pp (which points at a backslash, *pp < end) into
 * the code point it stands for; a surrogate pair is one escape, a lone
 * surrogate gives U+FFFD. Advances *pp. Bounded on malformed input (gives
 * U+FFFD and consumes what is there). */
TI_INLINE unsigned long ti_json_unescape(const ti_u8 **pp, const ti_u8 *end) {
  const ti_u8 *p = *pp;
  if (end - p < 2) { *pp = end; return 0xFFFD; }
  switch (p[1]) {
  case '"': *pp = p + 2; return '"';
  case '\\': *pp = p + 2; return '\\';
  case '/': *pp = p + 2; return '/';
  case 'b': *pp = p + 2; return '\b';
  case 'f': *pp = p + 2; return '\f';
  case 'n': *pp = p + 2; return '\n';
  case 'r': *pp = p + 2; return '\r';
  case 't': *pp = p + 2; return '\t';
  case 'u': {
    long u;
    if (end - p < 6 || (u = ti_hex4(p + 2)) < 0) { *pp = p + 2; return 0xFFFD; }
    *pp = p + 6;
    if (u >= 0xD800 && u <= 0xDBFF) {
      long lo;
      if (end - p >= 12 && p[6] == '\\' && p[7] == 'u' && (lo = ti_hex4(p + 8)) >= 0xDC00 &&
          lo <= 0xDFFF) {
        *pp = p + 12;
        return 0x10000ul + (((unsigned long)u - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
      }
      return 0xFFFD;
    }
    if (u >= 0xDC00 && u <= 0xDFFF) return 0xFFFD;
    return (unsigned long)u;
  }
  default: *pp = p + 2; return 0xFFFD;
  }
}

/* Is the escape at p (a backslash; the escape is complete before end)
 * written as ti_buf_json_string writes it? Only \/ and \u forms other
 * than \u00XX (lowercase hex) for control characters without a two-byte
 * form are not. */
TI_INLINE int ti_json_escape_canonical(const ti_u8 *p, const ti_u8 *end) {
  ti_u8 c = p[1];
  if (c == '/') return 0;
  if (c != 'u') return 1;
  if (end - p < 6 || p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1')) return 0;
  ti_u8 x = p[5];
  if (!((x >= '0' && x <= '9') || (x >= 'a' && x <= 'f'))) return 0;
  if (p[4] == '0' && (x == '8' || x == '9' || x == 'a' || x == 'c' || x == 'd')) return 0;
  return 1;
}

/* TI_JV_* flags of a string from the scanner's escape bits (1: an escape,
 * 2: a non-canonical one). */
TI_INLINE int ti_json_str_flags(int esc) {
  return ((esc & 1) ? TI_JV_ESCAPES : 0) | ((esc & 2) ? 0 : TI_JV_CANONICAL);
}

/* Structural index (ti_json_parse_indexed). One entry per container and
 * per value string of at least TI_JSON_IX_STR bytes, in order of their
 * first byte: offsets from `base`; `next` is the entry after all of the
 * value's descendants (the next sibling's entry, if the sibling is
 * indexed); `flags` the value's TI_JV_* flags. While the scanner runs, an
 * open container's `end` holds its parent's entry number. */
#define TI_JSON_IX_STR 40
/* Append canonical JSON text (as ti_json_write_compact writes it, or a
 * value marked TI_JV_CANONICAL) quoted as a JSON string: only '"' and '\\'
 * get a backslash (encode.c; the emitter's tool-call arguments). */
int ti_json_quote_json(ti_buf *b, const char *text, size_t n);

#define TI_JSON_IX_NONE 0xFFFFFFFFu
typedef struct ti_json_ient {
  uint32_t start, end, next, flags;
} ti_json_ient;
struct ti_json_index {
  const ti_u8 *base;
  size_t len;
  ti_json_ient *e;
  uint32_t n, cap;
  /* the root object's members of the last text parsed, when `mok` */
  ti_json_member *m;
  uint32_t nm, capm;
  int mok;
};

/* Entry k of ix when it describes the value starting at p whose end lies
 * at or before `limit`, else NULL. */
TI_INLINE const ti_json_ient *ti_json_ix_at(const ti_json_index *ix, size_t k, const ti_u8 *p,
                                           const ti_u8 *limit) {
  if (!ix || k >= ix->n || p < ix->base) return NULL;
  size_t off = (size_t)(p - ix->base);
  const ti_json_ient *e = &ix->e[k];
  if (e->start != off || e->end > (size_t)(limit - ix->base)) return NULL;
  return e;
}

/* Internal (not exported): end of the value starting at p (validated
 * input, p < end); *flags gets TI_JV_ESCAPES for strings with escapes. */
const ti_u8 *ti_json__value_end(const ti_u8 *p, const ti_u8 *end, int *flags);
/* 1 if the raw string body [s, e) (without quotes) decodes to key[0..n). */
int ti_json__body_eq(const ti_u8 *s, const ti_u8 *e, int escapes, const char *key, size_t n);

#if TI_JSON_AVX2
/* The string blocks with AVX2 (scan_wide.c). From p (just after the
 * opening quote, or where a string scan goes on, never inside an escape or
 * a UTF-8 sequence), 64 bytes at a time; *st tells where they stopped:
 * TI_BLK_DONE after the closing quote, TI_BLK_WALK at a block to walk
 * byte by byte (an escape or sequence it does not take, or an error),
 * TI_BLK_TAIL with fewer than 64 bytes left. *esc as for the scanner. */
enum { TI_BLK_TAIL, TI_BLK_DONE, TI_BLK_WALK };
const ti_u8 *ti_json_blocks_avx2(const ti_u8 *p, const ti_u8 *end, int *esc, int *st);

static inline int ti_json_have_avx2(void) { return ti_json_cpu() & TI_CPU_AVX2; }
#endif

#endif
