/* SPDX-License-Identifier: MIT */
/* State and message accessors, and detaching a state (ti_state_dup). */
#include <string.h>

#include "core.h"

static int state_ok(const ti_state *s) { return s && s->magic == TI_STATE_MAGIC; }

const char *ti_state_str(const ti_state *s, size_t off) {
  return off == TI_NOSTR || !s->strs.p ? NULL : s->strs.p + off;
}

void ti_state_clear(ti_state *s) {
  ti_log_unref(s->log);
  s->log = NULL;
  s->spine = NULL;
  s->count = s->offset = 0;
  s->action = NULL;
  ti_buf_reset(&s->strs);
  s->id = s->traj = s->format = s->model = s->file = s->student = s->meta = TI_NOSTR;
  s->student_len = s->meta_len = 0;
  s->student_is_action = 0;
  s->first_line = s->last_line = 0;
  s->json_for = 0;
}

void ti_state_release(ti_state *s) {
  ti_state_clear(s);
  ti_buf_free(&s->strs);
  ti_buf_free(&s->json);
}

TI_API const char *ti_state_id(const ti_state *s) { return state_ok(s) ? ti_state_str(s, s->id) : NULL; }
TI_API const char *ti_state_trajectory_id(const ti_state *s) {
  return state_ok(s) ? ti_state_str(s, s->traj) : NULL;
}
TI_API const char *ti_state_format(const ti_state *s) {
  return state_ok(s) ? ti_state_str(s, s->format) : NULL;
}
TI_API const char *ti_state_source_model(const ti_state *s) {
  return state_ok(s) ? ti_state_str(s, s->model) : NULL;
}
TI_API const char *ti_state_file(const ti_state *s) {
  return state_ok(s) ? ti_state_str(s, s->file) : NULL;
}
TI_API uint64_t ti_state_first_line(const ti_state *s) { return state_ok(s) ? s->first_line : 0; }
TI_API uint64_t ti_state_last_line(const ti_state *s) { return state_ok(s) ? s->last_line : 0; }
TI_API size_t ti_state_message_count(const ti_state *s) { return state_ok(s) ? s->count : 0; }

TI_API const ti_message *ti_state_message(const ti_state *s, size_t i) {
  if (!state_ok(s) || i >= s->count) return NULL;
  return s->spine->v[i];
}

TI_API size_t ti_state_messages_offset(const ti_state *s) { return state_ok(s) ? s->offset : 0; }
TI_API const ti_message *ti_state_action(const ti_state *s) { return state_ok(s) ? s->action : NULL; }

TI_API const char *ti_state_student_action(const ti_state *s, size_t *len) {
  if (len) *len = 0;
  if (!state_ok(s)) return NULL;
  if (s->student_is_action) { /* decoded once, kept on the message */
    const char *t = ti_message_text(s->action, len);
    return t ? t : ""; /* "" only when out of memory */
  }
  if (len) *len = s->student_len;
  return ti_state_str(s, s->student);
}

TI_API const char *ti_state_metadata_json(const ti_state *s, size_t *len) {
  if (len) *len = state_ok(s) ? s->meta_len : 0;
  return state_ok(s) ? ti_state_str(s, s->meta) : NULL;
}

TI_API int ti_state_dup(ti_state **out, const ti_state *s) {
  if (!out) return TI_ERR_INVALID;
  *out = NULL;
  if (!state_ok(s) || !s->log) return TI_ERR_INVALID;
  ti_state *d = ti_mem_calloc(1, sizeof(*d));
  if (!d) return TI_ERR_NOMEM;
  *d = *s;
  d->owned = 1;
  ti_buf_init(&d->json);
  d->json_for = 0;
  ti_buf_init(&d->strs);
  if (ti_buf_append(&d->strs, s->strs.p, s->strs.len)) {
    ti_mem_free(d);
    return TI_ERR_NOMEM;
  }
  /* The spine is never reallocated from now on, so another thread may read
   * d while the iterator goes on. (States handed out by worker threads come
   * pinned: their spine is then left alone, as its thread may be reading.) */
  if (!d->spine->pinned) d->spine->pinned = 1;
  ti_log_ref(d->log);
  *out = d;
  return TI_OK;
}

TI_API void ti_state_free(ti_state *s) {
  if (!s || s->magic != TI_STATE_MAGIC || !s->owned) return; /* borrowed: refused */
  ti_state_release(s);
  s->magic = TI_STATE_DEAD;
  ti_mem_free(s);
}

/* ---- messages ------------------------------------------------------------------- */
TI_API const char *ti_message_role(const ti_message *m) { return m ? m->role : NULL; }

TI_API const char *ti_message_content(const ti_message *m, size_t *len) {
  return ti_message_text(m, len);
}

TI_API const char *ti_message_content_json(const ti_message *m, size_t *len) {
  if (!m || !len) {
    if (len) *len = 0;
    return NULL;
  }
  /* The content value sits inside the canonical message JSON, or in the
   * mapped input it was read from; it is not NUL-terminated there, so
   * callers get its length. */
  *len = m->content_json_len;
  return ti_msg_content(m);
}

TI_API size_t ti_message_tool_call_count(const ti_message *m) { return m ? m->ntools : 0; }

TI_API int ti_message_tool_call(const ti_message *m, size_t i, const char **id, const char **name,
                                const char **arguments) {
  if (!m || i >= m->ntools) return TI_ERR_INVALID;
  const ti_tool_call *tc = ti_message_tools(m); /* decoded on first use */
  if (!tc) return TI_ERR_NOMEM;
  if (id) *id = tc[i].id;
  if (name) *name = tc[i].name;
  if (arguments) *arguments = tc[i].args;
  return TI_OK;
}

TI_API const char *ti_message_tool_call_id(const ti_message *m) { return m ? m->tool_call_id : NULL; }
TI_API const char *ti_message_name(const ti_message *m) { return m ? m->name : NULL; }

TI_API const char *ti_message_json(const ti_message *m, size_t *len) {
  const char *j = m ? ti_message_whole(m) : NULL;
  if (len) *len = j ? m->json_len : 0;
  return j;
}
