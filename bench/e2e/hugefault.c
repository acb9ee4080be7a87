/* SPDX-License-Identifier: MIT */
/* How fresh huge pages fault in, for bench/run.py: maps four 2 MiB pages
 * with MADV_HUGEPAGE and prints the thread CPU time, in ms, of the first
 * write to each.
 *
 *   hugefault
 *
 * On this project's guest a fresh huge page faults in in ~0.2 ms while the
 * guest's free memory is its own, and in 4-6 ms once the host has taken it
 * back (free page reporting hands it every free block of 2 MiB and more
 * that stays free for ~2 s; the host then faults its 512 small pages in one
 * by one). The library's big blocks and log slabs are such pages
 * (lib/hugemem.c), so the long session's rounds are fast or slow with
 * them; the benchmark prints this before and after its rounds. Freeing the
 * four pages at exit hands the next program four unreported blocks.
 * Built only for benchmarks:  cc -O2 hugefault.c -o hugefault */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#define HUGE ((size_t)2 << 20)
#define PAGES 4

static double cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(void) {
  size_t len = PAGES * HUGE;
  char *r = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) return 1;
  char *a = (char *)(((uintptr_t)r + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
#ifdef MADV_HUGEPAGE
  madvise(a, len, MADV_HUGEPAGE);
#endif
  for (int i = 0; i < PAGES; i++) {
    double t0 = cpu_ms();
    *(volatile char *)(a + i * HUGE) = 1;
    printf("%s%.2f", i ? " " : "", cpu_ms() - t0);
  }
  printf("\n");
  return 0;
}
