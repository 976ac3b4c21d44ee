/* SPDX-License-Identifier: MIT */
/* The guest's own PV disk images, which excuse an image lock. */
#ifndef HVMEMU_TOOL_TWIN_IMAGES_H
#define HVMEMU_TOOL_TWIN_IMAGES_H

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/options.h"

typedef struct hvmemu_twin_images hvmemu_twin_images;

/* Read once from xenstore when the twin guard is on and there are disks;
 * NULL otherwise (then no lock is excused). */
hvmemu_twin_images *hvmemu_twin_images_load(const hvmemu_options *o);
/* Devices of @ctx created from now on may open those images although
 * their PV backend locked them. */
void hvmemu_twin_images_attach(hvmemu_twin_images *t, hv_ctx *ctx);
void hvmemu_twin_images_free(hvmemu_twin_images *t);

#endif
