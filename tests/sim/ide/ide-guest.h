// SPDX-License-Identifier: MIT
/*
 * The guest side of the IDE simulated-Xen tests and benchmark: start
 * xensim + hvmemu with --disk, and speak ATA to the PIIX3 the way a driver
 * does (port I/O, PRD tables in guest RAM, IRQ 14).
 */
#ifndef TESTS_SIM_IDE_GUEST_H
#define TESTS_SIM_IDE_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

/* The guest's view (ATA/ATAPI-7, PCI IDE bus master rev 1.0). */
#define CMD     0x1f0
#define CTL     0x3f6
#define IRQ     14
#define BM      0xc000
#define R_ERR   1
#define R_NSECT 2
#define R_LBAL  3
#define R_LBAM  4
#define R_LBAH  5
#define R_DEV   6
#define R_STAT  7
#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DRDY 0x40
#define ST_BSY  0x80
#define BM_START 0x01
#define BM_TOMEM 0x08
#define BM_ACTIVE 0x01
#define BM_ERRB  0x02
#define BM_INTR  0x04
#define PRD_EOT  0x80000000u
#define PRDT    0x10000
#define BUF     0x100000
#define SECTORS ((1ull << 28) + 64)     /* sparse: crosses LBA28 */

typedef struct env {
    simh *h;
    xs_guest *g;
    char *img;
    bool keep_img;      /* the image is the caller's: don't unlink it */
} env;

uint8_t ig_inb(env *e, uint16_t port);
void ig_outb(env *e, uint16_t port, uint8_t v);
void ig_outl(env *e, uint16_t port, uint32_t v);
/* A sparse image file of @bytes in the temporary directory. */
char *ig_make_image(uint64_t bytes);
/* xensim + hvmemu --disk hda (a fresh SECTORS image, spec keys @keys),
 * and optionally a second --disk; BAR4 at BM, I/O + bus master on. */
void ig_start(env *e, const char *keys, const char *extra_disk);
/* The same on an existing image (left in place by ig_stop). */
void ig_start_image(env *e, const char *img, const char *keys,
                    const char *extra_disk);
/* The same with more hvmemu arguments (NULL-terminated). */
void ig_start_args(env *e, const char *img, const char *keys,
                   const char *const *extra);
void ig_stop(env *e);
void ig_wait_irq(env *e);
uint8_t ig_wait_not_busy(env *e);
void ig_command(env *e, uint8_t cmd, uint64_t lba, uint32_t count,
                bool lba48);
void ig_fill(uint8_t *b, size_t n, unsigned seed);
/* A DMA command with PRDs covering @prd_bytes at BUF; waits for IRQ 14,
 * acknowledges it; returns the bus-master status. */
uint8_t ig_dma(env *e, uint8_t cmd, uint64_t lba, uint32_t n,
               uint32_t prd_bytes, bool lba48);

#endif
