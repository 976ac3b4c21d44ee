/* SPDX-License-Identifier: MIT */
/*
 * Slot state machine; see dispatch.h for the protocol and why the fences
 * are full CPU barriers.
 *
 * `state` is a 4-bit bitfield sharing its byte with data_is_ptr/dir/df.
 * Xen never writes that byte while the slot is READY or INPROCESS (it is
 * ours then), so the read-modify-write a bitfield store implies is safe;
 * the volatile access keeps the compiler from caching or merging it.
 */
#define G_LOG_DOMAIN "ioreq"

#include <string.h>

#include "ioreq/dispatch.h"
#include "hw/core/probes.h"

uint8_t ioreq_slot_state(const ioreq_t *slot)
{
    uint8_t state = ((const volatile ioreq_t *)slot)->state;

    /* Order: state first, then the fields Xen wrote before setting it. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return state;
}

void ioreq_slot_set_state(ioreq_t *slot, uint8_t state)
{
    /* Order: everything written before (data) is visible before state. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    ((volatile ioreq_t *)slot)->state = state & 0xf;
}

bool ioreq_slot_service(ioreq_t *slot, const ioreq_env *env, ioreq_t *done,
                        ioreq_status *st)
{
    ioreq_t req;
    ioreq_status status;

    if (ioreq_slot_state(slot) != STATE_IOREQ_READY) {
        return false;
    }
    /* Work on a private copy: every field is read exactly once. */
    memcpy(&req, (const void *)slot, sizeof(req));
    ioreq_slot_set_state(slot, STATE_IOREQ_INPROCESS);

    HV_PROBE4(ioreq__begin, (unsigned)req.type, req.addr, req.size,
              (unsigned)req.dir);
    status = ioreq_perform(env, &req);

    ((volatile ioreq_t *)slot)->data = req.data;
    ioreq_slot_set_state(slot, STATE_IORESP_READY);
    HV_PROBE3(ioreq__end, (unsigned)req.type, req.addr, req.data);

    if (done) {
        *done = req;
    }
    if (st) {
        *st = status;
    }
    return true;
}

bool ioreq_slot_release(ioreq_t *slot)
{
    uint8_t state = ioreq_slot_state(slot);
    ioreq_t req;

    if (state != STATE_IOREQ_READY && state != STATE_IOREQ_INPROCESS) {
        return false;
    }
    memcpy(&req, (const void *)slot, sizeof(req));
    ioreq_fail_response(&req);
    ((volatile ioreq_t *)slot)->data = req.data;
    ioreq_slot_set_state(slot, STATE_IORESP_READY);
    return true;
}
