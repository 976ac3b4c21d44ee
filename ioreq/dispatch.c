/* SPDX-License-Identifier: MIT */
/*
 * Slot teardown; the state machine itself is inline in dispatch.h (it is
 * the dispatch loop's every request).
 */
#define G_LOG_DOMAIN "ioreq"

#include <string.h>

#include "ioreq/dispatch.h"

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
