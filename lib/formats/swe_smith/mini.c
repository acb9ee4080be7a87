/* SPDX-License-Identifier: MIT */
/* mini-swe-agent .traj.json, trajectory_format "mini-swe-agent-1" (v1:
 * {role, content} + extra) and "mini-swe-agent-1.1" (v2: native messages,
 * tool calls, a final role "exit" message) -- reference §5. */
#include <string.h>

#include "swe_smith.h"

int ss_mini_setup(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c) {
  ti_jv v;
  const char *s;
  size_t n;
  int rc;
  if ((v = c->m[SS_M_MESSAGES]).type != TI_JSON_ARRAY)
    return ti_report(ctx, TI_ERR_PARSE, c->line, c->offset,
                     "mini-swe-agent trajectory has no \"messages\" list");
  c->msgs = v;
  c->in_input = p->mode == 1;
  ss_prescan(&c->msgs, 0, 1, &c->scan);
  ti_buf_reset(&p->tmp);
  if ((v = c->m[SS_M_INSTANCE_ID]).type == TI_JSON_STRING) {
    if ((rc = ti_json_str_append(&v, &p->tmp)) != TI_OK) return rc;
  } else if ((rc = ti_buf_puts(&p->tmp, p->stem)) != TI_OK) {
    return rc;
  }
  if ((rc = ss_set_tid(p, p->tmp.p, p->tmp.len, c->row)) != TI_OK) return rc;
  if (ti_json_getv(&c->m[SS_M_INFO], &v, "config", "model", "model_name", (const char *)NULL) &&
      v.type == TI_JSON_STRING) {
    if ((rc = ti_json_str(&v, &p->tmp3, &s, &n)) != TI_OK) return rc;
    if ((rc = ti_buf_append(&p->model, s, n)) != TI_OK) return rc;
  }
  c->active = 1;
  return TI_OK;
}

int ss_mini_meta(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c) {
  ti_jv info, extra, v;
  int rc = ti_emit_meta_str(ctx, "source", "mini-swe-agent", 14);
  int has_info = (info = c->m[SS_M_INFO]).type == TI_JSON_OBJECT;
  int has_exit = ti_json_get(&c->scan.exit_msg, "extra", &extra) && extra.type == TI_JSON_OBJECT;
  if (rc == TI_OK) rc = ss_meta_jv(ctx, "trajectory_format", &c->m[SS_M_TRAJ_FORMAT]);
  if (rc == TI_OK && has_info) rc = ss_meta_member(ctx, &info, "mini_version", NULL);
  if (rc == TI_OK) rc = ss_meta_jv(ctx, "instance_id", &c->m[SS_M_INSTANCE_ID]);
  if (rc == TI_OK) {
    if (has_info && ti_json_get(&info, "exit_status", &v)) rc = ss_meta_jv(ctx, "exit_status", &v);
    else if (has_exit) rc = ss_meta_member(ctx, &extra, "exit_status", NULL);
  }
  if (rc == TI_OK && p->opt.meta_patch) {
    if (has_info && ti_json_get(&info, "submission", &v)) rc = ss_meta_big(p, ctx, "submission", &v);
    else if (has_exit) rc = ss_meta_member(ctx, &extra, "submission", NULL);
  }
  if (rc == TI_OK && has_info) rc = ss_meta_member(ctx, &info, "model_stats", NULL);
  return rc;
}
