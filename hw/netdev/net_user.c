/* SPDX-License-Identifier: MIT */
/*
 * user backend: user-mode networking through libslirp. No root, no
 * bridge: the guest sits on 10.0.2.0/24, gets 10.0.2.15 by DHCP, reaches
 * the host as 10.0.2.2 and a DNS forwarder at 10.0.2.3.
 *
 * libslirp wants to poll() its sockets for reading and writing; hv_loop
 * only watches fds for input. So the Slirp instance lives on its own
 * thread, which owns it entirely (slirp is not thread-safe), and talks to
 * the loop thread through two frame queues and two eventfds:
 *   device → hv_net_send → tx queue → (wake) → slirp thread → slirp_input
 *   slirp thread: send_packet → rx queue → (eventfd) → loop thread:
 *   netdev_deliver — so the device is only ever called on the loop thread.
 * Both queues are bounded; beyond that frames are dropped (and counted),
 * which slirp explicitly allows ("TCP will handle retransmissions").
 */
#define G_LOG_DOMAIN "netdev"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hw/netdev/netdev_internal.h"

#if __has_include(<libslirp.h>)
#include <arpa/inet.h>
#include <libslirp.h>

#define USER_QUEUE_MAX NETDEV_PENDING_MAX

typedef struct user_timer {
    SlirpTimerId id;
    void *cb_opaque;
    int64_t expire_ms;  /* -1: not armed */
} user_timer;

typedef struct user_be {
    hv_net *net;
    Slirp *slirp;
    GThread *thread;
    int wake_fd;        /* loop → slirp thread: tx frames, quit */
    int rx_fd;          /* slirp thread → loop: rx frames */
    hv_watch *watch;
    GMutex lock;        /* protects the two queues and quit */
    GQueue txq, rxq;    /* GBytes */
    bool quit;
    guint rx_dropped;   /* atomic: frames slirp produced we had to drop */
    GPtrArray *timers;  /* user_timer, slirp thread only (after start) */
    GArray *pfds;       /* struct pollfd, slirp thread only */
} user_be;

static void signal_fd(int fd)
{
    uint64_t one = 1;

    if (write(fd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, the reader wakes up */
    }
}

static void drain_fd(int fd)
{
    uint64_t v;

    if (read(fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing pending */
    }
}

/* ---- slirp callbacks: run on the slirp thread (or in slirp_new) ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    user_be *u = opaque;
    bool was_empty;

    g_mutex_lock(&u->lock);
    if (g_queue_get_length(&u->rxq) >= USER_QUEUE_MAX) {
        g_mutex_unlock(&u->lock);
        g_atomic_int_inc(&u->rx_dropped);
        return (ssize_t)len;
    }
    was_empty = g_queue_is_empty(&u->rxq);
    g_queue_push_tail(&u->rxq, g_bytes_new(buf, len));
    g_mutex_unlock(&u->lock);
    if (was_empty) {
        signal_fd(u->rx_fd);
    }
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    hv_guest_error(G_LOG_DOMAIN, "slirp: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    return (int64_t)hv_now_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
                                 void *opaque)
{
    user_be *u = opaque;
    user_timer *t = g_new0(user_timer, 1);

    t->id = id;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    g_ptr_array_add(u->timers, t);
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    user_be *u = opaque;

    g_ptr_array_remove_fast(u->timers, timer);
    g_free(timer);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    ((user_timer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
}

static const SlirpCb user_cbs = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the slirp thread ---- */

static int add_poll(int fd, int events, void *opaque)
{
    user_be *u = opaque;
    struct pollfd p = { .fd = fd };

    p.events = (short)(((events & SLIRP_POLL_IN) ? POLLIN : 0) |
                       ((events & SLIRP_POLL_OUT) ? POLLOUT : 0) |
                       ((events & SLIRP_POLL_PRI) ? POLLPRI : 0));
    g_array_append_val(u->pfds, p);
    return (int)u->pfds->len - 1;
}

static int get_revents(int idx, void *opaque)
{
    user_be *u = opaque;
    short r = g_array_index(u->pfds, struct pollfd, idx).revents;

    return ((r & POLLIN) ? SLIRP_POLL_IN : 0) |
           ((r & POLLOUT) ? SLIRP_POLL_OUT : 0) |
           ((r & POLLPRI) ? SLIRP_POLL_PRI : 0) |
           ((r & POLLERR) ? SLIRP_POLL_ERR : 0) |
           ((r & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

static uint32_t run_timers(user_be *u, uint32_t timeout)
{
    int64_t now = (int64_t)(hv_now_ns() / 1000000);

    for (guint i = 0; i < u->timers->len; i++) {
        user_timer *t = g_ptr_array_index(u->timers, i);
        if (t->expire_ms < 0) {
            continue;
        }
        if (t->expire_ms <= now) {
            t->expire_ms = -1;
            slirp_handle_timer(u->slirp, t->id, t->cb_opaque);
            return 0;   /* the array may have changed: poll again at once */
        }
        timeout = (uint32_t)MIN((int64_t)timeout, t->expire_ms - now);
    }
    return timeout;
}

/* Frames from the device; false when asked to quit. */
static bool take_tx(user_be *u)
{
    GQueue q = G_QUEUE_INIT;
    bool quit;

    g_mutex_lock(&u->lock);
    q = u->txq;
    g_queue_init(&u->txq);
    quit = u->quit;
    g_mutex_unlock(&u->lock);
    for (GBytes *b; (b = g_queue_pop_head(&q)); g_bytes_unref(b)) {
        gsize len;
        const uint8_t *p = g_bytes_get_data(b, &len);
        slirp_input(u->slirp, p, (int)len);
    }
    return !quit;
}

static gpointer user_thread(gpointer opaque)
{
    user_be *u = opaque;

    while (take_tx(u)) {
        uint32_t timeout = UINT32_MAX;
        struct pollfd wake = { .fd = u->wake_fd, .events = POLLIN };
        int r;

        g_array_set_size(u->pfds, 0);
        g_array_append_val(u->pfds, wake);
        slirp_pollfds_fill(u->slirp, &timeout, add_poll, u);
        timeout = run_timers(u, MIN(timeout, 1000u));
        r = poll((struct pollfd *)u->pfds->data, u->pfds->len, (int)timeout);
        if (r > 0 && g_array_index(u->pfds, struct pollfd, 0).revents) {
            drain_fd(u->wake_fd);
        }
        slirp_pollfds_poll(u->slirp, r < 0, get_revents, u);
    }
    return NULL;
}

/* ---- the loop side ---- */

static ssize_t user_send(hv_net *n, const struct iovec *iov, int iovcnt)
{
    user_be *u = n->be;
    size_t len = netdev_iov_size(iov, iovcnt);
    uint8_t *copy;
    bool was_empty;

    g_mutex_lock(&u->lock);
    if (g_queue_get_length(&u->txq) >= USER_QUEUE_MAX) {
        g_mutex_unlock(&u->lock);
        return 0;
    }
    copy = g_malloc(len);
    netdev_iov_to_buf(iov, iovcnt, copy, len);
    was_empty = g_queue_is_empty(&u->txq);
    g_queue_push_tail(&u->txq, g_bytes_new_take(copy, len));
    g_mutex_unlock(&u->lock);
    if (was_empty) {
        signal_fd(u->wake_fd);
    }
    return (ssize_t)len;
}

static void user_readable(void *opaque, uint32_t events)
{
    user_be *u = opaque;

    drain_fd(u->rx_fd);
    for (unsigned i = 0; i < NETDEV_RX_BATCH; i++) {
        GBytes *b;
        struct iovec iov;
        gsize len;

        if (!netdev_can_deliver(u->net)) {
            return;     /* poll(false) was called; frames stay queued */
        }
        g_mutex_lock(&u->lock);
        b = g_queue_pop_head(&u->rxq);
        g_mutex_unlock(&u->lock);
        if (!b) {
            return;
        }
        iov.iov_base = (void *)g_bytes_get_data(b, &len);
        iov.iov_len = len;
        netdev_deliver(u->net, &iov, 1);
        g_bytes_unref(b);
    }
    /* More left: come back on the next loop iteration (fairness). */
    signal_fd(u->rx_fd);
}

static void user_poll(hv_net *n, bool on)
{
    user_be *u = n->be;
    bool was_on = u->watch != NULL;

    netdev_watch_fd(n, &u->watch, u->rx_fd, user_readable, u, on);
    if (on && !was_on) {
        signal_fd(u->rx_fd);    /* frames may have queued while paused */
    }
}

static void user_close(hv_net *n)
{
    user_be *u = n->be;

    user_poll(n, false);
    g_mutex_lock(&u->lock);
    u->quit = true;
    g_mutex_unlock(&u->lock);
    signal_fd(u->wake_fd);
    g_thread_join(u->thread);
    n->stats.rx_dropped += (guint)g_atomic_int_get(&u->rx_dropped);
    slirp_cleanup(u->slirp);
    g_queue_clear_full(&u->txq, (GDestroyNotify)g_bytes_unref);
    g_queue_clear_full(&u->rxq, (GDestroyNotify)g_bytes_unref);
    g_ptr_array_free(u->timers, TRUE);
    g_array_free(u->pfds, TRUE);
    g_mutex_clear(&u->lock);
    close(u->wake_fd);
    close(u->rx_fd);
    g_free(u);
}

static const netdev_ops user_ops = {
    .kind = "user", .send = user_send, .poll = user_poll,
    .close = user_close,
};

static Slirp *user_slirp_new(user_be *u, bool restricted)
{
    SlirpConfig cfg = {
        .version = 4,
        .restricted = restricted,
        .in_enabled = true,
        .vhostname = "hvmemu",
    };

    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
    inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    return slirp_new(&cfg, &user_cbs, u);
}

bool netdev_user_open(hv_net *n, hv_opts *opts, GError **err)
{
    user_be *u;
    bool restricted;

    if (!hv_opts_bool(opts, "restrict", false, &restricted, err)) {
        return false;
    }
    u = g_new0(user_be, 1);
    u->net = n;
    g_mutex_init(&u->lock);
    g_queue_init(&u->txq);
    g_queue_init(&u->rxq);
    u->timers = g_ptr_array_new();
    u->pfds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    u->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    u->rx_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    u->slirp = (u->wake_fd >= 0 && u->rx_fd >= 0) ?
               user_slirp_new(u, restricted) : NULL;
    if (!u->slirp) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO,
                    "backend=user: cannot start libslirp");
        goto fail;
    }
    /* Only now: slirp_new may have created timers from this thread. */
    u->thread = g_thread_new("hvmemu-slirp", user_thread, u);
    n->be = u;
    n->ops = &user_ops;
    n->desc = g_strdup_printf("user (slirp %s, 10.0.2.0/24%s)",
                              slirp_version_string(),
                              restricted ? ", restricted" : "");
    return true;

fail:
    if (u->wake_fd >= 0) {
        close(u->wake_fd);
    }
    if (u->rx_fd >= 0) {
        close(u->rx_fd);
    }
    g_ptr_array_free(u->timers, TRUE);
    g_array_free(u->pfds, TRUE);
    g_mutex_clear(&u->lock);
    g_free(u);
    return false;
}

#else   /* no libslirp at build time */

bool netdev_user_open(hv_net *n, hv_opts *opts, GError **err)
{
    g_set_error(err, HV_ERROR, HV_ERROR_NOSYS,
                "backend=user: hvmemu was built without libslirp");
    return false;
}

#endif
