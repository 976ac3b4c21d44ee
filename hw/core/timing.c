/* SPDX-License-Identifier: MIT */
/*
 * Latency measurement for one context (hv_ctx_set_timing): the handler
 * time of each region access, and for each interrupt line the time from
 * raising it to the edge that lowers it (the guest acknowledging: IDE's
 * status read, e1000's ICR read). Off, the dispatch path pays one branch.
 */
#include <stdio.h>

#include "hw/core/core-internal.h"
#include "hvmemu/loop.h"

typedef struct hv_irq_timing {
    uint64_t raised_at;     /* 0: the line is low */
    hv_hist hist;
} hv_irq_timing;

void hv_ctx_set_timing(hv_ctx *ctx, bool on)
{
    if (on && !ctx->irq_timing) {
        ctx->irq_timing = g_hash_table_new_full(g_direct_hash,
                                                g_direct_equal, NULL, g_free);
    }
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
        }
    }
    if (ctx->irq_timing) {
        g_hash_table_iter_init(&it, ctx->irq_timing);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            hv_hist_reset(&((hv_irq_timing *)v)->hist);
        }
    }
}

void hv_timing_region(hv_region *r, bool write, uint64_t start_ns)
{
    uint64_t end = hv_now_ns();

    if (!r->hist[write]) {
        r->hist[write] = g_new0(hv_hist, 1);
    }
    hv_hist_record(r->hist[write], end - start_ns);
}

void hv_timing_irq(hv_ctx *ctx, uint32_t key, bool level)
{
    hv_irq_timing *t = g_hash_table_lookup(ctx->irq_timing,
                                           GUINT_TO_POINTER(key));
    uint64_t now = hv_now_ns();

    if (!t) {
        /* Bounded: keys are the lines the configured devices drive. */
        t = g_new0(hv_irq_timing, 1);
        g_hash_table_insert(ctx->irq_timing, GUINT_TO_POINTER(key), t);
    }
    if (level && !t->raised_at) {
        t->raised_at = now;
    } else if (!level && t->raised_at) {
        hv_hist_record(&t->hist, now - t->raised_at);
        t->raised_at = 0;
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

        if (k & 0x80000000u) {
            snprintf(name, sizeof(name), "isa-irq%u", k & 0xffu);
        } else {
            uint32_t sbdf = k >> 2;
            snprintf(name, sizeof(name), "pci-%02x:%02x.%x-int%c",
                     (sbdf >> 8) & 0xff, (sbdf >> 3) & 0x1f, sbdf & 7,
                     'A' + (k & 3));
        }
        fn(opaque, name, &t->hist);
    }
    g_list_free(keys);
}

void hv_timing_fini(hv_ctx *ctx)
{
    g_clear_pointer(&ctx->irq_timing, g_hash_table_destroy);
}
