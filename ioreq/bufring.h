/* SPDX-License-Identifier: MIT */
/*
 * The buffered ioreq ring (Xen public/hvm/ioreq.h, buffered_iopage_t).
 *
 * Xen posts writes that need no answer (VGA framebuffer, TIMEOFFSET) into a
 * one-page ring of IOREQ_BUFFER_SLOT_NUM 8-byte buf_ioreq_t slots instead
 * of stopping the vCPU. read_pointer / write_pointer are free-running
 * 32-bit counters; slot = pointer % IOREQ_BUFFER_SLOT_NUM. A 64-bit write
 * takes two slots: the second slot's data is the high 32 bits.
 *
 * With HVM_IOREQSRV_BUFIOREQ_ATOMIC Xen may rebase both pointers at once
 * with a 64-bit cmpxchg (xen/common/ioreq.c, ioreq_send_buffered) so they
 * never overflow; we therefore re-check read_pointer after reading
 * write_pointer and advance it only with an atomic add, as QEMU does.
 *
 * Pure: no Xen library calls.
 */
#ifndef IOREQ_BUFRING_H
#define IOREQ_BUFRING_H

#include <stdbool.h>
#include <stdint.h>

#include "ioreq/decode.h"

/* Called for every entry consumed (for statistics and tracing). */
typedef void (*ioreq_bufring_cb)(void *opaque, const ioreq_t *req,
                                 ioreq_status st);

/* True if Xen has posted entries we have not consumed. */
bool ioreq_bufring_pending(const buffered_iopage_t *pg);

/*
 * Nothing posted: the answer on almost every wake-up, so it is two loads
 * inline rather than a call. Xen's rebase subtracts the same multiple of
 * the ring size from both pointers at once; read across it, the pointers
 * differ, and the drain's consistent snapshot then finds the ring empty.
 */
static inline bool ioreq_bufring_empty(const buffered_iopage_t *pg)
{
    return __atomic_load_n(&pg->read_pointer, __ATOMIC_ACQUIRE) ==
           __atomic_load_n(&pg->write_pointer, __ATOMIC_ACQUIRE);
}

/*
 * Perform up to @budget posted entries (the budget keeps a flooding guest
 * from starving the other vCPUs and fds) and advance read_pointer past
 * them. Malformed entries are logged and skipped. Returns the number of
 * entries consumed. @cb may be NULL.
 */
unsigned ioreq_bufring_drain(buffered_iopage_t *pg, const ioreq_env *env,
                             unsigned budget, ioreq_bufring_cb cb,
                             void *opaque);

#endif
