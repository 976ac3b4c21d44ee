/* SPDX-License-Identifier: MIT */
/*
 * Removable media of an ATAPI drive: the admin ejects and inserts discs at
 * run time (hvmemu-ctl eject/insert, through hv_media_* in hvmemu/
 * unplug.h), the guest ejects with START STOP UNIT and locks the tray with
 * PREVENT ALLOW MEDIUM REMOVAL. What a guest driver sees, as on a real
 * drive (SPC-3 §5.6.5, MMC-5 §6.8 and §4.x "media change"):
 *  - no disc: commands that need one fail NOT READY, MEDIUM NOT PRESENT
 *    (02h/3Ah); GET EVENT STATUS NOTIFICATION reports Media Removal once;
 *  - a new disc: the next command (but INQUIRY, REQUEST SENSE, GESN, GET
 *    CONFIGURATION) fails once with UNIT ATTENTION, NOT READY TO READY
 *    CHANGE (06h/28h) — how Linux's sr and Windows' cdrom learn of it —
 *    and GESN reports New Media once.
 * A locked tray refuses the admin's eject unless forced, as QEMU's
 * "eject -f" does; a read in flight makes the eject wait for a retry.
 */
#define G_LOG_DOMAIN "ide"

#include "hvmemu/device.h"
#include "hw/ide/ide_internal.h"

static void media_remove(ide_drive *d)
{
    if (d->blk) {
        hv_blk_close(d->blk);
        d->blk = NULL;
    }
    d->nsectors = 0;
    d->medium = false;
    d->unit_attention = false;
    d->media_event = MMC_EVENT_MEDIA_REMOVAL;
    hv_unplug_set_blk(d->unplug_slot, NULL);
}

bool ide_media_eject(ide_drive *d, bool force, GError **err)
{
    if (!d->medium) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "no disc to eject");
        return false;
    }
    if (d->locked && !force) {
        g_set_error(err, HV_ERROR, HV_ERROR_BUSY, "the guest locked the "
                    "tray (PREVENT MEDIUM REMOVAL); force it to eject "
                    "anyway");
        return false;
    }
    if (d->inflight > 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_BUSY, "a read is in flight; "
                    "try again");
        return false;
    }
    g_message("ide%u.%u: disc ejected%s", d->bus->index, d->unit,
              d->locked ? " (tray was locked: forced)" : "");
    media_remove(d);
    return true;
}

bool ide_media_insert(ide_drive *d, const char *path, GError **err)
{
    hv_blk_opts opts = { 0 };
    hv_blk *blk;

    if (d->medium) {
        g_set_error(err, HV_ERROR, HV_ERROR_BUSY, "a disc is loaded; eject "
                    "it first");
        return false;
    }
    hv_ctx_blk_opts(d->bus->ctx, &opts);
    blk = hv_blk_open_opts(hv_ctx_loop(d->bus->ctx), path, &opts,
                           HV_BLK_RDONLY, err);
    if (!blk) {
        return false;
    }
    if (hv_blk_size(blk) < ATAPI_SECTOR_SIZE) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "%s: smaller than one "
                    "2048-byte block", path);
        hv_blk_close(blk);
        return false;
    }
    d->blk = blk;
    d->nsectors = (hv_blk_size(blk) + IDE_SECTOR_SIZE - 1) / IDE_SECTOR_SIZE;
    d->medium = true;
    d->unit_attention = true;
    d->media_event = MMC_EVENT_NEW_MEDIA;
    hv_unplug_set_blk(d->unplug_slot, blk);
    g_message("ide%u.%u: disc inserted: %s, %u blocks", d->bus->index,
              d->unit, path, ide_atapi_blocks(d));
    return true;
}

bool ide_media_guest_eject(ide_drive *d)
{
    if (d->locked) {
        return false;
    }
    if (d->medium) {
        g_message("ide%u.%u: the guest ejected the disc", d->bus->index,
                  d->unit);
        media_remove(d);
    }
    return true;
}
