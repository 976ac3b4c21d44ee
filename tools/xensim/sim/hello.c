// SPDX-License-Identifier: MIT
/*
 * The hello exchange (what each kind of connection is given) and the
 * event-channel requests of libxenevtchn handles.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xensim.h"

static xs_domain *default_domain(xs_sim *sim)
{
    return xs_domain_lookup(sim, sim->opts.domid);
}

/* An evtchn handle gets the read end of a fresh pipe, its "device fd",
 * and (XS_OP_EVT_SHARED) a page of pending/mask bits. */
static int hello_evtchn(xs_conn *c, int *give_fd)
{
    int p[2];

    c->evt_fd = memfd_create("xensim-evtchn-bits", MFD_CLOEXEC);
    if (c->evt_fd < 0 ||
        ftruncate(c->evt_fd, sizeof(xs_evt_shared)) < 0) {
        return -errno;
    }
    c->evt = mmap(NULL, sizeof(xs_evt_shared), PROT_READ | PROT_WRITE,
                  MAP_SHARED, c->evt_fd, 0);
    if (c->evt == MAP_FAILED) {
        c->evt = NULL;
        return -errno;
    }
    if (pipe2(p, O_CLOEXEC) < 0) {
        return -errno;
    }
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    c->evpipe_w = p[1];
    *give_fd = p[0];
    return 0;
}

/* A guest plays one vCPU and maps guest RAM; a control connection only
 * maps RAM. */
static int hello_guest(xs_conn *c, uint32_t vcpu, int *give_fd)
{
    xs_domain *d = default_domain(c->sim);

    if (!d || d->dying) {
        return -ESRCH;
    }
    if (c->kind == XS_KIND_GUEST) {
        if (vcpu >= d->nr_vcpus) {
            return -EINVAL;
        }
        if (d->vcpus[vcpu].guest) {
            return -EBUSY;
        }
        c->vcpu = &d->vcpus[vcpu];
        c->vcpu->guest = c;
    }
    c->d = d;
    c->msi_seen = d->msis->len;
    *give_fd = d->ram_fd;
    return 0;
}

void xs_handle_hello(xs_conn *c, xs_msg *m)
{
    uint32_t kind = m->u.hello.kind;
    int give_fd = -1, close_fd = -1;
    int err = 0;

    if (c->kind) {
        err = -EALREADY;
    } else if (m->u.hello.version != XS_PROTO_VERSION) {
        err = -EPROTO;
    } else if (kind < XS_KIND_XC || kind > XS_KIND_CONTROL) {
        err = -EINVAL;
    } else {
        c->kind = kind;
        if (kind == XS_KIND_EVTCHN) {
            err = hello_evtchn(c, &give_fd);
            close_fd = give_fd;
        } else if (kind == XS_KIND_GUEST || kind == XS_KIND_CONTROL) {
            err = hello_guest(c, m->u.hello.vcpu, &give_fd);
        } else if (kind == XS_KIND_FMEM) {
            c->mapped = g_hash_table_new(g_direct_hash, g_direct_equal);
        }
        if (err) {
            c->kind = 0;
        }
    }
    xs_domain *d = default_domain(c->sim);
    m->h.err = err;
    m->u.hello.domid = c->sim->opts.domid;
    m->u.hello.nr_vcpus = d ? d->nr_vcpus : 0;
    m->u.hello.ram_bytes = d ? d->ram_bytes : 0;
    xs_log(c->sim, "connection %d: hello kind %u from pid %d: %s", c->sock,
           kind, (int)c->pid, err ? g_strerror(-err) : "ok");
    xs_conn_reply(c, m, NULL, 0, err ? -1 : give_fd);
    if (close_fd >= 0) {
        close(close_fd);   /* the client has its copy now */
    }
}

void xs_handle_evt(xs_conn *c, xs_msg *m)
{
    uint32_t port = 0;

    if (c->kind != XS_KIND_EVTCHN) {
        m->h.err = -EBADF;
        if (m->h.op != XS_OP_EVT_NOTIFY && m->h.op != XS_OP_EVT_UNMASK) {
            xs_conn_reply(c, m, NULL, 0, -1);
        }
        return;
    }
    switch (m->h.op) {
    case XS_OP_EVT_SHARED:
        xs_conn_reply(c, m, NULL, 0, c->evt_fd);
        return;
    case XS_OP_EVT_NOTIFY:
        xs_evtchn_notify(c, m->u.evt.port);
        return;
    case XS_OP_EVT_UNMASK:
        xs_evtchn_unmask(c, m->u.evt.port);
        return;
    case XS_OP_EVT_BIND_INTERDOMAIN:
        m->h.err = xs_evtchn_bind_interdomain(c, m->u.evt.domid,
                                              m->u.evt.port, &port);
        break;
    case XS_OP_EVT_BIND_UNBOUND:
        m->h.err = xs_evtchn_bind_unbound(c, m->u.evt.domid, &port);
        break;
    case XS_OP_EVT_UNBIND:
        m->h.err = xs_evtchn_unbind(c, m->u.evt.port);
        break;
    default:
        m->h.err = -ENOSYS;
        break;
    }
    m->u.evt.port = port;
    xs_conn_reply(c, m, NULL, 0, -1);
}
