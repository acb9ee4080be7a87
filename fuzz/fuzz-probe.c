/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the probe. Scores every built-in format on the input
 * (as memory) and checks the result shape: one score per format, each in
 * 0..100, names equal to the registry's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <traceingest/traceingest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *names[16];
  int scores[16];
  size_t n = 0;
  int rc = ti_probe_scores(NULL, NULL, data, size, names, scores, 16, &n);
  if (rc != TI_OK) {
    fprintf(stderr, "fuzz-probe: ti_probe_scores returned %d\n", rc);
    abort();
  }
  if (n == 0 || n > 16) abort();
  for (size_t i = 0; i < n; i++) {
    if (!names[i] || scores[i] < 0 || scores[i] > 100) {
      fprintf(stderr, "fuzz-probe: bad score %d for format %zu\n", scores[i], i);
      abort();
    }
  }
  /* a smaller cap still reports every format's count and fills only cap */
  size_t n2 = 0;
  if (ti_probe_scores(NULL, NULL, data, size, names, scores, 1, &n2) != TI_OK || n2 != n) abort();
  return 0;
}
