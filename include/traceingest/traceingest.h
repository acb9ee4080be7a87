/*
 * libtraceingest - turn coding-agent session traces into training states.
 *
 * SPDX-License-Identifier: MIT
 *
 * Consumer API. C99 and C++ clean. Every function is declared with its
 * status codes and the lifetime of every pointer it returns.
 *
 * Lifetime table
 * ---------------------------------------------------------------------------
 * | pointer                                    | owner     | valid until                          |
 * |--------------------------------------------|-----------|--------------------------------------|
 * | ti_iter * from ti_open*                    | caller    | ti_free()                            |
 * | const ti_state * from ti_next              | iterator  | next ti_next() or ti_free() on it    |
 * | ti_state * from ti_state_dup               | caller    | ti_state_free(); independent of the  |
 * |                                            |           | iterator (shares the message log)    |
 * | const ti_message * from ti_state_message,  | the state | the state stops being valid          |
 * |   ti_state_action                          |           |                                      |
 * | strings from ti_state_* / ti_message_*     | the state | the state stops being valid          |
 * | ti_state_json() output                     | the state | next ti_state_json() with other      |
 * |                                            |           | flags (or ti_state_json_into() that  |
 * |                                            |           | gives TI_ERR_LIMIT) on the same      |
 * |                                            |           | state, or the state stops being valid|
 * | char * from ti_state_dup_json              | caller    | ti_string_free() (never free())      |
 * | ti_writer * from ti_writer_new             | caller    | ti_writer_free()                     |
 * | ti_errmsg(), ti_error_file()               | iterator  | next call on that iterator           |
 * | ti_format_name(), ti_stats_json()          | iterator  | next call on that iterator           |
 * | names from ti_probe_scores                 | registry  | the registry is freed (built-in:     |
 * |                                            |           | forever)                             |
 * | ti_registry * from ti_registry_new         | caller    | ti_registry_free(), after every      |
 * |                                            |           | iterator opened with it is freed     |
 * | ti_strerror(), ti_version_string()         | library   | forever (static)                     |
 * ---------------------------------------------------------------------------
 *
 * Threading: the library has no mutable global state. One iterator is used
 * by one thread at a time; separate iterators are independent. Detached
 * states (ti_state_dup) may be read and freed from any thread.
 */
#ifndef TRACEINGEST_H
#define TRACEINGEST_H

#include <stddef.h>
#include <stdint.h>

#include "ti-version.h" /* generated next to this header */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(TI_BUILDING_LIBRARY)
#define TI_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define TI_API __attribute__((visibility("default")))
#else
#define TI_API
#endif

/* ---- status codes: 0 ok, positive "done", negative error ----------------- */
#define TI_OK 0
#define TI_DONE 1                 /* ti_next: no more states (sticky)          */
#define TI_ERR_NOMEM (-1)         /* out of memory (sticky)                    */
#define TI_ERR_INVALID (-2)       /* bad argument, unknown flag or option      */
#define TI_ERR_IO (-3)            /* open/read/mmap failed (sticky)            */
#define TI_ERR_PARSE (-4)         /* malformed record (skipped unless strict)  */
#define TI_ERR_FORMAT_UNKNOWN (-5)   /* no format accepted the input           */
#define TI_ERR_FORMAT_AMBIGUOUS (-6) /* a tie at the top probe score           */
#define TI_ERR_LIMIT (-7)         /* record size or nesting limit exceeded     */
#define TI_ERR_VERSION (-8)       /* struct size / ABI version mismatch        */
#define TI_ERR_MISUSE (-9)        /* API called on the wrong object or state   */

/* ---- opaque types --------------------------------------------------------- */
typedef struct ti_iter ti_iter;
typedef struct ti_state ti_state;
typedef struct ti_message ti_message;
typedef struct ti_registry ti_registry;

/* ---- options ---------------------------------------------------------------
 * Always initialise with TI_OPEN_OPTIONS_INIT or ti_open_options_init().
 * `size` is sizeof(ti_open_options) as the caller compiled it. Fields are
 * only ever appended; a caller built against a newer header must leave the
 * fields this library does not know at zero (else TI_ERR_VERSION).
 */
#define TI_OPEN_STRICT (1u << 0)       /* a malformed record is fatal            */
#define TI_OPEN_NO_RECURSE (1u << 1)   /* directories: only the top level        */
#define TI_OPEN_NO_MMAP (1u << 2)      /* read files (the default; kept so older
                                          callers stay valid)                     */
#define TI_OPEN_MMAP (1u << 3)         /* map a regular file of 4 MiB or more
                                          that its format reads whole (Claude
                                          Code sessions) instead of reading it:
                                          no fresh memory for it, and message
                                          contents are not copied (the mapping
                                          lives as long as a state needs it).
                                          A file cut short while it is mapped
                                          raises SIGBUS. Files read line by
                                          line are streamed either way.          */
#define TI_OPEN_FLAGS_ALL 0xFu

/* Error callback: called once per reported error (skipped or fatal), before
 * ti_next returns. `msg` and `file` are valid only during the call; `file`
 * is "<memory>" or "<fd>" for those inputs. */
typedef void (*ti_error_fn)(void *user, int code, const char *msg,
                            const char *file, uint64_t line,
                            uint64_t byte_offset);

typedef struct ti_open_options {
  size_t size;                 /* sizeof(ti_open_options)                   */
  uint32_t flags;              /* TI_OPEN_*; unknown bits: TI_ERR_INVALID   */
  uint32_t min_probe_score;    /* 0 means 50 (TI_PROBE_POSSIBLE)            */
  const char *format;          /* NULL: probe; else exact format name       */
  const ti_registry *registry; /* NULL: the built-in formats                */
  const char *const *format_options; /* NULL or NULL-terminated "key=value"
                                   strings; keys must be known to one of
                                   the registry's formats (TI_ERR_INVALID) */
  uint64_t probe_bytes;        /* largest probe window; 0 means 1 MiB       */
  uint64_t max_record_bytes;   /* one record/line; 0 means 256 MiB          */
  uint32_t max_depth;          /* JSON nesting limit; 0 means 512           */
  uint32_t reserved0;          /* must be 0                                 */
  ti_error_fn on_error;        /* NULL: none                                */
  void *on_error_user;
  uint32_t threads;            /* directories: worker threads; 0 or 1 means
                                  none. States come out in the same order
                                  as without threads.                       */
  uint32_t reserved1;          /* must be 0                                 */
} ti_open_options;

/* Every field spelled out, so -Wmissing-field-initializers stays quiet. */
#define TI_OPEN_OPTIONS_INIT {sizeof(ti_open_options), 0, 0, NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 0, 0}

/* Fill `opts` (of `size` bytes, the caller's sizeof) with defaults.
 * Returns TI_OK, or TI_ERR_INVALID if opts is NULL or size is too small. */
TI_API int ti_open_options_init(ti_open_options *opts, size_t size);

/* ---- opening ---------------------------------------------------------------
 * All three set *out to a new iterator even when they fail (except on
 * TI_ERR_NOMEM, where *out is NULL), so ti_errmsg(*out) can be read; the
 * caller always calls ti_free(*out). Return TI_OK or a negative status:
 * TI_ERR_INVALID, TI_ERR_VERSION, TI_ERR_IO, TI_ERR_FORMAT_UNKNOWN,
 * TI_ERR_FORMAT_AMBIGUOUS, TI_ERR_NOMEM.
 *
 * ti_open: a file or a directory. A directory is walked in sorted byte
 *   order (recursively unless TI_OPEN_NO_RECURSE); every file a format
 *   accepts is its own trace; a directory a format claims (e.g. an OpenHands
 *   session) is one trace; files no format accepts are passed over and
 *   counted ("files_skipped"). Probing a directory never fails with
 *   FORMAT_UNKNOWN.
 * ti_open_fd: reads `fd` sequentially (pipes work: nothing is seeked); the
 *   fd stays owned by the caller and must stay open until ti_free.
 * ti_open_memory: `buf` is not copied and must outlive the iterator.
 */
TI_API int ti_open(ti_iter **out, const char *path, const ti_open_options *opts);
TI_API int ti_open_fd(ti_iter **out, int fd, const ti_open_options *opts);
TI_API int ti_open_memory(ti_iter **out, const void *buf, size_t len,
                          const ti_open_options *opts);

/* Next state. Returns TI_OK (*out set, borrowed until the next ti_next or
 * ti_free), TI_DONE (no more; sticky), or a negative error. Malformed
 * records are reported through on_error, counted as "skipped" and passed
 * over; with TI_OPEN_STRICT the first one is returned as TI_ERR_PARSE or
 * TI_ERR_LIMIT. Fatal errors are sticky: every later call returns them. */
TI_API int ti_next(const ti_state **out, ti_iter *it);

/* Free an iterator and everything borrowed from it. NULL is a no-op.
 * Detached states (ti_state_dup) stay valid. */
TI_API void ti_free(ti_iter *it);

/* ---- errors ----------------------------------------------------------------
 * The last error reported on the iterator (fatal or skipped), with its
 * position. ti_errcode returns TI_OK when none. */
TI_API const char *ti_strerror(int status); /* static text, never NULL */
TI_API int ti_errcode(const ti_iter *it);
TI_API const char *ti_errmsg(const ti_iter *it); /* never NULL ("" if none) */
TI_API const char *ti_error_file(const ti_iter *it); /* NULL if none */
/* Any out pointer may be NULL. Positions are 1-based lines and 0-based
 * byte offsets; 0 in `line` means "unknown". Returns ti_errcode(it). */
TI_API int ti_error_position(const ti_iter *it, uint64_t *record_index,
                             uint64_t *line, uint64_t *byte_offset);

/* ---- iterator information ------------------------------------------------- */
/* Name of the format of the current trace (NULL before the first one). */
TI_API const char *ti_format_name(const ti_iter *it);
/* One named counter: "files", "files_skipped", "records", "states",
 * "messages", "skipped", "trajectories", or a format's own counter such as
 * "claude-code.unknown_type.<name>". Unknown names give 0. */
TI_API uint64_t ti_stat(const ti_iter *it, const char *name);
/* Every counter as one compact JSON object, keys in first-use order.
 * Returns TI_OK or TI_ERR_NOMEM. Borrowed: next call on the iterator. */
TI_API int ti_stats_json(const ti_iter *it, const char **out, size_t *len);

/* ---- states -----------------------------------------------------------------
 * Accessors never fail (except ti_message_content, see there); string
 * results are UTF-8, NUL-terminated, and borrowed from the state. NULL
 * means "absent". */
TI_API const char *ti_state_id(const ti_state *s);
TI_API const char *ti_state_trajectory_id(const ti_state *s);
TI_API const char *ti_state_format(const ti_state *s);
TI_API const char *ti_state_source_model(const ti_state *s);   /* may be NULL */
TI_API const char *ti_state_file(const ti_state *s);           /* may be NULL */
TI_API uint64_t ti_state_first_line(const ti_state *s);       /* 0 if unknown */
TI_API uint64_t ti_state_last_line(const ti_state *s);        /* 0 if unknown */
/* The chat history the model saw before the turn. */
TI_API size_t ti_state_message_count(const ti_state *s);
TI_API const ti_message *ti_state_message(const ti_state *s, size_t i); /* NULL if out of range */
/* Index of the first message not shared with the previous state of the
 * same trajectory (0 for a trajectory's first state). */
TI_API size_t ti_state_messages_offset(const ti_state *s);
/* The turn itself, as an assistant message. */
TI_API const ti_message *ti_state_action(const ti_state *s);
/* The turn's text (see docs/formats.md per format); never NULL. When it is
 * the action's text content it is decoded on first use, once per message
 * ("" if that runs out of memory); same lifetime as the state. */
TI_API const char *ti_state_student_action(const ti_state *s, size_t *len);
/* Format-specific metadata as a compact JSON object; never NULL. */
TI_API const char *ti_state_metadata_json(const ti_state *s, size_t *len);

/* Detach: *out outlives ti_next/ti_free and shares the message log (O(1) in
 * the history length). Returns TI_OK, TI_ERR_NOMEM, TI_ERR_INVALID. */
TI_API int ti_state_dup(ti_state **out, const ti_state *s);
/* Free a state from ti_state_dup. NULL is a no-op. A borrowed state from
 * ti_next is refused (nothing happens). */
TI_API void ti_state_free(ti_state *s);

/* ---- messages --------------------------------------------------------------- */
TI_API const char *ti_message_role(const ti_message *m); /* system|user|assistant|tool */
/* Text content; NULL if content is null or a part list. The text is
 * decoded from the message's JSON on first access (once, thread-safe);
 * that can fail for lack of memory, which also gives NULL: the content is
 * then still readable through ti_message_content_json. */
TI_API const char *ti_message_content(const ti_message *m, size_t *len);
/* Content as compact JSON: a string, null, or an array of parts. The bytes
 * are a view (into ti_message_json's bytes, or for a mapped file into the
 * file's, see TI_OPEN_MMAP) and are NOT NUL-terminated: `len` is required
 * (NULL len gives NULL). A content only part of which stayed in a mapped
 * file (image data) is put together on first access, as ti_message_json
 * is: NULL when that fails for lack of memory. */
TI_API const char *ti_message_content_json(const ti_message *m, size_t *len);
TI_API size_t ti_message_tool_call_count(const ti_message *m);
/* Tool call i: id, name, arguments (a JSON text). Out pointers may be NULL.
 * Returns TI_OK or TI_ERR_INVALID if i is out of range. */
TI_API int ti_message_tool_call(const ti_message *m, size_t i, const char **id,
                                const char **name, const char **arguments);
TI_API const char *ti_message_tool_call_id(const ti_message *m); /* may be NULL */
TI_API const char *ti_message_name(const ti_message *m);         /* may be NULL */
/* Decoded on first access (once, thread-safe): NULL when the message has no
 * reasoning, or when that fails for lack of memory. */
TI_API const char *ti_message_reasoning(const ti_message *m, size_t *len);
/* The whole message as compact JSON (OpenAI chat shape). A message whose
 * content stayed in a mapped file is put together on first access (once,
 * thread-safe); that can fail for lack of memory, which gives NULL. */
TI_API const char *ti_message_json(const ti_message *m, size_t *len);

/* ---- JSON export ------------------------------------------------------------
 * One compact object per state, keys in this order: state_id, messages,
 * action, student_action, [messages_offset], trajectory_id, format,
 * source_model, file, first_line, last_line, metadata.
 * TI_JSON_DELTA: `messages` holds only messages[messages_offset..] and
 * "messages_offset" is present. */
#define TI_JSON_DELTA (1u << 0)
#define TI_JSON_FLAGS_ALL 0x1u
/* Borrowed: valid until the next ti_state_json on the same state with other
 * flags (the same flags give the same text again, not rendered twice) or
 * until the state stops being valid. Returns TI_OK, TI_ERR_NOMEM,
 * TI_ERR_INVALID. */
TI_API int ti_state_json(const char **out, size_t *len, const ti_state *s, uint32_t flags);
/* The same text written into caller memory, for a consumer that gathers
 * many states in one buffer of its own (the CLI writes 256 KiB at a time):
 * no copy through the library's buffer. When the text fits in `cap` bytes
 * it is written to buf[0..*len) (not NUL-terminated; buf[*len] may have
 * been written) and TI_OK is returned. Otherwise TI_ERR_LIMIT, with *len
 * set to the size the text needs and buf's bytes undefined: the text was
 * rendered as ti_state_json renders it (replacing that call's earlier
 * output on this state), and ti_state_json with the same flags now returns
 * it without rendering it again. Also TI_ERR_NOMEM, TI_ERR_INVALID (len
 * NULL, buf NULL with cap > 0, a bad state or flags). */
TI_API int ti_state_json_into(char *buf, size_t cap, size_t *len, const ti_state *s,
                              uint32_t flags);
/* Owned copy; release with ti_string_free. */
TI_API int ti_state_dup_json(char **out, size_t *len, const ti_state *s, uint32_t flags);
TI_API void ti_string_free(char *p);

/* ---- writing JSON Lines to a file descriptor -----------------------------
 * A writer writes states to a file descriptor, one per line: exactly the
 * bytes of ti_state_json (with the writer's flags) and "\n" for each,
 * buffered (256 KiB). A message content the library left in its input
 * (a file of 4 MiB or more read with TI_OPEN_MMAP, or read whole; 1 KiB of
 * JSON or more) is not copied into the buffer: the kernel is handed its
 * bytes where they are (writev), and the writer holds that input until
 * they are written - the state may go away first. One writer is used by
 * one thread at a time. A write error is sticky: later calls return
 * TI_ERR_IO and write nothing; ti_writer_errno gives the error. */
typedef struct ti_writer ti_writer;
/* fd: open for writing and blocking; it stays the caller's (never closed).
 * flags: TI_JSON_*. Returns TI_OK, TI_ERR_INVALID (out NULL, fd < 0, unknown
 * flags) or TI_ERR_NOMEM. */
TI_API int ti_writer_new(ti_writer **out, int fd, uint32_t flags);
/* Add state s (from ti_next or ti_state_dup; nothing of it is kept after
 * the call). May write. Returns TI_OK, TI_ERR_IO, TI_ERR_NOMEM or
 * TI_ERR_INVALID (w NULL, a bad state). */
TI_API int ti_writer_put(ti_writer *w, const ti_state *s);
/* Write everything added so far. Returns TI_OK, TI_ERR_IO or TI_ERR_INVALID.
 * An input cut short while mapped gives TI_ERR_IO with EFAULT. */
TI_API int ti_writer_flush(ti_writer *w);
/* Add every state ti_next would still yield from it: the same bytes in the
 * same order as ti_next and ti_writer_put on each, errors reported as by
 * ti_next (callback, counters). *n_states (may be NULL) gets the number of
 * states added. On a directory opened with threads > 1 and not yet read by
 * ti_next, each thread renders and writes the states it reads, in turn,
 * rather than handing them to the caller's thread (faster: nothing crosses
 * threads but the order). Afterwards the iterator is used up: ti_next
 * returns what this returned - TI_DONE when every state was added,
 * TI_ERR_IO (a write failed, see ti_writer_errno), or another negative
 * status of the iterator or the writer (TI_ERR_MISUSE: it is not an
 * iterator; TI_ERR_INVALID: w NULL). States may still be in w's buffer:
 * ti_writer_flush writes them. */
TI_API int ti_writer_put_all(ti_writer *w, ti_iter *it, uint64_t *n_states);
/* The errno of the first failed write, 0 if none. */
TI_API int ti_writer_errno(const ti_writer *w);
/* Free w (NULL is fine). Writes nothing: what ti_writer_flush did not write
 * is dropped, so that freeing after the fd was closed is safe. */
TI_API void ti_writer_free(ti_writer *w);

/* ---- formats and probing ----------------------------------------------------
 * A registry holds format plugins. ti_registry_new returns one holding the
 * built-in formats; third-party formats are added with ti_registry_add
 * (see ti-format.h). Returns TI_OK or TI_ERR_NOMEM. */
TI_API int ti_registry_new(ti_registry **out);
TI_API void ti_registry_free(ti_registry *reg);
/* Number of formats and the name of format i (NULL if out of range). */
TI_API size_t ti_registry_count(const ti_registry *reg);
TI_API const char *ti_registry_name(const ti_registry *reg, size_t i);

#define TI_PROBE_NONE 0
#define TI_PROBE_WEAK 10
#define TI_PROBE_POSSIBLE 50
#define TI_PROBE_LIKELY 80
#define TI_PROBE_CERTAIN 100
/* Score every format of `reg` (NULL: built-ins) on a file or directory
 * `path`, or on `buf`/`len` when path is NULL. Fills up to `cap` pairs in
 * registry order; *n receives the number of formats. Returns TI_OK,
 * TI_ERR_IO, TI_ERR_INVALID or TI_ERR_NOMEM. */
TI_API int ti_probe_scores(const ti_registry *reg, const char *path,
                           const void *buf, size_t len, const char **names,
                           int *scores, size_t cap, size_t *n);

/* ---- version ------------------------------------------------------------------ */
TI_API unsigned ti_version_number(void);   /* TI_VERSION_NUMBER of the library */
TI_API const char *ti_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* TRACEINGEST_H */
