/* SPDX-License-Identifier: MIT */
/*
 * Address spaces and regions: the device side of the hypervisor seam.
 *
 * A device claims a range in one of three spaces and gets (offset, size)
 * callbacks. The core splits accesses wider than max_size and widens
 * accesses narrower than min_size (read: extract bytes; write:
 * read-modify-write), so devices implement only the widths they declare.
 * `rep` string I/O and data_is_ptr are unrolled in ioreq/ before the core
 * sees them.
 */
#ifndef HVMEMU_REGION_H
#define HVMEMU_REGION_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef enum hv_space {
    HV_SPACE_PIO = 0,   /* x86 I/O ports, 0..0xffff */
    HV_SPACE_MMIO = 1,  /* guest-physical addresses */
    HV_SPACE_PCI = 2,   /* PCI config: address = HV_PCI_ADDR(sbdf, reg) */
    HV_SPACE_COUNT
} hv_space;

/* "pio", "mmio", "pci-cfg" (logs, stats, traces); "?" out of range. */
const char *hv_space_name(hv_space space);

/*
 * PCI config addresses use the same encoding as Xen's IOREQ_TYPE_PCI_CONFIG
 * (public/hvm/ioreq.h): SBDF in bits 63..32, register in bits 11..0.
 */
#define HV_SBDF(seg, bus, dev, fn) \
    (((uint32_t)(seg) << 16) | ((uint32_t)(bus) << 8) | \
     ((uint32_t)(dev) << 3) | (uint32_t)(fn))
#define HV_PCI_ADDR(sbdf, reg) (((uint64_t)(sbdf) << 32) | (uint64_t)(reg))
#define HV_SBDF_SEG(s) (((s) >> 16) & 0xffff)
#define HV_SBDF_BUS(s) (((s) >> 8) & 0xff)
#define HV_SBDF_DEV(s) (((s) >> 3) & 0x1f)
#define HV_SBDF_FN(s) ((s) & 7)

typedef struct hv_region_ops {
    /* @size is a power of two in [min_size, max_size]; @off < region len. */
    uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
    void (*write)(void *opaque, uint64_t off, unsigned size, uint64_t val);
    unsigned min_size;  /* 0 means 1 */
    unsigned max_size;  /* 0 means 4 */
} hv_region_ops;

typedef struct hv_region hv_region;
typedef struct hv_ctx hv_ctx;

/*
 * Claim [base, base+len) in @space. Fails (GError, NULL) on overlap with
 * another enabled region of this context or on len == 0 / wrap-around.
 * The hypervisor is asked to route the range to us (host ops map_range).
 */
hv_region *hv_region_add(hv_ctx *ctx, hv_space space, uint64_t base,
                         uint64_t len, const hv_region_ops *ops, void *opaque,
                         const char *name, GError **err);
/* A region that claims nothing until hv_region_set enables it (PCI BARs). */
hv_region *hv_region_add_disabled(hv_ctx *ctx, hv_space space, uint64_t len,
                                  const hv_region_ops *ops, void *opaque,
                                  const char *name);
void hv_region_del(hv_region *r);

/*
 * Move and/or enable/disable a region (PCI BAR remapping, COMMAND decode
 * toggles). A disabled region claims nothing. Returns false (and keeps the
 * region disabled) if the new range would overlap an enabled region.
 */
bool hv_region_set(hv_region *r, uint64_t base, bool enabled);
uint64_t hv_region_base(const hv_region *r);
uint64_t hv_region_len(const hv_region *r);
bool hv_region_enabled(const hv_region *r);
const char *hv_region_name(const hv_region *r);
/* Per-region access counters, for summaries and teaching. */
typedef struct hv_region_stat {
    const char *name;
    hv_space space;
    uint64_t base, len;
    bool enabled;
    uint64_t reads, writes;
    /* Handler time per access (NULL unless hv_ctx_set_timing is on). */
    const struct hv_hist *read_ns, *write_ns;
    const struct hv_region *region;     /* for hv_region_stat_registers */
} hv_region_stat;

/*
 * With timing on, the same per register: each offset the guest accessed
 * (at most HV_REGION_TIMED_REGS per region, the first ones seen: a guest
 * sweeping a 128 KiB BAR must not cost memory; later offsets count only
 * in the region's totals), in offset order.
 */
#define HV_REGION_TIMED_REGS 64
typedef struct hv_reg_stat {
    uint64_t offset;
    uint64_t reads, writes;             /* while timing was on */
    const struct hv_hist *read_ns, *write_ns;   /* NULL: none */
} hv_reg_stat;
typedef void (*hv_reg_stat_fn)(void *opaque, const hv_reg_stat *st);
void hv_region_stat_registers(const hv_region_stat *st, hv_reg_stat_fn fn,
                              void *opaque);
typedef void (*hv_region_stat_fn)(void *opaque, const hv_region_stat *st);
void hv_ctx_region_stats(hv_ctx *ctx, hv_region_stat_fn fn, void *opaque);

/* Name of the enabled region covering @addr, or NULL (for traces). */
const char *hv_region_name_at(hv_ctx *ctx, hv_space space, uint64_t addr);

/*
 * Dispatch one access (size 1, 2, 4 or 8) to whatever region covers it.
 * Unclaimed reads return all ones, unclaimed writes are dropped (each
 * logged once). Accesses straddling a region end are split per byte range.
 * A read's value is masked to @size (all ones: @size 0 or above 8); a
 * write's value is masked to @size before any handler sees it.
 */
uint64_t hv_dispatch_read(hv_ctx *ctx, hv_space space, uint64_t addr,
                          unsigned size);
void hv_dispatch_write(hv_ctx *ctx, hv_space space, uint64_t addr,
                       unsigned size, uint64_t val);

#endif
