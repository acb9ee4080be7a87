/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: condensation. After a v0 `condensation` action or a v1
 * `Condensation` event the model sees a new context: the forgotten events
 * removed, the summary inserted at its offset (formats/openhands.md 4.1
 * step 2, 4.2 step 1, 5.3 rule 11). The history is rewritten with
 * ti_emit_truncate + ti_emit_push; earlier states are unaffected. */
#include <string.h>

#include "walk.h"

typedef struct forget {
  const oh_ev *cond;
  ti_jv ids;          /* forgotten_event_ids (array) or INVALID */
  int64_t start, end; /* v0 inclusive id range, start > end: none */
} forget;

static int in_ids(const ti_jv *ids, const oh_ev *e) {
  ti_json_iter it;
  ti_jv v;
  int64_t x;
  if (ids->type != TI_JSON_ARRAY)
    return 0;
  ti_json_iter_init(&it, ids);
  while (ti_json_next(&it, &v)) {
    if (e->ver == 0 && ti_json_int(&v, &x) == TI_OK && x == e->id && e->id >= 0)
      return 1;
    if (e->ver == 1 && oh_jv_streq(&v, &e->uid))
      return 1;
  }
  return 0;
}

static int forgotten(const forget *f, const oh_ev *e) {
  if (e->ver == 0 && e->id >= 0 && f->start <= f->end && e->id >= f->start &&
      e->id <= f->end)
    return 1;
  return in_ids(&f->ids, e);
}

/* v1 summaries are events "<condensation id>-summary" and can be forgotten. */
static int summary_forgotten(oh_walk *w, const forget *f, const oh_unit *u) {
  const oh_ev *c = &w->t->ev[u->ev];
  ti_json_iter it;
  ti_jv v;
  if (c->ver == 0)
    return 1; /* v0: only the latest summary applies */
  if (f->ids.type != TI_JSON_ARRAY || c->uid.type != TI_JSON_STRING)
    return 0;
  ti_buf *want = &w->text2, *got = &w->scratch;
  ti_buf_reset(want);
  if (oh_append_str(want, &c->uid) != TI_OK || ti_buf_puts(want, "-summary") != TI_OK)
    return 0;
  ti_json_iter_init(&it, &f->ids);
  while (ti_json_next(&it, &v)) {
    ti_buf_reset(got);
    if (oh_append_str(got, &v) == TI_OK && got->len == want->len &&
        memcmp(got->p, want->p, want->len) == 0)
      return 1;
  }
  return 0;
}

static int unit_forgotten(oh_walk *w, const forget *f, const oh_unit *u) {
  const oh_ev *ev = w->t->ev;
  if (u->type == OH_U_SUMMARY)
    return summary_forgotten(w, f, u);
  if (u->type == OH_U_MSG)
    return forgotten(f, &ev[u->ev]);
  /* A turn survives when its results all survive and (v1) every action of
   * the batch survives / (v0) at least one action survives. */
  for (size_t k = 0; k < u->res_n; k++)
    if (forgotten(f, &ev[w->res_ev[u->res_start + k]]))
      return 1;
  size_t gone = 0;
  for (size_t k = 0; k < u->act_n; k++)
    gone += (size_t)forgotten(f, &ev[w->acts[u->act_start + k]]);
  if (ev[u->ev].ver == 1)
    return gone > 0;
  return u->act_n > 0 && gone == u->act_n;
}

int oh_condense(oh_walk *w, size_t i) {
  const oh_ev *e = &w->t->ev[i];
  const ti_jv *src = e->ver == 0 ? &e->args : &e->obj;
  forget f = {e, {0}, 0, -1};
  ti_jv summary = {0};
  int64_t offset = -1;
  int rc;
  (void)oh_get(src, "forgotten_event_ids", &f.ids);
  if (e->ver == 0) {
    f.start = oh_get_int(src, "forgotten_events_start_id", 0);
    f.end = oh_get_int(src, "forgotten_events_end_id", -1);
  }
  if (oh_get(src, "summary", &summary) && summary.type == TI_JSON_STRING)
    offset = oh_get_int(src, "summary_offset", -1);
  w->condensations++;
  if ((rc = ti_count(w->ctx, "openhands.condensations", 1)) != TI_OK)
    return rc;

  /* Filter the context in place. */
  size_t n = 0;
  for (size_t k = 0; k < w->nunits; k++)
    if (!unit_forgotten(w, &f, &w->units[k]))
      w->units[n++] = w->units[k];
  w->nunits = n;

  /* Insert the summary as a user message at its offset. */
  if (offset >= 0) {
    oh_unit u = {OH_U_SUMMARY, NULL, NULL, i, 0, 0, 0, 0};
    ti_buf_reset(&w->text);
    rc = oh_append_str(&w->text, &summary);
    if (rc == TI_OK)
      rc = oh_msg_text(w, "user", w->text.p, w->text.len, &u.msg);
    if (rc == TI_OK)
      rc = oh_units_append(w, &u);
    if (rc != TI_OK)
      return rc;
    size_t at = (size_t)offset < w->nunits - 1 ? (size_t)offset : w->nunits - 1;
    memmove(&w->units[at + 1], &w->units[at], (w->nunits - 1 - at) * sizeof u);
    w->units[at] = u;
  }

  /* v0 puts the first user message back right after the system prompt. */
  if (e->ver == 0 && w->t->first_user >= 0) {
    size_t at = (w->nunits && w->units[0].type == OH_U_MSG &&
                 w->t->ev[w->units[0].ev].kind == OH_K_SYSTEM)
                    ? 1
                    : 0;
    int ok = at < w->nunits && w->units[at].type == OH_U_MSG &&
             w->units[at].ev == (size_t)w->t->first_user;
    if (!ok) {
      oh_unit u = {OH_U_MSG, NULL, NULL, (size_t)w->t->first_user, 0, 0, 0, 0};
      ti_buf_reset(&w->text);
      rc = oh_render_v0_user(&w->text, &w->t->ev[u.ev]);
      if (rc == TI_OK)
        rc = oh_msg_text(w, "user", w->text.p, w->text.len, &u.msg);
      if (rc == TI_OK)
        rc = oh_units_append(w, &u);
      if (rc != TI_OK)
        return rc;
      if (at > w->nunits - 1)
        at = w->nunits - 1;
      memmove(&w->units[at + 1], &w->units[at], (w->nunits - 1 - at) * sizeof u);
      w->units[at] = u;
    }
  }

  /* Rewrite the history. */
  if ((rc = ti_emit_truncate(w->ctx, 0)) != TI_OK)
    return rc;
  for (size_t k = 0; k < w->nunits && rc == TI_OK; k++)
    rc = oh_unit_push(w, &w->units[k]);
  return rc;
}
