/* SPDX-License-Identifier: MIT */
/*
 * The Xen host: attaches to an HVM domain as an ioreq server and serves it.
 * This header exposes no Xen types; the implementation in ioreq/ is the only
 * code that includes Xen's headers.
 *
 * Order of use: hv_xen_attach → hv_ctx_new(hv_xen_host_ops(), xen, loop) →
 * hv_xen_set_ctx → create devices (their regions are claimed at once) →
 * hv_xen_enable → hv_loop_run → hv_xen_detach.
 */
#ifndef HVMEMU_XEN_H
#define HVMEMU_XEN_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "hvmemu/ctx.h"
#include "hvmemu/loop.h"
#include "hvmemu/twin.h"

typedef struct hv_xen hv_xen;

typedef struct hv_xen_opts {
    unsigned poll_us;     /* busy-poll the ioreq pages this long before
                             blocking on the event channel (0 = never);
                             adaptive: the most the window grows to */
    bool poll_adaptive;   /* the window follows the guest (xen_loop.c) */
    bool no_bufioreq;     /* do not use the buffered ring */
    unsigned trace;       /* print the first N requests step by step */
} hv_xen_opts;

hv_xen *hv_xen_attach(uint32_t domid, hv_loop *loop, const hv_xen_opts *opts,
                      GError **err);
const hv_host_ops *hv_xen_host_ops(void);
void hv_xen_set_ctx(hv_xen *x, hv_ctx *ctx);
bool hv_xen_enable(hv_xen *x, GError **err);
/* Completes/releases in-flight requests, disables and destroys the server,
 * closes handles. Safe on a dead domain. */
void hv_xen_detach(hv_xen *x);

/* Least privilege (ioreq/xen_restrict.c): from now on every Xen handle
 * acts on this domain only (xentoolcore_restrict_all); Xen's control
 * interface is closed, so only a destroyed domain is seen as gone. Call
 * after the devices claimed their ranges, before opening xenstore
 * connections that must survive (libxenstore's would be cut). */
bool hv_xen_restrict(hv_xen *x, GError **err);
bool hv_xen_restricted(const hv_xen *x);
/* For hvmemu-ctl sandbox: the errno of a harmless dm_op aimed at another
 * domain (EPERM once restricted), 0 if it succeeded. */
int hv_xen_probe_other_domain(const hv_xen *x);

/* Statistics for the summary table. */
typedef struct hv_xen_stats {
    uint64_t reqs[16];    /* by IOREQ type */
    uint64_t bufreqs;
    uint64_t notifies;
    uint64_t guest_gone;
    uint64_t poll_served; /* requests found by busy polling */
    uint64_t poll_ns;     /* time spent busy polling */
    uint64_t poll_window_ns; /* adaptive polling: the window now */
    /* Event-channel wake-up → response sent, per vCPU request (NULL
     * unless the context's timing is on). */
    const struct hv_hist *wake_to_response_ns;
} hv_xen_stats;
void hv_xen_get_stats(const hv_xen *x, hv_xen_stats *st);
/* The request types worth reporting, with hv_xen_stats.reqs[] indices
 * (public/hvm/ioreq.h: 0 PIO, 1 COPY, 2 PCI_CONFIG, 8 INVALIDATE); ends
 * with a NULL name. */
typedef struct hv_xen_req_type {
    const char *name;
    unsigned type;
} hv_xen_req_type;
extern const hv_xen_req_type hv_xen_req_types[];

/* False if libxl recorded the guest without Xen's platform PCI device
 * (xl: xen_platform_pci=0): then it has no PV drivers and the unplug
 * protocol must not be answered (ioreq/xen_libxl.c). */
bool hv_xen_platform_pci_present(uint32_t domid);

/*
 * The guest's PV devices as the toolstack published them in xenstore
 * (ioreq/xen_store.c): the vbd, qdisk and vbd3 backends of the domain with
 * their frontends' state, and its vif backends. @fn gets the complete list
 * at once from hv_xen_store_watch, then from the loop after every change.
 */
typedef struct hv_xen_store hv_xen_store;
typedef void (*hv_xen_store_fn)(void *opaque, const hv_pv_disk *disks,
                                unsigned n_disks, const hv_pv_nic *nics,
                                unsigned n_nics);
hv_xen_store *hv_xen_store_open(uint32_t domid, hv_loop *loop, GError **err);
bool hv_xen_store_watch(hv_xen_store *s, hv_xen_store_fn fn, void *opaque,
                        GError **err);
void hv_xen_store_close(hv_xen_store *s);
/* The same list once, without a watch (open, read, close). */
bool hv_xen_store_read(uint32_t domid, hv_xen_store_fn fn, void *opaque,
                       GError **err);

#endif
