/* SPDX-License-Identifier: MIT */
/* cffi ABI-mode declarations: the functions of traceingest.h with TI_API
 * removed. tests/test_cdef.py checks that every prototype here matches the
 * header, so the two cannot drift apart. */
typedef struct ti_iter ti_iter;
typedef struct ti_state ti_state;
typedef struct ti_message ti_message;
typedef struct ti_registry ti_registry;
typedef struct ti_writer ti_writer;

typedef void (*ti_error_fn)(void *user, int code, const char *msg,
                            const char *file, uint64_t line,
                            uint64_t byte_offset);

typedef struct ti_open_options {
  size_t size;
  uint32_t flags;
  uint32_t min_probe_score;
  const char *format;
  const ti_registry *registry;
  const char *const *format_options;
  uint64_t probe_bytes;
  uint64_t max_record_bytes;
  uint32_t max_depth;
  uint32_t reserved0;
  ti_error_fn on_error;
  void *on_error_user;
  uint32_t threads;
  uint32_t reserved1;
} ti_open_options;

int ti_open_options_init(ti_open_options *opts, size_t size);
int ti_open(ti_iter **out, const char *path, const ti_open_options *opts);
int ti_open_fd(ti_iter **out, int fd, const ti_open_options *opts);
int ti_open_memory(ti_iter **out, const void *buf, size_t len, const ti_open_options *opts);
int ti_next(const ti_state **out, ti_iter *it);
void ti_free(ti_iter *it);
const char *ti_strerror(int status);
int ti_errcode(const ti_iter *it);
const char *ti_errmsg(const ti_iter *it);
const char *ti_error_file(const ti_iter *it);
int ti_error_position(const ti_iter *it, uint64_t *record_index, uint64_t *line, uint64_t *byte_offset);
const char *ti_format_name(const ti_iter *it);
uint64_t ti_stat(const ti_iter *it, const char *name);
int ti_stats_json(const ti_iter *it, const char **out, size_t *len);
const char *ti_state_id(const ti_state *s);
const char *ti_state_trajectory_id(const ti_state *s);
const char *ti_state_format(const ti_state *s);
const char *ti_state_source_model(const ti_state *s);
const char *ti_state_file(const ti_state *s);
uint64_t ti_state_first_line(const ti_state *s);
uint64_t ti_state_last_line(const ti_state *s);
size_t ti_state_message_count(const ti_state *s);
const ti_message *ti_state_message(const ti_state *s, size_t i);
size_t ti_state_messages_offset(const ti_state *s);
const ti_message *ti_state_action(const ti_state *s);
const char *ti_state_student_action(const ti_state *s, size_t *len);
const char *ti_state_metadata_json(const ti_state *s, size_t *len);
int ti_state_dup(ti_state **out, const ti_state *s);
void ti_state_free(ti_state *s);
const char *ti_message_role(const ti_message *m);
const char *ti_message_content(const ti_message *m, size_t *len);
const char *ti_message_content_json(const ti_message *m, size_t *len);
size_t ti_message_tool_call_count(const ti_message *m);
int ti_message_tool_call(const ti_message *m, size_t i, const char **id, const char **name, const char **arguments);
const char *ti_message_tool_call_id(const ti_message *m);
const char *ti_message_name(const ti_message *m);
const char *ti_message_reasoning(const ti_message *m, size_t *len);
const char *ti_message_json(const ti_message *m, size_t *len);
int ti_state_json(const char **out, size_t *len, const ti_state *s, uint32_t flags);
int ti_state_json_into(char *buf, size_t cap, size_t *len, const ti_state *s, uint32_t flags);
int ti_state_dup_json(char **out, size_t *len, const ti_state *s, uint32_t flags);
void ti_string_free(char *p);
int ti_writer_new(ti_writer **out, int fd, uint32_t flags);
int ti_writer_put(ti_writer *w, const ti_state *s);
int ti_writer_flush(ti_writer *w);
int ti_writer_put_all(ti_writer *w, ti_iter *it, uint64_t *n_states);
int ti_writer_errno(const ti_writer *w);
void ti_writer_free(ti_writer *w);
int ti_registry_new(ti_registry **out);
void ti_registry_free(ti_registry *reg);
size_t ti_registry_count(const ti_registry *reg);
const char *ti_registry_name(const ti_registry *reg, size_t i);
int ti_probe_scores(const ti_registry *reg, const char *path, const void *buf, size_t len, const char **names, int *scores, size_t cap, size_t *n);
unsigned ti_version_number(void);
const char *ti_version_string(void);
