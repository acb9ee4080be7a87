/* SPDX-License-Identifier: MIT */
/* Helpers of the hostile-input suite (see hostile.h). */
#include "hostile.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void on_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                     uint64_t offset) {
  h_result *r = user;
  if (r->nerr < H_MAX_ERR) {
    h_err *e = &r->err[r->nerr];
    e->code = code;
    e->line = line;
    e->offset = offset;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    snprintf(e->msg, sizeof e->msg, "%s", msg ? msg : "");
  }
  r->nerr++;
}

static void start(h_result *r, ti_open_options *oo, const h_opts *o) {
  memset(r, 0, sizeof *r);
  ti_open_options_init(oo, sizeof *oo);
  if (o) {
    oo->format = o->format;
    oo->flags = o->flags;
    oo->max_record_bytes = o->max_record_bytes;
    oo->max_depth = o->max_depth;
    if (o->stat_name) snprintf(r->stat_name, sizeof r->stat_name, "%s", o->stat_name);
  }
  oo->on_error = on_error;
  oo->on_error_user = r;
}

static void drain(h_result *r, ti_iter *it) {
  if (r->open_rc == TI_OK) {
    const ti_state *s;
    int rc;
    while ((rc = ti_next(&s, it)) == TI_OK) {
      const char *js;
      size_t len;
      if (ti_state_json(&js, &len, s, 0) == TI_OK) {
        ti_buf_append(&r->json, js, len);
        ti_buf_append(&r->json, "\n", 1);
      }
      r->states++;
    }
    r->end_rc = rc;
  }
  if (it) {
    r->skipped = ti_stat(it, "skipped");
    r->records = ti_stat(it, "records");
    r->files = ti_stat(it, "files");
    r->files_skipped = ti_stat(it, "files_skipped");
    if (r->stat_name[0]) r->stat_value = ti_stat(it, r->stat_name);
    const char *f = ti_format_name(it);
    snprintf(r->format, sizeof r->format, "%s", f ? f : "");
  }
  if (!r->json.p) ti_buf_append(&r->json, "", 0);
  ti_free(it);
}

void h_run_mem(h_result *r, const void *buf, size_t len, const h_opts *o) {
  ti_open_options oo;
  start(r, &oo, o);
  ti_iter *it = NULL;
  r->open_rc = ti_open_memory(&it, buf, len, &oo);
  drain(r, it);
}

void h_run_path(h_result *r, const char *path, const h_opts *o) {
  ti_open_options oo;
  start(r, &oo, o);
  ti_iter *it = NULL;
  r->open_rc = ti_open(&it, path, &oo);
  drain(r, it);
}

void h_result_free(h_result *r) { ti_buf_free(&r->json); }

void h_dump(const char *what, const h_result *r) {
  fprintf(stderr, "[%s] open=%d end=%d states=%zu errors=%zu skipped=%llu records=%llu "
          "files=%llu files_skipped=%llu format=%s %s=%llu\n",
          what, r->open_rc, r->end_rc, r->states, r->nerr, (unsigned long long)r->skipped,
          (unsigned long long)r->records, (unsigned long long)r->files,
          (unsigned long long)r->files_skipped, r->format, r->stat_name,
          (unsigned long long)r->stat_value);
  for (size_t i = 0; i < r->nerr && i < H_MAX_ERR; i++)
    fprintf(stderr, "   error %d line %llu offset %llu file %s: %s\n", r->err[i].code,
            (unsigned long long)r->err[i].line, (unsigned long long)r->err[i].offset,
            r->err[i].file, r->err[i].msg);
}

char *h_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/ti-hostile-XXXXXX", base && *base ? base : "/tmp");
  char *d = mkdtemp(tmpl);
  return d ? strdup(d) : NULL;
}

void h_rmtree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    chmod(path, 0700);
    DIR *d = opendir(path);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        h_rmtree(sub);
      }
      closedir(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

int h_write_file(const char *path, const void *buf, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return close(fd);
}

int h_slow(void) {
  const char *v = getenv("TI_UNDER_VALGRIND");
  return v && *v && strcmp(v, "0") != 0;
}
