/* SPDX-License-Identifier: MIT */
/* Tests: a synthetic Claude Code session file, big enough to be mapped. */
#ifndef TI_TEST_BIG_SESSION_H
#define TI_TEST_BIG_SESSION_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* A Claude Code session of `turns` turns with contents of ~`pad` bytes
 * (written to path); the file is over 4 MiB for turns * pad > 2.2M. With
 * `thinking`, each assistant record starts with a thinking block
 * "think <i>\"\n" (escapes included). */
static void write_session(const char *path, int turns, int pad, int thinking) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  char *x = malloc((size_t)pad + 1);
  ck_assert_ptr_nonnull(x);
  for (int i = 0; i < pad; i++) x[i] = (char)('a' + i % 26);
  x[pad] = 0;
  const char *env = "\"sessionId\":\"big\",\"cwd\":\"/w\",\"timestamp\":\"2026-03-02T10:00:00Z\"";
  for (int i = 1; i <= turns; i++) {
    char par[32];
    if (i > 1) snprintf(par, sizeof par, "\"a%d\"", i - 1);
    else snprintf(par, sizeof par, "null");
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

static void write_big_session(const char *path, int turns, int pad) {
  write_session(path, turns, pad, 0);
}

#endif
