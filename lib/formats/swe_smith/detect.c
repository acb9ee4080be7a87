/* SPDX-License-Identifier: MIT */
/* Detection: the probe (a tolerant scanner over a possibly truncated prefix)
 * and the classification of a parsed record object (format reference §0.1). */
#include <string.h>

#include "swe_smith.h"

/* Keys we look at, as bits. */
#define K_MESSAGES (1u << 0)
#define K_INSTANCE_ID (1u << 1)
#define K_TRAJ_ID (1u << 2)
#define K_RESOLVED (1u << 3)
#define K_MODEL (1u << 4)
#define K_PATCH (1u << 5)
#define K_TRAJ_FORMAT (1u << 6)
#define K_TRAJECTORY (1u << 7)
#define K_HISTORY (1u << 8)
#define K_INFO (1u << 9)
#define K_ATTEMPTS (1u << 10)
#define K_ENVIRONMENT (1u << 11)
#define K_REPLAY (1u << 12)
#define K_TOOLS (1u << 13)
#define K_RUN_ID (1u << 14)
#define K_MODEL_NAME (1u << 15)
#define K_TARGET (1u << 16)
#define K_ROLE (1u << 17)
#define K_CONTENT (1u << 18)
#define K_TEXT (1u << 19)
#define K_MASK (1u << 20)
#define K_SYSPROMPT (1u << 21)
#define K_MSGTYPE (1u << 22)
#define K_AGENT (1u << 23)
#define K_RESPONSE (1u << 24)
#define K_THOUGHT (1u << 25)
#define K_ACTION (1u << 26)
#define K_OBSERVATION (1u << 27)
#define K_SOURCE (1u << 28)
#define K_KIND (1u << 29)
#define K_ID (1u << 30)
#define K_TIMESTAMP (1u << 31)

static const struct {
  const char *name;
  uint32_t bit;
} key_table[] = {
    {"messages", K_MESSAGES}, {"instance_id", K_INSTANCE_ID}, {"traj_id", K_TRAJ_ID},
    {"resolved", K_RESOLVED}, {"model", K_MODEL}, {"patch", K_PATCH},
    {"trajectory_format", K_TRAJ_FORMAT}, {"trajectory", K_TRAJECTORY},
    {"history", K_HISTORY}, {"info", K_INFO}, {"attempts", K_ATTEMPTS},
    {"environment", K_ENVIRONMENT}, {"replay_config", K_REPLAY}, {"tools", K_TOOLS},
    {"run_id", K_RUN_ID}, {"model_name", K_MODEL_NAME}, {"target", K_TARGET},
    {"role", K_ROLE}, {"content", K_CONTENT}, {"text", K_TEXT}, {"mask", K_MASK},
    {"system_prompt", K_SYSPROMPT}, {"message_type", K_MSGTYPE}, {"agent", K_AGENT},
    {"response", K_RESPONSE}, {"thought", K_THOUGHT}, {"action", K_ACTION},
    {"observation", K_OBSERVATION}, {"source", K_SOURCE}, {"kind", K_KIND},
    {"id", K_ID}, {"timestamp", K_TIMESTAMP},
};

static uint32_t key_bit(const char *k, size_t n) {
  for (size_t i = 0; i < sizeof key_table / sizeof key_table[0]; i++)
    if (strlen(key_table[i].name) == n && memcmp(key_table[i].name, k, n) == 0)
      return key_table[i].bit;
  return 0;
}

/* ---- tolerant scanner ----------------------------------------------------- */
typedef struct scan {
  const char *p, *end;
  int trunc; /* ran out of bytes */
} scan;

typedef struct sig {
  uint32_t rec;     /* keys of the record object                    */
  int rec_done;     /* record object fully seen                     */
  char msgs_type;   /* first byte of the messages value             */
  uint32_t msgs0, hist0, traj0, att0; /* keys of first elements     */
  int mini;         /* trajectory_format starts "mini-swe-agent"    */
  char msgs_str[24];/* first decoded-ish bytes of a string messages */
} sig;

static void ws(scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
    s->p++;
  if (s->p >= s->end) s->trunc = 1;
}

/* Skip a string starting at '"'; copy up to cap-1 raw bytes into out. */
static int str(scan *s, char *out, size_t cap, size_t *n) {
  size_t k = 0;
  s->p++; /* quote */
  while (s->p < s->end) {
    char c = *s->p++;
    if (c == '"') {
      if (out) out[k < cap ? k : cap - 1] = 0;
      if (n) *n = k;
      return 1;
    }
    if (c == '\\') {
      if (s->p >= s->end) break;
      c = *s->p++;
    }
    if (out && k + 1 < cap) out[k] = c;
    k++;
  }
  if (out) out[k < cap ? k : cap - 1] = 0;
  if (n) *n = k;
  s->trunc = 1;
  return 0;
}

/* Skip any value (bracket counting, strings honoured). */
static int skip(scan *s) {
  int depth = 0;
  ws(s);
  while (s->p < s->end) {
    char c = *s->p;
    if (c == '"') {
      if (!str(s, NULL, 0, NULL)) return 0;
      if (depth == 0) return 1;
      continue;
    }
    if (c == '{' || c == '[') depth++;
    else if (c == '}' || c == ']') {
      if (depth == 0) return 1; /* end of the enclosing container */
      depth--;
      s->p++;
      if (depth == 0) return 1;
      continue;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t'))
      return 1;
    s->p++;
  }
  s->trunc = 1;
  return 0;
}

/* Scan an object's keys into *keys (values skipped unless `sg` asks for
 * them: sg is non-NULL for the record object only). */
static int object(scan *s, uint32_t *keys, sig *sg);

/* First element of an array: its keys into *keys. Rest skipped. */
static int first_elem(scan *s, uint32_t *keys) {
  s->p++; /* [ */
  ws(s);
  if (s->trunc) return 0;
  if (*s->p == '{') {
    if (!object(s, keys, NULL)) return 0;
  }
  /* skip the rest of the array */
  for (;;) {
    ws(s);
    if (s->trunc) return 0;
    if (*s->p == ']') { s->p++; return 1; }
    if (*s->p == ',') { s->p++; continue; }
    const char *before = s->p;
    /* a mismatched closer ('}' in an array) makes no progress: invalid */
    if (!skip(s) || s->p == before) return 0;
  }
}

static int object(scan *s, uint32_t *keys, sig *sg) {
  char k[40];
  size_t kn;
  s->p++; /* { */
  for (;;) {
    ws(s);
    if (s->trunc) return 0;
    if (*s->p == '}') { s->p++; return 1; }
    if (*s->p == ',') { s->p++; continue; }
    if (*s->p != '"') return 0;
    if (!str(s, k, sizeof k, &kn)) return 0;
    uint32_t bit = kn < sizeof k ? key_bit(k, kn) : 0;
    *keys |= bit;
    ws(s);
    if (s->trunc || *s->p != ':') return 0;
    s->p++;
    ws(s);
    if (s->trunc) return 0;
    if (sg && bit == K_MESSAGES) {
      sg->msgs_type = *s->p;
      if (*s->p == '[') { if (!first_elem(s, &sg->msgs0)) return 0; continue; }
      if (*s->p == '"') { if (!str(s, sg->msgs_str, sizeof sg->msgs_str, NULL)) return 0; continue; }
    } else if (sg && bit == K_HISTORY && *s->p == '[') {
      if (!first_elem(s, &sg->hist0)) return 0;
      continue;
    } else if (sg && bit == K_TRAJECTORY && *s->p == '[') {
      if (!first_elem(s, &sg->traj0)) return 0;
      continue;
    } else if (sg && bit == K_ATTEMPTS && *s->p == '[') {
      if (!first_elem(s, &sg->att0)) return 0;
      continue;
    } else if (sg && bit == K_TRAJ_FORMAT && *s->p == '"') {
      char v[24];
      int ok = str(s, v, sizeof v, NULL);
      if (strncmp(v, "mini-swe-agent", 14) == 0) sg->mini = 1;
      if (!ok) return 0;
      continue;
    }
    const char *before = s->p;
    if (!skip(s)) return 0;
    if (s->p == before && *s->p != '}') return 0; /* e.g. {"a":] */
  }
}

static int score(const sig *g, int root_array) {
  uint32_t r = g->rec;
  const uint32_t oh_event = K_SOURCE | K_KIND | K_ID | K_TIMESTAMP;
  if (g->mini) return TI_PROBE_CERTAIN;
  if (r & K_TRAJ_FORMAT) return 90;
  if ((r & K_ATTEMPTS) && (r & (K_INFO | K_HISTORY | K_TRAJECTORY))) return 95;
  if (r & K_HISTORY) {
    if (g->hist0 & (oh_event)) return 0;                     /* OpenHands events */
    if ((g->hist0 & (K_ACTION | K_OBSERVATION)) && !(g->hist0 & K_ROLE)) return 0;
    if ((g->hist0 & K_ROLE) && (g->hist0 & (K_MSGTYPE | K_AGENT | K_CONTENT))) return 95;
  }
  if (r & K_TRAJECTORY) {
    if (g->traj0 & oh_event) return 0;
    if (g->traj0 & (K_RESPONSE | K_THOUGHT)) return 95;
    if ((g->traj0 & K_ACTION) && (g->traj0 & K_OBSERVATION)) return 80;
    if ((g->traj0 & K_ROLE) && (g->traj0 & (K_MASK | K_SYSPROMPT)) &&
        (r & (K_MODEL_NAME | K_TARGET | K_INSTANCE_ID)))
      return 90; /* nebius */
    if ((g->traj0 & K_ROLE) && (g->traj0 & (K_MASK | K_SYSPROMPT))) return 60;
  }
  if (r & K_MESSAGES) {
    if (g->msgs_type == '{')
      return (r & (K_INSTANCE_ID | K_TRAJ_ID)) ? 80 : 0; /* columnar export */
    if (g->msgs_type != '[' && g->msgs_type != '"') return 0;
    if (g->msgs_type == '[' && g->msgs0 && !(g->msgs0 & K_ROLE)) return 0;
    if (r & K_TRAJ_ID) return TI_PROBE_CERTAIN;
    if ((r & K_TOOLS) && (r & K_RUN_ID)) return 80; /* SWE-Gym */
    if (r & K_INSTANCE_ID) return 80;
    if (g->msgs_type == '"' && (strncmp(g->msgs_str, "[{\"role\"", 8) == 0 ||
                                strncmp(g->msgs_str, "[{\"content\"", 11) == 0))
      return 80;
    if (g->rec_done) return (g->msgs0 & K_ROLE) && !(r & ~(K_MESSAGES | K_RESOLVED | K_MODEL | K_PATCH)) ? 60 : 0;
    if (g->msgs0 & K_ROLE) return 50;
  }
  if (root_array && (r & K_ROLE) && (r & K_CONTENT) && !(r & (K_SOURCE | K_ID)))
    return TI_PROBE_POSSIBLE; /* bare message list */
  return g->rec_done ? 0 : TI_PROBE_WEAK;
}

int ss_probe(const ti_probe_input *in) {
  scan s = {(const char *)in->buf, (const char *)in->buf + in->len, 0};
  sig g;
  int root_array = 0;
  memset(&g, 0, sizeof g);
  if (s.end - s.p >= 3 && memcmp(s.p, "\xEF\xBB\xBF", 3) == 0) s.p += 3;
  ws(&s);
  if (s.trunc) return 0;
  if (*s.p == '[') {
    root_array = 1;
    s.p++;
    ws(&s);
    if (s.trunc) return in->at_eof ? 0 : TI_PROBE_WEAK;
  }
  if (*s.p != '{') return 0;
  g.rec_done = object(&s, &g.rec, &g);
  int sc = score(&g, root_array);
  if (!g.rec_done && in->at_eof && sc < TI_PROBE_POSSIBLE) return 0;
  return sc;
}

/* ---- classification of a parsed record -------------------------------------- */
static const char *const member_names[SS_NM] = {
    "messages", "instance_id", "traj_id", "resolved", "model", "patch", "id", "run_id",
    "tools", "model_name", "target", "exit_status", "generated_patch", "trajectory",
    "history", "info", "replay_config", "trajectory_format", "attempts"};

void ss_members(const ti_jv *obj, ti_jv *m) {
  ti_json_iter it;
  ti_jv k, v;
  for (int i = 0; i < SS_NM; i++) m[i].type = TI_JSON_INVALID;
  if (obj->type != TI_JSON_OBJECT) return;
  ti_json_iter_init(&it, obj);
  while (ti_json_next_member(&it, &k, &v)) {
    for (int i = 0; i < SS_NM; i++) {
      if (m[i].type == TI_JSON_INVALID && ti_json_str_eq(&k, member_names[i])) {
        m[i] = v;
        break;
      }
    }
  }
}

static int first_has(const ti_jv *arr, const char *key) {
  ti_json_iter it;
  ti_jv v, x;
  ti_json_iter_init(&it, arr);
  if (!ti_json_next(&it, &v)) return 0;
  return ti_json_get(&v, key, &x);
}

int ss_classify_members(const ti_jv *o, const ti_jv *m) {
  ti_jv v;
  if (o->type == TI_JSON_ARRAY) return first_has(o, "role") ? SS_K_LIST : SS_K_NONE;
  if (o->type != TI_JSON_OBJECT) return SS_K_NONE;
  if (m[SS_M_TRAJ_FORMAT].type != TI_JSON_INVALID) return SS_K_MINI;
  if (m[SS_M_ATTEMPTS].type == TI_JSON_ARRAY) return SS_K_RETRY;
  if (m[SS_M_HISTORY].type == TI_JSON_ARRAY) return SS_K_TRAJ;
  if (m[SS_M_TRAJECTORY].type == TI_JSON_ARRAY) {
    const ti_jv *t = &m[SS_M_TRAJECTORY];
    if (first_has(t, "role") && (first_has(t, "text") || first_has(t, "system_prompt")))
      return SS_K_NEBIUS;
    return SS_K_TRAJ;
  }
  if (m[SS_M_MESSAGES].type != TI_JSON_INVALID) {
    if (m[SS_M_MESSAGES].type == TI_JSON_OBJECT) return SS_K_COLUMNAR;
    if (ti_json_get(&m[SS_M_INFO], "mini_version", &v)) return SS_K_MINI;
    if (m[SS_M_TOOLS].type != TI_JSON_INVALID && m[SS_M_RUN_ID].type != TI_JSON_INVALID)
      return SS_K_SWEGYM;
    return SS_K_ROW;
  }
  return SS_K_NONE;
}

int ss_classify(const ti_jv *o) {
  ti_jv m[SS_NM];
  ss_members(o, m);
  return ss_classify_members(o, m);
}

const char *ss_variant_name(int v) {
  switch (v) {
  case SS_V_TOOL: return "tool";
  case SS_V_XML: return "xml";
  case SS_V_TICKS: return "ticks";
  default: return NULL;
  }
}
