// SPDX-License-Identifier: MIT
/*
 * The real hvmemu binary serving an e1000 (--nic, socket backend) to a
 * simulated guest under xensim: PCI probing through 0CF8h, BAR sizing and
 * memory decode, EEPROM through EERD, the PHY through MDIC, link status;
 * a frame queued on the TX ring arriving byte-exact at the network and in
 * the capture file; a frame from the network landing in an RX buffer with
 * INTA# raised through Xen's INTx routing and lowered by reading ICR; the
 * address filters; hostile rings; an unsupported model refused.
 *
 * The test is both the guest (driver) and the network (a unix datagram
 * socket hvmemu sends to).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "net-guest.h"
#include "pcap-read.h"

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static uint32_t cfg_rd(net_env *e, unsigned reg, unsigned size)
{
    uint32_t v = 0;

    g_assert_cmpint(xs_guest_pci_read(e->g, 0, NG_DEV, 0, reg, size, &v), ==,
                    0);
    return v;
}

static void cfg_wr(net_env *e, unsigned reg, unsigned size, uint32_t v)
{
    g_assert_cmpint(xs_guest_pci_write(e->g, 0, NG_DEV, 0, reg, size, v), ==,
                    0);
}

static uint32_t mmio_rd_at(net_env *e, uint64_t addr)
{
    uint64_t v = 0;

    g_assert_cmpint(xs_guest_mmio_read(e->g, addr, 4, &v), ==, 0);
    return (uint32_t)v;
}

/* ---- PCI, BARs, EEPROM, PHY, link ---- */

static void test_probe(void)
{
    net_env e;
    uint32_t v;

    ng_start(&e, NULL);
    g_assert_cmphex(cfg_rd(&e, 0x00, 4), ==, 0x100e8086);
    g_assert_cmphex(cfg_rd(&e, 0x08, 4) >> 8, ==, 0x020000); /* Ethernet */
    g_assert_cmphex(cfg_rd(&e, 0x3d, 1), ==, 1);             /* INTA# */
    /* Nothing else on the bus answers: slot 5 reads all ones. */
    g_assert_cmpint(xs_guest_pci_read(e.g, 0, NG_DEV + 1, 0, 0, 4, &v), ==,
                    0);
    g_assert_cmphex(v, ==, 0xffffffff);
    /* BAR sizing (PCI 3.0, 6.2.5.1): 128 KiB memory, 64 bytes I/O. */
    cfg_wr(&e, 0x10, 4, 0xffffffff);
    g_assert_cmphex(cfg_rd(&e, 0x10, 4), ==, 0xfffe0000);
    cfg_wr(&e, 0x14, 4, 0xffffffff);
    g_assert_cmphex(cfg_rd(&e, 0x14, 4), ==, 0xffffffc1);
    cfg_wr(&e, 0x10, 4, NG_MMIO);
    g_assert_cmphex(cfg_rd(&e, 0x10, 4), ==, NG_MMIO);
    /* Memory decode off: the BAR is not claimed, Xen answers all ones. */
    g_assert_cmphex(mmio_rd_at(&e, NG_MMIO + R_STATUS), ==, 0xffffffff);
    cfg_wr(&e, 0x04, 2, 0x2);
    g_assert_cmphex(mmio_rd_at(&e, NG_MMIO + R_STATUS) & STATUS_LU, ==,
                    STATUS_LU);
    /* Moving the BAR releases the old range and claims the new one. */
    cfg_wr(&e, 0x10, 4, NG_MMIO + 0x100000);
    g_assert_cmphex(mmio_rd_at(&e, NG_MMIO + R_STATUS), ==, 0xffffffff);
    g_assert_cmphex(mmio_rd_at(&e, NG_MMIO + 0x100000 + R_STATUS) &
                    STATUS_LU, ==, STATUS_LU);
    ng_stop(&e);
}

static uint16_t eerd(net_env *e, unsigned word)
{
    uint32_t v = 0;

    ng_wr(e, R_EERD, word << 8 | EERD_START);
    for (int i = 0; i < 1000; i++) {
        v = ng_rd(e, R_EERD);
        if (v & EERD_DONE) {
            return (uint16_t)(v >> 16);
        }
    }
    g_assert_not_reached();
}

static uint16_t mdic_read(net_env *e, unsigned phy, unsigned reg)
{
    uint32_t v = 0;

    ng_wr(e, R_MDIC, MDIC_READ | phy << 21 | reg << 16);
    for (int i = 0; i < 1000; i++) {
        v = ng_rd(e, R_MDIC);
        if (v & MDIC_READY) {
            g_assert_cmphex(v & MDIC_ERROR, ==, 0);
            return (uint16_t)v;
        }
    }
    g_assert_not_reached();
}

static void test_eeprom_phy_link(void)
{
    net_env e;
    uint16_t sum = 0;

    ng_start(&e, NULL);
    ng_pci_setup(&e);
    for (unsigned i = 0; i < 64; i++) {
        uint16_t w = eerd(&e, i);

        if (i < 3) {    /* words 0-2: the MAC, low byte first (5.6.1) */
            g_assert_cmphex(w & 0xff, ==, our_mac[2 * i]);
            g_assert_cmphex(w >> 8, ==, our_mac[2 * i + 1]);
        }
        sum += w;
    }
    g_assert_cmphex(sum, ==, 0xbaba);                   /* 5.6.19 */
    /* RAL0/RAH0 loaded from the EEPROM, address valid (13.5.2). */
    g_assert_cmphex(ng_rd(&e, R_RAL(0)), ==, 0x12005452);
    g_assert_cmphex(ng_rd(&e, R_RAH(0)), ==, RAH_AV | 0x5634);
    /* M88E1011 at MDIO address 1: ID 0141h/0C2xh, link up. */
    g_assert_cmphex(mdic_read(&e, 1, 2), ==, 0x0141);
    g_assert_cmphex(mdic_read(&e, 1, 3) & 0xfff0, ==, 0x0c20);
    g_assert_cmphex(mdic_read(&e, 1, 1) & 0x4, ==, 0x4);  /* BMSR link */
    g_assert_cmphex(ng_rd(&e, R_STATUS) & STATUS_LU, ==, STATUS_LU);
    /* The I/O BAR window reaches the same registers (13.1.1.1). */
    g_assert_cmpint(xs_guest_out(e.g, NG_IO, 4, R_STATUS), ==, 0);
    uint32_t v = 0;
    g_assert_cmpint(xs_guest_in(e.g, NG_IO + 4, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, ng_rd(&e, R_STATUS));
    ng_stop(&e);
}

/* ---- transmit ---- */

static void test_tx(void)
{
    net_env e;
    uint8_t f[1514], got[2048];
    size_t sizes[] = { 60, 1514, 200 };

    ng_start(&e, NULL);
    ng_pci_setup(&e);
    ng_tx_init(&e, 8);
    ng_wr(&e, R_IMS, ICR_TXDW);
    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        ng_frame(f, sizes[i], peer_mac, i + 1);
        ng_tx_queue(&e, f, (uint16_t)sizes[i]);
    }
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_INTX, NG_INTX, 0, 1), ==,
                    0);
    ng_tx_doorbell(&e);
    ng_tx_wait_dd(&e, 2);
    g_assert_cmpuint(ng_rd(&e, R_TDH), ==, 3);
    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autoptr(GBytes) rec = NULL;

        ng_frame(f, sizes[i], peer_mac, i + 1);
        g_assert_cmpint(ng_peer_recv(&e, got, sizeof(got), 10000), ==,
                        (int)sizes[i]);
        g_assert_cmpmem(got, sizes[i], f, sizes[i]);
        rec = test_pcap_record(e.pcap, i);
        g_assert_nonnull(rec);
        g_assert_cmpmem(g_bytes_get_data(rec, NULL), g_bytes_get_size(rec),
                        f, sizes[i]);
    }
    /* TXDW raised INTA#; reading ICR reports and clears it. */
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_INTX, NG_INTX, 1, 10000),
                    ==, 0);
    g_assert_cmphex(ng_rd(&e, R_ICR) & ICR_TXDW, ==, ICR_TXDW);
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_INTX, NG_INTX, 0, 10000),
                    ==, 0);
    g_assert_cmphex(ng_rd(&e, R_ICR), ==, 0);
    ng_stop(&e);
}

/* ---- receive ---- */

static void test_rx(void)
{
    net_env e;
    uint8_t f[1514], got[2048], st;
    unsigned gsi = ((NG_DEV << 2) + (NG_DEV >> 3) + 0) % 32 + 16, level = 9;

    ng_start(&e, NULL);
    ng_pci_setup(&e);
    ng_rx_init(&e, 8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    ng_wr(&e, R_RDTR, 0);
    ng_wr(&e, R_IMS, ICR_RXT0);
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_INTX, NG_INTX, 0, 1), ==,
                    0);
    ng_frame(f, 1514, our_mac, 7);
    ng_peer_send(&e, f, 1514);
    /* The write/interrupt cycle: DMA into the buffer, then INTA#. */
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_INTX, NG_INTX, 1, 10000),
                    ==, 0);
    g_assert_cmpint(xs_guest_irq_level(e.g, XS_IRQ_GSI, gsi, &level), ==, 0);
    g_assert_cmpuint(level, ==, 1);     /* routed like hvm_pci_intx_gsi */
    g_assert_cmpuint(ng_rx_wait(&e, got, sizeof(got), &st), ==, 1514);
    g_assert_cmphex(st & (RXD_STA_DD | RXD_STA_EOP), ==,
                    RXD_STA_DD | RXD_STA_EOP);
    g_assert_cmpmem(got, 1514, f, 1514);
    g_assert_cmphex(ng_rd(&e, R_ICR) & ICR_RXT0, ==, ICR_RXT0);
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_INTX, NG_INTX, 0, 10000),
                    ==, 0);
    g_assert_cmphex(ng_rd(&e, R_ICR), ==, 0);
    g_assert_cmpuint(ng_rd(&e, R_RDH), ==, 1);
    /* In the capture too, as received. */
    g_autoptr(GBytes) rec = test_pcap_record(e.pcap, 0);
    g_assert_nonnull(rec);
    g_assert_cmpmem(g_bytes_get_data(rec, NULL), g_bytes_get_size(rec), f,
                    1514);
    /* Without SECRC the FCS follows the frame (3.2.1); a short frame is
     * padded to 60 bytes first. */
    ng_wr(&e, R_RCTL, RCTL_EN | RCTL_BAM);
    ng_frame(f, 42, our_mac, 8);
    ng_peer_send(&e, f, 42);
    g_assert_cmpuint(ng_rx_wait(&e, got, sizeof(got), &st), ==, 64);
    g_assert_cmpmem(got, 42, f, 42);
    for (unsigned i = 42; i < 60; i++) {
        g_assert_cmphex(got[i], ==, 0);
    }
    uint32_t fcs = ng_crc32(got, 60);
    g_assert_cmphex(got[60] | got[61] << 8 | got[62] << 16 |
                    (uint32_t)got[63] << 24, ==, fcs);
    ng_stop(&e);
}

/* A frame to @dst, then a broadcast marker: the marker landing in the next
 * descriptor shows whether the first frame was taken or dropped, without
 * waiting for something not to happen. */
static void expect_filter(net_env *e, const uint8_t dst[6], bool accept,
                          unsigned seed)
{
    uint8_t f[128], m[128], got[2048], st;

    ng_frame(f, sizeof(f), dst, seed);
    ng_frame(m, sizeof(m), bcast, seed + 1000);
    ng_peer_send(e, f, sizeof(f));
    ng_peer_send(e, m, sizeof(m));
    if (accept) {
        g_assert_cmpuint(ng_rx_wait(e, got, sizeof(got), &st), ==, sizeof(f));
        g_assert_cmpmem(got, sizeof(f), f, sizeof(f));
    }
    g_assert_cmpuint(ng_rx_wait(e, got, sizeof(got), &st), ==, sizeof(m));
    g_assert_cmpmem(got, sizeof(m), m, sizeof(m));
}

static void test_filters(void)
{
    static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
    /* MO = 00b: the hash is DA bits 47:36 (13.4.21 / 13.5.1). */
    unsigned hash = (mcast[4] >> 4 | (unsigned)mcast[5] << 4) & 0xfff;
    net_env e;

    ng_start(&e, NULL);
    ng_pci_setup(&e);
    for (unsigned i = 0; i < 128; i++) {
        ng_wr(&e, R_MTA + 4 * i, 0);
    }
    ng_rx_init(&e, 16, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    expect_filter(&e, other, false, 1);
    expect_filter(&e, mcast, false, 2);
    expect_filter(&e, our_mac, true, 3);
    /* The multicast hash bit lets exactly that group in. */
    ng_wr(&e, R_MTA + 4 * (hash >> 5), 1u << (hash & 31));
    expect_filter(&e, mcast, true, 4);
    /* A second exact address (RAL1/RAH1, AV). */
    ng_wr(&e, R_RAL(1), 0x02 | 0 << 8);
    ng_wr(&e, R_RAH(1), (0x99u << 8) | RAH_AV);
    expect_filter(&e, other, true, 5);
    /* Without RAL1/RAH1, unicast promiscuous still takes it. */
    ng_wr(&e, R_RAH(1), 0);
    ng_wr(&e, R_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC | RCTL_UPE);
    expect_filter(&e, other, true, 6);
    g_assert_cmpuint(ng_rd(&e, R_RDH), ==, 10);
    ng_stop(&e);
}

/* ---- hostile rings ---- */

static void assert_alive(net_env *e)
{
    g_assert_cmpint(simh_wait_hvmemu(e->h, 0), ==, -1);
    g_assert_cmphex(ng_rd(e, R_STATUS) & STATUS_LU, ==, STATUS_LU);
}

/* After abuse, a fresh ring still carries a frame, and it is the first
 * thing the network sees (nothing bogus was sent before it). */
static void assert_tx_works(net_env *e, unsigned seed)
{
    uint8_t f[100], got[2048];

    ng_tx_init(e, 8);
    ng_frame(f, sizeof(f), peer_mac, seed);
    ng_tx_queue(e, f, sizeof(f));
    ng_tx_doorbell(e);
    g_assert_cmpint(ng_peer_recv(e, got, sizeof(got), 10000), ==, sizeof(f));
    g_assert_cmpmem(got, sizeof(f), f, sizeof(f));
}

static void test_hostile(void)
{
    net_env e;
    uint8_t f[100];
    uint8_t d[16] = { 0 };

    ng_start(&e, NULL);
    ng_pci_setup(&e);
    /* TDT beyond the ring: nothing processed, TDH stays inside. */
    ng_tx_init(&e, 8);
    ng_frame(f, sizeof(f), peer_mac, 1);
    ng_tx_queue(&e, f, sizeof(f));
    ng_wr(&e, R_TDT, 200);
    assert_alive(&e);
    g_assert_cmpuint(ng_rd(&e, R_TDH), <, 8);
    assert_tx_works(&e, 2);
    /* Ring base outside guest RAM (64 MiB). */
    ng_wr(&e, R_TDBAL, 0x7ff00000);
    ng_wr(&e, R_TDT, 4);
    assert_alive(&e);
    /* Ring straddling the end of RAM, 65528 descriptors, TDT far away:
     * one bounded pass at most. */
    ng_wr(&e, R_TDBAL, (64u << 20) - 0x1000);
    ng_wr(&e, R_TDLEN, 0xfff80);
    ng_wr(&e, R_TDH, 0);
    ng_wr(&e, R_TDT, 0xfff0);
    assert_alive(&e);
    /* A descriptor whose buffer is outside RAM: dropped, but completes. */
    ng_tx_init(&e, 8);
    d[0] = 0;
    d[4] = 0x00;
    d[5] = 0xf0;        /* 0xf00000000000 */
    d[8] = 100;
    d[11] = TXD_CMD_EOP | TXD_CMD_RS;
    g_assert_cmpint(xs_guest_mem_write(e.g, NG_TX_RING, d, 16), ==, 0);
    ng_wr(&e, R_TDT, 1);
    ng_tx_wait_dd(&e, 0);
    g_assert_cmpuint(ng_rd(&e, R_TDH), ==, 1);
    assert_tx_works(&e, 3);
    /* RX ring outside RAM, and RDT beyond the ring, with frames coming. */
    ng_rx_init(&e, 8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    ng_wr(&e, R_RDBAL, 0x7ff00000);
    ng_frame(f, sizeof(f), our_mac, 4);
    ng_peer_send(&e, f, sizeof(f));
    assert_alive(&e);
    ng_rx_init(&e, 8, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    ng_wr(&e, R_RDT, 5000);
    ng_peer_send(&e, f, sizeof(f));
    assert_alive(&e);
    assert_tx_works(&e, 5);
    ng_stop(&e);
}

/* ---- options ---- */

static void test_bad_model(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    const char *argv[] = { g_getenv("HVMEMU_BIN"), "--domid", "1", "--nic",
                           "model=rtl8139,backend=none", NULL };
    g_autofree char *out = NULL, *err = NULL;
    GError *gerr = NULL;
    xs_sim_info info;
    int status;

    g_assert_nonnull(argv[0]);
    /* LD_LIBRARY_PATH and XENSIM_SOCKET are in our environment (meson,
     * simh_new): hvmemu could attach, so refusing is its own decision. */
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, &err, &status, &gerr));
    g_assert_no_error(gerr);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 2);
    g_assert_nonnull(strstr(err, "rtl8139"));
    g_assert_nonnull(strstr(err, "e1000"));
    /* One line: a message, not a usage dump. */
    g_assert_true(g_str_has_suffix(err, "\n"));
    g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);
    g_assert_cmpint(xs_guest_info(simh_control(h), &info), ==, 0);
    g_assert_cmpuint(info.servers, ==, 0);
    simh_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/net/probe", test_probe);
    g_test_add_func("/sim/net/eeprom-phy-link", test_eeprom_phy_link);
    g_test_add_func("/sim/net/tx", test_tx);
    g_test_add_func("/sim/net/rx", test_rx);
    g_test_add_func("/sim/net/filters", test_filters);
    g_test_add_func("/sim/net/hostile", test_hostile);
    g_test_add_func("/sim/net/bad-model", test_bad_model);
    return g_test_run();
}
