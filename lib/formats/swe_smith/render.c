/* SPDX-License-Identifier: MIT */
/* Deterministic text rendering of tool calls for student_action: the
 * SWE-smith xml transform (reference §2.2):
 *   <function=NAME>\n<parameter=K>V</parameter>\n...</function>
 * V is Python's str() of the decoded argument (True/False/None, lists and
 * dicts in repr form); old_str/new_str/file_text values are wrapped in
 * newlines. Several calls are joined with "\n". */
#include <string.h>

#include "swe_smith.h"

static int py_repr(const ti_jv *v, ti_buf *out, ti_buf *scratch, int top);

static int py_str_repr(const char *s, size_t n, ti_buf *out) {
  int has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
  char q = (has_sq && !has_dq) ? '"' : '\'';
  int rc = ti_buf_append(out, &q, 1);
  for (size_t i = 0; rc == TI_OK && i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\') rc = ti_buf_puts(out, "\\\\");
    else if (c == (unsigned char)q) rc = ti_buf_printf(out, "\\%c", q);
    else if (c == '\n') rc = ti_buf_puts(out, "\\n");
    else if (c == '\r') rc = ti_buf_puts(out, "\\r");
    else if (c == '\t') rc = ti_buf_puts(out, "\\t");
    else if (c < 0x20 || c == 0x7f) rc = ti_buf_printf(out, "\\x%02x", c);
    else rc = ti_buf_append(out, s + i, 1);
  }
  if (rc == TI_OK) rc = ti_buf_append(out, &q, 1);
  return rc;
}

static int py_repr(const ti_jv *v, ti_buf *out, ti_buf *scratch, int top) {
  ti_json_iter it;
  ti_jv k, x;
  int rc = TI_OK, first = 1;
  switch (v->type) {
  case TI_JSON_NULL: return ti_buf_puts(out, "None");
  case TI_JSON_TRUE: return ti_buf_puts(out, "True");
  case TI_JSON_FALSE: return ti_buf_puts(out, "False");
  case TI_JSON_NUMBER: return ti_buf_append(out, v->p, v->n);
  case TI_JSON_STRING: {
    const char *s;
    size_t n;
    ti_buf tmp = {0};
    rc = ti_json_str(v, &tmp, &s, &n);
    if (rc == TI_OK) rc = top ? ti_buf_append(out, s, n) : py_str_repr(s, n, out);
    ti_buf_free(&tmp);
    return rc;
  }
  case TI_JSON_ARRAY:
    rc = ti_buf_puts(out, "[");
    ti_json_iter_init(&it, v);
    while (rc == TI_OK && ti_json_next(&it, &x)) {
      if (!first) rc = ti_buf_puts(out, ", ");
      first = 0;
      if (rc == TI_OK) rc = py_repr(&x, out, scratch, 0);
    }
    return rc == TI_OK ? ti_buf_puts(out, "]") : rc;
  case TI_JSON_OBJECT:
    rc = ti_buf_puts(out, "{");
    ti_json_iter_init(&it, v);
    while (rc == TI_OK && ti_json_next_member(&it, &k, &x)) {
      if (!first) rc = ti_buf_puts(out, ", ");
      first = 0;
      if (rc == TI_OK) rc = py_repr(&k, out, scratch, 0);
      if (rc == TI_OK) rc = ti_buf_puts(out, ": ");
      if (rc == TI_OK) rc = py_repr(&x, out, scratch, 0);
    }
    return rc == TI_OK ? ti_buf_puts(out, "}") : rc;
  default: return TI_OK;
  }
}

static int render_args(const ti_jv *obj, ti_buf *out, ti_buf *scratch) {
  ti_json_iter it;
  ti_jv k, v;
  int rc = TI_OK;
  ti_json_iter_init(&it, obj);
  while (rc == TI_OK && ti_json_next_member(&it, &k, &v)) {
    int wrap = ti_json_str_eq(&k, "old_str") || ti_json_str_eq(&k, "new_str") ||
               ti_json_str_eq(&k, "file_text");
    rc = ti_buf_puts(out, "<parameter=");
    if (rc == TI_OK) rc = ti_json_str_append(&k, out);
    if (rc == TI_OK) rc = ti_buf_puts(out, wrap ? ">\n" : ">");
    if (rc == TI_OK) rc = py_repr(&v, out, scratch, 1);
    if (rc == TI_OK) rc = ti_buf_puts(out, wrap ? "\n</parameter>\n" : "</parameter>\n");
  }
  return rc;
}

int ss_render_calls(const ti_jv *calls, ti_buf *out, ti_buf *scratch) {
  ti_json_iter it;
  ti_jv call, fn, name, args, parsed;
  int rc = TI_OK, first = 1;
  ti_json_iter_init(&it, calls);
  while (rc == TI_OK && ti_json_next(&it, &call)) {
    if (call.type != TI_JSON_OBJECT) continue;
    if (!ti_json_get(&call, "function", &fn)) fn = call;
    ti_json_get(&fn, "name", &name);
    ti_json_get(&fn, "arguments", &args);
    if (!first) rc = ti_buf_puts(out, "\n");
    first = 0;
    if (rc == TI_OK) rc = ti_buf_puts(out, "<function=");
    if (rc == TI_OK && name.type == TI_JSON_STRING) rc = ti_json_str_append(&name, out);
    if (rc == TI_OK) rc = ti_buf_puts(out, ">\n");
    if (rc != TI_OK) break;
    if (args.type == TI_JSON_OBJECT) {
      rc = render_args(&args, out, scratch);
    } else if (args.type == TI_JSON_STRING) {
      const char *s;
      size_t n;
      ti_buf dec = {0};
      rc = ti_json_str(&args, &dec, &s, &n);
      if (rc == TI_OK) {
        if (ti_json_parse(s, n, 0, &parsed, NULL) == TI_OK && parsed.type == TI_JSON_OBJECT)
          rc = render_args(&parsed, out, scratch);
        else if (n > 0) {
          rc = ti_buf_append(out, s, n);
          if (rc == TI_OK) rc = ti_buf_puts(out, "\n");
        }
      }
      ti_buf_free(&dec);
    }
    if (rc == TI_OK) rc = ti_buf_puts(out, "</function>");
  }
  return rc;
}
