// SPDX-License-Identifier: MIT
/*
 * Replacement libxendevicemodel.so.1: every dm_op becomes one request to
 * the simulator, which applies Xen's rules (public/hvm/dm_op.h) and answers
 * with the errno Xen would. After xendevicemodel_restrict() the handle only
 * works on that domain (EPERM otherwise), as the privcmd driver enforces.
 */
#include <errno.h>
#include <stdlib.h>

#include <xendevicemodel.h>

#include "client.h"
#include "xs-toolcore.h"

struct xendevicemodel_handle {
    xs_active_handle tc;       /* first: xentoolcore casts to it */
    xs_client c;
    domid_t restricted;        /* DOMID_INVALID until restricted */
};

static int dm_restrict_cb(xs_active_handle *ah, domid_t domid)
{
    return xendevicemodel_restrict((xendevicemodel_handle *)ah, domid);
}

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
                                           unsigned int open_flags)
{
    xendevicemodel_handle *h = calloc(1, sizeof(*h));

    if (!h) {
        return NULL;
    }
    if (xs_client_open(&h->c, XS_KIND_DM, 0, NULL, NULL) < 0) {
        int e = errno;
        free(h);
        errno = e;
        return NULL;
    }
    h->restricted = DOMID_INVALID;
    h->tc.restrict_callback = dm_restrict_cb;
    xentoolcore__register_active_handle(&h->tc);
    return h;
}

int xendevicemodel_close(xendevicemodel_handle *dmod)
{
    if (dmod) {
        xentoolcore__deregister_active_handle(&dmod->tc);
        xs_client_close(&dmod->c);
        free(dmod);
    }
    return 0;
}

int xendevicemodel_restrict(xendevicemodel_handle *dmod, domid_t domid)
{
    dmod->restricted = domid;
    return 0;
}

/* One dm_op round trip; @m's reply is left in *m for the caller. */
static int dm_call(xendevicemodel_handle *h, xs_msg *m, uint32_t op,
                   domid_t domid, uint32_t id)
{
    if (h->restricted != DOMID_INVALID && domid != h->restricted) {
        errno = EPERM;
        return -1;
    }
    m->h.op = op;
    m->u.dm.domid = domid;
    m->u.dm.id = id;
    return xs_client_call(&h->c, m, NULL, 0, NULL, 0, NULL, NULL);
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *dmod,
                                       domid_t domid, int handle_bufioreq,
                                       ioservid_t *id)
{
    xs_msg m = { .u.dm.arg[0] = (uint64_t)(unsigned)handle_bufioreq };

    if (dm_call(dmod, &m, XS_OP_DM_CREATE_SERVER, domid, 0) < 0) {
        return -1;
    }
    *id = (ioservid_t)m.u.dm.id;
    return 0;
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *dmod,
                                         domid_t domid, ioservid_t id,
                                         xen_pfn_t *ioreq_gfn,
                                         xen_pfn_t *bufioreq_gfn,
                                         evtchn_port_t *bufioreq_port)
{
    /* arg[3]: gfns wanted (the real library passes XEN_DMOP_no_gfns when
     * both pointers are NULL); the reply fills arg[0..2]. */
    xs_msg m = { .u.dm.arg[3] = (ioreq_gfn || bufioreq_gfn) };

    if (dm_call(dmod, &m, XS_OP_DM_GET_SERVER_INFO, domid, id) < 0) {
        return -1;
    }
    if (ioreq_gfn) {
        *ioreq_gfn = m.u.dm.arg[0];
    }
    if (bufioreq_gfn) {
        *bufioreq_gfn = m.u.dm.arg[1];
    }
    if (bufioreq_port) {
        *bufioreq_port = (evtchn_port_t)m.u.dm.arg[2];
    }
    return 0;
}

static int range_op(xendevicemodel_handle *h, uint32_t op, domid_t domid,
                    ioservid_t id, unsigned type, uint64_t start,
                    uint64_t end)
{
    xs_msg m = { .u.dm.arg = { type, start, end } };

    return dm_call(h, &m, op, domid, id);
}

int xendevicemodel_map_io_range_to_ioreq_server(
    xendevicemodel_handle *dmod, domid_t domid, ioservid_t id, int is_mmio,
    uint64_t start, uint64_t end)
{
    return range_op(dmod, XS_OP_DM_MAP_RANGE, domid, id,
                    is_mmio ? XS_RANGE_MEMORY : XS_RANGE_PORT, start, end);
}

int xendevicemodel_unmap_io_range_from_ioreq_server(
    xendevicemodel_handle *dmod, domid_t domid, ioservid_t id, int is_mmio,
    uint64_t start, uint64_t end)
{
    return range_op(dmod, XS_OP_DM_UNMAP_RANGE, domid, id,
                    is_mmio ? XS_RANGE_MEMORY : XS_RANGE_PORT, start, end);
}

/* XEN_DMOP_PCI_SBDF(s, b, d, f) of public/hvm/dm_op.h. */
static uint64_t sbdf(uint16_t segment, uint8_t bus, uint8_t device,
                     uint8_t function)
{
    return ((uint64_t)segment << 16) | ((uint64_t)bus << 8) |
           ((uint64_t)(device & 0x1f) << 3) | (function & 0x7);
}

int xendevicemodel_map_pcidev_to_ioreq_server(
    xendevicemodel_handle *dmod, domid_t domid, ioservid_t id,
    uint16_t segment, uint8_t bus, uint8_t device, uint8_t function)
{
    /* The real library rejects these before the hypercall. */
    if (device > 0x1f || function > 0x7) {
        errno = EINVAL;
        return -1;
    }
    uint64_t s = sbdf(segment, bus, device, function);
    return range_op(dmod, XS_OP_DM_MAP_RANGE, domid, id, XS_RANGE_PCI, s, s);
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(
    xendevicemodel_handle *dmod, domid_t domid, ioservid_t id,
    uint16_t segment, uint8_t bus, uint8_t device, uint8_t function)
{
    if (device > 0x1f || function > 0x7) {
        errno = EINVAL;
        return -1;
    }
    uint64_t s = sbdf(segment, bus, device, function);
    return range_op(dmod, XS_OP_DM_UNMAP_RANGE, domid, id, XS_RANGE_PCI, s,
                    s);
}

int xendevicemodel_map_mem_type_to_ioreq_server(
    xendevicemodel_handle *dmod, domid_t domid, ioservid_t id, uint16_t type,
    uint32_t flags)
{
    errno = EOPNOTSUPP;    /* p2m_ioreq_server pages are not simulated */
    return -1;
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *dmod,
                                        domid_t domid, ioservid_t id)
{
    xs_msg m = { 0 };

    return dm_call(dmod, &m, XS_OP_DM_DESTROY_SERVER, domid, id);
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *dmod,
                                          domid_t domid, ioservid_t id,
                                          int enabled)
{
    xs_msg m = { .u.dm.arg[0] = !!enabled };

    return dm_call(dmod, &m, XS_OP_DM_SET_SERVER_STATE, domid, id);
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *dmod,
                                      domid_t domid, uint16_t segment,
                                      uint8_t bus, uint8_t device,
                                      uint8_t intx, unsigned int level)
{
    xs_msg m = { .u.dm.arg = { segment, bus, device, intx } };

    /* Four arguments are taken; the level travels in the id field. */
    return dm_call(dmod, &m, XS_OP_DM_SET_PCI_INTX, domid, level);
}

int xendevicemodel_set_isa_irq_level(xendevicemodel_handle *dmod,
                                     domid_t domid, uint8_t irq,
                                     unsigned int level)
{
    xs_msg m = { .u.dm.arg = { irq, level } };

    return dm_call(dmod, &m, XS_OP_DM_SET_ISA_IRQ, domid, 0);
}

int xendevicemodel_set_irq_level(xendevicemodel_handle *dmod, domid_t domid,
                                 unsigned int irq, unsigned int level)
{
    xs_msg m = { .u.dm.arg = { irq, level } };

    return dm_call(dmod, &m, XS_OP_DM_SET_GSI, domid, 0);
}

int xendevicemodel_set_pci_link_route(xendevicemodel_handle *dmod,
                                      domid_t domid, uint8_t link,
                                      uint8_t irq)
{
    xs_msg m = { .u.dm.arg = { link, irq } };

    return dm_call(dmod, &m, XS_OP_DM_SET_LINK_ROUTE, domid, 0);
}

int xendevicemodel_inject_msi(xendevicemodel_handle *dmod, domid_t domid,
                              uint64_t msi_addr, uint32_t msi_data)
{
    xs_msg m = { .u.dm.arg = { msi_addr, msi_data } };

    return dm_call(dmod, &m, XS_OP_DM_INJECT_MSI, domid, 0);
}

int xendevicemodel_track_dirty_vram(xendevicemodel_handle *dmod,
                                    domid_t domid, uint64_t first_pfn,
                                    uint32_t nr, unsigned long *dirty_bitmap)
{
    errno = EOPNOTSUPP;
    return -1;
}

int xendevicemodel_modified_memory(xendevicemodel_handle *dmod,
                                   domid_t domid, uint64_t first_pfn,
                                   uint32_t nr)
{
    xs_msg m = { .u.dm.arg = { first_pfn, nr } };

    return dm_call(dmod, &m, XS_OP_DM_MODIFIED_MEMORY, domid, 0);
}

int xendevicemodel_modified_memory_bulk(
    xendevicemodel_handle *dmod, domid_t domid,
    struct xen_dm_op_modified_memory_extent extents[], uint32_t nr)
{
    for (uint32_t i = 0; i < nr; i++) {
        if (xendevicemodel_modified_memory(dmod, domid, extents[i].first_pfn,
                                           extents[i].nr) < 0) {
            return -1;
        }
    }
    return 0;
}

int xendevicemodel_set_mem_type(xendevicemodel_handle *dmod, domid_t domid,
                                hvmmem_type_t mem_type, uint64_t first_pfn,
                                uint32_t nr)
{
    errno = EOPNOTSUPP;
    return -1;
}

int xendevicemodel_inject_event(xendevicemodel_handle *dmod, domid_t domid,
                                int vcpu, uint8_t vector, uint8_t type,
                                uint32_t error_code, uint8_t insn_len,
                                uint64_t extra)
{
    errno = EOPNOTSUPP;
    return -1;
}

int xendevicemodel_shutdown(xendevicemodel_handle *dmod, domid_t domid,
                            unsigned int reason)
{
    xs_msg m = { .u.dm.arg[0] = reason };

    return dm_call(dmod, &m, XS_OP_DM_SHUTDOWN, domid, 0);
}

int xendevicemodel_relocate_memory(xendevicemodel_handle *dmod,
                                   domid_t domid, uint32_t size,
                                   uint64_t src_gfn, uint64_t dst_gfn)
{
    errno = EOPNOTSUPP;
    return -1;
}

int xendevicemodel_pin_memory_cacheattr(xendevicemodel_handle *dmod,
                                        domid_t domid, uint64_t start,
                                        uint64_t end, uint32_t type)
{
    return 0;   /* caching attributes have no meaning in the simulator */
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *dmod, domid_t domid,
                            unsigned int *vcpus)
{
    xs_msg m = { 0 };

    if (dm_call(dmod, &m, XS_OP_DM_NR_VCPUS, domid, 0) < 0) {
        return -1;
    }
    *vcpus = (unsigned)m.u.dm.arg[0];
    return 0;
}
