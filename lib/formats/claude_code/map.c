/* SPDX-License-Identifier: MIT */
/* Claude Code plugin: mapping records on a path to OpenAI-style messages.
 * The history after each node is memoized as a persistent list (cc_hnode)
 * plus the run of user-side text not yet closed (cc_pnode), so every
 * turn's history is built in time proportional to what is new in it. */
#include <string.h>

#include "cc.h"

static cc_rec *rec_of(cc_stream *s, int32_t i) { return &s->src->recs[s->nodes[i].rec]; }

static int push(cc_mapper *m, cc_hnode **h, const ti_message *msg) {
  cc_hnode *n = cc_alloc(m->arena, sizeof(*n));
  if (!n) return TI_ERR_NOMEM;
  n->msg = msg;
  n->prev = *h;
  n->len = (*h ? (*h)->len : 0) + 1;
  *h = n;
  return TI_OK;
}

int cc_map_begin(cc_mapper *m, cc_stream *s) {
  s->epoch++;
  if (s->epoch == 0) s->epoch = 1;
  m->root = NULL;
  if (!m->opts->system_prompt) return TI_OK;
  const ti_message *msg;
  int rc = ti_emit_msg_begin(m->ctx, "system");
  if (!rc) rc = ti_emit_msg_content(m->ctx, m->opts->system_prompt, strlen(m->opts->system_prompt));
  if (!rc) rc = ti_emit_msg_end(m->ctx, &msg);
  if (!rc) rc = push(m, &m->root, msg);
  return rc;
}

/* ---- user text runs ---------------------------------------------------------- */
static int add_part(cc_mapper *m, cc_node *nd, const ti_jv *v, uint8_t kind) {
  cc_pnode *p = cc_alloc(m->arena, sizeof(*p));
  if (!p) return TI_ERR_NOMEM;
  p->prev = nd->pend;
  p->v = *v;
  p->kind = kind;
  nd->pend = p;
  return TI_OK;
}

static int add_user_parts(cc_mapper *m, cc_node *nd, const ti_jv *content) {
  if (content->type == TI_JSON_STRING) {
    if (content->n > 2) return add_part(m, nd, content, CC_P_TEXT);
    return TI_OK;
  }
  if (content->type != TI_JSON_ARRAY) return TI_OK;
  ti_json_iter it;
  ti_jv b, t, x;
  ti_json_iter_init(&it, content);
  int rc = TI_OK;
  while (!rc && ti_json_next(&it, &b)) {
    if (b.type == TI_JSON_STRING) {
      if (b.n > 2) rc = add_part(m, nd, &b, CC_P_TEXT);
      continue;
    }
    if (b.type != TI_JSON_OBJECT || !ti_json_get(&b, "type", &t)) continue;
    if (TI_JSON_STR_IS(&t, "text")) {
      if (ti_json_get(&b, "text", &x) && x.type == TI_JSON_STRING && x.n > 2)
        rc = add_part(m, nd, &x, CC_P_TEXT);
    } else if (TI_JSON_STR_IS(&t, "image")) {
      rc = add_part(m, nd, &b, CC_P_IMAGE);
    } else if (TI_JSON_STR_IS(&t, "document")) {
      rc = add_part(m, nd, &b, CC_P_DOC);
    }
  }
  return rc;
}

/* base64 data and media types never need escaping: copy them raw (the
 * image is often most of the record). */
static int append_raw_or_decoded(const ti_jv *v, ti_buf *out) {
  if (!(v->flags & TI_JV_ESCAPES)) return ti_buf_append(out, v->p + 1, v->n - 2);
  ti_buf tmp = {0};
  size_t start = out->len;
  int rc = ti_json_str_append(v, &tmp);
  if (!rc) rc = ti_buf_json_string(out, tmp.p ? tmp.p : "", tmp.len);
  if (!rc) { /* drop the quotes ti_buf_json_string added */
    memmove(out->p + start, out->p + start + 1, out->len - start - 2);
    out->len -= 2;
    out->p[out->len] = '\0';
  }
  ti_buf_free(&tmp);
  return rc;
}

/* Image data shorter than this is copied into the parts with the rest. */
#define CC_HOLE_MIN 256

static int image_part(cc_mapper *m, const ti_jv *block, ti_buf *out) {
  ti_jv src, st, mt, data, url;
  if (ti_json_get(block, "source", &src) && ti_json_get(&src, "type", &st)) {
    if (TI_JSON_STR_IS(&st, "base64") && ti_json_get(&src, "data", &data) &&
        data.type == TI_JSON_STRING) {
      int rc = ti_buf_puts(out, "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:");
      if (!rc && ti_json_get(&src, "media_type", &mt) && mt.type == TI_JSON_STRING)
        rc = append_raw_or_decoded(&mt, out);
      if (!rc) rc = ti_buf_puts(out, ";base64,");
      if (!rc && !(data.flags & TI_JV_ESCAPES) && data.n - 2 >= CC_HOLE_MIN &&
          m->nholes < CC_MAX_HOLES) /* the input's bytes, as they are */
        m->holes[m->nholes++] = (struct cc_hole){out->len, data.p + 1, data.n - 2};
      else if (!rc) rc = append_raw_or_decoded(&data, out);
      if (!rc) rc = ti_buf_puts(out, "\"}}");
      return rc;
    }
    if (TI_JSON_STR_IS(&st, "url") && ti_json_get(&src, "url", &url) &&
        url.type == TI_JSON_STRING) {
      int rc = ti_buf_puts(out, "{\"type\":\"image_url\",\"image_url\":{\"url\":");
      if (!rc) rc = ti_json_write_compact(&url, out);
      if (!rc) rc = ti_buf_puts(out, "}}");
      return rc;
    }
  }
  return ti_buf_puts(out, "{\"type\":\"text\",\"text\":\"[image]\"}");
}

int cc_map_pending(cc_mapper *m, cc_stream *s, cc_pnode *p, const ti_message **out) {
  if (p->epoch == s->epoch && p->mat) {
    *out = p->mat;
    return TI_OK;
  }
  size_t n = 0;
  for (cc_pnode *q = p; q; q = q->prev) n++;
  if (n > m->captmp) {
    cc_pnode **t = ti_mem_realloc(m->tmp, n * sizeof(*t));
    if (!t) return TI_ERR_NOMEM;
    m->tmp = t;
    m->captmp = n;
  }
  int media = 0;
  size_t k = n;
  for (cc_pnode *q = p; q; q = q->prev) {
    m->tmp[--k] = q;
    if (q->kind == CC_P_DOC || (q->kind == CC_P_IMAGE && !m->opts->images_placeholder))
      media = 1;
  }
  /* One text part: the message takes the input string as it is. */
  const ti_jv *single = (!media && n == 1 && m->tmp[0]->kind == CC_P_TEXT) ? &m->tmp[0]->v : NULL;
  ti_buf *b = &m->b1;
  ti_buf_reset(b);
  m->nholes = 0;
  size_t need = 64;
  for (size_t i = 0; i < n && !single; i++) need += m->tmp[i]->v.n + 96;
  int rc = single ? TI_OK : ti_buf_reserve(b, need); /* one allocation, no regrowth copies */
  if (single) {
    /* nothing to build */
  } else if (!media && !rc) {
    for (size_t i = 0; i < n && !rc; i++) {
      if (i) rc = ti_buf_puts(b, "\n\n");
      if (rc) break;
      if (m->tmp[i]->kind == CC_P_TEXT) rc = ti_json_str_append(&m->tmp[i]->v, b);
      else rc = ti_buf_puts(b, "[image]");
    }
  } else if (!rc) {
    rc = ti_buf_puts(b, "[");
    for (size_t i = 0; i < n && !rc; i++) {
      if (i) rc = ti_buf_puts(b, ",");
      if (rc) break;
      cc_pnode *q = m->tmp[i];
      if (q->kind == CC_P_TEXT) {
        rc = ti_buf_puts(b, "{\"type\":\"text\",\"text\":");
        if (!rc) rc = ti_json_write_compact(&q->v, b);
        if (!rc) rc = ti_buf_puts(b, "}");
      } else if (q->kind == CC_P_IMAGE && !m->opts->images_placeholder) {
        rc = image_part(m, &q->v, b);
      } else {
        rc = ti_buf_puts(b, q->kind == CC_P_DOC ? "{\"type\":\"text\",\"text\":\"[document]\"}"
                                                : "{\"type\":\"text\",\"text\":\"[image]\"}");
      }
    }
    if (!rc) rc = ti_buf_puts(b, "]");
  }
  if (!rc) rc = ti_emit_msg_begin(m->ctx, "user");
  if (!rc) {
    if (single) rc = ti_emit_msg_content_jv(m->ctx, single);
    else if (media && m->nholes) { /* b1 around the image data left in the input */
      ti_span sp[TI_EMIT_MAX_SPANS];
      size_t ns = 0, prev = 0;
      for (size_t i = 0; i < m->nholes; i++) {
        sp[ns++] = (ti_span){b->p + prev, m->holes[i].at - prev};
        sp[ns++] = (ti_span){m->holes[i].p, m->holes[i].n};
        prev = m->holes[i].at;
      }
      sp[ns++] = (ti_span){b->p + prev, b->len - prev};
      rc = ti_emit_msg_content_spans(m->ctx, sp, ns);
    } else if (media) { /* compact canonical JSON written above */
      ti_jv parts = {.p = b->p, .n = b->len, .type = TI_JSON_ARRAY, .flags = TI_JV_CANONICAL};
      rc = ti_emit_msg_content_jv(m->ctx, &parts);
    }
    else rc = ti_emit_msg_content(m->ctx, b->p ? b->p : "", b->len);
  }
  if (!rc) rc = ti_emit_msg_end(m->ctx, out);
  if (!rc) {
    p->mat = *out;
    p->epoch = s->epoch;
  }
  return rc;
}

/* ---- assistant turns ---------------------------------------------------------- */
static int jv_same(const ti_jv *a, const ti_jv *b) {
  return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* 1 if v was seen before (else records it). */
static int seen_check(cc_seen *s, const ti_jv *v, int *rc) {
  for (size_t i = 0; i < s->n; i++)
    if (jv_same(&s->v[i], v)) return 1;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    ti_jv *nv = ti_mem_realloc(s->v, cap * sizeof(*nv));
    if (!nv) {
      *rc = TI_ERR_NOMEM;
      return 1;
    }
    s->v = nv;
    s->cap = cap;
  }
  s->v[s->n++] = *v;
  return 0;
}

typedef struct cc_call_tmp {
  const char *id, *name;
  size_t id_n, name_n;
  ti_jv args; /* the tool_use input (invalid when absent) */
} call_tmp;

/* The one input string a tool result's text is (tool_content would only
 * decode it): content a string, or an array of exactly one string or text
 * block. 1 and *out, else 0. */
static int tool_sole(const cc_result *res, ti_jv *out) {
  ti_jv c, e, t;
  ti_json_iter it;
  if (!ti_json_get(&res->block, "content", &c)) return 0;
  if (c.type == TI_JSON_STRING) {
    *out = c;
    return 1;
  }
  if (c.type != TI_JSON_ARRAY) return 0;
  ti_json_iter_init(&it, &c);
  if (!ti_json_next(&it, &e) || ti_json_next(&it, NULL)) return 0;
  if (e.type == TI_JSON_STRING) {
    *out = e;
    return 1;
  }
  if (!ti_json_get(&e, "type", &t) || t.type != TI_JSON_STRING || !TI_JSON_STR_IS(&t, "text") ||
      !ti_json_get(&e, "text", out) || out->type != TI_JSON_STRING)
    return 0;
  return 1;
}

static int tool_content(cc_mapper *m, const cc_result *res, ti_buf *b) {
  ti_jv c, it_v, t, x;
  if (!ti_json_get(&res->block, "content", &c)) return TI_OK;
  if (c.type == TI_JSON_STRING) return ti_json_str_append(&c, b);
  if (c.type != TI_JSON_ARRAY) return TI_OK;
  ti_json_iter it;
  ti_json_iter_init(&it, &c);
  int rc = TI_OK, first = 1;
  while (!rc && ti_json_next(&it, &it_v)) {
    if (!first) rc = ti_buf_puts(b, "\n");
    first = 0;
    if (rc) break;
    if (it_v.type == TI_JSON_STRING) {
      rc = ti_json_str_append(&it_v, b);
      continue;
    }
    if (!ti_json_get(&it_v, "type", &t) || t.type != TI_JSON_STRING) continue;
    if (TI_JSON_STR_IS(&t, "text")) {
      if (ti_json_get(&it_v, "text", &x) && x.type == TI_JSON_STRING)
        rc = ti_json_str_append(&x, b);
    } else if (TI_JSON_STR_IS(&t, "image")) {
      rc = ti_buf_puts(b, "[image]");
    } else if (TI_JSON_STR_IS(&t, "tool_reference")) {
      rc = ti_buf_puts(b, "[tool_reference: ");
      if (!rc && ti_json_get(&it_v, "tool_name", &x) && x.type == TI_JSON_STRING)
        rc = ti_json_str_append(&x, b);
      if (!rc) rc = ti_buf_puts(b, "]");
    } else {
      rc = ti_buf_puts(b, "[");
      if (!rc) rc = ti_json_str_append(&t, b);
      if (!rc) rc = ti_buf_puts(b, "]");
    }
  }
  (void)m;
  return rc;
}

/* The members of a content block that the mapping reads, in one walk. */
typedef struct block {
  ti_jv type, text, thinking, id, name, input;
} block;

static void block_fields(const ti_jv *b, block *f) {
  memset(f, 0, sizeof(*f)); /* all TI_JSON_INVALID (0) */
  ti_json_iter it;
  ti_jv k, v;
  ti_json_iter_init(&it, b);
  while (ti_json_next_member(&it, &k, &v)) {
    ti_jv *dst = NULL;
    if (k.flags & TI_JV_ESCAPES) { /* spelled with escapes: compare decoded */
      static const char *const names[] = {"id", "type", "text", "name", "input", "thinking"};
      ti_jv *dsts[] = {&f->id, &f->type, &f->text, &f->name, &f->input, &f->thinking};
      for (size_t i = 0; i < 6 && !dst; i++)
        if (ti_json_str_eq(&k, names[i])) dst = dsts[i];
      if (dst && dst->type == TI_JSON_INVALID) *dst = v;
      continue;
    }
    const char *s = k.p + 1;
    size_t n = k.n - 2;
    switch (n) {
    case 2: if (!memcmp(s, "id", 2)) dst = &f->id; break;
    case 4:
      if (!memcmp(s, "type", 4)) dst = &f->type;
      else if (!memcmp(s, "text", 4)) dst = &f->text;
      else if (!memcmp(s, "name", 4)) dst = &f->name;
      break;
    case 5: if (!memcmp(s, "input", 5)) dst = &f->input; break;
    case 8: if (!memcmp(s, "thinking", 8)) dst = &f->thinking; break;
    default: break;
    }
    if (dst && dst->type == TI_JSON_INVALID) *dst = v; /* the first one wins */
  }
}

/* text_jv: the one input string the text is, or NULL (then gr->text). */
static int build_assistant(cc_mapper *m, cc_group *gr, const ti_jv *text_jv, call_tmp *calls,
                           int reasoning, const ti_message **out) {
  int rc = ti_emit_msg_begin(m->ctx, "assistant");
  if (!rc && gr->has_text)
    rc = text_jv ? ti_emit_msg_content_jv(m->ctx, text_jv)
                 : ti_emit_msg_content(m->ctx, gr->text, gr->text_n);
  for (size_t i = 0; i < gr->ncalls && !rc; i++)
    rc = ti_emit_msg_tool_call_jv(m->ctx, calls[i].id, calls[i].id_n, calls[i].name,
                                  calls[i].name_n, &calls[i].args);
  if (!rc && reasoning) rc = ti_emit_msg_reasoning(m->ctx, gr->thinking ? gr->thinking : "",
                                                  gr->thinking_n);
  if (!rc) rc = ti_emit_msg_end(m->ctx, out);
  return rc;
}

int cc_map_group(cc_mapper *m, cc_stream *s, int32_t g) {
  cc_group *gr = &s->groups[g];
  if (gr->epoch == s->epoch) return TI_OK;
  cc_seen *texts = &m->texts, *thinks = &m->thinks, *ids = &m->ids;
  texts->n = thinks->n = ids->n = 0;
  ti_buf *text = &m->b1, *think = &m->b2;
  ti_buf_reset(text);
  ti_buf_reset(think);
  size_t ncalls = 0;
  call_tmp *calls = m->calls;
  int rc = TI_OK, has_text = 0, has_think = 0;
  ti_jv text_jv = {0}; /* the text's one input string, while it has one */
  gr->had_empty_thinking = gr->had_redacted = 0;
  for (int32_t f = gr->first; f >= 0 && !rc; f = s->nodes[f].next_frag) {
    cc_rec *r = rec_of(s, f);
    ti_jv content = cc_content(s->src, r), b, t, x;
    if (content.type == TI_JSON_INVALID) continue;
    if (content.type == TI_JSON_STRING) { /* not written by Claude Code, but valid */
      if (content.n > 2 && !seen_check(texts, &content, &rc)) {
        if (has_text) rc = ti_buf_puts(text, "\n\n");
        if (!rc) rc = ti_json_str_append(&content, text);
        text_jv = has_text ? (ti_jv){0} : content;
        has_text = 1;
      }
      continue;
    }
    ti_json_iter it;
    ti_json_iter_init(&it, &content);
    block bf;
    while (!rc && ti_json_next(&it, &b)) {
      if (b.type != TI_JSON_OBJECT) continue;
      block_fields(&b, &bf);
      t = bf.type;
      if (t.type == TI_JSON_INVALID) continue;
      if (TI_JSON_STR_IS(&t, "text")) {
        x = bf.text;
        if (x.type != TI_JSON_STRING || x.n <= 2) continue;
        if (seen_check(texts, &x, &rc)) continue;
        if (has_text) rc = ti_buf_puts(text, "\n\n");
        if (!rc) rc = ti_json_str_append(&x, text);
        text_jv = has_text ? (ti_jv){0} : x;
        has_text = 1;
      } else if (TI_JSON_STR_IS(&t, "thinking")) {
        x = bf.thinking;
        if (x.type != TI_JSON_STRING || x.n <= 2) {
          gr->had_empty_thinking = 1;
          continue;
        }
        if (seen_check(thinks, &x, &rc)) continue;
        if (has_think) rc = ti_buf_puts(think, "\n\n");
        if (!rc) rc = ti_json_str_append(&x, think);
        has_think = 1;
      } else if (TI_JSON_STR_IS(&t, "redacted_thinking")) {
        gr->had_redacted = 1;
      } else if (TI_JSON_STR_IS(&t, "tool_use")) {
        ti_jv id = bf.id, name = bf.name, input = bf.input;
        if (id.type != TI_JSON_STRING) continue;
        if (seen_check(ids, &id, &rc)) continue;
        if (ncalls == m->capcalls) {
          size_t cap = m->capcalls ? m->capcalls * 2 : 8;
          call_tmp *nc = ti_mem_realloc(calls, cap * sizeof(*nc));
          if (!nc) {
            rc = TI_ERR_NOMEM;
            break;
          }
          m->calls = calls = nc;
          m->capcalls = cap;
        }
        call_tmp *c = &calls[ncalls];
        memset(c, 0, sizeof(*c));
        rc = cc_str(m->arena, &id, &c->id, &c->id_n);
        if (!rc && name.type != TI_JSON_INVALID) rc = cc_str(m->arena, &name, &c->name, &c->name_n);
        if (!c->name) c->name = "", c->name_n = 0;
        /* the input as it is: the emitter quotes canonical bytes directly,
         * writes any other value compact first, and makes "{}" of none */
        c->args = input;
        if (!rc) ncalls++;
      }
    }
  }
  if (!rc) {
    /* text and thinking are needed until this group's state is out (not
     * kept for the session: ~2 MB of the long session's): the buffers
     * they were joined in become m->gtext / m->gthink (swapped) */
    ti_buf tb = m->gtext, kb = m->gthink;
    m->gtext = *text;
    m->gthink = *think;
    *text = tb;
    *think = kb;
    gr->text_gen = ++m->gtext_gen;
    gr->has_text = (uint8_t)has_text;
    gr->text = has_text ? m->gtext.p : NULL;
    gr->text_n = has_text ? m->gtext.len : 0;
    gr->thinking = has_think ? m->gthink.p : NULL;
    gr->thinking_n = has_think ? m->gthink.len : 0;
    gr->ncalls = ncalls;
    gr->calls = ncalls ? cc_alloc(m->arena, ncalls * sizeof(cc_call)) : NULL;
    gr->tool_msgs = ncalls ? cc_alloc(m->arena, ncalls * sizeof(ti_message *)) : NULL;
    if (ncalls && (!gr->calls || !gr->tool_msgs)) rc = TI_ERR_NOMEM;
  }
  gr->hist_msg = gr->action_msg = NULL;
  const ti_jv *tj = has_text && text_jv.type == TI_JSON_STRING ? &text_jv : NULL;
  if (!rc && (has_text || ncalls)) rc = build_assistant(m, gr, tj, calls, 0, &gr->hist_msg);
  if (!rc) {
    int reasoning = has_think || gr->had_empty_thinking || gr->had_redacted;
    if (reasoning || !gr->hist_msg)
      rc = build_assistant(m, gr, tj, calls, reasoning, &gr->action_msg);
    else gr->action_msg = gr->hist_msg;
  }
  for (size_t i = 0; i < ncalls && !rc; i++) {
    cc_call *c = &gr->calls[i];
    c->id = calls[i].id;
    c->id_n = calls[i].id_n;
    c->result = cc_map_get(&s->results_by_id, c->id, c->id_n);
    ti_buf_reset(text);
    ti_jv sole;
    int is_sole = c->result >= 0 && tool_sole(&s->results[c->result], &sole);
    if (is_sole) rc = TI_OK;
    else if (c->result >= 0) rc = tool_content(m, &s->results[c->result], text);
    else rc = ti_buf_puts(text, "[Tool result missing]");
    if (!rc) rc = ti_emit_msg_begin(m->ctx, "tool");
    if (!rc) rc = ti_emit_msg_tool_call_id(m->ctx, c->id, c->id_n);
    if (!rc && is_sole) rc = ti_emit_msg_content_jv(m->ctx, &sole);
    else if (!rc) rc = ti_emit_msg_content(m->ctx, text->p ? text->p : "", text->len);
    if (!rc) rc = ti_emit_msg_end(m->ctx, &gr->tool_msgs[i]);
  }
  if (!rc) gr->epoch = s->epoch;
  return rc;
}

int cc_map_group_text(cc_mapper *m, cc_stream *s, int32_t g) {
  cc_group *gr = &s->groups[g];
  if (gr->epoch == s->epoch && gr->text_gen != m->gtext_gen) gr->epoch = s->epoch + 1;
  return cc_map_group(m, s, g);
}

/* ---- node states ---------------------------------------------------------------- */
static int flush_pending(cc_mapper *m, cc_stream *s, cc_node *nd) {
  if (!nd->pend) return TI_OK;
  const ti_message *msg;
  int rc = cc_map_pending(m, s, nd->pend, &msg);
  if (!rc) rc = push(m, &nd->h, msg);
  nd->pend = NULL;
  return rc;
}

static int compute(cc_mapper *m, cc_stream *s, int32_t k, const cc_node *base) {
  cc_node *nd = &s->nodes[k];
  cc_rec *r = rec_of(s, k);
  int rc = TI_OK;
  nd->h = base->h;
  nd->pend = base->pend;
  nd->lastg = base->lastg;
  nd->boundary = base->boundary;
  nd->healed = base->healed | ((nd->flags & CC_N_HEALED) ? 1 : 0);
  switch (r->type) {
  case CC_T_ASSISTANT: {
    int32_t g = nd->group;
    if ((r->flags & CC_F_SYNTHETIC) || g < 0 || base->lastg == g) break;
    cc_group *gr = &s->groups[g];
    if (gr->synthetic) break;
    rc = cc_map_group(m, s, g);
    if (!rc && (gr->hist_msg || gr->ncalls)) rc = flush_pending(m, s, nd);
    if (!rc && gr->hist_msg) rc = push(m, &nd->h, gr->hist_msg);
    for (size_t i = 0; i < gr->ncalls && !rc; i++) rc = push(m, &nd->h, gr->tool_msgs[i]);
    nd->lastg = g;
    break;
  }
  case CC_T_USER: {
    if ((r->flags & CC_F_COMPACT_SUMMARY) && !base->boundary) {
      nd->h = m->root;
      nd->pend = NULL;
      nd->lastg = -1;
    }
    ti_jv content = cc_content(s->src, r);
    if (!(r->flags & CC_F_NO_PARTS) && content.type != TI_JSON_INVALID)
      rc = add_user_parts(m, nd, &content);
    break;
  }
  case CC_T_SYSTEM:
    if (r->flags & CC_F_BOUNDARY) {
      nd->h = m->root;
      nd->pend = NULL;
      nd->lastg = -1;
      nd->boundary = 1;
    } else if (r->flags & CC_F_LOCAL_CMD) {
      ti_jv c, root = cc_root(s->src, r);
      if (ti_json_get(&root, "content", &c) && c.type == TI_JSON_STRING && c.n > 2)
        rc = add_part(m, nd, &c, CC_P_TEXT);
    }
    break;
  default:
    break;
  }
  /* merge_user=0: every record's user-side text is its own message */
  if (!rc && !m->opts->merge_user && nd->pend && nd->pend != base->pend &&
      (r->type == CC_T_USER || r->type == CC_T_SYSTEM))
    rc = flush_pending(m, s, nd);
  if (!rc) nd->epoch = s->epoch;
  return rc;
}

int cc_map_state(cc_mapper *m, cc_stream *s, int32_t i, cc_node **out, cc_node *rootst) {
  memset(rootst, 0, sizeof(*rootst));
  rootst->h = m->root;
  rootst->lastg = -1;
  if (i < 0) {
    *out = rootst;
    return TI_OK;
  }
  /* Walk up to the nearest memoized ancestor, then compute downwards. */
  size_t n = 0;
  for (int32_t j = i; j >= 0 && s->nodes[j].epoch != s->epoch; j = s->nodes[j].parent) n++;
  if (n > m->capstk) {
    int32_t *t = ti_mem_realloc(m->stk, n * sizeof(*t));
    if (!t) return TI_ERR_NOMEM;
    m->stk = t;
    m->capstk = n;
  }
  int32_t *stack = m->stk;
  size_t k = 0;
  int32_t j = i;
  for (; j >= 0 && s->nodes[j].epoch != s->epoch; j = s->nodes[j].parent) stack[k++] = j;
  const cc_node *base = j >= 0 ? &s->nodes[j] : rootst;
  int rc = TI_OK;
  while (k && !rc) {
    int32_t x = stack[--k];
    rc = compute(m, s, x, base);
    base = &s->nodes[x];
  }
  *out = &s->nodes[i];
  return rc;
}

void cc_mapper_free(cc_mapper *m) {
  ti_buf_free(&m->gtext);
  ti_buf_free(&m->gthink);
  ti_buf_free(&m->b1);
  ti_buf_free(&m->b2);
  ti_mem_free(m->tmp);
  ti_mem_free(m->stk);
  ti_mem_free(m->texts.v);
  ti_mem_free(m->thinks.v);
  ti_mem_free(m->ids.v);
  ti_mem_free(m->calls);
  m->stk = NULL;
  m->capstk = 0;
  m->tmp = NULL;
  m->captmp = 0;
}
