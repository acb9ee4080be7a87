/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: turns and tool results of one stream. Assistant
 * records sharing message.id (else requestId, else uuid) form one turn, in
 * file order, wherever they sit; tool_result blocks are indexed by
 * tool_use_id. */
#include <string.h>

#include "cc.h"

static cc_rec *rec_of(cc_stream *s, int32_t i) { return &s->src->recs[s->nodes[i].rec]; }

int cc_group_turns(cc_stream *s) {
  uint32_t compactions = 0;
  for (size_t i = 0; i < s->n; i++) {
    cc_rec *r = rec_of(s, (int32_t)i);
    if ((r->flags & CC_F_BOUNDARY) ||
        (r->type == CC_T_USER && (r->flags & CC_F_COMPACT_SUMMARY) &&
         (r->flags & CC_F_PARENT_NULL)))
      compactions++;
    if (r->type != CC_T_ASSISTANT || !r->gkey) continue;
    int32_t g;
    int rc = cc_map_put_h(&s->gkeys, r->gkey, r->gkey_n, r->gkey_h, (int32_t)s->ngroups, &g);
    if (rc) return rc;
    if (g < 0) {
      if (s->ngroups == s->capgroups) {
        size_t cap = s->capgroups ? s->capgroups * 2 : 64;
        cc_group *ng = ti_mem_realloc(s->groups, cap * sizeof(*ng));
        if (!ng) return TI_ERR_NOMEM;
        s->groups = ng;
        s->capgroups = cap;
      }
      g = (int32_t)s->ngroups++;
      cc_group *gr = &s->groups[g];
      memset(gr, 0, sizeof(*gr));
      gr->key = r->gkey;
      gr->key_n = r->gkey_n;
      gr->key_h = r->gkey_h;
      gr->first = gr->last = (int32_t)i;
      gr->compactions_before = compactions;
      if (s->src->torn_gkey && s->src->torn_gkey_n == r->gkey_n &&
          !memcmp(s->src->torn_gkey, r->gkey, r->gkey_n))
        gr->incomplete = 1;
    } else {
      cc_group *gr = &s->groups[g];
      s->nodes[gr->last].next_frag = (int32_t)i;
      gr->last = (int32_t)i;
    }
    s->groups[g].nfrags++;
    if (r->flags & CC_F_SYNTHETIC) s->groups[g].synthetic = 1;
    s->nodes[i].group = g;
  }
  /* A torn tail without its message.id: when it hangs from the last record
   * of a turn that has no stop_reason yet, that turn is still streaming. */
  const cc_src *src = s->src;
  if (src->torn_parent && !src->torn_gkey) {
    int32_t j = cc_map_get(&s->uuids, src->torn_parent, src->torn_parent_n);
    ti_jv sr, msg;
    if (j >= 0 && s->nodes[j].group >= 0 && s->groups[s->nodes[j].group].last == j &&
        (!(msg = cc_message(src, rec_of(s, j)), ti_json_get(&msg, "stop_reason", &sr)) ||
         sr.type != TI_JSON_STRING))
      s->groups[s->nodes[j].group].incomplete = 1;
  }
  return TI_OK;
}

/* tool_use_id -> the result to show: one whose parent is an assistant
 * record wins over others; the first in file order among equals. */
int cc_index_results(cc_stream *s) {
  for (size_t i = 0; i < s->n; i++) {
    cc_rec *r = rec_of(s, (int32_t)i);
    if (r->type != CC_T_USER || r->message_type != TI_JSON_OBJECT) continue;
    ti_jv content = cc_content(s->src, r);
    if (content.type != TI_JSON_ARRAY) continue;
    int32_t p = s->nodes[i].parent;
    uint8_t prio = (p >= 0 && rec_of(s, p)->type == CC_T_ASSISTANT) ? 0 : 1;
    ti_json_iter it;
    ti_jv b;
    ti_json_iter_init(&it, &content);
    int parts = 0;
    while (ti_json_next(&it, &b)) {
      /* one walk over the block's members (is_error is often absent: a
       * lookup would scan the whole result) */
      ti_jv k, v, t = {0}, id = {0}, err = {0};
      ti_json_iter bi;
      ti_json_iter_init(&bi, &b);
      while (ti_json_next_member(&bi, &k, &v)) {
        if (TI_JSON_STR_IS(&k, "type")) t = v;
        else if (TI_JSON_STR_IS(&k, "tool_use_id")) id = v;
        else if (TI_JSON_STR_IS(&k, "is_error")) err = v;
      }
      if (!TI_JSON_STR_IS(&t, "tool_result")) {
        parts = 1;
        continue;
      }
      if (id.type != TI_JSON_STRING || (id.flags & TI_JV_ESCAPES)) continue;
      const char *ids = id.p + 1;
      size_t idn = id.n - 2;
      if (s->nresults == s->capresults) {
        size_t cap = s->capresults ? s->capresults * 2 : 64;
        cc_result *nr = ti_mem_realloc(s->results, cap * sizeof(*nr));
        if (!nr) return TI_ERR_NOMEM;
        s->results = nr;
        s->capresults = cap;
      }
      cc_result *res = &s->results[s->nresults];
      res->block = b;
      res->node = (int32_t)i;
      res->prio = prio;
      res->is_error = (uint8_t)ti_json_is_true(&err);
      int32_t old;
      int rc = cc_map_put(&s->results_by_id, ids, idn, (int32_t)s->nresults, &old);
      if (rc) return rc;
      if (old < 0) {
        s->nresults++;
      } else if (s->results[old].prio > prio) {
        s->results[old] = *res; /* a better candidate replaces it in place */
      }
    }
    if (!parts) r->flags |= CC_F_NO_PARTS;
  }
  return TI_OK;
}
