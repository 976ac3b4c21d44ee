/* SPDX-License-Identifier: MIT */
/* Save and migration of a guest on hvmemu (saverestore.c). */
#ifndef HVMEMU_XL_SAVERESTORE_H
#define HVMEMU_XL_SAVERESTORE_H

#include "tools/hvmemu-xl/guest_cfg.h"
#include "tools/hvmemu-xl/supervise.h"

/* hvmemu's device state beside xl's save file: FILE.hvmemu. */
char *hvxl_state_path(const char *save_file);
/* xl's save of @name into @file plus the device state; 0 on success (the
 * domain is then gone), 1 when it was not saved (the guest continues).
 * Only for guests that suspend themselves (PV drivers). */
int hvxl_save(const hvxl_opts *o, const char *name, const char *file);
/* xl migrate of @c's guest to @host (localhost, or through @ssh); the
 * device state in @state once the source is gone. 0: the guest waits
 * paused on @host for an hvmemu started from @state (hvmemu-xl adopt). */
int hvxl_migrate(const hvxl_opts *o, const hvxl_cfg *c, const char *host,
                 const char *ssh, const char *state);

#endif
