/* SPDX-License-Identifier: MIT */
/*
 * The SCSI/MMC commands of a read-only CD/DVD-ROM (SPC-3, MMC-5 as used
 * through ATAPI); its removable media are ide_media.c's. Each builds its reply in
 * the drive's bounce buffer, truncated to the allocation length the guest
 * gave; guest CDB fields are range-checked, never trusted.
 */
#define G_LOG_DOMAIN "ide"

#include <string.h>

#include "hw/ide/ide_internal.h"

/* SCSI operation codes (SPC-3 §6, MMC-5 §6) */
#define SCSI_TEST_UNIT_READY   0x00
#define SCSI_REQUEST_SENSE     0x03
#define SCSI_INQUIRY           0x12
#define SCSI_MODE_SENSE_6      0x1a
#define SCSI_START_STOP        0x1b
#define SCSI_PREVENT_ALLOW     0x1e
#define SCSI_READ_CAPACITY     0x25
#define SCSI_READ_10           0x28
#define SCSI_SEEK_10           0x2b
#define SCSI_VERIFY_10         0x2f
#define SCSI_SYNC_CACHE        0x35
#define MMC_READ_TOC           0x43
#define MMC_GET_CONFIGURATION  0x46
#define MMC_GET_EVENT_STATUS   0x4a
#define MMC_READ_DISC_INFO     0x51
#define SCSI_MODE_SENSE_10     0x5a
#define SCSI_READ_12           0xa8
#define MMC_SET_CD_SPEED       0xbb
#define MMC_MECHANISM_STATUS   0xbd

#define MMC_PROFILE_CD_ROM     0x0008
#define MMC_PROFILE_DVD_ROM    0x0010
#define MMC_CD_MAX_BLOCKS      (80 * 60 * 75)  /* an 80-minute CD */

#define ATAPI_REPLY_MAX        512     /* no reply we build is longer */

static void put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (v >> 8) & 0xff;
    p[1] = v & 0xff;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, v >> 16);
    put_be16(p + 2, v & 0xffff);
}

static uint32_t get_be16(const uint8_t *p)
{
    return ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t get_be32(const uint8_t *p)
{
    return (get_be16(p) << 16) | get_be16(p + 2);
}

static void put_ascii(uint8_t *p, const char *s, size_t n)
{
    size_t len = strlen(s);

    for (size_t i = 0; i < n; i++) {
        p[i] = i < len ? (uint8_t)s[i] : ' ';
    }
}

static int mmc_fail(ide_drive *d, uint8_t key, uint8_t asc)
{
    ide_atapi_sense(d, key, asc);
    return -1;
}

static int mmc_reply(uint32_t len, uint32_t alloc)
{
    return (int)MIN(len, alloc);
}

static bool mmc_is_dvd(const ide_drive *d)
{
    return ide_atapi_blocks(d) > MMC_CD_MAX_BLOCKS;
}

/* ---- SPC ---- */

static int mmc_request_sense(ide_drive *d, uint8_t *b)
{
    b[0] = 0x70;            /* current error, fixed format */
    b[2] = d->sense_key;
    b[7] = 10;              /* additional sense length */
    b[12] = d->asc;
    d->sense_key = d->asc = 0;
    return mmc_reply(18, d->cdb[4]);
}

static int mmc_inquiry(ide_drive *d, uint8_t *b)
{
    if (d->cdb[1] & 0x01) {
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
    b[0] = 0x05;            /* CD/DVD device */
    b[1] = 0x80;            /* removable medium */
    b[2] = 0x05;            /* SPC-3 */
    b[3] = 0x32;            /* HiSup, response data format 2 */
    b[4] = 36 - 5;
    put_ascii(b + 8, "HVMEMU", 8);
    put_ascii(b + 16, d->model, 16);
    put_ascii(b + 32, d->fwrev, 4);
    return mmc_reply(36, get_be16(d->cdb + 3));
}

static int mmc_read_capacity(ide_drive *d, uint8_t *b)
{
    put_be32(b, ide_atapi_blocks(d) - 1);
    put_be32(b + 4, ATAPI_SECTOR_SIZE);
    return 8;
}

/* MODE SENSE pages: R/W error recovery (01h), capabilities (2Ah). */
static uint32_t mmc_mode_pages(ide_drive *d, uint8_t page, uint8_t *p)
{
    uint32_t n = 0;

    if (page == 0x01 || page == 0x3f) {
        p[0] = 0x01;
        p[1] = 0x06;
        p[3] = 0x05;        /* read retry count */
        n += 8;
    }
    if (page == 0x2a || page == 0x3f) {
        uint8_t *c = p + n;

        c[0] = 0x2a;
        c[1] = 0x12;
        c[2] = 0x0b;        /* reads CD-R, CD-RW, DVD-ROM */
        c[4] = 0x70;        /* multi-session, mode 2 form 1/2 */
        c[6] = 0x29 | (d->locked ? 0x02 : 0);   /* tray, eject, lock */
        put_be16(c + 8, 2816);  /* obsolete max speed, kB/s (16x) */
        put_be16(c + 12, 512);  /* buffer, KiB */
        put_be16(c + 14, 2816);
        n += 20;
    }
    return n;
}

static int mmc_mode_sense(ide_drive *d, uint8_t *b, bool ten)
{
    uint8_t page = d->cdb[2] & 0x3f;
    uint32_t hdr = ten ? 8 : 4;
    uint32_t n;

    if ((d->cdb[2] >> 6) == 3) {
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMS);
    }
    n = mmc_mode_pages(d, page, b + hdr);
    if (n == 0) {
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
    if (ten) {
        put_be16(b, hdr + n - 2);
        return mmc_reply(hdr + n, get_be16(d->cdb + 7));
    }
    b[0] = (uint8_t)(hdr + n - 1);
    return mmc_reply(hdr + n, d->cdb[4]);
}

/* ---- MMC ---- */

static void mmc_put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (!msf) {
        put_be32(p, lba);
        return;
    }
    lba += 150;             /* MSF counts the 2 s pre-gap */
    p[0] = 0;
    p[1] = (uint8_t)MIN(lba / (75 * 60), 255);
    p[2] = (lba / 75) % 60;
    p[3] = lba % 75;
}

static int mmc_read_toc(ide_drive *d, uint8_t *b)
{
    bool msf = d->cdb[1] & 0x02;
    uint8_t format = d->cdb[2] & 0x0f;
    uint8_t track = d->cdb[6];
    uint32_t n = 4;

    if (format == 0) {
        format = d->cdb[9] >> 6;    /* pre-MMC placement */
    }
    if (format == 1) {              /* session info */
        put_be16(b, 10);
        b[2] = b[3] = 1;
        b[5] = 0x14;                /* ADR 1, data track */
        b[6] = 1;
        mmc_put_addr(b + 8, 0, msf);
        return mmc_reply(12, get_be16(d->cdb + 7));
    }
    if (format != 0 || (track > 1 && track != 0xaa)) {
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
    b[2] = b[3] = 1;                /* first and last track */
    if (track <= 1) {
        b[n + 1] = 0x14;
        b[n + 2] = 1;
        mmc_put_addr(b + n + 4, 0, msf);
        n += 8;
    }
    b[n + 1] = 0x14;
    b[n + 2] = 0xaa;                /* lead-out */
    mmc_put_addr(b + n + 4, ide_atapi_blocks(d), msf);
    n += 8;
    put_be16(b, n - 2);
    return mmc_reply(n, get_be16(d->cdb + 7));
}

static uint32_t mmc_feature(uint8_t *p, uint16_t code, uint8_t flags,
                            uint8_t len)
{
    put_be16(p, code);
    p[2] = flags;           /* version << 2 | persistent | current */
    p[3] = len;
    return 4u + len;
}

/* Which features a GET CONFIGURATION request wants (RT field, §6.6.2). */
static bool mmc_want(uint8_t rt, uint32_t start, uint16_t code)
{
    return rt == 2 ? code == start : code >= start;
}

static int mmc_get_configuration(ide_drive *d, uint8_t *b)
{
    uint8_t rt = d->cdb[1] & 0x03;
    uint32_t start = get_be16(d->cdb + 2);
    /* No disc: current profile 0000h (MMC-5 §5.3.1). */
    uint16_t cur = !d->medium ? 0 : mmc_is_dvd(d) ? MMC_PROFILE_DVD_ROM
                                                  : MMC_PROFILE_CD_ROM;
    uint32_t n = 8;

    if (rt == 3) {
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
    put_be16(b + 6, cur);
    if (mmc_want(rt, start, 0x0000)) {
        uint8_t *p = b + n;

        n += mmc_feature(p, 0x0000, 0x03, 8);    /* Profile List */
        put_be16(p + 4, MMC_PROFILE_DVD_ROM);
        p[6] = cur == MMC_PROFILE_DVD_ROM;
        put_be16(p + 8, MMC_PROFILE_CD_ROM);
        p[10] = cur == MMC_PROFILE_CD_ROM;
    }
    if (mmc_want(rt, start, 0x0001)) {
        uint8_t *p = b + n;

        n += mmc_feature(p, 0x0001, 0x0b, 8);    /* Core, version 2 */
        put_be32(p + 4, 2);                      /* ATAPI */
    }
    if (mmc_want(rt, start, 0x0003)) {
        uint8_t *p = b + n;

        n += mmc_feature(p, 0x0003, 0x03, 4);    /* Removable Medium */
        p[4] = 0x29;                             /* tray, eject, lock */
    }
    put_be32(b, n - 4);
    return mmc_reply(n, get_be16(d->cdb + 7));
}

static int mmc_get_event_status(ide_drive *d, uint8_t *b)
{
    if (!(d->cdb[1] & 0x01)) {
        /* Only polled operation (MMC-5 §6.8.2). */
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
    b[3] = 0x10;                    /* supported: media class */
    if (d->cdb[4] & 0x10) {
        put_be16(b, 6);
        b[2] = 0x04;                /* media class */
        b[4] = d->media_event;      /* reported once (§6.8.2.5) */
        /* Media Status: bit 1 present, bit 0 tray open (no disc). */
        b[5] = d->medium ? 0x02 : 0x01;
        d->media_event = MMC_EVENT_NONE;
        return mmc_reply(8, get_be16(d->cdb + 7));
    }
    put_be16(b, 2);
    b[2] = 0x80;                    /* no event available */
    return mmc_reply(4, get_be16(d->cdb + 7));
}

/* START STOP UNIT (SBC-3 §5.x): LoEj with Start=0 ejects; a locked tray
 * refuses (ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED). */
static int mmc_start_stop(ide_drive *d)
{
    bool loej = d->cdb[4] & 0x02, start = d->cdb[4] & 0x01;

    if (loej && !start && !ide_media_guest_eject(d)) {
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED);
    }
    return 0;
}

static int mmc_read_disc_info(ide_drive *d, uint8_t *b)
{
    if (d->cdb[1] & 0x07) {
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
    put_be16(b, 32);
    b[2] = 0x0e;            /* last session complete, disc complete */
    b[3] = 1;               /* first track */
    b[4] = 1;               /* sessions */
    b[5] = 1;               /* first track in last session */
    b[6] = 1;               /* last track in last session */
    b[7] = 0x20;            /* unrestricted use */
    memset(b + 16, 0xff, 8);    /* no lead-in/out start times */
    return mmc_reply(34, get_be16(d->cdb + 7));
}

/* ---- data commands ---- */

static bool mmc_range_ok(ide_drive *d, uint64_t lba, uint64_t blocks)
{
    uint64_t cap = ide_atapi_blocks(d);

    if (lba > cap || blocks > cap - lba) {
        ide_atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        return false;
    }
    return true;
}

static int mmc_read(ide_drive *d, bool twelve)
{
    uint32_t lba = get_be32(d->cdb + 2);
    uint32_t blocks = twelve ? get_be32(d->cdb + 6) : get_be16(d->cdb + 7);

    if (blocks > G_MAXUINT32 / 4) {
        return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    }
    if (!mmc_range_ok(d, lba, blocks)) {
        return -1;
    }
    ide_atapi_start_read(d, lba, blocks);
    return -2;
}

static int mmc_dispatch(ide_drive *d, uint8_t *b)
{
    switch (d->cdb[0]) {
    case SCSI_START_STOP:
        return mmc_start_stop(d);
    case SCSI_TEST_UNIT_READY:
    case MMC_SET_CD_SPEED:
    case SCSI_SYNC_CACHE:
        return 0;
    case SCSI_PREVENT_ALLOW:
        d->locked = d->cdb[4] & 0x01;
        return 0;
    case SCSI_SEEK_10:
        return mmc_range_ok(d, get_be32(d->cdb + 2), 0) ? 0 : -1;
    case SCSI_VERIFY_10:
        return mmc_range_ok(d, get_be32(d->cdb + 2), get_be16(d->cdb + 7))
               ? 0 : -1;
    case SCSI_REQUEST_SENSE:
        return mmc_request_sense(d, b);
    case SCSI_INQUIRY:
        return mmc_inquiry(d, b);
    case SCSI_READ_CAPACITY:
        return mmc_read_capacity(d, b);
    case SCSI_MODE_SENSE_6:
        return mmc_mode_sense(d, b, false);
    case SCSI_MODE_SENSE_10:
        return mmc_mode_sense(d, b, true);
    case MMC_READ_TOC:
        return mmc_read_toc(d, b);
    case MMC_GET_CONFIGURATION:
        return mmc_get_configuration(d, b);
    case MMC_GET_EVENT_STATUS:
        return mmc_get_event_status(d, b);
    case MMC_READ_DISC_INFO:
        return mmc_read_disc_info(d, b);
    case MMC_MECHANISM_STATUS:
        return mmc_reply(8, get_be16(d->cdb + 8));
    case SCSI_READ_10:
        return mmc_read(d, false);
    case SCSI_READ_12:
        return mmc_read(d, true);
    }
    return mmc_fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}

/* Commands that report a pending UNIT ATTENTION rather than run (SPC-3
 * §5.6.5: all but INQUIRY and REQUEST SENSE; MMC-5 lets GESN and GET
 * CONFIGURATION through too, so drivers can poll for events). */
static bool mmc_reports_attention(uint8_t op)
{
    return op != SCSI_INQUIRY && op != SCSI_REQUEST_SENSE &&
           op != MMC_GET_EVENT_STATUS && op != MMC_GET_CONFIGURATION;
}

static bool mmc_needs_medium(uint8_t op)
{
    switch (op) {
    case SCSI_TEST_UNIT_READY:
    case SCSI_READ_CAPACITY:
    case SCSI_READ_10:
    case SCSI_READ_12:
    case SCSI_SEEK_10:
    case SCSI_VERIFY_10:
    case MMC_READ_TOC:
    case MMC_READ_DISC_INFO:
        return true;
    }
    return false;
}

int ide_atapi_mmc(ide_drive *d)
{
    uint8_t *b = d->dma_buf;
    uint8_t op = d->cdb[0];

    memset(b, 0, ATAPI_REPLY_MAX);
    /* REQUEST SENSE reports the previous command's sense; any other
     * command starts from a clean one. */
    if (op != SCSI_REQUEST_SENSE) {
        d->sense_key = d->asc = 0;
    }
    if (d->unit_attention && mmc_reports_attention(op)) {
        d->unit_attention = false;
        return mmc_fail(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED);
    }
    if (!d->medium && mmc_needs_medium(op)) {
        return mmc_fail(d, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    }
    return mmc_dispatch(d, b);
}
