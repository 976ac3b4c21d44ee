/* SPDX-License-Identifier: MIT */
/*
 * A machine for the ioreq targets: an fz_host context with "checking
 * devices" in every space (different access widths, one region straddling
 * another's end, one at the very top of the MMIO space), and an ioreq_env
 * over it. A checking device aborts when the core hands it an access that
 * breaks the hv_region_ops contract (region.h): size a power of two within
 * [min_size, max_size], the access inside the region.
 */
#ifndef TESTS_FUZZ_FUZZ_IOREQ_H
#define TESTS_FUZZ_FUZZ_IOREQ_H

#include "ioreq/decode.h"
#include "tests/fuzz/fuzz.h"

#define FI_RAM_SIZE (16u * 1024u)
#define FI_NDEVS 8

typedef struct fi fi;

typedef struct fi_dev {
    fi *m;
    uint64_t base, len;
    hv_space space;
    unsigned min, max;
    hv_region_ops ops;
} fi_dev;

struct fi {
    fz_host host;
    hv_ctx *ctx;
    ioreq_env env;
    fi_dev dev[FI_NDEVS];
    unsigned ndev;
    uint64_t accesses;      /* device callbacks so far */
    unsigned invalidations;
};

void fi_setup(fi *m);
void fi_teardown(fi *m);
/* An address chosen by @sel: inside/near one of the devices, or raw. */
uint64_t fi_pick_addr(fi *m, fz_in *in, hv_space space);

#endif
