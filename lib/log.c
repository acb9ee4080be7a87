/* SPDX-License-Identifier: MIT */
/* The message log of one trajectory: an arena holding interned messages,
 * and spines (arrays of message pointers) whose prefixes are the states'
 * histories. A state is (spine, count): O(1) to create, no history copy.
 * A spine is copied only when the history is rewritten below a prefix that
 * an emitted state references, or when a pinned spine must grow. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"

struct ti_arena_chunk {
  struct ti_arena_chunk *next;
  size_t size;  /* bytes of data */
  size_t block; /* the pool block's size (blocks.c); 0: from ti_mem_alloc */
  int oneoff;   /* a block for one large allocation: freed by a reset */
  /* data follows, 16-byte aligned */
  _Alignas(16) char data[];
};

/* New chunks start at TI_ARENA_CHUNK and double up to TI_ARENA_CHUNK_MAX,
 * so a long trajectory's log takes few, large chunks (huge pages, few
 * faults) while a short one stays small. An allocation above a quarter of
 * the chunk size gets a block of its own. Chunks and blocks of up to 2 MiB
 * come from the block pool, where there is one, and go back to it. */
#define TI_ARENA_CHUNK (256 * 1024)
#define TI_ARENA_CHUNK_MAX (16u << 20)

/* A chunk of `total` bytes with its header, so that a chunk size of a
 * power of two is one pool block. */
static ti_arena_chunk *new_chunk(size_t total, int oneoff) {
  size_t got = 0;
  ti_arena_chunk *c =
      ti_block_pooled(total) ? ti_block_get(total, &got) : ti_mem_alloc(total);
  if (!c) return NULL;
  c->size = (got ? got : total) - sizeof(*c);
  c->block = got;
  c->oneoff = oneoff;
  return c;
}

static void chunk_free(ti_arena_chunk *c) {
  if (c->block)
    ti_block_put(c, c->block);
  else
    ti_mem_free(c);
}

void *ti_arena_alloc(ti_arena *a, size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (n == 0) n = 8;
  if ((size_t)(a->end - a->pos) >= n && a->pos) {
    void *p = a->pos;
    a->pos += n;
    return p;
  }
  size_t sz = a->next ? a->next : TI_ARENA_CHUNK;
  ti_arena_chunk *c;
  if (n > sz / 4) {
    /* a large block: keep the current chunk's free space for later */
    if (n > SIZE_MAX - sizeof(*c) || !(c = new_chunk(sizeof(*c) + n, 1))) return NULL;
    if (a->head) {
      c->next = a->head->next;
      a->head->next = c;
      return c->data;
    }
    c->next = NULL;
    a->head = c;
    a->pos = a->end = c->data + n;
    return c->data;
  }
  ti_arena_chunk **sp = &a->spare; /* a kept chunk that fits, else a new one */
  while (*sp && (*sp)->size < n) sp = &(*sp)->next;
  if (*sp) {
    c = *sp;
    *sp = c->next;
  } else {
    if (!(c = new_chunk(sz, 0))) return NULL;
    a->next = sz < TI_ARENA_CHUNK_MAX ? sz * 2 : sz;
  }
  c->next = a->head;
  a->head = c;
  a->pos = c->data + n;
  a->end = c->data + c->size;
  return c->data;
}

void ti_arena_reset(ti_arena *a) {
  ti_arena_chunk *c = a->head;
  while (c) {
    ti_arena_chunk *n = c->next;
    if (!c->oneoff) {
      c->next = a->spare;
      a->spare = c;
    } else {
      chunk_free(c);
    }
    c = n;
  }
  a->head = NULL;
  a->pos = a->end = NULL;
}

void ti_arena_free(ti_arena *a) {
  ti_arena_reset(a);
  ti_arena_chunk *c = a->spare;
  while (c) {
    ti_arena_chunk *n = c->next;
    chunk_free(c);
    c = n;
  }
  a->spare = NULL;
  a->next = 0;
}

static char *arena_strndup(ti_arena *a, const char *s, size_t n) {
  if (!s) return NULL;
  char *d = ti_arena_alloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

ti_log *ti_log_new(const char *traj_id, size_t len) {
  ti_log *l = ti_mem_calloc(1, sizeof(*l));
  if (!l) return NULL;
  atomic_init(&l->refs, 1);
  ti_blocks_hold();
  l->traj_id = ti_strndup(traj_id ? traj_id : "", traj_id ? len : 0);
  l->nbuckets = 64;
  l->buckets = ti_mem_calloc(l->nbuckets, sizeof(*l->buckets));
  l->cur = ti_mem_calloc(1, sizeof(*l->cur));
  if (!l->traj_id || !l->buckets || !l->cur) {
    ti_mem_free(l->traj_id);
    ti_mem_free(l->buckets);
    ti_mem_free(l->cur);
    ti_mem_free(l);
    ti_blocks_release();
    return NULL;
  }
  l->spines = l->cur;
  return l;
}

static void free_lazy(ti_log *l) {
  ti_lazy_text *t = atomic_load(&l->lazy);
  while (t) {
    ti_lazy_text *n = t->next;
    ti_mem_free(t);
    t = n;
  }
  atomic_store(&l->lazy, NULL);
}

void ti_blob_unref(ti_blob *b) {
  if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1) return;
  if (b->heap) ti_mem_free(b->base);
  else if (b->region) ti_mregion_unref(b->region);
  else munmap(b->base, b->len);
  ti_mem_free(b);
}

void ti_blobs_release(ti_blobs *s) {
  for (size_t i = 0; i < s->n; i++) ti_blob_unref(s->v[i]);
  s->n = 0;
}

int ti_blobs_hold(ti_blobs *s, ti_blob *b) {
  for (size_t i = s->n; i-- > 0;)
    if (s->v[i] == b) return TI_OK;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4;
    ti_blob **v = ti_mem_realloc(s->v, cap * sizeof(*v));
    if (!v) return TI_ERR_NOMEM;
    s->v = v;
    s->cap = cap;
  }
  atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
  s->v[s->n++] = b;
  return TI_OK;
}

void ti_log_drop_inputs(ti_log *l) { ti_blobs_release(&l->blobs); }

int ti_log_sole_owner(ti_log *l) {
  return atomic_load_explicit(&l->refs, memory_order_acquire) == 1;
}

int ti_log_recycle(ti_log *l, const char *traj_id, size_t len) {
  char *id = ti_strndup(traj_id ? traj_id : "", traj_id ? len : 0);
  if (!id) return TI_ERR_NOMEM;
  ti_mem_free(l->traj_id);
  l->traj_id = id;
  ti_arena_reset(&l->arena);
  free_lazy(l);
  ti_blobs_release(&l->blobs);
  memset(l->buckets, 0, l->nbuckets * sizeof(*l->buckets));
  l->nmessages = 0;
  /* keep the current spine's array, free the others */
  ti_spine *keep = l->cur, *s = l->spines;
  while (s) {
    ti_spine *n = s->next;
    if (s != keep) {
      ti_mem_free(s->v);
      ti_mem_free(s);
    }
    s = n;
  }
  keep->next = NULL;
  keep->len = keep->shared = 0;
  keep->pinned = 0;
  l->spines = l->cur = keep;
  l->cur_len = 0;
  l->last_spine = NULL;
  l->last_count = 0;
  l->nstates = 0;
  return TI_OK;
}

void ti_log_ref(ti_log *l) { atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed); }

void ti_log_unref(ti_log *l) {
  if (!l) return;
  if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1) return;
  free_lazy(l);
  ti_spine *s = l->spines;
  while (s) {
    ti_spine *n = s->next;
    ti_mem_free(s->v);
    ti_mem_free(s);
    s = n;
  }
  ti_arena_free(&l->arena);
  ti_blobs_release(&l->blobs);
  ti_mem_free(l->blobs.v);
  ti_mem_free(l->buckets);
  ti_mem_free(l->traj_id);
  ti_mem_free(l);
  ti_blocks_release();
}

static int grow_buckets(ti_log *l) {
  size_t nb = l->nbuckets * 2;
  ti_message **b = ti_mem_calloc(nb, sizeof(*b));
  if (!b) return TI_ERR_NOMEM;
  for (size_t i = 0; i < l->nbuckets; i++) {
    ti_message *m = l->buckets[i];
    while (m) {
      ti_message *n = m->hnext;
      size_t k = (size_t)(m->hash & (nb - 1));
      m->hnext = b[k];
      b[k] = m;
      m = n;
    }
  }
  ti_mem_free(l->buckets);
  l->buckets = b;
  l->nbuckets = nb;
  return TI_OK;
}

/* Identity is the whole canonical JSON (memcmp on a hash match), but the
 * hash only samples it: length, head and tail. Identical messages hash
 * alike; a big tool output is not read an extra time just to be interned.
 * The JSON comes in pieces (the head, the content's pieces, the rest): a
 * message's content is copied once, from the plugin's bytes into the log. */
#define TI_HASH_SPAN 128

typedef struct pieces {
  const ti_span *s;
  size_t n, total;
} pieces;

/* Copy bytes [off, off + n) of the concatenation into dst. */
static void gather(const pieces *pc, size_t off, size_t n, char *dst) {
  for (size_t i = 0; i < pc->n && n; i++) {
    if (off >= pc->s[i].n) {
      off -= pc->s[i].n;
      continue;
    }
    size_t k = pc->s[i].n - off < n ? pc->s[i].n - off : n;
    memcpy(dst, pc->s[i].p + off, k);
    dst += k;
    n -= k;
    off = 0;
  }
}

static uint64_t message_hash(const pieces *pc) {
  char tmp[2 * TI_HASH_SPAN];
  size_t n = pc->total;
  if (n <= 2 * TI_HASH_SPAN) {
    gather(pc, 0, n, tmp);
    return ti_hash(tmp, n);
  }
  gather(pc, 0, TI_HASH_SPAN, tmp);
  gather(pc, n - TI_HASH_SPAN, TI_HASH_SPAN, tmp + TI_HASH_SPAN);
  return ti_hash(tmp, TI_HASH_SPAN) * 31 + ti_hash(tmp + TI_HASH_SPAN, TI_HASH_SPAN) + n;
}

/* The pieces of an interned message's JSON, in sp[3]. */
static pieces message_pieces(const ti_message *m, ti_span sp[3]) {
  if (!m->ext) {
    sp[0] = (ti_span){m->json, m->json_len};
    return (pieces){sp, 1, m->json_len};
  }
  size_t a = m->ext_off, c = m->ext_len;
  sp[0] = (ti_span){m->json, a};
  sp[1] = (ti_span){m->ext, c};
  sp[2] = (ti_span){m->json + a, m->json_len - a - c};
  return (pieces){sp, 3, m->json_len};
}

/* Same bytes in two piece lists of the same total length. */
static int pieces_eq(const pieces *x, const pieces *y) {
  size_t i = 0, j = 0, oi = 0, oj = 0;
  for (;;) {
    while (i < x->n && oi == x->s[i].n) i++, oi = 0;
    while (j < y->n && oj == y->s[j].n) j++, oj = 0;
    if (i == x->n || j == y->n) return i == x->n && j == y->n;
    size_t k = x->s[i].n - oi < y->s[j].n - oj ? x->s[i].n - oi : y->s[j].n - oj;
    if (memcmp(x->s[i].p + oi, y->s[j].p + oj, k)) return 0;
    oi += k;
    oj += k;
  }
}

/* The role names every format uses are not copied. */
static const char *const roles[] = {"system", "user", "assistant", "tool"};

static const char *role_dup(ti_arena *a, const char *r) {
  for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
    if (!strcmp(r, roles[i])) return roles[i];
  return arena_strndup(a, r, strlen(r));
}

/* With `ext`, piece pc->s[xi] (inside the content value) lies in the input
 * the log keeps alive: a new message points to it, not a copy. */
static const ti_message *intern(ti_log *l, const ti_message *t, const pieces *pc, ti_blob *ext,
                                size_t xi, int *is_new) {
  uint64_t h = message_hash(pc);
  size_t k = (size_t)(h & (l->nbuckets - 1));
  for (ti_message *m = l->buckets[k]; m; m = m->hnext) {
    if (m->hash != h || m->json_len != pc->total) continue;
    ti_span sp[3];
    pieces mp = message_pieces(m, sp);
    if (pieces_eq(pc, &mp)) {
      *is_new = 0;
      return m;
    }
  }
  *is_new = 1;
  if (l->nmessages >= l->nbuckets && grow_buckets(l)) return NULL;
  ti_arena *a = &l->arena;
  ti_message *m = ti_arena_alloc(a, sizeof(*m));
  if (!m) return NULL;
  *m = *t;
  m->hash = h;
  size_t stored = ext ? pc->total - pc->s[xi].n : pc->total;
  char *json = ti_arena_alloc(a, stored + 1);
  if (!json) return NULL;
  if (ext) {
    size_t before = 0;
    for (size_t i = 0; i < xi; i++) before += pc->s[i].n;
    gather(pc, 0, before, json);
    gather(pc, before + pc->s[xi].n, stored - before, json + before);
    m->ext = pc->s[xi].p;
    m->ext_off = before;
    m->ext_len = pc->s[xi].n;
    m->ext_blob = ext;
  } else {
    gather(pc, 0, pc->total, json);
    m->ext = NULL;
    m->ext_off = m->ext_len = 0;
    m->ext_blob = NULL;
  }
  json[stored] = '\0';
  m->json = json;
  m->json_len = pc->total;
  atomic_init(&m->whole, NULL);
  m->role = role_dup(a, t->role);
  if (!m->role) return NULL;
  m->owner = l; /* text and tool calls are decoded on demand from the JSON */
  atomic_init(&m->text, NULL);
  atomic_init(&m->tools, NULL);
  atomic_init(&m->reasoning, NULL); /* decoded from the JSON when asked */
  if (t->tool_call_id && !(m->tool_call_id = arena_strndup(a, t->tool_call_id, strlen(t->tool_call_id))))
    return NULL;
  if (t->name && !(m->name = arena_strndup(a, t->name, strlen(t->name)))) return NULL;
  m->hnext = l->buckets[k];
  l->buckets[k] = m;
  l->nmessages++;
  return m;
}

const ti_message *ti_log_intern3(ti_log *l, const ti_message *t, size_t split,
                                 const ti_span *mid, size_t nmid, int *is_new) {
  return ti_log_intern_ext(l, t, split, mid, nmid, 0, NULL, is_new);
}

const ti_message *ti_log_intern_ext(ti_log *l, const ti_message *t, size_t split,
                                    const ti_span *mid, size_t nmid, size_t ext, ti_blob *b,
                                    int *is_new) {
  ti_span sp[TI_EMIT_MAX_SPANS + 2];
  if (nmid > TI_EMIT_MAX_SPANS || (b && ext >= nmid)) return NULL;
  size_t k = 0, mid_n = 0;
  sp[k++] = (ti_span){t->json, split};
  for (size_t i = 0; i < nmid; i++) {
    sp[k++] = mid[i];
    mid_n += mid[i].n;
  }
  sp[k++] = (ti_span){t->json + split, t->json_len - mid_n - split};
  pieces pc = {sp, k, t->json_len};
  /* by reference: the pieces must be the content value's, and the log must
   * hold b; else copied */
  if (!b || split != t->content_json_off || mid_n != t->content_json_len ||
      ti_blobs_hold(&l->blobs, b))
    return intern(l, t, &pc, NULL, 0, is_new);
  return intern(l, t, &pc, b, 1 + ext, is_new);
}

static ti_spine *spine_copy(ti_log *l, size_t keep, size_t cap) {
  ti_spine *s = ti_mem_calloc(1, sizeof(*s));
  if (!s) return NULL;
  if (cap < 16) cap = 16;
  s->v = ti_mem_alloc(cap * sizeof(*s->v));
  if (!s->v) {
    ti_mem_free(s);
    return NULL;
  }
  if (keep) memcpy(s->v, l->cur->v, keep * sizeof(*s->v));
  s->len = keep;
  s->cap = cap;
  s->next = l->spines;
  l->spines = s;
  return s;
}

int ti_log_push(ti_log *l, const ti_message *m) {
  ti_spine *s = l->cur;
  size_t at = l->cur_len;
  if (at < s->len) {
    if (s->v[at] == m) { /* re-pushing the same path: free */
      l->cur_len++;
      return TI_OK;
    }
    if (at < s->shared) { /* rewriting history a state sees: branch */
      ti_spine *n = spine_copy(l, at, s->cap);
      if (!n) return TI_ERR_NOMEM;
      l->cur = s = n;
    }
    s->len = at;
  }
  if (s->len == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    if (s->pinned) {
      ti_spine *n = spine_copy(l, s->len, cap);
      if (!n) return TI_ERR_NOMEM;
      l->cur = s = n;
    } else {
      const ti_message **v = ti_mem_realloc(s->v, cap * sizeof(*v));
      if (!v) return TI_ERR_NOMEM;
      s->v = v;
      s->cap = cap;
    }
  }
  s->v[s->len++] = m;
  l->cur_len = s->len;
  return TI_OK;
}

void ti_log_truncate(ti_log *l, size_t n) {
  if (n < l->cur_len) l->cur_len = n;
}

size_t ti_log_mark_state(ti_log *l, ti_spine **spine, size_t *count) {
  ti_spine *s = l->cur;
  size_t n = l->cur_len;
  if (n > s->shared) s->shared = n;
  size_t off = 0;
  if (l->last_spine) {
    size_t lim = n < l->last_count ? n : l->last_count;
    if (l->last_spine == s) {
      off = lim;
    } else {
      while (off < lim && l->last_spine->v[off] == s->v[off]) off++;
    }
  }
  l->last_spine = s;
  l->last_count = n;
  *spine = s;
  *count = n;
  return off;
}

/* Publish a lazily made block on the message (one copy wins a race) and
 * on its log's list for freeing. Returns the block that won. */
static ti_lazy_text *publish(_Atomic(ti_lazy_text *) *slot, ti_log *l, ti_lazy_text *n) {
  ti_lazy_text *expected = NULL;
  if (!atomic_compare_exchange_strong(slot, &expected, n)) {
    ti_mem_free(n);
    return expected;
  }
  n->next = atomic_load(&l->lazy);
  while (!atomic_compare_exchange_weak(&l->lazy, &n->next, n)) {
  }
  return n;
}

/* Decode a message's tool calls once, from the tool_calls array of its
 * canonical JSON: [{"id":..,"type":"function","function":{"name":..,
 * "arguments":..}},...]. One block holds the ti_tool_call array and the
 * NUL-terminated strings. */
const ti_tool_call *ti_message_tools(const ti_message *m) {
  if (!m || !m->ntools) return NULL;
  ti_lazy_text *t = atomic_load_explicit(&((ti_message *)m)->tools, memory_order_acquire);
  if (t) return (const ti_tool_call *)(void *)t->text;
  ti_jv arr, call, k, v, fk, fv;
  if (ti_json_parse(ti_msg_at(m, m->tools_json_off), m->tools_json_len, 0, &arr, NULL) ||
      arr.type != TI_JSON_ARRAY)
    return NULL;
  ti_buf strs = {0};
  size_t off[3 * 64], *offs = off, n = 0;
  if (m->ntools > 64 && !(offs = ti_mem_alloc(3 * m->ntools * sizeof(*offs)))) return NULL;
  int rc = TI_OK;
  ti_json_iter it, ci, fi;
  ti_json_iter_init(&it, &arr);
  while (!rc && n < m->ntools && ti_json_next(&it, &call)) {
    ti_jv id = {0}, name = {0}, args = {0};
    ti_json_iter_init(&ci, &call);
    while (ti_json_next_member(&ci, &k, &v)) {
      if (ti_json_str_eq(&k, "id")) id = v;
      else if (ti_json_str_eq(&k, "function")) {
        ti_json_iter_init(&fi, &v);
        while (ti_json_next_member(&fi, &fk, &fv)) {
          if (ti_json_str_eq(&fk, "name")) name = fv;
          else if (ti_json_str_eq(&fk, "arguments")) args = fv;
        }
      }
    }
    const ti_jv *f[3] = {&id, &name, &args};
    for (int j = 0; j < 3 && !rc; j++) {
      offs[3 * n + (size_t)j] = strs.len;
      if (f[j]->type == TI_JSON_STRING) rc = ti_json_str_append(f[j], &strs);
      if (!rc) rc = ti_buf_append(&strs, "", 1);
    }
    n++;
  }
  ti_lazy_text *blk = NULL;
  size_t head = sizeof(ti_tool_call) * m->ntools;
  if (!rc && n == m->ntools && (blk = ti_mem_alloc(sizeof(*blk) + head + strs.len))) {
    ti_tool_call *tc = (ti_tool_call *)(void *)blk->text;
    char *sp = blk->text + head;
    if (strs.len) memcpy(sp, strs.p, strs.len);
    for (size_t i = 0; i < n; i++) {
      tc[i].id = sp + offs[3 * i];
      tc[i].name = sp + offs[3 * i + 1];
      tc[i].args = sp + offs[3 * i + 2];
    }
    blk->len = head + strs.len;
    blk = publish(&((ti_message *)m)->tools, m->owner, blk);
  }
  ti_buf_free(&strs);
  if (offs != off) ti_mem_free(offs);
  return blk ? (const ti_tool_call *)(void *)blk->text : NULL;
}

/* The whole JSON of m in one piece: m->json, or for a message whose
 * content lies in its input, a copy made once (thread-safe, freed with
 * the log). NULL on NOMEM. */
const char *ti_message_whole(const ti_message *m) {
  if (!m->ext) return m->json;
  ti_lazy_text *t = atomic_load_explicit(&((ti_message *)m)->whole, memory_order_acquire);
  if (!t) {
    ti_lazy_text *n = ti_mem_alloc(sizeof(*n) + m->json_len + 1);
    if (!n) return NULL;
    n->len = m->json_len;
    *ti_msg_put(n->text, m) = '\0';
    t = publish(&((ti_message *)m)->whole, m->owner, n);
  }
  return t->text;
}

/* Decode a message's text content once, from its JSON. Several threads may
 * race to do it: one copy wins, the others are freed. The log the message
 * lives in is found through `owner`, recorded at intern time. */
/* The decoded text of the JSON string [p, p + n) of m, made once into
 * *slot (thread-safe); NULL when out of memory. */
static const char *lazy_string(const ti_message *m, _Atomic(ti_lazy_text *) *slot,
                               const char *p, size_t json_len, size_t *len) {
  ti_lazy_text *t = atomic_load_explicit(slot, memory_order_acquire);
  if (!t) {
    if (!p) return NULL; /* its JSON could not be put together */
    ti_jv v = {.p = p, .n = json_len, .type = TI_JSON_STRING, .flags = TI_JV_ESCAPES};
    ti_buf b = {0};
    if (ti_json_str_append(&v, &b) || ti_buf_reserve(&b, 0)) {
      ti_buf_free(&b);
      return NULL;
    }
    ti_lazy_text *n = ti_mem_alloc(sizeof(*n) + b.len + 1);
    if (!n) {
      ti_buf_free(&b);
      return NULL;
    }
    n->len = b.len;
    memcpy(n->text, b.p, b.len + 1);
    ti_buf_free(&b);
    t = publish(slot, m->owner, n);
  }
  if (len) *len = t->len;
  return t->text;
}

const char *ti_message_text(const ti_message *m, size_t *len) {
  if (len) *len = 0;
  if (!m || m->content_kind != TI_CONTENT_TEXT) return NULL;
  return lazy_string(m, &((ti_message *)m)->text, ti_msg_content(m), m->content_json_len, len);
}

TI_API const char *ti_message_reasoning(const ti_message *m, size_t *len) {
  if (len) *len = 0;
  if (!m || !m->reasoning_json_len) return NULL;
  return lazy_string(m, &((ti_message *)m)->reasoning, ti_msg_at(m, m->reasoning_json_off),
                     m->reasoning_json_len, len);
}
