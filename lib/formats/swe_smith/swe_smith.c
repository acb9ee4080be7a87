/* SPDX-License-Identifier: MIT */
/* SWE-smith rows, SWE-agent .traj and mini-swe-agent files -- placeholder until the plugin lands: accepts nothing. */
#include "formats/builtin.h"

static int probe(const ti_probe_input *in) { (void)in; return 0; }
static int create(void **parser, ti_plugin_ctx *ctx) { (void)ctx; *parser = NULL; return TI_OK; }
static int next(void *parser, ti_plugin_ctx *ctx) { (void)parser; (void)ctx; return TI_DONE; }
static void destroy(void *parser) { (void)parser; }

const ti_format_ops ti_format_swe_smith = {
    TI_FORMAT_ABI_VERSION, sizeof(ti_format_ops), "swe-smith",
    "SWE-smith rows, SWE-agent .traj and mini-swe-agent files", NULL, probe, NULL, create, next, destroy,
};
