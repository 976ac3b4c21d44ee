/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "fixture.h"

static uint64_t fx_dev_read(void *opaque, uint64_t off, unsigned size)
{
    fx_dev *d = opaque;
    fx_access a = {false, off, size, d->next & ioreq_size_mask(size)};

    g_array_append_val(d->log, a);
    d->next += d->step;
    return a.val;
}

static void fx_dev_write(void *opaque, uint64_t off, unsigned size,
                         uint64_t val)
{
    fx_dev *d = opaque;
    fx_access a = {true, off, size, val};

    g_array_append_val(d->log, a);
}

static const hv_region_ops fx_ops = {fx_dev_read, fx_dev_write, 1, 8};

static void fx_add(fx *f, fx_dev *d, hv_space space, uint64_t base,
                   uint64_t len, const char *name)
{
    GError *err = NULL;

    d->log = g_array_new(FALSE, TRUE, sizeof(fx_access));
    d->next = 0x8877665544332211ull;
    d->step = 0x0101010101010101ull;
    g_assert_nonnull(
        hv_region_add(f->ctx, space, base, len, &fx_ops, d, name, &err));
    g_assert_no_error(err);
}

static int fx_mem_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    fx *f = opaque;

    return hv_mem_read(f->ctx, gpa, buf, len);
}

static int fx_mem_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    fx *f = opaque;

    return hv_mem_write(f->ctx, gpa, buf, len);
}

static void fx_invalidate(void *opaque)
{
    fx *f = opaque;

    f->invalidations++;
}

void fx_setup(fx *f, gconstpointer data)
{
    memset(f, 0, sizeof(*f));
    f->mh = hv_memhost_new(FX_RAM_SIZE);
    f->ctx = hv_ctx_new(hv_memhost_ops(), f->mh, NULL);
    f->ram = hv_memhost_ram(f->mh);
    for (unsigned i = 0; i < FX_RAM_SIZE; i++) {
        f->ram[i] = (uint8_t)(i * 7 + 3); /* recognisable, not zero */
    }
    fx_add(f, &f->pio, HV_SPACE_PIO, FX_PIO_BASE, 8, "piodev");
    fx_add(f, &f->mmio, HV_SPACE_MMIO, FX_MMIO_BASE, 0x1000, "mmiodev");
    fx_add(f, &f->vga, HV_SPACE_MMIO, FX_VGA_BASE, 0x1000, "vgadev");
    fx_add(f, &f->pci, HV_SPACE_PCI, HV_PCI_ADDR(FX_SBDF, 0), 256, "pcidev");
    f->env.ctx = f->ctx;
    f->env.mem_read = fx_mem_read;
    f->env.mem_write = fx_mem_write;
    f->env.invalidate = fx_invalidate;
    f->env.opaque = f;
}

void fx_teardown(fx *f, gconstpointer data)
{
    hv_ctx_free(f->ctx);
    hv_memhost_free(f->mh);
    g_array_free(f->pio.log, TRUE);
    g_array_free(f->mmio.log, TRUE);
    g_array_free(f->vga.log, TRUE);
    g_array_free(f->pci.log, TRUE);
}

const fx_access *fx_at(const fx_dev *d, unsigned i)
{
    g_assert_cmpuint(i, <, d->log->len);
    return &g_array_index(d->log, fx_access, i);
}

void fx_check(const fx_dev *d, unsigned i, bool write, uint64_t off,
              unsigned size, uint64_t val)
{
    const fx_access *a = fx_at(d, i);

    g_assert_cmpint(a->write, ==, write);
    g_assert_cmphex(a->off, ==, off);
    g_assert_cmpuint(a->size, ==, size);
    g_assert_cmphex(a->val, ==, val);
}

unsigned fx_count(const fx *f)
{
    return f->pio.log->len + f->mmio.log->len + f->vga.log->len +
           f->pci.log->len;
}

ioreq_t fx_req(unsigned type, unsigned dir, uint64_t addr, unsigned size,
               uint64_t data)
{
    ioreq_t r;

    memset(&r, 0, sizeof(r));
    r.type = (uint8_t)type;
    r.dir = dir & 1;
    r.addr = addr;
    r.size = size;
    r.data = data;
    r.count = 1;
    r.state = STATE_IOREQ_READY;
    return r;
}
