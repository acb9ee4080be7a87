/* SPDX-License-Identifier: MIT */
/* Differential tests of the JSON core against jansson (the oracle):
 * acceptance and every decoded value must agree, on real traces (the
 * shared corpus and tests/data when present), on generated documents and
 * on mutations of them.
 *
 * Expected differences (we follow RFC 8259, jansson has limits): jansson
 * rejects lone surrogate escapes ("invalid Unicode", we decode U+FFFD),
 * integers beyond int64 ("too big integer", "too big negative integer"), reals beyond double ("real
 * number overflow") and object keys containing \u0000; and jansson's lexer
 * drops a NUL byte right after a number or literal (it accepts "[1\0]" and
 * "true\0": its unget buffer uses NUL as "empty"). Anything else is a
 * failure.
 *
 * usage: test-json-diff generated | corpus DIR...   (corpus: 77 = skipped
 * when no DIR exists) */
#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <traceingest/ti-format.h>

#define JFLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)
#define DEPTH 2048 /* jansson's own limit */

/* ------------------------------------------------------------ statistics */
static unsigned long n_docs, n_valid, n_invalid, n_expected_diff;
static unsigned long n_surrogate, n_bigint, n_bigreal, n_nulkey, n_nulquirk;
static char diff_msg[512];

/* ------------------------------------------------------------- compare */
static int differ(const char *fmt, ...) TI_PRINTF(1, 2);
static int differ(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(diff_msg, sizeof diff_msg, fmt, ap);
  va_end(ap);
  return 0;
}

static int cmp(const ti_jv *v, json_t *j);

static int cmp_string(const ti_jv *v, const char *js, size_t jn) {
  ti_buf b = {0};
  const char *s;
  size_t n;
  if (ti_json_str(v, &b, &s, &n) != TI_OK) {
    ti_buf_free(&b);
    return differ("ti_json_str failed");
  }
  int ok = n == jn && memcmp(s, js, n) == 0;
  if (ok && !memchr(js, 0, jn)) ok = ti_json_str_eq(v, js);
  if (ok) { /* TI_JV_CANONICAL: the literal is what the encoder writes */
    ti_buf enc = {0};
    int canon = ti_buf_json_string(&enc, s, n) == TI_OK && enc.len == v->n &&
                memcmp(enc.p, v->p, v->n) == 0;
    /* and the compact writer writes exactly the encoder's form */
    ti_buf cw = {0};
    int same = ti_json_write_compact(v, &cw) == TI_OK && cw.len == enc.len &&
               (enc.len == 0 || memcmp(cw.p, enc.p, enc.len) == 0);
    ti_buf_free(&cw);
    ti_buf_free(&enc);
    if (!same) {
      ti_buf_free(&b);
      return differ("compact string differs from the encoder's: %.200s", v->p);
    }
    if (canon != !!(v->flags & TI_JV_CANONICAL)) {
      ti_buf_free(&b);
      return differ("canonical flag %d, encoder says %d: %.200s", !!(v->flags & TI_JV_CANONICAL),
                    canon, v->p);
    }
  }
  ti_buf_free(&b);
  return ok ? 1 : differ("string differs: %.200s", js);
}

typedef struct member {
  char *key;
  size_t klen;
  ti_jv val;
  int dup;
} member;

static int cmp_object(const ti_jv *v, json_t *j) {
  size_t cnt = ti_json_count(v), n = 0;
  member *m = calloc(cnt ? cnt : 1, sizeof *m);
  ti_json_iter it;
  ti_jv k, val;
  int ok = 1;
  ti_json_iter_init(&it, v);
  while (ti_json_next_member(&it, &k, &val)) {
    ti_buf b = {0};
    const char *s;
    size_t sn;
    if (ti_json_str(&k, &b, &s, &sn) != TI_OK) {
      ok = differ("key decode failed");
      ti_buf_free(&b);
      break;
    }
    size_t i;
    for (i = 0; i < n; i++)
      if (m[i].klen == sn && memcmp(m[i].key, s, sn) == 0) break;
    if (i < n) { /* duplicate: jansson keeps the first position, last value */
      m[i].val = val;
      m[i].dup = 1;
    } else {
      m[n].key = malloc(sn + 1);
      memcpy(m[n].key, s, sn);
      m[n].key[sn] = 0;
      m[n].klen = sn;
      m[n].val = val;
      n++;
    }
    ti_buf_free(&b);
  }
  if (ok && n != json_object_size(j)) ok = differ("object size differs");
  size_t i = 0;
  for (void *ji = json_object_iter(j); ok && ji; ji = json_object_iter_next(j, ji), i++) {
    const char *jk = json_object_iter_key(ji);
    size_t jkl = json_object_iter_key_len(ji);
    if (i >= n || jkl != m[i].klen || memcmp(jk, m[i].key, jkl) != 0) {
      ok = differ("member order/key differs at %.100s", jk);
      break;
    }
    if (!cmp(&m[i].val, json_object_iter_value(ji))) {
      ok = 0;
      break;
    }
    /* lookup by key finds the first occurrence: same value unless dup */
    if (!m[i].dup && !memchr(jk, 0, jkl)) {
      ti_jv g;
      if (!ti_json_get(v, m[i].key, &g) || g.p != m[i].val.p || g.n != m[i].val.n) {
        ok = differ("ti_json_get(%.100s) differs", m[i].key);
        break;
      }
    }
  }
  for (i = 0; i < n; i++) free(m[i].key);
  free(m);
  return ok;
}

/* End of the current document: every value the cursor hands out must end
 * where the (independent) validating scanner says it ends. */
static const char *doc_end;

static int is_container(const ti_jv *v) {
  return v->type == TI_JSON_ARRAY || v->type == TI_JSON_OBJECT;
}

/* Flags as a parse without the index gives them: TI_JV_CANONICAL on a
 * container is known to an indexed parse only. */
static int plain_flags(const ti_jv *v) {
  return is_container(v) ? v->flags & ~TI_JV_CANONICAL : v->flags;
}

/* A container's TI_JV_CANONICAL against what ti_json_write_compact writes
 * (with the flag cleared, so that the writer does the work): set, the very
 * bytes; on a value of an indexed parse (v->ix), unset, other bytes. */
static int canonical_container_ok(const ti_jv *v) {
  if (!is_container(v)) return 1;
  ti_jv c = *v;
  c.flags = 0;
  ti_buf w = {0};
  int same = ti_json_write_compact(&c, &w) == TI_OK && w.len == v->n && !memcmp(w.p, v->p, v->n);
  ti_buf_free(&w);
  int flag = !!(v->flags & TI_JV_CANONICAL);
  if (flag && !same) return differ("TI_JV_CANONICAL container is not compact canonical: %.200s", v->p);
  if (v->ix && !flag && same) return differ("compact canonical container without TI_JV_CANONICAL: %.200s", v->p);
  return 1;
}

static int cmp(const ti_jv *v, json_t *j) {
  size_t used;
  ti_jv pv;
  if (ti_json_parse_prefix(v->p, (size_t)(doc_end - v->p), DEPTH, &pv, &used, NULL) != TI_OK ||
      used != v->n || pv.n != v->n || pv.flags != plain_flags(v))
    return differ("cursor span differs from the scanner's: %.100s", v->p);
  if (!canonical_container_ok(v)) return 0;
  switch (v->type) {
  case TI_JSON_NULL: return json_is_null(j) ? 1 : differ("null vs other");
  case TI_JSON_TRUE: return json_is_true(j) ? 1 : differ("true vs other");
  case TI_JSON_FALSE: return json_is_false(j) ? 1 : differ("false vs other");
  case TI_JSON_NUMBER: {
    int64_t i;
    double d;
    if (json_is_integer(j)) {
      if (ti_json_int(v, &i) != TI_OK || i != (int64_t)json_integer_value(j))
        return differ("integer differs");
      return 1;
    }
    if (!json_is_real(j)) return differ("number vs other");
    if (ti_json_int(v, &i) == TI_OK) return differ("real parsed as integer");
    if (ti_json_double(v, &d) != TI_OK || d != json_real_value(j))
      return differ("real differs");
    return 1;
  }
  case TI_JSON_STRING:
    if (!json_is_string(j)) return differ("string vs other");
    return cmp_string(v, json_string_value(j), json_string_length(j));
  case TI_JSON_ARRAY: {
    if (!json_is_array(j)) return differ("array vs other");
    if (ti_json_count(v) != json_array_size(j)) return differ("array size differs");
    ti_json_iter it;
    ti_jv e;
    size_t i = 0;
    ti_json_iter_init(&it, v);
    while (ti_json_next(&it, &e))
      if (!cmp(&e, json_array_get(j, i++))) return 0;
    return i == json_array_size(j) ? 1 : differ("array iteration differs");
  }
  case TI_JSON_OBJECT:
    if (!json_is_object(j)) return differ("object vs other");
    return cmp_object(v, j);
  default: return differ("invalid type");
  }
}

static int expected_difference(const char *buf, size_t len, const json_error_t *je) {
  if (strncmp(je->text, "invalid Unicode", 15) == 0) {
    /* must really hold a surrogate escape */
    for (size_t i = 0; i + 3 < len; i++)
      if (buf[i] == '\\' && buf[i + 1] == 'u' && (buf[i + 2] | 0x20) == 'd' &&
          strchr("89abcdefABCDEF", buf[i + 3]))
        return (int)++n_surrogate;
    return 0;
  }
  if (strncmp(je->text, "too big integer", 15) == 0 ||
      strncmp(je->text, "too big negative integer", 24) == 0)
    return (int)++n_bigint;
  if (strncmp(je->text, "real number overflow", 20) == 0) return (int)++n_bigreal;
  if (strncmp(je->text, "NUL byte in object key", 22) == 0) return (int)++n_nulkey;
  return 0;
}

/* Check one document. Returns 1 when both agree, else 0 with diff_msg. */
static ti_json_index *ix; /* reused from document to document */

/* The index's root members are what the cursor walk over root finds. */
static int members_agree(const ti_jv *root) {
  const ti_json_member *mm;
  size_t nm = ti_json_index_members(ix, &mm);
  if (root->type != TI_JSON_OBJECT)
    return nm == 0 && !mm ? 1 : differ("%zu root members of a non-object", nm);
  if (!mm) return differ("no root member list for an object");
  ti_json_iter it;
  ti_jv k, v;
  size_t i = 0;
  ti_json_iter_init(&it, root);
  while (ti_json_next_member(&it, &k, &v)) {
    if (i >= nm) return differ("index has %zu root members, the walk more", nm);
    const ti_json_member *m = &mm[i++];
    if (k.p != m->key.p || k.n != m->key.n || k.flags != m->key.flags ||
        k.type != m->key.type || v.p != m->val.p || v.n != m->val.n ||
        v.type != m->val.type || v.flags != m->val.flags || v.ix != m->val.ix ||
        (v.ix && v.ixk != m->val.ixk))
      return differ("root member %zu differs: %.*s", i - 1, (int)(k.n < 60 ? k.n : 60), k.p);
  }
  return i == nm ? 1 : differ("index has %zu root members, the walk %zu", nm, i);
}

static int check_doc(const char *buf, size_t len) {
  ti_jv root;
  ti_json_error te, te2;
  json_error_t je;
  int ok = 1;
  n_docs++;
  int rc = ti_json_parse(buf, len, DEPTH, &root, &te);
  if (!ix) ix = ti_json_index_new();
  { /* the indexed parse accepts and rejects exactly alike */
    ti_jv r2;
    int rc2 = ix ? ti_json_parse_indexed(buf, len, DEPTH, ix, &r2, &te2) : TI_ERR_NOMEM;
    if (rc2 != rc || (rc && (te2.offset != te.offset || te2.code != te.code)))
      return differ("parse_indexed: %d at %zu vs parse: %d at %zu", rc2, te2.offset, rc,
                    te.offset);
    const ti_json_member *mm = NULL;
    if (rc2 && ix && (ti_json_index_members(ix, &mm) != 0 || mm))
      return differ("root members kept after a failed parse");
  }
  json_t *j = json_loadb(buf, len, JFLAGS, &je);
  if (rc == TI_OK && j) {
    n_valid++;
    doc_end = buf + len;
    ok = cmp(&root, j);
    if (ok) { /* compact output re-parses to an equal value, idempotently */
      ti_buf c = {0}, c2 = {0};
      ti_jv r2;
      if (ti_json_write_compact(&root, &c) != TI_OK) {
        ok = differ("write_compact failed");
      } else {
        json_t *j2 = json_loadb(c.p, c.len, JFLAGS, &je);
        if (!j2 || !json_equal(j, j2)) ok = differ("compact differs: %.300s", c.p);
        json_decref(j2);
        if (ok && (ti_json_parse(c.p, c.len, DEPTH, &r2, NULL) != TI_OK ||
                   ti_json_write_compact(&r2, &c2) != TI_OK || c2.len != c.len ||
                   memcmp(c.p, c2.p, c.len) != 0))
          ok = differ("compact not idempotent: %.300s", c.p);
      }
      ti_buf_free(&c);
      ti_buf_free(&c2);
    }
    if (ok) { /* the same through the structural index: equal spans, flags, values */
      ti_jv ir;
      if (!ix || ti_json_parse_indexed(buf, len, DEPTH, ix, &ir, NULL) != TI_OK ||
          ir.p != root.p || ir.n != root.n || plain_flags(&ir) != root.flags)
        ok = differ("parse_indexed differs");
      else if (!cmp(&ir, j) || !members_agree(&ir))
        ok = 0;
      else if (!memchr(buf, '\n', len)) { /* as a line of JSONL, with more after it */
        ti_buf l = {0};
        ti_jv lr;
        size_t ll = 0;
        ti_buf_append(&l, buf, len);
        ti_buf_append(&l, "\n[", 2);
        if (!l.p || ti_json_parse_indexed_line(l.p, l.len, DEPTH, ix, &lr, &ll, NULL) != TI_OK ||
            ll != len || lr.p != l.p + (ir.p - buf) || lr.n != ir.n || lr.flags != ir.flags ||
            !members_agree(&lr))
          ok = differ("parse_indexed_line differs");
        ti_buf_free(&l);
        if (ok && ti_json_parse_indexed(buf, len, DEPTH, ix, &ir, NULL) != TI_OK)
          ok = differ("parse_indexed again");
      }
      /* values of an index that was reused for another text fall back */
      else if (ti_json_parse_indexed("[[\"x\"]]", 7, DEPTH, ix, &root, NULL) != TI_OK ||
               !cmp(&ir, j))
        ok = 0;
      else
        root = ir;
    }
    if (ok) { /* the prefix parser agrees on where the value ends */
      size_t used;
      ti_jv p;
      if (ti_json_parse_prefix(buf, len, DEPTH, &p, &used, NULL) != TI_OK || p.p != root.p ||
          p.n != root.n || used != (size_t)(root.p + root.n - buf))
        ok = differ("parse_prefix differs");
    }
  } else if (rc == TI_OK) {
    if (expected_difference(buf, len, &je)) {
      n_expected_diff++;
    } else {
      snprintf(diff_msg, sizeof diff_msg, "we accept, jansson rejects: %s (pos %d)", je.text,
               je.position);
      ok = 0;
    }
  } else if (j && te.offset > 0 && te.offset < len && buf[te.offset] == '\0' &&
             ((buf[te.offset - 1] >= '0' && buf[te.offset - 1] <= '9') ||
              buf[te.offset - 1] == 'e' || buf[te.offset - 1] == 'l')) {
    n_expected_diff++;
    n_nulquirk++; /* jansson quirk: a NUL right after a number/literal is dropped */
  } else if (j) {
    snprintf(diff_msg, sizeof diff_msg, "we reject at %zu (%s), jansson accepts", te.offset,
             te.text);
    ok = 0;
  } else {
    n_invalid++;
    if (te.offset > len || !te.text[0]) ok = differ("bad error report");
  }
  json_decref(j);
  return ok;
}

static void assert_doc(const char *what, const char *buf, size_t len) {
  if (!check_doc(buf, len))
    ck_abort_msg("%s: %s\n  doc (%zu bytes): %.*s", what, diff_msg, len,
                 (int)(len > 400 ? 400 : len), buf);
}

/* ------------------------------------------------------------ generator */
static uint64_t rng_state;
static uint32_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}
static uint32_t below(uint32_t n) { return rnd() % n; }

static void ws(ti_buf *b) {
  static const char w[] = " \t\n\r";
  while (below(4) == 0) ti_buf_append(b, &w[below(4)], 1);
}

static void gen_string(ti_buf *b) {
  ti_buf_append(b, "\"", 1);
  int n = (int)below(below(8) == 0 ? 80 : 12);
  for (int i = 0; i < n; i++) {
    char tmp[16];
    switch (below(13)) {
    case 0: {
      static const char *esc[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"};
      ti_buf_puts(b, esc[below(8)]);
      break;
    }
    case 1: {
      uint32_t u = below(3) == 0 ? below(0x80) : below(0x10000);
      if (u >= 0xD800 && u <= 0xDFFF && below(8)) u = 0x41; /* lone surrogates: rare */
      snprintf(tmp, sizeof tmp, below(2) ? "\\u%04x" : "\\u%04X", u);
      ti_buf_puts(b, tmp);
      break;
    }
    case 2: { /* surrogate pair */
      uint32_t cp = 0x10000 + below(0x100000);
      snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
               0xDC00 + ((cp - 0x10000) & 0x3FF));
      ti_buf_puts(b, tmp);
      break;
    }
    case 3: { /* raw UTF-8 of 2..4 bytes */
      static const char *u[] = {"\xc3\xa9", "\xdf\xbf", "\xe2\x82\xac", "\xe0\xa0\x80",
                                "\xef\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80",
                                "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xf0\x90\x80\x80"};
      ti_buf_puts(b, u[below(10)]);
      break;
    }
    case 4: ti_buf_puts(b, "0123456789abcdefghijklmnopqrstuvwxyz"); break;
    case 5: { /* a run of escaped backslashes, maybe then an escaped quote */
      int r = 1 + (int)below(5);
      while (r--) ti_buf_puts(b, "\\\\");
      if (below(2)) ti_buf_puts(b, "\\\"");
      break;
    }
    default: {
      char c = (char)(0x20 + below(0x60));
      if (c == '"' || c == '\\') c = 'x';
      ti_buf_append(b, &c, 1);
    }
    }
  }
  ti_buf_append(b, "\"", 1);
}

static void gen_number(ti_buf *b) {
  char tmp[64];
  switch (below(6)) {
  case 0: snprintf(tmp, sizeof tmp, "%d", (int)below(10)); break;
  case 1: snprintf(tmp, sizeof tmp, "-%u", rnd()); break;
  case 2: snprintf(tmp, sizeof tmp, below(16) ? "%u%05u" : "%u%u", rnd() | 1, rnd() % (below(16) ? 100000 : ~0u)); break;
  case 3: snprintf(tmp, sizeof tmp, "%d.%u", (int)below(1000) - 500, rnd()); break;
  case 4:
    snprintf(tmp, sizeof tmp, "%s%u%s%c%s%d", below(2) ? "-" : "", below(100),
             below(2) ? ".5" : "", below(2) ? 'e' : 'E', below(2) ? (below(2) ? "+" : "-") : "",
             (int)below(300));
    break;
  default: snprintf(tmp, sizeof tmp, "%s0.%u", below(2) ? "-" : "", below(1000)); break;
  }
  ti_buf_puts(b, tmp);
}

static void gen_value(ti_buf *b, int depth) {
  uint32_t k = below(depth > 5 ? 6 : 9);
  switch (k) {
  case 0: ti_buf_puts(b, "null"); break;
  case 1: ti_buf_puts(b, below(2) ? "true" : "false"); break;
  case 2: case 3: gen_number(b); break;
  case 4: case 5: gen_string(b); break;
  case 6: {
    int n = (int)below(6);
    ti_buf_append(b, "[", 1);
    ws(b);
    for (int i = 0; i < n; i++) {
      if (i) {
        ti_buf_append(b, ",", 1);
        ws(b);
      }
      gen_value(b, depth + 1);
      ws(b);
    }
    ti_buf_append(b, "]", 1);
    break;
  }
  default: {
    int n = (int)below(6);
    ti_buf_append(b, "{", 1);
    ws(b);
    for (int i = 0; i < n; i++) {
      if (i) {
        ti_buf_append(b, ",", 1);
        ws(b);
      }
      if (below(6) == 0) ti_buf_puts(b, "\"type\""); /* duplicates now and then */
      else gen_string(b);
      ws(b);
      ti_buf_append(b, ":", 1);
      ws(b);
      gen_value(b, depth + 1);
      ws(b);
    }
    ti_buf_append(b, "}", 1);
  }
  }
}

static void gen_doc(ti_buf *b) {
  ti_buf_reset(b);
  ws(b);
  gen_value(b, below(3) ? 0 : 4);
  ws(b);
}

static const char *seeds[] = {
    "{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
    "\"text\":\"Let me look at \\\"main.c\\\" \\u2014 ok\"},{\"type\":\"tool_use\",\"id\":"
    "\"toolu_01\",\"name\":\"Bash\",\"input\":{\"command\":\"ls -la\",\"timeout\":120000}}]},"
    "\"uuid\":\"5d3c\",\"parentUuid\":null,\"isSidechain\":false,\"costUSD\":0.0123}",
    "[1,-0.5e+10,true,false,null,\"\\ud83d\\ude00\",{\"\":[]},[[[]]],\"caf\xc3\xa9\"]",
    "\"\\u0000\\u001f\\\\\\\"\"",
    "{\"a\" : { \"b\" : [ 1 , 2 , { \"c\" : \"d\" } ] } , \"e\" : 12345678901234567 }",
};

START_TEST(test_generated) {
  ti_buf b = {0};
  rng_state = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 6000; i++) {
    gen_doc(&b);
    assert_doc("generated", b.p, b.len);
  }
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) assert_doc("seed", seeds[i], strlen(seeds[i]));
  ti_buf_free(&b);
  ck_assert_uint_gt(n_valid, 5000);
}
END_TEST

static const unsigned char interesting[] = {
    '"', '\\', '[', ']', '{', '}', ',', ':', '0', '1', '-', '+', '.', 'e', 'E', 'u', 'd', 'D',
    '8', 'f', 't', 'n', ' ', '\n', '/', 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2,
    0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};

static void mutate(ti_buf *b) {
  int n = 1 + (int)below(3);
  for (int i = 0; i < n; i++) {
    size_t pos = b->len ? below((uint32_t)b->len) : 0;
    unsigned char c = below(3) ? interesting[below(sizeof interesting)] : (unsigned char)below(256);
    switch (below(6)) {
    case 5: { /* insert a multi-byte sequence: a lead byte and 1..3 bytes, mostly 0x80..0xBF */
      unsigned char seq[4];
      int k = 2 + (int)below(3);
      seq[0] = (unsigned char)(0xC0 + below(0x38));
      for (int t = 1; t < k; t++)
        seq[t] = below(8) ? (unsigned char)(0x80 + below(0x40)) : (unsigned char)below(256);
      for (int t = 0; t < k; t++) {
        ti_buf_append(b, "", 1);
        memmove(b->p + pos + t + 1, b->p + pos + t, b->len - 1 - pos - t);
        b->p[pos + t] = (char)seq[t];
      }
      break;
    }
    case 0: case 1: /* replace */
      if (b->len) b->p[pos] = (char)c;
      break;
    case 2: /* insert */
      ti_buf_append(b, "", 1);
      memmove(b->p + pos + 1, b->p + pos, b->len - 1 - pos);
      b->p[pos] = (char)c;
      break;
    case 3: /* delete */
      if (b->len) {
        memmove(b->p + pos, b->p + pos + 1, b->len - pos - 1);
        b->len--;
      }
      break;
    default: /* truncate */
      b->len = pos;
      break;
    }
  }
}

START_TEST(test_mutations) {
  ti_buf base = {0}, m = {0};
  unsigned long before_invalid = n_invalid;
  rng_state = 0xD1B54A32D192ED03ull;
  for (int i = 0; i < 40000; i++) {
    if (i % 8 == 0) {
      if (below(4) == 0) {
        ti_buf_reset(&base);
        ti_buf_puts(&base, seeds[below(sizeof seeds / sizeof seeds[0])]);
      } else {
        gen_doc(&base);
      }
    }
    ti_buf_reset(&m);
    ti_buf_append(&m, base.p, base.len);
    mutate(&m);
    assert_doc("mutation", m.p ? m.p : "", m.len);
  }
  ti_buf_free(&base);
  ti_buf_free(&m);
  ck_assert_uint_gt(n_invalid - before_invalid, 10000); /* mutations do break things */
}
END_TEST

/* --------------------------------------------------------------- corpus */
static const char **corpus_dirs;
static int n_corpus_dirs;

static int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  *len = fread(p, 1, (size_t)n, f);
  fclose(f);
  return p;
}

static unsigned long n_files;

static void check_file(const char *path) {
  size_t len;
  char *buf = slurp(path, &len);
  if (!buf) return;
  n_files++;
  if (ends_with(path, ".jsonl")) {
    const char *p = buf, *end = buf + len;
    unsigned long line = 0;
    while (p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      const char *e = nl ? nl : end;
      line++;
      const char *q = p;
      while (q < e && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
      if (q < e && !check_doc(p, (size_t)(e - p)))
        ck_abort_msg("%s:%lu: %s", path, line, diff_msg);
      p = e + 1;
    }
  } else if (!check_doc(buf, len)) {
    ck_abort_msg("%s: %s", path, diff_msg);
  }
  free(buf);
}

static void walk(const char *dir) {
  struct dirent **ents;
  int n = scandir(dir, &ents, NULL, alphasort);
  if (n < 0) return;
  for (int i = 0; i < n; i++) {
    const char *name = ents[i]->d_name;
    if (name[0] != '.') {
      char path[4096];
      struct stat st;
      snprintf(path, sizeof path, "%s/%s", dir, name);
      if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) walk(path);
        else if (ends_with(name, ".json") || ends_with(name, ".jsonl")) check_file(path);
      }
    }
    free(ents[i]);
  }
  free(ents);
}

START_TEST(test_corpus) {
  for (int i = 0; i < n_corpus_dirs; i++) walk(corpus_dirs[i]);
  ck_assert_uint_gt(n_files, 0);
}
END_TEST

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "generated";
  int corpus = strcmp(mode, "corpus") == 0;
  static const char *dirs[64];
  if (corpus) {
    for (int i = 2; i < argc && n_corpus_dirs < 64; i++) {
      struct stat st;
      if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) dirs[n_corpus_dirs++] = argv[i];
    }
    corpus_dirs = dirs;
    if (!n_corpus_dirs) {
      printf("no corpus directory: skipped\n");
      return 77;
    }
  }
  Suite *s = suite_create("json-diff");
  TCase *tc = tcase_create(mode);
  tcase_set_timeout(tc, 60);
  if (corpus) {
    tcase_add_test(tc, test_corpus);
  } else {
    tcase_add_test(tc, test_generated);
    tcase_add_test(tc, test_mutations);
  }
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  printf("docs %lu: valid %lu, invalid %lu, files %lu\n", n_docs, n_valid, n_invalid, n_files);
  printf("expected differences %lu: lone surrogate %lu, big integer %lu, big real %lu, "
         "NUL in key %lu, NUL after token %lu\n",
         n_expected_diff, n_surrogate, n_bigint, n_bigreal, n_nulkey, n_nulquirk);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
