/* SPDX-License-Identifier: MIT */
/*
 * Real TCP through the e1000, without Xen: Linux's network stack on both
 * sides of the device, in two network namespaces of this process.
 *
 *   "guest" namespace: a tap (gtap) with offloads on, which the test drives
 *   the way Linux's e1000 driver drives the device: each packet the kernel
 *   sends becomes TX descriptors (a context descriptor for TSO or checksum
 *   offload, the headers prepared as e1000_tso() prepares them), and each
 *   frame the device puts in its RX ring goes back into gtap.
 *   "host" namespace: the device's backend, a tap (htap) with an address.
 *
 * One TCP connection each way moves NET_BYTES with every byte checked. The
 * far kernel verifies what the device produced: TSO segments and offloaded
 * checksums (or, with vnet_hdr=on, the unsegmented packets the device hands
 * the host kernel), and the guest kernel checks every frame the device's
 * receive path wrote. Throughput is printed, never asserted.
 *
 * Needs CAP_SYS_ADMIN and /dev/net/tun (root): skipped, saying so, without.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/net/nic-fixture.h"

#define NET_BYTES   (64u << 20)
#define NET_PORT    5901
#define GUEST_IP    "10.0.78.2"
#define HOST_IP     "10.0.78.1"
#define RX_N        256
#define TX_AREA     0x200000u       /* 128 KiB: one packet, up to 64 KiB */
#define VH          sizeof(struct virtio_net_hdr)
#define TIMEOUT_S   60

typedef struct lab {
    nic f;
    int ns_orig, ns_guest;
    int gtap;
    unsigned rx_next;
    uint64_t tso, csum, plain, rx;  /* what the "driver" did */
} lab;

static bool write_proc(const char *path, const char *v)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && write(fd, v, strlen(v)) == (ssize_t)strlen(v);

    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* A fresh network namespace for this process, IPv4 only (no router
 * solicitations or DAD frames in the way). */
static bool ns_new(GError **err)
{
    if (unshare(CLONE_NEWNET) < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "unshare(CLONE_NEWNET): %s", g_strerror(errno));
        return false;
    }
    write_proc("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    write_proc("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    return true;
}

static void ifr_do(unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(s, >=, 0);
    if (ioctl(s, req, ifr) < 0) {
        g_error("ioctl %#lx on %s: %s", req, ifr->ifr_name, g_strerror(errno));
    }
    close(s);
}

static void if_config(const char *name, const char *ip, const uint8_t *mac)
{
    struct ifreq ifr = { 0 };
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

    g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
    if (mac) {
        ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
        ifr_do(SIOCSIFHWADDR, &ifr);
    }
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &sin->sin_addr);
    ifr_do(SIOCSIFADDR, &ifr);
    inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
    ifr_do(SIOCSIFNETMASK, &ifr);
    ifr_do(SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    ifr_do(SIOCSIFFLAGS, &ifr);
}

/* The guest's side: a tap whose kernel hands us TSO and partial-checksum
 * packets, as a NIC driver with those features would get them. */
static int gtap_open(void)
{
    static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(ifr.ifr_name, "gtap", IFNAMSIZ);
    g_assert_cmpint(ioctl(fd, TUNSETIFF, &ifr), ==, 0);
    g_assert_cmpint(ioctl(fd, TUNSETOFFLOAD,
                          TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6), ==, 0);
    if_config("gtap", GUEST_IP, mac);   /* the e1000's MAC (NIC_MAC) */
    return fd;
}

/*
 * One packet from the guest kernel onto the TX ring, as Linux's e1000
 * driver would post it (e1000_tso, e1000_tx_csum): for TSO the IP length
 * and checksum zeroed and the TCP checksum the pseudo-header sum without
 * length; for a partial checksum the context names where to put it.
 */
static void guest_xmit(lab *l, uint8_t *pkt, size_t n)
{
    const struct virtio_net_hdr *h = (const void *)pkt;
    uint8_t *fr = pkt + VH;
    size_t len = n - VH;
    uint8_t popts = 0, dcmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS;

    g_assert_cmpuint(len, <=, 0x20000);
    if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        unsigned tucss = h->csum_start, thl = (fr[tucss + 12] >> 4) * 4u;
        uint16_t ps;

        g_assert_cmpuint(h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN, ==,
                         VIRTIO_NET_HDR_GSO_TCPV4);
        fr[16] = fr[17] = 0;                    /* IP total length */
        fr[24] = fr[25] = 0;                    /* IP checksum */
        ps = pseudo_sum(fr + 14, 6, 0);
        fr[tucss + 16] = ps >> 8;
        fr[tucss + 17] = ps & 0xff;
        nic_tx_context(&l->f, 14, 24, (uint16_t)(tucss - 1), (uint8_t)tucss,
                       (uint8_t)(tucss + 16), 0,
                       (uint32_t)(len - tucss - thl),
                       E1000_TXD_TUCMD_IP | E1000_TXD_TUCMD_TCP |
                           E1000_TXD_CMD_TSE,
                       (uint8_t)(tucss + thl), h->gso_size);
        popts = E1000_TXD_POPTS_IXSM | E1000_TXD_POPTS_TXSM;
        dcmd |= E1000_TXD_CMD_TSE;
        l->tso++;
    } else if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        unsigned start = h->csum_start;
        bool tcp = h->csum_offset == 16;

        nic_tx_context(&l->f, 14, 24, (uint16_t)(start - 1), (uint8_t)start,
                       (uint8_t)(start + h->csum_offset), 0, 0,
                       E1000_TXD_TUCMD_IP | (tcp ? E1000_TXD_TUCMD_TCP : 0),
                       0, 0);
        popts = E1000_TXD_POPTS_TXSM;
        l->csum++;
    } else {
        l->plain++;
    }
    memcpy(nic_ram(&l->f, TX_AREA), fr, len);
    /* Two data descriptors, like a linear head and one fragment. */
    if (len > 256) {
        nic_tx_data(&l->f, TX_AREA, 128, dcmd & E1000_TXD_CMD_TSE, popts);
        nic_tx_data(&l->f, TX_AREA + 128, (uint32_t)len - 128, dcmd, popts);
    } else {
        nic_tx_data(&l->f, TX_AREA, (uint32_t)len, dcmd, popts);
    }
    nic_tx_doorbell(&l->f);     /* the device sends it before returning */
}

/* Frames the device received: into the guest kernel. Returns how many. */
static unsigned guest_harvest(lab *l)
{
    static const struct virtio_net_hdr none;
    unsigned got = 0;

    for (;;) {
        uint8_t *d = nic_ram(&l->f, NIC_RX_RING + l->rx_next * 16);
        uint8_t buf[VH + 2048];
        uint16_t len = (uint16_t)(d[8] | d[9] << 8);

        if (!(d[12] & 1)) {                     /* DD */
            break;
        }
        g_assert_cmphex(d[12] & 2, ==, 2);      /* EOP: 2 KiB buffers */
        g_assert_cmpuint(len, <=, 2048);
        g_assert_cmpuint(len, >, 4);
        len -= 4;       /* the FCS: Linux's driver strips it, unchecked */
        memcpy(buf, &none, VH);
        memcpy(buf + VH, nic_ram(&l->f, NIC_RX_BUF + l->rx_next * 2048), len);
        g_assert_cmpint(write(l->gtap, buf, VH + len), ==, (ssize_t)(VH + len));
        d[12] = 0;
        nic_wr(&l->f, E1000_RDT, l->rx_next);
        l->rx_next = (l->rx_next + 1) % RX_N;
        got++;
    }
    l->rx += got;
    return got;
}

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i * 31 + (i >> 11));
}

typedef struct flow {
    int tx, rx;                 /* sending and receiving sockets */
    uint64_t sent, recvd;
    bool bad;
} flow;

static bool flow_step(flow *fl)
{
    uint8_t buf[65536];
    bool moved = false;
    ssize_t r;

    if (fl->sent < NET_BYTES) {
        size_t n = MIN(sizeof(buf), NET_BYTES - fl->sent);

        for (size_t i = 0; i < n; i++) {
            buf[i] = pattern(fl->sent + i);
        }
        r = send(fl->tx, buf, n, MSG_DONTWAIT);
        if (r > 0) {
            fl->sent += (uint64_t)r;
            moved = true;
        }
    }
    r = recv(fl->rx, buf, sizeof(buf), MSG_DONTWAIT);
    if (r > 0) {
        for (ssize_t i = 0; i < r; i++) {
            fl->bad |= buf[i] != pattern(fl->recvd + (uint64_t)i);
        }
        fl->recvd += (uint64_t)r;
        moved = true;
    }
    return moved;
}

/* One round of the "driver" and the device: the guest kernel's packets
 * onto the TX ring, the device's loop (htap → RX ring), the RX ring into
 * the guest kernel. True if anything moved. */
static bool pump_device(lab *l)
{
    static uint8_t pkt[VH + 0x20000];
    bool moved = false;
    ssize_t n;

    while ((n = read(l->gtap, pkt, sizeof(pkt))) > (ssize_t)VH) {
        guest_xmit(l, pkt, (size_t)n);
        moved = true;
    }
    hv_loop_run_once(l->f.loop, 0);
    return guest_harvest(l) > 0 || moved;
}

/* Run the "driver", the device and the flow until the flow is done. */
static double pump_flow(lab *l, flow *fl)
{
    gint64 t0 = g_get_monotonic_time(), limit = t0 + TIMEOUT_S * G_USEC_PER_SEC;

    while (fl->recvd < NET_BYTES && !fl->bad &&
           g_get_monotonic_time() < limit) {
        bool moved = flow_step(fl);

        if (!pump_device(l) && !moved) {
            hv_loop_run_once(l->f.loop, 1);     /* idle: wait a little */
        }
    }
    return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

/* A connection from the guest namespace to the host one. */
static void connect_pair(lab *l, int *guest_end, int *host_end)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(NET_PORT) };
    int one = 1, ns_host, s;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    gint64 limit = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    inet_pton(AF_INET, HOST_IP, &a.sin_addr);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    g_assert_cmpint(bind(ls, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(ls, 1), ==, 0);
    ns_host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(setns(l->ns_guest, CLONE_NEWNET), ==, 0);
    s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    g_assert_cmpint(setns(ns_host, CLONE_NEWNET), ==, 0);
    close(ns_host);
    g_assert_true(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 ||
                  errno == EINPROGRESS);
    *host_end = -1;
    while (*host_end < 0 && g_get_monotonic_time() < limit) {
        if (!pump_device(l)) {
            hv_loop_run_once(l->f.loop, 1);
        }
        *host_end = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    }
    g_assert_cmpint(*host_end, >=, 0);
    *guest_end = s;
    close(ls);
}

static void run(const char *vnet)
{
    g_autofree char *spec = g_strdup_printf("backend=tap,ifname=htap,"
                                            "vnet_hdr=%s", vnet);
    GError *err = NULL;
    lab l = { .ns_orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC) };
    int gs, hs;
    double secs;

    if (!ns_new(&err)) {
        g_test_skip(err->message);
        g_printerr("SKIP: %s: real-TCP e1000 test needs root\n",
                   err->message);
        g_clear_error(&err);
        close(l.ns_orig);
        return;
    }
    l.ns_guest = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    l.gtap = gtap_open();
    g_assert_true(ns_new(&err));
    if (!nic_setup_backend(&l.f, spec, &err)) {
        g_error("%s", err->message);
    }
    if_config("htap", HOST_IP, NULL);
    nic_tx_init(&l.f, 16);
    /* RCTL as Linux's e1000 driver sets it: no SECRC, the device
     * appends the FCS to every frame. */
    nic_rx_init(&l.f, RX_N, E1000_RCTL_EN | E1000_RCTL_BAM);

    connect_pair(&l, &gs, &hs);
    for (int dir = 0; dir < 2; dir++) {
        flow fl = { .tx = dir ? hs : gs, .rx = dir ? gs : hs };

        secs = pump_flow(&l, &fl);
        g_assert_false(fl.bad);
        g_assert_cmpuint(fl.recvd, ==, NET_BYTES);
        printf("# vnet_hdr=%s %s: %u MiB in %.2f s = %.1f MB/s\n", vnet,
               dir ? "host->guest" : "guest->host", NET_BYTES >> 20, secs,
               NET_BYTES / secs / 1e6);
    }
    printf("# driver: %" G_GUINT64_FORMAT " TSO, %" G_GUINT64_FORMAT
           " csum-offload, %" G_GUINT64_FORMAT " plain packets posted; %"
           G_GUINT64_FORMAT " frames received\n", l.tso, l.csum, l.plain,
           l.rx);
    /* The kernel did use the offloads: TSO was exercised. */
    g_assert_cmpuint(l.tso, >, 0);
    g_assert_cmpuint(nic_rd(&l.f, E1000_TSCTFC), ==, 0);
    close(gs);
    close(hs);
    nic_teardown(&l.f);
    close(l.gtap);
    g_assert_cmpint(setns(l.ns_orig, CLONE_NEWNET), ==, 0);
    close(l.ns_orig);
    close(l.ns_guest);
}

/* TSO handed whole to the host kernel through the virtio-net header. */
static void test_gso(void)
{
    run("on");
}

/* TSO segmented by the device itself, every segment's checksums ours. */
static void test_segmented(void)
{
    run("off");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000/kernel-tcp/vnet-hdr", test_gso);
    g_test_add_func("/e1000/kernel-tcp/segmented", test_segmented);
    return g_test_run();
}
