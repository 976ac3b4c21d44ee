/* SPDX-License-Identifier: MIT */
/* Command-line options of the hvmemu daemon. */
#ifndef HVMEMU_TOOL_OPTIONS_H
#define HVMEMU_TOOL_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define HVMEMU_CONTROL_DIR "/run/hvmemu"

typedef struct hvmemu_options {
    uint32_t domid;
    char **devices;   /* --device CLASS,key=value... */
    char **disks;     /* --disk xl-style disk spec */
    char **nics;      /* --nic xl-style vif spec */
    unsigned poll_us;
    bool poll_adaptive;
    unsigned trace;
    bool no_bufioreq;
    bool unplug_protocol; /* answer ports 0x10-0x1f (default on) */
    bool twin_guard;      /* watch PV disks in xenstore (default on) */
    bool latency;         /* latency histograms from the start */
    char *control;        /* control socket path; NULL: none */
    char *trace_file;     /* --trace-file: Trace Event JSON; NULL: none */
    unsigned trace_events; /* its ring capacity (0: default) */
    char *metrics_file;   /* --metrics-file: Prometheus text; NULL: none */
    unsigned metrics_period; /* seconds between its rewrites (0: 10) */
    bool sandbox;         /* restrict Xen handles + seccomp (default on) */
    char *runas;          /* --runas USER[:GROUP]; NULL: stay root */
    char *chroot_dir;     /* --chroot DIR; NULL: none */
    char *restore;        /* --restore FILE: device state to start from */
    int verbosity;
} hvmemu_options;

/* Parses argv. On a usage error prints one line naming the problem and
 * returns false (the caller exits 2). --help/--version exit 0 inside. */
bool hvmemu_parse_options(int argc, char **argv, hvmemu_options *o);
void hvmemu_free_options(hvmemu_options *o);

#endif
