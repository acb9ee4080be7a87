/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: the ti_format_ops vtable, options, create/next/destroy.
 * See docs/formats/openhands.md for what is read and how it is mapped. */
#include <string.h>

#include "walk.h"

static const char *const option_keys[] = {
    "condense",       /* as_seen (default) | full                   */
    "recall",         /* render (default) | omit                    */
    "tools_metadata", /* first (default) | all | none               */
    "student_calls",  /* bool, default 1: render calls when no text */
    "strip_think",    /* bool, default 1: drop duplicated <think>   */
    NULL};

typedef struct oh_parser {
  ti_plugin_ctx *ctx;
  oh_source *src;
  oh_walk *walk;
  oh_traj traj;
  oh_opts opts;
  int active; /* a trajectory is being walked */
} oh_parser;

static int read_opts(ti_plugin_ctx *ctx, oh_opts *o) {
  const char *v;
  o->condense = 1;
  o->recall = 1;
  if ((v = ti_option(ctx, "condense")) != NULL) {
    if (strcmp(v, "full") == 0)
      o->condense = 0;
    else if (strcmp(v, "as_seen") != 0)
      return ti_fail(ctx, TI_ERR_INVALID, 0, 0,
                     "condense must be as_seen or full, not '%s'", v);
  }
  if ((v = ti_option(ctx, "recall")) != NULL) {
    if (strcmp(v, "omit") == 0)
      o->recall = 0;
    else if (strcmp(v, "render") != 0)
      return ti_fail(ctx, TI_ERR_INVALID, 0, 0,
                     "recall must be render or omit, not '%s'", v);
  }
  o->tools_meta = 1;
  if ((v = ti_option(ctx, "tools_metadata")) != NULL) {
    if (strcmp(v, "all") == 0)
      o->tools_meta = 2;
    else if (strcmp(v, "none") == 0)
      o->tools_meta = 0;
    else if (strcmp(v, "first") != 0)
      return ti_fail(ctx, TI_ERR_INVALID, 0, 0,
                     "tools_metadata must be first, all or none, not '%s'", v);
  }
  o->student_calls = ti_option_bool(ctx, "student_calls", 1);
  o->strip_think = ti_option_bool(ctx, "strip_think", 1);
  return TI_OK;
}

/* Containers shared by both versions are named by their events. */
static void fix_variant(oh_traj *t) {
  if (!t->n || t->ev[0].ver != 1)
    return;
  if (t->variant == OH_VAR_V0_EVAL)
    t->variant = OH_VAR_V1_EVAL;
  else if (t->variant == OH_VAR_V0_REST || t->variant == OH_VAR_V0_TRAJ)
    t->variant = OH_VAR_V1_EVENTS;
}

/* Event types this plugin does not know: openhands.unknown_type.<name>. */
static int count_unknown(ti_plugin_ctx *ctx, const oh_traj *t) {
  ti_buf name = {0};
  int rc = TI_OK;
  for (size_t i = 0; i < t->n && rc == TI_OK; i++) {
    if (!t->ev[i].unknown || t->ev[i].type.type != TI_JSON_STRING)
      continue;
    ti_buf_reset(&name);
    rc = ti_buf_puts(&name, "openhands.unknown_type.");
    if (rc == TI_OK)
      rc = ti_json_str_append(&t->ev[i].type, &name);
    if (rc == TI_OK)
      rc = ti_count(ctx, name.p, 1);
  }
  ti_buf_free(&name);
  return rc;
}

static void destroy(void *parser) {
  oh_parser *p = parser;
  if (!p)
    return;
  oh_source_free(p->src);
  oh_walk_free(p->walk);
  oh_traj_free(&p->traj);
  ti_mem_free(p);
}

static int create(void **parser, ti_plugin_ctx *ctx) {
  oh_parser *p = ti_mem_calloc(1, sizeof *p);
  int rc;
  *parser = NULL;
  if (!p)
    return TI_ERR_NOMEM;
  p->ctx = ctx;
  if ((rc = read_opts(ctx, &p->opts)) != TI_OK ||
      (rc = oh_source_new(&p->src, ctx)) != TI_OK ||
      (rc = oh_walk_new(&p->walk)) != TI_OK) {
    destroy(p);
    return rc;
  }
  *parser = p;
  return TI_OK;
}

static int next(void *parser, ti_plugin_ctx *ctx) {
  oh_parser *p = parser;
  int rc;
  for (;;) {
    if (!p->active) {
      rc = oh_source_next(p->src, &p->traj);
      if (rc != TI_OK)
        return rc;
      oh_scan(&p->traj);
      fix_variant(&p->traj);
      if ((rc = count_unknown(ctx, &p->traj)) != TI_OK)
        return rc;
      if ((rc = oh_walk_begin(p->walk, ctx, &p->traj, &p->opts)) != TI_OK)
        return rc;
      p->active = 1;
    }
    rc = oh_walk_next(p->walk);
    if (rc != TI_DONE)
      return rc;
    p->active = 0;
  }
}

const ti_format_ops ti_format_openhands = {
    TI_FORMAT_ABI_VERSION,
    sizeof(ti_format_ops),
    "openhands",
    "OpenHands trajectories (v0 app/eval/resolver/feedback, v1 software-agent-sdk)",
    option_keys,
    oh_probe,
    oh_probe_dir,
    create,
    next,
    destroy,
};
