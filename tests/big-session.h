/* SPDX-License-Identifier: MIT */
/* Tests: a synthetic Claude Code session file, big enough to be mapped. */
#ifndef TI_TEST_BIG_SESSION_H
#define TI_TEST_BIG_SESSION_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* The parentUuid of turn i's user record: the assistant record before. */
static inline void session_parent(char *par, size_t n, int i) {
  if (i > 1) snprintf(par, n, "\"a%d\"", i - 1);
  else snprintf(par, n, "null");
}

/* A Claude Code session of `turns` turns with contents of ~`pad` bytes
 * (written to path); the file is over 4 MiB for turns * pad > 2.2M. With
 * `thinking`, each assistant record starts with a thinking block
 * "think <i>\"\n" (escapes included). */
static inline void write_session(const char *path, int turns, int pad, int thinking) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  char *x = malloc((size_t)pad + 1);
  ck_assert_ptr_nonnull(x);
  for (int i = 0; i < pad; i++) x[i] = (char)('a' + i % 26);
  x[pad] = 0;
  const char *env = "\"sessionId\":\"big\",\"cwd\":\"/w\",\"timestamp\":\"2026-03-02T10:00:00Z\"";
  for (int i = 1; i <= turns; i++) {
    char par[32];
    session_parent(par, sizeof par, i);
    fprintf(f, "{\"type\":\"user\",\"parentUuid\":%s,\"uuid\":\"u%d\",%s,\"message\":"
               "{\"role\":\"user\",\"content\":\"q%d %s\\n\xc3\xa9\"}}\n", par, i, env, i, x);
    char think[96] = "";
    if (thinking)
      snprintf(think, sizeof think,
               "{\"type\":\"thinking\",\"thinking\":\"think %d\\\"\\n\",\"signature\":\"s\"},", i);
    fprintf(f, "{\"type\":\"assistant\",\"parentUuid\":\"u%d\",\"uuid\":\"a%d\",%s,\"message\":"
               "{\"model\":\"claude-x\",\"id\":\"msg_%d\",\"role\":\"assistant\",\"content\":"
               "[%s{\"type\":\"text\",\"text\":\"r%d %s\"}]}}\n", i, i, env, i, think, i, x);
  }
  free(x);
  ck_assert_int_eq(fclose(f), 0);
}

static inline void write_big_session(const char *path, int turns, int pad) {
  write_session(path, turns, pad, 0);
}

/* A Claude Code session of `turns` turns whose user records hold a text
 * part and an image of `data` base64 bytes, (k * 7 + turn) % 34 of
 * "A-Za-f+/" at byte k. */
static inline void write_image_session(const char *path, int turns, size_t data) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  const char *env = "\"sessionId\":\"img\",\"cwd\":\"/w\",\"timestamp\":\"2026-03-02T10:00:00Z\"";
  for (int i = 1; i <= turns; i++) {
    char par[32];
    session_parent(par, sizeof par, i);
    fprintf(f, "{\"type\":\"user\",\"parentUuid\":%s,\"uuid\":\"u%d\",%s,\"message\":{\"role\":"
               "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look %d\"},{\"type\":\"image\","
               "\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"",
            par, i, env, i);
    for (size_t k = 0; k < data; k++) fputc("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef+/"[(k * 7 + i) % 34], f);
    fprintf(f, "\"}}]}}\n");
    fprintf(f, "{\"type\":\"assistant\",\"parentUuid\":\"u%d\",\"uuid\":\"a%d\",%s,\"message\":"
               "{\"model\":\"m\",\"id\":\"msg_%d\",\"role\":\"assistant\",\"content\":"
               "[{\"type\":\"text\",\"text\":\"seen %d\"}]}}\n", i, i, env, i, i);
  }
  ck_assert_int_eq(fclose(f), 0);
}

#endif
