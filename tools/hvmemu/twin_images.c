/* SPDX-License-Identifier: MIT */
/*
 * An image lock excused (hvmemu/block.h, hv_blk_lock_excuse_fn): libxl
 * gives an xl disk of an HVM guest to QEMU twice, emulated and as the PV
 * disk's backend (qdisk), and QEMU locks the image. Served by hvmemu, the
 * emulated view moves here, and hvmemu must open the image the guest's own
 * PV backend holds: the unplug protocol and the twin guard
 * (docs/unplug.md) keep the guest from using both views. Any other holder
 * (another guest's hvmemu or QEMU, qemu-img, qemu-nbd) still refuses the
 * open. Without the twin guard nothing keeps the views apart, so nothing
 * is excused.
 *
 * The list is read once, before the devices open their images; the
 * guard's own watch follows later changes.
 */
#define G_LOG_DOMAIN "hvmemu"
#include "tools/hvmemu/twin_images.h"

struct hvmemu_twin_images {
    GPtrArray *targets;     /* char *, NULL entries for unknown paths */
    GArray *rdevs;          /* dev_t, 0 if unknown */
    GPtrArray *ids;         /* "qdisk/51712 (xvda)" */
};

static void on_pv_devices(void *opaque, const hv_pv_disk *disks,
                          unsigned n_disks, const hv_pv_nic *nics,
                          unsigned n_nics)
{
    hvmemu_twin_images *t = opaque;

    for (unsigned i = 0; i < n_disks; i++) {
        g_ptr_array_add(t->targets, g_strdup(disks[i].target));
        g_array_append_val(t->rdevs, disks[i].rdev);
        g_ptr_array_add(t->ids, g_strdup_printf("%s (%s)", disks[i].id,
                                                disks[i].vdev ? disks[i].vdev
                                                              : "?"));
    }
}

hvmemu_twin_images *hvmemu_twin_images_load(const hvmemu_options *o)
{
    g_autoptr(GError) err = NULL;
    hvmemu_twin_images *t;

    if (!o->twin_guard || !o->disks) {
        return NULL;
    }
    t = g_new0(hvmemu_twin_images, 1);
    t->targets = g_ptr_array_new_with_free_func(g_free);
    t->rdevs = g_array_new(FALSE, FALSE, sizeof(dev_t));
    t->ids = g_ptr_array_new_with_free_func(g_free);
    if (!hv_xen_store_read(o->domid, on_pv_devices, t, &err)) {
        /* No xenstore: no PV disks to excuse; the guard itself will say
         * why it cannot run. */
        g_debug("image locks: the guest's PV disks unknown: %s",
                err->message);
    }
    return t;
}

static bool twin_excuse(void *opaque, const hv_blk *b, char **why)
{
    hvmemu_twin_images *t = opaque;

    for (guint i = 0; i < t->targets->len; i++) {
        g_autofree char *how = NULL;

        if (hv_blk_same_storage(b, g_ptr_array_index(t->targets, i),
                                g_array_index(t->rdevs, dev_t, i), &how)) {
            *why = g_strdup_printf("it is the guest's own PV disk %s (%s); "
                                   "the twin guard keeps the guest from "
                                   "using both",
                                   (char *)g_ptr_array_index(t->ids, i), how);
            return true;
        }
    }
    return false;
}

void hvmemu_twin_images_attach(hvmemu_twin_images *t, hv_ctx *ctx)
{
    if (t) {
        hv_ctx_set_lock_excuse(ctx, twin_excuse, t);
    }
}

void hvmemu_twin_images_free(hvmemu_twin_images *t)
{
    if (t) {
        g_ptr_array_free(t->targets, TRUE);
        g_array_free(t->rdevs, TRUE);
        g_ptr_array_free(t->ids, TRUE);
        g_free(t);
    }
}
