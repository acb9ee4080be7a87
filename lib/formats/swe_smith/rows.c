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

/* Row metadata: the same for every state of the row, so its members are
 * written once, as compact JSON, and spliced into each state. */
static int rm_key(ti_buf *b, const char *key) {
  int rc = b->len > 1 ? ti_buf_puts(b, ",") : TI_OK;
  if (rc == TI_OK) rc = ti_buf_json_string(b, key, strlen(key));
  return rc ? rc : ti_buf_puts(b, ":");
}

static int rm_jv(ti_buf *b, const char *key, const ti_jv *v) {
  if (v->type == TI_JSON_INVALID) return TI_OK;
  int rc = rm_key(b, key);
  return rc ? rc : ti_json_write_compact(v, b);
}

static int rm_str(ti_buf *b, const char *key, const char *s) {
  int rc = rm_key(b, key);
  return rc ? rc : ti_buf_json_string(b, s, strlen(s));
}

static int rm_bool(ti_buf *b, const char *key, int v) {
  int rc = rm_key(b, key);
  return rc ? rc : ti_buf_puts(b, v ? "true" : "false");
}

static int row_meta_make(ss_parser *p, ss_conv *c, ti_buf *b) {
  const ti_jv *m = c->m;
  ti_jv v;
  int rc = ti_buf_puts(b, "{");
  if (rc == TI_OK && c->kind == SS_K_ROW) {
    const char *vn = ss_variant_name(c->scan.variant);
    if (vn) rc = rm_str(b, "variant", vn);
    if (rc == TI_OK) rc = rm_jv(b, "instance_id", &m[SS_M_INSTANCE_ID]);
    if (rc == TI_OK) rc = rm_jv(b, "traj_id", &m[SS_M_TRAJ_ID]);
    if (rc == TI_OK) rc = rm_jv(b, "resolved", &m[SS_M_RESOLVED]);
    if (rc == TI_OK) rc = rm_jv(b, "model", &m[SS_M_MODEL]);
    if (rc == TI_OK && p->opt.meta_patch) rc = rm_jv(b, "patch", &m[SS_M_PATCH]);
    if (rc == TI_OK) rc = rm_jv(b, "id", &m[SS_M_ID]);
  } else if (rc == TI_OK && c->kind == SS_K_SWEGYM) {
    rc = rm_str(b, "source", "swe-gym");
    if (rc == TI_OK) rc = rm_jv(b, "instance_id", &m[SS_M_INSTANCE_ID]);
    if (rc == TI_OK) rc = rm_jv(b, "run_id", &m[SS_M_RUN_ID]);
    if (rc == TI_OK) rc = rm_jv(b, "resolved", &m[SS_M_RESOLVED]);
  } else if (rc == TI_OK && c->kind == SS_K_NEBIUS) {
    rc = rm_str(b, "source", "nebius");
    if (rc == TI_OK) rc = rm_jv(b, "instance_id", &m[SS_M_INSTANCE_ID]);
    if (rc == TI_OK) rc = rm_jv(b, "model", &m[SS_M_MODEL_NAME]);
    if (rc == TI_OK && (v = m[SS_M_TARGET]).type != TI_JSON_INVALID) {
      /* the resolution label: a bool, or the strings "True"/"False" */
      if (v.type == TI_JSON_STRING && (ti_json_str_eq(&v, "True") || ti_json_str_eq(&v, "true")))
        rc = rm_bool(b, "resolved", 1);
      else if (v.type == TI_JSON_STRING &&
               (ti_json_str_eq(&v, "False") || ti_json_str_eq(&v, "false")))
        rc = rm_bool(b, "resolved", 0);
      else
        rc = rm_jv(b, "resolved", &v);
    }
    if (rc == TI_OK) rc = rm_jv(b, "exit_status", &m[SS_M_EXIT_STATUS]);
    if (rc == TI_OK && p->opt.meta_patch) rc = rm_jv(b, "patch", &m[SS_M_GENERATED_PATCH]);
  }
  if (rc == TI_OK) rc = rm_key(b, "row");
  if (rc == TI_OK) rc = ti_buf_printf(b, "%zu}", c->row);
  return rc;
}

int ss_row_meta(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c) {
  if (c->kind == SS_K_LIST) return TI_OK;
  if (!p->rowmeta.len || p->rowmeta_src != c->rec.p || p->rowmeta_row != c->row) {
    ti_buf_reset(&p->rowmeta);
    int rc = row_meta_make(p, c, &p->rowmeta);
    if (rc != TI_OK) {
      ti_buf_reset(&p->rowmeta);
      return rc;
    }
    p->rowmeta_src = c->rec.p;
    p->rowmeta_row = c->row;
  }
  ti_jv o = {.p = p->rowmeta.p, .n = p->rowmeta.len, .type = TI_JSON_OBJECT,
             .flags = TI_JV_CANONICAL};
  return ti_emit_meta_members_jv(ctx, &o);
}
