/* SPDX-License-Identifier: MIT */
/* e1000: PCI identity, EEPROM (EECD bit-bang and EERD), PHY via MDIC,
 * interrupt cause/mask logic, link changes, reset, options. */
#include <string.h>

#include "hw/net/e1000_int.h"
#include "tests/unit/net/nic-fixture.h"

static void setup(nic *f, gconstpointer data)
{
    nic_setup(f, data);
}

static void teardown(nic *f, gconstpointer data)
{
    nic_teardown(f);
}

static void test_pci(nic *f, gconstpointer data)
{
    g_assert_cmphex(nic_cfg_rd(f, 0, 4), ==, 0x100e8086);
    g_assert_cmphex(nic_cfg_rd(f, 8, 4) >> 8, ==, 0x020000);
    g_assert_cmphex(nic_cfg_rd(f, PCI_SUBSYSTEM_VENDOR_ID, 4), ==,
                    0x001e8086);
    g_assert_cmpuint(nic_cfg_rd(f, PCI_INTERRUPT_PIN, 1), ==, 1);
    /* BAR sizes: 128 KiB memory, 64 bytes I/O. */
    nic_cfg_wr(f, PCI_COMMAND, 2, 0);
    nic_cfg_wr(f, 0x10, 4, 0xffffffff);
    g_assert_cmphex(nic_cfg_rd(f, 0x10, 4), ==, 0xfffe0000);
    nic_cfg_wr(f, 0x14, 4, 0xffffffff);
    g_assert_cmphex(nic_cfg_rd(f, 0x14, 4), ==, 0xffffffc1);
}

/* The Linux e1000 Microwire sequence: CS, opcode 110b, 6 address bits,
 * then 16 data bits clocked out MSB first. */
static void ee_clock(nic *f, uint32_t *eecd, bool rise)
{
    *eecd = rise ? (*eecd | E1000_EECD_SK) : (*eecd & ~E1000_EECD_SK);
    nic_wr(f, E1000_EECD, *eecd);
}

static void ee_shift_out(nic *f, uint32_t *eecd, uint32_t v, unsigned bits)
{
    for (int i = (int)bits - 1; i >= 0; i--) {
        *eecd = (v >> i) & 1 ? (*eecd | E1000_EECD_DI)
                             : (*eecd & ~E1000_EECD_DI);
        nic_wr(f, E1000_EECD, *eecd);
        ee_clock(f, eecd, true);
        ee_clock(f, eecd, false);
    }
    *eecd &= ~E1000_EECD_DI;
    nic_wr(f, E1000_EECD, *eecd);
}

static uint16_t ee_read_word(nic *f, unsigned addr)
{
    uint32_t eecd = nic_rd(f, E1000_EECD);
    uint16_t v = 0;

    g_assert_true(eecd & E1000_EECD_PRES);
    g_assert_false(eecd & E1000_EECD_SIZE);     /* 64 words, 6 bits */
    eecd = (eecd & ~(E1000_EECD_SK | E1000_EECD_DI)) | E1000_EECD_REQ;
    nic_wr(f, E1000_EECD, eecd);
    g_assert_true(nic_rd(f, E1000_EECD) & E1000_EECD_GNT);
    eecd |= E1000_EECD_CS;
    nic_wr(f, E1000_EECD, eecd);
    ee_shift_out(f, &eecd, 0x6, 3);
    ee_shift_out(f, &eecd, addr, 6);
    for (int i = 0; i < 16; i++) {
        ee_clock(f, &eecd, true);
        v = (uint16_t)(v << 1 | !!(nic_rd(f, E1000_EECD) & E1000_EECD_DO));
        ee_clock(f, &eecd, false);
    }
    eecd &= ~(E1000_EECD_CS | E1000_EECD_REQ);
    nic_wr(f, E1000_EECD, eecd);
    return v;
}

static void test_eeprom(nic *f, gconstpointer data)
{
    uint16_t w[64], sum = 0;

    for (unsigned i = 0; i < 64; i++) {
        w[i] = ee_read_word(f, i);
        sum = (uint16_t)(sum + w[i]);
    }
    g_assert_cmphex(w[0], ==, 0x1600);
    g_assert_cmphex(w[1], ==, 0x123e);
    g_assert_cmphex(w[2], ==, 0x5634);
    g_assert_cmphex(sum, ==, 0xbaba);
    g_assert_cmphex(w[0x0d], ==, 0x100e);
    /* EERD gives the same words. */
    for (unsigned i = 0; i < 64; i++) {
        uint32_t v;
        nic_wr(f, E1000_EERD, i << 8 | E1000_EERD_START);
        v = nic_rd(f, E1000_EERD);
        g_assert_true(v & E1000_EERD_DONE);
        g_assert_cmphex(v >> 16, ==, w[i]);
    }
    /* RAL0/RAH0 were loaded from it. */
    g_assert_cmphex(nic_rd(f, E1000_RA), ==, 0x123e1600);
    g_assert_cmphex(nic_rd(f, E1000_RA + 4), ==, 0x80005634);
}

static uint32_t mdic(nic *f, uint32_t op, unsigned phy, unsigned reg,
                     uint16_t data)
{
    nic_wr(f, E1000_MDIC, op | phy << 21 | reg << 16 | data);
    return nic_rd(f, E1000_MDIC);
}

static void test_phy(nic *f, gconstpointer data)
{
    uint32_t v;

    v = mdic(f, E1000_MDIC_OP_READ, 1, E1000_PHY_ID1, 0);
    g_assert_true(v & E1000_MDIC_READY);
    g_assert_false(v & E1000_MDIC_ERROR);
    g_assert_cmphex(v & 0xffff, ==, 0x0141);
    v = mdic(f, E1000_MDIC_OP_READ, 1, E1000_PHY_ID2, 0);
    g_assert_cmphex(v & 0xfff0, ==, 0x0c20);    /* M88E1011_I_PHY_ID */
    v = mdic(f, E1000_MDIC_OP_READ, 1, E1000_PHY_STATUS, 0);
    g_assert_cmphex(v & 0x24, ==, 0x24);        /* link up, AN complete */
    /* Restart autonegotiation: self-clearing, completes at once. */
    mdic(f, E1000_MDIC_OP_WRITE, 1, E1000_PHY_CTRL, 0x1340);
    v = mdic(f, E1000_MDIC_OP_READ, 1, E1000_PHY_CTRL, 0);
    g_assert_cmphex(v & 0xffff, ==, 0x1140);
    /* Status is read-only. */
    mdic(f, E1000_MDIC_OP_WRITE, 1, E1000_PHY_STATUS, 0);
    v = mdic(f, E1000_MDIC_OP_READ, 1, E1000_PHY_STATUS, 0);
    g_assert_cmphex(v & 0x24, ==, 0x24);
    /* Nobody at PHY address 2. */
    v = mdic(f, E1000_MDIC_OP_READ, 2, E1000_PHY_ID1, 0);
    g_assert_true(v & E1000_MDIC_ERROR);
    /* MDIC interrupt on completion when asked. */
    nic_wr(f, E1000_IMS, E1000_ICR_MDAC);
    mdic(f, E1000_MDIC_OP_READ | E1000_MDIC_INT_EN, 1, 0, 0);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_cmphex(nic_rd(f, E1000_ICR), ==, E1000_ICR_MDAC);
    g_assert_cmpuint(nic_intx(f), ==, 0);
}

static void test_interrupts(nic *f, gconstpointer data)
{
    g_assert_cmpuint(nic_intx(f), ==, 0);
    nic_wr(f, E1000_ICS, E1000_ICR_RXT0);
    g_assert_cmpuint(nic_intx(f), ==, 0);       /* masked */
    nic_wr(f, E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_TXDW);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_cmphex(nic_rd(f, E1000_IMS), ==, E1000_ICR_RXT0 | E1000_ICR_TXDW);
    nic_wr(f, E1000_IMC, E1000_ICR_RXT0);
    g_assert_cmpuint(nic_intx(f), ==, 0);
    g_assert_cmphex(nic_rd(f, E1000_IMS), ==, E1000_ICR_TXDW);
    nic_wr(f, E1000_IMS, E1000_ICR_RXT0);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    /* ICR is read-to-clear and lowers the line. */
    g_assert_cmphex(nic_rd(f, E1000_ICR), ==, E1000_ICR_RXT0);
    g_assert_cmphex(nic_rd(f, E1000_ICR), ==, 0);
    g_assert_cmpuint(nic_intx(f), ==, 0);
    /* INTx disable in COMMAND gates the line. */
    nic_wr(f, E1000_ICS, E1000_ICR_TXDW);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    nic_cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
               PCI_COMMAND_INTX_DISABLE);
    g_assert_cmpuint(nic_intx(f), ==, 0);
}

/* ITR (13.4.18): at most one assertion per ITR x 256 ns. */
static void test_itr(nic *f, gconstpointer data)
{
    nic_wr(f, E1000_ITR, 0xffff);          /* ~16.8 ms */
    nic_wr(f, E1000_IMS, E1000_ICR_TXDW);
    nic_wr(f, E1000_ICS, E1000_ICR_TXDW);
    g_assert_cmpuint(nic_intx(f), ==, 1);  /* the first one at once */
    nic_rd(f, E1000_ICR);
    nic_wr(f, E1000_ICS, E1000_ICR_TXDW);
    g_assert_cmpuint(nic_intx(f), ==, 0);  /* too soon: deferred */
    hv_loop_run_once(f->loop, 100);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_cmphex(nic_rd(f, E1000_ICR), ==, E1000_ICR_TXDW);
}

static void test_link(nic *f, gconstpointer data)
{
    e1000 *s = (e1000 *)f->dev;

    g_assert_true(nic_rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_cmphex(nic_rd(f, E1000_STATUS) & 0xc1, ==, 0x81);  /* FD 1000 */
    nic_wr(f, E1000_IMS, E1000_ICR_LSC);
    hv_net_set_link(s->net, false);
    g_assert_cmpuint(nic_intx(f), ==, 0);       /* reported on the loop */
    nic_pump(f, 10);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_false(nic_rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_cmphex(nic_rd(f, E1000_ICR), ==, E1000_ICR_LSC);
    g_assert_cmphex(mdic(f, E1000_MDIC_OP_READ, 1, 1, 0) & 4, ==, 0);
    hv_net_set_link(s->net, true);
    nic_pump(f, 10);
    g_assert_true(nic_rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_cmphex(nic_rd(f, E1000_ICR), ==, E1000_ICR_LSC);
    g_assert_cmphex(mdic(f, E1000_MDIC_OP_READ, 1, 1, 0) & 4, ==, 4);
}

static void test_reset(nic *f, gconstpointer data)
{
    nic_wr(f, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE);
    nic_wr(f, E1000_RA, 0xdeadbeef);
    nic_wr(f, E1000_MTA + 8, 0xffff);
    nic_wr(f, E1000_IMS, E1000_ICR_TXDW);
    nic_wr(f, E1000_ICS, E1000_ICR_TXDW);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    nic_wr(f, E1000_CTRL, nic_rd(f, E1000_CTRL) | E1000_CTRL_RST);
    g_assert_cmpuint(nic_intx(f), ==, 0);
    g_assert_false(nic_rd(f, E1000_CTRL) & E1000_CTRL_RST);
    g_assert_cmphex(nic_rd(f, E1000_RCTL), ==, 0);
    g_assert_cmphex(nic_rd(f, E1000_IMS), ==, 0);
    g_assert_cmphex(nic_rd(f, E1000_MTA + 8), ==, 0);
    g_assert_cmphex(nic_rd(f, E1000_RA), ==, 0x123e1600);
    g_assert_cmphex(nic_rd(f, E1000_VET), ==, 0x8100);
    /* The whole-context reset also reprograms PCI. */
    hv_ctx_reset(f->ctx);
    g_assert_cmphex(nic_cfg_rd(f, PCI_COMMAND, 2), ==, 0);
}

static void test_io_bar(nic *f, gconstpointer data)
{
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, NIC_IO, 4, E1000_STATUS);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, NIC_IO, 4), ==,
                    E1000_STATUS);
    g_assert_true(hv_dispatch_read(f->ctx, HV_SPACE_PIO, NIC_IO + 4, 4) &
                  E1000_STATUS_LU);
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, NIC_IO, 4, E1000_IMS);
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, NIC_IO + 4, 4, E1000_ICR_LSC);
    g_assert_cmphex(nic_rd(f, E1000_IMS), ==, E1000_ICR_LSC);
    /* IOADDR beyond the register file: IODATA reads 0, writes vanish. */
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, NIC_IO, 4, 0xfffffff0);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, NIC_IO + 4, 4), ==,
                    0);
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, NIC_IO + 4, 4, 1);
}

static void test_registers(nic *f, gconstpointer data)
{
    /* Width masks: ring lengths are 128-byte multiples, heads 16 bits. */
    nic_wr(f, E1000_RDLEN, 0xffffffff);
    g_assert_cmphex(nic_rd(f, E1000_RDLEN), ==, 0x000fff80);
    nic_wr(f, E1000_TDBAL, 0x12345677);
    g_assert_cmphex(nic_rd(f, E1000_TDBAL), ==, 0x12345670);
    nic_wr(f, E1000_RDT, 0x12345);
    g_assert_cmphex(nic_rd(f, E1000_RDT), ==, 0x2345);
    /* STATUS is read-only; unknown registers read 0. */
    nic_wr(f, E1000_STATUS, 0);
    g_assert_true(nic_rd(f, E1000_STATUS) & E1000_STATUS_LU);
    nic_wr(f, 0x1fffc, 0x55);
    g_assert_cmphex(nic_rd(f, 0x1fffc), ==, 0);
    /* VFTA and MTA are plain arrays. */
    nic_wr(f, E1000_VFTA + 4 * 127, 0x80000001);
    g_assert_cmphex(nic_rd(f, E1000_VFTA + 4 * 127), ==, 0x80000001);
}

static hv_device *create(hv_ctx *ctx, const char *spec, GError **err)
{
    hv_opts *opts = hv_opts_parse(spec, err);
    hv_device *d = hv_device_create_opts(ctx, &e1000_class, opts, err);

    hv_opts_free(opts);
    return d;
}

static void test_options(void)
{
    hv_memhost *mh = hv_memhost_new(4096);
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, NULL);
    GError *err = NULL;
    hv_device *d1, *d2;
    e1000 *s;

    g_assert_null(create(ctx, "backend=none,model=rtl8139", &err));
    g_assert_nonnull(strstr(err->message, "model=rtl8139"));
    g_clear_error(&err);
    g_assert_null(create(ctx, "backend=none,mac=00:16:3e:zz:00:00", &err));
    g_clear_error(&err);
    g_assert_null(create(ctx, "backend=none,mac=01:16:3e:00:00:00", &err));
    g_clear_error(&err);
    g_assert_null(create(ctx, "backend=bogus", &err));
    g_clear_error(&err);
    /* Without an event loop only backend=none works. */
    g_assert_null(create(ctx, "backend=socket,socket=fd:0", &err));
    g_clear_error(&err);
    g_assert_null(create(ctx, "backend=none,colour=blue", &err));
    g_assert_nonnull(strstr(err->message, "colour"));
    g_clear_error(&err);
    /* xl-style spec; no mac: one in 00:16:3e; slots from 00:04.0 up. */
    d1 = create(ctx, "backend=none,model=e1000,type=ioemu", &err);
    g_assert_no_error(err);
    d2 = create(ctx, "backend=none,mac=00:16:3e:00:00:07", &err);
    g_assert_no_error(err);
    s = (e1000 *)d1;
    g_assert_cmpmem(s->mac, 3, "\x00\x16\x3e", 3);
    g_assert_cmphex(s->pci.sbdf, ==, HV_SBDF(0, 0, 4, 0));
    s = (e1000 *)d2;
    g_assert_cmphex(s->pci.sbdf, ==, HV_SBDF(0, 0, 5, 0));
    g_assert_cmphex(s->mac[5], ==, 7);
    /* An explicit address that is taken is an error. */
    g_assert_null(create(ctx, "backend=none,addr=00:04.0", &err));
    g_clear_error(&err);
    hv_ctx_free(ctx);
    hv_memhost_free(mh);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, nic, "", setup, fn, teardown)
    ADD("/e1000/pci", test_pci);
    ADD("/e1000/eeprom", test_eeprom);
    ADD("/e1000/phy", test_phy);
    ADD("/e1000/interrupts", test_interrupts);
    ADD("/e1000/itr", test_itr);
    ADD("/e1000/link", test_link);
    ADD("/e1000/reset", test_reset);
    ADD("/e1000/io-bar", test_io_bar);
    ADD("/e1000/registers", test_registers);
    g_test_add_func("/e1000/options", test_options);
    return g_test_run();
}
