/* SPDX-License-Identifier: MIT */
/*
 * Wiring xenstore's view of the guest's PV devices (hv_xen_store) to the
 * two protections of docs/unplug.md: the start-up check that no device is
 * doubled by QEMU (only while hvmemu answers the unplug protocol, since
 * that is what takes the protocol away from QEMU), and the twin guard.
 */
#define G_LOG_DOMAIN "hvmemu"

#include "tools/hvmemu/pv_watch.h"
#include "tools/hvmemu/devices.h"

struct hvmemu_pv {
    hv_ctx *ctx;
    hv_xen_store *store;
    hv_twin_guard *guard;       /* NULL: --twin-guard=off */
    bool check_config;          /* first delivery only */
    bool at_start;
    GError *config_err;
};

static void on_pv_devices(void *opaque, const hv_pv_disk *disks,
                          unsigned n_disks, const hv_pv_nic *nics,
                          unsigned n_nics)
{
    hvmemu_pv *p = opaque;

    if (p->check_config) {
        p->check_config = false;
        if (!hv_twin_check_config(p->ctx, disks, n_disks, nics, n_nics,
                                  &p->config_err)) {
            return;
        }
    }
    if (p->guard) {
        hv_twin_guard_update(p->guard, disks, n_disks, p->at_start);
    }
}

hvmemu_pv *hvmemu_pv_start(const hvmemu_options *o, hv_ctx *ctx,
                           hv_loop *loop, GError **err)
{
    hvmemu_pv *p;
    bool disks = o->disks && o->disks[0];

    /* Nothing to guard without a disk, nothing to check without the
     * unplug ports: a testdev-only hvmemu needs no xenstore. */
    if ((!o->twin_guard || !disks) && !hvmemu_answers_unplug(o)) {
        return NULL;
    }
    if (!o->twin_guard && disks) {
        g_warning("--twin-guard=off: an emulated disk may be shown next to "
                  "its PV twin; one disk written through two drivers loses "
                  "data");
    }
    p = g_new0(hvmemu_pv, 1);
    p->ctx = ctx;
    p->at_start = true;
    p->check_config = hvmemu_answers_unplug(o);
    p->guard = o->twin_guard && disks ? hv_twin_guard_new(ctx) : NULL;
    p->store = hv_xen_store_open(o->domid, loop, err);
    if (!p->store || !hv_xen_store_watch(p->store, on_pv_devices, p, err)) {
        g_prefix_error(err, "reading the guest's PV devices (needed by the "
                       "twin guard and the unplug protocol; "
                       "--twin-guard=off --unplug-protocol=off runs without "
                       "either): ");
        hvmemu_pv_stop(p);
        return NULL;
    }
    if (p->config_err) {
        g_propagate_error(err, p->config_err);
        p->config_err = NULL;
        hvmemu_pv_stop(p);
        return NULL;
    }
    return p;
}

void hvmemu_pv_guest_running(hvmemu_pv *p)
{
    if (p) {
        p->at_start = false;
    }
}

void hvmemu_pv_stop(hvmemu_pv *p)
{
    if (!p) {
        return;
    }
    hv_xen_store_close(p->store);
    hv_twin_guard_free(p->guard);
    g_clear_error(&p->config_err);
    g_free(p);
}
