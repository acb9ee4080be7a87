/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: the walker's state, shared by walk.c, turn.c and
 * condense.c (never installed). */
#ifndef TI_FORMATS_OPENHANDS_WALK_H
#define TI_FORMATS_OPENHANDS_WALK_H

#include "oh.h"

/* A piece of the model's context: one message, or a turn's assistant
 * message with its tool results, or a condensation summary. */
enum { OH_U_MSG = 0, OH_U_GROUP, OH_U_SUMMARY };

typedef struct oh_unit {
  int type;
  const ti_message *msg;    /* MSG/SUMMARY: the message; GROUP: the assistant
                               message as seen in context (NULL: none left) */
  const ti_message *msg_nn; /* v0: the same user message prefixed "\n\n"  */
  size_t ev;                /* MSG: its event; SUMMARY: the condensation     */
  size_t res_start, res_n;  /* GROUP: results in w->res / w->res_ev         */
  size_t act_start, act_n;  /* GROUP: action events in w->acts              */
} oh_unit;

typedef struct oh_call {
  ti_buf id, name, args;
  const ti_message *result; /* NULL until its result arrives */
  size_t result_ev;
} oh_call;

/* A set of strings (ids), open addressing over the raw bytes. */
typedef struct oh_set {
  const char **p;
  size_t *n;
  size_t cap, len;
} oh_set;
int oh_set_add(oh_set *s, const char *p, size_t n); /* 1 added, 0 present, <0 */
int oh_set_has(const oh_set *s, const char *p, size_t n);
void oh_set_clear(oh_set *s);
void oh_set_free(oh_set *s);

struct oh_walk {
  ti_plugin_ctx *ctx;
  oh_traj *t;
  oh_opts o;
  size_t pos;     /* next event */
  size_t turns;   /* states emitted in this trajectory */
  size_t condensations;
  int prefc;      /* no tool metadata, text-rendered tool turns: pre-FC trace */
  int has_system;
  const char *tools;  /* system tools (JSON, canonical), or NULL */
  int tools_sent;     /* tools already given in a state's metadata */
  ti_buf tools_buf;
  ti_buf version;     /* openhands_version */
  ti_buf last_model;  /* model of the latest model response seen */
  /* context */
  oh_unit *units;
  size_t nunits, capunits;
  const ti_message **res;
  size_t *res_ev;
  size_t nres, capres;
  size_t *acts;
  size_t nacts, capacts;
  /* the open turn (a model response whose results are still arriving) */
  int open;
  size_t lead;
  oh_call *calls;
  size_t ncalls, capcalls;
  size_t act_start;
  const ti_message *full; /* the turn as the model produced it */
  ti_buf turn_content;    /* its text (empty: none) and reasoning, kept here */
  ti_buf turn_reasoning;  /* because reading them back from a message may fail */
  ti_jv usage;            /* v0: model_response.usage of the turn */
  int rebuilt;            /* the turn was rebuilt from the action, not the response */
  oh_unit *deferred;      /* messages that arrived while the turn was open */
  size_t ndeferred, capdeferred;
  oh_set closed_resp;     /* response ids of finished turns */
  oh_set results;         /* tool_call_ids that already have a result */
  ti_buf text, text2, scratch;
};

/* turn.c: build the turn that starts at event `i` into w->calls/w->full.
 * Returns TI_OK or a negative error. */
int oh_turn_build(oh_walk *w, size_t i);
/* Emit the state for the turn at event `i` with action `action`. */
int oh_turn_emit_state(oh_walk *w, size_t i, const ti_message *action);
/* Build a message with role and text. */
int oh_msg_text(oh_walk *w, const char *role, const char *s, size_t n,
                const ti_message **out);

/* walk.c */
int oh_unit_push(oh_walk *w, oh_unit *u);
int oh_units_append(oh_walk *w, const oh_unit *u);

/* condense.c: apply the condensation event `i` to the context. */
int oh_condense(oh_walk *w, size_t i);

#endif
