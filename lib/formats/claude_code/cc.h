/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: shared internal types (never installed). */
#ifndef TI_CC_H
#define TI_CC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "formats/builtin.h"

/* ---- arena and string map (util.c) --------------------------------------- */
typedef struct cc_chunk cc_chunk;
typedef struct cc_arena {
  cc_chunk *head;
} cc_arena;
void *cc_alloc(cc_arena *a, size_t n); /* zeroed, 8-aligned; NULL on failure */
char *cc_strndup(cc_arena *a, const char *s, size_t n);
void cc_arena_free(cc_arena *a);

typedef struct cc_map_ent {
  const char *p;
  uint32_t n;
  uint32_t h;
  int32_t v; /* -1: empty slot */
} cc_map_ent;
typedef struct cc_map {
  cc_map_ent *e;
  size_t cap, n;
} cc_map;
int32_t cc_map_get(const cc_map *m, const char *p, size_t n); /* -1 if absent */
/* Insert when absent. Returns TI_OK (then *old = -1) or TI_OK with *old set
 * to the existing value (nothing changed), or TI_ERR_NOMEM. Keys are not
 * copied. */
int cc_map_put(cc_map *m, const char *p, size_t n, int32_t v, int32_t *old);
/* The key hash of the maps (never 0), and the two calls with it given: a
 * key hashed while its line was in the cache is not read again to insert
 * it (only to compare it with a key of the same hash). */
uint32_t cc_hash(const char *p, size_t n);
int32_t cc_map_get_h(const cc_map *m, const char *p, size_t n, uint32_t h);
int cc_map_put_h(cc_map *m, const char *p, size_t n, uint32_t h, int32_t v, int32_t *old);
/* Room for n entries in all without growing (an array of the size the
 * map would reach, made at once rather than by doubling). */
int cc_map_reserve(cc_map *m, size_t n);
void cc_map_free(cc_map *m);

/* Decoded string value of a JSON string (zero-copy when unescaped, else
 * copied into the arena). *s = NULL when v is not a string. */
int cc_str(cc_arena *a, const ti_jv *v, const char **s, size_t *n);

/* ---- records (read.c) ------------------------------------------------------ */
enum {
  CC_T_OTHER = 0, /* unknown type */
  CC_T_USER,
  CC_T_ASSISTANT,
  CC_T_SYSTEM,
  CC_T_ATTACHMENT,
  CC_T_PROGRESS,
  CC_T_SUMMARY,
  CC_T_META, /* session metadata, snapshots, queue operations (not chain) */
  CC_T_NONE  /* no "type" member */
};

#define CC_F_SIDECHAIN 0x0001u
#define CC_F_META 0x0002u
#define CC_F_COMPACT_SUMMARY 0x0004u
#define CC_F_SYNTHETIC 0x0008u /* <synthetic> model or isApiErrorMessage */
#define CC_F_BOUNDARY 0x0010u  /* system/compact_boundary */
#define CC_F_LOCAL_CMD 0x0020u /* system/local_command */
#define CC_F_PARENT_NULL 0x0040u
#define CC_F_TORN 0x0080u      /* recovered from a torn/concatenated line */
#define CC_F_HAS_AGENT 0x0100u
#define CC_F_NO_PARTS 0x0200u /* user content list without text/image/document */

#define CC_F_IX 0x0400u /* the record's values are in its file's index (src->ix) */

/* A value inside a record: bytes [off, off + n) of the record's object
 * and its index entry (its type and flags are kept in the record). */
typedef struct cc_sub {
  uint32_t off, n, ixk;
} cc_sub;

/* One record, in 144 bytes (232 with three ti_jvs: the long session's
 * 13,138 records took 3.4 MB, now 2.1). Its values are kept as offsets
 * into the record (a record is under 4 GiB: extract refuses one that is
 * not) and come back as ti_jvs through cc_root, cc_message and cc_content. */
typedef struct cc_rec {
  const char *p;     /* the record's object (in the file, or a repaired copy) */
  const char *uuid;  /* NULL if none */
  const char *parent;
  const char *lparent; /* logicalParentUuid */
  const char *ts;
  const char *gkey; /* assistant: message.id, else requestId, else uuid */
  const char *agent;
  uint64_t line;
  uint32_t n, ixk;   /* the object's length and index entry */
  cc_sub message;    /* user/assistant message object (type 0: none) */
  cc_sub content;    /* its "content" member (type 0: none), found by extract */
  uint32_t uuid_n, parent_n, lparent_n, ts_n, gkey_n, agent_n;
  uint32_t uuid_h, parent_h, gkey_h; /* cc_hash of uuid, parent and gkey (0: none) */
  int32_t env; /* assistant records: index in src->aenvs, else -1 */
  uint16_t flags;
  uint8_t type;
  uint8_t root_flags, message_type, message_flags, content_type, content_flags;
} cc_rec;
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(cc_rec) == 144, "a record in 144 bytes (see above)");
#endif

/* Envelope fields of assistant records, captured while reading them:
 * cwd, version, branch and session once for each run of records that
 * repeat them (a session has a handful of such tuples); per record, the
 * request id and the message's model, usage and stop_reason, in 64 bytes
 * (as ti_jvs: 160; the long session's 8,844 assistant records take
 * 0.57 MB). */
typedef struct cc_env {
  ti_jv cwd, version, branch, session;
} cc_env;
typedef struct cc_aenv {
  const char *request; /* the value's bytes (NULL: none) */
  size_t request_n;
  int32_t env; /* its tuple in src->envs */
  int8_t request_type;
  uint8_t request_flags;
  /* the message's first "model" string, its last "usage" object and last
   * "stop_reason" string, found while extract walks the message (n 0:
   * none), so that a state's metadata does not walk it again */
  uint8_t model_flags, usage_flags, stop_flags;
  cc_sub model, usage, stop;
} cc_aenv;
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(cc_aenv) == 64, "an assistant record's envelope entry in 64 bytes");
#endif

/* One input file (the session file, or a subagent file). */
typedef struct cc_src {
  const char *path;     /* NULL for memory/fd input */
  const char *buf;
  size_t len;
  cc_rec *recs;
  size_t nrecs, caprecs;
  uint64_t rec_off; /* byte offset of the record being read (read.c) */
  cc_env *envs; /* distinct tuples */
  size_t nenvs, capenvs;
  cc_aenv *aenvs; /* one per assistant record */
  size_t naenvs, capaenvs;
  ti_json_index *ix;     /* structural index of all its parsed lines       */
  const char *torn_gkey; /* message.id sniffed from an unparsable torn tail */
  size_t torn_gkey_n;
  const char *torn_parent; /* its parentUuid, when no message.id was cut */
  size_t torn_parent_n;
  int n_main_chain, n_side_chain;
  /* sessionId of the first record carrying one */
  const char *session;
  size_t session_n;
  /* subagent link (from .meta.json and the parent's tool results) */
  const char *agent_type, *agent_desc, *tool_use_id;
  size_t agent_type_n, agent_desc_n, tool_use_id_n;
} cc_src;

/* A record's object, message and content as ti_jvs (type TI_JSON_INVALID:
 * absent), and the setters extract uses. */
static inline ti_jv cc_jv_at(const cc_src *src, const cc_rec *r, const cc_sub *v, int type,
                             int flags) {
  ti_jv j;
  j.p = type == TI_JSON_INVALID ? NULL : r->p + v->off;
  j.n = v->n;
  j.type = type;
  j.flags = flags;
  j.ix = (r->flags & CC_F_IX) && type != TI_JSON_INVALID ? src->ix : NULL;
  j.ixk = v->ixk;
  return j;
}
static inline ti_jv cc_root(const cc_src *src, const cc_rec *r) {
  cc_sub v = {0, r->n, r->ixk};
  return cc_jv_at(src, r, &v, TI_JSON_OBJECT, r->root_flags);
}
static inline ti_jv cc_message(const cc_src *src, const cc_rec *r) {
  return cc_jv_at(src, r, &r->message, r->message_type, r->message_flags);
}
static inline ti_jv cc_content(const cc_src *src, const cc_rec *r) {
  return cc_jv_at(src, r, &r->content, r->content_type, r->content_flags);
}
/* An assistant record's model, usage or stop_reason (cc_aenv) as a ti_jv
 * of type `type`, or absent. */
static inline ti_jv cc_aenv_jv(const cc_src *src, const cc_rec *r, const cc_sub *v, int type,
                               int flags) {
  return cc_jv_at(src, r, v, v->n ? type : TI_JSON_INVALID, flags);
}
static inline void cc_set_sub(const cc_rec *r, const ti_jv *v, cc_sub *out, uint8_t *type,
                              uint8_t *flags) {
  out->off = (uint32_t)(v->p - r->p);
  out->n = (uint32_t)v->n;
  out->ixk = (uint32_t)v->ixk;
  *type = (uint8_t)v->type;
  *flags = (uint8_t)v->flags;
}

typedef struct cc_type_count {
  const char *name;
  size_t n;
  uint64_t count;
} cc_type_count;

typedef struct cc_reader {
  cc_arena *arena;
  ti_plugin_ctx *ctx;
  int main_file;      /* reporting through ti_report (else ti_report_file) */
  uint64_t known[16]; /* per CC_T_* fine-grained counters, see read.c */
  cc_type_count *unknown;
  size_t nunknown, capunknown;
} cc_reader;

/* Split, sanitize and parse every line of src->buf into src->recs.
 * Returns TI_OK or a fatal/strict error code. */
int cc_read(cc_reader *rd, cc_src *src);
/* Flush the per-type counters into the iterator's stats. */
int cc_read_flush_counts(cc_reader *rd);
void cc_reader_free(cc_reader *rd);

/* ---- the DAG of one stream (dag.c) ---------------------------------------- */
#define CC_N_HEALED 0x01u
#define CC_N_ACTIVE 0x02u
#define CC_N_CYCLE 0x04u

struct cc_hnode;
struct cc_pnode;

typedef struct cc_node {
  int32_t rec;       /* index in src->recs */
  int32_t parent;    /* stream index or -1 */
  int32_t nchild;
  int32_t group;     /* assistant group or -1 */
  int32_t next_frag; /* next node of the same group in file order */
  int32_t root;      /* path root (memo, -2 unknown) */
  uint32_t flags;
  /* memoized history state after this node (map.c); valid when epoch
   * equals the stream's epoch */
  uint32_t epoch;
  int32_t lastg;
  uint8_t boundary, healed;
  struct cc_hnode *h;
  struct cc_pnode *pend;
} cc_node;

typedef struct cc_call {
  const char *id;
  size_t id_n;
  int32_t result; /* index in stream->results or -1 */
} cc_call;

typedef struct cc_group {
  const char *key;
  size_t key_n;
  uint32_t key_h; /* cc_hash(key) */
  int32_t first, last; /* nodes */
  int32_t nfrags;
  uint32_t compactions_before;
  uint8_t synthetic, incomplete;
  /* built lazily per epoch (map.c) */
  uint32_t epoch;
  const ti_message *hist_msg;   /* NULL: adds nothing to histories */
  const ti_message *action_msg;
  cc_call *calls;
  size_t ncalls;
  /* joined non-empty thinking, and text: in the mapper's buffers while
   * text_gen is the mapper's gtext_gen (another group mapped since takes
   * them: cc_map_group_text); the lengths stay */
  const char *thinking;
  size_t thinking_n;
  const char *text;
  size_t text_n;
  uint64_t text_gen;
  uint8_t has_text, had_empty_thinking, had_redacted;
  const ti_message **tool_msgs;
} cc_group;

typedef struct cc_result {
  ti_jv block;
  int32_t node;
  uint8_t is_error, prio;
} cc_result;

typedef struct cc_stream {
  cc_src *src;
  int side; /* 1: sidechain stream */
  cc_node *nodes;
  size_t n, cap;
  cc_map uuids;
  cc_group *groups;
  size_t ngroups, capgroups;
  cc_map gkeys;
  cc_result *results;
  size_t nresults, capresults;
  cc_map results_by_id;
  uint32_t epoch;
} cc_stream;

/* Room for n records: their nodes and uuids (the arrays made once). */
int cc_stream_reserve(cc_stream *s, size_t n);
int cc_stream_add(cc_stream *s, int32_t rec);
/* Resolve parents (dedupe, bridge progress, heal, break cycles), count
 * children, group turns, index tool results, mark the active branch(es). */
int cc_stream_build(cc_stream *s, ti_plugin_ctx *ctx, cc_arena *a);
int32_t cc_stream_root(cc_stream *s, int32_t i);
/* turns.c: group assistant records into turns; index tool results. */
int cc_group_turns(cc_stream *s);
int cc_index_results(cc_stream *s);
void cc_stream_free(cc_stream *s);

/* ---- mapping to messages (map.c) ------------------------------------------ */
typedef struct cc_hnode {
  const ti_message *msg;
  struct cc_hnode *prev;
  size_t len; /* messages up to and including this one */
} cc_hnode;

typedef struct cc_pnode {
  struct cc_pnode *prev;
  ti_jv v;       /* a JSON string (text) or a content block (image/document) */
  uint8_t kind;  /* CC_P_* */
  uint32_t epoch;
  const ti_message *mat; /* materialized message (per epoch) */
} cc_pnode;
#define CC_P_TEXT 1
#define CC_P_IMAGE 2
#define CC_P_DOC 3

typedef struct cc_opts {
  int subagents;
  int thinking_in_sa;
  int images_placeholder;
  int active_only;
  int merge_user; /* 0: one user message per record */
  const char *system_prompt; /* NULL: none */
  int system_synthetic;
} cc_opts;

typedef struct cc_seen {
  ti_jv *v;
  size_t n, cap;
} cc_seen;

#define CC_MAX_HOLES ((TI_EMIT_MAX_SPANS - 1) / 2)
typedef struct cc_mapper {
  ti_plugin_ctx *ctx;
  cc_arena *arena;
  const cc_opts *opts;
  cc_hnode *root;   /* the system message (or NULL) for this epoch */
  ti_buf b1, b2;
  /* the text and thinking of the group mapped last: its gr->text and
   * gr->thinking point here until the next cc_map_group maps a group;
   * gtext_gen counts those swaps (0: none yet) */
  ti_buf gtext, gthink;
  uint64_t gtext_gen;
  cc_pnode **tmp;
  size_t ntmp, captmp;
  int32_t *stk;
  size_t capstk;
  /* a turn's scratch, kept from turn to turn: what it has seen (texts,
   * thinking, tool_use ids) and its tool calls */
  cc_seen texts, thinks, ids;
  struct cc_call_tmp *calls;
  size_t capcalls;
  /* base64 image data left out of b1 (at byte `at`): a piece of its own
   * for ti_emit_msg_content_spans, not copied into b1 first */
  struct cc_hole {
    size_t at;
    const char *p;
    size_t n;
  } holes[CC_MAX_HOLES];
  size_t nholes;
} cc_mapper;

/* Start a new epoch (after ti_emit_trajectory): builds the root. */
int cc_map_begin(cc_mapper *m, cc_stream *s);
/* State after node i (i = -1: the empty root state). */
int cc_map_state(cc_mapper *m, cc_stream *s, int32_t i, cc_node **out, cc_node *rootst);
int cc_map_group(cc_mapper *m, cc_stream *s, int32_t g);
/* Map group g (as cc_map_group) with its text and thinking in the mapper's
 * buffers: a group mapped before another one (as an ancestor of a state
 * emitted earlier, when a file has a turn after its child) is mapped again.
 * Its messages are interned again, to the same ones. */
int cc_map_group_text(cc_mapper *m, cc_stream *s, int32_t g);
int cc_map_pending(cc_mapper *m, cc_stream *s, cc_pnode *p, const ti_message **out);
void cc_mapper_free(cc_mapper *m);

#endif
