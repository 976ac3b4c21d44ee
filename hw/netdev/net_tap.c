/* SPDX-License-Identifier: MIT */
/*
 * tap backend: a Linux tap interface (/dev/net/tun, IFF_TAP | IFF_NO_PI),
 * created or attached by name, brought up, and optionally enslaved to a
 * bridge (SIOCBRADDIF, what `ip link set TAP master BR` does).
 *
 *   ifname=NAME (or xl's vifname=)  default: the kernel picks hvmemu%d
 *   bridge=BR                       add the tap to bridge BR
 *   vnet_hdr=on|off (default on)    IFF_VNET_HDR: frames carry a
 *                                   struct virtio_net_hdr, so a device can
 *                                   hand over unsegmented TCP packets
 *                                   (hv_net_send_offload). No receive
 *                                   offloads are enabled (TUNSETOFFLOAD
 *                                   0): the kernel only hands us complete
 *                                   frames.
 * Needs CAP_NET_ADMIN (or a persistent tap owned by our user).
 */
#define G_LOG_DOMAIN "netdev"
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/netdev/netdev_internal.h"

typedef struct tap_be {
    hv_net *net;
    int fd;
    hv_watch *watch;
    char name[IFNAMSIZ];
    uint8_t buf[sizeof(struct virtio_net_hdr) + HV_NET_MAX_FRAME];
} tap_be;

static size_t hdr_len(const hv_net *n)
{
    return n->vnet_hdr ? sizeof(struct virtio_net_hdr) : 0;
}

/* One frame behind @hdr (NULL without vnet_hdr). */
static ssize_t tap_write(hv_net *n, const struct virtio_net_hdr *hdr,
                         const struct iovec *iov, int iovcnt)
{
    tap_be *t = n->be;
    struct iovec v[65];
    int k = 0;
    ssize_t r;

    if (iovcnt > 64) {
        return -EINVAL;
    }
    if (hdr) {
        v[k++] = (struct iovec){ (void *)hdr, sizeof(*hdr) };
    }
    memcpy(&v[k], iov, sizeof(*iov) * (size_t)iovcnt);
    r = writev(t->fd, v, k + iovcnt);
    if (r < 0) {
        return (errno == EAGAIN || errno == ENOBUFS) ? 0 : -errno;
    }
    return r - (ssize_t)hdr_len(n);
}

static ssize_t tap_send(hv_net *n, const struct iovec *iov, int iovcnt)
{
    struct virtio_net_hdr hdr = { .flags = 0,
                                  .gso_type = VIRTIO_NET_HDR_GSO_NONE };

    return tap_write(n, n->vnet_hdr ? &hdr : NULL, iov, iovcnt);
}

/* The kernel segments it (tun_get_user → virtio_net_hdr_to_skb): on a
 * bridge to dom0's own stack the packet arrives whole, one ACK for up to
 * 64 KiB instead of one per two segments. The header's fields are in the
 * host's byte order: a tap's header is little-endian only on request
 * (TUNSETVNETLE), native otherwise, and this host is the tap's. */
static ssize_t tap_send_offload(hv_net *n, const hv_net_offload *o,
                                const struct iovec *iov, int iovcnt)
{
    struct virtio_net_hdr hdr = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = (uint8_t)((o->gso_type == HV_NET_GSO_TCPV6
                                   ? VIRTIO_NET_HDR_GSO_TCPV6
                                   : VIRTIO_NET_HDR_GSO_TCPV4) |
                              (o->ecn ? VIRTIO_NET_HDR_GSO_ECN : 0)),
        .hdr_len = o->hdr_len,
        .gso_size = o->gso_size,
        .csum_start = o->csum_start,
        .csum_offset = o->csum_offset,
    };

    return tap_write(n, &hdr, iov, iovcnt);
}

static void tap_readable(void *opaque, uint32_t events)
{
    tap_be *t = opaque;
    size_t hl = hdr_len(t->net);

    for (unsigned i = 0; i < NETDEV_RX_BATCH; i++) {
        struct iovec iov;
        ssize_t r;

        if (!netdev_can_deliver(t->net)) {
            return;
        }
        r = read(t->fd, t->buf, sizeof(t->buf));
        if (r < 0) {
            return;     /* EAGAIN, or the interface went away (EIO) */
        }
        if ((size_t)r <= hl) {
            continue;
        }
        iov.iov_base = t->buf + hl;
        iov.iov_len = (size_t)r - hl;
        netdev_deliver(t->net, &iov, 1);
    }
}

static void tap_poll(hv_net *n, bool on)
{
    tap_be *t = n->be;

    netdev_watch_fd(n, &t->watch, t->fd, tap_readable, t, on);
}

static void tap_close(hv_net *n)
{
    tap_be *t = n->be;

    tap_poll(n, false);
    close(t->fd);
    g_free(t);
}

static const netdev_ops tap_ops = {
    .kind = "tap", .send = tap_send, .send_offload = tap_send_offload,
    .poll = tap_poll, .close = tap_close,
};

static bool ifr_ioctl(const char *what, unsigned long req, struct ifreq *ifr,
                      GError **err)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int r = s < 0 ? -1 : ioctl(s, req, ifr);
    int e = errno;

    if (s >= 0) {
        close(s);
    }
    if (r < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s %s: %s", what,
                    ifr->ifr_name, g_strerror(e));
        return false;
    }
    return true;
}

static bool tap_up_and_bridge(tap_be *t, const char *bridge, GError **err)
{
    struct ifreq ifr = { 0 };

    g_strlcpy(ifr.ifr_name, t->name, IFNAMSIZ);
    if (!ifr_ioctl("SIOCGIFFLAGS", SIOCGIFFLAGS, &ifr, err)) {
        return false;
    }
    ifr.ifr_flags |= IFF_UP;
    if (!ifr_ioctl("bring up", SIOCSIFFLAGS, &ifr, err)) {
        return false;
    }
    if (!bridge) {
        return true;
    }
    memset(&ifr, 0, sizeof(ifr));
    if (strlen(bridge) >= IFNAMSIZ) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "bridge=%s: name too long",
                    bridge);
        return false;
    }
    g_strlcpy(ifr.ifr_name, bridge, IFNAMSIZ);
    ifr.ifr_ifindex = (int)if_nametoindex(t->name);
    return ifr_ioctl("add tap to bridge", SIOCBRADDIF, &ifr, err);
}

static int tap_create(tap_be *t, const char *ifname, bool vnet, GError **err)
{
    struct ifreq ifr = { 0 };
    int hl = sizeof(struct virtio_net_hdr);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "/dev/net/tun: %s (a tap "
                    "needs root or CAP_NET_ADMIN and the tun module: "
                    "modprobe tun)", g_strerror(errno));
        return -1;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
    g_strlcpy(ifr.ifr_name, ifname ? ifname : "hvmemu%d", IFNAMSIZ);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
        (vnet && (ioctl(fd, TUNSETVNETHDRSZ, &hl) < 0 ||
                  ioctl(fd, TUNSETOFFLOAD, 0) < 0))) {
        int e = errno;

        /* EBUSY: a tap of that name is open already (another guest's?);
         * EPERM: not allowed to create one. */
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "tap %s: %s%s", ifr.ifr_name,
                    g_strerror(e),
                    e == EBUSY ? " (in use: choose another ifname=)"
                    : e == EPERM ? " (creating a tap needs root or "
                                   "CAP_NET_ADMIN)" : "");
        close(fd);
        return -1;
    }
    g_strlcpy(t->name, ifr.ifr_name, IFNAMSIZ);
    return fd;
}

bool netdev_tap_open(hv_net *n, hv_opts *opts, GError **err)
{
    const char *ifname = hv_opts_str(opts, "ifname", NULL);
    const char *vifname = hv_opts_str(opts, "vifname", NULL);
    const char *bridge = hv_opts_str(opts, "bridge", NULL);
    tap_be *t;
    bool vnet;

    if (!hv_opts_bool(opts, "vnet_hdr", true, &vnet, err)) {
        return false;
    }
    ifname = ifname ? ifname : vifname;
    if (ifname && strlen(ifname) >= IFNAMSIZ) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "ifname=%s: too long",
                    ifname);
        return false;
    }
    t = g_new0(tap_be, 1);
    t->fd = tap_create(t, ifname, vnet, err);
    if (t->fd < 0) {
        g_free(t);
        return false;
    }
    if (!tap_up_and_bridge(t, bridge, err)) {
        close(t->fd);
        g_free(t);
        return false;
    }
    t->net = n;
    n->be = t;
    n->ops = &tap_ops;
    n->vnet_hdr = vnet;
    n->desc = bridge ? g_strdup_printf("tap %s (bridge %s)", t->name, bridge)
                     : g_strdup_printf("tap %s", t->name);
    return true;
}
