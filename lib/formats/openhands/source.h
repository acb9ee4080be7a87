/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: the input reader's state, shared by source.c, rows.c
 * and sessiondir.c (never installed). */
#ifndef TI_FORMATS_OPENHANDS_SOURCE_H
#define TI_FORMATS_OPENHANDS_SOURCE_H

#include "oh.h"

enum { SRC_NONE = 0, SRC_ROWS, SRC_DOC, SRC_STREAM, SRC_DONE };

struct oh_source {
  ti_plugin_ctx *ctx;
  int mode;
  /* SRC_DOC: the whole input, parsed once */
  const char *doc;
  size_t ndoc;
  ti_jv root;
  ti_json_iter rows;
  int doc_rows;
  size_t row_index;
  const char *pos_p; /* line counting: last position and its line */
  uint64_t pos_line;
  /* owned strings (event file paths, copied lines) */
  char **own;
  size_t nown, capown;
  const char *base; /* file name of the input, for trajectory ids */
  ti_buf tmp;
  ti_json_index *ix; /* structural index of the row / document being read */
};

/* A copy of p[0..n) owned by the source (freed with it); NULL: no memory. */
char *oh_src_copy(oh_source *s, const char *p, size_t n);
/* Line and byte offset of a byte of the document. */
void oh_src_pos(oh_source *s, const char *p, uint64_t *line, uint64_t *off);
/* Append a string or a number as text (ids). */
int oh_src_id_of(ti_buf *b, const ti_jv *v);
/* 1 if row[key] is an array (*out set). */
int oh_src_has_array(const ti_jv *row, const char *key, ti_jv *out);

/* rows.c: the events of a list (objects or pairs); `doc`: positions are
 * looked up in the document, else every event gets (line, off). */
int oh_src_add_list(oh_source *s, oh_traj *t, const ti_jv *list, uint64_t line,
                    uint64_t off, int doc, int *pairs);
/* Fill `t` from one row object. TI_OK, 1 (not a row), or < 0. index
 * (size_t)-1: the document is the only row. */
int oh_src_fill_row(oh_source *s, oh_traj *t, const ti_jv *row, uint64_t line,
                    uint64_t off, size_t index, int doc);

/* sessiondir.c: the directory input as one trajectory. */
int oh_src_fill_dir(oh_source *s, oh_traj *t);

#endif
