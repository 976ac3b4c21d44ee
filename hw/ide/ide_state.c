/* SPDX-License-Identifier: MIT */
/*
 * IDE channel state for save/restore (hvmemu/state.h): the task files,
 * Device Control, the bus master's registers, and per drive its settings
 * and the command in progress, with the data a guest has not yet taken
 * (a PIO block, an ATAPI reply). A state is only taken with no backend
 * request in flight (ide_bus_busy), so a DMA command is at most waiting
 * for the bus master and a READ/WRITE never has data half-moved.
 *
 * On load every value is checked as if a guest had programmed it: the
 * transfer stays inside the disk and the buffers, a geometry never
 * divides by zero, enums are in range. A disk of another size, a CD-ROM
 * where a disk was, refuse the state with the reason.
 */
#define G_LOG_DOMAIN "ide"

#include <string.h>

#include "hw/ide/ide_internal.h"

enum { SLOT_NONE = 0, SLOT_DISK = 1, SLOT_CDROM = 2, SLOT_GONE = 3 };

static const char *const slot_names[] = { "no drive", "a disk", "a CD-ROM",
                                          "an unplugged drive" };

#define IDE_PIO_BYTES   (IDE_MAX_MULT * IDE_SECTOR_SIZE)
#define IDE_DMA_BYTES   (IDE_DMA_CHUNK * IDE_SECTOR_SIZE)
#define ATAPI_PATH_MAX  4096

static unsigned slot_kind(const ide_bus *bus, unsigned u)
{
    const ide_drive *d = bus->drive[u];

    if (!d) {
        return bus->gone[u] ? SLOT_GONE : SLOT_NONE;
    }
    if (d->unplugging) {
        return SLOT_GONE;
    }
    return d->atapi ? SLOT_CDROM : SLOT_DISK;
}

unsigned ide_bus_busy(const ide_bus *bus)
{
    unsigned n = 0;

    for (unsigned u = 0; u < 2; u++) {
        const ide_drive *d = bus->drive[u];

        if (d) {
            /* A removal still flushing is in flight too. */
            n += d->inflight + (d->reset_pending || d->dma_running ||
                                (d->unplugging && !d->inflight));
        }
    }
    return n;
}

/* A reply in dma_buf the guest still has to take. */
static bool reply_pending(const ide_drive *d)
{
    return d->xfer == IDE_XFER_ATAPI_IN ||
           (d->xfer == IDE_XFER_DMA && d->dma_kind == IDE_DMA_ATAPI);
}

static void save_drive(const ide_drive *d, hv_state_out *o)
{
    hv_state_put_u64(o, d->atapi ? 0 : d->nsectors);   /* config */
    hv_state_put_bool(o, d->readonly);
    hv_state_put_u16(o, d->cur_cyls);
    hv_state_put_u16(o, d->cur_heads);
    hv_state_put_u16(o, d->cur_spt);
    hv_state_put_u8(o, d->mult);
    hv_state_put_u8(o, d->xfer_mode);
    hv_state_put_bool(o, d->wcache);
    hv_state_put_bool(o, d->standby);
    hv_state_put_bool(o, d->sleeping);
    hv_state_put_u8(o, d->status);
    hv_state_put_u8(o, d->error);
    hv_state_put_u8(o, d->cmd);
    hv_state_put_bool(o, d->lba48);
    hv_state_put_u8(o, (uint8_t)d->xfer);
    hv_state_put_u64(o, d->lba);
    hv_state_put_u32(o, d->remaining);
    hv_state_put_u32(o, d->block);
    hv_state_put_u32(o, d->blk_sectors);
    hv_state_put_u32(o, d->pio_pos);
    hv_state_put_u32(o, d->pio_end);
    hv_state_put_bytes(o, d->pio_buf, d->pio_end);
    hv_state_put_u8(o, (uint8_t)d->dma_kind);
    if (!d->atapi) {
        return;
    }
    hv_state_put_bytes(o, d->cdb, sizeof(d->cdb));
    hv_state_put_u8(o, d->sense_key);
    hv_state_put_u8(o, d->asc);
    hv_state_put_bool(o, d->atapi_dma);
    hv_state_put_bool(o, d->locked);
    hv_state_put_u32(o, d->atapi_limit);
    hv_state_put_u32(o, d->atapi_len);
    hv_state_put_u32(o, d->atapi_pos);
    hv_state_put_u32(o, d->atapi_chunk);
    hv_state_put_u64(o, d->atapi_lba);
    hv_state_put_u32(o, d->atapi_left);
    hv_state_put_bool(o, d->unit_attention);
    hv_state_put_u8(o, d->media_event);
    /* The disc in the tray: the admin may have changed it at run time. */
    hv_state_put_str(o, d->medium && d->blk ? hv_blk_path(d->blk) : NULL);
    hv_state_put_bytes(o, d->dma_buf, reply_pending(d) ? d->atapi_len : 0);
}

/* The disc the state had in the tray, where the configuration may have
 * another or none: what the guest saw is what it gets back. */
static bool load_medium(ide_drive *d, const char *path, GError **err)
{
    const char *now = d->medium && d->blk ? hv_blk_path(d->blk) : NULL;

    if (g_strcmp0(now, path) == 0) {
        return true;
    }
    if (d->medium && !ide_media_eject(d, true, err)) {
        return false;
    }
    if (path && !ide_media_insert(d, path, err)) {
        g_prefix_error(err, "the disc in the saved drive: ");
        return false;
    }
    return true;
}

static bool load_atapi(ide_drive *d, hv_state_in *in, GError **err)
{
    g_autofree char *path = NULL;

    hv_state_bytes(in, d->cdb, sizeof(d->cdb));
    d->sense_key = hv_state_u8(in);
    d->asc = hv_state_u8(in);
    d->atapi_dma = hv_state_bool(in);
    d->locked = hv_state_bool(in);
    d->atapi_limit = hv_state_u32(in);
    d->atapi_len = hv_state_u32(in);
    d->atapi_pos = hv_state_u32(in);
    d->atapi_chunk = hv_state_u32(in);
    d->atapi_lba = hv_state_u64(in);
    d->atapi_left = hv_state_u32(in);
    bool ua = hv_state_bool(in);
    uint8_t ev = hv_state_u8(in);

    path = hv_state_str(in, ATAPI_PATH_MAX);
    if (in->short_read) {
        return hv_state_fail(in, err, "short ATAPI state");
    }
    if (!load_medium(d, path, err)) {
        return false;
    }
    /* After the medium: inserting it raised its own attention. */
    d->unit_attention = ua;
    d->media_event = ev;
    /* The DRQ block's end only counts while one is being read (a DMA
     * reply leaves the last PIO block's behind). */
    if (d->xfer != IDE_XFER_ATAPI_IN) {
        d->atapi_chunk = MIN(d->atapi_chunk, d->atapi_len);
        d->atapi_pos = MIN(d->atapi_pos, d->atapi_chunk);
    }
    if (!hv_state_check(in, d->atapi_len <= IDE_DMA_BYTES &&
                        d->atapi_chunk <= d->atapi_len &&
                        d->atapi_pos <= d->atapi_chunk &&
                        d->atapi_limit <= 0xffff, err, "ATAPI reply") ||
        !hv_state_check(in, d->media_event <= MMC_EVENT_MEDIA_REMOVAL,
                        err, "media event") ||
        !hv_state_check(in, d->atapi_left == 0 ||
                        (d->medium &&
                         d->atapi_lba <= ide_atapi_blocks(d) &&
                         d->atapi_left <= ide_atapi_blocks(d) -
                                          d->atapi_lba), err, "ATAPI read")) {
        return false;
    }
    hv_state_bytes(in, d->dma_buf, reply_pending(d) ? d->atapi_len : 0);
    return true;
}

/* The command in progress is one a quiescent drive can be in. */
static bool check_cmd(ide_drive *d, hv_state_in *in, GError **err)
{
    bool pio = d->xfer == IDE_XFER_PIO_IN || d->xfer == IDE_XFER_PIO_OUT;
    bool rw = pio || (d->xfer == IDE_XFER_DMA &&
                      (d->dma_kind == IDE_DMA_READ ||
                       d->dma_kind == IDE_DMA_WRITE));

    return hv_state_check(in, d->xfer <= IDE_XFER_ATAPI_IN &&
                          d->xfer != IDE_XFER_BUSY, err, "transfer") &&
           hv_state_check(in, d->dma_kind <= IDE_DMA_ATAPI, err, "DMA kind") &&
           hv_state_check(in, d->block <= IDE_MAX_MULT &&
                          d->blk_sectors <= IDE_DMA_CHUNK &&
                          d->pio_end <= IDE_PIO_BYTES &&
                          d->mult <= IDE_MAX_MULT, err, "PIO block") &&
           /* The PIO cursor counts in a PIO transfer, and for the bytes
            * of a command packet; elsewhere it is left over. */
           hv_state_check(in, pio ? d->pio_pos <= d->pio_end
                          : d->xfer != IDE_XFER_ATAPI_CDB ||
                            d->pio_pos <= sizeof(d->cdb),
                          err, "PIO position") &&
           /* The block in the buffer is part of what remains: finishing
            * it never steps past the command (or the disk). */
           hv_state_check(in, !pio || (d->blk_sectors <= d->remaining &&
                                       (d->remaining == 0 ||
                                        (d->block > 0 &&
                                         d->blk_sectors <= d->block))),
                          err, "PIO block size") &&
           hv_state_check(in, !rw || (d->lba <= d->nsectors &&
                                      d->remaining <= d->nsectors - d->lba),
                          err, "LBA range") &&
           hv_state_check(in, d->xfer != IDE_XFER_DMA ||
                          d->dma_kind != IDE_DMA_TRIM ||
                          d->remaining <= IDE_DSM_MAX_BLOCKS, err, "TRIM") &&
           hv_state_check(in, d->cur_spt >= 1 && d->cur_spt <= 255 &&
                          d->cur_heads >= 1 && d->cur_heads <= 16, err,
                          "geometry") &&
           hv_state_check(in, d->atapi || !(d->xfer == IDE_XFER_ATAPI_CDB ||
                                            d->xfer == IDE_XFER_ATAPI_IN ||
                                            d->dma_kind == IDE_DMA_ATAPI),
                          err, "ATAPI transfer on a disk");
}

static bool load_drive(ide_drive *d, hv_state_in *in, GError **err)
{
    uint64_t nsectors = hv_state_u64(in);
    bool ro = hv_state_bool(in);

    if (!d->atapi && (nsectors != d->nsectors || ro != d->readonly)) {
        return hv_state_fail(in, err, "ide%u.%u: the state has a %s disk "
                             "of %" G_GUINT64_FORMAT " sectors, this "
                             "configuration a %s one of %" G_GUINT64_FORMAT,
                             d->bus->index, d->unit, ro ? "read-only" : "rw",
                             nsectors, d->readonly ? "read-only" : "rw",
                             d->nsectors);
    }
    d->cur_cyls = hv_state_u16(in);
    d->cur_heads = hv_state_u16(in);
    d->cur_spt = hv_state_u16(in);
    d->mult = hv_state_u8(in);
    d->xfer_mode = hv_state_u8(in);
    d->wcache = hv_state_bool(in);
    d->standby = hv_state_bool(in);
    d->sleeping = hv_state_bool(in);
    d->status = hv_state_u8(in);
    d->error = hv_state_u8(in);
    d->cmd = hv_state_u8(in);
    d->lba48 = hv_state_bool(in);
    d->xfer = (ide_xfer)hv_state_u8(in);
    d->lba = hv_state_u64(in);
    d->remaining = hv_state_u32(in);
    d->block = hv_state_u32(in);
    d->blk_sectors = hv_state_u32(in);
    d->pio_pos = hv_state_u32(in);
    d->pio_end = hv_state_u32(in);
    if (d->pio_end > IDE_PIO_BYTES) {
        return hv_state_check(in, false, err, "PIO block");
    }
    hv_state_bytes(in, d->pio_buf, d->pio_end);
    d->dma_kind = (ide_dma_kind)hv_state_u8(in);
    if (d->atapi && !load_atapi(d, in, err)) {
        return false;
    }
    if (in->short_read) {
        return hv_state_fail(in, err, "ide%u.%u: short drive state",
                             d->bus->index, d->unit);
    }
    /* The status a guest sees cannot say BSY with nothing behind it. */
    d->status &= (uint8_t)~ATA_SR_BSY;
    return check_cmd(d, in, err);
}

void ide_bus_state_save(const ide_bus *bus, hv_state_out *o)
{
    for (unsigned u = 0; u < 2; u++) {
        hv_state_put_bytes(o, &bus->tf[u], sizeof(bus->tf[u]));
    }
    hv_state_put_u8(o, (uint8_t)bus->unit);
    hv_state_put_u8(o, bus->devctl);
    hv_state_put_bool(o, bus->irq_pending);
    hv_state_put_u8(o, bus->bm->cmd);
    hv_state_put_u8(o, bus->bm->status);
    hv_state_put_u32(o, bus->bm->prdt);
    for (unsigned u = 0; u < 2; u++) {
        unsigned kind = slot_kind(bus, u);

        hv_state_put_u8(o, (uint8_t)kind);
        if (kind == SLOT_DISK || kind == SLOT_CDROM) {
            save_drive(bus->drive[u], o);
        }
    }
}

/* The slot the state describes against the one configured here. A drive
 * unplugged in the state is unplugged here too (the guest's PV drivers
 * took over from it: it must never come back). */
static bool load_slot(ide_bus *bus, unsigned u, unsigned kind,
                      hv_state_in *in, GError **err)
{
    unsigned here = slot_kind(bus, u);

    if (kind == SLOT_GONE && (here == SLOT_DISK || here == SLOT_CDROM)) {
        hv_unplug_request(bus->drive[u]->unplug_slot, HV_UNPLUG_BY_PROTOCOL,
                          "unplugged in the restored state");
        return true;
    }
    if (kind == SLOT_GONE && here != SLOT_NONE) {
        return true;
    }
    if (kind > SLOT_GONE || kind != here) {
        return hv_state_fail(in, err, "ide%u.%u: the state has %s there, "
                             "this configuration %s", bus->index, u,
                             slot_names[MIN(kind, SLOT_GONE)],
                             slot_names[here]);
    }
    return kind == SLOT_NONE || load_drive(bus->drive[u], in, err);
}

bool ide_bus_state_load(ide_bus *bus, hv_state_in *in, GError **err)
{
    for (unsigned u = 0; u < 2; u++) {
        hv_state_bytes(in, &bus->tf[u], sizeof(bus->tf[u]));
    }
    bus->unit = hv_state_u8(in) & 1;
    bus->devctl = hv_state_u8(in) & (ATA_DC_NIEN | ATA_DC_SRST | ATA_DC_HOB);
    bus->irq_pending = hv_state_bool(in);
    bus->bm->cmd = hv_state_u8(in) & (BM_CMD_START | BM_CMD_WRITE);
    bus->bm->status = hv_state_u8(in) & (BM_ST_ACTIVE | BM_ST_ERR | BM_ST_INTR |
                                         BM_ST_DMA0 | BM_ST_DMA1);
    bus->bm->prdt = hv_state_u32(in) & ~3u;
    for (unsigned u = 0; u < 2 && !in->short_read; u++) {
        if (!load_slot(bus, u, hv_state_u8(in), in, err)) {
            return false;
        }
    }
    if (in->short_read) {
        return hv_state_fail(in, err, "ide%u: short channel state",
                             bus->index);
    }
    /* The line as the guest left it (nIEN may mask it). */
    if (bus->irq_pending) {
        bus->irq_level = 0;
        ide_bus_raise_irq(bus);
    }
    return true;
}
