/* SPDX-License-Identifier: MIT */
/*
 * One IDE channel: the task file shared by master and slave, device
 * selection, Status/Alternate Status, Device Control (nIEN, SRST, HOB)
 * and the channel's ISA interrupt line.
 *
 * Absent devices (ATA-7 §9.x; behaviour Linux's libata probing relies on):
 * the task-file registers read back what was written as long as either
 * device exists (they are latched by the present device); Status and
 * Alternate Status of an absent device read 00h; commands written while
 * an absent device is selected are ignored, except EXECUTE DEVICE
 * DIAGNOSTIC, which both devices always execute.
 */
#define G_LOG_DOMAIN "ide"

#include <string.h>

#include "hw/ide/ide_internal.h"
#include "hw/core/probes.h"

void ide_bus_init(ide_bus *bus, hv_ctx *ctx, unsigned index, unsigned irq,
                  bmdma *bm)
{
    bus->ctx = ctx;
    bus->index = index;
    bus->irq = irq;
    bus->bm = bm;
}

ide_drive *ide_bus_selected(ide_bus *bus)
{
    return bus->drive[bus->unit];
}

static bool ide_bus_empty(const ide_bus *bus)
{
    return !bus->drive[0] && !bus->drive[1];
}

static void ide_bus_update_irq(ide_bus *bus)
{
    unsigned level = bus->irq_pending && !(bus->devctl & ATA_DC_NIEN);

    if (level != bus->irq_level) {
        bus->irq_level = level;
        hv_set_isa_irq(bus->ctx, bus, bus->irq, level);
    }
}

void ide_bus_raise_irq(ide_bus *bus)
{
    bus->irq_pending = true;
    if (!(bus->devctl & ATA_DC_NIEN) && bus->bm) {
        bmdma_irq(bus->bm);
    }
    ide_bus_update_irq(bus);
}

void ide_bus_lower_irq(ide_bus *bus)
{
    bus->irq_pending = false;
    ide_bus_update_irq(bus);
}

void ide_tf_set_signature(ide_tf *tf, bool packet)
{
    memset(tf, 0, sizeof(*tf));
    tf->nsector = tf->hob_nsector = 0x01;
    tf->lbal = tf->hob_lbal = 0x01;
    tf->lbam = tf->hob_lbam = packet ? 0x14 : 0x00;
    tf->lbah = tf->hob_lbah = packet ? 0xeb : 0x00;
}

void ide_bus_set_signatures(ide_bus *bus)
{
    for (unsigned i = 0; i < 2; i++) {
        ide_tf_set_signature(&bus->tf[i],
                             bus->drive[i] && bus->drive[i]->atapi);
    }
    bus->unit = 0;
}

void ide_bus_reset(ide_bus *bus)
{
    bus->devctl = 0;
    ide_bus_set_signatures(bus);
    ide_bus_lower_irq(bus);
    for (unsigned i = 0; i < 2; i++) {
        if (bus->drive[i]) {
            ide_drive_power_on(bus->drive[i]);
        }
    }
}

uint64_t ide_tf_lba48(const ide_tf *tf)
{
    return ((uint64_t)tf->hob_lbah << 40) | ((uint64_t)tf->hob_lbam << 32) |
           ((uint64_t)tf->hob_lbal << 24) | ((uint64_t)tf->lbah << 16) |
           ((uint64_t)tf->lbam << 8) | tf->lbal;
}

uint32_t ide_tf_count48(const ide_tf *tf)
{
    uint32_t n = ((uint32_t)tf->hob_nsector << 8) | tf->nsector;

    return n ? n : 65536;
}

void ide_tf_set_lba(ide_tf *tf, uint64_t lba, bool lba48)
{
    tf->lbal = lba & 0xff;
    tf->lbam = (lba >> 8) & 0xff;
    tf->lbah = (lba >> 16) & 0xff;
    if (lba48) {
        tf->hob_lbal = (lba >> 24) & 0xff;
        tf->hob_lbam = (lba >> 32) & 0xff;
        tf->hob_lbah = (lba >> 40) & 0xff;
    } else {
        tf->select = (tf->select & 0xf0) | ((lba >> 24) & 0x0f);
    }
}

/* ---- command block ---- */

static uint8_t ide_bus_reg_read(ide_bus *bus, unsigned reg)
{
    ide_drive *d = ide_bus_selected(bus);
    const ide_tf *tf = &bus->tf[bus->unit];
    bool hob = bus->devctl & ATA_DC_HOB;

    if (ide_bus_empty(bus)) {
        return 0;
    }
    switch (reg) {
    case ATA_REG_ERROR:
        return d ? d->error : 0;
    case ATA_REG_NSECTOR:
        return hob ? tf->hob_nsector : tf->nsector;
    case ATA_REG_LBAL:
        return hob ? tf->hob_lbal : tf->lbal;
    case ATA_REG_LBAM:
        return hob ? tf->hob_lbam : tf->lbam;
    case ATA_REG_LBAH:
        return hob ? tf->hob_lbah : tf->lbah;
    case ATA_REG_DEVICE:
        return tf->select;
    case ATA_REG_STATUS:
        /* Reading Status acknowledges the interrupt (ATA-7 §7.15). */
        ide_bus_lower_irq(bus);
        return d ? d->status : 0;
    }
    return 0;
}

static void ide_bus_command(ide_bus *bus, uint8_t cmd)
{
    ide_drive *d = ide_bus_selected(bus);

    if (bus->devctl & ATA_DC_SRST) {
        return;
    }
    if (cmd == ATA_CMD_DIAGNOSE && !ide_bus_empty(bus)) {
        ide_ata_diagnose(bus);
        return;
    }
    if (!d) {
        return;     /* absent device: nobody answers */
    }
    /* Busy devices ignore commands; DEVICE RESET is how a host gets a
     * hung packet device back (ATA-7 §6.11). */
    if ((d->status & (ATA_SR_BSY | ATA_SR_DRQ)) &&
        !(d->atapi && cmd == ATA_CMD_DEVICE_RESET)) {
        hv_guest_error(IDE_LOG, "ide%u.%u: command %02xh while status %02xh "
                       "(ignored)", bus->index, d->unit, cmd, d->status);
        return;
    }
    HV_PROBE3(ide__command, bus->index, d->unit, cmd);
    /* The command cycle ends at the interrupt this bus raises. */
    hv_ctx_cycle_begin(bus->ctx, bus, bus->index ? "ide1 command"
                                                 : "ide0 command", true);
    ide_bus_lower_irq(bus);
    if (d->unplugging) {
        d->cmd = cmd;           /* being unplugged: refuse, never hang */
        ide_cmd_abort(d, ATA_ER_ABRT);
        return;
    }
    ide_ata_exec(d, cmd);
}

static void ide_tf_push(uint8_t *cur, uint8_t *hob, uint8_t val)
{
    *hob = *cur;
    *cur = val;
}

static void ide_bus_reg_write(ide_bus *bus, unsigned reg, uint8_t val)
{
    /* Any Command Block write clears HOB (ATA-7 §7.8). */
    bus->devctl &= ~ATA_DC_HOB;
    if (reg == ATA_REG_COMMAND) {
        ide_bus_command(bus, val);
        return;
    }
    for (unsigned i = 0; i < 2; i++) {
        ide_tf *tf = &bus->tf[i];

        switch (reg) {
        case ATA_REG_FEATURE:
            ide_tf_push(&tf->feature, &tf->hob_feature, val);
            break;
        case ATA_REG_NSECTOR:
            ide_tf_push(&tf->nsector, &tf->hob_nsector, val);
            break;
        case ATA_REG_LBAL:
            ide_tf_push(&tf->lbal, &tf->hob_lbal, val);
            break;
        case ATA_REG_LBAM:
            ide_tf_push(&tf->lbam, &tf->hob_lbam, val);
            break;
        case ATA_REG_LBAH:
            ide_tf_push(&tf->lbah, &tf->hob_lbah, val);
            break;
        case ATA_REG_DEVICE:
            tf->select = val;
            break;
        }
    }
    if (reg == ATA_REG_DEVICE) {
        bus->unit = (val & ATA_DEV_DEV) ? 1 : 0;
    }
}

uint32_t ide_bus_cmd_read(ide_bus *bus, unsigned reg, unsigned size)
{
    uint32_t v = 0;

    if (reg == ATA_REG_DATA && size >= 2) {
        ide_drive *d = ide_bus_selected(bus);

        return d ? ide_pio_data_read(d, size) : 0;
    }
    if (reg == ATA_REG_DATA) {
        return 0xff;    /* 8-bit data access: not a PIO transfer */
    }
    for (unsigned i = 0; i < size && reg + i < 8; i++) {
        v |= (uint32_t)ide_bus_reg_read(bus, reg + i) << (8 * i);
    }
    return v;
}

void ide_bus_cmd_write(ide_bus *bus, unsigned reg, unsigned size,
                       uint32_t val)
{
    if (reg == ATA_REG_DATA && size >= 2) {
        ide_drive *d = ide_bus_selected(bus);

        if (d) {
            ide_pio_data_write(d, size, val);
        }
        return;
    }
    if (reg == ATA_REG_DATA) {
        return;
    }
    for (unsigned i = 0; i < size && reg + i < 8; i++) {
        ide_bus_reg_write(bus, reg + i, (val >> (8 * i)) & 0xff);
    }
}

/* ---- control block ---- */

uint8_t ide_bus_ctl_read(ide_bus *bus)
{
    ide_drive *d = ide_bus_selected(bus);

    /* Alternate Status: Status without acknowledging (ATA-7 §7.3). */
    return d ? d->status : 0;
}

void ide_bus_ctl_write(ide_bus *bus, uint8_t val)
{
    uint8_t old = bus->devctl;

    bus->devctl = val;
    if (!(old & ATA_DC_SRST) && (val & ATA_DC_SRST)) {
        for (unsigned i = 0; i < 2; i++) {
            if (bus->drive[i]) {
                ide_drive_srst_assert(bus->drive[i]);
            }
        }
        bus->irq_pending = false;
    } else if ((old & ATA_DC_SRST) && !(val & ATA_DC_SRST)) {
        ide_bus_set_signatures(bus);
        for (unsigned i = 0; i < 2; i++) {
            if (bus->drive[i]) {
                ide_drive_srst_release(bus->drive[i]);
            }
        }
    }
    ide_bus_update_irq(bus);
}
