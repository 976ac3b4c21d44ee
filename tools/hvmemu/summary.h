/* SPDX-License-Identifier: MIT */
#ifndef HVMEMU_TOOL_SUMMARY_H
#define HVMEMU_TOOL_SUMMARY_H

#include "hvmemu/hvmemu.h"

void hvmemu_print_summary(hv_ctx *ctx, const hv_xen *xen);
/* One line per unplugged device, and the counts (only if any). */
void hvmemu_print_unplugs(hv_ctx *ctx);

#endif
