/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: observations and text-era actions rendered the way
 * OpenHands renders them for the model (formats/openhands.md 4.1 step 3,
 * 3.4, and the pre-function-calling CodeActAgent). */
#include <string.h>

#include "oh.h"

#define IMG_MARK "![image](data:image/png;base64,"
#define IMG_REPL "![image](data:image/png;base64, ...) already displayed to user"

static int put_int(ti_buf *b, int64_t v) {
  return oh_put_int(b, v);
}

/* Append `v` (a string) with lines holding inline base64 images replaced. */
static int append_ipython(ti_buf *b, const ti_jv *v) {
  size_t start = b->len;
  int rc = oh_append_str(b, v);
  if (rc != TI_OK || b->len == start || !memmem(b->p + start, b->len - start,
                                                IMG_MARK, sizeof IMG_MARK - 1))
    return rc;
  ti_buf tmp = {0};
  const char *p = b->p + start, *end = b->p + b->len;
  while (p <= end && rc == TI_OK) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    if (memmem(p, (size_t)(le - p), IMG_MARK, sizeof IMG_MARK - 1))
      rc = ti_buf_puts(&tmp, IMG_REPL);
    else
      rc = ti_buf_append(&tmp, p, (size_t)(le - p));
    if (nl && rc == TI_OK)
      rc = ti_buf_append(&tmp, "\n", 1);
    if (!nl)
      break;
    p = nl + 1;
  }
  if (rc == TI_OK) {
    b->len = start;
    rc = ti_buf_append(b, tmp.p ? tmp.p : "", tmp.len);
  }
  ti_buf_free(&tmp);
  return rc;
}

/* CmdOutputObservation.to_agent_observation: prefix + content + suffix and
 * the working-directory / interpreter / exit-code lines (one pass over the
 * metadata object). `legacy_exit` is used when there is no metadata. */
static int append_cmd_output(ti_buf *b, const ti_jv *meta, const ti_jv *content,
                             int64_t legacy_exit) {
  ti_jv prefix = {0}, suffix = {0}, wd = {0}, py = {0}, code_v = {0}, k, v;
  ti_json_iter it;
  int rc = TI_OK;
  int64_t code = legacy_exit;
  ti_json_iter_init(&it, meta);
  while (ti_json_next_member(&it, &k, &v)) {
    if (ti_json_str_eq(&k, "prefix"))
      prefix = v;
    else if (ti_json_str_eq(&k, "suffix"))
      suffix = v;
    else if (ti_json_str_eq(&k, "working_dir"))
      wd = v;
    else if (ti_json_str_eq(&k, "py_interpreter_path"))
      py = v;
    else if (ti_json_str_eq(&k, "exit_code"))
      code_v = v;
  }
  if (meta->type == TI_JSON_OBJECT && ti_json_int(&code_v, &code) != TI_OK)
    code = -1;
  rc = oh_append_str(b, &prefix);
  if (rc == TI_OK && content)
    rc = oh_append_text(b, content, "\n");
  if (rc == TI_OK)
    rc = oh_append_str(b, &suffix);
  if (rc == TI_OK && wd.type == TI_JSON_STRING && wd.n > 2) {
    rc = ti_buf_puts(b, "\n[Current working directory: ");
    if (rc == TI_OK)
      rc = oh_append_str(b, &wd);
    if (rc == TI_OK)
      rc = ti_buf_puts(b, "]");
  }
  if (rc == TI_OK && py.type == TI_JSON_STRING && py.n > 2) {
    rc = ti_buf_puts(b, "\n[Python interpreter: ");
    if (rc == TI_OK)
      rc = oh_append_str(b, &py);
    if (rc == TI_OK)
      rc = ti_buf_puts(b, "]");
  }
  if (rc == TI_OK && code != -1) {
    rc = ti_buf_puts(b, "\n[Command finished with exit code ");
    if (rc == TI_OK)
      rc = put_int(b, code);
    if (rc == TI_OK)
      rc = ti_buf_puts(b, "]");
  }
  return rc;
}

static int v0_run(ti_buf *b, const oh_ev *e) {
  ti_jv meta = {0};
  if (oh_get(&e->extras, "metadata", &meta) && meta.type == TI_JSON_OBJECT)
    return append_cmd_output(b, &meta, &e->content, -1);
  return append_cmd_output(b, &meta, &e->content,
                           oh_get_int(&e->extras, "exit_code", -1));
}

int oh_render_v0_obs(ti_buf *out, const oh_ev *e) {
  const ti_jv *ty = &e->type;
  ti_jv v;
  int rc;
  if (ti_json_str_eq(ty, "run"))
    return v0_run(out, e);
  if (ti_json_str_eq(ty, "run_ipython"))
    return append_ipython(out, &e->content);
  if (ti_json_str_eq(ty, "error")) {
    rc = oh_append_str(out, &e->content);
    return rc ? rc : ti_buf_puts(out, "\n[Error occurred in processing last action]");
  }
  if (ti_json_str_eq(ty, "user_rejected")) {
    rc = ti_buf_puts(out, "OBSERVATION:\n");
    if (rc == TI_OK)
      rc = oh_append_str(out, &e->content);
    return rc ? rc : ti_buf_puts(out, "\n[Last action has been rejected by the user]");
  }
  if (ti_json_str_eq(ty, "delegate") &&
      ti_json_getv(&e->extras, &v, "outputs", "content", (const char *)NULL) &&
      v.type == TI_JSON_STRING)
    return oh_append_str(out, &v);
  return oh_append_str(out, &e->content);
}

const ti_jv *oh_v0_obs_sole(const oh_ev *e) {
  const ti_jv *ty = &e->type;
  if (e->ver != 0 || e->content.type != TI_JSON_STRING || ti_json_str_eq(ty, "run") ||
      ti_json_str_eq(ty, "run_ipython") || ti_json_str_eq(ty, "error") ||
      ti_json_str_eq(ty, "user_rejected") || ti_json_str_eq(ty, "delegate"))
    return NULL;
  return &e->content;
}

int oh_render_v0_obs_user(ti_buf *out, const oh_traj *t, size_t i, int prefc) {
  const oh_ev *e = &t->ev[i];
  const ti_jv *ty = &e->type;
  int rc;
  if (ti_json_str_eq(ty, "recall"))
    return oh_render_recall(out, t, i);
  if (!prefc) {
    if (ti_json_str_eq(ty, "run")) {
      rc = ti_buf_puts(out, "\nObserved result of command executed by user:\n");
      return rc ? rc : v0_run(out, e);
    }
    return oh_render_v0_obs(out, e);
  }
  /* Pre-function-calling CodeActAgent: observations as "OBSERVATION:". */
  rc = ti_buf_puts(out, "OBSERVATION:\n");
  if (rc != TI_OK)
    return rc;
  if (ti_json_str_eq(ty, "run")) {
    rc = oh_append_str(out, &e->content);
    if (rc == TI_OK)
      rc = ti_buf_puts(out, "\n[Command ");
    if (rc == TI_OK)
      rc = put_int(out, oh_get_int(&e->extras, "command_id", -1));
    if (rc == TI_OK)
      rc = ti_buf_puts(out, " finished with exit code ");
    if (rc == TI_OK)
      rc = put_int(out, oh_get_int(&e->extras, "exit_code", -1));
    return rc ? rc : ti_buf_puts(out, "]");
  }
  if (ti_json_str_eq(ty, "run_ipython"))
    return append_ipython(out, &e->content);
  if (ti_json_str_eq(ty, "delegate")) {
    ti_jv v;
    if (oh_get(&e->extras, "outputs", &v))
      return ti_json_write_compact(&v, out);
    return TI_OK;
  }
  rc = oh_append_str(out, &e->content);
  if (rc == TI_OK && ti_json_str_eq(ty, "error"))
    rc = ti_buf_puts(out, "\n[Error occurred in processing last action]");
  return rc;
}

static int tagged(ti_buf *b, const ti_jv *thought, const char *tag,
                  const ti_jv *body) {
  int rc = oh_append_str(b, thought);
  if (rc == TI_OK)
    rc = ti_buf_printf(b, "\n<%s>\n", tag);
  if (rc == TI_OK)
    rc = oh_append_str(b, body);
  if (rc == TI_OK)
    rc = ti_buf_printf(b, "\n</%s>", tag);
  return rc;
}

int oh_render_v0_text_turn(ti_buf *out, const oh_ev *e) {
  const ti_jv *ty = &e->type;
  ti_jv thought = {0}, v = {0};
  (void)oh_get(&e->args, "thought", &thought);
  if (ti_json_str_eq(ty, "run")) {
    (void)oh_get(&e->args, "command", &v);
    return tagged(out, &thought, "execute_bash", &v);
  }
  if (ti_json_str_eq(ty, "run_ipython")) {
    (void)oh_get(&e->args, "code", &v);
    return tagged(out, &thought, "execute_ipython", &v);
  }
  if (ti_json_str_eq(ty, "delegate")) {
    (void)ti_json_getv(&e->args, &v, "inputs", "task", (const char *)NULL);
    return tagged(out, &thought, "execute_browse", &v);
  }
  if (ti_json_str_eq(ty, "message")) {
    if (oh_get(&e->args, "content", &v) || oh_get(&e->obj, "content", &v))
      return oh_append_str(out, &v);
    return TI_OK;
  }
  return oh_append_str(out, &thought);
}

int oh_render_v0_user(ti_buf *out, const oh_ev *e) {
  ti_jv v = {0};
  if (ti_json_str_eq(&e->type, "run")) {
    int rc = ti_buf_puts(out, "User executed the command:\n");
    (void)oh_get(&e->args, "command", &v);
    return rc ? rc : oh_append_str(out, &v);
  }
  if (oh_get(&e->args, "content", &v) || oh_get(&e->obj, "content", &v))
    return oh_append_str(out, &v);
  return TI_OK;
}

/* v1 observation text parts, joined with "\n" as the string serializer does. */
static int v1_obs(ti_buf *b, const ti_jv *obs) {
  ti_jv kind = {0}, content = {0}, v;
  int rc = TI_OK;
  (void)ti_json_get(obs, "kind", &kind);
  if (!oh_get(obs, "content", &content))
    (void)oh_get(obs, "output", &content); /* pre-1.0 ExecuteBashObservation */
  if (oh_get_true(obs, "is_error"))
    rc = ti_buf_puts(b, "[An error occurred during execution.]\n\n");
  if (rc != TI_OK)
    return rc;
  if (ti_json_str_eq(&kind, "TerminalObservation") ||
      ti_json_str_eq(&kind, "ExecuteBashObservation")) {
    ti_jv meta = {0};
    (void)oh_get(obs, "metadata", &meta);
    return append_cmd_output(b, &meta, &content, -1);
  }
  rc = oh_append_text(b, &content, "\n");
  if (rc == TI_OK && content.type == TI_JSON_INVALID && oh_get(obs, "error", &v))
    rc = oh_append_str(b, &v);
  return rc;
}

static int append_extended(ti_buf *b, const ti_jv *ev) {
  ti_jv ext;
  if (!oh_get(ev, "extended_content", &ext) || ext.type != TI_JSON_ARRAY ||
      ti_json_count(&ext) == 0)
    return TI_OK;
  int rc = b->len ? ti_buf_puts(b, "\n") : TI_OK;
  return rc ? rc : oh_append_text(b, &ext, "\n");
}

int oh_render_v1_result(ti_buf *out, const oh_ev *e) {
  ti_jv v = {0};
  int rc;
  if (ti_json_str_eq(&e->type, "AgentErrorEvent")) {
    (void)oh_get(&e->obj, "error", &v);
    return oh_append_str(out, &v);
  }
  if (ti_json_str_eq(&e->type, "UserRejectObservation")) {
    rc = ti_buf_puts(out, "Action rejected: ");
    (void)oh_get(&e->obj, "rejection_reason", &v);
    return rc ? rc : oh_append_str(out, &v);
  }
  rc = v1_obs(out, &e->extras);
  return rc ? rc : append_extended(out, &e->obj);
}

int oh_render_v1_message(ti_buf *out, const oh_ev *e) {
  ti_jv content = {0};
  int rc = TI_OK;
  if (ti_json_str_eq(&e->type, "CondensationSummaryEvent")) {
    (void)oh_get(&e->obj, "summary", &content);
    return oh_append_str(out, &content);
  }
  if (ti_json_getv(&e->obj, &content, "llm_message", "content", (const char *)NULL))
    rc = oh_append_text(out, &content, "\n");
  return rc ? rc : append_extended(out, &e->obj);
}
