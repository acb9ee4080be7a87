/*
 * libtraceingest - format plugin API ("systems API").
 *
 * SPDX-License-Identifier: MIT
 *
 * UNSTABLE: the symbols declared here live in the version node
 * TRACEINGEST_UNSTABLE_0.1 and may change between minor releases. A plugin
 * built against this header states the ABI it was built for in
 * ti_format_ops.abi_version and .struct_size; the core refuses newer ABIs.
 *
 * The built-in formats (lib/formats/) use exactly this API. A plugin:
 *   - reads its input through ti_input_* (record reader, whole input,
 *     sibling files, directory listing),
 *   - parses JSON with the zero-copy cursor ti_json_* (no DOM),
 *   - emits messages, history and states through ti_emit_*,
 *   - reports malformed input through ti_report (position, counting,
 *     strict mode),
 *   - allocates with ti_mem_* (so allocation-failure testing reaches it).
 *
 * Lifetimes: every pointer a ti_input_* call returns stays valid until the
 * plugin's destroy() returns, unless its comment says otherwise. Messages
 * (const ti_message *) returned by ti_emit_msg_end stay valid until the
 * next ti_emit_trajectory call or destroy().
 */
#ifndef TRACEINGEST_TI_FORMAT_H
#define TRACEINGEST_TI_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "traceingest.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TI_PRINTF(a, b)
#endif

#define TI_FORMAT_ABI_VERSION 1

typedef struct ti_plugin_ctx ti_plugin_ctx;

/* ======================= memory ===========================================
 * Blocks from these calls, and a ti_buf's `p`, go back through ti_mem_free /
 * ti_mem_realloc / ti_buf_free only, never free() or realloc(): large ones
 * (2 MiB and more) are mapped on huge pages, not taken from malloc. */
TI_API void *ti_mem_alloc(size_t n);            /* NULL on failure          */
TI_API void *ti_mem_calloc(size_t n, size_t m); /* NULL on failure/overflow */
TI_API void *ti_mem_realloc(void *p, size_t n); /* NULL on failure, p kept  */
TI_API void ti_mem_free(void *p);

/* Growable byte buffer. Zero-initialise ({0}) or ti_buf_init. `p` is always
 * NUL-terminated after a successful append (when non-NULL). */
typedef struct ti_buf {
  char *p;
  size_t len;
  size_t cap;
} ti_buf;
TI_API void ti_buf_init(ti_buf *b);
TI_API void ti_buf_free(ti_buf *b);
TI_API void ti_buf_reset(ti_buf *b); /* len = 0, keeps memory */
TI_API int ti_buf_reserve(ti_buf *b, size_t extra);
TI_API int ti_buf_append(ti_buf *b, const void *s, size_t n);
TI_API int ti_buf_puts(ti_buf *b, const char *s);
TI_API int ti_buf_printf(ti_buf *b, const char *fmt, ...) TI_PRINTF(2, 3);
/* Append `s` as a JSON string literal with quotes. Escapes ", \, and
 * control characters (\b \f \n \r \t, else \u00XX); keeps other UTF-8 as is;
 * invalid UTF-8 bytes become U+FFFD. This is the project's canonical string
 * encoding (the exporter uses it too). */
TI_API int ti_buf_json_string(ti_buf *b, const char *s, size_t n);

/* ======================= JSON cursor ======================================
 * ti_json_parse validates one JSON text (RFC 8259; whitespace around it is
 * allowed; NOTHING else after it) in one pass without building anything.
 * Values are spans of the input: they stay valid as long as the input
 * bytes. Lookups and iteration re-walk the validated bytes lazily.
 * Strings: invalid UTF-8 is an error; a lone surrogate escape is accepted
 * and decodes to U+FFFD; \u0000 decodes to a NUL byte (lengths are
 * explicit). */
#define TI_JSON_INVALID 0
#define TI_JSON_NULL 1
#define TI_JSON_FALSE 2
#define TI_JSON_TRUE 3
#define TI_JSON_NUMBER 4
#define TI_JSON_STRING 5
#define TI_JSON_ARRAY 6
#define TI_JSON_OBJECT 7

typedef struct ti_json_index ti_json_index; /* opaque; see ti_json_parse_indexed */

typedef struct ti_jv {
  const char *p; /* first byte of the value (the quote, bracket, digit...) */
  size_t n;      /* bytes of the value, quotes/brackets included           */
  int type;      /* TI_JSON_*; TI_JSON_INVALID for "absent"                */
  int flags;     /* TI_JV_* below                                          */
  const ti_json_index *ix; /* structural index of its parse, or NULL      */
  size_t ixk;              /* its entry in ix (internal)                   */
} ti_jv;
#define TI_JV_ESCAPES 1   /* string: contains a backslash escape */
#define TI_JV_CANONICAL 2 /* string: known to be written exactly as ti_buf_json_string
                             writes its decoded value (set by the cursor; absent: unknown);
                             array, object: compact canonical JSON, exactly what
                             ti_json_write_compact writes (set by the cursor on values of
                             an indexed parse, or by a plugin that wrote it, for
                             ti_emit_msg_content_jv, ti_emit_meta_members_jv) */

typedef struct ti_json_error {
  size_t offset;   /* byte offset of the error in the parsed text */
  int code;        /* TI_ERR_PARSE or TI_ERR_LIMIT */
  char text[96];   /* short reason, NUL-terminated */
} ti_json_error;

/* Returns TI_OK (root set), TI_ERR_PARSE or TI_ERR_LIMIT (err filled when
 * non-NULL). max_depth 0 means 512. */
TI_API int ti_json_parse(const char *buf, size_t len, uint32_t max_depth,
                         ti_jv *root, ti_json_error *err);
/* Like ti_json_parse, but stops after the first value: *consumed receives
 * the bytes used (value plus leading whitespace). For concatenated values. */
TI_API int ti_json_parse_prefix(const char *buf, size_t len, uint32_t max_depth,
                                ti_jv *root, size_t *consumed, ti_json_error *err);

/* Structural index: ti_json_parse_indexed validates like ti_json_parse and
 * also records where containers and long strings end, in `ix` (caller-owned,
 * reused from call to call: it is reset first, its memory kept). Values
 * derived from *root (lookups, iteration) then jump over those values
 * instead of re-scanning their bytes. The values stay usable after ix is
 * reset or reused (they fall back to re-scanning), but not after
 * ti_json_index_free. Returns like ti_json_parse, or TI_ERR_NOMEM. */
TI_API ti_json_index *ti_json_index_new(void); /* NULL on failure */
TI_API void ti_json_index_free(ti_json_index *ix);
TI_API int ti_json_parse_indexed(const char *buf, size_t len, uint32_t max_depth,
                                 ti_json_index *ix, ti_jv *root, ti_json_error *err);
/* Like ti_json_parse_indexed, but adds to what ix holds instead of resetting
 * it, so values of every text parsed into ix since its last reset keep
 * jumping (texts of one buffer parsed in increasing order, e.g. the lines
 * of a whole-input buffer, then walked again later). A text before the
 * first one, or more than 4 GiB after it, resets ix first. */
TI_API int ti_json_parse_indexed_add(const char *buf, size_t len, uint32_t max_depth,
                                     ti_json_index *ix, ti_jv *root, ti_json_error *err);
/* Like ti_json_parse_indexed_add for the line that starts at buf, in a
 * buffer of len bytes holding more lines after it: one value, on one line
 * (a newline between its tokens is an error), then only spaces, tabs or
 * carriage returns up to a newline or the end of the buffer. *line_len
 * receives the line's length: the bytes before its newline (blanks around
 * the value included). For JSONL read whole:
 * the line end is found by the parse, not by a separate search. Returns
 * TI_OK, TI_ERR_PARSE or TI_ERR_LIMIT (err filled when non-NULL, offset
 * from buf), or TI_ERR_NOMEM. On an error nothing is added to ix and
 * *line_len is 0: find the line end and parse the line alone to report it. */
TI_API int ti_json_parse_indexed_line(const char *buf, size_t len, uint32_t max_depth,
                                      ti_json_index *ix, ti_jv *root, size_t *line_len,
                                      ti_json_error *err);
/* Empty ix, keeping its memory (values from it fall back to re-scanning). */
TI_API void ti_json_index_reset(ti_json_index *ix);
/* The members of the root object of the text last parsed into ix (by
 * ti_json_parse_indexed or _add), in order, as the parse met them: a walk
 * over a record's top-level members without scanning its bytes again.
 * Returns their number and sets *out to an array owned by ix, valid until
 * the next parse into ix, ti_json_index_reset or ti_json_index_free; key
 * and val are what ti_json_next_member gives. *out is NULL (and 0 is
 * returned) when there is no such list: that parse failed, its root is not
 * an object, or the text was too long to index (over 4 GiB). */
typedef struct ti_json_member {
  ti_jv key, val;
} ti_json_member;
TI_API size_t ti_json_index_members(const ti_json_index *ix, const ti_json_member **out);

/* Object member lookup by key (compares decoded keys; first match wins).
 * Returns 1 and sets *out if found, else 0 and out->type = TI_JSON_INVALID.
 * `obj` not an object: 0. */
TI_API int ti_json_get(const ti_jv *obj, const char *key, ti_jv *out);
/* Path lookup through nested objects: keys NULL-terminated. */
TI_API int ti_json_getv(const ti_jv *obj, ti_jv *out, ...);

typedef struct ti_json_iter {
  const char *p;
  const char *end;
  int kind; /* TI_JSON_ARRAY or TI_JSON_OBJECT; 0 when exhausted/invalid */
  const ti_json_index *ix; /* internal */
  size_t ixk;              /* internal */
} ti_json_iter;
/* Start iterating an array or object (anything else iterates nothing). */
TI_API void ti_json_iter_init(ti_json_iter *it, const ti_jv *container);
/* Arrays: 1 and *val per element, 0 at the end. */
TI_API int ti_json_next(ti_json_iter *it, ti_jv *val);
/* Objects: 1 and *key (a string value) and *val per member, 0 at the end. */
TI_API int ti_json_next_member(ti_json_iter *it, ti_jv *key, ti_jv *val);
/* Element count of an array or member count of an object (walks it). */
TI_API size_t ti_json_count(const ti_jv *container);

/* Strings. ti_json_str_eq compares the decoded string with a C string.
 * ti_json_str gives the decoded bytes: zero-copy (*s points into the
 * input, NOT NUL-terminated) when there are no escapes, else decoded into
 * `scratch` (reset first; NUL-terminated). Returns TI_OK or TI_ERR_INVALID
 * (not a string) or TI_ERR_NOMEM. ti_json_str_append appends the decoded
 * string to `out`. */
TI_API int ti_json_str_eq(const ti_jv *v, const char *s);
/* ti_json_str_eq for a NUL-terminated s of known length n (a literal, a
 * key): the bytes are compared unless v has escapes (then decoded). 0 for
 * anything but a string. TI_JSON_STR_IS(v, "lit") passes the length. */
static inline int ti_json_str_is(const ti_jv *v, const char *s, size_t n) {
  if (v->type != TI_JSON_STRING) return 0;
  if (v->flags & TI_JV_ESCAPES) return ti_json_str_eq(v, s);
  return v->n == n + 2 && memcmp(v->p + 1, s, n) == 0;
}
#define TI_JSON_STR_IS(v, lit) ti_json_str_is((v), "" lit, sizeof(lit) - 1)
TI_API int ti_json_str(const ti_jv *v, ti_buf *scratch, const char **s, size_t *n);
TI_API int ti_json_str_append(const ti_jv *v, ti_buf *out);
/* Numbers and literals. ti_json_int: TI_OK if the number is an integer
 * that fits (also "1.0e3"-style exact integers are refused: TI_ERR_INVALID). */
TI_API int ti_json_int(const ti_jv *v, int64_t *out);
TI_API int ti_json_double(const ti_jv *v, double *out);
TI_API int ti_json_is_true(const ti_jv *v);
TI_API int ti_json_is_null_or_absent(const ti_jv *v);
/* Append `v` as canonical compact JSON: no insignificant whitespace,
 * strings re-encoded as by ti_buf_json_string (so \/ and \u00e9 become / and
 * e-acute), numbers and member order as in the input. */
TI_API int ti_json_write_compact(const ti_jv *v, ti_buf *out);

/* ======================= input ============================================ */
typedef struct ti_record {
  const char *p;        /* line bytes without the newline (and without a
                           trailing \r); valid until the next
                           ti_input_next_line call                       */
  size_t len;
  uint64_t line;        /* 1-based line number                           */
  uint64_t offset;      /* byte offset of the line in the input          */
  int torn;             /* 1: last line, no trailing newline             */
} ti_record;

/* Path of the current input (file or directory), or NULL for memory/fd. */
TI_API const char *ti_input_path(const ti_plugin_ctx *ctx);
/* 1 if the current input is a directory claimed by probe_dir. */
TI_API int ti_input_is_dir(const ti_plugin_ctx *ctx);
/* Next line of a line-oriented input. Blank (whitespace-only) lines are
 * passed over. Counts "records". A line longer than max_record_bytes is
 * reported (TI_ERR_LIMIT) and skipped. Returns TI_OK, TI_DONE, or a
 * negative error (fatal: IO/NOMEM; or the limit error in strict mode). */
TI_API int ti_input_next_line(ti_plugin_ctx *ctx, ti_record *rec);
/* Look at the first `want` bytes (or fewer at the end) without consuming
 * anything: to choose between line and whole-input reading. Valid until
 * the next ti_input_* call. Returns TI_OK or a negative error. */
TI_API int ti_input_peek(ti_plugin_ctx *ctx, size_t want, const char **buf, size_t *len,
                         int *at_eof);
/* The whole input as one buffer (mapped or read). Valid until destroy().
 * Must not be mixed with ti_input_next_line. A UTF-8 BOM is left out of
 * buf; offsets given to ti_report/ti_fail are relative to buf and the
 * core adds the BOM back, so reported offsets are file offsets. A mapped file or a memory
 * input has no size limit; input read from a stream is limited to
 * max_record_bytes (TI_ERR_LIMIT). */
TI_API int ti_input_whole(ti_plugin_ctx *ctx, const char **buf, size_t *len);
/* Read another file whole (e.g. a session's sidecar or event file). `path`
 * is absolute or relative to the current input's directory (or the input
 * itself when it is a directory). Valid until destroy(). Returns TI_OK,
 * TI_ERR_IO (not reported: the plugin decides), TI_ERR_LIMIT, TI_ERR_NOMEM. */
TI_API int ti_input_read_file(ti_plugin_ctx *ctx, const char *path,
                              const char **buf, size_t *len);
/* Release a buffer from ti_input_read_file early (optional). */
TI_API void ti_input_release(ti_plugin_ctx *ctx, const char *buf);
/* List a directory (same path rules) in byte order, "." and ".." left out.
 * cb returns 0 to go on, non-zero to stop (that value is returned).
 * Returns TI_OK, TI_ERR_IO, TI_ERR_NOMEM, or cb's value. */
typedef int (*ti_dir_fn)(void *user, const char *name, int is_dir);
TI_API int ti_input_list_dir(ti_plugin_ctx *ctx, const char *path, ti_dir_fn cb,
                             void *user);
/* Parse one JSON text with the iterator's limits. Returns TI_OK (root
 * set); on invalid JSON it reports the error (position = line, offset +
 * the error's offset) and returns TI_SKIP (skip the record and go on) or,
 * in strict mode, the negative error code (return it from next()). */
#define TI_SKIP 2
TI_API int ti_input_parse(ti_plugin_ctx *ctx, const char *buf, size_t len,
                          uint64_t line, uint64_t offset, ti_jv *root);

/* ======================= options, errors, counters ======================== */
/* Value of a "key=value" format option, or NULL. "key" alone gives "". */
TI_API const char *ti_option(const ti_plugin_ctx *ctx, const char *key);
/* Boolean option: 1/true/yes/on vs 0/false/no/off; else `dflt`. */
TI_API int ti_option_bool(const ti_plugin_ctx *ctx, const char *key, int dflt);
TI_API int ti_strict(const ti_plugin_ctx *ctx);
TI_API uint32_t ti_max_depth(const ti_plugin_ctx *ctx);
/* The iterator's max_record_bytes: a plugin that splits records out of
 * ti_input_whole itself reports longer ones (TI_ERR_LIMIT) and skips them. */
TI_API uint64_t ti_max_record_bytes(const ti_plugin_ctx *ctx);

/* Report a malformed record at (line, byte offset) of the current input
 * (or `file` given by ti_report_file). Sets the iterator's error, calls the
 * on_error callback, counts "skipped". Returns TI_OK when the plugin should
 * skip and go on, or `code` (strict mode): return it from next(). */
TI_API int ti_report(ti_plugin_ctx *ctx, int code, uint64_t line, uint64_t offset,
                     const char *fmt, ...) TI_PRINTF(5, 6);
/* Same, for a position in another file (e.g. a subagent file). */
TI_API int ti_report_file(ti_plugin_ctx *ctx, const char *file, int code,
                          uint64_t line, uint64_t offset, const char *fmt, ...)
    TI_PRINTF(6, 7);
/* A fatal error: sets the error and returns `code` (always). */
TI_API int ti_fail(ti_plugin_ctx *ctx, int code, uint64_t line, uint64_t offset,
                   const char *fmt, ...) TI_PRINTF(5, 6);
/* Add `delta` to a named counter (see ti_stat). Plugins prefix their own
 * counters with their name: "claude-code.unknown_type.foo". "records" is
 * counted by ti_input_next_line; whole-input plugins add it themselves. */
TI_API int ti_count(ti_plugin_ctx *ctx, const char *name, uint64_t delta);

/* ======================= emitting ========================================= */
/* Start a trajectory: a new message log. Every message and state emitted
 * afterwards belongs to it. Messages of the previous trajectory become
 * invalid for the plugin (detached states keep them alive). */
TI_API int ti_emit_trajectory(ti_plugin_ctx *ctx, const char *id, size_t len);

/* Build one message: begin, set fields, end. Strings are copied. */
TI_API int ti_emit_msg_begin(ti_plugin_ctx *ctx, const char *role);
TI_API int ti_emit_msg_content(ti_plugin_ctx *ctx, const char *s, size_t len);
/* Content straight from a JSON value of the input (a ti_jv from
 * ti_json_parse). A string is text content: when its bytes are already
 * canonical they are copied as they are, with no decoding and re-encoding
 * -- the fast path for large tool outputs. An array is content parts,
 * stored in canonical compact form; an array whose flags have
 * TI_JV_CANONICAL set is taken as compact canonical JSON as it is (e.g.
 * parts the plugin wrote with ti_json_write_compact / ti_buf_json_string
 * into its own buffer). The bytes are copied once, by ti_emit_msg_end:
 * v's bytes must stay unchanged until then. Other types: TI_ERR_INVALID. */
TI_API int ti_emit_msg_content_jv(ti_plugin_ctx *ctx, const ti_jv *v);
/* n bytes at p (not NUL-terminated). */
typedef struct ti_span {
  const char *p;
  size_t n;
} ti_span;
#define TI_EMIT_MAX_SPANS 64
/* Content parts given in pieces: the n pieces (at most TI_EMIT_MAX_SPANS)
 * put end to end must be compact canonical JSON of the parts array, as
 * ti_emit_msg_content_jv takes with TI_JV_CANONICAL. A big value, such as
 * an image's base64 data, can then be a piece of its own, pointing into
 * the input, rather than copied into one buffer with the rest: the bytes
 * are copied once, by ti_emit_msg_end, and must stay unchanged until then
 * (the array itself is copied by this call). TI_ERR_INVALID when the
 * pieces do not start with '[' and end with ']', TI_ERR_LIMIT for more than
 * TI_EMIT_MAX_SPANS pieces, TI_ERR_MISUSE outside a message. */
TI_API int ti_emit_msg_content_spans(ti_plugin_ctx *ctx, const ti_span *pieces, size_t n);
/* Content as a JSON value (an array of parts); must be valid JSON; it is
 * stored in canonical compact form. */
TI_API int ti_emit_msg_content_json(ti_plugin_ctx *ctx, const char *json, size_t len);
/* A tool call. `arguments` is the arguments string as it is (JSON text,
 * by the OpenAI convention); NULL gives "{}". */
TI_API int ti_emit_msg_tool_call(ti_plugin_ctx *ctx, const char *id, size_t id_len,
                                 const char *name, size_t name_len,
                                 const char *arguments, size_t args_len);
/* A tool call whose arguments string is the JSON value `args` in canonical
 * compact form (ti_json_write_compact): the way to pass a parsed input
 * object. A container with TI_JV_CANONICAL is taken as it is -- it must
 * then be what ti_json_write_compact writes -- and quoted much faster
 * than ti_buf_json_string quotes text. NULL or an invalid value gives
 * "{}". args' bytes are read before the call returns. */
TI_API int ti_emit_msg_tool_call_jv(ti_plugin_ctx *ctx, const char *id, size_t id_len,
                                    const char *name, size_t name_len, const ti_jv *args);
TI_API int ti_emit_msg_tool_call_id(ti_plugin_ctx *ctx, const char *s, size_t len);
TI_API int ti_emit_msg_name(ti_plugin_ctx *ctx, const char *s, size_t len);
TI_API int ti_emit_msg_reasoning(ti_plugin_ctx *ctx, const char *s, size_t len);
/* Finish the message. Identical messages of one trajectory are interned:
 * *out may be a message emitted before. */
TI_API int ti_emit_msg_end(ti_plugin_ctx *ctx, const ti_message **out);

/* The trajectory's current history: what the next state will see. */
TI_API int ti_emit_push(ti_plugin_ctx *ctx, const ti_message *m);
TI_API int ti_emit_truncate(ti_plugin_ctx *ctx, size_t n); /* keep first n */
TI_API size_t ti_emit_history_len(const ti_plugin_ctx *ctx);
TI_API const ti_message *ti_emit_history_at(const ti_plugin_ctx *ctx, size_t i);

/* One state: begin, set, end. The history is the current history; the
 * action is required. student_action defaults to the action's text content
 * (or "" if none). file defaults to the current input path; lines to 0. */
TI_API int ti_emit_state_begin(ti_plugin_ctx *ctx);
TI_API int ti_emit_state_id(ti_plugin_ctx *ctx, const char *s, size_t len);
TI_API int ti_emit_state_action(ti_plugin_ctx *ctx, const ti_message *m);
TI_API int ti_emit_state_student_action(ti_plugin_ctx *ctx, const char *s, size_t len);
TI_API int ti_emit_state_model(ti_plugin_ctx *ctx, const char *s, size_t len);
TI_API int ti_emit_state_file(ti_plugin_ctx *ctx, const char *path);
TI_API int ti_emit_state_lines(ti_plugin_ctx *ctx, uint64_t first, uint64_t last);
/* Metadata members, in call order. meta_json takes a valid JSON value
 * (stored in canonical compact form). meta_jv takes a value of a parse
 * (no second validation; TI_JSON_INVALID, i.e. absent, is stored as null).
 * meta_members_jv adds every member of an object of a parse, in order; an
 * object with TI_JV_CANONICAL set is compact canonical JSON the plugin
 * wrote (e.g. members shared by all the states of a trajectory, made
 * once) and is spliced as it is. All return TI_OK, TI_ERR_MISUSE outside
 * ti_emit_state_begin/_end, TI_ERR_INVALID for JSON that is not valid (or,
 * for meta_members_jv, not an object) or TI_ERR_NOMEM. Values are copied:
 * nothing passed in needs to outlive the call. */
TI_API int ti_emit_meta_str(ti_plugin_ctx *ctx, const char *key, const char *s, size_t len);
TI_API int ti_emit_meta_int(ti_plugin_ctx *ctx, const char *key, int64_t v);
TI_API int ti_emit_meta_bool(ti_plugin_ctx *ctx, const char *key, int v);
TI_API int ti_emit_meta_json(ti_plugin_ctx *ctx, const char *key, const char *json, size_t len);
TI_API int ti_emit_meta_jv(ti_plugin_ctx *ctx, const char *key, const ti_jv *v);
TI_API int ti_emit_meta_members_jv(ti_plugin_ctx *ctx, const ti_jv *obj);
/* Emit. After this next() returns TI_OK. */
TI_API int ti_emit_state_end(ti_plugin_ctx *ctx);

/* ======================= the vtable ======================================= */
typedef struct ti_probe_input {
  const unsigned char *buf; /* first bytes of the input                    */
  size_t len;
  int at_eof;               /* buf holds the whole input                   */
  const char *name_hint;    /* path, or NULL                               */
} ti_probe_input;

typedef struct ti_format_ops {
  uint32_t abi_version;     /* TI_FORMAT_ABI_VERSION                       */
  uint32_t struct_size;     /* sizeof(ti_format_ops)                       */
  const char *name;         /* unique, e.g. "claude-code"                  */
  const char *summary;      /* one line                                    */
  const char *const *option_keys; /* NULL-terminated keys it accepts, or NULL */
  /* Score 0..100 on the first bytes. The core grows the window (doubling,
   * up to probe_bytes) while the best score is below the threshold and
   * input remains. Must not read outside buf. Required. */
  int (*probe)(const ti_probe_input *in);
  /* Score 0..100 for a directory as one trace (NULL: never). `path` is the
   * directory. May read it with plain stdio/dirent, but cheaply. */
  int (*probe_dir)(const char *path);
  /* Set up for one input; *parser is passed back to next/destroy. */
  int (*create)(void **parser, ti_plugin_ctx *ctx);
  /* Emit at most one state (ti_emit_state_end) and return TI_OK; returning
   * TI_OK without a state makes the core call again. TI_DONE at the end;
   * a negative code is fatal for this input. */
  int (*next)(void *parser, ti_plugin_ctx *ctx);
  void (*destroy)(void *parser);
} ti_format_ops;

/* Add a format. `ops` must outlive the registry. Returns TI_OK,
 * TI_ERR_VERSION (abi_version newer than this library, or struct_size too
 * small), TI_ERR_INVALID (missing name/probe/create/next/destroy, or a
 * duplicate name), TI_ERR_NOMEM. */
TI_API int ti_registry_add(ti_registry *reg, const ti_format_ops *ops);

#ifdef __cplusplus
}
#endif
#endif /* TRACEINGEST_TI_FORMAT_H */
