/* SPDX-License-Identifier: MIT */
/* e1000 transmit: frames the guest queues arrive byte-exact at the peer
 * and in the capture; DD write-back and interrupts; padding; VLAN
 * insertion; checksum offload and TSO produce checksums that verify. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/net/nic-fixture.h"
#include "pcap-read.h"

#define VNET_HDR sizeof(struct virtio_net_hdr)

static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static void setup(nic *f, gconstpointer data)
{
    nic_setup(f, data);
    nic_tx_init(f, 8);
}

static void teardown(nic *f, gconstpointer data)
{
    nic_teardown(f);
}

static uint8_t desc_status(nic *f, unsigned i)
{
    return nic_ram(f, NIC_TX_RING + i * 16)[12];
}

static void test_legacy(nic *f, gconstpointer data)
{
    uint8_t frame[256], got[2048];
    size_t len = build_udp4(frame, peer_mac, 100);
    g_autoptr(GBytes) cap = NULL;

    memcpy(nic_ram(f, NIC_TX_BUF), frame, len);
    nic_wr(f, E1000_IMS, E1000_ICR_TXDW);
    /* Two buffers, status reported for the last. */
    nic_tx_legacy(f, NIC_TX_BUF, 50, 0, 0, 0, 0);
    nic_tx_legacy(f, NIC_TX_BUF + 50, (uint16_t)(len - 50),
                  E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
                  0, 0, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, (int)len);
    g_assert_cmpmem(got, len, frame, len);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, -1);
    g_assert_cmpuint(nic_rd(f, E1000_TDH), ==, 2);
    g_assert_cmphex(desc_status(f, 0), ==, 0);
    g_assert_cmphex(desc_status(f, 1), ==, E1000_TXD_STAT_DD);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_cmphex(nic_rd(f, E1000_ICR), ==, E1000_ICR_TXDW | E1000_ICR_TXQE);
    g_assert_cmpuint(nic_intx(f), ==, 0);
    /* Statistics, read-to-clear. */
    g_assert_cmpuint(nic_rd(f, E1000_GPTC), ==, 1);
    g_assert_cmpuint(nic_rd(f, E1000_GPTC), ==, 0);
    g_assert_cmpuint(nic_rd(f, E1000_GOTCL), ==, len + 4);
    g_assert_cmpuint(nic_rd(f, E1000_GOTCH), ==, 0);
    g_assert_cmpuint(nic_rd(f, E1000_GOTCL), ==, 0);
    /* The capture has it, byte-exact. */
    cap = test_pcap_record(f->pcap, 0);
    g_assert_nonnull(cap);
    g_assert_cmpmem(g_bytes_get_data(cap, NULL), g_bytes_get_size(cap),
                    frame, len);
}

static void test_padding(nic *f, gconstpointer data)
{
    uint8_t got[128], zeros[60] = { 0 };

    memset(nic_ram(f, NIC_TX_BUF), 0xab, 20);
    nic_tx_legacy(f, NIC_TX_BUF, 20, E1000_TXD_CMD_EOP, 0, 0, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, 60);
    g_assert_cmpmem(got + 20, 40, zeros, 40);
    /* Without TCTL.PSP the frame goes as it is. */
    nic_wr(f, E1000_TCTL, E1000_TCTL_EN);
    nic_tx_legacy(f, NIC_TX_BUF, 20, E1000_TXD_CMD_EOP, 0, 0, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, 20);
    /* A descriptor ring stopped by TCTL.EN = 0 sends nothing. */
    nic_wr(f, E1000_TCTL, 0);
    nic_tx_legacy(f, NIC_TX_BUF, 20, E1000_TXD_CMD_EOP, 0, 0, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, -1);
    nic_wr(f, E1000_TCTL, E1000_TCTL_EN);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, 20);
}

static void test_vlan(nic *f, gconstpointer data)
{
    uint8_t frame[256], got[256];
    size_t len = build_udp4(frame, peer_mac, 64);

    memcpy(nic_ram(f, NIC_TX_BUF), frame, len);
    nic_wr(f, E1000_CTRL, nic_rd(f, E1000_CTRL) | E1000_CTRL_VME);
    nic_tx_legacy(f, NIC_TX_BUF, (uint16_t)len,
                  E1000_TXD_CMD_EOP | E1000_TXD_CMD_VLE, 0, 0, 0x2123);
    nic_tx_doorbell(f);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, (int)len + 4);
    g_assert_cmpmem(got, 12, frame, 12);
    g_assert_cmpmem(got + 12, 4, "\x81\x00\x21\x23", 4);
    g_assert_cmpmem(got + 16, len - 12, frame + 12, len - 12);
}

/* IP + UDP checksum offload via a context descriptor, as Linux does it:
 * IP checksum 0, UDP checksum = pseudo-header sum (with length). */
static void test_csum_offload(nic *f, gconstpointer data)
{
    uint8_t frame[512], got[512];
    size_t len = build_udp4(frame, peer_mac, 301);
    uint8_t *g = nic_ram(f, NIC_TX_BUF);
    uint16_t ps = pseudo_sum(frame + 14, 17, (uint16_t)(len - 34));

    memcpy(g, frame, len);
    g[24] = g[25] = 0;
    g[40] = ps >> 8;
    g[41] = ps & 0xff;
    nic_tx_context(f, 14, 24, 33, 34, 40, 0, 0, E1000_TXD_TUCMD_IP, 0, 0);
    nic_tx_data(f, NIC_TX_BUF, (uint32_t)len, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS,
            E1000_TXD_POPTS_IXSM | E1000_TXD_POPTS_TXSM);
    nic_tx_doorbell(f);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, (int)len);
    g_assert_true(ip4_csum_ok(got, len));
    g_assert_true(l4_csum_ok(got, len));
    g_assert_cmpmem(got, len, frame, len);
    g_assert_cmphex(desc_status(f, 1), ==, E1000_TXD_STAT_DD);
}

/* Legacy descriptor checksum insertion: CSS/CSO (SDM 3.3.3.1). */
static void test_legacy_ic(nic *f, gconstpointer data)
{
    uint8_t frame[512], got[512];
    size_t len = build_tcp4(frame, peer_mac, 77);
    uint8_t *g = nic_ram(f, NIC_TX_BUF);
    uint16_t ps = pseudo_sum(frame + 14, 6, (uint16_t)(len - 34));

    memcpy(g, frame, len);
    g[50] = ps >> 8;
    g[51] = ps & 0xff;
    nic_tx_legacy(f, NIC_TX_BUF, (uint16_t)len,
                  E1000_TXD_CMD_EOP | E1000_TXD_CMD_IC, 50, 34, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, (int)len);
    g_assert_true(l4_csum_ok(got, len));
    g_assert_cmpmem(got, len, frame, len);
}

static void check_segment(const uint8_t *seg, size_t len, const uint8_t *orig,
                          unsigned i, unsigned nsegs, size_t mss)
{
    const uint8_t *ip = seg + 14, *tcp = seg + 34;
    uint32_t seq = (uint32_t)tcp[4] << 24 | tcp[5] << 16 | tcp[6] << 8 |
                   tcp[7];

    g_assert_cmpuint(len, ==, 54 + mss);
    g_assert_cmpuint((unsigned)(ip[2] << 8 | ip[3]), ==, 40 + mss);
    g_assert_cmpuint((unsigned)(ip[4] << 8 | ip[5]), ==, 0x1234 + i);
    g_assert_cmpuint(seq, ==, 65536 + i * mss);
    g_assert_cmphex(tcp[13], ==, i + 1 == nsegs ? 0x19 : 0x10);
    g_assert_true(ip4_csum_ok(seg, len));
    g_assert_true(l4_csum_ok(seg, len));
    g_assert_cmpmem(seg + 54, mss, orig + 54 + i * mss, mss);
}

/* The guest's side of a TSO send: the frame's headers as Linux's e1000
 * driver leaves them (IP length and checksum 0, TCP checksum the
 * pseudo-header sum without length, SDM 3.5.1), a context descriptor and
 * three data descriptors. */
static void post_tso4(nic *f, const uint8_t *frame, size_t len, uint32_t pay,
                      uint16_t mss, uint8_t tucso)
{
    uint8_t *g = nic_ram(f, NIC_TX_BUF);
    uint16_t ps = pseudo_sum(frame + 14, 6, 0);

    memcpy(g, frame, len);
    g[16] = g[17] = 0;
    g[24] = g[25] = 0;
    g[50] = ps >> 8;
    g[51] = ps & 0xff;
    nic_tx_context(f, 14, 24, 33, 34, tucso, 0, pay,
               E1000_TXD_TUCMD_IP | E1000_TXD_TUCMD_TCP | E1000_TXD_CMD_TSE,
               54, mss);
    nic_tx_data(f, NIC_TX_BUF, 54, E1000_TXD_CMD_TSE, 3);
    nic_tx_data(f, NIC_TX_BUF + 54, 1500, E1000_TXD_CMD_TSE, 3);
    nic_tx_data(f, NIC_TX_BUF + 1554, (uint32_t)len - 1554, E1000_TXD_CMD_TSE |
            E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 3);
}

static void test_tso(nic *f, gconstpointer data)
{
    enum { PAY = 3000, MSS = 1000 };
    static uint8_t frame[4096], got[4096];
    size_t len = build_tcp4(frame, peer_mac, PAY);
    int n;

    nic_tx_init(f, 16);
    post_tso4(f, frame, len, PAY, MSS, 50);
    nic_tx_doorbell(f);
    for (unsigned i = 0; i < 3; i++) {
        n = nic_peer_recv(f, got, sizeof(got));
        g_assert_cmpint(n, >, 0);
        check_segment(got, (size_t)n, frame, i, 3, MSS);
    }
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, -1);
    g_assert_cmpuint(nic_rd(f, E1000_TSCTC), ==, 1);
    g_assert_cmpuint(nic_rd(f, E1000_GPTC), ==, 3);
}

/* The e1000 on a tap (vnet_hdr on, the default) and a packet socket on
 * the tap that reads the virtio-net header too (PACKET_VNET_HDR). False,
 * the test skipped and saying why, without CAP_NET_ADMIN or /dev/net/tun. */
static bool tap_nic(nic *f, int *ps)
{
    g_autofree char *name = g_strdup_printf("hvg%u", (unsigned)getpid());
    g_autofree char *spec = g_strdup_printf("backend=tap,ifname=%s", name);
    struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                               .sll_protocol = htons(ETH_P_ALL) };
    GError *err = NULL;
    int one = 1;

    if (!nic_setup_backend(f, spec, &err)) {
        g_test_skip(err->message);
        g_clear_error(&err);
        nic_teardown(f);
        return false;
    }
    *ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    g_assert_cmpint(*ps, >=, 0);
    g_assert_cmpint(setsockopt(*ps, SOL_PACKET, PACKET_VNET_HDR, &one,
                               sizeof(one)), ==, 0);
    sll.sll_ifindex = (int)if_nametoindex(name);
    g_assert_cmpint(bind(*ps, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    nic_tx_init(f, 16);
    return true;
}

/* The next IPv4 frame the tap got, behind its virtio-net header; -1 if
 * none within half a second (the tap's own IPv6 chatter is skipped). */
static int tap_recv_ip4(int ps, uint8_t *buf, size_t size)
{
    for (int i = 0; i < 50; i++) {
        int n = (int)recv(ps, buf, size, MSG_DONTWAIT);

        if (n > (int)(VNET_HDR + 14) && buf[VNET_HDR + 12] == 0x08 &&
            buf[VNET_HDR + 13] == 0x00) {
            return n;
        }
        if (n < 0) {
            g_usleep(10000);
        }
    }
    return -1;
}

/*
 * TSO on a tap with a virtio-net header: the packet leaves whole, for the
 * host kernel to segment. The packet socket shows what the kernel
 * accepted: one GSO packet with the MSS as gso_size and the TCP checksum
 * partial. Completing that checksum the way the kernel will must give one
 * that verifies, and the statistics still count the three segments the
 * wire carries.
 */
static void test_tso_gso(void)
{
    enum { PAY = 3000, MSS = 1000 };
    static uint8_t frame[4096], buf[8192];
    size_t len = build_tcp4(frame, peer_mac, PAY);
    const struct virtio_net_hdr *h = (const void *)buf;
    const uint8_t *got = buf + VNET_HDR;
    uint32_t seq;
    int ps;
    nic f;

    if (!tap_nic(&f, &ps)) {
        return;
    }
    post_tso4(&f, frame, len, PAY, MSS, 50);
    nic_tx_doorbell(&f);
    g_assert_cmpint(tap_recv_ip4(ps, buf, sizeof(buf)), ==,
                    (int)(VNET_HDR + len));
    g_assert_cmphex(h->gso_type, ==, VIRTIO_NET_HDR_GSO_TCPV4);
    g_assert_cmpuint(h->gso_size, ==, MSS);
    g_assert_cmphex(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, !=, 0);
    g_assert_cmpuint(h->csum_start, ==, 34);
    g_assert_cmpuint(h->csum_offset, ==, 16);
    /* One segment's headers carrying everything. */
    g_assert_cmpuint((unsigned)(got[16] << 8 | got[17]), ==, 40 + PAY);
    g_assert_true(ip4_csum_ok(got, len));
    seq = (uint32_t)got[38] << 24 | got[39] << 16 | got[40] << 8 | got[41];
    g_assert_cmpuint(seq, ==, 65536);
    g_assert_cmphex(got[34 + 13], ==, 0x19);    /* FIN|PSH kept: last seg */
    g_assert_cmpmem(got + 54, PAY, frame + 54, PAY);
    /* What the kernel does with a partial checksum: sum from csum_start
     * (the field holds the pseudo-header sum), store the complement. */
    {
        static uint8_t fin[4096];
        uint32_t sum = 0;
        uint16_t v;

        memcpy(fin, got, len);
        for (size_t i = 34; i < len; i += 2) {
            sum += (uint32_t)fin[i] << 8 | (i + 1 < len ? fin[i + 1] : 0);
        }
        while (sum >> 16) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        v = (uint16_t)~sum;
        fin[50] = v >> 8;
        fin[51] = v & 0xff;
        g_assert_true(l4_csum_ok(fin, len));
    }
    g_assert_cmpuint(nic_rd(&f, E1000_TSCTC), ==, 1);
    g_assert_cmpuint(nic_rd(&f, E1000_GPTC), ==, 3);
    close(ps);
    nic_teardown(&f);
}

/* A TSO context whose checksum offset is not the TCP header's checksum
 * field: the host kernel would refuse the packet whole, so the device
 * segments it itself, as the 82540EM would (hostile or odd guests). */
static void test_tso_gso_fallback(void)
{
    enum { PAY = 3000, MSS = 1000 };
    static uint8_t frame[4096], buf[8192];
    size_t len = build_tcp4(frame, peer_mac, PAY);
    const struct virtio_net_hdr *h = (const void *)buf;
    int ps;
    nic f;

    if (!tap_nic(&f, &ps)) {
        return;
    }
    post_tso4(&f, frame, len, PAY, MSS, 40);
    nic_tx_doorbell(&f);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_cmpint(tap_recv_ip4(ps, buf, sizeof(buf)), ==,
                        (int)(VNET_HDR + 54 + MSS));
        g_assert_cmphex(h->gso_type, ==, VIRTIO_NET_HDR_GSO_NONE);
    }
    g_assert_cmpint(tap_recv_ip4(ps, buf, sizeof(buf)), ==, -1);
    g_assert_cmpuint(nic_rd(&f, E1000_GPTC), ==, 3);
    close(ps);
    nic_teardown(&f);
}

/* TSO whose payload is not a multiple of MSS: short last segment. */
static void test_tso_tail(nic *f, gconstpointer data)
{
    enum { PAY = 2500, MSS = 1448 };
    static uint8_t frame[4096], got[4096];
    size_t len = build_tcp4(frame, peer_mac, PAY);
    uint8_t *g = nic_ram(f, NIC_TX_BUF);
    uint16_t ps = pseudo_sum(frame + 14, 6, 0);
    int n;

    memcpy(g, frame, len);
    g[24] = g[25] = 0;
    g[50] = ps >> 8;
    g[51] = ps & 0xff;
    nic_tx_context(f, 14, 24, 33, 34, 50, 0, PAY,
               E1000_TXD_TUCMD_IP | E1000_TXD_TUCMD_TCP, 54, MSS);
    nic_tx_data(f, NIC_TX_BUF, (uint32_t)len, E1000_TXD_CMD_TSE |
            E1000_TXD_CMD_EOP, 3);
    nic_tx_doorbell(f);
    n = nic_peer_recv(f, got, sizeof(got));
    check_segment(got, (size_t)n, frame, 0, 2, MSS);
    n = nic_peer_recv(f, got, sizeof(got));
    g_assert_cmpint(n, ==, 54 + PAY - MSS);
    g_assert_true(ip4_csum_ok(got, (size_t)n));
    g_assert_true(l4_csum_ok(got, (size_t)n));
    g_assert_cmphex(got[34 + 13], ==, 0x19);
}

/* TXDW waits for TIDV when the descriptor asks for delay (IDE). */
static void test_tx_delay(nic *f, gconstpointer data)
{
    uint8_t got[128];

    nic_wr(f, E1000_IMS, E1000_ICR_TXDW);
    nic_wr(f, E1000_TIDV, 2000);   /* ~2 ms */
    memset(nic_ram(f, NIC_TX_BUF), 0x11, 60);
    nic_tx_legacy(f, NIC_TX_BUF, 60, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS |
                  E1000_TXD_CMD_IDE, 0, 0, 0);
    nic_tx_doorbell(f);
    g_assert_cmpint(nic_peer_recv(f, got, sizeof(got)), ==, 60);
    g_assert_cmpuint(nic_intx(f), ==, 0);
    nic_pump(f, 50);
    g_assert_cmpuint(nic_intx(f), ==, 1);
    g_assert_true(nic_rd(f, E1000_ICR) & E1000_ICR_TXDW);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, nic, "", setup, fn, teardown)
    ADD("/e1000/tx/legacy", test_legacy);
    ADD("/e1000/tx/padding", test_padding);
    ADD("/e1000/tx/vlan", test_vlan);
    ADD("/e1000/tx/csum-offload", test_csum_offload);
    ADD("/e1000/tx/legacy-ic", test_legacy_ic);
    ADD("/e1000/tx/tso", test_tso);
    ADD("/e1000/tx/tso-tail", test_tso_tail);
    g_test_add_func("/e1000/tx/tso-gso-tap", test_tso_gso);
    g_test_add_func("/e1000/tx/tso-gso-fallback", test_tso_gso_fallback);
    ADD("/e1000/tx/delay", test_tx_delay);
    return g_test_run();
}
