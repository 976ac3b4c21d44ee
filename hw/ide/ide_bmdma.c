/* SPDX-License-Identifier: MIT */
/*
 * PCI IDE bus-master engine of one channel (Programming Interface for Bus
 * Master IDE Controller, rev 1.0): Command, Status and Descriptor Table
 * Pointer registers, and the walk over the Physical Region Descriptor
 * table.
 *
 * The PRD table is guest memory and hostile: every entry is copied in with
 * hv_mem_read, every region is accessed with hv_mem_read/hv_mem_write
 * (-EFAULT outside RAM → bus-master Error), and the walk never leaves the
 * 64 KiB page the table starts in (the spec forbids crossing it), so it
 * visits at most 8192 entries whatever the guest wrote (no EOT, loops).
 *
 * End-of-transfer status, as the spec's §3.1 "Interrupt/Active" table and
 * QEMU's ide-test define it:
 *   PRDs shorter than the transfer   ACTIVE=0, INTR=0, no interrupt
 *   PRDs exactly as long             ACTIVE=0, INTR=1
 *   PRDs longer                      ACTIVE=1, INTR=1
 */
#define G_LOG_DOMAIN "ide"

#include <errno.h>

#include "hw/ide/ide_internal.h"

void bmdma_init(bmdma *bm, ide_bus *bus, hv_pci_dev *pci)
{
    bm->bus = bus;
    bm->pci = pci;
    bmdma_reset(bm);
}

void bmdma_reset(bmdma *bm)
{
    bm->cmd = 0;
    bm->status = 0;
    bm->prdt = 0;
    bm->cur_left = 0;
    bm->cur_eot = true;
}

bool bmdma_started(const bmdma *bm)
{
    return bm->cmd & BM_CMD_START;
}

bool bmdma_master_enabled(const bmdma *bm)
{
    return !bm->pci || hv_pci_bus_master(bm->pci);
}

void bmdma_irq(bmdma *bm)
{
    bm->status |= BM_ST_INTR;
}

void bmdma_kick(bmdma *bm)
{
    if (!bmdma_started(bm)) {
        return;
    }
    for (unsigned i = 0; i < 2; i++) {
        ide_drive *d = bm->bus->drive[i];

        if (d && d->xfer == IDE_XFER_DMA && !d->dma_running) {
            ide_dma_start(d);
            return;
        }
    }
}

/* ---- registers ---- */

static void bmdma_cmd_write(bmdma *bm, uint8_t val)
{
    uint8_t old = bm->cmd;

    bm->cmd = val & (BM_CMD_START | BM_CMD_WRITE);
    if (!(old & BM_CMD_START) && (val & BM_CMD_START)) {
        bm->status |= BM_ST_ACTIVE;
        bmdma_kick(bm);
    } else if ((old & BM_CMD_START) && !(val & BM_CMD_START)) {
        /* Stop: the engine lets go at once (spec §2.1). A backend request
         * already in flight finishes without touching guest memory. */
        bm->status &= ~BM_ST_ACTIVE;
    }
}

static void bmdma_status_write(bmdma *bm, uint8_t val)
{
    uint8_t keep = bm->status & (BM_ST_ACTIVE | BM_ST_SIMPLEX);
    uint8_t rwc = bm->status & (BM_ST_ERR | BM_ST_INTR) & ~val;

    bm->status = keep | rwc | (val & (BM_ST_DMA0 | BM_ST_DMA1));
}

static uint8_t bmdma_read_byte(bmdma *bm, unsigned off)
{
    switch (off) {
    case BM_REG_CMD:
        return bm->cmd;
    case BM_REG_STATUS:
        return bm->status;
    case BM_REG_PRDT:
    case BM_REG_PRDT + 1:
    case BM_REG_PRDT + 2:
    case BM_REG_PRDT + 3:
        return (bm->prdt >> (8 * (off - BM_REG_PRDT))) & 0xff;
    }
    return 0;
}

static void bmdma_write_byte(bmdma *bm, unsigned off, uint8_t val)
{
    unsigned shift;

    switch (off) {
    case BM_REG_CMD:
        bmdma_cmd_write(bm, val);
        break;
    case BM_REG_STATUS:
        bmdma_status_write(bm, val);
        break;
    case BM_REG_PRDT:
    case BM_REG_PRDT + 1:
    case BM_REG_PRDT + 2:
    case BM_REG_PRDT + 3:
        shift = 8 * (off - BM_REG_PRDT);
        bm->prdt = (bm->prdt & ~(0xffu << shift)) | ((uint32_t)val << shift);
        bm->prdt &= ~3u;    /* dword aligned: bits 1:0 reserved */
        break;
    }
}

uint32_t bmdma_read(bmdma *bm, unsigned off, unsigned size)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < size && off + i < BM_CHANNEL_STRIDE; i++) {
        v |= (uint32_t)bmdma_read_byte(bm, off + i) << (8 * i);
    }
    return v;
}

void bmdma_write(bmdma *bm, unsigned off, unsigned size, uint32_t val)
{
    for (unsigned i = 0; i < size && off + i < BM_CHANNEL_STRIDE; i++) {
        bmdma_write_byte(bm, off + i, (val >> (8 * i)) & 0xff);
    }
}

/* ---- PRD walk ---- */

void bmdma_prd_begin(bmdma *bm)
{
    bm->prd_next = bm->prdt;
    bm->prd_end = (bm->prdt & ~(uint64_t)(PRD_TABLE_ALIGN - 1)) +
                  PRD_TABLE_ALIGN;
    bm->cur_addr = 0;
    bm->cur_left = 0;
    bm->cur_eot = false;
}

/* Copy the next descriptor in. 1 = got one, 0 = table over, -EFAULT. */
static int bmdma_prd_fetch(bmdma *bm)
{
    uint8_t e[8];
    uint32_t addr, ctl;

    if (bm->cur_eot || bm->prd_next + sizeof(e) > bm->prd_end) {
        return 0;
    }
    if (hv_mem_read(bm->bus->ctx, bm->prd_next, e, sizeof(e)) < 0) {
        hv_guest_error(IDE_LOG, "bmdma%u: PRD table at 0x%" G_GINT64_MODIFIER
                       "x outside guest RAM", bm->bus->index, bm->prd_next);
        return -EFAULT;
    }
    bm->prd_next += sizeof(e);
    addr = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 |
           (uint32_t)e[3] << 24;
    ctl = (uint32_t)e[4] | (uint32_t)e[5] << 8 | (uint32_t)e[6] << 16 |
          (uint32_t)e[7] << 24;
    bm->cur_addr = addr & PRD_ADDR_MASK;
    bm->cur_left = ctl & PRD_COUNT_MASK;
    if (bm->cur_left == 0) {
        bm->cur_left = 0x10000;     /* a count of 0 means 64 KiB */
    }
    bm->cur_eot = (ctl & PRD_EOT) != 0;
    return 1;
}

ssize_t bmdma_prd_xfer(bmdma *bm, uint8_t *buf, size_t len, bool to_guest,
                       bool dry)
{
    hv_ctx *ctx = bm->bus->ctx;
    size_t done = 0;

    while (done < len) {
        size_t n;
        int ret;

        if (bm->cur_left == 0) {
            ret = bmdma_prd_fetch(bm);
            if (ret < 0) {
                return ret;
            }
            if (ret == 0) {
                break;
            }
        }
        n = MIN((size_t)bm->cur_left, len - done);
        if (!dry) {
            ret = to_guest ? hv_mem_write(ctx, bm->cur_addr, buf + done, n)
                           : hv_mem_read(ctx, bm->cur_addr, buf + done, n);
            if (ret < 0) {
                hv_guest_error(IDE_LOG, "bmdma%u: PRD region 0x%"
                               G_GINT64_MODIFIER "x+%zu outside guest RAM",
                               bm->bus->index, bm->cur_addr, n);
                return -EFAULT;
            }
        }
        bm->cur_addr += n;
        bm->cur_left -= (uint32_t)n;
        done += n;
    }
    return (ssize_t)done;
}

static bool bmdma_prd_more(const bmdma *bm)
{
    return bm->cur_left > 0 ||
           (!bm->cur_eot && bm->prd_next + 8 <= bm->prd_end);
}

void bmdma_finish(bmdma *bm, bool ok, bool bus_error)
{
    if (!(ok && bmdma_prd_more(bm))) {
        bm->status &= ~BM_ST_ACTIVE;
    }
    if (bus_error) {
        bm->status |= BM_ST_ERR;
    }
}
