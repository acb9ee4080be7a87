/* SPDX-License-Identifier: MIT */
/* Writing states as JSON Lines to a file descriptor (ti_writer). States
 * are rendered into one buffer; the long message contents that stayed in a
 * mapped (or whole-read) input are not copied into it but handed to
 * writev as pieces of their own, between the buffer's pieces. Each such
 * input (a ti_blob) is held by the writer until its bytes are written, so
 * the states, their logs and the iterator may be gone by then.
 *
 * For ti_writer_put_all with threads, each reader renders with a sub
 * writer of its own that writes through the caller's writer (the sink)
 * when its trace's turn has come, and until then holds what it renders:
 * a buffer with pieces of inputs as it is, holding the inputs too (their
 * contents are not copied then either), else copies of the buffer's bytes,
 * made around the cache (see copy_nt); the buffers and copies are memory
 * the sink pools for all its sub writers. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core.h"

#define TI_WRITER_BUF ((size_t)256 << 10)
/* The buffer is written when less than this is left: a state rarely
 * meets a full buffer and has to be rendered twice. */
#define TI_WRITER_SLACK ((size_t)16 << 10)
#define TI_WRITER_PIECES 512
/* Referenced bytes written at the latest once this many are pending, so
 * that a reader at the other end of a pipe gets them in steps. */
#define TI_WRITER_REF_MAX ((size_t)8 << 20)
/* Held copies come in sizes of 4 KiB << class, up to the buffer's (the
 * largest class is a writer's buffer, which can be held as it is). */
#define TI_COPY_CLASSES 7
_Static_assert(((size_t)4096 << (TI_COPY_CLASSES - 1)) == TI_WRITER_BUF,
               "the largest held class is a writer's buffer");

struct ti_gather {
  size_t seg; /* the buffer's bytes from here on are not a piece yet */
  struct iovec v[TI_WRITER_PIECES];
  size_t n;
  size_t ref_bytes;
  ti_blobs held; /* the inputs the pieces point into */
};

/* Held output: a copy of rendered bytes, which follow it (v NULL), or a
 * writer's buffer, which follows it too, with the pieces to write (v[0..nv),
 * of the buffer and of the inputs in `blobs`). len: the bytes to write. */
struct ti_wseg {
  struct ti_wseg *next;
  size_t len;
  int cls;
  struct iovec *v;
  size_t nv;
  ti_blobs blobs;
};
#define SEG_BYTES(s) ((char *)(s) + sizeof(ti_wseg))

struct ti_writer {
  ti_writer *sink; /* where the bytes go: itself, or the writer it works for */
  int fd;
  uint32_t flags;
  int err;    /* errno of the first failed write (the sink's counts) */
  int by_ref; /* contents are passed by reference (not to pipes, see below) */
  int hold;   /* a sub writer whose turn has not come: holds, does not write */
  char *buf; /* the bytes of bseg */
  ti_wseg *bseg;
  size_t len;
  ti_gather g;
  ti_wseg *held, **held_tail;
  size_t held_bytes;
  /* The sink's: copies written, for any of its sub writers to fill again.
   * Written around the cache, they are in no core's cache; shared, the
   * holds of the readers, which take turns, need the memory of one. */
  pthread_mutex_t pool_mu;
  ti_wseg *pool[TI_COPY_CLASSES];
};

static void release(ti_gather *g) {
  ti_blobs_release(&g->held);
  g->n = 0;
  g->seg = 0;
  g->ref_bytes = 0;
}

int ti_gather_ref(ti_gather *g, ti_buf *b, const char *p, size_t n, ti_blob *blob) {
  /* this piece, the buffer's before it, and the buffer's last one */
  if (g->n + 3 > TI_WRITER_PIECES) return TI_ERR_LIMIT;
  int rc = ti_blobs_hold(&g->held, blob);
  if (rc) return rc;
  if (b->len > g->seg) g->v[g->n++] = (struct iovec){b->p + g->seg, b->len - g->seg};
  g->v[g->n++] = (struct iovec){(void *)p, n};
  g->seg = b->len;
  g->ref_bytes += n;
  return TI_OK;
}

static int writer_init(ti_writer **out, int fd, uint32_t flags, int by_ref, ti_writer *sink) {
  ti_writer *w = ti_mem_calloc(1, sizeof(*w));
  if (!w) return TI_ERR_NOMEM;
  if (!(w->bseg = ti_mem_alloc(sizeof(ti_wseg) + TI_WRITER_BUF))) {
    ti_mem_free(w);
    return TI_ERR_NOMEM;
  }
  w->buf = SEG_BYTES(w->bseg);
  w->sink = sink ? sink : w;
  w->fd = fd;
  w->flags = flags;
  w->by_ref = by_ref;
  w->hold = sink != NULL;
  w->held_tail = &w->held;
  pthread_mutex_init(&w->pool_mu, NULL);
  *out = w;
  return TI_OK;
}

TI_API int ti_writer_new(ti_writer **out, int fd, uint32_t flags) {
  if (!out) return TI_ERR_INVALID;
  *out = NULL;
  if (fd < 0 || (flags & ~TI_JSON_FLAGS_ALL)) return TI_ERR_INVALID;
  /* Into a pipe or socket the contents are copied all the same: the kernel
   * then takes them from the buffer, in the cache, while the reader waits
   * on the other end, rather than from the input, in memory (through a
   * pipe to cat: the same CPU time, 4% more wall time passed by reference;
   * into a file: 4-6% less of both). */
  struct stat st;
  int by_ref = fstat(fd, &st) == 0 && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode);
  return writer_init(out, fd, flags, by_ref, NULL);
}

int ti_writer_sub(ti_writer **out, ti_writer *sink) {
  return writer_init(out, sink->fd, sink->flags, sink->by_ref, sink);
}

/* Write v[0..n) whole to w's sink (short writes and EINTR are resumed). */
static int write_all(ti_writer *w, struct iovec *v, size_t n) {
  ti_writer *k = w->sink;
  if (k->err) return TI_ERR_IO;
  while (n) {
    ssize_t r = writev(k->fd, v, (int)(n < IOV_MAX ? n : IOV_MAX));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { /* nothing written of a non-empty list: an error, not a retry */
      k->err = r < 0 && errno ? errno : EIO;
      return TI_ERR_IO;
    }
    size_t m = (size_t)r;
    while (n && m >= v->iov_len) {
      m -= v->iov_len;
      v++;
      n--;
    }
    if (n) {
      v->iov_base = (char *)v->iov_base + m;
      v->iov_len -= m;
    }
  }
  return TI_OK;
}

/* Write the buffer and its pieces, and empty it. */
static int write_buf(ti_writer *w) {
  ti_gather *g = &w->g;
  if (w->len > g->seg) g->v[g->n++] = (struct iovec){w->buf + g->seg, w->len - g->seg};
  int rc = write_all(w, g->v, g->n);
  release(g);
  w->len = 0;
  return rc;
}

/* ---- held copies ----------------------------------------------------------- */

/* Copy rendered bytes that are held without passing them through the
 * cache: nothing reads them before they are written (and then only the
 * kernel, if anything), so the cache keeps what the reader works on - its
 * log, its input, its buffer (-j 2 on claude-projects/: the copies into
 * cached memory made the rest of the reading ~5% slower). */
static void copy_nt(char *d, const char *p, size_t n) {
#if defined(__SSE2__)
  size_t head = (16 - ((uintptr_t)d & 15)) & 15;
  if (head > n) head = n;
  memcpy(d, p, head);
  d += head, p += head, n -= head;
  for (; n >= 64; n -= 64, d += 64, p += 64) {
    __m128i a = _mm_loadu_si128((const __m128i *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i e = _mm_loadu_si128((const __m128i *)(p + 48));
    _mm_stream_si128((__m128i *)d, a);
    _mm_stream_si128((__m128i *)(d + 16), b);
    _mm_stream_si128((__m128i *)(d + 32), c);
    _mm_stream_si128((__m128i *)(d + 48), e);
  }
  memcpy(d, p, n);
  _mm_sfence(); /* before another thread may write them */
#else
  memcpy(d, p, n);
#endif
}

/* A segment of class c (4 KiB << c bytes) from sink k's pool, or a new one;
 * NULL on NOMEM. */
static ti_wseg *pool_take(ti_writer *k, int c) {
  pthread_mutex_lock(&k->pool_mu);
  ti_wseg *s = k->pool[c];
  if (s) k->pool[c] = s->next;
  pthread_mutex_unlock(&k->pool_mu);
  return s ? s : ti_mem_alloc(sizeof(*s) + ((size_t)4096 << c));
}

/* Hold a copy of p[0..n), n <= TI_WRITER_BUF, in memory of the sink's pool. */
static int hold_one(ti_writer *w, const char *p, size_t n) {
  int c = 0;
  while (c < TI_COPY_CLASSES - 1 && ((size_t)4096 << c) < n) c++;
  ti_wseg *s = pool_take(w->sink, c);
  if (!s) return TI_ERR_NOMEM;
  copy_nt(SEG_BYTES(s), p, n);
  s->len = n;
  s->cls = c;
  s->next = NULL;
  s->v = NULL;
  *w->held_tail = s;
  w->held_tail = &s->next;
  w->held_bytes += n;
  return TI_OK;
}

/* Hold p[0..n), in copies of up to a buffer's size. */
static int hold_copy(ti_writer *w, const char *p, size_t n) {
  while (n) {
    size_t k = n < TI_WRITER_BUF ? n : TI_WRITER_BUF;
    int rc = hold_one(w, p, k);
    if (rc) return rc;
    p += k, n -= k;
  }
  return TI_OK;
}

/* Let go of what a held buffer points into. */
static void seg_release(ti_wseg *s) {
  if (!s->v) return;
  ti_blobs_release(&s->blobs);
  ti_mem_free(s->blobs.v);
  ti_mem_free(s->v);
  s->v = NULL;
}

int ti_writer_write_segs(ti_writer *sink, ti_wseg *list) {
  int rc = TI_OK;
  while (list) {
    ti_wseg *n = list->next;
    struct iovec one = {SEG_BYTES(list), list->len};
    if (rc == TI_OK) rc = list->v ? write_all(sink, list->v, list->nv) : write_all(sink, &one, 1);
    seg_release(list);
    pthread_mutex_lock(&sink->pool_mu);
    list->next = sink->pool[list->cls];
    sink->pool[list->cls] = list;
    pthread_mutex_unlock(&sink->pool_mu);
    list = n;
  }
  return rc;
}

void ti_writer_drop_segs(ti_wseg *list) {
  while (list) {
    ti_wseg *n = list->next;
    seg_release(list);
    ti_mem_free(list);
    list = n;
  }
}

/* Hold the buffer itself with its pieces and the inputs they point into,
 * and go on in another from the sink's pool. (-j 2 on claude-projects/,
 * whose image data stays in the mapped files: 3% less CPU and wall time
 * than copying the contents into held copies.) */
static int hold_buffer(ti_writer *w) {
  ti_gather *g = &w->g;
  ti_wseg *s = pool_take(w->sink, TI_COPY_CLASSES - 1);
  if (!s) return TI_ERR_NOMEM;
  struct iovec *v = ti_mem_alloc((g->n + 1) * sizeof(*v));
  if (!v) {
    ti_mem_free(s);
    return TI_ERR_NOMEM;
  }
  if (w->len > g->seg) g->v[g->n++] = (struct iovec){w->buf + g->seg, w->len - g->seg};
  memcpy(v, g->v, g->n * sizeof(*v));
  ti_wseg *b = w->bseg;
  b->len = w->len + g->ref_bytes;
  b->cls = TI_COPY_CLASSES - 1;
  b->next = NULL;
  b->v = v;
  b->nv = g->n;
  b->blobs = g->held; /* its references, now the held buffer's */
  memset(&g->held, 0, sizeof(g->held));
  g->n = 0;
  g->seg = 0;
  g->ref_bytes = 0;
  *w->held_tail = b;
  w->held_tail = &b->next;
  w->held_bytes += b->len;
  w->bseg = s;
  w->buf = SEG_BYTES(s);
  w->len = 0;
  return TI_OK;
}

/* The buffer is full or done with: written, or, while holding, held as it
 * is when it has pieces of inputs, else copied. */
static int emit(ti_writer *w) {
  if (!w->hold) return write_buf(w);
  if (w->g.n) return hold_buffer(w);
  int rc = hold_copy(w, w->buf, w->len);
  w->len = 0;
  return rc;
}

int ti_writer_unhold(ti_writer *w) {
  w->hold = 0;
  ti_wseg *list = w->held;
  w->held = NULL;
  w->held_tail = &w->held;
  w->held_bytes = 0;
  return ti_writer_write_segs(w->sink, list);
}

void ti_writer_hold(ti_writer *w) { w->hold = 1; }

int ti_writer_detach(ti_writer *w, ti_wseg **out, size_t *bytes) {
  int rc = emit(w);
  *out = w->held;
  *bytes = w->held_bytes;
  w->held = NULL;
  w->held_tail = &w->held;
  w->held_bytes = 0;
  return rc;
}

size_t ti_writer_held(const ti_writer *w) { return w->held_bytes + w->len + w->g.ref_bytes; }

TI_API int ti_writer_flush(ti_writer *w) {
  if (!w) return TI_ERR_INVALID;
  int rc = w->held ? ti_writer_unhold(w) : TI_OK;
  w->hold = 0;
  int r = write_buf(w);
  return rc ? rc : r;
}

/* A state whose buffered part alone does not fit: written (or held) from
 * the state's own rendering (ti_state_json), after what is pending. */
static int put_whole(ti_writer *w, const ti_state *s) {
  const char *js;
  size_t n;
  int rc = ti_state_json(&js, &n, s, w->flags);
  if (rc) return rc;
  if ((rc = emit(w)) != TI_OK) return rc;
  if (w->hold) {
    rc = hold_copy(w, js, n);
  } else {
    struct iovec v = {(void *)js, n};
    rc = write_all(w, &v, 1);
  }
  if (rc) return rc;
  w->buf[0] = '\n';
  w->len = 1;
  return TI_OK;
}

TI_API int ti_writer_put(ti_writer *w, const ti_state *s) {
  if (!w || !s) return TI_ERR_INVALID;
  if (!w->hold && w->sink->err) return TI_ERR_IO; /* (a holder may not look) */
  ti_gather *g = &w->g;
  /* holding too: a held buffer holds the inputs its pieces point into */
  ti_gather *gr = w->by_ref ? g : NULL;
  for (int tried = 0;; tried = 1) {
    size_t len0 = w->len, n0 = g->n, seg0 = g->seg;
    /* one byte kept for the newline */
    ti_buf b = {w->buf, w->len, TI_WRITER_BUF - 1};
    int rc = ti_export_gather(&b, s, w->flags, gr);
    if (rc == TI_OK) {
      w->buf[b.len] = '\n';
      w->len = b.len + 1;
      break;
    }
    w->len = len0;
    g->n = n0;
    g->seg = seg0;
    if (rc != TI_ERR_LIMIT) return rc;
    if (tried || (len0 == 0 && n0 == 0)) return put_whole(w, s);
    if ((rc = emit(w)) != TI_OK) return rc;
  }
  if (TI_WRITER_BUF - w->len < TI_WRITER_SLACK || g->n + 16 > TI_WRITER_PIECES ||
      g->ref_bytes >= TI_WRITER_REF_MAX)
    return emit(w);
  return TI_OK;
}

TI_API int ti_writer_errno(const ti_writer *w) { return w ? w->sink->err : 0; }

TI_API void ti_writer_free(ti_writer *w) {
  if (!w) return;
  release(&w->g);
  ti_mem_free(w->g.held.v);
  ti_mem_free(w->bseg);
  ti_writer_drop_segs(w->held);
  for (int c = 0; c < TI_COPY_CLASSES; c++) ti_writer_drop_segs(w->pool[c]);
  pthread_mutex_destroy(&w->pool_mu);
  ti_mem_free(w);
}
