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

static void print_region(void *opaque, const hv_region_stat *st)
{
    static const char *const spaces[] = { "pio", "mmio", "pci-cfg" };
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
           spaces[st->space], range, st->reads, st->writes);
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
