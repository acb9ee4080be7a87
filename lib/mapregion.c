/* SPDX-License-Identifier: MIT */
/* Map regions: files mapped side by side into one reserved range of
 * address space, unmapped all at once when the last of them is let go.
 *
 * Mapping each file of a directory walk on its own costs one unmap per
 * file, and with worker threads every unmap interrupts the other threads
 * of the process (their cached translations of the range are flushed). A
 * reader instead reserves TI_MREGION_SIZE bytes with no access, maps each
 * file it maps into the next free part of it (MAP_FIXED), and starts a new
 * region when one is full; a region is unmapped once it is full and all
 * its files are released: one unmap for many files. The cost is memory: a
 * file's pages stay mapped until its region goes. */
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"

static size_t page_size(void) {
  static size_t ps;
  size_t p = __atomic_load_n(&ps, __ATOMIC_RELAXED);
  if (!p) {
    long v = sysconf(_SC_PAGESIZE);
    p = v > 0 ? (size_t)v : 4096;
    __atomic_store_n(&ps, p, __ATOMIC_RELAXED);
  }
  return p;
}

void ti_mregion_unref(ti_mregion *r) {
  if (!r || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1) return;
  munmap(r->base, r->len);
  ti_mem_free(r);
}

/* A new region with one reference (its reader's, while it is open). */
static ti_mregion *region_new(void) {
  ti_mregion *r = ti_mem_alloc(sizeof(*r));
  if (!r) return NULL;
  void *p = mmap(NULL, TI_MREGION_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) {
    ti_mem_free(r);
    return NULL;
  }
  atomic_init(&r->refs, 1);
  r->base = p;
  r->used = 0;
  r->len = TI_MREGION_SIZE;
  return r;
}

ti_mregion *ti_mregion_map(ti_mregion **open, int fd, size_t len, const char **out) {
  size_t ps = page_size(), span = len <= TI_MREGION_SIZE - ps ? (len + ps - 1) & ~(ps - 1) : 0;
  if (!span) return NULL;
  ti_mregion *r = *open;
  if (r && TI_MREGION_SIZE - r->used < span) { /* full: retired, unmapped with its last file */
    *open = NULL;
    ti_mregion_unref(r);
    r = NULL;
  }
  if (!r && !(r = *open = region_new())) return NULL;
  char *at = r->base + r->used;
  /* The whole file is read next: its pages are mapped now, in one go,
   * rather than 16 at a time on faults (claude-projects/: -2% CPU). */
  void *p = MAP_FAILED;
#ifdef TI_TESTING
  if (!ti_test_should_fail()) /* a failure made here leaves the reservation as it was */
#endif
    p = mmap(at, len, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) {
    /* A failed MAP_FIXED may have unmapped [at, at + span), and another
     * thread may map something there before the region goes: reserve it
     * again only if nothing is there, or else the region unmaps only the
     * files it gave out (its tail stays reserved: address space, no
     * memory), never what others mapped since. */
    void *q = mmap(at, span, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (q != at) {
      if (q != MAP_FAILED) munmap(q, span); /* a kernel without NOREPLACE placed it elsewhere */
      r->len = r->used;
    }
    *open = NULL;
    ti_mregion_unref(r);
    return NULL;
  }
  r->used += span;
  atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
  *out = p;
  return r;
}
