/* SPDX-License-Identifier: MIT */
/* Umbrella header for libhvmemu. */
#ifndef HVMEMU_HVMEMU_H
#define HVMEMU_HVMEMU_H

#include "hvmemu/loop.h"
#include "hvmemu/region.h"
#include "hvmemu/ctx.h"
#include "hvmemu/device.h"
#include "hvmemu/pci.h"
#include "hvmemu/block.h"
#include "hvmemu/net.h"
#include "hvmemu/memhost.h"
#include "hvmemu/unplug.h"
#include "hvmemu/xen.h"
#include "hvmemu/latency.h"
#include "hvmemu/tracefile.h"
#include "hvmemu/state.h"

#define HVMEMU_VERSION "0.1.0"

#endif
