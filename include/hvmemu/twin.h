/* SPDX-License-Identifier: MIT */
/*
 * The twin guard: hvmemu never presents an emulated disk while the guest
 * has a PV disk on the same storage (hw/platform/twin_guard.c).
 *
 * The hypervisor side (ioreq/xen_store.c for Xen: xenstore's vbd, qdisk
 * and vbd3 backends of the domain and their frontends) reports every PV
 * disk it sees, in full, each time something changes; the guard compares
 * them with the disks registered for unplug (hvmemu/unplug.h) and removes
 * any emulated disk whose PV twin the guest's driver has started to use.
 */
#ifndef HVMEMU_TWIN_H
#define HVMEMU_TWIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "hvmemu/ctx.h"

typedef struct hv_pv_disk {
    const char *id;         /* "qdisk/51712": backend kind / device id */
    const char *vdev;       /* the toolstack's name, "xvda" */
    const char *target;     /* the backing path, NULL if unknown */
    dev_t rdev;             /* the backing block device, 0 if unknown */
    bool cdrom;
    bool emulated;          /* QEMU emulates it too (an hdX/sdX vdev) */
    bool in_use;            /* the guest's PV driver has connected (or is
                               connecting: frontend Initialised or later) */
} hv_pv_disk;

typedef struct hv_pv_nic {
    const char *id;         /* "vif/0" */
    bool emulated;          /* QEMU emulates it too (xl type=ioemu, the
                               HVM default) */
} hv_pv_nic;

typedef struct hv_twin_guard hv_twin_guard;

hv_twin_guard *hv_twin_guard_new(hv_ctx *ctx);
void hv_twin_guard_free(hv_twin_guard *g);
/* A complete, fresh list of the guest's PV disks. @at_start: the guest
 * has not run yet (hvmemu refuses to present a twin rather than remove
 * it). Returns how many emulated disks were removed. */
unsigned hv_twin_guard_update(hv_twin_guard *g, const hv_pv_disk *disks,
                              unsigned n, bool at_start);

/*
 * hvmemu answers the unplug protocol's ports, so QEMU never hears the
 * guest's unplug request: a disk or NIC that QEMU emulates AND offers as
 * PV would stay visible next to its twin. Fails (HV_ERROR_INVAL, with
 * what to change in the xl config) if the toolstack set up such a device.
 * QEMU's IDE disks hda-hdd are no risk while hvmemu's piix-ide shadows
 * QEMU's controller (the guest never reaches them); CD-ROMs never are.
 */
bool hv_twin_check_config(hv_ctx *ctx, const hv_pv_disk *disks,
                          unsigned n_disks, const hv_pv_nic *nics,
                          unsigned n_nics, GError **err);

#endif
