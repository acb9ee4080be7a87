/* SPDX-License-Identifier: MIT */
/* The "swe-smith" format: options, input modes, record dispatch, the ops. */
#include <string.h>

#include "swe_smith.h"

enum { MODE_LINES = 0, MODE_DOC = 1 };
enum { REC_OK = 0, REC_DONE = 1, REC_SKIP = 2 };

static const char *const option_keys[] = {
    "student_action", "attempts", "synthetic_turns", "unknown_role", "traj_tail",
    "patch_metadata", "traj_messages", NULL};

static int pick(const char *v, const char *a, const char *b, int *out) {
  if (!v) return 1;
  if (strcmp(v, a) == 0) { *out = 0; return 1; }
  if (strcmp(v, b) == 0) { *out = 1; return 1; }
  return 0;
}

static int parse_options(ss_parser *p, ti_plugin_ctx *ctx) {
  const char *v;
  const char *bad = NULL;
  p->opt.tail = ti_option_bool(ctx, "traj_tail", 1);
  p->opt.meta_patch = ti_option_bool(ctx, "patch_metadata", 1);
  v = ti_option(ctx, "student_action");
  if (v) {
    if (strcmp(v, "auto") == 0) p->opt.student_action = SS_SA_AUTO;
    else if (strcmp(v, "content") == 0) p->opt.student_action = SS_SA_CONTENT;
    else if (strcmp(v, "xml") == 0) p->opt.student_action = SS_SA_XML;
    else bad = "student_action (auto|content|xml)";
  }
  if (!pick(ti_option(ctx, "attempts"), "best", "all", &p->opt.attempts_all))
    bad = "attempts (best|all)";
  if (!pick(ti_option(ctx, "synthetic_turns"), "skip", "keep", &p->opt.keep_synthetic))
    bad = "synthetic_turns (skip|keep)";
  if (!pick(ti_option(ctx, "unknown_role"), "drop", "error", &p->opt.unknown_role_err))
    bad = "unknown_role (drop|error)";
  if (!pick(ti_option(ctx, "traj_messages"), "history", "steps", &p->opt.steps))
    bad = "traj_messages (history|steps)";
  if (bad) return ti_fail(ctx, TI_ERR_INVALID, 0, 0, SS_NAME ": bad value for option %s", bad);
  return TI_OK;
}

static void set_stem(ss_parser *p, const char *path) {
  static const char *const exts[] = {".traj.json", ".traj", ".jsonl", ".json", NULL};
  const char *b;
  size_t n;
  if (!path) {
    strcpy(p->stem, "input");
    return;
  }
  b = strrchr(path, '/');
  b = b ? b + 1 : path;
  n = strlen(b);
  for (int i = 0; exts[i]; i++) {
    size_t e = strlen(exts[i]);
    if (n > e && strcmp(b + n - e, exts[i]) == 0) {
      n -= e;
      break;
    }
  }
  if (n >= sizeof p->stem) n = sizeof p->stem - 1;
  memcpy(p->stem, b, n);
  p->stem[n] = 0;
}

/* One JSON document (an array, or an object pretty-printed over several
 * lines) rather than JSON Lines? Decided on the first line. */
static int looks_like_document(const char *b, size_t n) {
  size_t i = 0;
  if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) i = 3;
  while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
  if (i >= n) return 0;
  if (b[i] == '[') return 1;
  if (b[i] != '{') return 0;
  for (i++; i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r'); i++) {}
  return i >= n || b[i] == '\n';
}

static int create(void **out, ti_plugin_ctx *ctx) {
  ss_parser *p = ti_mem_calloc(1, sizeof *p);
  const char *path;
  int rc;
  *out = NULL;
  if (!p) return TI_ERR_NOMEM;
  p->conv.attempt = -1;
  if ((rc = parse_options(p, ctx)) != TI_OK) {
    ti_mem_free(p); /* the core does not call destroy() after a failed create() */
    return rc;
  }
  path = ti_input_path(ctx);
  set_stem(p, path);
  p->mode = MODE_LINES;
  if (!ti_input_is_dir(ctx)) {
    const char *head;
    size_t n = 0;
    int eof = 0;
    if ((rc = ti_input_peek(ctx, 4096, &head, &n, &eof)) != TI_OK) {
      ti_mem_free(p);
      return rc;
    }
    if (looks_like_document(head, n)) p->mode = MODE_DOC;
  }
  *out = p;
  return TI_OK;
}

static void destroy(void *vp) {
  ss_parser *p = vp;
  if (!p) return;
  ti_buf_free(&p->dec);
  ti_buf_free(&p->rcfg);
  ti_buf_free(&p->tid);
  ti_buf_free(&p->model);
  ti_buf_free(&p->sa);
  ti_buf_free(&p->tmp);
  ti_buf_free(&p->tmp2);
  ti_buf_free(&p->tmp3);
  ti_buf_free(&p->big);
  ti_buf_free(&p->rowmeta);
  ti_json_index_free(p->ix);
  ti_json_index_free(p->ixm);
  ti_mem_free(p->seen);
  ti_mem_free(p);
}

int ss_parse(ti_json_index **ix, const char *s, size_t n, uint32_t depth, ti_jv *val,
             ti_json_error *err) {
  if (!*ix && !(*ix = ti_json_index_new())) return TI_ERR_NOMEM;
  return ti_json_parse_indexed(s, n, depth, *ix, val, err);
}

static int parse_line(ss_parser *p, ti_plugin_ctx *ctx, const char *s, size_t n, uint64_t line, uint64_t off,
                      ti_jv *val) {
  ti_json_error err;
  int rc;
  memset(&err, 0, sizeof err);
  rc = ss_parse(&p->ix, s, n, ti_max_depth(ctx), val, &err);
  if (rc == TI_OK) return REC_OK;
  if (rc == TI_ERR_NOMEM) return rc;
  rc = ti_report(ctx, err.code ? err.code : TI_ERR_PARSE, line, off + err.offset, "%s", err.text);
  return rc == TI_OK ? REC_SKIP : rc;
}

/* The next record value with its position. */
static int next_record(ss_parser *p, ti_plugin_ctx *ctx, ti_jv *val, uint64_t *line,
                       uint64_t *off, uint64_t *line_end) {
  int rc;
  *line_end = 0;
  if (p->mode == MODE_LINES) {
    ti_record rec;
    rc = ti_input_next_line(ctx, &rec);
    if (rc != TI_OK) return rc == TI_DONE ? REC_DONE : rc;
    *line = rec.line;
    *off = rec.offset;
    return parse_line(p, ctx, rec.p, rec.len, rec.line, rec.offset, val);
  }
  if (!p->started) {
    if ((rc = ti_input_whole(ctx, &p->buf, &p->len)) != TI_OK) return rc;
    p->started = 1;
  }
  /* one document */
  if (!p->root_done && p->root.type == TI_JSON_INVALID) {
    ti_json_error err;
    memset(&err, 0, sizeof err);
    p->root_done = 1;
    if ((rc = ti_count(ctx, "records", 1)) != TI_OK) return rc;
    if ((rc = ss_parse(&p->ix, p->buf, p->len, ti_max_depth(ctx), &p->root, &err)) != TI_OK) {
      p->root.type = TI_JSON_INVALID;
      if (rc == TI_ERR_NOMEM) return rc;
      rc = ti_report(ctx, err.code ? err.code : TI_ERR_PARSE, ss_line_of(p, p->buf + err.offset),
                     err.offset, "%s", err.text);
      return rc == TI_OK ? REC_DONE : rc;
    }
    if (p->root.type == TI_JSON_ARRAY && ss_classify(&p->root) != SS_K_LIST) {
      p->root_is_array = 1;
      ti_json_iter_init(&p->root_it, &p->root);
    } else {
      *val = p->root;
      goto pos;
    }
  }
  if (!p->root_is_array || !ti_json_next(&p->root_it, val)) return REC_DONE;
  if (p->nrec > 0 && (rc = ti_count(ctx, "records", 1)) != TI_OK) return rc;
pos:
  *line = ss_line_of(p, val->p);
  *off = (uint64_t)(val->p - p->buf);
  *line_end = ss_line_of(p, val->p + val->n - 1);
  return REC_OK;
}

static const char columnar_msg[] =
    "column-wise pandas export ({\"messages\": {\"0\": ...}}, DataFrame.to_json's default "
    "orient=\"columns\") is not supported: export one row per line with "
    "Dataset.to_json() or DataFrame.to_json(orient=\"records\", lines=True)";

/* The RetryAgent attempt to read by default: the top level when it carries
 * the best attempt, else attempts[info.best_attempt_idx]. */
static int start_record(ss_parser *p, ti_plugin_ctx *ctx, const ti_jv *val, uint64_t line,
                        uint64_t off, uint64_t line_end) {
  int kind;
  ti_jv v;
  ss_members(val, p->recm);
  kind = ss_classify_members(val, p->recm);
  p->nrec++;
  p->conv.attempt = -1;
  switch (kind) {
  case SS_K_NONE:
    return ti_report(ctx, TI_ERR_PARSE, line, off,
                     "not a SWE-smith row, SWE-agent .traj or mini-swe-agent trajectory "
                     "(no messages/history/trajectory/trajectory_format member)");
  case SS_K_COLUMNAR:
    return ti_report(ctx, TI_ERR_PARSE, line, off, "%s", columnar_msg);
  case SS_K_RETRY:
    if (p->opt.attempts_all) {
      v = p->recm[SS_M_ATTEMPTS];
      p->retry_rec = *val;
      memcpy(p->retry_m, p->recm, sizeof p->retry_m);
      ti_json_iter_init(&p->att_it, &v);
      p->att_active = 1;
      p->att_index = 0;
      p->att_line = line;
      p->att_offset = off;
      return TI_OK;
    }
    if (p->recm[SS_M_HISTORY].type != TI_JSON_INVALID ||
        p->recm[SS_M_TRAJECTORY].type != TI_JSON_INVALID)
      return ss_conv_start(p, ctx, val, p->recm, SS_K_TRAJ, line, off, line_end);
    {
      int64_t best = -1, i = 0;
      ti_jv info, b, a, att;
      ti_json_iter it;
      info = p->recm[SS_M_INFO];
      if (ti_json_get(&info, "best_attempt_idx", &b)) ti_json_int(&b, &best);
      a = p->recm[SS_M_ATTEMPTS];
      ti_json_iter_init(&it, &a);
      att.type = TI_JSON_INVALID;
      while (ti_json_next(&it, &v)) {
        att = v;
        if (i++ == best) break;
      }
      if (att.type != TI_JSON_OBJECT)
        return ti_report(ctx, TI_ERR_PARSE, line, off, "RetryAgent trajectory without attempts");
      p->retry_rec = *val;
      memcpy(p->retry_m, p->recm, sizeof p->retry_m);
      p->conv.attempt = (int)(i - 1);
      return ss_conv_start(p, ctx, &att, NULL, SS_K_TRAJ, line, off, line_end);
    }
  default:
    return ss_conv_start(p, ctx, val, p->recm, kind, line, off, line_end);
  }
}

static int next(void *vp, ti_plugin_ctx *ctx) {
  ss_parser *p = vp;
  int rc;
  for (;;) {
    if (p->conv.active) {
      rc = ss_conv_step(p, ctx);
      if (rc < 0) return rc;
      if (rc == 1) return TI_OK;
      p->conv.active = 0;
      continue;
    }
    if (p->att_active) {
      ti_jv att;
      if (!ti_json_next(&p->att_it, &att)) {
        p->att_active = 0;
        continue;
      }
      p->conv.attempt = p->att_index++;
      if (att.type != TI_JSON_OBJECT) continue;
      rc = ss_conv_start(p, ctx, &att, NULL, SS_K_TRAJ, p->att_line, p->att_offset, 0);
      if (rc < 0) return rc;
      continue;
    }
    ti_jv val;
    uint64_t line = 0, off = 0, line_end = 0;
    rc = next_record(p, ctx, &val, &line, &off, &line_end);
    if (rc == REC_DONE) return TI_DONE;
    if (rc == REC_SKIP) continue;
    if (rc != REC_OK) return rc;
    if ((rc = start_record(p, ctx, &val, line, off, line_end)) != TI_OK) return rc;
  }
}

const ti_format_ops ti_format_swe_smith = {
    TI_FORMAT_ABI_VERSION,
    sizeof(ti_format_ops),
    SS_NAME,
    "SWE-smith dataset rows, SWE-agent .traj and mini-swe-agent .traj.json trajectories",
    option_keys,
    ss_probe,
    NULL,
    create,
    next,
    destroy,
};
