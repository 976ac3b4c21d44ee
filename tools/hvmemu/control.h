/* SPDX-License-Identifier: MIT */
/* The control socket of a served domain (control.c, docs/control.md). */
#ifndef HVMEMU_TOOL_CONTROL_H
#define HVMEMU_TOOL_CONTROL_H

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/sandbox.h"

typedef struct hvmemu_control hvmemu_control;

/* Listen on @path (its directory is created 0700). Fails with
 * HV_ERROR_BUSY if another hvmemu answers there. */
hvmemu_control *hvmemu_control_open(const char *path, hv_ctx *ctx,
                                    const hv_xen *xen, uint32_t domid,
                                    hv_loop *loop, GError **err);
/* Flushes pending replies, closes every client, removes the socket. */
void hvmemu_control_close(hvmemu_control *c);
/* What "sandbox" reports (the daemon's, alive as long as the socket). */
void hvmemu_control_set_sandbox(hvmemu_control *c, const hvmemu_sandbox *sb);

#endif
