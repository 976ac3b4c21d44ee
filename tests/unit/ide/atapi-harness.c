/* SPDX-License-Identifier: MIT */
/* ATAPI test harness: see atapi-harness.h. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "atapi-harness.h"

void ih_cd_setup(ih *h, const char *keys)
{
    g_autofree char *all = g_strconcat("devtype=cdrom", keys ? "," : "",
                                       keys, NULL);
    ih_conf c = { .sectors = CD_BLOCKS * 4, .readonly = true, .keys = all };
    g_autofree uint8_t *img = g_malloc(CD_BLOCKS * 2048);
    int fd;

    ih_setup(h, &c);
    ih_fill(img, CD_BLOCKS * 2048, 42);
    fd = open(h->img[0], O_WRONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, img, CD_BLOCKS * 2048, 0), ==,
                    CD_BLOCKS * 2048);
    close(fd);
}

void ih_cd_expected(uint8_t *out, uint32_t lba, uint32_t n)
{
    g_autofree uint8_t *img = g_malloc(CD_BLOCKS * 2048);

    ih_fill(img, CD_BLOCKS * 2048, 42);
    memcpy(out, img + (size_t)lba * 2048, (size_t)n * 2048);
}

/* Issue a PACKET command by PIO; read every DRQ block. */
void ih_packet_pio(ih *h, const uint8_t *cdb, uint16_t limit, ih_reply *r)
{
    memset(r, 0, sizeof(*r));
    ih_outb(h, IH_CMD + ATA_REG_DEVICE, 0);
    ih_outb(h, IH_CMD + ATA_REG_FEATURE, 0);
    ih_outb(h, IH_CMD + ATA_REG_LBAM, limit & 0xff);
    ih_outb(h, IH_CMD + ATA_REG_LBAH, limit >> 8);
    ih_outb(h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_PACKET);
    /* Ready for the packet: DRQ, CoD=1 IO=0, no interrupt. */
    g_assert_cmphex(ih_altstatus(h) & (ATA_SR_DRQ | ATA_SR_BSY), ==,
                    ATA_SR_DRQ);
    g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_NSECTOR) & 3, ==, 1);
    g_assert_cmpuint(ih_irq(h), ==, 0);
    for (unsigned i = 0; i < 12; i += 2) {
        ih_outw(h, IH_CMD, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
    }
    for (;;) {
        uint32_t n;

        g_assert_true(ih_wait_irq(h));
        r->status = ih_status(h);
        if (!(r->status & ATA_SR_DRQ)) {
            break;
        }
        g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_NSECTOR) & 3, ==, 2);
        n = ih_inb(h, IH_CMD + ATA_REG_LBAM) |
            ih_inb(h, IH_CMD + ATA_REG_LBAH) << 8;
        g_assert_cmpuint(n, <=, limit ? limit : 0xfffe);
        g_assert_cmpuint(r->len + n, <=, sizeof(r->data));
        for (uint32_t i = 0; i < n; i += 2) {
            uint16_t w = ih_inw(h, IH_CMD);

            r->data[r->len + i] = w & 0xff;
            if (i + 1 < n) {
                r->data[r->len + i + 1] = w >> 8;
            }
        }
        r->len += n;
        r->drq_blocks++;
    }
    g_assert_cmphex(r->status & ATA_SR_BSY, ==, 0);
    g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_NSECTOR) & 3, ==, 3);
    r->error = ih_error(h);
}

uint8_t ih_packet_dma(ih *h, const uint8_t *cdb, uint32_t prd_len)
{
    ih_prd prd = { BUF_GPA, (prd_len & 0xffff) | PRD_EOT };
    uint8_t st = 0;

    g_assert_cmpint(hv_mem_write(h->ctx, PRDT_GPA, &prd, sizeof(prd)), ==,
                    0);
    ih_outb(h, IH_BM_BASE + BM_REG_CMD, 0);
    ih_outb(h, IH_BM_BASE + BM_REG_STATUS, BM_ST_INTR | BM_ST_ERR);
    ih_outl(h, IH_BM_BASE + BM_REG_PRDT, PRDT_GPA);
    ih_outb(h, IH_CMD + ATA_REG_DEVICE, 0);
    ih_outb(h, IH_CMD + ATA_REG_FEATURE, 0x01);     /* DMA */
    ih_outb(h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_PACKET);
    for (unsigned i = 0; i < 12; i += 2) {
        ih_outw(h, IH_CMD, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
    }
    ih_outb(h, IH_BM_BASE + BM_REG_CMD, BM_CMD_START | BM_CMD_WRITE);
    g_assert_true(ih_wait_irq(h));
    st = ih_inb(h, IH_BM_BASE + BM_REG_STATUS);
    ih_outb(h, IH_BM_BASE + BM_REG_CMD, 0);
    ih_status(h);
    g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_NSECTOR) & 3, ==, 3);
    return st;
}

void ih_cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t n)
{
    memset(cdb, 0, 12);
    cdb[0] = 0x28;
    cdb[2] = lba >> 24;
    cdb[3] = lba >> 16;
    cdb[4] = lba >> 8;
    cdb[5] = lba;
    cdb[7] = n >> 8;
    cdb[8] = n;
}

void ih_check_sense(ih *h, uint8_t key, uint8_t asc)
{
    uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 };
    static ih_reply r;

    ih_packet_pio(h, cdb, 0x1000, &r);
    g_assert_cmphex(r.status & ATA_SR_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 18);
    g_assert_cmphex(r.data[0], ==, 0x70);
    g_assert_cmphex(r.data[2] & 0x0f, ==, key);
    g_assert_cmphex(r.data[12], ==, asc);
}
