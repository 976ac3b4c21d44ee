/* SPDX-License-Identifier: MIT */
/*
 * The wire protocol between xensim (the simulated hypervisor) and its
 * clients: the replacement Xen libraries loaded into the device model, and
 * the guest-side API that plays the vCPUs.
 *
 * Transport: one SOCK_SEQPACKET unix-socket connection per library handle
 * (per xc_interface, xendevicemodel_handle, ... and per guest vCPU), so
 * message boundaries are kept and file descriptors (guest RAM and ioreq
 * pages as memfds, the event-channel pipe) travel with SCM_RIGHTS.
 * Every message is an xs_msg, optionally followed by a variable payload
 * (pfn arrays, error arrays, domain-info arrays). A request gets exactly one
 * reply with the same seq, except the one-way ops marked below (event
 * channel notify/unmask), which are fire-and-forget like the real ioctl /
 * write() on /dev/xen/evtchn is cheap and cannot usefully fail.
 *
 * Both ends are built from this tree, so the layout is not versioned beyond
 * XS_PROTO_VERSION in the hello exchange.
 */
#ifndef XENSIM_PROTO_H
#define XENSIM_PROTO_H

#include <stdint.h>

#define XS_PROTO_VERSION 1
#define XS_ENV_SOCKET "XENSIM_SOCKET"
#define XS_PAGE_SIZE 4096u
#define XS_PAGE_SHIFT 12
/* Largest payload in one message (pfn / error arrays are chunked to it). */
#define XS_MAX_PAYLOAD 65536u
#define XS_MAX_PFNS_PER_MSG (XS_MAX_PAYLOAD / 8u)

/* What a connection is; sent in the hello. */
enum xs_kind {
    XS_KIND_XC = 1,        /* libxenctrl handle */
    XS_KIND_DM = 2,        /* libxendevicemodel handle */
    XS_KIND_FMEM = 3,      /* libxenforeignmemory handle */
    XS_KIND_EVTCHN = 4,    /* libxenevtchn handle (gets the event pipe) */
    XS_KIND_GUEST = 5,     /* one guest vCPU (gets guest RAM) */
    XS_KIND_CONTROL = 6,   /* test control: info, faults (no vCPU) */
};

enum xs_op {
    XS_OP_HELLO = 1,

    /* libxenctrl */
    XS_OP_DOMAIN_GETINFO = 10,

    /* libxendevicemodel (dm_op) */
    XS_OP_DM_CREATE_SERVER = 20,
    XS_OP_DM_GET_SERVER_INFO,
    XS_OP_DM_MAP_RANGE,
    XS_OP_DM_UNMAP_RANGE,
    XS_OP_DM_SET_SERVER_STATE,
    XS_OP_DM_DESTROY_SERVER,
    XS_OP_DM_SET_ISA_IRQ,
    XS_OP_DM_SET_PCI_INTX,
    XS_OP_DM_SET_GSI,
    XS_OP_DM_SET_LINK_ROUTE,
    XS_OP_DM_INJECT_MSI,
    XS_OP_DM_MODIFIED_MEMORY,
    XS_OP_DM_NR_VCPUS,
    XS_OP_DM_SHUTDOWN,

    /* libxenforeignmemory */
    XS_OP_FMEM_MAP = 40,
    XS_OP_FMEM_UNMAP,
    XS_OP_FMEM_MAP_RESOURCE,
    XS_OP_FMEM_UNMAP_RESOURCE,
    XS_OP_FMEM_RESOURCE_SIZE,
    XS_OP_FMEM_MAP_GFN,        /* one legacy ioreq-server gfn (see below) */

    /* libxenevtchn */
    XS_OP_EVT_BIND_INTERDOMAIN = 50,
    XS_OP_EVT_BIND_UNBOUND,
    XS_OP_EVT_UNBIND,
    XS_OP_EVT_NOTIFY,          /* one-way */
    XS_OP_EVT_UNMASK,          /* one-way, only when pending (see below) */
    XS_OP_EVT_SHARED,          /* reply carries the xs_evt_shared memfd */

    /* guest vCPU */
    XS_OP_G_IO = 60,
    XS_OP_G_CANCEL,            /* one-way: abandon the request in flight */
    XS_OP_G_WAIT_IRQ,
    XS_OP_G_IRQ_LEVEL,
    XS_OP_G_WAIT_MSI,
    XS_OP_G_DESTROY,
    XS_OP_G_SHUTDOWN,
    XS_OP_G_INFO,
    XS_OP_G_FAULT,
    XS_OP_G_WAIT_SERVERS,
};

/*
 * XS_OP_FMEM_MAP answers, per pfn, 0 (guest RAM: map the RAM memfd at
 * pfn << 12), a negative errno, or XS_FMEM_GFN_SPECIAL: one of the legacy
 * ioreq-server gfns (get_ioreq_server_info with gfns), which lives in the
 * server's page memfd; XS_OP_FMEM_MAP_GFN returns that memfd and the page
 * (res.frame) to map.
 */
#define XS_FMEM_GFN_SPECIAL 1
/* Where the simulator places legacy ioreq-server gfns: 2 per server, below
 * the HVM special pages at 0xff000, far above any simulated RAM. */
#define XS_IOREQ_GFN_BASE 0xfefe0ull

/* Range types, numbered as XEN_DMOP_IO_RANGE_* in public/hvm/dm_op.h. */
enum xs_range_type {
    XS_RANGE_PORT = 0,
    XS_RANGE_MEMORY = 1,
    XS_RANGE_PCI = 2,
    XS_RANGE_NR = 3,
};

/* Guest request kinds (the simulator decides the ioreq type). */
enum xs_io_space {
    XS_IO_PIO = 0,
    XS_IO_MMIO = 1,
    XS_IO_INVALIDATE = 2,      /* broadcast IOREQ_TYPE_INVALIDATE */
};

#define XS_IO_F_BUFFERED 0x1u  /* send this write through the buffered ring */

/* Interrupt sources a guest can wait on / sample. */
enum xs_irq_kind {
    XS_IRQ_ISA = 0,            /* ISA IRQ 0..15 as the PIC sees it */
    XS_IRQ_GSI = 1,            /* IO-APIC input */
    XS_IRQ_INTX = 2,           /* n = (devfn-on-bus-0 << 2) | pin */
};

/*
 * Per-handle event state shared between an evtchn handle and xensim, like
 * the pending/mask bitmaps of Xen's 2-level event-channel ABI
 * (public/xen.h, shared_info): xensim sets a port's pending bit and, if it
 * was not masked, masks it and writes the port to the handle's pipe (the
 * evtchn driver masks on delivery). xenevtchn_unmask() clears the mask bit
 * in place and only sends XS_OP_EVT_UNMASK when the port went pending
 * meanwhile, so the common case costs no message. All accesses are
 * sequentially consistent atomics (each side writes its bit, then reads
 * the other's).
 */
#define XS_EVT_PORTS 4096u         /* 2-level ABI limit on 64-bit */
typedef struct xs_evt_shared {
    uint64_t pending[XS_EVT_PORTS / 64];
    uint64_t masked[XS_EVT_PORTS / 64];
} xs_evt_shared;

/* Fault injection (XS_OP_G_FAULT). */
enum xs_fault {
    XS_FAULT_NONE = 0,
    XS_FAULT_EVENT_DELAY_MS,   /* delay every event to the DM by value ms */
    XS_FAULT_DROP_NOTIFY,      /* ignore the DM's next value notifications */
    XS_FAULT_CLEAR,
    XS_FAULT_BUF_EVENT_DELAY_MS, /* delay buffered-ring events by value ms:
                                    events on different ports have no
                                    order, so a sync request may overtake */
};

typedef struct xs_hdr {
    uint32_t op;
    int32_t err;               /* reply: 0 or -errno */
    uint32_t seq;
    uint32_t len;              /* payload bytes following the xs_msg */
} xs_hdr;

/* One entry of the XS_OP_DOMAIN_GETINFO reply payload. */
typedef struct xs_dominfo {
    uint32_t domid;
    uint32_t flags;            /* XS_DOM_F_* */
    uint32_t shutdown_reason;  /* SHUTDOWN_* of public/sched.h */
    uint32_t nr_vcpus;
    uint64_t nr_pages;
    uint64_t max_pages;
    uint64_t cpu_time_ns;
} xs_dominfo;

#define XS_DOM_F_DYING    0x01u
#define XS_DOM_F_CRASHED  0x02u
#define XS_DOM_F_SHUTDOWN 0x04u
#define XS_DOM_F_PAUSED   0x08u
#define XS_DOM_F_RUNNING  0x10u
#define XS_DOM_F_HVM      0x20u

typedef struct xs_msg {
    xs_hdr h;
    union {
        struct {
            uint32_t kind, vcpu, version;
            uint32_t domid;         /* reply: the simulated guest */
            uint32_t nr_vcpus;      /* reply */
            uint32_t pad;
            uint64_t ram_bytes;     /* reply: size of the RAM memfd */
        } hello;
        struct {
            uint32_t first_domid, max;  /* reply: max = entries returned */
        } getinfo;
        /* Every dm_op: a domain, a server id and up to four arguments. */
        struct {
            uint32_t domid, id;
            uint64_t arg[4];
        } dm;
        struct {
            uint32_t domid, prot, nr, pad;  /* + nr uint64 pfns;
                                               reply: + nr int32 errors */
        } map;
        struct {
            uint32_t domid, type, id, pad;
            uint64_t frame, nr_frames;      /* reply: frames available */
        } res;
        struct {
            uint32_t domid, port;           /* reply: port = local port */
        } evt;
        struct {
            uint32_t space, dir, size, count;
            uint32_t df, data_is_ptr, flags, pad;
            uint64_t addr, data;            /* reply: data */
        } io;
        struct {
            uint32_t kind, n, level;        /* reply: level */
            int32_t timeout_ms;
            uint64_t msi_addr;              /* reply (wait_msi) */
            uint32_t msi_data, pad;
        } irq;
        struct {
            uint32_t kind, value;
        } fault;
        struct {
            uint32_t want_enabled;
            int32_t timeout_ms;
            /* reply */
            uint32_t domid, dom_flags, shutdown_reason, pad;
            uint32_t servers, enabled, dead, ranges;
            uint64_t ioreqs, bufioreqs, unclaimed, msis;
        } info;
    } u;
} xs_msg;

#endif
