/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: a small string set for response and tool-call ids. The
 * strings are spans of the input, valid for the whole trajectory. */
#include <string.h>

#include "walk.h"

static size_t hash(const char *p, size_t n) {
  size_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  return h;
}

static int grow(oh_set *s) {
  size_t nc = s->cap ? s->cap * 2 : 64;
  const char **np = ti_mem_calloc(nc, sizeof *np);
  size_t *nn = ti_mem_calloc(nc, sizeof *nn);
  if (!np || !nn) {
    ti_mem_free(np);
    ti_mem_free(nn);
    return TI_ERR_NOMEM;
  }
  for (size_t i = 0; i < s->cap; i++) {
    if (!s->p[i])
      continue;
    size_t j = hash(s->p[i], s->n[i]) & (nc - 1);
    while (np[j])
      j = (j + 1) & (nc - 1);
    np[j] = s->p[i];
    nn[j] = s->n[i];
  }
  ti_mem_free(s->p);
  ti_mem_free(s->n);
  s->p = np;
  s->n = nn;
  s->cap = nc;
  return TI_OK;
}

int oh_set_has(const oh_set *s, const char *p, size_t n) {
  if (!s->cap)
    return 0;
  size_t j = hash(p, n) & (s->cap - 1);
  while (s->p[j]) {
    if (s->n[j] == n && memcmp(s->p[j], p, n) == 0)
      return 1;
    j = (j + 1) & (s->cap - 1);
  }
  return 0;
}

int oh_set_add(oh_set *s, const char *p, size_t n) {
  if (oh_set_has(s, p, n))
    return 0;
  if ((s->len + 1) * 2 > s->cap && grow(s) != TI_OK)
    return TI_ERR_NOMEM;
  size_t j = hash(p, n) & (s->cap - 1);
  while (s->p[j])
    j = (j + 1) & (s->cap - 1);
  s->p[j] = p ? p : "";
  s->n[j] = n;
  s->len++;
  return 1;
}

void oh_set_clear(oh_set *s) {
  if (s->cap) {
    memset(s->p, 0, s->cap * sizeof *s->p);
    memset(s->n, 0, s->cap * sizeof *s->n);
  }
  s->len = 0;
}

void oh_set_free(oh_set *s) {
  ti_mem_free(s->p);
  ti_mem_free(s->n);
  memset(s, 0, sizeof *s);
}
