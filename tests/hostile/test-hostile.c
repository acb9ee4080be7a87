/* SPDX-License-Identifier: MIT */
/* Hostile inputs through the public API, each with the error it must give
 * (code and position) or the sanitising it must do: empty input, BOM, CRLF,
 * a torn last line, NUL bytes, invalid UTF-8, overlong encodings, lone
 * surrogates, a 100 MB line, nesting depth 100 000, 10 000-digit numbers,
 * duplicate keys, a JSON array where JSONL is expected, a hostile
 * directory (unreadable entries, symlink loops, a FIFO), a file that grows
 * while it is read, and the wrong format forced.
 *
 * Line-level cases use the claude-code format (JSONL); byte-exact error
 * positions are checked on the JSON core (ti_json_parse). Big inputs are
 * generated at run time in a temporary directory. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

#define U1 "{\"parentUuid\":null,\"isSidechain\":false,\"sessionId\":\"s-1\",\"type\":\"user\"," \
           "\"uuid\":\"u1\",\"timestamp\":\"2026-01-01T00:00:01.000Z\",\"message\":{\"role\":" \
           "\"user\",\"content\":\"Write a poem.\"}}"
#define A1 "{\"parentUuid\":\"u1\",\"isSidechain\":false,\"sessionId\":\"s-1\",\"type\":" \
           "\"assistant\",\"uuid\":\"a1\",\"timestamp\":\"2026-01-01T00:00:02.000Z\",\"message\":" \
           "{\"model\":\"claude-opus-4-6\",\"id\":\"msg_1\",\"type\":\"message\",\"role\":" \
           "\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Roses are red.\"}]," \
           "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}"
#define U2 "{\"parentUuid\":\"a1\",\"isSidechain\":false,\"sessionId\":\"s-1\",\"type\":\"user\"," \
           "\"uuid\":\"u2\",\"timestamp\":\"2026-01-01T00:00:03.000Z\",\"message\":{\"role\":" \
           "\"user\",\"content\":\"Longer.\"}}"
#define A2 "{\"parentUuid\":\"u2\",\"isSidechain\":false,\"sessionId\":\"s-1\",\"type\":" \
           "\"assistant\",\"uuid\":\"a2\",\"timestamp\":\"2026-01-01T00:00:04.000Z\",\"message\":" \
           "{\"model\":\"claude-opus-4-6\",\"id\":\"msg_2\",\"type\":\"message\",\"role\":" \
           "\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Violets are blue.\"}]," \
           "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}"

static const h_opts CC = {"claude-code", 0, 0, 0, NULL};
static const h_opts CC_STRICT = {"claude-code", TI_OPEN_STRICT, 0, 0, NULL};

/* The reference run: the two turns, clean. */
static void reference(h_result *r) {
  static const char in[] = U1 "\n" A1 "\n" U2 "\n" A2 "\n";
  h_run_mem(r, in, sizeof in - 1, &CC);
  ck_assert_int_eq(r->open_rc, TI_OK);
  ck_assert_int_eq(r->end_rc, TI_DONE);
  ck_assert_uint_eq(r->states, 2);
  ck_assert_uint_eq(r->nerr, 0);
}

/* The JSON core: parse must fail with `code` at byte `offset`. */
static void json_fails_at(const char *buf, size_t len, int code, size_t offset) {
  ti_jv root;
  ti_json_error e;
  memset(&e, 0, sizeof e);
  int rc = ti_json_parse(buf, len, 512, &root, &e);
  ck_assert_msg(rc == code && e.offset == offset,
                "parse of %zu bytes: got %d at %zu (%s), want %d at %zu", len, rc, e.offset,
                e.text, code, offset);
  ck_assert_int_eq(e.code, code);
  ck_assert(e.text[0] != '\0');
}

/* ---- empty input ---------------------------------------------------------- */
START_TEST(empty_input) {
  h_result r;
  h_run_mem(&r, "", 0, NULL); /* nothing to detect a format from */
  h_dump("empty auto", &r);
  ck_assert_int_eq(r.open_rc, TI_ERR_FORMAT_UNKNOWN);
  h_result_free(&r);

  h_run_mem(&r, "", 0, &CC); /* forced: an empty trace, no error */
  ck_assert_int_eq(r.open_rc, TI_OK);
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 0);
  ck_assert_uint_eq(r.nerr, 0);
  h_result_free(&r);

  h_run_mem(&r, "\n\n  \n", 4, &CC); /* blank lines only */
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 0);
  ck_assert_uint_eq(r.nerr, 0);
  h_result_free(&r);

  char *dir = h_tmpdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/empty.jsonl", dir);
  ck_assert_int_eq(h_write_file(path, "", 0), 0);
  h_run_path(&r, path, NULL);
  h_dump("empty file auto", &r);
  ck_assert_int_eq(r.open_rc, TI_ERR_FORMAT_UNKNOWN);
  h_result_free(&r);
  h_run_path(&r, path, &CC);
  ck_assert_int_eq(r.open_rc, TI_OK);
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 0);
  h_result_free(&r);
  h_run_path(&r, dir, NULL); /* a directory holding only an empty file */
  ck_assert_int_eq(r.open_rc, TI_OK);
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 0);
  ck_assert_uint_eq(r.files_skipped, 1);
  h_result_free(&r);
  h_rmtree(dir);
  free(dir);

  json_fails_at("", 0, TI_ERR_PARSE, 0);
  json_fails_at("   ", 3, TI_ERR_PARSE, 3);
}
END_TEST

/* ---- BOM and CRLF: same states as the clean input ------------------------ */
START_TEST(bom_and_crlf) {
  h_result ref, r;
  reference(&ref);
  static const char bom[] = "\xEF\xBB\xBF" U1 "\n" A1 "\n" U2 "\n" A2 "\n";
  h_run_mem(&r, bom, sizeof bom - 1, &CC);
  h_dump("bom", &r);
  ck_assert_uint_eq(r.nerr, 0);
  ck_assert_str_eq(r.json.p, ref.json.p);
  h_result_free(&r);
  h_run_mem(&r, bom, sizeof bom - 1, NULL); /* and it is still detected */
  ck_assert_int_eq(r.open_rc, TI_OK);
  ck_assert_str_eq(r.format, "claude-code");
  ck_assert_str_eq(r.json.p, ref.json.p);
  h_result_free(&r);

  static const char crlf[] = U1 "\r\n" A1 "\r\n" U2 "\r\n" A2 "\r\n";
  h_run_mem(&r, crlf, sizeof crlf - 1, &CC);
  h_dump("crlf", &r);
  ck_assert_uint_eq(r.nerr, 0);
  ck_assert_str_eq(r.json.p, ref.json.p);
  h_result_free(&r);
  h_result_free(&ref);

  /* the JSON core itself does not accept a BOM (RFC 8259: MUST NOT add) */
  json_fails_at("\xEF\xBB\xBF{}", 5, TI_ERR_PARSE, 0);
  ti_jv v;
  ck_assert_int_eq(ti_json_parse("{}\r\n", 4, 0, &v, NULL), TI_OK);
}
END_TEST

/* ---- torn last line ------------------------------------------------------- */
START_TEST(torn_last_line) {
  static const char a2[] = A2;
  char buf[4096];
  int n = snprintf(buf, sizeof buf, "%s\n%s\n%s\n%.*s", U1, A1, U2, (int)(sizeof a2 / 2), a2);
  h_result r;
  h_opts o = CC;
  o.stat_name = "claude-code.torn_tail";
  h_run_mem(&r, buf, (size_t)n, &o);
  h_dump("torn", &r);
  /* the torn tail is dropped and counted (a writer may still be writing
   * it), not reported as a malformed record */
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 1);
  ck_assert_uint_eq(r.stat_value, 1);
  ck_assert_uint_eq(r.nerr, 0);
  h_result_free(&r);

  /* a complete last line without the newline is not torn */
  n = snprintf(buf, sizeof buf, "%s\n%s\n%s\n%s", U1, A1, U2, A2);
  h_run_mem(&r, buf, (size_t)n, &o);
  ck_assert_uint_eq(r.states, 2);
  ck_assert_uint_eq(r.stat_value, 0);
  ck_assert_uint_eq(r.nerr, 0);
  h_result_free(&r);

  /* the JSON core: a truncated text fails at its end */
  json_fails_at("{\"a\":[1,2", 9, TI_ERR_PARSE, 9);
  json_fails_at("\"abc", 4, TI_ERR_PARSE, 0); /* at the string it cuts */
}
END_TEST

/* ---- NUL bytes ------------------------------------------------------------- */
START_TEST(nul_bytes) {
  /* JSON core: a raw NUL is never valid JSON (not even inside a string) */
  json_fails_at("[1,\0 2]", 7, TI_ERR_PARSE, 3);
  json_fails_at("\"a\0b\"", 5, TI_ERR_PARSE, 2);
  json_fails_at("{}\0", 3, TI_ERR_PARSE, 2);
  /* an escaped NUL is fine and decodes to a NUL byte */
  ti_jv v;
  ti_buf b = {0};
  const char *s;
  size_t n;
  ck_assert_int_eq(ti_json_parse("\"a\\u0000b\"", 10, 0, &v, NULL), TI_OK);
  ck_assert_int_eq(ti_json_str(&v, &b, &s, &n), TI_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert(memcmp(s, "a\0b", 3) == 0);
  ti_buf_free(&b);

  /* claude-code: NUL padding mid-file (a line of NULs) is skipped and
   * counted, a NUL inside a line is removed; both turns survive */
  h_result ref, r;
  static const char blank[] = U1 "\n" A1 "\n\n" U2 "\n" A2 "\n";
  h_run_mem(&ref, blank, sizeof blank - 1, &CC);
  ck_assert_uint_eq(ref.states, 2);
  static const char in[] = U1 "\n" A1 "\n\0\0\0\0\0\0\0\0\n" U2 "\n" A2 "\n";
  h_opts o = CC;
  o.stat_name = "claude-code.nul_lines";
  h_run_mem(&r, in, sizeof in - 1, &o);
  h_dump("nul lines", &r);
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 2);
  ck_assert_uint_eq(r.stat_value, 1);
  ck_assert_str_eq(r.json.p, ref.json.p);
  h_result_free(&r);
  h_result_free(&ref);
}
END_TEST

/* ---- invalid UTF-8, overlong encodings, surrogates ------------------------ */
START_TEST(invalid_utf8) {
  json_fails_at("\"ab\xff\"", 5, TI_ERR_PARSE, 3);
  json_fails_at("[\"\x80\"]", 5, TI_ERR_PARSE, 2);           /* stray continuation */
  json_fails_at("\"\xc3\"", 3, TI_ERR_PARSE, 1);             /* cut sequence */
  json_fails_at("\"\xe2\x82\"", 4, TI_ERR_PARSE, 1);
  json_fails_at("\"\xf0\x9f\x98\"", 5, TI_ERR_PARSE, 1);
  /* outside strings a non-ASCII byte is just a bad token */
  json_fails_at("[\xc3\xa9]", 4, TI_ERR_PARSE, 1);

  /* claude-code sanitizes: invalid bytes become U+FFFD, the turn survives */
  static const char in[] =
      "{\"parentUuid\":null,\"sessionId\":\"s-1\",\"type\":\"user\",\"uuid\":\"u1\","
      "\"message\":{\"role\":\"user\",\"content\":\"bad \xff\xfe byte\"}}\n" A1 "\n";
  h_result r;
  h_opts o = CC;
  o.stat_name = "claude-code.sanitized_lines";
  h_run_mem(&r, in, sizeof in - 1, &o);
  h_dump("invalid utf8 cc", &r);
  ck_assert_uint_eq(r.states, 1);
  ck_assert_uint_eq(r.stat_value, 1);
  ck_assert_ptr_nonnull(strstr(r.json.p, "bad \xef\xbf\xbd"));
  h_result_free(&r);
}
END_TEST

START_TEST(overlong_encodings) {
  json_fails_at("\"\xc0\x80\"", 4, TI_ERR_PARSE, 1);         /* NUL, 2 bytes */
  json_fails_at("\"\xc1\xbf\"", 4, TI_ERR_PARSE, 1);
  json_fails_at("\"x\xe0\x80\xaf\"", 6, TI_ERR_PARSE, 2);    /* '/', 3 bytes */
  json_fails_at("\"\xf0\x80\x80\xaf\"", 6, TI_ERR_PARSE, 1); /* '/', 4 bytes */
  json_fails_at("\"\xf4\x90\x80\x80\"", 6, TI_ERR_PARSE, 1); /* > U+10FFFF */
  json_fails_at("\"\xf8\x88\x80\x80\x80\"", 7, TI_ERR_PARSE, 1); /* 5-byte form */
  /* the shortest forms are fine */
  ti_jv v;
  ck_assert_int_eq(ti_json_parse("\"\xc2\x80\xe0\xa0\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"",
                                 15, 0, &v, NULL), TI_OK);
}
END_TEST

START_TEST(lone_surrogates) {
  /* UTF-8-encoded surrogates (CESU style) are invalid UTF-8 */
  json_fails_at("\"\xed\xa0\x80\"", 5, TI_ERR_PARSE, 1);
  json_fails_at("\"ok\xed\xbf\xbf\"", 7, TI_ERR_PARSE, 3);
  /* escaped lone surrogates are accepted and decode to U+FFFD */
  static const struct { const char *in; const char *out; } cases[] = {
      {"\"\\ud800\"", "\xef\xbf\xbd"},
      {"\"\\uDFFF!\"", "\xef\xbf\xbd!"},
      {"\"\\udc00\\ud800x\"", "\xef\xbf\xbd\xef\xbf\xbdx"},
      {"\"\\ud83d\"", "\xef\xbf\xbd"},
      {"\"\\ud83d\\u0041\"", "\xef\xbf\xbd" "A"},
      {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80"}, /* a real pair */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ti_jv v;
    ti_buf b = {0};
    const char *s;
    size_t n;
    ck_assert_int_eq(ti_json_parse(cases[i].in, strlen(cases[i].in), 0, &v, NULL), TI_OK);
    ck_assert_int_eq(ti_json_str(&v, &b, &s, &n), TI_OK);
    ck_assert_msg(n == strlen(cases[i].out) && memcmp(s, cases[i].out, n) == 0, "case %s",
                  cases[i].in);
    ti_buf_free(&b);
  }
  /* a truncated escape is an error at the backslash's \u */
  json_fails_at("\"\\ud8\"", 6, TI_ERR_PARSE, 1);

  /* claude-code keeps the turn, with U+FFFD */
  static const char in[] =
      "{\"parentUuid\":null,\"sessionId\":\"s-1\",\"type\":\"user\",\"uuid\":\"u1\","
      "\"message\":{\"role\":\"user\",\"content\":\"emoji \\ud83d cut\"}}\n" A1 "\n";
  h_result r;
  h_run_mem(&r, in, sizeof in - 1, &CC);
  ck_assert_uint_eq(r.states, 1);
  ck_assert_uint_eq(r.nerr, 0);
  ck_assert_ptr_nonnull(strstr(r.json.p, "emoji \xef\xbf\xbd cut"));
  h_result_free(&r);
}
END_TEST

/* ---- a 100 MB single line -------------------------------------------------- */
#define SS_ROW "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\"," \
               "\"content\":\"yo\"}],\"instance_id\":\"x\"}"

/* A file: line 1 a small record, line 2 one record of `big` bytes, line 3
 * a small record. `head` opens the big record's string value. */
static char *big_line_file(const char *dir, const char *small, const char *head, const char *tail,
                           size_t big, size_t *big_off) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/big.jsonl", dir);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fprintf(f, "%s\n", small);
  *big_off = (size_t)ftell(f);
  fputs(head, f);
  char chunk[65536];
  memset(chunk, 'x', sizeof chunk);
  size_t left = big - strlen(head) - strlen(tail);
  while (left) {
    size_t k = left < sizeof chunk ? left : sizeof chunk;
    ck_assert_uint_eq(fwrite(chunk, 1, k, f), k);
    left -= k;
  }
  fprintf(f, "%s\n%s\n", tail, small);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

START_TEST(huge_single_line) {
  size_t big = h_slow() ? (size_t)16 << 20 : (size_t)100 << 20;
  char *dir = h_tmpdir();
  size_t big_off;
  /* swe-smith rows are read line by line by the core's reader */
  const char *path = big_line_file(dir, SS_ROW,
      "{\"messages\":[{\"role\":\"user\",\"content\":\"", "\"},{\"role\":\"assistant\","
      "\"content\":\"yo\"}],\"instance_id\":\"big\"}", big, &big_off);
  h_result r;
  h_opts o = {"swe-smith", 0, 1 << 20, 0, NULL};
  h_run_path(&r, path, &o);
  h_dump("huge line, limit 1 MiB", &r);
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 2); /* lines 1 and 3 */
  ck_assert_uint_eq(r.nerr, 1);
  ck_assert_int_eq(r.err[0].code, TI_ERR_LIMIT);
  ck_assert_uint_eq(r.err[0].line, 2);
  ck_assert_uint_eq(r.err[0].offset, big_off);
  ck_assert_str_eq(r.err[0].file, path);
  ck_assert_uint_eq(r.skipped, 1);
  h_result_free(&r);

  o.flags = TI_OPEN_STRICT; /* strict: the limit error ends the run */
  h_run_path(&r, path, &o);
  ck_assert_int_eq(r.end_rc, TI_ERR_LIMIT);
  ck_assert_uint_eq(r.states, 1);
  h_result_free(&r);

  o.flags = TI_OPEN_NO_MMAP; /* read, not mapped: same answer */
  h_run_path(&r, path, &o);
  ck_assert_uint_eq(r.states, 2);
  ck_assert_uint_eq(r.nerr, 1);
  ck_assert_int_eq(r.err[0].code, TI_ERR_LIMIT);
  ck_assert_uint_eq(r.err[0].line, 2);
  ck_assert_uint_eq(r.err[0].offset, big_off);
  h_result_free(&r);

  if (!h_slow()) { /* the default limit (256 MiB) takes the line whole */
    o.max_record_bytes = 0;
    o.flags = 0;
    h_run_path(&r, path, &o);
    h_dump("huge line, default limit", &r);
    ck_assert_int_eq(r.end_rc, TI_DONE);
    ck_assert_uint_eq(r.states, 3);
    ck_assert_uint_eq(r.nerr, 0);
    h_result_free(&r);

    /* claude-code (whole-input reader) with the default limit, too */
    path = big_line_file(dir, U1, "{\"parentUuid\":\"u1\",\"sessionId\":\"s-1\",\"type\":\"user\","
                         "\"uuid\":\"big\",\"message\":{\"role\":\"user\",\"content\":\"", "\"}}",
                         big, &big_off);
    h_run_path(&r, path, &CC);
    h_dump("huge line, claude-code", &r);
    ck_assert_int_eq(r.end_rc, TI_DONE);
    ck_assert_uint_eq(r.nerr, 0);
    h_result_free(&r);
  }
  h_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- nesting depth 100 000 -------------------------------------------------- */
START_TEST(deep_nesting) {
  size_t depth = 100000;
  char *buf = malloc(2 * depth + 64);
  memset(buf, '[', depth);
  memset(buf + depth, ']', depth);
  ti_jv v;
  ti_json_error e;
  ck_assert_int_eq(ti_json_parse(buf, 2 * depth, 512, &v, &e), TI_ERR_LIMIT);
  ck_assert_uint_eq(e.offset, 512); /* the 513th bracket */
  ck_assert_int_eq(ti_json_parse(buf, 2 * depth, 0, &v, &e), TI_ERR_LIMIT); /* 0: default */
  /* a limit above the depth: no recursion, no stack overflow */
  int rc = ti_json_parse(buf, 2 * depth, 200000, &v, &e);
  ck_assert(rc == TI_OK || rc == TI_ERR_LIMIT);
  if (rc == TI_OK) ck_assert_uint_eq(ti_json_count(&v), 1);
  /* objects too */
  size_t k = 0;
  for (size_t i = 0; i < 20000; i++) k += (size_t)sprintf(buf + k, "{\"a\":");
  ck_assert_int_eq(ti_json_parse(buf, k, 512, &v, &e), TI_ERR_LIMIT);
  ck_assert_uint_eq(e.offset, 512 * 5);
  free(buf);

  /* through a format: the line is reported (TI_ERR_LIMIT, line 2) and skipped */
  ti_buf in = {0};
  ti_buf_puts(&in, U1 "\n{\"type\":\"user\",\"uuid\":\"deep\",\"x\":");
  for (size_t i = 0; i < depth; i++) ti_buf_append(&in, "[", 1);
  for (size_t i = 0; i < depth; i++) ti_buf_append(&in, "]", 1);
  ti_buf_puts(&in, "}\n" A1 "\n");
  h_result r;
  h_run_mem(&r, in.p, in.len, &CC);
  h_dump("deep cc", &r);
  ck_assert_uint_eq(r.states, 1);
  ck_assert_uint_ge(r.nerr, 1);
  ck_assert_int_eq(r.err[0].code, TI_ERR_LIMIT);
  ck_assert_uint_eq(r.err[0].line, 2);
  /* line start + 33 bytes + 511 brackets: the object is level 1 */
  ck_assert_uint_eq(r.err[0].offset, sizeof U1 + 33 + 511);
  h_result_free(&r);
  h_opts o = CC;
  o.max_depth = 3; /* the options' limit is the one used: a1 nests 4 deep */
  h_run_mem(&r, U1 "\n" A1 "\n", sizeof U1 + sizeof A1, &o);
  ck_assert_uint_ge(r.nerr, 1);
  ck_assert_int_eq(r.err[0].code, TI_ERR_LIMIT);
  ck_assert_uint_eq(r.err[0].line, 2);
  h_result_free(&r);
  ti_buf_free(&in);
}
END_TEST

/* ---- numbers with 10 000 digits --------------------------------------------- */
START_TEST(huge_numbers) {
  size_t nd = 10000;
  char *buf = malloc(nd + 64);
  buf[0] = '1';
  memset(buf + 1, '0', nd - 1);
  ti_jv v;
  int64_t i;
  double d;
  ck_assert_int_eq(ti_json_parse(buf, nd, 0, &v, NULL), TI_OK);
  ck_assert_int_eq(v.type, TI_JSON_NUMBER);
  ck_assert_uint_eq(v.n, nd);
  ck_assert_int_eq(ti_json_int(&v, &i), TI_ERR_INVALID);    /* beyond int64 */
  ck_assert_int_eq(ti_json_double(&v, &d), TI_ERR_INVALID); /* beyond double */
  ti_buf c = {0};
  ck_assert_int_eq(ti_json_write_compact(&v, &c), TI_OK); /* kept verbatim */
  ck_assert_uint_eq(c.len, nd);
  ti_buf_free(&c);
  memcpy(buf, "0.", 2); /* 0.000...0 with 9998 fraction digits, then 1 */
  buf[nd - 1] = '1';
  ck_assert_int_eq(ti_json_parse(buf, nd, 0, &v, NULL), TI_OK);
  ck_assert_int_eq(ti_json_double(&v, &d), TI_OK);
  ck_assert(d >= 0.0 && d < 1e-300);
  buf[nd - 1] = 'x';
  json_fails_at(buf, nd, TI_ERR_PARSE, nd - 1);
  free(buf);

  /* in a record: the state is still emitted */
  ti_buf in = {0};
  ti_buf_puts(&in, U1 "\n{\"parentUuid\":\"u1\",\"sessionId\":\"s-1\",\"type\":\"assistant\","
                   "\"uuid\":\"a1\",\"message\":{\"id\":\"m\",\"role\":\"assistant\",\"content\":"
                   "[{\"type\":\"text\",\"text\":\"hi\"}],\"usage\":{\"input_tokens\":");
  for (size_t k = 0; k < nd; k++) ti_buf_append(&in, "9", 1);
  ti_buf_puts(&in, "}}}\n");
  h_result r;
  h_run_mem(&r, in.p, in.len, &CC);
  h_dump("10000 digits cc", &r);
  ck_assert_uint_eq(r.states, 1);
  ck_assert_uint_eq(r.nerr, 0);
  h_result_free(&r);
  ti_buf_free(&in);
}
END_TEST

/* ---- duplicate keys: the first one wins ------------------------------------- */
START_TEST(duplicate_keys) {
  static const char j[] = "{\"a\":1,\"b\":2,\"a\":3}";
  ti_jv v, a;
  int64_t i;
  ck_assert_int_eq(ti_json_parse(j, sizeof j - 1, 0, &v, NULL), TI_OK);
  ck_assert_uint_eq(ti_json_count(&v), 3); /* iteration sees every member */
  ck_assert(ti_json_get(&v, "a", &a));
  ck_assert_int_eq(ti_json_int(&a, &i), TI_OK);
  ck_assert_int_eq(i, 1);
  /* in a record: the first "content" is the one used */
  static const char in[] =
      "{\"parentUuid\":null,\"sessionId\":\"s-1\",\"type\":\"user\",\"uuid\":\"u1\","
      "\"message\":{\"role\":\"user\",\"content\":\"first\",\"content\":\"second\"}}\n" A1 "\n";
  h_result r;
  h_run_mem(&r, in, sizeof in - 1, &CC);
  ck_assert_uint_eq(r.states, 1);
  ck_assert_ptr_nonnull(strstr(r.json.p, "\"first\""));
  ck_assert_ptr_null(strstr(r.json.p, "\"second\""));
  h_result_free(&r);
}
END_TEST

/* ---- a JSON array where JSONL is expected ------------------------------------ */
START_TEST(array_instead_of_jsonl) {
  static const char one[] = "[" U1 "," A1 "]\n";
  h_result r;
  h_run_mem(&r, one, sizeof one - 1, &CC);
  h_dump("array one line", &r);
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 0);
  ck_assert_uint_eq(r.nerr, 1);
  ck_assert_int_eq(r.err[0].code, TI_ERR_PARSE);
  ck_assert_uint_eq(r.err[0].line, 1);
  ck_assert_uint_eq(r.err[0].offset, 0);
  h_result_free(&r);
  h_run_mem(&r, one, sizeof one - 1, &CC_STRICT);
  ck_assert_int_eq(r.end_rc, TI_ERR_PARSE);
  h_result_free(&r);

  static const char pretty[] = "[\n  " U1 ",\n  " A1 "\n]\n";
  h_run_mem(&r, pretty, sizeof pretty - 1, &CC);
  h_dump("array pretty", &r);
  /* every line is a record of its own: "[", "  {..u1..}," and "]" are
   * malformed (reported with their line and offset); "  {..a1..}" happens
   * to be a complete record and may be used */
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_le(r.states, 1);
  ck_assert_uint_eq(r.nerr, 3);
  ck_assert_int_eq(r.err[0].code, TI_ERR_PARSE);
  ck_assert_uint_eq(r.err[0].line, 1);
  ck_assert_int_eq(r.err[1].code, TI_ERR_PARSE);
  ck_assert_uint_eq(r.err[1].line, 2);
  ck_assert_uint_ge(r.err[1].offset, 2);
  ck_assert_uint_le(r.err[1].offset, 2 + sizeof U1 + 3);
  ck_assert_int_eq(r.err[2].code, TI_ERR_PARSE);
  ck_assert_uint_eq(r.err[2].line, 4);
  ck_assert_uint_eq(r.err[2].offset, sizeof pretty - 3);
  h_result_free(&r);
}
END_TEST

/* ---- wrong format forced ------------------------------------------------------ */
START_TEST(wrong_format_forced) {
  static const char cc[] = U1 "\n" A1 "\n";
  static const char ss[] =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
      "\"content\":\"yo\"}],\"instance_id\":\"x\"}\n";
  h_result r;
  h_opts o = {"swe-smith", 0, 0, 0, NULL};
  h_run_mem(&r, cc, sizeof cc - 1, &o); /* claude-code lines read as swe-smith rows */
  h_dump("cc as swe-smith", &r);
  ck_assert_int_eq(r.open_rc, TI_OK);
  ck_assert_uint_eq(r.states, 0);
  ck_assert_uint_ge(r.nerr, 1);
  ck_assert_int_lt(r.err[0].code, 0);
  ck_assert_uint_eq(r.err[0].line, 1);
  h_result_free(&r);
  o.flags = TI_OPEN_STRICT;
  h_run_mem(&r, cc, sizeof cc - 1, &o);
  ck_assert_int_lt(r.end_rc, 0);
  ck_assert_uint_eq(r.states, 0);
  h_result_free(&r);

  h_run_mem(&r, ss, sizeof ss - 1, &CC); /* a swe-smith row read as claude-code */
  h_dump("swe-smith as cc", &r);
  ck_assert_int_eq(r.open_rc, TI_OK);
  ck_assert_int_eq(r.end_rc, TI_DONE);
  ck_assert_uint_eq(r.states, 0);
  h_result_free(&r);

  o.format = "openhands";
  o.flags = 0;
  h_run_mem(&r, cc, sizeof cc - 1, &o);
  h_dump("cc as openhands", &r);
  ck_assert_int_eq(r.open_rc, TI_OK);
  ck_assert_uint_eq(r.states, 0);
  h_result_free(&r);

  o.format = "no-such-format";
  h_run_mem(&r, cc, sizeof cc - 1, &o);
  h_dump("unknown format", &r);
  ck_assert_int_eq(r.open_rc, TI_ERR_FORMAT_UNKNOWN);
  ck_assert_uint_eq(r.nerr, 1);
  ck_assert_ptr_nonnull(strstr(r.err[0].msg, "no-such-format"));
  h_result_free(&r);
}
END_TEST

/* ---- a hostile directory -------------------------------------------------------- */
static void alarm_handler(int sig) {
  (void)sig;
  static const char msg[] = "hostile: timed out (hang)\n";
  if (write(2, msg, sizeof msg - 1) < 0) _exit(3);
  _exit(3);
}

START_TEST(hostile_directory) {
  char *dir = h_tmpdir();
  char p[4096], q[4096];
  snprintf(p, sizeof p, "%s/a.jsonl", dir);
  ck_assert_int_eq(h_write_file(p, U1 "\n" A1 "\n", sizeof U1 + sizeof A1), 0);
  snprintf(p, sizeof p, "%s/sub", dir);
  ck_assert_int_eq(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/sub/b.jsonl", dir);
  ck_assert_int_eq(h_write_file(p, U1 "\n" A1 "\n", sizeof U1 + sizeof A1), 0);
  /* symlink loops: a directory link back up, and two links to each other */
  snprintf(p, sizeof p, "%s/sub/up", dir);
  ck_assert_int_eq(symlink("..", p), 0);
  snprintf(p, sizeof p, "%s/self", dir);
  ck_assert_int_eq(symlink("self", p), 0);
  snprintf(p, sizeof p, "%s/l1.jsonl", dir);
  ck_assert_int_eq(symlink("l2.jsonl", p), 0);
  snprintf(p, sizeof p, "%s/l2.jsonl", dir);
  ck_assert_int_eq(symlink("l1.jsonl", p), 0);
  snprintf(p, sizeof p, "%s/dangling.jsonl", dir);
  ck_assert_int_eq(symlink("does-not-exist.jsonl", p), 0);
  /* a FIFO where a file is expected: opening it must not block */
  snprintf(p, sizeof p, "%s/fifo.jsonl", dir);
  ck_assert_int_eq(mkfifo(p, 0644), 0);
  /* unreadable: as root chmod 000 does not stop reading, so the cases
   * above (dangling, looping links, FIFO) are the unreadable ones there */
  int root = geteuid() == 0;
  snprintf(q, sizeof q, "%s/secret.jsonl", dir);
  ck_assert_int_eq(h_write_file(q, U1 "\n" A1 "\n", sizeof U1 + sizeof A1), 0);
  ck_assert_int_eq(chmod(q, 0), 0);
  snprintf(p, sizeof p, "%s/locked", dir);
  ck_assert_int_eq(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/locked/c.jsonl", dir);
  ck_assert_int_eq(h_write_file(p, U1 "\n" A1 "\n", sizeof U1 + sizeof A1), 0);
  snprintf(p, sizeof p, "%s/locked", dir);
  ck_assert_int_eq(chmod(p, 0), 0);

  signal(SIGALRM, alarm_handler);
  alarm(h_slow() ? 120 : 20);
  h_result r;
  h_run_path(&r, dir, NULL);
  alarm(0);
  h_dump("hostile dir", &r);
  ck_assert_int_eq(r.open_rc, TI_OK);
  ck_assert_int_eq(r.end_rc, TI_DONE);
  /* a.jsonl and sub/b.jsonl always; as root also secret and locked/c */
  ck_assert_uint_eq(r.states, root ? 4 : 2);
  for (size_t i = 0; i < r.nerr && i < H_MAX_ERR; i++) {
    ck_assert_int_lt(r.err[i].code, 0);
    ck_assert(r.err[i].file[0] != '\0'); /* every error names its file */
  }
  /* every unreadable entry is reported as TI_ERR_IO with its path, once:
   * the dangling and looping links always, the chmod-000 file and
   * directory unless root; the FIFO is passed over without blocking */
  static const char *const always[] = {"/dangling.jsonl", "/l1.jsonl", "/l2.jsonl", "/self"};
  static const char *const nonroot[] = {"/secret.jsonl", "/locked"};
  ck_assert_uint_eq(r.nerr, root ? 4 : 6);
  for (size_t k = 0; k < 6; k++) {
    if (k >= 4 && root) break;
    const char *want = k < 4 ? always[k] : nonroot[k - 4];
    int seen = 0;
    for (size_t i = 0; i < r.nerr && i < H_MAX_ERR; i++) {
      size_t fl = strlen(r.err[i].file), wl = strlen(want);
      if (fl >= wl && strcmp(r.err[i].file + fl - wl, want) == 0 && r.err[i].code == TI_ERR_IO)
        seen++;
    }
    ck_assert_msg(seen == 1, "%s reported %d times as TI_ERR_IO", want, seen);
  }
  h_result_free(&r);

  /* the unreadable entries opened directly fail with TI_ERR_IO */
  snprintf(p, sizeof p, "%s/dangling.jsonl", dir);
  h_run_path(&r, p, NULL);
  ck_assert_int_eq(r.open_rc, TI_ERR_IO);
  h_result_free(&r);
  snprintf(p, sizeof p, "%s/l1.jsonl", dir);
  h_run_path(&r, p, NULL);
  ck_assert_int_eq(r.open_rc, TI_ERR_IO);
  h_result_free(&r);
  if (!root) {
    h_run_path(&r, q, NULL);
    ck_assert_int_eq(r.open_rc, TI_ERR_IO);
    h_result_free(&r);
  }
  h_rmtree(dir);
  free(dir);
}
END_TEST

/* ---- a file that grows while it is read ----------------------------------------- */
static void grow_case(uint32_t flags) {
  char *dir = h_tmpdir();
  char p[4096];
  snprintf(p, sizeof p, "%s/live.jsonl", dir);
  ck_assert_int_eq(h_write_file(p, U1 "\n" A1 "\n" U2 "\n", 3 * 1 + sizeof U1 + sizeof A1 +
                                sizeof U2 - 3), 0);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.format = "claude-code";
  o.flags = flags;
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open(&it, p, &o), TI_OK);
  const ti_state *s;
  size_t n = 0;
  int rc, grown = 0;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    n++;
    if (!grown) { /* the writer appends the next turn, then a torn line */
      FILE *f = fopen(p, "ab");
      ck_assert_ptr_nonnull(f);
      fputs(A2 "\n" U2, f);
      fclose(f);
      grown = 1;
    }
  }
  ck_assert_int_eq(rc, TI_DONE);
  ck_assert_int_eq(grown, 1);
  /* either the snapshot at open (1 state) or the grown file (2); never an
   * error or a state from a half-read line */
  ck_assert_msg(n == 1 || n == 2, "states %zu", n);
  ck_assert_int_eq(ti_errcode(it), TI_OK);
  ti_free(it);
  h_rmtree(dir);
  free(dir);
}

START_TEST(file_grows_while_read) {
  grow_case(0);
  grow_case(TI_OPEN_NO_MMAP);
}
END_TEST

/* Truncated while read, read (not mapped): no crash, the run ends. The
 * mapped case is a known bug: tests/hostile/test-regressions.c. */
START_TEST(file_shrinks_while_read_no_mmap) {
  char *dir = h_tmpdir();
  char p[4096];
  snprintf(p, sizeof p, "%s/rows.jsonl", dir);
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < 5000; i++) fprintf(f, "%s\n", SS_ROW);
  ck_assert_int_eq(fclose(f), 0);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.format = "swe-smith";
  o.flags = TI_OPEN_NO_MMAP;
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open(&it, p, &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_int_eq(truncate(p, 10), 0);
  int rc;
  size_t n = 1;
  while ((rc = ti_next(&s, it)) == TI_OK) n++;
  ck_assert(rc == TI_DONE || rc == TI_ERR_IO);
  ck_assert_uint_le(n, 5000);
  ti_free(it);
  h_rmtree(dir);
  free(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hostile");
  TCase *tc = tcase_create("hostile");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, empty_input);
  tcase_add_test(tc, bom_and_crlf);
  tcase_add_test(tc, torn_last_line);
  tcase_add_test(tc, nul_bytes);
  tcase_add_test(tc, invalid_utf8);
  tcase_add_test(tc, overlong_encodings);
  tcase_add_test(tc, lone_surrogates);
  tcase_add_test(tc, huge_single_line);
  tcase_add_test(tc, deep_nesting);
  tcase_add_test(tc, huge_numbers);
  tcase_add_test(tc, duplicate_keys);
  tcase_add_test(tc, array_instead_of_jsonl);
  tcase_add_test(tc, wrong_format_forced);
  tcase_add_test(tc, hostile_directory);
  tcase_add_test(tc, file_grows_while_read);
  tcase_add_test(tc, file_shrinks_while_read_no_mmap);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
