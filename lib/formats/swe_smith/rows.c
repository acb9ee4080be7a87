/* SPDX-License-Identifier: MIT */
/* Dataset rows: SWE-smith (messages as a JSON string or a list), SWE-Gym
 * OpenHands-sampled rows, nebius SWE-agent-trajectories rows, bare message
 * lists (reference §1, §6). */
#include <string.h>

#include "swe_smith.h"

static int str_member(ss_parser *p, const ti_jv *v, ti_buf *out) {
  const char *s;
  size_t n;
  int rc;
  if (v->type != TI_JSON_STRING) return 0;
  if ((rc = ti_json_str(v, &p->tmp3, &s, &n)) != TI_OK) return rc;
  if ((rc = ti_buf_append(out, s, n)) != TI_OK) return rc;
  return 1;
}

/* messages: a list, or a JSON string holding one (HF to_json exports). */
static int row_messages(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c, const char *member) {
  ti_jv v = c->m[c->kind == SS_K_NEBIUS ? SS_M_TRAJECTORY : SS_M_MESSAGES];
  ti_json_error err;
  int rc;
  if (v.type == TI_JSON_INVALID)
    return ti_report(ctx, TI_ERR_PARSE, c->line, c->offset, "row has no \"%s\"", member);
  if (v.type == TI_JSON_ARRAY) {
    c->msgs = v;
    c->in_input = p->mode == 1;
    return TI_OK;
  }
  if (v.type != TI_JSON_STRING)
    return ti_report(ctx, TI_ERR_PARSE, c->line, c->offset,
                     "row \"%s\" is neither a list nor a JSON string holding one", member);
  const char *s;
  size_t n;
  if ((rc = ti_json_str(&v, &p->dec, &s, &n)) != TI_OK) return rc;
  memset(&err, 0, sizeof err);
  if ((rc = ss_parse(&p->ixm, s, n, ti_max_depth(ctx), &c->msgs, &err)) != TI_OK) {
    c->msgs.type = TI_JSON_INVALID;
    if (rc == TI_ERR_NOMEM) return rc;
    return ti_report(ctx, err.code ? err.code : TI_ERR_PARSE, c->line, c->offset,
                     "row \"%s\" string does not hold valid JSON: %s (byte %zu of the "
                     "decoded string)", member, err.text, err.offset);
  }
  if (c->msgs.type != TI_JSON_ARRAY) {
    c->msgs.type = TI_JSON_INVALID;
    return ti_report(ctx, TI_ERR_PARSE, c->line, c->offset,
                     "row \"%s\" string does not hold a JSON array", member);
  }
  c->in_input = 0;
  if ((rc = ti_count(ctx, SS_NAME ".string_messages", 1)) != TI_OK) return rc;
  return TI_OK;
}

int ss_row_setup(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c) {
  int rc, got;
  ti_buf_reset(&p->tmp);
  if (c->kind == SS_K_LIST) {
    c->msgs = c->rec;
    c->in_input = p->mode == 1;
    ss_prescan(&c->msgs, 0, 0, &c->scan);
    if ((rc = ss_set_tid(p, p->stem, strlen(p->stem), c->row)) != TI_OK) return rc;
    c->active = 1;
    return TI_OK;
  }
  c->msgs.type = TI_JSON_INVALID;
  rc = row_messages(p, ctx, c, c->kind == SS_K_NEBIUS ? "trajectory" : "messages");
  if (rc != TI_OK || c->msgs.type != TI_JSON_ARRAY) return rc;
  ss_prescan(&c->msgs, c->kind == SS_K_NEBIUS, 0, &c->scan);

  /* trajectory id: <variant>/<traj_id> (one traj_id exists in all three
   * splits), else instance_id, else the file stem */
  ti_buf_reset(&p->tmp);
  got = 0;
  if (c->kind == SS_K_ROW) {
    const char *vn = ss_variant_name(c->scan.variant);
    if (vn && c->m[SS_M_TRAJ_ID].type == TI_JSON_STRING) {
      if ((rc = ti_buf_printf(&p->tmp, "%s/", vn)) != TI_OK) return rc;
    }
    got = str_member(p, &c->m[SS_M_TRAJ_ID], &p->tmp);
    if (got < 0) return got;
    if (!got) ti_buf_reset(&p->tmp);
  }
  if (!got && (got = str_member(p, &c->m[SS_M_INSTANCE_ID], &p->tmp)) < 0) return got;
  if (!got && (rc = ti_buf_puts(&p->tmp, p->stem)) != TI_OK) return rc;
  if ((rc = ss_set_tid(p, p->tmp.p, p->tmp.len, c->row)) != TI_OK) return rc;

  got = str_member(p, &c->m[c->kind == SS_K_NEBIUS ? SS_M_MODEL_NAME : SS_M_MODEL], &p->model);
  if (got < 0) return got;
  c->active = 1;
  return TI_OK;
}

int ss_row_meta(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c) {
  int rc = TI_OK;
  const ti_jv *m = c->m;
  ti_jv v;
  if (c->kind == SS_K_LIST) return TI_OK;
  if (c->kind == SS_K_ROW) {
    const char *vn = ss_variant_name(c->scan.variant);
    if (vn) rc = ti_emit_meta_str(ctx, "variant", vn, strlen(vn));
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "instance_id", &m[SS_M_INSTANCE_ID]);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "traj_id", &m[SS_M_TRAJ_ID]);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "resolved", &m[SS_M_RESOLVED]);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "model", &m[SS_M_MODEL]);
    if (rc == TI_OK && p->opt.meta_patch) rc = ss_meta_big(p, ctx, "patch", &m[SS_M_PATCH]);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "id", &m[SS_M_ID]);
  } else if (c->kind == SS_K_SWEGYM) {
    rc = ti_emit_meta_str(ctx, "source", "swe-gym", 7);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "instance_id", &m[SS_M_INSTANCE_ID]);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "run_id", &m[SS_M_RUN_ID]);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "resolved", &m[SS_M_RESOLVED]);
  } else if (c->kind == SS_K_NEBIUS) {
    rc = ti_emit_meta_str(ctx, "source", "nebius", 6);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "instance_id", &m[SS_M_INSTANCE_ID]);
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "model", &m[SS_M_MODEL_NAME]);
    if (rc == TI_OK && (v = m[SS_M_TARGET]).type != TI_JSON_INVALID) {
      /* the resolution label: a bool, or the strings "True"/"False" */
      if (v.type == TI_JSON_STRING && (ti_json_str_eq(&v, "True") || ti_json_str_eq(&v, "true")))
        rc = ti_emit_meta_bool(ctx, "resolved", 1);
      else if (v.type == TI_JSON_STRING &&
               (ti_json_str_eq(&v, "False") || ti_json_str_eq(&v, "false")))
        rc = ti_emit_meta_bool(ctx, "resolved", 0);
      else
        rc = ss_meta_jv(ctx, "resolved", &v);
    }
    if (rc == TI_OK) rc = ss_meta_jv(ctx, "exit_status", &m[SS_M_EXIT_STATUS]);
    if (rc == TI_OK && p->opt.meta_patch) rc = ss_meta_big(p, ctx, "patch", &m[SS_M_GENERATED_PATCH]);
  }
  if (rc == TI_OK) rc = ti_emit_meta_int(ctx, "row", (int64_t)c->row);
  return rc;
}
