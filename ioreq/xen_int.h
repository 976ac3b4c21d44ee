/* SPDX-License-Identifier: MIT */
/*
 * Internals of the Xen host shared by ioreq/xen_*.c. Not installed.
 *
 *   xen_host.c   attach / enable / detach, domain checks, statistics
 *   xen_pages.c  ioreq server pages (resource mapping, legacy fallback)
 *                and event channels
 *   xen_ops.c    hv_host_ops: range claiming, interrupts, guest memory
 *   xen_loop.c   event-channel fd in the hv_loop, busy-poll, trace,
 *                domain-death timer
 */
#ifndef IOREQ_XEN_INT_H
#define IOREQ_XEN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ioreq/xen_headers.h"

#include "hvmemu/device.h"
#include "hvmemu/xen.h"
#include "hvmemu/latency.h"
#include "hvmemu/tracefile.h"
#include "ioreq/decode.h"
#include "ioreq/mapcache.h"

/* One shared_iopage_t holds one ioreq_t per vCPU, so a page bounds it. */
#define IOREQ_MAX_VCPUS (XC_PAGE_SIZE / sizeof(ioreq_t))
/* How often we look for a dead domain. */
#define IOREQ_DEATH_POLL_NS (500ull * 1000 * 1000)
#define IOREQ_NO_PORT (-1)

struct hv_xen {
    uint32_t domid;
    hv_loop *loop;
    hv_xen_opts opts;
    hv_ctx *ctx;

    xc_interface *xch;
    xendevicemodel_handle *dmod;
    xenforeignmemory_handle *fmem;
    xenevtchn_handle *xce;
    /* hv_xen_restrict (xen_restrict.c): xch closed, handles restricted,
     * liveness from a dm_op and this xenstore connection. */
    bool restricted;
    bool store_knows_domain;    /* /local/domain/N existed at restriction */
    struct xs_handle *xs_live;

    ioservid_t id;
    bool have_server;
    bool enabled;
    bool bufioreq; /* server created with a buffered ring */
    bool dead;     /* domain gone: skip hypercalls that must fail */
    unsigned nr_vcpus;

    /* ioreq pages: one resource mapping, or legacy per-gfn mappings */
    xenforeignmemory_resource_handle *fres;
    void *legacy_ioreq;
    void *legacy_buf;
    shared_iopage_t *shared;
    buffered_iopage_t *bufpage;
    evtchn_port_t buf_remote;

    int *vcpu_port; /* local port per vCPU, IOREQ_NO_PORT if unbound */
    int buf_port;

    hv_watch *watch;
    hv_timer *death_timer;
    ioreq_mapcache *mc;
    ioreq_env env;
    hv_xen_stats stats;
    hv_hist *wake_hist;         /* timing on: wake-up → response */
    uint64_t idle_since_ns;     /* adaptive polling: back to epoll at */
    uint64_t poll_window_ns;    /* adaptive polling: the window now */
    unsigned traced; /* requests printed so far (opts.trace) */
    /* Trace file tracks (ids of trace_owner): one per vCPU, bufioreq. */
    const void *trace_owner;
    unsigned *vcpu_track;
    unsigned buf_track;
};

/* Guest-memory write diagnostics (xen_debug.c): HVMEMU_DEBUG_MEMLOG,
 * HVMEMU_DEBUG_VERIFY, HVMEMU_DEBUG_COPY. */
void ioreq_xen_debug_init(void);
extern bool ioreq_xen_debugging; /* any of them on: one test per write */
void ioreq_xen_debug_write(hv_xen *x, uint64_t gpa, const uint8_t *buf,
                           size_t len);
void ioreq_xen_debug_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* GError for a failed library call: "<call>: <strerror(errno)>". */
void ioreq_xen_set_error(GError **err, int code, int errnum, const char *fmt,
                         ...) G_GNUC_PRINTF(4, 5);
/* True if the domain is destroyed, dying or shut down; @why says which. */
bool ioreq_xen_domain_gone(hv_xen *x, const char **why);
/* xen_restrict.c: the same once restricted (no xc): destroyed only. */
bool ioreq_xen_restricted_gone(hv_xen *x, const char **why);
void ioreq_xen_restrict_close(hv_xen *x);

/* xen_pages.c */
bool ioreq_xen_map_pages(hv_xen *x, GError **err);
void ioreq_xen_unmap_pages(hv_xen *x);
bool ioreq_xen_bind_ports(hv_xen *x, GError **err);
void ioreq_xen_unbind_ports(hv_xen *x);

/* xen_ops.c */
void ioreq_xen_env_init(hv_xen *x);

/* xen_loop.c */
bool ioreq_xen_loop_start(hv_xen *x, GError **err);
void ioreq_xen_loop_stop(hv_xen *x);
/* Service every READY slot and the buffered ring; returns the count. */
unsigned ioreq_xen_service_all(hv_xen *x);
/* Teardown: complete any in-flight slot without touching devices. */
void ioreq_xen_release_slots(hv_xen *x);

#endif
