/* SPDX-License-Identifier: MIT */
/*
 * The QEMU IDE/ATAPI CVE patterns that apply to hvmemu's controller, each
 * a test named for its CVE (docs/cve-regressions.md): the guest does what
 * the exploit did; the device must answer with its error bits, do bounded
 * work, touch nothing outside the disc, the disk and guest RAM, and serve
 * the next command normally.
 */
#include <string.h>

#include "atapi-harness.h"

#define DISK_BUF 0x200000

/* A plain READ DMA of one sector still works: the device is healthy. */
static void assert_disk_healthy(ih *h)
{
    ih_prd ok = { DISK_BUF, 512 | PRD_EOT };

    g_assert_cmphex(ih_dma(h, ATA_CMD_READ_DMA, 7, 1, &ok, 1, PRDT_GPA), ==,
                    BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(h) & (ATA_SR_ERR | ATA_SR_DRQ | ATA_SR_BSY),
                    ==, 0);
}

static void assert_cd_healthy(ih *h)
{
    uint8_t cdb[12], want[2048];
    static ih_reply r;

    ih_cdb_read10(cdb, 3, 1);
    ih_packet_pio(h, cdb, 0xfffe, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 2048);
    ih_cd_expected(want, 3, 1);
    g_assert_cmpmem(r.data, 2048, want, 2048);
}

/*
 * CVE-2014-9718: a PRD table whose regions add up to less than one sector
 * ("zero complete sectors") made QEMU's DMA loop spin. Here the transfer
 * stops at the end of the table with the Bus Master spec's "PRDs shorter
 * than the transfer" status (ACTIVE=0, INTR=0, no interrupt) and the
 * drive idle, for reads and writes. A region of byte count 1 is count 0
 * (bit 0 is reserved), which the spec reads as 64 KiB: that transfer
 * completes with the "PRDs longer" status (ACTIVE=1, INTR=1).
 */
static void test_cve_2014_9718_short_prdt(void)
{
    ih_prd two[2] = { { DISK_BUF, 2 }, { DISK_BUF + 2, 2 | PRD_EOT } };
    ih_prd one = { DISK_BUF, 1 | PRD_EOT };
    ih h;

    ih_setup(&h, NULL);
    g_assert_cmphex(ih_dma(&h, ATA_CMD_READ_DMA, 0, 1, two, 2, PRDT_GPA), ==,
                    0);
    assert_disk_healthy(&h);
    g_assert_cmphex(ih_dma(&h, ATA_CMD_WRITE_DMA, 0, 1, two, 2, PRDT_GPA), ==,
                    0);
    assert_disk_healthy(&h);
    g_assert_cmphex(ih_dma(&h, ATA_CMD_READ_DMA, 0, 1, &one, 1, PRDT_GPA), ==,
                    BM_ST_INTR | BM_ST_ACTIVE);
    assert_disk_healthy(&h);
    ih_teardown(&h);
}

/*
 * CVE-2014-2894: SMART READ LOG with a hostile log address and sector
 * count indexed past QEMU's SMART buffer. hvmemu has no SMART feature set
 * (IDENTIFY word 82 bit 0 clear): the command aborts, no data phase, and
 * reads of the data port give nothing away.
 */
static void test_cve_2014_2894_smart(void)
{
    static const uint8_t subcommands[] = { 0xd5, 0xd6, 0xd0, 0xda };
    uint16_t id[256];
    ih h;

    ih_setup(&h, NULL);
    g_assert_true(ih_identify(&h, 0, id));
    g_assert_cmphex(id[82] & 1, ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++) {
        ih_outb(&h, IH_CMD + ATA_REG_DEVICE, 0xa0);
        ih_outb(&h, IH_CMD + ATA_REG_FEATURE, subcommands[i]);
        ih_outb(&h, IH_CMD + ATA_REG_NSECTOR, 0xff);
        ih_outb(&h, IH_CMD + ATA_REG_LBAL, 0xff);   /* log address */
        ih_outb(&h, IH_CMD + ATA_REG_LBAM, 0x4f);   /* SMART signature */
        ih_outb(&h, IH_CMD + ATA_REG_LBAH, 0xc2);
        ih_outb(&h, IH_CMD + ATA_REG_COMMAND, 0xb0);
        g_assert_true(ih_wait_irq(&h));
        g_assert_cmphex(ih_status(&h) & (ATA_SR_ERR | ATA_SR_DRQ), ==,
                        ATA_SR_ERR);
        g_assert_cmphex(ih_error(&h), ==, ATA_ER_ABRT);
        for (unsigned w = 0; w < 512; w++) {
            ih_inw(&h, IH_CMD);
        }
        g_assert_cmphex(ih_altstatus(&h) & ATA_SR_DRQ, ==, 0);
    }
    assert_disk_healthy(&h);
    ih_teardown(&h);
}

/*
 * CVE-2015-5154: data-port writes past the 12-byte ATAPI packet (and
 * after the command) overflowed QEMU's I/O buffer. Here the packet is
 * taken once, extra words are ignored, and data-port accesses without
 * DRQ do nothing.
 */
static void test_cve_2015_5154_packet_overrun(void)
{
    ih h;

    ih_cd_setup(&h, NULL);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, 0);
    ih_outb(&h, IH_CMD + ATA_REG_FEATURE, 0);
    ih_outb(&h, IH_CMD + ATA_REG_LBAM, 0xfe);
    ih_outb(&h, IH_CMD + ATA_REG_LBAH, 0xff);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_PACKET);
    /* A TEST UNIT READY packet, then 64 KiB more of packet writes. */
    for (unsigned i = 0; i < 6; i++) {
        ih_outw(&h, IH_CMD, 0);
    }
    for (unsigned i = 0; i < 32768; i++) {
        ih_outw(&h, IH_CMD, 0x4141);
    }
    g_assert_cmphex(ih_wait_ready(&h) & (ATA_SR_BSY | ATA_SR_DRQ), ==, 0);
    ih_status(&h);
    /* No command at all: the data port is inert both ways. */
    for (unsigned i = 0; i < 32768; i++) {
        ih_outl(&h, IH_CMD, 0x41414141);
        ih_inl(&h, IH_CMD);
    }
    g_assert_cmphex(ih_altstatus(&h) & (ATA_SR_BSY | ATA_SR_DRQ), ==, 0);
    assert_cd_healthy(&h);
    ih_teardown(&h);
}

/* READ(12): LBA and transfer length both 32-bit. */
static void cdb_read12(uint8_t *cdb, uint32_t lba, uint32_t n)
{
    memset(cdb, 0, 12);
    cdb[0] = 0xa8;
    for (int i = 0; i < 4; i++) {
        cdb[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
        cdb[6 + i] = (uint8_t)(n >> (24 - 8 * i));
    }
}

/*
 * CVE-2020-29443: an ATAPI read whose LBA and length run past the disc
 * (or wrap 32 bits) drove QEMU's transfer index past its buffer. Here
 * each is CHECK CONDITION, ILLEGAL REQUEST / LOGICAL BLOCK ADDRESS OUT OF
 * RANGE (21h; INVALID FIELD IN CDB, 24h, for a length beyond any
 * transfer), with no data phase, by PIO and by DMA.
 */
static void test_cve_2020_29443_atapi_lba(void)
{
    static const struct {
        uint32_t lba, n;
        bool read12;
        uint8_t asc;
    } bad[] = {
        { 0xffffffffu, 1, false, 0x21 },
        { CD_BLOCKS - 1, 2, false, 0x21 },
        { CD_BLOCKS, 0xffff, false, 0x21 },
        { 0xfffffff0u, 0x20, true, 0x21 },      /* lba + n wraps */
        { CD_BLOCKS, 1, true, 0x21 },
        /* A length no transfer can have: INVALID FIELD IN CDB. */
        { 1, 0xffffffffu, true, 0x24 },
    };
    uint8_t cdb[12];
    static ih_reply r;
    ih h;

    ih_cd_setup(&h, NULL);
    assert_cd_healthy(&h);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (bad[i].read12) {
            cdb_read12(cdb, bad[i].lba, bad[i].n);
        } else {
            ih_cdb_read10(cdb, bad[i].lba, (uint16_t)bad[i].n);
        }
        g_test_message("READ(%d) LBA %u, %u blocks", bad[i].read12 ? 12 : 10,
                       bad[i].lba, bad[i].n);
        ih_packet_pio(&h, cdb, 0xfffe, &r);
        g_assert_cmphex(r.status & ATA_SR_ERR, ==, ATA_SR_ERR);
        g_assert_cmpuint(r.len, ==, 0);
        ih_check_sense(&h, 0x05, bad[i].asc);
        /* By DMA: the command ends with its interrupt and nothing of
         * the disc reaches the buffer. */
        memset(hv_memhost_ram(h.mh) + BUF_GPA, 0xee, 2048);
        g_assert_cmphex(ih_packet_dma(&h, cdb, 2048) & BM_ST_INTR, ==,
                        BM_ST_INTR);
        g_assert_cmphex(ih_altstatus(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
        g_assert_cmphex(hv_memhost_ram(h.mh)[BUF_GPA + 2047], ==, 0xee);
        ih_check_sense(&h, 0x05, bad[i].asc);
    }
    assert_cd_healthy(&h);
    ih_teardown(&h);
}

/*
 * ATAPI allocation lengths (the family of QEMU fixes where a reply was
 * sized by the guest's allocation length instead of the data): every
 * command gives at most min(its data, allocation length), in DRQ blocks
 * within the byte count limit (checked by ih_packet_pio), and nothing
 * for an allocation length of 0.
 */
static void test_atapi_allocation_length(void)
{
    static const uint8_t cdbs[][12] = {
        { 0x12, 0, 0, 0, 0xff },                             /* INQUIRY */
        { 0x03, 0, 0, 0, 0xff },                             /* REQ SENSE */
        { 0x5a, 0, 0x3f, 0, 0, 0, 0, 0xff, 0xff },           /* MODE SENSE */
        { 0x43, 0, 0, 0, 0, 0, 0, 0xff, 0xff },              /* READ TOC */
        { 0x43, 2, 2, 0, 0, 0, 0, 0xff, 0xff },              /* TOC full */
        { 0x46, 2, 0, 0, 0, 0, 0, 0xff, 0xff },              /* GET CONFIG */
        { 0x4a, 1, 0, 0, 0xff, 0, 0, 0xff, 0xff },           /* GESN */
        { 0x51, 0, 0, 0, 0, 0, 0, 0xff, 0xff },              /* DISC INFO */
        { 0xad, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff },           /* DVD STRUCT */
    };
    static ih_reply r, zero;
    ih h;

    ih_cd_setup(&h, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cdbs); i++) {
        uint8_t c[12];

        memcpy(c, cdbs[i], 12);
        ih_packet_pio(&h, c, 0xfffe, &r);
        /* Real replies of these commands are small: a few KiB at most. */
        g_assert_cmpuint(r.len, <=, 4096);
        /* Allocation length 0: no data phase, whatever the command. */
        if (c[0] == 0x12 || c[0] == 0x03) {
            c[4] = 0;
        } else {
            c[7] = c[8] = 0;
        }
        if (c[0] == 0xad) {
            c[8] = c[9] = 0;
        }
        ih_packet_pio(&h, c, 0xfffe, &zero);
        g_assert_cmpuint(zero.len, ==, 0);
        g_test_message("cdb %02x: %u bytes for the largest allocation, %u for 0",
                       c[0], r.len,
                       zero.len);
    }
    /* A one-byte allocation length gets one byte. */
    {
        uint8_t inq[12] = { 0x12, 0, 0, 0, 1 };

        ih_packet_pio(&h, inq, 0xfffe, &r);
        g_assert_cmpuint(r.len, ==, 1);
    }
    assert_cd_healthy(&h);
    ih_teardown(&h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide/cve/CVE-2014-9718-short-prdt",
                    test_cve_2014_9718_short_prdt);
    g_test_add_func("/ide/cve/CVE-2014-2894-smart",
                    test_cve_2014_2894_smart);
    g_test_add_func("/ide/cve/CVE-2015-5154-packet-overrun",
                    test_cve_2015_5154_packet_overrun);
    g_test_add_func("/ide/cve/CVE-2020-29443-atapi-lba",
                    test_cve_2020_29443_atapi_lba);
    g_test_add_func("/ide/cve/atapi-allocation-length",
                    test_atapi_allocation_length);
    return g_test_run();
}
