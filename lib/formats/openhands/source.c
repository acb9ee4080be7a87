/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: from an input to trajectories (formats/openhands.md 0).
 *  - a directory: a v0 session (events/<n>.json) or a v1 conversation
 *    (events/event-NNNNN-<uuid>.json): one trajectory;
 *  - JSONL rows (eval output, resolver output, feedback rows): one trajectory
 *    per row, read line by line (memory bounded by one row);
 *  - JSONL events (v1 events, v0 events, REST pages): one trajectory;
 *  - a JSON document: an event array (one trajectory), an array of rows,
 *    or one row / REST wrapper. */
#include <stdlib.h>
#include <string.h>

#include "oh.h"

enum { SRC_NONE = 0, SRC_DIR, SRC_ROWS, SRC_DOC, SRC_STREAM, SRC_DONE };

typedef struct lineinfo {
  size_t at;      /* offset in the joined buffer */
  uint64_t line;  /* line number in the input */
  uint64_t off;   /* byte offset in the input */
} lineinfo;

struct oh_source {
  ti_plugin_ctx *ctx;
  int mode;
  ti_record first;
  int have_first;
  /* SRC_DOC / SRC_STREAM: joined or copied lines */
  ti_buf doc;
  lineinfo *lines;
  size_t nlines, caplines;
  ti_jv root;
  ti_json_iter rows;
  int doc_rows;
  size_t row_index;
  /* owned strings (event file paths, copied lines) */
  char **own;
  size_t nown, capown;
  const char *base;
  ti_buf tmp;
};

int oh_source_new(oh_source **out, ti_plugin_ctx *ctx) {
  oh_source *s = ti_mem_calloc(1, sizeof *s);
  if (!s)
    return TI_ERR_NOMEM;
  s->ctx = ctx;
  const char *p = ti_input_path(ctx);
  s->base = p ? (strrchr(p, '/') ? strrchr(p, '/') + 1 : p) : "<input>";
  if (!*s->base && p) /* a directory given with a trailing slash */
    s->base = p;
  *out = s;
  return TI_OK;
}

void oh_source_free(oh_source *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->nown; i++)
    ti_mem_free(s->own[i]);
  ti_mem_free(s->own);
  ti_mem_free(s->lines);
  ti_buf_free(&s->doc);
  ti_buf_free(&s->tmp);
  ti_mem_free(s);
}

static char *own_copy(oh_source *s, const char *p, size_t n) {
  if (s->nown == s->capown) {
    size_t nc = s->capown ? s->capown * 2 : 32;
    char **q = ti_mem_realloc(s->own, nc * sizeof *q);
    if (!q)
      return NULL;
    s->own = q;
    s->capown = nc;
  }
  char *c = ti_mem_alloc(n + 1);
  if (!c)
    return NULL;
  memcpy(c, p, n);
  c[n] = '\0';
  s->own[s->nown++] = c;
  return c;
}

static int line_add(oh_source *s, size_t at, uint64_t line, uint64_t off) {
  if (s->nlines == s->caplines) {
    size_t nc = s->caplines ? s->caplines * 2 : 256;
    lineinfo *p = ti_mem_realloc(s->lines, nc * sizeof *p);
    if (!p)
      return TI_ERR_NOMEM;
    s->lines = p;
    s->caplines = nc;
  }
  s->lines[s->nlines].at = at;
  s->lines[s->nlines].line = line;
  s->lines[s->nlines++].off = off;
  return TI_OK;
}

/* Input position of a byte of the joined document. */
static void doc_pos(const oh_source *s, const char *p, uint64_t *line, uint64_t *off) {
  size_t at = (size_t)(p - s->doc.p), lo = 0, hi = s->nlines;
  *line = 0;
  *off = 0;
  if (!s->nlines || p < s->doc.p)
    return;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (s->lines[mid].at <= at)
      lo = mid;
    else
      hi = mid;
  }
  *line = s->lines[lo].line;
  *off = s->lines[lo].off + (at - s->lines[lo].at);
}

/* ---- rows ------------------------------------------------------------------- */
static int is_pair(const ti_jv *v) {
  return v->type == TI_JSON_ARRAY && ti_json_count(v) == 2;
}

/* Add the events of a list (objects, or [action, observation] pairs). */
static int add_list(oh_source *s, oh_traj *t, const ti_jv *list, uint64_t line,
                    uint64_t off, int *pairs) {
  int doc = s->mode == SRC_DOC || (s->mode == SRC_DONE && s->nlines > 0);
  ti_json_iter it, pit;
  ti_jv v, x;
  int rc = TI_OK;
  ti_json_iter_init(&it, list);
  while (rc == TI_OK && ti_json_next(&it, &v)) {
    uint64_t l = line, o = off;
    if (!line && doc)
      doc_pos(s, v.p, &l, &o);
    if (is_pair(&v)) {
      *pairs = 1;
      ti_json_iter_init(&pit, &v);
      while (rc == TI_OK && ti_json_next(&pit, &x))
        if (x.type == TI_JSON_OBJECT)
          rc = oh_traj_add(t, &x, l, o, NULL);
    } else if (v.type == TI_JSON_OBJECT) {
      rc = oh_traj_add(t, &v, l, o, NULL);
    } else {
      rc = ti_report(s->ctx, TI_ERR_PARSE, l, o, "history item is not an event object");
    }
  }
  return rc;
}

static int has_array(const ti_jv *row, const char *key, ti_jv *out) {
  return ti_json_get(row, key, out) && out->type == TI_JSON_ARRAY;
}

/* Source model from an eval row's metadata or a feedback row's initialize. */
static int row_model(oh_traj *t, const ti_jv *row) {
  ti_jv v;
  if (ti_json_getv(row, &v, "metadata", "llm_config", "model", (const char *)NULL) &&
      v.type == TI_JSON_STRING)
    return oh_append_str(&t->model, &v);
  if (ti_json_getv(row, &v, "metadata", "model_name", (const char *)NULL) &&
      v.type == TI_JSON_STRING)
    return oh_append_str(&t->model, &v);
  for (size_t i = 0; i < t->n; i++) {
    const oh_ev *e = &t->ev[i];
    ti_jv a;
    if (ti_json_get(&e->obj, "action", &a) && ti_json_str_eq(&a, "initialize") &&
        (ti_json_getv(&e->obj, &v, "extras", "LLM_MODEL", (const char *)NULL) ||
         ti_json_getv(&e->obj, &v, "args", "LLM_MODEL", (const char *)NULL)) &&
        v.type == TI_JSON_STRING) {
      ti_buf_reset(&t->model);
      int rc = oh_append_str(&t->model, &v); /* the last initialize wins */
      if (rc != TI_OK)
        return rc;
    }
  }
  return TI_OK;
}

static int id_of(ti_buf *b, const ti_jv *v) {
  if (v->type == TI_JSON_STRING)
    return oh_append_str(b, v);
  if (v->type == TI_JSON_NUMBER)
    return ti_buf_append(b, v->p, v->n);
  return TI_OK;
}

typedef struct row_members {
  ti_jv history, trajectory, events, items, issue, instance_id, task_id, id, marker;
} row_members;

/* Key comparison against a string literal (length known at compile time). */
static int keyis_n(const ti_jv *k, const char *s, size_t n) {
  if (!(k->flags & TI_JV_ESCAPES))
    return k->n == n + 2 && memcmp(k->p + 1, s, n) == 0;
  return ti_json_str_eq(k, s);
}
#define keyis(k, lit) keyis_n((k), "" lit, sizeof(lit) - 1)

/* The envelope keys of a row, in one pass (rows can be large). */
static void read_row(const ti_jv *row, row_members *m) {
  ti_json_iter it;
  ti_jv k, v;
  memset(m, 0, sizeof *m);
  ti_json_iter_init(&it, row);
  while (ti_json_next_member(&it, &k, &v)) {
    if (keyis(&k, "history"))
      m->history = v;
    else if (keyis(&k, "trajectory"))
      m->trajectory = v;
    else if (keyis(&k, "events"))
      m->events = v;
    else if (keyis(&k, "items"))
      m->items = v;
    else if (keyis(&k, "issue"))
      m->issue = v;
    else if (keyis(&k, "instance_id"))
      m->instance_id = v;
    else if (keyis(&k, "task_id"))
      m->task_id = v;
    else if (keyis(&k, "id"))
      m->id = v;
    else if (keyis(&k, "feedback") || keyis(&k, "version") || keyis(&k, "polarity"))
      m->marker = v;
    /* Eval rows put instance_id first and large keys after the history:
     * stop once the list and the id are known. */
    if ((m->history.type || m->trajectory.type) &&
        (m->instance_id.type || m->issue.type || m->task_id.type))
      break;
  }
}

/* Fill `t` from one row object. Returns TI_OK, 1 (not a row), or < 0. */
static int fill_row(oh_source *s, oh_traj *t, const ti_jv *row, uint64_t line,
                    uint64_t off, size_t index) {
  row_members m;
  ti_jv list, v;
  int pairs = 0, rc;
  if (row->type != TI_JSON_OBJECT)
    return 1;
  read_row(row, &m);
  if (m.history.type == TI_JSON_ARRAY) {
    list = m.history;
    t->variant = m.issue.type != TI_JSON_INVALID ? OH_VAR_V0_RESOLVER : OH_VAR_V0_EVAL;
  } else if (m.trajectory.type == TI_JSON_ARRAY) {
    list = m.trajectory;
    t->variant = m.marker.type != TI_JSON_INVALID ? OH_VAR_V0_FEEDBACK : OH_VAR_V0_REST;
  } else if (m.events.type == TI_JSON_ARRAY || m.items.type == TI_JSON_ARRAY) {
    list = m.events.type == TI_JSON_ARRAY ? m.events : m.items;
    t->variant = OH_VAR_V0_REST;
  } else {
    return 1;
  }
  t->envelope = *row;
  if ((rc = add_list(s, t, &list, line, off, &pairs)) != TI_OK)
    return rc;
  if (pairs)
    t->variant = OH_VAR_V0_PAIRS;
  /* trajectory id */
  if (m.instance_id.type != TI_JSON_INVALID && m.instance_id.type != TI_JSON_NULL) {
    t->instance_id = v = m.instance_id;
    rc = id_of(&t->id, &v);
  } else if ((v = m.issue).type == TI_JSON_OBJECT) {
    ti_jv o = {0}, r = {0}, n = {0};
    (void)ti_json_get(&v, "owner", &o);
    (void)ti_json_get(&v, "repo", &r);
    (void)ti_json_get(&v, "number", &n);
    rc = id_of(&t->id, &o);
    if (rc == TI_OK)
      rc = ti_buf_puts(&t->id, "/");
    if (rc == TI_OK)
      rc = id_of(&t->id, &r);
    if (rc == TI_OK)
      rc = ti_buf_puts(&t->id, "#");
    if (rc == TI_OK)
      rc = id_of(&t->id, &n);
  } else if (m.task_id.type == TI_JSON_STRING || m.task_id.type == TI_JSON_NUMBER) {
    rc = id_of(&t->id, &m.task_id);
  } else {
    rc = id_of(&t->id, &m.id);
  }
  if (rc == TI_OK && !t->id.len) {
    if (line)
      rc = ti_buf_printf(&t->id, "%s:%llu", s->base, (unsigned long long)line);
    else if (index == (size_t)-1) /* the document is the one row */
      rc = ti_buf_puts(&t->id, s->base);
    else
      rc = ti_buf_printf(&t->id, "%s:%zu", s->base, index);
  }
  if (rc == TI_OK)
    rc = row_model(t, row);
  return rc;
}

/* ---- directories ------------------------------------------------------------- */
typedef struct dirent_ {
  char *name;
  uint64_t idx;
} dirent_;

typedef struct dirlist {
  dirent_ *v;
  size_t n, cap;
  int has_events;
  oh_source *s;
} dirlist;

/* "<n>.json" (v0) or "event-<n>[-<uuid>].json" (v1): 1 and *idx. */
static int event_index(const char *name, uint64_t *idx) {
  const char *p = name;
  size_t len = strlen(name);
  if (len < 6 || strcmp(name + len - 5, ".json") != 0)
    return 0;
  if (strncmp(p, "event-", 6) == 0)
    p += 6;
  if (*p < '0' || *p > '9')
    return 0;
  uint64_t x = 0;
  while (*p >= '0' && *p <= '9')
    x = x * 10 + (uint64_t)(*p++ - '0');
  if (strcmp(p, ".json") != 0 && !(p != name && *p == '-' && strncmp(name, "event-", 6) == 0))
    return 0;
  *idx = x;
  return 1;
}

static int dir_cb(void *user, const char *name, int is_dir) {
  dirlist *d = user;
  uint64_t idx;
  if (is_dir) {
    if (strcmp(name, "events") == 0)
      d->has_events = 1;
    return 0;
  }
  if (!event_index(name, &idx))
    return 0;
  if (d->n == d->cap) {
    size_t nc = d->cap ? d->cap * 2 : 64;
    dirent_ *p = ti_mem_realloc(d->v, nc * sizeof *p);
    if (!p)
      return TI_ERR_NOMEM;
    d->v = p;
    d->cap = nc;
  }
  char *c = own_copy(d->s, name, strlen(name));
  if (!c)
    return TI_ERR_NOMEM;
  d->v[d->n].name = c;
  d->v[d->n++].idx = idx;
  return 0;
}

static int by_index(const void *a, const void *b) {
  const dirent_ *x = a, *y = b;
  if (x->idx != y->idx)
    return x->idx < y->idx ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int dir_sidecars(oh_source *s, oh_traj *t, int *v1) {
  const char *buf;
  size_t len;
  ti_jv root, v;
  if (ti_input_read_file(s->ctx, "base_state.json", &buf, &len) == TI_OK &&
      ti_json_parse(buf, len, ti_max_depth(s->ctx), &root, NULL) == TI_OK) {
    *v1 = 1;
    if (oh_get(&root, "id", &v) && !t->id.len && id_of(&t->id, &v) != TI_OK)
      return TI_ERR_NOMEM;
    if (ti_json_getv(&root, &v, "agent", "llm", "model", (const char *)NULL) &&
        v.type == TI_JSON_STRING && oh_append_str(&t->model, &v) != TI_OK)
      return TI_ERR_NOMEM;
  }
  if (ti_input_read_file(s->ctx, "metadata.json", &buf, &len) == TI_OK &&
      ti_json_parse(buf, len, ti_max_depth(s->ctx), &root, NULL) == TI_OK) {
    if (oh_get(&root, "conversation_id", &v) && !t->id.len &&
        id_of(&t->id, &v) != TI_OK)
      return TI_ERR_NOMEM;
    if (oh_get(&root, "llm_model", &v) && !t->model.len &&
        oh_append_str(&t->model, &v) != TI_OK)
      return TI_ERR_NOMEM;
  }
  return TI_OK;
}

static int fill_dir(oh_source *s, oh_traj *t) {
  dirlist d = {0};
  const char *sub = "events";
  int rc, v1 = 0;
  d.s = s;
  rc = ti_input_list_dir(s->ctx, ".", dir_cb, &d);
  if (rc == TI_OK && d.has_events) {
    d.n = 0;
    rc = ti_input_list_dir(s->ctx, "events", dir_cb, &d);
  } else {
    sub = NULL; /* the events directory itself */
  }
  if (rc != TI_OK) {
    ti_mem_free(d.v);
    return rc < 0 ? rc : TI_ERR_IO;
  }
  qsort(d.v, d.n, sizeof *d.v, by_index);
  const char *dir = ti_input_path(s->ctx);
  for (size_t i = 0; i < d.n && rc == TI_OK; i++) {
    const char *buf, *path;
    size_t len;
    ti_jv root;
    ti_json_error err;
    ti_buf_reset(&s->tmp);
    rc = sub ? ti_buf_printf(&s->tmp, "%s/%s", sub, d.v[i].name)
             : ti_buf_puts(&s->tmp, d.v[i].name);
    if (rc != TI_OK)
      break;
    char *rel = own_copy(s, s->tmp.p, s->tmp.len);
    ti_buf_reset(&s->tmp);
    rc = ti_buf_printf(&s->tmp, "%s/%s", dir ? dir : ".", rel ? rel : "");
    path = rc == TI_OK && rel ? own_copy(s, s->tmp.p, s->tmp.len) : NULL;
    if (!path) {
      rc = TI_ERR_NOMEM;
      break;
    }
    rc = ti_input_read_file(s->ctx, rel, &buf, &len);
    if (rc == TI_ERR_NOMEM)
      break;
    if (rc != TI_OK) {
      rc = ti_report_file(s->ctx, path, TI_ERR_IO, 0, 0, "cannot read event file");
      continue;
    }
    if (ti_json_parse(buf, len, ti_max_depth(s->ctx), &root, &err) != TI_OK) {
      rc = ti_report_file(s->ctx, path, err.code, 0, err.offset,
                          "malformed OpenHands event: %s", err.text);
      continue;
    }
    if (!oh_is_event(&root)) {
      rc = ti_report_file(s->ctx, path, TI_ERR_PARSE, 1, 0,
                          "not an OpenHands event");
      continue;
    }
    ti_count(s->ctx, "records", 1);
    rc = oh_traj_add(t, &root, 1, 0, path);
  }
  ti_mem_free(d.v);
  if (rc != TI_OK)
    return rc;
  if ((rc = dir_sidecars(s, t, &v1)) != TI_OK)
    return rc;
  if (t->n && oh_is_v1_event(&t->ev[0].obj))
    v1 = 1;
  t->variant = v1 ? OH_VAR_V1_CONV : OH_VAR_V0_SESSION;
  if (!t->id.len && dir) {
    const char *b = dir + strlen(dir);
    while (b > dir && b[-1] == '/')
      b--;
    const char *a = b;
    while (a > dir && a[-1] != '/')
      a--;
    if (!sub && b - a == 6 && strncmp(a, "events", 6) == 0 && a > dir) {
      b = a - 1; /* given the events directory: name the conversation */
      a = b;
      while (a > dir && a[-1] != '/')
        a--;
    }
    rc = ti_buf_append(&t->id, a, (size_t)(b - a));
  }
  return rc;
}

/* ---- documents and streams --------------------------------------------------- */
/* Read every remaining line into s->doc (joined with "\n"), keeping where
 * each line came from. */
static int slurp(oh_source *s) {
  ti_record r;
  int rc;
  if (s->have_first) {
    if ((rc = line_add(s, s->doc.len, s->first.line, s->first.offset)) != TI_OK ||
        (rc = ti_buf_append(&s->doc, s->first.p, s->first.len)) != TI_OK ||
        (rc = ti_buf_puts(&s->doc, "\n")) != TI_OK)
      return rc;
    s->have_first = 0;
  }
  while ((rc = ti_input_next_line(s->ctx, &r)) == TI_OK) {
    if ((rc = line_add(s, s->doc.len, r.line, r.offset)) != TI_OK ||
        (rc = ti_buf_append(&s->doc, r.p, r.len)) != TI_OK ||
        (rc = ti_buf_puts(&s->doc, "\n")) != TI_OK)
      return rc;
  }
  return rc == TI_DONE ? TI_OK : rc;
}

static int start_doc(oh_source *s) {
  ti_json_error err;
  int rc = slurp(s);
  if (rc != TI_OK)
    return rc;
  if (!s->doc.len) {
    s->mode = SRC_DONE;
    return TI_OK;
  }
  if (ti_json_parse(s->doc.p, s->doc.len, ti_max_depth(s->ctx), &s->root, &err) != TI_OK) {
    uint64_t line, off;
    doc_pos(s, s->doc.p + (err.offset < s->doc.len ? err.offset : s->doc.len - 1),
            &line, &off);
    s->mode = SRC_DONE;
    rc = ti_report(s->ctx, err.code, line, off, "malformed JSON document: %s", err.text);
    return rc;
  }
  s->mode = SRC_DOC;
  s->doc_rows = 0;
  if (s->root.type == TI_JSON_ARRAY) {
    ti_json_iter it;
    ti_jv first;
    ti_json_iter_init(&it, &s->root);
    if (ti_json_next(&it, &first) && first.type == TI_JSON_OBJECT && !oh_is_event(&first)) {
      s->doc_rows = 1;
      ti_json_iter_init(&s->rows, &s->root);
    }
  }
  return TI_OK;
}

/* An events stream: every line (or page) adds events to one trajectory. */
static int fill_stream(oh_source *s, oh_traj *t) {
  ti_record r;
  int rc = TI_OK, first = 1;
  t->variant = OH_VAR_V1_EVENTS;
  for (;;) {
    const char *p;
    size_t len;
    uint64_t line, off;
    if (first && s->have_first) {
      p = s->first.p;
      len = s->first.len;
      line = s->first.line;
      off = s->first.offset;
      s->have_first = 0;
    } else {
      rc = ti_input_next_line(s->ctx, &r);
      if (rc == TI_DONE)
        break;
      if (rc != TI_OK)
        return rc;
      p = r.p;
      len = r.len;
      line = r.line;
      off = r.offset;
    }
    first = 0;
    char *c = own_copy(s, p, len);
    ti_jv root, list;
    int pairs = 0;
    if (!c)
      return TI_ERR_NOMEM;
    if (ti_input_parse(s->ctx, c, len, line, off, &root) != TI_OK) {
      if (ti_strict(s->ctx))
        return TI_ERR_PARSE;
      continue;
    }
    if (oh_is_event(&root)) {
      rc = oh_traj_add(t, &root, line, off, NULL);
    } else if (has_array(&root, "items", &list) || has_array(&root, "events", &list) ||
               has_array(&root, "trajectory", &list)) {
      rc = add_list(s, t, &list, line, off, &pairs);
    } else {
      rc = ti_report(s->ctx, TI_ERR_PARSE, line, off, "not an OpenHands event");
    }
    if (rc != TI_OK)
      return rc;
  }
  if (t->n && !oh_is_v1_event(&t->ev[0].obj))
    t->variant = OH_VAR_V0_TRAJ;
  return ti_buf_puts(&t->id, s->base);
}

static int classify_first(oh_source *s) {
  ti_jv root, list;
  ti_record *r = &s->first;
  int rc = ti_input_next_line(s->ctx, r);
  if (rc == TI_DONE) {
    s->mode = SRC_DONE;
    return TI_OK;
  }
  if (rc != TI_OK)
    return rc;
  s->have_first = 1;
  if (ti_json_parse(r->p, r->len, ti_max_depth(s->ctx), &root, NULL) != TI_OK)
    return start_doc(s); /* a pretty-printed document */
  if (root.type != TI_JSON_OBJECT)
    return start_doc(s); /* a one-line array */
  if (oh_is_event(&root) ||
      ((has_array(&root, "items", &list) || has_array(&root, "events", &list)) &&
       !ti_json_get(&root, "history", &list)))
    s->mode = SRC_STREAM;
  else
    s->mode = SRC_ROWS;
  return TI_OK;
}

int oh_source_next(oh_source *s, oh_traj *t) {
  int rc;
  oh_traj_reset(t);
  if (s->mode == SRC_NONE) {
    if (ti_input_is_dir(s->ctx)) {
      s->mode = SRC_DONE;
      rc = fill_dir(s, t);
      return rc ? rc : TI_OK;
    }
    if ((rc = classify_first(s)) != TI_OK)
      return rc;
  }
  for (;;) {
    switch (s->mode) {
    case SRC_STREAM:
      s->mode = SRC_DONE;
      return fill_stream(s, t);
    case SRC_ROWS: {
      ti_record r;
      ti_jv root;
      if (s->have_first) {
        r = s->first;
        s->have_first = 0;
      } else if ((rc = ti_input_next_line(s->ctx, &r)) != TI_OK) {
        if (rc == TI_DONE)
          s->mode = SRC_DONE;
        return rc;
      }
      if (ti_input_parse(s->ctx, r.p, r.len, r.line, r.offset, &root) != TI_OK) {
        if (ti_strict(s->ctx))
          return TI_ERR_PARSE;
        continue;
      }
      rc = fill_row(s, t, &root, r.line, r.offset, 0);
      if (rc == 1) {
        if ((rc = ti_report(s->ctx, TI_ERR_PARSE, r.line, r.offset,
                            "not an OpenHands row (no history/trajectory)")) != TI_OK)
          return rc;
        oh_traj_reset(t);
        continue;
      }
      return rc;
    }
    case SRC_DOC: {
      uint64_t line, off;
      if (!s->doc_rows) {
        s->mode = SRC_DONE;
        if (s->root.type == TI_JSON_ARRAY) {
          int pairs = 0;
          t->variant = OH_VAR_V0_TRAJ;
          rc = add_list(s, t, &s->root, 0, 0, &pairs);
          if (rc == TI_OK && t->n && oh_is_v1_event(&t->ev[0].obj))
            t->variant = OH_VAR_V1_EVENTS;
          if (rc == TI_OK && pairs)
            t->variant = OH_VAR_V0_PAIRS;
          return rc ? rc : ti_buf_puts(&t->id, s->base);
        }
        doc_pos(s, s->root.p, &line, &off);
        if (oh_is_event(&s->root)) {
          rc = oh_traj_add(t, &s->root, line, off, NULL);
          return rc ? rc : ti_buf_puts(&t->id, s->base);
        }
        rc = fill_row(s, t, &s->root, 0, 0, (size_t)-1);
        if (rc == 1)
          return ti_report(s->ctx, TI_ERR_PARSE, line, off,
                           "not an OpenHands document");
        return rc;
      }
      ti_jv row;
      if (!ti_json_next(&s->rows, &row)) {
        s->mode = SRC_DONE;
        continue;
      }
      doc_pos(s, row.p, &line, &off);
      rc = fill_row(s, t, &row, 0, 0, s->row_index++);
      if (rc == 1) {
        if ((rc = ti_report(s->ctx, TI_ERR_PARSE, line, off,
                            "not an OpenHands row")) != TI_OK)
          return rc;
        oh_traj_reset(t);
        continue;
      }
      return rc;
    }
    default:
      return TI_DONE;
    }
  }
}
