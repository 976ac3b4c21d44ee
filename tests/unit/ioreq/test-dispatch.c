/* SPDX-License-Identifier: MIT */
/*
 * The per-vCPU slot state machine on a hand-built shared_iopage_t:
 * READY → INPROCESS → IORESP_READY, and release at teardown.
 */
#include <string.h>

#include "fixture.h"
#include "ioreq/dispatch.h"

#define FX_TEST(name, fn) g_test_add(name, fx, NULL, fx_setup, fn, fx_teardown)

/* Two vCPUs' slots, as Xen lays them out in the shared page. */
typedef struct page2 {
    ioreq_t vcpu_ioreq[2];
} page2;

static void test_serve_ready(fx *f, gconstpointer data)
{
    page2 pg;
    ioreq_t done;
    ioreq_status st = IOREQ_BAD_TYPE;

    memset(&pg, 0, sizeof(pg));
    pg.vcpu_ioreq[1] =
        fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE + 7, 1, 0xabcdef);
    pg.vcpu_ioreq[1].vp_eport = 42;
    g_assert_true(ioreq_slot_service(&pg.vcpu_ioreq[1], &f->env, &done, &st));
    g_assert_cmpint(st, ==, IOREQ_DONE);
    g_assert_cmpuint(ioreq_slot_state(&pg.vcpu_ioreq[1]), ==,
                     STATE_IORESP_READY);
    g_assert_cmphex(pg.vcpu_ioreq[1].data, ==, 0x11);
    g_assert_cmphex(done.data, ==, 0x11);
    g_assert_cmpuint(done.addr, ==, FX_PIO_BASE + 7);
    /* Fields other than data and state are Xen's: untouched. */
    g_assert_cmpuint(pg.vcpu_ioreq[1].vp_eport, ==, 42);
    g_assert_cmpuint(pg.vcpu_ioreq[1].dir, ==, IOREQ_READ);
    g_assert_cmpuint(pg.vcpu_ioreq[1].type, ==, IOREQ_TYPE_PIO);
    fx_check(&f->pio, 0, false, 7, 1, 0x11);
    /* The neighbour slot was never touched. */
    g_assert_cmpuint(pg.vcpu_ioreq[0].state, ==, STATE_IOREQ_NONE);
}

static void test_ignore_not_ready(fx *f, gconstpointer data)
{
    static const uint8_t states[] = {STATE_IOREQ_NONE, STATE_IOREQ_INPROCESS,
                                     STATE_IORESP_READY};

    for (unsigned i = 0; i < G_N_ELEMENTS(states); i++) {
        ioreq_t slot = fx_req(IOREQ_TYPE_PIO, IOREQ_WRITE, FX_PIO_BASE, 1, 5);
        ioreq_t done;

        slot.state = states[i];
        g_assert_false(ioreq_slot_service(&slot, &f->env, &done, NULL));
        g_assert_cmpuint(slot.state, ==, states[i]);
    }
    g_assert_cmpuint(fx_count(f), ==, 0);
}

static void test_serve_invalidate(fx *f, gconstpointer data)
{
    ioreq_t slot = fx_req(IOREQ_TYPE_INVALIDATE, IOREQ_WRITE, 0, 0, 0);
    ioreq_t done;

    g_assert_true(ioreq_slot_service(&slot, &f->env, &done, NULL));
    g_assert_cmpuint(slot.state, ==, STATE_IORESP_READY);
    g_assert_cmpuint(f->invalidations, ==, 1);
}

static void test_serve_malformed(fx *f, gconstpointer data)
{
    ioreq_t slot = fx_req(0x42, IOREQ_READ, FX_PIO_BASE, 4, 0);
    ioreq_t done;
    ioreq_status st = IOREQ_DONE;

    /* A bad request is still completed — or the vCPU would hang. */
    g_assert_true(ioreq_slot_service(&slot, &f->env, &done, &st));
    g_assert_cmpint(st, ==, IOREQ_BAD_TYPE);
    g_assert_cmpuint(slot.state, ==, STATE_IORESP_READY);
    g_assert_cmphex(slot.data, ==, 0xffffffff);
}

static void test_release(fx *f, gconstpointer data)
{
    ioreq_t rd = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 2, 0);
    ioreq_t busy = fx_req(IOREQ_TYPE_COPY, IOREQ_WRITE, FX_MMIO_BASE, 4, 9);
    ioreq_t idle = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 2, 0);
    ioreq_t ptr = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 2, 0x1000);

    busy.state = STATE_IOREQ_INPROCESS;
    idle.state = STATE_IOREQ_NONE;
    ptr.data_is_ptr = 1;
    g_assert_true(ioreq_slot_release(&rd));
    g_assert_cmpuint(rd.state, ==, STATE_IORESP_READY);
    g_assert_cmphex(rd.data, ==, 0xffff);
    g_assert_true(ioreq_slot_release(&busy));
    g_assert_cmpuint(busy.state, ==, STATE_IORESP_READY);
    g_assert_cmphex(busy.data, ==, 9);
    g_assert_false(ioreq_slot_release(&idle));
    g_assert_cmpuint(idle.state, ==, STATE_IOREQ_NONE);
    g_assert_true(ioreq_slot_release(&ptr));
    g_assert_cmphex(ptr.data, ==, 0x1000); /* a pointer is not data */
    /* Teardown never reaches a device. */
    g_assert_cmpuint(fx_count(f), ==, 0);
}

static void test_state_bits_kept(fx *f, gconstpointer data)
{
    ioreq_t slot = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 2, 0x2000);

    /* state shares a byte with data_is_ptr/dir/df: writing it must keep
     * them. */
    slot.data_is_ptr = 1;
    slot.df = 1;
    slot.count = 1;
    ioreq_slot_set_state(&slot, STATE_IORESP_READY);
    g_assert_cmpuint(slot.state, ==, STATE_IORESP_READY);
    g_assert_cmpuint(slot.data_is_ptr, ==, 1);
    g_assert_cmpuint(slot.df, ==, 1);
    g_assert_cmpuint(slot.dir, ==, IOREQ_READ);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    FX_TEST("/ioreq/dispatch/serve-ready", test_serve_ready);
    FX_TEST("/ioreq/dispatch/ignore-not-ready", test_ignore_not_ready);
    FX_TEST("/ioreq/dispatch/serve-invalidate", test_serve_invalidate);
    FX_TEST("/ioreq/dispatch/serve-malformed", test_serve_malformed);
    FX_TEST("/ioreq/dispatch/release", test_release);
    FX_TEST("/ioreq/dispatch/state-bits-kept", test_state_bits_kept);
    return g_test_run();
}
