/* SPDX-License-Identifier: MIT */
/* Internals: histories share one message log (no per-state copies),
 * every allocation can fail once without a crash or a leak, and large
 * blocks live on huge pages (log memory in a pool of them) and all go back;
 * readers writing their own states (ti_writer_put_all) hold bounded output. */
#include <check.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "big-session.h"
#include "core.h"
#include "lines-format.h"

static const char LINEAR[] =
    "#traj t\nS sys\nU q\nA a1\nT c1 out\nA a2\nU more\nA a3\nA a4\n";

static ti_registry *make_reg(void) {
  ti_registry *r = NULL;
  if (ti_registry_new(&r) == TI_OK && ti_registry_add(r, &lines_format) != TI_OK) {
    ti_registry_free(r);
    r = NULL;
  }
  return r;
}

START_TEST(linear_history_shares_one_spine) {
  ti_registry *r = make_reg();
  ck_assert_ptr_nonnull(r);
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.registry = r;
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, LINEAR, sizeof LINEAR - 1, &o), TI_OK);
  const ti_state *s;
  ti_state *first = NULL;
  const ti_spine *spine = NULL;
  while (ti_next(&s, it) == TI_OK) {
    if (!first) ck_assert_int_eq(ti_state_dup(&first, s), TI_OK);
    if (spine) ck_assert_ptr_eq(s->spine->v[0], spine->v[0]);
    spine = s->spine;
  }
  /* one log for the whole trajectory; messages interned once */
  ck_assert_ptr_eq(first->log, it->ctx ? it->ctx->log : first->log);
  size_t spines = 0;
  for (ti_spine *p = first->log->spines; p; p = p->next) spines++;
  /* the dup pinned the first spine: growth moved to at most a few copies */
  ck_assert_uint_le(spines, 3);
  ti_free(it);
  ck_assert_uint_eq(ti_state_message_count(first), 2);
  ti_state_free(first);
  ti_registry_free(r);
}
END_TEST

START_TEST(identical_messages_are_interned) {
  ti_registry *r = make_reg();
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.registry = r;
  static const char in[] = "#traj t\nU same\nA a\nR 0\nU same\nA a\n";
  ti_iter *it;
  ck_assert_int_eq(ti_open_memory(&it, in, sizeof in - 1, &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  const ti_message *m0 = ti_state_message(s, 0);
  ck_assert_int_eq(ti_next(&s, it), TI_OK);
  ck_assert_ptr_eq(ti_state_message(s, 0), m0); /* same node */
  ck_assert_uint_eq(ti_state_messages_offset(s), 1);
  ck_assert_uint_eq(ti_stat(it, "messages"), 2);
  ti_free(it);
  ti_registry_free(r);
}
END_TEST

/* Run a whole ingest with the n-th allocation failing. Returns 1 when the
 * run completed without hitting the failure. */
static int run_with_failure(long n) {
  static const char in[] = "#traj t\nS sys\nU q\nC c1 bash {}\nA a1\nT c1 out\nX bad\nA a2\nR 1\nU z\nA a3\n";
  ti_test_fail_after(n);
  ti_registry *r = make_reg();
  int completed = 0;
  if (r) {
    ti_open_options o = TI_OPEN_OPTIONS_INIT;
    o.registry = r;
    ti_iter *it = NULL;
    int rc = ti_open_memory(&it, in, sizeof in - 1, &o);
    if (rc == TI_OK) {
      const ti_state *s;
      ti_state *keep = NULL;
      while ((rc = ti_next(&s, it)) == TI_OK) {
        const char *js;
        size_t len;
        rc = ti_state_json(&js, &len, s, TI_JSON_DELTA);
        if (rc) break;
        if (!keep && ti_state_dup(&keep, s) != TI_OK) keep = NULL;
      }
      ck_assert(rc == TI_DONE || rc == TI_ERR_NOMEM);
      completed = rc == TI_DONE;
      ti_state_free(keep);
    } else {
      ck_assert_int_eq(rc, TI_ERR_NOMEM);
    }
    ti_free(it);
    ti_registry_free(r);
  }
  ti_test_fail_after(-1);
  return completed && r;
}

START_TEST(every_allocation_can_fail) {
  ti_test_fail_after(-1);
  ck_assert(run_with_failure(-1));
  long n = 0;
  while (!run_with_failure(n)) n++;
  ck_assert_int_gt(n, 10); /* the loop did reach the allocations */
}
END_TEST

/* Large blocks (hugemem.c): off in sanitizer builds, where malloc keeps
 * them; the contents must come out the same either way. */
static int huge_on(void) {
  size_t before = ti_huge_live();
  void *p = ti_mem_alloc(TI_HUGE_MIN);
  int on = ti_huge_live() == before + 1;
  ti_mem_free(p);
  ck_assert_uint_eq(ti_huge_live(), before);
  ck_assert_int_eq(ti_huge_on(), on); /* what callers ask before counting on them */
  return on;
}

static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 31u + seed);
}

static int same(const unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(i * 31u + seed)) return 0;
  return 1;
}

/* A file the page cache does not hold is read in small steps (so that the
 * kernel's readahead makes large folios) and gives the same bytes; one it
 * holds is read as before. Where the cache cannot be dropped (tmpfs, an
 * old kernel), only the bytes are checked. */
static size_t resident_pages(const char *path, size_t len) {
  int fd = open(path, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  ck_assert_ptr_ne(p, MAP_FAILED);
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (len + pg - 1) / pg, in = 0;
  unsigned char *v = malloc(n);
  ck_assert_ptr_nonnull(v);
  ck_assert_int_eq(mincore(p, len, v), 0);
  for (size_t i = 0; i < n; i++) in += v[i] & 1;
  free(v);
  munmap(p, len);
  return in;
}

START_TEST(a_file_out_of_the_page_cache_is_read_in_steps) {
  char path[] = "ti-cold-XXXXXX"; /* in the build dir: /tmp may be tmpfs */
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  size_t len = 3 * TI_BIG_FILE + 123;
  char *want = malloc(len);
  ck_assert_ptr_nonnull(want);
  for (size_t i = 0; i < len; i++) want[i] = (i % 97 == 96) ? '\n' : (char)('a' + i % 26);
  ck_assert_int_eq(write(fd, want, len), (ssize_t)len);
  ck_assert_int_eq(fsync(fd), 0);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
  int dropped = resident_pages(path, len) == 0;
  for (int round = 0; round < 2; round++) {
    ti_input in;
    memset(&in, 0, sizeof in);
    ck_assert_int_eq(ti_input_open_path(&in, path, 0, NULL, 0), TI_OK);
    const unsigned char *p;
    size_t n;
    int eof;
    ck_assert_int_eq(ti_input_peek_raw(&in, 4096, &p, &n, &eof), TI_OK); /* the probe */
    ck_assert_int_eq(ti_input_peek_raw(&in, len + 1, &p, &n, &eof), TI_OK);
    ck_assert_uint_eq(n, len);
    ck_assert(eof);
    ck_assert_int_eq(memcmp(p, want, len), 0);
#if defined(__linux__) && defined(RWF_NOWAIT)
    if (round == 0 && dropped) ck_assert_int_eq(in.cache, TI_CACHE_COLD);
    if (round == 1) ck_assert_int_eq(in.cache, TI_CACHE_HOT); /* read just now */
#endif
    ti_input_close(&in);
  }
  unlink(path);
  free(want);
}
END_TEST

START_TEST(huge_blocks_grow_move_and_go_back) {
  const size_t MB = (size_t)1 << 20;
  int on = huge_on();
  ck_assert_uint_eq(ti_huge_live(), 0);
  unsigned char *a = ti_mem_alloc(3 * MB);
  ck_assert_ptr_nonnull(a);
  fill(a, 3 * MB, 1);
  if (on) {
    ck_assert_uint_eq(ti_huge_live(), 1);
    ck_assert_uint_eq(((uintptr_t)a & (2 * MB - 1)), 64); /* malloc's alignment kept */
  }
  /* grown far past its mapping: the pages move, the bytes stay */
  unsigned char *g = ti_mem_realloc(a, 21 * MB);
  ck_assert_ptr_nonnull(g);
  ck_assert(same(g, 3 * MB, 1));
  fill(g, 21 * MB, 2);
  if (on) ck_assert_ptr_eq(ti_mem_realloc(g, 100), g); /* never shrinks */
  ck_assert(same(g, 100, 2));
  /* a malloc block grown over the threshold becomes one */
  unsigned char *m = ti_mem_alloc(100 * 1024);
  fill(m, 100 * 1024, 3);
  unsigned char *mg = ti_mem_realloc(m, 5 * MB);
  ck_assert_ptr_nonnull(mg);
  ck_assert(same(mg, 100 * 1024, 3));
  fill(mg, 5 * MB, 4);
  if (on) ck_assert_uint_eq(ti_huge_live(), 2);
  /* zeroed when asked */
  unsigned char *z = ti_mem_calloc(4, MB);
  ck_assert_ptr_nonnull(z);
  size_t nz = 0;
  for (size_t i = 0; i < 4 * MB; i++) nz += z[i] != 0;
  ck_assert_uint_eq(nz, 0);
  /* and the growable buffer through it */
  ti_buf b;
  ti_buf_init(&b);
  char piece[4096];
  for (size_t i = 0; i < sizeof piece; i++) piece[i] = (char)('a' + i % 26);
  for (size_t i = 0; i < 1024; i++) ck_assert_int_eq(ti_buf_append(&b, piece, sizeof piece), TI_OK);
  ck_assert_uint_eq(b.len, 4 * MB);
  ck_assert(memcmp(b.p + 4 * MB - sizeof piece, piece, sizeof piece) == 0);
  ck_assert(b.p[b.len] == '\0');
  if (on) ck_assert_uint_eq(ti_huge_live(), 4);
  ti_buf_free(&b);
  ti_mem_free(z);
  ti_mem_free(mg);
  ti_mem_free(g);
  ti_mem_free(NULL);
  ck_assert_uint_eq(ti_huge_live(), 0);
}
END_TEST

/* A trace big enough for the log's chunks and the read buffer to be huge
 * blocks: the states are right and every block is unmapped by ti_free. */
START_TEST(a_long_trace_returns_its_huge_blocks) {
  int on = huge_on();
  ti_buf in;
  ti_buf_init(&in);
  ck_assert_int_eq(ti_buf_puts(&in, "#traj long\nS sys\n"), TI_OK);
  enum { TURNS = 12000 };
  for (int i = 0; i < TURNS; i++)
    ck_assert_int_eq(ti_buf_printf(&in, "U question %d %0400d\nA answer %d %0300d\n", i, i, i, i),
                     TI_OK);
  ti_registry *r = make_reg();
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.registry = r;
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open_memory(&it, in.p, in.len, &o), TI_OK);
  const ti_state *s;
  int n = 0, rc;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    ck_assert_uint_eq(ti_state_message_count(s), 2 + 2 * (size_t)n);
    n++;
  }
  ck_assert_int_eq(rc, TI_DONE);
  ck_assert_int_eq(n, TURNS);
  if (on) ck_assert_uint_gt(ti_huge_live(), 0); /* the log is one */
  ti_free(it);
  ti_registry_free(r);
  ti_buf_free(&in);
  ck_assert_uint_eq(ti_huge_live(), 0);
}
END_TEST

/* A Claude Code session of 256 KiB or more is read into a buffer on a huge
 * page, kept while the trace is read and returned with the iterator. */
START_TEST(a_big_file_is_read_into_a_huge_page) {
  int on = huge_on();
  char path[] = "ti-big-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < 600; i++) {
    fprintf(f,
            "{\"type\":\"user\",\"uuid\":\"u%d\",\"parentUuid\":%s%s%d%s,\"sessionId\":\"s\","
            "\"message\":{\"role\":\"user\",\"content\":\"q%d %0400d\"}}\n",
            i, i ? "\"" : "", i ? "a" : "null", i ? i - 1 : 0, i ? "\"" : "", i, i);
    fprintf(f,
            "{\"type\":\"assistant\",\"uuid\":\"a%d\",\"parentUuid\":\"u%d\",\"sessionId\":\"s\","
            "\"message\":{\"id\":\"m%d\",\"role\":\"assistant\",\"model\":\"claude-x\","
            "\"content\":[{\"type\":\"text\",\"text\":\"r%d\"}]}}\n",
            i, i, i, i);
  }
  ck_assert_int_eq(fclose(f), 0);
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_ge(st.st_size, TI_BIG_FILE);
  ck_assert_int_lt(st.st_size, TI_HUGE_MIN);
  ti_iter *it = NULL;
  ck_assert_int_eq(ti_open(&it, path, NULL), TI_OK);
  const ti_state *s;
  int n = 0, rc;
  while ((rc = ti_next(&s, it)) == TI_OK) {
    if (n++ == 0 && on) ck_assert_uint_eq(ti_huge_live(), 1); /* the read buffer */
  }
  ck_assert_int_eq(rc, TI_DONE);
  ck_assert_int_eq(n, 600);
  ti_free(it);
  ck_assert_uint_eq(ti_huge_live(), 0);
  unlink(path);
}
END_TEST

/* Blocks of the pool are cut buddy-wise: a log's first three chunks
 * (256 KiB, 512 KiB, 1 MiB) come out of one slab, one huge page to clear. */
START_TEST(a_logs_first_chunks_share_one_slab) {
  if (!huge_on()) return;
  ti_blocks_hold();
  size_t n0 = ti_blocks_slabs(), got;
  char *b[3];
  for (int i = 0; i < 3; i++) {
    b[i] = ti_block_get((size_t)256 << (10 + i), &got);
    ck_assert_ptr_nonnull(b[i]);
    ck_assert_uint_eq(got, (size_t)256 << (10 + i));
    memset(b[i], i + 1, got);
  }
  ck_assert_uint_le(ti_blocks_slabs(), n0 + 1);
  if (ti_blocks_slabs() == n0 + 1) /* a fresh pool: all three in the new slab */
    for (int i = 1; i < 3; i++)
      ck_assert_uint_eq((uintptr_t)b[i] >> 21, (uintptr_t)b[0] >> 21);
  for (int i = 0; i < 3; i++)
    for (size_t k = 0; k < ((size_t)256 << (10 + i)); k += 4096) ck_assert_int_eq(b[i][k], i + 1);
  for (int i = 0; i < 3; i++) ti_block_put(b[i], (size_t)256 << (10 + i));
  ti_blocks_release();
}
END_TEST

/* A big block let go of is kept (lazily free) for the next block of its
 * size, so that an iterator per file does not map and clear a new read
 * buffer for every file; a block of another size is a new one. */
START_TEST(a_freed_big_block_serves_the_next_of_its_size) {
  if (!huge_on()) return;
  char *p = ti_mem_alloc(TI_HUGE_MIN);
  ck_assert_ptr_nonnull(p);
  memset(p, 1, TI_HUGE_MIN);
  ti_mem_free(p);
  ck_assert_uint_eq(ti_huge_live(), 0);
  char *q = ti_mem_alloc(TI_HUGE_MIN + 4096); /* the same mapping size */
  ck_assert_ptr_eq(q, p);
  ck_assert_uint_eq(ti_huge_live(), 1);
  memset(q, 2, TI_HUGE_MIN + 4096);
  char *r = ti_mem_alloc(3 * TI_HUGE_MIN); /* bigger: not that one */
  ck_assert_ptr_nonnull(r);
  ck_assert_ptr_ne(r, q);
  r[3 * TI_HUGE_MIN - 1] = 3;
  ti_mem_free(q);
  ti_mem_free(r);
  ck_assert_uint_eq(ti_huge_live(), 0);
  /* calloc's block is zeroed, kept block or not */
  size_t n = TI_HUGE_MIN + 4096;
  unsigned char *z = ti_mem_calloc(n / 8, 8);
  ck_assert_ptr_eq(z, p); /* the block q left */
  for (size_t i = 0; i < n; i++)
    if (z[i]) ck_abort_msg("byte %zu of a calloc'd block is %d", i, z[i]);
  ti_mem_free(z);
}
END_TEST

/* The line starting with `key` in the /proc/self/smaps entry of the
 * mapping holding p, in line[n]: 0 when found, -1 where smaps does not
 * tell. */
static int smaps_line(const void *p, const char *key, char *line, size_t n) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  size_t k = strlen(key);
  int in = 0, r = -1;
  while (fgets(line, (int)n, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
    } else if (in && strncmp(line, key, k) == 0) {
      r = 0;
      break;
    }
  }
  fclose(f);
  return r;
}

/* Bytes of the mapping holding p that the kernel lists as lazily free, or
 * -1 where it does not tell. */
static long lazyfree_kb(const void *p) {
  char line[512];
  long kb;
  if (smaps_line(p, "LazyFree:", line, sizeof line) ||
      sscanf(line, "LazyFree: %ld kB", &kb) != 1)
    return -1;
  return kb;
}

/* 1 when the mapping holding p is advised `flag` ("hg": huge pages, "nh":
 * not), 0 when not, -1 where smaps does not tell. */
static int vmflag(const void *p, const char *flag) {
  char line[512], pat[8];
  if (smaps_line(p, "VmFlags:", line, sizeof line)) return -1;
  snprintf(pat, sizeof pat, " %s", flag);
  const char *q = strstr(line, pat);
  return q && (q[3] == ' ' || q[3] == '\n');
}

/* Huge pages that are slow to fault in (hugemem.c: a host taking back the
 * guest's free memory) send the next blocks to small pages: the first
 * touch of each new mapping is timed. Forced here by the threshold. */
START_TEST(slow_huge_pages_send_the_next_blocks_to_small_pages) {
  int here = 0; /* any mapping: does smaps list VmFlags? */
  if (!huge_on() || vmflag(&here, "hg") < 0) return;
  size_t n = (size_t)10 << 20; /* over the kept size: mapped afresh */
  ti_huge_set_host_reports(0); /* whatever this machine is */
  ti_huge_set_slow_fault(1LL << 50); /* never slow */
  char *a = ti_mem_alloc(n);
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(vmflag(a, "hg"), 1);
  ck_assert(!ti_huge_small_now());
  ti_huge_set_slow_fault(0); /* every first fault slow */
  char *b = ti_mem_alloc(n); /* probed on huge pages, found slow */
  ck_assert_ptr_nonnull(b);
  ck_assert(ti_huge_small_now());
  /* the rest of it, and the blocks mapped before, fault in small pages */
  ck_assert_int_eq(vmflag(b + n - 1, "nh"), 1);
  ck_assert_int_eq(vmflag(a + n - 1, "nh"), 1);
  char *c = ti_mem_alloc(n); /* so this one is on small pages */
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(vmflag(c, "nh"), 1);
  ck_assert_int_eq(vmflag(c, "hg"), 0);
  memset(c, 7, n);
  ti_huge_set_slow_fault(1LL << 50); /* fast again: a grown block's new pages are huge
                                        (advised, not timed: they may never be used) */
  a[0] = 5;
  char *g = ti_mem_realloc(a, 2 * n);
  ck_assert_ptr_nonnull(g);
  ck_assert_int_eq(g[0], 5);
  ck_assert_int_eq(vmflag(g + 2 * n - 1, "hg"), 1);
  g[2 * n - 1] = 1;
  for (size_t i = 0; i < n; i += 4096) ck_assert_int_eq(c[i], 7);
  ck_assert_int_eq(b[n - 1], 0);
  ti_mem_free(b);
  ti_mem_free(c);
  ti_mem_free(g);
  ti_huge_set_slow_fault(-1);
  ck_assert(!ti_huge_small_now());
  ti_huge_set_host_reports(-1);
}
END_TEST

/* In a VM that reports its free memory to the host (hugemem.c), blocks go
 * to small pages from the start, never probed, and so do the pages they
 * grow into; otherwise (probes never slow here) a new block is advised
 * huge. */
START_TEST(a_host_that_takes_free_memory_gets_small_pages) {
  int here = 0;
  if (!huge_on() || vmflag(&here, "hg") < 0) return;
  size_t n = (size_t)10 << 20;
  ti_huge_set_slow_fault(1LL << 50); /* never slow */
  ti_huge_set_host_reports(1);
  ck_assert(ti_huge_host_reports());
  ck_assert(ti_huge_small_now());
  char *a = ti_mem_alloc(n);
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_eq((uintptr_t)a & (((uintptr_t)2 << 20) - 1), 64); /* still a block of its own */
  ck_assert_int_eq(vmflag(a, "nh"), 1);
  ck_assert_int_eq(vmflag(a + n - 1, "nh"), 1);
  memset(a, 3, n);
  char *g = ti_mem_realloc(a, 2 * n); /* and so are the pages it grows into */
  ck_assert_ptr_nonnull(g);
  ck_assert_int_eq(vmflag(g + 2 * n - 1, "nh"), 1);
  ck_assert_int_eq(g[n - 1], 3);
  ti_huge_set_host_reports(0);
  ck_assert(!ti_huge_host_reports());
  char *b = ti_mem_alloc(n);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(vmflag(b, "hg"), 1);
  ti_mem_free(g);
  ti_mem_free(b);
  ti_huge_set_slow_fault(-1);
  ti_huge_set_host_reports(-1);
}
END_TEST

/* The block pool (blocks.c): a block let go of serves the next request of
 * its size class, from any log; when the last log lets go, the slabs stay
 * (lazily free, for the next iterator) and serve the next holder. Off where
 * huge blocks are off (malloc keeps all). */
START_TEST(the_block_pool_reuses_blocks_across_logs_and_iterators) {
  int on = huge_on();
  ck_assert_int_eq(ti_block_pooled(100 << 10), on);
  ck_assert(!ti_block_pooled((size_t)3 << 20)); /* bigger than a slab: malloc / huge block */
  if (!on) return;
  ti_blocks_hold();
  size_t got = 0, got2 = 0;
  char *a = ti_block_get(100 << 10, &got);
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_eq(got, 128u << 10);
  ck_assert_uint_eq((uintptr_t)a % got, 0); /* aligned to its size */
  memset(a, 0xab, got);
  char *b = ti_block_get(100 << 10, &got2);
  ck_assert_ptr_ne(a, b);
  ti_block_put(a, got);
  char *c = ti_block_get(65 << 10, &got2); /* same class: the block just put back */
  ck_assert_ptr_eq(c, a);
  ck_assert_uint_eq(got2, got);
  char *d = ti_block_get(2u << 20, &got2); /* a whole slab */
  ck_assert_ptr_nonnull(d);
  ck_assert_uint_eq(got2, 2u << 20);
  memset(d, 1, got2);
  /* 33 more blocks of 64 KiB: a second slab of the class, every block
   * distinct, all of them back on the free list */
  enum { N = 33 };
  char *v[N];
  for (int i = 0; i < N; i++) {
    v[i] = ti_block_get(64 << 10, &got2);
    ck_assert_ptr_nonnull(v[i]);
    for (int j = 0; j < i; j++) ck_assert_ptr_ne(v[i], v[j]);
  }
  for (int i = 0; i < N; i++) ti_block_put(v[i], 64 << 10);
  ti_block_put(b, got);
  ti_block_put(c, got);
  ti_block_put(d, 2u << 20);
  long before = lazyfree_kb(d);
  ti_blocks_release(); /* the last holder: the slabs stay, lazily free */
  unsigned char vec;
  ck_assert_int_eq(mincore(d, 4096, &vec), 0);
  long after = lazyfree_kb(d);
  if (before >= 0 && after >= 0) ck_assert_int_gt(after, before);

  /* logs hold the pool: a chunk of a freed log serves the next log, and a
   * log made after every log was gone gets it again */
  ti_log *l1 = ti_log_new("one", 3);
  ck_assert_ptr_nonnull(l1);
  void *m1 = ti_arena_alloc(&l1->arena, 1000);
  ti_log_unref(l1);
  ti_log *l2 = ti_log_new("two", 3);
  ck_assert_ptr_nonnull(l2);
  void *m2 = ti_arena_alloc(&l2->arena, 1000);
  ck_assert_ptr_eq(m2, m1);
  memset(m2, 7, 1000);
  ti_log_unref(l2);
}
END_TEST

/* ---- ti_writer_put_all with threads: held output is bounded ----------------- */

/* The bytes of file `path`; *n their count. */
static char *read_all(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  long len = ftell(f);
  ck_assert_int_ge(len, 0);
  rewind(f);
  char *b = malloc((size_t)len + 1);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return b;
}

/* The walk of dir into out (whole states): TI_DONE, and its state count. */
static uint64_t put_all_to(const char *dir, const char *out, uint32_t threads, ti_registry *r) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.registry = r;
  o.threads = threads;
  ti_iter *it;
  ck_assert_int_eq(ti_open(&it, dir, &o), TI_OK);
  int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  ti_writer *w;
  ck_assert_int_eq(ti_writer_new(&w, fd, 0), TI_OK);
  uint64_t n;
  ck_assert_int_eq(ti_writer_put_all(w, it, &n), TI_DONE);
  ck_assert_int_eq(ti_writer_flush(w), TI_OK);
  ti_writer_free(w);
  close(fd);
  ti_free(it);
  return n;
}

/* The second state's user message (system, user, assistant, user) and
 * the whole delta output, opened with `flags`. */
static char *image_run(const char *path, uint32_t flags, ti_iter **it, const ti_message **u) {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  o.flags = flags;
  ck_assert_int_eq(ti_open(it, path, &o), TI_OK);
  const ti_state *s;
  ck_assert_int_eq(ti_next(&s, *it), TI_OK);
  ck_assert_int_eq(ti_next(&s, *it), TI_OK);
  *u = ti_state_message(s, 3);
  const char *js;
  size_t n;
  ck_assert_int_eq(ti_state_json(&js, &n, s, TI_JSON_DELTA), TI_OK);
  return strdup(js);
}

/* A mapped session whose user turns hold an image: the message JSON is
 * made around the image data (text part, image_url part), and the data,
 * the largest piece, stays in the mapping (ext: only part of the content)
 * rather than being copied into the log; read, the same bytes come out. */
START_TEST(mapped_image_data_stays_in_the_file) {
  char path[] = "/tmp/ti-img-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  write_image_session(path, 3, 60000); /* ~180 KB: mapped into a region */
  ti_iter *itm, *itr;
  const ti_message *um, *ur;
  char *jm = image_run(path, TI_OPEN_MMAP, &itm, &um);
  char *jr = image_run(path, TI_OPEN_NO_MMAP, &itr, &ur);
  ck_assert_str_eq(jm, jr);
  /* mapped: the data is the external piece, inside the content */
  ck_assert_ptr_nonnull(um->ext);
  ck_assert_uint_eq(um->ext_len, 60000);
  ck_assert_uint_gt(um->ext_off, um->content_json_off);
  ck_assert_uint_lt(um->ext_off + um->ext_len, um->content_json_off + um->content_json_len);
  ck_assert_int_eq(memcmp(um->ext, "CJQXe", 5), 0); /* turn 2: (k * 7 + 2) % 34 from k = 0 */
  ck_assert_uint_lt(um->json_len - um->ext_len, 200); /* the log holds the rest only */
  ck_assert_ptr_null(ur->ext); /* read: copied */
  /* accessors give the same bytes either way */
  size_t lm, lr;
  const char *cm = ti_message_content_json(um, &lm), *cr = ti_message_content_json(ur, &lr);
  ck_assert_uint_eq(lm, lr);
  ck_assert_int_eq(memcmp(cm, cr, lm), 0);
  ck_assert_int_eq(memcmp(cm, "[{\"type\":\"text\",\"text\":\"look 2\"},{\"type\":\"image_url\"", 51), 0);
  ck_assert_str_eq(ti_message_json(um, NULL), ti_message_json(ur, NULL));
  ck_assert_ptr_null(ti_message_content(um, NULL)); /* a part list */
  free(jm);
  free(jr);
  ti_free(itm);
  ti_free(itr);
  /* written by a ti_writer into a file (the data passed by reference, as
   * a piece of its own): the same bytes as the states read and rendered */
  char out[2][32];
  for (int mapped = 0; mapped < 2; mapped++) {
    snprintf(out[mapped], sizeof out[mapped], "/tmp/ti-imgw-XXXXXX");
    int ofd = mkstemp(out[mapped]);
    ck_assert_int_ge(ofd, 0);
    ti_open_options o = TI_OPEN_OPTIONS_INIT;
    o.flags = mapped ? TI_OPEN_MMAP : TI_OPEN_NO_MMAP;
    ti_iter *it;
    ck_assert_int_eq(ti_open(&it, path, &o), TI_OK);
    ti_writer *w;
    ck_assert_int_eq(ti_writer_new(&w, ofd, TI_JSON_DELTA), TI_OK);
    uint64_t n = 0;
    ck_assert_int_eq(ti_writer_put_all(w, it, &n), TI_DONE);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(ti_writer_flush(w), TI_OK);
    ti_writer_free(w);
    ti_free(it);
    close(ofd);
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "cmp -s %s %s", out[0], out[1]);
  ck_assert_int_eq(system(cmd), 0);
  struct stat st;
  ck_assert_int_eq(stat(out[1], &st), 0);
  ck_assert_int_gt(st.st_size, 3 * 60000);
  unlink(out[0]);
  unlink(out[1]);
  unlink(path);
}
END_TEST

/* In a mapped session, a canonical content of 64 bytes or more stays in
 * the mapping (the message's ext is all of it); a shorter one is copied
 * into the log. Either way the message reads the same as when read. */
START_TEST(mapped_contents_from_64_bytes_stay_in_the_file) {
  for (int pad = 50; pad <= 70; pad += 20) { /* assistant text "r1 " + pad: 53 and 73 bytes */
    char path[] = "/tmp/ti-ext-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_big_session(path, 400, pad); /* over 64 KiB: mapped */
    const ti_message *am[2];
    ti_iter *it[2];
    for (int mapped = 0; mapped < 2; mapped++) {
      ti_open_options o = TI_OPEN_OPTIONS_INIT;
      o.flags = mapped ? TI_OPEN_MMAP : TI_OPEN_NO_MMAP;
      ck_assert_int_eq(ti_open(&it[mapped], path, &o), TI_OK);
      const ti_state *s;
      ck_assert_int_eq(ti_next(&s, it[mapped]), TI_OK);
      ck_assert_int_eq(ti_next(&s, it[mapped]), TI_OK);
      size_t n = ti_state_message_count(s);
      ck_assert_uint_ge(n, 2);
      am[mapped] = ti_state_message(s, n - 2); /* the first turn's answer */
      ck_assert_str_eq(ti_message_role(am[mapped]), "assistant");
    }
    size_t len;
    const char *text = ti_message_content(am[1], &len);
    ck_assert_uint_eq(len, 3 + (size_t)pad);
    ck_assert_int_eq(memcmp(text, "r1 abc", 6), 0);
    ck_assert_ptr_null(am[0]->ext); /* read: copied */
    if (pad + 5 >= 64) { /* the JSON string, quotes included */
      ck_assert_ptr_nonnull(am[1]->ext);
      ck_assert_uint_eq(am[1]->ext_len, am[1]->content_json_len);
      ck_assert_uint_eq(am[1]->ext_off, am[1]->content_json_off);
    } else {
      ck_assert_ptr_null(am[1]->ext);
    }
    ck_assert_str_eq(ti_message_json(am[0], NULL), ti_message_json(am[1], NULL));
    ti_free(it[0]);
    ti_free(it[1]);
    unlink(path);
  }
}
END_TEST

/* A file that fails to map into a region (MAP_FIXED refused: here
 * injected, the reservation left in place) is read instead: the region is
 * retired, the files mapped before it stay readable, and with the last of
 * them it unmaps only what it gave out, since the failed part could not be
 * reserved again for sure. The next file goes into a new region. */
START_TEST(a_failed_map_into_a_region_is_safe) {
  char path[] = "/tmp/ti-mreg-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  char page[4096];
  for (int i = 0; i < 40; i++) { /* 160 KiB: 'a', 'b', ... a page each */
    memset(page, 'a' + i % 26, sizeof page);
    ck_assert_int_eq(write(fd, page, sizeof page), (ssize_t)sizeof page);
  }
  size_t len = 40 * sizeof page;
  ti_mregion *open = NULL;
  const char *p1, *p2, *p3;
  ti_mregion *r1 = ti_mregion_map(&open, fd, len, &p1);
  ck_assert_ptr_nonnull(r1);
  ck_assert_ptr_eq(open, r1);
  ti_test_fail_after(0); /* the next map fails */
  ck_assert_ptr_null(ti_mregion_map(&open, fd, len, &p2));
  ti_test_fail_after(-1);
  ck_assert_ptr_null(open); /* retired */
  ck_assert_uint_eq(r1->len, r1->used); /* its failed part: not unmapped with it */
  ck_assert_int_eq(p1[0], 'a');
  ck_assert_int_eq(p1[len - 1], 'a' + 39 % 26);
  ti_mregion *r3 = ti_mregion_map(&open, fd, len, &p3);
  ck_assert_ptr_nonnull(r3);
  ck_assert_ptr_ne(r3, r1);
  ck_assert_uint_eq(r3->len, TI_MREGION_SIZE);
  ck_assert_int_eq(p3[4096], 'b');
  char *tail = r1->base + r1->used;
  ti_mregion_unref(r1); /* its file's reference: unmapped now */
  unsigned char vec;
  ck_assert_int_eq(mincore((void *)p1, 4096, &vec), -1); /* the file's pages are gone */
  ck_assert_int_eq(mincore(tail, 4096, &vec), 0);         /* the rest is still reserved */
  munmap(tail, TI_MREGION_SIZE - (size_t)(tail - (char *)p1)); /* (the test's own cleanup) */
  ti_mregion_unref(r3);
  ti_mregion_unref(open);
  close(fd);
  unlink(path);
}
END_TEST

/* Whole states of long traces make far more output than input: a reader
 * whose trace's turn has not come holds no more than the cap (plus one
 * state) and then waits; the output is the same. */
START_TEST(held_output_is_bounded) {
  char dir[] = "ti-hold-XXXXXX"; /* in the build dir */
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[64];
  for (int i = 0; i < 8; i++) {
    snprintf(p, sizeof p, "%s/t%d.txt", dir, i);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#traj t%d\n", i);
    int turns = i % 2 ? 5 : 120; /* long ones: ~0.9 MB of output each */
    for (int k = 0; k < turns; k++)
      fprintf(f, "U question %d of t%d with some padding to make it longer\nA answer %d\n", k, i,
              k);
    ck_assert_int_eq(fclose(f), 0);
  }
  ti_registry *r = make_reg();
  char a[64], b[64];
  snprintf(a, sizeof a, "%s/one.out", dir);
  snprintf(b, sizeof b, "%s/two.out", dir);
  uint64_t n1 = put_all_to(dir, a, 1, r);
  size_t cap = 64 << 10;
  for (int round = 0; round < 3; round++) {
    ti_test_hold_max = cap;
    ti_test_held_peak = 0;
    ck_assert_uint_eq(put_all_to(dir, b, 2 + round % 2, r), n1);
    size_t na, nb;
    char *x = read_all(a, &na), *y = read_all(b, &nb);
    ck_assert_uint_gt(na, (size_t)2 << 20);
    ck_assert_uint_eq(na, nb);
    ck_assert_int_eq(memcmp(x, y, na), 0);
    free(x);
    free(y);
    /* one state of these traces renders to under 32 KiB */
    ck_assert_uint_le(ti_test_held_peak, cap + (32 << 10));
  }
  ti_test_hold_max = (size_t)64 << 20;
  ti_registry_free(r);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("internal");
  TCase *tc = tcase_create("internal");
  tcase_add_test(tc, linear_history_shares_one_spine);
  tcase_add_test(tc, identical_messages_are_interned);
  tcase_add_test(tc, every_allocation_can_fail);
  tcase_add_test(tc, huge_blocks_grow_move_and_go_back);
  tcase_add_test(tc, a_big_file_is_read_into_a_huge_page);
  tcase_add_test(tc, a_file_out_of_the_page_cache_is_read_in_steps);
  tcase_add_test(tc, a_long_trace_returns_its_huge_blocks);
  tcase_add_test(tc, the_block_pool_reuses_blocks_across_logs_and_iterators);
  tcase_add_test(tc, a_freed_big_block_serves_the_next_of_its_size);
  tcase_add_test(tc, a_logs_first_chunks_share_one_slab);
  tcase_add_test(tc, slow_huge_pages_send_the_next_blocks_to_small_pages);
  tcase_add_test(tc, a_host_that_takes_free_memory_gets_small_pages);
  tcase_add_test(tc, held_output_is_bounded);
  tcase_add_test(tc, mapped_image_data_stays_in_the_file);
  tcase_add_test(tc, mapped_contents_from_64_bytes_stay_in_the_file);
  tcase_add_test(tc, a_failed_map_into_a_region_is_safe);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
