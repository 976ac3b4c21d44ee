/* SPDX-License-Identifier: MIT */
/*
 * What hvmemu-xl needs from a guest's xl config (read with libxlutil, the
 * parser xl itself uses): its name, the devices hvmemu serves and the
 * guest's wishes for poweroff, reboot and crash.
 *
 *   hvmemu_disk = [ 'format=raw,vdev=hda,access=rw,target=/srv/g.img' ]
 *   hvmemu_vif  = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0' ]
 *   hvmemu_args = '--latency on'          (more hvmemu options, optional)
 *
 * xl ignores keys it does not know, so they live in the guest's own file.
 */
#ifndef HVMEMU_XL_GUEST_CFG_H
#define HVMEMU_XL_GUEST_CFG_H

#include <stdbool.h>
#include <glib.h>

/* xl.cfg(5) "on_poweroff" etc., as the supervisor acts on them. */
typedef enum hvxl_action {
    HVXL_DESTROY,     /* destroy, coredump-destroy */
    HVXL_RESTART,     /* restart, rename-restart, coredump-restart, soft-reset */
    HVXL_PRESERVE,    /* leave the domain as it is */
} hvxl_action;

typedef struct hvxl_cfg {
    char *path;
    char *name;
    GPtrArray *disks;         /* char *, hvmemu --disk specs */
    GPtrArray *vifs;          /* char *, hvmemu --nic specs */
    char **extra_args;        /* hvmemu_args split like a shell (NULL ok) */
    hvxl_action on_poweroff, on_reboot, on_crash;
} hvxl_cfg;

/* NULL with @err naming the file and the key on any problem. */
hvxl_cfg *hvxl_cfg_load(const char *path, GError **err);
void hvxl_cfg_free(hvxl_cfg *c);
const char *hvxl_action_name(hvxl_action a);

#endif
