/* SPDX-License-Identifier: MIT */
#ifndef HVMEMU_TOOL_DEVICES_H
#define HVMEMU_TOOL_DEVICES_H

#include "hvmemu/ctx.h"
#include "tools/hvmemu/options.h"

/* Checks before touching Xen: class names exist, specs parse, and every
 * device can be created on an in-memory host. Returns an exit status:
 * 0 fine, 2 bad option, 1 other error (e.g. a disk that cannot be opened). */
int hvmemu_check_devices(const hvmemu_options *o);
/* Whether this hvmemu serves the xen-platform ports 0x10-0x1f (and so
 * takes the unplug protocol away from QEMU). */
bool hvmemu_answers_unplug(const hvmemu_options *o);

bool hvmemu_create_devices(hv_ctx *ctx, const hvmemu_options *o,
                           GError **err);

#endif
