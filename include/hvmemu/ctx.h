/* SPDX-License-Identifier: MIT */
/*
 * hv_ctx: one emulated machine (one guest). Owns the address spaces, the
 * devices, the event loop, and the host ops — the services a hypervisor
 * back end (ioreq/ for Xen, hv_memhost for tests) provides to devices.
 * No globals: several contexts can live in one process.
 */
#ifndef HVMEMU_CTX_H
#define HVMEMU_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "hvmemu/loop.h"
#include "hvmemu/region.h"

typedef struct hv_device hv_device;

/*
 * What the hypervisor seam provides. Every op may be NULL (then the core
 * treats it as "not supported": -ENOSYS / no-op). Return 0 or -errno.
 */
typedef struct hv_host_ops {
    /* Route [start, end] (inclusive) of @space to us, or stop routing it.
     * For HV_SPACE_PCI the range covers whole functions. */
    int (*map_range)(void *host, hv_space space, uint64_t start,
                     uint64_t end, bool map);
    /* Interrupts. Levels are 0/1; the core dedups repeated levels. */
    int (*set_isa_irq)(void *host, unsigned irq, unsigned level);
    int (*set_pci_intx)(void *host, uint32_t sbdf, unsigned pin /*0=A*/,
                        unsigned level);
    int (*inject_msi)(void *host, uint64_t addr, uint32_t data);
    /* Guest physical memory. Fails with -EFAULT on any byte outside RAM;
     * never partially succeeds silently. */
    int (*mem_read)(void *host, uint64_t gpa, void *buf, size_t len);
    int (*mem_write)(void *host, uint64_t gpa, const void *buf, size_t len);
    /* Tell the hypervisor pages changed (dirty tracking for migration).
     * mem_write implementations call this themselves. */
    void (*mem_modified)(void *host, uint64_t gpa, size_t len);
} hv_host_ops;

hv_ctx *hv_ctx_new(const hv_host_ops *ops, void *host, hv_loop *loop);
/* Destroys devices (reverse order), unmaps regions. */
void hv_ctx_free(hv_ctx *ctx);

hv_loop *hv_ctx_loop(hv_ctx *ctx);
void *hv_ctx_host(hv_ctx *ctx);

/* Walk the enabled regions (e.g. to claim them with a late host). */
typedef void (*hv_region_fn)(void *opaque, hv_space space, uint64_t start,
                             uint64_t end);
void hv_ctx_foreach_region(hv_ctx *ctx, hv_region_fn fn, void *opaque);

/* ---- services for devices ---- */

/* ISA IRQ line level (0..15). Several sources on one line are ORed:
 * @source is any pointer unique to the caller (e.g. the device). */
int hv_set_isa_irq(hv_ctx *ctx, const void *source, unsigned irq,
                   unsigned level);
int hv_set_pci_intx(hv_ctx *ctx, uint32_t sbdf, unsigned pin,
                    unsigned level);
int hv_inject_msi(hv_ctx *ctx, uint64_t addr, uint32_t data);

/* Copy to/from guest RAM; -EFAULT (never a crash) on a bad address. */
int hv_mem_read(hv_ctx *ctx, uint64_t gpa, void *buf, size_t len);
int hv_mem_write(hv_ctx *ctx, uint64_t gpa, const void *buf, size_t len);

/* Interrupts raised so far (ISA/INTx rising edges and MSIs). */
uint64_t hv_ctx_irqs_raised(const hv_ctx *ctx);

/*
 * Latency histograms (hvmemu/latency.h), off by default: the handler time
 * of every region access (hv_ctx_region_stats) and, per interrupt line,
 * raised → acknowledged (the edge that lowers it again, typically the
 * guest's status read). Turning it off keeps what was recorded.
 */
void hv_ctx_set_timing(hv_ctx *ctx, bool on);
bool hv_ctx_timing(const hv_ctx *ctx);
void hv_ctx_reset_timing(hv_ctx *ctx);
struct hv_hist;
typedef void (*hv_irq_timing_fn)(void *opaque, const char *line,
                                 const struct hv_hist *raised_to_ack);
void hv_ctx_irq_timing(hv_ctx *ctx, hv_irq_timing_fn fn, void *opaque);

/*
 * Command cycles: from the register write that starts a device's command
 * (@key: unique to the device, e.g. its interrupt source) to the
 * interrupt that ends it. With timing on, a histogram per @name
 * (hv_ctx_cycle_timing); with a trace file, a flow arrow from the write to
 * the interrupt. @restart: a new begin replaces an open cycle (IDE: one
 * command at a time) or leaves it (e1000: from the first doorbell).
 * An ISA line raised by @key ends its cycle by itself; other devices call
 * hv_ctx_cycle_end right after raising their interrupt.
 */
void hv_ctx_cycle_begin(hv_ctx *ctx, const void *key, const char *name,
                        bool restart);
void hv_ctx_cycle_end(hv_ctx *ctx, const void *key);
typedef void (*hv_cycle_timing_fn)(void *opaque, const char *name,
                                   const struct hv_hist *begin_to_irq);
void hv_ctx_cycle_timing(hv_ctx *ctx, hv_cycle_timing_fn fn, void *opaque);

/*
 * The trace file (hvmemu/tracefile.h; not owned, NULL: none). With one
 * set and on, every region access, interrupt and cycle is recorded.
 */
struct hv_tracefile;
void hv_ctx_set_tracefile(hv_ctx *ctx, struct hv_tracefile *t);
struct hv_tracefile *hv_ctx_tracefile(const hv_ctx *ctx);
bool hv_ctx_tracing(const hv_ctx *ctx);
/* A backend span on track @track (tracing only; e.g. a disk read behind
 * a DMA command) from @start_ns to now. */
void hv_ctx_trace_span(hv_ctx *ctx, const char *track, const char *name,
                       uint64_t start_ns, uint64_t addr, uint64_t data);

/* Devices attached to this context, in creation order. */
void hv_ctx_add_device(hv_ctx *ctx, hv_device *dev);
hv_device *hv_ctx_find_device(hv_ctx *ctx, const char *class_name,
                              unsigned index);
void hv_ctx_reset(hv_ctx *ctx);

/* Rate-limited guest-misbehaviour log: at most a few per key per second. */
void hv_guest_error(const char *domain, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

#endif
