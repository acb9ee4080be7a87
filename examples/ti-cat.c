/* SPDX-License-Identifier: MIT */
/* The smallest consumer: print every state of a trace as JSONL. */
#include <stdio.h>
#include <traceingest/traceingest.h>

int main(int argc, char **argv) {
  ti_iter *it;
  const ti_state *s;
  int rc = ti_open(&it, argc > 1 ? argv[1] : ".", NULL);
  while (rc == TI_OK && (rc = ti_next(&s, it)) == TI_OK) {
    const char *json;
    size_t len;
    if (ti_state_json(&json, &len, s, 0) == TI_OK) printf("%.*s\n", (int)len, json);
  }
  if (rc < 0) fprintf(stderr, "ti-cat: %s\n", ti_errmsg(it));
  ti_free(it);
  return rc < 0;
}
