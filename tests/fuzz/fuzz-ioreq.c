/* SPDX-License-Identifier: MIT */
/* The ioreq targets' machine: see fuzz-ioreq.h. */
#include <string.h>

#include "tests/fuzz/fuzz-ioreq.h"

/* One request touches guest memory at most twice (a probe and the copy);
 * it moves at most the 64 KiB rep limit each way. */
#define FI_MAX_CALLS 2u
#define FI_MAX_BYTES (4u * IOREQ_REP_MAX_BYTES)

static void check_access(const fi_dev *d, uint64_t off, unsigned size)
{
    d->m->accesses++;
    FZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8,
             "device got size %u", size);
    FZ_CHECK(size >= d->min && size <= d->max,
             "device [%u,%u] got size %u", d->min, d->max, size);
    FZ_CHECK(off < d->len && size <= d->len - off,
             "device of %#" G_GINT64_MODIFIER "x bytes at %#"
             G_GINT64_MODIFIER "x got offset %#" G_GINT64_MODIFIER
             "x size %u", d->len, d->base, off, size);
}

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    fi_dev *d = opaque;

    check_access(d, off, size);
    /* Bits beyond @size set on purpose: the core must mask them. */
    return 0xa5a5a5a5a5a5a5a5ull ^ (off * 0x0101010101010101ull);
}

static void dev_write(void *opaque, uint64_t off, unsigned size,
                      uint64_t val)
{
    fi_dev *d = opaque;

    check_access(d, off, size);
    FZ_CHECK(size == 8 || (val >> (size * 8)) == 0,
             "write of size %u carries %#" G_GINT64_MODIFIER "x", size, val);
}

static void add_dev(fi *m, hv_space space, uint64_t base, uint64_t len,
                    unsigned min, unsigned max)
{
    fi_dev *d = &m->dev[m->ndev++];
    GError *err = NULL;

    *d = (fi_dev){ .m = m, .base = base, .len = len, .space = space,
                   .min = min, .max = max };
    d->ops = (hv_region_ops){ dev_read, dev_write, min, max };
    FZ_CHECK(hv_region_add(m->ctx, space, base, len, &d->ops, d, "fi",
                           &err), "region: %s", err ? err->message : "?");
}

static int env_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    return hv_mem_read(((fi *)opaque)->ctx, gpa, buf, len);
}

static int env_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    return hv_mem_write(((fi *)opaque)->ctx, gpa, buf, len);
}

static void env_invalidate(void *opaque)
{
    ((fi *)opaque)->invalidations++;
}

void fi_setup(fi *m)
{
    memset(m, 0, sizeof(*m));
    fz_host_init(&m->host, FI_RAM_SIZE, FI_MAX_CALLS, FI_MAX_BYTES);
    m->ctx = hv_ctx_new(fz_host_ops(), &m->host, NULL);
    /* Port I/O like IDE: byte registers next to a 16/32-bit data port. */
    add_dev(m, HV_SPACE_PIO, 0x1f0, 8, 1, 4);
    add_dev(m, HV_SPACE_PIO, 0x1f8, 4, 4, 4);       /* adjacent, dword only */
    add_dev(m, HV_SPACE_PIO, 0xfffc, 4, 2, 2);      /* top of the port space */
    add_dev(m, HV_SPACE_MMIO, 0xa0000, 0x1000, 1, 8);  /* bufioreq (VGA) */
    add_dev(m, HV_SPACE_MMIO, 0xfe000000, 0x1000, 4, 4);
    add_dev(m, HV_SPACE_MMIO, 0xfe001000, 0x7, 1, 1);  /* odd length */
    /* The very top of the address space: end + 1 is 2^64 - 1. */
    if (!fz_known_bug("region-top-of-space-wrap")) {
        add_dev(m, HV_SPACE_MMIO, ~0ull - 0x100, 0x100, 1, 8);
    }
    add_dev(m, HV_SPACE_PCI, HV_PCI_ADDR(HV_SBDF(0, 0, 3, 0), 0), 256, 1, 4);
    m->env = (ioreq_env){ .ctx = m->ctx, .mem_read = env_read,
                          .mem_write = env_write,
                          .invalidate = env_invalidate, .opaque = m };
}

void fi_teardown(fi *m)
{
    hv_ctx_free(m->ctx);
    fz_host_fini(&m->host);
}

uint64_t fi_pick_addr(fi *m, fz_in *in, hv_space space)
{
    uint8_t sel = fz_u8(in);
    const fi_dev *d;

    if (sel >= 0xf0) {
        return fz_u64(in);          /* anywhere */
    }
    d = &m->dev[sel % m->ndev];
    if (d->space != space) {
        for (unsigned i = 0; i < m->ndev; i++) {
            if (m->dev[i].space == space) {
                d = &m->dev[(i + sel / m->ndev) % m->ndev];
                if (d->space == space) {
                    break;
                }
                d = &m->dev[i];
            }
        }
    }
    /* Near the region: a little before, inside, or past its end. */
    return d->base - 8 + fz_u16(in) % (d->len + 24);
}
