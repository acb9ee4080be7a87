/* SPDX-License-Identifier: MIT */
/* Internal declarations shared by the core files (never installed). */
#ifndef TI_CORE_H
#define TI_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <traceingest/traceingest.h>
#include <traceingest/ti-format.h>

char *ti_strndup(const char *s, size_t n);
char *ti_strdup(const char *s);
int ti_buf_vprintf(ti_buf *b, const char *fmt, va_list ap);

#ifdef TI_TESTING
/* Allocation-failure injection: the n-th allocation from now fails (n = 0:
 * the next one); -1 turns it off. */
void ti_test_fail_after(long n);
unsigned long ti_test_alloc_calls(void);
#endif

#endif
