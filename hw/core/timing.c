/* SPDX-License-Identifier: MIT */
/*
 * Measurement for one context: latency histograms (hv_ctx_set_timing)
 * and the trace file (hv_ctx_set_tracefile). What is measured: the
 * handler time of each region access; for each interrupt line the time
 * from raising it to the edge that lowers it (the guest acknowledging:
 * IDE's status read, e1000's ICR read); and command cycles, from the
 * register write that starts a command to the interrupt that ends it.
 * Off, the dispatch path pays one branch.
 */
#include <stdio.h>

#include "hw/core/core-internal.h"
#include "hvmemu/loop.h"

typedef struct hv_irq_timing {
    uint64_t raised_at;     /* 0: the line is low */
    unsigned track;         /* trace track, 0: not yet */
    hv_hist hist;
} hv_irq_timing;

typedef struct hv_reg_timing {
    uint64_t count[2];
    hv_hist hist[2];        /* read, write */
} hv_reg_timing;

typedef struct hv_cycle {
    uint64_t start_ns;      /* 0: no cycle open */
    uint64_t flow;          /* its trace flow id, 0: none */
    char name[24];
    hv_hist hist;
} hv_cycle;

void hv_ctx_set_timing(hv_ctx *ctx, bool on)
{
    ctx->timing = on;
}

bool hv_ctx_timing(const hv_ctx *ctx)
{
    return ctx->timing;
}

void hv_ctx_reset_timing(hv_ctx *ctx)
{
    GHashTableIter it;
    gpointer v;

    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        for (guint i = 0; i < ctx->regions[s]->len; i++) {
            hv_region *r = g_ptr_array_index(ctx->regions[s], i);
            for (int d = 0; d < 2; d++) {
                if (r->hist[d]) {
                    hv_hist_reset(r->hist[d]);
                }
            }
            hv_timing_region_free(r);
        }
    }
    if (ctx->irq_timing) {
        g_hash_table_iter_init(&it, ctx->irq_timing);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            hv_hist_reset(&((hv_irq_timing *)v)->hist);
        }
    }
    if (ctx->cycles) {
        g_hash_table_iter_init(&it, ctx->cycles);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            hv_hist_reset(&((hv_cycle *)v)->hist);
        }
    }
}

static unsigned region_track(hv_ctx *ctx, hv_region *r)
{
    if (!r->trace_track) {
        r->trace_track = hv_tracefile_track(ctx->tracer, r->name);
    }
    return r->trace_track;
}

void hv_trace_region_enter(hv_ctx *ctx, hv_region *r)
{
    if (hv_tracefile_on(ctx->tracer)) {
        ctx->cur_track = region_track(ctx, r);
    }
}

void hv_timing_region(hv_ctx *ctx, hv_region *r, bool write,
                      uint64_t start_ns, uint64_t offset, uint64_t value)
{
    uint64_t end = hv_now_ns();

    if (ctx->timing) {
        hv_reg_timing *rt;

        if (!r->hist[write]) {
            r->hist[write] = g_new0(hv_hist, 1);
        }
        hv_hist_record(r->hist[write], end - start_ns);
        if (!r->regs) {
            r->regs = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                            g_free, g_free);
        }
        rt = g_hash_table_lookup(r->regs, &offset);
        if (!rt && g_hash_table_size(r->regs) < HV_REGION_TIMED_REGS) {
            rt = g_new0(hv_reg_timing, 1);
            g_hash_table_insert(r->regs, g_memdup2(&offset, sizeof(offset)),
                                rt);
        }
        if (rt) {
            rt->count[write]++;
            hv_hist_record(&rt->hist[write], end - start_ns);
        }
    }
    if (hv_tracefile_on(ctx->tracer)) {
        hv_tracefile_slice(ctx->tracer, HV_TEV_REGION, region_track(ctx, r),
                           r->name, start_ns, end, offset, value, write);
        ctx->cur_track = 0;
    }
}

void hv_timing_region_free(hv_region *r)
{
    g_clear_pointer(&r->regs, g_hash_table_destroy);
}

static gint offset_order(gconstpointer a, gconstpointer b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

void hv_region_stat_registers(const hv_region_stat *st, hv_reg_stat_fn fn,
                              void *opaque)
{
    const hv_region *r = st->region;
    GList *keys;

    if (!r || !r->regs) {
        return;
    }
    keys = g_list_sort(g_hash_table_get_keys(r->regs), offset_order);
    for (GList *l = keys; l; l = l->next) {
        const hv_reg_timing *rt = g_hash_table_lookup(r->regs, l->data);
        hv_reg_stat rs = {
            .offset = *(const uint64_t *)l->data,
            .reads = rt->count[0], .writes = rt->count[1],
            .read_ns = rt->count[0] ? &rt->hist[0] : NULL,
            .write_ns = rt->count[1] ? &rt->hist[1] : NULL,
        };
        fn(opaque, &rs);
    }
    g_list_free(keys);
}

static void irq_key_name(uint32_t k, char *name, size_t len)
{
    if (k & 0x80000000u) {
        snprintf(name, len, "isa-irq%u", k & 0xffu);
    } else {
        uint32_t sbdf = k >> 2;
        snprintf(name, len, "pci-%02x:%02x.%x-int%c", (sbdf >> 8) & 0xff,
                 (sbdf >> 3) & 0x1f, sbdf & 7, 'A' + (k & 3));
    }
}

static hv_irq_timing *irq_timing_of(hv_ctx *ctx, uint32_t key)
{
    hv_irq_timing *t;

    if (!ctx->irq_timing) {
        ctx->irq_timing = g_hash_table_new_full(g_direct_hash,
                                                g_direct_equal, NULL, g_free);
    }
    t = g_hash_table_lookup(ctx->irq_timing, GUINT_TO_POINTER(key));
    if (!t) {
        /* Bounded: keys are the lines the configured devices drive. */
        t = g_new0(hv_irq_timing, 1);
        g_hash_table_insert(ctx->irq_timing, GUINT_TO_POINTER(key), t);
    }
    return t;
}

static unsigned irq_track(hv_ctx *ctx, hv_irq_timing *t, uint32_t key,
                          const char *name)
{
    if (!t->track) {
        t->track = hv_tracefile_track(ctx->tracer, name);
    }
    return t->track;
}

static void cycle_end_at(hv_ctx *ctx, const void *key, uint64_t now,
                         unsigned track);

void hv_timing_irq(hv_ctx *ctx, uint32_t key, bool level,
                   const void *cycle_key)
{
    hv_irq_timing *t = irq_timing_of(ctx, key);
    bool tracing = hv_tracefile_on(ctx->tracer);
    uint64_t now = hv_now_ns();
    char name[32] = "";

    if (tracing) {
        irq_key_name(key, name, sizeof(name));
    }
    if (level && !t->raised_at) {
        t->raised_at = now;
        ctx->last_irq_ns = now;
        ctx->last_irq_track = tracing ? irq_track(ctx, t, key, name) : 0;
        if (cycle_key) {
            cycle_end_at(ctx, cycle_key, now, ctx->last_irq_track);
        }
    } else if (!level && t->raised_at) {
        if (ctx->timing) {
            hv_hist_record(&t->hist, now - t->raised_at);
        }
        if (tracing) {
            hv_tracefile_slice(ctx->tracer, HV_TEV_IRQ,
                               irq_track(ctx, t, key, name), name,
                               t->raised_at, now, 0, 0, false);
        }
        t->raised_at = 0;
    }
}

void hv_timing_msi(hv_ctx *ctx, uint64_t addr, uint32_t data)
{
    ctx->last_irq_ns = hv_now_ns();
    ctx->last_irq_track = 0;
    if (hv_tracefile_on(ctx->tracer)) {
        ctx->last_irq_track = hv_tracefile_track(ctx->tracer, "msi");
        hv_tracefile_slice(ctx->tracer, HV_TEV_MSI, ctx->last_irq_track,
                           "msi", ctx->last_irq_ns, ctx->last_irq_ns, addr,
                           data, true);
    }
}

/* ---- command cycles ---- */

void hv_ctx_cycle_begin(hv_ctx *ctx, const void *key, const char *name,
                        bool restart)
{
    hv_cycle *c;

    if (!hv_instrumented(ctx)) {
        return;
    }
    if (!ctx->cycles) {
        ctx->cycles = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                            NULL, g_free);
    }
    c = g_hash_table_lookup(ctx->cycles, key);
    if (!c) {
        /* Bounded: one per device that starts cycles. */
        c = g_new0(hv_cycle, 1);
        g_strlcpy(c->name, name, sizeof(c->name));
        g_hash_table_insert(ctx->cycles, (gpointer)key, c);
    }
    if (c->start_ns && !restart) {
        return;
    }
    c->start_ns = hv_now_ns();
    c->flow = 0;
    if (hv_tracefile_on(ctx->tracer)) {
        hv_trace_event e = { .ts_ns = c->start_ns, .kind = HV_TEV_FLOW_BEGIN,
                             .track = ctx->cur_track };

        c->flow = e.addr = ++ctx->flow_seq;
        g_strlcpy(e.name, c->name, sizeof(e.name));
        hv_tracefile_record(ctx->tracer, &e);
    }
}

static void cycle_end_at(hv_ctx *ctx, const void *key, uint64_t now,
                         unsigned track)
{
    hv_cycle *c = ctx->cycles ? g_hash_table_lookup(ctx->cycles, key) : NULL;

    if (!c || !c->start_ns) {
        return;
    }
    if (ctx->timing) {
        hv_hist_record(&c->hist, now - c->start_ns);
    }
    if (c->flow && hv_tracefile_on(ctx->tracer)) {
        hv_trace_event e = { .ts_ns = now, .kind = HV_TEV_FLOW_END,
                             .track = track, .addr = c->flow };

        g_strlcpy(e.name, c->name, sizeof(e.name));
        hv_tracefile_record(ctx->tracer, &e);
    }
    c->start_ns = 0;
    c->flow = 0;
}

void hv_ctx_cycle_end(hv_ctx *ctx, const void *key)
{
    if (hv_instrumented(ctx)) {
        cycle_end_at(ctx, key, ctx->last_irq_ns ? ctx->last_irq_ns
                                                : hv_now_ns(),
                     ctx->last_irq_track);
    }
}

static gint cycle_order(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(((const hv_cycle *)a)->name, ((const hv_cycle *)b)->name);
}

void hv_ctx_cycle_timing(hv_ctx *ctx, hv_cycle_timing_fn fn, void *opaque)
{
    GList *cycles;

    if (!ctx->cycles) {
        return;
    }
    cycles = g_list_sort(g_hash_table_get_values(ctx->cycles), cycle_order);
    for (GList *l = cycles; l; l = l->next) {
        hv_cycle *c = l->data;

        if (c->hist.count) {
            fn(opaque, c->name, &c->hist);
        }
    }
    g_list_free(cycles);
}

/* ---- the trace file ---- */

void hv_ctx_set_tracefile(hv_ctx *ctx, hv_tracefile *t)
{
    GHashTableIter it;
    gpointer v;

    if (ctx->tracer == t) {
        return;
    }
    /* Track ids belong to one file. */
    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        for (guint i = 0; i < ctx->regions[s]->len; i++) {
            ((hv_region *)g_ptr_array_index(ctx->regions[s], i))->trace_track
                = 0;
        }
    }
    if (ctx->irq_timing) {
        g_hash_table_iter_init(&it, ctx->irq_timing);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            ((hv_irq_timing *)v)->track = 0;
        }
    }
    ctx->last_irq_track = 0;
    ctx->cur_track = 0;
    ctx->tracer = t;
}

hv_tracefile *hv_ctx_tracefile(const hv_ctx *ctx)
{
    return ctx->tracer;
}

bool hv_ctx_tracing(const hv_ctx *ctx)
{
    return hv_tracefile_on(ctx->tracer);
}

void hv_ctx_trace_span(hv_ctx *ctx, const char *track, const char *name,
                       uint64_t start_ns, uint64_t addr, uint64_t data)
{
    if (hv_tracefile_on(ctx->tracer)) {
        hv_tracefile_slice(ctx->tracer, HV_TEV_SPAN,
                           hv_tracefile_track(ctx->tracer, track), name,
                           start_ns, hv_now_ns(), addr, data, false);
    }
}

static gint key_order(gconstpointer a, gconstpointer b)
{
    guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);

    return x < y ? -1 : x > y;
}

void hv_ctx_irq_timing(hv_ctx *ctx, hv_irq_timing_fn fn, void *opaque)
{
    GList *keys;
    char name[32];

    if (!ctx->irq_timing) {
        return;
    }
    keys = g_list_sort(g_hash_table_get_keys(ctx->irq_timing), key_order);
    for (GList *l = keys; l; l = l->next) {
        guint k = GPOINTER_TO_UINT(l->data);
        hv_irq_timing *t = g_hash_table_lookup(ctx->irq_timing, l->data);

        if (!t->hist.count) {
            continue;       /* seen only while tracing */
        }
        irq_key_name(k, name, sizeof(name));
        fn(opaque, name, &t->hist);
    }
    g_list_free(keys);
}

void hv_timing_fini(hv_ctx *ctx)
{
    g_clear_pointer(&ctx->irq_timing, g_hash_table_destroy);
    g_clear_pointer(&ctx->cycles, g_hash_table_destroy);
}
