/* SPDX-License-Identifier: MIT */
/*
 * hv_ctx: one guest machine. Forwards device service calls to the host ops
 * (ioreq/ for Xen, memhost for tests) after the checks every host would
 * otherwise repeat: address wrap-around, ISA line sharing, level dedup.
 */
#define G_LOG_DOMAIN "ctx"
#include <errno.h>
#include <stdarg.h>

#include "hw/core/core-internal.h"
#include "hvmemu/device.h"
#include "hw/core/probes.h"

hv_ctx *hv_ctx_new(const hv_host_ops *ops, void *host, hv_loop *loop)
{
    hv_ctx *ctx = g_new0(hv_ctx, 1);

    ctx->ops = ops;
    ctx->host = host;
    ctx->loop = loop;
    hv_regions_init(ctx);
    ctx->devices = g_ptr_array_new();
    hv_unplug_init(ctx);
    for (int i = 0; i < 16; i++) {
        ctx->isa_sources[i] = g_ptr_array_new();
    }
    return ctx;
}

void hv_ctx_free(hv_ctx *ctx)
{
    if (!ctx) {
        return;
    }
    /* Reverse creation order: later devices may depend on earlier ones. */
    for (guint i = ctx->devices->len; i > 0; i--) {
        hv_device *dev = g_ptr_array_index(ctx->devices, i - 1);
        g_free(dev->id);
        dev->cls->destroy(dev);
    }
    g_ptr_array_free(ctx->devices, TRUE);
    hv_unplug_fini(ctx);
    hv_regions_free_all(ctx);
    hv_timing_fini(ctx);
    for (int i = 0; i < 16; i++) {
        g_ptr_array_free(ctx->isa_sources[i], TRUE);
    }
    g_free(ctx);
}

hv_loop *hv_ctx_loop(hv_ctx *ctx) { return ctx->loop; }
void *hv_ctx_host(hv_ctx *ctx) { return ctx->host; }

void hv_ctx_foreach_region(hv_ctx *ctx, hv_region_fn fn, void *opaque)
{
    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        for (guint i = 0; i < ctx->active[s]->len; i++) {
            hv_region *r = g_ptr_array_index(ctx->active[s], i);
            fn(opaque, r->space, r->base, r->base + r->len - 1);
        }
    }
}

int hv_set_isa_irq(hv_ctx *ctx, const void *source, unsigned irq,
                   unsigned level)
{
    GPtrArray *src;
    bool was, is;

    if (irq >= 16) {
        return -EINVAL;
    }
    src = ctx->isa_sources[irq];
    was = src->len > 0;
    if (level) {
        if (!g_ptr_array_find(src, source, NULL)) {
            g_ptr_array_add(src, (gpointer)source);
        }
    } else {
        g_ptr_array_remove(src, (gpointer)source);
    }
    is = src->len > 0;
    /* The line is the OR of its sources; only edges reach the host. */
    if (was == is || !ctx->ops->set_isa_irq) {
        return 0;
    }
    ctx->irq_raised += is;
    HV_PROBE2(irq__isa, irq, is);
    if (hv_instrumented(ctx)) {
        hv_timing_irq(ctx, HV_IRQ_KEY_ISA(irq), is, source);
    }
    return ctx->ops->set_isa_irq(ctx->host, irq, is);
}

int hv_set_pci_intx(hv_ctx *ctx, uint32_t sbdf, unsigned pin, unsigned level)
{
    if (pin > 3) {
        return -EINVAL;
    }
    if (!ctx->ops->set_pci_intx) {
        return -ENOSYS;
    }
    ctx->irq_raised += level ? 1 : 0;
    HV_PROBE3(irq__intx, sbdf, pin, level ? 1 : 0);
    if (hv_instrumented(ctx)) {
        hv_timing_irq(ctx, HV_IRQ_KEY_INTX(sbdf, pin), level, NULL);
    }
    return ctx->ops->set_pci_intx(ctx->host, sbdf, pin, level ? 1 : 0);
}

int hv_inject_msi(hv_ctx *ctx, uint64_t addr, uint32_t data)
{
    if (!ctx->ops->inject_msi) {
        return -ENOSYS;
    }
    ctx->irq_raised++;
    HV_PROBE2(irq__msi, addr, data);
    if (hv_instrumented(ctx)) {
        hv_timing_msi(ctx, addr, data);
    }
    return ctx->ops->inject_msi(ctx->host, addr, data);
}

int hv_mem_read(hv_ctx *ctx, uint64_t gpa, void *buf, size_t len)
{
    if (gpa + len < gpa) {
        return -EFAULT;
    }
    if (len == 0) {
        return 0;
    }
    if (!ctx->ops->mem_read) {
        return -ENOSYS;
    }
    return ctx->ops->mem_read(ctx->host, gpa, buf, len);
}

int hv_mem_write(hv_ctx *ctx, uint64_t gpa, const void *buf, size_t len)
{
    if (gpa + len < gpa) {
        return -EFAULT;
    }
    if (len == 0) {
        return 0;
    }
    if (!ctx->ops->mem_write) {
        return -ENOSYS;
    }
    return ctx->ops->mem_write(ctx->host, gpa, buf, len);
}

uint64_t hv_ctx_irqs_raised(const hv_ctx *ctx)
{
    return ctx->irq_raised;
}

void hv_ctx_add_device(hv_ctx *ctx, hv_device *dev)
{
    g_ptr_array_add(ctx->devices, dev);
}

hv_device *hv_ctx_find_device(hv_ctx *ctx, const char *class_name,
                              unsigned index)
{
    for (guint i = 0; i < ctx->devices->len; i++) {
        hv_device *dev = g_ptr_array_index(ctx->devices, i);
        if (g_str_equal(dev->cls->name, class_name) && index-- == 0) {
            return dev;
        }
    }
    return NULL;
}

void hv_ctx_reset(hv_ctx *ctx)
{
    for (guint i = 0; i < ctx->devices->len; i++) {
        hv_device *dev = g_ptr_array_index(ctx->devices, i);
        if (dev->cls->reset) {
            dev->cls->reset(dev);
        }
    }
}

/*
 * Guest misbehaviour is logged, never fatal, and rate-limited so a hostile
 * guest cannot flood the log: at most 10 messages per second per process.
 */
void hv_guest_error(const char *domain, const char *fmt, ...)
{
    static gint64 window_start;
    static unsigned in_window, suppressed;
    gint64 now = g_get_monotonic_time();
    va_list ap;
    char *msg;

    if (now - window_start > G_USEC_PER_SEC) {
        if (suppressed) {
            g_log(domain, G_LOG_LEVEL_MESSAGE,
                  "guest error: %u messages suppressed", suppressed);
        }
        window_start = now;
        in_window = 0;
        suppressed = 0;
    }
    if (++in_window > 10) {
        suppressed++;
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_log(domain, G_LOG_LEVEL_MESSAGE, "guest error: %s", msg);
    g_free(msg);
}

void hv_ctx_set_lock_excuse(hv_ctx *ctx, hv_blk_lock_excuse_fn fn,
                            void *opaque)
{
    ctx->lock_excuse = fn;
    ctx->lock_opaque = opaque;
}

void hv_ctx_blk_opts(const hv_ctx *ctx, hv_blk_opts *opts)
{
    opts->lock_excuse = ctx->lock_excuse;
    opts->lock_opaque = ctx->lock_opaque;
}
