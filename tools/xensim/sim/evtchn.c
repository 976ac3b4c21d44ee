// SPDX-License-Identifier: MIT
/*
 * Event channels between the guest domain and dom0 (public/event_channel.h
 * semantics, xen/common/event_channel.c behaviour):
 *  - Xen allocates one unbound guest-side port per (server, vCPU) plus one
 *    for the buffered ring, each waiting for dom0; the device model binds
 *    to it with EVTCHNOP_bind_interdomain, which also sets the new local
 *    port pending ("we may have lost notifications on the remote unbound
 *    port", evtchn_bind_interdomain);
 *  - closing either end leaves the other unbound; sending on an unbound
 *    port is silently dropped;
 *  - a dom0 port is delivered through its handle's pipe like Linux's
 *    evtchn driver: written once, then masked until unmasked, with events
 *    arriving meanwhile kept pending; the bits are shared with the library
 *    (xs_evt_shared in proto.h);
 *  - port numbers are the lowest free ones (get_free_port()).
 */
#include <errno.h>
#include <unistd.h>

#include "xensim.h"

xs_port *xs_port_alloc(xs_domain *d, uint32_t remote_dom)
{
    xs_port *p = g_new0(xs_port, 1);
    uint32_t port = 1;   /* port 0 is never valid */

    while (g_hash_table_contains(d->ports, GUINT_TO_POINTER(port))) {
        port++;
    }
    p->d = d;
    p->port = port;
    p->state = XS_PORT_UNBOUND;
    p->remote_dom = remote_dom;
    p->vcpu = -1;
    g_hash_table_insert(d->ports, GUINT_TO_POINTER(p->port), p);
    return p;
}

xs_port *xs_port_lookup(xs_domain *d, uint32_t port)
{
    return g_hash_table_lookup(d->ports, GUINT_TO_POINTER(port));
}

static xs_port *peer(xs_port *p)
{
    if (p->state != XS_PORT_INTERDOMAIN) {
        return NULL;
    }
    xs_domain *rd = xs_domain_lookup(p->d->sim, p->remote_dom);
    return rd ? xs_port_lookup(rd, p->remote_port) : NULL;
}

/* A guest-side port lost its device-model end: a vCPU blocked on it
 * would wait forever, so fail it (Xen would leave it hung). */
static void guest_end_unbound(xs_port *g)
{
    if (g->srv && g->vcpu >= 0) {
        xs_vcpu_fail(&g->d->vcpus[g->vcpu], g->srv, -EPIPE,
                     "device model closed its event channel");
    }
}

void xs_port_close(xs_port *p)
{
    xs_port *q = peer(p);

    if (q) {
        q->state = XS_PORT_UNBOUND;
        q->remote_dom = p->d->domid;
        q->remote_port = 0;
        if (q->d->domid != 0) {
            guest_end_unbound(q);
        }
    }
    g_hash_table_remove(p->d->ports, GUINT_TO_POINTER(p->port));
    if (q) {
        xs_servers_changed(q->d->sim);
    }
}

static void bit_set(uint64_t *bm, uint32_t port)
{
    __atomic_fetch_or(&bm[port / 64], 1ull << (port % 64), __ATOMIC_SEQ_CST);
}

static void bit_clear(uint64_t *bm, uint32_t port)
{
    __atomic_fetch_and(&bm[port / 64], ~(1ull << (port % 64)),
                       __ATOMIC_SEQ_CST);
}

static bool bit_test(uint64_t *bm, uint32_t port)
{
    return __atomic_load_n(&bm[port / 64], __ATOMIC_SEQ_CST) &
           (1ull << (port % 64));
}

static bool bit_test_and_set(uint64_t *bm, uint32_t port)
{
    uint64_t bit = 1ull << (port % 64);

    return __atomic_fetch_or(&bm[port / 64], bit, __ATOMIC_SEQ_CST) & bit;
}

/* Write the port to the pipe if it is pending and was not masked (and
 * mask it, as the evtchn driver does on delivery). */
static void deliver_if_unmasked(xs_port *p)
{
    xs_evt_shared *sh = p->owner->evt;

    if (!bit_test(sh->pending, p->port) ||
        bit_test_and_set(sh->masked, p->port)) {
        return;
    }
    bit_clear(sh->pending, p->port);
    ssize_t n = write(p->owner->evpipe_w, &p->port, sizeof(p->port));
    if (n != (ssize_t)sizeof(p->port)) {
        xs_warn("event pipe of port %u: %s", p->port,
                n < 0 ? g_strerror(errno) : "short write");
    }
}

static void deliver_now(xs_port *p)
{
    if (!p->owner || p->owner->closed) {
        return;
    }
    bit_set(p->owner->evt->pending, p->port);
    deliver_if_unmasked(p);
}

typedef struct delayed_event {
    xs_sim *sim;
    uint32_t domid, port;
} delayed_event;

static void delayed_fire(void *opaque)
{
    delayed_event *e = opaque;
    xs_domain *d = xs_domain_lookup(e->sim, e->domid);
    xs_port *p = d ? xs_port_lookup(d, e->port) : NULL;

    if (p) {
        deliver_now(p);
    }
    g_free(e);
}

/* The port @p itself becomes pending. */
static void port_raise(xs_port *p, unsigned delay_ms)
{
    xs_sim *sim = p->d->sim;

    if (p->d->domid != 0) {
        if (p->srv && p->vcpu >= 0) {
            xs_vcpu_event(p->srv, (unsigned)p->vcpu);
        }
        return;   /* buffered-ring port: Xen ignores the DM's notify */
    }
    delay_ms = MAX(delay_ms, sim->event_delay_ms);
    if (delay_ms) {
        delayed_event *e = g_new0(delayed_event, 1);
        *e = (delayed_event){ sim, p->d->domid, p->port };
        xs_timer_add_owned(sim->loop, delay_ms, delayed_fire, e, g_free);
        return;
    }
    deliver_now(p);
}

void xs_port_send_delayed(xs_port *p, unsigned delay_ms)
{
    xs_port *q = peer(p);

    if (q) {
        port_raise(q, delay_ms);
    }
}

void xs_port_send(xs_port *p)
{
    xs_port_send_delayed(p, 0);
}

static xs_domain *dom0(xs_sim *sim)
{
    return xs_domain_lookup(sim, 0);
}

int xs_evtchn_bind_interdomain(xs_conn *c, uint32_t rdom, uint32_t rport,
                               uint32_t *lport)
{
    xs_domain *rd = xs_domain_lookup(c->sim, rdom);
    xs_port *r = rd ? xs_port_lookup(rd, rport) : NULL;

    if (!rd) {
        return -ESRCH;
    }
    if (rd->dying) {
        return -ESRCH;
    }
    /* evtchn_bind_interdomain: the remote must be unbound and offered to
     * us (remote_domid == the binding domain). */
    if (!r || r->state != XS_PORT_UNBOUND || r->remote_dom != 0) {
        return -EINVAL;
    }
    xs_port *l = xs_port_alloc(dom0(c->sim), rdom);
    if (l->port >= XS_EVT_PORTS) {
        xs_port_close(l);
        return -ENOSPC;
    }
    /* A fresh binding starts unmasked and not pending. */
    bit_clear(c->evt->masked, l->port);
    bit_clear(c->evt->pending, l->port);
    l->state = XS_PORT_INTERDOMAIN;
    l->remote_port = rport;
    l->owner = c;
    r->state = XS_PORT_INTERDOMAIN;
    r->remote_dom = 0;
    r->remote_port = l->port;
    *lport = l->port;
    xs_log(c->sim, "evtchn: dom0:%u bound to d%u:%u", l->port, rdom, rport);
    port_raise(l, 0);
    xs_servers_changed(c->sim);   /* a server may be serving now */
    return 0;
}

int xs_evtchn_bind_unbound(xs_conn *c, uint32_t rdom, uint32_t *lport)
{
    if (!xs_domain_lookup(c->sim, rdom)) {
        return -ESRCH;
    }
    xs_port *l = xs_port_alloc(dom0(c->sim), rdom);
    if (l->port >= XS_EVT_PORTS) {
        xs_port_close(l);
        return -ENOSPC;
    }
    bit_clear(c->evt->masked, l->port);
    bit_clear(c->evt->pending, l->port);
    l->owner = c;
    *lport = l->port;
    return 0;
}

static xs_port *own_port(xs_conn *c, uint32_t port)
{
    xs_port *p = xs_port_lookup(dom0(c->sim), port);

    return p && p->owner == c ? p : NULL;
}

int xs_evtchn_unbind(xs_conn *c, uint32_t port)
{
    xs_port *p = own_port(c, port);

    if (!p) {
        return -ENOTCONN;
    }
    xs_port_close(p);
    return 0;
}

void xs_evtchn_notify(xs_conn *c, uint32_t port)
{
    xs_port *p = own_port(c, port);

    if (!p) {
        xs_warn("notify on port %u not bound by this handle", port);
        return;
    }
    if (c->sim->drop_notify) {
        c->sim->drop_notify--;
        xs_log(c->sim, "fault: dropped notify on dom0:%u", port);
        return;
    }
    xs_port_send(p);
}

void xs_evtchn_unmask(xs_conn *c, uint32_t port)
{
    xs_port *p = own_port(c, port);

    if (!p) {
        return;
    }
    /* The library cleared the mask bit and saw the port pending. */
    deliver_if_unmasked(p);
}

void xs_evtchn_conn_closed(xs_conn *c)
{
    xs_domain *d0 = dom0(c->sim);
    GList *ports = g_hash_table_get_values(d0->ports);

    for (GList *l = ports; l; l = l->next) {
        xs_port *p = l->data;
        if (p->owner == c) {
            xs_port_close(p);
        }
    }
    g_list_free(ports);
}
