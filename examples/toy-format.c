/* SPDX-License-Identifier: MIT */
/* A third-party format plugin, registered at run time.
 *
 * The "toy-chat" format is JSONL: a header line {"toy_chat":1,"id":"..."}
 * then one message per line:
 *   {"role":"user","text":"..."}
 *   {"role":"assistant","text":"...","calls":[{"id":"c1","name":"bash","args":{...}}]}
 *   {"role":"tool","id":"c1","text":"..."}
 * Every assistant line becomes a state whose history is everything before it.
 *
 * Usage: toy-format FILE  -- prints one JSON state per line.
 */
#include <stdio.h>
#include <string.h>

#include <traceingest/ti-format.h>
#include <traceingest/traceingest.h>

typedef struct toy {
  ti_buf text, args;
  int seen_header;
} toy;

static int probe(const ti_probe_input *in) {
  static const char magic[] = "{\"toy_chat\":";
  return in->len >= sizeof magic - 1 && memcmp(in->buf, magic, sizeof magic - 1) == 0
             ? TI_PROBE_CERTAIN
             : TI_PROBE_NONE;
}

static int create(void **parser, ti_plugin_ctx *ctx) {
  (void)ctx;
  toy *t = ti_mem_calloc(1, sizeof *t);
  if (!t) return TI_ERR_NOMEM;
  *parser = t;
  return TI_OK;
}

static void destroy(void *parser) {
  toy *t = parser;
  ti_buf_free(&t->text);
  ti_buf_free(&t->args);
  ti_mem_free(t);
}

/* Build the message of one line; assistant lines are also emitted as a
 * state before joining the history. */
static int message(toy *t, ti_plugin_ctx *ctx, const ti_jv *line, const ti_record *rec) {
  ti_jv role, text, calls, v;
  ti_json_get(line, "role", &role);
  ti_json_get(line, "text", &text);
  if (role.type != TI_JSON_STRING)
    return ti_report(ctx, TI_ERR_PARSE, rec->line, rec->offset, "toy-chat: line has no role");
  const char *s;
  size_t n;
  int is_assistant = ti_json_str_eq(&role, "assistant");
  int rc = ti_emit_msg_begin(ctx, is_assistant                       ? "assistant"
                                      : ti_json_str_eq(&role, "tool")     ? "tool"
                                      : ti_json_str_eq(&role, "system")   ? "system"
                                                                          : "user");
  if (!rc && text.type == TI_JSON_STRING) {
    rc = ti_json_str(&text, &t->text, &s, &n);
    if (!rc) rc = ti_emit_msg_content(ctx, s, n);
  }
  if (!rc && ti_json_get(line, "id", &v) && v.type == TI_JSON_STRING) {
    rc = ti_json_str(&v, &t->text, &s, &n);
    if (!rc) rc = ti_emit_msg_tool_call_id(ctx, s, n);
  }
  if (!rc && ti_json_get(line, "calls", &calls)) {
    ti_json_iter ci;
    ti_jv call, id, name, args;
    ti_json_iter_init(&ci, &calls);
    while (!rc && ti_json_next(&ci, &call)) {
      ti_json_get(&call, "id", &id);
      ti_json_get(&call, "name", &name);
      ti_json_get(&call, "args", &args);
      ti_buf_reset(&t->args);
      if (args.type != TI_JSON_INVALID) rc = ti_json_write_compact(&args, &t->args);
      ti_buf ids = {0}, names = {0};
      const char *is = "", *ns = "";
      size_t il = 0, nl = 0;
      if (!rc && id.type == TI_JSON_STRING) rc = ti_json_str(&id, &ids, &is, &il);
      if (!rc && name.type == TI_JSON_STRING) rc = ti_json_str(&name, &names, &ns, &nl);
      if (!rc) rc = ti_emit_msg_tool_call(ctx, is, il, ns, nl, t->args.p ? t->args.p : "{}", t->args.p ? t->args.len : 2);
      ti_buf_free(&ids);
      ti_buf_free(&names);
    }
  }
  const ti_message *m;
  if (!rc) rc = ti_emit_msg_end(ctx, &m);
  if (!rc && is_assistant) {
    rc = ti_emit_state_begin(ctx);
    if (!rc) rc = ti_emit_state_action(ctx, m);
    if (!rc) rc = ti_emit_state_lines(ctx, rec->line, rec->line);
    if (!rc) rc = ti_emit_meta_str(ctx, "kind", "toy", 3);
    if (!rc) rc = ti_emit_state_end(ctx);
  }
  if (!rc) rc = ti_emit_push(ctx, m);
  return rc;
}

static int next(void *parser, ti_plugin_ctx *ctx) {
  toy *t = parser;
  ti_record rec;
  int rc;
  while ((rc = ti_input_next_line(ctx, &rec)) == TI_OK) {
    ti_jv line, v;
    rc = ti_input_parse(ctx, rec.p, rec.len, rec.line, rec.offset, &line);
    if (rc == TI_SKIP) continue;
    if (rc) return rc;
    if (!t->seen_header) {
      t->seen_header = 1;
      const char *s = "toy";
      size_t n = 3;
      if (ti_json_get(&line, "id", &v) && ti_json_str(&v, &t->text, &s, &n)) return TI_ERR_NOMEM;
      rc = ti_emit_trajectory(ctx, s, n);
      if (rc) return rc;
      continue;
    }
    size_t before = ti_emit_history_len(ctx);
    rc = message(t, ctx, &line, &rec);
    if (rc) return rc;
    if (ti_emit_history_len(ctx) > before) {
      ti_jv role;
      if (ti_json_get(&line, "role", &role) && ti_json_str_eq(&role, "assistant")) return TI_OK;
    }
  }
  return rc;
}

static const char *const toy_options[] = {"toy_flag", NULL};

static const ti_format_ops toy_format = {
    TI_FORMAT_ABI_VERSION, sizeof(ti_format_ops), "toy-chat",
    "A toy JSONL chat format (example plugin)", toy_options, probe, NULL, create, next, destroy,
};

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: toy-format FILE\n");
    return 2;
  }
  ti_registry *reg;
  if (ti_registry_new(&reg) != TI_OK) return 1;
  int rc = ti_registry_add(reg, &toy_format);
  if (rc != TI_OK) {
    fprintf(stderr, "toy-format: cannot register: %s\n", ti_strerror(rc));
    ti_registry_free(reg);
    return 1;
  }
  ti_open_options opts = TI_OPEN_OPTIONS_INIT;
  opts.registry = reg;
  ti_iter *it;
  rc = ti_open(&it, argv[1], &opts);
  const ti_state *s;
  while (rc == TI_OK && (rc = ti_next(&s, it)) == TI_OK) {
    const char *js;
    size_t len;
    if (ti_state_json(&js, &len, s, 0) == TI_OK) printf("%.*s\n", (int)len, js);
  }
  if (rc < 0) fprintf(stderr, "toy-format: %s\n", it ? ti_errmsg(it) : ti_strerror(rc));
  ti_free(it);
  ti_registry_free(reg);
  return rc < 0 ? 1 : 0;
}
