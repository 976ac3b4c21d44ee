/* SPDX-License-Identifier: MIT */
/*
 * Hostile guests: broken rings and descriptors must neither crash nor
 * hang the device model, and every doorbell does bounded work. These are
 * the regression tests for the QEMU e1000 CVEs whose patterns apply
 * (docs/cve-regressions.md): CVE-2016-1981 head/tail outside the ring,
 * CVE-2015-6815 zero-length descriptors, CVE-2021-20257 TSO parameters
 * that make the segmentation loop spin, CVE-2021-3416 DMA into the
 * device's own registers (CVE-2012-6075, long received frames, is in
 * test-e1000-rx).
 */
#include <string.h>
#include <sys/socket.h>

#include "tests/unit/net/nic-fixture.h"

static const uint8_t our_mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };

static void setup(nic *f, gconstpointer data)
{
    nic_setup(f, data);
    g_test_timer_start();
}

static void teardown(nic *f, gconstpointer data)
{
    /* Bounded work means fast: generous for slow CI / sanitizers. */
    g_assert_cmpfloat(g_test_timer_elapsed(), <, 20.0);
    nic_teardown(f);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static int drain(nic *f)
{
    uint8_t buf[65536];
    int n = 0;

    while (nic_peer_recv(f, buf, sizeof(buf)) >= 0) {
        n++;
    }
    return n;
}

/* CVE-2016-1981: TDH beyond the ring never meets TDT. */
static void test_head_beyond_ring(nic *f, gconstpointer data)
{
    nic_tx_init(f, 8);
    nic_wr(f, E1000_TDH, 100);
    nic_wr(f, E1000_TDT, 3);
    g_assert_cmpuint(nic_rd(f, E1000_TDH), ==, 100);
    nic_wr(f, E1000_TDH, 0);
    nic_wr(f, E1000_TDT, 0xffff);
    g_assert_cmpuint(nic_rd(f, E1000_TDH), ==, 0);
    g_assert_cmpint(drain(f), ==, 0);
    /* The same on receive: nothing written, nothing hangs. */
    nic_rx_init(f, 8, E1000_RCTL_EN);
    nic_wr(f, E1000_RDH, 9);
    {
        uint8_t frame[128];
        nic_peer_send(f, frame, build_udp4(frame, our_mac, 10));
        nic_pump(f, 5);
    }
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 9);
}

/* A whole ring of zero-length descriptors without EOP, ring "full". */
static void test_zero_length(nic *f, gconstpointer data)
{
    nic_tx_init(f, 4096);
    nic_wr(f, E1000_TDH, 5);
    nic_wr(f, E1000_TDT, 4);    /* 4095 descriptors owned by hardware */
    g_assert_cmpuint(nic_rd(f, E1000_TDH), ==, 4);  /* one pass, done */
    g_assert_cmpint(drain(f), ==, 0);
    /* Zero-length with EOP: empty frames are not sent. */
    for (unsigned i = 0; i < 16; i++) {
        nic_ram(f, NIC_TX_RING + i * 16)[11] = E1000_TXD_CMD_EOP |
                                               E1000_TXD_CMD_RS;
    }
    nic_wr(f, E1000_TDH, 0);
    nic_wr(f, E1000_TDT, 16);
    g_assert_cmpint(drain(f), ==, 0);
    g_assert_cmphex(nic_ram(f, NIC_TX_RING + 15 * 16)[12], ==,
                    E1000_TXD_STAT_DD);
}

static void test_rings_outside_ram(nic *f, gconstpointer data)
{
    uint8_t frame[256];
    size_t len = build_udp4(frame, our_mac, 100);

    nic_tx_init(f, 8);
    nic_wr(f, E1000_TDBAL, 0xfff00000);
    nic_wr(f, E1000_TDBAH, 0xffffffff);     /* wraps past 2^64 */
    nic_wr(f, E1000_TDT, 7);
    nic_wr(f, E1000_TDBAH, 0);
    nic_wr(f, E1000_TDT, 6);
    g_assert_cmpint(drain(f), ==, 0);
    /* Buffers outside RAM: frame dropped, descriptor still completed. */
    nic_tx_init(f, 8);
    nic_tx_legacy(f, 0xffffffffffff0000ull, 1000,
                  E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0, 0, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(drain(f), ==, 0);
    g_assert_cmphex(nic_ram(f, NIC_TX_RING)[12], ==, E1000_TXD_STAT_DD);
    /* RX ring outside RAM, then RX buffers outside RAM. */
    nic_rx_init(f, 8, E1000_RCTL_EN);
    nic_wr(f, E1000_RDBAL, 0xfffff000);
    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 1);
    nic_rx_init(f, 8, E1000_RCTL_EN);
    for (unsigned i = 0; i < 8; i++) {
        put_le(nic_ram(f, NIC_RX_RING + i * 16), NIC_RAM - 10, 8);
    }
    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 1);
    g_assert_true(nic_ram(f, NIC_RX_RING)[12] & E1000_RXD_STAT_DD);
}

/* RDLEN 0 (or RX ring smaller than a descriptor): no receive at all. */
/* CVE-2021-3416 (QEMU: a loopback/DMA re-entrancy loop): descriptors
 * whose buffers are the NIC's own registers. Device DMA reaches guest RAM
 * only, never MMIO, so no register is written behind the guest's back. */
static void test_dma_to_own_mmio(nic *f, gconstpointer data)
{
    uint8_t frame[256];
    size_t len = build_udp4(frame, our_mac, 100);

    nic_tx_init(f, 8);
    nic_tx_legacy(f, NIC_MMIO + E1000_TDT, 64,
                  E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0, 0, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(drain(f), ==, 0);
    g_assert_cmphex(nic_ram(f, NIC_TX_RING)[12], ==, E1000_TXD_STAT_DD);
    g_assert_cmpuint(nic_rd(f, E1000_TDT), ==, 1);
    nic_rx_init(f, 8, E1000_RCTL_EN);
    for (unsigned i = 0; i < 8; i++) {
        put_le(nic_ram(f, NIC_RX_RING + i * 16), NIC_MMIO + E1000_RDT, 8);
    }
    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    g_assert_cmpuint(nic_rd(f, E1000_RDT), ==, 7);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 1);
    /* The ring itself placed on the registers: nothing moves either. */
    nic_tx_init(f, 8);
    nic_wr(f, E1000_TDBAL, NIC_MMIO);
    nic_wr(f, E1000_TDT, 4);
    g_assert_cmpint(drain(f), ==, 0);
    g_assert_cmpuint(nic_rd(f, E1000_TDBAL), ==, NIC_MMIO);
}

static void test_rdlen_zero(nic *f, gconstpointer data)
{
    uint8_t frame[256];
    size_t len = build_udp4(frame, our_mac, 100);

    nic_rx_init(f, 8, E1000_RCTL_EN);
    nic_wr(f, E1000_RDLEN, 0);
    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 0);
    nic_wr(f, E1000_RDLEN, 8 * 16);
    nic_pump(f, 5);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 1);
}

static void tso_context(nic *f, uint8_t hdrlen, uint16_t mss, uint32_t pay)
{
    uint8_t d[16] = { 14, 24, 33, 0, 34, 50, 0, 0 };

    put_le(d + 8, pay | (uint32_t)(E1000_TXD_TUCMD_IP | E1000_TXD_TUCMD_TCP |
                                   E1000_TXD_CMD_TSE | E1000_TXD_CMD_DEXT)
                        << 24, 4);
    d[13] = hdrlen;
    put_le(d + 14, mss, 2);
    nic_tx_raw(f, d);
}

static void tso_data(nic *f, uint64_t addr, uint32_t len, bool eop)
{
    uint8_t d[16] = { 0 };

    put_le(d, addr, 8);
    put_le(d + 8, len | 1u << 20, 4);
    d[11] = E1000_TXD_CMD_DEXT | E1000_TXD_CMD_TSE |
            (eop ? E1000_TXD_CMD_EOP : 0);
    d[13] = 3;
    nic_tx_raw(f, d);
}

/* CVE-2021-20257 family: MSS 0, headers longer than the frame, data
 * beyond PAYLEN, a context changed in the middle of a packet. */
static void test_tso_hostile(nic *f, gconstpointer data)
{
    uint8_t frame[4096];
    size_t len = build_tcp4(frame, our_mac, 3000);

    memcpy(nic_ram(f, NIC_TX_BUF), frame, len);
    nic_tx_init(f, 64);
    tso_context(f, 54, 0, 3000);                /* MSS 0 */
    tso_data(f, NIC_TX_BUF, (uint32_t)len, true);
    tso_context(f, 200, 1000, 3000);            /* HDRLEN > frame */
    tso_data(f, NIC_TX_BUF, 100, true);
    tso_context(f, 10, 1000, 3000);             /* headers cut short */
    tso_data(f, NIC_TX_BUF, (uint32_t)len, true);
    tso_context(f, 54, 1000, 100);              /* data beyond PAYLEN */
    tso_data(f, NIC_TX_BUF, (uint32_t)len, true);
    tso_context(f, 54, 65535, 3000);            /* segment > buffer */
    tso_data(f, NIC_TX_BUF, (uint32_t)len, true);
    /* Valid start, then a context claiming HDRLEN 255 / MSS 1 mid-way:
     * the packet keeps its own parameters. */
    tso_context(f, 54, 1000, 3000);
    tso_data(f, NIC_TX_BUF, 1054, false);
    tso_context(f, 255, 1, 3000);
    tso_data(f, NIC_TX_BUF + 1054, (uint32_t)len - 1054, true);
    nic_tx_doorbell(f);
    g_assert_cmpint(drain(f), ==, 3);
    g_assert_cmpuint(nic_rd(f, E1000_TSCTFC), ==, 5);
    g_assert_cmpuint(nic_rd(f, E1000_TDH), ==, nic_rd(f, E1000_TDT));
    /* MSS 1 over a big payload: many segments, but bounded by PAYLEN. */
    nic_tx_init(f, 8);
    tso_context(f, 54, 1, 3000);
    tso_data(f, NIC_TX_BUF, (uint32_t)len, true);
    nic_tx_doorbell(f);
    g_assert_cmpint(drain(f), >, 100);  /* socket buffer limits the count */
}

/* Descriptors adding up to more than any frame. */
static void test_oversized_frame(nic *f, gconstpointer data)
{
    nic_tx_init(f, 8);
    for (unsigned i = 0; i < 6; i++) {
        nic_tx_legacy(f, NIC_TX_BUF, 65535, i == 5 ? E1000_TXD_CMD_EOP : 0,
                      0, 0, 0);
    }
    nic_tx_doorbell(f);
    g_assert_cmpint(drain(f), ==, 0);
    /* The next frame is fine again. */
    memset(nic_ram(f, NIC_TX_BUF), 0x5a, 100);
    nic_tx_legacy(f, NIC_TX_BUF, 100, E1000_TXD_CMD_EOP, 0, 0, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(drain(f), ==, 1);
}

/* Checksum offsets pointing past the frame. */
static void test_csum_offsets(nic *f, gconstpointer data)
{
    nic_tx_init(f, 8);
    memset(nic_ram(f, NIC_TX_BUF), 0x5a, 100);
    nic_tx_legacy(f, NIC_TX_BUF, 100, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IC,
                  255, 200, 0);
    nic_tx_legacy(f, NIC_TX_BUF, 100, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IC,
                  99, 10, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(drain(f), ==, 2);
}

/* Random register writes and descriptor garbage: nothing may crash or
 * hang. Deterministic seed. */
static void test_random(nic *f, gconstpointer data)
{
    static const unsigned regs[] = {
        E1000_CTRL, E1000_RCTL, E1000_TCTL, E1000_RDBAL, E1000_RDLEN,
        E1000_RDH, E1000_RDT, E1000_TDBAL, E1000_TDLEN, E1000_TDH, E1000_TDT,
        E1000_ICS, E1000_IMS, E1000_EECD, E1000_MDIC, E1000_EERD, E1000_RDTR,
        E1000_ITR,
    };
    GRand *r = g_rand_new_with_seed(1981);
    uint8_t frame[2048];

    for (unsigned i = 0; i < 0x20000; i += 4) {
        *(uint32_t *)nic_ram(f, NIC_TX_RING + i) = g_rand_int(r);
    }
    for (unsigned i = 0; i < 20000; i++) {
        unsigned reg = regs[g_rand_int_range(r, 0, G_N_ELEMENTS(regs))];
        uint32_t v = g_rand_int(r);

        if (reg == E1000_CTRL) {
            v &= ~E1000_CTRL_RST;
        } else if (reg == E1000_RDBAL || reg == E1000_TDBAL) {
            v = NIC_TX_RING + (v & 0x1fff0);
        } else if (reg == E1000_RDLEN || reg == E1000_TDLEN) {
            v &= 0xfff80;
        } else if (reg == E1000_ITR || reg == E1000_RDTR) {
            v &= 0xff;
        }
        nic_wr(f, reg, v);
        if (i % 64 == 0) {
            /* Non-blocking: a stalled ring must not stall the test. */
            send(f->peer, frame, build_udp4(frame, our_mac,
                                            g_rand_int_range(r, 0, 1400)),
                 MSG_DONTWAIT);
            hv_loop_run_once(f->loop, 0);
        }
        drain(f);
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, nic, "", setup, fn, teardown)
    /* Named for the QEMU CVE whose pattern each covers
     * (docs/cve-regressions.md). */
    ADD("/e1000/hostile/CVE-2016-1981-head-beyond-ring",
        test_head_beyond_ring);
    ADD("/e1000/hostile/CVE-2015-6815-zero-length", test_zero_length);
    ADD("/e1000/hostile/rings-outside-ram", test_rings_outside_ram);
    ADD("/e1000/hostile/CVE-2021-3416-dma-to-own-mmio",
        test_dma_to_own_mmio);
    ADD("/e1000/hostile/rdlen-zero", test_rdlen_zero);
    ADD("/e1000/hostile/CVE-2021-20257-tso", test_tso_hostile);
    ADD("/e1000/hostile/oversized-frame", test_oversized_frame);
    ADD("/e1000/hostile/csum-offsets", test_csum_offsets);
    ADD("/e1000/hostile/random", test_random);
    return g_test_run();
}
