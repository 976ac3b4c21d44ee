/* SPDX-License-Identifier: MIT */
/* Fake Xen libraries for test-xenhost; see fakexen.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "fakexen.h"

fake_xen fake;

/* Opaque handle types only need an address. */
struct xc_interface_core {
    int dummy;
};
struct xendevicemodel_handle {
    int dummy;
};
struct xenforeignmemory_handle {
    int dummy;
};
struct xenevtchn_handle {
    int dummy;
};
struct xenforeignmemory_resource_handle {
    int dummy;
};

static struct xc_interface_core the_xch;
static struct xendevicemodel_handle the_dmod;
static struct xenforeignmemory_handle the_fmem;
static struct xenevtchn_handle the_xce;
static struct xenforeignmemory_resource_handle the_fres;

#define LOG(...) g_string_append_printf(fake.log, __VA_ARGS__)
#define LEGACY_IOREQ_GFN 0xfeff0
#define LEGACY_BUF_GFN 0xfeff1

void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
    fake.exists = true;
    fake.hvm = true;
    fake.max_vcpu_id = 1;
    fake.log = g_string_new(NULL);
    fake.pages = g_malloc0(2 * XC_PAGE_SIZE);
    fake.ram = g_malloc0(FAKE_RAM_PAGES * XC_PAGE_SIZE);
    g_assert_cmpint(pipe2(fake.pipe, O_CLOEXEC | O_NONBLOCK), ==, 0);
}

void fake_fini(void)
{
    g_string_free(fake.log, TRUE);
    g_free(fake.pages);
    g_free(fake.ram);
    close(fake.pipe[0]);
    close(fake.pipe[1]);
}

shared_iopage_t *fake_shared(void)
{
    return (shared_iopage_t *)(fake.pages + XC_PAGE_SIZE);
}

buffered_iopage_t *fake_bufpage(void)
{
    return (buffered_iopage_t *)fake.pages;
}

void fake_signal(int local_port)
{
    uint32_t p = (uint32_t)local_port;

    g_assert_cmpint(write(fake.pipe[1], &p, sizeof(p)), ==, sizeof(p));
}

bool fake_logged(const char *needle)
{
    return strstr(fake.log->str, needle) != NULL;
}

/* ---- libxenctrl ---- */

xc_interface *xc_interface_open(xentoollog_logger *l, xentoollog_logger *d,
                                unsigned f)
{
    fake.open_handles++;
    return &the_xch;
}

int xc_interface_close(xc_interface *xch)
{
    fake.open_handles--;
    LOG("xc_close;");
    return 0;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first, unsigned max,
                      xc_dominfo_t *info)
{
    memset(info, 0, sizeof(*info));
    if (!fake.exists) {
        return 0; /* no domain at or after @first */
    }
    info->domid = FAKE_DOMID;
    info->hvm = fake.hvm;
    info->dying = fake.dying;
    info->max_vcpu_id = fake.max_vcpu_id;
    return first <= FAKE_DOMID ? 1 : 0;
}

/* ---- libxendevicemodel ---- */

xendevicemodel_handle *xendevicemodel_open(xentoollog_logger *l, unsigned f)
{
    fake.open_handles++;
    return &the_dmod;
}

int xendevicemodel_close(xendevicemodel_handle *d)
{
    fake.open_handles--;
    LOG("dm_close;");
    return 0;
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *d, domid_t dom,
                                       int mode, ioservid_t *id)
{
    fake.create_mode = mode;
    *id = 3;
    LOG("create %d;", mode);
    return 0;
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *d, domid_t dom,
                                         ioservid_t id, xen_pfn_t *ioreq_gfn,
                                         xen_pfn_t *buf_gfn,
                                         evtchn_port_t *buf_port)
{
    LOG("get_info gfns=%d;", ioreq_gfn || buf_gfn);
    if (ioreq_gfn) {
        *ioreq_gfn = LEGACY_IOREQ_GFN;
    }
    if (buf_gfn) {
        *buf_gfn = LEGACY_BUF_GFN;
    }
    if (buf_port) {
        *buf_port = FAKE_BUF_REMOTE;
    }
    return 0;
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *d,
                                                domid_t dom, ioservid_t id,
                                                int is_mmio, uint64_t s,
                                                uint64_t e)
{
    LOG("map_io %d 0x%" PRIx64 "-0x%" PRIx64 ";", is_mmio, s, e);
    return 0;
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *d,
                                                    domid_t dom, ioservid_t id,
                                                    int is_mmio, uint64_t s,
                                                    uint64_t e)
{
    LOG("unmap_io %d 0x%" PRIx64 "-0x%" PRIx64 ";", is_mmio, s, e);
    return 0;
}

int xendevicemodel_map_pcidev_to_ioreq_server(xendevicemodel_handle *d,
                                              domid_t dom, ioservid_t id,
                                              uint16_t seg, uint8_t bus,
                                              uint8_t dev, uint8_t fn)
{
    LOG("map_pci %x:%x:%x.%x;", seg, bus, dev, fn);
    return 0;
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(xendevicemodel_handle *d,
                                                  domid_t dom, ioservid_t id,
                                                  uint16_t seg, uint8_t bus,
                                                  uint8_t dev, uint8_t fn)
{
    LOG("unmap_pci %x:%x:%x.%x;", seg, bus, dev, fn);
    return 0;
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *d, domid_t dom,
                                          ioservid_t id, int enabled)
{
    LOG("state %d;", enabled);
    fake.enabled = enabled;
    /* Xen publishes the vCPU ports when the server is enabled. */
    for (unsigned v = 0; enabled && v <= fake.max_vcpu_id; v++) {
        fake_shared()->vcpu_ioreq[v].vp_eport = FAKE_REMOTE_PORT(v);
    }
    return 0;
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *d, domid_t dom,
                                        ioservid_t id)
{
    LOG("destroy;");
    return 0;
}

int xendevicemodel_set_isa_irq_level(xendevicemodel_handle *d, domid_t dom,
                                     uint8_t irq, unsigned level)
{
    LOG("isa %u=%u;", irq, level);
    return 0;
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *d, domid_t dom,
                                      uint16_t seg, uint8_t bus, uint8_t dev,
                                      uint8_t intx, unsigned level)
{
    LOG("intx %x:%x:%x %u=%u;", seg, bus, dev, intx, level);
    return 0;
}

int xendevicemodel_inject_msi(xendevicemodel_handle *d, domid_t dom,
                              uint64_t addr, uint32_t data)
{
    LOG("msi 0x%" PRIx64 " 0x%x;", addr, data);
    return 0;
}

int xendevicemodel_modified_memory(xendevicemodel_handle *d, domid_t dom,
                                   uint64_t first_pfn, uint32_t nr)
{
    LOG("modified 0x%" PRIx64 "+%u;", first_pfn, nr);
    return 0;
}

/* ---- libxenforeignmemory ---- */

xenforeignmemory_handle *xenforeignmemory_open(xentoollog_logger *l, unsigned f)
{
    fake.open_handles++;
    return &the_fmem;
}

int xenforeignmemory_close(xenforeignmemory_handle *h)
{
    fake.open_handles--;
    LOG("fmem_close;");
    return 0;
}

xenforeignmemory_resource_handle *xenforeignmemory_map_resource(
    xenforeignmemory_handle *h, domid_t dom, unsigned type, unsigned id,
    unsigned long frame, unsigned long nr, void **paddr, int prot, int flags)
{
    LOG("map_resource %lu+%lu;", frame, nr);
    if (fake.resource_errno) {
        errno = fake.resource_errno;
        return NULL;
    }
    /* frame 0 = bufioreq page, frame 1 = ioreq page (public/memory.h) */
    *paddr = fake.pages + frame * XC_PAGE_SIZE;
    return &the_fres;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *h,
                                    xenforeignmemory_resource_handle *r)
{
    LOG("unmap_resource;");
    return 0;
}

static void *fake_map_ram(size_t pages, const xen_pfn_t arr[], int err[])
{
    for (size_t i = 0; i < pages; i++) {
        err[i] = arr[i] - arr[0] == i && arr[i] < FAKE_RAM_PAGES ? 0 : -EINVAL;
    }
    fake.ram_maps++;
    return arr[0] < FAKE_RAM_PAGES ? fake.ram + arr[0] * XC_PAGE_SIZE
                                   : fake.pages; /* all err set */
}

void *xenforeignmemory_map(xenforeignmemory_handle *h, uint32_t dom, int prot,
                           size_t pages, const xen_pfn_t arr[], int err[])
{
    if (pages == 1 && arr[0] == LEGACY_IOREQ_GFN) {
        LOG("map_gfn ioreq;");
        return fake.pages + XC_PAGE_SIZE;
    }
    if (pages == 1 && arr[0] == LEGACY_BUF_GFN) {
        LOG("map_gfn buf;");
        return fake.pages;
    }
    g_assert_nonnull(err);
    return fake_map_ram(pages, arr, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *h, void *addr, size_t pages)
{
    if (pages > 1 || addr != fake.pages) {
        fake.ram_unmaps++;
    }
    return 0;
}

/* ---- libxenevtchn ---- */

xenevtchn_handle *xenevtchn_open(xentoollog_logger *l, unsigned f)
{
    fake.open_handles++;
    return &the_xce;
}

int xenevtchn_close(xenevtchn_handle *x)
{
    fake.open_handles--;
    LOG("evtchn_close;");
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *x)
{
    return fake.pipe[0];
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *x,
                                                     uint32_t dom,
                                                     evtchn_port_t remote)
{
    LOG("bind %u;", remote);
    return FAKE_LOCAL(remote);
}

int xenevtchn_unbind(xenevtchn_handle *x, evtchn_port_t port)
{
    LOG("unbind %u;", port);
    return 0;
}

int xenevtchn_notify(xenevtchn_handle *x, evtchn_port_t port)
{
    LOG("notify %u;", port);
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *x)
{
    uint32_t p;

    if (fake.pending_fails) {
        errno = EIO;
        return -1;
    }
    if (read(fake.pipe[0], &p, sizeof(p)) != sizeof(p)) {
        errno = EAGAIN;
        return -1;
    }
    return (xenevtchn_port_or_error_t)p;
}

int xenevtchn_unmask(xenevtchn_handle *x, evtchn_port_t port)
{
    LOG("unmask %u;", port);
    return 0;
}
