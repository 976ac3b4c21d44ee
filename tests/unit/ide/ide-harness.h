/* SPDX-License-Identifier: MIT */
/*
 * A PIIX IDE controller on the in-memory host, driven the way a guest
 * driver does: port I/O through the dispatch core, guest RAM in the
 * memhost buffer, the ISA IRQ level as recorded by the memhost. Backend
 * completions arrive by running the loop (bounded waits).
 */
#ifndef TESTS_UNIT_IDE_HARNESS_H
#define TESTS_UNIT_IDE_HARNESS_H

#include "hvmemu/hvmemu.h"
#include "hw/ide/ide_regs.h"

#define IH_RAM_SIZE   (16u << 20)
#define IH_BM_BASE    0xc000
#define IH_SBDF       HV_SBDF(0, 0, 1, 1)
#define IH_CMD        IDE_PRI_CMD
#define IH_CTL        IDE_PRI_CTL
#define IH_IRQ        IDE_PRI_IRQ
#define IH_SMALL_SECTORS 4096ull            /* 2 MiB image */
#define IH_BIG_SECTORS   ((1ull << 28) + 16) /* sparse, crosses LBA28 */

typedef struct ih_prd {
    uint32_t addr;
    uint32_t size;      /* byte count | PRD_EOT */
} ih_prd;

typedef struct ih {
    hv_memhost *mh;
    hv_loop *loop;
    hv_ctx *ctx;
    hv_device *dev;
    char *img[3];       /* hda, hdb, hdc images (may be NULL) */
    bool own_img;       /* deleted by ih_teardown (not a twin's) */
    uint64_t sectors;
} ih;

/* Options for ih_setup: one image per unit; extra spec keys per unit. */
typedef struct ih_conf {
    uint64_t sectors;       /* 0 = IH_SMALL_SECTORS */
    uint64_t extra_bytes;   /* appended to the image (partial sector) */
    bool slave;             /* also attach hdb */
    const char *keys;       /* appended to hda's spec, e.g. "wcache=off" */
    bool no_master;         /* only the slave */
    bool readonly;          /* hda with access=ro */
    const char *slave_keys; /* appended to hdb's spec */
    bool cdrom;             /* also hdc: an ATAPI DVD-ROM (secondary) */
} ih_conf;

void ih_setup(ih *h, const ih_conf *c);
/* hda is @path (@sectors long), the caller's: ih_teardown leaves it. */
void ih_setup_image(ih *h, const char *path, uint64_t sectors,
                    const ih_conf *c);
/* A second controller on @src's images with a copy of its RAM (what xl
 * restore gives the new domain; @copy_ram false: zeroed RAM), its PCI
 * function not programmed: a device state loaded next does that. Torn
 * down before @src. */
void ih_setup_twin(ih *dst, const ih *src, const ih_conf *c,
                   bool copy_ram);
void ih_teardown(ih *h);

uint8_t ih_inb(ih *h, uint16_t port);
uint16_t ih_inw(ih *h, uint16_t port);
uint32_t ih_inl(ih *h, uint16_t port);
void ih_outb(ih *h, uint16_t port, uint8_t v);
void ih_outw(ih *h, uint16_t port, uint16_t v);
void ih_outl(ih *h, uint16_t port, uint32_t v);
uint32_t ih_cfg_read(ih *h, unsigned reg, unsigned size);
void ih_cfg_write(ih *h, unsigned reg, unsigned size, uint32_t v);

unsigned ih_irq(ih *h);
/* Run the loop until IRQ14 is high (true) or ~2 s passed (false). */
bool ih_wait_irq(ih *h);
/* Run the loop until Alternate Status has BSY clear; returns it. */
uint8_t ih_wait_ready(ih *h);
uint8_t ih_status(ih *h);       /* Status: acknowledges the interrupt */
uint8_t ih_altstatus(ih *h);
uint8_t ih_error(ih *h);

/* Task file + command. dev: 0/1; lba48 writes the HOB bytes first. */
void ih_command(ih *h, unsigned dev, uint8_t cmd, uint64_t lba,
                uint32_t count, bool lba48);
/* IDENTIFY DEVICE by PIO into words[256]; false if it failed. */
bool ih_identify(ih *h, unsigned dev, uint16_t *words);
/* PIO transfers of @count sectors (block = sectors per DRQ block). */
void ih_pio_read(ih *h, uint8_t *buf, uint32_t count, unsigned block,
                 bool dword);
/* The first @count sectors of a longer command (no end-of-command check). */
void ih_pio_read_part(ih *h, uint8_t *buf, uint32_t count, unsigned block,
                      bool dword);
void ih_pio_write(ih *h, const uint8_t *buf, uint32_t count, unsigned block,
                  bool dword);

enum { IH_NO_BM = 1 << 8, IH_ABORT = 1 << 9 };
/* QEMU ide-test's send_dma_request: PRD table at @prdt_gpa, ATA command,
 * start the engine (READ_DMA: to memory), wait; returns BM status. */
uint8_t ih_dma(ih *h, int cmd, uint64_t lba, uint32_t count,
               const ih_prd *prd, unsigned nprd, uint64_t prdt_gpa);

void ih_fill(uint8_t *buf, size_t len, unsigned seed);

#endif
