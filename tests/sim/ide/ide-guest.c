// SPDX-License-Identifier: MIT
/* Guest side of the IDE simulated-Xen tests: see ide-guest.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "ide-guest.h"

uint8_t ig_inb(env *e, uint16_t port)
{
    uint32_t v = 0;

    g_assert_cmpint(xs_guest_in(e->g, port, 1, &v), ==, 0);
    return (uint8_t)v;
}


void ig_outb(env *e, uint16_t port, uint8_t v)
{
    g_assert_cmpint(xs_guest_out(e->g, port, 1, v), ==, 0);
}

void ig_outl(env *e, uint16_t port, uint32_t v)
{
    g_assert_cmpint(xs_guest_out(e->g, port, 4, v), ==, 0);
}

char *ig_make_image(uint64_t bytes)
{
    char *path = NULL;
    int fd = g_file_open_tmp("hvmemu-sim-ide-XXXXXX", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)bytes), ==, 0);
    close(fd);
    return path;
}

void ig_start_args(env *e, const char *img, const char *keys,
                   const char *const *extra)
{
    g_autofree char *spec = NULL;
    g_autoptr(GPtrArray) args = g_ptr_array_new();

    memset(e, 0, sizeof(*e));
    e->img = g_strdup(img);
    e->keep_img = true;
    spec = g_strdup_printf("format=raw,vdev=hda,access=rw%s%s,target=%s",
                           keys ? "," : "", keys ? keys : "", e->img);
    g_ptr_array_add(args, "--disk");
    g_ptr_array_add(args, spec);
    for (; extra && *extra; extra++) {
        g_ptr_array_add(args, (gpointer)*extra);
    }
    g_ptr_array_add(args, NULL);
    e->h = simh_new(&(simh_opts){ .vcpus = 1 });
    g_assert_true(simh_start_hvmemu(e->h, (const char *const *)args->pdata,
                                    1));
    e->g = simh_guest(e->h, 0);
    /* BIOS-style setup: BAR4, I/O decode and bus mastering. */
    g_assert_cmpint(xs_guest_pci_write(e->g, 0, 1, 1, 0x20, 4, BM), ==, 0);
    g_assert_cmpint(xs_guest_pci_write(e->g, 0, 1, 1, 0x04, 2, 0x5), ==, 0);
}

void ig_start_image(env *e, const char *img, const char *keys,
                    const char *extra_disk)
{
    const char *extra[] = { "--disk", extra_disk, NULL };

    ig_start_args(e, img, keys, extra_disk ? extra : NULL);
}

void ig_start(env *e, const char *keys, const char *extra_disk)
{
    g_autofree char *img = ig_make_image(SECTORS * 512);

    ig_start_image(e, img, keys, extra_disk);
    e->keep_img = false;
}

void ig_stop(env *e)
{
    g_assert_cmpint(simh_stop_hvmemu(e->h, SIGTERM, 5000), ==, 0);
    simh_free(e->h);
    if (!e->keep_img) {
        unlink(e->img);
    }
    g_free(e->img);
}

void ig_wait_irq(env *e)
{
    g_assert_cmpint(xs_guest_wait_irq(e->g, XS_IRQ_ISA, IRQ, 1, 5000), ==,
                    0);
}

uint8_t ig_wait_not_busy(env *e)
{
    uint8_t st = 0;

    for (int i = 0; i < 5000; i++) {
        st = ig_inb(e, CTL);
        if (!(st & ST_BSY)) {
            break;
        }
        g_usleep(1000);
    }
    return st;
}

void ig_command(env *e, uint8_t cmd, uint64_t lba, uint32_t count,
                    bool lba48)
{
    if (lba48) {
        ig_outb(e, CMD + R_NSECT, (count >> 8) & 0xff);
        ig_outb(e, CMD + R_LBAL, (lba >> 24) & 0xff);
        ig_outb(e, CMD + R_LBAM, (lba >> 32) & 0xff);
        ig_outb(e, CMD + R_LBAH, (lba >> 40) & 0xff);
    }
    ig_outb(e, CMD + R_NSECT, count & 0xff);
    ig_outb(e, CMD + R_LBAL, lba & 0xff);
    ig_outb(e, CMD + R_LBAM, (lba >> 8) & 0xff);
    ig_outb(e, CMD + R_LBAH, (lba >> 16) & 0xff);
    ig_outb(e, CMD + R_DEV, 0xe0 | (lba48 ? 0 : (lba >> 24) & 0x0f));
    ig_outb(e, CMD + R_STAT, cmd);
}

void ig_fill(uint8_t *b, size_t n, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 7;

    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
}

uint8_t ig_dma(env *e, uint8_t cmd, uint64_t lba, uint32_t n,
                   uint32_t prd_bytes, bool lba48)
{
    uint32_t prd[64][2];
    unsigned k = 0;
    uint8_t st;
    bool to_mem = cmd == 0xc8 || cmd == 0x25;

    for (uint32_t off = 0; off < prd_bytes; off += 0x10000, k++) {
        prd[k][0] = BUF + off;
        prd[k][1] = MIN(0x10000u, prd_bytes - off) & 0xffff;
    }
    prd[k - 1][1] |= PRD_EOT;
    g_assert_cmpint(xs_guest_mem_write(e->g, PRDT, prd, k * 8), ==, 0);
    ig_outb(e, BM, 0);
    ig_outb(e, BM + 2, BM_INTR | BM_ERRB);
    ig_outl(e, BM + 4, PRDT);
    ig_outb(e, BM, to_mem ? BM_TOMEM : 0);
    ig_command(e, cmd, lba, n, lba48);
    ig_outb(e, BM, BM_START | (to_mem ? BM_TOMEM : 0));
    ig_wait_irq(e);
    st = ig_inb(e, BM + 2);
    ig_outb(e, BM, 0);
    g_assert_cmphex(ig_inb(e, CMD + R_STAT) & (ST_BSY | ST_DRQ), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(e->g, XS_IRQ_ISA, IRQ, 0, 1000), ==, 0);
    ig_outb(e, BM + 2, BM_INTR | BM_ERRB);
    return st;
}

