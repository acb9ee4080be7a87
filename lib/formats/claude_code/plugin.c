/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: the vtable, options, probe and the state emitter. */
#include <stdio.h>
#include <string.h>

#include "cc.h"
#include "plugin.h"

static const char *const option_keys[] = {
    "subagents", "system_prompt", "thinking_in_student_action", "images", "branches",
    "merge_user", NULL};

static const char default_system_prompt[] =
    "You are a coding agent working in a user's repository.";

/* ---- probe ------------------------------------------------------------------ */
static int has(const unsigned char *p, size_t n, const char *s) {
  size_t l = strlen(s);
  if (l > n) return 0;
  for (size_t i = 0; i + l <= n; i++) {
    const unsigned char *q = memchr(p + i, s[0], n - i - l + 1);
    if (!q) return 0;
    i = (size_t)(q - p);
    if (!memcmp(q, s, l)) return 1;
  }
  return 0;
}

static int score_line(const unsigned char *p, size_t n, int complete) {
  ti_jv root, v;
  if (complete && ti_json_parse((const char *)p, n, 0, &root, NULL) == TI_OK) {
    if (root.type != TI_JSON_OBJECT || !ti_json_get(&root, "type", &v) ||
        v.type != TI_JSON_STRING)
      return 0;
    int chain = ti_json_get(&root, "parentUuid", &v) && ti_json_get(&root, "uuid", &v);
    int sess = ti_json_get(&root, "sessionId", &v);
    if (chain && sess) return 100;
    if (chain || sess) return 90;
    ti_jv t;
    ti_json_get(&root, "type", &t);
    if (TI_JSON_STR_IS(&t, "summary") && ti_json_get(&root, "leafUuid", &v)) return 90;
    if (TI_JSON_STR_IS(&t, "file-history-snapshot") && ti_json_get(&root, "snapshot", &v))
      return 85;
    return 0;
  }
  /* A first line longer than the window: look at how it starts. */
  if (n >= 14 && (!memcmp(p, "{\"parentUuid\":", 14) ||
                  (!memcmp(p, "{\"type\":\"", 9) && has(p, n, "\"sessionId\":\""))))
    return has(p, n, "\"sessionId\":\"") ? 85 : 60;
  return 0;
}

static int probe(const ti_probe_input *in) {
  const unsigned char *p = in->buf, *end = in->buf + in->len;
  if (in->len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;
  int best = 0;
  for (int lines = 0; p < end && lines < 8; lines++) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    if (p >= end) break;
    if (*p != '{') return 0;
    const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    int s = score_line(p, n, nl != NULL || in->at_eof);
    if (s > best) best = s;
    if (best >= 90 || !nl) break;
    p = nl + 1;
  }
  return best;
}

/* ---- create / destroy --------------------------------------------------------- */
static int create(void **out, ti_plugin_ctx *ctx) {
  cc_parser *p = ti_mem_calloc(1, sizeof(*p));
  *out = p;
  if (!p) return TI_ERR_NOMEM;
  p->ctx = ctx;
  p->opts.subagents = ti_option_bool(ctx, "subagents", 0);
  p->opts.thinking_in_sa = ti_option_bool(ctx, "thinking_in_student_action", 1);
  p->opts.merge_user = ti_option_bool(ctx, "merge_user", 1);
  const char *im = ti_option(ctx, "images");
  p->opts.images_placeholder = im && !strcmp(im, "placeholder");
  const char *br = ti_option(ctx, "branches");
  p->opts.active_only = br && !strcmp(br, "active");
  const char *sp = ti_option(ctx, "system_prompt");
  if (!sp) {
    p->opts.system_prompt = default_system_prompt;
    p->opts.system_synthetic = 1;
  } else if (*sp && strcmp(sp, "none") != 0) {
    p->opts.system_prompt = sp;
  }
  p->rd.arena = &p->arena;
  p->rd.ctx = ctx;
  p->map.ctx = ctx;
  p->map.arena = &p->arena;
  p->map.opts = &p->opts;
  return TI_OK;
}

static void destroy(void *parser) {
  cc_parser *p = parser;
  if (!p) return;
  for (size_t i = 0; i < p->nstreams; i++) {
    cc_stream_free(p->streams[i]);
    ti_mem_free(p->streams[i]);
  }
  ti_mem_free(p->streams);
  for (size_t i = 0; i < p->nsrcs; i++) {
    ti_mem_free(p->srcs[i]->recs);
    ti_mem_free(p->srcs[i]->envs);
    ti_mem_free(p->srcs[i]->aenvs);
    ti_json_index_free(p->srcs[i]->ix);
    ti_mem_free(p->srcs[i]);
  }
  ti_mem_free(p->srcs);
  ti_mem_free(p->main.recs);
  ti_mem_free(p->main.envs);
  ti_mem_free(p->main.aenvs);
  ti_json_index_free(p->main.ix);
  ti_mem_free(p->links);
  cc_map_free(&p->by_agent);
  cc_map_free(&p->by_prompt);
  for (size_t i = 0; i < p->ntraj; i++) ti_mem_free(p->trajs[i].groups);
  ti_mem_free(p->trajs);
  ti_mem_free(p->cur);
  ti_mem_free(p->tmp);
  cc_map_free(&p->emitted);
  cc_map_free(&p->agent_trajs);
  cc_reader_free(&p->rd);
  cc_mapper_free(&p->map);
  ti_buf_free(&p->b);
  ti_buf_free(&p->b2);
  ti_buf_free(&p->sa);
  cc_arena_free(&p->arena);
  ti_mem_free(p);
}

/* ---- history mirror ---------------------------------------------------------- */
/* Make the core's history equal to chain h followed by pm (if any). */
static int sync_history(cc_parser *p, cc_hnode *h, const ti_message *pm) {
  size_t nnew = 0;
  cc_hnode *x = h;
  while (x && (x->len > p->ncur || p->cur[x->len - 1] != x)) {
    if (nnew == p->captmp) {
      size_t cap = p->captmp ? p->captmp * 2 : 64;
      cc_hnode **t = ti_mem_realloc(p->tmp, cap * sizeof(*t));
      if (!t) return TI_ERR_NOMEM;
      p->tmp = t;
      p->captmp = cap;
    }
    p->tmp[nnew++] = x;
    x = x->prev;
  }
  size_t common = x ? x->len : 0;
  if (!nnew && common == p->ncur && pm == p->cur_pm) return TI_OK;
  /* The previous state's trailing user message, now closed: same message
   * at the same position, so the core's history keeps it. */
  if (common == p->ncur && p->cur_pm && nnew && p->tmp[nnew - 1]->msg == p->cur_pm) {
    if (p->ncur == p->capcur) {
      size_t cap = p->capcur ? p->capcur * 2 : 64;
      cc_hnode **t = ti_mem_realloc(p->cur, cap * sizeof(*t));
      if (!t) return TI_ERR_NOMEM;
      p->cur = t;
      p->capcur = cap;
    }
    p->cur[p->ncur++] = p->tmp[--nnew];
    p->cur_pm = NULL;
    common = p->ncur;
    if (!nnew && pm == NULL) return TI_OK;
  }
  int rc = ti_emit_truncate(p->ctx, common);
  p->ncur = common;
  p->cur_pm = NULL;
  size_t need = common + nnew;
  if (!rc && need > p->capcur) {
    size_t cap = p->capcur ? p->capcur : 64;
    while (cap < need) cap *= 2;
    cc_hnode **t = ti_mem_realloc(p->cur, cap * sizeof(*t));
    if (!t) return TI_ERR_NOMEM;
    p->cur = t;
    p->capcur = cap;
  }
  while (!rc && nnew) {
    cc_hnode *y = p->tmp[--nnew];
    rc = ti_emit_push(p->ctx, y->msg);
    if (!rc) p->cur[p->ncur++] = y;
  }
  if (!rc && pm) {
    rc = ti_emit_push(p->ctx, pm);
    if (!rc) p->cur_pm = pm;
  }
  return rc;
}

/* ---- per-state metadata -------------------------------------------------------- */
typedef struct env {
  ti_jv cwd, version, branch, session, request;
} env;

static void read_env(const cc_src *src, const cc_rec *r, env *e) {
  memset(e, 0, sizeof(*e));
  if (r->env < 0) return;
  const cc_aenv *a = &src->aenvs[r->env];
  const cc_env *x = &src->envs[a->env];
  e->cwd = x->cwd;
  e->version = x->version;
  e->branch = x->branch;
  e->session = x->session;
  e->request = (ti_jv){.p = a->request, .n = a->request_n, .type = a->request_type,
                       .flags = a->request_flags};
}

static const char *family_of(const char *m, size_t n, size_t *fn) {
  for (size_t i = 0; i + 6 <= n; i++)
    if (!memcmp(m + i, "claude", 6)) {
      *fn = 6;
      return "claude";
    }
  if (n == 0 || (n > 0 && m[0] == '<')) {
    *fn = 0;
    return NULL;
  }
  size_t i = 0;
  while (i < n && m[i] != '-' && m[i] != '/' && m[i] != ':' && m[i] != '.') i++;
  *fn = i;
  return m;
}

static cc_rec *rec_of(cc_stream *s, int32_t i) { return &s->src->recs[s->nodes[i].rec]; }

/* Metadata members, written as text (emit_meta). The first error stays in
 * rc and the steps after it are skipped. */
#define M(x) (rc = rc ? rc : (x))
#define M_KEY(b, lit) M(ti_buf_append((b), lit, sizeof(lit) - 1))
#define M_BOOL(b, v) ((v) ? M_KEY(b, "true") : M_KEY(b, "false"))
static int m_str(ti_buf *b, const char *s, size_t n) {
  return s ? ti_buf_json_string(b, s, n) : ti_buf_append(b, "null", 4);
}
static int m_jv(ti_buf *b, const ti_jv *v) {
  if (v->type == TI_JSON_INVALID || !v->p) return ti_buf_append(b, "null", 4);
  return ti_json_write_compact(v, b);
}
static int m_uint(ti_buf *b, uint64_t u) {
  char tmp[24], *e = tmp + sizeof tmp, *q = e;
  do {
    *--q = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  return ti_buf_append(b, q, (size_t)(e - q));
}

static int emit_meta(cc_parser *p, cc_traj *t, cc_group *gr, const cc_node *before) {
  ti_plugin_ctx *ctx = p->ctx;
  cc_stream *s = t->st;
  cc_rec *first = rec_of(s, gr->first);
  env e;
  read_env(s->src, first, &e);
  /* model, usage and stop_reason over the fragments: the last wins */
  ti_jv model = {0}, usage = {0}, stop = {0};
  int active = 0;
  for (int32_t f = gr->first; f >= 0; f = s->nodes[f].next_frag) {
    if (s->nodes[f].flags & CC_N_ACTIVE) active = 1;
    const cc_rec *r = rec_of(s, f);
    if (r->env < 0) continue;
    const cc_aenv *a = &s->src->aenvs[r->env]; /* what extract found in the message */
    if (model.type == TI_JSON_INVALID)
      model = cc_aenv_jv(s->src, r, &a->model, TI_JSON_STRING, a->model_flags);
    if (a->usage.n) usage = cc_aenv_jv(s->src, r, &a->usage, TI_JSON_OBJECT, a->usage_flags);
    if (a->stop.n) stop = cc_aenv_jv(s->src, r, &a->stop, TI_JSON_STRING, a->stop_flags);
  }
  const char *ms = NULL;
  size_t mn = 0;
  int rc = cc_str(&p->arena, &model, &ms, &mn);
  if (!rc && ms) rc = ti_emit_state_model(ctx, ms, mn);
  if (rc) return rc;
  /* The members are written here, keys as literals, and handed over as one
   * canonical object: ~20 per state, a call each cost ~2% of a run. */
  ti_buf *b = &p->b;
  ti_buf_reset(b);
  size_t fn = 0;
  const char *fam = ms ? family_of(ms, mn, &fn) : NULL;
  M_KEY(b, "{\"model_family\":");
  M(m_str(b, fam, fn));
  M_KEY(b, ",\"message_id\":");
  M(m_str(b, gr->key, gr->key_n));
  M_KEY(b, ",\"request_id\":");
  M(m_jv(b, &e.request));
  M_KEY(b, ",\"usage\":");
  M(m_jv(b, &usage));
  M_KEY(b, ",\"stop_reason\":");
  if (stop.type == TI_JSON_STRING) {
    M(m_jv(b, &stop));
    M_KEY(b, ",\"stop_reason_inferred\":false");
  } else {
    if (gr->ncalls) M_KEY(b, "\"tool_use\",\"stop_reason_inferred\":true");
    else M_KEY(b, "\"end_turn\",\"stop_reason_inferred\":true");
  }
  M_KEY(b, ",\"timestamp\":");
  M(m_str(b, first->ts, first->ts_n));
  M_KEY(b, ",\"version\":");
  M(m_jv(b, &e.version));
  M_KEY(b, ",\"cwd\":");
  M(m_jv(b, &e.cwd));
  M_KEY(b, ",\"git_branch\":");
  M(m_jv(b, &e.branch));
  M_KEY(b, ",\"session_id\":");
  M(m_jv(b, &e.session));
  M_KEY(b, ",\"agent_id\":");
  M(m_str(b, t->agent, t->agent_n));
  M_KEY(b, ",\"is_sidechain\":");
  M_BOOL(b, first->flags & CC_F_SIDECHAIN);
  M_KEY(b, ",\"on_active_branch\":");
  M_BOOL(b, active);
  M_KEY(b, ",\"compactions_before\":");
  M(m_uint(b, gr->compactions_before));
  M_KEY(b, ",\"had_thinking\":");
  M_BOOL(b, gr->thinking_n || gr->had_empty_thinking || gr->had_redacted);
  M_KEY(b, ",\"had_empty_thinking\":");
  M_BOOL(b, !gr->thinking_n && (gr->had_empty_thinking || gr->had_redacted));
  M_KEY(b, ",\"chain_healed\":");
  M_BOOL(b, before->healed || (s->nodes[gr->first].flags & CC_N_HEALED));
  M_KEY(b, ",\"system_prompt_synthetic\":");
  if (p->opts.system_prompt) M_BOOL(b, p->opts.system_synthetic);
  else M_KEY(b, "null");
  M_KEY(b, ",\"records\":");
  M(m_uint(b, (uint64_t)gr->nfrags));
  /* is_error results the turn reacts to (those of the previous turn) */
  M_KEY(b, ",\"tool_errors\":[");
  if (before->lastg >= 0) {
    cc_group *pg = &s->groups[before->lastg];
    int n = 0;
    for (size_t i = 0; i < pg->ncalls; i++) {
      int32_t ri = pg->calls[i].result;
      if (ri < 0 || !s->results[ri].is_error) continue;
      if (n++) M_KEY(b, ",");
      M(m_str(b, pg->calls[i].id, pg->calls[i].id_n));
    }
  }
  M_KEY(b, "]");
  if (t->agent) {
    cc_src *src = s->src;
    M_KEY(b, ",\"parent_tool_call_id\":");
    if (src->tool_use_id) M(m_str(b, src->tool_use_id, src->tool_use_id_n));
    else M(m_str(b, t->link, t->link_n));
    if (src->agent_type) {
      M_KEY(b, ",\"agent_type\":");
      M(m_str(b, src->agent_type, src->agent_type_n));
    }
    if (src->agent_desc) {
      M_KEY(b, ",\"agent_description\":");
      M(m_str(b, src->agent_desc, src->agent_desc_n));
    }
  }
  M_KEY(b, "}");
  if (rc) return rc;
  ti_jv obj = {0};
  obj.p = b->p;
  obj.n = b->len;
  obj.type = TI_JSON_OBJECT;
  obj.flags = TI_JV_CANONICAL;
  return ti_emit_meta_members_jv(ctx, &obj);
}

/* ---- one state ------------------------------------------------------------------- */
static int start_trajectory(cc_parser *p, cc_traj *t) {
  ti_buf *b = &p->b;
  ti_buf_reset(b);
  int rc = ti_buf_printf(b, "%.*s:%.*s", (int)p->session_n, p->session,
                         t->agent ? (int)t->agent_n : 4, t->agent ? t->agent : "main");
  if (!rc) rc = ti_emit_trajectory(p->ctx, b->p, b->len);
  if (!rc) rc = ti_emit_truncate(p->ctx, 0);
  p->ncur = 0;
  p->cur_pm = NULL;
  if (!rc) rc = cc_map_begin(&p->map, t->st);
  t->started = 1;
  return rc;
}

static int emit_group(cc_parser *p, cc_traj *t, int32_t g) {
  cc_stream *s = t->st;
  cc_group *gr = &s->groups[g];
  int rc;
  if (!t->started && (rc = start_trajectory(p, t))) return rc;
  rc = cc_map_group_text(&p->map, s, g);
  if (rc) return rc;
  /* Without thinking in it, student_action is the turn's text: the action's
   * content, the core's default (no copy). With it, made now: the text and
   * thinking last until another group is mapped (cc_map_state may). */
  ti_buf *sa = &p->sa;
  int own_sa = p->opts.thinking_in_sa && gr->thinking_n;
  if (own_sa) {
    ti_buf_reset(sa);
    rc = ti_buf_puts(sa, "<thinking>");
    if (!rc) rc = ti_buf_append(sa, gr->thinking, gr->thinking_n);
    if (!rc) rc = ti_buf_puts(sa, "</thinking>\n");
    if (!rc && gr->text_n) rc = ti_buf_append(sa, gr->text, gr->text_n);
    if (rc) return rc;
  }
  cc_node rootst, *before;
  rc = cc_map_state(&p->map, s, s->nodes[gr->first].parent, &before, &rootst);
  if (rc) return rc;
  const ti_message *pm = NULL;
  if (before->pend) rc = cc_map_pending(&p->map, s, before->pend, &pm);
  if (!rc) rc = sync_history(p, before->h, pm);
  if (rc) return rc;
  cc_rec *first = rec_of(s, gr->first), *last = rec_of(s, gr->last);
  env e;
  read_env(s->src, first, &e);
  const char *sess = p->session;
  size_t sess_n = p->session_n;
  if (e.session.type == TI_JSON_STRING) {
    rc = cc_str(&p->arena, &e.session, &sess, &sess_n);
    if (rc) return rc;
  }
  ti_buf *b = &p->b2;
  ti_buf_reset(b);
  rc = ti_emit_state_begin(p->ctx);
  /* <sessionId>:<agentId|main>:<message.id> */
  if (!rc) rc = ti_buf_append(b, sess, sess_n);
  if (!rc) rc = ti_buf_append(b, ":", 1);
  if (!rc) rc = t->agent ? ti_buf_append(b, t->agent, t->agent_n) : ti_buf_append(b, "main", 4);
  if (!rc) rc = ti_buf_append(b, ":", 1);
  if (!rc) rc = ti_buf_append(b, gr->key, gr->key_n);
  if (!rc) rc = ti_emit_state_id(p->ctx, b->p, b->len);
  if (!rc) rc = ti_emit_state_action(p->ctx, gr->action_msg);
  if (!rc && own_sa) rc = ti_emit_state_student_action(p->ctx, sa->p ? sa->p : "", sa->len);
  if (!rc && s->src != &p->main && s->src->path) rc = ti_emit_state_file(p->ctx, s->src->path);
  if (!rc) rc = ti_emit_state_lines(p->ctx, first->line, last->line);
  if (!rc) rc = emit_meta(p, t, gr, before);
  if (!rc) rc = ti_emit_state_end(p->ctx);
  return rc;
}

/* The next turn's records were read long before (a big session is well
 * out of the cache by then): ask for their first bytes while this turn is
 * emitted. */
#if defined(__GNUC__) || defined(__clang__)
#define CC_PREFETCH(p) __builtin_prefetch(p)
#else
#define CC_PREFETCH(p) ((void)(p))
#endif
static void prefetch_rec(const cc_rec *r) {
  if (r->p) CC_PREFETCH(r->p);
  if (r->message_type) CC_PREFETCH(r->p + r->message.off);
  if (r->content_type) CC_PREFETCH(r->p + r->content.off);
}

static void prefetch_group(cc_stream *s, int32_t g) {
  const cc_group *gr = &s->groups[g];
  for (int32_t f = gr->first; f >= 0; f = s->nodes[f].next_frag) prefetch_rec(rec_of(s, f));
}

static int next(void *parser, ti_plugin_ctx *ctx) {
  cc_parser *p = parser;
  int rc;
  if (p->phase < 0) return p->phase == -1 ? TI_DONE : p->fatal;
  if (p->phase == 0) {
    p->phase = 1;
    rc = cc_setup(p);
    if (rc) {
      p->phase = -2;
      p->fatal = rc;
      return rc;
    }
  }
  while (p->itraj < p->ntraj) {
    cc_traj *t = &p->trajs[p->itraj];
    while (t->pos < t->ngroups) {
      int32_t g = t->groups[t->pos++];
      cc_group *gr = &t->st->groups[g];
      const char *why = NULL;
      if (gr->synthetic) why = "claude-code.synthetic_turns";
      else if (gr->incomplete) why = "claude-code.incomplete_turns";
      else {
        int active = 0;
        for (int32_t f = gr->first; f >= 0; f = t->st->nodes[f].next_frag)
          if (t->st->nodes[f].flags & CC_N_ACTIVE) active = 1;
        if (p->opts.active_only && !active) why = "claude-code.inactive_turns";
      }
      if (!why) {
        int32_t old;
        rc = cc_map_put_h(&p->emitted, gr->key, gr->key_n, gr->key_h, 0, &old);
        if (rc) return rc;
        if (old >= 0) why = "claude-code.duplicate_turns";
      }
      if (why) {
        rc = ti_count(ctx, why, 1);
        if (rc) return rc;
        continue;
      }
      if (t->pos < t->ngroups) prefetch_group(t->st, t->groups[t->pos]);
      rc = emit_group(p, t, g);
      if (rc) {
        p->phase = -2;
        p->fatal = rc;
      }
      return rc;
    }
    p->itraj++;
  }
  p->phase = -1;
  return TI_DONE;
}

const ti_format_ops ti_format_claude_code = {
    TI_FORMAT_ABI_VERSION,
    sizeof(ti_format_ops),
    "claude-code",
    "Claude Code session transcripts (~/.claude/projects/**/*.jsonl)",
    option_keys,
    probe,
    NULL,
    create,
    next,
    destroy,
};
