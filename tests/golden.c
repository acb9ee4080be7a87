/* SPDX-License-Identifier: MIT */
/* Golden-file driver: golden DIR runs every case DIR/<case>/ through the
 * public API and compares the JSONL export with expected.jsonl.
 *
 * A case holds: input.<ext> (a file) or input/ (a directory); optionally
 * `options` (lines key=value; format=NAME and strict=1 set open options,
 * others are format options), expected-stats.json (counters that must
 * match), expected-error (one line "CODE LINE": the first error reported).
 * TI_GOLDEN_REGEN=1 rewrites expected.jsonl from the current output.
 * Paths in the output are made relative to the case directory. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <traceingest/ti-format.h>
#include <traceingest/traceingest.h>

typedef struct first_error {
  int code;
  uint64_t line;
  int seen;
} first_error;

static void on_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                     uint64_t offset) {
  (void)msg, (void)file, (void)offset;
  first_error *e = user;
  if (!e->seen) {
    e->seen = 1;
    e->code = code;
    e->line = line;
  }
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  ti_buf b = {0};
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) ti_buf_append(&b, tmp, n);
  fclose(f);
  if (!b.p) ti_buf_append(&b, "", 0);
  if (len) *len = b.len;
  return b.p;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replace every occurrence of `from` in `s` by `to`, into out. */
static void replace_all(ti_buf *out, const char *s, size_t n, const char *from, const char *to) {
  size_t fl = strlen(from);
  const char *end = s + n;
  while (s < end) {
    const char *hit = fl ? memmem(s, (size_t)(end - s), from, fl) : NULL;
    if (!hit) {
      ti_buf_append(out, s, (size_t)(end - s));
      break;
    }
    ti_buf_append(out, s, (size_t)(hit - s));
    ti_buf_puts(out, to);
    s = hit + fl;
  }
}

static int find_input(const char *casedir, char *path, size_t cap) {
  DIR *d = opendir(casedir);
  if (!d) return -1;
  struct dirent *e;
  int found = -1;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, "input") == 0 || strncmp(e->d_name, "input.", 6) == 0) {
      snprintf(path, cap, "%s/%s", casedir, e->d_name);
      found = 0;
      break;
    }
  closedir(d);
  return found;
}

static int run_case(const char *casedir, const char *name) {
  char input[4096], p[4096];
  if (find_input(casedir, input, sizeof input)) {
    printf("not ok - %s: no input.* in the case directory\n", name);
    return 1;
  }
  /* options */
  const char *fopts[64];
  size_t nf = 0;
  ti_open_options opts = TI_OPEN_OPTIONS_INIT;
  snprintf(p, sizeof p, "%s/options", casedir);
  char *optbuf = slurp(p, NULL);
  if (optbuf) {
    for (char *line = strtok(optbuf, "\n"); line; line = strtok(NULL, "\n")) {
      if (!*line || *line == '#') continue;
      if (strncmp(line, "format=", 7) == 0) opts.format = line + 7;
      else if (strcmp(line, "strict=1") == 0) opts.flags |= TI_OPEN_STRICT;
      else if (nf < 63) fopts[nf++] = line;
    }
  }
  fopts[nf] = NULL;
  if (nf) opts.format_options = fopts;
  first_error fe = {0, 0, 0};
  opts.on_error = on_error;
  opts.on_error_user = &fe;

  ti_buf out = {0};
  ti_iter *it = NULL;
  int rc = ti_open(&it, input, &opts);
  const ti_state *s;
  while (rc == TI_OK && (rc = ti_next(&s, it)) == TI_OK) {
    const char *js;
    size_t len;
    if (ti_state_json(&js, &len, s, 0) != TI_OK) {
      rc = -100;
      break;
    }
    ti_buf_append(&out, js, len);
    ti_buf_append(&out, "\n", 1);
  }
  int failed = 0;
  /* relative paths so the files do not depend on the checkout */
  ti_buf rel = {0};
  char prefix[4200];
  snprintf(prefix, sizeof prefix, "%s/", casedir);
  replace_all(&rel, out.p ? out.p : "", out.len, prefix, "");
  if (!rel.p) ti_buf_append(&rel, "", 0);

  snprintf(p, sizeof p, "%s/expected.jsonl", casedir);
  if (getenv("TI_GOLDEN_REGEN") && strcmp(getenv("TI_GOLDEN_REGEN"), "1") == 0) {
    FILE *f = fopen(p, "wb");
    if (f) {
      fwrite(rel.p, 1, rel.len, f);
      fclose(f);
    }
  }
  size_t elen;
  char *expected = slurp(p, &elen);
  if (!expected) {
    printf("not ok - %s: missing expected.jsonl\n", name);
    failed = 1;
  } else if (elen != rel.len || memcmp(expected, rel.p, elen) != 0) {
    size_t line = 1, i = 0;
    while (i < elen && i < rel.len && expected[i] == rel.p[i]) line += expected[i++] == '\n';
    printf("not ok - %s: output differs from expected.jsonl at line %zu, byte %zu\n", name, line, i);
    size_t from = i > 60 ? i - 60 : 0;
    printf("#   expected: %.*s\n#   got:      %.*s\n", (int)(elen - from > 160 ? 160 : elen - from),
           expected + from, (int)(rel.len - from > 160 ? 160 : rel.len - from), rel.p + from);
    failed = 1;
  }
  free(expected);

  /* the status must be DONE unless an error is expected */
  snprintf(p, sizeof p, "%s/expected-error", casedir);
  char *experr = slurp(p, NULL);
  if (experr) {
    int code = 0;
    unsigned long long line = 0;
    sscanf(experr, "%d %llu", &code, &line);
    if (!fe.seen || fe.code != code || fe.line != line) {
      printf("not ok - %s: expected first error %d at line %llu, got %s%d at line %llu\n", name,
             code, line, fe.seen ? "" : "(none) ", fe.code, (unsigned long long)fe.line);
      failed = 1;
    }
    free(experr);
  } else if (rc != TI_DONE) {
    printf("not ok - %s: iteration ended with %d (%s): %s\n", name, rc, ti_strerror(rc),
           it ? ti_errmsg(it) : "");
    failed = 1;
  } else if (fe.seen) {
    printf("not ok - %s: unexpected error reported: %s\n", name, ti_errmsg(it));
    failed = 1;
  }

  snprintf(p, sizeof p, "%s/expected-stats.json", casedir);
  size_t slen;
  char *stats = slurp(p, &slen);
  if (stats && it) {
    ti_jv root, k, v;
    if (ti_json_parse(stats, slen, 0, &root, NULL) != TI_OK) {
      printf("not ok - %s: expected-stats.json is not JSON\n", name);
      failed = 1;
    } else {
      ti_json_iter mi;
      ti_json_iter_init(&mi, &root);
      ti_buf key = {0};
      while (ti_json_next_member(&mi, &k, &v)) {
        int64_t want = 0;
        ti_buf_reset(&key);
        ti_json_str_append(&k, &key);
        ti_json_int(&v, &want);
        uint64_t got = ti_stat(it, key.p);
        if (got != (uint64_t)want) {
          printf("not ok - %s: counter %s is %llu, expected %lld\n", name, key.p,
                 (unsigned long long)got, (long long)want);
          failed = 1;
        }
      }
      ti_buf_free(&key);
    }
  }
  free(stats);
  if (!failed) printf("ok - %s\n", name);
  ti_free(it);
  ti_buf_free(&out);
  ti_buf_free(&rel);
  free(optbuf);
  return failed;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: golden DATA_DIR\n");
    return 2;
  }
  DIR *d = opendir(argv[1]);
  if (!d) {
    printf("1..0 # SKIP no golden cases in %s\n", argv[1]);
    return 77;
  }
  char *names[4096];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 4096) {
    if (e->d_name[0] == '.') continue;
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", argv[1], e->d_name);
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof(*names), cmp_str);
  if (n == 0) {
    printf("1..0 # SKIP no golden cases in %s\n", argv[1]);
    return 77;
  }
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", argv[1], names[i]);
    failed += run_case(p, names[i]);
    free(names[i]);
  }
  printf("%zu passed, %d failed\n", n - (size_t)failed, failed);
  return failed ? 1 : 0;
}
