/* SPDX-License-Identifier: MIT */
#ifndef TI_FORMATS_BUILTIN_H
#define TI_FORMATS_BUILTIN_H
#include <traceingest/ti-format.h>

extern const ti_format_ops ti_format_claude_code;
extern const ti_format_ops ti_format_openhands;
extern const ti_format_ops ti_format_swe_smith;
/* NULL-terminated, probe order. */
extern const ti_format_ops *const ti_builtin_formats[];
#endif
