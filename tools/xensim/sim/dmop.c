// SPDX-License-Identifier: MIT
/*
 * dm_op requests from libxendevicemodel handles (public/hvm/dm_op.h),
 * answered with the errno Xen gives: ESRCH for no such domain, ENOENT for
 * no such server (also after the domain was killed, which destroys them),
 * EINVAL for bad arguments.
 */
#include <errno.h>

#include "xensim.h"

#include <xen/hvm/hvm_op.h>

static int server_op(xs_conn *c, xs_domain *d, xs_msg *m)
{
    xs_server *s = xs_server_get(d, m->u.dm.id);
    uint64_t *a = m->u.dm.arg;

    if (!s) {
        return -ENOENT;
    }
    switch (m->h.op) {
    case XS_OP_DM_GET_SERVER_INFO:
        a[2] = s->buf_port;
        a[0] = a[1] = 0;
        if (!a[3]) {
            return 0;   /* XEN_DMOP_no_gfns */
        }
        /* hvm_map_ioreq_gfn(): pages already acquired as a resource
         * cannot also be placed in the guest's physmap. */
        if (s->resource_mapped) {
            return -EPERM;
        }
        s->gfns_given = true;
        a[0] = XS_IOREQ_GFN_BASE + 2 * s->id + 1;
        a[1] = s->bufioreq ? XS_IOREQ_GFN_BASE + 2 * s->id : 0;
        xs_log(c->sim, "d%u: server %u: legacy ioreq gfn %#" G_GINT64_MODIFIER
               "x, bufioreq gfn %#" G_GINT64_MODIFIER "x", d->domid, s->id,
               a[0], a[1]);
        return 0;
    case XS_OP_DM_MAP_RANGE:
    case XS_OP_DM_UNMAP_RANGE:
        return xs_server_map_range(s, (unsigned)a[0], a[1], a[2],
                                   m->h.op == XS_OP_DM_MAP_RANGE);
    case XS_OP_DM_SET_SERVER_STATE:
        return xs_server_set_state(s, a[0] != 0);
    case XS_OP_DM_DESTROY_SERVER:
        return xs_server_destroy(s);
    default:
        return -ENOSYS;
    }
}

static int modified_memory(xs_domain *d, uint64_t first, uint64_t nr)
{
    uint64_t max = d->ram_bytes / XS_PAGE_SIZE;

    /* dm.c modified_memory(): the extent must lie below the max gpfn. */
    if (!nr || first + nr < first || first + nr > max) {
        return -EINVAL;
    }
    d->modified_pages += nr;
    return 0;
}

static int domain_op(xs_conn *c, xs_domain *d, xs_msg *m)
{
    uint64_t *a = m->u.dm.arg;
    unsigned id;
    int rc;

    switch (m->h.op) {
    case XS_OP_DM_CREATE_SERVER:
        rc = xs_server_create(d, c, (int)a[0], &id);
        m->u.dm.id = rc ? 0 : id;
        return rc;
    case XS_OP_DM_SET_ISA_IRQ:
        return xs_irq_set_isa(d, (unsigned)a[0], (unsigned)a[1]);
    case XS_OP_DM_SET_GSI:
        return xs_irq_set_gsi(d, (unsigned)a[0], (unsigned)a[1]);
    case XS_OP_DM_SET_PCI_INTX:
        return xs_irq_set_intx(d, (unsigned)a[0], (unsigned)a[1],
                               (unsigned)a[2], (unsigned)a[3], m->u.dm.id);
    case XS_OP_DM_SET_LINK_ROUTE:
        return xs_irq_set_link_route(d, (unsigned)a[0], (unsigned)a[1]);
    case XS_OP_DM_INJECT_MSI:
        return xs_irq_inject_msi(d, a[0], (uint32_t)a[1]);
    case XS_OP_DM_MODIFIED_MEMORY:
        return modified_memory(d, a[0], a[1]);
    case XS_OP_DM_NR_VCPUS:
        a[0] = d->nr_vcpus;
        return 0;
    case XS_OP_DM_SHUTDOWN:
        xs_domain_shutdown(d, (unsigned)a[0]);
        return 0;
    default:
        return server_op(c, d, m);
    }
}

void xs_handle_dm(xs_conn *c, xs_msg *m)
{
    xs_domain *d = xs_domain_lookup(c->sim, m->u.dm.domid);

    if (!d) {
        m->h.err = -ESRCH;
    } else if (!d->hvm) {
        m->h.err = -EINVAL;   /* dm_op is for HVM guests only */
    } else {
        m->h.err = domain_op(c, d, m);
    }
    xs_conn_reply(c, m, NULL, 0, -1);
}
