/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: the parentUuid tree of one stream (the main thread,
 * or the sidechains). Deduplicates by uuid, bridges progress records, heals
 * broken links, breaks cycles and marks the active branch; turns.c groups
 * the turns and indexes the tool results. */
#include <string.h>

#include "cc.h"

static cc_rec *rec_of(cc_stream *s, int32_t i) { return &s->src->recs[s->nodes[i].rec]; }

int cc_stream_reserve(cc_stream *s, size_t n) {
  if (n > s->cap) {
    cc_node *nn = ti_mem_realloc(s->nodes, n * sizeof(*nn));
    if (!nn) return TI_ERR_NOMEM;
    s->nodes = nn;
    s->cap = n;
  }
  return cc_map_reserve(&s->uuids, n);
}

int cc_stream_add(cc_stream *s, int32_t rec) {
  cc_rec *r = &s->src->recs[rec];
  if (r->uuid) {
    int32_t old;
    int rc = cc_map_put_h(&s->uuids, r->uuid, r->uuid_n, r->uuid_h, (int32_t)s->n, &old);
    if (rc) return rc;
    if (old >= 0) return 1; /* duplicate: first wins */
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 256;
    cc_node *nn = ti_mem_realloc(s->nodes, cap * sizeof(*nn));
    if (!nn) return TI_ERR_NOMEM;
    s->nodes = nn;
    s->cap = cap;
  }
  cc_node *nd = &s->nodes[s->n++];
  memset(nd, 0, sizeof(*nd));
  nd->rec = rec;
  nd->parent = -1;
  nd->group = -1;
  nd->next_frag = -1;
  nd->root = -2;
  nd->lastg = -1;
  return TI_OK;
}

int32_t cc_stream_root(cc_stream *s, int32_t i) {
  int32_t j = i;
  while (s->nodes[j].root == -2 && s->nodes[j].parent >= 0) j = s->nodes[j].parent;
  int32_t root = s->nodes[j].root == -2 ? j : s->nodes[j].root;
  for (j = i; s->nodes[j].root == -2; j = s->nodes[j].parent) {
    s->nodes[j].root = root;
    if (s->nodes[j].parent < 0) break;
  }
  return root;
}

/* Break parent cycles (the parent graph becomes a forest). */
static int break_cycles(cc_stream *s, ti_plugin_ctx *ctx) {
  uint8_t *color = ti_mem_calloc(s->n ? s->n : 1, 1);
  if (!color) return TI_ERR_NOMEM;
  int rc = TI_OK;
  for (size_t i = 0; i < s->n && !rc; i++) {
    if (color[i]) continue;
    int32_t j = (int32_t)i;
    while (j >= 0 && color[j] == 0) {
      color[j] = 1;
      j = s->nodes[j].parent;
    }
    if (j >= 0 && color[j] == 1) { /* revisit inside this walk: a cycle */
      s->nodes[j].parent = -1;
      s->nodes[j].flags |= CC_N_CYCLE;
      rc = ti_count(ctx, "claude-code.parent_cycles", 1);
    }
    for (j = (int32_t)i; j >= 0 && color[j] == 1; j = s->nodes[j].parent) color[j] = 2;
  }
  ti_mem_free(color);
  return rc;
}

static int resolve_parents(cc_stream *s, ti_plugin_ctx *ctx) {
  int32_t last = -1; /* previous non-progress chain record */
  uint64_t healed = 0;
  for (size_t i = 0; i < s->n; i++) {
    cc_rec *r = rec_of(s, (int32_t)i);
    cc_node *nd = &s->nodes[i];
    if (r->parent) {
      int32_t p = cc_map_get_h(&s->uuids, r->parent, r->parent_n, r->parent_h);
      if (p == (int32_t)i) p = -1;
      nd->parent = p;
      if (p < 0 && (r->type == CC_T_USER || r->type == CC_T_ASSISTANT)) {
        nd->parent = last;
        if (last >= 0) {
          nd->flags |= CC_N_HEALED;
          healed++;
        }
      }
    }
    if (r->type != CC_T_PROGRESS) last = (int32_t)i;
  }
  int rc = healed ? ti_count(ctx, "claude-code.chain_healed", healed) : TI_OK;
  if (!rc) rc = break_cycles(s, ctx);
  if (rc) return rc;
  /* Bridge progress records: a child of one hangs from the nearest
   * non-progress ancestor. The graph is a forest now, so walks end. */
  for (size_t i = 0; i < s->n; i++) {
    int32_t p = s->nodes[i].parent;
    if (p < 0 || rec_of(s, p)->type != CC_T_PROGRESS) continue;
    int32_t q = p;
    while (q >= 0 && rec_of(s, q)->type == CC_T_PROGRESS) q = s->nodes[q].parent;
    s->nodes[i].parent = q;
  }
  for (size_t i = 0; i < s->n; i++)
    if (s->nodes[i].parent >= 0) s->nodes[s->nodes[i].parent].nchild++;
  return TI_OK;
}

static int32_t nearest_ua(cc_stream *s, int32_t i, int32_t *memo) {
  int32_t j = i;
  while (j >= 0 && memo[j] == -2) {
    uint16_t t = rec_of(s, j)->type;
    if (t == CC_T_USER || t == CC_T_ASSISTANT) break;
    j = s->nodes[j].parent;
  }
  int32_t res = j < 0 ? -1 : (memo[j] != -2 ? memo[j] : j);
  for (int32_t k = i; k >= 0 && memo[k] == -2; k = s->nodes[k].parent) {
    memo[k] = res;
    if (k == j) break;
  }
  return res;
}

static int ts_cmp(const cc_rec *a, const cc_rec *b) {
  size_t n = a->ts_n < b->ts_n ? a->ts_n : b->ts_n;
  int c = n ? memcmp(a->ts, b->ts, n) : 0;
  if (c) return c;
  return a->ts_n < b->ts_n ? -1 : a->ts_n > b->ts_n;
}

static void mark_active(cc_stream *s, int32_t j) {
  while (j >= 0 && !(s->nodes[j].flags & CC_N_ACTIVE)) {
    s->nodes[j].flags |= CC_N_ACTIVE;
    if (s->nodes[j].parent >= 0) {
      j = s->nodes[j].parent;
      continue;
    }
    /* A root: lineage continues across a compaction. */
    cc_rec *r = rec_of(s, j);
    int32_t k = -1;
    if (r->flags & CC_F_BOUNDARY) {
      if (r->lparent) k = cc_map_get(&s->uuids, r->lparent, r->lparent_n);
      if (k < 0) k = j - 1;
    } else if (r->type == CC_T_USER && (r->flags & CC_F_COMPACT_SUMMARY)) {
      k = j - 1;
    }
    j = k;
  }
}

static int active_branch(cc_stream *s) {
  if (!s->n) return TI_OK;
  int32_t *memo = ti_mem_alloc(s->n * sizeof(int32_t) * 2);
  if (!memo) return TI_ERR_NOMEM;
  int32_t *best = memo + s->n; /* per root (sidechains) or [0] (main) */
  for (size_t i = 0; i < s->n; i++) memo[i] = best[i] = -2;
  for (size_t i = 0; i < s->n; i++) {
    if (s->nodes[i].nchild) continue;
    int32_t u = nearest_ua(s, (int32_t)i, memo);
    if (u < 0) continue;
    int32_t slot = s->side ? cc_stream_root(s, u) : 0;
    int32_t b = best[slot];
    if (b < 0 || ts_cmp(rec_of(s, u), rec_of(s, b)) > 0 ||
        (ts_cmp(rec_of(s, u), rec_of(s, b)) == 0 && u < b))
      best[slot] = u;
  }
  for (size_t i = 0; i < s->n; i++)
    if (best[i] >= 0) mark_active(s, best[i]);
  ti_mem_free(memo);
  return TI_OK;
}

int cc_stream_build(cc_stream *s, ti_plugin_ctx *ctx, cc_arena *a) {
  (void)a;
  int rc = resolve_parents(s, ctx);
  if (!rc) rc = cc_group_turns(s);
  if (!rc) rc = cc_index_results(s);
  if (!rc) rc = active_branch(s);
  /* The uuid and message.id maps serve the build only: their memory goes
   * back before the states are made (the long session's 1 MB, reused). */
  cc_map_free(&s->uuids);
  cc_map_free(&s->gkeys);
  return rc;
}

void cc_stream_free(cc_stream *s) {
  ti_mem_free(s->nodes);
  ti_mem_free(s->groups);
  ti_mem_free(s->results);
  cc_map_free(&s->uuids);
  cc_map_free(&s->gkeys);
  cc_map_free(&s->results_by_id);
  memset(s, 0, sizeof(*s));
}
