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

#include "ioreq/decode.h"

/* Current state of a slot, read before (and fenced from) its fields. */
uint8_t ioreq_slot_state(const ioreq_t *slot);
/* Publish @state after everything written before it. */
void ioreq_slot_set_state(ioreq_t *slot, uint8_t state);

/*
 * If @slot is READY: take it, perform it against @env, write the response
 * and mark it IORESP_READY. Returns true when a request was serviced (the
 * caller must then notify the vCPU's event channel); @done receives the
 * request as performed (with the read data) and @st its status.
 */
bool ioreq_slot_service(ioreq_t *slot, const ioreq_env *env, ioreq_t *done,
                        ioreq_status *st);

/*
 * Teardown: a slot still READY or INPROCESS is completed without touching
 * any device (value reads answered with all ones) so the vCPU is not left
 * blocked. Returns true if the slot was released (notify it).
 */
bool ioreq_slot_release(ioreq_t *slot);

#endif
