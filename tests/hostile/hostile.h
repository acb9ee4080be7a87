/* SPDX-License-Identifier: MIT */
/* Shared helpers of the hostile-input suite: run an iterator to the end
 * and record what it reported. */
#ifndef TI_HOSTILE_H
#define TI_HOSTILE_H

#include <stddef.h>
#include <stdint.h>

#include <traceingest/ti-format.h>
#include <traceingest/traceingest.h>

#define H_MAX_ERR 64

typedef struct h_err {
  int code;
  uint64_t line, offset;
  char file[256];
  char msg[200];
} h_err;

typedef struct h_result {
  int open_rc;        /* ti_open* status                              */
  int end_rc;         /* last ti_next status (TI_DONE or an error)    */
  size_t states;
  size_t nerr;        /* errors reported through on_error (all)       */
  h_err err[H_MAX_ERR];
  uint64_t skipped, records, files, files_skipped;
  char stat_name[96]; /* a format counter to read, "" for none        */
  uint64_t stat_value;
  ti_buf json;        /* every state's ti_state_json, one per line    */
  char format[32];
} h_result;

typedef struct h_opts {
  const char *format;
  uint32_t flags;
  uint64_t max_record_bytes;
  uint32_t max_depth;
  const char *stat_name;
} h_opts;

void h_result_free(h_result *r);
/* Open memory/path with the options and run to the end. */
void h_run_mem(h_result *r, const void *buf, size_t len, const h_opts *o);
void h_run_path(h_result *r, const char *path, const h_opts *o);
/* Print what a run gave (for test logs). */
void h_dump(const char *what, const h_result *r);
/* A fresh temporary directory (mkdtemp), removed by h_rmtree. */
char *h_tmpdir(void);
void h_rmtree(const char *path);
int h_write_file(const char *path, const void *buf, size_t len);
/* 1 when running under valgrind (the valgrind test setup sets
 * TI_UNDER_VALGRIND): big inputs are scaled down there. */
int h_slow(void);

#endif
