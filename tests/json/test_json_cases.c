/* SPDX-License-Identifier: MIT */
/* Case tables for the JSON core: validation (with error offsets),
 * decoding, the canonical encoder, the cursor and the number accessors. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <traceingest/ti-format.h>

#ifdef TI_TESTING
#include "core.h"
#include "json/json-internal.h"
#endif

#define S(lit) lit, sizeof(lit) - 1

/* ---------------------------------------------------------------- valid */
static const struct {
  const char *s;
  size_t n;
  int type;
} valid[] = {
    {S("0"), TI_JSON_NUMBER},
    {S("-0"), TI_JSON_NUMBER},
    {S("-0.0e-0"), TI_JSON_NUMBER},
    {S("123.456E+78"), TI_JSON_NUMBER},
    {S("1e5"), TI_JSON_NUMBER},
    {S("99999999999999999999999"), TI_JSON_NUMBER},
    {S("1e400"), TI_JSON_NUMBER},
    {S("true"), TI_JSON_TRUE},
    {S("false"), TI_JSON_FALSE},
    {S("null"), TI_JSON_NULL},
    {S("\"\""), TI_JSON_STRING},
    {S(" \t\r\n\"x\" \t\r\n"), TI_JSON_STRING},
    {S("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\uFFFF\\uabcd\""), TI_JSON_STRING},
    {S("\"\\ud83d\\ude00\""), TI_JSON_STRING},
    {S("\"\\ud800\""), TI_JSON_STRING},          /* lone surrogate: accepted */
    {S("\"\\udc00\\ud800x\""), TI_JSON_STRING},  /* reversed pair: accepted */
    {S("\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\""),
     TI_JSON_STRING},
    {S("\"\x7f\""), TI_JSON_STRING},
    {S("[]"), TI_JSON_ARRAY},
    {S("[ ]"), TI_JSON_ARRAY},
    {S("{}"), TI_JSON_OBJECT},
    {S("{ \n}"), TI_JSON_OBJECT},
    {S("[1,\"a\",null,true,false,[],{},{\"k\":[{}]}]"), TI_JSON_ARRAY},
    {S("{\"a\":1,\"a\":2}"), TI_JSON_OBJECT},
    {S("{ \"a\" : [ 1 , 2 ] , \"b\" : { } }"), TI_JSON_OBJECT},
    {S("\"with\\u0000nul\""), TI_JSON_STRING},
    {S("{\"\\u0000\":0}"), TI_JSON_OBJECT},
};

START_TEST(test_valid) {
  ti_jv v;
  ti_json_error e;
  int rc = ti_json_parse(valid[_i].s, valid[_i].n, 0, &v, &e);
  ck_assert_msg(rc == TI_OK, "case %d (%s): rc %d at %zu: %s", _i, valid[_i].s, rc, e.offset,
                e.text);
  ck_assert_int_eq(v.type, valid[_i].type);
  /* the value span excludes surrounding whitespace */
  ck_assert(v.p >= valid[_i].s && v.p + v.n <= valid[_i].s + valid[_i].n);
  ck_assert(v.p[0] != ' ' && v.p[v.n - 1] != ' ' && v.p[v.n - 1] != '\n');
}
END_TEST

/* -------------------------------------------------------------- invalid */
static const struct {
  const char *s;
  size_t n;
  int code;
  size_t off;
  const char *why;
} invalid[] = {
    {S(""), TI_ERR_PARSE, 0, "unexpected end of input"},
    {S("   "), TI_ERR_PARSE, 3, "unexpected end of input"},
    {S("[1,"), TI_ERR_PARSE, 3, "unexpected end of input"},
    {S("{\"a\":"), TI_ERR_PARSE, 5, "unexpected end of input"},
    {S("[1,]"), TI_ERR_PARSE, 3, "unexpected character"},
    {S("[,1]"), TI_ERR_PARSE, 1, "unexpected character"},
    {S("x"), TI_ERR_PARSE, 0, "unexpected character"},
    {S("\xef\xbb\xbf{}"), TI_ERR_PARSE, 0, "unexpected character"}, /* BOM */
    {S("\v1"), TI_ERR_PARSE, 0, "unexpected character"},           /* not JSON ws */
    {S("\xa0" "1"), TI_ERR_PARSE, 0, "unexpected character"},
    {S("'a'"), TI_ERR_PARSE, 0, "unexpected character"},
    {S("+1"), TI_ERR_PARSE, 0, "unexpected character"},
    {S(".5"), TI_ERR_PARSE, 0, "unexpected character"},
    {S("1 2"), TI_ERR_PARSE, 2, "trailing characters"},
    {S("{} x"), TI_ERR_PARSE, 3, "trailing characters"},
    {S("[1]\0"), TI_ERR_PARSE, 3, "trailing characters"},
    {S("[1]]"), TI_ERR_PARSE, 3, "trailing characters"},
    {S("\"abc"), TI_ERR_PARSE, 0, "unterminated string"},
    {S("[\"abc\\\""), TI_ERR_PARSE, 1, "unterminated string"},
    {S("\"\\u12"), TI_ERR_PARSE, 0, "unterminated string"},
    {S("\"abc\\"), TI_ERR_PARSE, 0, "unterminated string"},
    {S("\"a\nb\""), TI_ERR_PARSE, 2, "control character in string"},
    {S("\"a\tb\""), TI_ERR_PARSE, 2, "control character in string"},
    {S("\"\0\""), TI_ERR_PARSE, 1, "control character in string"},
    {S("\"0123456789abcdef0123456789\x1f\""), TI_ERR_PARSE, 27, "control character in string"},
    {S("\"\\x\""), TI_ERR_PARSE, 1, "invalid escape"},
    {S("\"ab\\'\""), TI_ERR_PARSE, 3, "invalid escape"},
    {S("\"\\u12g4\""), TI_ERR_PARSE, 1, "invalid escape"},
    {S("\"\\U0041\""), TI_ERR_PARSE, 1, "invalid escape"},
    {S("\"\x80\""), TI_ERR_PARSE, 1, "invalid UTF-8"},        /* lone continuation */
    {S("\"\xc0\xaf\""), TI_ERR_PARSE, 1, "invalid UTF-8"},    /* overlong '/' */
    {S("\"\xc1\xbf\""), TI_ERR_PARSE, 1, "invalid UTF-8"},    /* overlong */
    {S("\"\xe0\x9f\xbf\""), TI_ERR_PARSE, 1, "invalid UTF-8"}, /* overlong 3-byte */
    {S("\"\xf0\x8f\xbf\xbf\""), TI_ERR_PARSE, 1, "invalid UTF-8"}, /* overlong 4-byte */
    {S("\"\xed\xa0\x80\""), TI_ERR_PARSE, 1, "invalid UTF-8"}, /* UTF-8 surrogate */
    {S("\"\xed\xbf\xbf\""), TI_ERR_PARSE, 1, "invalid UTF-8"},
    {S("\"\xf4\x90\x80\x80\""), TI_ERR_PARSE, 1, "invalid UTF-8"}, /* > U+10FFFF */
    {S("\"\xf5\x80\x80\x80\""), TI_ERR_PARSE, 1, "invalid UTF-8"},
    {S("\"\xff\""), TI_ERR_PARSE, 1, "invalid UTF-8"},
    {S("\"ab\xe2\x82\""), TI_ERR_PARSE, 3, "invalid UTF-8"}, /* truncated */
    {S("\"\xe2\x82"), TI_ERR_PARSE, 1, "invalid UTF-8"},     /* truncated at end */
    {S("\"0123456789abcdef0123456789abcdef0123\xc3\x28\""), TI_ERR_PARSE, 37, "invalid UTF-8"},
    {S("01"), TI_ERR_PARSE, 1, "invalid number"},
    {S("-01"), TI_ERR_PARSE, 2, "invalid number"},
    {S("-"), TI_ERR_PARSE, 1, "invalid number"},
    {S("-a"), TI_ERR_PARSE, 1, "invalid number"},
    {S("1."), TI_ERR_PARSE, 2, "invalid number"},
    {S("1.e5"), TI_ERR_PARSE, 2, "invalid number"},
    {S("1e"), TI_ERR_PARSE, 2, "invalid number"},
    {S("1e+"), TI_ERR_PARSE, 3, "invalid number"},
    {S("[1.5e-x]"), TI_ERR_PARSE, 6, "invalid number"},
    {S("1.5.3"), TI_ERR_PARSE, 3, "trailing characters"},
    {S("tru"), TI_ERR_PARSE, 0, "invalid literal"},
    {S("[truE]"), TI_ERR_PARSE, 1, "invalid literal"},
    {S("nul"), TI_ERR_PARSE, 0, "invalid literal"},
    {S("fals"), TI_ERR_PARSE, 0, "invalid literal"},
    {S("truex"), TI_ERR_PARSE, 4, "trailing characters"},
    {S("{1:2}"), TI_ERR_PARSE, 1, "expected string key"},
    {S("{\"a\":1,}"), TI_ERR_PARSE, 7, "expected string key"},
    {S("{\"a\" 1}"), TI_ERR_PARSE, 5, "expected ':'"},
    {S("{\"a\":1 \"b\":2}"), TI_ERR_PARSE, 7, "expected ',' or '}'"},
    {S("{\"a\":1]"), TI_ERR_PARSE, 6, "expected ',' or '}'"},
    {S("[1 2]"), TI_ERR_PARSE, 3, "expected ',' or ']'"},
    {S("[1}"), TI_ERR_PARSE, 2, "expected ',' or ']'"},
    {S("[1:2]"), TI_ERR_PARSE, 2, "expected ',' or ']'"},
};

START_TEST(test_invalid) {
  ti_jv v;
  ti_json_error e;
  memset(&e, 0, sizeof e);
  int rc = ti_json_parse(invalid[_i].s, invalid[_i].n, 0, &v, &e);
  ck_assert_msg(rc == invalid[_i].code, "case %d: rc %d", _i, rc);
  ck_assert_int_eq(e.code, invalid[_i].code);
  ck_assert_msg(e.offset == invalid[_i].off, "case %d: offset %zu, want %zu (%s)", _i, e.offset,
                invalid[_i].off, e.text);
  ck_assert_str_eq(e.text, invalid[_i].why);
  ck_assert_int_eq(v.type, TI_JSON_INVALID);
  ck_assert_ptr_null(v.p);
}
END_TEST

START_TEST(test_null_args) {
  ti_json_error e;
  ck_assert_int_eq(ti_json_parse(NULL, 0, 0, NULL, &e), TI_ERR_PARSE);
  ck_assert_int_eq(ti_json_parse(NULL, 5, 0, NULL, NULL), TI_ERR_PARSE);
  ck_assert_int_eq(ti_json_parse("[1]", 3, 0, NULL, NULL), TI_OK);
  /* len bounds the input: bytes after it are not looked at */
  ck_assert_int_eq(ti_json_parse("[1]garbage", 3, 0, NULL, NULL), TI_OK);
  ck_assert_int_eq(ti_json_parse("\"ab\"", 3, 0, NULL, NULL), TI_ERR_PARSE);
}
END_TEST

/* ---------------------------------------------------------------- depth */
static char *nest(size_t depth, char open, char close) {
  char *s = malloc(2 * depth + 1);
  memset(s, open, depth);
  memset(s + depth, close, depth);
  s[2 * depth] = 0;
  return s;
}

START_TEST(test_depth) {
  ti_json_error e;
  char *s = nest(512, '[', ']');
  ck_assert_int_eq(ti_json_parse(s, 1024, 0, NULL, &e), TI_OK);
  free(s);
  s = nest(513, '[', ']');
  ck_assert_int_eq(ti_json_parse(s, 1026, 0, NULL, &e), TI_ERR_LIMIT);
  ck_assert_int_eq(e.code, TI_ERR_LIMIT);
  ck_assert_uint_eq(e.offset, 512);
  ck_assert_int_eq(ti_json_parse(s, 1026, 513, NULL, &e), TI_OK);
  free(s);
  ck_assert_int_eq(ti_json_parse(S("[[1]]"), 1, NULL, &e), TI_ERR_LIMIT);
  ck_assert_uint_eq(e.offset, 1);
  ck_assert_int_eq(ti_json_parse(S("[1]"), 1, NULL, &e), TI_OK);
  ck_assert_int_eq(ti_json_parse(S("{\"a\":{\"b\":[]}}"), 3, NULL, &e), TI_OK);
  ck_assert_int_eq(ti_json_parse(S("{\"a\":{\"b\":[]}}"), 2, NULL, &e), TI_ERR_LIMIT);
  ck_assert_uint_eq(e.offset, 10);
  ck_assert_int_eq(ti_json_parse(S("{\"a\":{\"b\":3}}"), 2, NULL, &e), TI_OK);
  /* deep but huge limit: the cap (65536) still bounds it without crashing */
  size_t big = 100000;
  s = nest(big, '[', ']');
  ck_assert_int_eq(ti_json_parse(s, 2 * big, UINT32_MAX, NULL, &e), TI_ERR_LIMIT);
  ck_assert_uint_eq(e.offset, 65536);
  free(s);
  /* mixed object/array nesting keeps track of which closer is expected */
  const char *mix = "[{\"a\":[{\"b\":[]}]}]";
  ck_assert_int_eq(ti_json_parse(mix, strlen(mix), 0, NULL, &e), TI_OK);
  const char *bad = "[{\"a\":[{\"b\":[]]}]}]";
  ck_assert_int_eq(ti_json_parse(bad, strlen(bad), 0, NULL, &e), TI_ERR_PARSE);
  ck_assert_uint_eq(e.offset, 14);
}
END_TEST

START_TEST(test_prefix) {
  const char *s = "  {\"a\":1} [2]\n\"x\"3 ";
  size_t len = strlen(s), used = 99, pos = 0;
  ti_jv v;
  ti_json_error e;
  ck_assert_int_eq(ti_json_parse_prefix(s, len, 0, &v, &used, &e), TI_OK);
  ck_assert_uint_eq(used, 9);
  ck_assert_int_eq(v.type, TI_JSON_OBJECT);
  ck_assert_uint_eq(v.n, 7);
  pos += used;
  ck_assert_int_eq(ti_json_parse_prefix(s + pos, len - pos, 0, &v, &used, &e), TI_OK);
  ck_assert_int_eq(v.type, TI_JSON_ARRAY);
  ck_assert_uint_eq(used, 4);
  pos += used;
  ck_assert_int_eq(ti_json_parse_prefix(s + pos, len - pos, 0, &v, &used, &e), TI_OK);
  ck_assert_int_eq(v.type, TI_JSON_STRING);
  ck_assert_uint_eq(used, 4);
  pos += used;
  ck_assert_int_eq(ti_json_parse_prefix(s + pos, len - pos, 0, &v, &used, &e), TI_OK);
  ck_assert_int_eq(v.type, TI_JSON_NUMBER);
  ck_assert_uint_eq(used, 1);
  pos += used;
  ck_assert_int_eq(ti_json_parse_prefix(s + pos, len - pos, 0, &v, &used, &e), TI_ERR_PARSE);
  ck_assert_str_eq(e.text, "unexpected end of input");
  ck_assert_uint_eq(e.offset, 1);
  ck_assert_int_eq(ti_json_parse_prefix(S("[1,x]"), 0, &v, &used, &e), TI_ERR_PARSE);
  ck_assert_uint_eq(e.offset, 3);
}
END_TEST

/* -------------------------------------------------------------- decoding */
static const struct {
  const char *in;
  size_t n;
  const char *out;
  size_t outn;
  int escapes;
} strs[] = {
    {S("\"\""), S(""), 0},
    {S("\"plain ascii\""), S("plain ascii"), 0},
    {S("\"caf\xc3\xa9\""), S("caf\xc3\xa9"), 0},
    {S("\"a\\\"b\""), S("a\"b"), 1},
    {S("\"\\\\\\/\\b\\f\\n\\r\\t\""), S("\\/\b\f\n\r\t"), 1},
    {S("\"\\u0041\\u00e9\\u20AC\""), S("A\xc3\xa9\xe2\x82\xac"), 1},
    {S("\"\\u0000x\""), S("\0x"), 1},
    {S("\"\\ud83d\\ude00\""), S("\xf0\x9f\x98\x80"), 1},
    {S("\"\\uDBFF\\uDFFF\""), S("\xf4\x8f\xbf\xbf"), 1},
    {S("\"\\ud800\""), S("\xef\xbf\xbd"), 1},
    {S("\"\\udc00\""), S("\xef\xbf\xbd"), 1},
    {S("\"\\ud800x\""), S("\xef\xbf\xbdx"), 1},
    {S("\"\\ud800\\u0041\""), S("\xef\xbf\xbd" "A"), 1},
    {S("\"\\ud800\\ud800\\udc00\""), S("\xef\xbf\xbd\xf0\x90\x80\x80"), 1},
    {S("\"\\udc00\\ud800\""), S("\xef\xbf\xbd\xef\xbf\xbd"), 1},
    {S("\"\\ud800\\n\""), S("\xef\xbf\xbd\n"), 1},
    {S("\"x\\u007f\\u0080\\u07ff\\u0800\\uffff\""),
     S("x\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"), 1},
};

START_TEST(test_decode) {
  ti_jv v;
  ti_buf scratch = {0}, app = {0};
  const char *s;
  size_t n;
  ck_assert_int_eq(ti_json_parse(strs[_i].in, strs[_i].n, 0, &v, NULL), TI_OK);
  ck_assert_int_eq(v.type, TI_JSON_STRING);
  ck_assert_int_eq(v.flags & TI_JV_ESCAPES, strs[_i].escapes ? TI_JV_ESCAPES : 0);
  ck_assert_int_eq(ti_json_str(&v, &scratch, &s, &n), TI_OK);
  { /* canonical: the literal is what the encoder writes for its value */
    ti_buf enc = {0};
    ck_assert_int_eq(ti_buf_json_string(&enc, s, n), TI_OK);
    int canon = enc.len == v.n && memcmp(enc.p, v.p, v.n) == 0;
    ck_assert_int_eq(!!(v.flags & TI_JV_CANONICAL), canon);
    ti_buf_free(&enc);
  }
  ck_assert_uint_eq(n, strs[_i].outn);
  ck_assert(memcmp(s, strs[_i].out, n) == 0);
  if (!strs[_i].escapes) {
    ck_assert_ptr_eq(s, strs[_i].in + 1); /* zero-copy */
  } else {
    ck_assert_ptr_eq(s, scratch.p);
    ck_assert_int_eq(s[n], '\0');
  }
  ck_assert_int_eq(ti_buf_append(&app, "<", 1), TI_OK);
  ck_assert_int_eq(ti_json_str_append(&v, &app), TI_OK);
  ck_assert_uint_eq(app.len, n + 1);
  ck_assert(memcmp(app.p + 1, strs[_i].out, n) == 0);
  if (!memchr(strs[_i].out, 0, strs[_i].outn)) {
    ck_assert(ti_json_str_eq(&v, strs[_i].out));
    char longer[64];
    snprintf(longer, sizeof longer, "%sz", strs[_i].out);
    ck_assert(!ti_json_str_eq(&v, longer));
    if (strs[_i].outn) {
      longer[strs[_i].outn - 1] = 0;
      ck_assert(!ti_json_str_eq(&v, longer));
    }
  }
  ti_buf_free(&scratch);
  ti_buf_free(&app);
}
END_TEST

START_TEST(test_str_misuse) {
  ti_jv v;
  ti_buf b = {0};
  const char *s;
  size_t n;
  ck_assert_int_eq(ti_json_parse(S("12"), 0, &v, NULL), TI_OK);
  ck_assert_int_eq(ti_json_str(&v, &b, &s, &n), TI_ERR_INVALID);
  ck_assert_int_eq(ti_json_str_append(&v, &b), TI_ERR_INVALID);
  ck_assert(!ti_json_str_eq(&v, "12"));
  ck_assert_int_eq(ti_json_str(NULL, &b, &s, &n), TI_ERR_INVALID);
  ck_assert(!ti_json_str_eq(NULL, ""));
  /* escapes need a scratch buffer */
  ck_assert_int_eq(ti_json_parse(S("\"\\n\""), 0, &v, NULL), TI_OK);
  ck_assert_int_eq(ti_json_str(&v, NULL, &s, &n), TI_ERR_INVALID);
  ti_buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------- numbers */
static const struct {
  const char *in;
  int rc;
  int64_t v;
} ints[] = {
    {"0", TI_OK, 0},
    {"-0", TI_OK, 0},
    {"42", TI_OK, 42},
    {"-17", TI_OK, -17},
    {"9223372036854775807", TI_OK, INT64_MAX},
    {"-9223372036854775808", TI_OK, INT64_MIN},
    {"9223372036854775808", TI_ERR_INVALID, 0},
    {"-9223372036854775809", TI_ERR_INVALID, 0},
    {"18446744073709551616", TI_ERR_INVALID, 0},
    {"184467440737095516160", TI_ERR_INVALID, 0},
    {"1.0", TI_ERR_INVALID, 0},
    {"1e3", TI_ERR_INVALID, 0},
    {"1E3", TI_ERR_INVALID, 0},
    {"\"1\"", TI_ERR_INVALID, 0},
    {"true", TI_ERR_INVALID, 0},
};

START_TEST(test_int) {
  ti_jv v;
  int64_t x = 12345;
  ck_assert_int_eq(ti_json_parse(ints[_i].in, strlen(ints[_i].in), 0, &v, NULL), TI_OK);
  ck_assert_int_eq(ti_json_int(&v, &x), ints[_i].rc);
  if (ints[_i].rc == TI_OK) ck_assert(x == ints[_i].v);
}
END_TEST

START_TEST(test_double) {
  static const struct {
    const char *in;
    int rc;
    double v;
  } d[] = {
      {"0", TI_OK, 0.0},
      {"-1.5", TI_OK, -1.5},
      {"1e3", TI_OK, 1000.0},
      {"2.5E-3", TI_OK, 0.0025},
      {"123456789012345678901234567890", TI_OK, 1.2345678901234568e29},
      {"1e-400", TI_OK, 0.0},
      {"1e400", TI_ERR_INVALID, 0},
      {"-1e400", TI_ERR_INVALID, 0},
      {"0.1000000000000000000000000000000000000000000000000000000000000000000001", TI_OK, 0.1},
      {"null", TI_ERR_INVALID, 0},
  };
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
    ti_jv v;
    double x = -99;
    ck_assert_int_eq(ti_json_parse(d[i].in, strlen(d[i].in), 0, &v, NULL), TI_OK);
    ck_assert_msg(ti_json_double(&v, &x) == d[i].rc, "%s", d[i].in);
    if (d[i].rc == TI_OK) ck_assert_msg(x == d[i].v, "%s: %.17g", d[i].in, x);
  }
  ti_jv v;
  double x;
  ck_assert_int_eq(ti_json_parse(S("-0.0"), 0, &v, NULL), TI_OK);
  ck_assert_int_eq(ti_json_double(&v, &x), TI_OK);
  ck_assert(x == 0.0 && signbit(x));
}
END_TEST

START_TEST(test_literals) {
  ti_jv v;
  ck_assert_int_eq(ti_json_parse(S("true"), 0, &v, NULL), TI_OK);
  ck_assert(ti_json_is_true(&v));
  ck_assert(!ti_json_is_null_or_absent(&v));
  ck_assert_int_eq(ti_json_parse(S("false"), 0, &v, NULL), TI_OK);
  ck_assert(!ti_json_is_true(&v));
  ck_assert(!ti_json_is_null_or_absent(&v));
  ck_assert_int_eq(ti_json_parse(S("null"), 0, &v, NULL), TI_OK);
  ck_assert(ti_json_is_null_or_absent(&v));
  ck_assert(!ti_json_is_true(&v));
  ck_assert(ti_json_is_null_or_absent(NULL));
  ck_assert(!ti_json_is_true(NULL));
  ck_assert_int_eq(ti_json_parse(S("{}"), 0, &v, NULL), TI_OK);
  ck_assert(!ti_json_get(&v, "x", &v));
  ck_assert(ti_json_is_null_or_absent(&v));
  ck_assert_int_eq(ti_json_parse(S("\"true\""), 0, &v, NULL), TI_OK);
  ck_assert(!ti_json_is_true(&v));
}
END_TEST

/* -------------------------------------------------------------- encoder */
static const struct {
  const char *in;
  size_t n;
  const char *out;
} enc[] = {
    {S(""), "\"\""},
    {S("hello"), "\"hello\""},
    {S("a\"b\\c/d"), "\"a\\\"b\\\\c/d\""},
    {S("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\""},
    {S("\x01\x1f\x0b\0"), "\"\\u0001\\u001f\\u000b\\u0000\""},
    {S("\x7f"), "\"\x7f\""},
    {S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
    {S("\xff"), "\"\xef\xbf\xbd\""},
    {S("a\x80z"), "\"a\xef\xbf\xbdz\""},
    {S("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\""},         /* overlong: 2 bad bytes */
    {S("\xe2\x82x"), "\"\xef\xbf\xbdx\""},                   /* maximal subpart */
    {S("\xe2\x82"), "\"\xef\xbf\xbd\""},                     /* truncated at end */
    {S("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* surrogate */
    {S("\xf4\x90\x80\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {S("\xf0\x9f\x98"), "\"\xef\xbf\xbd\""},
    {S("0123456789abcdef0123456789abcdef\"0123456789abcdef\n"),
     "\"0123456789abcdef0123456789abcdef\\\"0123456789abcdef\\n\""},
    {S("0123456789abcdef0123456789abcdef\xc3\xa9xyz0123456789abcdef0123456789abcdef\xc3"),
     "\"0123456789abcdef0123456789abcdef\xc3\xa9xyz0123456789abcdef0123456789abcdef\xef\xbf\xbd\""},
};

START_TEST(test_encode) {
  ti_buf b = {0};
  ck_assert_int_eq(ti_buf_append(&b, "x", 1), TI_OK);
  ck_assert_int_eq(ti_buf_json_string(&b, enc[_i].in, enc[_i].n), TI_OK);
  ck_assert_uint_eq(b.len, strlen(enc[_i].out) + 1);
  ck_assert_str_eq(b.p + 1, enc[_i].out);
  /* the output is valid JSON decoding back to the input (for valid UTF-8) */
  ti_jv v;
  ck_assert_int_eq(ti_json_parse(b.p + 1, b.len - 1, 0, &v, NULL), TI_OK);
  ti_buf_free(&b);
}
END_TEST

START_TEST(test_encode_all_bytes) {
  /* every single byte: ASCII round-trips, >= 0x80 alone becomes U+FFFD */
  for (int c = 0; c < 256; c++) {
    ti_buf b = {0}, d = {0};
    char ch = (char)c;
    ti_jv v;
    const char *s;
    size_t n;
    ck_assert_int_eq(ti_buf_json_string(&b, &ch, 1), TI_OK);
    ck_assert_int_eq(ti_json_parse(b.p, b.len, 0, &v, NULL), TI_OK);
    ck_assert_int_eq(ti_json_str(&v, &d, &s, &n), TI_OK);
    if (c < 0x80) {
      ck_assert_uint_eq(n, 1);
      ck_assert_int_eq((unsigned char)s[0], c);
      ck_assert_int_eq(b.len, c < 0x20 ? (c == 8 || c == 9 || c == 10 || c == 12 || c == 13 ? 4 : 8)
                                       : (c == '"' || c == '\\' ? 4 : 3));
    } else {
      ck_assert_uint_eq(n, 3);
      ck_assert(memcmp(s, "\xef\xbf\xbd", 3) == 0);
    }
    ti_buf_free(&b);
    ti_buf_free(&d);
  }
}
END_TEST

/* -------------------------------------------------------------- compact */
static const struct {
  const char *in;
  const char *out;
} compact[] = {
    {" { \"a\" : [ 1 , 2.50 , -0 ] ,\n\t\"b\" : { } , \"c\":[ ] } ",
     "{\"a\":[1,2.50,-0],\"b\":{},\"c\":[]}"},
    {"\"\\/\\u00e9\\u0041\"", "\"/\xc3\xa9" "A\""},
    {"\"\\u001F\\u0000\\b\\u000a\\\"\\u005c\"", "\"\\u001f\\u0000\\b\\n\\\"\\\\\""},
    {"\"\\ud800\\ud83d\\ude00\"", "\"\xef\xbf\xbd\xf0\x9f\x98\x80\""},
    {"{\"k\\u0065y\" : \"v\", \"key\":1}", "{\"key\":\"v\",\"key\":1}"},
    {"[ \"a b\" , \" \" , \"\\t\" ]", "[\"a b\",\" \",\"\\t\"]"},
    {"1E+2", "1E+2"},
    {" true ", "true"},
    {"[null,false,true]", "[null,false,true]"},
    {"\"\x7f\xc3\xa9\"", "\"\x7f\xc3\xa9\""},
};

START_TEST(test_compact) {
  ti_jv v;
  ti_buf b = {0};
  ck_assert_int_eq(ti_json_parse(compact[_i].in, strlen(compact[_i].in), 0, &v, NULL), TI_OK);
  ck_assert_int_eq(ti_buf_puts(&b, ">"), TI_OK);
  ck_assert_int_eq(ti_json_write_compact(&v, &b), TI_OK);
  ck_assert_str_eq(b.p + 1, compact[_i].out);
  /* idempotent */
  ti_jv v2;
  ti_buf b2 = {0};
  ck_assert_int_eq(ti_json_parse(b.p + 1, b.len - 1, 0, &v2, NULL), TI_OK);
  ck_assert_int_eq(ti_json_write_compact(&v2, &b2), TI_OK);
  ck_assert_str_eq(b2.p, b.p + 1);
  ti_buf_free(&b);
  ti_buf_free(&b2);
}
END_TEST

/* White box: lookups through the index jump over indexed values without
 * reading them. The bytes inside a long string are changed after the parse
 * (never done by real callers): with the index the lookup still finds the
 * member after it; the plain re-scan is misled by the planted quote. */
/* An indexed parse marks a container TI_JV_CANONICAL when it is what
 * ti_json_write_compact writes: no whitespace, no string with an escape
 * the encoder would write otherwise. A plain parse does not know. */
/* Quoting canonical JSON text (tool-call arguments) gives what the general
 * string encoder gives, at every length and position around the 16- and
 * 32-byte blocks: quotes, backslashes and multi-byte UTF-8 only. */
START_TEST(test_quote_json) {
  static const char *const tok[] = {"\"", "\\", "a", "{", ":", ",", "\xc3\xa9", "\xe2\x82\xac",
                                    "\xf0\x9f\x98\x80", " ", "0", "]"};
  uint64_t r = 0x2545F4914F6CDD1Dull;
  ti_buf text = {0}, want = {0}, got = {0};
  for (int round = 0; round < 4000; round++) {
    ti_buf_reset(&text);
    size_t len = (size_t)(round % 300);
    while (text.len < len) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      /* runs of plain bytes, and of quotes, both long and short */
      const char *t = tok[(r >> 8) % (round % 3 ? 12 : 3)];
      ck_assert_int_eq(ti_buf_puts(&text, t), TI_OK);
    }
    ti_buf_reset(&want);
    ti_buf_reset(&got);
    ck_assert_int_eq(ti_buf_puts(&want, "x"), TI_OK); /* appended after what is there */
    ck_assert_int_eq(ti_buf_puts(&got, "x"), TI_OK);
    ck_assert_int_eq(ti_buf_json_string(&want, text.p ? text.p : "", text.len), TI_OK);
    ck_assert_int_eq(ti_json_quote_json(&got, text.p ? text.p : "", text.len), TI_OK);
    ck_assert_uint_eq(got.len, want.len);
    ck_assert_int_eq(memcmp(got.p, want.p, want.len + 1), 0);
  }
  ti_buf_free(&text);
  ti_buf_free(&want);
  ti_buf_free(&got);
}
END_TEST

START_TEST(test_index_canonical_containers) {
  static const char doc[] = "{\"a\":{\"b\":[1,\"x\\ny\"],\"c\":{}},\"d\": [2],"
                            "\"e\":[\"\\/\"],\"f\":{\"\\u0041\":[]},\"g\":[ ],\"h\":[3 ]}";
  ti_json_index *ix = ti_json_index_new();
  ti_jv root, plain, v, w;
  ck_assert_ptr_nonnull(ix);
  ck_assert_int_eq(ti_json_parse(doc, strlen(doc), 0, &plain, NULL), TI_OK);
  ck_assert_int_eq(plain.flags, 0);
  ck_assert_int_eq(ti_json_parse_indexed(doc, strlen(doc), 0, ix, &root, NULL), TI_OK);
  ck_assert_int_eq(root.flags, 0); /* whitespace in "d" and below */
  static const struct {
    const char *key;
    int canon;
  } want[] = {{"a", 1}, {"d", 1}, {"e", 0}, {"f", 0}, {"g", 0}, {"h", 0}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    ck_assert(ti_json_get(&root, want[i].key, &v));
    ck_assert_msg(!!(v.flags & TI_JV_CANONICAL) == want[i].canon, "%s", want[i].key);
    /* and the writer agrees, and copies a canonical one as it is */
    ti_jv c = v;
    c.flags = 0;
    ti_buf a = {0}, b = {0};
    ck_assert_int_eq(ti_json_write_compact(&c, &a), TI_OK);
    ck_assert_int_eq(ti_json_write_compact(&v, &b), TI_OK);
    ck_assert_int_eq(a.len == v.n && !memcmp(a.p, v.p, v.n), want[i].canon);
    ck_assert(a.len == b.len && !memcmp(a.p, b.p, a.len));
    ti_buf_free(&a);
    ti_buf_free(&b);
  }
  ck_assert(ti_json_getv(&root, &v, "a", "b", NULL) && (v.flags & TI_JV_CANONICAL));
  ck_assert(ti_json_getv(&root, &w, "a", "c", NULL) && (w.flags & TI_JV_CANONICAL) && w.n == 2);
  /* the root's members, as the parse kept them, carry the same flags */
  const ti_json_member *mm;
  size_t nm = ti_json_index_members(ix, &mm);
  ck_assert_uint_eq(nm, 6);
  ck_assert_int_eq(mm[0].val.flags, TI_JV_CANONICAL);
  ck_assert_int_eq(mm[2].val.flags, 0);
  ti_json_index_free(ix);
}
END_TEST

START_TEST(test_index_jumps) {
  char doc[] = "{\"a\": \"0123456789012345678901234567890123456789012345\", "
               "\"n\": [1, {\"x\": [2, 3]}, \"short\"], \"b\": 7}";
  ti_json_index *ix = ti_json_index_new();
  ti_jv root, v, plain, w;
  ti_json_iter it;
  ck_assert_ptr_nonnull(ix);
  ck_assert_int_eq(ti_json_parse(doc, strlen(doc), 0, &plain, NULL), TI_OK);
  ck_assert_int_eq(ti_json_parse_indexed(doc, strlen(doc), 0, ix, &root, NULL), TI_OK);
  ck_assert_ptr_eq(root.ix, ix);
  ck_assert_ptr_null(plain.ix);
  ck_assert_uint_eq(ti_json_count(&root), 3);
  ck_assert(ti_json_getv(&root, &v, "n", NULL));
  ck_assert_ptr_eq(v.ix, ix);
  ck_assert_uint_eq(ti_json_count(&v), 3);
  ti_json_iter_init(&it, &v);
  ck_assert(ti_json_next(&it, &w) && w.type == TI_JSON_NUMBER && w.ix == NULL);
  ck_assert(ti_json_next(&it, &w) && w.type == TI_JSON_OBJECT && w.ix == ix);
  ck_assert(ti_json_getv(&w, &w, "x", NULL) && w.n == 6 && w.ix == ix);
  ck_assert(ti_json_next(&it, &w) && w.type == TI_JSON_STRING && w.n == 7);
  ck_assert(!ti_json_next(&it, &w));
  doc[20] = '"'; /* inside the value of "a" */
  ck_assert(ti_json_get(&root, "b", &v));
  ck_assert(ti_json_int(&v, &(int64_t){0}) == TI_OK && v.n == 1 && v.p[0] == '7');
  ck_assert(!ti_json_get(&plain, "b", &v) || v.p[0] != '7');
  /* a failed parse leaves an empty index: old values fall back */
  ck_assert_int_eq(ti_json_parse_indexed("[1,", 3, 0, ix, &v, NULL), TI_ERR_PARSE);
  ck_assert_ptr_null(v.ix);
  doc[20] = '0';
  ck_assert(ti_json_get(&root, "b", &v) && v.p[0] == '7');
  /* strings: flags come from the index too */
  const char *esc = "[\"0123456789012345678901234567890123456789\\n\", \"x\"]";
  ck_assert_int_eq(ti_json_parse_indexed(esc, strlen(esc), 0, ix, &root, NULL), TI_OK);
  ti_json_iter_init(&it, &root);
  ck_assert(ti_json_next(&it, &w) && w.ix == ix && (w.flags & TI_JV_ESCAPES) && w.n == 44);
  ck_assert(ti_json_next(&it, &w) && w.ix == NULL && w.flags == TI_JV_CANONICAL && w.n == 3);
  ti_json_index_free(ix);
  ti_json_index_free(NULL);
}
END_TEST

/* ti_json_parse_indexed_add: the lines of one buffer share one index; each
 * line's values keep jumping after later lines were added. */
START_TEST(test_index_add) {
  char buf[] = "{\"a\": \"0123456789012345678901234567890123456789012345\", \"b\": 1}\n"
               "[{\"x\": \"0123456789012345678901234567890123456789012345\"}, 2]\n"
               "{\"c\": {\"d\": [3]}, \"e\": 4}\n";
  ti_json_index *ix = ti_json_index_new();
  ti_jv r[3], v, bad;
  const char *line = buf;
  ck_assert_ptr_nonnull(ix);
  for (int i = 0; i < 3; i++) {
    const char *nl = strchr(line, '\n');
    ck_assert_int_eq(ti_json_parse_indexed_add(line, (size_t)(nl - line), 0, ix, &r[i], NULL),
                     TI_OK);
    ck_assert_ptr_eq(r[i].ix, ix);
    if (i == 1) { /* a failing text in between adds nothing */
      ck_assert_int_eq(ti_json_parse_indexed_add(nl + 1, 5, 0, ix, &bad, NULL), TI_ERR_PARSE);
      ck_assert_ptr_null(bad.ix);
    }
    line = nl + 1;
  }
  ck_assert_uint_eq(r[0].ixk, 0);
  ck_assert_uint_gt(r[2].ixk, r[1].ixk);
  /* plant quotes inside the long strings: only jumps find the members after */
  buf[20] = '"';
  char *second = strchr(buf, '\n') + 1;
  second[20] = '"';
  ck_assert(ti_json_get(&r[0], "b", &v) && v.p[0] == '1');
  ti_json_iter it;
  ti_json_iter_init(&it, &r[1]);
  ck_assert(ti_json_next(&it, &v) && v.type == TI_JSON_OBJECT && v.ix == ix);
  ck_assert(ti_json_next(&it, &v) && v.p[0] == '2');
  ck_assert(ti_json_getv(&r[2], &v, "c", "d", NULL) && v.n == 3 && v.ix == ix);
  ck_assert(ti_json_get(&r[2], "e", &v) && v.p[0] == '4');
  /* a text before the first one starts the index afresh */
  static const char lit[] = "[[1]]";
  ck_assert_int_eq(ti_json_parse_indexed_add(lit, 5, 0, ix, &v, NULL), TI_OK);
  ck_assert_ptr_eq(v.ix, ix);
  if ((uintptr_t)lit < (uintptr_t)buf) ck_assert_uint_eq(v.ixk, 0);
  ti_json_index_reset(ix);
  ti_json_index_reset(NULL);
  buf[20] = '0';
  second[20] = '0';
  ck_assert(ti_json_get(&r[0], "b", &v) && v.p[0] == '1'); /* falls back */
  ti_json_index_free(ix);
}
END_TEST

/* An index over 4 MiB or more (a long session's lines, added one by one)
 * grows to the size its part so far foretells, not by doubling. 24,000
 * lines of 6 MB or more; with `tail` the last third holds short lines,
 * denser in values, so that the estimate falls short and the index grows
 * again. Returns the index's capacity over its entries. */
static double index_long_text(int tail) {
  enum { LINES = 24000 };
  size_t cap = (size_t)8 << 20, len = 0;
  char *buf = malloc(cap), pads[301];
  ck_assert_ptr_nonnull(buf);
  memset(pads, 'x', sizeof pads);
  for (int i = 0; i < LINES; i++) {
    int pad = tail && i >= LINES / 3 * 2 ? 0 : 300;
    len += (size_t)snprintf(buf + len, cap - len,
                            "{\"i\":%d,\"a\":[1,{\"s\":\"%.*s\"}],\"k\":%d}\n", i, pad, pads,
                            i * 3);
  }
  ck_assert_uint_gt(len, (size_t)4 << 20);
  ti_json_index *ix = ti_json_index_new();
  ti_jv *r = malloc(LINES * sizeof *r);
  ck_assert(ix && r);
  size_t pos = 0, ll;
  for (int i = 0; i < LINES; i++) {
    ck_assert_int_eq(ti_json_parse_indexed_line(buf + pos, len - pos, 0, ix, &r[i], &ll, NULL),
                     TI_OK);
    pos += ll + 1;
  }
  ck_assert_uint_eq(pos, len);
  ck_assert_uint_ge(ix->n, (uint32_t)LINES * 3); /* each line's containers at least */
  for (int i = 0; i < LINES; i++) { /* every line's values keep their entries */
    ti_jv v;
    int64_t k;
    ck_assert(ti_json_get(&r[i], "a", &v) && v.ix == ix && v.type == TI_JSON_ARRAY);
    ck_assert_ptr_nonnull(ti_json_ix_at(ix, v.ixk, (const ti_u8 *)v.p, (const ti_u8 *)v.p + v.n));
    ck_assert(ti_json_get(&r[i], "k", &v) && ti_json_int(&v, &k) == TI_OK && k == i * 3);
  }
  double over = (double)ix->cap / (double)ix->n;
  free(r);
  ti_json_index_free(ix);
  free(buf);
  return over;
}

START_TEST(test_index_long_text) {
  /* even lines: within an eighth and a bit (doubling would give 1.37) */
  ck_assert_double_lt(index_long_text(0), 1.2);
  ck_assert_double_ge(index_long_text(1), 1.0);
}
END_TEST

/* ti_json_parse_indexed_line: one value on one line, its end found by the
 * parse; anything else is an error that adds nothing to the index. */
START_TEST(test_index_line) {
  static const char buf[] = "{\"a\":1,\"b\":[2]}  \r\n"
                            "[3, 4]\n"
                            "{\"c\":\n5}\n"
                            "\n"
                            "{\"d\":6} x\n"
                            "\t\"s\"";
  ti_json_index *ix = ti_json_index_new();
  ck_assert_ptr_nonnull(ix);
  ti_jv r;
  size_t ll = 99, len = sizeof buf - 1;
  const ti_json_member *mm;
  /* a line with trailing blanks and a CR: the line runs to the newline */
  ck_assert_int_eq(ti_json_parse_indexed_line(buf, len, 0, ix, &r, &ll, NULL), TI_OK);
  ck_assert_uint_eq(ll, 18);
  ck_assert_uint_eq(r.n, 15);
  ck_assert_ptr_eq(r.ix, ix);
  ck_assert_uint_eq(ti_json_index_members(ix, &mm), 2);
  ck_assert_int_eq(mm[1].val.type, TI_JSON_ARRAY);
  const char *p = buf + ll + 1;
  ck_assert_int_eq(ti_json_parse_indexed_line(p, len - (size_t)(p - buf), 0, ix, &r, &ll, NULL),
                   TI_OK);
  ck_assert_uint_eq(ll, 6);
  ck_assert_int_eq(r.type, TI_JSON_ARRAY);
  ck_assert_uint_eq(ti_json_index_members(ix, &mm), 0);
  ck_assert_ptr_null(mm); /* not an object */
  p += ll + 1;
  /* a newline between tokens, an empty line, trailing characters: errors */
  uint32_t n_before = 0;
  ti_json_error err;
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(ti_json_parse_indexed_line(p, len - (size_t)(p - buf), 0, ix, &r, &ll, &err),
                     TI_ERR_PARSE);
    ck_assert_uint_eq(ll, 0);
    ck_assert_ptr_null(r.ix);
    ck_assert_uint_eq(ti_json_index_members(ix, &mm), n_before);
    ck_assert_ptr_null(mm);
    p = strchr(p, '\n') + 1;
    if (i == 0) p = strchr(p, '\n') + 1; /* the value's second line */
  }
  ck_assert_str_eq(err.text, "trailing characters");
  /* the last line, without a newline: it ends at the end of the buffer */
  ck_assert_int_eq(ti_json_parse_indexed_line(p, len - (size_t)(p - buf), 0, ix, &r, &ll, NULL),
                   TI_OK);
  ck_assert_uint_eq(ll, 4);
  ck_assert_int_eq(r.type, TI_JSON_STRING);
  ck_assert_int_eq(ti_json_parse_indexed_line(p, len - (size_t)(p - buf), 0, NULL, &r, &ll, NULL),
                   TI_OK); /* no index: validated all the same */
  ck_assert_uint_eq(ll, 4);
  ti_json_index_free(ix);
}
END_TEST

START_TEST(test_compact_invalid) {
  ti_jv v = {.p = NULL, .n = 0, .type = TI_JSON_INVALID, .flags = 0};
  ti_buf b = {0};
  ck_assert_int_eq(ti_json_write_compact(&v, &b), TI_ERR_INVALID);
  ck_assert_int_eq(ti_json_write_compact(NULL, &b), TI_ERR_INVALID);
  ti_buf_free(&b);
}
END_TEST

/* --------------------------------------------------------------- cursor */
static const char doc[] =
    "{ \"type\" : \"assistant\", \"n\": 3, \"t\\u0079pe\": \"shadow\",\n"
    "  \"message\": {\"role\": \"assistant\", \"content\": [\n"
    "     {\"type\": \"text\", \"text\": \"hi \\\"there\\\" [not] {a} bracket\"},\n"
    "     {\"type\": \"tool_use\", \"id\": \"toolu_1\", \"input\": {\"cmd\": \"ls\", \"a\": [1, [2, 3]]}},\n"
    "     [], {}, \"s\", -1.5e3, null, true, false ]},\n"
    "  \"e\\u0301\": 1, \"\\u00e9\": 2, \"a\\\\b\": 3, \"q\\\"\": 4,\n"
    "  \"empty\": {}, \"emptya\": [ ], \"last\": \"end\" }";

static ti_jv parse_doc(void) {
  ti_jv root;
  ti_json_error e;
  ck_assert_int_eq(ti_json_parse(doc, sizeof doc - 1, 0, &root, &e), TI_OK);
  ck_assert_int_eq(root.type, TI_JSON_OBJECT);
  return root;
}

START_TEST(test_get) {
  ti_jv root = parse_doc(), v, w;
  ck_assert(ti_json_get(&root, "type", &v));
  ck_assert(ti_json_str_eq(&v, "assistant")); /* first match wins */
  ck_assert(ti_json_get(&root, "n", &v));
  ck_assert_int_eq(v.type, TI_JSON_NUMBER);
  ck_assert_uint_eq(v.n, 1);
  ck_assert(ti_json_get(&root, "last", &v));
  ck_assert(ti_json_str_eq(&v, "end"));
  ck_assert(!ti_json_get(&root, "typ", &v));
  ck_assert_int_eq(v.type, TI_JSON_INVALID);
  ck_assert(!ti_json_get(&root, "types", &v));
  ck_assert(!ti_json_get(&root, "", &v));
  /* escaped keys compare decoded */
  ck_assert(ti_json_get(&root, "\xc3\xa9", &v));
  ck_assert(ti_json_str_eq(&v, "2") == 0);
  int64_t x;
  ck_assert_int_eq(ti_json_int(&v, &x), TI_OK);
  ck_assert(x == 2);
  ck_assert(ti_json_get(&root, "e\xcc\x81", &v));
  ck_assert_int_eq(ti_json_int(&v, &x), TI_OK);
  ck_assert(x == 1);
  ck_assert(ti_json_get(&root, "a\\b", &v));
  ck_assert_int_eq(ti_json_int(&v, &x), TI_OK);
  ck_assert(x == 3);
  ck_assert(ti_json_get(&root, "q\"", &v));
  ck_assert_int_eq(ti_json_int(&v, &x), TI_OK);
  ck_assert(x == 4);
  /* nested */
  ck_assert(ti_json_getv(&root, &v, "message", "role", NULL));
  ck_assert(ti_json_str_eq(&v, "assistant"));
  ck_assert(!ti_json_getv(&root, &v, "message", "nope", NULL));
  ck_assert_int_eq(v.type, TI_JSON_INVALID);
  ck_assert(!ti_json_getv(&root, &v, "type", "x", NULL)); /* through a string */
  ck_assert(ti_json_getv(&root, &v, NULL));
  ck_assert(v.p == root.p && v.n == root.n);
  ck_assert(ti_json_get(&root, "empty", &v));
  ck_assert_int_eq(v.type, TI_JSON_OBJECT);
  ck_assert_uint_eq(ti_json_count(&v), 0);
  ck_assert(!ti_json_get(&v, "x", &w));
  ck_assert(ti_json_get(&root, "emptya", &v));
  ck_assert_int_eq(v.type, TI_JSON_ARRAY);
  ck_assert_uint_eq(v.n, 3);
  ck_assert_uint_eq(ti_json_count(&v), 0);
  /* not an object */
  ck_assert(!ti_json_get(&v, "x", &w));
  ck_assert(!ti_json_get(NULL, "x", &w));
  ck_assert(!ti_json_get(&root, NULL, &w));
  /* out may alias obj */
  v = root;
  ck_assert(ti_json_get(&v, "message", &v));
  ck_assert(ti_json_get(&v, "role", &v));
  ck_assert(ti_json_str_eq(&v, "assistant"));
}
END_TEST

START_TEST(test_iter) {
  ti_jv root = parse_doc(), content, v, k;
  ti_json_iter it;
  ck_assert(ti_json_getv(&root, &content, "message", "content", NULL));
  ck_assert_int_eq(content.type, TI_JSON_ARRAY);
  ck_assert_uint_eq(ti_json_count(&content), 9);
  static const int types[] = {TI_JSON_OBJECT, TI_JSON_OBJECT, TI_JSON_ARRAY, TI_JSON_OBJECT,
                              TI_JSON_STRING, TI_JSON_NUMBER, TI_JSON_NULL,  TI_JSON_TRUE,
                              TI_JSON_FALSE};
  int i = 0;
  ti_json_iter_init(&it, &content);
  while (ti_json_next(&it, &v)) {
    ck_assert_int_lt(i, 9);
    ck_assert_int_eq(v.type, types[i]);
    if (i == 0) {
      ck_assert(ti_json_get(&v, "text", &k));
      ck_assert_int_eq(k.flags & TI_JV_ESCAPES, TI_JV_ESCAPES);
      ti_buf b = {0};
      const char *s;
      size_t n;
      ck_assert_int_eq(ti_json_str(&k, &b, &s, &n), TI_OK);
      ck_assert_str_eq(s, "hi \"there\" [not] {a} bracket");
      ti_buf_free(&b);
    }
    if (i == 1) {
      ti_jv a;
      ck_assert(ti_json_getv(&v, &a, "input", "a", NULL));
      ck_assert_uint_eq(ti_json_count(&a), 2);
      ck_assert_uint_eq(a.n, 11);
    }
    if (i == 5) {
      double d;
      ck_assert_int_eq(ti_json_double(&v, &d), TI_OK);
      ck_assert(d == -1500.0);
    }
    i++;
  }
  ck_assert_int_eq(i, 9);
  ck_assert(!ti_json_next(&it, &v)); /* stays exhausted */
  ck_assert_int_eq(v.type, TI_JSON_INVALID);
  /* members of the root in order */
  static const char *keys[] = {"type", "n", "type", "message", "e\xcc\x81", "\xc3\xa9",
                               "a\\b", "q\"", "empty", "emptya", "last"};
  ti_json_iter_init(&it, &root);
  ck_assert(!ti_json_next(&it, &v)); /* wrong kind */
  ti_json_iter_init(&it, &root);
  i = 0;
  while (ti_json_next_member(&it, &k, &v)) {
    ck_assert_int_lt(i, 11);
    ck_assert_int_eq(k.type, TI_JSON_STRING);
    ck_assert_msg(ti_json_str_eq(&k, keys[i]), "key %d", i);
    i++;
  }
  ck_assert_int_eq(i, 11);
  ck_assert_uint_eq(ti_json_count(&root), 11);
  /* scalars and NULL iterate nothing */
  ti_json_iter_init(&it, &k);
  ck_assert(!ti_json_next(&it, &v));
  ck_assert(!ti_json_next_member(&it, &k, &v));
  ti_json_iter_init(&it, NULL);
  ck_assert_int_eq(it.kind, 0);
  ck_assert_uint_eq(ti_json_count(NULL), 0);
}
END_TEST

START_TEST(test_iter_whitespace) {
  const char *s = " [ 1 ,\n\"a\" , [ ] , { \"k\" : [ 2 ] } ] ";
  ti_jv root, v, k;
  ti_json_iter it, it2;
  ck_assert_int_eq(ti_json_parse(s, strlen(s), 0, &root, NULL), TI_OK);
  ti_json_iter_init(&it, &root);
  ck_assert(ti_json_next(&it, &v));
  ck_assert_uint_eq(v.n, 1);
  ck_assert(ti_json_next(&it, &v));
  ck_assert(ti_json_str_eq(&v, "a"));
  ck_assert(ti_json_next(&it, &v));
  ck_assert_int_eq(v.type, TI_JSON_ARRAY);
  ck_assert_uint_eq(v.n, 3);
  ck_assert(ti_json_next(&it, &v));
  ck_assert_int_eq(v.type, TI_JSON_OBJECT);
  ti_json_iter_init(&it2, &v);
  ck_assert(ti_json_next_member(&it2, &k, &v));
  ck_assert(ti_json_str_eq(&k, "k"));
  ck_assert_uint_eq(v.n, 5);
  ck_assert(!ti_json_next_member(&it2, &k, &v));
  ck_assert(!ti_json_next(&it, &v));
}
END_TEST

/* ------------------------------------------------ block-boundary sweep */
/* Special sequences at every position relative to the 16/32-byte blocks
 * of the SIMD scanners, in strings of several lengths. */
static const struct {
  const char *raw;     /* inside the string, as written */
  const char *decoded; /* NULL: invalid */
  const char *why;
  int at;              /* error offset relative to the snippet */
} sweep[] = {
    {"\\n", "\n", NULL, 0},
    {"\\\"", "\"", NULL, 0},
    {"\\\\\\\\\\\"", "\\\\\"", NULL, 0},
    {"\\\\\\\\\\\\", "\\\\\\", NULL, 0},
    {"\\\\", "\\", NULL, 0},
    {"\\u00e9", "\xc3\xa9", NULL, 0},
    {"\\ud83d\\ude00", "\xf0\x9f\x98\x80", NULL, 0},
    {"\\ud83dx", "\xef\xbf\xbdx", NULL, 0},
    {"\xc3\xa9", "\xc3\xa9", NULL, 0},
    {"\xe2\x82\xac\xe2\x82\xac", "\xe2\x82\xac\xe2\x82\xac", NULL, 0},
    {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", NULL, 0},
    {"\x7f", "\x7f", NULL, 0},
    {"\\x", NULL, "invalid escape", 0},
    {"\\u00g0", NULL, "invalid escape", 0},
    {"\x01", NULL, "control character in string", 0},
    {"\xc3(", NULL, "invalid UTF-8", 0},
    {"\xed\xa0\x80", NULL, "invalid UTF-8", 0},
    {"x\xff", NULL, "invalid UTF-8", 1},
};

START_TEST(test_sweep) {
  char in[512], want[256];
  const char *raw = sweep[_i].raw, *dec = sweep[_i].decoded;
  for (int k = 0; k < 70; k++) {
    for (int tail = 0; tail < 40; tail += 13) {
      /* {"k":1,"s":"aaa<raw>bbb","o":[{"t":"aaa<raw>bbb"},1],"z":2}: "z" is
       * found by skipping the container "o" (the 64-byte block skip) */
      int n = snprintf(in, sizeof in, "{\"k\":1,\"s\":\"%.*s%s%.*s\",\"o\":[{\"t\":\"%.*s%s%.*s\"},1],\"z\":2}", k,
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", raw,
                       tail, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", k,
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", raw,
                       tail, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
      ti_jv root, v;
      ti_json_error e;
      int rc = ti_json_parse(in, (size_t)n, 0, &root, &e);
      if (!dec) {
        ck_assert_msg(rc == TI_ERR_PARSE, "k=%d tail=%d", k, tail);
        ck_assert_str_eq(e.text, sweep[_i].why);
        ck_assert_uint_eq(e.offset, (size_t)(12 + k + sweep[_i].at));
        continue;
      }
      ck_assert_msg(rc == TI_OK, "case %d k=%d tail=%d: %s at %zu", _i, k, tail, e.text, e.offset);
      ck_assert(ti_json_get(&root, "s", &v));
      int wn = snprintf(want, sizeof want, "%.*s%s%.*s", k,
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", dec,
                        tail, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
      ck_assert(ti_json_str_eq(&v, want));
      ck_assert_int_eq(!!(v.flags & TI_JV_ESCAPES), raw[0] == '\\');
      ti_jv z;
      int64_t x;
      ck_assert(ti_json_get(&root, "z", &z));
      ck_assert_int_eq(ti_json_int(&z, &x), TI_OK);
      ck_assert(x == 2);
      ck_assert_uint_eq(ti_json_count(&root), 4);
      ti_jv t;
      ck_assert(ti_json_getv(&root, &t, "o", NULL));
      ck_assert_uint_eq(ti_json_count(&t), 2);
      ck_assert(t.p[t.n - 1] == ']' && t.p[t.n] == ',');
      /* the encoder produces what the compact writer produces */
      ti_buf b1 = {0}, b2 = {0};
      ck_assert_int_eq(ti_buf_json_string(&b1, want, (size_t)wn), TI_OK);
      ck_assert_int_eq(ti_json_write_compact(&v, &b2), TI_OK);
      ck_assert_str_eq(b1.p, b2.p);
      /* the string alone, at the very end of the buffer (scalar tails) */
      ck_assert_int_eq(ti_json_parse(v.p, v.n, 0, &z, NULL), TI_OK);
      ck_assert(ti_json_str_eq(&z, want));
      ti_buf_free(&b1);
      ti_buf_free(&b2);
    }
  }
}
END_TEST

/* The same snippets after escape-dense text (the 64-byte string blocks
 * of the SSE2 scanner and decoder): k two-byte escapes and plain bytes
 * before the snippet, so that it falls at every offset of a block, and an
 * escape-dense tail after it. */
static const struct {
  const char *raw, *dec;
} dense_piece[] = {{"a", "a"}, {"\\n", "\n"}, {"\\\\", "\\"}, {"\\\"", "\""}, {"\\/", "/"},
                   {"\\t", "\t"}, {"bc", "bc"}, {"\\\\\\\\", "\\\\"}};

static void dense_text(int k, unsigned seed, ti_buf *raw, ti_buf *dec) {
  for (int i = 0; i < k; i++) {
    seed = seed * 1103515245u + 12345u;
    unsigned j = (seed >> 16) % (sizeof dense_piece / sizeof dense_piece[0]);
    ti_buf_puts(raw, dense_piece[j].raw);
    ti_buf_puts(dec, dense_piece[j].dec);
  }
}

START_TEST(test_sweep_dense) {
  const char *snip = sweep[_i].raw, *sdec = sweep[_i].decoded;
  for (int k = 0; k < 100; k++) {
    for (int tail = 0; tail < 90; tail += 29) {
      ti_buf in = {0}, want = {0}, pre = {0};
      ti_buf_puts(&in, "{\"k\":1,\"s\":\"");
      dense_text(k, (unsigned)(k * 7 + tail), &in, &pre);
      size_t at = in.len;
      ti_buf_puts(&in, snip);
      if (sdec) {
        ti_buf_append(&want, pre.p ? pre.p : "", pre.len);
        ti_buf_puts(&want, sdec);
      }
      dense_text(tail, (unsigned)(k + 1), &in, sdec ? &want : &pre);
      ti_buf_puts(&in, "\",\"z\":2}");
      ti_jv root, v, z;
      ti_json_error e;
      size_t used;
      int rc = ti_json_parse(in.p, in.len, 0, &root, &e);
      if (!sdec) {
        ck_assert_msg(rc == TI_ERR_PARSE, "case %d k=%d tail=%d", _i, k, tail);
        ck_assert_str_eq(e.text, sweep[_i].why);
        ck_assert_uint_eq(e.offset, at + (size_t)sweep[_i].at);
      } else {
        ck_assert_msg(rc == TI_OK, "case %d k=%d tail=%d: %s at %zu", _i, k, tail, e.text,
                      e.offset);
        ck_assert(ti_json_get(&root, "s", &v));
        ck_assert_int_eq(!!(v.flags & TI_JV_ESCAPES), memchr(v.p, '\\', v.n) != NULL);
        const char *ds;
        size_t dn;
        ti_buf scratch = {0};
        ck_assert_int_eq(ti_json_str(&v, &scratch, &ds, &dn), TI_OK);
        ck_assert_uint_eq(dn, want.len);
        ck_assert(memcmp(ds, want.p, dn) == 0);
        ti_buf_free(&scratch);
        ck_assert(ti_json_get(&root, "z", &z));
        /* the string alone, ending at the end of the buffer */
        ck_assert_int_eq(ti_json_parse_prefix(v.p, v.n, 0, &z, &used, NULL), TI_OK);
        ck_assert_uint_eq(used, v.n);
        ck_assert_int_eq(z.flags, v.flags);
      }
      ti_buf_free(&in);
      ti_buf_free(&want);
      ti_buf_free(&pre);
    }
  }
}
END_TEST

START_TEST(test_encode_sweep) {
  /* one special byte at every position of strings up to 80 bytes */
  static const char specials[] = {'"', '\\', '\n', 0x01, 0x1f, 0x7f, (char)0xff, '/'};
  for (size_t si = 0; si < sizeof specials; si++) {
    for (int len = 1; len < 80; len++) {
      for (int pos = 0; pos < len; pos++) {
        char in[80], want[100];
        size_t wn = 0;
        memset(in, 'a', sizeof in);
        in[pos] = specials[si];
        want[wn++] = '"';
        for (int i = 0; i < len; i++) {
          unsigned char c = (unsigned char)in[i];
          if (c == '"' || c == '\\') {
            want[wn++] = '\\';
            want[wn++] = (char)c;
          } else if (c == '\n') {
            want[wn++] = '\\';
            want[wn++] = 'n';
          } else if (c < 0x20) {
            wn += (size_t)sprintf(want + wn, "\\u%04x", c);
          } else if (c == 0xff) {
            memcpy(want + wn, "\xef\xbf\xbd", 3);
            wn += 3;
          } else {
            want[wn++] = (char)c;
          }
        }
        want[wn++] = '"';
        ti_buf b = {0};
        ck_assert_int_eq(ti_buf_json_string(&b, in, (size_t)len), TI_OK);
        ck_assert_uint_eq(b.len, wn);
        ck_assert(memcmp(b.p, want, wn) == 0);
        ti_buf_free(&b);
      }
    }
  }
}
END_TEST

/* ---------------------------------------------------- bogus spans */
/* A ti_jv that did not come from ti_json_parse (garbage bytes claimed to be
 * an object, array or string) must never make the cursor read outside its
 * span: each buffer is a separate heap block of exactly n bytes so ASan and
 * valgrind see any overread. */
START_TEST(test_bogus_spans) {
  static const char alphabet[] = "{}[]\"\\:, u0123456789abcdefDtrueflsn\xc3\xa9\x80\xff";
  uint64_t st = 12345;
  for (int iter = 0; iter < 3000; iter++) {
    st = st * 6364136223846793005ull + 1442695040888963407ull;
    size_t n = 1 + (size_t)((st >> 33) % 100);
    char *buf = malloc(n);
    for (size_t i = 0; i < n; i++) {
      st = st * 6364136223846793005ull + 1442695040888963407ull;
      buf[i] = alphabet[(st >> 33) % (sizeof alphabet - 1)];
    }
    static const char opens[] = {'{', '[', '"'};
    buf[0] = opens[iter % 3];
    ti_jv v = {.p = buf,
               .n = n,
               .type = iter % 3 == 0   ? TI_JSON_OBJECT
                       : iter % 3 == 1 ? TI_JSON_ARRAY
                                       : TI_JSON_STRING,
               .flags = (iter & 4) ? TI_JV_ESCAPES : 0};
    ti_jv a, b;
    ti_json_iter it;
    ti_buf o = {0};
    const char *s;
    size_t sn;
    int64_t x;
    double d;
    (void)ti_json_get(&v, "type", &a);
    (void)ti_json_getv(&v, &a, "a", "b", NULL);
    (void)ti_json_count(&v);
    ti_json_iter_init(&it, &v);
    for (int k = 0; k < 50 && ti_json_next(&it, &a); k++) {
      (void)ti_json_count(&a);
      (void)ti_json_write_compact(&a, &o);
      (void)ti_json_str(&a, &o, &s, &sn);
    }
    ti_json_iter_init(&it, &v);
    for (int k = 0; k < 50 && ti_json_next_member(&it, &a, &b); k++) {
      (void)ti_json_str_eq(&a, "x");
      (void)ti_json_str_append(&b, &o);
      (void)ti_json_int(&b, &x);
      (void)ti_json_double(&b, &d);
    }
    (void)ti_json_str_eq(&v, "abc");
    (void)ti_json_str(&v, &o, &s, &sn);
    (void)ti_json_str_append(&v, &o);
    (void)ti_json_write_compact(&v, &o);
    /* and the scanner itself on the same exact-size block */
    (void)ti_json_parse(buf, n, 0, &a, NULL);
    size_t used;
    (void)ti_json_parse_prefix(buf, n, 0, &a, &used, NULL);
    ti_buf_free(&o);
    free(buf);
  }
}
END_TEST

#ifdef TI_TESTING
START_TEST(test_nomem) {
  ti_jv v;
  ti_buf b = {0};
  const char *s;
  size_t n;
  ck_assert_int_eq(ti_json_parse(S("[\"a\\nb\", \"x\\u00e9\"]"), 0, &v, NULL), TI_OK);
  ti_test_fail_after(0);
  ck_assert_int_eq(ti_json_write_compact(&v, &b), TI_ERR_NOMEM);
  ti_test_fail_after(0);
  ck_assert_int_eq(ti_buf_json_string(&b, "abc", 3), TI_ERR_NOMEM);
  ti_jv e;
  ti_json_iter it;
  ti_json_iter_init(&it, &v);
  ck_assert(ti_json_next(&it, &e));
  ti_test_fail_after(0);
  ck_assert_int_eq(ti_json_str(&e, &b, &s, &n), TI_ERR_NOMEM);
  ti_test_fail_after(0);
  ck_assert_int_eq(ti_json_str_append(&e, &b), TI_ERR_NOMEM);
  ti_test_fail_after(-1);
  /* every possible failure point of a larger write: error or success, no crash */
  for (long k = 0; k < 20; k++) {
    ti_buf o = {0};
    ti_test_fail_after(k);
    int rc = ti_json_write_compact(&v, &o);
    ti_test_fail_after(-1);
    ck_assert(rc == TI_OK || rc == TI_ERR_NOMEM);
    if (rc == TI_OK) ck_assert_str_eq(o.p, "[\"a\\nb\",\"x\xc3\xa9\"]");
    ti_buf_free(&o);
  }
  ti_buf_free(&b);
}
END_TEST
#endif

/* ------------------------------------------------------- UTF-8 in blocks */
/* Strings of mixed ASCII, escapes and UTF-8 (valid, and now and then one
 * invalid sequence) at every alignment, so that sequences straddle the
 * scanner's 64-byte blocks and its tail: each is accepted exactly when a
 * plain RFC 3629 check accepts it, and rejected at the first bad sequence. */
static uint64_t u8_rng = 0x9E3779B97F4A7C15ull;
static unsigned u8_rand(unsigned n) {
  u8_rng ^= u8_rng << 13;
  u8_rng ^= u8_rng >> 7;
  u8_rng ^= u8_rng << 17;
  return (unsigned)(u8_rng >> 33) % n;
}

static size_t u8_put(unsigned char *d, uint32_t cp) {
  if (cp < 0x80) return d[0] = (unsigned char)cp, 1;
  if (cp < 0x800) return d[0] = (unsigned char)(0xC0 | cp >> 6), d[1] = (unsigned char)(0x80 | (cp & 0x3F)), 2;
  if (cp < 0x10000) {
    d[0] = (unsigned char)(0xE0 | cp >> 12);
    d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = (unsigned char)(0xF0 | cp >> 18);
  d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  d[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Length of the valid sequence at p (RFC 3629), or 0. */
static size_t u8_ref_seq(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  size_t n;
  unsigned lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  return n;
}

START_TEST(test_utf8_blocks) {
  static const uint32_t edge[] = {0x80, 0x7FF, 0x800, 0xFFF, 0x1000, 0xD7FF, 0xE000, 0xFFFD,
                                  0xFFFF, 0x10000, 0x3FFFF, 0x40000, 0xFFFFF, 0x100000, 0x10FFFF};
  static const unsigned char bad[][4] = {
      {1, 0x80},             {1, 0xBF},             {2, 0xC0, 0xAF},       {2, 0xC1, 0xBF},
      {3, 0xE0, 0x9F, 0xBF}, {3, 0xED, 0xA0, 0x80}, {3, 0xED, 0xBF, 0xBF}, {1, 0xE2},
      {2, 0xE2, 0x82},       {1, 0xF0},             {3, 0xF0, 0x8F, 0xBF}, {3, 0xF4, 0x90, 0x80},
      {3, 0xF5, 0x80, 0x80}, {1, 0xFF},             {1, 0xFE},             {2, 0xF0, 0x9F},
      {3, 0xF1, 0x80, 0x80}, {2, 0xC3, 0xC3},       {2, 0xE9, 0x41}};
  unsigned char buf[1200];
  int nbad = 0, nvalid = 0;
  for (int iter = 0; iter < 40000; iter++) {
    size_t n = 0, pre = u8_rand(70), want = u8_rand(iter % 4 ? 160 : 400);
    buf[n++] = '[';
    while (n < 1 + pre) buf[n++] = ' ';
    buf[n++] = '"';
    size_t body = n;
    int inject = u8_rand(3) == 0;
    /* where the bad sequence goes; at `want`: at the string's end */
    size_t at = inject ? (u8_rand(4) ? u8_rand((unsigned)want + 1) : want) : (size_t)-1;
    while (n - body < want) {
      if (n - body >= at) { /* one bad sequence, then go on */
        const unsigned char *b = bad[u8_rand(sizeof bad / sizeof bad[0])];
        memcpy(buf + n, b + 1, b[0]);
        n += b[0];
        at = (size_t)-1;
        continue;
      }
      unsigned k = u8_rand(10);
      if (k < 3) buf[n++] = (unsigned char)('a' + u8_rand(26));
      else if (k == 3) memcpy(buf + n, "\\n", 2), n += 2;
      /* a \u escape sends its block to the walker: in two of three strings
       * none, so that most blocks are checked by the vector code */
      else if (k == 4 && iter % 3 == 0) memcpy(buf + n, "\\u00e9", 6), n += 6;
      else if (k == 4) memcpy(buf + n, "\\t", 2), n += 2;
      else if (k == 5) n += u8_put(buf + n, edge[u8_rand(sizeof edge / sizeof edge[0])]);
      else if (k == 6) n += u8_put(buf + n, 0x80 + u8_rand(0x800 - 0x80));
      else if (k == 7) n += u8_put(buf + n, 0x4E00 + u8_rand(0x5000)); /* CJK */
      else if (k == 8) n += u8_put(buf + n, 0x10000 + u8_rand(0x100000));
      else buf[n++] = ' ';
    }
    if (inject && at != (size_t)-1) { /* not placed yet: as the last bytes of the string */
      const unsigned char *b = bad[u8_rand(sizeof bad / sizeof bad[0])];
      memcpy(buf + n, b + 1, b[0]);
      n += b[0];
    }
    size_t body_end = n;
    buf[n++] = '"';
    /* text after the string, so that its end can lie inside a full block */
    for (size_t pad = u8_rand(3) ? u8_rand(100) : 0; pad; pad--) buf[n++] = ' ';
    buf[n++] = ']';
    /* the reference: the first sequence that is not valid UTF-8 */
    size_t err = (size_t)-1;
    for (size_t i = body; i < body_end;) {
      size_t l = u8_ref_seq(buf + i, buf + body_end);
      if (!l) {
        err = i;
        break;
      }
      i += l;
    }
    ti_jv v;
    ti_json_error e;
    memset(&e, 0, sizeof e);
    int rc = ti_json_parse((const char *)buf, n, 0, &v, &e);
    if (err == (size_t)-1) {
      ck_assert_msg(rc == TI_OK, "iter %d: valid text rejected at %zu (%s)", iter, e.offset, e.text);
      nvalid++;
    } else {
      ck_assert_msg(rc == TI_ERR_PARSE, "iter %d: invalid UTF-8 at %zu accepted", iter, err);
      ck_assert_msg(e.offset == err && !strcmp(e.text, "invalid UTF-8"),
                    "iter %d: error at %zu (%s), want %zu", iter, e.offset, e.text, err);
      nbad++;
    }
  }
  ck_assert_int_gt(nbad, 5000);
  ck_assert_int_gt(nvalid, 20000);
}
END_TEST

/* A backslash before a non-ASCII byte is an invalid escape, also where
 * the byte's low seven bits are a valid escape's second byte (0xA2 is '"'
 * plus 0x80, 0xE2 'b' plus 0x80: a table lookup on seven bits would take
 * them), at every place in a long string's 64-byte blocks. */
START_TEST(test_escape_high_blocks) {
  char buf[256];
  for (unsigned c = 0x80; c <= 0xFF; c++) {
    for (size_t at = 0; at < 140; at++) {
      size_t n = 0;
      buf[n++] = '[';
      buf[n++] = '"';
      while (n < 2 + at) buf[n++] = 'a';
      buf[n++] = '\\';
      buf[n++] = (char)c;
      while (n < 220) buf[n++] = 'b';
      buf[n++] = '"';
      buf[n++] = ']';
      ti_jv v;
      ti_json_error e;
      memset(&e, 0, sizeof e);
      int rc = ti_json_parse(buf, n, 0, &v, &e);
      ck_assert_msg(rc == TI_ERR_PARSE, "byte %#x at %zu: accepted", c, at);
      ck_assert_msg(e.offset == 2 + at && !strcmp(e.text, "invalid escape"),
                    "byte %#x at %zu: error at %zu (%s)", c, at, e.offset, e.text);
    }
  }
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *json_suite(void) {
  Suite *s = suite_create("json");
  TCase *tc = tcase_create("validate");
  tcase_add_loop_test(tc, test_valid, 0, N(valid));
  tcase_add_loop_test(tc, test_invalid, 0, N(invalid));
  tcase_add_test(tc, test_null_args);
  tcase_add_test(tc, test_depth);
  tcase_add_test(tc, test_prefix);
  tcase_add_test(tc, test_utf8_blocks);
  tcase_add_test(tc, test_escape_high_blocks);
  suite_add_tcase(s, tc);
  tc = tcase_create("decode");
  tcase_add_loop_test(tc, test_decode, 0, N(strs));
  tcase_add_test(tc, test_str_misuse);
  tcase_add_loop_test(tc, test_int, 0, N(ints));
  tcase_add_test(tc, test_double);
  tcase_add_test(tc, test_literals);
  suite_add_tcase(s, tc);
  tc = tcase_create("encode");
  tcase_add_loop_test(tc, test_encode, 0, N(enc));
  tcase_add_test(tc, test_encode_all_bytes);
  tcase_add_test(tc, test_encode_sweep);
  tcase_add_loop_test(tc, test_compact, 0, N(compact));
  tcase_add_test(tc, test_compact_invalid);
#ifdef TI_TESTING
  tcase_add_test(tc, test_nomem);
#endif
  suite_add_tcase(s, tc);
  tc = tcase_create("cursor");
  tcase_add_test(tc, test_get);
  tcase_add_test(tc, test_iter);
  tcase_add_test(tc, test_iter_whitespace);
  tcase_add_loop_test(tc, test_sweep, 0, N(sweep));
  tcase_add_loop_test(tc, test_sweep_dense, 0, N(sweep));
  tcase_add_test(tc, test_bogus_spans);
  tcase_add_test(tc, test_index_jumps);
  tcase_add_test(tc, test_quote_json);
  tcase_add_test(tc, test_index_canonical_containers);
  tcase_add_test(tc, test_index_add);
  tcase_add_test(tc, test_index_line);
  tcase_add_test(tc, test_index_long_text);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(json_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
