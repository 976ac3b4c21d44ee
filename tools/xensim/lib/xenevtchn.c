// SPDX-License-Identifier: MIT
/*
 * Replacement libxenevtchn.so.1, behaving like /dev/xen/evtchn: each handle
 * has one descriptor (a pipe the simulator writes to) that becomes readable
 * when a bound port fires; xenevtchn_pending() reads one port number; the
 * port then stays masked until xenevtchn_unmask(), and an event arriving
 * meanwhile is kept pending and delivered on unmask (Linux's evtchn driver
 * disables the IRQ on delivery and re-enables it on unmask).
 * The pending and mask bits are shared with the simulator (xs_evt_shared,
 * like Xen's shared_info bitmaps), so unmasking is a local bit operation;
 * notify (and an unmask that finds the port pending) is a one-way message,
 * cheap and ordered like the ioctl/write it stands for.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenevtchn.h>

#include "client.h"
#include "xs-toolcore.h"

struct xenevtchn_handle {
    xs_active_handle tc;      /* first: xentoolcore casts to it */
    xs_client c;
    int fd;                   /* read end of the event pipe */
    xs_evt_shared *shared;    /* pending/mask bits (see proto.h) */
    domid_t restricted;
    pthread_mutex_t lock;     /* protects ports */
    evtchn_port_t *ports;     /* bound local ports, to reject bad ones */
    size_t nports, cap;
};

static int evt_restrict_cb(xs_active_handle *ah, domid_t domid)
{
    return xenevtchn_restrict((xenevtchn_handle *)ah, domid);
}

static int map_shared(xenevtchn_handle *h)
{
    xs_msg m = { .h.op = XS_OP_EVT_SHARED };
    int fd = -1;

    if (xs_client_call(&h->c, &m, NULL, 0, NULL, 0, NULL, &fd) < 0) {
        return -1;
    }
    if (fd < 0) {
        errno = EPROTO;
        return -1;
    }
    void *p = mmap(NULL, sizeof(*h->shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        errno = e;
        return -1;
    }
    h->shared = p;
    return 0;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
                                 unsigned int flags)
{
    xenevtchn_handle *h = calloc(1, sizeof(*h));

    if (!h) {
        return NULL;
    }
    if (xs_client_open(&h->c, XS_KIND_EVTCHN, 0, NULL, &h->fd) < 0) {
        int e = errno;
        free(h);
        errno = e;
        return NULL;
    }
    if (h->fd < 0) {
        xs_client_close(&h->c);
        free(h);
        errno = EPROTO;
        return NULL;
    }
    if (map_shared(h) < 0) {
        int e = errno;
        close(h->fd);
        xs_client_close(&h->c);
        free(h);
        errno = e;
        return NULL;
    }
    if (flags & XENEVTCHN_NO_CLOEXEC) {
        fcntl(h->fd, F_SETFD, 0);
    }
    h->restricted = DOMID_INVALID;
    pthread_mutex_init(&h->lock, NULL);
    h->tc.restrict_callback = evt_restrict_cb;
    xentoolcore__register_active_handle(&h->tc);
    return h;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd,
                                   unsigned open_flags)
{
    errno = EOPNOTSUPP;   /* no /dev/xen/evtchn descriptor to adopt */
    return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&xce->tc);
    /* Closing the connection unbinds every port, as closing the device. */
    xs_client_close(&xce->c);
    close(xce->fd);
    munmap(xce->shared, sizeof(*xce->shared));
    pthread_mutex_destroy(&xce->lock);
    free(xce->ports);
    free(xce);
    return 0;
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
    xce->restricted = domid;
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->fd;
}

static bool port_bound(xenevtchn_handle *h, evtchn_port_t port)
{
    bool found = false;

    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->nports && !found; i++) {
        found = h->ports[i] == port;
    }
    pthread_mutex_unlock(&h->lock);
    return found;
}

static void port_add(xenevtchn_handle *h, evtchn_port_t port)
{
    pthread_mutex_lock(&h->lock);
    if (h->nports == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        evtchn_port_t *p = realloc(h->ports, cap * sizeof(*p));
        if (!p) {
            pthread_mutex_unlock(&h->lock);
            return;   /* only our local validation loses track */
        }
        h->ports = p;
        h->cap = cap;
    }
    h->ports[h->nports++] = port;
    pthread_mutex_unlock(&h->lock);
}

static void port_del(xenevtchn_handle *h, evtchn_port_t port)
{
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->nports; i++) {
        if (h->ports[i] == port) {
            h->ports[i] = h->ports[--h->nports];
            break;
        }
    }
    pthread_mutex_unlock(&h->lock);
}

static xenevtchn_port_or_error_t bind_op(xenevtchn_handle *h, uint32_t op,
                                         uint32_t domid, uint32_t port)
{
    xs_msg m = { .h.op = op };

    if (h->restricted != DOMID_INVALID && domid != h->restricted) {
        errno = EPERM;
        return -1;
    }
    m.u.evt.domid = domid;
    m.u.evt.port = port;
    if (xs_client_call(&h->c, &m, NULL, 0, NULL, 0, NULL, NULL) < 0) {
        return -1;
    }
    port_add(h, m.u.evt.port);
    return (xenevtchn_port_or_error_t)m.u.evt.port;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(
    xenevtchn_handle *xce, uint32_t domid, evtchn_port_t remote_port)
{
    return bind_op(xce, XS_OP_EVT_BIND_INTERDOMAIN, domid, remote_port);
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce,
                                                      uint32_t domid)
{
    return bind_op(xce, XS_OP_EVT_BIND_UNBOUND, domid, 0);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce,
                                              unsigned int virq)
{
    errno = EINVAL;   /* no VIRQs are raised in the simulator */
    return -1;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    xs_msg m = { .h.op = XS_OP_EVT_UNBIND };

    if (!port_bound(xce, port)) {
        errno = ENOTCONN;   /* what the evtchn driver says for a port
                               this fd did not bind */
        return -1;
    }
    m.u.evt.port = port;
    if (xs_client_call(&xce->c, &m, NULL, 0, NULL, 0, NULL, NULL) < 0) {
        return -1;
    }
    port_del(xce, port);
    return 0;
}

static int one_way(xenevtchn_handle *h, uint32_t op, evtchn_port_t port)
{
    xs_msg m = { .h.op = op };

    if (!port_bound(h, port)) {
        errno = ENOTCONN;
        return -1;
    }
    m.u.evt.port = port;
    return xs_client_send(&h->c, &m);
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    return one_way(xce, XS_OP_EVT_NOTIFY, port);
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    uint64_t bit = 1ull << (port % 64);

    if (!port_bound(xce, port) || port >= XS_EVT_PORTS) {
        errno = ENOTCONN;
        return -1;
    }
    __atomic_fetch_and(&xce->shared->masked[port / 64], ~bit,
                       __ATOMIC_SEQ_CST);
    if (!(__atomic_load_n(&xce->shared->pending[port / 64],
                          __ATOMIC_SEQ_CST) & bit)) {
        return 0;   /* nothing arrived while masked: no message needed */
    }
    return one_way(xce, XS_OP_EVT_UNMASK, port);
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    evtchn_port_t port;
    ssize_t n;

    do {
        n = read(xce->fd, &port, sizeof(port));
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(port)) {
        return (xenevtchn_port_or_error_t)port;
    }
    if (n == 0) {
        errno = ENODEV;   /* the simulator (our "hypervisor") is gone */
    } else if (n > 0) {
        errno = EIO;
    }
    return -1;
}
