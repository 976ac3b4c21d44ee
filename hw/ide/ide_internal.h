/* SPDX-License-Identifier: MIT */
/*
 * Private to hw/ide: the model is split like a real controller.
 *
 *   ide_bus     one channel: the shared task file, device selection,
 *               Device Control (nIEN, SRST), the ISA IRQ line (ide_bus.c)
 *   ide_drive   an ATA disk on a bus: command set and state
 *               (ide_ata.c, ide_identify.c, ide_pio.c, ide_dma.c)
 *   bmdma       the channel's bus-master engine at BAR4: registers and
 *               the PRD walk (ide_bmdma.c)
 *   ide_piix    the PIIX3 IDE PCI function tying two of each together
 *               (ide_piix.c)
 *
 * Everything runs on the loop thread; no locks, no globals.
 */
#ifndef HW_IDE_IDE_INTERNAL_H
#define HW_IDE_IDE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hvmemu/block.h"
#include "hvmemu/ctx.h"
#include "hvmemu/pci.h"
#include "hvmemu/unplug.h"
#include "hw/ide/ide_regs.h"

#define IDE_LOG "ide"

#define IDE_MAX_MULT      16    /* READ/WRITE MULTIPLE block, sectors */
#define IDE_DMA_CHUNK     2048  /* sectors per backend request (1 MiB) */
#define IDE_DSM_MAX_BLOCKS 8    /* DSM range blocks per command (word 105) */
#define IDE_LBA28_MAX     0x0fffffffULL
#define IDE_LBA48_MAX     0xffffffffffffULL

typedef struct ide_bus ide_bus;
typedef struct ide_drive ide_drive;
typedef struct bmdma bmdma;

typedef enum ide_xfer {
    IDE_XFER_NONE,
    IDE_XFER_PIO_IN,    /* device → host, DRQ blocks */
    IDE_XFER_PIO_OUT,   /* host → device */
    IDE_XFER_DMA,       /* waiting for / running the bus master */
    IDE_XFER_BUSY,      /* a non-data command waiting for the backend */
    IDE_XFER_ATAPI_CDB, /* PACKET: receiving the 12-byte command packet */
    IDE_XFER_ATAPI_IN,  /* PACKET: PIO data-in from the reply buffer */
} ide_xfer;

typedef enum ide_dma_kind {
    IDE_DMA_READ,       /* disk → guest memory */
    IDE_DMA_WRITE,      /* guest memory → disk */
    IDE_DMA_TRIM,       /* guest memory → DSM range list */
    IDE_DMA_ATAPI,      /* a PACKET reply in dma_buf → guest memory */
} ide_dma_kind;

/* Options a drive is created with (from a disk spec). */
typedef struct ide_drive_conf {
    const char *serial;     /* NULL = derived from the unit */
    bool wcache;            /* write cache enabled at power-on */
    bool trim;              /* advertise DATA SET MANAGEMENT/TRIM */
    bool atapi;             /* a read-only CD/DVD-ROM (packet device) */
} ide_drive_conf;

struct ide_drive {
    ide_bus *bus;
    unsigned unit;          /* 0 = master, 1 = slave */
    bool atapi;             /* packet device (CD/DVD-ROM), ide_atapi.c */
    hv_blk *blk;
    uint64_t nsectors;      /* capacity; a partial last sector reads 0s */
    bool readonly;
    bool trim;
    char serial[21];
    char model[41];
    char fwrev[9];

    /* Geometry: default (IDENTIFY 1/3/6) and current (54-56). */
    uint16_t cyls, heads, spt;
    uint16_t cur_cyls, cur_heads, cur_spt;
    uint8_t mult;           /* SET MULTIPLE MODE; 0 = disabled */
    uint8_t xfer_mode;      /* last SET FEATURES 03h value */
    bool wcache;
    bool wcache_default;
    bool standby;
    bool sleeping;

    uint8_t status;
    uint8_t error;

    /* The command in progress. */
    uint8_t cmd;
    bool lba48;             /* the command uses 48-bit addressing */
    ide_xfer xfer;
    uint64_t lba;           /* next sector to transfer */
    uint32_t remaining;     /* sectors still to transfer */
    unsigned block;         /* sectors per DRQ block (PIO) */
    unsigned blk_sectors;   /* sectors in the block/chunk in flight */
    uint8_t *pio_buf;       /* IDE_MAX_MULT sectors, 4 KiB aligned */
    unsigned pio_pos, pio_end;

    ide_dma_kind dma_kind;
    bool dma_running;       /* bus master started and transfer begun */
    uint8_t *dma_buf;       /* IDE_DMA_CHUNK sectors, 4 KiB aligned */
    uint64_t *trim_ranges;  /* DSM entries being processed */
    unsigned trim_n, trim_i;

    /* ATAPI (packet devices only) */
    uint8_t cdb[12];
    uint8_t sense_key, asc;
    bool atapi_dma;         /* PACKET Features bit 0 */
    bool locked;            /* PREVENT ALLOW MEDIUM REMOVAL */
    uint32_t atapi_limit;   /* byte count limit per DRQ block */
    uint32_t atapi_len;     /* reply bytes in dma_buf */
    uint32_t atapi_pos;     /* next reply byte to hand out */
    uint32_t atapi_chunk;   /* end of the current DRQ block */
    uint64_t atapi_lba;     /* READ: next 2048-byte block to fetch */
    uint32_t atapi_left;    /* READ: blocks still to fetch */
    bool medium;            /* a disc is loaded (ide_media.c) */
    bool unit_attention;    /* medium changed: report it once */
    uint8_t media_event;    /* GESN media event pending (MMC-5 §6.8) */

    /* Backend requests in flight; a reset waits for them (BSY). */
    unsigned gen;
    unsigned inflight;
    bool reset_pending;

    /* Unplug (ide_unplug.c) */
    hv_unplug_slot *unplug_slot;
    hv_timer *unplug_timer;
    bool unplugging;        /* removal requested: new commands abort */
    bool unplug_flushing;   /* idle; final flush submitted */
};

/* Command block registers as one device latches them. Both devices
 * latch every write (ATA-7 §5.2.3); reads come from the selected one, so
 * each can report its own signature and command outputs. The LBA48
 * registers are two-deep FIFOs; HOB reads the older byte. */
typedef struct ide_tf {
    uint8_t feature, hob_feature;
    uint8_t nsector, hob_nsector;   /* ATAPI: Interrupt Reason */
    uint8_t lbal, hob_lbal;
    uint8_t lbam, hob_lbam;         /* ATAPI: Byte Count low */
    uint8_t lbah, hob_lbah;         /* ATAPI: Byte Count high */
    uint8_t select;                 /* Device register */
} ide_tf;

struct ide_bus {
    hv_ctx *ctx;
    unsigned index;         /* 0 primary, 1 secondary */
    unsigned irq;           /* ISA IRQ 14/15 */
    ide_drive *drive[2];
    ide_drive *gone[2];     /* unplugged drives, freed with the bus */
    bmdma *bm;

    ide_tf tf[2];           /* per unit, present or not */
    unsigned unit;          /* selected unit (Device register DEV bit) */
    uint8_t devctl;         /* Device Control */

    bool irq_pending;       /* INTRQ asserted by a device */
    unsigned irq_level;     /* what we last told the host */
};

struct bmdma {
    ide_bus *bus;
    hv_pci_dev *pci;        /* for COMMAND.BME; NULL = always enabled */
    uint8_t cmd;
    uint8_t status;
    uint32_t prdt;          /* Descriptor Table Pointer register */
    /* PRD walk cursor (bmdma_prd_begin .. bmdma_prd_xfer) */
    uint64_t prd_next;      /* guest address of the next entry */
    uint64_t prd_end;       /* first address past the table's 64K page */
    uint64_t cur_addr;
    uint32_t cur_left;      /* bytes left in the current region */
    bool cur_eot;
};

/* ---- ide_bus.c ---- */
void ide_bus_init(ide_bus *bus, hv_ctx *ctx, unsigned index, unsigned irq,
                  bmdma *bm);
void ide_bus_reset(ide_bus *bus);
uint32_t ide_bus_cmd_read(ide_bus *bus, unsigned reg, unsigned size);
void ide_bus_cmd_write(ide_bus *bus, unsigned reg, unsigned size,
                       uint32_t val);
uint8_t ide_bus_ctl_read(ide_bus *bus);
void ide_bus_ctl_write(ide_bus *bus, uint8_t val);
/* A device asserts INTRQ (ATA-7 §5.2.9); cleared by reading Status. */
void ide_bus_raise_irq(ide_bus *bus);
void ide_bus_lower_irq(ide_bus *bus);
ide_drive *ide_bus_selected(ide_bus *bus);
/* Task-file helpers for commands */
static inline ide_tf *ide_drive_tf(ide_drive *d);
uint64_t ide_tf_lba48(const ide_tf *tf);
uint32_t ide_tf_count48(const ide_tf *tf);
void ide_tf_set_lba(ide_tf *tf, uint64_t lba, bool lba48);
/* After reset/diagnostics (ATA-7 §9.12): ATA 01h/01h/00h/00h, packet
 * devices 01h/01h/14h/EBh; device register 00h. */
void ide_tf_set_signature(ide_tf *tf, bool packet);
void ide_bus_set_signatures(ide_bus *bus);

/* ---- ide_drive.c: lifecycle, reset, backend requests ---- */
typedef void (*ide_io_fn)(ide_drive *d, int ret);

ide_drive *ide_drive_new(ide_bus *bus, unsigned unit, hv_blk *blk,
                         const ide_drive_conf *conf);
/* Closes the backend (waiting for its requests), then frees. */
void ide_drive_free(ide_drive *d);
void ide_drive_power_on(ide_drive *d);
/* Forget the command in progress (no status change). */
void ide_drive_clear_cmd(ide_drive *d);
void ide_drive_srst_assert(ide_drive *d);
void ide_drive_srst_release(ide_drive *d);
/* Submit to the backend; @fn runs on completion unless a reset made the
 * request stale meanwhile. A refused submission completes at once. */
void ide_blk_read(ide_drive *d, uint64_t lba, void *buf, unsigned nsec,
                  ide_io_fn fn);
void ide_blk_write(ide_drive *d, uint64_t lba, void *buf, unsigned nsec,
                   ide_io_fn fn);
void ide_blk_flush(ide_drive *d, ide_io_fn fn);
void ide_blk_discard(ide_drive *d, uint64_t lba, uint32_t nsec,
                     ide_io_fn fn);
/* Command ends: status DRDY|DSC (+ERR and Error), INTRQ raised. */
void ide_cmd_done(ide_drive *d);
void ide_cmd_abort(ide_drive *d, uint8_t error);
/* Both of the above: set status and error, end the command, interrupt. */
void ide_cmd_finish(ide_drive *d, uint8_t status, uint8_t error);
/* A data command finished (PIO or DMA): ends the bus master too. */
void ide_xfer_complete(ide_drive *d);
/* A data command failed on the backend: report the sector, ERR+@error. */
void ide_xfer_error(ide_drive *d, int ret, uint8_t error);
/* After the last data of a write: flush first if the cache is off. */
void ide_write_finish(ide_drive *d);
/* FLUSH CACHE and the commands that imply one. */
void ide_flush_begin(ide_drive *d);

/* ---- ide_unplug.c ---- */
void ide_unplug_register(ide_drive *d);
void ide_unplug_fini(ide_drive *d);
/* After every backend completion: continue a pending removal. */
void ide_unplug_progress(ide_drive *d);

/* ---- ide_ata.c: the command set ---- */
void ide_ata_exec(ide_drive *d, uint8_t cmd);
void ide_ata_diagnose(ide_bus *bus);

/* ---- ide_atapi.c: PACKET protocol; ide_atapi_mmc.c: MMC commands ---- */
#define ATAPI_SECTOR_SIZE 2048
#define ATAPI_IR_COD 0x01   /* Interrupt Reason (Sector Count): command */
#define ATAPI_IR_IO  0x02   /* ... to the host */

/* SCSI sense keys (SPC-3 §4.5.6) and additional sense codes */
#define SENSE_NOT_READY       0x02
#define SENSE_MEDIUM_ERROR    0x03
#define SENSE_ILLEGAL_REQUEST 0x05
#define SENSE_ABORTED_COMMAND 0x0b
#define ASC_UNRECOVERED_READ  0x11
#define ASC_INVALID_OPCODE    0x20
#define ASC_LBA_OUT_OF_RANGE  0x21
#define ASC_INVALID_FIELD     0x24
#define ASC_SAVING_PARAMS     0x39
#define SENSE_UNIT_ATTENTION  0x06
#define ASC_MEDIUM_CHANGED    0x28    /* not ready to ready change */
#define ASC_MEDIUM_NOT_PRESENT 0x3a
#define ASC_REMOVAL_PREVENTED 0x53    /* ASCQ 02h: medium removal prevented */

/* An ATA command to a packet device: true if handled here, false if the
 * common ATA code should run it (SET FEATURES, power management...). */
bool ide_atapi_exec(ide_drive *d, uint8_t cmd);
uint32_t ide_atapi_data_read(ide_drive *d, unsigned size);
void ide_atapi_data_write(ide_drive *d, unsigned size, uint32_t val);
uint32_t ide_atapi_blocks(const ide_drive *d);  /* capacity, 2048 B */
/* MMC/SPC command (ide_atapi_mmc.c): builds the reply in d->dma_buf and
 * returns its length, or -1 with d->sense_key/asc set. READ commands are
 * started by ide_atapi.c instead (return -2 after starting them). */
int ide_atapi_mmc(ide_drive *d);
void ide_atapi_sense(ide_drive *d, uint8_t key, uint8_t asc);
void ide_atapi_start_read(ide_drive *d, uint64_t lba, uint32_t blocks);

/* ---- ide_media.c: removable media of a packet device ---- */
/* GESN media class event codes (MMC-5 Table 127) */
#define MMC_EVENT_NONE          0
#define MMC_EVENT_NEW_MEDIA     2
#define MMC_EVENT_MEDIA_REMOVAL 3
/* The admin's eject and insert (hvmemu-ctl); 0 or an error. */
bool ide_media_eject(ide_drive *d, bool force, GError **err);
bool ide_media_insert(ide_drive *d, const char *path, GError **err);
/* START STOP UNIT with LoEj from the guest: false if the tray is locked. */
bool ide_media_guest_eject(ide_drive *d);

/* ---- ide_state.c: save/restore of a channel (hvmemu/state.h) ---- */
unsigned ide_bus_busy(const ide_bus *bus);   /* requests in flight */
void ide_bus_state_save(const ide_bus *bus, hv_state_out *o);
bool ide_bus_state_load(ide_bus *bus, hv_state_in *in, GError **err);

/* ---- ide_identify.c ---- */
void ide_identify_fill(const ide_drive *d, uint16_t *words);
void ide_drive_default_geometry(ide_drive *d);

/* ---- ide_pio.c ---- */
void ide_pio_read_begin(ide_drive *d, unsigned block);
void ide_pio_write_begin(ide_drive *d, unsigned block);
void ide_pio_identify(ide_drive *d);
uint32_t ide_pio_data_read(ide_drive *d, unsigned size);
void ide_pio_data_write(ide_drive *d, unsigned size, uint32_t val);

/* ---- ide_dma.c ---- */
void ide_dma_begin(ide_drive *d, ide_dma_kind kind);
void ide_dma_start(ide_drive *d);   /* both command and bus master ready */
/* End of a DMA command: the bus-master status, then the device status. */
void ide_dma_complete(ide_drive *d);
void ide_dma_fail(ide_drive *d, uint8_t error, bool bus_error);

/* ---- ide_bmdma.c ---- */
void bmdma_init(bmdma *bm, ide_bus *bus, hv_pci_dev *pci);
void bmdma_reset(bmdma *bm);
uint32_t bmdma_read(bmdma *bm, unsigned off, unsigned size);
void bmdma_write(bmdma *bm, unsigned off, unsigned size, uint32_t val);
/* A drive has a DMA command ready: start if the guest already started. */
void bmdma_kick(bmdma *bm);
bool bmdma_started(const bmdma *bm);
bool bmdma_master_enabled(const bmdma *bm);
void bmdma_prd_begin(bmdma *bm);
/* Move up to @len bytes between @buf and the PRD regions (@to_guest:
 * disk read). @dry: walk the table without touching data. Returns the
 * bytes covered (< len: the table ran out) or -EFAULT. */
ssize_t bmdma_prd_xfer(bmdma *bm, uint8_t *buf, size_t len, bool to_guest,
                       bool dry);
/* The transfer ended. @ok: all bytes moved (else PRDs too short, or
 * @bus_error for a memory/bus-master fault). */
void bmdma_finish(bmdma *bm, bool ok, bool bus_error);
/* The bus raised its interrupt line: latch INTR (BM IDE spec, bit 2). */
void bmdma_irq(bmdma *bm);

static inline ide_tf *ide_drive_tf(ide_drive *d)
{
    return &d->bus->tf[d->unit];
}

#endif
