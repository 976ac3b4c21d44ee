/* SPDX-License-Identifier: MIT */
/*
 * The IDE DMA benchmark's workloads and timing loop, shared by
 * tests/sim/ide/bench-ide (through xensim) and tests/unit/ide/
 * bench-ide-inproc (the device model alone), so scripts/bench-disk sets
 * like beside like: sequential 1 MiB and random 4 KiB READ/WRITE DMA EXT,
 * one command at a time (IDE has no queueing), each for a fixed time.
 */
#ifndef TESTS_COMMON_IDE_BENCH_H
#define TESTS_COMMON_IDE_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

typedef struct ide_bench_workload {
    const char *name;
    uint8_t cmd;        /* READ DMA EXT (0x25) or WRITE DMA EXT (0x35) */
    uint32_t sectors;
    bool random;
} ide_bench_workload;

static const ide_bench_workload ide_bench_workloads[] = {
    { "seq-read", 0x25, 2048, false },
    { "seq-write", 0x35, 2048, false },
    { "rand-read", 0x25, 8, true },
    { "rand-write", 0x35, 8, true },
};

/* One command of @w at @lba; false ends the run (the caller says why). */
typedef bool (*ide_bench_dma_fn)(void *opaque, const ide_bench_workload *w,
                                 uint64_t lba);

/* @w on a disk of @sectors for @secs seconds; prints "PREFIX NAME bs=..
 * X MB/s Y IOPS". False if a command failed. */
static inline bool ide_bench_run(const char *prefix,
                                 const ide_bench_workload *w,
                                 uint64_t sectors, double secs,
                                 ide_bench_dma_fn dma, void *opaque)
{
    GRand *rnd = g_rand_new_with_seed(1);
    uint64_t span = sectors / w->sectors, lba = 0, ops = 0;
    gint64 t0 = g_get_monotonic_time(), now = t0;
    bool ok = true;

    while (ok && now - t0 < secs * 1e6) {
        for (int i = 0; ok && i < 16; i++, ops++) {
            uint64_t at = w->random ?
                (uint64_t)g_rand_int_range(rnd, 0, (gint32)span) * w->sectors
                : lba;

            ok = dma(opaque, w, at);
            lba = (lba + w->sectors) % (span * w->sectors);
        }
        now = g_get_monotonic_time();
    }
    secs = (now - t0) / 1e6;
    if (ok) {
        printf("%s %-10s bs=%-5s %9.1f MB/s %9.0f IOPS\n", prefix, w->name,
               w->sectors == 8 ? "4k" : "1M",
               ops * w->sectors * 512.0 / 1e6 / secs, ops / secs);
        fflush(stdout);
    }
    g_rand_free(rnd);
    return ok;
}

#endif
