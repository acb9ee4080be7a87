/* SPDX-License-Identifier: MIT */
/* Internal declarations shared by the core files (never installed). */
#ifndef TI_CORE_H
#define TI_CORE_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <traceingest/traceingest.h>
#include <traceingest/ti-format.h>

typedef struct ti_log ti_log;

/* ---- small helpers (mem.c) ------------------------------------------------ */
char *ti_strndup(const char *s, size_t n);
char *ti_strdup(const char *s);
int ti_buf_vprintf(ti_buf *b, const char *fmt, va_list ap) TI_PRINTF(2, 0);
int ti_buf_i64(ti_buf *b, int64_t v);
int ti_buf_u64(ti_buf *b, uint64_t u);
uint64_t ti_hash(const void *p, size_t n);

#ifdef TI_TESTING
/* Allocation-failure injection: the n-th allocation from now fails (n = 0:
 * the next one); -1 turns it off. */
void ti_test_fail_after(long n);
/* parallel.c: the output a walk's readers may hold before one waits for its
 * turn (ti_writer_put_all with threads), and the most they held. */
extern size_t ti_test_hold_max, ti_test_held_peak;
unsigned long ti_test_alloc_calls(void);
int ti_test_should_fail(void); /* counts as an allocation */
#endif

/* ---- arena (log.c): bump allocation freed all at once --------------------- */
typedef struct ti_arena_chunk ti_arena_chunk;
typedef struct ti_arena {
  ti_arena_chunk *head;
  ti_arena_chunk *spare; /* chunks kept by ti_arena_reset */
  char *pos, *end;
  size_t next; /* size of the next new chunk: doubles up to a cap */
} ti_arena;
void *ti_arena_alloc(ti_arena *a, size_t n); /* 8-byte aligned */
void ti_arena_reset(ti_arena *a);            /* keep the chunks for reuse */
void ti_arena_free(ti_arena *a);
/* Blocks of TI_HUGE_MIN bytes or more, mapped on huge pages (hugemem.c;
 * on small ones for a second after a huge page was slow to fault in);
 * ti_mem_alloc / ti_mem_realloc / ti_mem_free use them. ti_huge_alloc
 * returns NULL (nothing done) where they are off; ti_huge_free and
 * ti_huge_realloc return 0 when the block is not theirs to handle. */
#define TI_HUGE_MIN ((size_t)2 << 20)
void *ti_huge_alloc(size_t n, int zeroed); /* zeroed: as calloc */
int ti_huge_free(void *p);
int ti_huge_realloc(void *p, size_t n, void **out);
/* A 2 MiB-aligned mapping of len bytes (a multiple of 2 MiB) on huge pages
 * (small ones while they are slow, as for the blocks), its first page
 * faulted in, or NULL (also where huge blocks are off); munmap gives it
 * back. */
void *ti_huge_map(size_t len);

/* ---- block pool (blocks.c): log memory reused across logs and threads ---- */
/* Whether a block of n bytes comes from the pool (else from ti_mem_alloc). */
int ti_block_pooled(size_t n);
/* A block of at least n bytes (*got: its size), NULL when out of memory.
 * Only for n that ti_block_pooled accepts. */
void *ti_block_get(size_t n, size_t *got);
void ti_block_put(void *p, size_t got);
/* Each log holds the pool from its making to its end; while nobody holds
 * it, its slabs are lazily free (they stay mapped for the next log). */
void ti_blocks_hold(void);
void ti_blocks_release(void);
size_t ti_blocks_slabs(void); /* slabs mapped (tests) */
size_t ti_huge_live(void); /* blocks now mapped (tests) */
int ti_huge_on(void);      /* 1 when such blocks are on huge pages (not in sanitizer builds) */
/* 1 while new blocks go to small pages: the host takes free memory back
 * (ti_huge_host_reports), or the first huge page of the last new mapping
 * took 1 ms or more to fault in, under a second ago (tests) */
int ti_huge_small_now(void);
/* Tests: a first fault of ns or more sends blocks to small pages (0: every
 * one; ns < 0: the default, 1 ms); clears the current choice. */
void ti_huge_set_slow_fault(long long ns);
/* 1 in a VM that reports its free memory to the host (a virtio balloon
 * with free page reporting): blocks are then on small pages from the
 * start. Tests: ti_huge_set_host_reports(0 or 1) says so instead of
 * sysfs, -1 looks again. */
int ti_huge_host_reports(void);
void ti_huge_set_host_reports(int on);

/* ---- messages and the message log (log.c) -------------------------------- */
typedef struct ti_tool_call {
  const char *id, *name, *args;
} ti_tool_call;

#define TI_CONTENT_NULL 0
#define TI_CONTENT_TEXT 1
#define TI_CONTENT_PARTS 2

/* A decoded text made on first use (ti_message_text). */
typedef struct ti_lazy_text {
  struct ti_lazy_text *next; /* all of a log's, for freeing */
  size_t len;
  char text[];
} ti_lazy_text;

struct ti_message {
  const char *role;
  /* TEXT content is kept only as JSON (inside `json`); the decoded text is
   * made when an accessor asks for it. Building a message from canonical
   * input bytes is then a plain copy (ti_emit_msg_content_jv). */
  int content_kind;
  _Atomic(ti_lazy_text *) text; /* decoded content, NULL until asked */
  struct ti_log *owner;
  /* Canonical compact JSON of the whole message, json_len bytes. When `ext`
   * is set, bytes [ext_off, ext_off + ext_len) of it, all inside the content
   * value (often all of it), are not in `json` but in the input the message
   * was read from (a mapped file the log keeps alive, see ti_blob): the
   * JSON is then json[0, ext_off) + ext[0, ext_len) +
   * json[ext_off, json_len - ext_len). Read it with ti_msg_content /
   * ti_msg_put / ti_msg_at rather than from `json`. */
  const char *json;
  size_t json_len;
  size_t content_json_off, content_json_len; /* content value inside the JSON */
  const char *ext;
  size_t ext_off, ext_len;
  struct ti_blob *ext_blob;      /* the input `ext` lies in (the log holds it) */
  _Atomic(ti_lazy_text *) whole; /* contiguous JSON of an `ext` message, made when asked */
  size_t ntools;
  size_t tools_json_off, tools_json_len; /* the tool_calls array inside json */
  _Atomic(ti_lazy_text *) tools; /* decoded tool calls, NULL until asked */
  const char *tool_call_id, *name;
  /* the reasoning_content string inside the JSON (0 long: none), and its
   * decoded text, made when asked (ti_message_reasoning) */
  size_t reasoning_json_off, reasoning_json_len;
  _Atomic(ti_lazy_text *) reasoning;
  uint64_t hash;
  struct ti_message *hnext;
};

/* m's JSON in one piece (see ext above); thread-safe, NULL on NOMEM. */
const char *ti_message_whole(const ti_message *m);
/* The content value's JSON bytes of m (content_json_len of them): in
 * `json`, at `ext`, or when only part of it is at `ext`, in the whole JSON
 * put together once (NULL on NOMEM). */
static inline const char *ti_msg_content(const ti_message *m) {
  if (!m->ext) return m->json + m->content_json_off;
  if (m->ext_len == m->content_json_len) return m->ext; /* all of it */
  const char *w = ti_message_whole(m);
  return w ? w + m->content_json_off : NULL;
}
/* Byte `off` of m's JSON, for an offset outside the content value. */
static inline const char *ti_msg_at(const ti_message *m, size_t off) {
  return m->ext && off >= m->ext_off ? m->json + off - m->ext_len : m->json + off;
}
/* Copy m's JSON (json_len bytes) to d; returns the end. */
static inline char *ti_msg_put(char *d, const ti_message *m) {
  if (!m->ext) {
    memcpy(d, m->json, m->json_len);
    return d + m->json_len;
  }
  size_t a = m->ext_off, c = m->ext_len;
  memcpy(d, m->json, a);
  memcpy(d + a, m->ext, c);
  memcpy(d + a + c, m->json + a, m->json_len - a - c);
  return d + m->json_len;
}

/* Files mapped side by side into one reserved range (mapregion.c): one
 * reference per file mapped in it, and one from its reader while it takes
 * more; unmapped whole with the last. */
#define TI_MREGION_SIZE ((size_t)8 << 20)
typedef struct ti_mregion {
  atomic_long refs;
  char *base;  /* TI_MREGION_SIZE bytes */
  size_t used; /* bytes given out, from base */
  size_t len;  /* bytes unmapped with the last reference (see ti_mregion_map) */
} ti_mregion;
/* Map len bytes of fd (0 < len) into the region *open, or into a new one
 * when it has no room (*open is then retired and replaced). Returns the
 * region, with a reference for the file, and the bytes in *out; NULL when
 * nothing was mapped (the caller reads the file instead). */
ti_mregion *ti_mregion_map(ti_mregion **open, int fd, size_t len, const char **out);
void ti_mregion_unref(ti_mregion *r);

/* A mapped input that messages point into: shared by the input and every
 * log holding such a message; unmapped when the last of them lets go. */
typedef struct ti_blob {
  atomic_long refs;
  void *base;
  size_t len;
  int heap;            /* base is a read buffer (freed), not a mapping (unmapped) */
  ti_mregion *region;  /* a mapping in a region: the file's reference on it */
} ti_blob;
void ti_blob_unref(ti_blob *b);
/* A set of inputs held: one reference on each distinct blob added. */
typedef struct ti_blobs {
  ti_blob **v;
  size_t n, cap;
} ti_blobs;
int ti_blobs_hold(ti_blobs *s, ti_blob *b); /* TI_OK or TI_ERR_NOMEM */
void ti_blobs_release(ti_blobs *s);         /* let go of all (the array stays) */

/* A spine is an array of message pointers; a history is a prefix of one.
 * Entries below `shared` are referenced by emitted states and never change;
 * a pinned spine (seen by a detached state) is never reallocated. */
typedef struct ti_spine {
  const ti_message **v;
  size_t len, cap, shared;
  int pinned;
  struct ti_spine *next; /* all spines of a log, for freeing */
} ti_spine;

/* One trajectory: its messages, spines, and the delta reference. */
struct ti_log {
  atomic_long refs;
  char *traj_id;
  ti_arena arena;
  ti_message **buckets;
  size_t nbuckets, nmessages;
  ti_spine *spines; /* list head */
  ti_spine *cur;    /* the current history is cur->v[0..cur_len) */
  size_t cur_len;
  _Atomic(ti_lazy_text *) lazy; /* decoded texts, freed with the log */
  ti_spine *last_spine; /* previous emitted state, for messages_offset */
  size_t last_count;
  uint64_t nstates; /* states emitted, for default ids */
  ti_blobs blobs; /* inputs its messages point into */
};

ti_log *ti_log_new(const char *traj_id, size_t len);
/* Reuse a log nobody else references (refs == 1) for a new trajectory:
 * its memory stays allocated, which spares the allocator and the kernel
 * the churn of one log per file. Returns TI_OK or TI_ERR_NOMEM. */
int ti_log_recycle(ti_log *l, const char *traj_id, size_t len);
int ti_log_sole_owner(ti_log *l);
/* Release the inputs a log's messages point into; only for a log nobody
 * else holds (ti_log_sole_owner), whose messages will not be read again. */
void ti_log_drop_inputs(ti_log *l);
void ti_log_ref(ti_log *l);
void ti_log_unref(ti_log *l);
/* Intern a finished message given its canonical JSON and fields; returns
 * the node (new or existing), NULL on NOMEM. *is_new set accordingly.
 * The JSON comes in pieces: tmpl->json holds json[0, split) and then
 * json[split + mid_n, json_len), and the nmid pieces `mid` (mid_n bytes in
 * all; at most TI_EMIT_MAX_SPANS) go between them, so the content is
 * copied once, into the log. */
const ti_message *ti_log_intern3(ti_log *l, const ti_message *tmpl, size_t split,
                                 const ti_span *mid, size_t nmid, int *is_new);
/* The same, but piece mid[ext] lies in input b: a new message points to it
 * rather than copying it, and the log keeps b alive (b NULL: copied, as by
 * ti_log_intern3). */
const ti_message *ti_log_intern_ext(ti_log *l, const ti_message *tmpl, size_t split,
                                    const ti_span *mid, size_t nmid, size_t ext, ti_blob *b,
                                    int *is_new);
int ti_log_push(ti_log *l, const ti_message *m);
void ti_log_truncate(ti_log *l, size_t n);
/* Mark the current history as referenced by a state; returns the offset
 * of the first message not shared with the previous state. */
size_t ti_log_mark_state(ti_log *l, ti_spine **spine, size_t *count);
/* The decoded text content of m (NULL if not text); thread-safe, made once. */
const char *ti_message_text(const ti_message *m, size_t *len);
/* The decoded tool calls of m (m->ntools of them; NULL on NOMEM or none);
 * thread-safe, made once. */
const ti_tool_call *ti_message_tools(const ti_message *m);

/* ---- states (state.c, export.c) -------------------------------------------- */
#define TI_STATE_MAGIC 0x54495354u /* "TIST" */
#define TI_STATE_DEAD 0xdeadbeefu

struct ti_state {
  uint32_t magic;
  int owned;
  ti_log *log;
  ti_spine *spine;
  size_t count, offset;
  const ti_message *action;
  /* strings, NUL-terminated, in `strs` at these offsets; SIZE_MAX = NULL */
  ti_buf strs;
  size_t id, traj, format, model, file, student, meta;
  size_t student_len, meta_len;
  /* student_action is the action's text content: not stored; the accessor
   * decodes it once on the message, the export copies its JSON */
  int student_is_action;
  uint64_t first_line, last_line;
  ti_buf json;      /* export buffer */
  uint32_t json_for; /* the flags + 1 of the text in `json`; 0: none */
};
#define TI_NOSTR ((size_t)-1)
const char *ti_state_str(const ti_state *s, size_t off);
void ti_state_clear(ti_state *s); /* drop refs and strings, keep buffers */
void ti_state_release(ti_state *s); /* free buffers too */

/* ---- gathered export (writer.c, export.c) ------------------------------------
 * A writer hands the kernel a state's JSON as pieces (writev): what is
 * rendered goes into its buffer; a message content of TI_GATHER_MIN bytes
 * or more that stayed in its input (ti_message.ext) is a piece of its own,
 * written from where it is. Shorter ones cost less to copy than a piece. */
#define TI_GATHER_MIN 1024
typedef struct ti_gather ti_gather;
/* Close b's bytes since the last piece as a piece, then add [p, p + n), a
 * range of blob, which g holds until it is written. TI_OK, TI_ERR_LIMIT (no
 * room for more pieces) or TI_ERR_NOMEM. */
int ti_gather_ref(ti_gather *g, ti_buf *b, const char *p, size_t n, struct ti_blob *blob);
/* Render s after b's contents, b being fixed memory (as ti_state_json_into:
 * TI_ERR_LIMIT when it may not fit), long contents by reference into g. */
int ti_export_gather(ti_buf *b, const ti_state *s, uint32_t flags, ti_gather *g);

/* Writers that work for another (ti_writer_put_all with threads): a sub
 * writer renders as its sink would and writes through the sink's fd (its
 * errors are the sink's), but while it holds, what it renders is copied
 * and kept, in order, rather than written; whoever's turn it is writes it.
 * A sub writer starts holding. */
typedef struct ti_wseg ti_wseg;
int ti_writer_sub(ti_writer **out, ti_writer *sink);
/* Write what was held, then write as the sink would; ti_writer_hold: hold
 * again (after a flush). */
int ti_writer_unhold(ti_writer *w);
void ti_writer_hold(ti_writer *w);
/* Take what w holds, its buffer included, as a list (NULL if nothing) of
 * *bytes bytes; w goes on holding. ti_writer_held: the bytes w holds. */
int ti_writer_detach(ti_writer *w, ti_wseg **out, size_t *bytes);
size_t ti_writer_held(const ti_writer *w);
/* Write a list detached from a sub writer of sink (from any thread, one at
 * a time); its memory goes back to the sink's pool. */
int ti_writer_write_segs(ti_writer *sink, ti_wseg *list);
void ti_writer_drop_segs(ti_wseg *list); /* free a list unwritten */

/* ---- counters (errors.c) ----------------------------------------------------- */
typedef struct ti_counter {
  char *name;
  uint64_t value;
} ti_counter;
typedef struct ti_counters {
  ti_counter *v;
  size_t n, cap;
  size_t *index; /* open addressing: positions+1, 0 = empty */
  size_t icap;
} ti_counters;
int ti_counter_add(ti_counters *c, const char *name, uint64_t delta);
uint64_t ti_counter_get(const ti_counters *c, const char *name);
void ti_counters_free(ti_counters *c);

/* ---- registry (registry.c) ----------------------------------------------------- */
struct ti_registry {
  uint32_t magic;
  const ti_format_ops **ops;
  size_t n, cap;
  int is_static;
};
#define TI_REGISTRY_MAGIC 0x54495247u
const ti_registry *ti_registry_builtin(void);
const ti_format_ops *ti_registry_find(const ti_registry *r, const char *name);
int ti_registry_knows_option(const ti_registry *r, const char *key, size_t klen);
/* Probe a window. Fills best score and the index of the winner, or -1; on
 * a tie at the top *tie is set (the candidates are those with best). */
void ti_registry_probe(const ti_registry *r, const ti_probe_input *in,
                       int *scores, int *best, int *winner, int *tie);
void ti_registry_probe_dir(const ti_registry *r, const char *path, int *scores,
                           int *best, int *winner, int *tie);

/* ---- input (input.c) ---------------------------------------------------------- */
/* Whether the page cache holds a file being read (input.c, file_read). */
enum { TI_CACHE_UNKNOWN, TI_CACHE_HOT, TI_CACHE_COLD };
/* A file of this size or more is read into a 2 MiB buffer (a huge page),
 * and in TI_COLD_STEP steps when the page cache does not hold it. */
#define TI_BIG_FILE (256 * 1024)
#define TI_COLD_STEP (16 * 1024)

typedef struct ti_input {
  const char *path; /* borrowed from the trace */
  int is_dir;
  /* contiguous mode: whole input in [base, base+len) */
  const char *base;
  size_t len;
  int mapped;   /* base is an mmap to munmap (or in `region`) */
  ti_mregion *region; /* the region base is mapped in: the file's reference */
  ti_mregion *mreg;   /* the reader's open region, kept from trace to trace */
  ti_blob *blob; /* base, once messages point into it (then unmapped by it) */
  int may_map;   /* TI_OPEN_MMAP: ti_input_whole may map the file */
  /* stream mode (fd): window [sbuf+spos, sbuf+send) */
  int fd, stream, eof;
  int own_fd;       /* fd opened by the core (files), closed with the input */
  int regular;      /* a regular file: read whole without the record limit */
  int cache;        /* TI_CACHE_*: whether the page cache holds the file */
  size_t size_hint; /* its size at open */
  char *sbuf;
  size_t spos, send, scap;
  uint64_t stream_base; /* input offset of sbuf[0] */
  /* reader */
  size_t pos;           /* contiguous mode: next byte to read */
  uint64_t line;        /* lines consumed */
  int started, whole_used;
  int bom; /* bytes of BOM hidden from ti_input_whole's buffer */
} ti_input;

/* ---- the plugin context and emitting (emit.c) ------------------------------- */
typedef struct ti_loaded_file {
  char *buf;
  size_t len;
  int mapped;
  struct ti_loaded_file *next;
} ti_loaded_file;

struct ti_plugin_ctx {
  struct ti_iter *it;
  const ti_format_ops *ops;
  const char *path; /* current input's path or NULL */
  ti_input in;
  ti_loaded_file *files;
  ti_log *log;
  /* message under construction */
  int in_msg;
  ti_message mb;
  ti_buf mrole, mcontent, mtools, mtcid, mname, mreason;
  const char *cref; /* content JSON not in mcontent: the plugin's bytes  */
  size_t cref_n;    /* (valid until ti_emit_msg_end), or NULL            */
  ti_buf cspans;    /* ti_emit_msg_content_spans: its pieces (ti_span[]) */
  size_t ncspans;   /* 0: none */
  int has_tcid, has_name, has_reason;
  ti_buf scratch;
  /* state under construction */
  int in_state, emitted;
  const ti_message *saction;
  ti_buf sid, sstudent, smodel, sfile, smeta;
  int has_sid, has_student, has_model, has_file;
  uint64_t sfirst, slast;
};

/* ---- the iterator (iter.c, walk.c) ------------------------------------------------- */
typedef struct ti_walk_frame {
  char *dir;
  char **names;
  unsigned char *types; /* TI_DIRENT_* of each name */
  size_t n, i;
} ti_walk_frame;

#define TI_ITER_MAGIC 0x54494954u /* "TIIT" */
#define TI_SRC_PATH 1
#define TI_SRC_FD 2
#define TI_SRC_MEMORY 3

struct ti_iter {
  uint32_t magic;
  int status; /* sticky status: 0, TI_DONE or negative */
  /* options */
  uint32_t flags, min_score, max_depth, threads;
  uint64_t probe_bytes, max_record;
  char *format;
  const ti_registry *reg;
  char **fopts; /* NULL-terminated copies of "key=value" */
  ti_error_fn on_error;
  void *on_error_user;
  /* source */
  int src;
  char *root;
  int fd;
  const char *mem;
  size_t mem_len;
  int root_is_dir, root_done;
  ti_walk_frame *frames;
  size_t nframes, cframes;
  struct { uint64_t dev, ino; } *seen;
  size_t nseen, cseen;
  /* current trace */
  char *cur_path;
  const ti_format_ops *cur_ops;
  void *parser;
  ti_plugin_ctx *ctx;
  const char *last_format; /* name of the latest format used */
  ti_log *spare_log;       /* a finished trace's log, kept for reuse */
  struct ti_plugin_ctx *spare_ctx; /* a finished trace's context, likewise */
  /* output */
  ti_state state;
  int have_state;
  ti_counters counters;
  uint64_t n_files, n_files_skipped, n_records, n_states, n_messages,
      n_skipped, n_trajectories;
  ti_buf stats_json;
  struct ti_par *par; /* worker threads for directory walks (parallel.c) */
  /* last error */
  int err_code;
  ti_buf err_msg;
  char *err_file;
  uint64_t err_line, err_offset, err_record;
};

/* errors.c */
void ti_iter_set_error(struct ti_iter *it, int code, const char *file, uint64_t line,
                       uint64_t offset, const char *fmt, va_list ap) TI_PRINTF(6, 0);
void ti_iter_errorf(struct ti_iter *it, int code, const char *file, uint64_t line,
                    uint64_t offset, const char *fmt, ...) TI_PRINTF(6, 7);
/* input.c */
int ti_input_open_path(ti_input *in, const char *path, int use_mmap, char *err, size_t errlen);
void ti_input_open_memory(ti_input *in, const void *buf, size_t len);
void ti_input_open_fd(ti_input *in, int fd);
/* Make the first `want` bytes available for probing; sets *p, *n, *eof. */
int ti_input_peek_raw(ti_input *in, size_t want, const unsigned char **p, size_t *n, int *eof);
void ti_input_close(ti_input *in);
/* The blob of a mapped input read whole (ti_input_whole) when [p, p + n)
 * lies in it, made on first use; NULL otherwise or on NOMEM. */
ti_blob *ti_input_blob(ti_input *in, const char *p, size_t n);
enum { TI_DIRENT_OTHER, TI_DIRENT_REG };
int ti_list_dir_sorted(const char *dir, char ***names, size_t *n, unsigned char **types);
int ti_path_is_dir(const char *path);
/* registry.c: probe with a doubling window up to max_bytes. */
int ti_probe_input_grow(const ti_registry *r, ti_input *in, const char *hint, uint64_t max_bytes,
                        int min_score, int *scores, int *best, int *winner, int *tie);
/* emit.c */
ti_plugin_ctx *ti_ctx_new(struct ti_iter *it, const ti_format_ops *ops, const char *path);
void ti_ctx_free(ti_plugin_ctx *ctx); /* recycled into it->spare_ctx */
void ti_ctx_release_spare(struct ti_iter *it);
void ti_ctx_destroy(ti_plugin_ctx *ctx);      /* free for good */
const char *ti_ctx_file(const ti_plugin_ctx *ctx); /* path, or "<memory>"/"<fd>" */
/* walk.c: next trace path to process (owned by the iterator), or NULL. */
int ti_walk_next(struct ti_iter *it, char **path, int *is_dir_trace);
void ti_walk_free(struct ti_iter *it);
/* iter.c: pull the current trace until it emits a state (TI_OK), ends
 * (TI_DONE: closed; the walk goes on) or fails fatally (<0, sticky). */
int ti_iter_pull(struct ti_iter *it);
int ti_iter_start_trace(struct ti_iter *it, const char *path, int is_dir);
struct ti_iter *ti_iter_new(void);
/* parallel.c */
int ti_par_next(struct ti_iter *it, const ti_state **out);
void ti_par_free(struct ti_iter *it);
/* ti_writer_put_all for a walk with threads, started by it (not ti_next). */
int ti_par_drain(struct ti_iter *it, ti_writer *w, uint64_t *n_states);
/* options.c */
int ti_iter_apply_options(struct ti_iter *it, const ti_open_options *opts);

#endif
