/* SPDX-License-Identifier: MIT */
/*
 * ATA command set through the PIIX IDE ports: IDENTIFY, PIO transfers at
 * LBA28/LBA48 boundaries, error reporting, the non-data commands, and the
 * PCI function itself.
 */
#include <string.h>
#include <unistd.h>

#include "ide-harness.h"

static void ata_string(const uint16_t *w, unsigned words, char *out)
{
    for (unsigned i = 0; i < words; i++) {
        out[2 * i] = (char)(w[i] >> 8);
        out[2 * i + 1] = (char)(w[i] & 0xff);
    }
    out[2 * words] = 0;
}

static void test_pci_config(void)
{
    ih h;

    ih_setup(&h, NULL);
    g_assert_cmphex(ih_cfg_read(&h, PCI_VENDOR_ID, 4), ==, 0x70108086);
    g_assert_cmphex(ih_cfg_read(&h, PCI_REVISION_ID, 4) >> 8, ==, 0x010180);
    /* IDE decode enabled on both channels (IDETIM bit 15). */
    g_assert_cmphex(ih_cfg_read(&h, 0x40, 4), ==, 0x80008000);
    /* BAR4 is 16 bytes of I/O. */
    ih_cfg_write(&h, 0x20, 4, 0xffffffff);
    g_assert_cmphex(ih_cfg_read(&h, 0x20, 4) & 0xffff, ==, 0xfff1);
    ih_cfg_write(&h, 0x20, 4, IH_BM_BASE);
    g_assert_cmphex(ih_cfg_read(&h, 0x20, 4), ==, IH_BM_BASE | 1);
    /* The bus-master registers answer there; the PRD pointer is dword
     * aligned. */
    ih_outl(&h, IH_BM_BASE + BM_REG_PRDT, 0x12345677);
    g_assert_cmphex(ih_inl(&h, IH_BM_BASE + BM_REG_PRDT), ==, 0x12345674);
    ih_outl(&h, IH_BM_BASE + 8 + BM_REG_PRDT, 0x1000);
    g_assert_cmphex(ih_inl(&h, IH_BM_BASE + 8 + BM_REG_PRDT), ==, 0x1000);
    ih_teardown(&h);
}

static void test_identify(void)
{
    ih_conf c = { .keys = "serial=testdisk" };
    uint16_t w[256];
    char s[41];
    uint8_t sum = 0;
    ih h;

    ih_setup(&h, &c);
    g_assert_true(ih_identify(&h, 0, w));
    ata_string(&w[10], 10, s);
    g_assert_cmpstr(s, ==, "testdisk            ");
    ata_string(&w[27], 20, s);
    g_assert_cmpstr(s, ==, "HVMEMU HARDDISK                         ");
    ata_string(&w[23], 4, s);
    g_assert_true(g_str_has_prefix(s, "0.1"));
    g_assert_cmphex(w[0], ==, 0x0040);
    g_assert_cmpuint(w[1], ==, IH_SMALL_SECTORS / (16 * 63));
    g_assert_cmpuint(w[3], ==, 16);
    g_assert_cmpuint(w[6], ==, 63);
    g_assert_cmphex(w[49] & 0x0300, ==, 0x0300);    /* LBA, DMA */
    g_assert_cmphex(w[47] & 0xff, ==, 16);
    g_assert_cmpuint(w[60] | (uint32_t)w[61] << 16, ==, IH_SMALL_SECTORS);
    g_assert_cmpuint(w[100] | (uint64_t)w[101] << 16, ==, IH_SMALL_SECTORS);
    g_assert_cmphex(w[83] & 0x3400, ==, 0x3400);    /* flush, flush ext, 48 */
    g_assert_cmphex(w[85] & 0x0020, ==, 0x0020);    /* write cache on */
    g_assert_cmphex(w[82] & 0x0020, ==, 0x0020);
    g_assert_cmphex(w[169] & 1, ==, 1);             /* TRIM */
    g_assert_cmphex(w[80] & 0x0080, ==, 0x0080);    /* ATA-7 */
    g_assert_cmphex(w[255] & 0xff, ==, 0xa5);
    for (unsigned i = 0; i < 256; i++) {
        sum += (uint8_t)(w[i] & 0xff) + (uint8_t)(w[i] >> 8);
    }
    g_assert_cmpuint(sum, ==, 0);
    /* Device register kept device 0 */
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_DEVICE) & ATA_DEV_DEV, ==, 0);
    ih_teardown(&h);
}

static void test_identify_big(void)
{
    ih_conf c = { .sectors = IH_BIG_SECTORS };
    uint16_t w[256];
    ih h;

    ih_setup(&h, &c);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[60] | (uint32_t)w[61] << 16, ==, 0x0fffffff);
    g_assert_cmphex(w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32,
                    ==, IH_BIG_SECTORS);
    g_assert_cmpuint(w[1], ==, 16383);
    ih_teardown(&h);
}

static void pio_roundtrip(ih *h, uint64_t lba, uint32_t count, bool lba48,
                          bool mult, bool dword)
{
    size_t len = (size_t)count * 512;
    g_autofree uint8_t *out = g_malloc(len);
    g_autofree uint8_t *in = g_malloc0(len);
    unsigned block = mult ? 16 : 1;
    uint8_t wcmd, rcmd;

    if (lba48) {
        wcmd = mult ? ATA_CMD_WRITE_MULTIPLE_EXT : ATA_CMD_WRITE_SECTORS_EXT;
        rcmd = mult ? ATA_CMD_READ_MULTIPLE_EXT : ATA_CMD_READ_SECTORS_EXT;
    } else {
        wcmd = mult ? ATA_CMD_WRITE_MULTIPLE : ATA_CMD_WRITE_SECTORS;
        rcmd = mult ? ATA_CMD_READ_MULTIPLE : ATA_CMD_READ_SECTORS;
    }
    ih_fill(out, len, (unsigned)(lba + count));
    ih_command(h, 0, wcmd, lba, count, lba48);
    ih_pio_write(h, out, count, block, dword);
    ih_command(h, 0, rcmd, lba, count, lba48);
    ih_pio_read(h, in, count, block, !dword);
    g_assert_cmpmem(in, len, out, len);
}

static void test_pio_rw(void)
{
    ih h;

    ih_setup(&h, NULL);
    pio_roundtrip(&h, 0, 1, false, false, false);
    pio_roundtrip(&h, 7, 3, false, false, true);
    pio_roundtrip(&h, 100, 37, false, true, false);     /* 16+16+5 */
    pio_roundtrip(&h, IH_SMALL_SECTORS - 2, 2, true, false, true);
    pio_roundtrip(&h, 200, 256, false, true, true);     /* count 0 = 256 */
    ih_teardown(&h);
}

static uint8_t expect_error(ih *h, uint8_t err_bits)
{
    uint8_t st;

    g_assert_true(ih_wait_irq(h));
    st = ih_status(h);
    g_assert_cmphex(st & (ATA_SR_ERR | ATA_SR_BSY | ATA_SR_DRQ), ==,
                    ATA_SR_ERR);
    g_assert_cmphex(ih_error(h) & err_bits, ==, err_bits);
    return st;
}

static void test_lba_boundaries(void)
{
    ih_conf c = { .sectors = IH_BIG_SECTORS };
    const uint64_t last28 = 0x0ffffffeull;  /* last LBA28-addressable */
    ih h;

    ih_setup(&h, &c);
    /* LBA48 across the 28-bit boundary, then the very last sectors. */
    pio_roundtrip(&h, 0x0ffffffcull, 8, true, true, false);
    pio_roundtrip(&h, IH_BIG_SECTORS - 17, 17, true, true, true);
    /* LBA28 up to its limit. */
    pio_roundtrip(&h, last28 - 1, 2, false, false, false);
    ih_command(&h, 0, ATA_CMD_READ_SECTORS, last28, 2, false);
    expect_error(&h, ATA_ER_IDNF);
    /* Past the end of the disk. */
    ih_command(&h, 0, ATA_CMD_READ_SECTORS_EXT, IH_BIG_SECTORS - 1, 2, true);
    expect_error(&h, ATA_ER_IDNF);
    ih_command(&h, 0, ATA_CMD_WRITE_SECTORS_EXT, IH_BIG_SECTORS, 1, true);
    expect_error(&h, ATA_ER_IDNF);
    ih_command(&h, 0, ATA_CMD_READ_DMA_EXT, 1ull << 47, 1, true);
    expect_error(&h, ATA_ER_IDNF);
    /* READ NATIVE MAX ADDRESS (EXT) */
    ih_command(&h, 0, ATA_CMD_READ_NATIVE_MAX_EXT, 0, 0, true);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h) & ATA_SR_ERR, ==, 0);
    ih_outb(&h, IH_CTL, ATA_DC_HOB);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAL), ==,
                    ((IH_BIG_SECTORS - 1) >> 24) & 0xff);
    ih_outb(&h, IH_CTL, 0);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAL), ==,
                    (IH_BIG_SECTORS - 1) & 0xff);
    ih_command(&h, 0, ATA_CMD_READ_NATIVE_MAX, 0, 0, false);
    g_assert_true(ih_wait_irq(&h));
    ih_status(&h);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_DEVICE) & 0x0f, ==, 0x0f);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAH), ==, 0xff);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAL), ==, 0xfe);
    ih_teardown(&h);
}

static void test_partial_sector(void)
{
    ih_conf c = { .sectors = 8, .extra_bytes = 100 };
    uint8_t buf[512];
    uint16_t w[256];
    ih h;

    ih_setup(&h, &c);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmpuint(w[60], ==, 9);     /* the partial sector counts */
    ih_command(&h, 0, ATA_CMD_READ_SECTORS, 8, 1, false);
    ih_pio_read(&h, buf, 1, 1, false);
    for (unsigned i = 0; i < 512; i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }
    ih_teardown(&h);
}

static void test_backend_error(void)
{
    ih_conf c = { .keys = "x-inject-eio=40+4" };
    uint8_t buf[8 * 512];
    ih h;

    ih_setup(&h, &c);
    /* Reading sectors 36..43: the first DRQ blocks are fine, the failing
     * block reports ERR+UNC and its LBA. */
    ih_command(&h, 0, ATA_CMD_READ_SECTORS, 36, 8, false);
    ih_pio_read_part(&h, buf, 4, 1, false);
    expect_error(&h, ATA_ER_UNC);
    g_assert_cmpuint(ih_inb(&h, IH_CMD + ATA_REG_LBAL), ==, 40);
    /* Writes into the range fail with ERR+ABRT. */
    ih_command(&h, 0, ATA_CMD_WRITE_SECTORS, 41, 1, false);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_DRQ, ==, ATA_SR_DRQ);
    for (unsigned i = 0; i < 256; i++) {
        ih_outw(&h, IH_CMD, 0xabcd);
    }
    expect_error(&h, ATA_ER_ABRT);
    /* The drive keeps working outside the range. */
    pio_roundtrip(&h, 50, 2, false, false, false);
    ih_teardown(&h);
}

static void test_flush_error(void)
{
    ih_conf c = { .keys = "x-inject-flush-eio" };
    ih h;

    ih_setup(&h, &c);
    ih_command(&h, 0, ATA_CMD_FLUSH_CACHE, 0, 0, false);
    expect_error(&h, ATA_ER_ABRT);
    ih_teardown(&h);
}

static void test_flush(void)
{
    ih_conf c = { .keys = "x-delay-ms=20" };
    uint8_t st;
    ih h;

    ih_setup(&h, &c);
    pio_roundtrip(&h, 1, 1, false, false, false);
    ih_command(&h, 0, ATA_CMD_FLUSH_CACHE_EXT, 0, 0, false);
    /* In flight: BSY|DRDY, no interrupt yet. */
    st = ih_altstatus(&h);
    g_assert_cmphex(st & (ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_ERR | ATA_SR_DRQ),
                    ==, ATA_SR_BSY | ATA_SR_DRDY);
    hv_loop_run_once(h.loop, 1);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_BSY, ==, ATA_SR_BSY);
    /* Commands are ignored while BSY. */
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
    g_assert_true(ih_wait_irq(&h));
    st = ih_status(&h);
    g_assert_cmphex(st & (ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_ERR | ATA_SR_DRQ),
                    ==, ATA_SR_DRDY);
    ih_teardown(&h);
}

static void test_write_cache_off(void)
{
    uint16_t w[256];
    ih h;

    ih_setup(&h, NULL);
    ih_outb(&h, IH_CMD + ATA_REG_FEATURE, ATA_SF_WCACHE_OFF);
    ih_command(&h, 0, ATA_CMD_SET_FEATURES, 0, 0, false);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h) & ATA_SR_ERR, ==, 0);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[85] & 0x20, ==, 0);
    /* Writes now complete only after a flush; still correct data. */
    pio_roundtrip(&h, 3, 20, false, true, false);
    ih_outb(&h, IH_CMD + ATA_REG_FEATURE, ATA_SF_WCACHE_ON);
    ih_command(&h, 0, ATA_CMD_SET_FEATURES, 0, 0, false);
    g_assert_true(ih_wait_irq(&h));
    ih_status(&h);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[85] & 0x20, ==, 0x20);
    ih_teardown(&h);
}

static void simple_cmd(ih *h, uint8_t feature, uint8_t cmd, uint8_t count,
                       bool ok)
{
    ih_outb(h, IH_CMD + ATA_REG_FEATURE, feature);
    ih_command(h, 0, cmd, 0, count, false);
    g_assert_true(ih_wait_irq(h));
    g_assert_cmphex(ih_status(h) & ATA_SR_ERR, ==, ok ? 0 : ATA_SR_ERR);
    if (!ok) {
        g_assert_cmphex(ih_error(h) & ATA_ER_ABRT, ==, ATA_ER_ABRT);
    }
}

static void test_misc_commands(void)
{
    uint16_t w[256];
    ih h;

    ih_setup(&h, NULL);
    simple_cmd(&h, 0, 0xff, 0, false);                 /* unknown */
    simple_cmd(&h, 0, ATA_CMD_NOP, 0, false);          /* NOP aborts */
    simple_cmd(&h, 0, ATA_CMD_DEVICE_RESET, 0, false); /* not ATAPI */
    simple_cmd(&h, 0, ATA_CMD_SET_MULTIPLE, 3, false);
    simple_cmd(&h, 0, ATA_CMD_SET_MULTIPLE, 32, false);
    simple_cmd(&h, 0, ATA_CMD_SET_MULTIPLE, 8, true);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[59], ==, 0x0108);
    pio_roundtrip(&h, 9, 20, false, false, false);
    simple_cmd(&h, 0, ATA_CMD_SET_MULTIPLE, 0, true);
    simple_cmd(&h, 0, ATA_CMD_READ_MULTIPLE, 1, false);  /* disabled */
    simple_cmd(&h, ATA_SF_XFER_MODE, ATA_CMD_SET_FEATURES, 0x45, true);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[88] >> 8, ==, 0x20);              /* UDMA5 chosen */
    simple_cmd(&h, ATA_SF_XFER_MODE, ATA_CMD_SET_FEATURES, 0x22, true);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[63] >> 8, ==, 0x04);              /* MWDMA2 */
    g_assert_cmphex(w[88] >> 8, ==, 0);
    simple_cmd(&h, ATA_SF_XFER_MODE, ATA_CMD_SET_FEATURES, 0x50, false);
    simple_cmd(&h, 0x77, ATA_CMD_SET_FEATURES, 0, false);
    simple_cmd(&h, 0, ATA_CMD_VERIFY, 4, true);
    simple_cmd(&h, 0, ATA_CMD_IDLE_IMMEDIATE, 0, true);
    simple_cmd(&h, 0, ATA_CMD_CHECK_POWER, 0, true);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_NSECTOR), ==, 0xff);
    simple_cmd(&h, 0, ATA_CMD_STANDBY_IMMEDIATE, 0, true);
    simple_cmd(&h, 0, ATA_CMD_CHECK_POWER, 0, true);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_NSECTOR), ==, 0x00);
    simple_cmd(&h, 0, ATA_CMD_IDLE, 0, true);
    simple_cmd(&h, 0, ATA_CMD_CHECK_POWER, 0, true);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_NSECTOR), ==, 0xff);
    /* SLEEP: only a reset brings the drive back. */
    simple_cmd(&h, 0, ATA_CMD_SLEEP, 0, true);
    simple_cmd(&h, 0, ATA_CMD_CHECK_POWER, 0, false);
    ih_outb(&h, IH_CTL, ATA_DC_SRST);
    ih_outb(&h, IH_CTL, 0);
    simple_cmd(&h, 0, ATA_CMD_CHECK_POWER, 0, true);
    ih_teardown(&h);
}

static void test_chs(void)
{
    uint8_t out[512], in[512];
    ih h;

    ih_setup(&h, NULL);
    /* INITIALIZE DEVICE PARAMETERS: 4 heads, 32 sectors per track. */
    ih_outb(&h, IH_CMD + ATA_REG_NSECTOR, 32);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_OBS | 3);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_INIT_DEV_PARAMS);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h) & ATA_SR_ERR, ==, 0);
    /* C/H/S 2/1/5 = (2 * 4 + 1) * 32 + 4 = LBA 292 */
    ih_fill(out, sizeof(out), 292);
    ih_command(&h, 0, ATA_CMD_WRITE_SECTORS, 292, 1, false);
    ih_pio_write(&h, out, 1, 1, false);
    ih_outb(&h, IH_CMD + ATA_REG_NSECTOR, 1);
    ih_outb(&h, IH_CMD + ATA_REG_LBAL, 5);
    ih_outb(&h, IH_CMD + ATA_REG_LBAM, 2);
    ih_outb(&h, IH_CMD + ATA_REG_LBAH, 0);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_OBS | 1);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_READ_SECTORS);
    ih_pio_read(&h, in, 1, 1, false);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    /* Sector 0 does not exist in CHS. */
    ih_outb(&h, IH_CMD + ATA_REG_LBAL, 0);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_OBS | 1);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_READ_SECTORS);
    expect_error(&h, ATA_ER_IDNF);
    ih_teardown(&h);
}

static void test_readonly(void)
{
    ih_conf c = { .readonly = true };
    uint8_t buf[512];
    ih h;

    ih_setup(&h, &c);
    ih_command(&h, 0, ATA_CMD_WRITE_SECTORS, 0, 1, false);
    expect_error(&h, ATA_ER_ABRT);
    ih_command(&h, 0, ATA_CMD_WRITE_DMA, 0, 1, false);
    expect_error(&h, ATA_ER_ABRT);
    ih_command(&h, 0, ATA_CMD_READ_SECTORS, 0, 1, false);
    ih_pio_read(&h, buf, 1, 1, true);
    simple_cmd(&h, 0, ATA_CMD_FLUSH_CACHE, 0, true);
    ih_teardown(&h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide/ata/pci-config", test_pci_config);
    g_test_add_func("/ide/ata/identify", test_identify);
    g_test_add_func("/ide/ata/identify-big", test_identify_big);
    g_test_add_func("/ide/ata/pio-rw", test_pio_rw);
    g_test_add_func("/ide/ata/lba-boundaries", test_lba_boundaries);
    g_test_add_func("/ide/ata/partial-sector", test_partial_sector);
    g_test_add_func("/ide/ata/backend-error", test_backend_error);
    g_test_add_func("/ide/ata/flush", test_flush);
    g_test_add_func("/ide/ata/flush-error", test_flush_error);
    g_test_add_func("/ide/ata/write-cache-off", test_write_cache_off);
    g_test_add_func("/ide/ata/misc-commands", test_misc_commands);
    g_test_add_func("/ide/ata/chs", test_chs);
    g_test_add_func("/ide/ata/readonly", test_readonly);
    return g_test_run();
}
