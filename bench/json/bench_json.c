/* SPDX-License-Identifier: MIT */
/* Micro-benchmark of the JSON core against jansson on real files.
 *
 * usage: bench-json [-r REPS] FILE|DIR...
 * Every .jsonl file is split into lines (one document each), every .json
 * file is one document; a directory is walked. All documents are loaded
 * into memory first, then timed (best of REPS runs):
 *   validate  ti_json_parse on every document
 *   valid-ix  ti_json_parse_indexed (structural index kept, one reused index)
 *   walk      ti_json_parse + one member walk of the root + the lookup below,
 *             as a plugin does (re-scans the values it passes over)
 *   walk-ix   the same through ti_json_parse_indexed (jumps over them)
 *   lookup    ti_json_parse + ti_json_get("type") + ti_json_getv("message",
 *             "content") + ti_json_count of it (a typical plugin access)
 *   compact   ti_json_parse + ti_json_write_compact
 *   encode    ti_buf_json_string of each raw document (quotes to escape)
 *   jansson   json_loadb(..., 0) + json_decref (the DOM a naive build makes)
 * and prints MB/s for each. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <traceingest/ti-format.h>

typedef struct doc {
  const char *p;
  size_t n;
} doc;

static doc *docs;
static size_t ndocs, capdocs, total;
static char **bufs;
static size_t nbufs;

static void add_doc(const char *p, size_t n) {
  if (ndocs == capdocs) {
    capdocs = capdocs ? capdocs * 2 : 1024;
    docs = realloc(docs, capdocs * sizeof *docs);
  }
  docs[ndocs].p = p;
  docs[ndocs].n = n;
  ndocs++;
  total += n;
}

static int ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcmp(s + a - b, suf) == 0;
}

static void load_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  size_t len = fread(p, 1, (size_t)n, f);
  fclose(f);
  bufs = realloc(bufs, (nbufs + 1) * sizeof *bufs);
  bufs[nbufs++] = p;
  if (ends_with(path, ".jsonl")) {
    const char *s = p, *end = p + len;
    while (s < end) {
      const char *nl = memchr(s, '\n', (size_t)(end - s));
      const char *e = nl ? nl : end;
      if (e > s) add_doc(s, (size_t)(e - s));
      s = e + 1;
    }
  } else {
    add_doc(p, len);
  }
}

static void load(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    load_file(path);
    return;
  }
  struct dirent **ents;
  int n = scandir(path, &ents, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    char sub[4096];
    if (ents[i]->d_name[0] != '.') {
      snprintf(sub, sizeof sub, "%s/%s", path, ents[i]->d_name);
      if (stat(sub, &st) == 0 &&
          (S_ISDIR(st.st_mode) || ends_with(sub, ".json") || ends_with(sub, ".jsonl")))
        load(sub);
    }
    free(ents[i]);
  }
  if (n >= 0) free(ents);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: steadier on a busy machine */
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile size_t sink;

static size_t run_validate(void) {
  size_t ok = 0;
  for (size_t i = 0; i < ndocs; i++) ok += ti_json_parse(docs[i].p, docs[i].n, 0, NULL, NULL) == TI_OK;
  return ok;
}

static ti_json_index *gix;

static size_t run_validate_ix(void) {
  size_t ok = 0;
  for (size_t i = 0; i < ndocs; i++)
    ok += ti_json_parse_indexed(docs[i].p, docs[i].n, 0, gix, NULL, NULL) == TI_OK;
  return ok;
}

static size_t walk_one(const ti_jv *root) {
  size_t acc = 0;
  ti_json_iter it;
  ti_jv k, v;
  ti_json_iter_init(&it, root);
  while (ti_json_next_member(&it, &k, &v)) acc += v.n;
  if (ti_json_get(root, "type", &v)) acc += v.n;
  if (ti_json_getv(root, &v, "message", "content", NULL)) acc += ti_json_count(&v);
  return acc;
}

static size_t run_walk(void) {
  size_t acc = 0;
  for (size_t i = 0; i < ndocs; i++) {
    ti_jv root;
    if (ti_json_parse(docs[i].p, docs[i].n, 0, &root, NULL) == TI_OK) acc += walk_one(&root);
  }
  return acc;
}

static size_t run_walk_ix(void) {
  size_t acc = 0;
  for (size_t i = 0; i < ndocs; i++) {
    ti_jv root;
    if (ti_json_parse_indexed(docs[i].p, docs[i].n, 0, gix, &root, NULL) == TI_OK)
      acc += walk_one(&root);
  }
  return acc;
}

static size_t run_lookup(void) {
  size_t acc = 0;
  for (size_t i = 0; i < ndocs; i++) {
    ti_jv root, v;
    if (ti_json_parse(docs[i].p, docs[i].n, 0, &root, NULL) != TI_OK) continue;
    if (ti_json_get(&root, "type", &v)) acc += v.n;
    if (ti_json_getv(&root, &v, "message", "content", NULL)) acc += ti_json_count(&v);
  }
  return acc;
}

static ti_buf cbuf;
static size_t run_compact(void) {
  size_t acc = 0;
  for (size_t i = 0; i < ndocs; i++) {
    ti_jv root;
    if (ti_json_parse(docs[i].p, docs[i].n, 0, &root, NULL) != TI_OK) continue;
    ti_buf_reset(&cbuf);
    if (ti_json_write_compact(&root, &cbuf) == TI_OK) acc += cbuf.len;
  }
  return acc;
}

static size_t run_encode(void) {
  size_t acc = 0;
  for (size_t i = 0; i < ndocs; i++) {
    ti_buf_reset(&cbuf);
    if (ti_buf_json_string(&cbuf, docs[i].p, docs[i].n) == TI_OK) acc += cbuf.len;
  }
  return acc;
}

static size_t run_jansson(void) {
  size_t ok = 0;
  json_error_t e;
  for (size_t i = 0; i < ndocs; i++) {
    json_t *j = json_loadb(docs[i].p, docs[i].n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (j) ok++;
    json_decref(j);
  }
  return ok;
}

static double best(size_t (*fn)(void), int reps, size_t *res) {
  double b = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    *res = fn();
    double t = now() - t0;
    if (t < b) b = t;
  }
  sink += *res;
  return b;
}

int main(int argc, char **argv) {
  int reps = 5, i = 1;
  if (argc > 2 && strcmp(argv[1], "-r") == 0) {
    reps = atoi(argv[2]);
    i = 3;
  }
  for (; i < argc; i++) load(argv[i]);
  if (!ndocs) {
    fprintf(stderr, "usage: bench-json [-r REPS] FILE|DIR...\n");
    return 2;
  }
  size_t res;
  double mb = (double)total / 1e6;
  printf("%zu documents, %.1f MB (best of %d)\n", ndocs, mb, reps);
  gix = ti_json_index_new();
  double t = best(run_validate, reps, &res);
  printf("  validate  %8.0f MB/s  (%zu valid)\n", mb / t, res);
  t = best(run_validate_ix, reps, &res);
  printf("  valid-ix  %8.0f MB/s  (%zu valid)\n", mb / t, res);
  size_t r2;
  t = best(run_walk, reps, &res);
  printf("  walk      %8.0f MB/s\n", mb / t);
  t = best(run_walk_ix, reps, &r2);
  printf("  walk-ix   %8.0f MB/s%s\n", mb / t, r2 == res ? "" : "  (RESULTS DIFFER)");
  t = best(run_lookup, reps, &res);
  printf("  lookup    %8.0f MB/s\n", mb / t);
  t = best(run_compact, reps, &res);
  printf("  compact   %8.0f MB/s\n", mb / t);
  t = best(run_encode, reps, &res);
  printf("  encode    %8.0f MB/s  (ti_buf_json_string of each raw line)\n", mb / t);
  t = best(run_jansson, reps > 2 ? 2 : reps, &res);
  printf("  jansson   %8.0f MB/s  (%zu valid)\n", mb / t, res);
  ti_buf_free(&cbuf);
  ti_json_index_free(gix);
  for (size_t k = 0; k < nbufs; k++) free(bufs[k]);
  free(bufs);
  free(docs);
  return 0;
}
