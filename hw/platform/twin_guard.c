/* SPDX-License-Identifier: MIT */
/*
 * The twin guard (hvmemu/twin.h). One disk enumerated twice — once
 * emulated, once PV — is how guests lose filesystems: two drivers, two
 * caches, one disk. The unplug protocol prevents it only when the guest's
 * PV drivers ask, and only for what they ask; the guard closes the rest:
 * the moment a PV frontend starts to use the same storage as a disk
 * hvmemu presents, the emulated disk is removed exactly as an unplug
 * would (in-flight commands finish, the backend is flushed, the drive is
 * absent). A disk already in PV use when hvmemu starts is never shown.
 *
 * "Same storage" is hv_blk_same_storage: the same file or block device,
 * however it is named. CD-ROMs are left alone: read-only on both sides,
 * and the protocol never unplugs them either.
 */
#define G_LOG_DOMAIN "twin-guard"

#include "hvmemu/block.h"
#include "hvmemu/device.h"
#include "hvmemu/twin.h"
#include "hvmemu/unplug.h"

struct hv_twin_guard {
    hv_ctx *ctx;
    unsigned removed;
};

typedef struct guard_pass {
    hv_twin_guard *g;
    const hv_pv_disk *disks;
    unsigned n;
    bool at_start;
    unsigned removed;
} guard_pass;

hv_twin_guard *hv_twin_guard_new(hv_ctx *ctx)
{
    hv_twin_guard *g = g_new0(hv_twin_guard, 1);

    g->ctx = ctx;
    return g;
}

void hv_twin_guard_free(hv_twin_guard *g)
{
    g_free(g);
}

static const hv_pv_disk *find_twin(const guard_pass *p, hv_blk *blk,
                                   char **how)
{
    for (unsigned i = 0; i < p->n; i++) {
        const hv_pv_disk *pv = &p->disks[i];

        if (pv->in_use && !pv->cdrom &&
            hv_blk_same_storage(blk, pv->target, pv->rdev, how)) {
            return pv;
        }
    }
    return NULL;
}

static void guard_slot(void *opaque, hv_unplug_slot *s,
                       const hv_unplug_info *info)
{
    guard_pass *p = opaque;
    g_autofree char *how = NULL;
    g_autofree char *why = NULL;
    const hv_pv_disk *pv;

    if (info->kind != HV_UNPLUG_DISK || info->state != HV_UNPLUG_PRESENT ||
        !info->blk || !(pv = find_twin(p, info->blk, &how))) {
        return;
    }
    why = g_strdup_printf("twin guard: the guest's PV disk %s (%s, %s) is "
                          "%s: %s", pv->vdev ? pv->vdev : "?", pv->id,
                          pv->target ? pv->target : "no path", how,
                          hv_blk_path(info->blk));
    g_warning("*** %s %s: %s. The emulated disk %s, so the guest never "
              "writes one disk through two devices.", info->name,
              p->at_start ? "NOT PRESENTED" : "REMOVED", why,
              p->at_start ? "is absent from the start"
                          : "is flushed and removed");
    if (hv_unplug_request(s, p->at_start ? HV_UNPLUG_REFUSED
                                         : HV_UNPLUG_BY_GUARD, why)) {
        p->removed++;
    }
}

unsigned hv_twin_guard_update(hv_twin_guard *g, const hv_pv_disk *disks,
                              unsigned n, bool at_start)
{
    guard_pass p = { .g = g, .disks = disks, .n = n, .at_start = at_start };

    hv_unplug_foreach(g->ctx, guard_slot, &p);
    g->removed += p.removed;
    return p.removed;
}

/* hda..hdd: the four drives of the PIIX IDE that hvmemu's controller
 * shadows (Xen routes its ports and PCI function to the newest server). */
static bool shadowed_ide(hv_ctx *ctx, const char *vdev)
{
    return hv_ctx_find_device(ctx, "piix-ide", 0) && vdev &&
           g_str_has_prefix(vdev, "hd") && vdev[2] >= 'a' &&
           vdev[2] <= 'd' && !vdev[3];
}

bool hv_twin_check_config(hv_ctx *ctx, const hv_pv_disk *disks,
                          unsigned n_disks, const hv_pv_nic *nics,
                          unsigned n_nics, GError **err)
{
    for (unsigned i = 0; i < n_disks; i++) {
        const hv_pv_disk *d = &disks[i];

        if (!d->emulated || d->cdrom || shadowed_ide(ctx, d->vdev)) {
            continue;
        }
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "QEMU emulates disk %s (%s) and offers it as PV too; "
                    "hvmemu answers the unplug protocol, so QEMU would "
                    "never unplug it and the guest would see it twice. "
                    "Give it as vdev=xvd%c in the xl config (PV only), "
                    "serve it with hvmemu --disk, or run hvmemu with "
                    "--unplug-protocol=off", d->vdev, d->id,
                    d->vdev && d->vdev[0] && d->vdev[1] && d->vdev[2]
                        ? d->vdev[2] : 'a');
        return false;
    }
    for (unsigned i = 0; i < n_nics; i++) {
        if (nics[i].emulated) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                        "QEMU emulates NIC %s (xl type=ioemu, the HVM "
                        "default) and offers it as PV too; hvmemu answers "
                        "the unplug protocol, so QEMU would never unplug "
                        "it. Give it type=vif in the xl config (PV only), "
                        "serve it with hvmemu --nic, or run hvmemu with "
                        "--unplug-protocol=off", nics[i].id);
            return false;
        }
    }
    return true;
}
