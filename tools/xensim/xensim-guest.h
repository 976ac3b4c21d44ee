/* SPDX-License-Identifier: MIT */
/*
 * libxensim-guest: play an HVM guest against xensim.
 *
 * One xs_guest is one simulated vCPU (or, with XS_GUEST_CONTROL, a
 * connection that only inspects and steers the simulator). Each access
 * blocks like a trapped instruction: the simulator hands it to the ioreq
 * server claiming it (or answers all ones when nobody does) and replies
 * when the device model has set IORESP_READY. Use one xs_guest per thread;
 * several vCPUs issue requests concurrently by using several xs_guests.
 *
 * Every call returns 0 or a negative errno:
 *   -ETIMEDOUT    no answer within the timeout (xs_guest_set_timeout): the
 *                 vCPU stays blocked in the simulator until the device
 *                 model answers, and accesses meanwhile fail with -EBUSY
 *   -EPIPE        the device model serving the access died or closed its
 *                 event channel (it would hang forever on real Xen)
 *   -ENODEV       the ioreq server was destroyed with the access in flight
 *   -ESRCH        the domain was destroyed
 *   -ESHUTDOWN    the domain is shut down (or crashed: a device model broke
 *                 the ioreq protocol)
 *   -EFAULT       a guest-physical buffer outside guest RAM
 *   -EINVAL       a malformed access (size, port range, count)
 *   -ECONNRESET   the simulator itself went away
 */
#ifndef XENSIM_GUEST_H
#define XENSIM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"   /* XS_IRQ_*, XS_FAULT_* */

#define XS_GUEST_CONTROL UINT32_MAX

typedef struct xs_guest xs_guest;

typedef struct xs_sim_info {
    uint32_t domid;
    bool dying, shutdown, crashed;
    uint32_t servers;       /* ioreq servers registered */
    uint32_t enabled;       /* ...serving: enabled, alive, with ranges,
                               every vCPU event channel bound */
    uint32_t dead;          /* ...whose device model died */
    uint32_t ranges;
    uint64_t ioreqs, bufioreqs, unclaimed, msis;
} xs_sim_info;

/* Connect to the simulator at @path ($XENSIM_SOCKET when NULL) as vCPU
 * @vcpu. Returns NULL with *@err = -errno (-EBUSY: vCPU taken). */
xs_guest *xs_guest_connect(const char *path, uint32_t vcpu, int *err);
void xs_guest_close(xs_guest *g);
/* Reply timeout for accesses, in ms (default 5000; < 0: wait forever). */
void xs_guest_set_timeout(xs_guest *g, int ms);
uint32_t xs_guest_domid(const xs_guest *g);
unsigned xs_guest_nr_vcpus(const xs_guest *g);

/* Port I/O of 1, 2 or 4 bytes. */
int xs_guest_in(xs_guest *g, uint16_t port, unsigned size, uint32_t *val);
int xs_guest_out(xs_guest *g, uint16_t port, unsigned size, uint32_t val);
/* A write the simulator sends through the server's buffered ring when it
 * qualifies (as Xen does for stdvga): no reply from the device model. */
int xs_guest_out_buffered(xs_guest *g, uint16_t port, unsigned size,
                          uint32_t val);
/* rep insX / outsX: @count elements between @port and guest memory at
 * @gpa, downwards when @df (then @gpa is the first element handled). */
int xs_guest_rep_ins(xs_guest *g, uint16_t port, unsigned size,
                     uint64_t gpa, uint32_t count, bool df);
int xs_guest_rep_outs(xs_guest *g, uint16_t port, unsigned size,
                      uint64_t gpa, uint32_t count, bool df);

/* MMIO of 1, 2, 4 or 8 bytes. */
int xs_guest_mmio_read(xs_guest *g, uint64_t addr, unsigned size,
                       uint64_t *val);
int xs_guest_mmio_write(xs_guest *g, uint64_t addr, unsigned size,
                        uint64_t val);
int xs_guest_mmio_write_buffered(xs_guest *g, uint64_t addr, unsigned size,
                                 uint64_t val);
/* rep movs between MMIO at @addr and RAM at @gpa (@to_ram: MMIO read). */
int xs_guest_mmio_rep(xs_guest *g, uint64_t addr, unsigned size,
                      uint64_t gpa, uint32_t count, bool df, bool to_ram);

/* PCI configuration through 0xcf8/0xcfc, as a guest does it: a 4-byte
 * write of the address to 0xcf8, then the data cycle at 0xcfc + (reg & 3).
 * Xen turns the data cycle into IOREQ_TYPE_PCI_CONFIG for the server that
 * claimed the function. */
int xs_guest_pci_read(xs_guest *g, unsigned bus, unsigned dev, unsigned fn,
                      unsigned reg, unsigned size, uint32_t *val);
int xs_guest_pci_write(xs_guest *g, unsigned bus, unsigned dev, unsigned fn,
                       unsigned reg, unsigned size, uint32_t val);

/* Broadcast IOREQ_TYPE_INVALIDATE (map-cache flush) to every server and
 * wait for all of them. */
int xs_guest_invalidate(xs_guest *g);

/* Guest RAM, mapped directly (no trap). */
void *xs_guest_ram(xs_guest *g, uint64_t *size);
int xs_guest_mem_read(xs_guest *g, uint64_t gpa, void *buf, size_t len);
int xs_guest_mem_write(xs_guest *g, uint64_t gpa, const void *buf,
                       size_t len);

/* Interrupts. @kind is XS_IRQ_ISA (n = 0..15), XS_IRQ_GSI (n = 0..47) or
 * XS_IRQ_INTX (n = device << 2 | pin, bus 0). Wait until the line has
 * @level (0 or 1); -ETIMEDOUT after @timeout_ms. */
int xs_guest_wait_irq(xs_guest *g, unsigned kind, unsigned n, unsigned level,
                      int timeout_ms);
int xs_guest_irq_level(xs_guest *g, unsigned kind, unsigned n,
                       unsigned *level);
/* The next MSI injected since this connection was made (or since the
 * last one returned). */
int xs_guest_wait_msi(xs_guest *g, int timeout_ms, uint64_t *addr,
                      uint32_t *data);

/* Domain lifecycle and simulator state. */
int xs_guest_destroy_domain(xs_guest *g);
int xs_guest_shutdown_domain(xs_guest *g, unsigned reason);
int xs_guest_info(xs_guest *g, xs_sim_info *info);
/* Wait until @want servers are serving (see .enabled) (0: until no server
 * is registered at all). */
int xs_guest_wait_servers(xs_guest *g, unsigned want, int timeout_ms,
                          xs_sim_info *info);
/* Fault injection (XS_FAULT_*). */
int xs_guest_fault(xs_guest *g, unsigned kind, unsigned value);

const char *xs_guest_strerror(int err);

#endif
