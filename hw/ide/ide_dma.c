/* SPDX-License-Identifier: MIT */
/*
 * The drive side of a DMA command (ATA-7 §9.10 DMA protocol): the
 * command is set up when the guest writes it, and runs once the bus
 * master has been started too (either order). Data moves in chunks of at
 * most IDE_DMA_CHUNK sectors through the drive's bounce buffer: a read
 * chunk goes backend → buffer → PRD regions, a write chunk PRD regions →
 * buffer → backend, so memory use is bounded whatever the guest asks.
 *
 * Ends: complete (DRDY, INTRQ; bus master per PRD length), PRD table too
 * short (DRDY without INTRQ, ACTIVE cleared: the guest times out), guest
 * memory fault or bus mastering disabled in PCI COMMAND (bus-master ERR,
 * ERR+ABRT), backend error (ERR+UNC for reads, ERR+ABRT for writes).
 *
 * Bus master stopped by the guest mid-transfer: a read in flight finishes
 * without touching guest memory, the rest of the PRD table is walked
 * without copying so the status ends as if the transfer had completed
 * (what QEMU's ide-test expects); a write stops and is aborted.
 */
#define G_LOG_DOMAIN "ide"

#include <errno.h>

#include "hw/ide/ide_internal.h"

static void ide_dma_next(ide_drive *d);

void ide_dma_begin(ide_drive *d, ide_dma_kind kind)
{
    d->dma_kind = kind;
    d->xfer = IDE_XFER_DMA;
    d->dma_running = false;
    d->status = ATA_SR_BSY | ATA_SR_DRDY;
    bmdma_kick(d->bus->bm);
}

void ide_dma_complete(ide_drive *d)
{
    bmdma_finish(d->bus->bm, true, false);
    ide_cmd_done(d);
}

void ide_dma_fail(ide_drive *d, uint8_t error, bool bus_error)
{
    bmdma_finish(d->bus->bm, false, bus_error);
    ide_cmd_abort(d, error);
}

/* The PRD table ended before the transfer did (BM IDE spec §3.1 case 1):
 * ACTIVE drops, no interrupt; the drive is left idle. */
static void ide_dma_short(ide_drive *d)
{
    hv_guest_error(IDE_LOG, "ide%u.%u: PRD table shorter than the %02xh "
                   "transfer", d->bus->index, d->unit, d->cmd);
    bmdma_finish(d->bus->bm, false, false);
    d->xfer = IDE_XFER_NONE;
    d->dma_running = false;
    d->remaining = 0;
    d->status = ATA_SR_DRDY | ATA_SR_DSC;
}

/* Move @len bytes between the bounce buffer and the PRD regions. Returns
 * true if all went; otherwise the command has been ended. */
static bool ide_dma_move(ide_drive *d, uint8_t *buf, size_t len,
                         bool to_guest, bool dry)
{
    ssize_t got = bmdma_prd_xfer(d->bus->bm, buf, len, to_guest, dry);

    if (got < 0) {
        ide_dma_fail(d, ATA_ER_ABRT, true);
        return false;
    }
    if ((size_t)got < len) {
        ide_dma_short(d);
        return false;
    }
    return true;
}

/* ---- reads and writes ---- */

static void ide_dma_read_done(ide_drive *d, int ret)
{
    bmdma *bm = d->bus->bm;
    bool stopped = !bmdma_started(bm);
    size_t len = (size_t)d->blk_sectors * IDE_SECTOR_SIZE;

    if (ret < 0) {
        ide_xfer_error(d, ret, ATA_ER_UNC);
        return;
    }
    if (!stopped && !bmdma_master_enabled(bm)) {
        ide_dma_fail(d, ATA_ER_ABRT, true);
        return;
    }
    if (!ide_dma_move(d, d->dma_buf, len, true, stopped)) {
        return;
    }
    d->lba += d->blk_sectors;
    d->remaining -= d->blk_sectors;
    if (stopped && d->remaining > 0) {
        /* Finish the walk dry: no more backend reads, no memory writes. */
        if (!ide_dma_move(d, NULL, (size_t)d->remaining * IDE_SECTOR_SIZE,
                          true, true)) {
            return;
        }
        d->remaining = 0;
    }
    ide_dma_next(d);
}

static void ide_dma_write_done(ide_drive *d, int ret)
{
    if (ret < 0) {
        ide_xfer_error(d, ret, ATA_ER_ABRT);
        return;
    }
    d->lba += d->blk_sectors;
    d->remaining -= d->blk_sectors;
    ide_dma_next(d);
}

static void ide_dma_write_chunk(ide_drive *d)
{
    bmdma *bm = d->bus->bm;

    if (!bmdma_started(bm)) {
        hv_guest_error(IDE_LOG, "ide%u.%u: bus master stopped during a "
                       "write", d->bus->index, d->unit);
        ide_dma_fail(d, ATA_ER_ABRT, false);
        return;
    }
    if (!bmdma_master_enabled(bm)) {
        ide_dma_fail(d, ATA_ER_ABRT, true);
        return;
    }
    if (ide_dma_move(d, d->dma_buf,
                     (size_t)d->blk_sectors * IDE_SECTOR_SIZE, false,
                     false)) {
        ide_blk_write(d, d->lba, d->dma_buf, d->blk_sectors,
                      ide_dma_write_done);
    }
}

static void ide_dma_next(ide_drive *d)
{
    if (d->remaining == 0) {
        if (d->dma_kind == IDE_DMA_WRITE) {
            ide_write_finish(d);
        } else {
            ide_xfer_complete(d);
        }
        return;
    }
    d->blk_sectors = MIN(d->remaining, IDE_DMA_CHUNK);
    if (d->dma_kind == IDE_DMA_READ) {
        ide_blk_read(d, d->lba, d->dma_buf, d->blk_sectors,
                     ide_dma_read_done);
    } else {
        ide_dma_write_chunk(d);
    }
}

/* ---- DATA SET MANAGEMENT / TRIM ---- */

static void ide_dma_trim_next(ide_drive *d);

static void ide_dma_trim_done(ide_drive *d, int ret)
{
    /* TRIM is advisory: a backend that cannot discard is not an error. */
    if (ret < 0 && ret != -EOPNOTSUPP && ret != -ENOTTY) {
        ide_xfer_error(d, ret, ATA_ER_ABRT);
        return;
    }
    ide_dma_trim_next(d);
}

static void ide_dma_trim_next(ide_drive *d)
{
    uint64_t e;

    if (d->trim_i >= d->trim_n) {
        ide_xfer_complete(d);
        return;
    }
    e = d->trim_ranges[d->trim_i++];
    d->lba = ATA_DSM_RANGE_LBA(e);
    ide_blk_discard(d, ATA_DSM_RANGE_LBA(e), ATA_DSM_RANGE_LEN(e),
                    ide_dma_trim_done);
}

/* Copy the range entries in and check all of them before discarding
 * anything: one range beyond the capacity aborts the command (ABRT). */
static void ide_dma_trim(ide_drive *d)
{
    size_t len = (size_t)d->remaining * IDE_SECTOR_SIZE;
    size_t n = len / 8;

    if (!ide_dma_move(d, d->dma_buf, len, false, false)) {
        return;
    }
    d->trim_ranges = g_new(uint64_t, n);
    d->trim_n = d->trim_i = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t e = GUINT64_FROM_LE(((const uint64_t *)d->dma_buf)[i]);
        uint64_t lba = ATA_DSM_RANGE_LBA(e);
        uint32_t cnt = ATA_DSM_RANGE_LEN(e);

        if (cnt == 0) {
            continue;   /* unused entry */
        }
        if (lba >= d->nsectors || cnt > d->nsectors - lba) {
            hv_guest_error(IDE_LOG, "ide%u.%u: TRIM %" G_GUINT64_FORMAT
                           "+%u beyond the disk", d->bus->index, d->unit,
                           lba, cnt);
            ide_dma_fail(d, ATA_ER_ABRT, false);
            return;
        }
        d->trim_ranges[d->trim_n++] = e;
    }
    d->remaining = 0;
    ide_dma_trim_next(d);
}

void ide_dma_start(ide_drive *d)
{
    bmdma *bm = d->bus->bm;

    d->dma_running = true;
    if (!bmdma_master_enabled(bm)) {
        /* No bus mastering in PCI COMMAND: the engine cannot fetch the
         * PRD table or move data, so the command fails (master abort). */
        hv_guest_error(IDE_LOG, "ide%u.%u: DMA with bus mastering "
                       "disabled", d->bus->index, d->unit);
        ide_dma_fail(d, ATA_ER_ABRT, true);
        return;
    }
    bmdma_prd_begin(bm);
    if (d->dma_kind == IDE_DMA_TRIM) {
        ide_dma_trim(d);
        return;
    }
    if (d->dma_kind == IDE_DMA_ATAPI) {
        /* A PACKET reply already built in the buffer. */
        if (ide_dma_move(d, d->dma_buf, d->atapi_len, true, false)) {
            ide_xfer_complete(d);
        }
        return;
    }
    ide_dma_next(d);
}
