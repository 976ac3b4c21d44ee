/* SPDX-License-Identifier: MIT */
/*
 * An in-process fake of the Xen library calls ioreq/xen_*.c make. The test
 * executable exports these symbols (export_dynamic), so libhvmemu's
 * references bind to them instead of the real libxen* — the Xen glue runs
 * unmodified without a hypervisor. Every call is appended to a text log.
 */
#ifndef TESTS_IOREQ_FAKEXEN_H
#define TESTS_IOREQ_FAKEXEN_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "ioreq/xen_headers.h"

#define FAKE_DOMID 5
#define FAKE_RAM_PAGES 256 /* 1 MiB of guest RAM */
#define FAKE_REMOTE_PORT(v) (10 + (v))
#define FAKE_BUF_REMOTE 30
#define FAKE_LOCAL(remote) ((remote) + 100)

typedef struct fake_xen {
    /* knobs */
    bool exists, hvm, dying;
    unsigned max_vcpu_id;
    int resource_errno; /* map_resource fails with this (0 = works) */
    bool pending_fails; /* xenevtchn_pending returns -1 */
    /* state */
    GString *log; /* "call args;" per call */
    int create_mode;
    bool enabled;
    uint8_t *pages; /* [0] bufioreq page, [1] shared ioreq page */
    uint8_t *ram;
    int pipe[2]; /* "event channel device": 4-byte ports */
    unsigned open_handles;
    unsigned ram_maps, ram_unmaps;
} fake_xen;

extern fake_xen fake;

void fake_reset(void);
void fake_fini(void);
shared_iopage_t *fake_shared(void);
buffered_iopage_t *fake_bufpage(void);
/* Xen signals a local port (what a vCPU's ioreq or a buffered post does). */
void fake_signal(int local_port);
bool fake_logged(const char *needle);

#endif
