/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture for the ioreq unit tests: an hv_ctx on the in-memory host
 * with recording regions in every space, and an ioreq_env over it.
 */
#ifndef TESTS_IOREQ_FIXTURE_H
#define TESTS_IOREQ_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "hvmemu/hvmemu.h"
#include "ioreq/decode.h"

#define FX_RAM_SIZE (64u * 1024u)
#define FX_PIO_BASE 0x1f0u          /* 8 ports */
#define FX_MMIO_BASE 0xfe000000ull  /* 4 KiB */
#define FX_VGA_BASE 0xa0000ull      /* 4 KiB, reachable by bufioreq */
#define FX_SBDF HV_SBDF(0, 0, 3, 0) /* 256 bytes of config space */

typedef struct fx_access {
    bool write;
    uint64_t off;
    unsigned size;
    uint64_t val;
} fx_access;

/* A device that logs every access; reads return next, next+step, ... */
typedef struct fx_dev {
    GArray *log; /* fx_access */
    uint64_t next;
    uint64_t step;
} fx_dev;

typedef struct fx {
    hv_memhost *mh;
    hv_ctx *ctx;
    uint8_t *ram;
    fx_dev pio, mmio, vga, pci;
    ioreq_env env;
    unsigned invalidations;
} fx;

void fx_setup(fx *f, gconstpointer data);
void fx_teardown(fx *f, gconstpointer data);

/* Access @i of @d (asserts it exists). */
const fx_access *fx_at(const fx_dev *d, unsigned i);
/* Assert access @i is (write, off, size, val). */
void fx_check(const fx_dev *d, unsigned i, bool write, uint64_t off,
              unsigned size, uint64_t val);
unsigned fx_count(const fx *f); /* accesses on all devices */

/* A request with the usual defaults (count 1, state READY). */
ioreq_t fx_req(unsigned type, unsigned dir, uint64_t addr, unsigned size,
               uint64_t data);

#endif
