/* SPDX-License-Identifier: MIT */
/* Allocation-failure injection over every built-in format's fixtures
 * (jansson's test_chaos idea): for each case tests/data/<format>/<case>/
 * (input.* or input/, with its `options`), count the allocations of a
 * clean run, then re-run with allocation n failing (once), for every n or,
 * when there are more than the budget, an even sample of them. Every run
 * must end with the clean run's result or with TI_ERR_NOMEM (from ti_open
 * or ti_next; a run that returns the clean result must give the same
 * output). Leaks are caught by the ASan and valgrind passes of
 * tools/run-tests, which run this test too.
 *
 * usage: test-alloc-fail DATA_DIR FORMAT [--allow-swallowed]
 * FORMAT: a directory name under DATA_DIR. Failure points per case: 400,
 * 40 under valgrind, or $TI_ALLOC_FAIL_BUDGET. --allow-swallowed reports
 * runs where the failure was swallowed (a result other than the clean one
 * or TI_ERR_NOMEM) as KNOWN BUG lines instead of failing: for formats with
 * an open bug report; crashes and leaks still fail those runs. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <traceingest/ti-format.h>
#include <traceingest/traceingest.h>

#include "hostile.h"

/* from lib/mem.c, built with -DTI_TESTING */
void ti_test_fail_after(long n);
unsigned long ti_test_alloc_calls(void);

/* The harness's own buffer: plain malloc, so that the injected failure
 * (which hits every ti_mem_* call) never lands in the harness. */
typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static void sbuf_append(sbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void sbuf_free(sbuf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

typedef struct run_out {
  int open_rc, end_rc;
  size_t states;
  sbuf json; /* states as JSON (delta), then the stats JSON */
} run_out;

typedef struct fixture {
  char input[4400];
  char fmt_buf[256];
  const char *fopts[16];
  char fopt_store[16][256];
  ti_open_options o;
} fixture;

static int load_fixture(fixture *fx, const char *casedir) {
  memset(fx, 0, sizeof *fx);
  ti_open_options_init(&fx->o, sizeof fx->o);
  DIR *d = opendir(casedir);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strncmp(e->d_name, "input", 5) == 0)
      snprintf(fx->input, sizeof fx->input, "%s/%s", casedir, e->d_name);
  closedir(d);
  if (!fx->input[0]) return 0;
  char p[4200];
  snprintf(p, sizeof p, "%s/options", casedir);
  FILE *f = fopen(p, "r");
  size_t nf = 0;
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f)) {
      line[strcspn(line, "\r\n")] = 0;
      if (!line[0]) continue;
      if (strncmp(line, "format=", 7) == 0) {
        snprintf(fx->fmt_buf, sizeof fx->fmt_buf, "%s", line + 7);
        fx->o.format = fx->fmt_buf;
      } else if (strcmp(line, "strict=1") == 0) {
        fx->o.flags |= TI_OPEN_STRICT;
      } else if (nf < 15) {
        snprintf(fx->fopt_store[nf], sizeof fx->fopt_store[nf], "%s", line);
        fx->fopts[nf] = fx->fopt_store[nf];
        nf++;
      }
    }
    fclose(f);
  }
  if (nf) fx->o.format_options = fx->fopts;
  return 1;
}

static void run(const fixture *fx, run_out *out) {
  memset(out, 0, sizeof *out);
  ti_iter *it = NULL;
  out->open_rc = ti_open(&it, fx->input, &fx->o);
  if (out->open_rc == TI_OK) {
    const ti_state *s;
    ti_state *kept = NULL;
    int rc;
    while ((rc = ti_next(&s, it)) == TI_OK) {
      const char *js;
      size_t len;
      rc = ti_state_json(&js, &len, s, TI_JSON_DELTA);
      if (rc != TI_OK) break;
      sbuf_append(&out->json, js, len);
      sbuf_append(&out->json, "\n", 1);
      out->states++;
      if (!kept && ti_state_dup(&kept, s) != TI_OK) kept = NULL; /* dups allocate too */
    }
    out->end_rc = rc;
    if (rc == TI_DONE) {
      const char *st;
      size_t sl;
      if (ti_stats_json(it, &st, &sl) == TI_OK) sbuf_append(&out->json, st, sl);
      else out->end_rc = TI_ERR_NOMEM;
    }
    ti_state_free(kept);
  } else if (out->open_rc != TI_ERR_NOMEM && !it) {
    out->open_rc = 99; /* *out must be set unless NOMEM */
  }
  ti_free(it);
}

static int allow_swallowed;

static int check_case(const char *casedir, long budget, unsigned long *total_runs) {
  fixture fx;
  if (!load_fixture(&fx, casedir)) return 0;
  run_out ref, r;
  ti_test_fail_after(-1);
  run(&fx, &ref);
  unsigned long calls = ti_test_alloc_calls();
  int bad = 0;
  unsigned long points = calls < (unsigned long)budget ? calls : (unsigned long)budget;
  unsigned long nomem = 0;
  for (unsigned long i = 0; i < points && bad < 3; i++) {
    long n = (long)(points == calls ? i : i * calls / points + (i % 7) % (calls / points + 1));
    if ((unsigned long)n >= calls) n = (long)calls - 1;
    ti_test_fail_after(n);
    run(&fx, &r);
    ti_test_fail_after(-1);
    (*total_runs)++;
    int ok;
    if (r.open_rc == TI_ERR_NOMEM || (r.open_rc == ref.open_rc && r.end_rc == TI_ERR_NOMEM)) {
      ok = 1;
      nomem++;
    } else {
      ok = r.open_rc == ref.open_rc && r.end_rc == ref.end_rc && r.states == ref.states &&
           r.json.len == ref.json.len &&
           (r.json.len == 0 || memcmp(r.json.p, ref.json.p, r.json.len) == 0);
    }
    if (!ok) {
      bad++;
      fprintf(stderr,
              "%s %s: allocation %ld failing: open %d end %d states %zu; clean run: open %d "
              "end %d states %zu%s\n",
              allow_swallowed ? "KNOWN BUG" : "FAIL", casedir, n, r.open_rc, r.end_rc, r.states, ref.open_rc, ref.end_rc, ref.states,
              r.end_rc == ref.end_rc ? " (output differs: a swallowed allocation failure)" : "");
      if (getenv("TI_ALLOC_FAIL_DIFF")) fprintf(stderr, "--- clean\n%s\n--- failing\n%s\n", ref.json.p ? ref.json.p : "", r.json.p ? r.json.p : "");
    }
    sbuf_free(&r.json);
  }
  printf("%-60s %6lu allocations, %4lu failure points, %4lu gave TI_ERR_NOMEM%s\n", casedir,
         calls, points, nomem, bad ? (allow_swallowed ? "  KNOWN BUG" : "  FAIL") : "");
  sbuf_free(&ref.json);
  return bad && !allow_swallowed ? -1 : 1;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  allow_swallowed = argc > 3 && strcmp(argv[3], "--allow-swallowed") == 0;
  const char *env = getenv("TI_ALLOC_FAIL_BUDGET");
  long budget = env && atol(env) > 0 ? atol(env) : (h_slow() ? 40 : 400);
  int failed = 0, cases = 0;
  unsigned long runs = 0;
  char dir[2048];
  snprintf(dir, sizeof dir, "%s/%s", argv[1], argv[2]);
  DIR *d = opendir(dir);
  if (!d) {
    printf("no fixtures in %s: skipped\n", dir);
    return 77;
  }
  char *names[1024];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 1024)
    if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp_str);
  for (size_t i = 0; i < n; i++) {
    char casedir[4096];
    snprintf(casedir, sizeof casedir, "%s/%s", dir, names[i]);
    int rc = check_case(casedir, budget, &runs);
    if (rc < 0) failed++;
    if (rc) cases++;
    free(names[i]);
  }
  printf("%s: %d cases, %lu runs with a failing allocation, %d failed\n", argv[2], cases, runs,
         failed);
  if (cases == 0) return 77;
  return failed ? 1 : 0;
}
