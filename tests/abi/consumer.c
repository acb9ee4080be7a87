/* SPDX-License-Identifier: MIT */
/* A consumer compiled against the 0.1 public header (tests/abi/v0.1/, a
 * frozen copy) and run against the freshly built library: the stable API
 * must keep working for programs built against an older header. Only the
 * consumer API (TRACEINGEST_0.1) is used. */
#include <stdio.h>
#include <string.h>

#include "traceingest.h" /* tests/abi/v0.1/traceingest.h, NOT include/ */

#if TI_VERSION_MAJOR != 0 || TI_VERSION_MINOR != 1
#error "this consumer must be built against the frozen v0.1 header"
#endif

static int failures;
#define CHECK(c)                                                           \
  do {                                                                     \
    if (!(c)) {                                                            \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);         \
      failures++;                                                          \
    }                                                                      \
  } while (0)

static const char TRACE[] =
    "{\"parentUuid\":null,\"sessionId\":\"s-1\",\"type\":\"user\",\"uuid\":\"u1\","
    "\"message\":{\"role\":\"user\",\"content\":\"Write a poem.\"}}\n"
    "{\"parentUuid\":\"u1\",\"sessionId\":\"s-1\",\"type\":\"assistant\",\"uuid\":\"a1\","
    "\"message\":{\"model\":\"claude-opus-4-6\",\"id\":\"msg_1\",\"role\":\"assistant\","
    "\"content\":[{\"type\":\"text\",\"text\":\"Roses are red.\"}]}}\n";

static int errors_seen;
static void on_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                     uint64_t offset) {
  (void)user, (void)msg, (void)file, (void)line, (void)offset;
  if (code < 0) errors_seen++;
}

int main(void) {
  /* the library is at least as new as the header, same major */
  CHECK(ti_version_number() / 10000 == TI_VERSION_MAJOR);
  CHECK(ti_version_number() >= TI_VERSION_NUMBER);
  CHECK(ti_version_string() != NULL);

  /* options as this (older) header lays them out */
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ti_open_options o2;
  CHECK(ti_open_options_init(&o2, sizeof o2) == TI_OK);
  CHECK(o2.size == sizeof o2 && o2.flags == 0 && o2.format == NULL);

  ti_iter *it = NULL;
  CHECK(ti_open_memory(&it, TRACE, sizeof TRACE - 1, &o) == TI_OK);
  CHECK(it != NULL);
  const ti_state *s;
  int n = 0;
  ti_state *kept = NULL;
  int rc;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    n++;
    CHECK(strcmp(ti_state_format(s), "claude-code") == 0);
    CHECK(ti_state_message_count(s) >= 1);
    const ti_message *act = ti_state_action(s);
    CHECK(act && strcmp(ti_message_role(act), "assistant") == 0);
    size_t len;
    const char *txt = ti_message_content(act, &len);
    CHECK(txt && len == 14 && memcmp(txt, "Roses are red.", 14) == 0);
    const char *js;
    CHECK(ti_state_json(&js, &len, s, 0) == TI_OK);
    CHECK(strstr(js, "\"student_action\":\"Roses are red.\"") != NULL);
    CHECK(ti_state_dup(&kept, s) == TI_OK);
  }
  CHECK(rc == TI_DONE);
  CHECK(n == 1);
  CHECK(strcmp(ti_format_name(it), "claude-code") == 0);
  CHECK(ti_stat(it, "states") == 1);
  const char *stats;
  size_t slen;
  CHECK(ti_stats_json(it, &stats, &slen) == TI_OK && stats[0] == '{');
  ti_free(it);
  if (kept) { /* detached state outlives the iterator */
    char *dj;
    size_t dl;
    CHECK(ti_state_dup_json(&dj, &dl, kept, TI_JSON_DELTA) == TI_OK);
    CHECK(strstr(dj, "\"messages_offset\":0") != NULL);
    ti_string_free(dj);
    ti_state_free(kept);
  }

  /* errors: strict mode, a malformed line, with position */
  static const char bad[] = "{\"type\":\"user\",\n";
  o.format = "claude-code";
  o.flags = TI_OPEN_STRICT;
  o.on_error = on_error;
  CHECK(ti_open_memory(&it, bad, sizeof bad - 1, &o) == TI_OK);
  rc = ti_next(&s, it);
  CHECK(rc == TI_ERR_PARSE);
  uint64_t line = 0;
  CHECK(ti_error_position(it, NULL, &line, NULL) == TI_ERR_PARSE && line == 1);
  CHECK(errors_seen == 1);
  CHECK(ti_errmsg(it)[0] != '\0');
  ti_free(it);

  /* registry and probing */
  ti_registry *reg = NULL;
  CHECK(ti_registry_new(&reg) == TI_OK);
  size_t nf = ti_registry_count(reg);
  CHECK(nf >= 3);
  const char *names[16];
  int scores[16];
  size_t got = 0;
  CHECK(ti_probe_scores(reg, NULL, TRACE, sizeof TRACE - 1, names, scores, 16, &got) == TI_OK);
  CHECK(got == nf);
  int best = -1;
  for (size_t i = 0; i < got && i < 16; i++)
    if (best < 0 || scores[i] > scores[best]) best = (int)i;
  CHECK(best >= 0 && strcmp(names[best], "claude-code") == 0);
  ti_registry_free(reg);
  CHECK(strcmp(ti_strerror(TI_ERR_NOMEM), "") != 0);

  if (failures) {
    fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  printf("ok: a consumer built against the 0.1 header runs against library %s\n",
         ti_version_string());
  return 0;
}
