/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: a recall observation as the user message OpenHands
 * builds from it (formats/openhands.md 4.1: workspace context from the
 * additional_info template, triggered microagents from microagent_info).
 * The text below reproduces the templates' output, whitespace included,
 * then strips it as the prompt manager does. */
#include <string.h>

#include "oh.h"

static int strip_into(ti_buf *out, const ti_buf *raw) {
  size_t a = 0, b = raw->len;
  while (a < b && (raw->p[a] == ' ' || raw->p[a] == '\n' || raw->p[a] == '\t' ||
                   raw->p[a] == '\r'))
    a++;
  while (b > a && (raw->p[b - 1] == ' ' || raw->p[b - 1] == '\n' ||
                   raw->p[b - 1] == '\t' || raw->p[b - 1] == '\r'))
    b--;
  return ti_buf_append(out, raw->p ? raw->p + a : "", b - a);
}

static int nonempty(const ti_jv *obj, const char *key, ti_jv *v) {
  if (!oh_get(obj, key, v))
    return 0;
  if (v->type == TI_JSON_STRING)
    return v->n > 2;
  if (v->type == TI_JSON_OBJECT || v->type == TI_JSON_ARRAY)
    return ti_json_count(v) > 0;
  return 0;
}

/* Python str() of a JSON scalar used in the template (ports, strings). */
static int put_scalar(ti_buf *b, const ti_jv *v) {
  if (v->type == TI_JSON_STRING)
    return oh_append_str(b, v);
  return ti_buf_append(b, v->p, v->n);
}

static int workspace(ti_buf *raw, const ti_jv *x) {
  ti_jv name = {0}, dir = {0}, ri = {0}, hosts = {0}, add = {0}, sec = {0},
        date = {0}, conv = {0}, k, v;
  ti_json_iter it;
  int has_repo = nonempty(x, "repo_name", &name) | nonempty(x, "repo_directory", &dir);
  int has_ri = nonempty(x, "repo_instructions", &ri);
  (void)nonempty(x, "runtime_hosts", &hosts);
  (void)nonempty(x, "additional_agent_instructions", &add);
  int has_sec = nonempty(x, "custom_secrets_descriptions", &sec);
  int has_date = nonempty(x, "date", &date);
  int has_conv = nonempty(x, "conversation_instructions", &conv);
  if (!has_repo && !has_ri && !has_sec && !has_date && !has_conv)
    return 0;
  int rc = TI_OK;
#define P(s) (rc == TI_OK ? (rc = ti_buf_puts(raw, (s))) : rc)
#define S(j) (rc == TI_OK ? (rc = put_scalar(raw, (j))) : rc)
  if (has_repo) {
    P("\n<REPOSITORY_INFO>\nAt the user's request, repository ");
    S(&name);
    P(" has been cloned to the current working directory ");
    S(&dir);
    P(".\n</REPOSITORY_INFO>\n");
  }
  P("\n");
  if (has_ri) {
    P("<REPOSITORY_INSTRUCTIONS>\n");
    S(&ri);
    P("\n</REPOSITORY_INSTRUCTIONS>\n");
  }
  P("\n<RUNTIME_INFORMATION>\n");
  if (hosts.type == TI_JSON_OBJECT && ti_json_count(&hosts) > 0) {
    P("\nThe user has access to the following hosts for accessing a web application,\n"
      "each of which has a corresponding port:\n");
    ti_json_iter_init(&it, &hosts);
    while (ti_json_next_member(&it, &k, &v)) {
      P("* ");
      S(&k);
      P(" (port ");
      S(&v);
      P(")\n");
    }
    P("\nWhen starting a web server, use the corresponding ports. You should also\n"
      "set any options to allow iframes and CORS requests, and allow the server to\n"
      "be accessed from any host (e.g. 0.0.0.0).\n"
      "For example, if you are using vite.config.js, you should set server.host and "
      "server.allowedHosts to true\n");
  }
  P("\n");
  if (add.type == TI_JSON_STRING && add.n > 2) {
    P("\n");
    S(&add);
    P("\n");
  }
  P("\n");
  if (has_sec && sec.type == TI_JSON_OBJECT) {
    P("\n<CUSTOM_SECRETS>\nYou are have access to the following environment variables\n");
    ti_json_iter_init(&it, &sec);
    while (ti_json_next_member(&it, &k, &v)) {
      P("\n* $**");
      S(&k);
      P("**: ");
      S(&v);
      P("\n");
    }
    P("\n</CUSTOM_SECRETS>\n");
  }
  P("\n");
  if (has_date) {
    P("\nToday's date is ");
    S(&date);
    P(" (UTC).\n");
  }
  P("\n</RUNTIME_INFORMATION>\n");
  if (has_conv) {
    P("\n<CONVERSATION_INSTRUCTIONS>\n");
    S(&conv);
    P("\n</CONVERSATION_INSTRUCTIONS>\n");
  }
#undef P
#undef S
  return rc == TI_OK ? 1 : rc;
}

/* 1 if a microagent called `name` appears in a recall observation before i. */
static int seen_before(const oh_traj *t, size_t i, const ti_jv *name) {
  for (size_t j = 0; j < i; j++) {
    const oh_ev *e = &t->ev[j];
    ti_jv list, a, n;
    if (e->ver != 0 || e->kind != OH_K_OBS_USER || !ti_json_str_eq(&e->type, "recall"))
      continue;
    if (!oh_get(&e->extras, "microagent_knowledge", &list))
      continue;
    ti_json_iter it;
    ti_json_iter_init(&it, &list);
    while (ti_json_next(&it, &a))
      if (ti_json_get(&a, "name", &n) && oh_jv_streq(&n, name))
        return 1;
  }
  return 0;
}

static int microagents(ti_buf *raw, const oh_traj *t, size_t i, int knowledge) {
  const ti_jv *x = &t->ev[i].extras;
  ti_jv list, a, v;
  int n = 0, rc = TI_OK;
  if (!oh_get(x, "microagent_knowledge", &list) || list.type != TI_JSON_ARRAY)
    return 0;
  ti_json_iter it;
  ti_json_iter_init(&it, &list);
  while (ti_json_next(&it, &a) && rc == TI_OK) {
    ti_jv name = {0};
    (void)ti_json_get(&a, "name", &name);
    if (knowledge && name.type == TI_JSON_STRING && seen_before(t, i, &name))
      continue;
    rc = ti_buf_puts(raw, "\n<EXTRA_INFO>\nThe following information has been "
                          "included based on a keyword match for \"");
    if (rc == TI_OK && oh_get(&a, "trigger", &v))
      rc = oh_append_str(raw, &v);
    if (rc == TI_OK)
      rc = ti_buf_puts(raw, "\".\nIt may or may not be relevant to the user's "
                            "request.\n\n");
    if (rc == TI_OK && oh_get(&a, "content", &v))
      rc = oh_append_str(raw, &v);
    if (rc == TI_OK)
      rc = ti_buf_puts(raw, "\n</EXTRA_INFO>\n");
    n++;
  }
  return rc == TI_OK ? n > 0 : rc;
}

int oh_render_recall(ti_buf *out, const oh_traj *t, size_t i) {
  const ti_jv *x = &t->ev[i].extras;
  ti_jv rt = {0};
  ti_buf raw = {0};
  int rc, knowledge;
  (void)oh_get(x, "recall_type", &rt);
  knowledge = ti_json_str_eq(&rt, "knowledge");
  if (!knowledge) {
    rc = workspace(&raw, x);
    if (rc > 0)
      rc = strip_into(out, &raw);
    if (rc < 0)
      goto done;
  }
  ti_buf_reset(&raw);
  rc = microagents(&raw, t, i, knowledge);
  if (rc > 0) {
    rc = out->len ? ti_buf_puts(out, "\n") : TI_OK;
    if (rc == TI_OK)
      rc = strip_into(out, &raw);
  }
done:
  ti_buf_free(&raw);
  return rc < 0 ? rc : TI_OK;
}
