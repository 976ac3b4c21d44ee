/* SPDX-License-Identifier: MIT */
/* Internals shared by hw/core files; not part of the public API. */
#ifndef HW_CORE_INTERNAL_H
#define HW_CORE_INTERNAL_H

#include "hvmemu/ctx.h"
#include "hvmemu/region.h"
#include "hvmemu/unplug.h"
#include "hvmemu/latency.h"
#include "hvmemu/block.h"
#include "hvmemu/tracefile.h"

struct hv_region {
    hv_ctx *ctx;
    hv_space space;
    uint64_t base;
    uint64_t len;
    const hv_region_ops *ops;
    void *opaque;
    /* Access sizes (bit 1 << size) the handler takes as they are: a power
     * of two in [min_size, max_size], with a handler. The dispatch path
     * tests one bit instead of adapting the width (region.c). */
    uint16_t read_direct, write_direct;
    char *name;
    bool enabled;
    bool want_enabled;       /* asked to decode; refused while overlapping */
    uint64_t reads, writes;  /* guest accesses served (for summaries) */
    hv_hist *hist[2];        /* handler time of reads, writes (timing on) */
    unsigned trace_track;    /* its track in ctx->tracer (0: not yet) */
    GHashTable *regs;        /* offset -> hv_reg_timing (timing.c) */
};

struct hv_ctx {
    const hv_host_ops *ops;
    void *host;
    hv_loop *loop;
    GPtrArray *regions[HV_SPACE_COUNT];  /* every region, owned */
    GPtrArray *active[HV_SPACE_COUNT];   /* enabled ones, sorted by base */
    hv_region *last_hit[HV_SPACE_COUNT]; /* active_find's cache (region.c) */
    GPtrArray *devices;                  /* hv_device *, creation order */
    GPtrArray *isa_sources[16];          /* who asserts each ISA line */
    GHashTable *unclaimed_logged;        /* (space, addr) already logged */
    uint64_t irq_raised;                 /* rising edges sent to the host */
    GPtrArray *unplug_slots;             /* hv_unplug_slot *, unplug.c */
    unsigned unplugged[HV_UNPLUG_CAUSES];
    bool tearing_down;                   /* no refused-region retries */
    bool timing;                         /* latency histograms, timing.c */
    GHashTable *irq_timing;              /* line key -> hv_irq_timing */
    GHashTable *cycles;                  /* device key -> hv_cycle */
    hv_tracefile *tracer;                /* --trace-file, not owned */
    unsigned cur_track;                  /* region being handled (traced) */
    uint64_t last_irq_ns;                /* latest rising edge (instrumented) */
    unsigned last_irq_track;             /* ... and its trace track */
    uint64_t flow_seq;                   /* trace flow ids */
    hv_blk_lock_excuse_fn lock_excuse;   /* image locks, hvmemu/block.h */
    void *lock_opaque;
};

void hv_regions_init(hv_ctx *ctx);
void hv_unplug_init(hv_ctx *ctx);
void hv_unplug_fini(hv_ctx *ctx);
void hv_regions_free_all(hv_ctx *ctx);
void hv_timing_fini(hv_ctx *ctx);
void hv_timing_region_free(hv_region *r);
/* Timing or tracing on: the dispatch path takes timestamps. */
static inline bool hv_instrumented(const hv_ctx *ctx)
{
    return ctx->timing || hv_tracefile_on(ctx->tracer);
}
/* hv_dispatch_read/write for a caller that has checked @space < HV_SPACE_COUNT
 * and @size in 1..8 itself (ioreq_perform's simple requests). */
uint64_t hv_dispatch_read_valid(hv_ctx *ctx, hv_space space, uint64_t addr,
                                unsigned size);
void hv_dispatch_write_valid(hv_ctx *ctx, hv_space space, uint64_t addr,
                             unsigned size, uint64_t val);
/* Before a traced handler runs: flows it starts belong to @r's track. */
void hv_trace_region_enter(hv_ctx *ctx, hv_region *r);
/* After one access to @r (instrumented: start came from hv_now_ns):
 * the handler-time histogram and/or the trace slice. */
void hv_timing_region(hv_ctx *ctx, hv_region *r, bool write,
                      uint64_t start_ns, uint64_t offset, uint64_t value);
/* An interrupt line's edge: rising starts, falling ends its raise → ack.
 * A rising edge also ends the command cycle of @cycle_key (may be NULL). */
void hv_timing_irq(hv_ctx *ctx, uint32_t key, bool level,
                   const void *cycle_key);
void hv_timing_msi(hv_ctx *ctx, uint64_t addr, uint32_t data);
#define HV_IRQ_KEY_ISA(irq)       (0x80000000u | (irq))
#define HV_IRQ_KEY_INTX(sbdf, pin) (((sbdf) << 2) | (pin))

#endif
