/* SPDX-License-Identifier: MIT */
/*
 * Performing one ioreq_t (Xen public/hvm/ioreq.h) against an hv_ctx.
 *
 * Pure: no Xen library calls, only the structure definitions, so the unit
 * tests drive it with hand-built requests. Guest memory is reached through
 * the accessors in ioreq_env (the map cache in the daemon, a plain buffer in
 * the tests). This is where `rep ins/outs`, `rep movs/stos` to MMIO and
 * every other count/data_is_ptr/df combination is unrolled, so devices only
 * ever see single accesses of 1, 2, 4 or 8 bytes.
 */
#ifndef IOREQ_DECODE_H
#define IOREQ_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/hvm/ioreq.h>

#include "hvmemu/ctx.h"

/*
 * Upper bound of count * size for one request. Xen clips repeated accesses
 * so the guest buffer stays within one page (xen/arch/x86/hvm/emulate.c,
 * hvmemul_do_io_addr), i.e. at most 4 KiB; we accept 16 times that and
 * reject anything larger as malformed rather than trusting a 32-bit count.
 */
#define IOREQ_REP_MAX_BYTES (64u * 1024u)

typedef struct ioreq_env {
    hv_ctx *ctx; /* where device accesses go (hv_dispatch_read/write) */
    /* Guest physical memory; 0 or -errno (-EFAULT outside RAM). */
    int (*mem_read)(void *opaque, uint64_t gpa, void *buf, size_t len);
    int (*mem_write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
    /* IOREQ_TYPE_INVALIDATE: drop every cached guest mapping. May be NULL. */
    void (*invalidate)(void *opaque);
    void *opaque;
} ioreq_env;

typedef enum ioreq_status {
    IOREQ_DONE = 0,   /* performed */
    IOREQ_IGNORED,    /* nothing to do (TIMEOFFSET) */
    IOREQ_BAD_TYPE,   /* unknown request type / buffered read */
    IOREQ_BAD_SIZE,   /* size not 1/2/4 (8 for MMIO) */
    IOREQ_BAD_COUNT,  /* count 0, too large, or range wraps */
    IOREQ_BAD_MEMORY, /* guest buffer (data_is_ptr) not in RAM */
} ioreq_status;

/*
 * Perform @req. For a read without data_is_ptr the result is left in
 * req->data (masked to req->size). A malformed request performs no device
 * access at all, is logged (rate-limited, hv_guest_error) and, if it is a
 * value read, answered with all ones. Never aborts.
 */
ioreq_status ioreq_perform(const ioreq_env *env, ioreq_t *req);

/* Complete @req as failed: value reads get all ones. */
void ioreq_fail_response(ioreq_t *req);

static inline bool ioreq_status_is_error(ioreq_status st)
{
    return st >= IOREQ_BAD_TYPE;
}

const char *ioreq_status_str(ioreq_status st);
const char *ioreq_type_name(unsigned type);
/* Bit mask covering @size bytes (all ones for 8 or any unusual size). */
uint64_t ioreq_size_mask(unsigned size);

#endif
