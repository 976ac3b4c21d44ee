/* SPDX-License-Identifier: MIT */
/*
 * PIIX3 IDE function (Intel 82371SB datasheet §2.3; 8086:7010, class
 * 010180h) in legacy (compatibility) mode: the primary channel at
 * 1F0h-1F7h + 3F6h on ISA IRQ 14, the secondary at 170h-177h + 376h on
 * IRQ 15, and the bus-master registers of both channels in BAR4 (BMIBA,
 * 16 bytes of I/O space).
 *
 * Options: addr=[seg:]bus:dev.fn (default 00:01.1, QEMU's slot, so that a
 * newer ioreq server takes the guest's IDE over), disk0..disk3=SPEC with
 * xl disk specs (see hw/block/blk_spec.h); vdev hda/hdb/hdc/hdd picks the
 * primary master/slave and secondary master/slave.
 */
#define G_LOG_DOMAIN "ide"

#include <string.h>

#include "hvmemu/device.h"
#include "hw/block/blk_spec.h"
#include "hw/ide/ide_internal.h"

#define PIIX_MAX_DISKS 4

typedef struct ide_piix {
    hv_device dev;          /* first: hv_device * ↔ ide_piix * */
    hv_pci_dev pci;
    ide_bus bus[2];
    bmdma bm[2];
    hv_region *cmd_region[2];
    hv_region *ctl_region[2];
} ide_piix;

static const struct {
    uint16_t cmd, ctl;
    unsigned irq;
} piix_legacy[2] = {
    { IDE_PRI_CMD, IDE_PRI_CTL, IDE_PRI_IRQ },
    { IDE_SEC_CMD, IDE_SEC_CTL, IDE_SEC_IRQ },
};

/* ---- region callbacks ---- */

static uint64_t piix_cmd_read(void *opaque, uint64_t off, unsigned size)
{
    return ide_bus_cmd_read(opaque, (unsigned)off, size);
}

static void piix_cmd_write(void *opaque, uint64_t off, unsigned size,
                           uint64_t val)
{
    ide_bus_cmd_write(opaque, (unsigned)off, size, (uint32_t)val);
}

static uint64_t piix_ctl_read(void *opaque, uint64_t off, unsigned size)
{
    return ide_bus_ctl_read(opaque);
}

static void piix_ctl_write(void *opaque, uint64_t off, unsigned size,
                           uint64_t val)
{
    ide_bus_ctl_write(opaque, (uint8_t)val);
}

static uint64_t piix_bm_read(void *opaque, uint64_t off, unsigned size)
{
    ide_piix *p = opaque;
    uint32_t v = 0;

    /* Split per channel; an access never spans them on real hardware. */
    for (unsigned i = 0; i < size && off + i < 2 * BM_CHANNEL_STRIDE; i++) {
        unsigned o = (unsigned)off + i;

        v |= bmdma_read(&p->bm[o / BM_CHANNEL_STRIDE],
                        o % BM_CHANNEL_STRIDE, 1) << (8 * i);
    }
    return v;
}

static void piix_bm_write(void *opaque, uint64_t off, unsigned size,
                          uint64_t val)
{
    ide_piix *p = opaque;

    for (unsigned i = 0; i < size && off + i < 2 * BM_CHANNEL_STRIDE; i++) {
        unsigned o = (unsigned)off + i;

        bmdma_write(&p->bm[o / BM_CHANNEL_STRIDE], o % BM_CHANNEL_STRIDE, 1,
                    (uint32_t)(val >> (8 * i)) & 0xff);
    }
}

/* Command block: byte registers plus the 16/32-bit Data register. */
static const hv_region_ops piix_cmd_ops = {
    .read = piix_cmd_read,
    .write = piix_cmd_write,
    .min_size = 1,
    .max_size = 4,
};

static const hv_region_ops piix_ctl_ops = {
    .read = piix_ctl_read,
    .write = piix_ctl_write,
    .min_size = 1,
    .max_size = 1,
};

static const hv_region_ops piix_bm_ops = {
    .read = piix_bm_read,
    .write = piix_bm_write,
    .min_size = 1,
    .max_size = 4,
};

/* ---- disks ---- */

static int piix_vdev_unit(const char *vdev)
{
    static const char *const prefixes[] = { "hd", "xvd", "sd" };

    for (size_t i = 0; vdev && i < G_N_ELEMENTS(prefixes); i++) {
        size_t n = strlen(prefixes[i]);

        if (!strncmp(vdev, prefixes[i], n) && vdev[n] >= 'a' &&
            vdev[n] <= 'd' && vdev[n + 1] == 0) {
            return vdev[n] - 'a';
        }
    }
    return -1;
}

static bool piix_open_disk(ide_piix *p, int unit, const blk_spec *s,
                           GError **err)
{
    ide_bus *bus = &p->bus[unit / 2];
    unsigned flags = (s->readonly || s->cdrom ? HV_BLK_RDONLY : 0) |
                     (s->direct ? HV_BLK_DIRECT : 0);
    ide_drive_conf conf = {
        .serial = s->serial,
        .wcache = s->wcache != 0,
        .trim = s->discard,
        .atapi = s->cdrom,
    };
    hv_blk *blk;

    if (bus->drive[unit % 2]) {
        g_set_error(err, HV_ERROR, HV_ERROR_BUSY, "hd%c given twice",
                    'a' + unit);
        return false;
    }
    if (!s->target) {           /* an empty CD-ROM drive */
        bus->drive[unit % 2] = ide_drive_new(bus, (unsigned)unit % 2, NULL,
                                             &conf);
        ide_unplug_register(bus->drive[unit % 2]);
        g_info("hd%c: cdrom, no disc", 'a' + unit);
        return true;
    }
    hv_blk_opts opts = { .format = s->format,
                         .reconnect_s = s->reconnect_s };

    hv_ctx_blk_opts(p->dev.ctx, &opts);

    blk = hv_blk_open_opts(hv_ctx_loop(p->dev.ctx), s->target, &opts, flags,
                           err);
    if (!blk) {
        return false;
    }
    if (hv_blk_size(blk) == 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "%s is empty", s->target);
        hv_blk_close(blk);
        return false;
    }
    hv_blk_set_fault(blk, &s->fault);
    bus->drive[unit % 2] = ide_drive_new(bus, (unsigned)unit % 2, blk, &conf);
    ide_unplug_register(bus->drive[unit % 2]);
    g_info("hd%c: %s%s%s, %" G_GUINT64_FORMAT " sectors, %s%s, %s",
           'a' + unit, s->target, s->format ? " " : "",
           s->format ? s->format : "", bus->drive[unit % 2]->nsectors,
           s->cdrom ? "cdrom" : s->readonly ? "ro" : "rw",
           s->direct ? " direct" : "", hv_blk_engine(blk));
    return true;
}

static bool piix_add_disk(ide_piix *p, unsigned index, const char *text,
                          GError **err)
{
    blk_spec s;
    int unit;
    bool ok = false;

    if (!blk_spec_parse(text, &s, err)) {
        goto out_prefix;
    }
    unit = s.vdev ? piix_vdev_unit(s.vdev) : (int)index;
    if (unit < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "vdev '%s': want hda, hdb, hdc or hdd", s.vdev);
        goto out;
    }
    ok = piix_open_disk(p, unit, &s, err);
out:
    blk_spec_clear(&s);
out_prefix:
    if (!ok) {
        g_prefix_error(err, "disk%u: ", index);
    }
    return ok;
}

static bool piix_add_disks(ide_piix *p, hv_opts *opts, GError **err)
{
    for (unsigned i = 0; i < PIIX_MAX_DISKS; i++) {
        g_autofree char *key = g_strdup_printf("disk%u", i);
        const char *spec = hv_opts_str(opts, key, NULL);

        if (spec && !piix_add_disk(p, i, spec, err)) {
            return false;
        }
    }
    return true;
}

/* ---- PCI function ---- */

static void piix_config_defaults(ide_piix *p)
{
    /* IDETIM: decode enabled on both channels. The PIIX3 powers up with
     * 0, firmware (hvmloader, SeaBIOS) sets bit 15; Linux's ata_piix
     * refuses a channel without it, so a late takeover must have it. */
    hv_pci_set_word(&p->pci, PIIX_IDETIM_PRI, PIIX_IDETIM_IDE);
    hv_pci_set_word(&p->pci, PIIX_IDETIM_SEC, PIIX_IDETIM_IDE);
    p->pci.config[PIIX_SIDETIM] = 0;
}

static bool piix_pci_init(ide_piix *p, hv_ctx *ctx, uint32_t sbdf,
                          GError **err)
{
    if (!hv_pci_init(&p->pci, ctx, sbdf, PIIX_VENDOR_INTEL,
                     PIIX3_IDE_DEVICE, PIIX_IDE_CLASS, 0, "piix-ide", err)) {
        return false;
    }
    for (unsigned r = PIIX_IDETIM_PRI; r <= PIIX_SIDETIM; r++) {
        p->pci.wmask[r] = 0xff;
    }
    piix_config_defaults(p);
    return hv_pci_set_bar(&p->pci, PIIX_BMIBA_BAR, 2 * BM_CHANNEL_STRIDE,
                          HV_PCI_BAR_IO, &piix_bm_ops, p, err);
}

static bool piix_legacy_init(ide_piix *p, hv_ctx *ctx, GError **err)
{
    for (unsigned i = 0; i < 2; i++) {
        p->cmd_region[i] = hv_region_add(ctx, HV_SPACE_PIO,
                                         piix_legacy[i].cmd, 8,
                                         &piix_cmd_ops, &p->bus[i],
                                         i ? "ide1-cmd" : "ide0-cmd", err);
        if (!p->cmd_region[i]) {
            return false;
        }
        p->ctl_region[i] = hv_region_add(ctx, HV_SPACE_PIO,
                                         piix_legacy[i].ctl, 1,
                                         &piix_ctl_ops, &p->bus[i],
                                         i ? "ide1-ctl" : "ide0-ctl", err);
        if (!p->ctl_region[i]) {
            return false;
        }
    }
    return true;
}

static void piix_destroy(hv_device *dev)
{
    ide_piix *p = (ide_piix *)dev;

    for (unsigned i = 0; i < 2; i++) {
        for (unsigned u = 0; u < 2; u++) {
            ide_drive_free(p->bus[i].drive[u]);
            p->bus[i].drive[u] = NULL;
            ide_drive_free(p->bus[i].gone[u]);
            p->bus[i].gone[u] = NULL;
        }
        if (p->bus[i].irq_level) {
            hv_set_isa_irq(p->bus[i].ctx, &p->bus[i], p->bus[i].irq, 0);
        }
        if (p->cmd_region[i]) {
            hv_region_del(p->cmd_region[i]);
        }
        if (p->ctl_region[i]) {
            hv_region_del(p->ctl_region[i]);
        }
    }
    if (p->pci.cfg_region) {
        hv_pci_fini(&p->pci);
    }
    g_free(p);
}

static void piix_reset(hv_device *dev)
{
    ide_piix *p = (ide_piix *)dev;

    hv_pci_reset(&p->pci);
    piix_config_defaults(p);
    for (unsigned i = 0; i < 2; i++) {
        bmdma_reset(&p->bm[i]);
        ide_bus_reset(&p->bus[i]);
    }
}

static hv_device *piix_create(hv_ctx *ctx, hv_opts *opts, GError **err)
{
    ide_piix *p = g_new0(ide_piix, 1);
    const char *addr = hv_opts_str(opts, "addr", "00:01.1");
    uint32_t sbdf;

    p->dev.ctx = ctx;
    for (unsigned i = 0; i < 2; i++) {
        ide_bus_init(&p->bus[i], ctx, i, piix_legacy[i].irq, &p->bm[i]);
        bmdma_init(&p->bm[i], &p->bus[i], &p->pci);
    }
    if (!hv_pci_parse_addr(addr, &sbdf, err) ||
        !piix_pci_init(p, ctx, sbdf, err) ||
        !piix_legacy_init(p, ctx, err) ||
        !piix_add_disks(p, opts, err)) {
        piix_destroy(&p->dev);
        return NULL;
    }
    for (unsigned i = 0; i < 2; i++) {
        ide_bus_reset(&p->bus[i]);
    }
    return &p->dev;
}

/* ---- device state (ide_state.c holds the channels') ---- */

static unsigned piix_state_busy(hv_device *dev)
{
    ide_piix *p = (ide_piix *)dev;

    return ide_bus_busy(&p->bus[0]) + ide_bus_busy(&p->bus[1]);
}

static void piix_state_save(hv_device *dev, hv_state_out *o)
{
    ide_piix *p = (ide_piix *)dev;

    hv_pci_state_save(&p->pci, o);
    for (unsigned i = 0; i < 2; i++) {
        ide_bus_state_save(&p->bus[i], o);
    }
}

static bool piix_state_load(hv_device *dev, hv_state_in *in, GError **err)
{
    ide_piix *p = (ide_piix *)dev;
    bool absent;

    if (!hv_pci_state_load(&p->pci, in, &absent, err)) {
        return false;
    }
    /* The PIIX function itself never leaves the bus (only its drives). */
    if (absent) {
        return hv_state_check(in, false, err, "PCI presence");
    }
    for (unsigned i = 0; i < 2; i++) {
        if (!ide_bus_state_load(&p->bus[i], in, err)) {
            return false;
        }
    }
    return true;
}

const hv_device_class ide_piix_class = {
    .name = "piix-ide",
    .description = "Intel PIIX3 IDE (legacy ports, bus-master DMA): "
                   "ATA disks, ATAPI DVD-ROM",
    .options_help =
        "addr=BUS:DEV.FN   PCI address (default 00:01.1)\n"
        "disk0..disk3=SPEC xl disk spec, e.g. file:/srv/g.img,hda,w or\n"
        "                  format=raw,vdev=hda,access=rw,target=/srv/g.img\n"
        "                  (hvmemu keys: serial=, wcache=on|off, "
        "direct=on|off;\n"
        "                  devtype=cdrom: a read-only ATAPI DVD-ROM)",
    .create = piix_create,
    .destroy = piix_destroy,
    .reset = piix_reset,
    .state_version = 1,
    .state_busy = piix_state_busy,
    .state_save = piix_state_save,
    .state_load = piix_state_load,
};
