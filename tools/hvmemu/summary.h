/* SPDX-License-Identifier: MIT */
#ifndef HVMEMU_TOOL_SUMMARY_H
#define HVMEMU_TOOL_SUMMARY_H

#include "hvmemu/hvmemu.h"

void hvmemu_print_summary(hv_ctx *ctx, const hv_xen *xen);

#endif
