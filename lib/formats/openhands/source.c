/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: from an input to trajectories (formats/openhands.md 0).
 *  - a directory: a v0 session or a v1 conversation (sessiondir.c): one
 *    trajectory;
 *  - JSONL rows (eval output, resolver output, feedback rows): one trajectory
 *    per row, read line by line (memory bounded by one row; rows.c);
 *  - JSONL events (v1 events, v0 events, REST pages): one trajectory;
 *  - a JSON document (chosen from the first bytes: an array, or a first line
 *    that is not JSON by itself): read whole, zero-copy; an event array is
 *    one trajectory, an array of rows one per row, an object one row. */
#include <string.h>

#include "source.h"

int oh_source_new(oh_source **out, ti_plugin_ctx *ctx) {
  oh_source *s = ti_mem_calloc(1, sizeof *s);
  if (!s)
    return TI_ERR_NOMEM;
  s->ctx = ctx;
  const char *p = ti_input_path(ctx);
  s->base = p ? (strrchr(p, '/') ? strrchr(p, '/') + 1 : p) : "<input>";
  if (!*s->base && p) /* a directory given with a trailing slash */
    s->base = p;
  *out = s;
  return TI_OK;
}

void oh_source_free(oh_source *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->nown; i++)
    ti_mem_free(s->own[i]);
  ti_mem_free(s->own);
  ti_buf_free(&s->tmp);
  ti_json_index_free(s->ix);
  ti_mem_free(s);
}

char *oh_src_copy(oh_source *s, const char *p, size_t n) {
  if (s->nown == s->capown) {
    size_t nc = s->capown ? s->capown * 2 : 32;
    char **q = ti_mem_realloc(s->own, nc * sizeof *q);
    if (!q)
      return NULL;
    s->own = q;
    s->capown = nc;
  }
  char *c = ti_mem_alloc(n + 1);
  if (!c)
    return NULL;
  memcpy(c, p, n);
  c[n] = '\0';
  s->own[s->nown++] = c;
  return c;
}

/* ti_input_parse with the source's structural index: TI_OK, TI_SKIP (the
 * record was reported) or a negative code. */
static int parse_record(oh_source *s, const char *p, size_t n, uint64_t line, uint64_t off,
                        ti_jv *root) {
  if (!s->ix && !(s->ix = ti_json_index_new()))
    return TI_ERR_NOMEM;
  int rc = ti_json_parse_indexed(p, n, ti_max_depth(s->ctx), s->ix, root, NULL);
  if (rc == TI_OK || rc == TI_ERR_NOMEM)
    return rc;
  return ti_input_parse(s->ctx, p, n, line, off, root); /* reports it */
}

/* Lines are counted forward from the last position asked (events are
 * visited in order), from the start when asked backwards. */
void oh_src_pos(oh_source *s, const char *p, uint64_t *line, uint64_t *off) {
  if (!s->doc || p < s->doc || p > s->doc + s->ndoc) {
    *line = *off = 0;
    return;
  }
  if (!s->pos_p || p < s->pos_p) {
    s->pos_p = s->doc;
    s->pos_line = 1;
  }
  const char *q = s->pos_p;
  while ((q = memchr(q, '\n', (size_t)(p - q))) != NULL) {
    s->pos_line++;
    q++;
  }
  s->pos_p = p;
  *line = s->pos_line;
  *off = (uint64_t)(p - s->doc);
}

static int start_doc(oh_source *s) {
  ti_json_error err;
  int rc = ti_input_whole(s->ctx, &s->doc, &s->ndoc);
  if (rc != TI_OK)
    return rc;
  s->mode = SRC_DONE;
  if (!s->ndoc)
    return TI_OK;
  if ((rc = ti_count(s->ctx, "records", 1)) != TI_OK)
    return rc;
  if (!s->ix && !(s->ix = ti_json_index_new()))
    return TI_ERR_NOMEM;
  if ((rc = ti_json_parse_indexed(s->doc, s->ndoc, ti_max_depth(s->ctx), s->ix, &s->root,
                                  &err)) != TI_OK) {
    uint64_t line, off;
    if (rc == TI_ERR_NOMEM)
      return rc;
    oh_src_pos(s, s->doc + (err.offset < s->ndoc ? err.offset : s->ndoc), &line, &off);
    return ti_report(s->ctx, err.code, line, off, "malformed JSON document: %s",
                     err.text);
  }
  s->mode = SRC_DOC;
  s->doc_rows = 0;
  if (s->root.type == TI_JSON_ARRAY) {
    ti_json_iter it;
    ti_jv first;
    ti_json_iter_init(&it, &s->root);
    if (ti_json_next(&it, &first) && first.type == TI_JSON_OBJECT && !oh_is_event(&first)) {
      s->doc_rows = 1;
      ti_json_iter_init(&s->rows, &s->root);
    }
  }
  return TI_OK;
}

/* An events stream: every line (an event, or a page of them) adds to one
 * trajectory; the lines are kept for the trajectory's lifetime. */
static int fill_stream(oh_source *s, oh_traj *t) {
  ti_record r;
  int rc;
  t->variant = OH_VAR_V1_EVENTS;
  while ((rc = ti_input_next_line(s->ctx, &r)) == TI_OK) {
    char *c = oh_src_copy(s, r.p, r.len);
    ti_jv root, list;
    int pairs = 0;
    if (!c)
      return TI_ERR_NOMEM;
    if ((rc = parse_record(s, c, r.len, r.line, r.offset, &root)) != TI_OK) {
      if (rc == TI_ERR_NOMEM)
        return rc;
      if (ti_strict(s->ctx))
        return TI_ERR_PARSE;
      continue;
    }
    if (oh_is_event(&root))
      rc = oh_traj_add(t, &root, r.line, r.offset, NULL);
    else if (oh_src_has_array(&root, "items", &list) ||
             oh_src_has_array(&root, "events", &list) ||
             oh_src_has_array(&root, "trajectory", &list))
      rc = oh_src_add_list(s, t, &list, r.line, r.offset, 0, &pairs);
    else
      rc = ti_report(s->ctx, TI_ERR_PARSE, r.line, r.offset, "not an OpenHands event");
    if (rc != TI_OK)
      return rc;
  }
  if (rc != TI_DONE)
    return rc;
  if (t->n && !oh_is_v1_event(&t->ev[0].obj))
    t->variant = OH_VAR_V0_TRAJ;
  return ti_buf_puts(&t->id, s->base);
}

/* Choose from the first bytes: a JSON document (an array, or a first line
 * that is not a JSON value by itself) is read whole; else lines, as rows or
 * as a stream of events. */
static int classify(oh_source *s) {
  const char *p, *end, *nl;
  size_t len;
  int at_eof = 0, rc;
  ti_jv root, list;
  if ((rc = ti_input_peek(s->ctx, 1u << 16, &p, &len, &at_eof)) != TI_OK)
    return rc;
  end = p + len;
  if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    p++;
  if (p >= end && at_eof) {
    s->mode = SRC_DONE;
    return TI_OK;
  }
  if (p < end && *p == '[')
    return start_doc(s);
  if (p < end && *p == '{') {
    nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl && at_eof)
      return start_doc(s);
    if (nl && ti_json_parse(p, (size_t)(nl - p), ti_max_depth(s->ctx), &root, NULL) != TI_OK)
      return start_doc(s); /* a pretty-printed document */
    if (nl && (oh_is_event(&root) ||
               ((oh_src_has_array(&root, "items", &list) ||
                 oh_src_has_array(&root, "events", &list)) &&
                !ti_json_get(&root, "history", &list)))) {
      s->mode = SRC_STREAM;
      return TI_OK;
    }
  }
  s->mode = SRC_ROWS; /* rows, or lines to report */
  return TI_OK;
}

static int next_row(oh_source *s, oh_traj *t) {
  for (;;) {
    ti_record r;
    ti_jv root;
    int rc = ti_input_next_line(s->ctx, &r);
    if (rc != TI_OK) {
      if (rc == TI_DONE)
        s->mode = SRC_DONE;
      return rc;
    }
    if ((rc = parse_record(s, r.p, r.len, r.line, r.offset, &root)) != TI_OK) {
      if (rc == TI_ERR_NOMEM)
        return rc;
      if (ti_strict(s->ctx))
        return TI_ERR_PARSE;
      continue;
    }
    rc = oh_src_fill_row(s, t, &root, r.line, r.offset, 0, 0);
    if (rc != 1)
      return rc;
    if ((rc = ti_report(s->ctx, TI_ERR_PARSE, r.line, r.offset,
                        "not an OpenHands row (no history/trajectory)")) != TI_OK)
      return rc;
    oh_traj_reset(t);
  }
}

static int next_doc(oh_source *s, oh_traj *t) {
  uint64_t line, off;
  int rc, pairs = 0;
  if (!s->doc_rows) {
    s->mode = SRC_DONE;
    if (s->root.type == TI_JSON_ARRAY) {
      t->variant = OH_VAR_V0_TRAJ;
      rc = oh_src_add_list(s, t, &s->root, 0, 0, 1, &pairs);
      if (rc == TI_OK && pairs)
        t->variant = OH_VAR_V0_PAIRS;
      return rc ? rc : ti_buf_puts(&t->id, s->base);
    }
    oh_src_pos(s, s->root.p, &line, &off);
    if (oh_is_event(&s->root)) {
      rc = oh_traj_add(t, &s->root, line, off, NULL);
      return rc ? rc : ti_buf_puts(&t->id, s->base);
    }
    rc = oh_src_fill_row(s, t, &s->root, 0, 0, (size_t)-1, 1);
    if (rc == 1)
      return ti_report(s->ctx, TI_ERR_PARSE, line, off, "not an OpenHands document");
    return rc;
  }
  for (;;) {
    ti_jv row;
    if (!ti_json_next(&s->rows, &row)) {
      s->mode = SRC_DONE;
      return TI_DONE;
    }
    oh_src_pos(s, row.p, &line, &off);
    rc = oh_src_fill_row(s, t, &row, 0, 0, s->row_index++, 1);
    if (rc != 1)
      return rc;
    if ((rc = ti_report(s->ctx, TI_ERR_PARSE, line, off, "not an OpenHands row")) != TI_OK)
      return rc;
    oh_traj_reset(t);
  }
}

int oh_source_next(oh_source *s, oh_traj *t) {
  int rc;
  oh_traj_reset(t);
  if (s->mode == SRC_NONE) {
    if (ti_input_is_dir(s->ctx)) {
      s->mode = SRC_DONE;
      return oh_src_fill_dir(s, t);
    }
    if ((rc = classify(s)) != TI_OK)
      return rc;
  }
  switch (s->mode) {
  case SRC_STREAM:
    s->mode = SRC_DONE;
    return fill_stream(s, t);
  case SRC_ROWS:
    return next_row(s, t);
  case SRC_DOC:
    return next_doc(s, t);
  default:
    return TI_DONE;
  }
}
