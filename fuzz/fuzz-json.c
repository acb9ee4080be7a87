/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the JSON core. Parses the input (whole and as a
 * prefix), walks and decodes every value (strings, numbers, member lookup,
 * counts), and checks that the canonical compact form re-parses and is
 * idempotent. Any crash, sanitizer report or broken invariant aborts. */
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

static void walk(const ti_jv *v, ti_buf *scratch, int depth) {
  if (depth > DEPTH + 1) fail("walk deeper than max_depth");
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
    if (err.offset > size) fail("error offset past the end");
    if (!memchr(err.text, 0, sizeof err.text)) fail("error text not terminated");
    if (prc == TI_OK && used > size) fail("prefix consumed past the end");
    return 0;
  }
  if (prc != TI_OK || pre.p != root.p || pre.n != root.n) fail("prefix parse disagrees");
  if (root.p < buf || root.p + root.n > buf + size) fail("root outside input");
  ti_buf scratch = {0};
  walk(&root, &scratch, 0);
  ti_buf_free(&scratch);

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
