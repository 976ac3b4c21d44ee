/* SPDX-License-Identifier: MIT */
/*
 * ATAPI DVD-ROM (devtype=cdrom): signature, IDENTIFY PACKET DEVICE, the
 * PACKET protocol by PIO (byte count limit, DRQ blocks, Interrupt Reason)
 * and DMA, the MMC commands guests probe with, errors and sense data.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "atapi-harness.h"

static void test_signature_identify(void)
{
    uint16_t w[256];
    char model[41];
    ih h;

    ih_cd_setup(&h, NULL);
    ih_outb(&h, IH_CTL, ATA_DC_SRST);
    ih_outb(&h, IH_CTL, 0);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAM), ==, 0x14);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAH), ==, 0xeb);
    /* IDENTIFY DEVICE aborts and leaves the signature. */
    ih_command(&h, 0, ATA_CMD_IDENTIFY, 0, 0, false);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(ih_error(&h), ==, ATA_ER_ABRT);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAM), ==, 0x14);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAH), ==, 0xeb);
    /* IDENTIFY PACKET DEVICE */
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_IDENTIFY_PACKET);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h) & (ATA_SR_DRQ | ATA_SR_ERR), ==,
                    ATA_SR_DRQ);
    for (unsigned i = 0; i < 256; i++) {
        w[i] = ih_inw(&h, IH_CMD);
    }
    g_assert_cmphex(w[0], ==, 0x85c0);
    for (unsigned i = 0; i < 20; i++) {
        model[2 * i] = (char)(w[27 + i] >> 8);
        model[2 * i + 1] = (char)w[27 + i];
    }
    model[40] = 0;
    g_assert_true(g_str_has_prefix(model, "HVMEMU DVD-ROM "));
    g_assert_cmphex(w[49] & 0x0300, ==, 0x0300);
    /* Writes to a CD abort. */
    ih_command(&h, 0, ATA_CMD_WRITE_SECTORS, 0, 1, false);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
    ih_teardown(&h);
}

static void test_mmc_probe(void)
{
    uint8_t inquiry[12] = { 0x12, 0, 0, 0, 96 };
    uint8_t tur[12] = { 0 };
    uint8_t cap[12] = { 0x25 };
    uint8_t mode[12] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 0xff };
    uint8_t config[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 0xff };
    uint8_t toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 0xff };
    uint8_t event[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
    static ih_reply r;
    ih h;

    ih_cd_setup(&h, NULL);
    ih_packet_pio(&h, tur, 0x1000, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 0);
    ih_packet_pio(&h, inquiry, 0x1000, &r);
    g_assert_cmpuint(r.len, ==, 36);
    g_assert_cmphex(r.data[0], ==, 0x05);
    g_assert_cmphex(r.data[1], ==, 0x80);
    g_assert_cmpmem(r.data + 8, 8, "HVMEMU  ", 8);
    ih_packet_pio(&h, cap, 0x1000, &r);
    g_assert_cmpuint(r.len, ==, 8);
    g_assert_cmphex(r.data[3], ==, CD_BLOCKS - 1);
    g_assert_cmphex(r.data[6], ==, 0x08);   /* 2048 */
    ih_packet_pio(&h, mode, 0x1000, &r);
    g_assert_cmphex(r.data[8], ==, 0x2a);
    ih_packet_pio(&h, config, 0x1000, &r);
    g_assert_cmphex(r.data[7], ==, 0x08);   /* CD-ROM profile */
    ih_packet_pio(&h, toc, 0x1000, &r);
    g_assert_cmpuint(r.len, ==, 20);
    g_assert_cmphex(r.data[14], ==, 0xaa);
    g_assert_cmphex(r.data[19], ==, CD_BLOCKS);
    ih_packet_pio(&h, event, 0x1000, &r);
    g_assert_cmpuint(r.len, ==, 8);
    g_assert_cmphex(r.data[5], ==, 0x02);   /* media present */
    /* Allocation length truncates. */
    inquiry[4] = 5;
    ih_packet_pio(&h, inquiry, 0x1000, &r);
    g_assert_cmpuint(r.len, ==, 5);
    ih_teardown(&h);
}

static void test_read_pio(void)
{
    uint8_t cdb[12];
    g_autofree uint8_t *want = g_malloc(16 * 2048);
    static ih_reply r;
    ih h;

    ih_cd_setup(&h, NULL);
    ih_cdb_read10(cdb, 3, 5);
    ih_packet_pio(&h, cdb, 0x2000, &r);    /* 4 blocks per DRQ, then 1 */
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 5 * 2048);
    g_assert_cmpuint(r.drq_blocks, ==, 2);
    ih_cd_expected(want, 3, 5);
    g_assert_cmpmem(r.data, r.len, want, 5 * 2048);
    /* An odd limit is rounded down; blocks straddle DRQ boundaries. */
    ih_cdb_read10(cdb, CD_BLOCKS - 2, 2);
    ih_packet_pio(&h, cdb, 1001, &r);
    g_assert_cmpuint(r.len, ==, 2 * 2048);
    g_assert_cmpuint(r.drq_blocks, ==, 5);
    ih_cd_expected(want, CD_BLOCKS - 2, 2);
    g_assert_cmpmem(r.data, r.len, want, 2 * 2048);
    ih_teardown(&h);
}

static void test_errors(void)
{
    uint8_t cdb[12];
    uint8_t bad[12] = { 0xff };
    uint8_t evt[12] = { 0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8 };
    static ih_reply r;
    ih h;

    ih_cd_setup(&h, "x-inject-eio=40+4");     /* 512-byte sectors: block 10 */
    ih_cdb_read10(cdb, CD_BLOCKS - 1, 2);
    ih_packet_pio(&h, cdb, 0x8000, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(r.error >> 4, ==, 0x05);
    ih_check_sense(&h, 0x05, 0x21);
    ih_check_sense(&h, 0x00, 0x00);            /* sense is consumed */
    ih_packet_pio(&h, bad, 0x8000, &r);
    g_assert_cmphex(r.error >> 4, ==, 0x05);
    ih_check_sense(&h, 0x05, 0x20);
    ih_packet_pio(&h, evt, 0x8000, &r);        /* not polled */
    ih_check_sense(&h, 0x05, 0x24);
    /* Backend error: MEDIUM ERROR. */
    ih_cdb_read10(cdb, 8, 4);
    ih_packet_pio(&h, cdb, 0x8000, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(r.error >> 4, ==, 0x03);
    ih_check_sense(&h, 0x03, 0x11);
    g_assert_cmphex(ih_packet_dma(&h, cdb, 4 * 2048), ==, BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(ih_error(&h) >> 4, ==, 0x03);
    ih_teardown(&h);
}

/* GESN media class: returns the event code, *status the Media Status. */
static uint8_t gesn_media(ih *h, uint8_t *status)
{
    uint8_t cdb[12] = { 0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 8 };
    static ih_reply r;

    ih_packet_pio(h, cdb, 0x8000, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 8);
    *status = r.data[5];
    return r.data[4] & 0x0f;
}

static void expect_fail(ih *h, const uint8_t *cdb, uint8_t key, uint8_t asc)
{
    static ih_reply r;

    ih_packet_pio(h, cdb, 0x8000, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(r.error >> 4, ==, key);
    ih_check_sense(h, key, asc);
}

static void expect_ok(ih *h, const uint8_t *cdb)
{
    static ih_reply r;

    ih_packet_pio(h, cdb, 0x8000, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, 0);
}

/* The admin's eject and insert (hv_media_*), and the guest's: what Linux's
 * sr and Windows' cdrom watch for (MMC-5 §6.8, SPC-3 §5.6.5). */
static void test_media_change(void)
{
    uint8_t tur[12] = { 0x00 }, cap[12] = { 0x25 };
    uint8_t lock[12] = { 0x1e, 0, 0, 0, 0x01 }, unlock[12] = { 0x1e };
    uint8_t eject[12] = { 0x1b, 0, 0, 0, 0x02 };
    uint8_t inquiry[12] = { 0x12, 0, 0, 0, 36 };
    g_autofree char *disc2 = NULL;
    g_autofree uint8_t *want = g_malloc(2048);
    GError *err = NULL;
    uint8_t cdb[12], st;
    static ih_reply r;
    int fd;
    ih h;

    ih_cd_setup(&h, NULL);
    g_assert_cmpuint(gesn_media(&h, &st), ==, 0);
    g_assert_cmphex(st, ==, 0x02);              /* present, no event */
    /* A locked tray refuses the admin's eject, unless forced. */
    expect_ok(&h, lock);
    g_assert_false(hv_media_eject(h.ctx, "hda", false, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_BUSY);
    g_clear_error(&err);
    expect_fail(&h, eject, 0x05, 0x53);         /* and the guest's */
    g_assert_true(hv_media_eject(h.ctx, "hda", true, &err));
    g_assert_no_error(err);
    expect_ok(&h, unlock);
    g_assert_cmpuint(gesn_media(&h, &st), ==, 3);   /* Media Removal */
    g_assert_cmphex(st, ==, 0x01);
    g_assert_cmpuint(gesn_media(&h, &st), ==, 0);   /* reported once */
    expect_fail(&h, tur, 0x02, 0x3a);
    expect_fail(&h, cap, 0x02, 0x3a);
    ih_cdb_read10(cdb, 0, 1);
    expect_fail(&h, cdb, 0x02, 0x3a);
    g_assert_false(hv_media_eject(h.ctx, "hda", false, &err));
    g_clear_error(&err);
    /* Insert a bigger disc with other contents. */
    fd = g_file_open_tmp("hvmemu-disc2-XXXXXX", &disc2, NULL);
    ih_fill(want, 2048, 77);
    g_assert_cmpint(ftruncate(fd, 100 * 2048), ==, 0);
    g_assert_cmpint(pwrite(fd, want, 2048, 5 * 2048), ==, 2048);
    close(fd);
    g_assert_false(hv_media_insert(h.ctx, "hda", "/nonexistent.iso", &err));
    g_clear_error(&err);
    g_assert_true(hv_media_insert(h.ctx, "hda", disc2, &err));
    g_assert_no_error(err);
    g_assert_false(hv_media_insert(h.ctx, "hda", disc2, &err)); /* loaded */
    g_clear_error(&err);
    expect_ok(&h, inquiry);                 /* INQUIRY: no attention */
    g_assert_cmpuint(gesn_media(&h, &st), ==, 2);   /* New Media */
    g_assert_cmphex(st, ==, 0x02);
    expect_fail(&h, tur, 0x06, 0x28);       /* UNIT ATTENTION, once */
    expect_ok(&h, tur);
    ih_packet_pio(&h, cap, 0x8000, &r);
    g_assert_cmpuint((uint32_t)r.data[0] << 24 | r.data[1] << 16 |
                     r.data[2] << 8 | r.data[3], ==, 99);
    ih_cdb_read10(cdb, 5, 1);
    ih_packet_pio(&h, cdb, 0x8000, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, 0);
    g_assert_cmpmem(r.data, 2048, want, 2048);
    /* The guest's own eject. */
    expect_ok(&h, eject);
    expect_fail(&h, tur, 0x02, 0x3a);
    g_assert_false(hv_media_eject(h.ctx, "nosuch", false, &err));
    g_clear_error(&err);
    unlink(disc2);
    ih_teardown(&h);
}

static void test_empty_drive(void)
{
    hv_memhost *mh = hv_memhost_new(1 << 20);
    hv_loop *loop = hv_loop_new();
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, loop);
    GError *err = NULL;

    /* A drive without a disc (xl: target= left empty). */
    g_assert_nonnull(hv_device_create(ctx, "piix-ide,disk0=vdev=hdc,,devtype=cdrom,,target=",
                                      &err));
    g_assert_no_error(err);
    g_assert_false(hv_media_eject(ctx, "hdc", false, &err));
    g_clear_error(&err);
    hv_ctx_free(ctx);
    hv_loop_free(loop);
    hv_memhost_free(mh);
}

static void test_read_dma(void)
{
    uint8_t cdb[12];
    uint8_t inquiry[12] = { 0x12, 0, 0, 0, 36 };
    g_autofree uint8_t *want = g_malloc(8 * 2048);
    uint8_t *ram;
    ih h;

    ih_cd_setup(&h, NULL);
    ram = hv_memhost_ram(h.mh);
    ih_cdb_read10(cdb, 7, 8);
    g_assert_cmphex(ih_packet_dma(&h, cdb, 8 * 2048), ==, BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_ERR, ==, 0);
    ih_cd_expected(want, 7, 8);
    g_assert_cmpmem(ram + BUF_GPA, 8 * 2048, want, 8 * 2048);
    memset(ram + BUF_GPA, 0, 64);
    g_assert_cmphex(ih_packet_dma(&h, inquiry, 36), ==, BM_ST_INTR);
    g_assert_cmphex(ram[BUF_GPA], ==, 0x05);
    ih_teardown(&h);
}

static void test_device_reset(void)
{
    uint8_t tur[12] = { 0 };
    static ih_reply r;
    ih h;

    ih_cd_setup(&h, NULL);
    /* Stuck waiting for a packet: DEVICE RESET is accepted anyway. */
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, 0);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_PACKET);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_DRQ, ==, ATA_SR_DRQ);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_DEVICE_RESET);
    g_assert_cmphex(ih_altstatus(&h) & (ATA_SR_DRQ | ATA_SR_BSY), ==, 0);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAH), ==, 0xeb);
    ih_packet_pio(&h, tur, 0, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, 0);
    ih_teardown(&h);
}

static void test_mixed_channel(void)
{
    ih_conf c = { .slave = true, .slave_keys = "devtype=cdrom" };
    uint16_t w[256];
    ih h;

    /* ATA master + ATAPI slave: each unit reports its own signature
     * after reset (per-unit task file). */
    ih_setup(&h, &c);
    ih_outb(&h, IH_CTL, ATA_DC_SRST);
    ih_outb(&h, IH_CTL, 0);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAH), ==, 0x00);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_DEV);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAM), ==, 0x14);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAH), ==, 0xeb);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[0], ==, 0x0040);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_DEV);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_IDENTIFY_PACKET);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h) & ATA_SR_DRQ, ==, ATA_SR_DRQ);
    g_assert_cmphex(ih_inw(&h, IH_CMD), ==, 0x85c0);
    /* The disk still works next to it. */
    ih_command(&h, 0, ATA_CMD_FLUSH_CACHE, 0, 0, false);
    g_assert_true(ih_wait_irq(&h));
    ih_teardown(&h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide/atapi/signature-identify", test_signature_identify);
    g_test_add_func("/ide/atapi/mmc-probe", test_mmc_probe);
    g_test_add_func("/ide/atapi/read-pio", test_read_pio);
    g_test_add_func("/ide/atapi/read-dma", test_read_dma);
    g_test_add_func("/ide/atapi/errors", test_errors);
    g_test_add_func("/ide/atapi/device-reset", test_device_reset);
    g_test_add_func("/ide/atapi/mixed-channel", test_mixed_channel);
    g_test_add_func("/ide/atapi/media-change", test_media_change);
    g_test_add_func("/ide/atapi/empty-drive", test_empty_drive);
    return g_test_run();
}
