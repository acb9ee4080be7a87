/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: a v0 session directory (events/<n>.json, metadata.json)
 * or a v1 conversation directory (events/event-NNNNN-<uuid>.json,
 * base_state.json) as one trajectory; event files sorted by their number. */
#include <stdlib.h>
#include <string.h>

#include "source.h"

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
  char *c = oh_src_copy(d->s, name, strlen(name));
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

/* Read a sidecar: TI_OK (root set), 1 (absent or not JSON), or an error. */
static int sidecar(oh_source *s, const char *name, ti_jv *root) {
  const char *buf;
  size_t len;
  int rc = ti_input_read_file(s->ctx, name, &buf, &len);
  if (rc == TI_ERR_NOMEM)
    return rc;
  if (rc != TI_OK || ti_json_parse(buf, len, ti_max_depth(s->ctx), root, NULL) != TI_OK)
    return 1;
  return TI_OK;
}

static int dir_sidecars(oh_source *s, oh_traj *t, int *v1) {
  ti_jv root, v;
  int rc = sidecar(s, "base_state.json", &root);
  if (rc < 0)
    return rc;
  if (rc == TI_OK) {
    *v1 = 1;
    if (oh_get(&root, "id", &v) && !t->id.len && oh_src_id_of(&t->id, &v) != TI_OK)
      return TI_ERR_NOMEM;
    if (ti_json_getv(&root, &v, "agent", "llm", "model", (const char *)NULL) &&
        v.type == TI_JSON_STRING && oh_append_str(&t->model, &v) != TI_OK)
      return TI_ERR_NOMEM;
  }
  rc = sidecar(s, "metadata.json", &root);
  if (rc < 0)
    return rc;
  if (rc == TI_OK) {
    if (oh_get(&root, "conversation_id", &v) && !t->id.len &&
        oh_src_id_of(&t->id, &v) != TI_OK)
      return TI_ERR_NOMEM;
    if (oh_get(&root, "llm_model", &v) && !t->model.len &&
        oh_append_str(&t->model, &v) != TI_OK)
      return TI_ERR_NOMEM;
  }
  return TI_OK;
}

int oh_src_fill_dir(oh_source *s, oh_traj *t) {
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
    char *rel = oh_src_copy(s, s->tmp.p, s->tmp.len);
    ti_buf_reset(&s->tmp);
    rc = ti_buf_printf(&s->tmp, "%s/%s", dir ? dir : ".", rel ? rel : "");
    path = rc == TI_OK && rel ? oh_src_copy(s, s->tmp.p, s->tmp.len) : NULL;
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
    if ((rc = ti_count(s->ctx, "records", 1)) == TI_OK)
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
