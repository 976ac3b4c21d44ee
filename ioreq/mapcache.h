/* SPDX-License-Identifier: MIT */
/*
 * Guest-memory map cache.
 *
 * Mapping guest pages (xenforeignmemory_map) costs a hypercall and TLB
 * work, so RAM is mapped in aligned buckets (1 MiB by default), found
 * again through a hash table, and the least recently used bucket is
 * evicted only once the cache is full (sized for a whole guest). The map
 * and unmap primitives are callbacks so this file stays free of Xen calls
 * and the unit tests can drive it with a fake guest.
 *
 * Every access is bounds-checked page by page: a page the hypervisor
 * refused to map (a hole, MMIO, beyond RAM) makes the whole access fail
 * with -EFAULT — never a partial copy, never a SIGBUS.
 */
#ifndef IOREQ_MAPCACHE_H
#define IOREQ_MAPCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOREQ_PAGE_SHIFT 12
#define IOREQ_PAGE_SIZE (1u << IOREQ_PAGE_SHIFT)
/* Guest-physical addresses at or above this are refused (x86-64 MAXPHYADDR
 * is at most 52 bits). */
#define IOREQ_GPA_LIMIT (1ULL << 52)

#define IOREQ_MAPCACHE_BUCKET_SHIFT 20 /* 1 MiB */
#define IOREQ_MAPCACHE_MAX_BUCKET_SHIFT 20
/* 32 GiB of guest address space (QEMU's cap on 64-bit hosts): a guest up
 * to that size is mapped once, bucket by bucket as it is touched, and
 * never remapped but after an INVALIDATE. Page tables cost 2 KiB per
 * mapped MiB in dom0; the slot array is 56 bytes per bucket. */
#define IOREQ_MAPCACHE_BUCKETS 32768

/*
 * Map @npages guest frames starting at @first_pfn read/write. On return
 * errs[i] is 0 for a usable page, nonzero otherwise. Returns NULL if
 * nothing could be mapped.
 */
typedef void *(*ioreq_map_fn)(void *opaque, uint64_t first_pfn, size_t npages,
                              int *errs);
typedef void (*ioreq_unmap_fn)(void *opaque, void *addr, size_t npages);

typedef struct ioreq_mapcache ioreq_mapcache;

typedef struct ioreq_mapcache_stats {
    uint64_t hits;
    uint64_t misses; /* bucket mapped */
    uint64_t evictions;
    uint64_t faults; /* accesses refused with -EFAULT */
} ioreq_mapcache_stats;

/* @bucket_shift: log2 bucket size, 12..20; @nbuckets ≥ 1. */
ioreq_mapcache *ioreq_mapcache_new(ioreq_map_fn map, ioreq_unmap_fn unmap,
                                   void *opaque, unsigned bucket_shift,
                                   unsigned nbuckets);
void ioreq_mapcache_free(ioreq_mapcache *mc);

/* 0, or -EFAULT if any byte of [gpa, gpa+len) is not mapped RAM. */
int ioreq_mapcache_read(ioreq_mapcache *mc, uint64_t gpa, void *buf,
                        size_t len);
int ioreq_mapcache_write(ioreq_mapcache *mc, uint64_t gpa, const void *buf,
                         size_t len);

/* Drop every mapping (IOREQ_TYPE_INVALIDATE, teardown). */
void ioreq_mapcache_invalidate(ioreq_mapcache *mc);

/* Diagnostic: copy into the guest with ascending 8-byte stores. */
void ioreq_mapcache_set_simple_copy(bool on);

void ioreq_mapcache_get_stats(const ioreq_mapcache *mc,
                              ioreq_mapcache_stats *st);
unsigned ioreq_mapcache_mapped(const ioreq_mapcache *mc);

#endif
