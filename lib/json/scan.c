/* SPDX-License-Identifier: MIT */
/* The validating JSON scanner: one pass over the bytes, no allocation, no
 * DOM. Strings are taken 64 bytes at a time (AVX2 blocks in scan_wide.c
 * where the CPU has it, else SSE2), non-ASCII bytes are validated as
 * UTF-8. Nesting is tracked in a bit stack on the C stack (1 bit per
 * level: object or array). */
#include <stdio.h>
#include <string.h>

#include "json-internal.h"

/* Hard cap on the nesting depth whatever max_depth says (bit stack size). */
#define TI_JSON_DEPTH_CAP 65536u
#define TI_JSON_DEFAULT_DEPTH 512u

typedef struct scan_fail {
  const ti_u8 *at;
  const char *why;
  int code;
} scan_fail;

/* Second bytes of the two-byte escapes. */
static const unsigned char simple_escape[256] = {
    ['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1, ['r'] = 1, ['t'] = 1};

/* One special byte at q inside a string (not the closing quote): an
 * escape, a control character or a UTF-8 sequence. Returns the position
 * after it, or NULL with *f set. */
static const ti_u8 *scan_special(const ti_u8 *q, const ti_u8 *end, const ti_u8 *open, int *esc,
                                 scan_fail *f) {
  ti_u8 c = *q;
  if (c == '\\') {
    *esc |= 1;
    if (end - q < 2) goto unterminated;
    switch (q[1]) {
    case '/':
      *esc |= 2;
      return q + 2;
    case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
      return q + 2;
    case 'u': {
      for (int i = 2; i < 6; i++) {
        if (q + i >= end) goto unterminated;
        if (ti_hexval(q[i]) < 0) goto bad_escape;
      }
      if (!ti_json_escape_canonical(q, end)) *esc |= 2;
      return q + 6;
    }
    default:
      goto bad_escape;
    }
  }
  if (c < 0x20) {
    f->at = q;
    f->why = "control character in string";
    return NULL;
  }
  /* Non-ASCII: validate the whole run of sequences up to the next ASCII
   * byte (text in non-Latin scripts is mostly such runs). */
  do {
    int n = ti_utf8_seq(q, end);
    if (TI_UNLIKELY(n <= 0)) goto bad_utf8;
    q += n;
  } while (q < end && *q >= 0x80);
  return q;
bad_utf8:
  f->at = q;
  f->why = "invalid UTF-8";
  return NULL;
unterminated:
  f->at = open;
  f->why = "unterminated string";
  return NULL;
bad_escape:
  f->at = q;
  f->why = "invalid escape";
  return NULL;
}

#if TI_JSON_SSE2
/* The special bytes of the 32 bytes at p (end - p >= 32), in order, from
 * their bit mask without reloading them. Returns the position after the
 * closing quote (*done set), else where the scan goes on (at or past
 * p + 32), or NULL with *f set. */
TI_INLINE const ti_u8 *scan_block32(const ti_u8 *p, const ti_u8 *end, const ti_u8 *open,
                                    int *esc, scan_fail *f, int *done) {
  uint32_t m = ti_json_mask32_special(p);
  while (m) {
    const ti_u8 *q = p + TI_CTZ(m);
    if (TI_LIKELY(*q == '"')) {
      *done = 1;
      return q + 1;
    }
    if (*q == '\\' && end - q >= 2 && simple_escape[q[1]]) {
      /* \" \\ \/ \b \f \n \r \t inline: escape-dense text */
      *esc |= q[1] == '/' ? 3 : 1;
      q += 2;
    } else {
      q = scan_special(q, end, open, esc, f);
      if (!q) return NULL;
    }
    size_t adv = (size_t)(q - p);
    if (adv >= 32) return q;
    m &= ~(uint32_t)0 << adv;
  }
  return p + 32;
}

/* A 64-byte block the fast path refused (UTF-8, \u escapes, an error),
 * special byte by special byte, from the backslash of an escape that began
 * in the block before; errors are then reported where they are. */
static const ti_u8 *walk_block64(const ti_u8 *p, const ti_u8 *end, const ti_u8 *open, int *esc,
                                 scan_fail *f, int *done) {
  const ti_u8 *stop = p + 64;
  do {
    p = scan_block32(p, end, open, esc, f, done);
    if (!p || *done) return p;
  } while (p < stop && end - p >= 32);
  return p;
}

/* Bytes of the 64 at p that may follow a backslash in a valid two-byte
 * escape other than \" and \\ (/ b f n r t), and the '/' among them. */
TI_INLINE uint64_t escape_letters64(const ti_u8 *p, uint64_t *slash) {
  const __m128i vs = _mm_set1_epi8('/');
  const __m128i vb = _mm_set1_epi8('b');
  const __m128i vf = _mm_set1_epi8('f');
  const __m128i vn = _mm_set1_epi8('n');
  const __m128i vr = _mm_set1_epi8('r');
  const __m128i vt = _mm_set1_epi8('t');
  uint64_t ml = 0, msl = 0;
  for (int k = 0; k < 4; k++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
    __m128i s = _mm_cmpeq_epi8(x, vs);
    __m128i l = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vb), _mm_cmpeq_epi8(x, vf)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, vn), _mm_cmpeq_epi8(x, vr)));
    l = _mm_or_si128(l, _mm_or_si128(_mm_cmpeq_epi8(x, vt), s));
    ml |= (uint64_t)(uint32_t)_mm_movemask_epi8(l) << (16 * k);
    msl |= (uint64_t)(uint32_t)_mm_movemask_epi8(s) << (16 * k);
  }
  *slash = msl;
  return ml;
}
#endif

/* The end of a string (past its quote) that closes within the 48 bytes at p
 * with nothing on the way to look at (no backslash, control or non-ASCII
 * byte), else NULL: keys and short values, and ids, uuids and timestamps
 * (a quarter of the strings of a Claude Code record are 16 to 47 bytes),
 * without a call. 16 bytes at a time: most strings close in the first. */
static inline const ti_u8 *scan_short(const ti_u8 *p, const ti_u8 *end) {
#if TI_JSON_SSE2
  for (int i = 0; i < 3 && end - p >= 16; i++, p += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
    /* backslash, control or non-ASCII (signed: bytes >= 0x80 are below 0x20
     * too); the quote apart, not ti_json_special16 less it: that measured
     * 2-6% slower in this loop */
    unsigned sp = (unsigned)_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')), _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));
    if (q) return !(sp & ((q & (0u - q)) - 1)) ? p + TI_CTZ(q) + 1 : NULL;
    if (sp) return NULL;
  }
#else
  (void)p, (void)end;
#endif
  return NULL;
}

/* Scan a string body; p is just after the opening quote. Returns the
 * pointer after the closing quote, or NULL with *f set.
 *
 * With AVX2, ti_json_blocks_avx2 takes the blocks it can (UTF-8 too) and
 * hands the others to walk_block64.
 *
 * SSE2: 64-byte blocks are classified at once. The escaped bytes follow
 * from the backslash runs (ti_json_escaped64), the closing quote is the
 * first unescaped one; when nothing before it is a control or non-ASCII
 * byte and every escape is a two-byte one (checked on the escaped bytes'
 * mask), the block is done without a branch per escape. Any other block
 * (UTF-8, \u escapes, errors) is walked special byte by special byte as
 * before, so errors are reported at the same place. Blocks advance by 64
 * bytes whatever they hold (an escape across two blocks is carried), so
 * that the next load does not wait for this block's masks. */
static const ti_u8 *scan_string_long(const ti_u8 *p, const ti_u8 *end, int *esc,
                                     scan_fail *f) {
  const ti_u8 *open = p - 1;
#if TI_JSON_SSE2
  int done = 0;
  uint64_t prev = 0; /* the block's first byte is escaped */
#if TI_JSON_AVX2
  if (end - p >= 64 && ti_json_have_avx2()) {
    for (;;) {
      int st;
      p = ti_json_blocks_avx2(p, end, esc, &st);
      if (st == TI_BLK_DONE) return p;
      if (st == TI_BLK_TAIL) break;
      p = walk_block64(p, end, open, esc, f, &done);
      if (!p || done) return p;
      if (end - p < 64) break;
    }
  }
#endif
  while (end - p >= 64) {
    TI_JSON_PREFETCH(p, end);
    uint64_t q, bs, sp;
    ti_json_str_masks64(p, &q, &bs, &sp);
    if (!(bs | sp | prev)) {
      if (q) return p + TI_CTZ64(q) + 1;
      p += 64;
      continue;
    }
    uint64_t pin = prev;
    uint64_t escd = ti_json_escaped64c(bs, &prev);
    uint64_t qr = q & ~escd;
    uint64_t lim = ti_json_before_quote(qr);
    uint64_t e = escd & lim, bad = sp & lim;
    if (e) {
      uint64_t slash, ok = q | bs | escape_letters64(p, &slash);
      bad |= e & ~ok;
      if (!bad) *esc |= (e & slash) ? 3 : 1;
    }
    if (TI_LIKELY(!bad)) {
      if (qr) return p + TI_CTZ64(qr) + 1;
      p += 64;
      continue;
    }
    prev = 0;
    p = walk_block64(p - pin, end, open, esc, f, &done);
    if (!p || done) return p;
  }
  p -= prev; /* an escape left open: go on from its backslash */
  while (end - p >= 32) {
    p = scan_block32(p, end, open, esc, f, &done);
    if (!p || done) return p;
  }
#endif
  for (;;) {
    p = ti_json_find_str_special(p, end);
    if (TI_UNLIKELY(p >= end)) {
      f->at = open;
      f->why = "unterminated string";
      return NULL;
    }
    if (TI_LIKELY(*p == '"')) return p + 1;
    if (*p == '\\' && end - p >= 2 && simple_escape[p[1]]) {
      *esc |= p[1] == '/' ? 3 : 1;
      p += 2;
      continue;
    }
    p = scan_special(p, end, open, esc, f);
    if (!p) return NULL;
  }
}

/* A string body from just after its opening quote: short ones inline, the
 * rest (and every error) by scan_string_long. */
TI_INLINE const ti_u8 *scan_string(const ti_u8 *p, const ti_u8 *end, int *esc, scan_fail *f) {
  TI_JSON_PREFETCH(p, end);
  const ti_u8 *q = scan_short(p, end);
  return q ? q : scan_string_long(p, end, esc, f);
}

static const ti_u8 *scan_number(const ti_u8 *p, const ti_u8 *end, scan_fail *f) {
  if (*p == '-') p++;
  if (p >= end) goto bad;
  if (*p == '0') {
    p++;
  } else if (*p >= '1' && *p <= '9') {
    p++;
    while (p < end && *p >= '0' && *p <= '9') p++;
  } else {
    goto bad;
  }
  if (p < end && *p == '.') {
    p++;
    if (p >= end || *p < '0' || *p > '9') goto bad;
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  if (p < end && (*p | 0x20) == 'e') {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || *p < '0' || *p > '9') goto bad;
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  if (p < end && *p >= '0' && *p <= '9') goto bad; /* "01" */
  return p;
bad:
  f->at = p;
  f->why = "invalid number";
  return NULL;
}

/* An array of `size`-byte items grown to twice its capacity *cap (or to
 * `first`): the new array, *cap updated; NULL on allocation failure (the
 * old array is kept). */
static void *grow(void *p, uint32_t *cap, size_t size, uint32_t first) {
  uint32_t c = *cap ? *cap * 2 : first;
  if (c < *cap) return NULL;
  void *n = ti_mem_realloc(p, (size_t)c * size);
  if (n) *cap = c;
  return n;
}

/* Room for one more index entry, the entry of a value `at` bytes into
 * the index's span, or one more root member; 0 on failure. An index over
 * 4 MiB or more (a long session's lines added one by one) grows to what
 * the part indexed so far foretells for the whole span, an eighth more
 * (at most 64 times its size), rather than doubling: the 64 MB session's
 * index is then made once at ~1.5 MB, not grown to 2 MiB through 1 MiB. */
static int ix_grow(ti_json_index *ix, size_t at) {
  if (ix->cap && ix->len >= ((size_t)4 << 20) && at && at < ix->len) {
    double est = (double)ix->n * ((double)ix->len / (double)at) * 1.125;
    double most = (double)ix->cap * 64.0;
    if (est > most) est = most;
    if (est > (double)ix->cap * 2.0 && est < (double)UINT32_MAX) {
      uint32_t c = (uint32_t)est;
      ti_json_ient *e = ti_mem_realloc(ix->e, (size_t)c * sizeof *e);
      if (e) {
        ix->e = e;
        ix->cap = c;
        return 1;
      }
    }
  }
  ti_json_ient *e = grow(ix->e, &ix->cap, sizeof *e, 256);
  return e ? (ix->e = e, 1) : 0;
}
static int mem_grow(ti_json_index *ix) {
  ti_json_member *m = grow(ix->m, &ix->capm, sizeof *m, 32);
  return m ? (ix->m = m, 1) : 0;
}

/* Record an entry for the value at [start, ...). With `indexed` a
 * compile-time 0 in the plain scanner, all of this disappears. */
#define IX_PUSH(st, en, nx, fl)                                                              \
  do {                                                                                     \
    if (TI_UNLIKELY(ix->n == ix->cap) && !ix_grow(ix, (st))) goto nomem;                     \
    ti_json_ient *ie_ = &ix->e[ix->n];                                                     \
    ie_->start = (uint32_t)(st);                                                           \
    ie_->end = (uint32_t)(en);                                                             \
    ie_->next = (uint32_t)(nx);                                                            \
    ie_->flags = (uint32_t)(fl);                                                           \
    ix->n++;                                                                               \
  } while (0)

/* Open a container at p: while it is open, its entry's `end` holds its
 * parent's entry and `next` the count of non-compact runs seen so far. */
#define IX_OPEN()                                                                            \
  do {                                                                                     \
    IX_PUSH(p - ixb, cur, nc, 0);                                                          \
    cur = ix->n - 1;                                                                       \
  } while (0)

/* Close the innermost open container at p (just after its closer): it is
 * compact canonical when nothing non-compact was seen inside it. */
#define IX_CLOSE()                                                                           \
  do {                                                                                     \
    ti_json_ient *ie_ = &ix->e[cur];                                                       \
    cur = ie_->end;                                                                        \
    ie_->end = (uint32_t)(p - ixb);                                                        \
    ie_->flags = ie_->next == nc ? TI_JV_CANONICAL : 0;                                    \
    ie_->next = ix->n;                                                                     \
  } while (0)

/* Whitespace between tokens; in line mode (prefix == 2) a newline is not
 * whitespace: the value must lie on one line. */
#define WS(q, e) (prefix == 2 ? skip_ws_line((q), (e)) : ti_json_skip_ws((q), (e)))

TI_INLINE const ti_u8 *skip_ws_line(const ti_u8 *p, const ti_u8 *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
  return p;
}

/* Whitespace inside a value; indexed, it is counted as non-compact. */
#define WSI(q) (indexed ? ws_counted((q), end, prefix, &nc) : WS((q), end))
TI_INLINE const ti_u8 *ws_counted(const ti_u8 *q, const ti_u8 *end, int prefix, uint32_t *nc) {
  if (TI_LIKELY(q >= end || *q > ' ')) return q;
  const ti_u8 *r = prefix == 2 ? skip_ws_line(q, end) : ti_json_skip_ws(q, end);
  *nc += r != q;
  return r;
}

TI_INLINE int scan(const char *buf, size_t len, uint32_t max_depth, ti_jv *root,
                   size_t *consumed, ti_json_error *err, int prefix, ti_json_index *ix,
                   const int indexed, int add) {
  const ti_u8 *base = (const ti_u8 *)buf;
  const ti_u8 *end = base + (buf ? len : 0);
  const ti_u8 *p = base, *vstart, *vend;
  uint64_t stack[TI_JSON_DEPTH_CAP / 64];
  uint32_t depth = 0;
  uint32_t limit = max_depth ? max_depth : TI_JSON_DEFAULT_DEPTH;
  int esc = 0, rflags = 0;
  /* a root member under way (indexed): its key, its value's start and
   * the entry the value's own would be */
  const ti_u8 *mk = NULL, *mke = NULL, *mv = NULL;
  int mkflags = 0;
  uint32_t mvk = 0;
  uint32_t cur = TI_JSON_IX_NONE; /* innermost open container's entry */
  /* Indexed: whitespace runs and strings with a non-canonical escape seen
   * so far. A container is compact canonical (what ti_json_write_compact
   * writes) when the count did not move between its opener and closer.
   * Each counts at least one byte, so it cannot wrap within a text. */
  uint32_t nc = 0;
  scan_fail f = {NULL, NULL, TI_ERR_PARSE};

  /* Index offsets count from ixb: this text, or with `add` the first text
   * of the index when this one lies after it (within 32-bit offsets). */
  const ti_u8 *ixb = base;
  uint32_t n0 = 0;
  if (indexed) {
    size_t tl = buf ? len : 0;
    if (add && ix->base && (uintptr_t)base >= (uintptr_t)ix->base &&
        (size_t)(base - ix->base) <= (size_t)0xFFFFFFF0u - tl) {
      ixb = ix->base;
      n0 = ix->n;
      if ((size_t)(base - ixb) + tl > ix->len) ix->len = (size_t)(base - ixb) + tl;
    } else {
      ix->base = base;
      ix->len = tl;
      ix->n = 0;
    }
    ix->nm = 0;
    ix->mok = 0;
  }

  if (limit > TI_JSON_DEPTH_CAP) limit = TI_JSON_DEPTH_CAP;
  p = WS(p, end);
  vstart = p;

value:
  if (TI_UNLIKELY(p >= end)) goto eoi;
  switch (*p) {
  case '"': {
    const ti_u8 *open = p;
    esc = 0;
    p = scan_string(p + 1, end, &esc, &f);
    if (!p) goto fail;
    if (indexed) nc += (uint32_t)(esc >> 1) & 1;
    if (depth == 0) rflags = ti_json_str_flags(esc);
    if (indexed && p - open >= TI_JSON_IX_STR)
      IX_PUSH(open - ixb, p - ixb, ix->n + 1, ti_json_str_flags(esc));
    goto after;
  }
  case '{':
    if (TI_UNLIKELY(depth >= limit)) goto too_deep;
    stack[depth >> 6] |= (uint64_t)1 << (depth & 63);
    depth++;
    if (indexed) IX_OPEN();
    p = WSI(p + 1);
    if (p < end && *p == '}') {
      p++;
      depth--;
      if (indexed) IX_CLOSE();
      goto after;
    }
    goto key;
  case '[':
    if (TI_UNLIKELY(depth >= limit)) goto too_deep;
    stack[depth >> 6] &= ~((uint64_t)1 << (depth & 63));
    depth++;
    if (indexed) IX_OPEN();
    p = WSI(p + 1);
    if (p < end && *p == ']') {
      p++;
      depth--;
      if (indexed) IX_CLOSE();
      goto after;
    }
    goto value;
  case '-': case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9':
    p = scan_number(p, end, &f);
    if (!p) goto fail;
    goto after;
  case 't':
    if (end - p >= 4 && memcmp(p, "true", 4) == 0) { p += 4; goto after; }
    goto bad_literal;
  case 'f':
    if (end - p >= 5 && memcmp(p, "false", 5) == 0) { p += 5; goto after; }
    goto bad_literal;
  case 'n':
    if (end - p >= 4 && memcmp(p, "null", 4) == 0) { p += 4; goto after; }
    goto bad_literal;
  default:
    f.at = p;
    f.why = "unexpected character";
    goto fail;
  }

key:
  if (TI_UNLIKELY(p >= end)) goto eoi;
  if (TI_UNLIKELY(*p != '"')) {
    f.at = p;
    f.why = "expected string key";
    goto fail;
  }
  if (indexed && depth == 1) mk = p;
  esc = 0;
  p = scan_string(p + 1, end, &esc, &f);
  if (!p) goto fail;
  if (indexed) nc += (uint32_t)(esc >> 1) & 1;
  if (indexed && depth == 1) {
    mke = p;
    mkflags = ti_json_str_flags(esc);
  }
  p = WSI(p);
  if (TI_UNLIKELY(p >= end)) goto eoi;
  if (TI_UNLIKELY(*p != ':')) {
    f.at = p;
    f.why = "expected ':'";
    goto fail;
  }
  p = WSI(p + 1);
  if (indexed && depth == 1) {
    mv = p;
    mvk = ix->n;
  }
  goto value;

after:
  if (TI_UNLIKELY(depth == 0)) goto done;
  if (indexed && depth == 1 && mv) { /* a root member ends (mv: set only for root keys) */
    if (TI_UNLIKELY(ix->nm == ix->capm) && !mem_grow(ix)) goto nomem;
    ti_json_member *m_ = &ix->m[ix->nm++];
    m_->key.p = (const char *)mk;
    m_->key.n = (size_t)(mke - mk);
    m_->key.type = TI_JSON_STRING;
    m_->key.flags = mkflags;
    m_->key.ix = NULL;
    m_->key.ixk = 0;
    m_->val.p = (const char *)mv;
    m_->val.n = (size_t)(p - mv);
    m_->val.type = ti_json_type_of(*mv);
    m_->val.flags = m_->val.type == TI_JSON_STRING ? ti_json_str_flags(esc) : 0;
    m_->val.ix = NULL;
    m_->val.ixk = 0;
    if (mvk < ix->n && ix->e[mvk].start == (uint32_t)(mv - ixb)) {
      m_->val.ix = ix;
      m_->val.ixk = mvk;
      m_->val.flags = (int)ix->e[mvk].flags;
    }
    mv = NULL;
  }
  p = WSI(p);
  if (TI_UNLIKELY(p >= end)) goto eoi;
  if ((stack[(depth - 1) >> 6] >> ((depth - 1) & 63)) & 1) {
    if (*p == ',') {
      p = WSI(p + 1);
      goto key;
    }
    if (*p == '}') {
      p++;
      depth--;
      if (indexed) IX_CLOSE();
      goto after;
    }
    f.at = p;
    f.why = "expected ',' or '}'";
    goto fail;
  }
  if (*p == ',') {
    p = WSI(p + 1);
    goto value;
  }
  if (*p == ']') {
    p++;
    depth--;
    if (indexed) IX_CLOSE();
    goto after;
  }
  f.at = p;
  f.why = "expected ',' or ']'";
  goto fail;

done:
  vend = p;
  if (prefix != 1) {
    p = WS(p, end);
    if (p != end && (prefix != 2 || *p != '\n')) {
      f.at = p;
      f.why = "trailing characters";
      goto fail;
    }
  }
  if (consumed) *consumed = prefix == 2 ? (size_t)(p - base) : (size_t)(vend - base);
  if (root) {
    root->p = (const char *)vstart;
    root->n = (size_t)(vend - vstart);
    root->type = ti_json_type_of(*vstart);
    root->flags = rflags;
    root->ix = NULL;
    root->ixk = 0;
    if (indexed && ix->n > n0 && ix->e[n0].start == (uint32_t)(vstart - ixb)) {
      root->ix = ix;
      root->ixk = n0;
      root->flags = (int)ix->e[n0].flags;
    }
  }
  if (indexed) ix->mok = *vstart == '{';
  return TI_OK;

nomem:
  f.at = p;
  f.why = "out of memory";
  f.code = TI_ERR_NOMEM;
  goto fail;

eoi:
  f.at = end;
  f.why = "unexpected end of input";
  goto fail;
bad_literal:
  f.at = p;
  f.why = "invalid literal";
  goto fail;
too_deep:
  f.at = p;
  f.why = "nesting too deep";
  f.code = TI_ERR_LIMIT;
fail:
  if (err) {
    err->offset = (size_t)(f.at - base);
    err->code = f.code;
    snprintf(err->text, sizeof err->text, "%s", f.why);
  }
  if (consumed) *consumed = 0;
  if (indexed) {
    ix->n = n0; /* what this text added is dropped */
    ix->nm = 0;
    ix->mok = 0;
  }
  if (root) {
    root->p = NULL;
    root->n = 0;
    root->type = TI_JSON_INVALID;
    root->flags = 0;
    root->ix = NULL;
    root->ixk = 0;
  }
  return f.code;
}

TI_API int ti_json_parse(const char *buf, size_t len, uint32_t max_depth, ti_jv *root,
                         ti_json_error *err) {
  return scan(buf, len, max_depth, root, NULL, err, 0, NULL, 0, 0);
}

TI_API int ti_json_parse_prefix(const char *buf, size_t len, uint32_t max_depth, ti_jv *root,
                                size_t *consumed, ti_json_error *err) {
  return scan(buf, len, max_depth, root, consumed, err, 1, NULL, 0, 0);
}

TI_API ti_json_index *ti_json_index_new(void) {
  return ti_mem_calloc(1, sizeof(ti_json_index));
}

TI_API void ti_json_index_free(ti_json_index *ix) {
  if (!ix) return;
  ti_mem_free(ix->m);
  ti_mem_free(ix->e);
  ti_mem_free(ix);
}

TI_API int ti_json_parse_indexed(const char *buf, size_t len, uint32_t max_depth,
                                 ti_json_index *ix, ti_jv *root, ti_json_error *err) {
  /* Offsets are 32-bit: larger texts are validated without an index. */
  if (!ix || len > 0xFFFFFFF0u) {
    if (ix) ix->mok = 0;
    return scan(buf, len, max_depth, root, NULL, err, 0, NULL, 0, 0);
  }
  return scan(buf, len, max_depth, root, NULL, err, 0, ix, 1, 0);
}

TI_API int ti_json_parse_indexed_add(const char *buf, size_t len, uint32_t max_depth,
                                     ti_json_index *ix, ti_jv *root, ti_json_error *err) {
  if (!ix || len > 0xFFFFFFF0u) {
    if (ix) ix->mok = 0;
    return scan(buf, len, max_depth, root, NULL, err, 0, NULL, 0, 0);
  }
  return scan(buf, len, max_depth, root, NULL, err, 0, ix, 1, 1);
}

TI_API int ti_json_parse_indexed_line(const char *buf, size_t len, uint32_t max_depth,
                                      ti_json_index *ix, ti_jv *root, size_t *line_len,
                                      ti_json_error *err) {
  size_t used = 0;
  int rc;
  if (!ix || len > 0xFFFFFFF0u) {
    if (ix) ix->mok = 0;
    rc = scan(buf, len, max_depth, root, &used, err, 2, NULL, 0, 0);
  } else {
    rc = scan(buf, len, max_depth, root, &used, err, 2, ix, 1, 1);
  }
  if (line_len) *line_len = used;
  return rc;
}

TI_API void ti_json_index_reset(ti_json_index *ix) {
  if (!ix) return;
  ix->base = NULL;
  ix->len = 0;
  ix->n = 0;
  ix->nm = 0;
  ix->mok = 0;
}

TI_API size_t ti_json_index_members(const ti_json_index *ix, const ti_json_member **out) {
  static const ti_json_member none[1];
  int ok = ix && ix->mok;
  if (out) *out = ok ? (ix->m ? ix->m : none) : NULL;
  return ok ? ix->nm : 0;
}
