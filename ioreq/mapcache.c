/* SPDX-License-Identifier: MIT */
/* Guest-memory map cache: aligned buckets, LRU eviction; see mapcache.h. */
#define G_LOG_DOMAIN "ioreq"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "ioreq/mapcache.h"

#define IOREQ_MAPCACHE_MAX_PAGES                                               \
    (1u << (IOREQ_MAPCACHE_MAX_BUCKET_SHIFT - IOREQ_PAGE_SHIFT))

typedef struct ioreq_bucket {
    uint8_t *va;                                   /* NULL = slot free */
    uint64_t index;                                /* gpa >> bucket shift */
    uint64_t last_use;                             /* LRU clock */
    uint64_t valid[IOREQ_MAPCACHE_MAX_PAGES / 64]; /* page mapped OK */
} ioreq_bucket;

struct ioreq_mapcache {
    ioreq_map_fn map;
    ioreq_unmap_fn unmap;
    void *opaque;
    unsigned shift; /* log2 bucket size */
    size_t npages;  /* pages per bucket */
    unsigned nbuckets;
    unsigned nused; /* slots [0, nused) have been handed out */
    uint64_t clock;
    ioreq_bucket *buckets;
    GHashTable *by_index; /* bucket index → mapped slot */
    ioreq_bucket *last;   /* the slot the previous access used */
    ioreq_mapcache_stats stats;
};

/* Copy into guest memory with plain ascending 8-byte stores instead of
 * memcpy (whose large-size paths store the first bytes last, with vector
 * or string instructions). A diagnostic for the real-Xen lab, selected
 * with HVMEMU_DEBUG_COPY=simple. */
static bool ioreq_simple_copy;

void ioreq_mapcache_set_simple_copy(bool on)
{
    ioreq_simple_copy = on;
}

static void ioreq_copy_to_guest(uint8_t *dst, const uint8_t *src, size_t n)
{
    size_t i = 0;

    if (!ioreq_simple_copy) {
        memcpy(dst, src, n);
        return;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t v;

        memcpy(&v, src + i, 8);
        *(volatile uint64_t *)(void *)(dst + i) = v;
    }
    for (; i < n; i++) {
        *(volatile uint8_t *)(dst + i) = src[i];
    }
}

ioreq_mapcache *ioreq_mapcache_new(ioreq_map_fn map, ioreq_unmap_fn unmap,
                                   void *opaque, unsigned bucket_shift,
                                   unsigned nbuckets)
{
    ioreq_mapcache *mc;

    g_return_val_if_fail(map && unmap, NULL);
    g_return_val_if_fail(bucket_shift >= IOREQ_PAGE_SHIFT &&
                             bucket_shift <= IOREQ_MAPCACHE_MAX_BUCKET_SHIFT,
                         NULL);
    g_return_val_if_fail(nbuckets >= 1, NULL);

    mc = g_new0(ioreq_mapcache, 1);
    mc->map = map;
    mc->unmap = unmap;
    mc->opaque = opaque;
    mc->shift = bucket_shift;
    mc->npages = (size_t)1 << (bucket_shift - IOREQ_PAGE_SHIFT);
    mc->nbuckets = nbuckets;
    mc->buckets = g_new0(ioreq_bucket, nbuckets);
    mc->by_index = g_hash_table_new(g_direct_hash, g_direct_equal);
    return mc;
}

static void ioreq_bucket_drop(ioreq_mapcache *mc, ioreq_bucket *b)
{
    if (b->va) {
        g_hash_table_remove(mc->by_index, GSIZE_TO_POINTER(b->index));
        mc->unmap(mc->opaque, b->va, mc->npages);
        b->va = NULL;
    }
    if (mc->last == b) {
        mc->last = NULL;
    }
}

void ioreq_mapcache_invalidate(ioreq_mapcache *mc)
{
    if (!mc) {
        return;
    }
    for (unsigned i = 0; i < mc->nused; i++) {
        ioreq_bucket_drop(mc, &mc->buckets[i]);
    }
    mc->nused = 0;
}

void ioreq_mapcache_free(ioreq_mapcache *mc)
{
    if (!mc) {
        return;
    }
    ioreq_mapcache_invalidate(mc);
    g_hash_table_destroy(mc->by_index);
    g_free(mc->buckets);
    g_free(mc);
}

/*
 * A never-used slot while there is one, otherwise the least recently used
 * mapping. Like QEMU's map cache, the cache is sized to hold a whole guest
 * and evicts only beyond that: with 64 buckets a 64 MiB pattern read in
 * the lab remapped constantly (a map and an unmap hypercall, and a TLB
 * shootdown in dom0, per MiB). Mappings go only with an INVALIDATE.
 */
static ioreq_bucket *ioreq_bucket_victim(ioreq_mapcache *mc)
{
    ioreq_bucket *lru;

    if (mc->nused < mc->nbuckets) {
        return &mc->buckets[mc->nused++];
    }
    lru = &mc->buckets[0];
    for (unsigned i = 0; i < mc->nbuckets; i++) {
        ioreq_bucket *b = &mc->buckets[i];

        if (!b->va) {
            return b;
        }
        if (b->last_use < lru->last_use) {
            lru = b;
        }
    }
    mc->stats.evictions++;
    ioreq_bucket_drop(mc, lru);
    return lru;
}

static bool ioreq_bucket_map(ioreq_mapcache *mc, ioreq_bucket *b,
                             uint64_t index)
{
    int errs[IOREQ_MAPCACHE_MAX_PAGES];
    uint64_t first_pfn = index << (mc->shift - IOREQ_PAGE_SHIFT);

    memset(errs, 0, sizeof(errs));
    b->va = mc->map(mc->opaque, first_pfn, mc->npages, errs);
    if (!b->va) {
        g_debug("map of guest pfn 0x%" PRIx64 "+%zu failed", first_pfn,
                mc->npages);
        return false;
    }
    b->index = index;
    g_hash_table_insert(mc->by_index, GSIZE_TO_POINTER(index), b);
    memset(b->valid, 0, sizeof(b->valid));
    for (size_t p = 0; p < mc->npages; p++) {
        if (errs[p] == 0) {
            b->valid[p / 64] |= 1ULL << (p % 64);
        }
    }
    mc->stats.misses++;
    return true;
}

static ioreq_bucket *ioreq_bucket_get(ioreq_mapcache *mc, uint64_t index)
{
    ioreq_bucket *b = mc->last;

    if (!b || !b->va || b->index != index) {
        b = g_hash_table_lookup(mc->by_index, GSIZE_TO_POINTER(index));
    }
    if (b) {
        mc->stats.hits++;
    } else {
        b = ioreq_bucket_victim(mc);
        if (!ioreq_bucket_map(mc, b, index)) {
            if (b == &mc->buckets[mc->nused - 1]) {
                mc->nused--; /* hand the slot out again next time */
            }
            return NULL;
        }
    }
    b->last_use = ++mc->clock;
    mc->last = b;
    return b;
}

static bool ioreq_pages_valid(const ioreq_bucket *b, size_t off, size_t n)
{
    size_t first = off >> IOREQ_PAGE_SHIFT;
    size_t last = (off + n - 1) >> IOREQ_PAGE_SHIFT;

    for (size_t p = first; p <= last; p++) {
        if (!(b->valid[p / 64] & (1ULL << (p % 64)))) {
            return false;
        }
    }
    return true;
}

/*
 * Walk [gpa, gpa+len) bucket by bucket. With @buf NULL only check that
 * every byte is mapped; otherwise copy. Returns 0 or -EFAULT.
 */
static int ioreq_mapcache_walk(ioreq_mapcache *mc, uint64_t gpa, uint8_t *buf,
                               size_t len, bool to_guest)
{
    uint64_t bsize = 1ULL << mc->shift;

    while (len > 0) {
        uint64_t off = gpa & (bsize - 1);
        size_t n = (size_t)MIN((uint64_t)len, bsize - off);
        ioreq_bucket *b = ioreq_bucket_get(mc, gpa >> mc->shift);

        if (!b || !ioreq_pages_valid(b, off, n)) {
            return -EFAULT;
        }
        if (buf && to_guest) {
            ioreq_copy_to_guest(b->va + off, buf, n);
        } else if (buf) {
            memcpy(buf, b->va + off, n);
        }
        gpa += n;
        len -= n;
        if (buf) {
            buf += n;
        }
    }
    return 0;
}

/*
 * One pass: look every bucket up once, remember where each piece lives,
 * copy only when all are valid. A range of at most IOREQ_WALK_ONCE_MAX
 * buckets' size touches at most one more bucket than that; used only when
 * the cache holds more buckets than that, so none is evicted before the
 * copy.
 */
#define IOREQ_WALK_ONCE_MAX 4

static int ioreq_mapcache_walk_once(ioreq_mapcache *mc, uint64_t gpa,
                                    uint8_t *buf, size_t len, bool to_guest)
{
    uint64_t bsize = 1ULL << mc->shift;
    uint8_t *va[IOREQ_WALK_ONCE_MAX + 1];
    size_t n[IOREQ_WALK_ONCE_MAX + 1];
    unsigned k = 0;

    while (len > 0) {
        uint64_t off = gpa & (bsize - 1);
        ioreq_bucket *b = ioreq_bucket_get(mc, gpa >> mc->shift);

        n[k] = (size_t)MIN((uint64_t)len, bsize - off);
        if (!b || !ioreq_pages_valid(b, off, n[k])) {
            return -EFAULT;
        }
        va[k] = b->va + off;
        gpa += n[k];
        len -= n[k];
        k++;
    }
    for (unsigned i = 0; i < k; i++) {
        if (to_guest) {
            ioreq_copy_to_guest(va[i], buf, n[i]);
        } else {
            memcpy(buf, va[i], n[i]);
        }
        buf += n[i];
    }
    return 0;
}

static int ioreq_mapcache_access(ioreq_mapcache *mc, uint64_t gpa, uint8_t *buf,
                                 size_t len, bool to_guest)
{
    if (len == 0) {
        return 0;
    }
    if (gpa >= IOREQ_GPA_LIMIT || len > IOREQ_GPA_LIMIT - gpa) {
        mc->stats.faults++;
        return -EFAULT;
    }
    /* Validate the whole range before copying a byte, so a failing access
     * never leaves a half-written guest buffer behind. The common case
     * (a DMA chunk, at most a few buckets) looks each bucket up once. */
    if (mc->nbuckets > IOREQ_WALK_ONCE_MAX &&
        len <= (size_t)IOREQ_WALK_ONCE_MAX << mc->shift) {
        if (ioreq_mapcache_walk_once(mc, gpa, buf, len, to_guest) < 0) {
            mc->stats.faults++;
            return -EFAULT;
        }
        return 0;
    }
    if (ioreq_mapcache_walk(mc, gpa, NULL, len, to_guest) < 0 ||
        ioreq_mapcache_walk(mc, gpa, buf, len, to_guest) < 0) {
        mc->stats.faults++;
        return -EFAULT;
    }
    return 0;
}

int ioreq_mapcache_read(ioreq_mapcache *mc, uint64_t gpa, void *buf, size_t len)
{
    return ioreq_mapcache_access(mc, gpa, buf, len, false);
}

int ioreq_mapcache_write(ioreq_mapcache *mc, uint64_t gpa, const void *buf,
                         size_t len)
{
    /* The walk only reads from @buf when copying to the guest. */
    return ioreq_mapcache_access(mc, gpa, (uint8_t *)(uintptr_t)buf, len, true);
}

void ioreq_mapcache_get_stats(const ioreq_mapcache *mc,
                              ioreq_mapcache_stats *st)
{
    *st = mc->stats;
}

unsigned ioreq_mapcache_mapped(const ioreq_mapcache *mc)
{
    return g_hash_table_size(mc->by_index);
}
