/* SPDX-License-Identifier: MIT */
/* The teaching trace: exact lines for the request kinds the README shows. */
#include "fixture.h"
#include "ioreq/trace.h"

#define FX_TEST(name, fn) g_test_add(name, fx, NULL, fx_setup, fn, fx_teardown)

static void check_line(int vcpu, const ioreq_t *req, const char *target,
                       ioreq_status st, const char *want)
{
    GString *s = g_string_new(NULL);

    ioreq_trace_format(s, vcpu, req, target, st);
    g_assert_cmpstr(s->str, ==, want);
    g_string_free(s, TRUE);
}

static void test_lines(fx *f, gconstpointer data)
{
    ioreq_t w = fx_req(IOREQ_TYPE_PIO, IOREQ_WRITE, 0x1f6, 1, 0xe0);
    ioreq_t r = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, 0x1f7, 1, 0x50);
    ioreq_t rep = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, 0x1f0, 2, 0x12000);
    ioreq_t cfg = fx_req(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                         HV_PCI_ADDR(HV_SBDF(0, 0, 1, 1), 0x0a), 2, 0x0101);
    ioreq_t inv = fx_req(IOREQ_TYPE_INVALIDATE, IOREQ_WRITE, 0, 0, 0);
    ioreq_t bad = fx_req(IOREQ_TYPE_COPY, IOREQ_READ, 0xfe000000, 3, 0xffffff);
    ioreq_t vga = fx_req(IOREQ_TYPE_COPY, IOREQ_WRITE, 0xa0010, 2, 0x0741);

    check_line(0, &w, "ide0", IOREQ_DONE,
               "vcpu0 PIO write port=0x1f6 size=1 data=0xe0 → ide0 → "
               "IORESP_READY");
    check_line(1, &r, "ide0", IOREQ_DONE,
               "vcpu1 PIO read port=0x1f7 size=1 → ide0 → data=0x50 "
               "IORESP_READY");
    rep.data_is_ptr = 1;
    rep.count = 256;
    check_line(0, &rep, "ide0", IOREQ_DONE,
               "vcpu0 PIO read port=0x1f0 size=2 count=256 ram=0x12000 df=0 "
               "→ ide0 → IORESP_READY");
    check_line(0, &cfg, NULL, IOREQ_DONE,
               "vcpu0 PCI_CONFIG read 0000:00:01.1 reg=0x00a size=2 → - → "
               "data=0x0101 IORESP_READY");
    check_line(2, &inv, NULL, IOREQ_DONE,
               "vcpu2 INVALIDATE → mapcache dropped → IORESP_READY");
    check_line(0, &bad, "mmio", IOREQ_BAD_SIZE,
               "vcpu0 MMIO read addr=0xfe000000 size=3 → mmio → "
               "error: bad size → data=0xffffff IORESP_READY");
    check_line(IOREQ_TRACE_BUFRING, &vga, "vga", IOREQ_DONE,
               "bufring MMIO write addr=0xa0010 size=2 data=0x0741 → vga → "
               "consumed");
}

static void test_target(fx *f, gconstpointer data)
{
    char buf[64];
    ioreq_t pio = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE + 3, 1, 0);
    ioreq_t none = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, 0x60, 1, 0);
    ioreq_t cfg = fx_req(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                         HV_PCI_ADDR(FX_SBDF, 0x10), 4, 0);
    ioreq_t inv = fx_req(IOREQ_TYPE_INVALIDATE, IOREQ_WRITE, 0, 0, 0);

    ioreq_trace_target(f->ctx, &pio, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "piodev");
    ioreq_trace_target(f->ctx, &none, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "unclaimed");
    ioreq_trace_target(f->ctx, &cfg, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "pcidev");
    ioreq_trace_target(f->ctx, &inv, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    FX_TEST("/ioreq/trace/lines", test_lines);
    FX_TEST("/ioreq/trace/target", test_target);
    return g_test_run();
}
