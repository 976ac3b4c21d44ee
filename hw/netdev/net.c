/* SPDX-License-Identifier: MIT */
/*
 * hv_net: the backend-independent half of every network backend — option
 * parsing and backend choice, capture, statistics, link state, and the
 * delivery rules of include/hvmemu/net.h (never call the client back from
 * inside its own call; stop reading when it cannot receive).
 */
#define G_LOG_DOMAIN "netdev"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/netdev/netdev_internal.h"

size_t netdev_iov_size(const struct iovec *iov, int iovcnt)
{
    size_t len = 0;

    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    return len;
}

size_t netdev_iov_to_buf(const struct iovec *iov, int iovcnt, void *buf,
                         size_t len)
{
    size_t done = 0;

    for (int i = 0; i < iovcnt && done < len; i++) {
        size_t n = MIN(iov[i].iov_len, len - done);
        memcpy((uint8_t *)buf + done, iov[i].iov_base, n);
        done += n;
    }
    return done;
}

/* ---- the "none" backend: a link with nothing on the other end ---- */

static ssize_t none_send(hv_net *n, const struct iovec *iov, int iovcnt)
{
    return (ssize_t)netdev_iov_size(iov, iovcnt);  /* into the void */
}

static void none_poll(hv_net *n, bool on)
{
}

static void none_close(hv_net *n)
{
}

static const netdev_ops none_ops = {
    .kind = "none", .send = none_send, .poll = none_poll, .close = none_close,
};

/* ---- deferred work: resume delivery, report link changes ---- */

static void deliver_now(hv_net *n, const struct iovec *iov, int iovcnt)
{
    size_t len = netdev_iov_size(iov, iovcnt);

    if (n->pcap) {
        netdev_pcap_write(n->pcap, iov, iovcnt);
    }
    n->stats.rx_frames++;
    n->stats.rx_bytes += len;
    n->client->receive(n->client_opaque, iov, iovcnt);
}

static bool client_ready(hv_net *n)
{
    return n->client && n->link_up &&
           (!n->client->can_receive ||
            n->client->can_receive(n->client_opaque));
}

static void flush_pending(hv_net *n)
{
    /* Bounded: the queue only shrinks here. */
    while (!g_queue_is_empty(&n->pending) && client_ready(n)) {
        GBytes *b = g_queue_pop_head(&n->pending);
        gsize len;
        struct iovec iov;

        iov.iov_base = (void *)g_bytes_get_data(b, &len);
        iov.iov_len = len;
        deliver_now(n, &iov, 1);
        g_bytes_unref(b);
    }
}

static void kick_cb(void *opaque)
{
    hv_net *n = opaque;

    if (n->link_up != n->link_reported) {
        n->link_reported = n->link_up;
        if (n->client && n->client->link_changed) {
            n->client->link_changed(n->client_opaque, n->link_up);
        }
    }
    flush_pending(n);
    if (!n->want_poll && g_queue_is_empty(&n->pending) && client_ready(n)) {
        n->want_poll = true;
        n->ops->poll(n, true);
    }
}

static void kick(hv_net *n)
{
    if (n->kick) {
        hv_timer_arm_ns(n->kick, 0);
    }
}

bool netdev_can_deliver(hv_net *n)
{
    if (!n->client || !n->link_up) {
        return true;    /* read and drop: nobody is listening */
    }
    if (client_ready(n) && g_queue_is_empty(&n->pending)) {
        return true;
    }
    if (n->want_poll) {
        n->want_poll = false;   /* hv_net_resume turns it back on */
        n->ops->poll(n, false);
    }
    return false;
}

void netdev_deliver(hv_net *n, const struct iovec *iov, int iovcnt)
{
    size_t len = netdev_iov_size(iov, iovcnt);

    if (!n->client || !n->link_up || len > HV_NET_MAX_FRAME) {
        n->stats.rx_dropped++;
        return;
    }
    if (g_queue_is_empty(&n->pending) && client_ready(n)) {
        deliver_now(n, iov, iovcnt);
        return;
    }
    if (g_queue_get_length(&n->pending) >= NETDEV_PENDING_MAX) {
        n->stats.rx_dropped++;
        return;
    }
    {
        uint8_t *copy = g_malloc(len);
        netdev_iov_to_buf(iov, iovcnt, copy, len);
        g_queue_push_tail(&n->pending, g_bytes_new_take(copy, len));
    }
}

void netdev_link_event(hv_net *n, bool up)
{
    hv_net_set_link(n, up);
}

/* ---- public API ---- */

static const char *default_backend(hv_opts *opts)
{
    const char *b = hv_opts_str(opts, "backend", NULL);

    if (b) {
        return b;
    }
    /* bridge= only makes sense with a tap: xl vif specs imply it. */
    return hv_opts_str(opts, "bridge", NULL) ? "tap" : "user";
}

static bool open_backend(hv_net *n, hv_opts *opts, GError **err)
{
    const char *b = default_backend(opts);

    if (hv_opts_str(opts, "bridge", NULL) && !g_str_equal(b, "tap")) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "bridge= needs backend=tap (not %s)", b);
        return false;
    }

    if (g_str_equal(b, "none")) {
        n->ops = &none_ops;
        n->desc = g_strdup("none");
        return true;
    }
    if (!n->loop) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "backend=%s needs an event loop", b);
        return false;
    }
    if (g_str_equal(b, "socket")) {
        return netdev_socket_open(n, opts, err);
    }
    if (g_str_equal(b, "tap")) {
        return netdev_tap_open(n, opts, err);
    }
    if (g_str_equal(b, "user")) {
        return netdev_user_open(n, opts, err);
    }
    g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                "backend=%s: unknown (user, tap, socket, none)", b);
    return false;
}

hv_net *hv_net_open(hv_loop *loop, hv_opts *opts, GError **err)
{
    hv_net *n = g_new0(hv_net, 1);
    const char *capture = hv_opts_str(opts, "capture", NULL);

    n->loop = loop;
    n->link_up = n->link_reported = true;
    g_queue_init(&n->pending);
    if (!open_backend(n, opts, err)) {
        goto fail;
    }
    if (capture) {
        n->pcap = netdev_pcap_open(capture, err);
        if (!n->pcap) {
            goto fail_backend;
        }
    }
    if (loop) {
        n->kick = hv_timer_new(loop, kick_cb, n);
        if (!n->kick) {
            g_set_error(err, HV_ERROR, HV_ERROR_IO, "timerfd: %s",
                        g_strerror(errno));
            goto fail_backend;
        }
    }
    return n;

fail_backend:
    netdev_pcap_close(n->pcap);
    n->ops->close(n);
fail:
    g_free(n->desc);
    g_free(n);
    return NULL;
}

hv_net *hv_net_open_spec(hv_loop *loop, const char *spec, GError **err)
{
    hv_opts *opts = hv_opts_parse(spec, err);
    hv_net *n;

    if (!opts) {
        return NULL;
    }
    n = hv_net_open(loop, opts, err);
    if (n && !hv_opts_check_used(opts, "net", err)) {
        hv_net_close(n);
        n = NULL;
    }
    hv_opts_free(opts);
    return n;
}

void hv_net_attach(hv_net *n, const hv_net_client_ops *ops, void *opaque)
{
    n->client = ops;
    n->client_opaque = opaque;
    n->want_poll = true;
    n->ops->poll(n, true);
}

void hv_net_close(hv_net *n)
{
    if (!n) {
        return;
    }
    n->ops->close(n);
    hv_timer_free(n->kick);
    netdev_pcap_close(n->pcap);
    g_queue_clear_full(&n->pending, (GDestroyNotify)g_bytes_unref);
    g_free(n->desc);
    g_free(n);
}

static ssize_t net_send(hv_net *n, const hv_net_offload *o,
                        const struct iovec *iov, int iovcnt)
{
    size_t len = netdev_iov_size(iov, iovcnt);
    ssize_t r;

    if (n->pcap) {
        netdev_pcap_write(n->pcap, iov, iovcnt);
    }
    if (!n->link_up || len > HV_NET_MAX_FRAME) {
        n->stats.tx_dropped++;
        return 0;
    }
    if (o && !(n->vnet_hdr && n->ops->send_offload)) {
        n->stats.tx_dropped++;
        return -ENOTSUP;
    }
    r = o ? n->ops->send_offload(n, o, iov, iovcnt)
          : n->ops->send(n, iov, iovcnt);
    if (r <= 0) {
        n->stats.tx_dropped++;
        return r;
    }
    n->stats.tx_frames++;
    n->stats.tx_bytes += len;
    return r;
}

ssize_t hv_net_send(hv_net *n, const struct iovec *iov, int iovcnt)
{
    return net_send(n, NULL, iov, iovcnt);
}

ssize_t hv_net_send_offload(hv_net *n, const hv_net_offload *o,
                            const struct iovec *iov, int iovcnt)
{
    return net_send(n, o, iov, iovcnt);
}

void hv_net_resume(hv_net *n)
{
    if (!n->want_poll || !g_queue_is_empty(&n->pending)) {
        kick(n);
    }
}

bool hv_net_link_up(const hv_net *n)
{
    return n->link_up;
}

void hv_net_set_link(hv_net *n, bool up)
{
    n->link_up = up;
    kick(n);
}

bool hv_net_has_vnet_hdr(const hv_net *n)
{
    return n->vnet_hdr;
}

const char *hv_net_describe(const hv_net *n)
{
    return n->desc;
}

void hv_net_get_stats(const hv_net *n, hv_net_stats *st)
{
    *st = n->stats;
}

bool hv_net_parse_mac(const char *text, uint8_t mac[6], GError **err)
{
    unsigned b[6];
    char sep[5], tail;

    if (sscanf(text, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &b[0], &sep[0], &b[1],
               &sep[1], &b[2], &sep[2], &b[3], &sep[3], &b[4], &sep[4], &b[5],
               &tail) != 11 || strlen(text) != 17) {
        goto bad;
    }
    for (int i = 0; i < 5; i++) {
        if (sep[i] != sep[0] || (sep[i] != ':' && sep[i] != '-')) {
            goto bad;
        }
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = (uint8_t)b[i];
    }
    if (mac[0] & 1) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "mac=%s is a multicast address", text);
        return false;
    }
    return true;

bad:
    g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                "mac=%s: expected xx:xx:xx:xx:xx:xx", text);
    return false;
}

void hv_net_random_mac(uint8_t mac[6])
{
    uint32_t r = g_random_int();

    mac[0] = 0x00;      /* Xen's OUI, as xl uses for vifs */
    mac[1] = 0x16;
    mac[2] = 0x3e;
    mac[3] = (r >> 16) & 0x7f;  /* xl keeps the top bit clear */
    mac[4] = (r >> 8) & 0xff;
    mac[5] = r & 0xff;
}

void netdev_watch_fd(hv_net *n, hv_watch **w, int fd, hv_fd_cb cb,
                     void *opaque, bool on)
{
    if (on && !*w) {
        *w = hv_loop_add_fd(n->loop, fd, cb, opaque);
    } else if (!on && *w) {
        hv_loop_remove(n->loop, *w);
        *w = NULL;
    }
}
