/* SPDX-License-Identifier: MIT */
/* Directory walking: sorted, deterministic, depth first. A directory a
 * format claims (probe_dir) is one trace; other directories are entered
 * (once each: symlink loops are cut by device and inode). */
#include <string.h>
#include <sys/stat.h>

#include "core.h"

static void free_frame(ti_walk_frame *f) {
  for (size_t i = 0; i < f->n; i++) ti_mem_free(f->names[i]);
  ti_mem_free(f->names);
  ti_mem_free(f->types);
  ti_mem_free(f->dir);
}

void ti_walk_free(ti_iter *it) {
  for (size_t i = 0; i < it->nframes; i++) free_frame(&it->frames[i]);
  ti_mem_free(it->frames);
  ti_mem_free(it->seen);
  it->frames = NULL;
  it->seen = NULL;
  it->nframes = it->cframes = it->nseen = it->cseen = 0;
}

/* 1 if already visited, 0 if newly recorded, <0 on NOMEM. */
static int visit(ti_iter *it, const struct stat *st) {
  for (size_t i = 0; i < it->nseen; i++)
    if (it->seen[i].dev == (uint64_t)st->st_dev && it->seen[i].ino == (uint64_t)st->st_ino) return 1;
  if (it->nseen == it->cseen) {
    size_t c = it->cseen ? it->cseen * 2 : 16;
    void *v = ti_mem_realloc(it->seen, c * sizeof(*it->seen));
    if (!v) return TI_ERR_NOMEM;
    it->seen = v;
    it->cseen = c;
  }
  it->seen[it->nseen].dev = (uint64_t)st->st_dev;
  it->seen[it->nseen].ino = (uint64_t)st->st_ino;
  it->nseen++;
  return 0;
}

static int push_dir(ti_iter *it, const char *dir) {
  ti_walk_frame f = {0};
  int rc = ti_list_dir_sorted(dir, &f.names, &f.n, &f.types);
  if (rc == TI_ERR_IO) {
    it->n_skipped++;
    ti_iter_errorf(it, TI_ERR_IO, dir, 0, 0, "cannot read directory");
    return TI_OK;
  }
  if (rc) return rc;
  if (!(f.dir = ti_strdup(dir))) {
    free_frame(&f);
    return TI_ERR_NOMEM;
  }
  if (it->nframes == it->cframes) {
    size_t c = it->cframes ? it->cframes * 2 : 8;
    ti_walk_frame *v = ti_mem_realloc(it->frames, c * sizeof(*v));
    if (!v) {
      free_frame(&f);
      return TI_ERR_NOMEM;
    }
    it->frames = v;
    it->cframes = c;
  }
  it->frames[it->nframes++] = f;
  return TI_OK;
}

static int claimed_dir(ti_iter *it, const char *path) {
  size_t n = ti_registry_count(it->reg);
  int scores[64], *sc = n <= 64 ? scores : ti_mem_calloc(n, sizeof(int));
  if (!sc) return 0;
  int best, winner, tie;
  ti_registry_probe_dir(it->reg, path, sc, &best, &winner, &tie);
  if (sc != scores) ti_mem_free(sc);
  return best >= (int)it->min_score;
}

/* Sets *path (owned by the iterator until the next call) and
 * *is_dir_trace. Returns TI_OK, TI_DONE or TI_ERR_NOMEM. */
int ti_walk_next(ti_iter *it, char **path, int *is_dir_trace) {
  *is_dir_trace = 0;
  ti_mem_free(it->cur_path);
  it->cur_path = NULL;
  if (!it->root_done) {
    it->root_done = 1;
    if (!it->root_is_dir) {
      if (!(it->cur_path = ti_strdup(it->root))) return TI_ERR_NOMEM;
      *path = it->cur_path;
      return TI_OK;
    }
    if (claimed_dir(it, it->root)) {
      if (!(it->cur_path = ti_strdup(it->root))) return TI_ERR_NOMEM;
      *is_dir_trace = 1;
      *path = it->cur_path;
      return TI_OK;
    }
    struct stat st;
    if (stat(it->root, &st) == 0 && visit(it, &st) < 0) return TI_ERR_NOMEM;
    int rc = push_dir(it, it->root);
    if (rc) return rc;
  }
  ti_buf full = {0};
  while (it->nframes) {
    ti_walk_frame *f = &it->frames[it->nframes - 1];
    if (f->i == f->n) {
      free_frame(f);
      it->nframes--;
      continue;
    }
    int reg = f->types && f->types[f->i] == TI_DIRENT_REG;
    const char *name = f->names[f->i++];
    ti_buf_reset(&full);
    int brc = ti_buf_puts(&full, f->dir);
    if (!brc && full.len && full.p[full.len - 1] != '/') brc = ti_buf_puts(&full, "/");
    if (brc || ti_buf_puts(&full, name)) {
      ti_buf_free(&full);
      return TI_ERR_NOMEM;
    }
    if (reg) { /* the directory says so: no stat (a path lookup) for a file */
      it->cur_path = full.p;
      *path = full.p;
      return TI_OK;
    }
    struct stat st;
    if (stat(full.p, &st) != 0) {
      it->n_skipped++;
      ti_iter_errorf(it, TI_ERR_IO, full.p, 0, 0, "cannot stat (dangling link?)");
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (claimed_dir(it, full.p)) {
        *is_dir_trace = 1;
        it->cur_path = full.p;
        *path = full.p;
        return TI_OK;
      }
      if (it->flags & TI_OPEN_NO_RECURSE) continue;
      int v = visit(it, &st);
      if (v < 0) {
        ti_buf_free(&full);
        return TI_ERR_NOMEM;
      }
      if (v) continue; /* a loop, or a second link to a directory already walked */
      int rc = push_dir(it, full.p);
      if (rc) {
        ti_buf_free(&full);
        return rc;
      }
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    it->cur_path = full.p;
    *path = full.p;
    return TI_OK;
  }
  ti_buf_free(&full);
  return TI_DONE;
}
