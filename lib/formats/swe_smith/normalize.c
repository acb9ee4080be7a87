/* SPDX-License-Identifier: MIT */
/* Message normalisation (format reference §7.1): roles, content flattening,
 * tool calls, tool_call_id; and the prescan of a message array. */
#include <string.h>

#include "swe_smith.h"

/* The text SWE-smith's xml transform substitutes for "Exit due to cost
 * limit" (reference §2.2): not produced by the model. */
static const char syn_xml[] =
    "Since we have successfully fixed the issue and verified it works, let's submit the "
    "changes:\n\n<function=submit>\n</function>";

int ss_jv_str(const ti_jv *v, ti_buf *scratch, const char **s, size_t *n) {
  if (v->type == TI_JSON_STRING) return ti_json_str(v, scratch, s, n);
  *s = "";
  *n = 0;
  return (v->type == TI_JSON_NULL || v->type == TI_JSON_INVALID) ? TI_OK : TI_ERR_INVALID;
}

static int role_of(const ti_jv *v) {
  if (v->type != TI_JSON_STRING) return SS_R_UNKNOWN;
  if (ti_json_str_eq(v, "assistant")) return SS_R_ASSISTANT;
  if (ti_json_str_eq(v, "user")) return SS_R_USER;
  if (ti_json_str_eq(v, "tool")) return SS_R_TOOL;
  if (ti_json_str_eq(v, "system")) return SS_R_SYSTEM;
  if (ti_json_str_eq(v, "ai")) return SS_R_ASSISTANT; /* nebius */
  if (ti_json_str_eq(v, "exit")) return SS_R_DROP;    /* mini-swe-agent v2 */
  return SS_R_UNKNOWN;
}

static const char *const role_names[] = {"system", "user", "assistant", "tool"};

/* Append the text of a content value to out. */
static int content_text(ti_plugin_ctx *ctx, const ti_jv *c, ti_buf *out) {
  int rc;
  if (c->type == TI_JSON_STRING) return ti_json_str_append(c, out);
  if (c->type == TI_JSON_NULL || c->type == TI_JSON_INVALID) return ti_buf_append(out, "", 0);
  if (c->type == TI_JSON_ARRAY) {
    ti_json_iter it;
    ti_jv part, t, x;
    ti_json_iter_init(&it, c);
    rc = ti_buf_append(out, "", 0);
    while (rc == TI_OK && ti_json_next(&it, &part)) {
      if (part.type == TI_JSON_STRING) {
        rc = ti_json_str_append(&part, out);
      } else if (part.type == TI_JSON_OBJECT) {
        int has_type = ti_json_get(&part, "type", &t);
        if ((!has_type || ti_json_str_eq(&t, "text")) && ti_json_get(&part, "text", &x) &&
            x.type == TI_JSON_STRING)
          rc = ti_json_str_append(&x, out);
        else if (has_type && ti_json_str_eq(&t, "image_url"))
          rc = ti_count(ctx, SS_NAME ".image_parts_dropped", 1);
        else
          rc = ti_count(ctx, SS_NAME ".content_parts_dropped", 1);
      }
    }
    return rc;
  }
  return ti_json_write_compact(c, out); /* a number or object: keep it visible */
}

static int emit_calls(ss_parser *p, ti_plugin_ctx *ctx, const ti_jv *calls) {
  ti_json_iter it;
  ti_jv call, id, fn, name, args;
  int rc = TI_OK;
  ti_json_iter_init(&it, calls);
  while (rc == TI_OK && ti_json_next(&it, &call)) {
    const char *is, *ns, *as;
    size_t in, nn, an;
    if (call.type != TI_JSON_OBJECT) continue;
    ti_json_get(&call, "id", &id);
    if (!ti_json_get(&call, "function", &fn)) fn = call; /* flat {name, arguments} */
    ti_json_get(&fn, "name", &name);
    ti_json_get(&fn, "arguments", &args);
    if (ss_jv_str(&id, &p->tmp2, &is, &in) != TI_OK) { is = ""; in = 0; }
    if (ss_jv_str(&name, &p->tmp3, &ns, &nn) != TI_OK) { ns = ""; nn = 0; }
    ti_buf args_buf = {0};
    if (args.type == TI_JSON_STRING) {
      rc = ti_json_str(&args, &args_buf, &as, &an);
      if (rc == TI_OK) rc = ti_emit_msg_tool_call(ctx, is, in, ns, nn, as, an);
    } else { /* an object or array as its compact JSON; anything else "{}" */
      int ok = args.type == TI_JSON_OBJECT || args.type == TI_JSON_ARRAY;
      rc = ti_emit_msg_tool_call_jv(ctx, is, in, ns, nn, ok ? &args : NULL);
    }
    ti_buf_free(&args_buf);
  }
  return rc;
}

int ss_norm_message(ss_parser *p, ti_plugin_ctx *ctx, const ti_jv *raw, int nebius,
                    ss_msg *m) {
  ti_json_iter it;
  ti_jv k, v, role = {0}, content = {0}, text = {0}, sysp = {0}, calls = {0}, ids = {0},
               tcid = {0}, demo = {0};
  int rc;
  memset(m, 0, sizeof *m);
  m->role = SS_R_UNKNOWN;
  if (raw->type != TI_JSON_OBJECT) return TI_OK;
  ti_json_iter_init(&it, raw);
  while (ti_json_next_member(&it, &k, &v)) {
    /* compare raw key bytes: keys here never carry escapes */
    const char *kp = k.p + 1;
    size_t kn = k.n - 2;
#define KEY(s) (kn == sizeof(s) - 1 && memcmp(kp, s, kn) == 0)
    if (KEY("role")) role = v;
    else if (KEY("content")) content = v;
    else if (KEY("tool_calls")) calls = v;
    else if (KEY("tool_call_ids")) ids = v;
    else if (KEY("tool_call_id")) tcid = v;
    else if (KEY("agent")) m->agent = v;
    else if (KEY("is_demo")) demo = v;
    else if (nebius && KEY("text")) text = v;
    else if (nebius && KEY("system_prompt")) sysp = v;
#undef KEY
  }
  m->role = role_of(&role);
  m->is_demo = ti_json_is_true(&demo);
  if (m->role >= SS_R_DROP) return TI_OK;

  ti_buf_reset(&p->tmp);
  const ti_jv *src = &content;
  if (nebius) {
    src = (text.type == TI_JSON_STRING) ? &text : &sysp;
    if (m->role == SS_R_SYSTEM && sysp.type == TI_JSON_STRING && text.type != TI_JSON_STRING)
      src = &sysp;
  }
  /* One string: the message takes the input literal as it is (no decoding
   * and re-encoding when it is canonical); only an assistant's text is
   * decoded, for the checks below and student_action. */
  int one_string = src->type == TI_JSON_STRING;
  /* The decoded text is needed for content parts, and for an assistant's
   * student_action=xml; otherwise one string is only compared, undecoded. */
  int need_text = !one_string || (m->role == SS_R_ASSISTANT && p->opt.student_action == SS_SA_XML);
  if (need_text) {
    if ((rc = content_text(ctx, src, &p->tmp)) != TI_OK) return rc;
  } else if ((rc = ti_buf_append(&p->tmp, "", 0)) != TI_OK) {
    return rc;
  }
  m->content = p->tmp.p ? p->tmp.p : "";
  m->content_len = p->tmp.len;

  if (m->role == SS_R_ASSISTANT) {
    if (calls.type == TI_JSON_ARRAY && ti_json_count(&calls) > 0) m->tool_calls = calls;
    int syn, cost, window;
    if (need_text) {
      syn = m->content_len == sizeof syn_xml - 1 && memcmp(m->content, syn_xml, m->content_len) == 0;
      cost = m->content_len == 22 && memcmp(m->content, "Exit due to cost limit", 22) == 0;
      window = m->content_len == 26 && memcmp(m->content, "Exit due to context window", 26) == 0;
    } else { /* content_len: only whether there is text (ss_emit_state) */
      m->content_len = src->n > 2;
      syn = ti_json_str_eq(src, syn_xml);
      cost = ti_json_str_eq(src, "Exit due to cost limit");
      window = ti_json_str_eq(src, "Exit due to context window");
    }
    if (syn || (m->tool_calls.type == TI_JSON_INVALID && (cost || window))) m->synthetic = 1;
  }

  if ((rc = ti_emit_msg_begin(ctx, role_names[m->role])) != TI_OK) return rc;
  rc = one_string ? ti_emit_msg_content_jv(ctx, src)
                  : ti_emit_msg_content(ctx, m->content, m->content_len);
  if (rc != TI_OK) return rc;
  if (m->tool_calls.type == TI_JSON_ARRAY && (rc = emit_calls(p, ctx, &m->tool_calls)) != TI_OK)
    return rc;
  if (tcid.type != TI_JSON_STRING && ids.type == TI_JSON_ARRAY) {
    ti_json_iter_init(&it, &ids);
    if (!ti_json_next(&it, &tcid)) tcid.type = TI_JSON_INVALID;
  }
  if (tcid.type == TI_JSON_STRING) {
    const char *s;
    size_t n;
    if ((rc = ti_json_str(&tcid, &p->tmp2, &s, &n)) != TI_OK) return rc;
    if ((rc = ti_emit_msg_tool_call_id(ctx, s, n)) != TI_OK) return rc;
  }
  return ti_emit_msg_end(ctx, &m->msg);
}

int ss_text_message(ti_plugin_ctx *ctx, const char *role, const char *s, size_t n,
                    const ti_message **out) {
  int rc;
  if ((rc = ti_emit_msg_begin(ctx, role)) != TI_OK) return rc;
  if ((rc = ti_emit_msg_content(ctx, s, n)) != TI_OK) return rc;
  return ti_emit_msg_end(ctx, out);
}

/* ---- prescan ---------------------------------------------------------------- */
static int raw_contains(const ti_jv *v, const char *needle) {
  size_t nl = strlen(needle);
  if (v->type != TI_JSON_STRING && v->type != TI_JSON_ARRAY) return 0;
  if (v->n < nl) return 0;
  return memmem(v->p, v->n, needle, nl) != NULL;
}

/* Does a raw string value end with a ``` fence (trailing whitespace and
 * whitespace escapes ignored)? */
static int raw_ends_ticks(const ti_jv *v) {
  const char *b, *e;
  if (v->type != TI_JSON_STRING || v->n < 5) return 0;
  b = v->p + 1;
  e = v->p + v->n - 1; /* closing quote */
  for (;;) {
    if (e > b && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r')) {
      e--;
    } else if (e - b >= 2 && e[-2] == '\\' &&
               (e[-1] == 'n' || e[-1] == 'r' || e[-1] == 't')) {
      /* make sure the backslash is not itself escaped */
      size_t bs = 0;
      const char *q = e - 2;
      while (q >= b && *q == '\\') { bs++; q--; }
      if (bs % 2 == 0) break;
      e -= 2;
    } else {
      break;
    }
  }
  return e - b >= 3 && memcmp(e - 3, "```", 3) == 0;
}

void ss_prescan(const ti_jv *msgs, int nebius, int full, ss_scan *out) {
  ti_json_iter it, mit;
  ti_jv m, k, v;
  int has_tool = 0, has_xml = 0, has_ticks = 0;
  memset(out, 0, sizeof *out);
  ti_json_iter_init(&it, msgs);
  while (ti_json_next(&it, &m)) {
    ti_jv role = {0}, agent = {0}, demo = {0}, content = {0};
    int r;
    out->messages++;
    if (m.type != TI_JSON_OBJECT) continue;
    ti_json_iter_init(&mit, &m);
    while (ti_json_next_member(&mit, &k, &v)) {
      const char *kp = k.p + 1;
      size_t kn = k.n - 2;
#define KEY(s) (kn == sizeof(s) - 1 && memcmp(kp, s, kn) == 0)
      if (KEY("role")) role = v;
      else if (KEY("content") || (nebius && KEY("text"))) content = v;
      else if (KEY("agent")) agent = v;
      else if (KEY("is_demo")) demo = v;
      else if (KEY("tool_calls")) { if (v.type == TI_JSON_ARRAY) has_tool = 1; }
      else if (KEY("tool_call_ids") || KEY("message_type")) has_tool = 1;
      if (KEY("message_type")) out->saw_message_type = 1;
#undef KEY
    }
    r = role_of(&role);
    if (agent.type == TI_JSON_STRING) {
      if (ti_json_str_eq(&agent, "main")) out->saw_main = 1;
      if (ti_json_str_eq(&agent, "primary")) out->saw_primary = 1;
      has_tool = 1; /* raw SWE-agent history items */
    }
    if (r == SS_R_SYSTEM && out->agent0.type == TI_JSON_INVALID && agent.type == TI_JSON_STRING)
      out->agent0 = agent;
    if (r == SS_R_TOOL) has_tool = 1;
    if (r == SS_R_DROP) out->exit_msg = m;
    if (r == SS_R_ASSISTANT) {
      if (ti_json_is_true(&demo)) {
        out->demo_skipped++;
        continue;
      }
      if (out->agent0.type == TI_JSON_STRING && agent.type == TI_JSON_STRING &&
          !(agent.n == out->agent0.n && memcmp(agent.p, out->agent0.p, agent.n) == 0))
        continue;
      out->assistants++;
      if (!has_xml && raw_contains(&content, "<function=")) has_xml = 1;
      if (!has_ticks && raw_ends_ticks(&content)) has_ticks = 1;
    }
    /* rows only need the variant: SWE-agent keys show up in the system
     * message already, xml/ticks in the first assistant turn */
    if (!full && (has_tool || has_xml || has_ticks)) break;
  }
  out->variant = has_tool ? SS_V_TOOL : has_xml ? SS_V_XML : has_ticks ? SS_V_TICKS : SS_V_UNKNOWN;
}
