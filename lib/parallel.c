/* SPDX-License-Identifier: MIT */
/* Directory walks with worker threads. The walk lists the traces first;
 * workers take them in order, each through a private "shell" iterator
 * (own plugin context, counters and errors), and record what they produce
 * as events: detached states and errors. The caller's thread hands the
 * events out strictly in trace order, so the output is the same as
 * without threads; a trace's counters join the iterator's when its last
 * event has been handed out. Workers stay at most a window of traces ahead
 * of the consumer, which bounds memory. */
#include <pthread.h>
#include <string.h>

#include "core.h"

typedef struct ti_event {
  ti_state *state; /* NULL: an error event */
  int code;
  char *msg, *file;
  uint64_t line, offset;
} ti_event;

typedef struct ti_job {
  char *path;
  int is_dir;
  ti_event *ev;
  size_t nev, cev;
  int done;
  int status;     /* a fatal status for the whole walk (strict, NOMEM) */
  ti_iter *shell; /* kept until consumed, for its counters */
} ti_job;

typedef struct ti_par {
  pthread_mutex_t mu;
  pthread_cond_t cv_main, cv_work;
  ti_job *jobs;
  size_t njobs, next_job, cur, cur_ev;
  pthread_t *threads;
  unsigned nthreads;
  size_t window; /* how far workers may run ahead of the consumer, in traces */
  int stop;
  int consumer_waiting; /* wake the consumer only when it waits */
  ti_iter *parent;
  ti_state *handed; /* the state handed out last; freed on the next call */
} ti_par;

static void free_event(ti_event *e) {
  if (e->state) {
    ti_state_release(e->state);
    ti_mem_free(e->state);
  }
  ti_mem_free(e->msg);
  ti_mem_free(e->file);
}

/* Events a worker has made but not yet published: published in batches,
 * one lock round per batch rather than per state. */
#define TI_EVENT_BATCH 32
typedef struct err_sink {
  ti_par *par;
  ti_job *job;
  ti_event pending[TI_EVENT_BATCH];
  size_t npending;
  int failed; /* an event was lost for lack of memory */
} err_sink;

static void publish(err_sink *k) {
  ti_par *p = k->par;
  ti_job *j = k->job;
  if (!k->npending) return;
  pthread_mutex_lock(&p->mu);
  if (j->cev - j->nev < k->npending) {
    size_t c = j->cev ? j->cev : 64;
    while (c - j->nev < k->npending) c *= 2;
    ti_event *v = ti_mem_realloc(j->ev, c * sizeof(*v));
    if (v) {
      j->ev = v;
      j->cev = c;
    }
  }
  size_t room = j->cev - j->nev, n = k->npending < room ? k->npending : room;
  memcpy(j->ev + j->nev, k->pending, n * sizeof(*k->pending));
  j->nev += n;
  if (p->consumer_waiting) pthread_cond_signal(&p->cv_main);
  pthread_mutex_unlock(&p->mu);
  for (size_t i = n; i < k->npending; i++) { /* no room: dropped, the job fails */
    free_event(&k->pending[i]);
    k->failed = 1;
  }
  k->npending = 0;
}

static void push_event(err_sink *k, const ti_event *e) {
  k->pending[k->npending++] = *e;
  if (k->npending == TI_EVENT_BATCH) publish(k);
}

static void record_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                         uint64_t offset) {
  err_sink *k = user;
  ti_event e = {NULL, code, ti_strdup(msg), ti_strdup(file), line, offset};
  if (!e.msg || !e.file) {
    free_event(&e);
    k->failed = 1;
    return;
  }
  push_event(k, &e);
}

static ti_iter *shell_new(const ti_iter *parent, err_sink *sink) {
  ti_iter *sh = ti_iter_new();
  if (!sh) return NULL;
  sh->flags = parent->flags;
  sh->min_score = parent->min_score;
  sh->max_depth = parent->max_depth;
  sh->probe_bytes = parent->probe_bytes;
  sh->max_record = parent->max_record;
  sh->format = parent->format; /* borrowed: cleared before ti_free */
  sh->fopts = parent->fopts;
  sh->reg = parent->reg;
  sh->src = TI_SRC_PATH;
  sh->root_is_dir = 1; /* failures of one trace are not fatal, as in a walk */
  sh->root_done = 1;
  sh->on_error = record_error;
  sh->on_error_user = sink;
  return sh;
}

static void shell_free(ti_iter *sh) {
  if (!sh) return;
  sh->format = NULL;
  sh->fopts = NULL;
  ti_free(sh);
}

/* What a worker keeps from one trace to the next: a recycled context and
 * log (see ti_ctx_free), moved into each job's shell and back out. */
typedef struct worker_cache {
  struct ti_plugin_ctx *ctx;
  ti_log *log;
} worker_cache;

static void run_job(ti_par *p, ti_job *j, worker_cache *wc) {
  err_sink sink;
  sink.par = p;
  sink.job = j;
  sink.npending = 0;
  sink.failed = 0;
  ti_iter *sh = shell_new(p->parent, &sink);
  if (sh) {
    sh->spare_ctx = wc->ctx;
    sh->spare_log = wc->log;
    wc->ctx = NULL;
    wc->log = NULL;
  }
  int rc = sh ? ti_iter_start_trace(sh, j->path, j->is_dir) : TI_ERR_NOMEM;
  while (rc >= 0 && sh->ctx) {
    rc = ti_iter_pull(sh);
    if (rc != TI_OK) continue;
    ti_event e = {NULL, 0, NULL, NULL, 0, 0};
    rc = ti_state_dup(&e.state, &sh->state);
    if (!rc) {
      e.state->owned = 0; /* handed out as borrowed: ti_state_free refuses it */
      push_event(&sink, &e);
    }
  }
  publish(&sink);
  if (sink.failed && rc >= 0) rc = TI_ERR_NOMEM;
  if (sh) {
    sh->on_error = NULL; /* the sink dies with this frame */
    wc->ctx = sh->spare_ctx;
    wc->log = sh->spare_log;
    sh->spare_ctx = NULL;
    sh->spare_log = NULL;
  }
  pthread_mutex_lock(&p->mu);
  j->status = rc < 0 ? rc : TI_OK;
  j->shell = sh;
  j->done = 1;
  pthread_cond_broadcast(&p->cv_main);
  pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg) {
  ti_par *p = arg;
  size_t window = p->window;
  worker_cache wc = {NULL, NULL};
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->next_job < p->njobs && p->next_job >= p->cur + window)
      pthread_cond_wait(&p->cv_work, &p->mu);
    if (p->stop || p->next_job >= p->njobs) break;
    ti_job *j = &p->jobs[p->next_job++];
    pthread_mutex_unlock(&p->mu);
    run_job(p, j, &wc);
    pthread_mutex_lock(&p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  if (wc.ctx) ti_ctx_destroy(wc.ctx);
  ti_log_unref(wc.log);
  return NULL;
}

/* List every trace of the walk up front (paths only). */
static int collect(ti_iter *it, ti_par *p) {
  size_t cap = 0;
  for (;;) {
    char *path;
    int is_dir;
    int rc = ti_walk_next(it, &path, &is_dir);
    if (rc == TI_DONE) return TI_OK;
    if (rc) return rc;
    if (p->njobs == cap) {
      size_t c = cap ? cap * 2 : 64;
      ti_job *v = ti_mem_realloc(p->jobs, c * sizeof(*v));
      if (!v) return TI_ERR_NOMEM;
      p->jobs = v;
      cap = c;
    }
    ti_job *j = &p->jobs[p->njobs];
    memset(j, 0, sizeof(*j));
    if (!(j->path = ti_strdup(path))) return TI_ERR_NOMEM;
    j->is_dir = is_dir;
    p->njobs++;
  }
}

static int par_start(ti_iter *it) {
  ti_par *p = ti_mem_calloc(1, sizeof(*p));
  if (!p) return TI_ERR_NOMEM;
  it->par = p;
  p->parent = it;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv_main, NULL);
  pthread_cond_init(&p->cv_work, NULL);
  int rc = collect(it, p);
  if (rc) return rc;
  p->threads = ti_mem_calloc(it->threads, sizeof(*p->threads));
  if (!p->threads) return TI_ERR_NOMEM;
  p->window = 4 * (size_t)it->threads;
  for (unsigned i = 0; i < it->threads; i++) {
    if (pthread_create(&p->threads[i], NULL, worker, p) != 0) break;
    p->nthreads++;
  }
  if (!p->nthreads) return TI_ERR_NOMEM;
  return TI_OK;
}

static void merge_counters(ti_iter *it, const ti_iter *sh) {
  it->n_files += sh->n_files;
  it->n_files_skipped += sh->n_files_skipped;
  it->n_trajectories += sh->n_trajectories;
  it->n_records += sh->n_records;
  it->n_states += sh->n_states;
  it->n_messages += sh->n_messages;
  it->n_skipped += sh->n_skipped;
  for (size_t i = 0; i < sh->counters.n; i++)
    ti_counter_add(&it->counters, sh->counters.v[i].name, sh->counters.v[i].value);
  if (sh->last_format) it->last_format = sh->last_format;
}

static void stop_workers(ti_par *p) {
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->cv_work);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  p->nthreads = 0;
}

int ti_par_next(ti_iter *it, const ti_state **out) {
  ti_par *p = it->par;
  if (!p) {
    int rc = par_start(it);
    if (rc) return it->status = rc;
    p = it->par;
  }
  if (p->handed) {
    ti_state_release(p->handed);
    ti_mem_free(p->handed);
    p->handed = NULL;
  }
  pthread_mutex_lock(&p->mu);
  while (p->cur < p->njobs) {
    ti_job *j = &p->jobs[p->cur];
    while (p->cur_ev >= j->nev && !j->done) {
      p->consumer_waiting = 1;
      pthread_cond_wait(&p->cv_main, &p->mu);
      p->consumer_waiting = 0;
    }
    if (p->cur_ev < j->nev) {
      ti_event e = j->ev[p->cur_ev];
      memset(&j->ev[p->cur_ev], 0, sizeof(e));
      p->cur_ev++;
      pthread_mutex_unlock(&p->mu);
      if (e.state) {
        const ti_format_ops *ops = ti_registry_find(it->reg, ti_state_format(e.state));
        if (ops) it->last_format = ops->name;
        p->handed = e.state;
        *out = e.state;
        return TI_OK;
      }
      ti_iter_errorf(it, e.code, e.file, e.line, e.offset, "%s", e.msg);
      free_event(&e);
      pthread_mutex_lock(&p->mu);
      continue;
    }
    /* the job is done and fully handed out */
    int status = j->status;
    if (j->shell) merge_counters(it, j->shell);
    shell_free(j->shell);
    j->shell = NULL;
    p->cur++;
    p->cur_ev = 0;
    pthread_cond_broadcast(&p->cv_work);
    if (status < 0) {
      pthread_mutex_unlock(&p->mu);
      stop_workers(p);
      return it->status = status;
    }
  }
  pthread_mutex_unlock(&p->mu);
  return it->status = TI_DONE;
}

void ti_par_free(ti_iter *it) {
  ti_par *p = it->par;
  if (!p) return;
  stop_workers(p);
  for (size_t i = 0; i < p->njobs; i++) {
    ti_job *j = &p->jobs[i];
    for (size_t k = 0; k < j->nev; k++) free_event(&j->ev[k]);
    ti_mem_free(j->ev);
    ti_mem_free(j->path);
    shell_free(j->shell);
  }
  ti_mem_free(p->jobs);
  ti_mem_free(p->threads);
  if (p->handed) {
    ti_state_release(p->handed);
    ti_mem_free(p->handed);
  }
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv_main);
  pthread_cond_destroy(&p->cv_work);
  ti_mem_free(p);
  it->par = NULL;
}
