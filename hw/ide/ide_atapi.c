/* SPDX-License-Identifier: MIT */
/*
 * ATAPI: the PACKET command protocol of a read-only CD/DVD-ROM (ATA/ATAPI-7
 * volume 2, ch. 5 "PACKET command protocol"; volume 1 §6.24 PACKET,
 * §6.18 IDENTIFY PACKET DEVICE, §6.11 DEVICE RESET).
 *
 *   host: Features (bit 0 DMA), Byte Count limit (LBA Mid/High), A0h
 *   device: DRQ, Interrupt Reason CoD=1 — host writes the 12-byte packet
 *   device: PIO: per DRQ block Byte Count + IO=1, DRQ, INTRQ; the host
 *           reads; at the end IO=1 CoD=1, DRQ=0, INTRQ.
 *           DMA: the bus master moves the reply, then the same ending.
 *   errors: ERR, Error = sense key << 4, sense kept for REQUEST SENSE.
 *
 * The MMC/SPC commands themselves are in ide_atapi_mmc.c. Replies are
 * built in the drive's bounce buffer; READ data is fetched from the
 * backend in chunks of at most IDE_DMA_CHUNK sectors.
 */
#define G_LOG_DOMAIN "ide"

#include <string.h>

#include "hw/ide/ide_internal.h"

#define ATAPI_READ_CHUNK (IDE_DMA_CHUNK * IDE_SECTOR_SIZE / ATAPI_SECTOR_SIZE)

uint32_t ide_atapi_blocks(const ide_drive *d)
{
    return (uint32_t)MIN((d->nsectors + 3) / 4, G_MAXUINT32);
}

void ide_atapi_sense(ide_drive *d, uint8_t key, uint8_t asc)
{
    d->sense_key = key;
    d->asc = asc;
}

static void ide_atapi_fail(ide_drive *d)
{
    hv_guest_error(IDE_LOG, "ide%u.%u: ATAPI %02xh: sense %xh/%02xh",
                   d->bus->index, d->unit, d->cdb[0], d->sense_key, d->asc);
    ide_cmd_finish(d, ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR,
                   (uint8_t)(d->sense_key << 4));
}

/* ---- PIO data-in from the reply buffer ---- */

static void ide_atapi_read_next(ide_drive *d);

static void ide_atapi_pio_block(ide_drive *d)
{
    ide_tf *tf = ide_drive_tf(d);
    uint32_t n = MIN(d->atapi_limit, d->atapi_len - d->atapi_pos);

    d->xfer = IDE_XFER_ATAPI_IN;
    d->atapi_chunk = d->atapi_pos + n;
    tf->lbam = n & 0xff;
    tf->lbah = (n >> 8) & 0xff;
    tf->nsector = ATAPI_IR_IO;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    ide_bus_raise_irq(d->bus);
}

static void ide_atapi_block_done(ide_drive *d)
{
    if (d->atapi_pos < d->atapi_len) {
        ide_atapi_pio_block(d);
    } else if (d->atapi_left > 0) {
        ide_atapi_read_next(d);
    } else {
        ide_cmd_done(d);
    }
}

uint32_t ide_atapi_data_read(ide_drive *d, unsigned size)
{
    uint32_t v = 0;

    if (!(d->status & ATA_SR_DRQ)) {
        return 0;
    }
    for (unsigned i = 0; i < size && d->atapi_pos < d->atapi_chunk; i++) {
        v |= (uint32_t)d->dma_buf[d->atapi_pos++] << (8 * i);
    }
    if (d->atapi_pos >= d->atapi_chunk) {
        ide_atapi_block_done(d);
    }
    return v;
}

/* Hand a reply of @len bytes (in dma_buf) to the host. */
static void ide_atapi_send(ide_drive *d, uint32_t len)
{
    d->atapi_len = len;
    d->atapi_pos = 0;
    d->atapi_left = 0;
    if (len == 0) {
        ide_cmd_done(d);
    } else if (d->atapi_dma) {
        ide_dma_begin(d, IDE_DMA_ATAPI);
    } else {
        ide_atapi_pio_block(d);
    }
}

/* ---- READ(10)/READ(12) ---- */

static void ide_atapi_read_done(ide_drive *d, int ret)
{
    uint32_t n = d->blk_sectors;

    if (ret < 0) {
        ide_xfer_error(d, ret, ATA_ER_UNC);
        return;
    }
    d->atapi_lba += n;
    d->atapi_left -= n;
    d->atapi_len = n * ATAPI_SECTOR_SIZE;
    d->atapi_pos = 0;
    ide_atapi_pio_block(d);
}

static void ide_atapi_read_next(ide_drive *d)
{
    d->blk_sectors = MIN(d->atapi_left, ATAPI_READ_CHUNK);
    d->xfer = IDE_XFER_BUSY;
    d->status = ATA_SR_BSY | ATA_SR_DRDY;
    d->lba = d->atapi_lba * 4;      /* for error reports */
    ide_blk_read(d, d->atapi_lba * 4, d->dma_buf, d->blk_sectors * 4,
                 ide_atapi_read_done);
}

void ide_atapi_start_read(ide_drive *d, uint64_t lba, uint32_t blocks)
{
    if (blocks == 0) {
        ide_cmd_done(d);
        return;
    }
    if (d->atapi_dma) {
        /* The ATA DMA engine works in 512-byte sectors: 4 per block. */
        d->lba = lba * 4;
        d->remaining = blocks * 4;
        d->lba48 = true;
        ide_dma_begin(d, IDE_DMA_READ);
        return;
    }
    d->atapi_lba = lba;
    d->atapi_left = blocks;
    ide_atapi_read_next(d);
}

/* ---- the packet ---- */

static void ide_atapi_run(ide_drive *d)
{
    int len;

    d->status = ATA_SR_BSY | ATA_SR_DRDY;
    len = ide_atapi_mmc(d);
    if (len == -1) {
        ide_atapi_fail(d);
    } else if (len >= 0) {
        ide_atapi_send(d, (uint32_t)len);
    }
    /* -2: a READ was started and completes on its own. */
}

void ide_atapi_data_write(ide_drive *d, unsigned size, uint32_t val)
{
    if (d->xfer != IDE_XFER_ATAPI_CDB || !(d->status & ATA_SR_DRQ)) {
        return;
    }
    for (unsigned i = 0; i < size && d->pio_pos < sizeof(d->cdb); i++) {
        d->cdb[d->pio_pos++] = (val >> (8 * i)) & 0xff;
    }
    if (d->pio_pos >= sizeof(d->cdb)) {
        ide_atapi_run(d);
    }
}

static void ide_atapi_packet(ide_drive *d)
{
    ide_tf *tf = ide_drive_tf(d);
    uint32_t limit = ((uint32_t)tf->lbah << 8) | tf->lbam;

    /* An odd or zero byte count limit is a host error; use the largest
     * even value instead of hanging (ATA-7 vol. 2 §5.x note). */
    limit &= ~1u;
    d->atapi_limit = limit ? limit : 0xfffe;
    d->atapi_dma = tf->feature & 0x01;
    memset(d->cdb, 0, sizeof(d->cdb));
    d->pio_pos = 0;
    d->xfer = IDE_XFER_ATAPI_CDB;
    tf->nsector = ATAPI_IR_COD;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

/* The packet signature, the device keeping its DEV bit. */
static void ide_atapi_signature(ide_drive *d)
{
    ide_tf *tf = ide_drive_tf(d);
    uint8_t dev = tf->select & ATA_DEV_DEV;

    ide_tf_set_signature(tf, true);
    tf->select = dev;
}

static void ide_atapi_device_reset(ide_drive *d)
{
    /* DEVICE RESET (§6.11): a software reset of this device only, no
     * interrupt; like SRST it waits for backend requests in flight. */
    ide_drive_srst_assert(d);
    ide_atapi_signature(d);
    ide_drive_srst_release(d);
    d->sense_key = d->asc = 0;
}

bool ide_atapi_exec(ide_drive *d, uint8_t cmd)
{
    switch (cmd) {
    case ATA_CMD_PACKET:
        ide_atapi_packet(d);
        return true;
    case ATA_CMD_IDENTIFY_PACKET:
        ide_pio_identify(d);
        return true;
    case ATA_CMD_DEVICE_RESET:
        ide_atapi_device_reset(d);
        return true;
    case ATA_CMD_SET_FEATURES:
    case ATA_CMD_CHECK_POWER:
    case ATA_CMD_IDLE_IMMEDIATE:
    case ATA_CMD_STANDBY_IMMEDIATE:
    case ATA_CMD_SLEEP:
    case ATA_CMD_NOP:
        return false;
    }
    /* Anything else, IDENTIFY DEVICE included, aborts and leaves the
     * packet signature in the registers so that the host can tell what
     * it talks to (§6.17). */
    ide_cmd_abort(d, ATA_ER_ABRT);
    ide_atapi_signature(d);
    return true;
}
