/* SPDX-License-Identifier: MIT */
/* Large blocks on huge pages. A block of TI_HUGE_MIN bytes or more (a long
 * session's read buffer, record arrays, log chunks, indexes) is mapped on
 * its own, 2 MiB-aligned, with MADV_HUGEPAGE: filling it then takes one
 * page fault per 2 MiB instead of one per 4 KiB. malloc's blocks sit at
 * arbitrary offsets, so a hint on them covers little. The 64 MB session
 * took 5,300 faults, 4,100 of them on fresh memory; now 3,000, and 8% less
 * CPU (claude-projects/, OpenHands, SWE-smith: the same). A grown block's
 * pages move, never copied. Smaller blocks stay on malloc: on huge pages,
 * the per-trace ones of claude-projects/ cost 6% more (2 MiB cleared for
 * each, then unmapped with its trace).
 *
 * ti_mem_free / ti_mem_realloc tell these blocks from malloc's by their
 * place: a fixed offset from a 2 MiB boundary, then the list of live
 * blocks (a malloc pointer at that offset is rare, and nothing below it is
 * read). Linux only; sanitizer builds keep every block on malloc, where
 * the sanitizers see it. Where huge pages are slow to fault in (a VM whose
 * host takes free memory back), blocks go to small pages: from the start
 * where the VM says so (host_takes_free_memory), else for a while after a
 * slow fault (advise()). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#if defined(__linux__)
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TI_HUGE_OFF 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define TI_HUGE_OFF 1
#endif
#endif

#if defined(__linux__) && defined(MADV_HUGEPAGE) && defined(MREMAP_MAYMOVE) && \
    defined(MREMAP_FIXED) && !defined(TI_HUGE_OFF) && !defined(TI_NO_HUGE_BLOCKS)
#define TI_HUGE_ON 1
#endif

#ifdef TI_HUGE_ON
#define HUGE_PAGE ((size_t)2 << 20)
/* the header's room: the pointer handed out keeps malloc's alignment */
#define HDR ((size_t)64)

typedef struct huge_hdr {
  size_t maplen; /* bytes mapped from the header on */
  struct huge_hdr *prev, *next;
} huge_hdr;

static pthread_mutex_t huge_lock = PTHREAD_MUTEX_INITIALIZER;
static huge_hdr *huge_live;
static size_t huge_nlive;

/* The mapping for n bytes: whole huge pages (a part-page tail would be
 * filled 4 KiB at a time, and so would the rest of its huge page once the
 * block grows over it). Only pages touched take memory. */
static size_t block_len(size_t n) { return (n + HDR + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1); }

/* When huge pages cost more than they save. In a virtual machine whose
 * host takes back the guest's free memory (a balloon's free page reporting
 * hands it blocks of 2 MiB and more), a fresh huge page is most often such
 * a block, and the first touch of each of its 512 small pages is then a
 * fault in the host: on this project's benchmark machine 4-6 ms a huge
 * page against 0.2 ms, and a 64 MB session took 54-92 ms of CPU instead of
 * 38 (on small pages, which come from smaller free blocks: 43).
 * So the first touch of every new mapping is timed (the thread's CPU time,
 * two clock reads), and one that took SLOW_FAULT_NS or more sends the
 * next second's mappings to small pages; the first mapping after that
 * second tries huge pages again. The blocks already mapped are turned to
 * small pages too, from their next fault on: a long session's record
 * array, mapped while huge pages were fast, would otherwise fault its next
 * 2 MiB as one more slow huge page. Only a new mapping's first page is timed:
 * it holds the block's header, so it is used whatever happens; the pages a
 * block grows into may never be touched, and touching one to time it
 * would take a huge page the run did not need (two a run for the long
 * session, where the few fast pages are soon used up). */
#define SLOW_FAULT_NS 1000000LL
#define SMALL_FOR_NS 1000000000LL
static _Atomic long long small_until; /* CLOCK_MONOTONIC ns; 0: huge pages */
static _Atomic long long slow_fault_ns = SLOW_FAULT_NS;

static long long clock_ns(clockid_t c) {
  struct timespec t;
  if (clock_gettime(c, &t)) return 0;
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A VM whose balloon device reports the guest's free memory to the host
 * (virtio-balloon with free page reporting, feature bit 5, negotiated):
 * the host drops what is reported, blocks of 2 MiB and more, so a fresh
 * huge page is nearly always such a block, and the probe in advise() finds
 * it slow only after paying for it (4-6 ms, the 512 host faults). There,
 * blocks go to small pages from the start, without a probe: on this
 * project's benchmark machine the long session's benchmark rounds then
 * took 31-34 ms each, against 30-31 ms in rounds whose huge pages were
 * fast and 35-39 in those where they were not (docs/performance.md,
 * sixteenth session). Looked up once, in sysfs (absent or unreadable: not
 * such a VM). */
#define BALLOON_F_REPORTING 5
#define BALLOON_DIR "/sys/bus/virtio/drivers/virtio_balloon"
static _Atomic int reporting = -1; /* 1: such a VM, 0: not, -1: not looked up yet */

static int balloon_reports(void) {
  DIR *d = opendir(BALLOON_DIR);
  if (!d) return 0;
  int found = 0;
  struct dirent *e;
  while (!found && (e = readdir(d))) {
    char path[sizeof BALLOON_DIR + 280], f[64];
    if (strncmp(e->d_name, "virtio", 6) ||
        snprintf(path, sizeof path, "%s/%s/features", BALLOON_DIR, e->d_name) >= (int)sizeof path)
      continue;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t k = read(fd, f, sizeof f); /* one '0' or '1' per feature bit, bit 0 first */
    close(fd);
    found = k > BALLOON_F_REPORTING && f[BALLOON_F_REPORTING] == '1';
  }
  closedir(d);
  return found;
}

static int host_takes_free_memory(void) {
  int r = atomic_load_explicit(&reporting, memory_order_relaxed);
  if (r < 0) { /* two threads may both look: same answer */
    r = balloon_reports();
    atomic_store_explicit(&reporting, r, memory_order_relaxed);
  }
  return r;
}

/* Pages not faulted in yet of [a, a + len) and of every live block: small
 * ones (the slabs of blocks.c are whole huge pages, faulted in at once). */
static void small_from_now(char *a, size_t len) {
  madvise(a, len, MADV_NOHUGEPAGE);
  pthread_mutex_lock(&huge_lock);
  for (huge_hdr *h = huge_live; h; h = h->next) madvise(h, h->maplen, MADV_NOHUGEPAGE);
  pthread_mutex_unlock(&huge_lock);
}

/* Advise [a, a + len) onto huge pages, or small ones for now; with
 * `probe`, [a, a + len) is a new mapping whose first page is timed. */
static void advise(char *a, size_t len, int probe) {
  long long until = atomic_load_explicit(&small_until, memory_order_relaxed);
  if (host_takes_free_memory() || (until && clock_ns(CLOCK_MONOTONIC) < until)) {
    madvise(a, len, MADV_NOHUGEPAGE);
    return;
  }
  madvise(a, len, MADV_HUGEPAGE);
  if (!probe) return;
  long long t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  *(volatile char *)a = 0; /* fresh memory reads as zero: unchanged */
  long long dt = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
  if (dt >= atomic_load_explicit(&slow_fault_ns, memory_order_relaxed) && t0) {
    atomic_store_explicit(&small_until, clock_ns(CLOCK_MONOTONIC) + SMALL_FOR_NS,
                          memory_order_relaxed);
    small_from_now(a, len);
  } else {
    atomic_store_explicit(&small_until, 0, memory_order_relaxed);
  }
}

int ti_huge_small_now(void) {
  long long until = atomic_load_explicit(&small_until, memory_order_relaxed);
  return host_takes_free_memory() || (until && clock_ns(CLOCK_MONOTONIC) < until);
}
int ti_huge_host_reports(void) { return host_takes_free_memory(); }
void ti_huge_set_host_reports(int on) { atomic_store(&reporting, on < 0 ? -1 : !!on); }
void ti_huge_set_slow_fault(long long ns) {
  atomic_store(&slow_fault_ns, ns < 0 ? SLOW_FAULT_NS : ns);
  atomic_store(&small_until, 0);
}

/* A 2 MiB-aligned mapping of len bytes (len a multiple of the page). */
static void *map_aligned(size_t len) {
  if (len > SIZE_MAX - HUGE_PAGE) return NULL;
  size_t rlen = len + HUGE_PAGE;
  char *r = mmap(NULL, rlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) return NULL;
  char *a = (char *)(((uintptr_t)r + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (a > r) munmap(r, (size_t)(a - r));
  if (r + rlen > a + len) munmap(a + len, (size_t)(r + rlen - (a + len)));
  advise(a, len, 1);
  return a;
}

static void live_add(huge_hdr *h) {
  pthread_mutex_lock(&huge_lock);
  h->prev = NULL;
  h->next = huge_live;
  if (huge_live) huge_live->prev = h;
  huge_live = h;
  huge_nlive++;
  pthread_mutex_unlock(&huge_lock);
}

static void live_del(huge_hdr *h) {
  pthread_mutex_lock(&huge_lock);
  if (h->prev) h->prev->next = h->next;
  else huge_live = h->next;
  if (h->next) h->next->prev = h->prev;
  huge_nlive--;
  pthread_mutex_unlock(&huge_lock);
}

/* The block's header when p is one of these blocks, else NULL. */
static huge_hdr *huge_of(const void *p) {
  if (((uintptr_t)p & (HUGE_PAGE - 1)) != HDR) return NULL;
  const huge_hdr *h = (const huge_hdr *)((const char *)p - HDR);
  pthread_mutex_lock(&huge_lock);
  huge_hdr *q = huge_live;
  while (q && q != h) q = q->next;
  pthread_mutex_unlock(&huge_lock);
  return q;
}

/* Blocks let go of, kept for the next block of the same size: a program
 * that opens an iterator per file would otherwise map and clear a read
 * buffer of 2 MiB for every file of 256 KiB or more (the CLI given 738
 * files: 25 ms of its 196 in clear_page). They are lazily free
 * (MADV_FREE): the kernel takes their pages back when memory runs short,
 * contents and all, so their sizes are kept here, not in their headers. */
#define KEEP_BLOCKS 4
static void *kept[KEEP_BLOCKS];
static size_t kept_len[KEEP_BLOCKS], nkept;

/* A block of n bytes; zeroed: its bytes must read as zero (a kept block's
 * may not: it is cleared then). */
static void *huge_new(size_t n, int zeroed) {
  size_t len = block_len(n);
  huge_hdr *h = NULL;
  pthread_mutex_lock(&huge_lock);
  for (size_t i = nkept; i-- > 0;) {
    if (kept_len[i] == len) {
      h = kept[i];
      kept[i] = kept[--nkept];
      kept_len[i] = kept_len[nkept];
      break;
    }
  }
  pthread_mutex_unlock(&huge_lock);
  if (h) {
    if (zeroed) memset((char *)h + HDR, 0, n);
  } else if (!(h = map_aligned(len))) {
    return NULL;
  }
  h->maplen = len;
  live_add(h);
  return (char *)h + HDR;
}

/* Grow a block to hold n bytes: its pages move to a new 2 MiB-aligned
 * place, no byte copied, and fresh pages follow them. (Not grown in place,
 * nor by mremap alone: both keep the alignment just as well, but valgrind
 * then takes the added pages for unaddressable.) */
static void *huge_grow(huge_hdr *h, size_t n) {
  size_t len = block_len(n), old = h->maplen;
  if (len <= old) return (char *)h + HDR;
  if (len > SIZE_MAX - HUGE_PAGE) return NULL;
  char *r = mmap(NULL, len + HUGE_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) return NULL;
  char *a = (char *)(((uintptr_t)r + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (mmap(a + old, len - old, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
           -1, 0) == MAP_FAILED) {
    munmap(r, len + HUGE_PAGE);
    return NULL;
  }
  live_del(h);
  if (mremap(h, old, old, MREMAP_MAYMOVE | MREMAP_FIXED, a) == MAP_FAILED) {
    munmap(r, len + HUGE_PAGE);
    live_add(h);
    return NULL;
  }
  /* [a, a + len) is the block now: drop the rest of the reservation */
  if (a > r) munmap(r, (size_t)(a - r));
  munmap(a + len, (size_t)(r + HUGE_PAGE - a));
  advise(a + old, len - old, 0);
  h = (huge_hdr *)a;
  h->maplen = len;
  live_add(h);
  return a + HDR;
}

void *ti_huge_alloc(size_t n, int zeroed) { return n >= TI_HUGE_MIN ? huge_new(n, zeroed) : NULL; }

int ti_huge_free(void *p) {
  huge_hdr *h = p ? huge_of(p) : NULL;
  if (!h) return 0;
  live_del(h);
  size_t len = h->maplen;
#ifdef MADV_FREE
  /* lazily free before it is listed: once listed, another thread may take
   * it and write to it */
  if (len <= (size_t)8 << 20 && madvise(h, len, MADV_FREE) == 0) {
    pthread_mutex_lock(&huge_lock);
    int keep = nkept < KEEP_BLOCKS;
    if (keep) {
      kept[nkept] = h;
      kept_len[nkept++] = len;
    }
    pthread_mutex_unlock(&huge_lock);
    if (keep) return 1;
  }
#endif
  munmap(h, len);
  return 1;
}

/* 1 when p was one of these blocks or becomes one (*out set, NULL on
 * failure with p untouched), 0 to leave it to realloc. */
int ti_huge_realloc(void *p, size_t n, void **out) {
  huge_hdr *h = p ? huge_of(p) : NULL;
  if (h) {
    *out = huge_grow(h, n);
    return 1;
  }
  if (n < TI_HUGE_MIN) return 0;
  void *q = huge_new(n, 0);
  if (!q) return 0; /* realloc may still manage */
  if (p) {
    size_t old = malloc_usable_size(p);
    memcpy(q, p, old < n ? old : n);
    free(p);
  }
  *out = q;
  return 1;
}

void *ti_huge_map(size_t len) { return map_aligned(len); }

size_t ti_huge_live(void) {
  pthread_mutex_lock(&huge_lock);
  size_t n = huge_nlive;
  pthread_mutex_unlock(&huge_lock);
  return n;
}
int ti_huge_on(void) { return 1; }
#else
int ti_huge_on(void) { return 0; }
int ti_huge_small_now(void) { return 0; }
int ti_huge_host_reports(void) { return 0; }
void ti_huge_set_host_reports(int on) { (void)on; }
void ti_huge_set_slow_fault(long long ns) { (void)ns; }
void *ti_huge_map(size_t len) { (void)len; return NULL; }
void *ti_huge_alloc(size_t n, int zeroed) { (void)n, (void)zeroed; return NULL; }
int ti_huge_free(void *p) { (void)p; return 0; }
int ti_huge_realloc(void *p, size_t n, void **out) { (void)p, (void)n, (void)out; return 0; }
size_t ti_huge_live(void) { return 0; }
#endif
