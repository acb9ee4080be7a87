/* SPDX-License-Identifier: MIT */
/* Read-only reference for bench/run.py: the cost of getting the bytes.
 *
 *   read-floor PATH...
 *
 * PATH is a file or a directory (walked recursively, *.jsonl / *.json files,
 * in sorted order). Every file is read with read(2) in 1 MiB blocks into one
 * reused buffer, and its newlines are counted (so the bytes are looked at
 * once, as any reader would). Nothing is parsed. Prints "files bytes lines".
 * What the kernel spends here (page-cache lookups and the copy) is spent by
 * every tool in the table; the rest of their time is their own.
 * Built only for benchmarks:  cc -O2 read_floor.c -o read-floor */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK (1u << 20)

static char buf[BLOCK];
static unsigned long long files, bytes, lines;

static int wanted(const char *name) {
  size_t n = strlen(name);
  return (n > 6 && !strcmp(name + n - 6, ".jsonl")) || (n > 5 && !strcmp(name + n - 5, ".json"));
}

static int read_file(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "read-floor: cannot open %s\n", path);
    return 1;
  }
  for (;;) {
    ssize_t r = read(fd, buf, BLOCK);
    if (r < 0) {
      fprintf(stderr, "read-floor: read error on %s\n", path);
      close(fd);
      return 1;
    }
    if (r == 0) break;
    bytes += (unsigned long long)r;
    for (const char *p = buf, *e = buf + r; (p = memchr(p, '\n', (size_t)(e - p))); p++) lines++;
  }
  files++;
  close(fd);
  return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk(const char *path) {
  struct stat st;
  if (stat(path, &st)) {
    fprintf(stderr, "read-floor: cannot stat %s\n", path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) return read_file(path);
  struct dirent **ents;
  int n = scandir(path, &ents, NULL, by_name), rc = n < 0;
  for (int i = 0; i < n; i++) {
    const char *name = ents[i]->d_name;
    if (!rc && strcmp(name, ".") && strcmp(name, "..")) {
      size_t len = strlen(path) + strlen(name) + 2;
      char *sub = malloc(len);
      if (!sub) {
        rc = 1;
      } else {
        snprintf(sub, len, "%s/%s", path, name);
        struct stat s2;
        if (!stat(sub, &s2) && (S_ISDIR(s2.st_mode) || (S_ISREG(s2.st_mode) && wanted(name))))
          rc = walk(sub);
        free(sub);
      }
    }
    free(ents[i]);
  }
  free(ents);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: read-floor PATH...\n");
    return 2;
  }
  for (int i = 1; i < argc; i++)
    if (walk(argv[i])) return 1;
  printf("%llu %llu %llu\n", files, bytes, lines);
  return 0;
}
