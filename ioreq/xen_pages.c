/* SPDX-License-Identifier: MIT */
/*
 * The ioreq server's pages and event channels.
 *
 * Pages: the modern way is XENMEM_acquire_resource (public/memory.h,
 * XENMEM_resource_ioreq_server): frame 0 is the buffered page, frame 1+n
 * the synchronous page n, and nothing ever appears in the guest physmap.
 * Older hypervisors lack it (EOPNOTSUPP / ENOSYS); then we ask for the
 * gfns Xen placed the pages at (get_ioreq_server_info) and map those. Xen
 * removes them from the guest physmap when the server is enabled.
 *
 * Event channels: one per vCPU (shared_iopage_t.vcpu_ioreq[v].vp_eport)
 * plus the buffered ring's, all interdomain channels we bind locally.
 */
#define G_LOG_DOMAIN "ioreq"

#include <errno.h>
#include <sys/mman.h>

#include "ioreq/xen_int.h"

/* Returns 1 on success, 0 if the resource API is unavailable, -1 on
 * another error (GError set). */
static int ioreq_xen_map_resource(hv_xen *x, GError **err)
{
    unsigned long frame = x->bufioreq
                              ? XENMEM_resource_ioreq_server_frame_bufioreq
                              : XENMEM_resource_ioreq_server_frame_ioreq(0);
    unsigned long nr = x->bufioreq ? 2 : 1;
    void *addr = NULL;

    x->fres = xenforeignmemory_map_resource(
        x->fmem, x->domid, XENMEM_resource_ioreq_server, x->id, frame, nr,
        &addr, PROT_READ | PROT_WRITE, 0);
    if (!x->fres) {
        if (errno == EOPNOTSUPP || errno == ENOSYS) {
            return 0;
        }
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "xenforeignmemory_map_resource(ioreq server %u)",
                            x->id);
        return -1;
    }
    if (x->bufioreq) {
        x->bufpage = addr;
        x->shared = (shared_iopage_t *)((uint8_t *)addr + XC_PAGE_SIZE);
    } else {
        x->shared = addr;
    }
    return 1;
}

static void *ioreq_xen_map_gfn(hv_xen *x, xen_pfn_t gfn, GError **err)
{
    void *p = xenforeignmemory_map(x->fmem, x->domid, PROT_READ | PROT_WRITE, 1,
                                   &gfn, NULL);

    if (!p) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "xenforeignmemory_map(ioreq gfn 0x%lx)",
                            (unsigned long)gfn);
    }
    return p;
}

static bool ioreq_xen_map_legacy(hv_xen *x, GError **err)
{
    xen_pfn_t ioreq_gfn = 0, buf_gfn = 0;

    if (xendevicemodel_get_ioreq_server_info(
            x->dmod, x->domid, x->id, &ioreq_gfn, x->bufioreq ? &buf_gfn : NULL,
            x->bufioreq ? &x->buf_remote : NULL) < 0) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "xendevicemodel_get_ioreq_server_info");
        return false;
    }
    x->legacy_ioreq = ioreq_xen_map_gfn(x, ioreq_gfn, err);
    if (!x->legacy_ioreq) {
        return false;
    }
    x->shared = x->legacy_ioreq;
    if (x->bufioreq) {
        x->legacy_buf = ioreq_xen_map_gfn(x, buf_gfn, err);
        if (!x->legacy_buf) {
            return false; /* the caller unmaps legacy_ioreq */
        }
        x->bufpage = x->legacy_buf;
    }
    g_info("ioreq pages mapped through the legacy gfn interface");
    return true;
}

/* Only the buffered ring's port; passing gfn pointers would make Xen put
 * the pages into the guest physmap, which the resource path avoids. */
static bool ioreq_xen_get_buf_port(hv_xen *x, GError **err)
{
    if (!x->bufioreq) {
        return true;
    }
    if (xendevicemodel_get_ioreq_server_info(x->dmod, x->domid, x->id, NULL,
                                             NULL, &x->buf_remote) < 0) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "xendevicemodel_get_ioreq_server_info");
        return false;
    }
    return true;
}

bool ioreq_xen_map_pages(hv_xen *x, GError **err)
{
    int rc = ioreq_xen_map_resource(x, err);

    if (rc == 1 && ioreq_xen_get_buf_port(x, err)) {
        return true;
    }
    if (rc == 0) {
        g_debug("map_resource unsupported (%s): trying legacy gfns",
                g_strerror(errno));
        if (ioreq_xen_map_legacy(x, err)) {
            return true;
        }
    }
    ioreq_xen_unmap_pages(x);
    return false;
}

void ioreq_xen_unmap_pages(hv_xen *x)
{
    if (x->fres && xenforeignmemory_unmap_resource(x->fmem, x->fres) < 0) {
        g_debug("xenforeignmemory_unmap_resource: %s", g_strerror(errno));
    }
    if (x->legacy_ioreq) {
        xenforeignmemory_unmap(x->fmem, x->legacy_ioreq, 1);
    }
    if (x->legacy_buf) {
        xenforeignmemory_unmap(x->fmem, x->legacy_buf, 1);
    }
    x->fres = NULL;
    x->legacy_ioreq = NULL;
    x->legacy_buf = NULL;
    x->shared = NULL;
    x->bufpage = NULL;
}

static int ioreq_xen_bind(hv_xen *x, evtchn_port_t remote, GError **err,
                          const char *what)
{
    xenevtchn_port_or_error_t local =
        xenevtchn_bind_interdomain(x->xce, x->domid, remote);

    if (local < 0) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "xenevtchn_bind_interdomain(%s, port %u)", what,
                            remote);
        return IOREQ_NO_PORT;
    }
    return local;
}

bool ioreq_xen_bind_ports(hv_xen *x, GError **err)
{
    for (unsigned v = 0; v < x->nr_vcpus; v++) {
        volatile ioreq_t *slot = &x->shared->vcpu_ioreq[v];
        char what[16];

        g_snprintf(what, sizeof(what), "vcpu%u", v);
        x->vcpu_port[v] = ioreq_xen_bind(x, slot->vp_eport, err, what);
        if (x->vcpu_port[v] == IOREQ_NO_PORT) {
            goto err_unbind;
        }
    }
    if (x->bufioreq) {
        x->buf_port = ioreq_xen_bind(x, x->buf_remote, err, "bufioreq");
        if (x->buf_port == IOREQ_NO_PORT) {
            goto err_unbind;
        }
    }
    return true;

err_unbind:
    ioreq_xen_unbind_ports(x);
    return false;
}

static void ioreq_xen_unbind(hv_xen *x, int *port)
{
    if (*port != IOREQ_NO_PORT && xenevtchn_unbind(x->xce, *port) < 0) {
        g_debug("xenevtchn_unbind(%d): %s", *port, g_strerror(errno));
    }
    *port = IOREQ_NO_PORT;
}

void ioreq_xen_unbind_ports(hv_xen *x)
{
    for (unsigned v = 0; x->vcpu_port && v < x->nr_vcpus; v++) {
        ioreq_xen_unbind(x, &x->vcpu_port[v]);
    }
    ioreq_xen_unbind(x, &x->buf_port);
}
