/* SPDX-License-Identifier: MIT */
/*
 * Address-space registry and access dispatch.
 *
 * Each space keeps its enabled regions sorted by base so a lookup is a
 * binary search. Width adaptation lives here so that no device has to
 * handle an access size it did not declare.
 */
#define G_LOG_DOMAIN "region"
#include <errno.h>
#include <string.h>

#include "hw/core/core-internal.h"
#include "hvmemu/device.h"
#include "hvmemu/loop.h"
#include "hw/core/probes.h"

static const char *const space_names[HV_SPACE_COUNT] = {
    "pio", "mmio", "pci-cfg",
};

const char *hv_space_name(hv_space space)
{
    return (unsigned)space < HV_SPACE_COUNT ? space_names[space] : "?";
}

static unsigned ops_min(const hv_region_ops *ops)
{
    return ops->min_size ? ops->min_size : 1;
}

static unsigned ops_max(const hv_region_ops *ops)
{
    return ops->max_size ? ops->max_size : 4;
}

/* The low @size bytes (a table: it is on every access's path). */
static inline uint64_t size_mask(unsigned size)
{
    static const uint64_t masks[8] = {
        0, 0xff, 0xffff, 0xffffff, 0xffffffffull, 0xffffffffffull,
        0xffffffffffffull, 0xffffffffffffffull,
    };

    return size >= 8 ? ~0ull : masks[size];
}

/* Index of the first active region with end > addr (binary search). */
static guint active_lower_bound(GPtrArray *act, uint64_t addr)
{
    guint lo = 0, hi = act->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        hv_region *r = g_ptr_array_index(act, mid);
        if (r->base + r->len <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The region holding @addr by binary search; remembered for next time. */
static G_GNUC_NO_INLINE hv_region *active_search(hv_ctx *ctx, hv_space space,
                                                 uint64_t addr)
{
    GPtrArray *act = ctx->active[space];
    guint i = active_lower_bound(act, addr);

    if (i < act->len) {
        hv_region *r = g_ptr_array_index(act, i);
        if (addr >= r->base) {
            ctx->last_hit[space] = r;
            return r;
        }
    }
    return NULL;
}

/* The region holding @addr. A guest driver hits the same register block
 * again and again: the last hit is checked inline before the search (the
 * cache is dropped whenever the active set changes). */
static inline hv_region *active_find(hv_ctx *ctx, hv_space space,
                                     uint64_t addr)
{
    hv_region *r = ctx->last_hit[space];

    if (G_LIKELY(r && addr - r->base < r->len && addr >= r->base)) {
        return r;
    }
    return active_search(ctx, space, addr);
}

static hv_region *active_overlap(hv_ctx *ctx, hv_space space, uint64_t base,
                                 uint64_t len)
{
    GPtrArray *act = ctx->active[space];
    guint i = active_lower_bound(act, base);

    if (i < act->len) {
        hv_region *r = g_ptr_array_index(act, i);
        /* r ends after base; it overlaps unless it starts at or past the
         * end of [base, base+len) — compared without computing base+len. */
        if (r->base < base || r->base - base < len) {
            return r;
        }
    }
    return NULL;
}

static void active_insert(hv_region *r)
{
    GPtrArray *act = r->ctx->active[r->space];
    guint i = active_lower_bound(act, r->base);

    r->ctx->last_hit[r->space] = NULL;
    g_ptr_array_insert(act, (gint)i, r);
}

static int host_map(hv_region *r, bool map)
{
    const hv_host_ops *ops = r->ctx->ops;

    if (!ops || !ops->map_range) {
        return 0;
    }
    return ops->map_range(r->ctx->host, r->space, r->base,
                          r->base + r->len - 1, map);
}

/* Claim @r's current range; on failure it stays disabled. */
static int region_enable(hv_region *r)
{
    hv_region *other = active_overlap(r->ctx, r->space, r->base, r->len);
    int ret;

    if (other) {
        return -EEXIST;
    }
    ret = host_map(r, true);
    if (ret < 0) {
        return ret;
    }
    active_insert(r);
    r->enabled = true;
    return 0;
}

/*
 * A region that wanted to decode but was refused for an overlap (a BAR
 * programmed on top of another function's BAR) claims its range as soon as
 * the clash is gone, as real hardware would decode it.
 */
static void retry_refused(hv_ctx *ctx, hv_space space)
{
    GPtrArray *all = ctx->regions[space];

    if (ctx->tearing_down) {
        return;
    }
    for (guint i = 0; i < all->len; i++) {
        hv_region *r = g_ptr_array_index(all, i);
        if (r->want_enabled && !r->enabled) {
            region_enable(r);
        }
    }
}

static void region_disable(hv_region *r)
{
    if (!r->enabled) {
        return;
    }
    r->ctx->last_hit[r->space] = NULL;
    g_ptr_array_remove(r->ctx->active[r->space], r);
    host_map(r, false);
    r->enabled = false;
    retry_refused(r->ctx, r->space);
}

static bool range_valid(hv_space space, uint64_t base, uint64_t len)
{
    if (len == 0 || base + len < base) {
        return false;
    }
    return space != HV_SPACE_PIO || base + len <= 0x10000;
}

/* The sizes (bits 1 << size) @ops' handler takes without adaptation. */
static uint16_t direct_sizes(const hv_region_ops *ops, bool present)
{
    uint16_t bits = 0;

    for (unsigned size = 1; present && size <= 8; size *= 2) {
        if (size >= ops_min(ops) && size <= ops_max(ops)) {
            bits |= 1u << size;
        }
    }
    return bits;
}

static hv_region *region_new(hv_ctx *ctx, hv_space space, uint64_t base,
                             uint64_t len, const hv_region_ops *ops,
                             void *opaque, const char *name)
{
    hv_region *r = g_new0(hv_region, 1);

    *r = (hv_region){ .ctx = ctx, .space = space, .base = base, .len = len,
                      .ops = ops, .opaque = opaque, .name = g_strdup(name),
                      .read_direct = direct_sizes(ops, ops->read != NULL),
                      .write_direct = direct_sizes(ops, ops->write != NULL) };
    return r;
}

hv_region *hv_region_add(hv_ctx *ctx, hv_space space, uint64_t base,
                         uint64_t len, const hv_region_ops *ops, void *opaque,
                         const char *name, GError **err)
{
    hv_region *r;
    int ret;

    if (space >= HV_SPACE_COUNT || !range_valid(space, base, len)) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s: invalid %s range 0x%" G_GINT64_MODIFIER "x+0x%"
                    G_GINT64_MODIFIER "x", name, space_names[space % 3],
                    base, len);
        return NULL;
    }
    r = region_new(ctx, space, base, len, ops, opaque, name);
    ret = region_enable(r);
    if (ret < 0) {
        hv_region *other = active_overlap(ctx, space, base, len);
        g_set_error(err, HV_ERROR, ret == -EEXIST ? HV_ERROR_BUSY : HV_ERROR_IO,
                    "%s: cannot claim %s 0x%" G_GINT64_MODIFIER "x-0x%"
                    G_GINT64_MODIFIER "x: %s%s", name, space_names[space],
                    base, base + len - 1,
                    ret == -EEXIST ? "overlaps " : g_strerror(-ret),
                    ret == -EEXIST && other ? other->name : "");
        g_free(r->name);
        g_free(r);
        return NULL;
    }
    g_ptr_array_add(ctx->regions[space], r);
    return r;
}

hv_region *hv_region_add_disabled(hv_ctx *ctx, hv_space space, uint64_t len,
                                  const hv_region_ops *ops, void *opaque,
                                  const char *name)
{
    hv_region *r = region_new(ctx, space, 0, len, ops, opaque, name);

    g_ptr_array_add(ctx->regions[space], r);
    return r;
}

static void region_free(gpointer p)
{
    hv_region *r = p;

    r->want_enabled = false;
    region_disable(r);
    g_free(r->hist[0]);
    g_free(r->hist[1]);
    hv_timing_region_free(r);
    g_free(r->name);
    g_free(r);
}

void hv_region_del(hv_region *r)
{
    if (!r) {
        return;
    }
    /* The owning array frees it (region_free). */
    g_ptr_array_remove(r->ctx->regions[r->space], r);
}

void hv_regions_init(hv_ctx *ctx)
{
    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        ctx->regions[s] = g_ptr_array_new_with_free_func(region_free);
        ctx->active[s] = g_ptr_array_new();
    }
    ctx->unclaimed_logged = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                                  g_free, NULL);
}

void hv_regions_free_all(hv_ctx *ctx)
{
    ctx->tearing_down = true;
    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        g_ptr_array_free(ctx->regions[s], TRUE);
        g_ptr_array_free(ctx->active[s], TRUE);
    }
    g_hash_table_destroy(ctx->unclaimed_logged);
}

bool hv_region_set(hv_region *r, uint64_t base, bool enabled)
{
    if (r->base == base && r->enabled == enabled) {
        r->want_enabled = enabled;
        return true;
    }
    r->want_enabled = false;  /* not a retry candidate while it moves */
    region_disable(r);
    if (!range_valid(r->space, base, r->len)) {
        return !enabled;
    }

    r->base = base;
    r->want_enabled = enabled;
    if (!enabled) {
        return true;
    }
    if (region_enable(r) < 0) {
        g_info("%s: 0x%" G_GINT64_MODIFIER "x not claimable, left disabled",
               r->name, base);
        return false;
    }
    return true;
}

uint64_t hv_region_base(const hv_region *r) { return r->base; }
uint64_t hv_region_len(const hv_region *r) { return r->len; }
bool hv_region_enabled(const hv_region *r) { return r->enabled; }
const char *hv_region_name(const hv_region *r) { return r->name; }

void hv_ctx_region_stats(hv_ctx *ctx, hv_region_stat_fn fn, void *opaque)
{
    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        for (guint i = 0; i < ctx->regions[s]->len; i++) {
            hv_region *r = g_ptr_array_index(ctx->regions[s], i);
            hv_region_stat st = { .name = r->name, .space = r->space,
                                  .base = r->base, .len = r->len,
                                  .enabled = r->enabled, .reads = r->reads,
                                  .writes = r->writes,
                                  .read_ns = r->hist[0],
                                  .write_ns = r->hist[1], .region = r };
            fn(opaque, &st);
        }
    }
}

const char *hv_region_name_at(hv_ctx *ctx, hv_space space, uint64_t addr)
{
    hv_region *r = space < HV_SPACE_COUNT ? active_find(ctx, space, addr)
                                          : NULL;
    return r ? r->name : NULL;
}

/* ---- width adaptation ---- */

static bool is_pow2_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t region_read(hv_region *r, uint64_t off, unsigned size);
static void region_write(hv_region *r, uint64_t off, unsigned size,
                         uint64_t val);

/* Split into @chunk-sized little-endian pieces. */
static uint64_t read_split(hv_region *r, uint64_t off, unsigned size,
                           unsigned chunk)
{
    uint64_t val = 0;

    for (unsigned i = 0; i < size; i += chunk) {
        val |= region_read(r, off + i, chunk) << (i * 8);
    }
    return val;
}

static void write_split(hv_region *r, uint64_t off, unsigned size,
                        unsigned chunk, uint64_t val)
{
    for (unsigned i = 0; i < size; i += chunk) {
        region_write(r, off + i, chunk, (val >> (i * 8)) & size_mask(chunk));
    }
}

/* Narrow access: does it fit one naturally aligned min-sized window? */
static bool fits_window(hv_region *r, uint64_t off, unsigned size,
                        unsigned min)
{
    uint64_t win = off & ~(uint64_t)(min - 1);
    return off + size <= win + min && win + min <= r->len;
}

static uint64_t region_read(hv_region *r, uint64_t off, unsigned size)
{
    unsigned min = ops_min(r->ops), max = ops_max(r->ops);

    if (!is_pow2_size(size)) {
        return read_split(r, off, size, 1);
    }
    if (size > max) {
        return read_split(r, off, size, max);
    }
    if (size < min) {
        uint64_t win = off & ~(uint64_t)(min - 1);
        if (!fits_window(r, off, size, min)) {
            return size == 1 ? size_mask(1) : read_split(r, off, size, 1);
        }
        return (region_read(r, win, min) >> ((off - win) * 8)) &
               size_mask(size);
    }
    if (!r->ops->read) {
        return size_mask(size);
    }
    return r->ops->read(r->opaque, off, size) & size_mask(size);
}

static void region_write(hv_region *r, uint64_t off, unsigned size,
                         uint64_t val)
{
    unsigned min = ops_min(r->ops), max = ops_max(r->ops);

    val &= size_mask(size);
    if (!is_pow2_size(size)) {
        write_split(r, off, size, 1, val);
    } else if (size > max) {
        write_split(r, off, size, max, val);
    } else if (size < min) {
        /* Read-modify-write of the enclosing window. */
        uint64_t win = off & ~(uint64_t)(min - 1);
        unsigned shift = (unsigned)(off - win) * 8;
        uint64_t old;
        if (!fits_window(r, off, size, min)) {
            if (size > 1) {
                write_split(r, off, size, 1, val);
            }
            return;
        }
        old = region_read(r, win, min);
        old &= ~(size_mask(size) << shift);
        region_write(r, win, min, old | (val << shift));
    } else if (r->ops->write) {
        r->ops->write(r->opaque, off, size, val);
    }
}

/* ---- dispatch ---- */

/* Does [addr, addr+size) lie inside @r (addr >= r->base)? Written without
 * addr + size, which wraps for accesses at the top of the 64-bit space. */
static bool fits(const hv_region *r, uint64_t addr, unsigned size)
{
    return size <= r->len && addr - r->base <= r->len - size;
}

static void log_unclaimed(hv_ctx *ctx, hv_space space, uint64_t addr,
                          bool write)
{
    uint64_t key = (addr << 2) | space;

    /* Logged once per address; the table is bounded so a guest scanning
     * the address space cannot grow it without limit. */
    if (g_hash_table_size(ctx->unclaimed_logged) >= 256 ||
        g_hash_table_contains(ctx->unclaimed_logged, &key)) {
        return;
    }
    g_hash_table_add(ctx->unclaimed_logged, g_memdup2(&key, sizeof(key)));
    g_info("unclaimed %s %s at 0x%" G_GINT64_MODIFIER "x",
           space_names[space], write ? "write" : "read", addr);
}

/* Not inside one region: unclaimed (all ones, logged once) or across a
 * region boundary (assembled byte by byte). Kept out of line so the common
 * path stays short. */
static G_GNUC_NO_INLINE uint64_t read_other(hv_ctx *ctx, hv_space space,
                                            uint64_t addr, unsigned size,
                                            const hv_region *r)
{
    uint64_t val = 0;

    if (!r && !active_overlap(ctx, space, addr, size)) {
        log_unclaimed(ctx, space, addr, false);
        return size_mask(size);
    }
    for (unsigned i = 0; i < size; i++) {
        val |= (hv_dispatch_read(ctx, space, addr + i, 1) & 0xff) << (i * 8);
    }
    return val;
}

static G_GNUC_NO_INLINE void write_other(hv_ctx *ctx, hv_space space,
                                         uint64_t addr, unsigned size,
                                         uint64_t val, const hv_region *r)
{
    if (!r && !active_overlap(ctx, space, addr, size)) {
        log_unclaimed(ctx, space, addr, true);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        hv_dispatch_write(ctx, space, addr + i, 1, (val >> (i * 8)) & 0xff);
    }
}

/* Timing or tracing on: the access with its timestamps around it. */
static G_GNUC_NO_INLINE uint64_t read_instrumented(hv_ctx *ctx, hv_region *r,
                                                   uint64_t off, unsigned size)
{
    uint64_t t = hv_now_ns(), val;

    hv_trace_region_enter(ctx, r);
    val = region_read(r, off, size);
    hv_timing_region(ctx, r, false, t, off, val);
    return val;
}

static G_GNUC_NO_INLINE void write_instrumented(hv_ctx *ctx, hv_region *r,
                                                uint64_t off, unsigned size,
                                                uint64_t val)
{
    uint64_t t = hv_now_ns();

    hv_trace_region_enter(ctx, r);
    region_write(r, off, size, val);
    hv_timing_region(ctx, r, true, t, off, val);
}

uint64_t hv_dispatch_read(hv_ctx *ctx, hv_space space, uint64_t addr,
                          unsigned size)
{
    if (space >= HV_SPACE_COUNT || size == 0 || size > 8) {
        return ~0ull;
    }
    return hv_dispatch_read_valid(ctx, space, addr, size);
}

void hv_dispatch_write(hv_ctx *ctx, hv_space space, uint64_t addr,
                       unsigned size, uint64_t val)
{
    if (space >= HV_SPACE_COUNT || size == 0 || size > 8) {
        return;
    }
    hv_dispatch_write_valid(ctx, space, addr, size, val);
}

uint64_t hv_dispatch_read_valid(hv_ctx *ctx, hv_space space, uint64_t addr,
                                unsigned size)
{
    hv_region *r;
    uint64_t off, val;

    r = active_find(ctx, space, addr);
    if (G_UNLIKELY(!r || !fits(r, addr, size))) {
        return read_other(ctx, space, addr, size, r);
    }
    off = addr - r->base;
    r->reads++;
    if (G_UNLIKELY(hv_instrumented(ctx))) {
        val = read_instrumented(ctx, r, off, size);
    } else if (r->read_direct & (1u << size)) {
        /* The handler takes this size as it is (most accesses). */
        val = r->ops->read(r->opaque, off, size) & size_mask(size);
    } else {
        val = region_read(r, off, size);
    }
    HV_PROBE4(region__read, r->name, off, size, val);
    return val;
}

void hv_dispatch_write_valid(hv_ctx *ctx, hv_space space, uint64_t addr,
                             unsigned size, uint64_t val)
{
    hv_region *r;
    uint64_t off;

    r = active_find(ctx, space, addr);
    if (G_UNLIKELY(!r || !fits(r, addr, size))) {
        write_other(ctx, space, addr, size, val, r);
        return;
    }
    off = addr - r->base;
    HV_PROBE4(region__write, r->name, off, size, val);
    r->writes++;
    if (G_UNLIKELY(hv_instrumented(ctx))) {
        write_instrumented(ctx, r, off, size, val);
    } else if (r->write_direct & (1u << size)) {
        r->ops->write(r->opaque, off, size, val & size_mask(size));
    } else {
        region_write(r, off, size, val);
    }
}
