/* SPDX-License-Identifier: MIT */
/*
 * xensim internals: the simulated hypervisor's objects.
 *
 *   xs_sim      the process: listening socket, loop, domains, connections
 *   xs_domain   a guest (or dom0): RAM memfd, vCPUs, event-channel ports,
 *               ioreq servers (at most MAX_NR_IOREQ_SERVERS = 8, as Xen),
 *               interrupt lines
 *   xs_server   one ioreq server: ranges per type, its pages (memfd:
 *               frame 0 = buffered_iopage_t, frames 1.. = shared_iopage_t
 *               slots, exactly XENMEM_resource_ioreq_server's frame order),
 *               one guest-side port per vCPU + one for the buffered ring
 *   xs_port     one end of an event channel (public/event_channel.h)
 *   xs_vcpu     a simulated vCPU: at most one request in flight, blocked
 *               until IORESP_READY like Xen's wait_for_io()
 *   xs_conn     one client connection (library handle or guest vCPU)
 */
#ifndef XENSIM_XENSIM_H
#define XENSIM_XENSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>
#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include "loop.h"
#include "proto.h"

#define XS_MAX_SERVERS 8          /* MAX_NR_IOREQ_SERVERS in Xen */
#define XS_SLOTS_PER_PAGE (XS_PAGE_SIZE / sizeof(ioreq_t))
#define XS_NR_ISA_IRQS 16
#define XS_NR_GSIS 48             /* VIOAPIC_NUM_PINS */
#define XS_NR_PCI_DEVS 32         /* bus 0 only, as Xen's virtual INTx */

typedef struct xs_sim xs_sim;
typedef struct xs_domain xs_domain;
typedef struct xs_server xs_server;
typedef struct xs_port xs_port;
typedef struct xs_vcpu xs_vcpu;
typedef struct xs_conn xs_conn;

typedef struct xs_range {
    uint64_t s, e;                /* inclusive, like Xen's rangesets */
} xs_range;

struct xs_server {
    xs_domain *d;
    unsigned id;
    int bufioreq;                 /* HVM_IOREQSRV_BUFIOREQ_* */
    bool enabled;
    bool dead;                    /* its device model went away */
    xs_conn *owner;               /* the dm handle that created it */
    GArray *ranges[XS_RANGE_NR];  /* of xs_range, unsorted */
    int pages_fd;
    uint8_t *pages;
    size_t nr_pages;              /* 1 + ioreq pages */
    uint32_t *vcpu_port;          /* guest-side port per vCPU */
    uint32_t buf_port;
    uint64_t nr_reqs, nr_bufreqs;
    bool resource_mapped;         /* pages acquired as a resource */
    bool gfns_given;              /* legacy gfns handed out */
};

enum xs_port_state {
    XS_PORT_UNBOUND = 1,          /* ECS_UNBOUND */
    XS_PORT_INTERDOMAIN = 2,      /* ECS_INTERDOMAIN */
};

struct xs_port {
    xs_domain *d;
    uint32_t port;
    int state;
    uint32_t remote_dom;          /* unbound: who may bind; else peer dom */
    uint32_t remote_port;
    /* dom0 ends: the evtchn handle that bound it (mask/pending bits live
     * in the handle's xs_evt_shared) */
    xs_conn *owner;
    /* guest ends: what firing it means */
    xs_server *srv;
    int vcpu;                     /* -1: the buffered-ring port */
};

struct xs_vcpu {
    xs_domain *d;
    unsigned id;
    xs_conn *guest;               /* attached guest connection, if any */
    bool busy;                    /* a request is in flight */
    bool abandoned;               /* ...but nobody waits for its reply */
    uint32_t seq;                 /* guest's request, for the reply */
    ioreq_t req;                  /* the whole request as issued */
    bool buffered;                /* guest asked for the buffered ring */
    uint64_t cur_addr, cur_gpa;   /* next rep's port/address and buffer */
    uint32_t left;                /* reps not yet sent */
    uint32_t chunk;               /* reps in the chunk now in flight */
    uint32_t pending;             /* bit per server id awaited */
    uint64_t data;                /* result (reads) */
    int err;
};

struct xs_domain {
    xs_sim *sim;
    uint32_t domid;
    bool hvm;
    unsigned nr_vcpus;
    xs_vcpu *vcpus;
    uint64_t ram_bytes;
    int ram_fd;
    uint8_t *ram;
    bool dying, shutdown;
    unsigned shutdown_reason;
    uint64_t created_ns;
    uint64_t foreign_pages;       /* pages mapped by device models */
    xs_server *servers[XS_MAX_SERVERS];
    GHashTable *ports;            /* port number -> xs_port */
    uint32_t cf8;                 /* last 4-byte write to 0xcf8 */
    /* interrupt lines, as Xen's struct hvm_irq sees them */
    uint8_t isa_dm[XS_NR_ISA_IRQS];     /* set_isa_irq_level */
    uint8_t gsi_dm[XS_NR_GSIS];         /* set_irq_level */
    uint8_t intx[XS_NR_PCI_DEVS][4];    /* set_pci_intx_level */
    uint8_t link_route[4];              /* PCI link -> ISA IRQ (0: none) */
    GArray *msis;                       /* of xs_msi, every injection */
    GPtrArray *waiters;                 /* conns blocked in wait ops */
    uint64_t nr_ioreqs, nr_bufioreqs, nr_unclaimed, irq_edges;
    uint64_t modified_pages;
};

typedef struct xs_msi {
    uint64_t addr;
    uint32_t data;
} xs_msi;

/* A guest/control request parked until a condition or a timeout. */
typedef struct xs_wait {
    bool active;
    xs_msg req;
    xs_timer *timer;
} xs_wait;

struct xs_conn {
    xs_sim *sim;
    int sock;
    uint32_t kind;                /* 0 until hello */
    pid_t pid;
    int evpipe_w;                 /* evtchn: write end of the event pipe */
    int evt_fd;                   /* evtchn: memfd of... */
    xs_evt_shared *evt;           /* ...the shared pending/mask bits */
    xs_vcpu *vcpu;                /* guest: the vCPU it plays */
    xs_domain *d;                 /* guest/control: its domain */
    GHashTable *mapped;           /* fmem: domid -> pages mapped */
    guint msi_seen;               /* guest: MSIs already consumed */
    xs_wait wait;
    bool closed;
};

typedef struct xs_opts {
    const char *socket_path;
    uint32_t domid;
    uint64_t ram_bytes;
    unsigned vcpus;
    bool verbose;
    bool no_map_resource;         /* privcmd without resource mapping */
} xs_opts;

struct xs_sim {
    xs_opts opts;
    xs_loop *loop;
    int listen_fd;
    int signal_fd;
    GHashTable *domains;          /* domid -> xs_domain */
    GPtrArray *conns;
    /* fault injection */
    unsigned event_delay_ms;
    unsigned buf_event_delay_ms;
    unsigned drop_notify;
    uint64_t rxbuf[XS_MAX_PAYLOAD / 8];   /* aligned for pfn arrays */
};

/* --- log.c --- */
void xs_log(xs_sim *sim, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void xs_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* --- domain.c --- */
xs_domain *xs_domain_create(xs_sim *sim, uint32_t domid, bool hvm,
                            uint64_t ram_bytes, unsigned vcpus, GError **err);
xs_domain *xs_domain_lookup(xs_sim *sim, uint32_t domid);
/* Like xc_domain_getinfo: domains with id >= first, ascending. */
unsigned xs_domain_getinfo(xs_sim *sim, uint32_t first, unsigned max,
                           xs_dominfo *out);
/* Kill: fail requests, destroy servers, close ports; the domain then
 * lingers as dying while device models map its memory. */
void xs_domain_destroy(xs_domain *d);
void xs_domain_shutdown(xs_domain *d, unsigned reason);
void xs_domain_crash(xs_domain *d, const char *why);
/* Drop a dying domain once nothing maps it any more. */
void xs_domain_reap(xs_domain *d);
/* Release the memory of @d and its servers (no protocol effects). */
void xs_domain_free(xs_domain *d);
int xs_domain_ram_check(xs_domain *d, uint64_t gpa, uint64_t len);

/* --- server.c --- */
int xs_server_create(xs_domain *d, xs_conn *owner, int bufioreq,
                     unsigned *id);
xs_server *xs_server_get(xs_domain *d, unsigned id);
int xs_server_destroy(xs_server *s);
int xs_server_set_state(xs_server *s, bool enabled);
int xs_server_map_range(xs_server *s, unsigned type, uint64_t start,
                        uint64_t end, bool map);
/* Xen's ioreq_server_select(): may rewrite @p to IOREQ_TYPE_PCI_CONFIG. */
xs_server *xs_server_select(xs_domain *d, ioreq_t *p);
ioreq_t *xs_server_slot(xs_server *s, unsigned vcpu);
buffered_iopage_t *xs_server_bufpage(xs_server *s);
void xs_server_free(xs_server *s);
/* The owning device model is gone: fail what waits on it. */
void xs_server_orphan(xs_server *s);
unsigned xs_server_nr_ranges(xs_server *s);

/* --- evtchn.c --- */
xs_port *xs_port_alloc(xs_domain *d, uint32_t remote_dom);
xs_port *xs_port_lookup(xs_domain *d, uint32_t port);
void xs_port_close(xs_port *p);
/* Signal the far end of @p (EVTCHNOP_send), optionally delivered late. */
void xs_port_send(xs_port *p);
void xs_port_send_delayed(xs_port *p, unsigned delay_ms);
int xs_evtchn_bind_interdomain(xs_conn *c, uint32_t rdom, uint32_t rport,
                               uint32_t *lport);
int xs_evtchn_bind_unbound(xs_conn *c, uint32_t rdom, uint32_t *lport);
int xs_evtchn_unbind(xs_conn *c, uint32_t port);
void xs_evtchn_notify(xs_conn *c, uint32_t port);
void xs_evtchn_unmask(xs_conn *c, uint32_t port);
void xs_evtchn_conn_closed(xs_conn *c);

/* --- vcpu.c --- */
void xs_vcpu_submit(xs_vcpu *v, const xs_msg *m);
/* The guest-side port of (@s, vCPU @vcpu) fired. */
void xs_vcpu_event(xs_server *s, unsigned vcpu);
/* Fail the request of @v (if any) that waits on @s (NULL: any). */
void xs_vcpu_fail(xs_vcpu *v, xs_server *s, int err, const char *why);
void xs_vcpu_abandon(xs_vcpu *v);

/* --- irq.c --- */
int xs_irq_set_isa(xs_domain *d, unsigned irq, unsigned level);
int xs_irq_set_gsi(xs_domain *d, unsigned gsi, unsigned level);
int xs_irq_set_intx(xs_domain *d, unsigned seg, unsigned bus, unsigned dev,
                    unsigned pin, unsigned level);
int xs_irq_set_link_route(xs_domain *d, unsigned link, unsigned isa_irq);
int xs_irq_inject_msi(xs_domain *d, uint64_t addr, uint32_t data);
int xs_irq_level(xs_domain *d, unsigned kind, unsigned n, unsigned *level);
/* Park or answer a wait request; re-checked when lines change. */
void xs_irq_wait(xs_conn *c, const xs_msg *m);
void xs_irq_changed(xs_domain *d);
/* Wake every waiter of @d with @err (domain going away). */
void xs_irq_fail_waiters(xs_domain *d, int err);

/* --- conn.c --- */
void xs_conn_accept(xs_sim *sim);
void xs_conn_free_all(xs_sim *sim);
void xs_conn_reply(xs_conn *c, xs_msg *m, const void *pl, size_t plen,
                   int fd);
/* Finish a parked wait with @m's reply body (or an error). */
void xs_conn_wait_done(xs_conn *c, int err);
void xs_conn_wait_park(xs_conn *c, const xs_msg *m, int timeout_ms);
void xs_servers_changed(xs_sim *sim);

/* --- request handlers (hello.c, dmop.c, fmem.c) --- */
void xs_handle_hello(xs_conn *c, xs_msg *m);
void xs_handle_evt(xs_conn *c, xs_msg *m);
void xs_handle_dm(xs_conn *c, xs_msg *m);
void xs_handle_fmem(xs_conn *c, xs_msg *m, const void *pl, size_t plen);
void xs_handle_guest(xs_conn *c, xs_msg *m);

#endif
