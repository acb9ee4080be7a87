/* SPDX-License-Identifier: MIT */
/* Claude Code session transcripts (JSONL) -- placeholder until the plugin lands: accepts nothing. */
#include "formats/builtin.h"

static int probe(const ti_probe_input *in) { (void)in; return 0; }
static int create(void **parser, ti_plugin_ctx *ctx) { (void)ctx; *parser = NULL; return TI_OK; }
static int next(void *parser, ti_plugin_ctx *ctx) { (void)parser; (void)ctx; return TI_DONE; }
static void destroy(void *parser) { (void)parser; }

const ti_format_ops ti_format_claude_code = {
    TI_FORMAT_ABI_VERSION, sizeof(ti_format_ops), "claude-code",
    "Claude Code session transcripts (JSONL)", NULL, probe, NULL, create, next, destroy,
};
