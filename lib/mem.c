/* SPDX-License-Identifier: MIT */
/* Allocation wrappers and the growable buffer. In the internal test build
 * (TI_TESTING) every allocation can be made to fail, for the
 * allocation-failure suite. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#ifdef TI_TESTING
/* Countdown: when it reaches zero the allocation fails (once). */
static long ti_fail_countdown = -1;
static unsigned long ti_alloc_calls;
void ti_test_fail_after(long n) { ti_fail_countdown = n; ti_alloc_calls = 0; }
unsigned long ti_test_alloc_calls(void) { return ti_alloc_calls; }
static int should_fail(void) {
  ti_alloc_calls++;
  if (ti_fail_countdown < 0) return 0;
  if (ti_fail_countdown-- == 0) return 1;
  return 0;
}
int ti_test_should_fail(void) { return should_fail(); }
#else
#define should_fail() 0
#endif

/* Blocks of TI_HUGE_MIN bytes or more go to hugemem.c (huge pages). */
TI_API void *ti_mem_alloc(size_t n) {
  if (should_fail()) return NULL;
  void *p = n >= TI_HUGE_MIN ? ti_huge_alloc(n, 0) : NULL;
  return p ? p : malloc(n ? n : 1);
}

TI_API void *ti_mem_calloc(size_t n, size_t m) {
  if (m && n > SIZE_MAX / m) return NULL;
  if (should_fail()) return NULL;
  void *p = n * m >= TI_HUGE_MIN ? ti_huge_alloc(n * m, 1) : NULL;
  return p ? p : calloc(n ? n : 1, m ? m : 1);
}

TI_API void *ti_mem_realloc(void *p, size_t n) {
  if (should_fail()) return NULL;
  void *q;
  if (ti_huge_realloc(p, n, &q)) return q;
  return realloc(p, n ? n : 1);
}

TI_API void ti_mem_free(void *p) {
  if (!ti_huge_free(p)) free(p);
}

char *ti_strndup(const char *s, size_t n) {
  char *d = ti_mem_alloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *ti_strdup(const char *s) { return s ? ti_strndup(s, strlen(s)) : NULL; }

TI_API void ti_buf_init(ti_buf *b) { b->p = NULL; b->len = b->cap = 0; }

TI_API void ti_buf_free(ti_buf *b) {
  ti_mem_free(b->p);
  ti_buf_init(b);
}

TI_API void ti_buf_reset(ti_buf *b) {
  b->len = 0;
  if (b->p) b->p[0] = '\0';
}

TI_API int ti_buf_reserve(ti_buf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len - 1) return TI_ERR_NOMEM;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return TI_OK;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *p = ti_mem_realloc(b->p, cap);
  if (!p) return TI_ERR_NOMEM;
  b->p = p;
  b->cap = cap;
  return TI_OK;
}

TI_API int ti_buf_append(ti_buf *b, const void *s, size_t n) {
  if (ti_buf_reserve(b, n)) return TI_ERR_NOMEM;
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return TI_OK;
}

TI_API int ti_buf_puts(ti_buf *b, const char *s) { return ti_buf_append(b, s, strlen(s)); }

int ti_buf_vprintf(ti_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return TI_ERR_INVALID;
  if (ti_buf_reserve(b, (size_t)n)) return TI_ERR_NOMEM;
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return TI_OK;
}

TI_API int ti_buf_printf(ti_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = ti_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

/* A fast non-cryptographic 64-bit hash (8 bytes per step). */
uint64_t ti_hash(const void *p, size_t n) {
  const unsigned char *s = p;
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ (w * 0xbf58476d1ce4e5b9ull)) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    s += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, s, n);
  h = (h ^ (w * 0xbf58476d1ce4e5b9ull)) * 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

/* Append a decimal integer (the hot path's alternative to printf). */
int ti_buf_i64(ti_buf *b, int64_t v) {
  char tmp[24], *e = tmp + sizeof tmp, *p = e;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  return ti_buf_append(b, p, (size_t)(e - p));
}

int ti_buf_u64(ti_buf *b, uint64_t u) {
  char tmp[24], *e = tmp + sizeof tmp, *p = e;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  return ti_buf_append(b, p, (size_t)(e - p));
}
