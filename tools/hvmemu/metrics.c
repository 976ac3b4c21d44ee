/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition (format 0.0.4) of the daemon's counters and
 * latency histograms: served as `hvmemu-ctl metrics` and, with
 * --metrics-file, written every few seconds for node_exporter's textfile
 * collector (write to FILE.tmp, then rename, so a scrape never sees half
 * a file).
 *
 * The log-linear histograms (hvmemu/latency.h) split every power of two
 * of nanoseconds into 8 buckets, so cumulative counts at power-of-two
 * bounds are exact sums of whole buckets: le = 2^k ns from ~1 µs to ~8.6 s
 * (24 bounds and +Inf), in seconds as Prometheus wants.
 */
#define G_LOG_DOMAIN "metrics"

#include <errno.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>

#include "tools/hvmemu/metrics.h"

#define METRICS_LE_FIRST 10     /* 2^10 ns = 1.024 µs */
#define METRICS_LE_LAST  33     /* 2^33 ns = 8.59 s */

struct hvmemu_metrics {
    hv_ctx *ctx;
    const hv_xen *xen;
    uint32_t domid;
    char *path;
    hv_timer *timer;
    uint64_t period_ns;
};

/* A label value: backslash, quote and newline escaped (exposition
 * format); names are ours or a region's, but be safe. */
static void put_label(GString *s, const char *key, const char *value)
{
    g_string_append_printf(s, ",%s=\"", key);
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"') {
            g_string_append_c(s, '\\');
            g_string_append_c(s, *p);
        } else if (*p == '\n') {
            g_string_append(s, "\\n");
        } else {
            g_string_append_c(s, *p);
        }
    }
    g_string_append_c(s, '"');
}

typedef struct expo {
    GString *s;
    uint32_t domid;
} expo;

static void family(expo *e, const char *name, const char *type,
                   const char *help)
{
    g_string_append_printf(e->s, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                           name, type);
}

/* name{domid="N"[,k="v"]...}: @labels is a NULL-ended key, value list. */
static void sample_start(expo *e, const char *name, const char *suffix,
                         const char *const *labels)
{
    g_string_append_printf(e->s, "%s%s{domid=\"%u\"", name, suffix, e->domid);
    for (; labels && labels[0]; labels += 2) {
        put_label(e->s, labels[0], labels[1]);
    }
}

static void counter(expo *e, const char *name, const char *const *labels,
                    uint64_t v)
{
    sample_start(e, name, "", labels);
    g_string_append_printf(e->s, "} %" PRIu64 "\n", v);
}

static void histogram(expo *e, const char *name, const char *const *labels,
                      const hv_hist *h)
{
    uint64_t cum = 0, lo, hi;
    unsigned b = 0;

    for (unsigned k = METRICS_LE_FIRST; k <= METRICS_LE_LAST; k++) {
        for (; b < HV_HIST_BUCKETS; b++) {
            hv_hist_bucket_range(b, &lo, &hi);
            if (hi > (1ull << k)) {
                break;
            }
            cum += h->bucket[b];
        }
        sample_start(e, name, "_bucket", labels);
        g_string_append_printf(e->s, ",le=\"%.9g\"} %" PRIu64 "\n",
                               (double)(1ull << k) / 1e9, cum);
    }
    sample_start(e, name, "_bucket", labels);
    g_string_append_printf(e->s, ",le=\"+Inf\"} %" PRIu64 "\n", h->count);
    sample_start(e, name, "_sum", labels);
    g_string_append_printf(e->s, "} %.9f\n", (double)h->sum_ns / 1e9);
    sample_start(e, name, "_count", labels);
    g_string_append_printf(e->s, "} %" PRIu64 "\n", h->count);
}

/* ---- the families ---- */


typedef struct region_pass {
    expo *e;
    int what;               /* 0 accesses, 1 latency */
} region_pass;

static void region_sample(void *opaque, const hv_region_stat *st)
{
    region_pass *p = opaque;
    char base[24];

    snprintf(base, sizeof(base), "0x%" PRIx64, st->base);
    for (int w = 0; w < 2; w++) {
        const char *labels[] = { "region", st->name,
                                 "space", hv_space_name(st->space),
                                 "base", base, "op", w ? "write" : "read",
                                 NULL };
        const hv_hist *h = w ? st->write_ns : st->read_ns;

        if (p->what == 0) {
            counter(p->e, "hvmemu_region_accesses_total", labels,
                    w ? st->writes : st->reads);
        } else if (h && h->count) {
            histogram(p->e, "hvmemu_region_handler_seconds", labels, h);
        }
    }
}

static void irq_sample(void *opaque, const char *line, const hv_hist *h)
{
    const char *labels[] = { "line", line, NULL };

    histogram(opaque, "hvmemu_irq_raise_to_ack_seconds", labels, h);
}

static void cycle_sample(void *opaque, const char *name, const hv_hist *h)
{
    const char *labels[] = { "cycle", name, NULL };

    histogram(opaque, "hvmemu_cycle_to_irq_seconds", labels, h);
}

char *hvmemu_metrics_text(hv_ctx *ctx, const hv_xen *xen, uint32_t domid)
{
    expo e = { g_string_new(NULL), domid };
    region_pass rp = { &e, 0 };
    hv_tracefile *t = hv_ctx_tracefile(ctx);

    family(&e, "hvmemu_region_accesses_total", "counter",
           "Guest accesses served by a device region.");
    hv_ctx_region_stats(ctx, region_sample, &rp);
    family(&e, "hvmemu_irqs_raised_total", "counter",
           "Interrupts raised (ISA/INTx rising edges and MSIs).");
    counter(&e, "hvmemu_irqs_raised_total", NULL, hv_ctx_irqs_raised(ctx));
    family(&e, "hvmemu_unplugged_total", "counter",
           "Emulated devices removed from the guest, by cause.");
    {
        static const char *const causes[] = { "protocol", "twin_guard",
                                              "refused_at_start" };
        for (unsigned c = 0; c < G_N_ELEMENTS(causes); c++) {
            const char *labels[] = { "cause", causes[c], NULL };
            counter(&e, "hvmemu_unplugged_total", labels,
                    hv_unplug_count(ctx, (hv_unplug_cause)c));
        }
    }
    if (xen) {
        hv_xen_stats xs;

        hv_xen_get_stats(xen, &xs);
        family(&e, "hvmemu_ioreqs_total", "counter",
               "Requests served from Xen's ioreq pages, by type.");
        for (const hv_xen_req_type *rt = hv_xen_req_types; rt->name; rt++) {
            const char *labels[] = { "type", rt->name, NULL };
            counter(&e, "hvmemu_ioreqs_total", labels, xs.reqs[rt->type]);
        }
        {
            const char *labels[] = { "type", "buffered", NULL };
            counter(&e, "hvmemu_ioreqs_total", labels, xs.bufreqs);
        }
        if (xs.wake_to_response_ns && xs.wake_to_response_ns->count) {
            family(&e, "hvmemu_wake_to_response_seconds", "histogram",
                   "Event-channel wake-up to the vCPU's response "
                   "(--latency on).");
            histogram(&e, "hvmemu_wake_to_response_seconds", NULL,
                      xs.wake_to_response_ns);
        }
    }
    if (hv_ctx_timing(ctx)) {
        rp.what = 1;
        family(&e, "hvmemu_region_handler_seconds", "histogram",
               "Time in a device's register handler (--latency on).");
        hv_ctx_region_stats(ctx, region_sample, &rp);
        family(&e, "hvmemu_irq_raise_to_ack_seconds", "histogram",
               "Interrupt line raised to lowered by the guest's "
               "acknowledgement (--latency on).");
        hv_ctx_irq_timing(ctx, irq_sample, &e);
        family(&e, "hvmemu_cycle_to_irq_seconds", "histogram",
               "A command's register write to the interrupt that ends it "
               "(--latency on).");
        hv_ctx_cycle_timing(ctx, cycle_sample, &e);
    }
    if (t) {
        hv_tracefile_stats st;
        const char *rec[] = { "state", "recorded", NULL };
        const char *drop[] = { "state", "dropped", NULL };

        hv_tracefile_get_stats(t, &st);
        family(&e, "hvmemu_trace_events_total", "counter",
               "Events of the --trace-file, recorded or dropped (ring full).");
        counter(&e, "hvmemu_trace_events_total", rec, st.recorded);
        counter(&e, "hvmemu_trace_events_total", drop, st.dropped);
    }
    return g_string_free(e.s, FALSE);
}

/* ---- --metrics-file ---- */

static bool metrics_write(hvmemu_metrics *m, GError **err)
{
    g_autofree char *text = hvmemu_metrics_text(m->ctx, m->xen, m->domid);
    g_autofree char *tmp = g_strconcat(m->path, ".tmp", NULL);

    if (!g_file_set_contents(tmp, text, -1, err)) {
        return false;
    }
    if (g_rename(tmp, m->path) < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "rename %s: %s", tmp, g_strerror(errno));
        g_unlink(tmp);
        return false;
    }
    return true;
}

static void on_timer(void *opaque)
{
    hvmemu_metrics *m = opaque;
    g_autoptr(GError) err = NULL;

    if (!metrics_write(m, &err)) {
        /* Keep serving the guest; say it (rate-limited by the period). */
        g_warning("--metrics-file: %s", err->message);
    }
    hv_timer_arm_ns(m->timer, m->period_ns);
}

hvmemu_metrics *hvmemu_metrics_start(const char *path, unsigned period_s,
                                     hv_ctx *ctx, const hv_xen *xen,
                                     uint32_t domid, hv_loop *loop,
                                     GError **err)
{
    hvmemu_metrics *m = g_new0(hvmemu_metrics, 1);

    m->ctx = ctx;
    m->xen = xen;
    m->domid = domid;
    m->path = g_strdup(path);
    m->period_ns = (uint64_t)(period_s ? period_s : 10) * 1000000000ull;
    /* The first write now: a bad path is an error at start, not later. */
    if (!metrics_write(m, err)) {
        g_prefix_error(err, "--metrics-file: ");
        hvmemu_metrics_stop(m);
        return NULL;
    }
    m->timer = hv_timer_new(loop, on_timer, m);
    if (!m->timer) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "--metrics-file: timer: %s",
                    g_strerror(errno));
        hvmemu_metrics_stop(m);
        return NULL;
    }
    hv_timer_arm_ns(m->timer, m->period_ns);
    return m;
}

void hvmemu_metrics_stop(hvmemu_metrics *m)
{
    if (!m) {
        return;
    }
    if (m->timer) {
        hv_timer_free(m->timer);
        /* The final figures, for a collector that reads after we exit. */
        (void)metrics_write(m, NULL);
    }
    g_free(m->path);
    g_free(m);
}
