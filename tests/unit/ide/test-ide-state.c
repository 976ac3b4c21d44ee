/* SPDX-License-Identifier: MIT */
/*
 * Save/restore of the IDE controller (hvmemu/state.h, hw/ide/ide_state.c):
 * a state taken in the middle of a command is loaded into a second
 * controller (a copy of the guest's RAM, the same images, its PCI
 * function not programmed) and the guest driver carries on there as if
 * nothing happened. Refusals: another configuration, a damaged file, a
 * save with requests in flight. Every byte of a state, overwritten,
 * either loads into a working controller or is refused: never a crash.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "atapi-harness.h"

#define SECTORS 8

static GBytes *save(ih *h)
{
    GError *err = NULL;
    GBytes *b = hv_ctx_save_state(h->ctx, &err);

    g_assert_no_error(err);
    g_assert_nonnull(b);
    return b;
}

static void load_ok(ih *dst, GBytes *b)
{
    GError *err = NULL;
    gsize len;
    const void *p = g_bytes_get_data(b, &len);

    g_assert_true(hv_ctx_load_state(dst->ctx, p, len, &err));
    g_assert_no_error(err);
}

static void image_pattern(ih *h, unsigned unit, unsigned seed)
{
    g_autofree uint8_t *buf = g_malloc(IH_SMALL_SECTORS * 512);
    int fd = open(h->img[unit], O_WRONLY);

    ih_fill(buf, IH_SMALL_SECTORS * 512, seed);
    g_assert_cmpint(pwrite(fd, buf, IH_SMALL_SECTORS * 512, 0), ==,
                    IH_SMALL_SECTORS * 512);
    close(fd);
}

static void read_image(ih *h, unsigned unit, uint64_t lba, uint8_t *buf,
                       size_t len)
{
    int fd = open(h->img[unit], O_RDONLY);

    g_assert_cmpint(pread(fd, buf, len, (off_t)lba * 512), ==, (ssize_t)len);
    close(fd);
}

/* READ SECTORS by PIO: three sectors before the save, five after it on
 * the restored controller; all eight are the disk's. */
static void test_pio_read_midway(void)
{
    uint8_t want[SECTORS * 512], got[SECTORS * 512];
    g_autoptr(GBytes) state = NULL;
    ih a, b;

    ih_setup(&a, NULL);
    image_pattern(&a, 0, 7);
    read_image(&a, 0, 100, want, sizeof(want));
    ih_command(&a, 0, ATA_CMD_READ_SECTORS, 100, SECTORS, false);
    ih_pio_read_part(&a, got, 3, 1, false);
    g_assert_true(ih_wait_irq(&a));     /* the 4th block is ready */
    state = save(&a);

    ih_setup_twin(&b, &a, NULL, true);
    load_ok(&b, state);
    g_assert_cmpuint(ih_irq(&b), ==, 1);   /* its interrupt still pending */
    ih_pio_read(&b, got + 3 * 512, SECTORS - 3, 1, false);
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
    g_assert_cmpuint(ih_status(&b) & (ATA_SR_BSY | ATA_SR_DRQ | ATA_SR_ERR),
                     ==, 0);
    ih_teardown(&b);
    ih_teardown(&a);
}

/* WRITE SECTORS by PIO: half a sector is in the device's buffer when the
 * state is taken; the rest written to the restored one lands whole. */
static void test_pio_write_midway(void)
{
    uint8_t data[2 * 512], back[2 * 512];
    g_autoptr(GBytes) state = NULL;
    ih a, b;

    ih_setup(&a, NULL);
    ih_fill(data, sizeof(data), 9);
    ih_command(&a, 0, ATA_CMD_WRITE_SECTORS, 40, 2, false);
    g_assert_true(ih_wait_ready(&a) & ATA_SR_DRQ);
    for (unsigned i = 0; i < 128; i++) {        /* 256 of 512 bytes */
        ih_outw(&a, IH_CMD + ATA_REG_DATA, data[2 * i] | data[2 * i + 1] << 8);
    }
    state = save(&a);

    ih_setup_twin(&b, &a, NULL, true);
    load_ok(&b, state);
    for (unsigned i = 128; i < 512; i++) {
        ih_outw(&b, IH_CMD + ATA_REG_DATA, data[2 * i] | data[2 * i + 1] << 8);
        if (i == 255) {
            g_assert_true(ih_wait_irq(&b));
            g_assert_true(ih_status(&b) & ATA_SR_DRQ);
        }
    }
    g_assert_true(ih_wait_irq(&b));
    g_assert_cmpuint(ih_status(&b) & (ATA_SR_BSY | ATA_SR_ERR), ==, 0);
    read_image(&b, 0, 40, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    ih_teardown(&b);
    ih_teardown(&a);
}

/* The restored controller decodes its bus master where the guest put it
 * (the twin never programmed BAR4) and runs DMA; settings the guest made
 * (write cache off, multiple mode) come along. */
static void test_dma_and_settings(void)
{
    uint8_t want[4 * 512], got[4 * 512];
    ih_prd prd = { 0x200000, sizeof(got) | PRD_EOT };
    g_autoptr(GBytes) state = NULL;
    uint16_t id[256];
    ih a, b;

    ih_setup(&a, NULL);
    image_pattern(&a, 0, 3);
    /* A DMA command before the save leaves its chunk size behind (what
     * the first lab run of save-restore tripped over). */
    {
        ih_prd big = { 0x200000, (64 * 512) | PRD_EOT };

        g_assert_cmpuint(ih_dma(&a, ATA_CMD_READ_DMA, 0, 64, &big, 1,
                                0x1000) & (BM_ST_ERR | BM_ST_INTR), ==,
                         BM_ST_INTR);
    }
    ih_outb(&a, IH_CMD + ATA_REG_FEATURE, 0x82);     /* write cache off */
    ih_command(&a, 0, 0xef, 0, 0, false);
    g_assert_true(ih_wait_irq(&a));
    ih_status(&a);
    ih_command(&a, 0, ATA_CMD_SET_MULTIPLE, 0, 8, false);
    g_assert_true(ih_wait_irq(&a));
    ih_status(&a);
    state = save(&a);

    ih_setup_twin(&b, &a, NULL, true);
    g_assert_cmpuint(ih_cfg_read(&b, 0x20, 4) & ~3u, ==, 0);
    load_ok(&b, state);
    g_assert_cmpuint(ih_cfg_read(&b, 0x20, 4) & ~3u, ==, IH_BM_BASE);
    g_assert_cmpuint(ih_dma(&b, ATA_CMD_READ_DMA, 10, 4, &prd, 1, 0x1000) &
                     (BM_ST_ERR | BM_ST_INTR), ==, BM_ST_INTR);
    read_image(&b, 0, 10, want, sizeof(want));
    g_assert_cmpint(hv_mem_read(b.ctx, 0x200000, got, sizeof(got)), ==, 0);
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
    g_assert_true(ih_identify(&b, 0, id));
    g_assert_cmpuint(id[85] & (1u << 5), ==, 0);     /* write cache off */
    g_assert_cmpuint(id[59] & 0x1ff, ==, 0x108);     /* multiple: 8 */
    ih_teardown(&b);
    ih_teardown(&a);
}

/* Requests in flight: the save waits (HV_ERROR_BUSY) until they end. */
static void test_busy(void)
{
    ih_prd prd = { 0x200000, (64 * 512) | PRD_EOT };
    GError *err = NULL;
    GBytes *st;
    ih a;

    ih_setup(&a, NULL);
    g_assert_cmpint(hv_mem_write(a.ctx, 0x1000, &prd, sizeof(prd)), ==, 0);
    ih_outl(&a, IH_BM_BASE + BM_REG_PRDT, 0x1000);
    ih_command(&a, 0, ATA_CMD_READ_DMA, 0, 64, false);
    ih_outb(&a, IH_BM_BASE + BM_REG_CMD, BM_CMD_START | BM_CMD_WRITE);
    g_assert_cmpuint(hv_ctx_state_busy(a.ctx), >, 0);
    st = hv_ctx_save_state(a.ctx, &err);
    g_assert_null(st);
    g_assert_error(err, HV_ERROR, HV_ERROR_BUSY);
    g_clear_error(&err);
    g_assert_true(ih_wait_irq(&a));
    g_assert_cmpuint(hv_ctx_state_busy(a.ctx), ==, 0);
    st = hv_ctx_save_state(a.ctx, &err);
    g_assert_no_error(err);
    g_bytes_unref(st);
    ih_teardown(&a);
}

/* Another configuration refuses the state, saying what differs. */
static void test_mismatch(void)
{
    g_autoptr(GBytes) state = NULL;
    ih_conf slave = { .slave = true };
    GError *err = NULL;
    gsize len;
    const void *p;
    ih a, b, c;

    ih_setup(&a, &slave);
    state = save(&a);
    p = g_bytes_get_data(state, &len);

    ih_setup(&b, NULL);                 /* no hdb */
    g_assert_false(hv_ctx_load_state(b.ctx, p, len, &err));
    g_assert_nonnull(strstr(err->message, "ide0.1: the state has a disk"));
    g_clear_error(&err);
    ih_teardown(&b);

    ih_conf big = { .sectors = IH_SMALL_SECTORS * 2, .slave = true };
    ih_setup(&c, &big);                 /* a bigger hda */
    g_assert_false(hv_ctx_load_state(c.ctx, p, len, &err));
    g_assert_nonnull(strstr(err->message, "4096 sectors"));
    g_clear_error(&err);
    ih_teardown(&c);
    ih_teardown(&a);
}

/* Damaged files: a flipped bit, a short file, another format. */
static void test_damaged(void)
{
    g_autoptr(GBytes) state = NULL;
    g_autofree uint8_t *copy = NULL;
    GError *err = NULL;
    gsize len;
    ih a;

    ih_setup(&a, NULL);
    state = save(&a);
    len = g_bytes_get_size(state);
    copy = g_memdup2(g_bytes_get_data(state, NULL), len);
    copy[len / 2] ^= 0x10;
    g_assert_false(hv_ctx_load_state(a.ctx, copy, len, &err));
    g_assert_nonnull(strstr(err->message, "checksum mismatch"));
    g_clear_error(&err);
    copy[len / 2] ^= 0x10;
    g_assert_false(hv_ctx_load_state(a.ctx, copy, len - 40, &err));
    g_clear_error(&err);
    g_assert_false(hv_ctx_load_state(a.ctx, "HVMEMUSX", 8, &err));
    g_clear_error(&err);
    memcpy(copy, "QEVM", 4);
    g_assert_false(hv_ctx_load_state(a.ctx, copy, len, &err));
    g_assert_nonnull(strstr(err->message, "not an hvmemu device state"));
    g_clear_error(&err);
    ih_teardown(&a);
}

/* Put a fresh SHA-256 on a modified state (what a hostile file can do). */
static void reseal(uint8_t *p, size_t len)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    gsize dlen = 32;

    g_checksum_update(sum, p, len - 32);
    g_checksum_get_digest(sum, p + len - 32, &dlen);
}

/* Every byte of a mid-command state set to 0xff (then 0x7f), resealed:
 * loaded or refused, and a loaded controller still answers IDENTIFY or
 * fails it cleanly — no crash, no access outside the disk or RAM (the
 * sanitizers watch). */
static void test_every_byte_hostile(void)
{
    g_autoptr(GBytes) state = NULL;
    g_autofree uint8_t *copy = NULL;
    unsigned loaded = 0, refused = 0;
    gsize len;
    ih a, b;

    ih_setup(&a, NULL);
    ih_command(&a, 0, ATA_CMD_READ_SECTORS, 100, 4, false);
    g_assert_true(ih_wait_irq(&a));
    state = save(&a);
    copy = g_malloc(g_bytes_get_size(state));
    for (unsigned v = 0; v < 2; v++) {
        for (size_t i = 20; i + 32 < g_bytes_get_size(state); i++) {
            GError *err = NULL;

            len = g_bytes_get_size(state);
            memcpy(copy, g_bytes_get_data(state, NULL), len);
            copy[i] = v ? 0x7f : 0xff;
            reseal(copy, len);
            ih_setup_twin(&b, &a, NULL, false);
            if (hv_ctx_load_state(b.ctx, copy, len, &err)) {
                loaded++;
                /* What a driver does next, without expecting anything. */
                for (unsigned w = 0; w < 256; w++) {
                    ih_inw(&b, IH_CMD + ATA_REG_DATA);
                }
                ih_status(&b);
                ih_command(&b, 0, ATA_CMD_READ_SECTORS, 0, 1, false);
                ih_wait_ready(&b);
                for (unsigned w = 0; w < 256; w++) {
                    ih_outw(&b, IH_CMD + ATA_REG_DATA, 0);
                }
                ih_outb(&b, IH_BM_BASE + BM_REG_CMD, BM_CMD_START);
                ih_wait_ready(&b);
            } else {
                refused++;
            }
            g_clear_error(&err);
            ih_teardown(&b);
        }
    }
    g_test_message("%u loaded, %u refused", loaded, refused);
    g_assert_cmpuint(refused, >, 0);
    ih_teardown(&a);
}

/* ---- ATAPI: the disc in the tray and its UNIT ATTENTION ---- */

static void cd_image(const char *path, unsigned seed)
{
    g_autofree uint8_t *img = g_malloc(CD_BLOCKS * 2048);

    ih_fill(img, CD_BLOCKS * 2048, seed);
    g_assert_true(g_file_set_contents(path, (const char *)img,
                                      CD_BLOCKS * 2048, NULL));
}

/* The admin inserted another disc at run time; the guest has not looked
 * yet. The restored drive (configured with the first disc) holds the new
 * one and reports the change once: UNIT ATTENTION, then data. */
static void test_atapi_media(void)
{
    static const uint8_t tur[12] = { 0 };
    g_autofree char *disc2 = NULL;
    g_autoptr(GBytes) state = NULL;
    g_autofree ih_reply *r = g_new0(ih_reply, 1);
    g_autofree uint8_t *want = g_malloc(2048);
    hv_unplug_info info;
    GError *err = NULL;
    uint8_t cdb[12];
    int fd;
    ih a, b;

    ih_cd_setup(&a, NULL);
    fd = g_file_open_tmp("hvmemu-disc2-XXXXXX", &disc2, NULL);
    close(fd);
    cd_image(disc2, 77);
    /* A PIO reply, then a shorter one by DMA: the drive keeps the PIO
     * block's end (what the second lab run of save-restore refused). */
    {
        static const uint8_t inquiry[12] = { 0x12, 0, 0, 0, 96 };
        static const uint8_t sense[12] = { 0x03, 0, 0, 0, 18 };

        ih_packet_pio(&a, inquiry, 0x1000, r);
        ih_packet_dma(&a, sense, 18);
    }
    g_assert_true(hv_media_eject(a.ctx, "hda", false, &err));
    g_assert_true(hv_media_insert(a.ctx, "hda", disc2, &err));
    g_assert_no_error(err);
    state = save(&a);

    ih_setup_twin(&b, &a, &(ih_conf){ .keys = "devtype=cdrom",
                                      .readonly = true }, true);
    load_ok(&b, state);
    g_assert_true(hv_unplug_lookup(b.ctx, "hda", &info));
    g_assert_cmpstr(hv_blk_path(info.blk), ==, disc2);
    ih_packet_pio(&b, tur, 0, r);
    g_assert_true(r->status & ATA_SR_ERR);
    ih_check_sense(&b, 0x06, 0x28);
    ih_cdb_read10(cdb, 5, 1);
    ih_packet_pio(&b, cdb, 2048, r);
    g_assert_false(r->status & ATA_SR_ERR);
    {
        g_autofree uint8_t *img = g_malloc(CD_BLOCKS * 2048);

        ih_fill(img, CD_BLOCKS * 2048, 77);
        memcpy(want, img + 5 * 2048, 2048);
    }
    g_assert_cmpmem(r->data, 2048, want, 2048);
    ih_teardown(&b);
    ih_teardown(&a);
    unlink(disc2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide-state/pio-read-midway", test_pio_read_midway);
    g_test_add_func("/ide-state/pio-write-midway", test_pio_write_midway);
    g_test_add_func("/ide-state/dma-and-settings", test_dma_and_settings);
    g_test_add_func("/ide-state/busy", test_busy);
    g_test_add_func("/ide-state/mismatch", test_mismatch);
    g_test_add_func("/ide-state/damaged", test_damaged);
    g_test_add_func("/ide-state/every-byte-hostile",
                    test_every_byte_hostile);
    g_test_add_func("/ide-state/atapi-media", test_atapi_media);
    return g_test_run();
}
