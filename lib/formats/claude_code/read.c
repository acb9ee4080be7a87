/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: the line reader. Splits a session file into lines,
 * sanitizes damaged ones (NUL padding, invalid UTF-8, torn or concatenated
 * writes), parses each with the JSON cursor and extracts the envelope fields
 * of the record in one pass over its top-level members. */
#include <stdio.h>
#include <string.h>

#include "cc.h"

/* ---- type names ------------------------------------------------------------ */
static const char *const meta_types[] = {
    "file-history-snapshot", "queue-operation", "custom-title", "ai-title",
    "last-prompt", "task-summary", "tag", "agent-name", "agent-color", "agent-setting",
    "mode", "permission-mode", "worktree-state", "pr-link", "attribution-snapshot",
    "content-replacement", "speculation-accept", "marble-origami-commit",
    "marble-origami-snapshot", NULL};

static int lit_eq(const char *s, size_t n, const char *lit) {
  size_t l = strlen(lit);
  return l == n && memcmp(s, lit, n) == 0;
}

static int classify(const char *s, size_t n, int *known) {
  *known = 1;
  if (lit_eq(s, n, "user")) return CC_T_USER;
  if (lit_eq(s, n, "assistant")) return CC_T_ASSISTANT;
  if (lit_eq(s, n, "system")) return CC_T_SYSTEM;
  if (lit_eq(s, n, "attachment")) return CC_T_ATTACHMENT;
  if (lit_eq(s, n, "progress")) return CC_T_PROGRESS;
  if (lit_eq(s, n, "summary")) return CC_T_SUMMARY;
  for (const char *const *t = meta_types; *t; t++)
    if (lit_eq(s, n, *t)) return CC_T_META;
  *known = 0;
  return CC_T_OTHER;
}

/* Per-type-name counters, flushed once (cheap: few distinct names). */
static int count_type(cc_reader *rd, const char *s, size_t n) {
  for (size_t i = 0; i < rd->nunknown; i++)
    if (rd->unknown[i].n == n && memcmp(rd->unknown[i].name, s, n) == 0) {
      rd->unknown[i].count++;
      return TI_OK;
    }
  if (rd->nunknown >= 256) return TI_OK; /* bound the table on hostile input */
  if (rd->nunknown == rd->capunknown) {
    size_t cap = rd->capunknown ? rd->capunknown * 2 : 16;
    cc_type_count *t = ti_mem_realloc(rd->unknown, cap * sizeof(*t));
    if (!t) return TI_ERR_NOMEM;
    rd->unknown = t;
    rd->capunknown = cap;
  }
  char *name = cc_strndup(rd->arena, s, n);
  if (!name) return TI_ERR_NOMEM;
  rd->unknown[rd->nunknown].name = name;
  rd->unknown[rd->nunknown].n = n;
  rd->unknown[rd->nunknown].count = 1;
  rd->nunknown++;
  return TI_OK;
}

int cc_read_flush_counts(cc_reader *rd) {
  ti_buf b = {0};
  int rc = TI_OK;
  for (size_t i = 0; i < rd->nunknown && !rc; i++) {
    int known;
    classify(rd->unknown[i].name, rd->unknown[i].n, &known);
    ti_buf_reset(&b);
    rc = ti_buf_printf(&b, "claude-code.%s.%.*s", known ? "type" : "unknown_type",
                       (int)rd->unknown[i].n, rd->unknown[i].name);
    if (!rc) rc = ti_count(rd->ctx, b.p, rd->unknown[i].count);
  }
  ti_buf_free(&b);
  rd->nunknown = 0;
  return rc;
}

void cc_reader_free(cc_reader *rd) {
  ti_mem_free(rd->unknown);
  rd->unknown = NULL;
  rd->nunknown = rd->capunknown = 0;
}

/* ---- record extraction ----------------------------------------------------- */
static int span(cc_arena *a, const ti_jv *v, const char **s, uint32_t *n) {
  size_t nn;
  int rc = cc_str(a, v, s, &nn);
  *n = (uint32_t)nn;
  return rc;
}

static int key_raw(const ti_jv *k, ti_buf *scratch, const char **s, size_t *n) {
  if (!(k->flags & TI_JV_ESCAPES)) {
    *s = k->p + 1;
    *n = k->n - 2;
    return TI_OK;
  }
  return ti_json_str(k, scratch, s, n);
}

/* The size a per-record array of src grows to from cap: twice cap, or,
 * in a file of 4 MiB or more, what the part read so far foretells for the
 * whole file (an eighth more), at most 64 times cap. The 64 MB session's
 * record and envelope arrays are made at their size once the first 256
 * records (64 assistant ones) are read, instead of doubling six times
 * (copies of up to 1.9 MB each). */
static size_t grow_cap(const cc_src *src, size_t cap, size_t first) {
  if (!cap) return first;
  size_t next = cap * 2;
  if (src->nrecs && src->len >= ((size_t)4 << 20) && src->rec_off < src->len) {
    double done = (double)src->rec_off + 1.0;
    double est = (double)cap * ((double)src->len / done) * 1.125;
    double most = (double)cap * 64.0;
    if (est > most) est = most;
    if (est > (double)next) next = (size_t)est;
  }
  return next;
}

static int add_rec(cc_src *src, cc_rec **out) {
  if (src->nrecs == src->caprecs) {
    size_t cap = grow_cap(src, src->caprecs, 256);
    cc_rec *r = ti_mem_realloc(src->recs, cap * sizeof(*r));
    if (!r) return TI_ERR_NOMEM;
    src->recs = r;
    src->caprecs = cap;
  }
  *out = &src->recs[src->nrecs++];
  memset(*out, 0, sizeof(**out));
  return TI_OK;
}

static int report(cc_reader *rd, cc_src *src, int code, uint64_t line, uint64_t off,
                  const char *what) {
  if (rd->main_file)
    return ti_report(rd->ctx, code, line, off, "claude-code: %s", what);
  return ti_report_file(rd->ctx, src->path, code, line, off, "claude-code: %s", what);
}

/* Envelope values kept while the members go by. */
typedef struct env_vals {
  ti_jv type, subtype, rid, sess, cwd, ver, br;
} env_vals;

static int same_jv(const ti_jv *a, const ti_jv *b) {
  return a->type == b->type && a->n == b->n && a->flags == b->flags &&
         (a->n == 0 || a->p == b->p || !memcmp(a->p, b->p, a->n));
}

/* Envelope fields of assistant record r: its tuple (the last one again
 * when r repeats it) and its request id. */
static int add_env(cc_src *src, const env_vals *ev, cc_rec *r) {
  const cc_env *last = src->nenvs ? &src->envs[src->nenvs - 1] : NULL;
  if (!last || !same_jv(&last->cwd, &ev->cwd) || !same_jv(&last->version, &ev->ver) ||
      !same_jv(&last->branch, &ev->br) || !same_jv(&last->session, &ev->sess)) {
    if (src->nenvs == src->capenvs) {
      size_t cap = src->capenvs ? src->capenvs * 2 : 4;
      cc_env *ne = ti_mem_realloc(src->envs, cap * sizeof(*ne));
      if (!ne) return TI_ERR_NOMEM;
      src->envs = ne;
      src->capenvs = cap;
    }
    cc_env *e = &src->envs[src->nenvs++];
    e->cwd = ev->cwd;
    e->version = ev->ver;
    e->branch = ev->br;
    e->session = ev->sess;
  }
  if (src->naenvs == src->capaenvs) {
    size_t cap = grow_cap(src, src->capaenvs, 64);
    cc_aenv *na = ti_mem_realloc(src->aenvs, cap * sizeof(*na));
    if (!na) return TI_ERR_NOMEM;
    src->aenvs = na;
    src->capaenvs = cap;
  }
  cc_aenv *a = &src->aenvs[src->naenvs];
  a->env = (int32_t)src->nenvs - 1;
  a->request = ev->rid.type == TI_JSON_INVALID ? NULL : ev->rid.p;
  a->request_n = ev->rid.n;
  a->request_type = (int8_t)ev->rid.type;
  a->request_flags = (uint8_t)ev->rid.flags;
  r->env = (int32_t)src->naenvs++;
  return TI_OK;
}

static int env_member(cc_reader *rd, cc_rec *r, env_vals *e, const ti_jv *k, const ti_jv *v,
                      ti_buf *scratch) {
  const char *s;
  size_t n;
  int rc = key_raw(k, scratch, &s, &n);
  if (rc) return rc;
  switch (n) {
  case 4:
    if (!memcmp(s, "type", 4)) e->type = *v;
    else if (!memcmp(s, "uuid", 4)) {
      rc = span(rd->arena, v, &r->uuid, &r->uuid_n);
      if (r->uuid) r->uuid_h = cc_hash(r->uuid, r->uuid_n);
    }
    break;
  case 3:
    if (!memcmp(s, "cwd", 3)) e->cwd = *v;
    break;
  case 6:
    if (!memcmp(s, "isMeta", 6) && ti_json_is_true(v)) r->flags |= CC_F_META;
    break;
  case 7:
    if (!memcmp(s, "message", 7))
      cc_set_sub(r, v, &r->message, &r->message_type, &r->message_flags);
    else if (!memcmp(s, "subtype", 7)) e->subtype = *v;
    else if (!memcmp(s, "version", 7)) e->ver = *v;
    else if (!memcmp(s, "agentId", 7) && v->type == TI_JSON_STRING) {
      rc = span(rd->arena, v, &r->agent, &r->agent_n);
      r->flags |= CC_F_HAS_AGENT;
    }
    break;
  case 9:
    if (!memcmp(s, "timestamp", 9)) rc = span(rd->arena, v, &r->ts, &r->ts_n);
    else if (!memcmp(s, "sessionId", 9)) e->sess = *v;
    else if (!memcmp(s, "requestId", 9)) e->rid = *v;
    else if (!memcmp(s, "gitBranch", 9)) e->br = *v;
    break;
  case 10:
    if (!memcmp(s, "parentUuid", 10)) {
      if (v->type == TI_JSON_STRING) {
        rc = span(rd->arena, v, &r->parent, &r->parent_n);
        if (r->parent) r->parent_h = cc_hash(r->parent, r->parent_n);
      }
      else r->flags |= CC_F_PARENT_NULL;
    }
    break;
  case 11:
    if (!memcmp(s, "isSidechain", 11) && ti_json_is_true(v)) r->flags |= CC_F_SIDECHAIN;
    break;
  case 16:
    if (!memcmp(s, "isCompactSummary", 16) && ti_json_is_true(v)) r->flags |= CC_F_COMPACT_SUMMARY;
    break;
  case 17:
    if (!memcmp(s, "isApiErrorMessage", 17) && ti_json_is_true(v)) r->flags |= CC_F_SYNTHETIC;
    else if (!memcmp(s, "logicalParentUuid", 17) && v->type == TI_JSON_STRING)
      rc = span(rd->arena, v, &r->lparent, &r->lparent_n);
    break;
  default:
    break;
  }
  return rc;
}

/* One record from its parsed root. `mm` (nm of them), when not NULL, are
 * root's members as the indexed parse recorded them: no second walk. */
static int extract(cc_reader *rd, cc_src *src, const ti_jv *root, uint64_t line,
                   uint64_t off, uint16_t extra_flags, const ti_json_member *mm, size_t nm) {
  ti_buf scratch = {0};
  cc_rec *r;
  int rc;
  if (root->type != TI_JSON_OBJECT)
    return report(rd, src, TI_ERR_PARSE, line, off, "record is not a JSON object");
  if (root->n > UINT32_MAX)
    return report(rd, src, TI_ERR_LIMIT, line, off, "record of 4 GiB or more");
  src->rec_off = off;
  rc = add_rec(src, &r);
  if (rc) return rc;
  r->p = root->p;
  r->n = (uint32_t)root->n;
  r->ixk = (uint32_t)root->ixk;
  r->root_flags = (uint8_t)root->flags;
  r->line = line;
  r->type = CC_T_NONE;
  r->flags = extra_flags | (root->ix && root->ix == src->ix ? CC_F_IX : 0);
  env_vals ev;
  memset(&ev, 0, sizeof ev);
  ti_jv k, v;
  r->env = -1;
  if (mm) {
    for (size_t i = 0; i < nm && !rc; i++) rc = env_member(rd, r, &ev, &mm[i].key, &mm[i].val, &scratch);
  } else {
    ti_json_iter it;
    ti_json_iter_init(&it, root);
    while (!rc && ti_json_next_member(&it, &k, &v)) rc = env_member(rd, r, &ev, &k, &v, &scratch);
  }
  ti_buf_free(&scratch);
  if (rc) return rc;
  if (!r->parent && !(r->flags & CC_F_PARENT_NULL)) r->flags |= CC_F_PARENT_NULL;
  if (ev.type.type == TI_JSON_STRING) {
    const char *s;
    size_t n;
    int known;
    rc = cc_str(rd->arena, &ev.type, &s, &n);
    if (rc) return rc;
    r->type = (uint16_t)classify(s, n, &known);
    rc = count_type(rd, s, n);
    if (rc) return rc;
  } else {
    rc = ti_count(rd->ctx, "claude-code.untyped", 1);
    if (rc) return rc;
  }
  if (!src->session && ev.sess.type == TI_JSON_STRING) {
    rc = cc_str(rd->arena, &ev.sess, &src->session, &src->session_n);
    if (rc) return rc;
  }
  if (r->type == CC_T_SYSTEM && ev.subtype.type == TI_JSON_STRING) {
    if (TI_JSON_STR_IS(&ev.subtype, "compact_boundary")) r->flags |= CC_F_BOUNDARY;
    else if (TI_JSON_STR_IS(&ev.subtype, "local_command")) r->flags |= CC_F_LOCAL_CMD;
  }
  ti_jv msg = cc_message(src, r);
  if (r->type == CC_T_USER && msg.type == TI_JSON_OBJECT &&
      ti_json_get(&msg, "content", &v)) /* absent: stays invalid */
    cc_set_sub(r, &v, &r->content, &r->content_type, &r->content_flags);
  if (r->type == CC_T_ASSISTANT) {
    rc = add_env(src, &ev, r);
    if (rc) return rc;
    ti_jv id = {0}, model = {0};
    cc_aenv *a = &src->aenvs[r->env];
    a->model.n = a->usage.n = a->stop.n = 0;
    if (msg.type == TI_JSON_OBJECT) {
      ti_json_iter mi;
      int seen_content = 0;
      uint8_t t;
      ti_json_iter_init(&mi, &msg);
      while (ti_json_next_member(&mi, &k, &v)) {
        /* id and model count before the content (where they come) */
        if (TI_JSON_STR_IS(&k, "content")) {
          if (!seen_content)
            cc_set_sub(r, &v, &r->content, &r->content_type, &r->content_flags);
          seen_content = 1;
        } else if (TI_JSON_STR_IS(&k, "usage")) {
          if (v.type == TI_JSON_OBJECT) cc_set_sub(r, &v, &a->usage, &t, &a->usage_flags);
        } else if (TI_JSON_STR_IS(&k, "stop_reason")) {
          if (v.type == TI_JSON_STRING) cc_set_sub(r, &v, &a->stop, &t, &a->stop_flags);
        } else if (TI_JSON_STR_IS(&k, "model")) {
          if (!seen_content) model = v;
          if (v.type == TI_JSON_STRING && !a->model.n)
            cc_set_sub(r, &v, &a->model, &t, &a->model_flags);
        } else if (TI_JSON_STR_IS(&k, "id")) {
          if (!seen_content) id = v;
        }
      }
    }
    if (model.type == TI_JSON_STRING && TI_JSON_STR_IS(&model, "<synthetic>"))
      r->flags |= CC_F_SYNTHETIC;
    if (id.type == TI_JSON_STRING && id.n > 2) rc = span(rd->arena, &id, &r->gkey, &r->gkey_n);
    else if (ev.rid.type == TI_JSON_STRING && ev.rid.n > 2)
      rc = span(rd->arena, &ev.rid, &r->gkey, &r->gkey_n);
    else {
      r->gkey = r->uuid;
      r->gkey_n = r->uuid_n;
    }
    if (r->gkey) r->gkey_h = cc_hash(r->gkey, r->gkey_n);
  }
  if (r->type >= CC_T_USER && r->type <= CC_T_PROGRESS && r->uuid) {
    if (r->flags & CC_F_SIDECHAIN) src->n_side_chain++;
    else src->n_main_chain++;
  } else if (r->type == CC_T_OTHER && r->uuid) {
    if (r->flags & CC_F_SIDECHAIN) src->n_side_chain++;
    else src->n_main_chain++;
  }
  return rc;
}

/* ---- sanitizing ------------------------------------------------------------ */
static int all_blank(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\0') return 0;
  return 1;
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  size_t k;
  unsigned min;
  if (c >= 0xC2 && c <= 0xDF) k = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) k = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) k = 4, min = 0x10000;
  else return 0;
  if (n < k) return 0;
  unsigned cp = c & (0x7Fu >> k);
  for (size_t i = 1; i < k; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return k;
}

/* Copy without NUL bytes and with invalid UTF-8 replaced by U+FFFD. */
static char *sanitize(cc_arena *a, const char *p, size_t n, size_t *out_n, int *changed) {
  char *q = cc_alloc(a, n * 3 + 1);
  if (!q) return NULL;
  size_t j = 0;
  *changed = 0;
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)p[i];
    if (c == 0) {
      i++;
      *changed = 1;
      continue;
    }
    size_t k = utf8_len((const unsigned char *)p + i, n - i);
    if (!k) {
      q[j++] = (char)0xEF, q[j++] = (char)0xBF, q[j++] = (char)0xBD;
      i++;
      *changed = 1;
      continue;
    }
    memcpy(q + j, p + i, k);
    j += k;
    i += k;
  }
  q[j] = '\0';
  *out_n = j;
  return q;
}

/* A record start we trust when recovering a torn line: `{"` + a key
 * Claude Code writes first. */
static int record_start(const char *p, size_t n) {
  static const char *const keys[] = {"parentUuid\"", "type\"", "uuid\"", "sessionId\"",
                                     "leafUuid\"", "isSidechain\"", "logicalParentUuid\"",
                                     "messageId\"", "operation\"", "cwd\"", "userType\"",
                                     "summary\"", NULL};
  if (n < 3 || p[0] != '{' || p[1] != '"') return 0;
  for (const char *const *k = keys; *k; k++) {
    size_t l = strlen(*k);
    if (n - 2 >= l && memcmp(p + 2, *k, l) == 0) return 1;
  }
  return 0;
}

static void sniff_gkey(cc_src *src, const char *p, size_t n) {
  static const char par[] = "{\"parentUuid\":\"";
  static const char msg[] = "\"message\":{";
  if (n > sizeof(par) - 1 && !memcmp(p, par, sizeof(par) - 1)) {
    const char *s = p + sizeof(par) - 1;
    const char *e = memchr(s, '"', n - (sizeof(par) - 1));
    if (e) {
      src->torn_parent = s;
      src->torn_parent_n = (size_t)(e - s);
    }
  }
  static const char idk[] = "\"id\":\"";
  const char *end = p + n;
  const char *m = NULL;
  for (const char *q = p; q + sizeof(msg) - 1 <= end; q++) {
    q = memchr(q, '"', (size_t)(end - q));
    if (!q || q + sizeof(msg) - 1 > end) break;
    if (!memcmp(q, msg, sizeof(msg) - 1)) {
      m = q;
      break;
    }
  }
  if (!m) return;
  for (const char *q = m; q + sizeof(idk) - 1 <= end; q++) {
    q = memchr(q, '"', (size_t)(end - q));
    if (!q || q + sizeof(idk) - 1 > end) return;
    if (!memcmp(q, idk, sizeof(idk) - 1)) {
      const char *s = q + sizeof(idk) - 1;
      const char *e = memchr(s, '"', (size_t)(end - s));
      if (!e) return; /* the id itself is cut: cannot tell */
      src->torn_gkey = s;
      src->torn_gkey_n = (size_t)(e - s);
      return;
    }
  }
}

/* Parse one line (already NUL-free). Handles concatenated objects. */
static int parse_line(cc_reader *rd, cc_src *src, const char *p, size_t n, uint64_t line,
                      uint64_t off, int torn) {
  uint32_t depth = ti_max_depth(rd->ctx);
  ti_jv root;
  ti_json_error err;
  int rc = ti_json_parse(p, n, depth, &root, &err);
  if (rc == TI_OK) return extract(rd, src, &root, line, off, 0, NULL, 0);
  if (rc == TI_ERR_NOMEM) return rc;
  if (rc == TI_ERR_LIMIT) {
    char what[160];
    snprintf(what, sizeof(what), "%s", err.text);
    return report(rd, src, TI_ERR_LIMIT, line, off + err.offset, what);
  }
  /* Two or more complete objects written on one line. */
  size_t used;
  ti_json_error err2;
  if (ti_json_parse_prefix(p, n, depth, &root, &used, &err2) == TI_OK && used < n) {
    int r2 = ti_count(rd->ctx, "claude-code.concatenated_lines", 1);
    if (!r2) r2 = extract(rd, src, &root, line, off, CC_F_TORN, NULL, 0);
    if (r2) return r2;
    return parse_line(rd, src, p + used, n - used, line, off + used, torn);
  }
  /* A torn write followed by a complete record on the same line. */
  for (size_t k = 1; k + 2 < n; k++) {
    const char *q = memchr(p + k, '{', n - k);
    if (!q) break;
    k = (size_t)(q - p);
    if (!record_start(q, n - k)) continue;
    ti_jv tail;
    size_t tused;
    if (ti_json_parse_prefix(q, n - k, depth, &tail, &tused, NULL) != TI_OK) continue;
    char what[200];
    snprintf(what, sizeof(what),
             "torn record (%zu bytes) followed by a complete one on the same line", k);
    int r2 = report(rd, src, TI_ERR_PARSE, line, off, what);
    if (r2) return r2;
    return parse_line(rd, src, q, n - k, line, off + k, torn);
  }
  if (torn) { /* the session is still being written: not an error */
    sniff_gkey(src, p, n);
    return ti_count(rd->ctx, "claude-code.torn_tail", 1);
  }
  char what[160];
  snprintf(what, sizeof(what), "malformed JSON: %s", err.text);
  return report(rd, src, TI_ERR_PARSE, line, off + err.offset, what);
}

static int do_line(cc_reader *rd, cc_src *src, const char *p, size_t n, uint64_t line,
                   uint64_t off, int torn, uint64_t *nrec) {
  if (all_blank(p, n)) {
    if (memchr(p, 0, n)) return ti_count(rd->ctx, "claude-code.nul_lines", 1);
    return TI_OK;
  }
  (*nrec)++;
  uint32_t depth = ti_max_depth(rd->ctx);
  ti_jv root;
  /* one index for the whole file: the map phase walks the records again.
   * A valid line has no NUL byte (JSON has none), so the parse comes first
   * and only a line it rejects is looked at for NUL padding. */
  if (!src->ix && !(src->ix = ti_json_index_new())) return TI_ERR_NOMEM;
  int rc = ti_json_parse_indexed_add(p, n, depth, src->ix, &root, NULL);
  if (rc == TI_OK) {
    const ti_json_member *mm;
    size_t nm = ti_json_index_members(src->ix, &mm);
    return extract(rd, src, &root, line, off, 0, mm, nm);
  }
  if (rc == TI_ERR_NOMEM) return rc;
  if (memchr(p, 0, n)) { /* NUL padding from a crashed writer */
    size_t m;
    int changed;
    char *q = sanitize(rd->arena, p, n, &m, &changed);
    if (!q) return TI_ERR_NOMEM;
    rc = ti_count(rd->ctx, "claude-code.sanitized_lines", 1);
    return rc ? rc : parse_line(rd, src, q, m, line, off, torn);
  }
  /* Invalid UTF-8: repair and retry before giving up. */
  size_t m;
  int changed;
  char *q = sanitize(rd->arena, p, n, &m, &changed);
  if (!q) return TI_ERR_NOMEM;
  if (changed) {
    rc = ti_count(rd->ctx, "claude-code.sanitized_lines", 1);
    if (rc) return rc;
  }
  return parse_line(rd, src, changed ? q : p, changed ? m : n, line, off, torn);
}

int cc_read(cc_reader *rd, cc_src *src) {
  const char *buf = src->buf;
  size_t len = src->len, pos = 0;
  uint64_t line = 1, nrec = 0;
  if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) pos = 3;
  int rc = TI_OK;
  uint64_t limit = ti_max_record_bytes(rd->ctx);
  uint32_t depth = ti_max_depth(rd->ctx);
  if (!src->ix && !(src->ix = ti_json_index_new())) return TI_ERR_NOMEM;
  while (pos < len && !rc) {
    /* The usual line, valid and under the limit: its end is found by the
     * parse, in the same pass (a search for the newline first would be the
     * pass that brings the line in from memory). Anything else goes the
     * long way below, which reports it. */
    ti_jv root;
    size_t ll;
    if (ti_json_parse_indexed_line(buf + pos, len - pos, depth, src->ix, &root, &ll, NULL) ==
            TI_OK &&
        (!limit || ll <= limit)) {
      const ti_json_member *mm;
      size_t nm = ti_json_index_members(src->ix, &mm);
      nrec++;
      rc = extract(rd, src, &root, line, pos, 0, mm, nm);
      pos += ll + 1;
      line++;
      continue;
    }
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    size_t e = end;
    if (e > pos && buf[e - 1] == '\r') e--;
    if (limit && (uint64_t)(e - pos) > limit) {
      char what[120];
      snprintf(what, sizeof(what), "line of %zu bytes is over the record limit of %llu",
               e - pos, (unsigned long long)limit);
      nrec++;
      rc = report(rd, src, TI_ERR_LIMIT, line, pos, what);
    } else {
      rc = do_line(rd, src, buf + pos, e - pos, line, pos, nl == NULL, &nrec);
    }
    pos = end + 1;
    line++;
  }
  if (!rc && rd->main_file) rc = ti_count(rd->ctx, "records", nrec);
  return rc;
}
