// SPDX-License-Identifier: MIT
/*
 * The ioreq-server registry of one domain, with Xen 4.17's rules
 * (xen/common/ioreq.c, public/hvm/dm_op.h):
 *  - at most 8 servers; ids are the lowest free slot (ENOSPC when full);
 *  - ranges per type (port, memory, PCI sbdf) are rangesets: adding one
 *    that overlaps an existing range of the same server fails with EEXIST,
 *    adjacent ranges merge, removing needs full containment (ENOENT);
 *  - selection walks servers from the highest id down, considers enabled
 *    ones only, and needs the whole access inside one range; so a newer
 *    (higher id) server wins over an older one claiming the same range;
 *  - the pages are a resource: frame 0 the buffered ring (ENOENT without
 *    one), frames 1.. the per-vCPU slots; vp_eport is only written when
 *    the server is enabled (ioreq_server_enable → ioreq_update_evtchn).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xensim.h"

#include <xen/hvm/hvm_op.h>

static bool alloc_pages(xs_server *s)
{
    unsigned ioreq_pages = (s->d->nr_vcpus + XS_SLOTS_PER_PAGE - 1) /
                           XS_SLOTS_PER_PAGE;

    s->nr_pages = 1 + (ioreq_pages ? ioreq_pages : 1);
    s->pages_fd = memfd_create("xensim-ioreq-pages", MFD_CLOEXEC);
    if (s->pages_fd < 0) {
        return false;
    }
    if (ftruncate(s->pages_fd, (off_t)(s->nr_pages * XS_PAGE_SIZE)) < 0) {
        close(s->pages_fd);
        return false;
    }
    s->pages = mmap(NULL, s->nr_pages * XS_PAGE_SIZE, PROT_READ | PROT_WRITE,
                    MAP_SHARED, s->pages_fd, 0);
    if (s->pages == MAP_FAILED) {
        close(s->pages_fd);
        return false;
    }
    return true;
}

static xs_port *guest_port(xs_server *s, int vcpu)
{
    /* Unbound, waiting for the emulating domain (dom0) to bind it. */
    xs_port *p = xs_port_alloc(s->d, 0);

    p->srv = s;
    p->vcpu = vcpu;
    return p;
}

int xs_server_create(xs_domain *d, xs_conn *owner, int bufioreq,
                     unsigned *id)
{
    unsigned i;

    if (d->dying) {
        return -ESRCH;
    }
    if (!d->hvm) {
        return -EINVAL;
    }
    if (bufioreq < HVM_IOREQSRV_BUFIOREQ_OFF ||
        bufioreq > HVM_IOREQSRV_BUFIOREQ_ATOMIC) {
        return -EINVAL;
    }
    for (i = 0; i < XS_MAX_SERVERS && d->servers[i]; i++) {
    }
    if (i == XS_MAX_SERVERS) {
        return -ENOSPC;
    }
    xs_server *s = g_new0(xs_server, 1);
    s->d = d;
    s->id = i;
    s->bufioreq = bufioreq;
    s->owner = owner;
    if (!alloc_pages(s)) {
        int e = errno;
        g_free(s);
        return -e;
    }
    for (unsigned t = 0; t < XS_RANGE_NR; t++) {
        s->ranges[t] = g_array_new(FALSE, FALSE, sizeof(xs_range));
    }
    s->vcpu_port = g_new0(uint32_t, d->nr_vcpus);
    for (unsigned v = 0; v < d->nr_vcpus; v++) {
        s->vcpu_port[v] = guest_port(s, (int)v)->port;
    }
    if (bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF) {
        s->buf_port = guest_port(s, -1)->port;
    }
    d->servers[i] = s;
    *id = i;
    xs_log(d->sim, "d%u: ioreq server %u created (bufioreq %d)", d->domid, i,
           bufioreq);
    xs_servers_changed(d->sim);
    return 0;
}

xs_server *xs_server_get(xs_domain *d, unsigned id)
{
    return id < XS_MAX_SERVERS ? d->servers[id] : NULL;
}

static void fail_waiting_vcpus(xs_server *s, int err, const char *why)
{
    for (unsigned v = 0; v < s->d->nr_vcpus; v++) {
        xs_vcpu_fail(&s->d->vcpus[v], s, err, why);
    }
}

int xs_server_destroy(xs_server *s)
{
    xs_domain *d = s->d;

    fail_waiting_vcpus(s, -ENODEV, "ioreq server destroyed");
    for (unsigned v = 0; v < d->nr_vcpus; v++) {
        xs_port *p = xs_port_lookup(d, s->vcpu_port[v]);
        if (p) {
            xs_port_close(p);
        }
    }
    if (s->buf_port) {
        xs_port *p = xs_port_lookup(d, s->buf_port);
        if (p) {
            xs_port_close(p);
        }
    }
    xs_log(d->sim, "d%u: ioreq server %u destroyed", d->domid, s->id);
    xs_server_free(s);
    xs_servers_changed(d->sim);
    return 0;
}

void xs_server_free(xs_server *s)
{
    /* Device models may still map the pages; the memfd keeps them. */
    munmap(s->pages, s->nr_pages * XS_PAGE_SIZE);
    close(s->pages_fd);
    for (unsigned t = 0; t < XS_RANGE_NR; t++) {
        g_array_free(s->ranges[t], TRUE);
    }
    g_free(s->vcpu_port);
    s->d->servers[s->id] = NULL;
    g_free(s);
}

void xs_server_orphan(xs_server *s)
{
    if (s->dead) {
        return;
    }
    s->dead = true;
    s->owner = NULL;
    xs_warn("d%u: ioreq server %u: device model went away (its ranges now "
            "fail with EPIPE)", s->d->domid, s->id);
    fail_waiting_vcpus(s, -EPIPE, "device model died");
    xs_servers_changed(s->d->sim);
}

ioreq_t *xs_server_slot(xs_server *s, unsigned vcpu)
{
    shared_iopage_t *pg = (shared_iopage_t *)(s->pages + XS_PAGE_SIZE *
                          (1 + vcpu / XS_SLOTS_PER_PAGE));

    return &pg->vcpu_ioreq[vcpu % XS_SLOTS_PER_PAGE];
}

buffered_iopage_t *xs_server_bufpage(xs_server *s)
{
    return s->bufioreq ? (buffered_iopage_t *)s->pages : NULL;
}

int xs_server_set_state(xs_server *s, bool enabled)
{
    if (s->enabled == enabled) {
        return 0;
    }
    if (enabled) {
        for (unsigned v = 0; v < s->d->nr_vcpus; v++) {
            xs_server_slot(s, v)->vp_eport = s->vcpu_port[v];
        }
    }
    s->enabled = enabled;
    xs_log(s->d->sim, "d%u: ioreq server %u %s", s->d->domid, s->id,
           enabled ? "enabled" : "disabled");
    xs_servers_changed(s->d->sim);
    return 0;
}

/* ---- rangesets ---- */

static bool overlaps(GArray *rs, uint64_t s, uint64_t e)
{
    for (guint i = 0; i < rs->len; i++) {
        xs_range *r = &g_array_index(rs, xs_range, i);
        if (s <= r->e && e >= r->s) {
            return true;
        }
    }
    return false;
}

static bool contains(GArray *rs, uint64_t s, uint64_t e)
{
    for (guint i = 0; i < rs->len; i++) {
        xs_range *r = &g_array_index(rs, xs_range, i);
        if (s >= r->s && e <= r->e) {
            return true;
        }
    }
    return false;
}

static void add_merged(GArray *rs, uint64_t s, uint64_t e)
{
    /* Absorb neighbours that touch [s, e], as rangeset_add_range does. */
    for (guint i = 0; i < rs->len;) {
        xs_range *r = &g_array_index(rs, xs_range, i);
        if ((r->e != UINT64_MAX && r->e + 1 == s) ||
            (e != UINT64_MAX && e + 1 == r->s)) {
            s = MIN(s, r->s);
            e = MAX(e, r->e);
            g_array_remove_index_fast(rs, i);
            continue;
        }
        i++;
    }
    xs_range n = { s, e };
    g_array_append_val(rs, n);
}

static void remove_contained(GArray *rs, uint64_t s, uint64_t e)
{
    for (guint i = 0; i < rs->len; i++) {
        xs_range r = g_array_index(rs, xs_range, i);
        if (s < r.s || e > r.e) {
            continue;
        }
        g_array_remove_index_fast(rs, i);
        if (r.s < s) {
            xs_range lo = { r.s, s - 1 };
            g_array_append_val(rs, lo);
        }
        if (e < r.e) {
            xs_range hi = { e + 1, r.e };
            g_array_append_val(rs, hi);
        }
        return;
    }
}

int xs_server_map_range(xs_server *s, unsigned type, uint64_t start,
                        uint64_t end, bool map)
{
    static const char *names[] = { "port", "mmio", "pci" };

    if (type >= XS_RANGE_NR || start > end) {
        return -EINVAL;
    }
    GArray *rs = s->ranges[type];
    if (map) {
        if (overlaps(rs, start, end)) {
            return -EEXIST;
        }
        add_merged(rs, start, end);
    } else {
        if (!contains(rs, start, end)) {
            return -ENOENT;
        }
        remove_contained(rs, start, end);
    }
    xs_log(s->d->sim, "d%u: server %u %s %s [%#" G_GINT64_MODIFIER "x, %#"
           G_GINT64_MODIFIER "x]", s->d->domid, s->id,
           map ? "claims" : "releases", names[type], start, end);
    xs_servers_changed(s->d->sim);
    return 0;
}

unsigned xs_server_nr_ranges(xs_server *s)
{
    unsigned n = 0;

    for (unsigned t = 0; t < XS_RANGE_NR; t++) {
        n += s->ranges[t]->len;
    }
    return n;
}

/* ---- selection ---- */

/* CF8 decoding, as hvm_pci_decode_addr() (xen/arch/x86/hvm/io.c). */
#define CF8_ENABLED(cf8) (!!((cf8) & 0x80000000u))
#define CF8_BDF(cf8) (((cf8) & 0x00ffff00u) >> 8)
#define CF8_ADDR_LO(cf8) ((cf8) & 0x000000fcu)

static void type_addr(xs_domain *d, const ioreq_t *p, unsigned *type,
                      uint64_t *addr)
{
    if (p->type == IOREQ_TYPE_PIO && (p->addr & ~3ull) == 0xcfc &&
        CF8_ENABLED(d->cf8)) {
        uint32_t reg = CF8_ADDR_LO(d->cf8) | (uint32_t)(p->addr & 3);
        *type = XS_RANGE_PCI;
        *addr = ((uint64_t)CF8_BDF(d->cf8) << 32) | reg;
        return;
    }
    *type = p->type == IOREQ_TYPE_PIO ? XS_RANGE_PORT : XS_RANGE_MEMORY;
    *addr = p->addr;
}

/* ioreq_mmio_first_byte / ioreq_mmio_last_byte (xen/include/xen/ioreq.h) */
static uint64_t mmio_first(const ioreq_t *p)
{
    return p->df ? p->addr - (p->count - 1ull) * p->size : p->addr;
}

static uint64_t mmio_last(const ioreq_t *p)
{
    return p->df ? p->addr + p->size - 1 :
                   p->addr + (uint64_t)p->count * p->size - 1;
}

xs_server *xs_server_select(xs_domain *d, ioreq_t *p)
{
    unsigned type;
    uint64_t addr;

    if (p->type != IOREQ_TYPE_PIO && p->type != IOREQ_TYPE_COPY) {
        return NULL;
    }
    type_addr(d, p, &type, &addr);
    for (int id = XS_MAX_SERVERS - 1; id >= 0; id--) {
        xs_server *s = d->servers[id];
        if (!s || !s->enabled) {
            continue;
        }
        GArray *rs = s->ranges[type];
        switch (type) {
        case XS_RANGE_PORT:
            if (contains(rs, addr, addr + p->size - 1)) {
                return s;
            }
            break;
        case XS_RANGE_MEMORY:
            if (contains(rs, mmio_first(p), mmio_last(p))) {
                return s;
            }
            break;
        default:
            if (contains(rs, addr >> 32, addr >> 32)) {
                p->type = IOREQ_TYPE_PCI_CONFIG;
                p->addr = addr;
                return s;
            }
            break;
        }
    }
    return NULL;
}
