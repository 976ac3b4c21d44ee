/* SPDX-License-Identifier: MIT */
/*
 * IDENTIFY DEVICE data (ATA/ATAPI-7 §6.17, table 26) and the default
 * CHS geometry old guests use.
 */
#define G_LOG_DOMAIN "ide"

#include <string.h>

#include "hw/ide/ide_internal.h"

void ide_drive_default_geometry(ide_drive *d)
{
    /* The usual translation: 16 heads, 63 sectors per track, cylinders
     * clipped at 16383 (ATA-7 §6.17.2, words 1/3/6 for > 8.4 GB). */
    uint64_t cyls = d->nsectors / (16 * 63);

    d->heads = 16;
    d->spt = 63;
    d->cyls = (uint16_t)CLAMP(cyls, 1, 16383);
}

/* ATA strings: two characters per word, first one in the high byte,
 * padded with spaces (§3.x "ATA string convention"). */
static void ide_put_string(uint16_t *w, const char *s, unsigned chars)
{
    size_t len = strlen(s);

    for (unsigned i = 0; i < chars; i += 2) {
        uint8_t hi = i < len ? (uint8_t)s[i] : ' ';
        uint8_t lo = i + 1 < len ? (uint8_t)s[i + 1] : ' ';

        w[i / 2] = (uint16_t)(hi << 8 | lo);
    }
}

static uint16_t ide_mode_word(uint8_t supported, uint8_t xfer, uint8_t base)
{
    uint16_t w = supported;

    if (xfer >= base && xfer < base + 8) {
        w |= (uint16_t)(1u << (8 + (xfer - base)));
    }
    return w;
}

static void ide_identify_caps(const ide_drive *d, uint16_t *w)
{
    uint64_t chs = (uint64_t)d->cur_cyls * d->cur_heads * d->cur_spt;
    uint64_t lba28 = MIN(d->nsectors, IDE_LBA28_MAX);

    w[47] = 0x8000 | IDE_MAX_MULT;          /* R/W MULTIPLE max */
    w[49] = 0x0b00;     /* IORDY supported, LBA, DMA (§6.17.14) */
    w[50] = 0x4000;
    w[51] = 0x0200;     /* obsolete PIO timing mode */
    w[53] = 0x0007;     /* words 54-58, 64-70 and 88 are valid */
    w[54] = d->cur_cyls;
    w[55] = d->cur_heads;
    w[56] = d->cur_spt;
    chs = MIN(chs, d->nsectors);
    w[57] = chs & 0xffff;
    w[58] = (chs >> 16) & 0xffff;
    w[59] = d->mult ? (uint16_t)(0x0100 | d->mult) : 0;
    w[60] = lba28 & 0xffff;
    w[61] = (lba28 >> 16) & 0xffff;
    w[63] = ide_mode_word(0x07, d->xfer_mode, ATA_XFER_MWDMA_0);
    w[64] = 0x0003;     /* PIO modes 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;    /* cycle times, ns */
}

static void ide_identify_features(const ide_drive *d, uint16_t *w)
{
    w[80] = 0x00f0;     /* major version: ATA/ATAPI-4 .. 7 */
    w[81] = 0x0000;     /* minor version not reported */
    /* 82/85: NOP, write cache, power management (§6.17.38) */
    w[82] = 0x4028;
    w[83] = 0x7400;     /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit */
    w[84] = 0x4000;
    w[85] = 0x4008 | (d->wcache ? 0x0020 : 0);
    w[86] = 0x3400;
    w[87] = 0x4000;
    w[88] = ide_mode_word(0x3f, d->xfer_mode, ATA_XFER_UDMA_0);
    /* 93: device 0 passed diagnostics; 80-conductor cable detected. */
    w[93] = d->unit == 0 ? 0x600b : 0x6b00;
    w[100] = d->nsectors & 0xffff;
    w[101] = (d->nsectors >> 16) & 0xffff;
    w[102] = (d->nsectors >> 32) & 0xffff;
    w[103] = (d->nsectors >> 48) & 0xffff;
    if (d->trim) {
        w[105] = IDE_DSM_MAX_BLOCKS;    /* DSM range blocks (ACS-2) */
        w[169] = 0x0001;                /* DATA SET MANAGEMENT: TRIM */
    }
}

/* IDENTIFY PACKET DEVICE (ATA-7 §6.18, table 27). */
static void ide_identify_packet(const ide_drive *d, uint16_t *w)
{
    /* ATAPI, CD-ROM class (05h), removable, DRQ within 50 us, 12-byte
     * packets. */
    w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
    w[49] = 0x0b00;     /* IORDY, LBA, DMA */
    w[50] = 0x4000;
    w[53] = 0x0006;     /* words 64-70 and 88 are valid */
    w[63] = ide_mode_word(0x07, d->xfer_mode, ATA_XFER_MWDMA_0);
    w[64] = 0x0003;
    w[65] = w[66] = w[67] = w[68] = 120;
    w[71] = 30;         /* PACKET to bus release, ns */
    w[72] = 30;
    w[80] = 0x001e;     /* ATA/ATAPI-1 .. 4 */
    w[82] = 0x4214;     /* NOP, DEVICE RESET, PACKET, removable media */
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = 0x4214;
    w[86] = 0x0000;
    w[87] = 0x4000;
    w[88] = ide_mode_word(0x3f, d->xfer_mode, ATA_XFER_UDMA_0);
    w[93] = d->unit == 0 ? 0x600b : 0x6b00;
}

void ide_identify_fill(const ide_drive *d, uint16_t *w)
{
    uint8_t sum = 0xa5;

    memset(w, 0, 256 * sizeof(*w));
    ide_put_string(&w[10], d->serial, 20);
    ide_put_string(&w[23], d->fwrev, 8);
    ide_put_string(&w[27], d->model, 40);
    if (d->atapi) {
        ide_identify_packet(d, w);
    } else {
        w[0] = 0x0040;      /* fixed device, not removable */
        w[1] = d->cyls;
        w[3] = d->heads;
        w[6] = d->spt;
        ide_identify_caps(d, w);
        ide_identify_features(d, w);
    }
    /* Word 255: signature A5h and checksum so that all 512 bytes sum to
     * zero (§6.17.65). */
    for (unsigned i = 0; i < 255; i++) {
        sum += (uint8_t)(w[i] & 0xff) + (uint8_t)(w[i] >> 8);
    }
    w[255] = (uint16_t)(((uint8_t)-sum) << 8 | 0xa5);
}
