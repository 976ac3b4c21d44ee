// SPDX-License-Identifier: MIT
#include "mini-server.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>

#include <glib.h>

struct mini {
    mini_opts o;
    xendevicemodel_handle *dm;
    xenforeignmemory_handle *fm;
    xenevtchn_handle *ev;
    ioservid_t id;
    unsigned nr_vcpus;
    xenforeignmemory_resource_handle *res;
    buffered_iopage_t *buf;
    shared_iopage_t *shared;
    evtchn_port_t *ports;    /* local port per vCPU */
    evtchn_port_t buf_port;
    pthread_t thread;
    int stop_pipe[2];
    GMutex lock;             /* log and registers */
    GArray *log;
    bool hold;
    uint32_t regs[4];
    uint64_t mmio[512];
    uint8_t cfg[256];
    uint64_t outs_sum;
    unsigned invalidates;
    uint8_t ins_next;
};

static uint64_t mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* Guest memory for string I/O: map the pages covering [gpa, gpa+len). */
static void guest_copy(mini *m, uint64_t gpa, void *buf, size_t len,
                       bool to_guest)
{
    xen_pfn_t first = gpa >> XC_PAGE_SHIFT;
    size_t n = ((gpa + len - 1) >> XC_PAGE_SHIFT) - first + 1;
    xen_pfn_t *pfns = g_new(xen_pfn_t, n);

    for (size_t i = 0; i < n; i++) {
        pfns[i] = first + i;
    }
    uint8_t *p = xenforeignmemory_map(m->fm, m->o.domid,
                                      PROT_READ | PROT_WRITE, n, pfns, NULL);
    g_assert_nonnull(p);
    uint8_t *at = p + (gpa & (XC_PAGE_SIZE - 1));
    if (to_guest) {
        memcpy(at, buf, len);
    } else {
        memcpy(buf, at, len);
    }
    xenforeignmemory_unmap(m->fm, p, n);
    g_free(pfns);
}

static void string_io(mini *m, ioreq_t *r)
{
    size_t bytes = (size_t)r->count * r->size;
    uint64_t lo = r->df ? r->data - bytes + r->size : r->data;
    uint8_t *buf = g_malloc(bytes);

    if (r->dir == IOREQ_READ) {
        for (size_t i = 0; i < bytes; i++) {
            buf[i] = m->ins_next++;
        }
        guest_copy(m, lo, buf, bytes, true);
    } else {
        guest_copy(m, lo, buf, bytes, false);
        for (uint32_t i = 0; i < r->count; i++) {
            uint64_t v = 0;
            memcpy(&v, buf + (size_t)i * r->size, r->size);
            m->outs_sum += v;
            if (r->type == IOREQ_TYPE_PIO) {
                m->regs[(r->addr - m->o.port) / 4 & 3] = (uint32_t)v;
            }
        }
    }
    g_free(buf);
}

static void reg_access(mini *m, uint8_t *base, size_t cap, uint64_t off,
                       ioreq_t *r)
{
    if (off + r->size > cap) {
        r->data = mask(r->size);
        return;
    }
    if (r->dir == IOREQ_READ) {
        uint64_t v = 0;
        memcpy(&v, base + off, r->size);
        r->data = v;
    } else {
        memcpy(base + off, &r->data, r->size);
    }
}

static void handle(mini *m, ioreq_t *r, bool buffered)
{
    mini_req e = { r->type, r->dir, r->df, r->data_is_ptr, buffered,
                   r->size, r->count, r->addr, r->data };

    g_mutex_lock(&m->lock);
    g_array_append_val(m->log, e);
    if (r->type == IOREQ_TYPE_INVALIDATE) {
        m->invalidates++;
    } else if (r->data_is_ptr) {
        string_io(m, r);
    } else if (r->type == IOREQ_TYPE_PIO) {
        uint64_t off = r->addr - m->o.port;
        reg_access(m, (uint8_t *)m->regs, sizeof(m->regs), off, r);
        if (r->dir == IOREQ_WRITE && off == 12) {
            xendevicemodel_set_isa_irq_level(m->dm, m->o.domid,
                                             r->data & 0xff,
                                             (r->data >> 8) & 1);
        }
    } else if (r->type == IOREQ_TYPE_COPY) {
        reg_access(m, (uint8_t *)m->mmio, sizeof(m->mmio),
                   r->addr - m->o.mmio, r);
    } else if (r->type == IOREQ_TYPE_PCI_CONFIG) {
        reg_access(m, m->cfg, sizeof(m->cfg), r->addr & 0xfff, r);
    }
    g_mutex_unlock(&m->lock);
}

/* Drain the buffered ring like QEMU's handle_buffered_iopage(). */
static void drain_buffered(mini *m)
{
    buffered_iopage_t *pg = m->buf;

    while (pg && pg->read_pointer != pg->write_pointer) {
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        buf_ioreq_t *b = &pg->buf_ioreq[pg->read_pointer %
                                        IOREQ_BUFFER_SLOT_NUM];
        ioreq_t r = { .type = b->type, .dir = b->dir, .addr = b->addr,
                      .data = b->data, .count = 1, .size = 1u << b->size };
        unsigned qw = r.size == 8;
        if (qw) {
            buf_ioreq_t *b2 = &pg->buf_ioreq[(pg->read_pointer + 1) %
                                             IOREQ_BUFFER_SLOT_NUM];
            r.data |= (uint64_t)b2->data << 32;
        }
        handle(m, &r, true);
        __atomic_fetch_add(&pg->read_pointer, qw + 1, __ATOMIC_RELEASE);
    }
}

static void serve_vcpu(mini *m, unsigned v)
{
    ioreq_t *r = &m->shared->vcpu_ioreq[v];

    if (r->state != STATE_IOREQ_READY) {
        return;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    r->state = STATE_IOREQ_INPROCESS;
    drain_buffered(m);
    handle(m, r, false);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->state = STATE_IORESP_READY;
    xenevtchn_notify(m->ev, m->ports[v]);
}

static void *serve(void *opaque)
{
    mini *m = opaque;
    struct pollfd p[2] = {
        { .fd = xenevtchn_fd(m->ev), .events = POLLIN },
        { .fd = m->stop_pipe[0], .events = POLLIN },
    };

    for (;;) {
        if (poll(p, 2, -1) < 0) {
            return NULL;
        }
        if (p[1].revents) {
            char c = 'x';
            (void)!read(m->stop_pipe[0], &c, 1);
            if (c == 'x') {
                return NULL;
            }
            /* 'k': released from hold, serve what waits in the slots */
        }
        if (p[0].revents & POLLIN) {
            xenevtchn_port_or_error_t port = xenevtchn_pending(m->ev);
            if (port < 0) {
                return NULL;
            }
            xenevtchn_unmask(m->ev, (evtchn_port_t)port);
        }
        g_mutex_lock(&m->lock);
        bool hold = m->hold;
        g_mutex_unlock(&m->lock);
        drain_buffered(m);
        for (unsigned v = 0; v < m->nr_vcpus && !hold; v++) {
            serve_vcpu(m, v);
        }
    }
}

static bool claim(mini *m)
{
    const mini_opts *o = &m->o;

    if (o->port && xendevicemodel_map_io_range_to_ioreq_server(
            m->dm, o->domid, m->id, 0, o->port, o->port + 15) < 0) {
        return false;
    }
    if (o->mmio && xendevicemodel_map_io_range_to_ioreq_server(
            m->dm, o->domid, m->id, 1, o->mmio, o->mmio + 0xfff) < 0) {
        return false;
    }
    if (o->pci_dev >= 0 && xendevicemodel_map_pcidev_to_ioreq_server(
            m->dm, o->domid, m->id, 0, 0, (uint8_t)o->pci_dev, 0) < 0) {
        return false;
    }
    return true;
}

static bool map_and_bind(mini *m)
{
    void *addr = NULL;
    unsigned long first = m->o.bufioreq ? 0 : 1;

    m->res = xenforeignmemory_map_resource(
        m->fm, m->o.domid, XENMEM_resource_ioreq_server, m->id, first,
        2 - first, &addr, PROT_READ | PROT_WRITE, 0);
    if (!m->res) {
        return false;
    }
    m->buf = m->o.bufioreq ? addr : NULL;
    m->shared = (shared_iopage_t *)((uint8_t *)addr +
                                    (m->o.bufioreq ? XC_PAGE_SIZE : 0));
    evtchn_port_t buf_remote = 0;
    if (xendevicemodel_get_ioreq_server_info(m->dm, m->o.domid, m->id, NULL,
                                             NULL, &buf_remote) < 0) {
        return false;
    }
    if (!m->o.no_enable &&
        xendevicemodel_set_ioreq_server_state(m->dm, m->o.domid, m->id,
                                              1) < 0) {
        return false;
    }
    m->ports = g_new0(evtchn_port_t, m->nr_vcpus);
    for (unsigned v = 0; v < m->nr_vcpus && !m->o.no_enable; v++) {
        int p = xenevtchn_bind_interdomain(
            m->ev, m->o.domid, m->shared->vcpu_ioreq[v].vp_eport);
        if (p < 0) {
            return false;
        }
        m->ports[v] = (evtchn_port_t)p;
    }
    if (m->buf) {
        int p = xenevtchn_bind_interdomain(m->ev, m->o.domid, buf_remote);
        if (p < 0) {
            return false;
        }
        m->buf_port = (evtchn_port_t)p;
    }
    return true;
}

mini *mini_start(const mini_opts *o)
{
    mini *m = g_new0(mini, 1);
    xc_interface *xc = xc_interface_open(NULL, NULL, 0);
    xc_dominfo_t info;

    m->o = *o;
    g_mutex_init(&m->lock);
    m->log = g_array_new(FALSE, TRUE, sizeof(mini_req));
    m->ins_next = 0x11;
    if (!xc || xc_domain_getinfo(xc, o->domid, 1, &info) != 1 ||
        info.domid != o->domid) {
        goto fail;
    }
    m->nr_vcpus = info.max_vcpu_id + 1;
    xc_interface_close(xc);
    xc = NULL;
    m->dm = xendevicemodel_open(NULL, 0);
    m->fm = xenforeignmemory_open(NULL, 0);
    m->ev = xenevtchn_open(NULL, 0);
    if (!m->dm || !m->fm || !m->ev ||
        xendevicemodel_create_ioreq_server(m->dm, o->domid, o->bufioreq,
                                           &m->id) < 0 ||
        !claim(m) || !map_and_bind(m) || pipe(m->stop_pipe) < 0) {
        goto fail;
    }
    pthread_create(&m->thread, NULL, serve, m);
    return m;

fail:
    if (xc) {
        xc_interface_close(xc);
    }
    int e = errno;
    mini_stop(m);
    errno = e;
    return NULL;
}

void mini_stop(mini *m)
{
    if (m->thread) {
        (void)!write(m->stop_pipe[1], "x", 1);
        pthread_join(m->thread, NULL);
        close(m->stop_pipe[0]);
        close(m->stop_pipe[1]);
    }
    if (m->dm) {
        xendevicemodel_set_ioreq_server_state(m->dm, m->o.domid, m->id, 0);
        xendevicemodel_destroy_ioreq_server(m->dm, m->o.domid, m->id);
    }
    if (m->res) {
        xenforeignmemory_unmap_resource(m->fm, m->res);
    }
    if (m->ev) {
        xenevtchn_close(m->ev);
    }
    if (m->fm) {
        xenforeignmemory_close(m->fm);
    }
    if (m->dm) {
        xendevicemodel_close(m->dm);
    }
    g_array_free(m->log, TRUE);
    g_free(m->ports);
    g_mutex_clear(&m->lock);
    g_free(m);
}

unsigned mini_id(const mini *m)
{
    return m->id;
}

void mini_hold(mini *m, bool hold)
{
    g_mutex_lock(&m->lock);
    m->hold = hold;
    g_mutex_unlock(&m->lock);
    if (!hold) {
        (void)!write(m->stop_pipe[1], "k", 1);
    }
}

unsigned mini_log(mini *m, mini_req **out)
{
    g_mutex_lock(&m->lock);
    unsigned n = m->log->len;
    *out = g_new0(mini_req, n + 1);
    memcpy(*out, m->log->data, n * sizeof(mini_req));
    g_mutex_unlock(&m->lock);
    return n;
}

void mini_clear_log(mini *m)
{
    g_mutex_lock(&m->lock);
    g_array_set_size(m->log, 0);
    m->outs_sum = 0;
    g_mutex_unlock(&m->lock);
}

uint64_t mini_outs_sum(mini *m)
{
    g_mutex_lock(&m->lock);
    uint64_t s = m->outs_sum;
    g_mutex_unlock(&m->lock);
    return s;
}

unsigned mini_invalidates(mini *m)
{
    g_mutex_lock(&m->lock);
    unsigned n = m->invalidates;
    g_mutex_unlock(&m->lock);
    return n;
}
