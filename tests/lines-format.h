/* SPDX-License-Identifier: MIT */
/* "test-lines": a line-oriented plugin used by the core tests to drive the
 * iterator, the message log and the error paths precisely. Lines:
 *   #traj ID        start a trajectory
 *   S text | U text | T id text    system, user, tool message (pushed)
 *   A text          assistant turn: emits a state, then joins the history
 *   C id name args  adds a tool call to the next A line
 *   V id name json  the same, the arguments a JSON value: parsed, then
 *                   ti_emit_msg_tool_call_jv; W id name json: the same, taken
 *                   as compact canonical JSON (TI_JV_CANONICAL), not parsed
 *   R n             rewrite: keep the first n messages of the history
 *   Q json          user message whose content is this JSON text
 *                   (ti_emit_msg_content_json: validated, stored compact)
 *   M {json}        metadata members for the next A line (ti_emit_meta_members_jv
 *                   on the object parsed); N {json}: the same, taken as compact
 *                   canonical JSON (TI_JV_CANONICAL), not parsed
 *   Y a|b|c         user content parts given in pieces, split at each '|'
 *                   (ti_emit_msg_content_spans; refused: reported, skipped)
 *   X reason        a malformed record (reported, skipped)
 *   F reason        a fatal error for this input
 * Probe: 100 when the input starts with "#traj". */
#ifndef TI_TEST_LINES_FORMAT_H
#define TI_TEST_LINES_FORMAT_H

#include <stdlib.h>
#include <string.h>

#include <traceingest/ti-format.h>

typedef struct lines_calls {
  ti_buf ids, names, args;
  ti_buf meta; /* M/N line for the next state */
  int meta_kind; /* 0 none, 'M' or 'N' */
  size_t n;
  size_t off_id[16], off_name[16], off_args[16];
  char kind[16]; /* 'C', 'V' or 'W' */
} lines_calls;

static int lines_probe(const ti_probe_input *in) {
  return in->len >= 5 && memcmp(in->buf, "#traj", 5) == 0 ? TI_PROBE_CERTAIN : TI_PROBE_NONE;
}

static int lines_probe_dir(const char *path) {
  size_t n = strlen(path);
  return n >= 6 && strcmp(path + n - 6, ".lines") == 0 ? TI_PROBE_CERTAIN : TI_PROBE_NONE;
}

static int lines_create(void **parser, ti_plugin_ctx *ctx) {
  (void)ctx;
  lines_calls *c = ti_mem_calloc(1, sizeof *c);
  if (!c) return TI_ERR_NOMEM;
  *parser = c;
  return TI_OK;
}

static void lines_destroy(void *parser) {
  lines_calls *c = parser;
  ti_buf_free(&c->ids);
  ti_buf_free(&c->names);
  ti_buf_free(&c->args);
  ti_buf_free(&c->meta);
  ti_mem_free(c);
}

static int lines_msg(ti_plugin_ctx *ctx, const char *role, const char *text, size_t n,
                     const char *tcid, size_t tcid_len, lines_calls *calls,
                     const ti_message **out) {
  int rc = ti_emit_msg_begin(ctx, role);
  if (!rc) rc = ti_emit_msg_content(ctx, text, n);
  if (!rc && tcid) rc = ti_emit_msg_tool_call_id(ctx, tcid, tcid_len);
  for (size_t i = 0; calls && i < calls->n && !rc; i++) {
    const char *id = calls->ids.p + calls->off_id[i], *nm = calls->names.p + calls->off_name[i],
               *ar = calls->args.p + calls->off_args[i];
    if (calls->kind[i] == 'C') {
      rc = ti_emit_msg_tool_call(ctx, id, strlen(id), nm, strlen(nm), ar, strlen(ar));
      continue;
    }
    ti_jv v = {.p = ar, .n = strlen(ar), .flags = TI_JV_CANONICAL,
               .type = ar[0] == '[' ? TI_JSON_ARRAY : TI_JSON_OBJECT};
    if (calls->kind[i] == 'V' && ti_json_parse(ar, strlen(ar), 0, &v, NULL))
      v.type = TI_JSON_INVALID; /* not JSON: "{}" */
    rc = ti_emit_msg_tool_call_jv(ctx, id, strlen(id), nm, strlen(nm), &v);
  }
  if (!rc) rc = ti_emit_msg_end(ctx, out);
  return rc;
}

static int lines_next(void *parser, ti_plugin_ctx *ctx) {
  lines_calls *calls = parser;
  ti_record r;
  int rc;
  if (ti_input_is_dir(ctx)) { /* a claimed directory: one state, once */
    if (calls->n == 99) return TI_DONE;
    calls->n = 99;
    const ti_message *m;
    rc = lines_msg(ctx, "assistant", "dir", 3, NULL, 0, NULL, &m);
    if (!rc) rc = ti_emit_state_begin(ctx);
    if (!rc) rc = ti_emit_state_action(ctx, m);
    if (!rc) rc = ti_emit_state_end(ctx);
    return rc;
  }
  while ((rc = ti_input_next_line(ctx, &r)) == TI_OK) {
    const char *s = r.p, *rest = r.len > 2 ? r.p + 2 : r.p + r.len;
    size_t rn = r.len > 2 ? r.len - 2 : 0;
    const ti_message *m;
    if (r.len >= 6 && memcmp(s, "#traj ", 6) == 0) {
      rc = ti_emit_trajectory(ctx, s + 6, r.len - 6);
      if (rc) return rc;
      continue;
    }
    switch (s[0]) {
    case 'S':
    case 'U':
      rc = lines_msg(ctx, s[0] == 'S' ? "system" : "user", rest, rn, NULL, 0, NULL, &m);
      if (!rc) rc = ti_emit_push(ctx, m);
      break;
    case 'T': {
      const char *sp = memchr(rest, ' ', rn);
      size_t idl = sp ? (size_t)(sp - rest) : rn;
      rc = lines_msg(ctx, "tool", sp ? sp + 1 : rest + rn, sp ? rn - idl - 1 : 0, rest, idl, NULL, &m);
      if (!rc) rc = ti_emit_push(ctx, m);
      break;
    }
    case 'C':
    case 'V':
    case 'W': {
      char tmp[512];
      size_t k = rn < sizeof tmp - 1 ? rn : sizeof tmp - 1;
      memcpy(tmp, rest, k);
      tmp[k] = '\0';
      char *id = strtok(tmp, " "), *nm = strtok(NULL, " "), *ar = strtok(NULL, "");
      if (!id || !nm || calls->n == 16) {
        rc = ti_report(ctx, TI_ERR_PARSE, r.line, r.offset, "bad C line");
        break;
      }
      calls->off_id[calls->n] = calls->ids.len;
      calls->off_name[calls->n] = calls->names.len;
      calls->off_args[calls->n] = calls->args.len;
      calls->kind[calls->n] = s[0];
      if (ti_buf_append(&calls->ids, id, strlen(id) + 1) ||
          ti_buf_append(&calls->names, nm, strlen(nm) + 1) ||
          ti_buf_append(&calls->args, ar ? ar : "{}", strlen(ar ? ar : "{}") + 1))
        return TI_ERR_NOMEM;
      calls->n++;
      break;
    }
    case 'A':
      rc = lines_msg(ctx, "assistant", rest, rn, NULL, 0, calls, &m);
      calls->n = 0;
      ti_buf_reset(&calls->ids);
      ti_buf_reset(&calls->names);
      ti_buf_reset(&calls->args);
      if (!rc) rc = ti_emit_state_begin(ctx);
      if (!rc) rc = ti_emit_state_action(ctx, m);
      if (!rc) rc = ti_emit_state_lines(ctx, r.line, r.line);
      if (!rc) rc = ti_emit_meta_int(ctx, "line", (int64_t)r.line);
      if (!rc && calls->meta_kind) {
        ti_jv o = {.p = calls->meta.p, .n = calls->meta.len, .type = TI_JSON_OBJECT,
                   .flags = TI_JV_CANONICAL};
        if (calls->meta_kind == 'M')
          rc = ti_json_parse(calls->meta.p, calls->meta.len, 0, &o, NULL) ? TI_ERR_PARSE : TI_OK;
        if (!rc) rc = ti_emit_meta_members_jv(ctx, &o);
        calls->meta_kind = 0;
      }
      if (!rc) rc = ti_emit_state_model(ctx, "test-model", 10);
      if (!rc) rc = ti_emit_state_end(ctx);
      if (!rc) rc = ti_emit_push(ctx, m);
      if (!rc) return TI_OK;
      break;
    case 'J': { /* J <a JSON string literal>: user content straight from the input */
      ti_jv v;
      rc = ti_input_parse(ctx, rest, rn, r.line, r.offset, &v);
      if (rc == TI_SKIP) {
        rc = TI_OK;
        break;
      }
      if (!rc) rc = ti_emit_msg_begin(ctx, "user");
      if (!rc) rc = ti_emit_msg_content_jv(ctx, &v);
      if (!rc) rc = ti_emit_msg_end(ctx, &m);
      if (!rc) rc = ti_emit_push(ctx, m);
      break;
    }
    case 'P': { /* P <compact canonical JSON array>: parts the plugin wrote itself */
      ti_jv v = {.p = rest, .n = rn, .type = TI_JSON_ARRAY, .flags = TI_JV_CANONICAL};
      rc = ti_emit_msg_begin(ctx, "user");
      if (!rc) rc = ti_emit_msg_content_jv(ctx, &v);
      if (!rc) rc = ti_emit_msg_end(ctx, &m);
      if (!rc) rc = ti_emit_push(ctx, m);
      break;
    }
    case 'Q':
      rc = ti_emit_msg_begin(ctx, "user");
      if (!rc) rc = ti_emit_msg_content_json(ctx, rest, rn);
      if (rc == TI_ERR_INVALID) { /* not JSON: the record is reported and skipped */
        rc = ti_report(ctx, TI_ERR_PARSE, r.line, r.offset, "bad Q line");
        break;
      }
      if (!rc) rc = ti_emit_msg_end(ctx, &m);
      if (!rc) rc = ti_emit_push(ctx, m);
      break;
    case 'Y': {
      ti_span sp[TI_EMIT_MAX_SPANS + 8];
      size_t np = 0;
      const char *q = rest, *e = rest + rn;
      while (np < sizeof sp / sizeof *sp) {
        const char *bar = memchr(q, '|', (size_t)(e - q));
        sp[np++] = (ti_span){q, (size_t)((bar ? bar : e) - q)};
        if (!bar) break;
        q = bar + 1;
      }
      rc = ti_emit_msg_begin(ctx, "user");
      if (!rc) rc = ti_emit_msg_content_spans(ctx, sp, np);
      if (rc == TI_ERR_INVALID || rc == TI_ERR_LIMIT) {
        rc = ti_report(ctx, rc, r.line, r.offset, "bad Y line");
        break;
      }
      if (!rc) rc = ti_emit_msg_end(ctx, &m);
      if (!rc) rc = ti_emit_push(ctx, m);
      break;
    }
    case 'M':
    case 'N':
      ti_buf_reset(&calls->meta);
      if (ti_buf_append(&calls->meta, rest, rn)) return TI_ERR_NOMEM;
      calls->meta_kind = s[0];
      break;
    case 'R':
      rc = ti_emit_truncate(ctx, (size_t)strtoul(rest, NULL, 10));
      break;
    case 'X':
      rc = ti_report(ctx, TI_ERR_PARSE, r.line, r.offset, "malformed: %.*s", (int)rn, rest);
      break;
    case 'F':
      return ti_fail(ctx, TI_ERR_PARSE, r.line, r.offset, "fatal: %.*s", (int)rn, rest);
    default:
      rc = ti_report(ctx, TI_ERR_PARSE, r.line, r.offset, "unknown line kind '%c'", s[0]);
    }
    if (rc) return rc;
  }
  return rc;
}

static const char *const lines_option_keys[] = {"lines_flag", NULL};

static const ti_format_ops lines_format = {
    TI_FORMAT_ABI_VERSION, sizeof(ti_format_ops), "test-lines", "core test format",
    lines_option_keys, lines_probe, lines_probe_dir, lines_create, lines_next, lines_destroy,
};

#endif
