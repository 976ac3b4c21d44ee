/* SPDX-License-Identifier: MIT */
/*
 * ATA register bits and command opcodes (ATA/ATAPI-7 volume 1, T13/1532D),
 * PCI IDE bus-master registers (Programming Interface for Bus Master IDE
 * Controller, rev 1.0) and the PIIX3 IDE function (Intel 82371SB datasheet).
 */
#ifndef HW_IDE_IDE_REGS_H
#define HW_IDE_IDE_REGS_H

#define IDE_SECTOR_SIZE 512

/* Command block register offsets from 1F0h/170h (ATA-7 §7.1, table 16) */
#define ATA_REG_DATA        0   /* 16/32-bit PIO data */
#define ATA_REG_ERROR       1   /* read: Error (§7.9) */
#define ATA_REG_FEATURE     1   /* write: Features (§7.10) */
#define ATA_REG_NSECTOR     2   /* Sector Count (§7.14) */
#define ATA_REG_LBAL        3   /* LBA Low (§7.12) */
#define ATA_REG_LBAM        4   /* LBA Mid (§7.13) */
#define ATA_REG_LBAH        5   /* LBA High (§7.11) */
#define ATA_REG_DEVICE      6   /* Device (§7.7) */
#define ATA_REG_STATUS      7   /* read: Status (§7.15) */
#define ATA_REG_COMMAND     7   /* write: Command (§7.4) */

/* Status (§7.15) */
#define ATA_SR_ERR   0x01   /* error */
#define ATA_SR_DRQ   0x08   /* data request */
#define ATA_SR_DSC   0x10   /* obsolete "seek complete"; drivers expect it */
#define ATA_SR_DF    0x20   /* device fault */
#define ATA_SR_DRDY  0x40   /* device ready */
#define ATA_SR_BSY   0x80   /* busy */

/* Error (§7.9; per-command outputs in ch. 6) */
#define ATA_ER_AMNF  0x01   /* also: diagnostic code 01h = passed */
#define ATA_ER_ABRT  0x04   /* command aborted */
#define ATA_ER_IDNF  0x10   /* address not found / out of range */
#define ATA_ER_UNC   0x40   /* uncorrectable data */
#define ATA_ER_ICRC  0x80   /* interface CRC */

/* Device register (§7.7) */
#define ATA_DEV_DEV  0x10   /* device 1 selected */
#define ATA_DEV_LBA  0x40   /* LBA addressing (else CHS) */
#define ATA_DEV_OBS  0xa0   /* obsolete bits, traditionally written as 1 */

/* Device Control (§7.8), at 3F6h/376h */
#define ATA_DC_NIEN  0x02   /* interrupts disabled */
#define ATA_DC_SRST  0x04   /* software reset */
#define ATA_DC_HOB   0x80   /* read the previous (high-order) bytes */

/* Commands (ATA-7 ch. 6; DSM from ACS-2 §7.5) */
#define ATA_CMD_NOP                 0x00
#define ATA_CMD_DSM                 0x06
#define ATA_CMD_DEVICE_RESET        0x08
#define ATA_CMD_READ_SECTORS        0x20
#define ATA_CMD_READ_SECTORS_NR     0x21    /* obsolete "without retry" */
#define ATA_CMD_READ_SECTORS_EXT    0x24
#define ATA_CMD_READ_DMA_EXT        0x25
#define ATA_CMD_READ_NATIVE_MAX_EXT 0x27
#define ATA_CMD_READ_MULTIPLE_EXT   0x29
#define ATA_CMD_WRITE_SECTORS       0x30
#define ATA_CMD_WRITE_SECTORS_NR    0x31
#define ATA_CMD_WRITE_SECTORS_EXT   0x34
#define ATA_CMD_WRITE_DMA_EXT       0x35
#define ATA_CMD_WRITE_MULTIPLE_EXT  0x39
#define ATA_CMD_VERIFY              0x40
#define ATA_CMD_VERIFY_NR           0x41
#define ATA_CMD_VERIFY_EXT          0x42
#define ATA_CMD_SEEK                0x70    /* 7xh, obsolete but harmless */
#define ATA_CMD_DIAGNOSE            0x90
#define ATA_CMD_INIT_DEV_PARAMS     0x91
#define ATA_CMD_PACKET              0xa0
#define ATA_CMD_IDENTIFY_PACKET     0xa1
#define ATA_CMD_READ_MULTIPLE       0xc4
#define ATA_CMD_WRITE_MULTIPLE      0xc5
#define ATA_CMD_SET_MULTIPLE        0xc6
#define ATA_CMD_READ_DMA            0xc8
#define ATA_CMD_READ_DMA_NR         0xc9
#define ATA_CMD_WRITE_DMA           0xca
#define ATA_CMD_WRITE_DMA_NR        0xcb
#define ATA_CMD_STANDBY_IMMEDIATE   0xe0
#define ATA_CMD_IDLE_IMMEDIATE      0xe1
#define ATA_CMD_STANDBY             0xe2
#define ATA_CMD_IDLE                0xe3
#define ATA_CMD_CHECK_POWER         0xe5
#define ATA_CMD_SLEEP               0xe6
#define ATA_CMD_FLUSH_CACHE         0xe7
#define ATA_CMD_FLUSH_CACHE_EXT     0xea
#define ATA_CMD_IDENTIFY            0xec
#define ATA_CMD_SET_FEATURES        0xef
#define ATA_CMD_READ_NATIVE_MAX     0xf8

/* SET FEATURES subcommands (§6.49, table 44) */
#define ATA_SF_WCACHE_ON    0x02
#define ATA_SF_XFER_MODE    0x03
#define ATA_SF_RLA_OFF      0x55    /* read look-ahead */
#define ATA_SF_REVERT_OFF   0x66    /* revert to power-on defaults */
#define ATA_SF_WCACHE_OFF   0x82
#define ATA_SF_RLA_ON       0xaa
#define ATA_SF_REVERT_ON    0xcc

/* Transfer-mode values for SET FEATURES 03h (§6.49.3, table 45) */
#define ATA_XFER_PIO_DEFAULT 0x00
#define ATA_XFER_PIO_NOIORDY 0x01
#define ATA_XFER_PIO_0       0x08   /* 08h + mode */
#define ATA_XFER_MWDMA_0     0x20   /* 20h + mode */
#define ATA_XFER_UDMA_0      0x40   /* 40h + mode */

/* DSM (ACS-2 §7.5): Features bit 0 = TRIM; 8-byte LBA range entries */
#define ATA_DSM_TRIM         0x01
#define ATA_DSM_RANGE_LBA(e) ((e) & 0xffffffffffffULL)
#define ATA_DSM_RANGE_LEN(e) ((uint32_t)((e) >> 48))

/* Bus-master registers per channel (BM IDE spec §2, table 1) */
#define BM_REG_CMD    0     /* Bus Master IDE Command */
#define BM_REG_STATUS 2     /* Bus Master IDE Status */
#define BM_REG_PRDT   4     /* Descriptor Table Pointer (dword aligned) */
#define BM_CHANNEL_STRIDE 8

#define BM_CMD_START  0x01  /* Start/Stop Bus Master */
#define BM_CMD_WRITE  0x08  /* R/W: 1 = bus master writes memory (disk read) */

#define BM_ST_ACTIVE  0x01  /* Bus Master IDE Active (RO) */
#define BM_ST_ERR     0x02  /* Error (RWC) */
#define BM_ST_INTR    0x04  /* Interrupt (RWC) */
#define BM_ST_DMA0    0x20  /* Drive 0 DMA capable (RW) */
#define BM_ST_DMA1    0x40  /* Drive 1 DMA capable (RW) */
#define BM_ST_SIMPLEX 0x80  /* Simplex only (RO) */

/* Physical Region Descriptor (BM IDE spec §1.2) */
#define PRD_EOT        0x80000000u  /* end of table, byte 3 bit 7 */
#define PRD_COUNT_MASK 0xfffeu      /* bits 15:1; 0 means 64 KiB */
#define PRD_ADDR_MASK  0xfffffffeu
#define PRD_TABLE_ALIGN 0x10000u    /* a table may not cross 64 KiB */

/* PIIX3 IDE (82371SB datasheet §2.3) */
#define PIIX_VENDOR_INTEL  0x8086
#define PIIX3_IDE_DEVICE   0x7010
#define PIIX_IDE_CLASS     0x010180 /* mass storage, IDE, bus master */
#define PIIX_IDETIM_PRI    0x40     /* IDE timing, 16 bit; bit 15 = decode */
#define PIIX_IDETIM_SEC    0x42
#define PIIX_SIDETIM       0x44     /* slave IDE timing */
#define PIIX_IDETIM_IDE    0x8000   /* IDE decode enable */
#define PIIX_BMIBA_BAR     4        /* BMIBA at 20h: 16 bytes of I/O */

#define IDE_PRI_CMD  0x1f0
#define IDE_PRI_CTL  0x3f6
#define IDE_PRI_IRQ  14
#define IDE_SEC_CMD  0x170
#define IDE_SEC_CTL  0x376
#define IDE_SEC_IRQ  15

#endif
