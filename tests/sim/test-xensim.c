// SPDX-License-Identifier: MIT
/*
 * Self-test of the simulated Xen: the replacement libraries and xensim's
 * rules, driven through Xen's real library API by mini-server (no hvmemu
 * involved) and through libxensim-guest as the guest.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>

#include <glib.h>

#include "harness.h"
#include "mini-server.h"

#define DOMID 1
#define PORT 0x2000
#define MMIO 0xfe000000ull

static mini *start_mini(uint16_t port, uint64_t mmio, int pci_dev,
                        int bufioreq)
{
    mini_opts o = { .domid = DOMID, .bufioreq = bufioreq, .port = port,
                    .mmio = mmio, .pci_dev = pci_dev };
    mini *m = mini_start(&o);

    g_assert_nonnull(m);
    return m;
}

/* ---- the ioreq-server registry ---- */

static void test_registry(void)
{
    simh *h = simh_new(NULL);
    xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
    ioservid_t ids[9];

    g_assert_nonnull(dm);
    for (int i = 0; i < 8; i++) {
        g_assert_cmpint(xendevicemodel_create_ioreq_server(dm, DOMID, 0,
                                                           &ids[i]), ==, 0);
        g_assert_cmpint(ids[i], ==, i);
    }
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dm, DOMID, 0,
                                                       &ids[8]), ==, -1);
    g_assert_cmpint(errno, ==, ENOSPC);
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dm, 7, 0, &ids[8]),
                    ==, -1);
    g_assert_cmpint(errno, ==, ESRCH);
    /* Overlap within one server: EEXIST; adjacent ranges merge. */
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
        dm, DOMID, 0, 0, 0x100, 0x107), ==, 0);
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
        dm, DOMID, 0, 0, 0x104, 0x10f), ==, -1);
    g_assert_cmpint(errno, ==, EEXIST);
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
        dm, DOMID, 0, 0, 0x108, 0x10f), ==, 0);
    /* Another server may claim the same range (the newest wins). */
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
        dm, DOMID, 1, 0, 0x100, 0x10f), ==, 0);
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
        dm, DOMID, 1, 0, 0x20, 0x10), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    /* Unmap needs containment; a middle piece splits the range. */
    g_assert_cmpint(xendevicemodel_unmap_io_range_from_ioreq_server(
        dm, DOMID, 0, 0, 0x104, 0x107), ==, 0);
    g_assert_cmpint(xendevicemodel_unmap_io_range_from_ioreq_server(
        dm, DOMID, 0, 0, 0x104, 0x107), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpint(xendevicemodel_map_pcidev_to_ioreq_server(
        dm, DOMID, 0, 0, 0, 3, 0), ==, 0);
    g_assert_cmpint(xendevicemodel_map_pcidev_to_ioreq_server(
        dm, DOMID, 0, 0, 0, 3, 0), ==, -1);
    g_assert_cmpint(errno, ==, EEXIST);
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dm, DOMID, 5,
                                                       &ids[8]), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    for (int i = 0; i < 8; i++) {
        g_assert_cmpint(xendevicemodel_destroy_ioreq_server(dm, DOMID, i),
                        ==, 0);
    }
    g_assert_cmpint(xendevicemodel_destroy_ioreq_server(dm, DOMID, 0), ==,
                    -1);
    g_assert_cmpint(errno, ==, ENOENT);
    xs_sim_info info;
    g_assert_cmpint(xs_guest_info(simh_control(h), &info), ==, 0);
    g_assert_cmpint(info.servers, ==, 0);
    xendevicemodel_close(dm);
    simh_free(h);
}

/* ---- port, MMIO and PCI accesses ---- */

static void test_pio(void)
{
    simh *h = simh_new(NULL);
    mini *m = start_mini(PORT, 0, -1, HVM_IOREQSRV_BUFIOREQ_OFF);
    xs_guest *g = simh_guest(h, 0);
    uint32_t v = 0;

    g_assert_cmpint(xs_guest_out(g, PORT, 4, 0xdeadbeef), ==, 0);
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xdeadbeef);
    g_assert_cmpint(xs_guest_in(g, PORT + 2, 2, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xdead);
    g_assert_cmpint(xs_guest_out(g, PORT + 5, 1, 0x1ab), ==, 0);
    g_assert_cmpint(xs_guest_in(g, PORT + 4, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xab00);
    /* Unclaimed: all ones of the access size; straddling the end of the
     * claimed range counts as unclaimed (must fit in one range). */
    g_assert_cmpint(xs_guest_in(g, 0x3000, 2, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xffff);
    g_assert_cmpint(xs_guest_in(g, PORT + 14, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xffffffff);
    g_assert_cmpint(xs_guest_in(g, 0xffff, 4, &v), ==, -EINVAL);

    mini_req *log;
    unsigned n = mini_log(m, &log);
    g_assert_cmpint(n, ==, 5);
    g_assert_cmpint(log[0].type, ==, IOREQ_TYPE_PIO);
    g_assert_cmpint(log[0].dir, ==, IOREQ_WRITE);
    g_assert_cmphex(log[0].addr, ==, PORT);
    g_assert_cmpint(log[2].size, ==, 2);
    g_assert_cmphex(log[3].data, ==, 0xab);   /* masked to the size */
    g_free(log);
    mini_stop(m);
    simh_free(h);
}

static void test_mmio_and_string(void)
{
    simh *h = simh_new(NULL);
    mini *m = start_mini(PORT, MMIO, -1, HVM_IOREQSRV_BUFIOREQ_OFF);
    xs_guest *g = simh_guest(h, 0);
    uint64_t v = 0;

    g_assert_cmpint(xs_guest_mmio_write(g, MMIO + 8, 8, 0x1122334455667788),
                    ==, 0);
    g_assert_cmpint(xs_guest_mmio_read(g, MMIO + 8, 8, &v), ==, 0);
    g_assert_cmphex(v, ==, 0x1122334455667788);
    g_assert_cmpint(xs_guest_mmio_read(g, MMIO + 0x1000, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xffffffff);

    /* rep outsl of 1100 dwords crossing a page: cut into page chunks. */
    uint32_t buf[1100];
    uint64_t sum = 0;
    for (unsigned i = 0; i < 1100; i++) {
        buf[i] = i * 3;
        sum += buf[i];
    }
    mini_clear_log(m);
    g_assert_cmpint(xs_guest_mem_write(g, 0x10800, buf, sizeof(buf)), ==, 0);
    g_assert_cmpint(xs_guest_rep_outs(g, PORT, 4, 0x10800, 1100, false), ==,
                    0);
    g_assert_cmpuint(mini_outs_sum(m), ==, sum);
    mini_req *log;
    unsigned n = mini_log(m, &log);
    g_assert_cmpint(n, ==, 2);   /* 512 to the page end, then the rest */
    g_assert_cmpint(log[0].count, ==, 512);
    g_assert_cmpint(log[0].data_is_ptr, ==, 1);
    g_assert_cmphex(log[1].data, ==, 0x11000);
    g_assert_cmpint(log[1].count, ==, 1100 - 512);
    g_free(log);

    /* rep insb downwards (df): the buffer ends at gpa. */
    uint8_t in[8];
    g_assert_cmpint(xs_guest_rep_ins(g, PORT, 1, 0x20007, 8, true), ==, 0);
    g_assert_cmpint(xs_guest_mem_read(g, 0x20000, in, 8), ==, 0);
    g_assert_cmphex(in[0], ==, 0x11);
    g_assert_cmphex(in[7], ==, 0x18);
    /* Unclaimed rep ins fills with ones; buffers outside RAM: EFAULT. */
    g_assert_cmpint(xs_guest_rep_ins(g, 0x3000, 2, 0x30000, 4, false), ==,
                    0);
    g_assert_cmpint(xs_guest_mem_read(g, 0x30000, in, 8), ==, 0);
    g_assert_cmphex(in[3], ==, 0xff);
    g_assert_cmpint(xs_guest_rep_outs(g, PORT, 4, 64ull << 20, 1, false),
                    ==, -EFAULT);
    mini_stop(m);
    simh_free(h);
}

static void test_pci_config(void)
{
    simh *h = simh_new(NULL);
    mini *m = start_mini(0, 0, 3, HVM_IOREQSRV_BUFIOREQ_OFF);
    xs_guest *g = simh_guest(h, 0);
    uint32_t v = 0;

    g_assert_cmpint(xs_guest_pci_write(g, 0, 3, 0, 0x10, 4, 0xfebf0000), ==,
                    0);
    g_assert_cmpint(xs_guest_pci_read(g, 0, 3, 0, 0x12, 2, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xfebf);
    g_assert_cmpint(xs_guest_pci_read(g, 0, 4, 0, 0, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xffffffff);   /* no such function */

    mini_req *log;
    unsigned n = mini_log(m, &log);
    /* Only the data cycles reach the server, as PCI_CONFIG. */
    g_assert_cmpint(n, ==, 2);
    g_assert_cmpint(log[1].type, ==, IOREQ_TYPE_PCI_CONFIG);
    g_assert_cmphex(log[1].addr, ==, (uint64_t)(3 << 3) << 32 | 0x12);
    g_free(log);
    mini_stop(m);
    simh_free(h);
}

static void test_newest_wins(void)
{
    simh *h = simh_new(NULL);
    mini *a = start_mini(PORT, 0, -1, 0);
    mini *b = start_mini(PORT, 0, -1, 0);
    xs_guest *g = simh_guest(h, 0);
    mini_req *log;

    g_assert_cmpint(mini_id(b), >, mini_id(a));
    g_assert_cmpint(xs_guest_out(g, PORT, 4, 1), ==, 0);
    g_assert_cmpint(mini_log(b, &log), ==, 1);
    g_free(log);
    g_assert_cmpint(mini_log(a, &log), ==, 0);
    g_free(log);
    mini_stop(b);
    g_assert_cmpint(xs_guest_out(g, PORT, 4, 1), ==, 0);
    g_assert_cmpint(mini_log(a, &log), ==, 1);
    g_free(log);
    mini_stop(a);
    simh_free(h);
}

/* ---- buffered ring and broadcast ---- */

static void test_buffered(void)
{
    simh *h = simh_new(NULL);
    mini *m = start_mini(PORT, MMIO, -1, HVM_IOREQSRV_BUFIOREQ_ATOMIC);
    xs_guest *g = simh_guest(h, 0);
    xs_sim_info info;
    uint32_t v;

    g_assert_cmpint(xs_guest_out_buffered(g, PORT, 4, 0xcafe), ==, 0);
    /* MMIO above 1 MiB cannot be buffered (20-bit addr): goes sync. */
    g_assert_cmpint(xs_guest_mmio_write_buffered(g, MMIO, 8,
                                                 0x0102030405060708), ==, 0);
    /* A sync access is served after the ring was drained. */
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, 0xcafe);
    g_assert_cmpint(xs_guest_info(g, &info), ==, 0);
    g_assert_cmpuint(info.bufioreqs, ==, 1);
    mini_stop(m);
    simh_free(h);
}

/* The ring's event is late: the mini-server (like QEMU) drains the ring
 * before serving a slot, so the sync read still sees both writes. */
static void test_buffered_ordering(void)
{
    simh *h = simh_new(NULL);
    mini *m = start_mini(PORT, 0, -1, HVM_IOREQSRV_BUFIOREQ_ATOMIC);
    xs_guest *g = simh_guest(h, 0);
    uint32_t v = 0;

    g_assert_cmpint(xs_guest_fault(g, XS_FAULT_BUF_EVENT_DELAY_MS, 2000),
                    ==, 0);
    g_assert_cmpint(xs_guest_out_buffered(g, PORT, 4, 2), ==, 0);
    g_assert_cmpint(xs_guest_out_buffered(g, PORT, 4, 3), ==, 0);
    int64_t t0 = simh_now_ms();
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, 0);
    g_assert_cmpint(simh_now_ms() - t0, <, 1500);   /* did not wait */
    g_assert_cmphex(v, ==, 3);
    mini_stop(m);
    simh_free(h);
}

static void test_buffered_wrap(void)
{
    simh *h = simh_new(NULL);
    mini *m = start_mini(PORT, 0x80000, -1, HVM_IOREQSRV_BUFIOREQ_ATOMIC);
    xs_guest *g = simh_guest(h, 0);
    uint64_t v = 0;

    /* Two slots per 8-byte write; 1500 writes wrap the 511-slot ring
     * several times (and canonicalise the pointers). */
    for (unsigned i = 0; i < 1500; i++) {
        g_assert_cmpint(xs_guest_mmio_write_buffered(
            g, 0x80000 + (i % 8) * 8, 8, 0x100000000ull * i + i), ==, 0);
    }
    g_assert_cmpint(xs_guest_mmio_read(g, 0x80000 + (1499 % 8) * 8, 8, &v),
                    ==, 0);
    g_assert_cmphex(v, ==, 0x100000000ull * 1499 + 1499);
    mini_req *log;
    unsigned n = mini_log(m, &log);
    unsigned buffered = 0;
    for (unsigned i = 0; i < n; i++) {
        buffered += log[i].buffered;
    }
    g_assert_cmpuint(n, ==, 1501);
    g_assert_cmpuint(buffered, >, 0);
    g_free(log);
    mini_stop(m);
    simh_free(h);
}

static void test_invalidate(void)
{
    simh *h = simh_new(NULL);
    mini *a = start_mini(PORT, 0, -1, 0);
    mini *b = start_mini(PORT + 0x100, 0, -1, 0);
    xs_guest *g = simh_guest(h, 0);

    g_assert_cmpint(xs_guest_invalidate(g), ==, 0);
    g_assert_cmpuint(mini_invalidates(a), ==, 1);
    g_assert_cmpuint(mini_invalidates(b), ==, 1);
    mini_stop(a);
    mini_stop(b);
    simh_free(h);
}

/* ---- interrupts ---- */

static void test_irqs(void)
{
    simh *h = simh_new(NULL);
    mini *m = start_mini(PORT, 0, -1, 0);
    xs_guest *g = simh_guest(h, 0);
    xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
    unsigned level = 9;
    uint64_t addr = 0;
    uint32_t data = 0;

    /* ISA IRQ 5 raised by the device (port+12 = irq | level << 8). */
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_ISA, 5, 1, 0), ==,
                    -ETIMEDOUT);
    g_assert_cmpint(xs_guest_out(g, PORT + 12, 4, 0x105), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_ISA, 5, 1, 1000), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_GSI, 5, 1, 0), ==, 0);
    g_assert_cmpint(xs_guest_out(g, PORT + 12, 4, 0x005), ==, 0);
    g_assert_cmpint(xs_guest_irq_level(g, XS_IRQ_ISA, 5, &level), ==, 0);
    g_assert_cmpuint(level, ==, 0);
    /* INTx of 00:03 pin A: GSI 28, link 3 → IRQ 5 (hvmloader routes). */
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dm, DOMID, 0, 0, 3, 0,
                                                      1), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_INTX, 3 << 2, 1, 100), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_GSI, 28, 1, 100), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_ISA, 5, 1, 100), ==, 0);
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dm, DOMID, 0, 0, 3, 0,
                                                      0), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_ISA, 5, 0, 100), ==, 0);
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dm, DOMID, 0, 1, 3, 0,
                                                      1), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_set_isa_irq_level(dm, DOMID, 16, 1), ==,
                    -1);
    g_assert_cmpint(errno, ==, EINVAL);
    /* MSI */
    g_assert_cmpint(xendevicemodel_inject_msi(dm, DOMID, 0xfee00000, 0x4041),
                    ==, 0);
    g_assert_cmpint(xs_guest_wait_msi(g, 1000, &addr, &data), ==, 0);
    g_assert_cmphex(addr, ==, 0xfee00000);
    g_assert_cmphex(data, ==, 0x4041);
    g_assert_cmpint(xs_guest_wait_msi(g, 20, &addr, &data), ==, -ETIMEDOUT);
    xendevicemodel_close(dm);
    mini_stop(m);
    simh_free(h);
}

/* ---- library behaviour ---- */

static void test_evtchn_semantics(void)
{
    simh *h = simh_new(NULL);
    xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
    xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
    xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
    xs_guest *g = simh_guest(h, 0);
    ioservid_t id;
    void *addr = NULL;

    g_assert_cmpint(xendevicemodel_create_ioreq_server(dm, DOMID, 0, &id), ==,
                    0);
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
        dm, DOMID, id, 0, PORT, PORT), ==, 0);
    /* No ring without bufioreq: frame 0 is ENOENT. */
    g_assert_null(xenforeignmemory_map_resource(
        fm, DOMID, XENMEM_resource_ioreq_server, id, 0, 2, &addr,
        PROT_READ | PROT_WRITE, 0));
    g_assert_cmpint(errno, ==, ENOENT);
    xenforeignmemory_resource_handle *res = xenforeignmemory_map_resource(
        fm, DOMID, XENMEM_resource_ioreq_server, id, 1, 1, &addr,
        PROT_READ | PROT_WRITE, 0);
    g_assert_nonnull(res);
    shared_iopage_t *sp = addr;
    g_assert_cmpint(sp->vcpu_ioreq[0].vp_eport, ==, 0);  /* until enabled */
    g_assert_cmpint(xendevicemodel_set_ioreq_server_state(dm, DOMID, id, 1),
                    ==, 0);
    evtchn_port_t remote = sp->vcpu_ioreq[0].vp_eport;
    g_assert_cmpint(remote, !=, 0);
    int local = xenevtchn_bind_interdomain(ev, DOMID, remote);
    g_assert_cmpint(local, >, 0);
    g_assert_cmpint(xenevtchn_bind_interdomain(ev, DOMID, remote), ==, -1);
    /* Binding sets the local port pending. */
    g_assert_cmpint(xenevtchn_pending(ev), ==, local);

    /* A guest access: slot READY + event; masked until unmask. */
    xs_guest_set_timeout(g, 100);
    uint32_t v;
    g_assert_cmpint(xs_guest_in(g, PORT, 1, &v), ==, -ETIMEDOUT);
    g_assert_cmpint(sp->vcpu_ioreq[0].state, ==, STATE_IOREQ_READY);
    g_assert_cmpint(sp->vcpu_ioreq[0].dir, ==, IOREQ_READ);
    /* The port is still masked from the bind: unmask re-delivers. */
    xenevtchn_unmask(ev, local);
    g_assert_cmpint(xenevtchn_pending(ev), ==, local);
    /* Answer it: the vCPU (abandoned by the timeout) becomes free. */
    sp->vcpu_ioreq[0].data = 0x42;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    sp->vcpu_ioreq[0].state = STATE_IORESP_READY;
    g_assert_cmpint(xenevtchn_notify(ev, local), ==, 0);
    g_assert_cmpint(xenevtchn_notify(ev, local + 100), ==, -1);
    /* Wait until the simulator consumed the answer. */
    for (int i = 0; i < 100 && sp->vcpu_ioreq[0].state != STATE_IOREQ_NONE;
         i++) {
        g_usleep(1000);
    }
    g_assert_cmpint(sp->vcpu_ioreq[0].state, ==, STATE_IOREQ_NONE);
    g_assert_cmpint(xenevtchn_unbind(ev, local), ==, 0);
    xenevtchn_close(ev);
    xenforeignmemory_unmap_resource(fm, res);
    xendevicemodel_destroy_ioreq_server(dm, DOMID, id);
    xenforeignmemory_close(fm);
    xendevicemodel_close(dm);
    simh_free(h);
}

/* The legacy way to the pages: gfns from get_ioreq_server_info, mapped
 * with xenforeignmemory_map before enabling; exclusive with resources. */
static void test_legacy_gfns(void)
{
    simh *h = simh_new(NULL);
    xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
    xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
    ioservid_t a, b;
    xen_pfn_t gfns[2];
    evtchn_port_t port = 0;
    void *addr = NULL;

    g_assert_cmpint(xendevicemodel_create_ioreq_server(
        dm, DOMID, HVM_IOREQSRV_BUFIOREQ_ATOMIC, &a), ==, 0);
    g_assert_cmpint(xendevicemodel_get_ioreq_server_info(
        dm, DOMID, a, &gfns[1], &gfns[0], &port), ==, 0);
    g_assert_cmpint(port, !=, 0);
    uint8_t *p = xenforeignmemory_map(fm, DOMID, PROT_READ | PROT_WRITE, 2,
                                      gfns, NULL);
    g_assert_nonnull(p);
    shared_iopage_t *sp = (shared_iopage_t *)(p + 4096);
    g_assert_cmpint(xendevicemodel_set_ioreq_server_state(dm, DOMID, a, 1),
                    ==, 0);
    g_assert_cmpint(sp->vcpu_ioreq[0].vp_eport, !=, 0);
    /* Out of the physmap once enabled; no resource after gfns. */
    g_assert_null(xenforeignmemory_map(fm, DOMID, PROT_READ, 1, gfns, NULL));
    g_assert_null(xenforeignmemory_map_resource(
        fm, DOMID, XENMEM_resource_ioreq_server, a, 0, 2, &addr,
        PROT_READ | PROT_WRITE, 0));
    g_assert_cmpint(errno, ==, EPERM);
    /* ...and no gfns after a resource. */
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dm, DOMID, 0, &b), ==,
                    0);
    xenforeignmemory_resource_handle *r = xenforeignmemory_map_resource(
        fm, DOMID, XENMEM_resource_ioreq_server, b, 1, 1, &addr,
        PROT_READ | PROT_WRITE, 0);
    g_assert_nonnull(r);
    g_assert_cmpint(xendevicemodel_get_ioreq_server_info(
        dm, DOMID, b, &gfns[1], NULL, NULL), ==, -1);
    g_assert_cmpint(errno, ==, EPERM);
    xenforeignmemory_unmap_resource(fm, r);
    xenforeignmemory_unmap(fm, p, 2);
    xenforeignmemory_close(fm);
    xendevicemodel_close(dm);
    simh_free(h);
}

static void test_foreign_map(void)
{
    simh *h = simh_new(&(simh_opts){ .ram = "1M" });
    xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
    xs_guest *g = simh_guest(h, 0);
    xen_pfn_t pfns[3] = { 5, 255, 256 };
    int err[3] = { 1, 1, 1 };

    g_assert_cmpint(xs_guest_mem_write(g, 5 * 4096 + 7, "hello", 5), ==, 0);
    uint8_t *p = xenforeignmemory_map(fm, DOMID, PROT_READ | PROT_WRITE, 3,
                                      pfns, err);
    g_assert_nonnull(p);
    g_assert_cmpint(err[0], ==, 0);
    g_assert_cmpint(err[1], ==, 0);
    g_assert_cmpint(err[2], ==, -EINVAL);   /* beyond 1 MiB of RAM */
    g_assert_cmpmem(p + 7, 5, "hello", 5);
    memcpy(p + 4096, "dma", 3);              /* the device writes... */
    char seen[3];
    g_assert_cmpint(xs_guest_mem_read(g, 255 * 4096, seen, 3), ==, 0);
    g_assert_cmpmem(seen, 3, "dma", 3);      /* ...and the guest sees it */
    g_assert_cmpint(xenforeignmemory_unmap(fm, p, 3), ==, 0);
    /* Without an error array any bad page fails the whole mapping. */
    g_assert_null(xenforeignmemory_map(fm, DOMID, PROT_READ, 3, pfns, NULL));
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_null(xenforeignmemory_map(fm, 9, PROT_READ, 1, pfns, NULL));
    g_assert_cmpint(errno, ==, ESRCH);
    xenforeignmemory_close(fm);
    simh_free(h);
}

static void *destroy_later(void *opaque)
{
    g_usleep(100000);
    g_assert_cmpint(xs_guest_destroy_domain(opaque), ==, 0);
    return NULL;
}

static void test_getinfo_and_destroy(void)
{
    simh *h = simh_new(NULL);
    xc_interface *xc = xc_interface_open(NULL, NULL, 0);
    mini *m = start_mini(PORT, 0, -1, 0);
    xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
    xs_guest *g = simh_guest(h, 0);
    xs_guest *g1 = simh_guest(h, XS_GUEST_CONTROL);
    xc_dominfo_t info[4];
    xen_pfn_t pfn = 0;

    g_assert_nonnull(xc);
    g_assert_cmpint(xc_domain_getinfo(xc, 0, 4, info), ==, 2);
    g_assert_cmpint(info[0].domid, ==, 0);
    g_assert_cmpint(info[1].domid, ==, DOMID);
    g_assert_true(info[1].hvm);
    g_assert_false(info[1].dying);
    void *p = xenforeignmemory_map(fm, DOMID, PROT_READ, 1, &pfn, NULL);
    g_assert_nonnull(p);

    /* A request in flight when the domain dies fails with ESRCH. */
    mini_hold(m, true);
    xs_guest_set_timeout(g, 5000);
    pthread_t t;
    pthread_create(&t, NULL, destroy_later, g1);
    uint32_t v;
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, -ESRCH);
    pthread_join(t, NULL);
    /* Dying while mapped; servers are gone at once (Xen destroys them). */
    g_assert_cmpint(xc_domain_getinfo(xc, DOMID, 1, info), ==, 1);
    g_assert_true(info[0].dying);
    xenforeignmemory_unmap(fm, p, 1);
    mini_stop(m);   /* unmaps its pages, errors on the gone server */
    g_assert_cmpint(xc_domain_getinfo(xc, DOMID, 1, info), ==, 0);
    xenforeignmemory_close(fm);
    xc_interface_close(xc);
    simh_free(h);
}

/* ---- faults ---- */

static void test_timeout_and_slow(void)
{
    simh *h = simh_new(NULL);
    mini *m = start_mini(PORT, 0, -1, 0);
    xs_guest *g = simh_guest(h, 0);
    uint32_t v;

    mini_hold(m, true);
    xs_guest_set_timeout(g, 50);
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, -ETIMEDOUT);
    /* The vCPU is still blocked on it. */
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, -EBUSY);
    mini_hold(m, false);
    xs_guest_set_timeout(g, 5000);
    int rc;
    for (int i = 0; i < 200 && (rc = xs_guest_in(g, PORT, 4, &v)) == -EBUSY;
         i++) {
        g_usleep(2000);
    }
    g_assert_cmpint(rc, ==, 0);
    /* Slow event delivery: answered, just late. */
    g_assert_cmpint(xs_guest_fault(g, XS_FAULT_EVENT_DELAY_MS, 30), ==, 0);
    int64_t t0 = simh_now_ms();
    g_assert_cmpint(xs_guest_out(g, PORT, 4, 7), ==, 0);
    g_assert_cmpint(simh_now_ms() - t0, >=, 25);
    g_assert_cmpint(xs_guest_fault(g, XS_FAULT_CLEAR, 0), ==, 0);
    /* Missing: the answer's notification is lost; the vCPU stays blocked
     * until its server goes away (then it is free again). */
    g_assert_cmpint(xs_guest_fault(g, XS_FAULT_DROP_NOTIFY, 1), ==, 0);
    xs_guest_set_timeout(g, 100);
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, -ETIMEDOUT);
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, -EBUSY);
    mini_stop(m);
    m = start_mini(PORT, 0, -1, 0);
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, 0);
    mini_stop(m);
    simh_free(h);
}

/* The device model process dies with a request in flight. */
static void test_dm_dies(void)
{
    simh *h = simh_new(NULL);
    int ready[2];

    g_assert_cmpint(pipe(ready), ==, 0);
    pid_t child = fork();
    if (child == 0) {
        mini *m = start_mini(PORT, 0, -1, 0);
        mini_hold(m, true);   /* never answers */
        (void)!write(ready[1], "r", 1);
        pause();
        _exit(0);
    }
    char c;
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    xs_guest *g = simh_guest(h, 0);
    xs_guest *ctl = simh_control(h);
    xs_sim_info info;
    g_assert_cmpint(xs_guest_wait_servers(ctl, 1, 5000, NULL), ==, 0);

    uint32_t v;
    xs_guest_set_timeout(g, 100);
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, -ETIMEDOUT);
    xs_guest_set_timeout(g, 5000);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* The abandoned request was failed; the server is marked dead and
     * its range now fails fast. */
    int rc;
    int64_t t0 = simh_now_ms();
    while ((rc = xs_guest_in(g, PORT, 4, &v)) == -EBUSY &&
           simh_now_ms() - t0 < 2000) {
        g_usleep(1000);
    }
    g_assert_cmpint(rc, ==, -EPIPE);
    g_assert_cmpint(xs_guest_info(ctl, &info), ==, 0);
    g_assert_cmpint(info.dead, ==, 1);
    close(ready[0]);
    close(ready[1]);
    simh_free(h);
}

/* The device model dies while the guest is blocked (no timeout). */
static void test_dm_dies_blocked(void)
{
    simh *h = simh_new(NULL);
    int ready[2];

    g_assert_cmpint(pipe(ready), ==, 0);
    pid_t child = fork();
    if (child == 0) {
        mini *m = start_mini(PORT, 0, -1, 0);
        mini_hold(m, true);
        (void)!write(ready[1], "r", 1);
        pause();
        _exit(0);
    }
    char c;
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    xs_guest *g = simh_guest(h, 0);
    g_assert_cmpint(xs_guest_wait_servers(simh_control(h), 1, 5000, NULL),
                    ==, 0);
    pid_t killer = fork();
    if (killer == 0) {
        g_usleep(100000);
        kill(child, SIGKILL);
        _exit(0);
    }
    uint32_t v;
    int64_t t0 = simh_now_ms();
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, -EPIPE);
    g_assert_cmpint(simh_now_ms() - t0, <, 4000);
    waitpid(child, NULL, 0);
    waitpid(killer, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    simh_free(h);
}

/* ---- concurrency ---- */

typedef struct vcpu_job {
    simh *h;
    unsigned vcpu;
    int failures;
} vcpu_job;

static void *vcpu_loop(void *opaque)
{
    vcpu_job *j = opaque;
    int err = 0;
    xs_guest *g = xs_guest_connect(simh_socket(j->h), j->vcpu, &err);

    for (unsigned i = 0; g && i < 2000; i++) {
        uint32_t v;
        uint16_t reg = (uint16_t)(PORT + 4 * j->vcpu);
        if (xs_guest_out(g, reg, 4, i) || xs_guest_in(g, reg, 4, &v) ||
            v != i) {
            j->failures++;
        }
    }
    xs_guest_close(g);
    j->failures += !g;
    return NULL;
}

static void test_two_vcpus(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 2 });
    mini *m = start_mini(PORT, 0, -1, 0);
    vcpu_job jobs[2] = { { h, 0, 0 }, { h, 1, 0 } };
    pthread_t t[2];

    for (int i = 0; i < 2; i++) {
        pthread_create(&t[i], NULL, vcpu_loop, &jobs[i]);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        g_assert_cmpint(jobs[i].failures, ==, 0);
    }
    /* A vCPU is one connection at a time. */
    int err = 0;
    xs_guest *a = simh_guest(h, 1);
    g_assert_null(xs_guest_connect(simh_socket(h), 1, &err));
    g_assert_cmpint(err, ==, -EBUSY);
    (void)a;
    mini_stop(m);
    simh_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xensim/registry", test_registry);
    g_test_add_func("/xensim/pio", test_pio);
    g_test_add_func("/xensim/mmio-and-string-io", test_mmio_and_string);
    g_test_add_func("/xensim/pci-config", test_pci_config);
    g_test_add_func("/xensim/newest-server-wins", test_newest_wins);
    g_test_add_func("/xensim/buffered", test_buffered);
    g_test_add_func("/xensim/buffered-ordering", test_buffered_ordering);
    g_test_add_func("/xensim/buffered-wrap", test_buffered_wrap);
    g_test_add_func("/xensim/invalidate-broadcast", test_invalidate);
    g_test_add_func("/xensim/irqs", test_irqs);
    g_test_add_func("/xensim/evtchn-semantics", test_evtchn_semantics);
    g_test_add_func("/xensim/foreign-map", test_foreign_map);
    g_test_add_func("/xensim/legacy-gfns", test_legacy_gfns);
    g_test_add_func("/xensim/getinfo-and-destroy", test_getinfo_and_destroy);
    g_test_add_func("/xensim/timeout-and-slow", test_timeout_and_slow);
    g_test_add_func("/xensim/dm-dies", test_dm_dies);
    g_test_add_func("/xensim/dm-dies-blocked", test_dm_dies_blocked);
    g_test_add_func("/xensim/two-vcpus", test_two_vcpus);
    return g_test_run();
}
