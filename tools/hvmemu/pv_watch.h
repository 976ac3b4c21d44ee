/* SPDX-License-Identifier: MIT */
/* The guest's PV devices: the config check and the twin guard. */
#ifndef HVMEMU_TOOL_PV_WATCH_H
#define HVMEMU_TOOL_PV_WATCH_H

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/options.h"

typedef struct hvmemu_pv hvmemu_pv;

/* Before the ioreq server is enabled: reads the guest's PV devices, fails
 * if the config would show a device twice, removes (refuses) emulated
 * disks already in PV use, then watches for changes. NULL with *err on
 * failure; NULL without error when neither check is wanted. */
hvmemu_pv *hvmemu_pv_start(const hvmemu_options *o, hv_ctx *ctx,
                           hv_loop *loop, GError **err);
/* The guest runs from now on: twins are removed, no longer refused. */
void hvmemu_pv_guest_running(hvmemu_pv *p);
void hvmemu_pv_stop(hvmemu_pv *p);

#endif
