/* SPDX-License-Identifier: MIT */
/* Test harness: see ide-harness.h. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ide-harness.h"

extern const hv_device_class ide_piix_class;

static char *ih_image(uint64_t bytes)
{
    char *path = NULL;
    int fd = g_file_open_tmp("hvmemu-ide-XXXXXX", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)bytes), ==, 0);
    close(fd);
    return path;
}

static char *ih_spec(const char *vdev, const char *path, const char *keys,
                     bool ro)
{
    return g_strdup_printf("format=raw,vdev=%s,access=%s%s%s,target=%s",
                           vdev, ro ? "ro" : "rw", keys ? "," : "",
                           keys ? keys : "", path);
}

/* A twin shares its images with the controller it replaces, which in
 * this one process still holds their locks (in life it has exited). */
static bool ih_twin_excuse(void *opaque, const hv_blk *b, char **why)
{
    return true;
}

/* The controller on h->img[], as @c describes it. */
static void ih_create(ih *h, const ih_conf *c, bool program_pci,
                      size_t ram)
{
    GError *err = NULL;
    hv_opts *o;

    h->mh = hv_memhost_new(ram);
    h->loop = hv_loop_new();
    h->ctx = hv_ctx_new(hv_memhost_ops(), h->mh, h->loop);
    if (!program_pci) {
        hv_ctx_set_lock_excuse(h->ctx, ih_twin_excuse, NULL);
    }
    o = hv_opts_parse("addr=00:01.1", &err);
    g_assert_no_error(err);
    if (h->img[0]) {
        g_autofree char *spec = ih_spec("hda", h->img[0], c->keys,
                                        c->readonly);
        hv_opts_set(o, "disk0", spec);
    }
    if (h->img[1]) {
        g_autofree char *spec = ih_spec("hdb", h->img[1], c->slave_keys,
                                        false);
        hv_opts_set(o, "disk1", spec);
    }
    if (h->img[2]) {
        g_autofree char *spec = ih_spec("hdc", h->img[2], "devtype=cdrom",
                                        true);
        hv_opts_set(o, "disk2", spec);
    }
    h->dev = hv_device_create_opts(h->ctx, &ide_piix_class, o, &err);
    g_assert_no_error(err);
    g_assert_nonnull(h->dev);
    hv_opts_free(o);
    if (program_pci) {
        ih_cfg_write(h, 0x20, 4, IH_BM_BASE);
        ih_cfg_write(h, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    }
}

void ih_setup(ih *h, const ih_conf *c)
{
    static const ih_conf none = { 0 };

    c = c ? c : &none;
    memset(h, 0, sizeof(*h));
    h->sectors = c->sectors ? c->sectors : IH_SMALL_SECTORS;
    h->own_img = true;
    if (!c->no_master) {
        h->img[0] = ih_image(h->sectors * 512 + c->extra_bytes);
    }
    if (c->slave || c->no_master) {
        h->img[1] = ih_image(IH_SMALL_SECTORS * 512);
    }
    if (c->cdrom) {
        h->img[2] = ih_image(64 * 2048);
    }
    ih_create(h, c, true, IH_RAM_SIZE);
}

void ih_setup_image(ih *h, const char *path, uint64_t sectors,
                    const ih_conf *c)
{
    static const ih_conf none = { 0 };

    memset(h, 0, sizeof(*h));
    h->sectors = sectors;
    h->img[0] = (char *)path;   /* the caller's, like a twin's */
    ih_create(h, c ? c : &none, true, IH_RAM_SIZE);
}

void ih_setup_twin(ih *dst, const ih *src, const ih_conf *c,
                   bool copy_ram)
{
    static const ih_conf none = { 0 };

    memset(dst, 0, sizeof(*dst));
    dst->sectors = src->sectors;
    for (unsigned i = 0; i < G_N_ELEMENTS(dst->img); i++) {
        dst->img[i] = src->img[i];
    }
    /* Without a copy: 1 MiB (the hostile-state loop makes thousands). */
    ih_create(dst, c ? c : &none, false, copy_ram ? IH_RAM_SIZE : 1u << 20);
    if (copy_ram) {
        memcpy(hv_memhost_ram(dst->mh), hv_memhost_ram(src->mh),
               IH_RAM_SIZE);
    }
}

void ih_teardown(ih *h)
{
    hv_ctx_free(h->ctx);
    hv_loop_free(h->loop);
    hv_memhost_free(h->mh);
    for (unsigned i = 0; i < G_N_ELEMENTS(h->img) && h->own_img; i++) {
        if (h->img[i]) {
            unlink(h->img[i]);
            g_free(h->img[i]);
        }
    }
}

/* ---- port and config access ---- */

uint8_t ih_inb(ih *h, uint16_t port)
{
    return (uint8_t)hv_dispatch_read(h->ctx, HV_SPACE_PIO, port, 1);
}

uint16_t ih_inw(ih *h, uint16_t port)
{
    return (uint16_t)hv_dispatch_read(h->ctx, HV_SPACE_PIO, port, 2);
}

uint32_t ih_inl(ih *h, uint16_t port)
{
    return (uint32_t)hv_dispatch_read(h->ctx, HV_SPACE_PIO, port, 4);
}

void ih_outb(ih *h, uint16_t port, uint8_t v)
{
    hv_dispatch_write(h->ctx, HV_SPACE_PIO, port, 1, v);
}

void ih_outw(ih *h, uint16_t port, uint16_t v)
{
    hv_dispatch_write(h->ctx, HV_SPACE_PIO, port, 2, v);
}

void ih_outl(ih *h, uint16_t port, uint32_t v)
{
    hv_dispatch_write(h->ctx, HV_SPACE_PIO, port, 4, v);
}

uint32_t ih_cfg_read(ih *h, unsigned reg, unsigned size)
{
    return (uint32_t)hv_dispatch_read(h->ctx, HV_SPACE_PCI,
                                      HV_PCI_ADDR(IH_SBDF, reg), size);
}

void ih_cfg_write(ih *h, unsigned reg, unsigned size, uint32_t v)
{
    hv_dispatch_write(h->ctx, HV_SPACE_PCI, HV_PCI_ADDR(IH_SBDF, reg), size,
                      v);
}

/* ---- status and waiting ---- */

unsigned ih_irq(ih *h)
{
    return hv_memhost_isa_level(h->mh, IH_IRQ);
}

bool ih_wait_irq(ih *h)
{
    for (int i = 0; i < 2000 && !ih_irq(h); i++) {
        hv_loop_run_once(h->loop, 1);
    }
    return ih_irq(h) != 0;
}

uint8_t ih_altstatus(ih *h)
{
    return ih_inb(h, IH_CTL);
}

uint8_t ih_wait_ready(ih *h)
{
    for (int i = 0; i < 2000 && (ih_altstatus(h) & ATA_SR_BSY); i++) {
        hv_loop_run_once(h->loop, 1);
    }
    return ih_altstatus(h);
}

uint8_t ih_status(ih *h)
{
    return ih_inb(h, IH_CMD + ATA_REG_STATUS);
}

uint8_t ih_error(ih *h)
{
    return ih_inb(h, IH_CMD + ATA_REG_ERROR);
}

/* ---- commands ---- */

void ih_command(ih *h, unsigned dev, uint8_t cmd, uint64_t lba,
                uint32_t count, bool lba48)
{
    uint16_t p = IH_CMD;
    uint8_t devreg = ATA_DEV_OBS | ATA_DEV_LBA | (dev ? ATA_DEV_DEV : 0);

    if (lba48) {
        ih_outb(h, p + ATA_REG_NSECTOR, (count >> 8) & 0xff);
        ih_outb(h, p + ATA_REG_LBAL, (lba >> 24) & 0xff);
        ih_outb(h, p + ATA_REG_LBAM, (lba >> 32) & 0xff);
        ih_outb(h, p + ATA_REG_LBAH, (lba >> 40) & 0xff);
    } else {
        devreg |= (lba >> 24) & 0x0f;
    }
    ih_outb(h, p + ATA_REG_NSECTOR, count & 0xff);
    ih_outb(h, p + ATA_REG_LBAL, lba & 0xff);
    ih_outb(h, p + ATA_REG_LBAM, (lba >> 8) & 0xff);
    ih_outb(h, p + ATA_REG_LBAH, (lba >> 16) & 0xff);
    ih_outb(h, p + ATA_REG_DEVICE, devreg);
    ih_outb(h, p + ATA_REG_COMMAND, cmd);
}

bool ih_identify(ih *h, unsigned dev, uint16_t *w)
{
    uint8_t st;

    ih_outb(h, IH_CMD + ATA_REG_DEVICE, dev ? ATA_DEV_DEV : 0);
    ih_outb(h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
    if (!ih_wait_irq(h)) {
        return false;
    }
    st = ih_status(h);
    if ((st & (ATA_SR_DRQ | ATA_SR_ERR | ATA_SR_BSY)) != ATA_SR_DRQ) {
        return false;
    }
    for (unsigned i = 0; i < 256; i++) {
        g_assert_cmphex(ih_altstatus(h) & (ATA_SR_DRQ | ATA_SR_DRDY), ==,
                        ATA_SR_DRQ | ATA_SR_DRDY);
        w[i] = ih_inw(h, IH_CMD);
    }
    st = ih_altstatus(h);
    g_assert_cmphex(st & (ATA_SR_DRQ | ATA_SR_BSY | ATA_SR_ERR), ==, 0);
    return true;
}

static void ih_data_in(ih *h, uint8_t *buf, size_t len, bool dword)
{
    for (size_t i = 0; i < len; i += dword ? 4 : 2) {
        uint32_t v = dword ? ih_inl(h, IH_CMD) : ih_inw(h, IH_CMD);

        memcpy(buf + i, &v, dword ? 4 : 2);
    }
}

static void ih_data_out(ih *h, const uint8_t *buf, size_t len, bool dword)
{
    for (size_t i = 0; i < len; i += dword ? 4 : 2) {
        uint32_t v = 0;

        memcpy(&v, buf + i, dword ? 4 : 2);
        if (dword) {
            ih_outl(h, IH_CMD, v);
        } else {
            ih_outw(h, IH_CMD, (uint16_t)v);
        }
    }
}

void ih_pio_read_part(ih *h, uint8_t *buf, uint32_t count, unsigned block,
                      bool dword)
{
    for (uint32_t done = 0; done < count;) {
        uint32_t n = MIN(block, count - done);
        uint8_t st;

        g_assert_true(ih_wait_irq(h));
        st = ih_status(h);
        g_assert_cmphex(st & (ATA_SR_BSY | ATA_SR_DRQ | ATA_SR_ERR), ==,
                        ATA_SR_DRQ);
        ih_data_in(h, buf + (size_t)done * 512, (size_t)n * 512, dword);
        done += n;
    }
}

void ih_pio_read(ih *h, uint8_t *buf, uint32_t count, unsigned block,
                 bool dword)
{
    ih_pio_read_part(h, buf, count, block, dword);
    g_assert_cmphex(ih_wait_ready(h) & (ATA_SR_DRQ | ATA_SR_ERR), ==, 0);
    g_assert_cmpuint(ih_irq(h), ==, 0);
}

void ih_pio_write(ih *h, const uint8_t *buf, uint32_t count, unsigned block,
                  bool dword)
{
    uint8_t st;

    for (uint32_t done = 0; done < count;) {
        uint32_t n = MIN(block, count - done);

        if (done == 0) {
            /* First block: DRQ without an interrupt (ATA-7 §9.8). */
            st = ih_altstatus(h);
            g_assert_cmpuint(ih_irq(h), ==, 0);
        } else {
            g_assert_true(ih_wait_irq(h));
            st = ih_status(h);
        }
        g_assert_cmphex(st & (ATA_SR_BSY | ATA_SR_DRQ | ATA_SR_ERR), ==,
                        ATA_SR_DRQ);
        ih_data_out(h, buf + (size_t)done * 512, (size_t)n * 512, dword);
        done += n;
    }
    g_assert_true(ih_wait_irq(h));
    st = ih_status(h);
    g_assert_cmphex(st & (ATA_SR_BSY | ATA_SR_DRQ | ATA_SR_ERR | ATA_SR_DRDY),
                    ==, ATA_SR_DRDY);
}

static bool ih_cmd_is_read(uint8_t cmd)
{
    return cmd == ATA_CMD_READ_DMA || cmd == ATA_CMD_READ_DMA_EXT;
}

uint8_t ih_dma(ih *h, int cmd_flags, uint64_t lba, uint32_t count,
               const ih_prd *prd, unsigned nprd, uint64_t prdt_gpa)
{
    uint8_t cmd = cmd_flags & 0xff;
    bool from_dev = ih_cmd_is_read(cmd);
    bool lba48 = cmd == ATA_CMD_READ_DMA_EXT || cmd == ATA_CMD_WRITE_DMA_EXT ||
                 cmd == ATA_CMD_DSM;
    uint8_t st;

    if (cmd_flags & IH_NO_BM) {
        ih_cfg_write(h, PCI_COMMAND, 2, PCI_COMMAND_IO);
    }
    ih_outb(h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_LBA);
    /* Stop any running transfer, clear a pending interrupt and error. */
    ih_outb(h, IH_BM_BASE + BM_REG_CMD, 0);
    ih_outb(h, IH_BM_BASE + BM_REG_STATUS, BM_ST_INTR | BM_ST_ERR);
    if (prd) {
        g_assert_cmpint(hv_mem_write(h->ctx, prdt_gpa, prd,
                                     nprd * sizeof(*prd)), ==, 0);
    }
    ih_outl(h, IH_BM_BASE + BM_REG_PRDT, (uint32_t)prdt_gpa);
    ih_outb(h, IH_CMD + ATA_REG_FEATURE, cmd == ATA_CMD_DSM ? ATA_DSM_TRIM
                                                             : 0);
    ih_command(h, 0, cmd, lba, count, lba48);
    ih_outb(h, IH_BM_BASE + BM_REG_CMD,
            BM_CMD_START | (from_dev ? BM_CMD_WRITE : 0));
    if (cmd_flags & IH_ABORT) {
        ih_outb(h, IH_BM_BASE + BM_REG_CMD, 0);
    }
    /* Wait for the transfer to end: INTR, or ACTIVE dropped, and the
     * drive no longer busy (an aborted request still completes). */
    for (int i = 0; i < 4000; i++) {
        st = ih_inb(h, IH_BM_BASE + BM_REG_STATUS);
        if ((st & (BM_ST_ACTIVE | BM_ST_INTR)) != BM_ST_ACTIVE &&
            !(ih_altstatus(h) & ATA_SR_BSY)) {
            break;
        }
        hv_loop_run_once(h->loop, 1);
    }
    st = ih_inb(h, IH_BM_BASE + BM_REG_STATUS);
    g_assert_cmpuint(ih_irq(h), ==, !!(st & BM_ST_INTR));
    g_assert_cmphex(ih_altstatus(h) & (ATA_SR_DRDY | ATA_SR_BSY | ATA_SR_DRQ),
                    ==, ATA_SR_DRDY);
    /* Reading Status clears the interrupt. */
    ih_status(h);
    g_assert_cmpuint(ih_irq(h), ==, 0);
    if (st & BM_ST_ACTIVE) {
        ih_outb(h, IH_BM_BASE + BM_REG_CMD, 0);
    }
    if (cmd_flags & IH_NO_BM) {
        ih_cfg_write(h, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    }
    return st;
}

void ih_fill(uint8_t *buf, size_t len, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
}
