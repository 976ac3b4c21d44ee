// SPDX-License-Identifier: MIT
/*
 * Client connections: accept, hello, request dispatch, replies, parked
 * waits, and what a closing connection means. A device model that dies
 * closes all its connections at once; the one that matters is its
 * devicemodel handle: servers it created become "dead" (their vCPU
 * requests fail with EPIPE instead of hanging), and its evtchn handle's
 * ports close like a closed /dev/xen/evtchn.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"
#include "xensim.h"

void xs_conn_reply(xs_conn *c, xs_msg *m, const void *pl, size_t plen,
                   int fd)
{
    if (c->closed) {
        return;
    }
    m->h.len = (uint32_t)plen;
    int rc = xs_wire_send(c->sock, m, pl, plen, fd);
    if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET) {
        xs_warn("reply to connection %d: %s", c->sock, g_strerror(-rc));
    }
}

static void wait_timeout(void *opaque)
{
    xs_conn *c = opaque;

    c->wait.timer = NULL;   /* the loop frees it */
    xs_conn_wait_done(c, -ETIMEDOUT);
}

void xs_conn_wait_park(xs_conn *c, const xs_msg *m, int timeout_ms)
{
    c->wait.active = true;
    c->wait.req = *m;
    c->wait.timer = timeout_ms > 0 ?
        xs_timer_add(c->sim->loop, timeout_ms, wait_timeout, c) : NULL;
    g_ptr_array_add(c->d->waiters, c);
}

void xs_conn_wait_done(xs_conn *c, int err)
{
    if (!c->wait.active) {
        return;
    }
    c->wait.active = false;
    if (c->wait.timer) {
        xs_timer_cancel(c->sim->loop, c->wait.timer);
        c->wait.timer = NULL;
    }
    if (c->d) {
        g_ptr_array_remove(c->d->waiters, c);
    }
    c->wait.req.h.err = err;
    xs_conn_reply(c, &c->wait.req, NULL, 0, -1);
}

/* ---- servers registry waits ---- */

/* Serving: enabled, alive, claiming something, and every vCPU's event
 * channel bound (a device model enables before it binds, like QEMU). */
static bool server_serving(xs_server *s)
{
    if (!s->enabled || s->dead || !xs_server_nr_ranges(s)) {
        return false;
    }
    for (unsigned v = 0; v < s->d->nr_vcpus; v++) {
        xs_port *p = xs_port_lookup(s->d, s->vcpu_port[v]);
        if (!p || p->state != XS_PORT_INTERDOMAIN) {
            return false;
        }
    }
    return true;
}

static void count_servers(xs_domain *d, uint32_t *total, uint32_t *ready,
                          uint32_t *dead, uint32_t *ranges)
{
    *total = *ready = *dead = *ranges = 0;
    for (unsigned i = 0; i < XS_MAX_SERVERS; i++) {
        xs_server *s = d->servers[i];
        if (!s) {
            continue;
        }
        unsigned r = xs_server_nr_ranges(s);
        (*total)++;
        *ranges += r;
        *dead += s->dead;
        *ready += server_serving(s);
    }
}

static void fill_info(xs_domain *d, xs_msg *m)
{
    xs_dominfo di;

    xs_domain_getinfo(d->sim, d->domid, 1, &di);
    m->u.info.domid = d->domid;
    m->u.info.dom_flags = di.flags;
    m->u.info.shutdown_reason = di.shutdown_reason;
    count_servers(d, &m->u.info.servers, &m->u.info.enabled,
                  &m->u.info.dead, &m->u.info.ranges);
    m->u.info.ioreqs = d->nr_ioreqs;
    m->u.info.bufioreqs = d->nr_bufioreqs;
    m->u.info.unclaimed = d->nr_unclaimed;
    m->u.info.msis = d->msis->len;
}

/* want_enabled > 0: that many enabled live servers with ranges;
 * 0: no server at all. */
static bool servers_ready(xs_domain *d, uint32_t want)
{
    uint32_t total, ready, dead, ranges;

    count_servers(d, &total, &ready, &dead, &ranges);
    return want ? ready >= want : total == 0;
}

void xs_servers_changed(xs_sim *sim)
{
    GList *doms = g_hash_table_get_values(sim->domains);

    for (GList *l = doms; l; l = l->next) {
        xs_domain *d = l->data;
        GPtrArray *w = g_ptr_array_copy(d->waiters, NULL, NULL);
        for (guint i = 0; i < w->len; i++) {
            xs_conn *c = g_ptr_array_index(w, i);
            if (c->wait.req.h.op == XS_OP_G_WAIT_SERVERS &&
                servers_ready(d, c->wait.req.u.info.want_enabled)) {
                fill_info(d, &c->wait.req);
                xs_conn_wait_done(c, 0);
            }
        }
        g_ptr_array_free(w, TRUE);
    }
    g_list_free(doms);
}

static void wait_servers(xs_conn *c, xs_msg *m)
{
    if (!c->d) {
        m->h.err = -ESRCH;
    } else if (servers_ready(c->d, m->u.info.want_enabled)) {
        fill_info(c->d, m);
    } else if (m->u.info.timeout_ms == 0) {
        m->h.err = -ETIMEDOUT;
    } else {
        xs_conn_wait_park(c, m, m->u.info.timeout_ms);
        return;
    }
    xs_conn_reply(c, m, NULL, 0, -1);
}

/* ---- guest and control requests ---- */

static int fault(xs_sim *sim, uint32_t kind, uint32_t value)
{
    switch (kind) {
    case XS_FAULT_EVENT_DELAY_MS:
        sim->event_delay_ms = value;
        return 0;
    case XS_FAULT_DROP_NOTIFY:
        sim->drop_notify = value;
        return 0;
    case XS_FAULT_BUF_EVENT_DELAY_MS:
        sim->buf_event_delay_ms = value;
        return 0;
    case XS_FAULT_CLEAR:
        sim->event_delay_ms = 0;
        sim->buf_event_delay_ms = 0;
        sim->drop_notify = 0;
        return 0;
    default:
        return -EINVAL;
    }
}

void xs_handle_guest(xs_conn *c, xs_msg *m)
{
    unsigned level = 0;

    switch (m->h.op) {
    case XS_OP_G_IO:
        if (!c->vcpu) {
            m->h.err = c->kind == XS_KIND_GUEST ? -ESRCH : -EINVAL;
            break;
        }
        xs_vcpu_submit(c->vcpu, m);
        return;
    case XS_OP_G_CANCEL:
        if (c->vcpu) {
            xs_vcpu_abandon(c->vcpu);
        }
        return;   /* one-way */
    case XS_OP_G_WAIT_IRQ:
    case XS_OP_G_WAIT_MSI:
        xs_irq_wait(c, m);
        return;
    case XS_OP_G_IRQ_LEVEL:
        m->h.err = c->d ? xs_irq_level(c->d, m->u.irq.kind, m->u.irq.n,
                                       &level) : -ESRCH;
        m->u.irq.level = level;
        break;
    case XS_OP_G_INFO:
        if (c->d) {
            fill_info(c->d, m);
        } else {
            m->h.err = -ESRCH;
        }
        break;
    case XS_OP_G_WAIT_SERVERS:
        wait_servers(c, m);
        return;
    case XS_OP_G_FAULT:
        m->h.err = fault(c->sim, m->u.fault.kind, m->u.fault.value);
        break;
    case XS_OP_G_SHUTDOWN:
        if (c->d) {
            xs_domain_shutdown(c->d, (unsigned)m->u.dm.arg[0]);
        } else {
            m->h.err = -ESRCH;
        }
        break;
    case XS_OP_G_DESTROY: {
        /* From a guest/control connection: its own domain. From the
         * xenctrl library (xc_domain_destroy): the named one. */
        xs_domain *d = c->kind == XS_KIND_XC ?
            xs_domain_lookup(c->sim, m->u.dm.domid) : c->d;
        if (d && d->domid != 0) {
            xs_domain_destroy(d);
        } else {
            m->h.err = d ? -EPERM : -ESRCH;
        }
        break;
    }
    default:
        m->h.err = -ENOSYS;
        break;
    }
    xs_conn_reply(c, m, NULL, 0, -1);
}

/* ---- dispatch ---- */

static void dispatch(xs_conn *c, xs_msg *m, const void *pl, size_t plen)
{
    uint32_t op = m->h.op;

    m->h.err = 0;
    if (!c->kind && op != XS_OP_HELLO) {
        m->h.err = -EPROTO;
        xs_conn_reply(c, m, NULL, 0, -1);
        return;
    }
    if (op == XS_OP_HELLO) {
        xs_handle_hello(c, m);
    } else if (op == XS_OP_DOMAIN_GETINFO) {
        xs_dominfo out[64];
        unsigned max = MIN(m->u.getinfo.max, 64u);
        unsigned n = xs_domain_getinfo(c->sim, m->u.getinfo.first_domid,
                                       max, out);
        m->u.getinfo.max = n;
        xs_conn_reply(c, m, out, n * sizeof(out[0]), -1);
    } else if (op >= XS_OP_DM_CREATE_SERVER && op < XS_OP_FMEM_MAP) {
        xs_handle_dm(c, m);
    } else if (op >= XS_OP_FMEM_MAP && op < XS_OP_EVT_BIND_INTERDOMAIN) {
        xs_handle_fmem(c, m, pl, plen);
    } else if (op >= XS_OP_EVT_BIND_INTERDOMAIN && op < XS_OP_G_IO) {
        xs_handle_evt(c, m);
    } else {
        xs_handle_guest(c, m);
    }
}

static void conn_close(xs_conn *c)
{
    xs_sim *sim = c->sim;

    c->closed = true;
    xs_loop_del_fd(sim->loop, c->sock);
    close(c->sock);
    if (c->wait.active) {
        c->wait.active = false;
        xs_timer_cancel(sim->loop, c->wait.timer);
        if (c->d) {
            g_ptr_array_remove(c->d->waiters, c);
        }
    }
    if (c->vcpu) {
        xs_vcpu_abandon(c->vcpu);
        c->vcpu->guest = NULL;
    }
    if (c->kind == XS_KIND_EVTCHN) {
        xs_evtchn_conn_closed(c);
        close(c->evpipe_w);
    }
    if (c->evt) {
        munmap(c->evt, sizeof(*c->evt));
    }
    if (c->evt_fd >= 0) {
        close(c->evt_fd);
    }
    GList *doms = g_hash_table_get_values(sim->domains);
    for (GList *l = doms; l; l = l->next) {
        xs_domain *d = l->data;
        for (unsigned i = 0; i < XS_MAX_SERVERS; i++) {
            if (d->servers[i] && d->servers[i]->owner == c) {
                xs_server_orphan(d->servers[i]);
            }
        }
        guint64 pages = c->mapped ? GPOINTER_TO_SIZE(g_hash_table_lookup(
            c->mapped, GUINT_TO_POINTER(d->domid))) : 0;
        d->foreign_pages -= MIN(pages, d->foreign_pages);
        xs_domain_reap(d);   /* may free d: nothing of d used after */
    }
    g_list_free(doms);
    if (c->mapped) {
        g_hash_table_destroy(c->mapped);
    }
    g_ptr_array_remove_fast(sim->conns, c);
}

/* One message per wake-up: epoll is level-triggered, so more pending
 * messages wake us again, and the common case saves a recvmsg that would
 * only say EAGAIN. */
static void on_readable(void *opaque, uint32_t events)
{
    xs_conn *c = opaque;
    xs_sim *sim = c->sim;
    xs_msg m;
    int fd = -1;
    ssize_t n = xs_wire_recv(c->sock, &m, sim->rxbuf, sizeof(sim->rxbuf),
                             &fd);

    if (fd >= 0) {
        close(fd);   /* clients never send descriptors */
    }
    if (n == -EAGAIN) {
        return;
    }
    if (n < 0) {
        if (n != -ECONNRESET) {
            xs_warn("connection %d: %s", c->sock, g_strerror((int)-n));
        }
        xs_log(sim, "connection %d (kind %u, pid %d) closed", c->sock,
               c->kind, (int)c->pid);
        conn_close(c);
        g_free(c);
        return;
    }
    dispatch(c, &m, sim->rxbuf, (size_t)n);
}

/* Exit path: release every connection without acting on its closing. */
void xs_conn_free_all(xs_sim *sim)
{
    for (guint i = 0; i < sim->conns->len; i++) {
        xs_conn *c = g_ptr_array_index(sim->conns, i);
        close(c->sock);
        if (c->evpipe_w >= 0) {
            close(c->evpipe_w);
        }
        if (c->evt) {
            munmap(c->evt, sizeof(*c->evt));
        }
        if (c->evt_fd >= 0) {
            close(c->evt_fd);
        }
        if (c->mapped) {
            g_hash_table_destroy(c->mapped);
        }
        g_free(c);
    }
    g_ptr_array_set_size(sim->conns, 0);
}

void xs_conn_accept(xs_sim *sim)
{
    int fd = accept4(sim->listen_fd, NULL, NULL,
                     SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            xs_warn("accept: %s", g_strerror(errno));
        }
        return;
    }
    xs_conn *c = g_new0(xs_conn, 1);
    struct ucred cred;
    socklen_t len = sizeof(cred);
    c->sim = sim;
    c->sock = fd;
    c->evpipe_w = -1;
    c->evt_fd = -1;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        c->pid = cred.pid;
    }
    if (xs_loop_add_fd(sim->loop, fd, on_readable, c) < 0) {
        close(fd);
        g_free(c);
        return;
    }
    g_ptr_array_add(sim->conns, c);
}
