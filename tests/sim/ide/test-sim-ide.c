// SPDX-License-Identifier: MIT
/*
 * The real hvmemu binary serving the PIIX3 IDE controller (--disk) to a
 * simulated guest under xensim: PCI probing through 0CF8h, IDENTIFY with
 * rep insw, PIO with rep outsl/insw at the LBA28/LBA48 boundaries, bus-
 * master DMA with IRQ 14, FLUSH with BSY in flight, an injected backend
 * error, TRIM, nIEN, SRST, the absent slave, the CD-ROM, and the crash
 * test: data acknowledged by FLUSH CACHE survives kill -9 of the daemon.
 *
 * The guest here is the test: it speaks ATA the way a driver does.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "ide-guest.h"

/* ---- PCI and IDENTIFY ---- */

static void test_identify(void)
{
    env e;
    uint32_t v = 0;
    uint16_t w[256];
    uint8_t sum = 0;

    ig_start(&e, "serial=SIMDISK", NULL);
    g_assert_cmpint(xs_guest_pci_read(e.g, 0, 1, 1, 0, 4, &v), ==, 0);
    g_assert_cmphex(v, ==, 0x70108086);
    g_assert_cmpint(xs_guest_pci_read(e.g, 0, 1, 1, 8, 4, &v), ==, 0);
    g_assert_cmphex(v >> 8, ==, 0x010180);
    ig_outb(&e, CMD + R_DEV, 0xa0);
    ig_outb(&e, CMD + R_STAT, 0xec);
    ig_wait_irq(&e);
    g_assert_cmphex(ig_inb(&e, CMD + R_STAT) & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_ISA, IRQ, 0, 1000), ==, 0);
    g_assert_cmpint(xs_guest_rep_ins(e.g, CMD, 2, BUF, 256, false), ==, 0);
    g_assert_cmpint(xs_guest_mem_read(e.g, BUF, w, sizeof(w)), ==, 0);
    for (unsigned i = 0; i < 256; i++) {
        sum += (uint8_t)(w[i] & 0xff) + (uint8_t)(w[i] >> 8);
    }
    g_assert_cmpuint(sum, ==, 0);
    g_assert_cmphex(w[10], ==, ('S' << 8) | 'I');
    g_assert_cmphex(w[27], ==, ('H' << 8) | 'V');
    g_assert_cmphex(w[60] | (uint32_t)w[61] << 16, ==, 0x0fffffff);
    g_assert_cmphex(w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32,
                    ==, SECTORS);
    g_assert_cmphex(ig_inb(&e, CTL) & (ST_DRQ | ST_BSY), ==, 0);
    ig_stop(&e);
}

/* ---- PIO with string I/O ---- */

static void pio_roundtrip(env *e, uint64_t lba, uint32_t n, bool lba48)
{
    size_t len = (size_t)n * 512;
    g_autofree uint8_t *out = g_malloc(len);
    g_autofree uint8_t *in = g_malloc0(len);

    ig_fill(out, len, (unsigned)(lba ^ n));
    g_assert_cmpint(xs_guest_mem_write(e->g, BUF, out, len), ==, 0);
    /* WRITE MULTIPLE (EXT): 16-sector DRQ blocks, rep outsl. */
    ig_command(e, lba48 ? 0x39 : 0xc5, lba, n, lba48);
    for (uint32_t done = 0; done < n; done += 16) {
        uint32_t k = MIN(16u, n - done);

        if (done) {
            ig_wait_irq(e);
            g_assert_cmphex(ig_inb(e, CMD + R_STAT) & ST_DRQ, ==, ST_DRQ);
        } else {
            g_assert_cmphex(ig_inb(e, CTL) & ST_DRQ, ==, ST_DRQ);
        }
        g_assert_cmpint(xs_guest_rep_outs(e->g, CMD, 4, BUF + done * 512,
                                          k * 128, false), ==, 0);
    }
    ig_wait_irq(e);
    g_assert_cmphex(ig_inb(e, CMD + R_STAT) & (ST_ERR | ST_DRQ | ST_BSY), ==,
                    0);
    /* READ MULTIPLE (EXT), rep insw. */
    ig_command(e, lba48 ? 0x29 : 0xc4, lba, n, lba48);
    for (uint32_t done = 0; done < n; done += 16) {
        uint32_t k = MIN(16u, n - done);

        ig_wait_irq(e);
        g_assert_cmphex(ig_inb(e, CMD + R_STAT) & (ST_DRQ | ST_ERR), ==,
                        ST_DRQ);
        g_assert_cmpint(xs_guest_rep_ins(e->g, CMD, 2, BUF + 0x100000 +
                                         done * 512, k * 256, false), ==, 0);
    }
    g_assert_cmpint(xs_guest_mem_read(e->g, BUF + 0x100000, in, len), ==, 0);
    g_assert_cmpmem(in, len, out, len);
}

static void test_pio(void)
{
    env e;

    ig_start(&e, NULL, NULL);
    pio_roundtrip(&e, 0, 1, false);
    pio_roundtrip(&e, 0x0ffffff0ull, 15, false);        /* LBA28 top */
    pio_roundtrip(&e, 0x0ffffff8ull, 40, true);         /* across it */
    pio_roundtrip(&e, SECTORS - 33, 33, true);          /* disk end */
    ig_command(&e, 0x24, SECTORS - 1, 2, true);            /* beyond */
    ig_wait_irq(&e);
    g_assert_cmphex(ig_inb(&e, CMD + R_STAT) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(ig_inb(&e, CMD + R_ERR) & 0x10, ==, 0x10); /* IDNF */
    ig_stop(&e);
}

/* ---- DMA ---- */

static void dma_roundtrip(env *e, uint64_t lba, uint32_t n, bool lba48)
{
    size_t len = (size_t)n * 512;
    g_autofree uint8_t *out = g_malloc(len);
    g_autofree uint8_t *in = g_malloc(len);

    ig_fill(out, len, (unsigned)lba + 3 * n);
    g_assert_cmpint(xs_guest_mem_write(e->g, BUF, out, len), ==, 0);
    g_assert_cmphex(ig_dma(e, lba48 ? 0x35 : 0xca, lba, n, (uint32_t)len,
                           lba48), ==, BM_INTR);
    g_assert_cmphex(ig_inb(e, CTL) & ST_ERR, ==, 0);
    memset(in, 0xee, len);
    g_assert_cmpint(xs_guest_mem_write(e->g, BUF, in, len), ==, 0);
    g_assert_cmphex(ig_dma(e, lba48 ? 0x25 : 0xc8, lba, n, (uint32_t)len,
                           lba48), ==, BM_INTR);
    g_assert_cmpint(xs_guest_mem_read(e->g, BUF, in, len), ==, 0);
    g_assert_cmpmem(in, len, out, len);
}

static void test_dma(void)
{
    env e;

    ig_start(&e, NULL, NULL);
    dma_roundtrip(&e, 0, 8, false);
    dma_roundtrip(&e, 1000, 256, false);                /* count 0 = 256 */
    dma_roundtrip(&e, 0x0ffff640ull, 2048 + 512, true); /* 1.25 MiB */
    dma_roundtrip(&e, SECTORS - 16, 16, true);
    /* PRDs longer than the transfer: ACTIVE stays with INTR. */
    g_assert_cmphex(ig_dma(&e, 0xc8, 0, 8, 8192, false), ==,
                    BM_ACTIVE | BM_INTR);
    ig_stop(&e);
}

static void test_flush_and_errors(void)
{
    env e;
    uint8_t st;

    ig_start(&e, "x-delay-ms=100,x-inject-eio=5000+8", NULL);
    ig_command(&e, 0xe7, 0, 0, false);
    st = ig_inb(&e, CTL);
    g_assert_cmphex(st & (ST_BSY | ST_DRDY), ==, ST_BSY | ST_DRDY);
    ig_wait_irq(&e);
    g_assert_cmphex(ig_inb(&e, CMD + R_STAT) & (ST_BSY | ST_ERR), ==, 0);
    /* Injected EIO: DMA read → ERR + UNC, bus master not in error. */
    st = ig_dma(&e, 0xc8, 4996, 8, 4096, false);
    g_assert_cmphex(st, ==, BM_INTR);
    g_assert_cmphex(ig_inb(&e, CTL) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(ig_inb(&e, CMD + R_ERR), ==, 0x40);
    ig_stop(&e);
}

static void test_trim(void)
{
    env e;
    uint64_t ranges[64] = { 0 };
    uint8_t st;

    ig_start(&e, NULL, NULL);
    dma_roundtrip(&e, 10, 8, false);
    ranges[0] = GUINT64_TO_LE((8ull << 48) | 10);
    g_assert_cmpint(xs_guest_mem_write(e.g, BUF, ranges, 512), ==, 0);
    ig_outb(&e, CMD + 1, 0x01);
    st = ig_dma(&e, 0x06, 0, 1, 512, true);
    g_assert_cmphex(st, ==, BM_INTR);
    g_assert_cmphex(ig_inb(&e, CTL) & ST_ERR, ==, 0);
    ranges[0] = GUINT64_TO_LE((2ull << 48) | (SECTORS - 1));
    g_assert_cmpint(xs_guest_mem_write(e.g, BUF, ranges, 512), ==, 0);
    ig_outb(&e, CMD + 1, 0x01);
    st = ig_dma(&e, 0x06, 0, 1, 512, true);
    g_assert_cmphex(ig_inb(&e, CTL) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(ig_inb(&e, CMD + R_ERR) & 0x04, ==, 0x04);
    ig_stop(&e);
}

static void test_nien_srst_slave(void)
{
    env e;
    unsigned level = 9;

    ig_start(&e, NULL, NULL);
    /* nIEN: the command completes, the line stays low. */
    ig_outb(&e, CTL, 0x02);
    ig_command(&e, 0xe7, 0, 0, false);
    g_assert_cmphex(ig_wait_not_busy(&e) & ST_ERR, ==, 0);
    g_assert_cmpint(xs_guest_irq_level(e.g, XS_IRQ_ISA, IRQ, &level), ==, 0);
    g_assert_cmpuint(level, ==, 0);
    /* SRST: BSY, then the signature. */
    ig_outb(&e, CTL, 0x06);
    g_assert_cmphex(ig_inb(&e, CTL) & ST_BSY, ==, ST_BSY);
    ig_outb(&e, CTL, 0x00);
    g_assert_cmphex(ig_wait_not_busy(&e), ==, 0x50);
    g_assert_cmphex(ig_inb(&e, CMD + R_NSECT), ==, 1);
    g_assert_cmphex(ig_inb(&e, CMD + R_LBAL), ==, 1);
    g_assert_cmphex(ig_inb(&e, CMD + R_LBAH), ==, 0);
    /* Absent slave: status 00h, task file still latched. */
    ig_outb(&e, CMD + R_DEV, 0xb0);
    ig_outb(&e, CMD + R_NSECT, 0x55);
    g_assert_cmphex(ig_inb(&e, CMD + R_NSECT), ==, 0x55);
    g_assert_cmphex(ig_inb(&e, CMD + R_STAT), ==, 0);
    ig_outb(&e, CMD + R_STAT, 0xec);
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_ISA, IRQ, 1, 100), ==,
                    -ETIMEDOUT);
    ig_stop(&e);
}

static void test_cdrom(void)
{
    env e;
    char *iso = ig_make_image(64 * 2048);
    g_autofree char *cd = g_strdup_printf("%s,,hdc,cdrom", iso);
    uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };
    uint16_t w[6];
    uint8_t reply[36];
    uint32_t v = 0;

    ig_start(&e, NULL, cd);
    /* Secondary master: INQUIRY by PIO. */
    ig_outb(&e, 0x170 + R_DEV, 0xa0);
    ig_outb(&e, 0x170 + R_LBAM, 0x00);
    ig_outb(&e, 0x170 + R_LBAH, 0x10);
    ig_outb(&e, 0x170 + R_STAT, 0xa0);
    g_assert_cmphex(ig_inb(&e, 0x376) & ST_DRQ, ==, ST_DRQ);
    memcpy(w, inq, 12);
    g_assert_cmpint(xs_guest_mem_write(e.g, BUF, w, 12), ==, 0);
    g_assert_cmpint(xs_guest_rep_outs(e.g, 0x170, 2, BUF, 6, false), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_ISA, 15, 1, 5000), ==, 0);
    g_assert_cmphex(ig_inb(&e, 0x177) & ST_DRQ, ==, ST_DRQ);
    g_assert_cmpuint(ig_inb(&e, 0x170 + R_LBAM), ==, 36);
    g_assert_cmpint(xs_guest_rep_ins(e.g, 0x170, 2, BUF, 18, false), ==, 0);
    g_assert_cmpint(xs_guest_mem_read(e.g, BUF, reply, 36), ==, 0);
    g_assert_cmphex(reply[0], ==, 0x05);
    g_assert_cmpint(xs_guest_wait_irq(e.g, XS_IRQ_ISA, 15, 1, 5000), ==, 0);
    g_assert_cmphex(ig_inb(&e, 0x177) & (ST_DRQ | ST_ERR), ==, 0);
    g_assert_cmpint(xs_guest_in(e.g, 0x170 + R_NSECT, 1, &v), ==, 0);
    g_assert_cmphex(v & 3, ==, 3);
    ig_stop(&e);
    unlink(iso);
    g_free(iso);
}

/* ---- crash test ---- */

/* Rounds of: DMA-write random sectors, FLUSH CACHE, remember them as
 * durable; then write more without flushing and kill -9 the daemon at a
 * random moment. Every flushed sector must be in the image afterwards.
 * HVMEMU_CRASH_ROUNDS=N sets the rounds (scripts/durability-kill9). */
static void test_crash(void)
{
    const char *nrounds = g_getenv("HVMEMU_CRASH_ROUNDS");
    unsigned rounds = nrounds ? (unsigned)g_ascii_strtoull(nrounds, NULL, 10)
                          : g_test_slow() ? 40 : 6;
    g_autofree bool *flushed = g_new0(bool, 32768);
    uint64_t checked = 0;
    char *img = ig_make_image(1 << 24);           /* 32768 sectors */
    g_autofree uint8_t *expect = g_malloc0(1 << 24);
    g_autofree uint8_t *got = g_malloc(1 << 24);
    GRand *rnd = g_rand_new_with_seed(4);
    unsigned losses = 0;

    for (unsigned r = 0; r < rounds; r++) {
        env e;
        g_autofree uint8_t *buf = g_malloc(64 * 512);
        int fd;

        ig_start_image(&e, img, NULL, NULL);
        xs_guest_set_timeout(e.g, 2000);
        for (unsigned i = 0; i < 8; i++) {
            uint32_t lba = g_rand_int_range(rnd, 0, 32768 - 64);
            uint32_t n = g_rand_int_range(rnd, 1, 64);

            ig_fill(buf, n * 512, r * 100 + i);
            g_assert_cmpint(xs_guest_mem_write(e.g, BUF, buf, n * 512), ==,
                            0);
            g_assert_cmphex(ig_dma(&e, 0xca, lba, n, n * 512, false), ==,
                            BM_INTR);
            memcpy(expect + (size_t)lba * 512, buf, n * 512);
            for (uint32_t k = 0; k < n; k++) {
                flushed[lba + k] = true;    /* FLUSH CACHE follows */
            }
        }
        ig_command(&e, 0xea, 0, 0, true);          /* FLUSH CACHE EXT */
        ig_wait_irq(&e);
        g_assert_cmphex(ig_inb(&e, CMD + R_STAT) & ST_ERR, ==, 0);
        /* Unflushed writes to other places, then kill -9 mid-way. */
        for (unsigned i = 0; i < 4; i++) {
            ig_fill(buf, 512, 7777 + i);
            xs_guest_mem_write(e.g, BUF, buf, 512);
            ig_command(&e, 0xca, 32768 - 64 + i, 1, false);
            ig_outb(&e, BM, BM_START);
            if (g_rand_boolean(rnd)) {
                break;
            }
        }
        g_usleep(g_rand_int_range(rnd, 0, 2000));
        g_assert_cmpint(simh_stop_hvmemu(e.h, SIGKILL, 5000), ==,
                        128 + SIGKILL);
        simh_free(e.h);
        g_free(e.img);
        fd = open(img, O_RDONLY);
        g_assert_cmpint(pread(fd, got, 1 << 24, 0), ==, 1 << 24);
        close(fd);
        for (size_t s = 0; s < 32768 - 64; s++) {
            losses += memcmp(got + s * 512, expect + s * 512, 512) != 0;
            checked += flushed[s];
        }
    }
    g_test_message("crash test: %u rounds, %" G_GUINT64_FORMAT " flushed "
                   "sectors checked, %u flushed sectors lost", rounds,
                   checked, losses);
    g_assert_cmpuint(losses, ==, 0);
    g_rand_free(rnd);
    unlink(img);
    g_free(img);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/ide/identify", test_identify);
    g_test_add_func("/sim/ide/pio", test_pio);
    g_test_add_func("/sim/ide/dma", test_dma);
    g_test_add_func("/sim/ide/flush-errors", test_flush_and_errors);
    g_test_add_func("/sim/ide/trim", test_trim);
    g_test_add_func("/sim/ide/nien-srst-slave", test_nien_srst_slave);
    g_test_add_func("/sim/ide/cdrom", test_cdrom);
    g_test_add_func("/sim/ide/crash", test_crash);
    return g_test_run();
}
