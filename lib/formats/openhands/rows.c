/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: a row (eval output, resolver output, feedback row, REST
 * body) to a trajectory: its event list (objects, or [action, observation]
 * pairs flattened), id, variant and source model. */
#include <string.h>

#include "source.h"

static int is_pair(const ti_jv *v) {
  return v->type == TI_JSON_ARRAY && ti_json_count(v) == 2;
}

/* Add the events of a list (objects, or [action, observation] pairs). */
int oh_src_add_list(oh_source *s, oh_traj *t, const ti_jv *list, uint64_t line,
                    uint64_t off, int doc, int *pairs) {
  ti_json_iter it, pit;
  ti_jv v, x;
  int rc = TI_OK;
  ti_json_iter_init(&it, list);
  while (rc == TI_OK && ti_json_next(&it, &v)) {
    uint64_t l = line, o = off;
    if (!line && doc)
      oh_src_pos(s, v.p, &l, &o);
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

int oh_src_has_array(const ti_jv *row, const char *key, ti_jv *out) {
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

int oh_src_id_of(ti_buf *b, const ti_jv *v) {
  if (v->type == TI_JSON_STRING)
    return oh_append_str(b, v);
  if (v->type == TI_JSON_NUMBER)
    return ti_buf_append(b, v->p, v->n);
  return TI_OK;
}

typedef struct row_members {
  ti_jv history, trajectory, events, items, issue, instance_id, task_id, id, marker;
} row_members;

/* The envelope keys of a row, in one pass (rows can be large). */
static void read_row(const ti_jv *row, row_members *m) {
  ti_json_iter it;
  ti_jv k, v;
  memset(m, 0, sizeof *m);
  ti_json_iter_init(&it, row);
  while (ti_json_next_member(&it, &k, &v)) {
    if (TI_JSON_STR_IS(&k, "history"))
      m->history = v;
    else if (TI_JSON_STR_IS(&k, "trajectory"))
      m->trajectory = v;
    else if (TI_JSON_STR_IS(&k, "events"))
      m->events = v;
    else if (TI_JSON_STR_IS(&k, "items"))
      m->items = v;
    else if (TI_JSON_STR_IS(&k, "issue"))
      m->issue = v;
    else if (TI_JSON_STR_IS(&k, "instance_id"))
      m->instance_id = v;
    else if (TI_JSON_STR_IS(&k, "task_id"))
      m->task_id = v;
    else if (TI_JSON_STR_IS(&k, "id"))
      m->id = v;
    else if (TI_JSON_STR_IS(&k, "feedback") || TI_JSON_STR_IS(&k, "version") || TI_JSON_STR_IS(&k, "polarity"))
      m->marker = v;
    /* Eval rows put instance_id first and large keys after the history:
     * stop once the list and the id are known. */
    if ((m->history.type || m->trajectory.type) &&
        (m->instance_id.type || m->issue.type || m->task_id.type))
      break;
  }
}

/* Fill `t` from one row object. Returns TI_OK, 1 (not a row), or < 0. */
int oh_src_fill_row(oh_source *s, oh_traj *t, const ti_jv *row, uint64_t line,
                    uint64_t off, size_t index, int doc) {
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
  if ((rc = oh_src_add_list(s, t, &list, line, off, doc, &pairs)) != TI_OK)
    return rc;
  if (pairs)
    t->variant = OH_VAR_V0_PAIRS;
  /* trajectory id */
  if (m.instance_id.type != TI_JSON_INVALID && m.instance_id.type != TI_JSON_NULL) {
    t->instance_id = v = m.instance_id;
    rc = oh_src_id_of(&t->id, &v);
  } else if ((v = m.issue).type == TI_JSON_OBJECT) {
    ti_jv o = {0}, r = {0}, n = {0};
    (void)ti_json_get(&v, "owner", &o);
    (void)ti_json_get(&v, "repo", &r);
    (void)ti_json_get(&v, "number", &n);
    rc = oh_src_id_of(&t->id, &o);
    if (rc == TI_OK)
      rc = ti_buf_puts(&t->id, "/");
    if (rc == TI_OK)
      rc = oh_src_id_of(&t->id, &r);
    if (rc == TI_OK)
      rc = ti_buf_puts(&t->id, "#");
    if (rc == TI_OK)
      rc = oh_src_id_of(&t->id, &n);
  } else if (m.task_id.type == TI_JSON_STRING || m.task_id.type == TI_JSON_NUMBER) {
    rc = oh_src_id_of(&t->id, &m.task_id);
  } else {
    rc = oh_src_id_of(&t->id, &m.id);
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
