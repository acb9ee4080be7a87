/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: differential fuzzing of the JSON core against jansson.
 * Validity must agree, and for valid documents every decoded value (types,
 * strings, integers, reals, array sizes, object members in order with
 * jansson's duplicate-key rule) and the canonical compact form.
 *
 * Documented differences (see tests/json/test_json_diff.c and
 * docs/fuzzing.md), which are not failures: jansson rejects lone surrogate
 * escapes, integers beyond int64 ("too big [negative] integer"), reals
 * beyond double and NUL in object keys; its lexer drops a NUL byte right
 * after a number or literal. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <traceingest/ti-format.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define JFLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)
#define DEPTH 2048 /* jansson's own limit */

static const char *cur_buf;
static size_t cur_len;

static void differ(const char *what) {
  fprintf(stderr, "fuzz-json-diff: %s\n  doc (%zu bytes): %.*s\n", what, cur_len,
          (int)(cur_len > 300 ? 300 : cur_len), cur_buf);
  abort();
}

static void cmp(const ti_jv *v, json_t *j);

static void cmp_string(const ti_jv *v, const char *js, size_t jn) {
  ti_buf b = {0};
  const char *s;
  size_t n;
  if (ti_json_str(v, &b, &s, &n) != TI_OK) differ("ti_json_str failed");
  if (n != jn || (n && memcmp(s, js, n))) differ("string differs");
  if (!memchr(js, 0, jn) && !ti_json_str_eq(v, js)) differ("str_eq differs");
  ti_buf_free(&b);
}

static void cmp_object(const ti_jv *v, json_t *j) {
  size_t cnt = ti_json_count(v), n = 0;
  struct member { char *key; size_t klen; ti_jv val; } *m = calloc(cnt ? cnt : 1, sizeof *m);
  if (!m) abort();
  ti_json_iter it;
  ti_jv k, val;
  ti_json_iter_init(&it, v);
  while (ti_json_next_member(&it, &k, &val)) {
    ti_buf b = {0};
    const char *s;
    size_t sn, i;
    if (ti_json_str(&k, &b, &s, &sn) != TI_OK) differ("key decode failed");
    for (i = 0; i < n; i++)
      if (m[i].klen == sn && memcmp(m[i].key, s, sn) == 0) break;
    if (i < n) {
      m[i].val = val; /* jansson: first position, last value */
    } else {
      if (n >= cnt) differ("more members than ti_json_count");
      m[n].key = malloc(sn + 1);
      if (!m[n].key) abort();
      if (sn) memcpy(m[n].key, s, sn);
      m[n].key[sn] = 0;
      m[n].klen = sn;
      m[n].val = val;
      n++;
    }
    ti_buf_free(&b);
  }
  if (n != json_object_size(j)) differ("object size differs");
  size_t i = 0;
  for (void *ji = json_object_iter(j); ji; ji = json_object_iter_next(j, ji), i++) {
    const char *jk = json_object_iter_key(ji);
    size_t jkl = json_object_iter_key_len(ji);
    if (i >= n || jkl != m[i].klen || memcmp(jk, m[i].key, jkl)) differ("member key/order");
    cmp(&m[i].val, json_object_iter_value(ji));
  }
  for (i = 0; i < n; i++) free(m[i].key);
  free(m);
}

static void cmp(const ti_jv *v, json_t *j) {
  switch (v->type) {
  case TI_JSON_NULL: if (!json_is_null(j)) differ("null vs other"); break;
  case TI_JSON_TRUE: if (!json_is_true(j)) differ("true vs other"); break;
  case TI_JSON_FALSE: if (!json_is_false(j)) differ("false vs other"); break;
  case TI_JSON_NUMBER: {
    int64_t i;
    double d;
    if (json_is_integer(j)) {
      if (ti_json_int(v, &i) != TI_OK || i != (int64_t)json_integer_value(j))
        differ("integer differs");
    } else if (json_is_real(j)) {
      if (ti_json_int(v, &i) == TI_OK) differ("real decoded as integer");
      if (ti_json_double(v, &d) != TI_OK || d != json_real_value(j)) differ("real differs");
    } else {
      differ("number vs other");
    }
    break;
  }
  case TI_JSON_STRING:
    if (!json_is_string(j)) differ("string vs other");
    cmp_string(v, json_string_value(j), json_string_length(j));
    break;
  case TI_JSON_ARRAY: {
    if (!json_is_array(j)) differ("array vs other");
    if (ti_json_count(v) != json_array_size(j)) differ("array size differs");
    ti_json_iter it;
    ti_jv e;
    size_t i = 0;
    ti_json_iter_init(&it, v);
    while (ti_json_next(&it, &e)) {
      if (i >= json_array_size(j)) differ("array iteration longer");
      cmp(&e, json_array_get(j, i++));
    }
    if (i != json_array_size(j)) differ("array iteration shorter");
    break;
  }
  case TI_JSON_OBJECT:
    if (!json_is_object(j)) differ("object vs other");
    cmp_object(v, j);
    break;
  default: differ("invalid type");
  }
}

static int expected_difference(const char *buf, size_t len, const json_error_t *je) {
  if (strncmp(je->text, "invalid Unicode", 15) == 0) {
    for (size_t i = 0; i + 3 < len; i++)
      if (buf[i] == '\\' && buf[i + 1] == 'u' && (buf[i + 2] | 0x20) == 'd' &&
          strchr("89abcdefABCDEF", buf[i + 3]))
        return 1;
    return 0;
  }
  return strncmp(je->text, "too big integer", 15) == 0 ||
         strncmp(je->text, "too big negative integer", 24) == 0 ||
         strncmp(je->text, "real number overflow", 20) == 0 ||
         strncmp(je->text, "NUL byte in object key", 22) == 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  cur_buf = buf;
  cur_len = size;
  ti_jv root;
  ti_json_error te;
  json_error_t je;
  int rc = ti_json_parse(buf, size, DEPTH, &root, &te);
  json_t *j = json_loadb(buf, size, JFLAGS, &je);
  if (rc == TI_OK && j) {
    cmp(&root, j);
    ti_buf c = {0};
    if (ti_json_write_compact(&root, &c) != TI_OK) differ("write_compact failed");
    json_t *j2 = json_loadb(c.p, c.len, JFLAGS, &je);
    if (!j2 || !json_equal(j, j2)) differ("compact form decodes differently in jansson");
    json_decref(j2);
    ti_buf_free(&c);
  } else if (rc == TI_OK) {
    if (!expected_difference(buf, size, &je)) differ("we accept, jansson rejects");
  } else if (j) {
    int nul_quirk = te.offset > 0 && te.offset < size && buf[te.offset] == '\0' &&
                    ((buf[te.offset - 1] >= '0' && buf[te.offset - 1] <= '9') ||
                     buf[te.offset - 1] == 'e' || buf[te.offset - 1] == 'l');
    if (!nul_quirk) differ("we reject, jansson accepts");
  }
  json_decref(j);
  return 0;
}
