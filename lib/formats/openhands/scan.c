/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: read the envelope of each event (one pass over its
 * members, no DOM) and classify it (formats/openhands.md sections 2-3). */
#include <string.h>

#include "oh.h"

int oh_is_v1_event(const ti_jv *v) {
  ti_jv k;
  return v->type == TI_JSON_OBJECT && ti_json_get(v, "kind", &k) &&
         k.type == TI_JSON_STRING;
}

int oh_is_event(const ti_jv *v) {
  ti_jv k, x;
  ti_json_iter it;
  if (v->type != TI_JSON_OBJECT)
    return 0;
  ti_json_iter_init(&it, v);
  while (ti_json_next_member(&it, &k, &x))
    if ((TI_JSON_STR_IS(&k, "action") || TI_JSON_STR_IS(&k, "observation") || TI_JSON_STR_IS(&k, "kind")) &&
        x.type == TI_JSON_STRING)
      return 1;
  return 0;
}

static int source_of(const ti_jv *v) {
  if (v->type != TI_JSON_STRING)
    return OH_SRC_OTHER;
  if (TI_JSON_STR_IS(v, "agent"))
    return OH_SRC_AGENT;
  if (TI_JSON_STR_IS(v, "user"))
    return OH_SRC_USER;
  if (TI_JSON_STR_IS(v, "environment"))
    return OH_SRC_ENV;
  return OH_SRC_OTHER;
}

typedef struct name {
  const char *s;
  size_t n;
} name;
#define NM(lit) {"" lit, sizeof(lit) - 1}

static int in_list(const ti_jv *v, const name *names) {
  if (v->type != TI_JSON_STRING)
    return 0;
  for (; names->s; names++)
    if (ti_json_str_is(v, names->s, names->n))
      return 1;
  return 0;
}

/* Actions that are tool calls of the model (function-calling era) or
 * turns of the pre-function-calling agent. */
static const name v0_tool_actions[] = {
    NM("run"), NM("run_ipython"), NM("read"), NM("write"), NM("edit"), NM("browse"),
    NM("browse_interactive"), NM("call_tool_mcp"), NM("delegate"), NM("think"),
    NM("task_tracking"), NM("finish"), NM("reject"), NM("condensation_request"), {NULL, 0}};
static const name v0_bookkeeping[] = {
    NM("change_agent_state"), NM("null"), NM("recall"), NM("initialize"), NM("start"),
    NM("pause"), NM("resume"), NM("stop"), NM("kill"), NM("loop_recovery"), NM("push"),
    NM("send_pr"), NM("add_task"), NM("modify_task"), NM("summarize"), {NULL, 0}};
static const name v0_skip_obs[] = {
    NM("agent_state_changed"), NM("null"), NM("loop_detection"), NM("condense"), {NULL, 0}};
static const name v0_known_obs[] = {
    NM("run"), NM("run_ipython"), NM("read"), NM("write"), NM("edit"), NM("browse"),
    NM("delegate"), NM("error"), NM("success"), NM("think"), NM("user_rejected"),
    NM("recall"), NM("mcp"), NM("download"), NM("task_tracking"), {NULL, 0}};
static const name v1_known[] = {
    NM("SystemPromptEvent"), NM("MessageEvent"), NM("ActionEvent"), NM("ObservationEvent"),
    NM("UserRejectObservation"), NM("AgentErrorEvent"), NM("Condensation"),
    NM("CondensationRequest"), NM("CondensationSummaryEvent"), NM("PauseEvent"),
    NM("InterruptEvent"), NM("ConversationStateUpdateEvent"), NM("ConversationErrorEvent"),
    NM("HookExecutionEvent"), NM("LLMCompletionLogEvent"), NM("TokenEvent"),
    NM("StreamingDeltaEvent"), NM("ACPToolCallEvent"), {NULL, 0}};

/* The envelope members of both versions, read in one pass over the event. */
typedef struct members {
  ti_jv act, obs, kind, tcm, args, extras, action, observation;
} members;

static void read_members(oh_ev *e, members *m) {
  ti_jv k, v;
  ti_json_iter it;
  memset(m, 0, sizeof *m);
  ti_json_iter_init(&it, &e->obj);
  while (ti_json_next_member(&it, &k, &v)) {
    if (TI_JSON_STR_IS(&k, "action"))
      m->act = v; /* v0: the type; v1: the action object */
    else if (TI_JSON_STR_IS(&k, "observation"))
      m->obs = v;
    else if (TI_JSON_STR_IS(&k, "kind"))
      m->kind = v;
    else if (TI_JSON_STR_IS(&k, "source"))
      e->src = (unsigned char)source_of(&v);
    else if (TI_JSON_STR_IS(&k, "id")) {
      e->uid = v;
      if (ti_json_int(&v, &e->id) != TI_OK)
        e->id = -1;
    } else if (TI_JSON_STR_IS(&k, "cause")) {
      if (ti_json_int(&v, &e->cause) != TI_OK)
        e->cause = -1;
    } else if (TI_JSON_STR_IS(&k, "tool_call_metadata"))
      m->tcm = v;
    else if (TI_JSON_STR_IS(&k, "args"))
      m->args = v;
    else if (TI_JSON_STR_IS(&k, "extras"))
      m->extras = v;
    else if (TI_JSON_STR_IS(&k, "content"))
      e->content = v;
    else if (TI_JSON_STR_IS(&k, "llm_response_id"))
      e->resp = v;
    else if (TI_JSON_STR_IS(&k, "tool_call_id"))
      e->call_id = v;
    else if (TI_JSON_STR_IS(&k, "tool_name"))
      e->tool = v;
  }
}

static void scan_v0(oh_ev *e, const members *m) {
  ti_jv k, v, act = m->act, obs = m->obs, tcm = m->tcm, args = m->args,
              extras = m->extras;
  ti_json_iter it;
  e->uid.type = TI_JSON_INVALID;
  e->resp.type = e->call_id.type = e->tool.type = TI_JSON_INVALID;
  if (act.type == TI_JSON_STRING)
    e->type = act;
  else if (obs.type == TI_JSON_STRING)
    e->type = obs;
  /* Feedback rows moved action args into extras; resolver rows are flat. */
  if (args.type != TI_JSON_OBJECT && extras.type != TI_JSON_OBJECT)
    args = extras = e->obj;
  else if (act.type == TI_JSON_STRING && args.type != TI_JSON_OBJECT)
    args = extras;
  e->args = args;
  e->extras = extras.type == TI_JSON_OBJECT ? extras : args;
  if (tcm.type == TI_JSON_OBJECT) {
    ti_json_iter_init(&it, &tcm);
    while (ti_json_next_member(&it, &k, &v)) {
      if (TI_JSON_STR_IS(&k, "model_response"))
        e->mresp = v;
      else if (TI_JSON_STR_IS(&k, "tool_call_id"))
        e->call_id = v;
      else if (TI_JSON_STR_IS(&k, "function_name"))
        e->tool = v;
      /* an observation carries a copy of the response: not needed */
      if (e->call_id.type && e->tool.type &&
          (obs.type == TI_JSON_STRING || e->mresp.type))
        break;
    }
    if (e->mresp.type == TI_JSON_OBJECT)
      (void)ti_json_get(&e->mresp, "id", &e->resp);
    if (e->resp.type != TI_JSON_STRING)
      e->resp.type = TI_JSON_INVALID;
    if (e->call_id.type != TI_JSON_STRING)
      e->call_id.type = TI_JSON_INVALID;
  }
  int has_tcm = e->call_id.type == TI_JSON_STRING;

  if (act.type == TI_JSON_STRING) {
    /* only commands carry `hidden` (CmdRunAction / CmdOutputObservation) */
    if (TI_JSON_STR_IS(&act, "run") && oh_get_true(&e->args, "hidden")) {
      e->kind = OH_K_SKIP;
    } else if (TI_JSON_STR_IS(&act, "system")) {
      e->kind = OH_K_SYSTEM;
    } else if (TI_JSON_STR_IS(&act, "message")) {
      e->kind = e->src == OH_SRC_USER ? OH_K_USER : OH_K_AGENT_MSG;
    } else if (TI_JSON_STR_IS(&act, "condensation")) {
      e->kind = OH_K_CONDENSE;
    } else if (TI_JSON_STR_IS(&act, "condensation_request") && !has_tcm) {
      e->kind = OH_K_COND_REQ;
    } else if (TI_JSON_STR_IS(&act, "run") && e->src == OH_SRC_USER && !has_tcm) {
      e->kind = OH_K_USER;
    } else if (has_tcm && !in_list(&act, v0_bookkeeping)) {
      e->kind = OH_K_CALL;
    } else if (in_list(&act, v0_tool_actions) && e->src != OH_SRC_USER) {
      e->kind = OH_K_TEXT_TURN;
    } else {
      e->kind = OH_K_SKIP;
      e->unknown = !in_list(&act, v0_tool_actions) && !in_list(&act, v0_bookkeeping);
    }
  } else if (obs.type == TI_JSON_STRING) {
    if (in_list(&obs, v0_skip_obs) ||
        (TI_JSON_STR_IS(&obs, "run") && oh_get_true(&e->extras, "hidden")))
      e->kind = OH_K_SKIP;
    else if (has_tcm)
      e->kind = OH_K_RESULT;
    else
      e->kind = OH_K_OBS_USER;
    e->unknown = !in_list(&obs, v0_skip_obs) && !in_list(&obs, v0_known_obs);
  } else {
    e->kind = OH_K_SKIP; /* status items such as {"content":"ok"} */
  }
}

static void scan_v1(oh_ev *e, const members *m) {
  e->type = m->kind;
  e->id = -1;
  e->cause = -1;
  e->content.type = TI_JSON_INVALID;
  e->args = m->act;
  e->extras = m->obs;
  if (e->resp.type != TI_JSON_STRING)
    e->resp.type = TI_JSON_INVALID;
  if (e->call_id.type != TI_JSON_STRING)
    e->call_id.type = TI_JSON_INVALID;
  const ti_jv *ty = &e->type;
  if (TI_JSON_STR_IS(ty, "SystemPromptEvent")) {
    e->kind = OH_K_SYSTEM;
  } else if (TI_JSON_STR_IS(ty, "MessageEvent")) {
    ti_jv role;
    e->kind = OH_K_SKIP;
    if (ti_json_getv(&e->obj, &role, "llm_message", "role", (const char *)NULL)) {
      if (TI_JSON_STR_IS(&role, "user"))
        e->kind = OH_K_USER;
      else if (TI_JSON_STR_IS(&role, "assistant"))
        e->kind = OH_K_AGENT_MSG;
    }
  } else if (TI_JSON_STR_IS(ty, "ActionEvent")) {
    e->kind = e->call_id.type == TI_JSON_STRING ? OH_K_CALL : OH_K_SKIP;
  } else if (TI_JSON_STR_IS(ty, "ObservationEvent") ||
             TI_JSON_STR_IS(ty, "UserRejectObservation") ||
             TI_JSON_STR_IS(ty, "AgentErrorEvent")) {
    e->kind = e->call_id.type == TI_JSON_STRING ? OH_K_RESULT : OH_K_SKIP;
  } else if (TI_JSON_STR_IS(ty, "Condensation")) {
    e->kind = OH_K_CONDENSE;
  } else if (TI_JSON_STR_IS(ty, "CondensationRequest")) {
    e->kind = OH_K_COND_REQ;
  } else if (TI_JSON_STR_IS(ty, "CondensationSummaryEvent")) {
    e->kind = OH_K_OBS_USER;
  } else {
    e->kind = OH_K_SKIP;
  }
  e->unknown = !in_list(ty, v1_known);
}

/* Drop the events a delegated sub-agent produced: everything between a
 * delegate action and its delegate observation (stack-matched). */
static void skip_delegates(oh_traj *t) {
  int64_t stack[32];
  int depth = 0;
  for (size_t i = 0; i < t->n; i++) {
    oh_ev *e = &t->ev[i];
    if (e->ver != 0 || e->type.type != TI_JSON_STRING)
      continue;
    int is_act = e->kind == OH_K_CALL || e->kind == OH_K_TEXT_TURN;
    int is_deleg = TI_JSON_STR_IS(&e->type, "delegate");
    if (depth > 0) {
      if (is_deleg && !is_act &&
          (e->cause < 0 || e->cause == stack[depth - 1])) {
        depth--;
        if (depth > 0)
          e->kind = OH_K_SKIP;
        continue;
      }
      if (is_deleg && is_act && depth < 32)
        stack[depth++] = e->id;
      e->kind = OH_K_SKIP;
      continue;
    }
    if (is_deleg && is_act)
      stack[depth++] = e->id;
  }
}

void oh_scan(oh_traj *t) {
  int seen_msg = 0;
  for (size_t i = 0; i < t->n; i++) {
    oh_ev *e = &t->ev[i];
    members m;
    read_members(e, &m);
    if (m.kind.type == TI_JSON_STRING && m.act.type != TI_JSON_STRING &&
        m.obs.type != TI_JSON_STRING) {
      e->ver = 1;
      scan_v1(e, &m);
      t->fc = 1;
    } else {
      e->ver = 0;
      scan_v0(e, &m);
      if (e->call_id.type == TI_JSON_STRING)
        t->fc = 1;
      /* Resolver rows carry no source: the first message is the user's. */
      if (e->src == OH_SRC_OTHER && e->type.type == TI_JSON_STRING) {
        if (m.act.type == TI_JSON_STRING && TI_JSON_STR_IS(&m.act, "message") &&
            !seen_msg) {
          e->src = OH_SRC_USER;
          e->kind = OH_K_USER;
        } else if (e->kind != OH_K_SKIP) {
          e->src = OH_SRC_AGENT;
        }
      }
      if (e->type.type == TI_JSON_STRING && TI_JSON_STR_IS(&e->type, "message"))
        seen_msg = 1;
    }
    if (e->kind == OH_K_USER && t->first_user < 0 &&
        (e->ver == 1 || TI_JSON_STR_IS(&e->type, "message")))
      t->first_user = (int)i;
  }
  skip_delegates(t);
}
