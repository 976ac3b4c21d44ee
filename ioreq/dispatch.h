/* SPDX-License-Identifier: MIT */
/*
 * The per-vCPU ioreq slot state machine (Xen public/hvm/ioreq.h):
 *
 *   Xen:  fill fields, wmb, state = STATE_IOREQ_READY, notify
 *   us:   see READY, full barrier, copy fields, state = INPROCESS,
 *         perform, write data, full barrier, state = STATE_IORESP_READY,
 *         notify (the caller does that: this file makes no Xen calls)
 *
 * The barriers are real CPU fences (__atomic_thread_fence), not compiler
 * barriers: an older ioreq server used a compiler-only barrier and Xen
 * could observe IORESP_READY before the response data on weakly ordered
 * hardware.
 */
#ifndef IOREQ_DISPATCH_H
#define IOREQ_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hw/core/probes.h"
#include "ioreq/decode.h"

/*
 * The state machine is inline: it is every request's path, and the calls
 * it saves are a measurable share of the loop (scripts/bench-instructions).
 *
 * `state` is a 4-bit bitfield sharing its byte with data_is_ptr/dir/df.
 * Xen never writes that byte while the slot is READY or INPROCESS (it is
 * ours then), so the read-modify-write a bitfield store implies is safe;
 * the volatile access keeps the compiler from caching or merging it.
 */

/* Current state of a slot, read before (and fenced from) its fields. */
static inline uint8_t ioreq_slot_state(const ioreq_t *slot)
{
    uint8_t state = ((const volatile ioreq_t *)slot)->state;

    /* Order: state first, then the fields Xen wrote before setting it. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return state;
}

/* Publish @state after everything written before it. */
static inline void ioreq_slot_set_state(ioreq_t *slot, uint8_t state)
{
    /* Order: everything written before (data) is visible before state. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    ((volatile ioreq_t *)slot)->state = state & 0xf;
}

/*
 * If @slot is READY: copy it to @req, perform it there against @env, write
 * the response and mark the slot IORESP_READY. Returns true when a request
 * was serviced (the caller must then notify the vCPU's event channel);
 * @req then holds the request as performed (with the read data) and @st
 * (may be NULL) its status. @req is only scratch when false is returned.
 */
static inline __attribute__((always_inline)) bool
ioreq_slot_service(ioreq_t *slot, const ioreq_env *env, ioreq_t *req,
                   ioreq_status *st)
{
    ioreq_status status;

    if (ioreq_slot_state(slot) != STATE_IOREQ_READY) {
        return false;
    }
    /* Work on a private copy: every field is read exactly once. */
    memcpy(req, (const void *)slot, sizeof(*req));
    ioreq_slot_set_state(slot, STATE_IOREQ_INPROCESS);

    HV_PROBE4(ioreq__begin, (unsigned)req->type, req->addr, req->size,
              (unsigned)req->dir);
    status = ioreq_perform(env, req);

    ((volatile ioreq_t *)slot)->data = req->data;
    ioreq_slot_set_state(slot, STATE_IORESP_READY);
    HV_PROBE3(ioreq__end, (unsigned)req->type, req->addr, req->data);

    if (st) {
        *st = status;
    }
    return true;
}

/*
 * Teardown: a slot still READY or INPROCESS is completed without touching
 * any device (value reads answered with all ones) so the vCPU is not left
 * blocked. Returns true if the slot was released (notify it).
 */
bool ioreq_slot_release(ioreq_t *slot);

#endif
