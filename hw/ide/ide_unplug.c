/* SPDX-License-Identifier: MIT */
/*
 * Unplugging a drive (Xen's unplug protocol or the twin guard, see
 * include/hvmemu/unplug.h): the guest ends up with what a hot-removed
 * PATA drive looks like, reached without losing a byte.
 *
 *  1. REMOVING: commands already running finish — their backend requests
 *     complete, DMA reaches guest memory, INTRQ is raised. A new command
 *     is aborted (ERR, Error ABRT) at once, so no vCPU waits on a drive
 *     that is going away.
 *  2. When nothing is in flight the backend is flushed: everything the
 *     guest wrote, even with the write cache on, is durable before the
 *     drive disappears (QEMU drains and flushes all disks as well).
 *  3. ABSENT: the drive leaves its bus slot and its backend is closed;
 *     the channel answers as it does for a missing device (ide_bus.c:
 *     Status 00h, commands ignored), as after removal on real hardware.
 *
 * A command waiting for the guest (PIO DRQ, DMA whose bus master was never
 * started) is abandoned at step 2: waiting for a guest is unbounded.
 */
#define G_LOG_DOMAIN "ide"

#include "hw/ide/ide_internal.h"

static void ide_unplug_detach(void *opaque)
{
    ide_drive *d = opaque;
    ide_bus *bus = d->bus;

    bus->drive[d->unit] = NULL;
    bus->gone[d->unit] = d;         /* freed with the controller */
    hv_blk_close(d->blk);
    d->blk = NULL;
    if (ide_bus_selected(bus) == NULL && bus->irq_pending) {
        ide_bus_lower_irq(bus);     /* nobody left to acknowledge it */
    }
    hv_unplug_done(d->unplug_slot);
}

static void ide_unplug_flushed(void *opaque, int ret)
{
    ide_drive *d = opaque;

    d->inflight--;
    if (ret < 0) {
        g_warning("ide%u.%u: flush before unplug failed: %s; writes the "
                  "guest made may not be durable", d->bus->index, d->unit,
                  g_strerror(-ret));
    }
    /* Not from inside the backend's own completion: closing it there
     * would pull the request list from under its caller. */
    hv_timer_arm_ns(d->unplug_timer, 0);
}

void ide_unplug_progress(ide_drive *d)
{
    int ret;

    if (!d->unplugging || d->unplug_flushing || d->inflight > 0) {
        return;
    }
    d->unplug_flushing = true;
    if (d->xfer != IDE_XFER_NONE) {
        /* Step 2: a command paced by the guest is abandoned, without an
         * interrupt, as a drive pulled mid-transfer would leave it. */
        ide_drive_clear_cmd(d);
        d->status = ATA_SR_DRDY | ATA_SR_ERR;
        d->error = ATA_ER_ABRT;
    }
    /* Otherwise the last command's status stays readable for the
     * guest's interrupt handler until the drive is gone. */
    if (d->readonly) {
        hv_timer_arm_ns(d->unplug_timer, 0);
        return;
    }
    d->inflight++;
    ret = hv_blk_flush(d->blk, ide_unplug_flushed, d);
    if (ret < 0) {
        ide_unplug_flushed(d, ret);
    }
}

static void ide_unplug_start(void *opaque)
{
    ide_drive *d = opaque;

    d->unplugging = true;
    d->unplug_timer = hv_timer_new(hv_ctx_loop(d->bus->ctx),
                                   ide_unplug_detach, d);
    if (!d->unplug_timer) {
        /* No timerfd left: detach now. Closing the backend still waits
         * for (and completes) whatever is in flight. */
        g_warning("ide%u.%u: no timer for the unplug, detaching at once",
                  d->bus->index, d->unit);
        d->unplug_flushing = true;
        ide_unplug_detach(d);
        return;
    }
    ide_unplug_progress(d);
}

static bool ide_eject_cb(void *opaque, bool force, GError **err)
{
    return ide_media_eject(opaque, force, err);
}

static bool ide_insert_cb(void *opaque, const char *path, GError **err)
{
    return ide_media_insert(opaque, path, err);
}

void ide_unplug_register(ide_drive *d)
{
    char name[4] = { 'h', 'd', (char)('a' + 2 * d->bus->index + d->unit) };
    hv_unplug_desc desc = {
        .kind = d->atapi ? HV_UNPLUG_CDROM : HV_UNPLUG_DISK,
        .name = name,
        .primary_master = d->bus->index == 0 && d->unit == 0,
        .blk = d->blk,
        .unplug = ide_unplug_start,
        .eject = d->atapi ? ide_eject_cb : NULL,
        .insert = d->atapi ? ide_insert_cb : NULL,
        .opaque = d,
    };

    d->unplug_slot = hv_unplug_register(d->bus->ctx, &desc);
}

void ide_unplug_fini(ide_drive *d)
{
    hv_unplug_unregister(d->unplug_slot);
    d->unplug_slot = NULL;
    hv_timer_free(d->unplug_timer);
    d->unplug_timer = NULL;
}
