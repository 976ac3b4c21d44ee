/* SPDX-License-Identifier: MIT */
/* Network backends through the hv_net seam: socket (unix, udp, fd),
 * capture files, back-pressure, link notifications, option errors. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"
#include "hvmemu/net.h"

typedef struct client {
    hv_net *net;
    bool ready;
    unsigned frames;
    size_t last_len;
    uint8_t last[2048];
    int links;
    bool link;
} client;

static void c_receive(void *opaque, const struct iovec *iov, int iovcnt)
{
    client *c = opaque;
    size_t len = 0;

    for (int i = 0; i < iovcnt; i++) {
        memcpy(c->last + len, iov[i].iov_base, MIN(iov[i].iov_len,
                                                   sizeof(c->last) - len));
        len += iov[i].iov_len;
    }
    c->last_len = len;
    c->frames++;
}

static bool c_can_receive(void *opaque)
{
    return ((client *)opaque)->ready;
}

static void c_link(void *opaque, bool up)
{
    client *c = opaque;

    c->links++;
    c->link = up;
}

static const hv_net_client_ops c_ops = {
    .receive = c_receive, .can_receive = c_can_receive,
    .link_changed = c_link,
};

static void pump(hv_loop *loop)
{
    for (int i = 0; i < 100 && hv_loop_run_once(loop, 10) > 0; i++) {
    }
}

static ssize_t send_buf(hv_net *n, const void *buf, size_t len)
{
    struct iovec iov = { (void *)buf, len };

    return hv_net_send(n, &iov, 1);
}

static void link_pair(const char *spec_a, const char *spec_b)
{
    hv_loop *loop = hv_loop_new();
    GError *err = NULL;
    client a = { .ready = true }, b = { .ready = true };
    uint8_t frame[100];
    hv_net_stats st;

    a.net = hv_net_open_spec(loop, spec_a, &err);
    g_assert_no_error(err);
    b.net = hv_net_open_spec(loop, spec_b, &err);
    g_assert_no_error(err);
    hv_net_attach(a.net, &c_ops, &a);
    hv_net_attach(b.net, &c_ops, &b);
    for (unsigned i = 0; i < sizeof(frame); i++) {
        frame[i] = (uint8_t)i;
    }
    g_assert_cmpint(send_buf(a.net, frame, 60), ==, 60);
    pump(loop);
    g_assert_cmpuint(b.frames, ==, 1);
    g_assert_cmpmem(b.last, b.last_len, frame, 60);
    g_assert_cmpint(send_buf(b.net, frame, 99), ==, 99);
    pump(loop);
    g_assert_cmpuint(a.frames, ==, 1);
    g_assert_cmpuint(a.last_len, ==, 99);
    /* Back-pressure: b cannot receive → frames wait, nothing lost. */
    b.ready = false;
    for (int i = 0; i < 3; i++) {
        send_buf(a.net, frame, 70);
    }
    pump(loop);
    g_assert_cmpuint(b.frames, ==, 1);
    b.ready = true;
    hv_net_resume(b.net);
    g_assert_cmpuint(b.frames, ==, 1);  /* never from inside the call */
    pump(loop);
    g_assert_cmpuint(b.frames, ==, 4);
    hv_net_get_stats(b.net, &st);
    g_assert_cmpuint(st.rx_frames, ==, 4);
    g_assert_cmpuint(st.tx_frames, ==, 1);
    g_assert_cmpuint(st.rx_dropped, ==, 0);
    /* No virtio-net header on this backend: an unsegmented packet is
     * refused and counted, never sent as if it were a frame. */
    {
        hv_net_offload o = { .gso_type = HV_NET_GSO_TCPV4, .hdr_len = 54,
                             .gso_size = 10, .csum_start = 34,
                             .csum_offset = 16 };
        struct iovec iov = { frame, sizeof(frame) };

        g_assert_false(hv_net_has_vnet_hdr(a.net));
        g_assert_cmpint(hv_net_send_offload(a.net, &o, &iov, 1), ==,
                        -ENOTSUP);
        hv_net_get_stats(a.net, &st);
        g_assert_cmpuint(st.tx_dropped, ==, 1);
        pump(loop);
        g_assert_cmpuint(b.frames, ==, 4);
    }
    /* Link down: sends are dropped, the client hears about it later. */
    hv_net_set_link(a.net, false);
    g_assert_cmpint(a.links, ==, 0);
    pump(loop);
    g_assert_cmpint(a.links, ==, 1);
    g_assert_false(a.link);
    g_assert_cmpint(send_buf(a.net, frame, 60), ==, 0);
    hv_net_close(a.net);
    hv_net_close(b.net);
    hv_loop_free(loop);
}

static void test_unix(void)
{
    g_autofree char *dir = g_dir_make_tmp("hvmemu-netdev-XXXXXX", NULL);
    g_autofree char *pa = g_build_filename(dir, "a", NULL);
    g_autofree char *pb = g_build_filename(dir, "b", NULL);
    g_autofree char *sa = g_strdup_printf("backend=socket,socket=unix:%s:%s",
                                          pa, pb);
    g_autofree char *sb = g_strdup_printf("backend=socket,socket=unix:%s:%s",
                                          pb, pa);

    link_pair(sa, sb);
    g_assert_false(g_file_test(pa, G_FILE_TEST_EXISTS));  /* cleaned up */
    rmdir(dir);
}

/* Two distinct UDP ports that were free a moment ago (kernel's choice). */
static void free_udp_ports(unsigned *p, unsigned *q)
{
    int fd[2];

    for (int i = 0; i < 2; i++) {
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t len = sizeof(a);

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd[i] = socket(AF_INET, SOCK_DGRAM, 0);
        g_assert_cmpint(bind(fd[i], (struct sockaddr *)&a, sizeof(a)), ==, 0);
        g_assert_cmpint(getsockname(fd[i], (struct sockaddr *)&a, &len), ==,
                        0);
        *(i ? q : p) = ntohs(a.sin_port);
    }
    close(fd[0]);
    close(fd[1]);
}

static void test_udp(void)
{
    unsigned p, q;
    g_autofree char *sa = NULL, *sb = NULL;

    free_udp_ports(&p, &q);
    sa = g_strdup_printf("backend=socket,socket=udp:127.0.0.1:%u:%u", q, p);
    sb = g_strdup_printf("backend=socket,socket=udp:127.0.0.1:%u:%u", p, q);
    link_pair(sa, sb);
}

static void test_capture(void)
{
    hv_loop *loop = hv_loop_new();
    g_autofree char *dir = g_dir_make_tmp("hvmemu-netdev-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "c.pcap", NULL);
    g_autofree char *spec = NULL;
    g_autofree char *data = NULL;
    GError *err = NULL;
    client c = { .ready = true };
    int sv[2];
    uint8_t frame[64];
    gsize len;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), ==, 0);
    spec = g_strdup_printf("backend=socket,socket=fd:%d,capture=%s", sv[1],
                           path);
    c.net = hv_net_open_spec(loop, spec, &err);
    g_assert_no_error(err);
    hv_net_attach(c.net, &c_ops, &c);
    memset(frame, 0x42, sizeof(frame));
    send_buf(c.net, frame, 64);
    memset(frame, 0x43, sizeof(frame));
    g_assert_cmpint(send(sv[0], frame, 50, 0), ==, 50);
    pump(loop);
    g_assert_cmpuint(c.frames, ==, 1);
    hv_net_close(c.net);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, ==, 24 + 16 + 64 + 16 + 50);
    g_assert_cmphex(*(uint32_t *)data, ==, 0xa1b2c3d4);
    g_assert_cmpuint(*(uint16_t *)(data + 4), ==, 2);
    g_assert_cmpuint(*(uint32_t *)(data + 24 + 8), ==, 64);
    g_assert_cmphex((uint8_t)data[24 + 16], ==, 0x42);
    g_assert_cmpuint(*(uint32_t *)(data + 24 + 16 + 64 + 8), ==, 50);
    g_assert_cmphex((uint8_t)data[24 + 16 + 64 + 16], ==, 0x43);
    close(sv[0]);
    unlink(path);
    rmdir(dir);
    hv_loop_free(loop);
}

/* user (libslirp): the virtual host 10.0.2.2 answers ARP. */
static void test_user_arp(void)
{
    static const uint8_t arp[42] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x16, 0x3e, 0, 0, 1,
        0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
        0x00, 0x16, 0x3e, 0, 0, 1, 10, 0, 2, 15,
        0, 0, 0, 0, 0, 0, 10, 0, 2, 2,
    };
    hv_loop *loop = hv_loop_new();
    GError *err = NULL;
    client c = { .ready = true };
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    c.net = hv_net_open_spec(loop, "", &err);   /* the default backend */
    if (err && err->code == HV_ERROR_NOSYS) {
        g_test_skip(err->message);
        g_clear_error(&err);
        hv_loop_free(loop);
        return;
    }
    g_assert_no_error(err);
    g_assert_true(g_str_has_prefix(hv_net_describe(c.net), "user"));
    hv_net_attach(c.net, &c_ops, &c);
    g_assert_cmpint(send_buf(c.net, arp, sizeof(arp)), ==, sizeof(arp));
    while (c.frames == 0 && g_get_monotonic_time() < deadline) {
        hv_loop_run_once(loop, 100);
    }
    g_assert_cmpuint(c.frames, ==, 1);
    g_assert_cmpuint(c.last_len, >=, 42);
    g_assert_cmpmem(c.last, 6, arp + 6, 6);             /* to us */
    g_assert_cmphex(c.last[21], ==, 2);                 /* ARP reply */
    g_assert_cmpmem(c.last + 28, 4, "\x0a\x00\x02\x02", 4);
    hv_net_close(c.net);
    hv_loop_free(loop);
}

/* tap: frames cross to the host stack, seen by a packet socket on the
 * interface. Needs CAP_NET_ADMIN and /dev/net/tun: skipped otherwise. */
static void tap_roundtrip(bool vnet)
{
    hv_loop *loop = hv_loop_new();
    GError *err = NULL;
    client c = { .ready = true };
    g_autofree char *name = g_strdup_printf("hvt%u%c", (unsigned)getpid(),
                                            vnet ? 'v' : 'p');
    g_autofree char *spec = g_strdup_printf("backend=tap,ifname=%s,"
                                            "vnet_hdr=%s", name,
                                            vnet ? "on" : "off");
    struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                               .sll_protocol = htons(ETH_P_ALL) };
    uint8_t frame[60], got[2048];
    int ps, n = -1;

    c.net = hv_net_open_spec(loop, spec, &err);
    if (!c.net) {
        g_test_skip(err->message);
        g_clear_error(&err);
        hv_loop_free(loop);
        return;
    }
    g_assert_cmpint(hv_net_has_vnet_hdr(c.net), ==, vnet);
    hv_net_attach(c.net, &c_ops, &c);
    ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    g_assert_cmpint(ps, >=, 0);
    sll.sll_ifindex = (int)if_nametoindex(name);
    g_assert_cmpint(sll.sll_ifindex, >, 0);
    g_assert_cmpint(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    /* guest → host: a frame with a private ethertype. */
    memset(frame, 0, sizeof(frame));
    memset(frame, 0xff, 6);
    memcpy(frame + 6, "\x00\x16\x3e\x00\x00\x09", 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;       /* local experimental ethertype */
    frame[20] = 0x5a;
    g_assert_cmpint(send_buf(c.net, frame, sizeof(frame)), ==, 60);
    for (int i = 0; i < 20; i++) {
        n = (int)recv(ps, got, sizeof(got), MSG_DONTWAIT);
        if (n == 60 && got[12] == 0x88 && got[13] == 0xb5) {
            break;
        }
        n = -1;
        g_usleep(10000);
    }
    g_assert_cmpint(n, ==, 60);
    g_assert_cmpmem(got, 60, frame, 60);
    /* host → guest */
    frame[20] = 0xa5;
    memcpy(frame, "\x00\x16\x3e\x00\x00\x09", 6);
    g_assert_cmpint(send(ps, frame, sizeof(frame), 0), ==, 60);
    for (int i = 0; i < 50 && !c.frames; i++) {
        hv_loop_run_once(loop, 20);
    }
    g_assert_cmpuint(c.frames, >=, 1);
    close(ps);
    hv_net_close(c.net);
    hv_loop_free(loop);
}

static void test_tap(void)
{
    tap_roundtrip(false);
}

static void test_tap_vnet(void)
{
    tap_roundtrip(true);
}

/* A tap name another process (here: another open) holds: one line that
 * says so and what to change. */
static void test_tap_busy(void)
{
    hv_loop *loop = hv_loop_new();
    g_autofree char *spec = g_strdup_printf("backend=tap,ifname=hvt%ub",
                                            (unsigned)getpid());
    GError *err = NULL;
    hv_net *first = hv_net_open_spec(loop, spec, &err);

    if (!first) {
        g_test_skip(err->message);
        g_clear_error(&err);
        hv_loop_free(loop);
        return;
    }
    g_assert_null(hv_net_open_spec(loop, spec, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "in use: choose another ifname="));
    g_clear_error(&err);
    hv_net_close(first);
    hv_loop_free(loop);
}

static void test_errors(void)
{
    hv_loop *loop = hv_loop_new();
    static const char *const bad[] = {
        "backend=socket",
        "backend=socket,socket=tcp:1.2.3.4:5",
        "backend=socket,socket=udp:127.0.0.1",
        "backend=socket,socket=udp:127.0.0.1:1:0",
        "backend=socket,socket=fd:99999",
        "backend=socket,socket=fd:0,capture=/nonexistent/dir/x.pcap",
        "backend=none,mystery=1",
        "backend=carrier-pigeon",
        "backend=user,bridge=xenbr0",
        "backend=socket,socket=fd:0,ifname=tap0",
        NULL,
    };

    for (unsigned i = 0; bad[i]; i++) {
        GError *err = NULL;
        g_assert_null(hv_net_open_spec(loop, bad[i], &err));
        g_assert_nonnull(err);
        g_test_message("%s: %s", bad[i], err->message);
        g_clear_error(&err);
    }
    hv_loop_free(loop);
}

static void test_mac(void)
{
    uint8_t mac[6];
    GError *err = NULL;

    g_assert_true(hv_net_parse_mac("00:16:3e:0a:0B:ff", mac, &err));
    g_assert_cmpmem(mac, 6, "\x00\x16\x3e\x0a\x0b\xff", 6);
    g_assert_true(hv_net_parse_mac("00-16-3e-00-00-01", mac, &err));
    g_assert_false(hv_net_parse_mac("00:16:3e:00:00", mac, &err));
    g_clear_error(&err);
    g_assert_false(hv_net_parse_mac("00:16:3e:00:00:01:02", mac, &err));
    g_clear_error(&err);
    g_assert_false(hv_net_parse_mac("00:16-3e:00:00:01", mac, &err));
    g_clear_error(&err);
    for (int i = 0; i < 100; i++) {
        hv_net_random_mac(mac);
        g_assert_cmpmem(mac, 3, "\x00\x16\x3e", 3);
        g_assert_cmphex(mac[3] & 0x80, ==, 0);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/netdev/socket-unix", test_unix);
    g_test_add_func("/netdev/socket-udp", test_udp);
    g_test_add_func("/netdev/capture", test_capture);
    g_test_add_func("/netdev/user-arp", test_user_arp);
    g_test_add_func("/netdev/tap", test_tap);
    g_test_add_func("/netdev/tap-vnet-hdr", test_tap_vnet);
    g_test_add_func("/netdev/tap-busy", test_tap_busy);
    g_test_add_func("/netdev/errors", test_errors);
    g_test_add_func("/netdev/mac", test_mac);
    return g_test_run();
}
