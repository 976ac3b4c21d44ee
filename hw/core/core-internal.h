/* SPDX-License-Identifier: MIT */
/* Internals shared by hw/core files; not part of the public API. */
#ifndef HW_CORE_INTERNAL_H
#define HW_CORE_INTERNAL_H

#include "hvmemu/ctx.h"
#include "hvmemu/region.h"
#include "hvmemu/unplug.h"

struct hv_region {
    hv_ctx *ctx;
    hv_space space;
    uint64_t base;
    uint64_t len;
    const hv_region_ops *ops;
    void *opaque;
    char *name;
    bool enabled;
    bool want_enabled;       /* asked to decode; refused while overlapping */
    uint64_t reads, writes;  /* guest accesses served (for summaries) */
};

struct hv_ctx {
    const hv_host_ops *ops;
    void *host;
    hv_loop *loop;
    GPtrArray *regions[HV_SPACE_COUNT];  /* every region, owned */
    GPtrArray *active[HV_SPACE_COUNT];   /* enabled ones, sorted by base */
    GPtrArray *devices;                  /* hv_device *, creation order */
    GPtrArray *isa_sources[16];          /* who asserts each ISA line */
    GHashTable *unclaimed_logged;        /* (space, addr) already logged */
    uint64_t irq_raised;                 /* rising edges sent to the host */
    GPtrArray *unplug_slots;             /* hv_unplug_slot *, unplug.c */
    unsigned unplugged[HV_UNPLUG_CAUSES];
    bool tearing_down;                   /* no refused-region retries */
};

void hv_regions_init(hv_ctx *ctx);
void hv_unplug_init(hv_ctx *ctx);
void hv_unplug_fini(hv_ctx *ctx);
void hv_regions_free_all(hv_ctx *ctx);

#endif
