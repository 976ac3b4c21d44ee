/* SPDX-License-Identifier: MIT */
/*
 * Latency histograms: every value lands in a bucket that holds it and is
 * at most 1/8 wide; quantiles of known distributions; the context's timing
 * of region handlers and of interrupt raise → acknowledge, and that it
 * records nothing while off.
 */
#include "hvmemu/hvmemu.h"

static void test_buckets(void)
{
    uint64_t lo, hi, prev_hi = 0;

    for (unsigned i = 0; i < HV_HIST_BUCKETS; i++) {
        hv_hist_bucket_range(i, &lo, &hi);
        g_assert_cmpuint(lo, ==, prev_hi);          /* contiguous */
        g_assert_cmpuint(hi, >, lo);
        g_assert_cmpuint((hi - lo) * 8, <=, lo < 16 ? 8 : lo);  /* ≤ 12.5 % */
        g_assert_cmpuint(hv_hist_bucket_of(lo), ==, i);
        g_assert_cmpuint(hv_hist_bucket_of(hi - 1), ==, i);
        prev_hi = hi;
    }
    /* Beyond the range: the last bucket, never out of bounds. */
    g_assert_cmpuint(hv_hist_bucket_of(UINT64_MAX), ==, HV_HIST_BUCKETS - 1);
    g_assert_cmpuint(prev_hi, ==, 1ull << HV_HIST_MAX_EXP);
}

static void test_quantiles(void)
{
    hv_hist h = { 0 };

    g_assert_cmpuint(hv_hist_quantile(&h, 0.5), ==, 0);
    /* 1..10000 ns, uniform: p50 ≈ 5000, p99 ≈ 9900, within a bucket. */
    for (uint64_t v = 1; v <= 10000; v++) {
        hv_hist_record(&h, v);
    }
    g_assert_cmpuint(h.count, ==, 10000);
    g_assert_cmpuint(h.min_ns, ==, 1);
    g_assert_cmpuint(h.max_ns, ==, 10000);
    g_assert_cmpuint(hv_hist_quantile(&h, 0.5), >=, 5000);
    g_assert_cmpuint(hv_hist_quantile(&h, 0.5), <=, 5000 + 5000 / 8);
    g_assert_cmpuint(hv_hist_quantile(&h, 0.99), >=, 9900);
    g_assert_cmpuint(hv_hist_quantile(&h, 0.99), <=, 10000);
    g_assert_cmpuint(hv_hist_quantile(&h, 1.0), ==, 10000);
    /* One outlier moves the max, not the median. */
    hv_hist_record(&h, 5000000000ull);
    g_assert_cmpuint(hv_hist_quantile(&h, 1.0), ==, 5000000000ull);
    g_assert_cmpuint(hv_hist_quantile(&h, 0.5), <=, 5000 + 5000 / 8);
    hv_hist_reset(&h);
    g_assert_cmpuint(h.count, ==, 0);
}

static uint64_t slow_read(void *opaque, uint64_t off, unsigned size)
{
    g_usleep(2000);             /* a handler that takes ≥ 2 ms */
    return 0x5a;
}

static void noop_write(void *opaque, uint64_t off, unsigned size,
                       uint64_t v)
{
}

static const hv_region_ops slow_ops = { slow_read, noop_write, 1, 4 };

typedef struct seen {
    const hv_hist *read_ns, *write_ns, *irq;
    char line[32];
    const char *want;       /* the region to look at (NULL: "slow") */
    unsigned regs;
    uint64_t reg_offset[HV_REGION_TIMED_REGS + 1], reg_reads, reg_writes;
} seen;

static void on_register(void *opaque, const hv_reg_stat *rs)
{
    seen *s = opaque;

    s->reg_offset[s->regs++] = rs->offset;
    s->reg_reads += rs->reads;
    s->reg_writes += rs->writes;
    g_assert_true(rs->reads ? rs->read_ns && rs->read_ns->count == rs->reads
                            : rs->read_ns == NULL);
}

static void on_region(void *opaque, const hv_region_stat *st)
{
    seen *s = opaque;

    if (g_strcmp0(st->name, s->want ? s->want : "slow") != 0) {
        return;
    }
    s->read_ns = st->read_ns;
    s->write_ns = st->write_ns;
    s->regs = 0;
    s->reg_reads = s->reg_writes = 0;
    hv_region_stat_registers(st, on_register, s);
}

static void on_irq(void *opaque, const char *line, const hv_hist *h)
{
    seen *s = opaque;

    g_strlcpy(s->line, line, sizeof(s->line));
    s->irq = h;
}

static void test_ctx_timing(void)
{
    hv_memhost *mh = hv_memhost_new(4096);
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, NULL);
    int src;
    seen s = { 0 };

    g_assert_nonnull(hv_region_add(ctx, HV_SPACE_PIO, 0x100, 8, &slow_ops,
                                   NULL, "slow", NULL));
    /* Off: nothing recorded. */
    g_assert_false(hv_ctx_timing(ctx));
    hv_dispatch_read(ctx, HV_SPACE_PIO, 0x100, 1);
    hv_set_isa_irq(ctx, &src, 5, 1);
    hv_set_isa_irq(ctx, &src, 5, 0);
    hv_ctx_region_stats(ctx, on_region, &s);
    g_assert_null(s.read_ns);
    hv_ctx_irq_timing(ctx, on_irq, &s);
    g_assert_null(s.irq);

    hv_ctx_set_timing(ctx, true);
    g_assert_cmpuint(hv_dispatch_read(ctx, HV_SPACE_PIO, 0x100, 1), ==, 0x5a);
    hv_dispatch_write(ctx, HV_SPACE_PIO, 0x101, 2, 7);
    hv_set_isa_irq(ctx, &src, 5, 1);
    hv_set_isa_irq(ctx, &src, 5, 1);        /* still high: one raise */
    g_usleep(3000);
    hv_set_isa_irq(ctx, &src, 5, 0);
    hv_set_isa_irq(ctx, &src, 5, 0);        /* already low: nothing */
    hv_ctx_region_stats(ctx, on_region, &s);
    g_assert_nonnull(s.read_ns);
    g_assert_cmpuint(s.read_ns->count, ==, 1);
    g_assert_cmpuint(s.read_ns->min_ns, >=, 2000000);
    g_assert_nonnull(s.write_ns);
    g_assert_cmpuint(s.write_ns->count, ==, 1);
    hv_ctx_irq_timing(ctx, on_irq, &s);
    g_assert_cmpstr(s.line, ==, "isa-irq5");
    g_assert_cmpuint(s.irq->count, ==, 1);
    g_assert_cmpuint(s.irq->min_ns, >=, 3000000);
    /* Per register: offsets 0 (read) and 1 (write), in order. */
    g_assert_cmpuint(s.regs, ==, 2);
    g_assert_cmpuint(s.reg_offset[0], ==, 0);
    g_assert_cmpuint(s.reg_offset[1], ==, 1);
    g_assert_cmpuint(s.reg_reads, ==, 1);
    g_assert_cmpuint(s.reg_writes, ==, 1);
    /* A guest sweeping the region: at most HV_REGION_TIMED_REGS offsets
     * are kept; the region's own totals count every access. */
    g_assert_nonnull(hv_region_add(ctx, HV_SPACE_MMIO, 0x100000, 0x20000,
                                   &slow_ops, NULL, "wide", NULL));
    for (uint64_t off = 0; off < 0x20000; off += 0x400) {
        hv_dispatch_write(ctx, HV_SPACE_MMIO, 0x100000 + off, 4, 1);
    }
    s.want = "wide";
    hv_ctx_region_stats(ctx, on_region, &s);
    g_assert_cmpuint(s.regs, ==, HV_REGION_TIMED_REGS);
    g_assert_cmpuint(s.write_ns->count, ==, 0x20000 / 0x400);
    g_assert_cmpuint(s.reg_writes, ==, HV_REGION_TIMED_REGS);
    s.want = NULL;
    hv_ctx_region_stats(ctx, on_region, &s);
    /* Reset empties them, off keeps them. */
    hv_ctx_reset_timing(ctx);
    g_assert_cmpuint(s.read_ns->count, ==, 0);
    g_assert_cmpuint(s.irq->count, ==, 0);
    hv_ctx_free(ctx);
    hv_memhost_free(mh);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/core/latency/buckets", test_buckets);
    g_test_add_func("/core/latency/quantiles", test_quantiles);
    g_test_add_func("/core/latency/ctx-timing", test_ctx_timing);
    return g_test_run();
}
