/* SPDX-License-Identifier: MIT */
/* The plugin context: its life from trace to trace, the options a plugin
 * reads, and how it reports errors and counts things. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core.h"

#define CTX_BUFS(ctx)                                                                     \
  {&(ctx)->mrole, &(ctx)->mcontent, &(ctx)->mtools, &(ctx)->mtcid, &(ctx)->mname,       \
   &(ctx)->mreason, &(ctx)->scratch, &(ctx)->sid, &(ctx)->sstudent, &(ctx)->smodel,      \
   &(ctx)->sfile, &(ctx)->smeta, &(ctx)->cspans}

/* A context is recycled from trace to trace (its buffers and read buffer
 * keep their capacity), which spares the allocator and the kernel a round
 * of frees and page faults per file in a directory walk. */
ti_plugin_ctx *ti_ctx_new(ti_iter *it, const ti_format_ops *ops, const char *path) {
  ti_plugin_ctx *ctx = it->spare_ctx;
  if (ctx) {
    it->spare_ctx = NULL;
    ti_plugin_ctx keep = *ctx;
    memset(ctx, 0, sizeof(*ctx));
    ti_buf *from[] = CTX_BUFS(&keep), *to[] = CTX_BUFS(ctx);
    for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
      *to[i] = *from[i];
      ti_buf_reset(to[i]);
    }
    ctx->in.sbuf = keep.in.sbuf;
    ctx->in.scap = keep.in.scap;
    ctx->in.mreg = keep.in.mreg;
  } else if (!(ctx = ti_mem_calloc(1, sizeof(*ctx)))) {
    return NULL;
  }
  ctx->it = it;
  ctx->ops = ops;
  ctx->path = path;
  ctx->in.fd = -1;
  return ctx;
}

void ti_ctx_destroy(ti_plugin_ctx *ctx) {
  ti_buf *bufs[] = CTX_BUFS(ctx);
  for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) ti_buf_free(bufs[i]);
  ti_mem_free(ctx->in.sbuf);
  ti_mregion_unref(ctx->in.mreg);
  ti_mem_free(ctx);
}

void ti_ctx_free(ti_plugin_ctx *ctx) {
  if (!ctx) return;
  while (ctx->files) ti_input_release(ctx, ctx->files->buf ? ctx->files->buf : "");
  char *sbuf = ctx->in.sbuf;
  size_t scap = ctx->in.scap;
  ti_blob *lent = ctx->in.blob && ctx->in.blob->heap ? ctx->in.blob : NULL;
  if (lent) {
    /* The read buffer was lent to the log: take it back when no one else
     * holds it, else it goes with the log and the next trace gets another. */
    if (ctx->log && ti_log_sole_owner(ctx->log)) ti_log_drop_inputs(ctx->log);
    if (atomic_load_explicit(&lent->refs, memory_order_acquire) == 1)
      lent->base = NULL; /* only the input's reference: the buffer stays */
    else
      sbuf = NULL, scap = 0;
  }
  ti_mregion *mreg = ctx->in.mreg; /* the open map region: kept too */
  ctx->in.sbuf = NULL; /* kept for the next trace, unless lent */
  ctx->in.mreg = NULL;
  ti_input_close(&ctx->in);
  ctx->in.sbuf = sbuf;
  ctx->in.scap = scap;
  ctx->in.mreg = mreg;
  ti_iter *it = ctx->it;
  if (ctx->log && !it->spare_log && ti_log_sole_owner(ctx->log))
    it->spare_log = ctx->log; /* reused by the next trace */
  else
    ti_log_unref(ctx->log);
  ctx->log = NULL;
  if (!it->spare_ctx && scap <= (8u << 20))
    it->spare_ctx = ctx;
  else
    ti_ctx_destroy(ctx);
}

void ti_ctx_release_spare(ti_iter *it) {
  if (it->spare_ctx) ti_ctx_destroy(it->spare_ctx);
  it->spare_ctx = NULL;
}

/* ---- options, errors, counters -------------------------------------------- */
TI_API const char *ti_option(const ti_plugin_ctx *ctx, const char *key) {
  if (!ctx || !key || !ctx->it->fopts) return NULL;
  size_t kl = strlen(key);
  const char *found = NULL;
  for (char **o = ctx->it->fopts; *o; o++) { /* the last one given wins */
    if (strncmp(*o, key, kl) == 0 && ((*o)[kl] == '=' || (*o)[kl] == '\0'))
      found = (*o)[kl] ? *o + kl + 1 : *o + kl;
  }
  return found;
}

TI_API int ti_option_bool(const ti_plugin_ctx *ctx, const char *key, int dflt) {
  const char *v = ti_option(ctx, key);
  if (!v) return dflt;
  if (!*v || !strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
      !strcasecmp(v, "on"))
    return 1;
  if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
      !strcasecmp(v, "off"))
    return 0;
  return dflt;
}

TI_API int ti_strict(const ti_plugin_ctx *ctx) {
  return ctx && (ctx->it->flags & TI_OPEN_STRICT) != 0;
}

TI_API uint32_t ti_max_depth(const ti_plugin_ctx *ctx) { return ctx ? ctx->it->max_depth : 512; }

TI_API uint64_t ti_max_record_bytes(const ti_plugin_ctx *ctx) {
  return ctx ? ctx->it->max_record : 0;
}

const char *ti_ctx_file(const ti_plugin_ctx *ctx) {
  if (ctx->path) return ctx->path;
  return ctx->it->src == TI_SRC_FD ? "<fd>" : "<memory>";
}

TI_PRINTF(6, 0)
static int vreport(ti_plugin_ctx *ctx, const char *file, int code, uint64_t line,
                   uint64_t offset, const char *fmt, va_list ap) {
  if (code >= 0) code = TI_ERR_PARSE;
  ctx->it->n_skipped++;
  ti_iter_set_error(ctx->it, code, file, line, offset, fmt, ap);
  return ti_strict(ctx) || code == TI_ERR_NOMEM ? code : TI_OK;
}

TI_API int ti_report(ti_plugin_ctx *ctx, int code, uint64_t line, uint64_t offset,
                     const char *fmt, ...) {
  if (!ctx || !fmt) return TI_ERR_INVALID;
  offset += (uint64_t)ctx->in.bom;
  va_list ap;
  va_start(ap, fmt);
  int rc = vreport(ctx, ti_ctx_file(ctx), code, line, offset, fmt, ap);
  va_end(ap);
  return rc;
}

TI_API int ti_report_file(ti_plugin_ctx *ctx, const char *file, int code, uint64_t line,
                          uint64_t offset, const char *fmt, ...) {
  if (!ctx || !fmt) return TI_ERR_INVALID;
  va_list ap;
  va_start(ap, fmt);
  int rc = vreport(ctx, file ? file : ti_ctx_file(ctx), code, line, offset, fmt, ap);
  va_end(ap);
  return rc;
}

TI_API int ti_fail(ti_plugin_ctx *ctx, int code, uint64_t line, uint64_t offset,
                   const char *fmt, ...) {
  if (!ctx || !fmt) return TI_ERR_INVALID;
  if (code >= 0) code = TI_ERR_PARSE;
  offset += (uint64_t)ctx->in.bom;
  va_list ap;
  va_start(ap, fmt);
  ti_iter_set_error(ctx->it, code, ti_ctx_file(ctx), line, offset, fmt, ap);
  va_end(ap);
  return code;
}

TI_API int ti_count(ti_plugin_ctx *ctx, const char *name, uint64_t delta) {
  if (!ctx || !name) return TI_ERR_INVALID;
  if (strcmp(name, "records") == 0) {
    ctx->it->n_records += delta;
    return TI_OK;
  }
  return ti_counter_add(&ctx->it->counters, name, delta);
}
