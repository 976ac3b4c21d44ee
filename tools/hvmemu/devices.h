/* SPDX-License-Identifier: MIT */
#ifndef HVMEMU_TOOL_DEVICES_H
#define HVMEMU_TOOL_DEVICES_H

#include "hvmemu/ctx.h"
#include "tools/hvmemu/options.h"

/* Cheap checks before touching Xen: class names exist, specs parse. */
bool hvmemu_check_device_specs(const hvmemu_options *o);
bool hvmemu_create_devices(hv_ctx *ctx, const hvmemu_options *o,
                           GError **err);

#endif
