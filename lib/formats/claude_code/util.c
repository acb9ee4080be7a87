/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: a bump arena and an open-addressing string map. */
#include <string.h>

#include "cc.h"

struct cc_chunk {
  cc_chunk *next;
  size_t used, cap;
  /* data follows, 8-aligned */
};

#define CC_CHUNK_MIN (64u * 1024u)

void *cc_alloc(cc_arena *a, size_t n) {
  n = (n + 7u) & ~(size_t)7u;
  if (n == 0) n = 8;
  cc_chunk *c = a->head;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > CC_CHUNK_MIN ? n : CC_CHUNK_MIN;
    if (c && cap < c->cap * 2 && c->cap * 2 <= 8u * 1024u * 1024u) cap = c->cap * 2;
    c = ti_mem_alloc(sizeof(cc_chunk) + cap);
    if (!c) return NULL;
    c->next = a->head;
    c->used = 0;
    c->cap = cap;
    a->head = c;
  }
  char *p = (char *)(c + 1) + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

char *cc_strndup(cc_arena *a, const char *s, size_t n) {
  char *p = cc_alloc(a, n + 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void cc_arena_free(cc_arena *a) {
  cc_chunk *c = a->head;
  while (c) {
    cc_chunk *nx = c->next;
    ti_mem_free(c);
    c = nx;
  }
  a->head = NULL;
}

/* FNV-1a over 8-byte words (keys are uuids and ids: tens of bytes), the
 * tail bytewise; folded to 32 bits, never 0. */
uint32_t cc_hash(const char *p, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 1099511628211ull;
    h ^= h >> 32;
  }
  for (; n; p++, n--) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  uint32_t r = (uint32_t)(h ^ (h >> 29));
  return r ? r : 1u;
}

int32_t cc_map_get(const cc_map *m, const char *p, size_t n) {
  return cc_map_get_h(m, p, n, cc_hash(p, n));
}

int32_t cc_map_get_h(const cc_map *m, const char *p, size_t n, uint32_t h) {
  if (!m->cap) return -1;
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const cc_map_ent *e = &m->e[i];
    if (e->v < 0) return -1;
    if (e->h == h && e->n == n && memcmp(e->p, p, n) == 0) return e->v;
  }
}

static int map_grow_to(cc_map *m, size_t cap) {
  cc_map_ent *e = ti_mem_alloc(cap * sizeof(*e));
  if (!e) return TI_ERR_NOMEM;
  for (size_t i = 0; i < cap; i++) e[i].v = -1;
  for (size_t i = 0; i < m->cap; i++) {
    if (m->e[i].v < 0) continue;
    size_t j = m->e[i].h & (cap - 1);
    while (e[j].v >= 0) j = (j + 1) & (cap - 1);
    e[j] = m->e[i];
  }
  ti_mem_free(m->e);
  m->e = e;
  m->cap = cap;
  return TI_OK;
}

static int map_grow(cc_map *m) { return map_grow_to(m, m->cap ? m->cap * 2 : 64); }

int cc_map_reserve(cc_map *m, size_t n) {
  size_t cap = m->cap ? m->cap : 64;
  while (n * 4 > cap * 3) {
    if (cap > SIZE_MAX / 2 / sizeof(cc_map_ent)) return TI_ERR_NOMEM;
    cap *= 2;
  }
  return cap > m->cap ? map_grow_to(m, cap) : TI_OK;
}

int cc_map_put(cc_map *m, const char *p, size_t n, int32_t v, int32_t *old) {
  return cc_map_put_h(m, p, n, cc_hash(p, n), v, old);
}

int cc_map_put_h(cc_map *m, const char *p, size_t n, uint32_t h, int32_t v, int32_t *old) {
  if (old) *old = -1;
  if ((m->n + 1) * 4 > m->cap * 3 && map_grow(m)) return TI_ERR_NOMEM;
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    cc_map_ent *e = &m->e[i];
    if (e->v < 0) {
      e->p = p;
      e->n = (uint32_t)n;
      e->h = h;
      e->v = v;
      m->n++;
      return TI_OK;
    }
    if (e->h == h && e->n == n && memcmp(e->p, p, n) == 0) {
      if (old) *old = e->v;
      return TI_OK;
    }
  }
}

void cc_map_free(cc_map *m) {
  ti_mem_free(m->e);
  m->e = NULL;
  m->cap = m->n = 0;
}

int cc_str(cc_arena *a, const ti_jv *v, const char **s, size_t *n) {
  *s = NULL;
  *n = 0;
  if (v->type != TI_JSON_STRING) return TI_OK;
  if (!(v->flags & TI_JV_ESCAPES)) {
    *s = v->p + 1;
    *n = v->n - 2;
    return TI_OK;
  }
  ti_buf b = {0};
  int rc = ti_json_str_append(v, &b);
  if (rc) {
    ti_buf_free(&b);
    return rc;
  }
  char *p = cc_strndup(a, b.p ? b.p : "", b.len);
  *n = b.len;
  ti_buf_free(&b);
  if (!p) return TI_ERR_NOMEM;
  *s = p;
  return TI_OK;
}
