/* SPDX-License-Identifier: MIT */
/*
 * hv_host_ops for Xen: what devices ask of the hypervisor, as dm_ops
 * (public/hvm/dm_op.h) and foreign mappings.
 */
#define G_LOG_DOMAIN "ioreq"

#include <errno.h>
#include <inttypes.h>
#include <sys/mman.h>

#include "ioreq/xen_int.h"

/* A PCI range never legitimately spans more than one segment's worth of
 * functions; refuse anything bigger rather than issue 2^32 hypercalls. */
#define IOREQ_PCI_MAX_FUNCS 65536u

static int ioreq_xen_err(hv_xen *x, const char *what)
{
    int e = errno ? errno : EIO;

    /* On a dead domain every call fails; that is not worth a warning. */
    if (x->dead) {
        g_debug("%s: %s", what, g_strerror(e));
    } else {
        g_warning("%s: %s", what, g_strerror(e));
    }
    return -e;
}

static int ioreq_xen_pcidev(hv_xen *x, uint32_t sbdf, bool map)
{
    int rc;

    if (map) {
        rc = xendevicemodel_map_pcidev_to_ioreq_server(
            x->dmod, x->domid, x->id, HV_SBDF_SEG(sbdf), HV_SBDF_BUS(sbdf),
            HV_SBDF_DEV(sbdf), HV_SBDF_FN(sbdf));
    } else {
        rc = xendevicemodel_unmap_pcidev_from_ioreq_server(
            x->dmod, x->domid, x->id, HV_SBDF_SEG(sbdf), HV_SBDF_BUS(sbdf),
            HV_SBDF_DEV(sbdf), HV_SBDF_FN(sbdf));
    }
    return rc < 0 ? ioreq_xen_err(x, map ? "map_pcidev_to_ioreq_server"
                                         : "unmap_pcidev_from_ioreq_server")
                  : 0;
}

/* Xen claims PCI config space per function (XEN_DMOP_IO_RANGE_PCI). */
static int ioreq_xen_map_pci(hv_xen *x, uint64_t start, uint64_t end, bool map)
{
    uint64_t first = start >> 32, last = end >> 32;
    int rc = 0;

    if (last < first || last - first >= IOREQ_PCI_MAX_FUNCS) {
        return -EINVAL;
    }
    for (uint64_t s = first; s <= last; s++) {
        rc = ioreq_xen_pcidev(x, (uint32_t)s, map);
        if (rc < 0 && map) {
            /* Leave nothing half-claimed. */
            while (s-- > first) {
                ioreq_xen_pcidev(x, (uint32_t)s, false);
            }
            return rc;
        }
    }
    return map ? rc : 0;
}

static int ioreq_xen_map_range(void *host, hv_space space, uint64_t start,
                               uint64_t end, bool map)
{
    hv_xen *x = host;
    int is_mmio = space == HV_SPACE_MMIO; /* XEN_DMOP_IO_RANGE_PORT = 0 */
    int rc;

    if (!x->have_server) {
        return -ENODEV;
    }
    if (space == HV_SPACE_PCI) {
        return ioreq_xen_map_pci(x, start, end, map);
    }
    if (space != HV_SPACE_PIO && space != HV_SPACE_MMIO) {
        return -EINVAL;
    }
    if (map) {
        rc = xendevicemodel_map_io_range_to_ioreq_server(
            x->dmod, x->domid, x->id, is_mmio, start, end);
    } else {
        rc = xendevicemodel_unmap_io_range_from_ioreq_server(
            x->dmod, x->domid, x->id, is_mmio, start, end);
    }
    if (rc < 0) {
        return ioreq_xen_err(x, map ? "map_io_range_to_ioreq_server"
                                    : "unmap_io_range_from_ioreq_server");
    }
    return 0;
}

static int ioreq_xen_set_isa_irq(void *host, unsigned irq, unsigned level)
{
    hv_xen *x = host;

    if (irq > 15) {
        return -EINVAL;
    }
    if (xendevicemodel_set_isa_irq_level(x->dmod, x->domid, (uint8_t)irq,
                                         level) < 0) {
        return ioreq_xen_err(x, "set_isa_irq_level");
    }
    return 0;
}

static int ioreq_xen_set_pci_intx(void *host, uint32_t sbdf, unsigned pin,
                                  unsigned level)
{
    hv_xen *x = host;

    if (pin > 3) {
        return -EINVAL;
    }
    if (xendevicemodel_set_pci_intx_level(x->dmod, x->domid, HV_SBDF_SEG(sbdf),
                                          HV_SBDF_BUS(sbdf), HV_SBDF_DEV(sbdf),
                                          (uint8_t)pin, level) < 0) {
        return ioreq_xen_err(x, "set_pci_intx_level");
    }
    return 0;
}

static int ioreq_xen_inject_msi(void *host, uint64_t addr, uint32_t data)
{
    hv_xen *x = host;

    if (xendevicemodel_inject_msi(x->dmod, x->domid, addr, data) < 0) {
        return ioreq_xen_err(x, "inject_msi");
    }
    return 0;
}

/* Dirty tracking for live migration (XEN_DMOP_modified_memory). */
static void ioreq_xen_mem_modified(void *host, uint64_t gpa, size_t len)
{
    hv_xen *x = host;
    uint64_t first, last;

    if (len == 0 || gpa + len < gpa) {
        return;
    }
    first = gpa >> IOREQ_PAGE_SHIFT;
    last = (gpa + len - 1) >> IOREQ_PAGE_SHIFT;
    while (first <= last) {
        uint32_t nr = (uint32_t)MIN(last - first + 1, (uint64_t)UINT32_MAX);

        if (xendevicemodel_modified_memory(x->dmod, x->domid, first, nr) < 0) {
            g_debug("modified_memory(0x%" PRIx64 "+%u): %s", first, nr,
                    g_strerror(errno));
            return;
        }
        first += nr;
    }
}

static int ioreq_xen_mem_read(void *host, uint64_t gpa, void *buf, size_t len)
{
    hv_xen *x = host;

    return ioreq_mapcache_read(x->mc, gpa, buf, len);
}

static int ioreq_xen_mem_write(void *host, uint64_t gpa, const void *buf,
                               size_t len)
{
    hv_xen *x = host;
    int rc = ioreq_mapcache_write(x->mc, gpa, buf, len);

    if (rc == 0) {
        if (G_UNLIKELY(ioreq_xen_debugging)) {
            ioreq_xen_debug_write(x, gpa, buf, len);
        }
        ioreq_xen_mem_modified(x, gpa, len);
    }
    return rc;
}

static const hv_host_ops ioreq_xen_ops = {
    .map_range = ioreq_xen_map_range,
    .set_isa_irq = ioreq_xen_set_isa_irq,
    .set_pci_intx = ioreq_xen_set_pci_intx,
    .inject_msi = ioreq_xen_inject_msi,
    .mem_read = ioreq_xen_mem_read,
    .mem_write = ioreq_xen_mem_write,
    .mem_modified = ioreq_xen_mem_modified,
};

const hv_host_ops *hv_xen_host_ops(void)
{
    return &ioreq_xen_ops;
}

/* ---- guest memory through the map cache ---- */

static void *ioreq_xen_map_guest(void *opaque, uint64_t first_pfn,
                                 size_t npages, int *errs)
{
    hv_xen *x = opaque;
    xen_pfn_t pfns[1u << (IOREQ_MAPCACHE_MAX_BUCKET_SHIFT - IOREQ_PAGE_SHIFT)];

    if (npages > G_N_ELEMENTS(pfns)) {
        return NULL;
    }
    for (size_t i = 0; i < npages; i++) {
        pfns[i] = (xen_pfn_t)(first_pfn + i);
    }
    /* With an err array a partly invalid range still maps; the cache
     * refuses the pages whose err is set (holes, MMIO, beyond RAM). */
    void *va = xenforeignmemory_map(x->fmem, x->domid,
                                    PROT_READ | PROT_WRITE, npages, pfns,
                                    errs);

    ioreq_xen_debug_log("MAP %" PRIx64 " %zu %p", first_pfn, npages, va);
    return va;
}

static void ioreq_xen_unmap_guest(void *opaque, void *addr, size_t npages)
{
    hv_xen *x = opaque;

    ioreq_xen_debug_log("UNMAP %p %zu", addr, npages);
    if (xenforeignmemory_unmap(x->fmem, addr, npages) < 0) {
        g_debug("xenforeignmemory_unmap: %s", g_strerror(errno));
    }
}

static void ioreq_xen_env_invalidate(void *opaque)
{
    hv_xen *x = opaque;

    ioreq_xen_debug_log("INVALIDATE");
    ioreq_mapcache_invalidate(x->mc);
}

void ioreq_xen_env_init(hv_xen *x)
{
    ioreq_xen_debug_init();
    x->mc =
        ioreq_mapcache_new(ioreq_xen_map_guest, ioreq_xen_unmap_guest, x,
                           IOREQ_MAPCACHE_BUCKET_SHIFT, IOREQ_MAPCACHE_BUCKETS);
    x->env.ctx = x->ctx;
    x->env.mem_read = ioreq_xen_mem_read;
    x->env.mem_write = ioreq_xen_mem_write;
    x->env.invalidate = ioreq_xen_env_invalidate;
    x->env.opaque = x;
}
