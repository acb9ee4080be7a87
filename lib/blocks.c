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
 * 2,000. Blocks are cut buddy-wise (split_locked), so the classes in use
 * share slabs: peak RSS of claude-projects/ 8.7 -> 9.3 MB (13 MB when each
 * class had slabs of its own).
 *
 * Slabs stay mapped for the life of the process: a program that opens an
 * iterator per file would otherwise map and clear them again for every file
 * (the CLI given 738 files: +21% time when they were unmapped with the last
 * log). When the last log lets go, the slabs are handed to the kernel as
 * lazily free (MADV_FREE): their pages stay until memory runs short, and are
 * taken back then; the address space is what the process's peak needed.
 * The free blocks are listed outside the slabs, whose contents the kernel
 * may drop. Off where huge blocks are off (sanitizer builds,
 * -Dhuge_blocks=false): every block then comes from malloc, where the
 * sanitizers see it. */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "core.h"

#define SLAB ((size_t)2 << 20)
#define MIN_SHIFT 16 /* 64 KiB */
#define MAX_SHIFT 21 /* 2 MiB: one block per slab */
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)

typedef struct block_stack {
  void **v;
  size_t n, cap;
  size_t total; /* free_blocks: blocks of the class in all, free or out */
} block_stack;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static block_stack free_blocks[NCLASS];
static block_stack slabs; /* every slab mapped */
static size_t holders;

static int class_of(size_t n) {
  int k = MIN_SHIFT;
  while (k < MAX_SHIFT && ((size_t)1 << k) < n) k++;
  return k;
}

/* With the lock held: room for `want` entries in all. */
static int reserve(block_stack *s, size_t want) {
  if (s->cap >= want) return TI_OK;
  size_t c = s->cap ? s->cap : 32;
  while (c < want) c *= 2;
  void **v = ti_mem_realloc(s->v, c * sizeof(*v));
  if (!v) return TI_ERR_NOMEM;
  s->v = v;
  s->cap = c;
  return TI_OK;
}

void ti_blocks_hold(void) {
  pthread_mutex_lock(&pool_lock);
  holders++;
  pthread_mutex_unlock(&pool_lock);
}

void ti_blocks_release(void) {
  pthread_mutex_lock(&pool_lock);
  if (--holders == 0) {
#ifdef MADV_FREE
    for (size_t i = 0; i < slabs.n; i++) madvise(slabs.v[i], SLAB, MADV_FREE);
#endif
  }
  pthread_mutex_unlock(&pool_lock);
}

size_t ti_blocks_slabs(void) {
  pthread_mutex_lock(&pool_lock);
  size_t n = slabs.n;
  pthread_mutex_unlock(&pool_lock);
  return n;
}

int ti_block_pooled(size_t n) { return n <= SLAB && ti_huge_on(); }

/* With the lock held: a block of class k, cut from the smallest free block
 * of a larger class or else from a new slab, buddy-wise: the halves not
 * taken go on the free stacks of their classes (never merged back). So a
 * log's first chunks (256 KiB, 512 KiB, 1 MiB) share one slab, one huge
 * page to clear instead of three. Every block made gets room on its class's
 * stack for the day it is free. */
static void *split_locked(int k) {
  int j = k + 1;
  while (j <= MAX_SHIFT && !free_blocks[j - MIN_SHIFT].n) j++;
  for (int m = k; m < j && m <= MAX_SHIFT; m++) {
    block_stack *fs = &free_blocks[m - MIN_SHIFT];
    if (reserve(fs, fs->total + 2)) return NULL;
  }
  char *b;
  if (j <= MAX_SHIFT) { /* a free block of class j, split */
    block_stack *src = &free_blocks[j - MIN_SHIFT];
    b = src->v[--src->n];
    src->total--;
  } else { /* a new slab: a block of the largest class, split the same way */
    if (reserve(&slabs, slabs.n + 1) || !(b = ti_huge_map(SLAB))) return NULL;
    slabs.v[slabs.n++] = b;
    j = MAX_SHIFT;
  }
  for (int m = j - 1; m >= k; m--) { /* the upper half of each split is free */
    block_stack *fs = &free_blocks[m - MIN_SHIFT];
    fs->v[fs->n++] = b + ((size_t)1 << m);
    fs->total++;
  }
  free_blocks[k - MIN_SHIFT].total++; /* the block taken */
  return b;
}

void *ti_block_get(size_t n, size_t *got) {
#ifdef TI_TESTING
  if (ti_test_should_fail()) return NULL;
#endif
  int k = class_of(n);
  block_stack *fs = &free_blocks[k - MIN_SHIFT];
  pthread_mutex_lock(&pool_lock);
  void *p = fs->n ? fs->v[--fs->n] : split_locked(k);
  pthread_mutex_unlock(&pool_lock);
  if (p) *got = (size_t)1 << k;
  return p;
}

void ti_block_put(void *p, size_t size) {
  block_stack *fs = &free_blocks[class_of(size) - MIN_SHIFT];
  pthread_mutex_lock(&pool_lock);
  /* never full: room for every block of the class was made when it was
   * cut (split_locked) */
  fs->v[fs->n++] = p;
  pthread_mutex_unlock(&pool_lock);
}
