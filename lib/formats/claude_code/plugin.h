/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: the parser object shared by plugin.c and setup.c. */
#ifndef TI_CC_PLUGIN_H
#define TI_CC_PLUGIN_H

#include "cc.h"

typedef struct cc_traj {
  cc_stream *st;
  const char *agent; /* NULL: the main thread */
  size_t agent_n;
  const char *link; /* the spawning tool call id, if known */
  size_t link_n;
  int32_t *groups;
  size_t ngroups, capgroups, pos;
  int started;
} cc_traj;

typedef struct cc_link {
  const char *id;
  size_t id_n;
} cc_link;

typedef struct cc_parser {
  ti_plugin_ctx *ctx;
  cc_arena arena;
  cc_opts opts;
  cc_reader rd;
  cc_mapper map;
  cc_src main;
  cc_src **srcs; /* subagent files */
  size_t nsrcs, capsrcs;
  cc_stream **streams;
  size_t nstreams, capstreams;
  cc_traj *trajs;
  size_t ntraj, captraj, itraj;
  cc_map emitted;     /* group keys already emitted */
  cc_map agent_trajs; /* agent id -> trajectory */
  cc_map by_agent;    /* agentId (toolUseResult) -> link */
  cc_map by_prompt;   /* Task/Agent prompt -> link */
  cc_link *links;
  size_t nlinks, caplinks;
  const char *session;
  size_t session_n;
  cc_hnode **cur; /* mirror of the core's history */
  size_t ncur, capcur;
  const ti_message *cur_pm;
  cc_hnode **tmp;
  size_t captmp;
  ti_buf b, b2;
  ti_buf sa; /* the state's student_action, when it has thinking */
  int phase, fatal;
} cc_parser;

/* Read the input (and its subagent files) and plan the trajectories. */
int cc_setup(cc_parser *p);

#endif
