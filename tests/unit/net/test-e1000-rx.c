/* SPDX-License-Identifier: MIT */
/* e1000 receive: frames injected at the peer land in guest buffers with
 * the right descriptor status and INTx; filters; VLAN; long packets;
 * checksum status; back-pressure and drops when the ring is full. */
#include <string.h>

#include "tests/unit/net/nic-fixture.h"

static const uint8_t our_mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };
#define RCTL_STD (E1000_RCTL_EN | E1000_RCTL_BAM)

static void setup(nic *f, gconstpointer data)
{
    nic_setup(f, data);
}

static void teardown(nic *f, gconstpointer data)
{
    nic_teardown(f);
}

typedef struct rxd {
    uint64_t addr;
    uint16_t len, csum;
    uint8_t status, errors;
    uint16_t special;
} rxd;

static rxd desc(nic *f, unsigned i)
{
    const uint8_t *p = nic_ram(f, NIC_RX_RING + i * 16);
    rxd d;

    memcpy(&d.addr, p, 8);
    d.len = (uint16_t)(p[8] | p[9] << 8);
    d.csum = (uint16_t)(p[10] | p[11] << 8);
    d.status = p[12];
    d.errors = p[13];
    d.special = (uint16_t)(p[14] | p[15] << 8);
    return d;
}

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffff;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320 & -(c & 1));
        }
    }
    return ~c;
}

static void test_basic(nic *f, gconstpointer data)
{
    uint8_t frame[256];
    size_t len = build_udp4(frame, our_mac, 200);
    uint32_t fcs;
    rxd d;

    nic_rx_init(f, 8, RCTL_STD);
    nic_wr(f, E1000_IMS, E1000_ICR_RXT0);
    nic_peer_send(f, frame, len);
    nic_pump(f, 10);
    d = desc(f, 0);
    g_assert_cmpuint(d.len, ==, len + 4);   /* FCS kept: SECRC clear */
    g_assert_cmphex(d.status, ==, E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP |
                    E1000_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS);
    g_assert_cmphex(d.errors, ==, 0);
    g_assert_cmpmem(nic_ram(f, NIC_RX_BUF), len, frame, len);
    fcs = crc32_ref(frame, len);
    g_assert_cmpmem(nic_ram(f, NIC_RX_BUF + len), 4, &fcs, 4);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 1);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_true(nic_rd(f, E1000_ICR) & E1000_ICR_RXT0);
    g_assert_cmpuint(nic_intx(f), ==, 0);
    g_assert_cmpuint(nic_rd(f, E1000_GPRC), ==, 1);
    g_assert_cmpuint(nic_rd(f, E1000_GORCL), ==, len + 4);
    /* SECRC strips the FCS. */
    nic_wr(f, E1000_RCTL, RCTL_STD | E1000_RCTL_SECRC);
    nic_peer_send(f, frame, len);
    nic_pump(f, 10);
    g_assert_cmpuint(desc(f, 1).len, ==, len);
    /* Short frames are padded to 60 bytes. */
    nic_peer_send(f, frame, 42);
    nic_pump(f, 10);
    g_assert_cmpuint(desc(f, 2).len, ==, 60);
}

static bool deliver(nic *f, const uint8_t dst[6], size_t payload)
{
    uint8_t frame[2048];
    size_t len = build_udp4(frame, dst, payload);
    unsigned before = nic_rd(f, E1000_RDH);

    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    return nic_rd(f, E1000_RDH) != before;
}

static void test_filters(nic *f, gconstpointer data)
{
    static const uint8_t other[6] = { 0x00, 0x16, 0x3e, 0x99, 0x99, 0x99 };
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x01, 0x02 };
    unsigned h = ((mcast[4] >> 4) | (mcast[5] << 4)) & 0xfff;  /* MO 00 */

    nic_rx_init(f, 32, E1000_RCTL_EN);
    g_assert_true(deliver(f, our_mac, 10));
    g_assert_false(deliver(f, other, 10));
    g_assert_false(deliver(f, bcast, 10));
    g_assert_false(deliver(f, mcast, 10));
    nic_wr(f, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
    g_assert_true(deliver(f, bcast, 10));
    g_assert_cmpuint(nic_rd(f, E1000_BPRC), ==, 1);
    /* Multicast through the hash table. */
    nic_wr(f, E1000_MTA + 4 * (h >> 5), 1u << (h & 31));
    g_assert_true(deliver(f, mcast, 10));
    g_assert_cmpuint(nic_rd(f, E1000_MPRC), ==, 1);
    nic_wr(f, E1000_MTA + 4 * (h >> 5), 0);
    g_assert_false(deliver(f, mcast, 10));
    nic_wr(f, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_MPE);
    g_assert_true(deliver(f, mcast, 10));
    /* A second exact address in RAL1/RAH1. */
    nic_wr(f, E1000_RA + 8, 0x993e1600);
    nic_wr(f, E1000_RA + 12, 0x9999 | E1000_RAH_AV);
    g_assert_true(deliver(f, other, 10));
    nic_wr(f, E1000_RA + 12, 0x9999);
    g_assert_false(deliver(f, other, 10));
    nic_wr(f, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE);
    g_assert_true(deliver(f, other, 10));
}

static void test_vlan(nic *f, gconstpointer data)
{
    uint8_t frame[256], tagged[260];
    size_t len = build_udp4(frame, our_mac, 50);
    rxd d;

    memcpy(tagged, frame, 12);
    memcpy(tagged + 12, "\x81\x00\x30\x05", 4);     /* PCP 1, VID 5 */
    memcpy(tagged + 16, frame + 12, len - 12);
    nic_rx_init(f, 8, RCTL_STD | E1000_RCTL_SECRC);
    nic_wr(f, E1000_CTRL, nic_rd(f, E1000_CTRL) | E1000_CTRL_VME);
    nic_peer_send(f, tagged, len + 4);
    nic_pump(f, 5);
    d = desc(f, 0);
    g_assert_cmpuint(d.len, ==, len);
    g_assert_true(d.status & E1000_RXD_STAT_VP);
    g_assert_cmphex(d.special, ==, 0x3005);
    g_assert_cmpmem(nic_ram(f, NIC_RX_BUF), len, frame, len);
    /* VLAN filter: VID 5 not in VFTA → dropped; then allowed. */
    nic_wr(f, E1000_RCTL, RCTL_STD | E1000_RCTL_SECRC | E1000_RCTL_VFE);
    nic_peer_send(f, tagged, len + 4);
    nic_pump(f, 5);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 1);
    nic_wr(f, E1000_VFTA, 1u << 5);
    nic_peer_send(f, tagged, len + 4);
    nic_pump(f, 5);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 2);
    /* Untagged frames pass the VLAN filter. */
    g_assert_true(deliver(f, our_mac, 10));
    /* Without VME the tag stays in the frame. */
    nic_wr(f, E1000_CTRL, nic_rd(f, E1000_CTRL) & ~E1000_CTRL_VME);
    nic_peer_send(f, tagged, len + 4);
    nic_pump(f, 5);
    d = desc(f, 3);
    g_assert_cmpuint(d.len, ==, len + 4);
    g_assert_false(d.status & E1000_RXD_STAT_VP);
}

static void test_long(nic *f, gconstpointer data)
{
    uint8_t frame[4096];
    size_t len = build_udp4(frame, our_mac, 2000);
    rxd d0, d1;

    /* 1024-byte buffers (BSIZE 01b). */
    nic_rx_init(f, 8, RCTL_STD | 1u << 16);
    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 0);
    g_assert_cmpuint(nic_rd(f, E1000_ROC), ==, 1);
    nic_wr(f, E1000_RCTL, RCTL_STD | 1u << 16 | E1000_RCTL_LPE);
    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    d0 = desc(f, 0);
    d1 = desc(f, 1);
    g_assert_cmpuint(d0.len, ==, 1024);
    g_assert_cmphex(d0.status & (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP), ==,
                    E1000_RXD_STAT_DD);
    g_assert_cmpuint(d1.len, ==, len + 4 - 1024);
    g_assert_true(d1.status & E1000_RXD_STAT_EOP);
    g_assert_cmpmem(nic_ram(f, NIC_RX_BUF), len, frame, len);  /* contiguous */
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 2);
}

static void test_csum_errors(nic *f, gconstpointer data)
{
    uint8_t frame[256];
    size_t len = build_udp4(frame, our_mac, 100);
    rxd d;

    nic_rx_init(f, 8, RCTL_STD);
    frame[len - 1] ^= 0xff;         /* payload corrupt: UDP sum wrong */
    nic_peer_send(f, frame, len);
    frame[len - 1] ^= 0xff;
    frame[14 + 8] ^= 1;             /* TTL changed: IP sum wrong */
    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    d = desc(f, 0);
    g_assert_cmphex(d.errors, ==, E1000_RXD_ERR_TCPE);
    d = desc(f, 1);
    g_assert_true(d.errors & E1000_RXD_ERR_IPE);
    /* No checksum offload: IXSM. */
    nic_wr(f, E1000_RXCSUM, 0);
    nic_peer_send(f, frame, len);
    nic_pump(f, 5);
    d = desc(f, 2);
    g_assert_cmphex(d.status & ~(E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP), ==,
                    E1000_RXD_STAT_IXSM);
}

/* Ring full: the backend holds frames back (no loss) until the guest
 * returns buffers; RXDMT0 warns first. */
static void test_backpressure(nic *f, gconstpointer data)
{
    uint8_t frame[256];
    size_t len = build_udp4(frame, our_mac, 60);

    nic_rx_init(f, 8, RCTL_STD);            /* 7 usable descriptors */
    nic_wr(f, E1000_IMS, E1000_ICR_RXDMT0);
    for (int i = 0; i < 9; i++) {
        frame[len - 1] = (uint8_t)i;
        nic_peer_send(f, frame, len);
    }
    nic_pump(f, 10);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 7);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_true(nic_rd(f, E1000_ICR) & E1000_ICR_RXDMT0);
    g_assert_cmpuint(nic_rd(f, E1000_MPC), ==, 0);
    /* The guest consumed all seven and gives the buffers back. */
    nic_wr(f, E1000_RDT, 6);
    nic_pump(f, 10);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 1);  /* 7, 0 used */
    g_assert_cmpuint(nic_ram(f, NIC_RX_BUF + 7 * 2048)[len - 1], ==, 7);
    g_assert_cmpuint(nic_ram(f, NIC_RX_BUF)[len - 1], ==, 8);
    g_assert_cmpuint(nic_rd(f, E1000_MPC), ==, 0);
    /* RX disabled: frames wait as well, then flow on enable. */
    nic_wr(f, E1000_RCTL, 0);
    nic_peer_send(f, frame, len);
    nic_pump(f, 10);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 1);
    nic_wr(f, E1000_RCTL, RCTL_STD);
    nic_pump(f, 10);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 2);
}

/* A frame needing more descriptors than the ring can ever offer is
 * dropped and counted (MPC, RNBC) with RXO. */
static void test_overrun(nic *f, gconstpointer data)
{
    uint8_t frame[4096];
    size_t len = build_udp4(frame, our_mac, 3000);

    nic_rx_init(f, 8, RCTL_STD | E1000_RCTL_LPE | 3u << 16);  /* 256 B */
    nic_wr(f, E1000_IMS, E1000_ICR_RXO);
    nic_peer_send(f, frame, len);
    nic_pump(f, 10);
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 0);
    g_assert_cmpuint(nic_rd(f, E1000_MPC), ==, 1);
    g_assert_cmpuint(nic_rd(f, E1000_RNBC), ==, 1);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_true(nic_rd(f, E1000_ICR) & E1000_ICR_RXO);
    /* Small frames still flow. */
    g_assert_true(deliver(f, our_mac, 100));
}

static void test_rx_delay(nic *f, gconstpointer data)
{
    nic_rx_init(f, 8, RCTL_STD);
    nic_wr(f, E1000_IMS, E1000_ICR_RXT0);
    nic_wr(f, E1000_RDTR, 1000);            /* ~1 ms after the last */
    nic_wr(f, E1000_RADV, 3000);
    g_assert_true(deliver(f, our_mac, 10));
    /* deliver() pumped until idle: the delay has expired there. */
    g_assert_cmpuint(nic_intx(f), ==, 1);
    nic_rd(f, E1000_ICR);
    /* RDTR.FPD flushes a pending delay at once. */
    nic_wr(f, E1000_RDTR, 60000);
    {
        uint8_t frame[128];
        size_t len = build_udp4(frame, our_mac, 10);
        nic_peer_send(f, frame, len);
        hv_loop_run_once(f->loop, 50);
    }
    g_assert_cmpuint(nic_rd(f, E1000_RDH), ==, 2);
    g_assert_cmpuint(nic_intx(f), ==, 0);
    nic_wr(f, E1000_RDTR, 60000 | 1u << 31);
    g_assert_cmpuint(nic_intx(f), ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, nic, "", setup, fn, teardown)
    ADD("/e1000/rx/basic", test_basic);
    ADD("/e1000/rx/filters", test_filters);
    ADD("/e1000/rx/vlan", test_vlan);
    /* CVE-2012-6075: a long frame with LPE off overflowed QEMU's
     * buffers (docs/cve-regressions.md). */
    ADD("/e1000/rx/CVE-2012-6075-long", test_long);
    ADD("/e1000/rx/csum-errors", test_csum_errors);
    ADD("/e1000/rx/backpressure", test_backpressure);
    ADD("/e1000/rx/overrun", test_overrun);
    ADD("/e1000/rx/delay", test_rx_delay);
    return g_test_run();
}
