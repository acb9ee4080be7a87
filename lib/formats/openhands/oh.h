/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: declarations shared by its files (never installed).
 *
 * Pipeline: source.c turns the input (file, JSONL row, session directory;
 * with rows.c and sessiondir.c) into one trajectory at a time: an array of
 * events (oh_ev, spans of the input). detect.c scores inputs and
 * directories. scan.c classifies each event (v0 or v1). walk.c replays the events
 * the way OpenHands builds the LLM context and emits one state per model
 * response; turn.c builds the assistant message of a turn, render.c and
 * recall.c render observations, condense.c applies condensation. */
#ifndef TI_FORMATS_OPENHANDS_OH_H
#define TI_FORMATS_OPENHANDS_OH_H

#include <stddef.h>
#include <stdint.h>

#include "formats/builtin.h"

/* ---- event classification ------------------------------------------------ */
enum {
  OH_K_SKIP = 0,  /* bookkeeping, hidden, delegate-internal, unknown */
  OH_K_SYSTEM,    /* v0 system action, v1 SystemPromptEvent */
  OH_K_USER,      /* a user message (v0 message/run by user, v1 user MessageEvent) */
  OH_K_AGENT_MSG, /* an agent text turn (v0 message, v1 assistant MessageEvent) */
  OH_K_CALL,      /* a tool call of a model response (v0 with metadata, v1 ActionEvent) */
  OH_K_TEXT_TURN, /* pre-function-calling agent action: a turn rendered as text */
  OH_K_RESULT,    /* a tool result keyed by tool_call_id */
  OH_K_OBS_USER,  /* an observation the model sees as a user message */
  OH_K_CONDENSE,  /* v0 condensation action, v1 Condensation */
  OH_K_COND_REQ   /* v0 condensation_request, v1 CondensationRequest */
};

enum { OH_SRC_OTHER = 0, OH_SRC_AGENT, OH_SRC_USER, OH_SRC_ENV };

/* Variants (formats/openhands.md section 0). */
enum {
  OH_VAR_V0_TRAJ = 0, /* F1/F2 array of events */
  OH_VAR_V0_SESSION,  /* F3 events/<n>.json */
  OH_VAR_V0_EVAL,     /* F4 output.jsonl row, flat history */
  OH_VAR_V0_PAIRS,    /* F5 history of [action, observation] pairs */
  OH_VAR_V0_RESOLVER, /* F6 */
  OH_VAR_V0_FEEDBACK, /* F7 */
  OH_VAR_V0_REST,     /* F7b/F7c wrappers */
  OH_VAR_V1_CONV,     /* F8 conversation directory */
  OH_VAR_V1_EVENTS,   /* F10 JSONL / pages */
  OH_VAR_V1_EVAL,     /* F12 */
  OH_VAR_COUNT
};
extern const char *const oh_variant_names[OH_VAR_COUNT];

typedef struct oh_ev {
  ti_jv obj;          /* the event object                                  */
  uint64_t line;      /* line of the event (0 unknown)                     */
  uint64_t offset;    /* byte offset of the event (or of its record)      */
  const char *file;   /* file of the event for directories, else NULL     */
  int64_t id;         /* v0 integer id, -1 if none                         */
  int64_t cause;      /* v0 cause, -1 if none                              */
  unsigned char ver;  /* 0 or 1                                            */
  unsigned char kind; /* OH_K_*                                            */
  unsigned char src;  /* OH_SRC_*                                          */
  unsigned char unknown; /* a type this plugin does not know (counted) */
  ti_jv type;    /* v0 action/observation name, v1 kind                     */
  ti_jv args;    /* v0 args (feedback rows: extras), v1 action              */
  ti_jv extras;  /* v0 extras, v1 observation                              */
  ti_jv content; /* v0 observation content / feedback message content     */
  ti_jv mresp;   /* v0 tool_call_metadata.model_response                   */
  ti_jv uid;     /* v1 id (a string)                                        */
  ti_jv resp;    /* model response id: v0 model_response.id, v1 llm_response_id */
  ti_jv call_id; /* tool_call_id                                            */
  ti_jv tool;    /* tool / function name                                    */
} oh_ev;

/* One trajectory: its events and envelope. */
typedef struct oh_traj {
  oh_ev *ev;
  size_t n, cap;
  int variant;
  int fc;             /* some event carries tool_call_metadata / is v1      */
  ti_buf id;          /* trajectory id                                      */
  ti_buf model;       /* source model from the envelope (may be empty)      */
  ti_jv instance_id;  /* string or number, or INVALID                       */
  ti_jv envelope;     /* the row object (eval/resolver/feedback), or INVALID */
  int first_user;     /* index of the first user message event, -1          */
} oh_traj;

void oh_traj_reset(oh_traj *t);
void oh_traj_free(oh_traj *t);
/* Append an event (not yet classified). Returns TI_OK or TI_ERR_NOMEM. */
int oh_traj_add(oh_traj *t, const ti_jv *obj, uint64_t line, uint64_t offset,
                const char *file);

/* ---- scan.c ----------------------------------------------------------------- */
/* Extract the envelope fields of every event and classify it. */
void oh_scan(oh_traj *t);
/* 1 if `v` looks like an OpenHands event object (v0 or v1). */
int oh_is_event(const ti_jv *v);
/* 1 if `v` is a v1 event (string kind). */
int oh_is_v1_event(const ti_jv *v);

/* ---- small helpers (util.c) ------------------------------------------------- */
/* Append the decoded string `v` (nothing if not a string). */
int oh_append_str(ti_buf *b, const ti_jv *v);
/* Append the texts of a string or list of text parts, joined with `sep`. */
int oh_append_text(ti_buf *b, const ti_jv *v, const char *sep);
/* Append a decimal integer. */
int oh_put_int(ti_buf *b, int64_t v);
/* Whole-string comparison of a JSON string with a C string. */
int oh_streq(const ti_jv *v, const char *s);
/* Get a member; returns 1 if present and not null. */
int oh_get(const ti_jv *obj, const char *key, ti_jv *out);
/* Integer member or `dflt`. */
int64_t oh_get_int(const ti_jv *obj, const char *key, int64_t dflt);
/* 1 if member `key` is the literal true. */
int oh_get_true(const ti_jv *obj, const char *key);
/* 1 if the decoded string (or the empty/absent value) is blank. */
int oh_blank(const char *s, size_t n);
/* Compare two JSON strings by decoded value. */
int oh_jv_streq(const ti_jv *a, const ti_jv *b);

/* ---- render.c: text of an observation or pre-FC action ------------------- */
/* Tool-result text of a v0 observation (function-calling era). */
int oh_render_v0_obs(ti_buf *out, const oh_ev *e);
/* The input string oh_render_v0_obs renders `e` as, unchanged (its last
 * case: no prefix, suffix or rewriting), or NULL: the message can take
 * the string as it is (ti_emit_msg_content_jv). */
const ti_jv *oh_v0_obs_sole(const oh_ev *e);
/* User-message text of a v0 observation without tool metadata. `prefc`:
 * the trace is pre-function-calling (OBSERVATION: style). Returns 0 and
 * leaves `out` empty when the observation produces no message. */
int oh_render_v0_obs_user(ti_buf *out, const oh_traj *t, size_t i, int prefc);
/* Text of a pre-function-calling agent action (thought + tag block). */
int oh_render_v0_text_turn(ti_buf *out, const oh_ev *e);
/* Text of a v0 user event (message content, user-run command). */
int oh_render_v0_user(ti_buf *out, const oh_ev *e);
/* Text of a v1 result event (ObservationEvent, UserRejectObservation,
 * AgentErrorEvent). */
int oh_render_v1_result(ti_buf *out, const oh_ev *e);
/* Text of a v1 MessageEvent (content + extended_content). */
int oh_render_v1_message(ti_buf *out, const oh_ev *e);

/* ---- recall.c -------------------------------------------------------------- */
/* Workspace-context / knowledge recall observation as the user message
 * OpenHands builds from its templates. Empty when nothing to say. */
int oh_render_recall(ti_buf *out, const oh_traj *t, size_t i);

/* ---- plugin-wide options ------------------------------------------------- */
typedef struct oh_opts {
  int condense;         /* 1: as_seen (default), 0: full                     */
  int recall;           /* 1: render recall observations (default)          */
  int tools_meta;       /* 0 none, 1 first state (default), 2 every state   */
  int student_calls;    /* 1: student_action renders calls when no text     */
  int strip_think;      /* 1: drop a <think> block duplicated in reasoning  */
} oh_opts;

/* ---- walk.c ----------------------------------------------------------------- */
typedef struct oh_walk oh_walk;
int oh_walk_new(oh_walk **out);
void oh_walk_free(oh_walk *w);
/* Start walking trajectory `t` (emits ti_emit_trajectory). */
int oh_walk_begin(oh_walk *w, ti_plugin_ctx *ctx, oh_traj *t, const oh_opts *o);
/* Emit the next state. TI_OK (a state was emitted), TI_DONE (trajectory
 * finished), or a negative error. */
int oh_walk_next(oh_walk *w);

/* ---- source.c: inputs -> trajectories ---------------------------------------- */
typedef struct oh_source oh_source;
int oh_source_new(oh_source **out, ti_plugin_ctx *ctx);
void oh_source_free(oh_source *s);
/* Fill `t` with the next trajectory. TI_OK, TI_DONE, or a negative error. */
int oh_source_next(oh_source *s, oh_traj *t);

/* ---- detect.c ---------------------------------------------------------------- */
int oh_probe(const ti_probe_input *in);
int oh_probe_dir(const char *path);

#endif
