/* SPDX-License-Identifier: MIT */
/* SWE-smith / SWE-agent / mini-swe-agent plugin: shared internal types.
 * Not installed; only the files of this folder include it. */
#ifndef TI_FORMATS_SWE_SMITH_H
#define TI_FORMATS_SWE_SMITH_H

#include "formats/builtin.h"

#define SS_NAME "swe-smith"

/* ---- detection (detect.c) ------------------------------------------------ */
/* What a parsed record object is. */
enum {
  SS_K_NONE = 0,
  SS_K_ROW,      /* SWE-smith dataset row: messages (+ instance_id/traj_id...) */
  SS_K_SWEGYM,   /* SWE-Gym OpenHands-sampled row: messages + tools/run_id    */
  SS_K_NEBIUS,   /* nebius/SWE-agent-trajectories row                          */
  SS_K_TRAJ,     /* SWE-agent .traj                                            */
  SS_K_RETRY,    /* SWE-agent RetryAgent .traj (attempts)                      */
  SS_K_MINI,     /* mini-swe-agent .traj.json                                  */
  SS_K_LIST,     /* a bare array of chat messages                              */
  SS_K_COLUMNAR  /* pandas orient="columns" export: rejected                   */
};
int ss_probe(const ti_probe_input *in);
/* Top-level members of a record, found in one walk (a row's `messages` can
 * be megabytes: every ti_json_get on the row would skip it again). */
enum {
  SS_M_MESSAGES, SS_M_INSTANCE_ID, SS_M_TRAJ_ID, SS_M_RESOLVED, SS_M_MODEL, SS_M_PATCH,
  SS_M_ID, SS_M_RUN_ID, SS_M_TOOLS, SS_M_MODEL_NAME, SS_M_TARGET, SS_M_EXIT_STATUS,
  SS_M_GENERATED_PATCH, SS_M_TRAJECTORY, SS_M_HISTORY, SS_M_INFO, SS_M_REPLAY,
  SS_M_TRAJ_FORMAT, SS_M_ATTEMPTS, SS_NM
};
void ss_members(const ti_jv *obj, ti_jv *m);
int ss_classify_members(const ti_jv *obj, const ti_jv *m);
int ss_classify(const ti_jv *obj);

/* ---- message variants (SWE-smith splits) -------------------------------- */
enum { SS_V_UNKNOWN = 0, SS_V_TOOL, SS_V_XML, SS_V_TICKS };
const char *ss_variant_name(int v);

/* ---- options ------------------------------------------------------------- */
enum { SS_SA_AUTO = 0, SS_SA_CONTENT, SS_SA_XML };
typedef struct ss_opts {
  int student_action;   /* student_action=auto|content|xml                 */
  int attempts_all;     /* attempts=best|all                                */
  int keep_synthetic;   /* synthetic_turns=skip|keep                        */
  int unknown_role_err; /* unknown_role=drop|error                          */
  int tail;             /* traj_tail=1|0: append steps missing from history  */
  int steps;            /* traj_messages=history|steps                      */
  int meta_patch;       /* patch_metadata=1|0: patch/submission metadata    */
} ss_opts;

/* ---- per-message normalisation (normalize.c) ----------------------------- */
enum { SS_R_SYSTEM = 0, SS_R_USER, SS_R_ASSISTANT, SS_R_TOOL, SS_R_DROP, SS_R_UNKNOWN };

typedef struct ss_msg {
  int role;              /* SS_R_*                                            */
  int is_demo;
  int synthetic;         /* SWE-smith synthetic cost-limit / exit turn        */
  ti_jv agent;           /* "agent" member or INVALID                         */
  ti_jv tool_calls;      /* array or INVALID                                  */
  const char *content;   /* normalised text (in parser scratch)               */
  size_t content_len;
  const ti_message *msg; /* interned message (NULL when dropped)              */
} ss_msg;

/* Prescan of a message array: drives metadata and the .traj tail. */
typedef struct ss_scan {
  size_t assistants;     /* non-demo assistant turns of the kept agent        */
  size_t demo_skipped;   /* is_demo assistant turns                           */
  size_t messages;
  int variant;           /* SS_V_*                                            */
  ti_jv agent0;          /* agent of the first system message                 */
  int saw_main, saw_primary, saw_message_type;
  ti_jv exit_msg;        /* mini v2 "exit" message                            */
} ss_scan;

struct ss_parser;
/* full = 0: stop once the variant is known (rows need nothing else). */
void ss_prescan(const ti_jv *msgs, int nebius, int full, ss_scan *out);
/* Normalise and emit one raw message. Returns TI_OK (m filled; m->msg NULL
 * when dropped), or a negative fatal code. */
int ss_norm_message(struct ss_parser *p, ti_plugin_ctx *ctx, const ti_jv *raw,
                    int nebius, ss_msg *m);
/* Build an assistant message from plain text (SWE-agent trajectory tail). */
int ss_text_message(ti_plugin_ctx *ctx, const char *role, const char *s, size_t n,
                    const ti_message **out);
/* ti_json_parse_indexed with the index *ix (made on first use): TI_OK,
 * TI_ERR_PARSE/TI_ERR_LIMIT (err filled) or TI_ERR_NOMEM. */
int ss_parse(ti_json_index **ix, const char *s, size_t n, uint32_t depth, ti_jv *val,
             ti_json_error *err);
int ss_jv_str(const ti_jv *v, ti_buf *scratch, const char **s, size_t *n);

/* ---- rendering (render.c) ------------------------------------------------ */
/* Append the SWE-smith XML rendering of tool calls (array of OpenAI calls):
 * "<function=NAME>\n<parameter=K>V</parameter>\n...</function>", calls
 * joined with "\n". */
int ss_render_calls(const ti_jv *calls, ti_buf *out, ti_buf *scratch);

/* ---- the parser ----------------------------------------------------------- */
typedef struct ss_conv {
  int active;
  int kind;               /* SS_K_*                                          */
  ti_jv rec;              /* record object (INVALID for bare lists)          */
  ti_jv m[SS_NM];         /* its members (SS_M_*)                            */
  ti_jv msgs;             /* message array being walked                      */
  ti_json_iter it;
  int in_input;           /* msgs points into the input buffer               */
  uint64_t line, offset;  /* record position                                 */
  uint64_t line_end;
  size_t row;             /* record index in the input                       */
  size_t turn;            /* states emitted                                  */
  const ti_message *pending; /* last action, pushed before the next message  */
  ss_scan scan;
  int attempt;            /* RetryAgent attempt index, -1 if none            */
  /* SWE-agent trajectory tail */
  ti_jv steps;
  size_t steps_n;
  size_t tail_next;       /* next step index to append                       */
  ti_jv tail_step;        /* the step being appended                         */
  int steps_mode;         /* traj_messages=steps in effect                   */
  ti_json_iter step_it;
  ti_jv step_prev;
  const char *version;
} ss_conv;

typedef struct ss_parser {
  ss_opts opt;
  int mode;               /* 0 lines (JSONL), 1 one whole JSON document      */
  int started;
  const char *buf;        /* whole input                                     */
  size_t len;
  ti_jv root;
  ti_json_iter root_it;
  int root_is_array;
  int root_done;
  size_t nrec;            /* records started                                 */
  /* RetryAgent attempts=all */
  ti_jv retry_rec;
  ti_jv retry_m[SS_NM];
  ti_jv recm[SS_NM];      /* members of the record being started             */
  ti_json_iter att_it;
  int att_active, att_index;
  uint64_t att_line, att_offset;
  ss_conv conv;
  ti_buf dec;             /* decoded messages string of the current row      */
  ti_buf rcfg;            /* decoded replay_config of the current .traj      */
  ti_buf tid;             /* trajectory id                                   */
  ti_buf model;           /* source model                                    */
  ti_buf sa;              /* student action / state id                       */
  ti_buf tmp, tmp2, tmp3; /* scratch                                         */
  ti_buf big;             /* decoded patch/submission (ss_meta_big)          */
  ti_json_index *ix;      /* structural index of the row / document          */
  ti_json_index *ixm;     /* ... of the decoded messages string              */
  const char *big_src;    /* the value it was decoded from                   */
  ti_buf rowmeta;         /* the row's metadata members, made once per row   */
  const char *rowmeta_src; /* the record they were made from                 */
  size_t rowmeta_row;
  char stem[256];         /* file stem for ids                               */
  /* seen trajectory ids (FNV-1a hashes, open addressing) */
  uint64_t *seen;
  size_t seen_cap, seen_n;
  /* line counting for whole documents */
  const char *lc_ptr;
  uint64_t lc_line;
} ss_parser;

/* conv.c */
int ss_conv_start(ss_parser *p, ti_plugin_ctx *ctx, const ti_jv *rec, const ti_jv *members,
                  int kind, uint64_t line, uint64_t offset, uint64_t line_end);
/* Emit at most one state. Returns 1 (state emitted), 0 (conversation over),
 * or a negative fatal code. */
int ss_conv_step(ss_parser *p, ti_plugin_ctx *ctx);
uint64_t ss_line_of(ss_parser *p, const char *ptr);

/* rows.c: row set-up and metadata (SWE-smith, SWE-Gym, nebius, lists) */
int ss_row_setup(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c);
int ss_row_meta(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c);
/* traj.c: SWE-agent .traj */
int ss_traj_setup(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c);
int ss_traj_meta(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c, int flags);
int ss_traj_tail(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c);
/* steps.c: traj_messages=steps */
int ss_steps_usable(const ss_conv *c);
int ss_steps_step(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c);
/* mini.c: mini-swe-agent */
int ss_mini_setup(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c);
int ss_mini_meta(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c);

/* Emit one state whose action is `msg` (content/calls as normalised),
 * with the kind's metadata. `pos` (may be NULL) gives lines when the
 * record lies in the input buffer. flags: SS_F_*. */
#define SS_F_FROM_TRAJ 1
#define SS_F_SYNTHETIC 2
int ss_emit_state(ss_parser *p, ti_plugin_ctx *ctx, ss_conv *c, const ti_jv *pos,
                  const ti_message *msg, const char *content, size_t clen,
                  const ti_jv *calls, int flags);

/* helpers (conv.c) */
int ss_meta_jv(ti_plugin_ctx *ctx, const char *key, const ti_jv *v);
int ss_meta_member(ti_plugin_ctx *ctx, const ti_jv *obj, const char *member,
                   const char *key);
/* A large string member (patch, submission) repeated on every state:
 * decoded once per record, then emitted with ti_emit_meta_str. */
int ss_meta_big(ss_parser *p, ti_plugin_ctx *ctx, const char *key, const ti_jv *v);
/* Set p->tid to a unique trajectory id built from `s` (appends "#<row>" on a
 * repeat within this input). */
int ss_set_tid(ss_parser *p, const char *s, size_t n, size_t row);

#endif
