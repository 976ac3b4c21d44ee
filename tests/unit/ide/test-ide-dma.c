/* SPDX-License-Identifier: MIT */
/*
 * Bus-master DMA: read/write patterns, multi-chunk LBA48 transfers, the
 * PRD length matrix of QEMU's ide-test (and aborting it), DMA without bus
 * mastering, hostile PRD tables, TRIM, backend errors.
 */
#include <string.h>

#include "ide-harness.h"

#define PRDT_GPA 0x1000
#define BUF_GPA  0x100000

static uint8_t *ram(ih *h, uint64_t gpa)
{
    return hv_memhost_ram(h->mh) + gpa;
}

static uint8_t dma_ok(ih *h, int cmd, uint64_t lba, uint32_t count)
{
    ih_prd prd[64];
    uint32_t len = count * 512;
    unsigned n = 0;

    /* 64 KiB regions (byte count 0), the last one shorter. */
    for (uint32_t off = 0; off < len; off += 0x10000, n++) {
        uint32_t chunk = MIN(0x10000u, len - off);

        g_assert_cmpuint(n, <, G_N_ELEMENTS(prd));
        prd[n].addr = BUF_GPA + off;
        prd[n].size = chunk & 0xffff;
    }
    prd[n - 1].size |= PRD_EOT;
    return ih_dma(h, cmd, lba, count, prd, n, PRDT_GPA);
}

static void dma_roundtrip(ih *h, uint64_t lba, uint32_t count, bool lba48)
{
    size_t len = (size_t)count * 512;
    g_autofree uint8_t *out = g_malloc(len);

    ih_fill(out, len, (unsigned)lba ^ count);
    memcpy(ram(h, BUF_GPA), out, len);
    g_assert_cmphex(dma_ok(h, lba48 ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_WRITE_DMA,
                           lba, count), ==, BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(h) & ATA_SR_ERR, ==, 0);
    memset(ram(h, BUF_GPA), 0xee, len);
    g_assert_cmphex(dma_ok(h, lba48 ? ATA_CMD_READ_DMA_EXT : ATA_CMD_READ_DMA,
                           lba, count), ==, BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(h) & ATA_SR_ERR, ==, 0);
    g_assert_cmpmem(ram(h, BUF_GPA), len, out, len);
}

static void test_simple_rw(void)
{
    ih_prd prd = { BUF_GPA, 512 | PRD_EOT };
    ih h;

    ih_setup(&h, NULL);
    memset(ram(&h, BUF_GPA), 0x55, 512);
    g_assert_cmphex(ih_dma(&h, ATA_CMD_WRITE_DMA, 0, 1, &prd, 1, PRDT_GPA),
                    ==, BM_ST_INTR);
    memset(ram(&h, BUF_GPA), 0xaa, 512);
    g_assert_cmphex(ih_dma(&h, ATA_CMD_WRITE_DMA, 1, 1, &prd, 1, PRDT_GPA),
                    ==, BM_ST_INTR);
    g_assert_cmphex(ih_dma(&h, ATA_CMD_READ_DMA, 0, 1, &prd, 1, PRDT_GPA),
                    ==, BM_ST_INTR);
    for (unsigned i = 0; i < 512; i++) {
        g_assert_cmphex(ram(&h, BUF_GPA)[i], ==, 0x55);
    }
    g_assert_cmphex(ih_dma(&h, ATA_CMD_READ_DMA, 1, 1, &prd, 1, PRDT_GPA),
                    ==, BM_ST_INTR);
    for (unsigned i = 0; i < 512; i++) {
        g_assert_cmphex(ram(&h, BUF_GPA)[i], ==, 0xaa);
    }
    ih_teardown(&h);
}

static void test_large_and_lba48(void)
{
    ih_conf big = { .sectors = IH_BIG_SECTORS };
    ih h;

    ih_setup(&h, NULL);
    dma_roundtrip(&h, 5, 256, false);       /* count 0 means 256 */
    dma_roundtrip(&h, 1, 4095, true);       /* several backend chunks */
    ih_teardown(&h);
    ih_setup(&h, &big);
    dma_roundtrip(&h, 0x0ffffff8ull, 16, true);
    dma_roundtrip(&h, IH_BIG_SECTORS - 8, 8, true);
    dma_roundtrip(&h, 0x0fffff00ull, 255, false);
    ih_teardown(&h);
}

static void test_wcache_off(void)
{
    ih_conf c = { .keys = "wcache=off" };
    uint16_t w[256];
    ih h;

    ih_setup(&h, &c);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[85] & 0x20, ==, 0);
    dma_roundtrip(&h, 100, 300, true);
    ih_teardown(&h);
}

/* The PRD matrix (BM IDE spec §3.1; QEMU tests/qtest/ide-test.c). */
static void test_various_prdts(void)
{
    ih h;

    ih_setup(&h, NULL);
    for (uint32_t sectors = 1; sectors <= 256; sectors *= 2) {
        for (uint32_t size = 0; size < 65536; size += 256) {
            uint32_t req = sectors * 512;
            uint32_t prd_size = size & 0xfffe;
            ih_prd prd = { BUF_GPA, size | PRD_EOT };
            uint8_t want, want_abort, st;

            prd_size = prd_size ? prd_size : 65536;
            if (prd_size < req) {
                want = want_abort = 0;
            } else if (prd_size == req) {
                want = want_abort = BM_ST_INTR;
            } else {
                want = BM_ST_ACTIVE | BM_ST_INTR;
                want_abort = BM_ST_INTR;
            }
            st = ih_dma(&h, ATA_CMD_READ_DMA, 0, sectors, &prd, 1, PRDT_GPA);
            g_assert_cmphex(st, ==, want);
            g_assert_cmphex(ih_altstatus(&h) & (ATA_SR_ERR | ATA_SR_DF), ==,
                            0);
            st = ih_dma(&h, ATA_CMD_READ_DMA | IH_ABORT, 0, sectors, &prd, 1,
                        PRDT_GPA);
            g_assert_cmphex(st, ==, want_abort);
            g_assert_cmphex(ih_altstatus(&h) & (ATA_SR_ERR | ATA_SR_DF), ==,
                            0);
        }
    }
    ih_teardown(&h);
}

static void test_abort_write(void)
{
    ih_prd prd = { BUF_GPA, 0x1000 | PRD_EOT };
    uint8_t st;
    ih h;

    ih_setup(&h, NULL);
    /* A write's data is gathered when the engine starts, so stopping it
     * afterwards still completes; nothing hangs or crashes. */
    st = ih_dma(&h, ATA_CMD_WRITE_DMA | IH_ABORT, 0, 8, &prd, 1, PRDT_GPA);
    g_assert_cmphex(st & BM_ST_ACTIVE, ==, 0);
    ih_teardown(&h);
}

static void test_no_busmaster(void)
{
    /* No EOT, every entry address 0 / 64 KiB: nonsense, but it must not
     * be read at all: bus mastering is off in PCI COMMAND. */
    g_autofree ih_prd *prd = g_new0(ih_prd, 4096);
    uint8_t st;
    ih h;

    ih_setup(&h, NULL);
    memset(ram(&h, 0), 0x77, 0x1000);
    st = ih_dma(&h, ATA_CMD_READ_DMA | IH_NO_BM, 0, 512 & 0xff, prd, 4096,
                PRDT_GPA);
    g_assert_cmphex(st, ==, BM_ST_INTR | BM_ST_ERR);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(ih_error(&h) & ATA_ER_ABRT, ==, ATA_ER_ABRT);
    g_assert_cmphex(ram(&h, 0)[0], ==, 0x77);
    /* With bus mastering back on, DMA works again. */
    dma_roundtrip(&h, 0, 1, false);
    ih_teardown(&h);
}

static void test_hostile_prd(void)
{
    g_autofree ih_prd *many = g_new0(ih_prd, 8192);
    ih_prd out = { IH_RAM_SIZE - 256, 512 | PRD_EOT };
    ih_prd wrap = { 0xfffffe00u, 0x1000 | PRD_EOT };
    ih_prd ok = { BUF_GPA, 512 | PRD_EOT };
    uint8_t st;
    ih h;

    ih_setup(&h, NULL);
    /* Region straddling the end of RAM: bus-master Error, ATA ABRT. */
    st = ih_dma(&h, ATA_CMD_READ_DMA, 0, 1, &out, 1, PRDT_GPA);
    g_assert_cmphex(st, ==, BM_ST_INTR | BM_ST_ERR);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
    st = ih_dma(&h, ATA_CMD_WRITE_DMA, 0, 8, &wrap, 1, PRDT_GPA);
    g_assert_cmphex(st, ==, BM_ST_INTR | BM_ST_ERR);
    /* The table itself outside RAM. */
    st = ih_dma(&h, ATA_CMD_READ_DMA, 0, 1, NULL, 0, 0xfff00000u);
    g_assert_cmphex(st, ==, BM_ST_INTR | BM_ST_ERR);
    /* 8192 two-byte entries without EOT fill the 64 KiB page: 16 KiB,
     * shorter than the 128 KiB transfer. The walk stops at the page end. */
    for (unsigned i = 0; i < 8192; i++) {
        many[i].addr = BUF_GPA;
        many[i].size = 2;
    }
    st = ih_dma(&h, ATA_CMD_READ_DMA, 0, 0 /* 256 */, many, 8192, 0x10000);
    g_assert_cmphex(st, ==, 0);
    /* A table starting 8 bytes before a 64 KiB boundary has one entry. */
    many[0].size = 512;
    st = ih_dma(&h, ATA_CMD_READ_DMA, 0, 2, many, 2, 0x1fff8);
    g_assert_cmphex(st, ==, 0);
    /* Still healthy afterwards. */
    st = ih_dma(&h, ATA_CMD_READ_DMA, 0, 1, &ok, 1, PRDT_GPA);
    g_assert_cmphex(st, ==, BM_ST_INTR);
    ih_teardown(&h);
}

static void test_start_first(void)
{
    ih_prd prd[2] = { { BUF_GPA, 0x301 },
                      { BUF_GPA + 0x300, 0x100 | PRD_EOT } };
    uint8_t *ram;
    ih h;

    ih_setup(&h, NULL);
    ram = hv_memhost_ram(h.mh);
    dma_roundtrip(&h, 40, 2, false);
    memset(ram + BUF_GPA, 0, 1024);
    /* Engine started before the command is written (either order works),
     * and a PRD byte count with bit 0 set (it is ignored: 300h bytes). */
    g_assert_cmpint(hv_mem_write(h.ctx, PRDT_GPA, prd, sizeof(prd)), ==, 0);
    ih_outl(&h, IH_BM_BASE + BM_REG_PRDT, PRDT_GPA);
    ih_outb(&h, IH_BM_BASE + BM_REG_CMD, 0);
    ih_outb(&h, IH_BM_BASE + BM_REG_STATUS, BM_ST_INTR);
    ih_outb(&h, IH_BM_BASE + BM_REG_CMD, BM_CMD_START | BM_CMD_WRITE);
    g_assert_cmphex(ih_inb(&h, IH_BM_BASE + BM_REG_STATUS) & BM_ST_ACTIVE,
                    ==, BM_ST_ACTIVE);
    ih_command(&h, 0, ATA_CMD_READ_DMA, 40, 2, false);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_inb(&h, IH_BM_BASE + BM_REG_STATUS) &
                    (BM_ST_ACTIVE | BM_ST_INTR | BM_ST_ERR), ==, BM_ST_INTR);
    g_assert_cmphex(ih_status(&h) & (ATA_SR_ERR | ATA_SR_BSY), ==, 0);
    ih_outb(&h, IH_BM_BASE + BM_REG_CMD, 0);
    /* The two regions hold the 1 KiB contiguously. */
    g_assert_cmphex(ram[BUF_GPA + 0x3ff] | ram[BUF_GPA + 0x200], !=, 0);
    ih_teardown(&h);
}

static uint64_t trim_range(uint64_t lba, uint16_t count)
{
    return GUINT64_TO_LE(((uint64_t)count << 48) | lba);
}

static void test_trim(void)
{
    ih_prd prd = { BUF_GPA, 512 | PRD_EOT };
    uint64_t *ranges;
    uint8_t st;
    ih h;

    ih_setup(&h, NULL);
    dma_roundtrip(&h, 0, 16, false);
    ranges = (uint64_t *)ram(&h, BUF_GPA);
    memset(ranges, 0, 512);
    ranges[0] = trim_range(0, 2);
    ranges[1] = trim_range(6, 8);
    st = ih_dma(&h, ATA_CMD_DSM, 0, 1, &prd, 1, PRDT_GPA);
    g_assert_cmphex(st, ==, BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(&h) & (ATA_SR_ERR | ATA_SR_DF), ==, 0);
    /* Hole punched: the trimmed sectors read back as zeros (files). */
    g_assert_cmphex(dma_ok(&h, ATA_CMD_READ_DMA, 0, 16), ==, BM_ST_INTR);
    for (unsigned i = 0; i < 2 * 512; i++) {
        g_assert_cmphex(ram(&h, BUF_GPA)[i], ==, 0);
    }
    g_assert_cmphex(ram(&h, BUF_GPA)[2 * 512] | ram(&h, BUF_GPA)[3 * 512],
                    !=, 0);
    /* One range beyond the disk: ERR + ABRT. */
    ranges = (uint64_t *)ram(&h, BUF_GPA);
    memset(ranges, 0, 512);
    ranges[0] = trim_range(10, 1);
    ranges[1] = trim_range(IH_SMALL_SECTORS - 1, 2);
    st = ih_dma(&h, ATA_CMD_DSM, 0, 1, &prd, 1, PRDT_GPA);
    g_assert_cmphex(st, ==, BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(ih_error(&h) & ATA_ER_ABRT, ==, ATA_ER_ABRT);
    ih_teardown(&h);
}

static void test_backend_error(void)
{
    ih_conf c = { .keys = "x-inject-eio=100+1" };
    uint8_t st;
    ih h;

    ih_setup(&h, &c);
    st = dma_ok(&h, ATA_CMD_READ_DMA, 96, 8);
    g_assert_cmphex(st, ==, BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(ih_error(&h), ==, ATA_ER_UNC);
    st = dma_ok(&h, ATA_CMD_WRITE_DMA_EXT, 100, 1);
    g_assert_cmphex(st, ==, BM_ST_INTR);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_ERR, ==, ATA_SR_ERR);
    g_assert_cmphex(ih_error(&h), ==, ATA_ER_ABRT);
    dma_roundtrip(&h, 200, 8, false);
    ih_teardown(&h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide/dma/simple-rw", test_simple_rw);
    g_test_add_func("/ide/dma/large-lba48", test_large_and_lba48);
    g_test_add_func("/ide/dma/wcache-off", test_wcache_off);
    g_test_add_func("/ide/dma/various-prdts", test_various_prdts);
    g_test_add_func("/ide/dma/abort-write", test_abort_write);
    g_test_add_func("/ide/dma/no-busmaster", test_no_busmaster);
    g_test_add_func("/ide/dma/hostile-prd", test_hostile_prd);
    g_test_add_func("/ide/dma/start-first", test_start_first);
    g_test_add_func("/ide/dma/trim", test_trim);
    g_test_add_func("/ide/dma/backend-error", test_backend_error);
    return g_test_run();
}
