/* SPDX-License-Identifier: MIT */
/*
 * Minimal reproducers of what the fuzz targets found, as plain unit tests
 * on the public API (the saved inputs are corpus/<target>/crash-*).
 */
#include <unistd.h>

#include "hvmemu/hvmemu.h"

typedef struct rec {
    uint64_t len;
    uint64_t max_end;   /* largest off + size a callback received */
} rec;

static uint64_t rec_read(void *opaque, uint64_t off, unsigned size)
{
    rec *r = opaque;

    r->max_end = MAX(r->max_end, off + size);
    return 0;
}

static void rec_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
    rec_read(opaque, off, size);
}

static const hv_region_ops rec_ops = { rec_read, rec_write, 1, 8 };

/*
 * fuzz-ioreq-decode: hv_dispatch_read/write (hw/core/region.c) test
 * "addr + size <= r->base + r->len", which wraps for an access in the last
 * bytes of the 64-bit space: a 2-byte read at 2^64 - 2 of a region ending
 * at 2^64 - 1 reaches the device with off + size > len.
 */
static void test_region_top_of_space(void)
{
    hv_memhost *mh = hv_memhost_new(4096);
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, NULL);
    rec r = { .len = 0x100 };
    GError *err = NULL;

    g_assert_nonnull(hv_region_add(ctx, HV_SPACE_MMIO, ~0ull - 0x100, 0x100,
                                   &rec_ops, &r, "top", &err));
    hv_dispatch_read(ctx, HV_SPACE_MMIO, ~0ull - 1, 2);
    hv_dispatch_write(ctx, HV_SPACE_MMIO, ~0ull - 3, 8, 0);
    g_assert_cmphex(r.max_end, <=, r.len);
    hv_ctx_free(ctx);
    hv_memhost_free(mh);
}

/*
 * fuzz-pci: a BAR whose claim was refused because it overlapped another
 * function's BAR stays unclaimed after the other BAR moves away or stops
 * decoding (hw/core/pci.c update_bars only revisits the function whose
 * config was written). On real hardware it decodes as soon as the clash
 * is gone.
 */
static void test_pci_refused_bar_retried(void)
{
    hv_memhost *mh = hv_memhost_new(4096);
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, NULL);
    hv_pci_dev a, b;
    rec ra = { .len = 0x100000 }, rb = { .len = 16 };

    g_assert_true(hv_pci_init(&a, ctx, HV_SBDF(0, 0, 5, 0), 0x1234, 1, 0, 0,
                              "a", NULL));
    g_assert_true(hv_pci_init(&b, ctx, HV_SBDF(0, 0, 6, 0), 0x1234, 2, 0, 0,
                              "b", NULL));
    g_assert_true(hv_pci_set_bar(&a, 0, 0x100000, HV_PCI_BAR_MEM, &rec_ops,
                                 &ra, NULL));
    g_assert_true(hv_pci_set_bar(&b, 0, 16, HV_PCI_BAR_MEM, &rec_ops, &rb,
                                 NULL));
    hv_pci_config_write(&b, PCI_BASE_ADDRESS_0, 4, 0xfebf1000);
    hv_pci_config_write(&b, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    hv_pci_config_write(&a, PCI_BASE_ADDRESS_0, 4, 0xfeb00000);
    hv_pci_config_write(&a, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    g_assert_false(hv_region_enabled(a.bars[0].region));  /* clash: ok */
    hv_pci_config_write(&b, PCI_COMMAND, 2, 0);           /* clash gone */
    g_assert_true(hv_region_enabled(a.bars[0].region));
    g_assert_true(hv_memhost_is_mapped(mh, HV_SPACE_MMIO, 0xfeb00000));
    hv_pci_fini(&a);
    hv_pci_fini(&b);
    hv_ctx_free(ctx);
    hv_memhost_free(mh);
}

/*
 * fuzz-state (corpus/state/crash-unplug-flush-at-teardown): the context is
 * freed while a drive being unplugged still has its final flush in flight
 * (the fuzzer: a state that unplugs hda, whose load then fails, so the
 * daemon exits at once; here the protocol's mask, then teardown).
 * ide_drive_free (hw/ide/ide_drive.c) freed the unplug timer before
 * closing the backend, whose drain completed the flush, whose callback
 * armed the freed timer: a NULL dereference.
 */
static void test_ide_unplug_flush_at_teardown(void)
{
    g_autofree char *path = NULL, *spec = NULL;
    int fd = g_file_open_tmp("hvmemu-regress-XXXXXX", &path, NULL);
    hv_memhost *mh = hv_memhost_new(4096);
    hv_loop *loop = hv_loop_new();
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, loop);
    GError *err = NULL;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 64 * 512), ==, 0);
    close(fd);
    spec = g_strdup_printf("piix-ide,disk0=file:%s,,hda,,w", path);
    g_assert_nonnull(hv_device_create(ctx, spec, &err));
    g_assert_cmpuint(hv_unplug_apply_mask(ctx, HV_UNPLUG_ALL_IDE_DISKS), ==,
                     1);
    hv_ctx_free(ctx);       /* the flush completes in here */
    hv_loop_free(loop);
    hv_memhost_free(mh);
    unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fuzz/regress/region-top-of-space",
                    test_region_top_of_space);
    g_test_add_func("/fuzz/regress/pci-refused-bar-retried",
                    test_pci_refused_bar_retried);
    g_test_add_func("/fuzz/regress/ide-unplug-flush-at-teardown",
                    test_ide_unplug_flush_at_teardown);
    return g_test_run();
}
