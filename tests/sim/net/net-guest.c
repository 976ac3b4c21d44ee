// SPDX-License-Identifier: MIT
/* Guest and network side of the e1000 simulated-Xen tests: net-guest.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "net-guest.h"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static int bind_unix(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(sun.sun_path));
    strcpy(sun.sun_path, path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    return fd;
}

void ng_start(net_env *e, const char *extra)
{
    g_autofree char *spec = NULL;

    memset(e, 0, sizeof(*e));
    e->dir = g_dir_make_tmp("hvmemu-sim-net-XXXXXX", NULL);
    g_assert_nonnull(e->dir);
    e->nic_sock = g_build_filename(e->dir, "nic.sock", NULL);
    e->peer_sock = g_build_filename(e->dir, "peer.sock", NULL);
    e->pcap = g_build_filename(e->dir, "cap.pcap", NULL);
    /* Bound before hvmemu starts, so its first frame has somewhere to go. */
    e->peer = bind_unix(e->peer_sock);
    spec = g_strdup_printf("mac=" NG_MAC ",model=e1000,backend=socket,"
                           "socket=unix:%s:%s,capture=%s,addr=00:04.0%s%s",
                           e->nic_sock, e->peer_sock, e->pcap,
                           extra ? "," : "", extra ? extra : "");
    e->h = simh_new(&(simh_opts){ .vcpus = 1 });
    g_assert_true(simh_start_hvmemu(e->h, (const char *[]){ "--nic", spec,
                                                            NULL }, 1));
    e->g = simh_guest(e->h, 0);
    /* The machine is busy (other labs run alongside): be patient. */
    xs_guest_set_timeout(e->g, 20000);
}

void ng_stop(net_env *e)
{
    g_assert_cmpint(simh_stop_hvmemu(e->h, SIGTERM, 10000), ==, 0);
    simh_free(e->h);
    close(e->peer);
    /* hvmemu unlinks its own socket on exit: check it did. */
    g_assert_false(g_file_test(e->nic_sock, G_FILE_TEST_EXISTS));
    g_unlink(e->peer_sock);
    g_unlink(e->pcap);
    g_rmdir(e->dir);
    g_free(e->nic_sock);
    g_free(e->peer_sock);
    g_free(e->pcap);
    g_free(e->dir);
}

void ng_pci_setup(net_env *e)
{
    g_assert_cmpint(xs_guest_pci_write(e->g, 0, NG_DEV, 0, 0x10, 4, NG_MMIO),
                    ==, 0);
    g_assert_cmpint(xs_guest_pci_write(e->g, 0, NG_DEV, 0, 0x14, 4, NG_IO),
                    ==, 0);
    /* I/O space, memory space, bus master (PCI 3.0, 6.2.2). */
    g_assert_cmpint(xs_guest_pci_write(e->g, 0, NG_DEV, 0, 0x04, 2, 0x7),
                    ==, 0);
}

uint32_t ng_rd(net_env *e, unsigned reg)
{
    uint64_t v = 0;

    g_assert_cmpint(xs_guest_mmio_read(e->g, NG_MMIO + reg, 4, &v), ==, 0);
    return (uint32_t)v;
}

void ng_wr(net_env *e, unsigned reg, uint32_t v)
{
    g_assert_cmpint(xs_guest_mmio_write(e->g, NG_MMIO + reg, 4, v), ==, 0);
}

uint8_t ng_peek8(net_env *e, uint64_t gpa)
{
    uint8_t b = 0;

    g_assert_cmpint(xs_guest_mem_read(e->g, gpa, &b, 1), ==, 0);
    return b;
}

void ng_tx_init(net_env *e, unsigned n)
{
    g_autofree uint8_t *zero = g_malloc0(n * 16);

    g_assert_cmpint(xs_guest_mem_write(e->g, NG_TX_RING, zero, n * 16), ==,
                    0);
    e->tx_n = n;
    e->tx_tail = 0;
    ng_wr(e, R_TDBAL, NG_TX_RING);
    ng_wr(e, R_TDBAH, 0);
    ng_wr(e, R_TDLEN, n * 16);
    ng_wr(e, R_TDH, 0);
    ng_wr(e, R_TDT, 0);
    ng_wr(e, R_TCTL, TCTL_EN | TCTL_PSP);
}

void ng_tx_queue(net_env *e, const void *frame, uint16_t len)
{
    uint64_t buf = NG_TX_BUF + e->tx_tail * 2048u;
    uint8_t d[16] = { 0 };

    g_assert_cmpuint(len, <=, 2048);
    g_assert_cmpint(xs_guest_mem_write(e->g, buf, frame, len), ==, 0);
    put_le(d, buf, 8);
    put_le(d + 8, len, 2);
    d[11] = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
    g_assert_cmpint(xs_guest_mem_write(e->g, NG_TX_RING + e->tx_tail * 16,
                                       d, 16), ==, 0);
    e->tx_tail = (e->tx_tail + 1) % e->tx_n;
}

void ng_tx_doorbell(net_env *e)
{
    ng_wr(e, R_TDT, e->tx_tail);
}

void ng_tx_wait_dd(net_env *e, unsigned i)
{
    int64_t deadline = simh_now_ms() + 10000;

    while (!(ng_peek8(e, NG_TX_RING + i * 16 + 12) & TXD_STA_DD)) {
        g_assert_cmpint(simh_now_ms(), <, deadline);
        g_usleep(1000);
    }
}

void ng_rx_init(net_env *e, unsigned n, uint32_t rctl)
{
    g_autofree uint8_t *ring = g_malloc0(n * 16);

    for (unsigned i = 0; i < n; i++) {
        put_le(ring + i * 16, NG_RX_BUF + i * 2048u, 8);
    }
    g_assert_cmpint(xs_guest_mem_write(e->g, NG_RX_RING, ring, n * 16), ==,
                    0);
    e->rx_n = n;
    e->rx_next = 0;
    ng_wr(e, R_RDBAL, NG_RX_RING);
    ng_wr(e, R_RDBAH, 0);
    ng_wr(e, R_RDLEN, n * 16);
    ng_wr(e, R_RDH, 0);
    ng_wr(e, R_RDT, n - 1);
    ng_wr(e, R_RCTL, rctl);     /* BSIZE 00b, BSEX 0: 2048 bytes */
}

unsigned ng_rx_wait(net_env *e, uint8_t *buf, size_t cap, uint8_t *status)
{
    uint64_t da = NG_RX_RING + e->rx_next * 16;
    int64_t deadline = simh_now_ms() + 10000;
    uint8_t d[16];
    unsigned len;

    for (;;) {
        g_assert_cmpint(xs_guest_mem_read(e->g, da, d, 16), ==, 0);
        if (d[12] & RXD_STA_DD) {
            break;
        }
        g_assert_cmpint(simh_now_ms(), <, deadline);
        g_usleep(1000);
    }
    len = d[8] | (unsigned)d[9] << 8;
    *status = d[12];
    g_assert_cmpint(xs_guest_mem_read(e->g, NG_RX_BUF + e->rx_next * 2048u,
                                      buf, MIN(cap, len)), ==, 0);
    e->rx_next = (e->rx_next + 1) % e->rx_n;
    return len;
}

void ng_peer_send(net_env *e, const void *frame, size_t len)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };

    strcpy(sun.sun_path, e->nic_sock);
    g_assert_cmpint(sendto(e->peer, frame, len, 0, (struct sockaddr *)&sun,
                           sizeof(sun)), ==, (ssize_t)len);
}

int ng_peer_recv(net_env *e, void *buf, size_t cap, int timeout_ms)
{
    struct pollfd p = { .fd = e->peer, .events = POLLIN };

    if (poll(&p, 1, timeout_ms) != 1) {
        return -1;
    }
    return (int)recv(e->peer, buf, cap, MSG_DONTWAIT);
}

size_t ng_frame(uint8_t *f, size_t len, const uint8_t dst[6], unsigned seed)
{
    static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
    uint32_t x = seed * 2654435761u + 1;

    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    for (size_t i = 14; i < len; i++) {
        x = x * 1103515245u + 12345u;
        f[i] = (uint8_t)(x >> 16);
    }
    return len;
}

uint32_t ng_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        }
    }
    return ~c;
}
