/* SPDX-License-Identifier: MIT */
/* Format registries and probing. The built-in registry is a static table;
 * ti_registry_new makes a mutable copy that third-party formats join. */
#include <string.h>

#include "core.h"
#include "formats/builtin.h"

static const ti_registry builtin_reg = {
    TI_REGISTRY_MAGIC, (const ti_format_ops **)ti_builtin_formats, 0, 0, 1,
};

const ti_registry *ti_registry_builtin(void) { return &builtin_reg; }

static size_t reg_count(const ti_registry *r) {
  if (!r->is_static) return r->n;
  size_t n = 0;
  while (r->ops[n]) n++;
  return n;
}

static int reg_ok(const ti_registry *r) { return r && r->magic == TI_REGISTRY_MAGIC; }

TI_API int ti_registry_new(ti_registry **out) {
  if (!out) return TI_ERR_INVALID;
  *out = NULL;
  ti_registry *r = ti_mem_calloc(1, sizeof(*r));
  if (!r) return TI_ERR_NOMEM;
  size_t n = reg_count(&builtin_reg);
  r->magic = TI_REGISTRY_MAGIC;
  r->cap = n + 4;
  r->ops = ti_mem_calloc(r->cap, sizeof(*r->ops));
  if (!r->ops) {
    ti_mem_free(r);
    return TI_ERR_NOMEM;
  }
  memcpy(r->ops, builtin_reg.ops, n * sizeof(*r->ops));
  r->n = n;
  *out = r;
  return TI_OK;
}

TI_API void ti_registry_free(ti_registry *r) {
  if (!reg_ok(r) || r->is_static) return;
  r->magic = 0;
  ti_mem_free(r->ops);
  ti_mem_free(r);
}

TI_API size_t ti_registry_count(const ti_registry *r) {
  if (!r) r = &builtin_reg;
  return reg_ok(r) ? reg_count(r) : 0;
}

TI_API const char *ti_registry_name(const ti_registry *r, size_t i) {
  if (!r) r = &builtin_reg;
  return reg_ok(r) && i < reg_count(r) ? r->ops[i]->name : NULL;
}

TI_API int ti_registry_add(ti_registry *r, const ti_format_ops *ops) {
  if (!reg_ok(r) || r->is_static || !ops) return TI_ERR_INVALID;
  if (ops->abi_version > TI_FORMAT_ABI_VERSION || ops->abi_version == 0 ||
      ops->struct_size < sizeof(ti_format_ops))
    return TI_ERR_VERSION;
  if (!ops->name || !*ops->name || !ops->probe || !ops->create || !ops->next || !ops->destroy)
    return TI_ERR_INVALID;
  if (ti_registry_find(r, ops->name)) return TI_ERR_INVALID;
  if (r->n == r->cap) {
    size_t cap = r->cap * 2;
    const ti_format_ops **v = ti_mem_realloc(r->ops, cap * sizeof(*v));
    if (!v) return TI_ERR_NOMEM;
    r->ops = v;
    r->cap = cap;
  }
  r->ops[r->n++] = ops;
  return TI_OK;
}

const ti_format_ops *ti_registry_find(const ti_registry *r, const char *name) {
  size_t n = reg_count(r);
  for (size_t i = 0; i < n; i++)
    if (strcmp(r->ops[i]->name, name) == 0) return r->ops[i];
  return NULL;
}

int ti_registry_knows_option(const ti_registry *r, const char *key, size_t klen) {
  size_t n = reg_count(r);
  for (size_t i = 0; i < n; i++) {
    const char *const *k = r->ops[i]->option_keys;
    for (; k && *k; k++)
      if (strlen(*k) == klen && memcmp(*k, key, klen) == 0) return 1;
  }
  return 0;
}

static int clamp(int s) { return s < 0 ? 0 : s > 100 ? 100 : s; }

static void rank(const int *scores, size_t n, int *best, int *winner, int *tie) {
  *best = 0;
  *winner = -1;
  *tie = 0;
  for (size_t i = 0; i < n; i++) {
    if (scores[i] > *best) {
      *best = scores[i];
      *winner = (int)i;
      *tie = 0;
    } else if (scores[i] == *best && *best > 0) {
      *tie = 1;
    }
  }
}

void ti_registry_probe(const ti_registry *r, const ti_probe_input *in, int *scores, int *best,
                       int *winner, int *tie) {
  size_t n = reg_count(r);
  for (size_t i = 0; i < n; i++) scores[i] = clamp(r->ops[i]->probe(in));
  rank(scores, n, best, winner, tie);
}

void ti_registry_probe_dir(const ti_registry *r, const char *path, int *scores, int *best,
                           int *winner, int *tie) {
  size_t n = reg_count(r);
  for (size_t i = 0; i < n; i++)
    scores[i] = r->ops[i]->probe_dir ? clamp(r->ops[i]->probe_dir(path)) : 0;
  rank(scores, n, best, winner, tie);
}

/* Probe with a growing window, as ti_open does. Used by ti_probe_scores and
 * the iterator. */
int ti_probe_input_grow(const ti_registry *r, ti_input *in, const char *hint, uint64_t max_bytes,
                        int min_score, int *scores, int *best, int *winner, int *tie) {
  size_t want = 4 * 1024; /* most inputs are decided by their first lines */
  for (;;) {
    if (want > max_bytes) want = (size_t)max_bytes;
    ti_probe_input pi;
    int rc = ti_input_peek_raw(in, want, &pi.buf, &pi.len, &pi.at_eof);
    if (rc) return rc;
    if (pi.len >= 3 && memcmp(pi.buf, "\xEF\xBB\xBF", 3) == 0) { /* probes never see a BOM */
      pi.buf += 3;
      pi.len -= 3;
    }
    pi.name_hint = hint;
    ti_registry_probe(r, &pi, scores, best, winner, tie);
    if (*best >= min_score || pi.at_eof || want >= max_bytes) return TI_OK;
    want *= 2;
  }
}

TI_API int ti_probe_scores(const ti_registry *r, const char *path, const void *buf, size_t len,
                           const char **names, int *scores, size_t cap, size_t *n) {
  if (!r) r = &builtin_reg;
  if (!reg_ok(r) || !n || (!path && !buf && len) || (cap && (!names || !scores)))
    return TI_ERR_INVALID;
  size_t cnt = reg_count(r);
  *n = cnt;
  int *tmp = ti_mem_calloc(cnt ? cnt : 1, sizeof(int));
  if (!tmp) return TI_ERR_NOMEM;
  int best, winner, tie, rc = TI_OK;
  if (path && ti_path_is_dir(path)) {
    ti_registry_probe_dir(r, path, tmp, &best, &winner, &tie);
  } else {
    ti_input in;
    memset(&in, 0, sizeof in);
    if (path) rc = ti_input_open_path(&in, path, 0, NULL, 0);
    else ti_input_open_memory(&in, buf, len);
    if (!rc) {
      rc = ti_probe_input_grow(r, &in, path, 1u << 20, TI_PROBE_LIKELY, tmp, &best, &winner, &tie);
      ti_input_close(&in);
    }
  }
  for (size_t i = 0; i < cnt && i < cap && !rc; i++) {
    names[i] = r->ops[i]->name;
    scores[i] = tmp[i];
  }
  ti_mem_free(tmp);
  return rc;
}
