/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition of counters and histograms (metrics.c). */
#ifndef HVMEMU_TOOL_METRICS_H
#define HVMEMU_TOOL_METRICS_H

#include "hvmemu/hvmemu.h"

/* The whole exposition, every line ending in "\n" (g_free). @xen may be
 * NULL (no ioreq counters). */
char *hvmemu_metrics_text(hv_ctx *ctx, const hv_xen *xen, uint32_t domid);

/* --metrics-file: write @path now and every @period_s seconds (0: 10)
 * from the loop, atomically (FILE.tmp, rename). */
typedef struct hvmemu_metrics hvmemu_metrics;
hvmemu_metrics *hvmemu_metrics_start(const char *path, unsigned period_s,
                                     hv_ctx *ctx, const hv_xen *xen,
                                     uint32_t domid, hv_loop *loop,
                                     GError **err);
/* Writes the final figures, then frees. NULL ok. */
void hvmemu_metrics_stop(hvmemu_metrics *m);

#endif
