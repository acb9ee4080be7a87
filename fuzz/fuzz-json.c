/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the JSON core. Parses the input (whole, as a prefix,
 * and with the structural index), walks and decodes every value (strings,
 * numbers, member lookup, counts), checks that the indexed walk sees the
 * same values as the plain one (also after the index is reset), that
 * strings flagged TI_JV_CANONICAL re-encode to their own bytes, and that
 * the canonical compact form re-parses and is idempotent. Any crash,
 * sanitizer report or broken invariant aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <traceingest/ti-format.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH 256

static void fail(const char *what) {
  fprintf(stderr, "fuzz-json: invariant broken: %s\n", what);
  abort();
}

/* Every value the walk visits, as (type, offset, length) triples: the
 * plain and the indexed walks must produce the same trace. */
static const char *trace_base;
static ti_buf *trace;

/* A container's TI_JV_CANONICAL against what ti_json_write_compact writes
 * with the flag cleared: set, the very bytes; unset on a value of an
 * indexed parse (v->ix), other bytes. */
static void check_canonical_container(const ti_jv *v, ti_buf *scratch) {
  ti_jv c = *v;
  c.flags = 0;
  ti_buf_reset(scratch);
  if (ti_json_write_compact(&c, scratch) != TI_OK) fail("compact of a valid container");
  int same = scratch->len == v->n && !memcmp(scratch->p, v->p, v->n);
  if ((v->flags & TI_JV_CANONICAL) && !same) fail("TI_JV_CANONICAL container not compact canonical");
  if (v->ix && !(v->flags & TI_JV_CANONICAL) && same) fail("compact canonical container unflagged");
}

static void walk(const ti_jv *v, ti_buf *scratch, int depth) {
  if (depth > DEPTH + 1) fail("walk deeper than max_depth");
  if (trace) {
    size_t t[3] = {(size_t)v->type, (size_t)(v->p - trace_base), v->n};
    ti_buf_append(trace, t, sizeof t);
  }
  if (v->type == TI_JSON_ARRAY || v->type == TI_JSON_OBJECT) check_canonical_container(v, scratch);
  switch (v->type) {
  case TI_JSON_NULL:
    if (!ti_json_is_null_or_absent(v)) fail("null");
    break;
  case TI_JSON_TRUE:
    if (!ti_json_is_true(v)) fail("true");
    break;
  case TI_JSON_FALSE:
    if (ti_json_is_true(v)) fail("false");
    break;
  case TI_JSON_NUMBER: {
    int64_t i;
    double d;
    int drc = ti_json_double(v, &d);
    /* TI_ERR_INVALID: out of double's range (e.g. 1e400) */
    if (drc != TI_OK && drc != TI_ERR_INVALID) fail("double status");
    if (drc == TI_OK && d - d != 0) fail("double not finite");
    if (ti_json_int(v, &i) == TI_OK) {
      if (drc != TI_OK) fail("an int64 is out of double range");
      if (i <= (1ll << 53) && i >= -(1ll << 53) && (double)i != d) fail("int and double disagree");
    }
    break;
  }
  case TI_JSON_STRING: {
    const char *s;
    size_t n;
    ti_buf_reset(scratch);
    if (ti_json_str(v, scratch, &s, &n) != TI_OK) fail("str of a valid string");
    char *copy = malloc(n + 1);
    if (!copy) abort();
    memcpy(copy, s, n);
    copy[n] = 0;
    if (!memchr(copy, 0, n) && !ti_json_str_eq(v, copy)) fail("str_eq(decoded)");
    if (v->flags & TI_JV_CANONICAL) { /* re-encoding gives the very bytes */
      ti_buf enc = {0};
      if (ti_buf_json_string(&enc, copy, n) != TI_OK || enc.len != v->n ||
          memcmp(enc.p, v->p, v->n) != 0)
        fail("TI_JV_CANONICAL string does not re-encode to itself");
      ti_buf_free(&enc);
    }
    ti_buf app = {0};
    if (ti_json_str_append(v, &app) != TI_OK || app.len != n || (n && memcmp(app.p, copy, n)))
      fail("str_append differs from str");
    ti_buf_free(&app);
    free(copy);
    break;
  }
  case TI_JSON_ARRAY: {
    ti_json_iter it;
    ti_jv e;
    size_t cnt = 0;
    ti_json_iter_init(&it, v);
    while (ti_json_next(&it, &e)) {
      if (e.p < v->p || e.p + e.n > v->p + v->n) fail("element outside its array");
      walk(&e, scratch, depth + 1);
      cnt++;
    }
    if (cnt != ti_json_count(v)) fail("array count");
    break;
  }
  case TI_JSON_OBJECT: {
    ti_json_iter it;
    ti_jv k, e;
    size_t cnt = 0;
    ti_json_iter_init(&it, v);
    while (ti_json_next_member(&it, &k, &e)) {
      if (k.type != TI_JSON_STRING) fail("key not a string");
      walk(&k, scratch, depth + 1);
      walk(&e, scratch, depth + 1);
      /* lookup by the decoded key finds a member (the first with that key) */
      const char *s;
      size_t n;
      ti_buf kb = {0};
      if (ti_json_str(&k, &kb, &s, &n) != TI_OK) fail("key decode");
      char *key = malloc(n + 1);
      if (!key) abort();
      memcpy(key, s, n);
      key[n] = 0;
      ti_buf_free(&kb);
      if (!memchr(key, 0, n)) {
        ti_jv g;
        if (!ti_json_get(v, key, &g)) fail("get of an existing key");
        if (g.p < v->p || g.p + g.n > v->p + v->n) fail("get outside object");
        ti_jv g2;
        if (!ti_json_getv(v, &g2, key, (const char *)NULL) || g2.p != g.p) fail("getv vs get");
      }
      free(key);
      cnt++;
    }
    if (cnt != ti_json_count(v)) fail("object count");
    ti_jv none;
    if (ti_json_get(v, "\x01no such key\x02", &none) && none.type == TI_JSON_INVALID)
      fail("absent key reported found");
    break;
  }
  default:
    fail("invalid type in a valid document");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  ti_jv root;
  ti_json_error err;
  int rc = ti_json_parse(buf, size, DEPTH, &root, &err);
  size_t used = 0;
  ti_jv pre;
  ti_json_error perr;
  int prc = ti_json_parse_prefix(buf, size, DEPTH, &pre, &used, &perr);
  if (rc != TI_OK) {
    if (rc != TI_ERR_PARSE && rc != TI_ERR_LIMIT) fail("parse status");
    {
      static ti_json_index *eix;
      if (!eix && !(eix = ti_json_index_new())) abort();
      ti_jv r;
      ti_json_error e2;
      int irc = ti_json_parse_indexed(buf, size, DEPTH, eix, &r, &e2);
      if (irc != rc || e2.offset != err.offset) fail("indexed parse error differs");
      const ti_json_member *mm;
      if (ti_json_index_members(eix, &mm) || mm) fail("root members after a failed parse");
    }
    if (err.offset > size) fail("error offset past the end");
    if (!memchr(err.text, 0, sizeof err.text)) fail("error text not terminated");
    if (prc == TI_OK && used > size) fail("prefix consumed past the end");
    return 0;
  }
  if (prc != TI_OK || pre.p != root.p || pre.n != root.n) fail("prefix parse disagrees");
  if (root.p < buf || root.p + root.n > buf + size) fail("root outside input");
  ti_buf scratch = {0}, t_plain = {0}, t_ix = {0}, t_reset = {0};
  trace_base = buf;
  trace = &t_plain;
  walk(&root, &scratch, 0);

  /* the structural index: same validity, same values */
  static ti_json_index *ix;
  if (!ix && !(ix = ti_json_index_new())) abort();
  ti_jv iroot;
  ti_json_error ierr;
  if (ti_json_parse_indexed(buf, size, DEPTH, ix, &iroot, &ierr) != TI_OK)
    fail("indexed parse rejects what the plain parse accepts");
  if (iroot.p != root.p || iroot.n != root.n || iroot.type != root.type)
    fail("indexed root differs");
  trace = &t_ix;
  walk(&iroot, &scratch, 0);
  if (t_ix.len != t_plain.len || memcmp(t_ix.p, t_plain.p, t_plain.len))
    fail("indexed walk differs from the plain walk");
  { /* the root's members as the parse kept them: the cursor's, in order */
    const ti_json_member *mm;
    size_t nm = ti_json_index_members(ix, &mm), i = 0;
    if (iroot.type != TI_JSON_OBJECT) {
      if (nm || mm) fail("root members of a non-object");
    } else {
      if (!mm) fail("no root members of an object");
      ti_json_iter it;
      ti_jv k, v;
      ti_json_iter_init(&it, &iroot);
      while (ti_json_next_member(&it, &k, &v)) {
        if (i >= nm) fail("fewer root members than the walk");
        const ti_json_member *m = &mm[i++];
        if (k.p != m->key.p || k.n != m->key.n || k.flags != m->key.flags || v.p != m->val.p ||
            v.n != m->val.n || v.type != m->val.type || v.flags != m->val.flags ||
            v.ix != m->val.ix || (v.ix && v.ixk != m->val.ixk))
          fail("root member differs from the walk");
      }
      if (i != nm) fail("more root members than the walk");
    }
  }
  if (!memchr(buf, '\n', size)) { /* the same text as a line of JSONL */
    ti_buf l = {0};
    ti_jv lr;
    size_t ll = 0;
    if (ti_buf_append(&l, buf, size) || ti_buf_append(&l, "\n{", 2)) abort();
    static ti_json_index *lix;
    if (!lix && !(lix = ti_json_index_new())) abort();
    if (ti_json_parse_indexed_line(l.p, l.len, DEPTH, lix, &lr, &ll, NULL) != TI_OK || ll != size ||
        lr.p - l.p != root.p - buf || lr.n != root.n || lr.type != root.type)
      fail("line parse differs");
    ti_buf_free(&l);
  }
  ti_json_index_reset(ix); /* values fall back to re-scanning */
  trace = &t_reset;
  walk(&iroot, &scratch, 0);
  if (t_reset.len != t_plain.len || memcmp(t_reset.p, t_plain.p, t_plain.len))
    fail("walk after ti_json_index_reset differs");
  trace = NULL;
  ti_buf_free(&scratch);
  ti_buf_free(&t_plain);
  ti_buf_free(&t_ix);
  ti_buf_free(&t_reset);

  ti_buf c = {0}, c2 = {0};
  if (ti_json_write_compact(&root, &c) != TI_OK) fail("write_compact");
  ti_jv r2;
  if (ti_json_parse(c.p, c.len, DEPTH, &r2, NULL) != TI_OK) fail("compact does not re-parse");
  if (r2.type != root.type) fail("compact changes the type");
  if (ti_json_write_compact(&r2, &c2) != TI_OK || c2.len != c.len || memcmp(c.p, c2.p, c.len))
    fail("compact not idempotent");
  ti_buf_free(&c);
  ti_buf_free(&c2);
  return 0;
}
