/* SPDX-License-Identifier: MIT */
/* Cross-core round trip for bench/run.py: two threads hand one cache line
 * back and forth 200,000 times; prints the mean round trip in ns.
 *
 *   pingpong
 *
 * On this project's 2-vCPU guest it reads 55-90 ns at some times and
 * 310-400 ns at others (the host placing the vCPUs near or far apart), and
 * everything one thread of `-j 2` writes and the other reads costs
 * accordingly; the benchmark prints it before and after its rounds so that
 * a `-j 2` result can be read with it. With one CPU (or the other busy) the
 * number is the scheduler's, not the cache's.
 * Built only for benchmarks:  cc -O2 -pthread pingpong.c -o pingpong */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 200000

static _Alignas(64) atomic_int ball;

static void *other(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    while (atomic_load_explicit(&ball, memory_order_acquire) != 1) {
    }
    atomic_store_explicit(&ball, 0, memory_order_release);
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, other, NULL) != 0) return 1;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < ROUNDS; i++) {
    atomic_store_explicit(&ball, 1, memory_order_release);
    while (atomic_load_explicit(&ball, memory_order_acquire) != 0) {
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  pthread_join(t, NULL);
  double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / ROUNDS;
  printf("%.0f\n", ns);
  return 0;
}
