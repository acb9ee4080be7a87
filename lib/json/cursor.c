/* SPDX-License-Identifier: MIT */
/* Lazy navigation over validated JSON: member lookup, iteration, counting.
 * These re-walk the bytes with a non-validating skip (quote and bracket
 * counting, SSE2); every read stays inside the value's span, so a bogus
 * ti_jv cannot make them read out of bounds. */
#include <stdarg.h>
#include <string.h>

#include "json-internal.h"

/* After the opening quote: the position after the closing quote (or end);
 * *flags gets TI_JV_ESCAPES and TI_JV_CANONICAL as they apply. */
static const ti_u8 *skip_string_body(const ti_u8 *p, const ti_u8 *end, int *flags) {
  int nc = 0; /* a non-canonical escape seen */
#if TI_JSON_SSE2
  while (end - p >= 32) {
    uint32_t m = ti_json_mask32_quote_bs(p);
    while (m) {
      unsigned i = TI_CTZ(m);
      if (p[i] == '"') {
        p += i + 1;
        goto done;
      }
      *flags |= TI_JV_ESCAPES;
      if (p + i + 1 < end && !ti_json_escape_canonical(p + i, end)) nc = 1;
      if (i + 2 >= 32) {
        p += i + 2;
        goto next;
      }
      m &= ~(uint32_t)0 << (i + 2);
    }
    p += 32;
  next:;
  }
#endif
  for (;;) {
    p = ti_json_find_quote_bs(p, end);
    if (p >= end) {
      p = end;
      break;
    }
    if (*p == '"') {
      p++;
      break;
    }
    *flags |= TI_JV_ESCAPES;
    if (p + 1 < end && !ti_json_escape_canonical(p, end)) nc = 1;
    p += 2;
    if (p > end) {
      p = end;
      break;
    }
  }
#if TI_JSON_SSE2
done:
#endif
  if (!nc) *flags |= TI_JV_CANONICAL;
  return p;
}

/* Bracket counting from `depth`, one string or bracket at a time. */
static const ti_u8 *skip_container_from(const ti_u8 *p, const ti_u8 *end, size_t depth) {
  int dummy = 0;
  while (p < end) {
    p = ti_json_find_structural(p, end);
    if (p >= end) break;
    ti_u8 c = *p;
    if (c == '"') {
      p = skip_string_body(p + 1, end, &dummy);
      continue;
    }
    p++;
    if (c == '[' || c == '{') {
      depth++;
    } else if (--depth == 0) {
      return p;
    }
  }
  return end;
}

#if TI_JSON_SSE2
static inline uint64_t popcount64(uint64_t x) {
#if defined(__POPCNT__) && (defined(__GNUC__) || defined(__clang__))
  return (uint64_t)__builtin_popcountll(x);
#else
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return (x * 0x0101010101010101ull) >> 56;
#endif
}

/* Characters escaped by a backslash in a 64-byte block (odd-length
 * backslash runs), carrying across blocks in *prev (the simdjson method). */
static inline uint64_t find_escaped(uint64_t bs, uint64_t *prev) {
  const uint64_t even = 0x5555555555555555ull;
  bs &= ~*prev;
  uint64_t follows = bs << 1 | *prev;
  uint64_t odd_starts = bs & ~even & ~follows;
  uint64_t seq = odd_starts + bs;
  *prev = seq < odd_starts; /* carry out */
  uint64_t invert = seq << 1;
  return (even ^ invert) & follows;
}

static inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/* Masks of '"', '\\', '[' or '{', and ']' or '}' in 64 bytes at p. */
static inline void masks64(const ti_u8 *p, uint64_t *q, uint64_t *bs, uint64_t *op,
                           uint64_t *cl) {
  const __m128i vq = _mm_set1_epi8('"');
  const __m128i vb = _mm_set1_epi8('\\');
  const __m128i v20 = _mm_set1_epi8(0x20);
  const __m128i vo = _mm_set1_epi8('{');
  const __m128i vc = _mm_set1_epi8('}');
  uint64_t mq = 0, mb = 0, mo = 0, mc = 0;
  for (int k = 0; k < 4; k++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
    __m128i l = _mm_or_si128(x, v20); /* '[' -> '{', ']' -> '}' */
    mq |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vq)) << (16 * k);
    mb |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vb)) << (16 * k);
    mo |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(l, vo)) << (16 * k);
    mc |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(l, vc)) << (16 * k);
  }
  *q = mq;
  *bs = mb;
  *op = mo;
  *cl = mc;
}
#endif

/* End of the array or object at p (validated input). With SSE2, 64-byte
 * blocks are classified at once: escaped characters from the backslash
 * runs, the inside of strings by a prefix XOR of the unescaped quotes, and
 * brackets outside strings are counted; a block is only walked bracket by
 * bracket when the depth could reach zero inside it. A string that runs
 * past the end of a block is finished with the string scan, and the next
 * block starts after it. */
static const ti_u8 *skip_container(const ti_u8 *p, const ti_u8 *end) {
  size_t depth = 0;
#if TI_JSON_SSE2
  uint64_t prev_escaped = 0, prev_in_string = 0;
  while (end - p >= 64) {
    uint64_t q, bs, op, cl;
    masks64(p, &q, &bs, &op, &cl);
    if (bs | prev_escaped) q &= ~find_escaped(bs, &prev_escaped);
    uint64_t in_str = prefix_xor(q) ^ prev_in_string;
    prev_in_string = 0 - (in_str >> 63);
    op &= ~in_str;
    cl &= ~in_str;
    uint64_t ncl = popcount64(cl);
    if (ncl >= depth) {
      uint64_t m = op | cl;
      while (m) {
        uint64_t bit = m & (0 - m);
        if (op & bit) {
          depth++;
        } else if (--depth == 0) {
          return p + TI_CTZ64(m) + 1;
        }
        m ^= bit;
      }
    } else {
      depth = depth + popcount64(op) - ncl;
    }
    p += 64;
    if (prev_in_string | prev_escaped) {
      /* A string runs on past the block: long strings are skipped faster
       * by the quote/backslash scan than block by block. */
      int dummy = 0;
      if (prev_escaped) p++;
      if (prev_in_string) p = skip_string_body(p, end, &dummy);
      prev_in_string = prev_escaped = 0;
    }
  }
#endif
  return skip_container_from(p, end, depth);
}

const ti_u8 *ti_json__value_end(const ti_u8 *p, const ti_u8 *end, int *flags) {
  *flags = 0;
  switch (*p) {
  case '"': return skip_string_body(p + 1, end, flags);
  case '{': case '[': return skip_container(p, end);
  default:
    while (p < end && *p != ',' && *p != ']' && *p != '}' && *p != ':' && !ti_json_is_ws(*p))
      p++;
    return p;
  }
}

int ti_json__body_eq(const ti_u8 *s, const ti_u8 *e, int escapes, const char *key, size_t n) {
  const ti_u8 *k = (const ti_u8 *)key, *kend = k + n;
  if (!escapes) return (size_t)(e - s) == n && memcmp(s, key, n) == 0;
  while (s < e) {
    const ti_u8 *bs = memchr(s, '\\', (size_t)(e - s));
    size_t run = (size_t)((bs ? bs : e) - s);
    if ((size_t)(kend - k) < run || memcmp(s, k, run) != 0) return 0;
    s += run;
    k += run;
    if (!bs) break;
    char tmp[4];
    unsigned long cp = ti_json_unescape(&s, e);
    int m = ti_utf8_put(cp, tmp);
    if ((kend - k) < m || memcmp(tmp, k, (size_t)m) != 0) return 0;
    k += m;
  }
  return k == kend;
}

static void set_jv(ti_jv *out, const ti_u8 *p, const ti_u8 *e, int flags) {
  out->p = (const char *)p;
  out->n = (size_t)(e - p);
  out->type = ti_json_type_of(*p);
  out->flags = flags;
  out->ix = NULL;
  out->ixk = 0;
}

static void set_absent(ti_jv *out) {
  if (!out) return;
  out->p = NULL;
  out->n = 0;
  out->type = TI_JSON_INVALID;
  out->flags = 0;
  out->ix = NULL;
  out->ixk = 0;
}

TI_API void ti_json_iter_init(ti_json_iter *it, const ti_jv *c) {
  if (!it) return;
  it->p = it->end = NULL;
  it->kind = 0;
  it->ix = NULL;
  it->ixk = 0;
  if (!c || !c->p || c->n < 2 || (c->type != TI_JSON_ARRAY && c->type != TI_JSON_OBJECT))
    return;
  const ti_u8 *p = (const ti_u8 *)c->p + 1;
  const ti_u8 *end = (const ti_u8 *)c->p + c->n - 1; /* the closing bracket */
  p = ti_json_skip_ws(p, end);
  if (p >= end) return; /* empty */
  it->p = (const char *)p;
  it->end = (const char *)end;
  it->kind = c->type;
  /* The container's own entry must describe exactly its span; its first
   * child's entry (if indexed) follows it. */
  const ti_json_ient *e =
      ti_json_ix_at(c->ix, c->ixk, (const ti_u8 *)c->p, (const ti_u8 *)c->p + c->n);
  if (e && (const ti_u8 *)c->p + c->n == c->ix->base + e->end) {
    it->ix = c->ix;
    it->ixk = c->ixk + 1;
  }
}

/* End of the value at p: from the iterator's index when it has an entry
 * for p (val then carries the index on), else by re-scanning. */
static const ti_u8 *iter_value_end(ti_json_iter *it, const ti_u8 *p, const ti_u8 *end,
                                   ti_jv *val) {
  const ti_json_ient *e = ti_json_ix_at(it->ix, it->ixk, p, end);
  if (e) {
    const ti_u8 *ve = it->ix->base + e->end;
    if (val) {
      set_jv(val, p, ve, (int)e->flags);
      val->ix = it->ix;
      val->ixk = it->ixk;
    }
    it->ixk = e->next;
    return ve;
  }
  int flags;
  const ti_u8 *ve = ti_json__value_end(p, end, &flags);
  if (val) set_jv(val, p, ve, flags);
  return ve;
}

/* After a value: skip whitespace and one comma; mark the end. */
static void advance(ti_json_iter *it, const ti_u8 *p) {
  const ti_u8 *end = (const ti_u8 *)it->end;
  p = ti_json_skip_ws(p, end);
  if (p < end && *p == ',') {
    p = ti_json_skip_ws(p + 1, end);
  } else {
    it->kind = 0;
  }
  if (p >= end) it->kind = 0;
  it->p = (const char *)p;
}

TI_API int ti_json_next(ti_json_iter *it, ti_jv *val) {
  if (!it || it->kind != TI_JSON_ARRAY) {
    set_absent(val);
    return 0;
  }
  const ti_u8 *p = (const ti_u8 *)it->p, *end = (const ti_u8 *)it->end;
  const ti_u8 *e = iter_value_end(it, p, end, val);
  advance(it, e);
  return 1;
}

TI_API int ti_json_next_member(ti_json_iter *it, ti_jv *key, ti_jv *val) {
  if (!it || it->kind != TI_JSON_OBJECT) {
    set_absent(key);
    set_absent(val);
    return 0;
  }
  const ti_u8 *p = (const ti_u8 *)it->p, *end = (const ti_u8 *)it->end;
  int kflags = 0;
  if (*p != '"') { /* not validated input */
    it->kind = 0;
    set_absent(key);
    set_absent(val);
    return 0;
  }
  const ti_u8 *ke = skip_string_body(p + 1, end, &kflags);
  if (key) set_jv(key, p, ke, kflags);
  const ti_u8 *v = ti_json_skip_ws(ke, end);
  if (v < end && *v == ':') v = ti_json_skip_ws(v + 1, end);
  if (v >= end) {
    it->kind = 0;
    set_absent(val);
    return 1;
  }
  const ti_u8 *e = iter_value_end(it, v, end, val);
  advance(it, e);
  return 1;
}

static int get_n(const ti_jv *obj, const char *key, size_t klen, ti_jv *out) {
  ti_json_iter it;
  ti_jv k, v;
  ti_json_iter_init(&it, obj);
  if (it.kind != TI_JSON_OBJECT) {
    set_absent(out);
    return 0;
  }
  while (ti_json_next_member(&it, &k, &v)) {
    if (k.n >= 2 &&
        ti_json__body_eq((const ti_u8 *)k.p + 1, (const ti_u8 *)k.p + k.n - 1,
                         k.flags & TI_JV_ESCAPES, key, klen)) {
      if (out) *out = v;
      return v.type != TI_JSON_INVALID;
    }
  }
  set_absent(out);
  return 0;
}

TI_API int ti_json_get(const ti_jv *obj, const char *key, ti_jv *out) {
  if (!key) {
    set_absent(out);
    return 0;
  }
  return get_n(obj, key, strlen(key), out);
}

TI_API int ti_json_getv(const ti_jv *obj, ti_jv *out, ...) {
  va_list ap;
  ti_jv cur, next;
  const char *key;
  if (!obj) {
    set_absent(out);
    return 0;
  }
  cur = *obj;
  va_start(ap, out);
  while ((key = va_arg(ap, const char *)) != NULL) {
    if (!get_n(&cur, key, strlen(key), &next)) {
      va_end(ap);
      set_absent(out);
      return 0;
    }
    cur = next;
  }
  va_end(ap);
  if (out) *out = cur;
  return cur.type != TI_JSON_INVALID;
}

TI_API size_t ti_json_count(const ti_jv *c) {
  ti_json_iter it;
  size_t n = 0;
  ti_json_iter_init(&it, c);
  if (it.kind == TI_JSON_ARRAY) {
    while (ti_json_next(&it, NULL)) n++;
  } else if (it.kind == TI_JSON_OBJECT) {
    while (ti_json_next_member(&it, NULL, NULL)) n++;
  }
  return n;
}
