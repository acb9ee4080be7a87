/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: small JSON and buffer helpers, trajectory container. */
#include <string.h>

#include "oh.h"

const char *const oh_variant_names[OH_VAR_COUNT] = {
    "v0-trajectory", "v0-session", "v0-eval",  "v0-eval-pairs", "v0-resolver",
    "v0-feedback",   "v0-rest",    "v1-conversation", "v1-events", "v1-eval",
};

int oh_append_str(ti_buf *b, const ti_jv *v) {
  if (v->type != TI_JSON_STRING)
    return TI_OK;
  return ti_json_str_append(v, b);
}

int oh_append_text(ti_buf *b, const ti_jv *v, const char *sep) {
  if (v->type == TI_JSON_STRING)
    return ti_json_str_append(v, b);
  if (v->type != TI_JSON_ARRAY)
    return TI_OK;
  ti_json_iter it;
  ti_jv part, text;
  int first = 1, rc;
  ti_json_iter_init(&it, v);
  while (ti_json_next(&it, &part)) {
    if (part.type == TI_JSON_STRING) {
      text = part;
    } else if (!ti_json_get(&part, "text", &text) || text.type != TI_JSON_STRING) {
      continue;
    } else {
      ti_jv ty;
      if (ti_json_get(&part, "type", &ty) && ty.type == TI_JSON_STRING &&
          !ti_json_str_eq(&ty, "text"))
        continue;
    }
    if (!first && (rc = ti_buf_puts(b, sep)) != TI_OK)
      return rc;
    if ((rc = ti_json_str_append(&text, b)) != TI_OK)
      return rc;
    first = 0;
  }
  return TI_OK;
}

int oh_put_int(ti_buf *b, int64_t v) {
  char tmp[24], *q = tmp + sizeof tmp;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    *--q = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    *--q = '-';
  return ti_buf_append(b, q, (size_t)(tmp + sizeof tmp - q));
}

int oh_streq(const ti_jv *v, const char *s) {
  return v->type == TI_JSON_STRING && ti_json_str_eq(v, s);
}

int oh_get(const ti_jv *obj, const char *key, ti_jv *out) {
  if (!ti_json_get(obj, key, out))
    return 0;
  if (out->type == TI_JSON_NULL) {
    out->type = TI_JSON_INVALID;
    return 0;
  }
  return 1;
}

int64_t oh_get_int(const ti_jv *obj, const char *key, int64_t dflt) {
  ti_jv v;
  int64_t x;
  if (!ti_json_get(obj, key, &v) || ti_json_int(&v, &x) != TI_OK)
    return dflt;
  return x;
}

int oh_get_true(const ti_jv *obj, const char *key) {
  ti_jv v;
  return ti_json_get(obj, key, &v) && ti_json_is_true(&v);
}

int oh_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' &&
        s[i] != '\f' && s[i] != '\v')
      return 0;
  return 1;
}

int oh_jv_streq(const ti_jv *a, const ti_jv *b) {
  if (a->type != TI_JSON_STRING || b->type != TI_JSON_STRING)
    return 0;
  if (!(a->flags & TI_JV_ESCAPES) && !(b->flags & TI_JV_ESCAPES))
    return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
  ti_buf x = {0}, y = {0};
  int eq = 0;
  if (ti_json_str_append(a, &x) == TI_OK && ti_json_str_append(b, &y) == TI_OK)
    eq = x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
  ti_buf_free(&x);
  ti_buf_free(&y);
  return eq;
}

void oh_traj_reset(oh_traj *t) {
  t->n = 0;
  t->variant = OH_VAR_V0_TRAJ;
  t->fc = 0;
  ti_buf_reset(&t->id);
  ti_buf_reset(&t->model);
  t->instance_id.type = TI_JSON_INVALID;
  t->envelope.type = TI_JSON_INVALID;
  t->first_user = -1;
}

void oh_traj_free(oh_traj *t) {
  ti_mem_free(t->ev);
  ti_buf_free(&t->id);
  ti_buf_free(&t->model);
  memset(t, 0, sizeof *t);
}

int oh_traj_add(oh_traj *t, const ti_jv *obj, uint64_t line, uint64_t offset,
                const char *file) {
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 64;
    oh_ev *p = ti_mem_realloc(t->ev, nc * sizeof *p);
    if (!p)
      return TI_ERR_NOMEM;
    t->ev = p;
    t->cap = nc;
  }
  oh_ev *e = &t->ev[t->n++];
  memset(e, 0, sizeof *e);
  e->obj = *obj;
  e->line = line;
  e->offset = offset;
  e->file = file;
  e->id = -1;
  e->cause = -1;
  return TI_OK;
}
