/* SPDX-License-Identifier: MIT */
#ifndef HVMEMU_TOOL_DAEMON_H
#define HVMEMU_TOOL_DAEMON_H

#include "tools/hvmemu/options.h"

/* Serve the guest until a signal, guest death or a fatal error.
 * Returns the process exit status (0, 1 runtime error, 2 bad option). */
int hvmemu_run(const hvmemu_options *o);

#endif
