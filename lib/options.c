/* SPDX-License-Identifier: MIT */
/* Open options: the size-first struct rules, defaults and validation. */
#include <string.h>

#include "core.h"

#define TI_OPTIONS_MAX_SIZE 4096
/* The smallest layout accepted: the struct before `threads` was appended.
 * Callers built against it get the later fields as zero. */
#define TI_OPTIONS_MIN_SIZE offsetof(ti_open_options, threads)

TI_API int ti_open_options_init(ti_open_options *opts, size_t size) {
  if (!opts || size < TI_OPTIONS_MIN_SIZE || size > TI_OPTIONS_MAX_SIZE) return TI_ERR_INVALID;
  memset(opts, 0, size);
  opts->size = size < sizeof(ti_open_options) ? size : sizeof(ti_open_options);
  return TI_OK;
}

static int fail(ti_iter *it, int code, const char *msg) {
  ti_iter_errorf(it, code, NULL, 0, 0, "%s", msg);
  return code;
}

int ti_iter_apply_options(ti_iter *it, const ti_open_options *caller) {
  it->reg = ti_registry_builtin();
  it->min_score = TI_PROBE_POSSIBLE;
  it->probe_bytes = 1u << 20;
  it->max_record = 256u << 20;
  it->max_depth = 512;
  if (!caller) return TI_OK;
  if (caller->size < TI_OPTIONS_MIN_SIZE)
    return fail(it, TI_ERR_VERSION, "options.size is smaller than any ti_open_options layout: "
                                    "initialise it with TI_OPEN_OPTIONS_INIT or ti_open_options_init()");
  if (caller->size > TI_OPTIONS_MAX_SIZE)
    return fail(it, TI_ERR_VERSION, "options.size is implausibly large: uninitialised options?");
  if (caller->size > sizeof(ti_open_options)) {
    const unsigned char *tail = (const unsigned char *)caller + sizeof(ti_open_options);
    for (size_t i = 0; i < caller->size - sizeof(ti_open_options); i++)
      if (tail[i])
        return fail(it, TI_ERR_VERSION, "options use fields this library does not know "
                                        "(built against a newer traceingest.h): upgrade libtraceingest");
  }
  /* Read through a zeroed copy: fields an older caller lacks are 0. */
  ti_open_options local;
  memset(&local, 0, sizeof local);
  memcpy(&local, caller, caller->size < sizeof local ? caller->size : sizeof local);
  const ti_open_options *opts = &local;
  if (opts->flags & ~TI_OPEN_FLAGS_ALL) return fail(it, TI_ERR_INVALID, "unknown bits in options.flags");
  if (opts->reserved0 || opts->reserved1)
    return fail(it, TI_ERR_INVALID, "options.reserved0 and reserved1 must be 0");
  if (opts->threads > 256) return fail(it, TI_ERR_INVALID, "options.threads must be at most 256");
  if (opts->min_probe_score > 100)
    return fail(it, TI_ERR_INVALID, "options.min_probe_score must be 0..100");
  if (opts->registry) {
    if (opts->registry->magic != TI_REGISTRY_MAGIC)
      return fail(it, TI_ERR_INVALID, "options.registry is not a registry");
    it->reg = opts->registry;
  }
  it->flags = opts->flags;
  if (opts->min_probe_score) it->min_score = opts->min_probe_score;
  if (opts->probe_bytes) it->probe_bytes = opts->probe_bytes;
  if (opts->max_record_bytes) it->max_record = opts->max_record_bytes;
  if (opts->max_depth) it->max_depth = opts->max_depth;
  it->on_error = opts->on_error;
  it->on_error_user = opts->on_error_user;
  it->threads = opts->threads;
  if (opts->format) {
    if (!(it->format = ti_strdup(opts->format))) return TI_ERR_NOMEM;
    if (!ti_registry_find(it->reg, it->format)) {
      ti_buf names = {0};
      for (size_t i = 0; i < ti_registry_count(it->reg); i++)
        ti_buf_printf(&names, "%s%s", i ? ", " : "", ti_registry_name(it->reg, i));
      ti_iter_errorf(it, TI_ERR_FORMAT_UNKNOWN, NULL, 0, 0, "unknown format \"%s\" (known: %s)",
                     it->format, names.p ? names.p : "none");
      ti_buf_free(&names);
      return TI_ERR_FORMAT_UNKNOWN;
    }
  }
  if (opts->format_options) {
    size_t n = 0;
    while (opts->format_options[n]) n++;
    if (!(it->fopts = ti_mem_calloc(n + 1, sizeof(char *)))) return TI_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
      const char *o = opts->format_options[i];
      const char *eq = strchr(o, '=');
      size_t kl = eq ? (size_t)(eq - o) : strlen(o);
      if (!kl || !ti_registry_knows_option(it->reg, o, kl)) {
        ti_iter_errorf(it, TI_ERR_INVALID, NULL, 0, 0,
                       "unknown format option \"%.*s\" (no format of the registry accepts it)",
                       (int)kl, o);
        return TI_ERR_INVALID;
      }
      if (!(it->fopts[i] = ti_strdup(o))) return TI_ERR_NOMEM;
    }
  }
  return TI_OK;
}
