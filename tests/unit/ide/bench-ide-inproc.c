// SPDX-License-Identifier: MIT
/*
 * bench-ide-inproc: the IDE device model alone, without a hypervisor or
 * the simulator: the PIIX IDE on the in-memory host (ide-harness.c plays
 * the guest driver through the dispatch core, guest RAM is a buffer),
 * READ/WRITE DMA EXT one command at a time against a file, as
 * tests/sim/ide/bench-ide does through xensim. What is left between this
 * and fio on the same file is the device model's own cost — its bounce
 * copy included, which the second figure prices on its own.
 *
 *   bench-ide-inproc --image FILE [--seconds N] [--direct]
 *
 * Prints per workload "inproc NAME bs=.. X MB/s Y IOPS" (scripts/bench-disk
 * sets it beside the simulator's and fio's), then "copy 1M: X us", the
 * cost of copying one MiB between guest RAM and the bounce buffer.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ide-harness.h"
#include "ide-bench.h"

#define BI_BUF_GPA   0x100000u   /* the data buffer: 1 MiB at 1 MiB */
#define BI_PRDT_GPA  0x10000u

/* The buffer as a Linux driver's scatter list would give it: 64 KiB PRDs. */
static unsigned make_prdt(ih_prd *prd, uint32_t bytes)
{
    unsigned n = 0;

    for (uint32_t off = 0; off < bytes; off += 65536, n++) {
        uint32_t len = MIN(65536u, bytes - off);

        prd[n] = (ih_prd){ BI_BUF_GPA + off, len & 0xffff };
    }
    prd[n - 1].size |= PRD_EOT;
    return n;
}

/* One command on the in-memory host, as ide-harness.c's driver issues it. */
static bool dma(void *opaque, const ide_bench_workload *w, uint64_t lba)
{
    ih *h = opaque;
    ih_prd prd[16];
    unsigned nprd = make_prdt(prd, w->sectors * 512);
    uint8_t st = ih_dma(h, w->cmd, lba, w->sectors, prd, nprd, BI_PRDT_GPA);

    if (st != BM_ST_INTR) {
        fprintf(stderr, "bench-ide-inproc: %s at %" G_GUINT64_FORMAT
                ": BM status 0x%02x\n", w->name, lba, st);
        return false;
    }
    return true;
}

/* What one MiB of bounce copy costs: guest RAM to the buffer and back,
 * as hv_mem_read/hv_mem_write do it for a DMA command. */
static void price_copy(ih *h)
{
    g_autofree uint8_t *buf = g_malloc(1 << 20);
    const unsigned rounds = 2000;
    gint64 t0;

    memset(buf, 0x5a, 1 << 20);
    t0 = g_get_monotonic_time();
    for (unsigned i = 0; i < rounds; i++) {
        if (hv_mem_write(h->ctx, BI_BUF_GPA, buf, 1 << 20) < 0 ||
            hv_mem_read(h->ctx, BI_BUF_GPA, buf, 1 << 20) < 0) {
            fprintf(stderr, "bench-ide-inproc: guest RAM copy failed\n");
            exit(1);
        }
    }
    printf("copy 1M: %.1f us\n",
           (g_get_monotonic_time() - t0) / (2.0 * rounds));
}

int main(int argc, char **argv)
{
    g_autofree char *image = NULL;
    gint seconds = 3;
    gboolean direct = FALSE;
    GOptionEntry entries[] = {
        { "image", 0, 0, G_OPTION_ARG_FILENAME, &image, "disk image", "F" },
        { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "per workload", "N" },
        { "direct", 0, 0, G_OPTION_ARG_NONE, &direct, "O_DIRECT", NULL },
        { NULL },
    };
    GOptionContext *oc = g_option_context_new("- IDE DMA, in process");
    GError *err = NULL;
    GStatBuf st;
    ih h;

    g_option_context_add_main_entries(oc, entries, NULL);
    if (!g_option_context_parse(oc, &argc, &argv, &err) || !image) {
        fprintf(stderr, "bench-ide-inproc: %s\n",
                err ? err->message : "--image FILE is required");
        return 2;
    }
    g_option_context_free(oc);
    if (g_stat(image, &st) < 0 || st.st_size < (1 << 20)) {
        fprintf(stderr, "bench-ide-inproc: %s: not a file of 1 MiB or more\n",
                image);
        return 2;
    }
    ih_setup_image(&h, image, (uint64_t)st.st_size / 512,
                   &(ih_conf){ .keys = direct ? "direct=on" : NULL });
    for (size_t i = 0; i < G_N_ELEMENTS(ide_bench_workloads); i++) {
        if (!ide_bench_run("inproc", &ide_bench_workloads[i], h.sectors,
                           seconds, dma, &h)) {
            return 1;
        }
    }
    price_copy(&h);
    ih_teardown(&h);
    return 0;
}
