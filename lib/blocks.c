/* SPDX-License-Identifier: MIT */
/* The block pool: the memory of message logs (their arena chunks and large
 * one-off blocks, 64 KiB to 2 MiB) in power-of-two blocks carved from 2 MiB
 * slabs on huge pages. A block a log lets go of serves the next log, from
 * whichever thread. With directory threads, one log per trace is made by a
 * reader and freed by the consumer; through malloc, each thread's arena
 * grew to its own peak (every page of it a fresh fault) and the two threads
 * freed into each other's arenas. claude-projects/ at -j 2: 3,700-4,000
 * page faults before, 1,500-1,600 with the pool, and 4% less CPU; one
 * thread: 880 -> 480 faults, the same time; the long session: 2,500 ->
 * 2,000. The price: slabs are huge pages, so peak RSS grows by up to a slab
 * per size class in use (claude-projects/: 8.7 -> 13 MB).
 *
 * The pool lives while something holds it (every log does): when the last
 * holder lets go, the slabs go back to the system, so a program that frees
 * its iterators and states keeps nothing. Off where huge blocks are off
 * (sanitizer builds, -Dhuge_blocks=false): every block then comes from
 * malloc, where the sanitizers see it. */
#include <pthread.h>
#include <stdint.h>

#include "core.h"

#define SLAB ((size_t)2 << 20)
#define MIN_SHIFT 16 /* 64 KiB */
#define MAX_SHIFT 21 /* 2 MiB: one block per slab */
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)

typedef struct free_block {
  struct free_block *next;
} free_block;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static free_block *free_list[NCLASS];
static void **slabs; /* every slab mapped, to unmap them at the end */
static size_t nslabs, cslabs;
static size_t holders;

static int class_of(size_t n) {
  int k = MIN_SHIFT;
  while (k <= MAX_SHIFT && ((size_t)1 << k) < n) k++;
  return k;
}

void ti_blocks_hold(void) {
  pthread_mutex_lock(&pool_lock);
  holders++;
  pthread_mutex_unlock(&pool_lock);
}

void ti_blocks_release(void) {
  void **v = NULL;
  size_t n = 0;
  pthread_mutex_lock(&pool_lock);
  if (--holders == 0) {
    v = slabs;
    n = nslabs;
    slabs = NULL;
    nslabs = cslabs = 0;
    for (int k = 0; k < NCLASS; k++) free_list[k] = NULL;
  }
  pthread_mutex_unlock(&pool_lock);
  for (size_t i = 0; i < n; i++) ti_huge_unmap(v[i], SLAB);
  ti_mem_free(v);
}

/* With the lock held: a new slab cut into blocks of class k; the first
 * block is returned, the others go on the free list. */
static void *new_slab_locked(int k) {
  if (nslabs == cslabs) {
    size_t c = cslabs ? cslabs * 2 : 16;
    void **v = ti_mem_realloc(slabs, c * sizeof(*v));
    if (!v) return NULL;
    slabs = v;
    cslabs = c;
  }
  char *s = ti_huge_map(SLAB);
  if (!s) return NULL;
  slabs[nslabs++] = s;
  size_t bs = (size_t)1 << k;
  for (size_t off = SLAB - bs; off > 0; off -= bs) {
    free_block *b = (free_block *)(s + off);
    b->next = free_list[k - MIN_SHIFT];
    free_list[k - MIN_SHIFT] = b;
  }
  return s;
}

int ti_block_pooled(size_t n) { return n <= SLAB && ti_huge_on(); }

void *ti_block_get(size_t n, size_t *got) {
#ifdef TI_TESTING
  if (ti_test_should_fail()) return NULL;
#endif
  int k = class_of(n);
  pthread_mutex_lock(&pool_lock);
  void *p = free_list[k - MIN_SHIFT];
  if (p)
    free_list[k - MIN_SHIFT] = free_list[k - MIN_SHIFT]->next;
  else
    p = new_slab_locked(k);
  pthread_mutex_unlock(&pool_lock);
  if (p) *got = (size_t)1 << k;
  return p;
}

void ti_block_put(void *p, size_t size) {
  int k = class_of(size);
  free_block *b = p;
  pthread_mutex_lock(&pool_lock);
  b->next = free_list[k - MIN_SHIFT];
  free_list[k - MIN_SHIFT] = b;
  pthread_mutex_unlock(&pool_lock);
}
