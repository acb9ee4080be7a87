/* SPDX-License-Identifier: MIT */
/* Status texts, the iterator's last error, and named counters. */
#include <stdio.h>
#include <string.h>

#include "core.h"

TI_API const char *ti_strerror(int status) {
  switch (status) {
  case TI_OK: return "ok";
  case TI_DONE: return "no more states";
  case TI_ERR_NOMEM: return "out of memory";
  case TI_ERR_INVALID: return "invalid argument";
  case TI_ERR_IO: return "input/output error";
  case TI_ERR_PARSE: return "malformed record";
  case TI_ERR_FORMAT_UNKNOWN: return "unknown format";
  case TI_ERR_FORMAT_AMBIGUOUS: return "ambiguous format";
  case TI_ERR_LIMIT: return "limit exceeded";
  case TI_ERR_VERSION: return "version or struct size mismatch";
  case TI_ERR_MISUSE: return "API misuse";
  default: return "unknown status";
  }
}

void ti_iter_set_error(struct ti_iter *it, int code, const char *file, uint64_t line,
                       uint64_t offset, const char *fmt, va_list ap) {
  it->err_code = code;
  it->err_line = line;
  it->err_offset = offset;
  it->err_record = it->n_records;
  if (file != it->err_file) {
    ti_mem_free(it->err_file);
    it->err_file = file ? ti_strdup(file) : NULL;
  }
  ti_buf_reset(&it->err_msg);
  /* "file:line: message" -- the position first, as compilers do. */
  if (file) {
    ti_buf_puts(&it->err_msg, file);
    if (line)
      ti_buf_printf(&it->err_msg, ":%llu", (unsigned long long)line);
    ti_buf_puts(&it->err_msg, ": ");
  }
  size_t start = it->err_msg.len;
  if (ti_buf_vprintf(&it->err_msg, fmt, ap) != TI_OK) {
    ti_buf_reset(&it->err_msg);
    ti_buf_puts(&it->err_msg, ti_strerror(code));
    start = 0;
  }
  if (it->on_error && it->err_msg.p)
    it->on_error(it->on_error_user, code, it->err_msg.p + start,
                 file ? file : "<input>", line, offset);
}

void ti_iter_errorf(struct ti_iter *it, int code, const char *file, uint64_t line,
                    uint64_t offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ti_iter_set_error(it, code, file, line, offset, fmt, ap);
  va_end(ap);
}

static int iter_ok(const ti_iter *it) { return it && it->magic == TI_ITER_MAGIC; }

TI_API int ti_errcode(const ti_iter *it) { return iter_ok(it) ? it->err_code : TI_ERR_MISUSE; }

TI_API const char *ti_errmsg(const ti_iter *it) {
  if (!iter_ok(it)) return "invalid iterator";
  return it->err_msg.p && it->err_code ? it->err_msg.p : "";
}

TI_API const char *ti_error_file(const ti_iter *it) {
  return iter_ok(it) && it->err_code ? it->err_file : NULL;
}

TI_API int ti_error_position(const ti_iter *it, uint64_t *record_index, uint64_t *line,
                             uint64_t *byte_offset) {
  if (!iter_ok(it)) return TI_ERR_MISUSE;
  if (record_index) *record_index = it->err_code ? it->err_record : 0;
  if (line) *line = it->err_code ? it->err_line : 0;
  if (byte_offset) *byte_offset = it->err_code ? it->err_offset : 0;
  return it->err_code;
}

/* ---- counters: insertion-ordered, hashed by name -------------------------- */
static size_t name_slot(const ti_counters *c, const char *name, size_t len) {
  return (size_t)ti_hash(name, len) & (c->icap - 1);
}

static int reindex(ti_counters *c, size_t icap) {
  size_t *idx = ti_mem_calloc(icap, sizeof(*idx));
  if (!idx) return TI_ERR_NOMEM;
  ti_mem_free(c->index);
  c->index = idx;
  c->icap = icap;
  for (size_t i = 0; i < c->n; i++) {
    size_t k = name_slot(c, c->v[i].name, strlen(c->v[i].name));
    while (idx[k]) k = (k + 1) & (icap - 1);
    idx[k] = i + 1;
  }
  return TI_OK;
}

static ti_counter *find(const ti_counters *c, const char *name) {
  if (!c->icap) return NULL;
  size_t k = name_slot(c, name, strlen(name));
  while (c->index[k]) {
    ti_counter *e = &c->v[c->index[k] - 1];
    if (strcmp(e->name, name) == 0) return e;
    k = (k + 1) & (c->icap - 1);
  }
  return NULL;
}

int ti_counter_add(ti_counters *c, const char *name, uint64_t delta) {
  ti_counter *e = find(c, name);
  if (e) {
    e->value += delta;
    return TI_OK;
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 16;
    ti_counter *v = ti_mem_realloc(c->v, cap * sizeof(*v));
    if (!v) return TI_ERR_NOMEM;
    c->v = v;
    c->cap = cap;
  }
  char *nm = ti_strdup(name);
  if (!nm) return TI_ERR_NOMEM;
  c->v[c->n].name = nm;
  c->v[c->n].value = delta;
  c->n++;
  if (c->n * 2 > c->icap) {
    if (reindex(c, c->icap ? c->icap * 2 : 32)) {
      c->n--;
      ti_mem_free(nm);
      return TI_ERR_NOMEM;
    }
  } else {
    size_t k = name_slot(c, nm, strlen(nm));
    while (c->index[k]) k = (k + 1) & (c->icap - 1);
    c->index[k] = c->n;
  }
  return TI_OK;
}

uint64_t ti_counter_get(const ti_counters *c, const char *name) {
  ti_counter *e = find(c, name);
  return e ? e->value : 0;
}

void ti_counters_free(ti_counters *c) {
  for (size_t i = 0; i < c->n; i++) ti_mem_free(c->v[i].name);
  ti_mem_free(c->v);
  ti_mem_free(c->index);
  memset(c, 0, sizeof(*c));
}

static const struct {
  const char *name;
  size_t off;
} core_counters[] = {
    {"files", offsetof(ti_iter, n_files)},
    {"files_skipped", offsetof(ti_iter, n_files_skipped)},
    {"trajectories", offsetof(ti_iter, n_trajectories)},
    {"records", offsetof(ti_iter, n_records)},
    {"states", offsetof(ti_iter, n_states)},
    {"messages", offsetof(ti_iter, n_messages)},
    {"skipped", offsetof(ti_iter, n_skipped)},
};
#define N_CORE (sizeof(core_counters) / sizeof(core_counters[0]))

static uint64_t core_value(const ti_iter *it, size_t i) {
  uint64_t v;
  memcpy(&v, (const char *)it + core_counters[i].off, sizeof(v));
  return v;
}

TI_API uint64_t ti_stat(const ti_iter *it, const char *name) {
  if (!iter_ok(it) || !name) return 0;
  for (size_t i = 0; i < N_CORE; i++)
    if (strcmp(name, core_counters[i].name) == 0) return core_value(it, i);
  return ti_counter_get(&it->counters, name);
}

TI_API int ti_stats_json(const ti_iter *it, const char **out, size_t *len) {
  if (!out || !iter_ok(it)) return TI_ERR_INVALID;
  ti_iter *w = (ti_iter *)it; /* the output buffer is scratch on the iterator */
  ti_buf *b = &w->stats_json;
  ti_buf_reset(b);
  int rc = ti_buf_puts(b, "{");
  for (size_t i = 0; i < N_CORE && !rc; i++)
    rc = ti_buf_printf(b, "%s\"%s\":%llu", i ? "," : "", core_counters[i].name,
                       (unsigned long long)core_value(it, i));
  for (size_t i = 0; i < it->counters.n && !rc; i++) {
    const ti_counter *c = &it->counters.v[i];
    rc = ti_buf_puts(b, ",");
    if (!rc) rc = ti_buf_json_string(b, c->name, strlen(c->name));
    if (!rc) rc = ti_buf_printf(b, ":%llu", (unsigned long long)c->value);
  }
  if (!rc) rc = ti_buf_puts(b, "}");
  if (rc) return TI_ERR_NOMEM;
  *out = b->p;
  if (len) *len = b->len;
  return TI_OK;
}
