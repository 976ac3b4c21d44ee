/* SPDX-License-Identifier: MIT */
/*
 * The ATA command set of a non-packet drive (ATA/ATAPI-7 volume 1 ch. 6).
 * Each command validates the task file (hostile), then either completes
 * at once or starts a PIO/DMA transfer or a backend request. Unknown or
 * unsupported commands are aborted (ERR, ABRT); addresses beyond the
 * capacity get IDNF (§6.x "Error outputs").
 */
#define G_LOG_DOMAIN "ide"

#include "hw/ide/ide_internal.h"

/* Decode LBA28/CHS/LBA48 address and count; abort with IDNF if outside
 * the drive. Sets d->lba, d->remaining, d->lba48. */
static bool ide_rw_setup(ide_drive *d, bool lba48)
{
    const ide_tf *tf = ide_drive_tf(d);
    uint64_t lba, limit;
    uint32_t count;

    if (lba48) {
        lba = ide_tf_lba48(tf);
        count = ide_tf_count48(tf);
    } else if (tf->select & ATA_DEV_LBA) {
        lba = ((uint64_t)(tf->select & 0x0f) << 24) |
              ((uint64_t)tf->lbah << 16) | ((uint64_t)tf->lbam << 8) |
              tf->lbal;
        count = tf->nsector ? tf->nsector : 256;
    } else {
        /* CHS (ATA-7 §6.1 note; obsolete but used by old BIOSes). */
        uint32_t cyl = ((uint32_t)tf->lbah << 8) | tf->lbam;
        uint32_t head = tf->select & 0x0f;
        uint32_t sect = tf->lbal;

        count = tf->nsector ? tf->nsector : 256;
        if (sect == 0 || sect > d->cur_spt || head >= d->cur_heads) {
            ide_cmd_abort(d, ATA_ER_IDNF);
            return false;
        }
        lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + sect - 1;
    }
    d->lba48 = lba48;
    /* 28-bit commands reach the sectors IDENTIFY words 60-61 count. */
    limit = lba48 ? d->nsectors : MIN(d->nsectors, IDE_LBA28_MAX);
    if (lba >= limit || count > limit - lba) {
        hv_guest_error(IDE_LOG, "ide%u.%u: %02xh LBA %" G_GUINT64_FORMAT
                       "+%u beyond %" G_GUINT64_FORMAT " sectors",
                       d->bus->index, d->unit, d->cmd, lba, count,
                       d->nsectors);
        ide_cmd_abort(d, ATA_ER_IDNF | ATA_ER_ABRT);
        return false;
    }
    d->lba = lba;
    d->remaining = count;
    return true;
}

static bool ide_writable(ide_drive *d)
{
    if (d->readonly) {
        ide_cmd_abort(d, ATA_ER_ABRT);
        return false;
    }
    return true;
}

static void ide_cmd_read(ide_drive *d, bool lba48, unsigned block)
{
    if (block == 0) {
        ide_cmd_abort(d, ATA_ER_ABRT);  /* READ MULTIPLE without SET MULT */
        return;
    }
    if (ide_rw_setup(d, lba48)) {
        ide_pio_read_begin(d, block);
    }
}

static void ide_cmd_write(ide_drive *d, bool lba48, unsigned block)
{
    if (block == 0) {
        ide_cmd_abort(d, ATA_ER_ABRT);
        return;
    }
    if (ide_writable(d) && ide_rw_setup(d, lba48)) {
        ide_pio_write_begin(d, block);
    }
}

static void ide_cmd_dma(ide_drive *d, bool lba48, ide_dma_kind kind)
{
    if (kind == IDE_DMA_WRITE && !ide_writable(d)) {
        return;
    }
    if (ide_rw_setup(d, lba48)) {
        ide_dma_begin(d, kind);
    }
}

static void ide_cmd_verify(ide_drive *d, bool lba48)
{
    if (ide_rw_setup(d, lba48)) {
        ide_cmd_done(d);
    }
}

/* DATA SET MANAGEMENT (ACS-2 §7.5): TRIM only, ranges sent by DMA. */
static void ide_cmd_dsm(ide_drive *d)
{
    const ide_tf *tf = ide_drive_tf(d);
    uint32_t blocks = ide_tf_count48(tf);

    if (!(tf->feature & ATA_DSM_TRIM) || !d->trim || d->readonly ||
        blocks > IDE_DSM_MAX_BLOCKS) {
        ide_cmd_abort(d, ATA_ER_ABRT);
        return;
    }
    d->lba48 = true;
    d->lba = 0;
    d->remaining = blocks;
    ide_dma_begin(d, IDE_DMA_TRIM);
}

static void ide_cmd_set_features(ide_drive *d)
{
    const ide_tf *tf = ide_drive_tf(d);
    uint8_t mode = tf->nsector;

    switch (tf->feature) {
    case ATA_SF_WCACHE_ON:
        d->wcache = true;
        ide_cmd_done(d);
        return;
    case ATA_SF_WCACHE_OFF:
        /* Whatever sits in the cache becomes durable before we answer. */
        d->wcache = false;
        ide_flush_begin(d);
        return;
    case ATA_SF_XFER_MODE:
        if (mode <= ATA_XFER_PIO_NOIORDY ||
            (mode >= ATA_XFER_PIO_0 && mode <= ATA_XFER_PIO_0 + 4) ||
            (mode >= ATA_XFER_MWDMA_0 && mode <= ATA_XFER_MWDMA_0 + 2) ||
            (mode >= ATA_XFER_UDMA_0 && mode <= ATA_XFER_UDMA_0 + 5)) {
            if (mode >= ATA_XFER_MWDMA_0) {
                d->xfer_mode = mode;
            }
            ide_cmd_done(d);
            return;
        }
        break;
    case ATA_SF_RLA_ON:
    case ATA_SF_RLA_OFF:
    case ATA_SF_REVERT_ON:
    case ATA_SF_REVERT_OFF:
        ide_cmd_done(d);
        return;
    }
    ide_cmd_abort(d, ATA_ER_ABRT);
}

static void ide_cmd_set_multiple(ide_drive *d)
{
    uint8_t n = ide_drive_tf(d)->nsector;

    /* 0 disables (ATA-7 §6.51); otherwise a power of two up to word 47. */
    if (n > IDE_MAX_MULT || (n & (n - 1))) {
        ide_cmd_abort(d, ATA_ER_ABRT);
        return;
    }
    d->mult = n;
    ide_cmd_done(d);
}

static void ide_cmd_init_params(ide_drive *d)
{
    unsigned spt = ide_drive_tf(d)->nsector;
    unsigned heads = (ide_drive_tf(d)->select & 0x0f) + 1u;

    if (spt == 0) {
        ide_cmd_abort(d, ATA_ER_ABRT);
        return;
    }
    d->cur_spt = (uint16_t)spt;
    d->cur_heads = (uint16_t)heads;
    d->cur_cyls = (uint16_t)MIN(d->nsectors / (heads * spt), 65535);
    ide_cmd_done(d);
}

static void ide_cmd_native_max(ide_drive *d, bool lba48)
{
    /* Native max + 1 equals the capacity IDENTIFY reports (words 60-61
     * or 100-103), so guests see no host protected area. */
    uint64_t max = (lba48 ? d->nsectors : MIN(d->nsectors, IDE_LBA28_MAX))
                   - 1;

    ide_tf_set_lba(ide_drive_tf(d), max, lba48);
    ide_cmd_done(d);
}

static void ide_cmd_power(ide_drive *d, uint8_t cmd)
{
    switch (cmd) {
    case ATA_CMD_CHECK_POWER:
        /* FFh = active or idle, 00h = standby (§6.8) */
        ide_drive_tf(d)->nsector = d->standby ? 0x00 : 0xff;
        ide_cmd_done(d);
        break;
    case ATA_CMD_IDLE:
    case ATA_CMD_IDLE_IMMEDIATE:
        d->standby = false;
        ide_cmd_done(d);
        break;
    default:
        /* STANDBY (IMMEDIATE) and SLEEP spin down: the cache goes first. */
        ide_flush_begin(d);
        break;
    }
}

static bool ide_exec_data(ide_drive *d, uint8_t cmd)
{
    switch (cmd) {
    case ATA_CMD_READ_SECTORS:
    case ATA_CMD_READ_SECTORS_NR:
        ide_cmd_read(d, false, 1);
        return true;
    case ATA_CMD_READ_SECTORS_EXT:
        ide_cmd_read(d, true, 1);
        return true;
    case ATA_CMD_READ_MULTIPLE:
        ide_cmd_read(d, false, d->mult);
        return true;
    case ATA_CMD_READ_MULTIPLE_EXT:
        ide_cmd_read(d, true, d->mult);
        return true;
    case ATA_CMD_WRITE_SECTORS:
    case ATA_CMD_WRITE_SECTORS_NR:
        ide_cmd_write(d, false, 1);
        return true;
    case ATA_CMD_WRITE_SECTORS_EXT:
        ide_cmd_write(d, true, 1);
        return true;
    case ATA_CMD_WRITE_MULTIPLE:
        ide_cmd_write(d, false, d->mult);
        return true;
    case ATA_CMD_WRITE_MULTIPLE_EXT:
        ide_cmd_write(d, true, d->mult);
        return true;
    case ATA_CMD_READ_DMA:
    case ATA_CMD_READ_DMA_NR:
        ide_cmd_dma(d, false, IDE_DMA_READ);
        return true;
    case ATA_CMD_READ_DMA_EXT:
        ide_cmd_dma(d, true, IDE_DMA_READ);
        return true;
    case ATA_CMD_WRITE_DMA:
    case ATA_CMD_WRITE_DMA_NR:
        ide_cmd_dma(d, false, IDE_DMA_WRITE);
        return true;
    case ATA_CMD_WRITE_DMA_EXT:
        ide_cmd_dma(d, true, IDE_DMA_WRITE);
        return true;
    case ATA_CMD_VERIFY:
    case ATA_CMD_VERIFY_NR:
        ide_cmd_verify(d, false);
        return true;
    case ATA_CMD_VERIFY_EXT:
        ide_cmd_verify(d, true);
        return true;
    case ATA_CMD_DSM:
        ide_cmd_dsm(d);
        return true;
    }
    return false;
}

static bool ide_exec_other(ide_drive *d, uint8_t cmd)
{
    switch (cmd) {
    case ATA_CMD_IDENTIFY:
        ide_pio_identify(d);
        return true;
    case ATA_CMD_FLUSH_CACHE:
    case ATA_CMD_FLUSH_CACHE_EXT:
        ide_flush_begin(d);
        return true;
    case ATA_CMD_SET_FEATURES:
        ide_cmd_set_features(d);
        return true;
    case ATA_CMD_SET_MULTIPLE:
        ide_cmd_set_multiple(d);
        return true;
    case ATA_CMD_INIT_DEV_PARAMS:
        ide_cmd_init_params(d);
        return true;
    case ATA_CMD_READ_NATIVE_MAX:
        ide_cmd_native_max(d, false);
        return true;
    case ATA_CMD_READ_NATIVE_MAX_EXT:
        ide_cmd_native_max(d, true);
        return true;
    case ATA_CMD_CHECK_POWER:
    case ATA_CMD_IDLE:
    case ATA_CMD_IDLE_IMMEDIATE:
    case ATA_CMD_STANDBY:
    case ATA_CMD_STANDBY_IMMEDIATE:
    case ATA_CMD_SLEEP:
        ide_cmd_power(d, cmd);
        return true;
    }
    if (cmd >= ATA_CMD_SEEK && cmd <= ATA_CMD_SEEK + 0x0f) {
        ide_cmd_done(d);    /* SEEK: nothing to move */
        return true;
    }
    return false;
}

void ide_ata_exec(ide_drive *d, uint8_t cmd)
{
    d->cmd = cmd;
    d->lba48 = false;
    if (d->sleeping) {
        /* Only a reset wakes a sleeping drive (ATA-7 §4.18.4). */
        ide_cmd_abort(d, ATA_ER_ABRT);
        return;
    }
    if (d->atapi && ide_atapi_exec(d, cmd)) {
        return;
    }
    if (ide_exec_data(d, cmd) || ide_exec_other(d, cmd)) {
        return;
    }
    /* NOP (00h) always aborts (§6.21); DEVICE RESET is for packet devices
     * only (§6.11); everything else is not implemented. */
    if (cmd != ATA_CMD_NOP && cmd != ATA_CMD_DEVICE_RESET &&
        cmd != ATA_CMD_PACKET && cmd != ATA_CMD_IDENTIFY_PACKET) {
        hv_guest_error(IDE_LOG, "ide%u.%u: unsupported command %02xh",
                       d->bus->index, d->unit, cmd);
    }
    ide_cmd_abort(d, ATA_ER_ABRT);
}

/* EXECUTE DEVICE DIAGNOSTIC (§6.14): both devices run it whichever is
 * selected; device 0 reports, and selection returns to device 0. */
void ide_ata_diagnose(ide_bus *bus)
{
    ide_drive *d;

    ide_bus_set_signatures(bus);
    for (unsigned i = 0; i < 2; i++) {
        d = bus->drive[i];
        if (d && !(d->status & ATA_SR_BSY)) {
            d->cmd = ATA_CMD_DIAGNOSE;
            d->sleeping = false;
            d->xfer = IDE_XFER_NONE;
            d->status = ATA_SR_DRDY | ATA_SR_DSC;
            d->error = 0x01;    /* passed (device 1 passed or absent) */
        }
    }
    ide_bus_raise_irq(bus);
}
