// SPDX-License-Identifier: MIT
/*
 * Foreign-memory requests: which pfns of a domain may be mapped (answered
 * per page like privcmd's MMAPBATCH_V2), the ioreq-server resource
 * (XENMEM_acquire_resource, public/memory.h), and the page accounting
 * that keeps a killed domain "dying" until its device models let go.
 */
#include <errno.h>

#include "xensim.h"

#include <xen/memory.h>

static void account(xs_conn *c, xs_domain *d, int64_t pages)
{
    gpointer key = GUINT_TO_POINTER(d->domid);
    uint64_t have = GPOINTER_TO_SIZE(g_hash_table_lookup(c->mapped, key));

    if (pages < 0 && (uint64_t)-pages > have) {
        pages = -(int64_t)have;   /* never below what this handle holds */
    }
    g_hash_table_insert(c->mapped, key,
                        GSIZE_TO_POINTER((gsize)(have + (uint64_t)pages)));
    d->foreign_pages += (uint64_t)pages;
}

/* A legacy ioreq-server gfn: the server and the frame of its page memfd
 * (0: buffered ring, 1: first ioreq page), or NULL. Xen takes the gfns out
 * of the guest physmap while the server is enabled, so they only map
 * before (device models map them, then enable). */
static xs_server *legacy_gfn(xs_domain *d, uint64_t pfn, unsigned *frame)
{
    if (pfn < XS_IOREQ_GFN_BASE || pfn >= XS_IOREQ_GFN_BASE +
                                           2 * XS_MAX_SERVERS) {
        return NULL;
    }
    xs_server *s = xs_server_get(d, (unsigned)(pfn - XS_IOREQ_GFN_BASE) / 2);
    *frame = (unsigned)(pfn - XS_IOREQ_GFN_BASE) % 2;
    if (!s || !s->gfns_given || s->enabled || (*frame == 0 && !s->bufioreq)) {
        return NULL;
    }
    return s;
}

static void map_pfns(xs_conn *c, xs_domain *d, xs_msg *m, const void *pl,
                     size_t plen)
{
    static int32_t errs[XS_MAX_PFNS_PER_MSG];
    const uint64_t *pfns = pl;
    uint32_t nr = m->u.map.nr;
    uint64_t max = d->ram_bytes / XS_PAGE_SIZE;
    int64_t ok = 0;

    if (nr > XS_MAX_PFNS_PER_MSG || plen != nr * sizeof(uint64_t)) {
        m->h.err = -EINVAL;
        xs_conn_reply(c, m, NULL, 0, -1);
        return;
    }
    for (uint32_t i = 0; i < nr; i++) {
        unsigned frame;
        /* Outside RAM: what p2m_add_foreign() answers for a gfn that is
         * not RAM (xen/arch/x86/mm/p2m.c). */
        errs[i] = pfns[i] < max ? 0 : legacy_gfn(d, pfns[i], &frame) ?
                  XS_FMEM_GFN_SPECIAL : -EINVAL;
        ok += errs[i] == 0;
    }
    account(c, d, ok);
    xs_conn_reply(c, m, errs, nr * sizeof(errs[0]), d->ram_fd);
}

static unsigned resource_frames(xs_domain *d)
{
    /* ioreq_server_max_frames(): the buffered ring + 1 per 128 vCPUs. */
    return 1 + (d->nr_vcpus + XS_SLOTS_PER_PAGE - 1) / XS_SLOTS_PER_PAGE;
}

static int map_gfn(xs_conn *c, xs_domain *d, xs_msg *m, int *fd)
{
    unsigned frame;
    xs_server *s = legacy_gfn(d, m->u.res.frame, &frame);

    if (!s) {
        return -EINVAL;
    }
    account(c, d, 1);
    m->u.res.frame = frame;
    *fd = s->pages_fd;
    return 0;
}

static int map_resource(xs_conn *c, xs_domain *d, xs_msg *m, int *fd)
{
    xs_server *s;
    uint64_t frame = m->u.res.frame, nr = m->u.res.nr_frames;

    if (m->u.res.type != XENMEM_resource_ioreq_server ||
        c->sim->opts.no_map_resource) {
        return -EOPNOTSUPP;
    }
    if (!(s = xs_server_get(d, m->u.res.id))) {
        return -ENOENT;
    }
    /* ioreq_server_alloc_mfn(): not after the legacy gfns were used. */
    if (s->gfns_given) {
        return -EPERM;
    }
    if (!nr || frame + nr < frame || frame + nr > s->nr_pages) {
        return -EINVAL;
    }
    if (frame == XENMEM_resource_ioreq_server_frame_bufioreq &&
        !s->bufioreq) {
        return -ENOENT;   /* ioreq_server_get_frame(): no ring */
    }
    account(c, d, (int64_t)nr);
    s->resource_mapped = true;
    *fd = s->pages_fd;
    return 0;
}

void xs_handle_fmem(xs_conn *c, xs_msg *m, const void *pl, size_t plen)
{
    /* The domain id sits first in both request layouts. */
    xs_domain *d = xs_domain_lookup(c->sim, m->u.map.domid);
    int fd = -1;

    if (c->kind != XS_KIND_FMEM) {
        m->h.err = -EBADF;
    } else if (!d) {
        m->h.err = -ESRCH;
    } else if (m->h.op == XS_OP_FMEM_UNMAP) {
        account(c, d, -(int64_t)m->u.map.nr);
        xs_domain_reap(d);
    } else if (m->h.op == XS_OP_FMEM_UNMAP_RESOURCE) {
        account(c, d, -(int64_t)m->u.res.nr_frames);
        xs_domain_reap(d);
    } else if (d->dying) {
        m->h.err = -ESRCH;   /* no new mappings of a dying domain */
    } else if (m->h.op == XS_OP_FMEM_MAP) {
        map_pfns(c, d, m, pl, plen);
        return;
    } else if (m->h.op == XS_OP_FMEM_MAP_RESOURCE) {
        m->h.err = map_resource(c, d, m, &fd);
    } else if (m->h.op == XS_OP_FMEM_MAP_GFN) {
        m->h.err = map_gfn(c, d, m, &fd);
    } else if (m->h.op == XS_OP_FMEM_RESOURCE_SIZE) {
        m->h.err = m->u.res.type == XENMEM_resource_ioreq_server ?
                   0 : -EOPNOTSUPP;
        m->u.res.nr_frames = resource_frames(d);
    } else {
        m->h.err = -ENOSYS;
    }
    xs_conn_reply(c, m, NULL, 0, m->h.err ? -1 : fd);
}
