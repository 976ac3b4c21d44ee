/* SPDX-License-Identifier: MIT */
/*
 * testdev: the smallest useful device, for tests and for teaching.
 *
 *   port+0  SCRATCH  r/w, 32 bits: reads back what was written
 *   port+4  COUNT    r/o, 32 bits: number of accesses served so far
 *                    (including this read)
 *   port+8  IRQ      w: 1 raises the ISA IRQ line, 0 lowers it;
 *                    r: the current level
 *
 * Options: port= (default 0x2000), irq= (default 5).
 */
#define G_LOG_DOMAIN "testdev"
#include "hvmemu/device.h"

#define TESTDEV_SCRATCH 0x0
#define TESTDEV_COUNT   0x4
#define TESTDEV_IRQ     0x8
#define TESTDEV_SIZE    0xc

typedef struct testdev {
    hv_device dev;
    hv_region *region;
    unsigned irq;
    uint32_t scratch;
    uint32_t count;
    unsigned level;
} testdev;

static uint64_t testdev_read(void *opaque, uint64_t off, unsigned size)
{
    testdev *t = opaque;

    t->count++;
    switch (off) {
    case TESTDEV_SCRATCH:
        return t->scratch;
    case TESTDEV_COUNT:
        return t->count;
    case TESTDEV_IRQ:
        return t->level;
    }
    return ~0ull;
}

static void testdev_write(void *opaque, uint64_t off, unsigned size,
                          uint64_t val)
{
    testdev *t = opaque;

    t->count++;
    switch (off) {
    case TESTDEV_SCRATCH:
        t->scratch = (uint32_t)val;
        break;
    case TESTDEV_IRQ:
        t->level = val ? 1 : 0;
        hv_set_isa_irq(t->dev.ctx, t, t->irq, t->level);
        break;
    default:
        break;  /* COUNT is read-only */
    }
}

static const hv_region_ops testdev_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .min_size = 4,
    .max_size = 4,
};

static hv_device *testdev_create(hv_ctx *ctx, hv_opts *opts, GError **err)
{
    testdev *t = g_new0(testdev, 1);
    uint64_t port, irq;

    if (!hv_opts_u64(opts, "port", 0x2000, 0, 0x10000 - TESTDEV_SIZE, &port,
                     err) ||
        !hv_opts_u64(opts, "irq", 5, 0, 15, &irq, err)) {
        g_free(t);
        return NULL;
    }
    t->dev.ctx = ctx;
    t->irq = (unsigned)irq;
    t->region = hv_region_add(ctx, HV_SPACE_PIO, port, TESTDEV_SIZE,
                              &testdev_ops, t, "testdev", err);
    if (!t->region) {
        g_free(t);
        return NULL;
    }
    return &t->dev;
}

static void testdev_destroy(hv_device *dev)
{
    testdev *t = (testdev *)dev;

    hv_set_isa_irq(dev->ctx, t, t->irq, 0);
    hv_region_del(t->region);
    g_free(t);
}

static void testdev_reset(hv_device *dev)
{
    testdev *t = (testdev *)dev;

    t->scratch = 0;
    t->count = 0;
    t->level = 0;
    hv_set_isa_irq(dev->ctx, t, t->irq, 0);
}

const hv_device_class testdev_class = {
    .name = "testdev",
    .description = "debug port: scratch register, access counter, IRQ line",
    .options_help = "port=N   base I/O port (default 0x2000)\n"
                    "irq=N    ISA IRQ raised by writing 1 to port+8 "
                    "(default 5)",
    .create = testdev_create,
    .destroy = testdev_destroy,
    .reset = testdev_reset,
};
