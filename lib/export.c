/* SPDX-License-Identifier: MIT */
/* JSON export of a state: one compact object, fixed key order. Messages
 * are spliced from their cached canonical JSON. */
#include <string.h>

#include "core.h"

static int put_key(ti_buf *b, const char *key) { return ti_buf_puts(b, key); }

static int put_opt_str(ti_buf *b, const char *s) {
  return s ? ti_buf_json_string(b, s, strlen(s)) : ti_buf_puts(b, "null");
}

static int render(ti_buf *b, const ti_state *s, uint32_t flags) {
  ti_buf_reset(b);
  const char *id = ti_state_str(s, s->id);
  int rc = put_key(b, "{\"state_id\":");
  if (!rc) rc = ti_buf_json_string(b, id, strlen(id));
  if (!rc) rc = put_key(b, ",\"messages\":[");
  size_t from = (flags & TI_JSON_DELTA) ? s->offset : 0;
  /* Reserve once for the messages: splicing is then plain copies. */
  size_t need = 0;
  for (size_t i = from; i < s->count; i++) need += s->spine->v[i]->json_len + 1;
  if (!rc) rc = ti_buf_reserve(b, need + s->action->json_len + s->student_len + 256);
  for (size_t i = from; i < s->count && !rc; i++) {
    const ti_message *m = s->spine->v[i];
    if (i > from) b->p[b->len++] = ',';
    b->len = (size_t)(ti_msg_put(b->p + b->len, m) - b->p);
  }
  if (!rc) rc = put_key(b, "],\"action\":");
  if (!rc) rc = ti_buf_reserve(b, s->action->json_len);
  if (!rc) {
    b->len = (size_t)(ti_msg_put(b->p + b->len, s->action) - b->p);
    b->p[b->len] = '\0';
  }
  if (!rc) rc = put_key(b, ",\"student_action\":");
  if (!rc && s->student_is_action) /* the action's text content, already JSON */
    rc = ti_buf_append(b, ti_msg_content(s->action), s->action->content_json_len);
  else if (!rc)
    rc = ti_buf_json_string(b, ti_state_str(s, s->student), s->student_len);
  if (!rc && (flags & TI_JSON_DELTA)) {
    rc = ti_buf_puts(b, ",\"messages_offset\":");
    if (!rc) rc = ti_buf_u64(b, s->offset);
  }
  if (!rc) rc = put_key(b, ",\"trajectory_id\":");
  if (!rc) rc = put_opt_str(b, ti_state_str(s, s->traj));
  if (!rc) rc = put_key(b, ",\"format\":");
  if (!rc) rc = put_opt_str(b, ti_state_str(s, s->format));
  if (!rc) rc = put_key(b, ",\"source_model\":");
  if (!rc) rc = put_opt_str(b, ti_state_str(s, s->model));
  if (!rc) rc = put_key(b, ",\"file\":");
  if (!rc) rc = put_opt_str(b, ti_state_str(s, s->file));
  if (!rc) rc = ti_buf_puts(b, ",\"first_line\":");
  if (!rc) rc = ti_buf_u64(b, s->first_line);
  if (!rc) rc = ti_buf_puts(b, ",\"last_line\":");
  if (!rc) rc = ti_buf_u64(b, s->last_line);
  if (!rc) rc = ti_buf_puts(b, ",\"metadata\":");
  if (!rc) rc = ti_buf_append(b, ti_state_str(s, s->meta), s->meta_len);
  if (!rc) rc = ti_buf_puts(b, "}");
  return rc ? TI_ERR_NOMEM : TI_OK;
}

static int check(const ti_state *s, uint32_t flags) {
  if (!s || s->magic != TI_STATE_MAGIC || !s->action) return TI_ERR_INVALID;
  if (flags & ~TI_JSON_FLAGS_ALL) return TI_ERR_INVALID;
  return TI_OK;
}

TI_API int ti_state_json(const char **out, size_t *len, const ti_state *s, uint32_t flags) {
  if (!out) return TI_ERR_INVALID;
  *out = NULL;
  int rc = check(s, flags);
  if (rc) return rc;
  ti_buf *b = (ti_buf *)&s->json; /* export scratch owned by the state */
  rc = render(b, s, flags);
  if (rc) return rc;
  *out = b->p;
  if (len) *len = b->len;
  return TI_OK;
}

TI_API int ti_state_dup_json(char **out, size_t *len, const ti_state *s, uint32_t flags) {
  if (!out) return TI_ERR_INVALID;
  *out = NULL;
  int rc = check(s, flags);
  if (rc) return rc;
  ti_buf b = {0};
  rc = render(&b, s, flags);
  if (rc) {
    ti_buf_free(&b);
    return rc;
  }
  *out = b.p;
  if (len) *len = b.len;
  return TI_OK;
}

TI_API void ti_string_free(char *p) { ti_mem_free(p); }
