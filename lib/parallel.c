/* SPDX-License-Identifier: MIT */
/* Directory walks with worker threads. The walk lists the traces first;
 * each is run by one thread through a private "shell" iterator (own plugin
 * context, counters and errors), which records what it produces as events:
 * states, moved out of the shell (no copy), and errors. Events are
 * published in batches, one lock round per batch. The caller's thread
 * hands the events out strictly in trace order, so the output is the same
 * as without threads; a trace's counters join the iterator's when its last
 * event has been handed out.
 *
 * With `threads` = N there are N - 1 worker threads and the caller's thread
 * is the N-th reader: when the trace it must hand out next has nothing
 * ready, it reads a trace itself (and hands out the states of its own trace
 * as it makes them when that trace comes next), so N threads share N cores
 * rather than N + 1. Threads stay at most a window of traces ahead of the
 * consumer, which bounds memory.
 *
 * Memory goes round rather than through the allocator: a batch, once handed
 * out, returns to the workers with the string buffers of its events; the
 * consumer renders every state into the same export buffer; and a message
 * log whose last state has been handed out goes back to the workers for the
 * next trace, as one thread reuses its log from trace to trace.
 *
 * ti_writer_put_all (ti_par_drain) hands nothing over but the turn: each
 * reader renders the states it reads with a writer of its own (a sub writer
 * of the caller's), and its log stays with it as in one thread. The trace
 * whose output goes next is out_head; its reader writes, the others hold
 * what they render (copied, writer.c) until their trace's turn comes, or
 * leave it on the job, done, for the reader of the trace before to write
 * when it gets there. Only errors go through events to the consumer, which
 * reports them and merges counters in trace order as for ti_next. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "core.h"

enum { EV_NONE, EV_STATE, EV_ERROR };

typedef struct ti_event {
  int kind;
  int code;
  const char *format; /* EV_STATE: the format's name, for ti_format_name */
  /* EV_STATE: the state. st.strs belongs to the slot whatever the kind: a
   * buffer moves in and out with each state, so it is reused. */
  ti_state st;
  char *msg, *file; /* EV_ERROR */
  uint64_t line, offset;
} ti_event;

#define TI_EVENT_BATCH 32
typedef struct ti_batch {
  struct ti_batch *next;
  size_t n; /* events filled */
  ti_event ev[TI_EVENT_BATCH];
} ti_batch;

typedef struct ti_job {
  char *path;
  int is_dir;
  size_t size;           /* bytes of the file, once read (0: unknown) */
  ti_batch *head, *tail; /* published, not yet taken by the consumer */
  int done;
  int status;     /* a fatal status for the whole walk (strict, NOMEM) */
  ti_iter *shell; /* kept until consumed, for its counters */
  struct runner *by;        /* the runner that read it */
  struct ti_job *dead_next; /* on by's list of shells to free */
  /* Rendering (ti_par_drain): the trace's output, if it was finished
   * before its turn to be written came. */
  size_t idx;
  int out_done;
  uint64_t out_states; /* states in `out` */
  int out_last; /* the trace failed the walk: nothing after it is written */
  ti_wseg *out;
  size_t out_bytes;
} ti_job;

struct ti_par;

/* One thread's reading of one trace at a time; what it keeps from one trace
 * to the next (a recycled context and log) moves into each shell and back. */
typedef struct runner {
  struct ti_par *par;
  ti_job *job; /* NULL: idle */
  ti_iter *sh;
  ti_batch *b;  /* events not published yet */
  size_t taken; /* the consumer's own current trace: events of b handed out */
  int rc, failed;
  size_t size; /* of the trace being read */
  struct ti_plugin_ctx *ctx;
  ti_log *log;
  /* Consumed traces whose shells this runner made: it frees them itself,
   * as their memory came from its thread's allocator arena (freeing it from
   * another thread takes that arena's lock while its owner allocates). */
  _Atomic(ti_job *) dead;
  ti_writer *w;      /* rendering: this thread's writer, working for the sink */
  int at_head;       /* rendering: r's trace is written next, w writes */
  uint64_t rendered; /* rendering: states of the current trace */
  ti_buf json, strs; /* rendering: the shells' state buffers, kept between traces */
} runner;

#define TI_SPARE_LOGS 2
#define TI_SPARE_BATCHES 64
#define TI_KEEP_STRS (64u << 10) /* larger string buffers are not recycled */
/* How far readers may run ahead of the consumer: traces per thread, and
 * bytes of finished traces not yet handed out, per thread. */
#define TI_WINDOW_TRACES 8
#define TI_WINDOW_BYTES ((size_t)16 << 20)
/* Rendering: output held (in the readers' writers and on done jobs) beyond
 * which a reader whose trace's turn has not come waits for it. The output
 * of one trace can be far larger than its input (whole states of a long
 * session), and nothing else bounds what a reader piles up while another
 * writes. */
#define TI_HOLD_MAX ((size_t)64 << 20)
#ifdef TI_TESTING
size_t ti_test_hold_max = TI_HOLD_MAX, ti_test_held_peak;
#define HOLD_MAX ti_test_hold_max
#else
#define HOLD_MAX TI_HOLD_MAX
#endif

typedef struct ti_par {
  pthread_mutex_t mu;
  pthread_cond_t cv_main, cv_work;
  ti_job **jobs; /* each job stays put while the list grows */
  size_t njobs, cjobs, next_job, cur;
  int listed;    /* the walk has listed every trace */
  pthread_t *threads;
  runner *runners; /* one per worker thread */
  unsigned nthreads;
  size_t window;      /* how far readers may run ahead of the consumer, in traces */
  size_t ahead_bytes; /* size of the finished traces not handed out yet */
  size_t budget;      /* ... beyond which readers wait */
  atomic_int stop;
  int consumer_waiting; /* wake the consumer only when it waits */
  atomic_size_t seq;    /* bumped by every publish and trace end */
  ti_batch *free_batches;
  size_t nfree;
  ti_log *logs[TI_SPARE_LOGS]; /* logs nobody references, for reuse */
  size_t nlogs;
  ti_iter *parent;
  /* the consumer's side (the caller's thread only) */
  size_t seen_seq;
  int recheck;   /* the current trace may have events seq does not tell of */
  ti_batch *cb;  /* batch being handed out */
  size_t cb_i;
  runner own;    /* the trace the consumer reads itself, if any */
  ti_state hand; /* the state handed out last */
  int handed;
  /* Rendering (ti_par_drain): each reader renders the states it reads into
   * its own writer; the trace whose output is written next is out_head
   * (guarded by mu, read without it by the reader of that trace). */
  ti_writer *sink;
  _Atomic size_t out_head; /* SIZE_MAX: the walk failed, nothing more is written */
  _Atomic size_t held_done; /* bytes of `out` on done jobs */
  pthread_cond_t cv_out;    /* out_head moved */
  uint64_t out_states; /* states written (guarded by mu) */
#ifdef __linux__
  cpu_set_t cpus; /* the CPUs the walk may run on, for workers started elsewhere */
  int cpus_set;
#endif
} ti_par;

static void event_clear(ti_event *e) {
  if (e->kind == EV_STATE) ti_log_unref(e->st.log);
  e->st.log = NULL;
  if (e->kind == EV_ERROR) {
    ti_mem_free(e->msg);
    ti_mem_free(e->file);
    e->msg = e->file = NULL;
  }
  e->kind = EV_NONE;
}

static void batch_free(ti_batch *b) {
  for (size_t i = 0; i < TI_EVENT_BATCH; i++) {
    if (i < b->n) event_clear(&b->ev[i]);
    ti_buf_free(&b->ev[i].st.strs);
  }
  ti_mem_free(b);
}

static void batch_list_free(ti_batch *b) {
  while (b) {
    ti_batch *n = b->next;
    batch_free(b);
    b = n;
  }
}

/* ---- the reading side ----------------------------------------------------- */

/* With the lock held: queue r's events on its job, take a fresh batch. */
static void publish_locked(runner *r) {
  ti_par *p = r->par;
  ti_batch *b = r->b;
  if (!b) return;
  if (b->n <= r->taken) { /* nothing left to publish: reuse in place */
    b->n = 0;
    r->taken = 0;
    return;
  }
  ti_job *j = r->job;
  b->next = NULL;
  if (j->tail)
    j->tail->next = b;
  else
    j->head = b;
  j->tail = b;
  r->b = p->free_batches;
  if (r->b) {
    p->free_batches = r->b->next;
    p->nfree--;
    r->b->n = 0;
  }
  r->taken = 0;
  atomic_fetch_add_explicit(&p->seq, 1, memory_order_release);
  if (p->consumer_waiting) pthread_cond_signal(&p->cv_main);
}

static void publish(runner *r) {
  pthread_mutex_lock(&r->par->mu);
  publish_locked(r);
  pthread_mutex_unlock(&r->par->mu);
}

/* The next free event slot of r (its n not yet counted), or NULL. */
static ti_event *slot(runner *r) {
  if (r->b && r->b->n == TI_EVENT_BATCH) publish(r);
  if (!r->b && !(r->b = ti_mem_calloc(1, sizeof(*r->b)))) return NULL;
  return &r->b->ev[r->b->n];
}

static void record_error(void *user, int code, const char *msg, const char *file, uint64_t line,
                         uint64_t offset) {
  runner *r = user;
  char *m = ti_strdup(msg), *f = ti_strdup(file);
  ti_event *e = m && f ? slot(r) : NULL;
  if (!e) {
    ti_mem_free(m);
    ti_mem_free(f);
    r->failed = 1; /* an event lost: the trace fails */
    return;
  }
  e->kind = EV_ERROR;
  e->code = code;
  e->msg = m;
  e->file = f;
  e->line = line;
  e->offset = offset;
  r->b->n++;
}

/* Move the shell's state into an event: its log reference and strings go
 * with it, and the shell gets the slot's old string buffer. */
static int push_state(runner *r) {
  ti_event *e = slot(r);
  if (!e) return TI_ERR_NOMEM;
  ti_state *s = &r->sh->state;
  ti_buf spare = e->st.strs;
  /* The spine is never reallocated from now on, so another thread may read
   * the state while the shell goes on (as for ti_state_dup). The next
   * states share it: written once, as the consumer may be reading it. */
  if (!s->spine->pinned) s->spine->pinned = 1;
  e->st = *s;
  ti_buf_init(&e->st.json);
  e->st.owned = 0; /* handed out as borrowed: ti_state_free refuses it */
  e->kind = EV_STATE;
  e->format = r->sh->cur_ops ? r->sh->cur_ops->name : NULL;
  r->b->n++;
  s->log = NULL; /* moved, as are the strings: the next state starts afresh */
  s->strs = spare;
  s->spine = NULL;
  s->action = NULL;
  r->sh->have_state = 0;
  return TI_OK;
}

/* Rendering: write the shell's state with r's writer and drop it (the log
 * stays with the shell, as in one thread). Once r's trace is the one whose
 * output is written next, the writer writes what it held and goes on
 * writing. */
static int render_state(runner *r) {
  ti_par *p = r->par;
  ti_iter *sh = r->sh;
  int rc = TI_OK;
  size_t head = r->at_head ? r->job->idx : atomic_load_explicit(&p->out_head, memory_order_acquire);
  if (head == SIZE_MAX) goto done; /* the walk failed: never written */
  if (!r->at_head && head == r->job->idx) {
    r->at_head = 1;
    rc = ti_writer_unhold(r->w);
  }
  if (rc == TI_OK && (rc = ti_writer_put(r->w, &sh->state)) == TI_OK) r->rendered++;
  if (rc == TI_OK && !r->at_head) {
    size_t held = ti_writer_held(r->w) + atomic_load_explicit(&p->held_done, memory_order_relaxed);
#ifdef TI_TESTING
    if (held > ti_test_held_peak) ti_test_held_peak = held;
#endif
    if (held > HOLD_MAX) { /* wait for this trace's turn, then write */
      pthread_mutex_lock(&p->mu);
      while ((head = atomic_load_explicit(&p->out_head, memory_order_relaxed)) != r->job->idx &&
             head != SIZE_MAX && !atomic_load_explicit(&p->stop, memory_order_relaxed))
        pthread_cond_wait(&p->cv_out, &p->mu);
      pthread_mutex_unlock(&p->mu);
      if (head == r->job->idx) {
        r->at_head = 1;
        rc = ti_writer_unhold(r->w);
      }
    }
  }
done:
  ti_state_clear(&sh->state);
  sh->have_state = 0;
  return rc;
}

static ti_iter *shell_new(const ti_iter *parent, runner *r) {
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
  sh->on_error_user = r;
  return sh;
}

static void shell_free(ti_iter *sh) {
  if (!sh) return;
  sh->format = NULL;
  sh->fopts = NULL;
  ti_free(sh);
}

/* Free the shells of a list taken from runner->dead (without the lock). */
static void free_dead(ti_job *j) {
  while (j) {
    ti_job *n = j->dead_next;
    shell_free(j->shell);
    j->shell = NULL;
    j = n;
  }
}

/* Start reading job j on r (without the lock). */
static void runner_begin(runner *r, ti_job *j) {
  r->job = j;
  j->by = r;
  r->failed = 0;
  r->taken = 0;
  r->at_head = 0;
  r->rendered = 0;
  ti_iter *sh = r->sh = shell_new(r->par->parent, r);
  if (sh) {
    sh->spare_ctx = r->ctx;
    sh->spare_log = r->log;
    sh->state.json = r->json;
    sh->state.strs = r->strs;
    r->ctx = NULL;
    r->log = NULL;
    ti_buf_init(&r->json);
    ti_buf_init(&r->strs);
  }
  r->rc = sh ? ti_iter_start_trace(sh, j->path, j->is_dir) : TI_ERR_NOMEM;
  r->size = sh && sh->ctx ? sh->ctx->in.size_hint : 0;
  if (r->par->sink && !r->w && r->rc >= 0 && ti_writer_sub(&r->w, r->par->sink) != TI_OK)
    r->rc = TI_ERR_NOMEM;
}

/* Read on until the trace emits one more state or ends: 1 while it goes on. */
static int runner_step(runner *r) {
  if (r->rc < 0 || !r->sh->ctx) return 0;
  r->rc = ti_iter_pull(r->sh);
  if (r->rc == TI_OK) r->rc = r->w ? render_state(r) : push_state(r);
  return r->rc >= 0 && r->sh->ctx;
}

/* Rendering: with the lock held, write the output of the traces from k on
 * that are done, in order, and make the first one not done the next to
 * write (its reader writes it). The lock is let go while writing. After a
 * trace that failed the walk (k = SIZE_MAX), nothing is written. */
static int advance_locked(ti_par *p, size_t k) {
  int rc = TI_OK;
  while (k < p->njobs && p->jobs[k]->out_done) {
    ti_job *j = p->jobs[k];
    ti_wseg *list = j->out;
    j->out = NULL;
    p->out_states += j->out_states;
    atomic_fetch_sub_explicit(&p->held_done, j->out_bytes, memory_order_relaxed);
    pthread_mutex_unlock(&p->mu);
    int r = list ? ti_writer_write_segs(p->sink, list) : TI_OK;
    if (r && !rc) rc = r;
    pthread_mutex_lock(&p->mu);
    k = j->out_last ? SIZE_MAX : k + 1;
  }
  atomic_store_explicit(&p->out_head, k, memory_order_release);
  pthread_cond_broadcast(&p->cv_out);
  pthread_cond_broadcast(&p->cv_work); /* the window moves with the output too */
  return rc;
}

/* Rendering: r's trace is over. If its output is next, write it and what
 * follows; else leave it on the job for whoever writes the one before. */
static int render_end(runner *r) {
  ti_par *p = r->par;
  ti_job *j = r->job;
  int rc = TI_OK;
  pthread_mutex_lock(&p->mu);
  if (atomic_load_explicit(&p->out_head, memory_order_relaxed) != j->idx) {
    if (r->w) rc = ti_writer_detach(r->w, &j->out, &j->out_bytes);
    atomic_fetch_add_explicit(&p->held_done, j->out_bytes, memory_order_relaxed);
    j->out_states = r->rendered;
    j->out_last = rc < 0 || r->rc < 0 || r->failed;
    j->out_done = 1;
    pthread_mutex_unlock(&p->mu);
    return rc;
  }
  pthread_mutex_unlock(&p->mu);
  if (r->w) {
    rc = ti_writer_flush(r->w); /* what it held, if it had no state since */
    ti_writer_hold(r->w);
  }
  int last = rc < 0 || r->rc < 0 || r->failed;
  pthread_mutex_lock(&p->mu);
  p->out_states += r->rendered;
  int wrc = advance_locked(p, last ? SIZE_MAX : j->idx + 1);
  pthread_mutex_unlock(&p->mu);
  return rc ? rc : wrc;
}

/* The trace is over: publish the rest, mark the job done. */
static void runner_end(runner *r) {
  ti_par *p = r->par;
  ti_job *j = r->job;
  ti_iter *sh = r->sh;
  if (p->sink) {
    int wrc = render_end(r);
    if (wrc < 0 && r->rc >= 0) r->rc = wrc;
  }
  int rc = r->rc;
  if (r->failed && rc >= 0) rc = TI_ERR_NOMEM;
  if (sh) {
    sh->on_error = NULL; /* no more events */
    r->ctx = sh->spare_ctx;
    r->log = sh->spare_log;
    if (p->sink) { /* rendering: the state's buffers stayed in the shell */
      r->json = sh->state.json;
      r->strs = sh->state.strs;
      ti_buf_init(&sh->state.json);
      ti_buf_init(&sh->state.strs);
    }
    sh->spare_ctx = NULL;
    sh->spare_log = NULL;
  }
  pthread_mutex_lock(&p->mu);
  publish_locked(r);
  j->status = rc < 0 ? rc : TI_OK;
  j->shell = sh;
  j->size = r->size;
  p->ahead_bytes += r->size;
  j->done = 1;
  atomic_fetch_add_explicit(&p->seq, 1, memory_order_release);
  if (p->consumer_waiting) pthread_cond_signal(&p->cv_main);
  pthread_mutex_unlock(&p->mu);
  r->job = NULL;
  r->sh = NULL;
}

/* With the lock held: take the next job for r, with a spare log if r has
 * none. NULL when there is none or the window is full. */
static ti_job *take_job(ti_par *p, runner *r) {
  if (p->next_job >= p->njobs) return NULL;
  size_t base = p->cur; /* rendering: nor ahead of the output */
  if (p->sink) {
    size_t h = atomic_load_explicit(&p->out_head, memory_order_relaxed);
    if (h < base) base = h;
  }
  if (p->next_job > base && (p->next_job >= base + p->window || p->ahead_bytes > p->budget))
    return NULL;
  if (!r->log && p->nlogs) r->log = p->logs[--p->nlogs];
  return p->jobs[p->next_job++];
}

static void *worker(void *arg) {
  runner *r = arg;
  ti_par *p = r->par;
#ifdef __linux__
  if (p->cpus_set) pthread_setaffinity_np(pthread_self(), sizeof p->cpus, &p->cpus);
#endif
  pthread_mutex_lock(&p->mu);
  for (;;) {
    ti_job *j = NULL;
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed) && !(j = take_job(p, r)) &&
           (p->next_job < p->njobs || !p->listed))
      pthread_cond_wait(&p->cv_work, &p->mu);
    pthread_mutex_unlock(&p->mu);
    free_dead(atomic_exchange_explicit(&r->dead, NULL, memory_order_acquire));
    if (!j) return NULL; /* stopped, or no trace left */
    runner_begin(r, j);
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed) && runner_step(r)) {
    }
    runner_end(r);
    pthread_mutex_lock(&p->mu);
  }
}

static void runner_release(runner *r) {
  if (r->sh) {
    r->sh->on_error = NULL;
    shell_free(r->sh);
    r->sh = NULL;
  }
  r->job = NULL;
  if (r->b) batch_free(r->b);
  r->b = NULL;
  if (r->ctx) ti_ctx_destroy(r->ctx);
  r->ctx = NULL;
  ti_log_unref(r->log);
  r->log = NULL;
  ti_writer_free(r->w);
  r->w = NULL;
  ti_buf_free(&r->json);
  ti_buf_free(&r->strs);
}

/* ---- starting and stopping ------------------------------------------------ */

/* List up to `max` more traces of the walk (paths only), appending them
 * under the lock in small groups so that readers can start on the first. */
static int list_traces(ti_iter *it, ti_par *p, size_t max) {
  enum { GROUP = 16 };
  ti_job *got[GROUP];
  int rc = TI_OK;
  while (max && !p->listed && !rc) {
    size_t n = 0;
    while (n < GROUP && n < max) {
      char *path;
      int is_dir;
      rc = ti_walk_next(it, &path, &is_dir);
      if (rc) break;
      ti_job *j = ti_mem_calloc(1, sizeof(*j));
      if (j && !(j->path = ti_strdup(path))) {
        ti_mem_free(j);
        j = NULL;
      }
      if (!j) {
        rc = TI_ERR_NOMEM;
        break;
      }
      j->is_dir = is_dir;
      got[n++] = j;
    }
    max -= n;
    pthread_mutex_lock(&p->mu);
    if (p->njobs + n > p->cjobs) {
      size_t c = p->cjobs ? p->cjobs * 2 : 64;
      while (c < p->njobs + n) c *= 2;
      ti_job **v = ti_mem_realloc(p->jobs, c * sizeof(*v));
      if (v) {
        p->jobs = v;
        p->cjobs = c;
      } else if (rc >= 0) {
        rc = TI_ERR_NOMEM;
      }
    }
    size_t k = 0;
    for (; k < n && p->njobs < p->cjobs; k++) {
      got[k]->idx = p->njobs;
      p->jobs[p->njobs++] = got[k];
    }
    if (rc) p->listed = 1; /* TI_DONE, or a failure: no more */
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (; k < n; k++) {
      ti_mem_free(got[k]->path);
      ti_mem_free(got[k]);
    }
  }
  return rc == TI_DONE ? TI_OK : rc;
}

static int par_start(ti_iter *it, ti_writer *sink) {
  ti_par *p = ti_mem_calloc(1, sizeof(*p));
  if (!p) return TI_ERR_NOMEM;
  it->par = p;
  p->parent = it;
  p->sink = sink;
  atomic_init(&p->out_head, 0);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv_main, NULL);
  pthread_cond_init(&p->cv_work, NULL);
  pthread_cond_init(&p->cv_out, NULL);
  atomic_init(&p->held_done, 0);
  atomic_init(&p->stop, 0);
  atomic_init(&p->seq, 0);
  p->own.par = p;
  p->hand.magic = TI_STATE_MAGIC;
  ti_state_clear(&p->hand);
  p->recheck = 1;
  p->window = TI_WINDOW_TRACES * (size_t)it->threads;
  size_t nt = it->threads;
  p->budget = nt <= SIZE_MAX / TI_WINDOW_BYTES ? TI_WINDOW_BYTES * nt : SIZE_MAX;
  unsigned n = it->threads - 1; /* the caller's thread reads too */
  p->threads = ti_mem_calloc(n, sizeof(*p->threads));
  p->runners = ti_mem_calloc(n, sizeof(*p->runners));
  if (!p->threads || !p->runners) return TI_ERR_NOMEM;
  /* the first trace, then the workers, which start on it while this
   * thread lists the rest */
  int rc = list_traces(it, p, 1);
  if (rc) return rc;
  /* Workers start on another CPU than the caller's: placed next to it, as
   * a new thread can be, one waits a millisecond or more on the caller's
   * CPU while another is idle (-j 2 on claude-projects/: 1.1-1.4 ms of an
   * 85 ms run). Once running, a worker may run anywhere it could. */
  pthread_attr_t attr, *ap = NULL;
#ifdef __linux__
  if (pthread_attr_init(&attr) == 0) {
    ap = &attr;
    int me = sched_getcpu();
    if (sched_getaffinity(0, sizeof p->cpus, &p->cpus) == 0 && me >= 0 &&
        CPU_ISSET(me, &p->cpus) && CPU_COUNT(&p->cpus) > 1) {
      cpu_set_t others = p->cpus;
      CPU_CLR(me, &others);
      p->cpus_set = pthread_attr_setaffinity_np(&attr, sizeof others, &others) == 0;
    }
  }
#endif
  for (unsigned i = 0; i < n; i++) {
    p->runners[i].par = p;
    if (pthread_create(&p->threads[i], ap, worker, &p->runners[i]) != 0) break;
    p->nthreads++;
  }
  if (ap) pthread_attr_destroy(ap);
  /* with no worker at all, the caller's thread reads alone */
  return list_traces(it, p, (size_t)-1);
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
  atomic_store(&p->stop, 1);
  pthread_cond_broadcast(&p->cv_work);
  pthread_cond_broadcast(&p->cv_out);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  p->nthreads = 0;
}

/* ---- the consumer ----------------------------------------------------------- */

/* Drop the state handed out last; its log, if nobody else holds it, goes
 * back to the readers. */
static void release_hand(ti_par *p) {
  if (!p->handed) return;
  p->handed = 0;
  ti_log *l = p->hand.log;
  p->hand.log = NULL; /* the rest is overwritten by the next state */
  if (l && ti_log_sole_owner(l)) {
    pthread_mutex_lock(&p->mu);
    if (p->nlogs < TI_SPARE_LOGS) {
      p->logs[p->nlogs++] = l;
      l = NULL;
    }
    pthread_mutex_unlock(&p->mu);
  }
  ti_log_unref(l);
}

/* Hand out event e: 1 for a state (in *out), 0 for an error (reported). */
static int deliver(ti_iter *it, ti_par *p, ti_event *e, const ti_state **out) {
  if (e->kind == EV_STATE) {
    ti_buf strs = p->hand.strs, json = p->hand.json;
    p->hand = e->st;
    p->hand.json = json; /* one export buffer for every state */
    p->hand.json_for = 0;
    if (strs.cap > TI_KEEP_STRS) ti_buf_free(&strs);
    e->st.strs = strs;
    e->st.log = NULL;
    e->kind = EV_NONE;
    p->handed = 1;
    if (e->format) it->last_format = e->format;
    *out = &p->hand;
    return 1;
  }
  ti_iter_errorf(it, e->code, e->file, e->line, e->offset, "%s", e->msg);
  event_clear(e);
  return 0;
}

/* With the lock held: the handed-out batch goes back to the readers. */
static void recycle_cb_locked(ti_par *p, ti_batch **drop) {
  ti_batch *b = p->cb;
  p->cb = NULL;
  if (!b) return;
  for (size_t i = p->cb_i; i < b->n; i++) event_clear(&b->ev[i]);
  b->n = 0;
  if (p->nfree < TI_SPARE_BATCHES) {
    b->next = p->free_batches;
    p->free_batches = b;
    p->nfree++;
  } else {
    b->next = *drop;
    *drop = b;
  }
}

/* With the lock held: take the first published batch of job j. */
static int pop_batch_locked(ti_par *p, ti_job *j) {
  ti_batch *b = j->head;
  if (!b) return 0;
  j->head = b->next;
  if (!j->head) j->tail = NULL;
  b->next = NULL;
  p->cb = b;
  p->cb_i = 0;
  return 1;
}

/* One step of the consumer's own trace; when it ends, its job is done. */
static void own_step(ti_par *p) {
  if (!runner_step(&p->own)) runner_end(&p->own);
}

int ti_par_next(ti_iter *it, const ti_state **out) {
  ti_par *p = it->par;
  if (!p) {
    int rc = par_start(it, NULL);
    if (rc) return it->status = rc;
    p = it->par;
  }
  release_hand(p);
  runner *own = &p->own;
  for (;;) {
    if (p->cb) {
      while (p->cb_i < p->cb->n) {
        ti_event *e = &p->cb->ev[p->cb_i++];
        if (e->kind != EV_NONE && deliver(it, p, e, out)) return TI_OK;
      }
    }
    if (p->cur >= p->njobs) {
      if (p->cb) {
        ti_batch *drop = NULL;
        pthread_mutex_lock(&p->mu);
        recycle_cb_locked(p, &drop);
        pthread_mutex_unlock(&p->mu);
        batch_list_free(drop);
      }
      return it->status = TI_DONE;
    }
    ti_job *j = p->jobs[p->cur];
    if (own->job == j && !p->cb && !j->head) {
      /* our own trace comes next: hand its states out as they are made
       * (its published batches, which only this thread writes, first) */
      if (own->b && own->taken < own->b->n) {
        if (deliver(it, p, &own->b->ev[own->taken++], out)) return TI_OK;
        continue;
      }
      own_step(p);
      continue;
    }
    if (!p->cb && own->job && !p->recheck &&
        atomic_load_explicit(&p->seq, memory_order_acquire) == p->seen_seq) {
      own_step(p); /* nothing new for the consumer: read on */
      continue;
    }
    ti_batch *drop = NULL;
    pthread_mutex_lock(&p->mu);
    recycle_cb_locked(p, &drop);
    p->seen_seq = atomic_load_explicit(&p->seq, memory_order_relaxed);
    p->recheck = 0;
    if (pop_batch_locked(p, j)) {
      pthread_mutex_unlock(&p->mu);
      batch_list_free(drop);
      continue;
    }
    if (j->done) { /* done and fully handed out */
      int status = j->status;
      ti_iter *sh = j->shell;
      p->ahead_bytes -= j->size;
      p->cur++;
      p->recheck = 1;
      pthread_cond_broadcast(&p->cv_work);
      pthread_mutex_unlock(&p->mu);
      batch_list_free(drop);
      if (sh) merge_counters(it, sh);
      if (sh && j->by && j->by != own) { /* its reader frees it */
        j->dead_next = atomic_load_explicit(&j->by->dead, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&j->by->dead, &j->dead_next, j,
                                                      memory_order_release, memory_order_relaxed)) {
        }
      } else {
        j->shell = NULL;
        shell_free(sh);
      }
      if (status < 0) {
        stop_workers(p);
        return it->status = status;
      }
      continue;
    }
    if (own->job) {
      pthread_mutex_unlock(&p->mu);
      batch_list_free(drop);
      own_step(p);
      continue;
    }
    ti_job *mine = take_job(p, own);
    if (mine) {
      pthread_mutex_unlock(&p->mu);
      batch_list_free(drop);
      runner_begin(own, mine);
      continue;
    }
    p->consumer_waiting = 1;
    pthread_cond_wait(&p->cv_main, &p->mu);
    p->consumer_waiting = 0;
    pthread_mutex_unlock(&p->mu);
    batch_list_free(drop);
  }
}

void ti_par_free(ti_iter *it) {
  ti_par *p = it->par;
  if (!p) return;
  stop_workers(p);
  for (unsigned i = 0; i < it->threads - 1 && p->runners; i++) runner_release(&p->runners[i]);
  runner_release(&p->own);
  if (p->cb) {
    for (size_t i = 0; i < p->cb_i && i < p->cb->n; i++) p->cb->ev[i].kind = EV_NONE;
    batch_free(p->cb);
  }
  for (size_t i = 0; i < p->njobs; i++) {
    ti_job *j = p->jobs[i];
    batch_list_free(j->head);
    ti_writer_drop_segs(j->out);
    ti_mem_free(j->path);
    shell_free(j->shell);
    ti_mem_free(j);
  }
  batch_list_free(p->free_batches);
  for (size_t i = 0; i < p->nlogs; i++) ti_log_unref(p->logs[i]);
  ti_mem_free(p->jobs);
  ti_mem_free(p->threads);
  ti_mem_free(p->runners);
  ti_log_unref(p->hand.log);
  p->hand.log = NULL;
  ti_state_release(&p->hand);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv_main);
  pthread_cond_destroy(&p->cv_work);
  pthread_cond_destroy(&p->cv_out);
  ti_mem_free(p);
  it->par = NULL;
}

/* Every state of the walk into w, each rendered by the thread that read
 * it (see render_state); errors and counters go through the consumer as
 * for ti_next. */
int ti_par_drain(ti_iter *it, ti_writer *w, uint64_t *n_states) {
  int rc = par_start(it, w);
  ti_par *p = it->par;
  if (rc == TI_OK) {
    const ti_state *s; /* no state comes out: the readers write them all */
    rc = ti_par_next(it, &s);
  }
  if (p) {
    stop_workers(p); /* the writes are all done once the readers are */
    /* nothing may refer to w once this returns */
    *n_states = p->out_states;
    ti_writer_free(p->own.w);
    p->own.w = NULL;
    for (unsigned i = 0; i < it->threads - 1 && p->runners; i++) {
      ti_writer_free(p->runners[i].w);
      p->runners[i].w = NULL;
    }
    for (size_t i = 0; i < p->njobs; i++) {
      ti_writer_drop_segs(p->jobs[i]->out);
      p->jobs[i]->out = NULL;
    }
    p->sink = NULL;
  }
  return it->status = rc;
}
