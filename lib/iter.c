/* SPDX-License-Identifier: MIT */
/* The iterator: opening sources, choosing a format per trace, and pulling
 * states from the format plugins one at a time. */
#include <string.h>
#include <sys/stat.h>

#include "core.h"

ti_iter *ti_iter_new(void) {
  ti_iter *it = ti_mem_calloc(1, sizeof(*it));
  if (!it) return NULL;
  it->magic = TI_ITER_MAGIC;
  it->fd = -1;
  it->state.magic = TI_STATE_MAGIC;
  ti_state_clear(&it->state);
  return it;
}

static int iter_ok(const ti_iter *it) { return it && it->magic == TI_ITER_MAGIC; }

static void end_trace(ti_iter *it) {
  if (it->cur_ops && it->parser) it->cur_ops->destroy(it->parser);
  it->parser = NULL;
  /* the borrowed state keeps its own reference to the log */
  ti_ctx_free(it->ctx);
  it->ctx = NULL;
  it->cur_ops = NULL;
}

static int in_walk(const ti_iter *it) { return it->src == TI_SRC_PATH && it->root_is_dir; }

/* A trace could not be started or failed: fatal for a single input, else
 * counted and passed over (strict mode: fatal too). */
static int trace_failed(ti_iter *it, int rc) {
  end_trace(it);
  if (!in_walk(it) || rc == TI_ERR_NOMEM || (it->flags & TI_OPEN_STRICT)) {
    it->status = rc;
    return rc;
  }
  return TI_OK;
}

static int choose_format(ti_iter *it, ti_plugin_ctx *ctx, const char *path, int is_dir,
                         const ti_format_ops **ops) {
  const ti_registry *r = it->reg;
  if (it->format) {
    *ops = ti_registry_find(r, it->format);
    return TI_OK;
  }
  size_t n = ti_registry_count(r);
  int stack[64], *sc = n <= 64 ? stack : ti_mem_calloc(n, sizeof(int));
  if (!sc) return TI_ERR_NOMEM;
  int best, winner, tie, rc = TI_OK;
  if (is_dir)
    ti_registry_probe_dir(r, path, sc, &best, &winner, &tie);
  else
    rc = ti_probe_input_grow(r, &ctx->in, path, it->probe_bytes, (int)it->min_score, sc, &best,
                             &winner, &tie);
  const char *what = path ? path : it->src == TI_SRC_FD ? "<fd>" : "<memory>";
  if (rc) {
    ti_iter_errorf(it, rc, what, 0, 0, "reading the input failed: %s", ti_strerror(rc));
  } else if (best < (int)it->min_score) {
    rc = TI_ERR_FORMAT_UNKNOWN;
    if (in_walk(it)) {
      it->n_files_skipped++;
    } else if (winner >= 0) {
      ti_iter_errorf(it, rc, what, 0, 0, "no format accepted the input (best: %s with %d of %u needed)",
                     ti_registry_name(r, (size_t)winner), best, it->min_score);
    } else {
      ti_iter_errorf(it, rc, what, 0, 0, "no format accepted the input");
    }
  } else if (tie) {
    rc = TI_ERR_FORMAT_AMBIGUOUS;
    ti_buf names = {0};
    for (size_t i = 0; i < n; i++)
      if (sc[i] == best) ti_buf_printf(&names, "%s%s", names.len ? ", " : "", ti_registry_name(r, i));
    ti_iter_errorf(it, rc, what, 0, 0, "ambiguous format: %s all score %d; choose one with --format",
                   names.p ? names.p : "", best);
    ti_buf_free(&names);
    if (in_walk(it)) it->n_skipped++;
  } else {
    *ops = r->ops[winner];
  }
  if (sc != stack) ti_mem_free(sc);
  return rc;
}

/* Open input, pick the format, create the parser. */
static int start_trace(ti_iter *it, const char *path, int is_dir) {
  ti_plugin_ctx *ctx = ti_ctx_new(it, NULL, path);
  if (!ctx) return TI_ERR_NOMEM;
  it->ctx = ctx;
  int rc = TI_OK;
  if (is_dir) {
    ctx->in.is_dir = 1;
  } else if (it->src == TI_SRC_PATH) {
    char err[256];
    rc = ti_input_open_path(&ctx->in, path, (it->flags & (TI_OPEN_MMAP | TI_OPEN_NO_MMAP)) == TI_OPEN_MMAP,
                            err, sizeof err);
    if (rc == TI_ERR_IO) {
      ti_iter_errorf(it, rc, path, 0, 0, "%s", err);
      if (in_walk(it)) it->n_skipped++;
    }
  } else if (it->src == TI_SRC_FD) {
    ti_input_open_fd(&ctx->in, it->fd);
  } else {
    ti_input_open_memory(&ctx->in, it->mem, it->mem_len);
  }
  ctx->in.path = path;
  const ti_format_ops *ops = NULL;
  if (!rc) rc = choose_format(it, ctx, path, is_dir, &ops);
  if (rc) {
    if (rc == TI_ERR_FORMAT_UNKNOWN && in_walk(it)) { /* not a trace: pass over */
      end_trace(it);
      return TI_OK;
    }
    return trace_failed(it, rc);
  }
  ctx->ops = ops;
  it->cur_ops = ops;
  it->last_format = ops->name;
  it->n_files++;
  rc = ops->create(&it->parser, ctx);
  if (rc) {
    it->parser = NULL;
    if (!it->err_code || it->err_code != rc)
      ti_iter_errorf(it, rc, path ? path : "<input>", 0, 0, "format %s could not start: %s",
                     ops->name, ti_strerror(rc));
    return trace_failed(it, rc);
  }
  return TI_OK;
}

static int open_common(ti_iter **out, const ti_open_options *opts, ti_iter **itp) {
  if (!out) return TI_ERR_INVALID;
  *out = *itp = ti_iter_new();
  if (!*itp) return TI_ERR_NOMEM;
  int rc = ti_iter_apply_options(*itp, opts);
  if (rc) (*itp)->status = rc;
  return rc;
}

TI_API int ti_open(ti_iter **out, const char *path, const ti_open_options *opts) {
  ti_iter *it;
  int rc = open_common(out, opts, &it);
  if (rc) return rc;
  it->src = TI_SRC_PATH;
  if (!path) {
    ti_iter_errorf(it, TI_ERR_INVALID, NULL, 0, 0, "path is NULL");
    return it->status = TI_ERR_INVALID;
  }
  if (!(it->root = ti_strdup(path))) return it->status = TI_ERR_NOMEM;
  struct stat st;
  if (stat(path, &st) != 0) {
    ti_iter_errorf(it, TI_ERR_IO, path, 0, 0, "cannot open: no such file or directory");
    return it->status = TI_ERR_IO;
  }
  it->root_is_dir = S_ISDIR(st.st_mode);
  if (it->root_is_dir) return TI_OK; /* walked lazily by ti_next */
  char *p;
  int is_dir;
  rc = ti_walk_next(it, &p, &is_dir);
  if (!rc) rc = start_trace(it, p, 0);
  if (rc) it->status = rc;
  return rc;
}

TI_API int ti_open_fd(ti_iter **out, int fd, const ti_open_options *opts) {
  ti_iter *it;
  int rc = open_common(out, opts, &it);
  if (rc) return rc;
  it->src = TI_SRC_FD;
  it->fd = fd;
  it->root_done = 1;
  if (fd < 0) {
    ti_iter_errorf(it, TI_ERR_INVALID, NULL, 0, 0, "invalid file descriptor");
    return it->status = TI_ERR_INVALID;
  }
  rc = start_trace(it, NULL, 0);
  if (rc) it->status = rc;
  return rc;
}

TI_API int ti_open_memory(ti_iter **out, const void *buf, size_t len, const ti_open_options *opts) {
  ti_iter *it;
  int rc = open_common(out, opts, &it);
  if (rc) return rc;
  it->src = TI_SRC_MEMORY;
  it->root_done = 1;
  if (!buf && len) {
    ti_iter_errorf(it, TI_ERR_INVALID, NULL, 0, 0, "buffer is NULL");
    return it->status = TI_ERR_INVALID;
  }
  it->mem = buf;
  it->mem_len = len;
  rc = start_trace(it, NULL, 0);
  if (rc) it->status = rc;
  return rc;
}

int ti_iter_pull(ti_iter *it) {
  while (it->ctx) {
    it->ctx->emitted = 0;
    int rc = it->cur_ops->next(it->parser, it->ctx);
    if (rc == TI_OK) {
      if (it->ctx->emitted) return TI_OK;
      continue;
    }
    if (it->have_state) { /* a state emitted by a failing call is dropped */
      ti_state_clear(&it->state);
      it->have_state = 0;
    }
    if (rc > 0) {
      end_trace(it);
      return TI_DONE;
    }
    if (it->err_code != rc)
      ti_iter_errorf(it, rc, it->ctx->path ? it->ctx->path : "<input>", 0, 0,
                     "format %s failed: %s", it->cur_ops->name, ti_strerror(rc));
    rc = trace_failed(it, rc);
    return rc ? rc : TI_DONE;
  }
  return TI_DONE;
}

TI_API int ti_next(const ti_state **out, ti_iter *it) {
  if (!iter_ok(it)) return TI_ERR_MISUSE;
  if (!out) return TI_ERR_INVALID;
  *out = NULL;
  if (it->have_state) {
    ti_state_clear(&it->state);
    it->have_state = 0;
  }
  if (it->status) return it->status;
  if (it->threads > 1 && in_walk(it)) return ti_par_next(it, out);
  for (;;) {
    if (!it->ctx) {
      if (!in_walk(it)) return it->status = TI_DONE;
      char *p;
      int is_dir;
      int rc = ti_walk_next(it, &p, &is_dir);
      if (rc) return it->status = rc;
      rc = start_trace(it, p, is_dir);
      if (rc) return it->status = rc;
      continue;
    }
    int rc = ti_iter_pull(it);
    if (rc == TI_OK) {
      *out = &it->state;
      return TI_OK;
    }
    if (rc < 0) return rc;
  }
}

TI_API int ti_writer_put_all(ti_writer *w, ti_iter *it, uint64_t *n_states) {
  uint64_t n = 0;
  if (n_states) *n_states = 0;
  if (!iter_ok(it)) return TI_ERR_MISUSE;
  if (!w) return TI_ERR_INVALID;
  int rc;
  if (it->threads > 1 && in_walk(it) && !it->par && !it->status) {
    /* what w holds goes first: the threads write past it */
    rc = ti_writer_flush(w);
    rc = rc ? (it->status = rc) : ti_par_drain(it, w, &n);
    if (rc == TI_DONE && ti_writer_errno(w)) rc = it->status = TI_ERR_IO;
  } else {
    const ti_state *s;
    while ((rc = ti_next(&s, it)) == TI_OK) {
      if ((rc = ti_writer_put(w, s)) != TI_OK) {
        it->status = rc; /* the iterator is used up either way */
        break;
      }
      n++;
    }
  }
  if (n_states) *n_states = n;
  return rc;
}

int ti_iter_start_trace(ti_iter *it, const char *path, int is_dir) {
  return start_trace(it, path, is_dir);
}

TI_API void ti_free(ti_iter *it) {
  if (!iter_ok(it)) return;
  ti_par_free(it);
  end_trace(it);
  ti_state_release(&it->state);
  ti_ctx_release_spare(it);
  ti_log_unref(it->spare_log);
  ti_walk_free(it);
  ti_counters_free(&it->counters);
  if (it->fopts)
    for (char **o = it->fopts; *o; o++) ti_mem_free(*o);
  ti_mem_free(it->fopts);
  ti_mem_free(it->format);
  ti_mem_free(it->root);
  ti_mem_free(it->cur_path);
  ti_mem_free(it->err_file);
  ti_buf_free(&it->err_msg);
  ti_buf_free(&it->stats_json);
  it->magic = 0;
  ti_mem_free(it);
}

TI_API const char *ti_format_name(const ti_iter *it) {
  if (!iter_ok(it)) return NULL;
  return it->cur_ops ? it->cur_ops->name : it->last_format;
}
