// SPDX-License-Identifier: MIT
/*
 * bench-ide: DMA throughput of the real hvmemu under xensim, as a guest
 * driver sees it: sequential 1 MiB and random 4 KiB READ/WRITE DMA EXT,
 * one command at a time (IDE has no queueing), each for a fixed time.
 *
 *   bench-ide [--image FILE] [--seconds N] [--direct]
 *   bench-ide --target URI --size-mib M [--seconds N]
 *
 * --target gives the disk as a target hvmemu opens itself (an NBD URI),
 * of M MiB.
 *
 * Needs XENSIM_BIN, XENSIM_LIBDIR and HVMEMU_BIN like the sim tests.
 * Without --image a 256 MiB file of data is made in $TMPDIR. Prints one
 * line per workload: name, block size, MB/s, IOPS (for scripts/bench-disk
 * to set next to fio on the same file).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ide-guest.h"
#include "ide-bench.h"

static char *make_data_image(uint64_t bytes)
{
    char *path = ig_make_image(bytes);
    g_autofree uint8_t *buf = g_malloc(1 << 20);
    int fd = open(path, O_WRONLY);

    g_assert_cmpint(fd, >=, 0);
    for (uint64_t off = 0; off < bytes; off += 1 << 20) {
        ig_fill(buf, 1 << 20, (unsigned)(off >> 20));
        g_assert_cmpint(pwrite(fd, buf, 1 << 20, (off_t)off), ==, 1 << 20);
    }
    fsync(fd);
    close(fd);
    return path;
}

/* One command through xensim, as a guest driver issues it. */
static bool dma(void *opaque, const ide_bench_workload *w, uint64_t lba)
{
    uint8_t st = ig_dma(opaque, w->cmd, lba, w->sectors, w->sectors * 512,
                        true);

    g_assert_cmphex(st, ==, BM_INTR);
    return true;
}

static void run(env *e, const ide_bench_workload *w, uint64_t sectors,
                double secs)
{
    ide_bench_run("hvmemu", w, sectors, secs, dma, e);
}

int main(int argc, char **argv)
{
    g_autofree char *image = NULL;
    g_autofree char *target = NULL;
    gint seconds = 3, size_mib = 0;
    gboolean direct = FALSE;
    GOptionEntry entries[] = {
        { "image", 0, 0, G_OPTION_ARG_FILENAME, &image, "disk image", "F" },
        { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "per workload", "N" },
        { "direct", 0, 0, G_OPTION_ARG_NONE, &direct, "O_DIRECT", NULL },
        { "target", 0, 0, G_OPTION_ARG_STRING, &target, "disk target (URI)",
          "T" },
        { "size-mib", 0, 0, G_OPTION_ARG_INT, &size_mib, "its size", "M" },
        { NULL },
    };
    GOptionContext *oc = g_option_context_new("- IDE DMA benchmark");
    GError *err = NULL;
    bool own = false;
    GStatBuf st;
    env e;

    g_option_context_add_main_entries(oc, entries, NULL);
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        fprintf(stderr, "bench-ide: %s\n", err->message);
        return 2;
    }
    g_option_context_free(oc);
    if (target) {
        if (size_mib <= 0) {
            fprintf(stderr, "bench-ide: --target needs --size-mib\n");
            return 2;
        }
        ig_start_image(&e, target, NULL, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(ide_bench_workloads); i++) {
            run(&e, &ide_bench_workloads[i], (uint64_t)size_mib * 2048, seconds);
        }
        ig_stop(&e);
        return 0;
    }
    if (!image) {
        image = make_data_image(256 << 20);
        own = true;
    }
    g_assert_cmpint(g_stat(image, &st), ==, 0);
    ig_start_image(&e, image, direct ? "direct=on" : NULL, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(ide_bench_workloads); i++) {
        run(&e, &ide_bench_workloads[i], (uint64_t)st.st_size / 512, seconds);
    }
    ig_stop(&e);
    if (own) {
        unlink(image);
    }
    return 0;
}
