/* SPDX-License-Identifier: MIT */
/*
 * The summary table printed when hvmemu stops (with --trace or -v): what
 * each region served and how the Xen side was exercised. Teaching aid and
 * sanity check in one.
 */
#include <inttypes.h>
#include <stdio.h>

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/summary.h"
#include "hvmemu/latency.h"

static void print_region(void *opaque, const hv_region_stat *st)
{
    char range[48];

    if (st->space == HV_SPACE_PCI) {
        uint32_t sbdf = (uint32_t)(st->base >> 32);
        snprintf(range, sizeof(range), "%02x:%02x.%x", HV_SBDF_BUS(sbdf),
                 HV_SBDF_DEV(sbdf), HV_SBDF_FN(sbdf));
    } else if (st->enabled) {
        snprintf(range, sizeof(range), "0x%" PRIx64 "-0x%" PRIx64, st->base,
                 st->base + st->len - 1);
    } else {
        snprintf(range, sizeof(range), "(not mapped)");
    }
    printf("  %-12s %-8s %-24s %10" PRIu64 " %10" PRIu64 "\n", st->name,
           hv_space_name(st->space), range, st->reads, st->writes);
}

void hvmemu_print_summary(hv_ctx *ctx, const hv_xen *xen)
{
    hv_xen_stats xs;

    hv_xen_get_stats(xen, &xs);
    printf("\nhvmemu summary\n");
    printf("  %-12s %-8s %-24s %10s %10s\n", "region", "space", "range",
           "reads", "writes");
    hv_ctx_region_stats(ctx, print_region, NULL);
    /* Request types from public/hvm/ioreq.h: 0 PIO, 1 COPY (MMIO),
     * 2 PCI_CONFIG, 7 TIMEOFFSET, 8 INVALIDATE. */
    printf("  ioreqs: %" PRIu64 " PIO, %" PRIu64 " MMIO, %" PRIu64
           " PCI config, %" PRIu64 " invalidate; %" PRIu64
           " buffered; %" PRIu64 " notifications; %" PRIu64
           " interrupts raised\n", xs.reqs[0], xs.reqs[1], xs.reqs[2],
           xs.reqs[8], xs.bufreqs, xs.notifies, hv_ctx_irqs_raised(ctx));
    if (xs.poll_ns) {
        printf("  busy polling: %" PRIu64 " requests found, %.3f s "
               "spinning\n", xs.poll_served, xs.poll_ns / 1e9);
    }
    fflush(stdout);
}

static void print_unplugged(void *opaque, hv_unplug_slot *s,
                            const hv_unplug_info *info)
{
    if (info->state != HV_UNPLUG_PRESENT) {
        printf("hvmemu: unplugged %s: %s\n", info->name, info->why);
    }
}

void hvmemu_print_unplugs(hv_ctx *ctx)
{
    unsigned proto = hv_unplug_count(ctx, HV_UNPLUG_BY_PROTOCOL);
    unsigned guard = hv_unplug_count(ctx, HV_UNPLUG_BY_GUARD);
    unsigned refused = hv_unplug_count(ctx, HV_UNPLUG_REFUSED);

    if (!proto && !guard && !refused) {
        return;
    }
    hv_unplug_foreach(ctx, print_unplugged, NULL);
    printf("hvmemu: unplug summary: %u by the guest's unplug request, %u "
           "by the twin guard, %u refused at start\n", proto, guard,
           refused);
    fflush(stdout);
}

/* ---- latency (when timing was on) ---- */

static void print_hist(const char *what, const char *op, const hv_hist *h)
{
    if (!h || !h->count) {
        return;
    }
    printf("  %-28s %-6s %10" PRIu64 " %9.1f %9.1f %9.1f %10.1f\n", what, op,
           h->count, hv_hist_quantile(h, 0.5) / 1e3,
           hv_hist_quantile(h, 0.9) / 1e3, hv_hist_quantile(h, 0.99) / 1e3,
           h->max_ns / 1e3);
}

static void print_region_latency(void *opaque, const hv_region_stat *st)
{
    print_hist(st->name, "read", st->read_ns);
    print_hist(st->name, "write", st->write_ns);
}

static void print_irq_latency(void *opaque, const char *line,
                              const hv_hist *h)
{
    print_hist(line, "ack", h);
}

static void print_cycle_latency(void *opaque, const char *name,
                                const hv_hist *h)
{
    print_hist(name, "->irq", h);
}

void hvmemu_print_latency(hv_ctx *ctx, const hv_xen *xen)
{
    hv_xen_stats xs;

    if (!hv_ctx_timing(ctx)) {
        return;
    }
    hv_xen_get_stats(xen, &xs);
    printf("\nhvmemu latency (us; read/write: handler time, ack: interrupt "
           "raised to lowered, wake: event channel to response, ->irq: "
           "command write to its interrupt)\n");
    printf("  %-28s %-6s %10s %9s %9s %9s %10s\n", "what", "op", "count",
           "p50", "p90", "p99", "max");
    print_hist("ioreq", "wake", xs.wake_to_response_ns);
    hv_ctx_region_stats(ctx, print_region_latency, NULL);
    hv_ctx_irq_timing(ctx, print_irq_latency, NULL);
    hv_ctx_cycle_timing(ctx, print_cycle_latency, NULL);
    fflush(stdout);
}
