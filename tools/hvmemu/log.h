/* SPDX-License-Identifier: MIT */
#ifndef HVMEMU_TOOL_LOG_H
#define HVMEMU_TOOL_LOG_H

void hvmemu_log_init(int verbosity);

#endif
