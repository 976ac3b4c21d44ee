/* SPDX-License-Identifier: MIT */
#ifndef HVMEMU_TOOL_SUMMARY_H
#define HVMEMU_TOOL_SUMMARY_H

#include "hvmemu/hvmemu.h"

void hvmemu_print_summary(hv_ctx *ctx, const hv_xen *xen);
/* One line per unplugged device, and the counts (only if any). */
void hvmemu_print_unplugs(hv_ctx *ctx);

/* Latency table at exit, if timing was on at the end. */
void hvmemu_print_latency(hv_ctx *ctx, const hv_xen *xen);

#endif
