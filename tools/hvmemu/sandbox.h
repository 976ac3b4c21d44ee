/* SPDX-License-Identifier: MIT */
/* Least privilege for the running daemon: chroot, user, seccomp. */
#ifndef HVMEMU_TOOL_SANDBOX_H
#define HVMEMU_TOOL_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

typedef struct hvmemu_identity {
    bool set;
    uid_t uid;
    gid_t gid;
} hvmemu_identity;

typedef struct hvmemu_sandbox {
    bool seccomp;           /* --sandbox on (default) */
    const char *chroot_dir; /* --chroot DIR, or NULL */
    hvmemu_identity runas;  /* --runas USER[:GROUP] */
    bool entered;           /* hvmemu_sandbox_enter succeeded */
} hvmemu_sandbox;

/* USER or USER:GROUP to ids; refuses unknown names and root
 * (HV_ERROR_INVAL: exit 2). */
bool hvmemu_sandbox_resolve(const char *runas, hvmemu_identity *id,
                            GError **err);
/* Irreversible: chroot, then the user, then the seccomp filter. */
bool hvmemu_sandbox_enter(hvmemu_sandbox *s, GError **err);
/* The errno of execve() on a path that does not exist: EPERM when the
 * filter forbids it, ENOENT when the kernel got to look. Harmless. */
int hvmemu_sandbox_probe_execve(void);

#endif
