/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the buffered ioreq ring consumer (ioreq/bufring.c) on a
 * page whose contents and pointers are entirely hostile — Xen writes the
 * slots, but a guest or a corrupted page must not be able to make us loop,
 * read outside the page or perform more than the budget.
 *
 * Input: rounds until it ends, each:
 *   ctl:u8    bit 0: new pointers follow (rd:u32, then delta:u16 — or a
 *             raw wr:u32 when bit 1 is set); bits 2-3: how many slots to
 *             overwrite (0, 1, 8, or all 511), then
 *             first:u16 (slot index) and 8 raw bytes per slot;
 *             bit 4: budget:u16 follows (else 64)
 *
 * Invariants: drain returns at most the budget; the callback runs once
 * per entry consumed; read_pointer moves forward by at most the slots
 * available (it never passes write_pointer); write_pointer is never
 * written; device accesses are bounded (each entry at most one 8-byte
 * access, possibly split into bytes with read-modify-write); afterwards
 * either the budget is spent or nothing is pending, or the pointers were
 * corrupt and read_pointer was resynchronised to write_pointer.
 */
#include <string.h>

#include "ioreq/bufring.h"
#include "tests/fuzz/fuzz-ioreq.h"

typedef struct seen {
    unsigned calls;
} seen;

static void on_entry(void *opaque, const ioreq_t *req, ioreq_status st)
{
    seen *s = opaque;

    s->calls++;
    FZ_CHECK(st <= IOREQ_BAD_MEMORY, "status %d", st);
    FZ_CHECK(req->count == 1 && req->dir == IOREQ_WRITE && !req->data_is_ptr,
             "posted entry decoded as count %u dir %u ptr %u", req->count,
             req->dir, req->data_is_ptr);
}

static void set_pointers(buffered_iopage_t *pg, fz_in *in, uint8_t ctl)
{
    pg->read_pointer = fz_u32(in);
    if (ctl & 2) {
        pg->write_pointer = fz_u32(in);
    } else {
        pg->write_pointer = pg->read_pointer + fz_u16(in) % 600;
    }
}

static void write_slots(buffered_iopage_t *pg, fz_in *in, uint8_t ctl)
{
    static const unsigned counts[4] = { 0, 1, 8, IOREQ_BUFFER_SLOT_NUM };
    unsigned n = counts[(ctl >> 2) & 3];
    unsigned first = fz_u16(in);

    for (unsigned i = 0; i < n && fz_more(in); i++) {
        buf_ioreq_t *e = &pg->buf_ioreq[(first + i) % IOREQ_BUFFER_SLOT_NUM];
        fz_bytes(in, e, sizeof(*e));
    }
}

static void one_round(fi *m, buffered_iopage_t *pg, fz_in *in)
{
    uint8_t ctl = fz_u8(in);
    unsigned budget = 64, done;
    uint32_t rd0, wr0, avail;
    uint64_t acc0 = m->accesses;
    seen s = { 0 };

    if (ctl & 1) {
        set_pointers(pg, in, ctl);
    }
    write_slots(pg, in, ctl);
    if (ctl & 0x10) {
        budget = fz_u16(in);
    }
    rd0 = pg->read_pointer;
    wr0 = pg->write_pointer;
    avail = wr0 - rd0;
    fz_host_op_begin(&m->host);
    done = ioreq_bufring_drain(pg, &m->env, budget, on_entry, &s);
    fz_host_op_end(&m->host, "bufring drain");
    FZ_CHECK(done <= budget, "%u entries with budget %u", done, budget);
    FZ_CHECK(s.calls == done, "callback ran %u times for %u entries",
             s.calls, done);
    FZ_CHECK(pg->write_pointer == wr0, "write_pointer changed");
    FZ_CHECK(pg->read_pointer - rd0 <= avail,
             "read_pointer moved %u with %u available",
             pg->read_pointer - rd0, avail);
    FZ_CHECK(m->accesses - acc0 <= 16ull * done,
             "%" G_GUINT64_FORMAT " device accesses for %u entries",
             m->accesses - acc0, done);
    FZ_CHECK(done == budget || pg->read_pointer == pg->write_pointer,
             "stopped early: %u of budget %u, rd %u wr %u", done, budget,
             pg->read_pointer, pg->write_pointer);
    FZ_CHECK(ioreq_bufring_pending(pg) ==
             (pg->read_pointer != pg->write_pointer), "pending disagrees");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    buffered_iopage_t *pg;
    fi m;

    fz_init_once();
    fi_setup(&m);
    /* Exactly one page, as mapped from Xen: ASan catches any slot index
     * outside it. */
    pg = g_malloc0(sizeof(*pg));
    while (fz_more(&in)) {
        one_round(&m, pg, &in);
    }
    g_free(pg);
    fi_teardown(&m);
    return 0;
}
