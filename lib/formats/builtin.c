/* SPDX-License-Identifier: MIT */
/* The built-in formats, in probe order. Each is an ordinary plugin that
 * uses only <traceingest/ti-format.h>. */
#include "formats/builtin.h"

const ti_format_ops *const ti_builtin_formats[] = {
    &ti_format_claude_code,
    &ti_format_openhands,
    &ti_format_swe_smith,
    NULL,
};
