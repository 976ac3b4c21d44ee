/* SPDX-License-Identifier: MIT */
/*
 * An ATA drive's lifecycle: creation from a backend, power-on and
 * software-reset state, command completion, and the backend requests.
 *
 * Reset vs. requests in flight: the backend cannot cancel, so a software
 * reset bumps the drive's generation (stale completions are ignored) and
 * keeps BSY set until every old request has come back. No data from a
 * command issued before the reset can land after BSY clears.
 */
#define G_LOG_DOMAIN "ide"

#include <errno.h>
#include <string.h>
#include <stdio.h>

#include "hvmemu-config.h"
#include "hw/ide/ide_internal.h"

typedef struct ide_req {
    ide_drive *d;
    unsigned gen;
    ide_io_fn fn;
    /* Tracing only: the backend span (hv_ctx_trace_span). */
    uint64_t start_ns, off, len;
    const char *op;
} ide_req;

static void *ide_alloc_aligned(size_t len)
{
    /* 4 KiB alignment keeps O_DIRECT backends happy. */
    void *p = g_aligned_alloc0(1, len, 4096);

    return p;
}

ide_drive *ide_drive_new(ide_bus *bus, unsigned unit, hv_blk *blk,
                         const ide_drive_conf *conf)
{
    ide_drive *d = g_new0(ide_drive, 1);
    uint64_t size = blk ? hv_blk_size(blk) : 0;   /* NULL: no disc loaded */

    d->bus = bus;
    d->unit = unit;
    d->blk = blk;
    /* A partial last sector is still addressable; it reads as zeros
     * past the end of the file (hv_blk semantics). */
    d->nsectors = MIN((size + IDE_SECTOR_SIZE - 1) / IDE_SECTOR_SIZE,
                      IDE_LBA48_MAX);
    d->atapi = conf->atapi;
    d->medium = blk != NULL;
    d->readonly = d->atapi || hv_blk_readonly(blk);
    d->trim = conf->trim && !d->atapi;
    d->wcache_default = conf->wcache;
    if (conf->serial && *conf->serial) {
        g_strlcpy(d->serial, conf->serial, sizeof(d->serial));
    } else {
        g_snprintf(d->serial, sizeof(d->serial), "HVMEMU-%u%u", bus->index,
                   unit);
    }
    g_strlcpy(d->model, d->atapi ? "HVMEMU DVD-ROM" : "HVMEMU HARDDISK",
              sizeof(d->model));
    g_strlcpy(d->fwrev, HVMEMU_VERSION_STR, sizeof(d->fwrev));
    d->pio_buf = ide_alloc_aligned(IDE_MAX_MULT * IDE_SECTOR_SIZE);
    d->dma_buf = ide_alloc_aligned(IDE_DMA_CHUNK * IDE_SECTOR_SIZE);
    ide_drive_default_geometry(d);
    ide_drive_power_on(d);
    return d;
}

void ide_drive_free(ide_drive *d)
{
    if (!d) {
        return;
    }
    d->gen++;               /* whatever completes during close is stale */
    /* The backend first: its close completes what is in flight, and an
     * unplug's final flush arms the unplug timer when it does. */
    if (d->blk) {
        hv_blk_close(d->blk);
    }
    ide_unplug_fini(d);
    g_aligned_free(d->pio_buf);
    g_aligned_free(d->dma_buf);
    g_free(d->trim_ranges);
    g_free(d);
}

void ide_drive_clear_cmd(ide_drive *d)
{
    d->xfer = IDE_XFER_NONE;
    d->dma_running = false;
    d->remaining = 0;
    d->pio_pos = d->pio_end = 0;
    g_clear_pointer(&d->trim_ranges, g_free);
}

void ide_drive_power_on(ide_drive *d)
{
    d->gen++;
    ide_drive_clear_cmd(d);
    d->cur_cyls = d->cyls;
    d->cur_heads = d->heads;
    d->cur_spt = d->spt;
    d->mult = IDE_MAX_MULT;
    d->xfer_mode = ATA_XFER_MWDMA_0 + 2;
    d->wcache = d->wcache_default;
    d->standby = d->sleeping = false;
    d->sense_key = d->asc = 0;
    d->locked = false;
    d->reset_pending = d->inflight > 0;
    d->status = d->reset_pending ? ATA_SR_BSY : ATA_SR_DRDY | ATA_SR_DSC;
    d->error = 0x01;        /* diagnostic code: passed */
}

static void ide_drive_reset_done(ide_drive *d)
{
    /* ATA-7 §9.2: settings survive a software reset; the drive reports
     * its signature (set on the bus) and diagnostic code 01h. */
    d->reset_pending = false;
    d->standby = d->sleeping = false;
    d->status = ATA_SR_DRDY | ATA_SR_DSC;
    d->error = 0x01;
}

void ide_drive_srst_assert(ide_drive *d)
{
    d->gen++;
    ide_drive_clear_cmd(d);
    d->status = ATA_SR_BSY;
}

void ide_drive_srst_release(ide_drive *d)
{
    if (d->inflight > 0) {
        d->reset_pending = true;    /* stay BSY until the backend drains */
        return;
    }
    ide_drive_reset_done(d);
}

/* ---- backend requests ---- */

static void ide_req_cb(void *opaque, int ret)
{
    ide_req *r = opaque;
    ide_drive *d = r->d;
    bool live = r->gen == d->gen;
    ide_io_fn fn = r->fn;

    if (r->start_ns) {
        char track[24];

        snprintf(track, sizeof(track), "ide%u.%u backend", d->bus->index,
                 d->unit);
        hv_ctx_trace_span(d->bus->ctx, track, r->op, r->start_ns, r->off,
                          r->len);
    }
    g_free(r);
    d->inflight--;
    if (!live) {
        if (d->reset_pending && d->inflight == 0 &&
            !(d->bus->devctl & ATA_DC_SRST)) {
            ide_drive_reset_done(d);
        }
    } else {
        fn(d, ret);
    }
    ide_unplug_progress(d);
}

static ide_req *ide_req_new(ide_drive *d, ide_io_fn fn, const char *op,
                            uint64_t off, uint64_t len)
{
    ide_req *r = g_new(ide_req, 1);

    r->d = d;
    r->gen = d->gen;
    r->fn = fn;
    r->start_ns = hv_ctx_tracing(d->bus->ctx) ? hv_now_ns() : 0;
    r->op = op;
    r->off = off;
    r->len = len;
    d->inflight++;
    return r;
}

static void ide_req_submitted(ide_drive *d, ide_req *r, int ret)
{
    if (ret < 0) {
        /* Not even queued: the callback will not run, report it now. */
        ide_req_cb(r, ret);
    }
}

void ide_blk_read(ide_drive *d, uint64_t lba, void *buf, unsigned nsec,
                  ide_io_fn fn)
{
    struct iovec iov = { buf, (size_t)nsec * IDE_SECTOR_SIZE };
    ide_req *r = ide_req_new(d, fn, "read", lba * IDE_SECTOR_SIZE, iov.iov_len);

    ide_req_submitted(d, r, hv_blk_readv(d->blk, lba * IDE_SECTOR_SIZE,
                                         &iov, 1, ide_req_cb, r));
}

void ide_blk_write(ide_drive *d, uint64_t lba, void *buf, unsigned nsec,
                   ide_io_fn fn)
{
    struct iovec iov = { buf, (size_t)nsec * IDE_SECTOR_SIZE };
    ide_req *r = ide_req_new(d, fn, "write", lba * IDE_SECTOR_SIZE,
                             iov.iov_len);

    ide_req_submitted(d, r, hv_blk_writev(d->blk, lba * IDE_SECTOR_SIZE,
                                          &iov, 1, ide_req_cb, r));
}

void ide_blk_flush(ide_drive *d, ide_io_fn fn)
{
    ide_req *r = ide_req_new(d, fn, "flush", 0, 0);

    ide_req_submitted(d, r, hv_blk_flush(d->blk, ide_req_cb, r));
}

void ide_blk_discard(ide_drive *d, uint64_t lba, uint32_t nsec, ide_io_fn fn)
{
    ide_req *r = ide_req_new(d, fn, "discard", lba * IDE_SECTOR_SIZE,
                             (uint64_t)nsec * IDE_SECTOR_SIZE);

    ide_req_submitted(d, r, hv_blk_discard(d->blk, lba * IDE_SECTOR_SIZE,
                                           (uint64_t)nsec * IDE_SECTOR_SIZE,
                                           ide_req_cb, r));
}

/* ---- command completion ---- */

void ide_cmd_finish(ide_drive *d, uint8_t status, uint8_t error)
{
    bool packet = d->atapi && d->cmd == ATA_CMD_PACKET;

    ide_drive_clear_cmd(d);
    d->status = status;
    d->error = error;
    if (packet) {
        /* Command completion: Interrupt Reason IO=1 CoD=1 (ATA-7 vol. 2
         * §5.x, PACKET protocol). */
        ide_drive_tf(d)->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
    }
    ide_bus_raise_irq(d->bus);
}

void ide_cmd_done(ide_drive *d)
{
    if (d->atapi && d->cmd == ATA_CMD_PACKET) {
        d->sense_key = d->asc = 0;
    }
    ide_cmd_finish(d, ATA_SR_DRDY | ATA_SR_DSC, 0);
}

void ide_cmd_abort(ide_drive *d, uint8_t error)
{
    if (d->atapi && d->cmd == ATA_CMD_PACKET) {
        /* A PACKET command fails with CHECK CONDITION: the Error register
         * carries the sense key (bits 7:4); map the ATA reasons. */
        if (error & ATA_ER_UNC) {
            ide_atapi_sense(d, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ);
        } else if (error & ATA_ER_IDNF) {
            ide_atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        } else if (!d->sense_key) {
            ide_atapi_sense(d, SENSE_ABORTED_COMMAND, 0);
        }
        error = (uint8_t)(d->sense_key << 4);
    }
    ide_cmd_finish(d, ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR, error);
}

void ide_xfer_complete(ide_drive *d)
{
    if (d->xfer == IDE_XFER_DMA) {
        ide_dma_complete(d);
    } else {
        ide_cmd_done(d);
    }
}

void ide_xfer_error(ide_drive *d, int ret, uint8_t error)
{
    hv_guest_error(IDE_LOG, "ide%u.%u: command %02xh: backend error at "
                   "LBA %" G_GUINT64_FORMAT ": %s", d->bus->index, d->unit,
                   d->cmd, d->lba, g_strerror(-ret));
    /* The LBA registers report the first sector in error (ATA-7 §6.x
     * "Error outputs"); we know the block's first sector. */
    ide_tf_set_lba(ide_drive_tf(d), d->lba, d->lba48);
    if (d->xfer == IDE_XFER_DMA) {
        ide_dma_fail(d, error, false);
    } else {
        ide_cmd_abort(d, error);
    }
}

static void ide_write_flushed(ide_drive *d, int ret)
{
    if (ret < 0) {
        ide_xfer_error(d, ret, ATA_ER_ABRT);
        return;
    }
    ide_xfer_complete(d);
}

void ide_write_finish(ide_drive *d)
{
    if (d->wcache) {
        ide_xfer_complete(d);
        return;
    }
    /* Write cache off: acknowledge only once the data is durable. */
    d->status = ATA_SR_BSY | ATA_SR_DRDY;
    ide_blk_flush(d, ide_write_flushed);
}

static void ide_flush_done(ide_drive *d, int ret)
{
    if (ret < 0) {
        hv_guest_error(IDE_LOG, "ide%u.%u: flush failed: %s", d->bus->index,
                       d->unit, g_strerror(-ret));
        ide_cmd_abort(d, ATA_ER_ABRT);
        return;
    }
    switch (d->cmd) {
    case ATA_CMD_STANDBY:
    case ATA_CMD_STANDBY_IMMEDIATE:
        d->standby = true;
        break;
    case ATA_CMD_SLEEP:
        d->sleeping = true;
        break;
    }
    ide_cmd_done(d);
}

void ide_flush_begin(ide_drive *d)
{
    d->xfer = IDE_XFER_BUSY;
    d->status = ATA_SR_BSY | ATA_SR_DRDY;
    if (d->readonly) {
        /* Nothing can be dirty; still complete later, like a disk. */
        ide_flush_done(d, 0);
        return;
    }
    ide_blk_flush(d, ide_flush_done);
}
