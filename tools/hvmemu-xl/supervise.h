/* SPDX-License-Identifier: MIT */
/*
 * The guest's life on hvmemu: create it paused with every on_* action set
 * to "preserve" (so xl itself never restarts it behind hvmemu's back, on
 * QEMU's devices), start hvmemu for it and wait for READY, unpause; when
 * the guest shuts down, read why (Xen's shutdown reason) and do what its
 * config asked: destroy, preserve, or restart — a new domain, paused, a
 * new hvmemu, unpause. SIGTERM/SIGINT shut the guest down cleanly (xl
 * shutdown, then destroy after the stop timeout).
 */
#ifndef HVMEMU_XL_SUPERVISE_H
#define HVMEMU_XL_SUPERVISE_H

#include <stdbool.h>

#include "tools/hvmemu-xl/guest_cfg.h"

/* How the first boot's domain comes to be (later reboots: create). */
typedef enum hvxl_first {
    HVXL_FIRST_CREATE,        /* xl create -p GUEST.cfg */
    HVXL_FIRST_RESTORE,       /* xl restore -p SAVEFILE (xl save's) */
    HVXL_FIRST_ADOPT,         /* the domain NAME exists, paused (migrated in) */
} hvxl_first;

typedef struct hvxl_opts {
    const char *xl;           /* xl binary (HVMEMU_XL_XL or "xl") */
    const char *hvmemu;       /* hvmemu binary (HVMEMU_BIN or "hvmemu") */
    unsigned stop_timeout_s;  /* SIGTERM: xl shutdown, then destroy */
    unsigned ready_timeout_s; /* hvmemu's READY */
    /* Called once the first boot runs (daemon mode: detach then). */
    void (*on_running)(void *opaque);
    void *opaque;
    hvxl_first first;
    const char *save_file;    /* RESTORE: xl's checkpoint file */
    const char *state_file;   /* RESTORE, ADOPT: hvmemu --restore FILE */
} hvxl_opts;

/* Until the guest is gone for good. 0: it ended as its config wished;
 * 1: a failure (printed). */
int hvxl_supervise(const hvxl_cfg *c, const hvxl_opts *o);

/* Run xl with @args (NULL-terminated, without "xl"), @timeout_s at most;
 * its output in @out if not NULL. True on exit status 0. */
bool hvxl_xl(const hvxl_opts *o, unsigned timeout_s, char **out,
             const char *const *args);

#endif
