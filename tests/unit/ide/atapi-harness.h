/* SPDX-License-Identifier: MIT */
/*
 * The ATAPI side of the IDE test harness: a DVD-ROM (the primary master
 * with devtype=cdrom) holding a known pattern, PACKET
 * commands by PIO and by DMA as a guest's sr/libata driver issues them,
 * and the sense data after an error.
 */
#ifndef TESTS_UNIT_IDE_ATAPI_HARNESS_H
#define TESTS_UNIT_IDE_ATAPI_HARNESS_H

#include "ide-harness.h"

#define PRDT_GPA 0x1000
#define BUF_GPA  0x100000
#define CD_BLOCKS 64

typedef struct ih_reply {
    uint8_t status;     /* final Status */
    uint8_t error;
    uint32_t len;       /* bytes transferred */
    unsigned drq_blocks;
    uint8_t data[65536];
} ih_reply;

/* The disc: CD_BLOCKS 2048-byte blocks of ih_fill(seed 42); @keys are
 * extra spec keys. ih_cd_expected: blocks @lba.. of that pattern. */
void ih_cd_setup(ih *h, const char *keys);
void ih_cd_expected(uint8_t *out, uint32_t lba, uint32_t n);
/* A PACKET command by PIO with byte count limit @limit, every DRQ block
 * read into @r; asserts the protocol (Interrupt Reason, BSY, limits). */
void ih_packet_pio(ih *h, const uint8_t *cdb, uint16_t limit, ih_reply *r);
/* The same by DMA into one PRD of @prd_len bytes; the BM status. */
uint8_t ih_packet_dma(ih *h, const uint8_t *cdb, uint32_t prd_len);
void ih_cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t n);
/* REQUEST SENSE: asserts the sense key and ASC. */
void ih_check_sense(ih *h, uint8_t key, uint8_t asc);

#endif
