/* SPDX-License-Identifier: MIT */
/*
 * PIO data transfers through the Data register (ATA-7 §9.7 PIO data-in,
 * §9.8 PIO data-out): one DRQ block (1 sector, or the SET MULTIPLE count)
 * at a time, staged in the drive's PIO buffer.
 *
 * Data-in: BSY while the block is read, then DRQ + INTRQ; after the host
 * has read the last word of the last block, DRQ drops without INTRQ.
 * Data-out: DRQ without INTRQ for the first block; INTRQ after each
 * block is written; the final INTRQ only after the write (and, with the
 * write cache off, the flush) completed.
 */
#define G_LOG_DOMAIN "ide"

#include "hw/ide/ide_internal.h"

static void ide_pio_read_next(ide_drive *d);

static void ide_pio_read_done(ide_drive *d, int ret)
{
    if (ret < 0) {
        ide_xfer_error(d, ret, ATA_ER_UNC);
        return;
    }
    d->pio_pos = 0;
    d->pio_end = d->blk_sectors * IDE_SECTOR_SIZE;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    ide_bus_raise_irq(d->bus);
}

static void ide_pio_read_next(ide_drive *d)
{
    d->blk_sectors = MIN(d->remaining, d->block);
    d->status = ATA_SR_BSY | ATA_SR_DRDY;
    ide_blk_read(d, d->lba, d->pio_buf, d->blk_sectors, ide_pio_read_done);
}

void ide_pio_read_begin(ide_drive *d, unsigned block)
{
    d->xfer = IDE_XFER_PIO_IN;
    d->block = block;
    ide_pio_read_next(d);
}

void ide_pio_identify(ide_drive *d)
{
    uint16_t w[256];

    ide_identify_fill(d, w);
    for (unsigned i = 0; i < 256; i++) {
        d->pio_buf[2 * i] = w[i] & 0xff;
        d->pio_buf[2 * i + 1] = w[i] >> 8;
    }
    d->xfer = IDE_XFER_PIO_IN;
    d->remaining = 0;
    d->blk_sectors = 0;
    d->pio_pos = 0;
    d->pio_end = IDE_SECTOR_SIZE;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    ide_bus_raise_irq(d->bus);
}

static void ide_pio_in_block_done(ide_drive *d)
{
    d->lba += d->blk_sectors;
    d->remaining -= d->blk_sectors;
    if (d->remaining > 0) {
        ide_pio_read_next(d);
        return;
    }
    d->xfer = IDE_XFER_NONE;
    d->status = ATA_SR_DRDY | ATA_SR_DSC;
}

uint32_t ide_pio_data_read(ide_drive *d, unsigned size)
{
    uint32_t v = 0;

    if (d->xfer == IDE_XFER_ATAPI_IN) {
        return ide_atapi_data_read(d, size);
    }
    if (d->xfer != IDE_XFER_PIO_IN || !(d->status & ATA_SR_DRQ)) {
        return 0;
    }
    for (unsigned i = 0; i < size && d->pio_pos < d->pio_end; i++) {
        v |= (uint32_t)d->pio_buf[d->pio_pos++] << (8 * i);
    }
    if (d->pio_pos >= d->pio_end) {
        ide_pio_in_block_done(d);
    }
    return v;
}

/* ---- data-out ---- */

static void ide_pio_write_block(ide_drive *d)
{
    d->blk_sectors = MIN(d->remaining, d->block);
    d->pio_pos = 0;
    d->pio_end = d->blk_sectors * IDE_SECTOR_SIZE;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

void ide_pio_write_begin(ide_drive *d, unsigned block)
{
    d->xfer = IDE_XFER_PIO_OUT;
    d->block = block;
    ide_pio_write_block(d);
}

static void ide_pio_write_done(ide_drive *d, int ret)
{
    if (ret < 0) {
        ide_xfer_error(d, ret, ATA_ER_ABRT);
        return;
    }
    d->lba += d->blk_sectors;
    d->remaining -= d->blk_sectors;
    if (d->remaining > 0) {
        ide_pio_write_block(d);
        ide_bus_raise_irq(d->bus);
        return;
    }
    ide_write_finish(d);
}

void ide_pio_data_write(ide_drive *d, unsigned size, uint32_t val)
{
    if (d->xfer == IDE_XFER_ATAPI_CDB) {
        ide_atapi_data_write(d, size, val);
        return;
    }
    if (d->xfer != IDE_XFER_PIO_OUT || !(d->status & ATA_SR_DRQ)) {
        return;
    }
    for (unsigned i = 0; i < size && d->pio_pos < d->pio_end; i++) {
        d->pio_buf[d->pio_pos++] = (val >> (8 * i)) & 0xff;
    }
    if (d->pio_pos >= d->pio_end) {
        d->status = ATA_SR_BSY | ATA_SR_DRDY;
        ide_blk_write(d, d->lba, d->pio_buf, d->blk_sectors,
                      ide_pio_write_done);
    }
}
