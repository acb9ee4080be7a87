/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: reading the session file, finding its subagent files
 * (opt-in), linking them to the spawning tool calls and planning one
 * trajectory per thread. */
#include <stdio.h>
#include <string.h>

#include "plugin.h"

static int is_chain(const cc_rec *r) {
  return (r->type >= CC_T_USER && r->type <= CC_T_PROGRESS) ||
         (r->type == CC_T_OTHER && r->uuid);
}

static int new_stream(cc_parser *p, cc_src *src, int side, cc_stream **out) {
  if (p->nstreams == p->capstreams) {
    size_t cap = p->capstreams ? p->capstreams * 2 : 4;
    cc_stream **ns = ti_mem_realloc(p->streams, cap * sizeof(*ns));
    if (!ns) return TI_ERR_NOMEM;
    p->streams = ns;
    p->capstreams = cap;
  }
  cc_stream *s = ti_mem_calloc(1, sizeof(*s));
  if (!s) return TI_ERR_NOMEM;
  s->src = src;
  s->side = side;
  p->streams[p->nstreams++] = s;
  *out = s;
  return TI_OK;
}

/* Fill a stream with the chain records of src (side: sidechain ones). */
static int in_stream(const cc_stream *s, const cc_rec *r, int all) {
  return is_chain(r) && (all || ((r->flags & CC_F_SIDECHAIN) != 0) == (s->side != 0));
}

static int fill_stream(cc_parser *p, cc_stream *s, int all) {
  uint64_t dups = 0;
  size_t n = 0;
  for (size_t i = 0; i < s->src->nrecs; i++) n += (size_t)in_stream(s, &s->src->recs[i], all);
  int rc0 = cc_stream_reserve(s, n);
  if (rc0) return rc0;
  for (size_t i = 0; i < s->src->nrecs; i++) {
    cc_rec *r = &s->src->recs[i];
    if (!in_stream(s, r, all)) continue;
    int rc = cc_stream_add(s, (int32_t)i);
    if (rc < 0) return rc;
    if (rc == 1) dups++;
  }
  int rc = dups ? ti_count(p->ctx, "claude-code.duplicate_uuids", dups) : TI_OK;
  return rc ? rc : cc_stream_build(s, p->ctx, &p->arena);
}

static int new_traj(cc_parser *p, cc_stream *s, const char *agent, size_t agent_n,
                    cc_traj **out) {
  if (p->ntraj == p->captraj) {
    size_t cap = p->captraj ? p->captraj * 2 : 4;
    cc_traj *nt = ti_mem_realloc(p->trajs, cap * sizeof(*nt));
    if (!nt) return TI_ERR_NOMEM;
    p->trajs = nt;
    p->captraj = cap;
  }
  cc_traj *t = &p->trajs[p->ntraj++];
  memset(t, 0, sizeof(*t));
  t->st = s;
  t->agent = agent;
  t->agent_n = agent_n;
  *out = t;
  return TI_OK;
}

static int traj_add(cc_traj *t, int32_t g) {
  if (t->ngroups == t->capgroups) {
    size_t cap = t->capgroups ? t->capgroups * 2 : 16;
    int32_t *ng = ti_mem_realloc(t->groups, cap * sizeof(*ng));
    if (!ng) return TI_ERR_NOMEM;
    t->groups = ng;
    t->capgroups = cap;
  }
  t->groups[t->ngroups++] = g;
  return TI_OK;
}

static int add_link(cc_parser *p, cc_map *m, const char *key, size_t key_n, const ti_jv *id) {
  const char *s;
  size_t n;
  int rc = cc_str(&p->arena, id, &s, &n);
  if (rc || !s) return rc;
  if (p->nlinks == p->caplinks) {
    size_t cap = p->caplinks ? p->caplinks * 2 : 16;
    cc_link *nl = ti_mem_realloc(p->links, cap * sizeof(*nl));
    if (!nl) return TI_ERR_NOMEM;
    p->links = nl;
    p->caplinks = cap;
  }
  int32_t old;
  rc = cc_map_put(m, key, key_n, (int32_t)p->nlinks, &old);
  if (rc || old >= 0) return rc;
  p->links[p->nlinks].id = s;
  p->links[p->nlinks].id_n = n;
  p->nlinks++;
  return TI_OK;
}

/* Spawning calls in the main thread: Task/Agent prompts and the agentId of
 * their results. */
static int index_spawns(cc_parser *p, cc_stream *s) {
  int rc = TI_OK;
  for (size_t i = 0; i < s->n && !rc; i++) {
    cc_rec *r = &s->src->recs[s->nodes[i].rec];
    ti_jv content = cc_content(s->src, r), b, t, x, y;
    if (content.type != TI_JSON_ARRAY) continue;
    if (r->type == CC_T_ASSISTANT) {
      ti_json_iter it;
      ti_json_iter_init(&it, &content);
      while (!rc && ti_json_next(&it, &b)) {
        if (!ti_json_get(&b, "type", &t) || !TI_JSON_STR_IS(&t, "tool_use")) continue;
        if (!ti_json_get(&b, "name", &x) ||
            !(TI_JSON_STR_IS(&x, "Task") || TI_JSON_STR_IS(&x, "Agent")))
          continue;
        ti_jv pr, id;
        if (!ti_json_getv(&b, &pr, "input", "prompt", NULL) || pr.type != TI_JSON_STRING ||
            !ti_json_get(&b, "id", &id))
          continue;
        const char *ps;
        size_t pn;
        rc = cc_str(&p->arena, &pr, &ps, &pn);
        if (!rc) rc = add_link(p, &p->by_prompt, ps, pn, &id);
      }
    } else if (r->type == CC_T_USER) {
      ti_jv aid;
      ti_jv root = cc_root(s->src, r);
      if (!ti_json_getv(&root, &aid, "toolUseResult", "agentId", NULL) ||
          aid.type != TI_JSON_STRING)
        continue;
      ti_json_iter it;
      ti_json_iter_init(&it, &content);
      while (ti_json_next(&it, &b)) {
        if (!ti_json_get(&b, "type", &t) || !TI_JSON_STR_IS(&t, "tool_result") ||
            !ti_json_get(&b, "tool_use_id", &y))
          continue;
        const char *as;
        size_t an;
        rc = cc_str(&p->arena, &aid, &as, &an);
        if (!rc) rc = add_link(p, &p->by_agent, as, an, &y);
        break;
      }
    }
  }
  return rc;
}

static int link_by_prompt(cc_parser *p, cc_traj *t, cc_stream *s, int32_t root) {
  cc_rec *r = &s->src->recs[s->nodes[root].rec];
  ti_jv c = cc_content(s->src, r);
  if (r->type != CC_T_USER || c.type == TI_JSON_INVALID) return TI_OK;
  if (c.type == TI_JSON_ARRAY) { /* [{"type":"text","text":...}] */
    ti_json_iter it;
    ti_jv b;
    ti_json_iter_init(&it, &c);
    if (!ti_json_next(&it, &b) || !ti_json_get(&b, "text", &c)) return TI_OK;
  }
  const char *ps;
  size_t pn;
  int rc = cc_str(&p->arena, &c, &ps, &pn);
  if (rc || !ps) return rc;
  int32_t l = cc_map_get(&p->by_prompt, ps, pn);
  if (l >= 0) {
    t->link = p->links[l].id;
    t->link_n = p->links[l].id_n;
  }
  return TI_OK;
}

/* Inline (1.0.x) sidechains: one trajectory per agent. */
static int plan_sidechains(cc_parser *p, cc_stream *s) {
  ti_buf *b = &p->b;
  for (size_t g = 0; g < s->ngroups; g++) {
    int32_t f = s->groups[g].first;
    cc_rec *r = &s->src->recs[s->nodes[f].rec];
    int32_t root = cc_stream_root(s, f);
    const char *agent;
    size_t an;
    if (r->flags & CC_F_HAS_AGENT) {
      agent = r->agent;
      an = r->agent_n;
    } else {
      cc_rec *rr = &s->src->recs[s->nodes[root].rec];
      ti_buf_reset(b);
      int rc = ti_buf_printf(b, "sidechain-%.*s", (int)rr->uuid_n, rr->uuid ? rr->uuid : "");
      if (rc) return rc;
      agent = cc_strndup(&p->arena, b->p, b->len);
      an = b->len;
      if (!agent) return TI_ERR_NOMEM;
    }
    int32_t ti;
    int rc = cc_map_put(&p->agent_trajs, agent, an, (int32_t)p->ntraj, &ti);
    if (rc) return rc;
    cc_traj *t;
    if (ti < 0) {
      rc = new_traj(p, s, agent, an, &t);
      if (!rc) rc = link_by_prompt(p, t, s, root);
      if (rc) return rc;
    } else {
      t = &p->trajs[ti];
    }
    rc = traj_add(t, (int32_t)g);
    if (rc) return rc;
  }
  return TI_OK;
}

/* ---- subagent files ------------------------------------------------------------ */
typedef struct listing {
  cc_parser *p;
  const char *base; /* relative directory */
  const char **names;
  uint8_t *dirs;
  size_t n, cap;
  int root_level; /* project root: only agent-*.jsonl, no recursion */
  int rc;
} listing;

static int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

static int is_agent_name(const char *name) {
  return !strncmp(name, "agent-", 6) && ends_with(name, ".jsonl") &&
         strncmp(name, "agent-aprompt_suggestion", 24) != 0 &&
         strncmp(name, "agent-acompact", 14) != 0;
}

static int on_entry(void *user, const char *name, int is_dir) {
  listing *l = user;
  if (is_dir ? l->root_level : !is_agent_name(name)) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    const char **nn = ti_mem_realloc(l->names, cap * sizeof(*nn));
    if (!nn) return l->rc = TI_ERR_NOMEM;
    l->names = nn;
    uint8_t *nd = ti_mem_realloc(l->dirs, cap);
    if (!nd) return l->rc = TI_ERR_NOMEM;
    l->dirs = nd;
    l->cap = cap;
  }
  ti_buf b = {0};
  int rc = strcmp(l->base, ".") ? ti_buf_printf(&b, "%s/%s", l->base, name) : ti_buf_puts(&b, name);
  const char *s = rc ? NULL : cc_strndup(&l->p->arena, b.p, b.len);
  ti_buf_free(&b);
  if (!s) return l->rc = TI_ERR_NOMEM;
  l->names[l->n] = s;
  l->dirs[l->n] = (uint8_t)(is_dir != 0);
  l->n++;
  return 0;
}

static int read_meta(cc_parser *p, cc_src *src, const char *rel) {
  ti_buf b = {0};
  size_t rl = strlen(rel);
  int rc = ti_buf_append(&b, rel, rl - 6);
  if (!rc) rc = ti_buf_puts(&b, ".meta.json");
  const char *buf;
  size_t len;
  if (!rc) {
    rc = ti_input_read_file(p->ctx, b.p, &buf, &len);
    if (rc && rc != TI_ERR_NOMEM) rc = 1; /* no sidecar: fine */
  }
  ti_buf_free(&b);
  if (rc) return rc == 1 ? TI_OK : rc;
  ti_jv root, v;
  if (ti_json_parse(buf, len, 0, &root, NULL) != TI_OK) return TI_OK;
  if (ti_json_get(&root, "agentType", &v))
    rc = cc_str(&p->arena, &v, &src->agent_type, &src->agent_type_n);
  if (!rc && ti_json_get(&root, "description", &v))
    rc = cc_str(&p->arena, &v, &src->agent_desc, &src->agent_desc_n);
  if (!rc && ti_json_get(&root, "toolUseId", &v))
    rc = cc_str(&p->arena, &v, &src->tool_use_id, &src->tool_use_id_n);
  return rc;
}

static const char *agent_from_name(const char *path, size_t *n) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  if (strncmp(b, "agent-", 6) != 0) {
    *n = 0;
    return NULL;
  }
  b += 6;
  const char *dot = strchr(b, '.');
  *n = dot ? (size_t)(dot - b) : strlen(b);
  return b;
}

/* One agent file as its own trajectory. */
static int plan_agent_file(cc_parser *p, cc_src *src) {
  cc_stream *s;
  int rc = new_stream(p, src, 1, &s);
  if (!rc) rc = fill_stream(p, s, 1);
  if (rc) return rc;
  const char *agent = NULL;
  size_t an = 0;
  for (size_t i = 0; i < src->nrecs && !agent; i++)
    if (src->recs[i].flags & CC_F_HAS_AGENT) agent = src->recs[i].agent, an = src->recs[i].agent_n;
  if (!agent && src->path) agent = agent_from_name(src->path, &an);
  if (!agent) agent = "sidechain", an = 9;
  cc_traj *t;
  rc = new_traj(p, s, agent, an, &t);
  if (rc) return rc;
  if (!src->tool_use_id) {
    int32_t l = cc_map_get(&p->by_agent, agent, an);
    if (l >= 0) t->link = p->links[l].id, t->link_n = p->links[l].id_n;
    else if (s->n) rc = link_by_prompt(p, t, s, cc_stream_root(s, 0));
  }
  for (size_t g = 0; g < s->ngroups && !rc; g++) rc = traj_add(t, (int32_t)g);
  return rc;
}

static int load_agent_file(cc_parser *p, const char *rel, int check_session) {
  const char *in = ti_input_path(p->ctx);
  const char *slash = in ? strrchr(in, '/') : NULL;
  ti_buf b = {0};
  int rc = slash ? ti_buf_append(&b, in, (size_t)(slash - in + 1)) : TI_OK;
  if (!rc) rc = ti_buf_puts(&b, rel);
  const char *full = rc ? NULL : cc_strndup(&p->arena, b.p, b.len);
  ti_buf_free(&b);
  if (!full) return TI_ERR_NOMEM;
  if (check_session && in) { /* the session file itself */
    const char *a = strrchr(rel, '/'), *c = strrchr(in, '/');
    if (!strcmp(a ? a + 1 : rel, c ? c + 1 : in)) return TI_OK;
  }
  const char *buf;
  size_t len;
  rc = ti_input_read_file(p->ctx, rel, &buf, &len);
  if (rc == TI_ERR_NOMEM) return rc;
  if (rc)
    return ti_report_file(p->ctx, full, rc, 0, 0, "claude-code: cannot read subagent file");
  if (p->nsrcs == p->capsrcs) {
    size_t cap = p->capsrcs ? p->capsrcs * 2 : 8;
    cc_src **ns = ti_mem_realloc(p->srcs, cap * sizeof(*ns));
    if (!ns) return TI_ERR_NOMEM;
    p->srcs = ns;
    p->capsrcs = cap;
  }
  cc_src *src = ti_mem_calloc(1, sizeof(*src));
  if (!src) return TI_ERR_NOMEM;
  p->srcs[p->nsrcs++] = src;
  src->path = full;
  src->buf = buf;
  src->len = len;
  p->rd.main_file = 0;
  rc = cc_read(&p->rd, src);
  if (rc) return rc;
  if (check_session && (!src->session || src->session_n != p->session_n ||
                        memcmp(src->session, p->session, p->session_n) != 0)) {
    src->nrecs = 0; /* another session's agent */
    ti_input_release(p->ctx, buf);
    src->buf = NULL;
    return TI_OK;
  }
  rc = read_meta(p, src, rel);
  return rc ? rc : plan_agent_file(p, src);
}

static int list_into(cc_parser *p, listing *l, const char *dir) {
  l->p = p;
  l->base = dir;
  int rc = ti_input_list_dir(p->ctx, dir, on_entry, l);
  if (l->rc) return l->rc;
  return rc == TI_ERR_IO ? TI_OK : rc;
}

static int discover(cc_parser *p) {
  const char *in = ti_input_path(p->ctx);
  if (!in || !ends_with(in, ".jsonl")) return TI_OK;
  const char *base = strrchr(in, '/');
  base = base ? base + 1 : in;
  size_t stem_n = strlen(base) - 6;
  ti_buf b = {0};
  int rc = ti_buf_printf(&b, "%.*s/subagents", (int)stem_n, base);
  const char *sub = rc ? NULL : cc_strndup(&p->arena, b.p, b.len);
  ti_buf_free(&b);
  if (!sub) return TI_ERR_NOMEM;
  /* <session>/subagents/ and below (breadth first, each level in byte order) */
  listing l = {0};
  rc = list_into(p, &l, sub);
  for (size_t i = 0; i < l.n && !rc; i++) {
    if (l.dirs[i]) {
      const char *d = l.names[i];
      rc = list_into(p, &l, d);
    } else {
      rc = load_agent_file(p, l.names[i], 0);
    }
  }
  ti_mem_free(l.names);
  ti_mem_free(l.dirs);
  if (rc) return rc;
  /* 2.0.x: agent-*.jsonl next to the session file */
  listing r = {0};
  r.root_level = 1;
  rc = list_into(p, &r, ".");
  for (size_t i = 0; i < r.n && !rc; i++) rc = load_agent_file(p, r.names[i], 1);
  ti_mem_free(r.names);
  ti_mem_free(r.dirs);
  return rc;
}

/* An agent file whose session file is present is read through that file.
 * Returns 1 (present), 0 (absent) or TI_ERR_NOMEM. */
static int owner_exists(cc_parser *p) {
  const char *in = ti_input_path(p->ctx);
  if (!in) return 0;
  ti_buf b = {0};
  const char *sub = strstr(in, "/subagents/");
  int rc;
  if (sub) {
    rc = ti_buf_append(&b, in, (size_t)(sub - in));
  } else {
    const char *slash = strrchr(in, '/');
    rc = slash ? ti_buf_append(&b, in, (size_t)(slash - in + 1)) : TI_OK;
    if (!rc) rc = ti_buf_append(&b, p->session, p->session_n);
  }
  if (!rc) rc = ti_buf_puts(&b, ".jsonl");
  int found = 0;
  if (!rc && strcmp(b.p, in) != 0) {
    FILE *f = fopen(b.p, "rb");
    if (f) {
      found = 1;
      fclose(f);
    }
  }
  ti_buf_free(&b);
  return rc ? rc : found;
}

int cc_setup(cc_parser *p) {
  ti_plugin_ctx *ctx = p->ctx;
  int rc;
  /* <session>/subagents/... met by a directory walk: decided by the path,
   * without reading it, when the option is off or its session file will
   * read it. */
  const char *in = ti_input_path(ctx);
  const char *base = in ? strrchr(in, '/') : NULL;
  base = base ? base + 1 : in;
  if (base && (!strncmp(base, "agent-aprompt_suggestion", 24) ||
               !strncmp(base, "agent-acompact", 14) || !strcmp(base, "journal.jsonl")))
    return ti_count(ctx, "claude-code.subagent_files_skipped", 1); /* never agent work */
  if (in && strstr(in, "/subagents/")) {
    int owner = owner_exists(p);
    if (owner < 0) return owner;
    if (!p->opts.subagents) return ti_count(ctx, "claude-code.subagent_files_skipped", 1);
    if (owner) return ti_count(ctx, "claude-code.subagent_files_deferred", 1);
  }
  rc = ti_input_whole(ctx, &p->main.buf, &p->main.len);
  if (rc) return rc;
  p->main.path = ti_input_path(ctx);
  p->rd.main_file = 1;
  rc = cc_read(&p->rd, &p->main);
  if (rc) return rc;
  if (p->main.session) {
    p->session = p->main.session;
    p->session_n = p->main.session_n;
  } else {
    const char *nm = p->main.path ? p->main.path : "unknown";
    const char *b = strrchr(nm, '/');
    b = b ? b + 1 : nm;
    size_t n = strlen(b);
    if (ends_with(b, ".jsonl")) n -= 6;
    p->session = b;
    p->session_n = n;
  }
  if (p->main.n_main_chain == 0 && p->main.n_side_chain > 0) {
    /* A subagent transcript on its own. */
    int owner = p->opts.subagents ? owner_exists(p) : 0;
    if (owner < 0) rc = owner;
    else if (!p->opts.subagents) rc = ti_count(ctx, "claude-code.subagent_files_skipped", 1);
    else if (owner) rc = ti_count(ctx, "claude-code.subagent_files_deferred", 1);
    else rc = plan_agent_file(p, &p->main);
    return rc ? rc : cc_read_flush_counts(&p->rd);
  }
  cc_stream *s;
  cc_traj *t;
  rc = new_stream(p, &p->main, 0, &s);
  if (!rc) rc = fill_stream(p, s, 0);
  if (!rc) rc = new_traj(p, s, NULL, 0, &t);
  for (size_t g = 0; !rc && g < s->ngroups; g++) rc = traj_add(t, (int32_t)g);
  if (!rc && p->opts.subagents) {
    rc = index_spawns(p, s);
    cc_stream *side;
    if (!rc && p->main.n_side_chain) {
      rc = new_stream(p, &p->main, 1, &side);
      if (!rc) rc = fill_stream(p, side, 0);
      if (!rc) rc = plan_sidechains(p, side);
    }
    if (!rc) rc = discover(p);
  }
  if (!rc) rc = cc_read_flush_counts(&p->rd);
  return rc;
}
