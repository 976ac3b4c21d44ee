/* SPDX-License-Identifier: MIT */
/* Consumer side of the buffered ioreq ring; protocol in bufring.h. */
#define G_LOG_DOMAIN "ioreq"

#include <string.h>

#include <glib.h>

#include "ioreq/bufring.h"
#include "hw/core/probes.h"

/* Re-reads allowed when Xen rebases the pointers under us. */
#define IOREQ_BUFRING_RETRIES 8

static uint32_t ioreq_ptr_load(const uint32_t *p)
{
    uint32_t v = __atomic_load_n(p, __ATOMIC_SEQ_CST);

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return v;
}

static void ioreq_slot_copy(const buffered_iopage_t *pg, uint32_t ptr,
                            buf_ioreq_t *out)
{
    memcpy(out, (const void *)&pg->buf_ioreq[ptr % IOREQ_BUFFER_SLOT_NUM],
           sizeof(*out));
}

/*
 * Snapshot (read_pointer, write_pointer) consistently: if read_pointer
 * changed while we read write_pointer, Xen rebased both; read again.
 */
static bool ioreq_ptrs_snapshot(const buffered_iopage_t *pg, uint32_t *rd,
                                uint32_t *wr)
{
    for (unsigned tries = 0; tries < IOREQ_BUFRING_RETRIES; tries++) {
        *rd = ioreq_ptr_load(&pg->read_pointer);
        *wr = ioreq_ptr_load(&pg->write_pointer);
        if (*rd == ioreq_ptr_load(&pg->read_pointer)) {
            return true;
        }
    }
    return false;
}

bool ioreq_bufring_pending(const buffered_iopage_t *pg)
{
    uint32_t rd, wr;

    return ioreq_ptrs_snapshot(pg, &rd, &wr) && rd != wr;
}

/*
 * Decode the entry at @rd into @req. Returns the slots it occupies (1 or
 * 2), or 0 if it is malformed (then 1 slot is skipped).
 */
static unsigned ioreq_buf_decode(const buffered_iopage_t *pg, uint32_t rd,
                                 uint32_t avail, ioreq_t *req)
{
    buf_ioreq_t e, hi;

    ioreq_slot_copy(pg, rd, &e);
    memset(req, 0, sizeof(*req));
    req->type = e.type;
    req->addr = e.addr;
    req->data = e.data;
    req->size = 1u << e.size;
    req->count = 1;
    req->dir = IOREQ_WRITE;
    req->state = STATE_IOREQ_READY;
    if (e.dir == IOREQ_READ) {
        return 0; /* nobody could receive the answer of a posted read */
    }
    if (req->size != 8) {
        return 1;
    }
    /* Xen publishes both halves with a single write_pointer += 2, so a lone
     * first half is corruption, not a race. */
    if (avail < 2) {
        return 0;
    }
    ioreq_slot_copy(pg, rd + 1, &hi);
    req->data |= (uint64_t)hi.data << 32;
    return 2;
}

static void ioreq_buf_advance(buffered_iopage_t *pg, uint32_t n)
{
    /* Atomic add, not a store: Xen may cmpxchg both pointers concurrently
     * and a plain store could undo its rebase. */
    __atomic_fetch_add(&pg->read_pointer, n, __ATOMIC_SEQ_CST);
}

unsigned ioreq_bufring_drain(buffered_iopage_t *pg, const ioreq_env *env,
                             unsigned budget, ioreq_bufring_cb cb, void *opaque)
{
    unsigned done = 0;
    uint32_t rd, wr, avail, slots;
    ioreq_t req;
    ioreq_status st;

    /* The common case, on every wake-up: nothing buffered. */
    if (ioreq_ptr_load(&pg->read_pointer) ==
        ioreq_ptr_load(&pg->write_pointer)) {
        return 0;
    }
    while (done < budget && ioreq_ptrs_snapshot(pg, &rd, &wr) && rd != wr) {
        avail = wr - rd;
        if (avail > IOREQ_BUFFER_SLOT_NUM) {
            hv_guest_error(G_LOG_DOMAIN,
                           "buffered ring pointers corrupt "
                           "(read %u write %u): resynchronising",
                           rd, wr);
            ioreq_buf_advance(pg, avail);
            break;
        }
        slots = ioreq_buf_decode(pg, rd, avail, &req);
        if (slots == 0) {
            hv_guest_error(G_LOG_DOMAIN,
                           "malformed buffered ioreq at slot "
                           "%u skipped",
                           rd % IOREQ_BUFFER_SLOT_NUM);
            st = IOREQ_BAD_TYPE;
            slots = 1;
        } else {
            HV_PROBE4(ioreq__buffered, (unsigned)req.type, req.addr, req.size,
                      req.data);
            st = ioreq_perform(env, &req);
        }
        ioreq_buf_advance(pg, slots);
        done++;
        if (cb) {
            cb(opaque, &req, st);
        }
    }
    return done;
}
