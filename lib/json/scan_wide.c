/* SPDX-License-Identifier: MIT */
/* String blocks of the validating scanner with AVX2, chosen at run time
 * (ti_json_have_avx2). A string's body is taken 64 bytes at a time while
 * every block is plain: its masks give the quotes, backslashes and control
 * bytes, the escaped bytes follow from the backslash runs (carried between
 * blocks), two-byte escapes are checked on the escaped bytes, and non-ASCII
 * bytes are validated as UTF-8 32 bytes at a time (a sequence left open at
 * a block's end is checked with the next block; bytes from the closing
 * quote on count as ASCII). A block that is
 * not plain (a \u escape, an error) is handed back to scan.c's exact
 * walker, so errors are reported where the walker reports them. */
#include "json-internal.h"

#if TI_JSON_AVX2

/* ---- UTF-8 by nibble tables ----------------------------------------------
 * Three 16-entry lookups (the high nibble of the byte before, its low
 * nibble, the high nibble of the byte itself) each give a set of error
 * kinds; a pair of adjacent bytes is bad when the three sets share one.
 * Where the byte two back is E0+ or three back F0+, a continuation byte is
 * due, which turns the "two continuations" kind into the valid case. The
 * tables are facts of UTF-8 (RFC 3629). */
enum {
  U8_SHORT = 1 << 0,     /* a lead byte not followed by a continuation */
  U8_LONG = 1 << 1,      /* a continuation after an ASCII byte */
  U8_OVER3 = 1 << 2,     /* E0 followed by 80..9F */
  U8_LARGE = 1 << 3,     /* above U+10FFFF */
  U8_SURR = 1 << 4,      /* ED followed by A0..BF */
  U8_OVER2 = 1 << 5,     /* C0, C1 */
  U8_LARGE1000 = 1 << 6, /* F4 90.., F5+ 80..; and with U8_OVER4: F0 80..8F */
  U8_OVER4 = 1 << 6,
  U8_TWO = 1 << 7, /* a continuation after a continuation (unless due) */
  U8_CARRY = U8_SHORT | U8_LONG | U8_TWO,
  U8_BIG = U8_CARRY | U8_LARGE | U8_LARGE1000
};
static const unsigned char u8_b1_high[16] __attribute__((aligned(16))) = {
    U8_LONG, U8_LONG, U8_LONG, U8_LONG, U8_LONG, U8_LONG, U8_LONG, U8_LONG,
    U8_TWO,  U8_TWO,  U8_TWO,  U8_TWO,
    U8_SHORT | U8_OVER2, U8_SHORT, U8_SHORT | U8_OVER3 | U8_SURR,
    U8_SHORT | U8_LARGE | U8_LARGE1000 | U8_OVER4};
static const unsigned char u8_b1_low[16] __attribute__((aligned(16))) = {
    U8_CARRY | U8_OVER3 | U8_OVER2 | U8_OVER4, U8_CARRY | U8_OVER2, U8_CARRY, U8_CARRY,
    U8_CARRY | U8_LARGE, U8_BIG, U8_BIG, U8_BIG, U8_BIG, U8_BIG, U8_BIG, U8_BIG, U8_BIG,
    U8_BIG | U8_SURR, U8_BIG, U8_BIG};
static const unsigned char u8_b2_high[16] __attribute__((aligned(16))) = {
    U8_SHORT, U8_SHORT, U8_SHORT, U8_SHORT, U8_SHORT, U8_SHORT, U8_SHORT, U8_SHORT,
    U8_LONG | U8_OVER2 | U8_TWO | U8_OVER3 | U8_LARGE1000 | U8_OVER4,
    U8_LONG | U8_OVER2 | U8_TWO | U8_OVER3 | U8_LARGE,
    U8_LONG | U8_OVER2 | U8_TWO | U8_SURR | U8_LARGE,
    U8_LONG | U8_OVER2 | U8_TWO | U8_SURR | U8_LARGE,
    U8_SHORT, U8_SHORT, U8_SHORT, U8_SHORT};

/* ---- the blocks ---------------------------------------------------------------------- */
#define T256 __attribute__((target("avx2,popcnt")))

/* Nonzero when the 32 bytes x, after the 32 bytes px, hold a UTF-8 error. */
T256 TI_INLINE int u8_errors256(__m256i px, __m256i x) {
  const __m256i nib = _mm256_set1_epi8(0x0F);
  __m256i t = _mm256_permute2x128_si256(px, x, 0x21); /* px's high half, x's low half */
  __m256i prev1 = _mm256_alignr_epi8(x, t, 15);
  __m256i prev2 = _mm256_alignr_epi8(x, t, 14);
  __m256i prev3 = _mm256_alignr_epi8(x, t, 13);
  __m256i t1h = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(const void *)u8_b1_high));
  __m256i t1l = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(const void *)u8_b1_low));
  __m256i t2h = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(const void *)u8_b2_high));
  __m256i b1h = _mm256_shuffle_epi8(t1h, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nib));
  __m256i b1l = _mm256_shuffle_epi8(t1l, _mm256_and_si256(prev1, nib));
  __m256i b2h = _mm256_shuffle_epi8(t2h, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib));
  __m256i sc = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
  __m256i due = _mm256_or_si256(_mm256_subs_epu8(prev2, _mm256_set1_epi8(0xE0 - 0x80)),
                                _mm256_subs_epu8(prev3, _mm256_set1_epi8(0xF0 - 0x80)));
  due = _mm256_and_si256(due, _mm256_set1_epi8((char)0x80));
  __m256i err = _mm256_xor_si256(sc, due);
  return !_mm256_testz_si256(err, err);
}

/* The 32 bytes x with those from index k on replaced by ASCII. */
T256 TI_INLINE __m256i before256(__m256i x, unsigned k) {
  const __m256i idx = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
  __m256i keep = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)k), idx);
  return _mm256_blendv_epi8(_mm256_set1_epi8(0x20), x, keep);
}

T256 TI_INLINE unsigned u8_open256(__m256i x) {
  const __m256i lim = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0, 0, 0, (char)0xF0, (char)0xE0,
                                       (char)0xC0);
  uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(x, lim), x)) &
               0xE0000000u;
  return m ? 32 - TI_CTZ(m) : 0;
}

T256 TI_INLINE uint64_t mask64(__m256i a, __m256i b) {
  return (uint64_t)(uint32_t)_mm256_movemask_epi8(a) |
         (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32;
}

T256 const ti_u8 *ti_json_blocks_avx2(const ti_u8 *p, const ti_u8 *end, int *esc, int *st) {
  const __m256i vq = _mm256_set1_epi8('"'), vb = _mm256_set1_epi8('\\'),
                v20 = _mm256_set1_epi8(0x20);
  uint64_t prev = 0;
  unsigned open8 = 0;
  __m256i px = v20; /* the high half of the block before, when open8 */
  while (end - p >= 64) {
    TI_JSON_PREFETCH(p, end);
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    uint64_t q = mask64(_mm256_cmpeq_epi8(a, vq), _mm256_cmpeq_epi8(c, vq));
    uint64_t bs = mask64(_mm256_cmpeq_epi8(a, vb), _mm256_cmpeq_epi8(c, vb));
    /* signed: below 0x20, or 0x80 and above */
    uint64_t lt = mask64(_mm256_cmpgt_epi8(v20, a), _mm256_cmpgt_epi8(v20, c));
    if (!(bs | lt | prev | open8)) {
      if (q) {
        *st = TI_BLK_DONE;
        return p + TI_CTZ64(q) + 1;
      }
      p += 64;
      continue;
    }
    uint64_t hi = mask64(a, c), ctl = lt & ~hi;
    uint64_t pin = prev;
    unsigned back = open8;
    uint64_t escd = ti_json_escaped64c(bs, &prev);
    uint64_t qr = q & ~escd; /* the closing quote is the first */
    uint64_t lim = ti_json_before_quote(qr);
    uint64_t e = escd & lim;
    /* a control byte, or a backslash before a non-ASCII byte */
    int ok = !((ctl | (e & hi)) & lim);
    if (ok && e) {
      uint64_t letters = 0, slash = 0;
      const __m256i vs = _mm256_set1_epi8('/');
      for (int h = 0; h < 2; h++) {
        __m256i x = h ? c : a;
        __m256i s = _mm256_cmpeq_epi8(x, vs);
        __m256i l = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('b')),
                            _mm256_cmpeq_epi8(x, _mm256_set1_epi8('f'))),
            _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('n')),
                            _mm256_cmpeq_epi8(x, _mm256_set1_epi8('r'))));
        l = _mm256_or_si256(l, _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('t')), s));
        letters |= (uint64_t)(uint32_t)_mm256_movemask_epi8(l) << (32 * h);
        slash |= (uint64_t)(uint32_t)_mm256_movemask_epi8(s) << (32 * h);
      }
      ok = !(e & ~(letters | q | bs));
      if (ok) *esc |= (e & slash) ? 3 : 1;
    }
    if (ok && ((hi & lim) || open8)) {
      unsigned k = qr ? TI_CTZ64(qr) : 64;
      __m256i xa = k < 32 ? before256(a, k) : a;
      if (u8_errors256(open8 ? px : v20, xa) ||
          (k >= 32 && u8_errors256(xa, k < 64 ? before256(c, k - 32) : c))) {
        ok = 0;
      } else if (!qr) {
        open8 = u8_open256(c);
        px = c;
      }
    }
    if (TI_LIKELY(ok)) {
      if (qr) {
        *st = TI_BLK_DONE;
        return p + TI_CTZ64(qr) + 1;
      }
      p += 64;
      continue;
    }
    *st = TI_BLK_WALK;
    return p - pin - back;
  }
  *st = TI_BLK_TAIL;
  return p - prev - open8;
}

#endif
