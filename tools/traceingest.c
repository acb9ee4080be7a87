/* SPDX-License-Identifier: MIT */
/* traceingest: the command-line front end. One JSON object per state on
 * stdout (JSONL); errors on stderr with file:line. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <traceingest/traceingest.h>
#include <traceingest/ti-format.h>

static const char usage[] =
    "usage: traceingest [OPTIONS] PATH...\n"
    "\n"
    "Read Claude Code, OpenHands and SWE-smith traces (files or directories)\n"
    "and write one JSON object per assistant turn (a state) to stdout.\n"
    "\n"
    "  -f, --format NAME     skip probing and read every input as NAME\n"
    "  -o, --option KEY=VAL  a format option (repeatable), e.g. -o subagents=1\n"
    "  -d, --delta           export only messages new since the previous state\n"
    "                        of the same trajectory, with \"messages_offset\"\n"
    "  -s, --strict          stop at the first malformed record\n"
    "  -c, --count           print only the number of states\n"
    "      --stats           print one JSON object of counters instead of states\n"
    "      --probe           print each input's format scores instead of states\n"
    "      --no-recurse      do not descend into subdirectories\n"
    "      --no-mmap         read sessions of 64 KiB or more instead of mapping them\n"
    "                        (mapped, a file cut short while it is read stops\n"
    "                        the run with exit status 3)\n"
    "  -j, --threads N       directories: read N traces at a time (same output)\n"
    "      --formats         list the known formats\n"
    "  -q, --quiet           do not print skipped-record errors\n"
    "  -h, --help            this text\n"
    "  -V, --version         the library version\n"
    "\n"
    "Exit status: 0 on success (skipped records are reported but not fatal),\n"
    "1 on a fatal error, 2 on a usage error, 3 when a mapped file was cut short.\n";

typedef struct cli {
  ti_open_options opts;
  uint32_t json_flags;
  int count, stats, probe, quiet, progress;
  const char **fopts;
  size_t nfopts;
  /* summed counters for --stats: names in first-seen order */
  char **names;
  uint64_t *values;
  size_t nstat, cstat;
  uint64_t states_total;
  time_t last_progress;
} cli;

/* A mapped input shrank under the reader (another program truncated or
 * rewrote it). Only async-signal-safe calls here. */
static void on_sigbus(int sig) {
  static const char msg[] = "\ntraceingest: an input file was cut short while it was read "
                            "(mapped); rerun with --no-mmap to read it instead\n";
  (void)sig;
  ssize_t w = write(2, msg, sizeof msg - 1);
  (void)w;
  _exit(3);
}

static void on_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                     uint64_t offset) {
  cli *c = user;
  if (c->quiet) return;
  if (c->progress) fputs("\r\033[K", stderr);
  if (line)
    fprintf(stderr, "traceingest: %s:%llu: %s (%s, byte %llu)\n", file, (unsigned long long)line,
            msg, ti_strerror(code), (unsigned long long)offset);
  else
    fprintf(stderr, "traceingest: %s: %s (%s)\n", file, msg, ti_strerror(code));
}

static int add_stat(cli *c, const char *name, size_t nlen, uint64_t v) {
  for (size_t i = 0; i < c->nstat; i++)
    if (strlen(c->names[i]) == nlen && memcmp(c->names[i], name, nlen) == 0) {
      c->values[i] += v;
      return 0;
    }
  if (c->nstat == c->cstat) {
    size_t n = c->cstat ? c->cstat * 2 : 32;
    char **nn = realloc(c->names, n * sizeof(*nn));
    if (!nn) return -1;
    c->names = nn;
    uint64_t *nv = realloc(c->values, n * sizeof(*nv));
    if (!nv) return -1;
    c->values = nv;
    c->cstat = n;
  }
  char *s = malloc(nlen + 1);
  if (!s) return -1;
  memcpy(s, name, nlen);
  s[nlen] = '\0';
  c->names[c->nstat] = s;
  c->values[c->nstat++] = v;
  return 0;
}

/* Fold one iterator's counters into the totals. */
static void collect_stats(cli *c, ti_iter *it) {
  const char *js;
  size_t n;
  ti_jv root, k, v;
  if (ti_stats_json(it, &js, &n) || ti_json_parse(js, n, 0, &root, NULL)) return;
  ti_json_iter mi;
  ti_json_iter_init(&mi, &root);
  ti_buf key = {0};
  while (ti_json_next_member(&mi, &k, &v)) {
    const char *ks;
    size_t kn;
    int64_t iv;
    if (ti_json_str(&k, &key, &ks, &kn) == TI_OK && ti_json_int(&v, &iv) == TI_OK)
      add_stat(c, ks, kn, (uint64_t)iv);
  }
  ti_buf_free(&key);
}

static void progress(cli *c, ti_iter *it, int force) {
  time_t now = time(NULL);
  if (!force && now == c->last_progress) return;
  c->last_progress = now;
  fprintf(stderr, "\r\033[Ktraceingest: %llu files, %llu states, %llu skipped",
          (unsigned long long)ti_stat(it, "files"), (unsigned long long)ti_stat(it, "states"),
          (unsigned long long)ti_stat(it, "skipped"));
}

static int run_probe(const char *path) {
  const char *names[32];
  int scores[32];
  size_t n = 0;
  int rc = ti_probe_scores(NULL, path, NULL, 0, names, scores, 32, &n);
  if (rc) {
    fprintf(stderr, "traceingest: %s: %s\n", path, ti_strerror(rc));
    return 1;
  }
  ti_buf b = {0};
  ti_buf_puts(&b, "{\"path\":");
  ti_buf_json_string(&b, path, strlen(path));
  ti_buf_puts(&b, ",\"scores\":{");
  for (size_t i = 0; i < n && i < 32; i++) {
    if (i) ti_buf_puts(&b, ",");
    ti_buf_json_string(&b, names[i], strlen(names[i]));
    ti_buf_printf(&b, ":%d", scores[i]);
  }
  ti_buf_puts(&b, "}}\n");
  fwrite(b.p, 1, b.len, stdout);
  ti_buf_free(&b);
  return 0;
}

/* States go out through a ti_writer on stdout: rendered into its buffer,
 * with the long contents of mapped sessions handed to the kernel where they
 * are (no copy). Nothing else goes to stdout while states do. After a write
 * error the output is gone: reading stops. */
static ti_writer *out;

/* One state and its newline. TI_OK, TI_ERR_IO (see ti_writer_errno) or
 * another error of the library. */
static int out_state(const ti_state *s, uint32_t flags) {
  int rc;
  if (!out && (rc = ti_writer_new(&out, STDOUT_FILENO, flags)) != TI_OK) return rc;
  return ti_writer_put(out, s);
}

static int run_path(cli *c, const char *path) {
  ti_iter *it = NULL;
  int rc = strcmp(path, "-") == 0 ? ti_open_fd(&it, 0, &c->opts) : ti_open(&it, path, &c->opts);
  if (rc) {
    if (!it) {
      fprintf(stderr, "traceingest: %s: %s\n", path, ti_strerror(rc));
      return 1;
    }
    /* errors from open are on the handle; the callback printed the
     * positioned ones, options errors have no file */
    if (!ti_error_file(it) || c->quiet)
      fprintf(stderr, "traceingest: %s: %s\n", path, ti_errmsg(it));
    ti_free(it);
    return 1;
  }
  struct stat st;
  int show = c->progress && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  const ti_state *s;
  uint64_t n = 0;
  if (!c->count && !c->stats && !show) {
    /* all at once: with -j N, each thread writes the states it reads */
    if (out || (rc = ti_writer_new(&out, STDOUT_FILENO, c->json_flags)) == TI_OK)
      rc = ti_writer_put_all(out, it, &n);
    if (rc == TI_ERR_IO) rc = TI_DONE; /* reported at the end */
  }
  while (rc == TI_OK && (rc = ti_next(&s, it)) == TI_OK) {
    n++;
    if (!c->count && !c->stats) {
      if ((rc = out_state(s, c->json_flags)) != TI_OK) {
        if (rc == TI_ERR_IO) rc = TI_DONE; /* reported at the end */
        break;
      }
    }
    if (show && (n & 255) == 0) progress(c, it, 0);
  }
  if (show) {
    progress(c, it, 1);
    fputc('\n', stderr);
  }
  c->states_total += n;
  if (c->stats) collect_stats(c, it);
  int fatal = rc < 0;
  ti_free(it);
  return fatal ? 1 : 0;
}

static int list_formats(void) {
  ti_registry *r;
  if (ti_registry_new(&r)) return 1;
  for (size_t i = 0; i < ti_registry_count(r); i++) printf("%s\n", ti_registry_name(r, i));
  ti_registry_free(r);
  return 0;
}

int main(int argc, char **argv) {
  cli c;
  memset(&c, 0, sizeof c);
  ti_open_options_init(&c.opts, sizeof c.opts);
  c.opts.on_error = on_error;
  c.opts.on_error_user = &c;
  /* Files read whole are mapped from 64 KiB: a 64 MB session read costs
   * 64 MB of fresh memory the kernel must zero and a copy of its message
   * contents; mapped, neither (~30% of the run); a directory of smaller
   * sessions is spared the kernel's copy (~8%). The price: a file cut
   * short while mapped raises SIGBUS, caught below. */
  c.opts.flags |= TI_OPEN_MMAP;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigbus;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, NULL);
  c.fopts = calloc((size_t)argc + 1, sizeof(char *));
  if (!c.fopts) return 1;
  int npaths = 0;
  char **paths = calloc((size_t)argc + 1, sizeof(char *));
  int status = 0;
  if (!paths) {
    free(c.fopts);
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      goto done;
    } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
      printf("traceingest %s\n", ti_version_string());
      goto done;
    } else if (!strcmp(a, "--formats")) {
      status = list_formats();
      goto done;
    } else if ((!strcmp(a, "-f") || !strcmp(a, "--format")) && i + 1 < argc) {
      c.opts.format = argv[++i];
    } else if (!strncmp(a, "--format=", 9)) {
      c.opts.format = a + 9;
    } else if ((!strcmp(a, "-o") || !strcmp(a, "--option")) && i + 1 < argc) {
      c.fopts[c.nfopts++] = argv[++i];
    } else if (!strncmp(a, "--option=", 9)) {
      c.fopts[c.nfopts++] = a + 9;
    } else if (!strcmp(a, "-d") || !strcmp(a, "--delta")) {
      c.json_flags |= TI_JSON_DELTA;
    } else if (!strcmp(a, "-s") || !strcmp(a, "--strict")) {
      c.opts.flags |= TI_OPEN_STRICT;
    } else if (!strcmp(a, "-c") || !strcmp(a, "--count")) {
      c.count = 1;
    } else if (!strcmp(a, "--stats")) {
      c.stats = 1;
    } else if (!strcmp(a, "--probe")) {
      c.probe = 1;
    } else if ((!strcmp(a, "-j") || !strcmp(a, "--threads")) && i + 1 < argc) {
      c.opts.threads = (uint32_t)strtoul(argv[++i], NULL, 10);
    } else if (!strncmp(a, "-j", 2) && a[2]) {
      c.opts.threads = (uint32_t)strtoul(a + 2, NULL, 10);
    } else if (!strcmp(a, "--mmap")) { /* the default; kept for old scripts */
      c.opts.flags &= ~TI_OPEN_NO_MMAP;
    } else if (!strcmp(a, "--no-mmap")) {
      c.opts.flags |= TI_OPEN_NO_MMAP;
    } else if (!strcmp(a, "--no-recurse")) {
      c.opts.flags |= TI_OPEN_NO_RECURSE;
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
      c.quiet = 1;
    } else if (!strcmp(a, "--")) {
      while (++i < argc) paths[npaths++] = argv[i];
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "traceingest: unknown or incomplete option %s\n\n%s", a, usage);
      status = 2;
      goto done;
    } else {
      paths[npaths++] = argv[i];
    }
  }
  if (!npaths) {
    fputs(usage, stderr);
    status = 2;
    goto done;
  }
  if (c.nfopts) c.opts.format_options = c.fopts;
  c.progress = isatty(2) && !c.quiet;
  /* A walk frees and regrows similar amounts of memory per trace: keep it
   * mapped rather than trimming and faulting it back in each time. */
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  /* With -j N, one malloc arena per thread. A single shared arena lets a
   * thread reuse what another freed (-j 2 on claude-projects/: ~15% fewer
   * page faults, 18 rather than 22 MB peak RSS), but its lock is then taken
   * by both threads at every trace's setup and teardown, and a thread that
   * finds it held sleeps: ~250 sleeps a run, -j 2 wall 167 -> 149 ms
   * (median of 20 alternated runs) with an arena each. */
  mallopt(M_ARENA_MAX, c.opts.threads > 1 ? (int)(c.opts.threads < 64 ? c.opts.threads : 64) : 1);
  for (int i = 0; i < npaths; i++) {
    if (c.probe) status |= run_probe(paths[i]);
    else status |= run_path(&c, paths[i]);
  }
  if (c.count) printf("%llu\n", (unsigned long long)c.states_total);
  if (c.stats) {
    putchar('{');
    for (size_t i = 0; i < c.nstat; i++) {
      ti_buf k = {0};
      ti_buf_json_string(&k, c.names[i], strlen(c.names[i]));
      printf("%s%s:%llu", i ? "," : "", k.p, (unsigned long long)c.values[i]);
      ti_buf_free(&k);
      free(c.names[i]);
    }
    puts("}");
  }
  free(c.names);
  free(c.values);
  if (out) ti_writer_flush(out);
  int werr = ti_writer_errno(out);
  ti_writer_free(out);
  if (werr == EFAULT) { /* writev met a mapped input cut short */
    fprintf(stderr, "traceingest: an input file was cut short while it was read (mapped); "
                    "rerun with --no-mmap to read it instead\n");
    status = 3;
  } else if (werr && werr != EPIPE) {
    fprintf(stderr, "traceingest: stdout: %s\n", strerror(werr));
    status = 1;
  } else if (fflush(stdout) != 0 && errno != EPIPE) {
    perror("traceingest: stdout");
    status = 1;
  }
done:
  free(c.fopts);
  free(paths);
  return status;
}
