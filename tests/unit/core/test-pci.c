/* SPDX-License-Identifier: MIT */
/* PCI helper: write masks, BAR sizing, BAR remap on COMMAND decode, INTx. */
#include "hvmemu/hvmemu.h"

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
    return 0xa0 + off;
}

static const hv_region_ops bar_ops = { .read = bar_read, .max_size = 4 };

typedef struct fixture {
    hv_memhost *mh;
    hv_ctx *ctx;
    hv_pci_dev pd;
    uint32_t sbdf;
} fixture;

static uint32_t cfg_read(fixture *f, unsigned reg, unsigned size)
{
    return (uint32_t)hv_dispatch_read(f->ctx, HV_SPACE_PCI,
                                      HV_PCI_ADDR(f->sbdf, reg), size);
}

static void cfg_write(fixture *f, unsigned reg, unsigned size, uint32_t v)
{
    hv_dispatch_write(f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(f->sbdf, reg), size,
                      v);
}

static void setup(fixture *f, gconstpointer data)
{
    GError *err = NULL;

    f->mh = hv_memhost_new(4096);
    f->ctx = hv_ctx_new(hv_memhost_ops(), f->mh, NULL);
    f->sbdf = HV_SBDF(0, 0, 3, 0);
    g_assert_true(hv_pci_init(&f->pd, f->ctx, f->sbdf, 0x8086, 0x100e,
                              0x020000, 3, "nic", &err));
    g_assert_true(hv_pci_set_bar(&f->pd, 0, 0x20000, HV_PCI_BAR_MEM,
                                 &bar_ops, NULL, &err));
    g_assert_true(hv_pci_set_bar(&f->pd, 1, 0x40, HV_PCI_BAR_IO, &bar_ops,
                                 NULL, &err));
    g_assert_true(hv_pci_set_bar(&f->pd, 2, 0x1000, HV_PCI_BAR_MEM64,
                                 &bar_ops, NULL, &err));
    hv_pci_set_intx_pin(&f->pd, 1);
}

static void teardown(fixture *f, gconstpointer data)
{
    hv_pci_fini(&f->pd);
    hv_ctx_free(f->ctx);
    hv_memhost_free(f->mh);
}

static void test_header(fixture *f, gconstpointer data)
{
    g_assert_cmphex(cfg_read(f, 0, 4), ==, 0x100e8086);
    g_assert_cmphex(cfg_read(f, 8, 4), ==, 0x02000003);
    /* Read-only fields ignore writes. */
    cfg_write(f, 0, 4, 0);
    g_assert_cmphex(cfg_read(f, 0, 4), ==, 0x100e8086);
    g_assert_cmphex(cfg_read(f, PCI_INTERRUPT_PIN, 1), ==, 1);
    cfg_write(f, PCI_INTERRUPT_LINE, 1, 11);
    g_assert_cmphex(cfg_read(f, PCI_INTERRUPT_LINE, 1), ==, 11);
    /* Only the defined COMMAND bits stick. */
    cfg_write(f, PCI_COMMAND, 2, 0xffff);
    g_assert_cmphex(cfg_read(f, PCI_COMMAND, 2), ==, 0x0547);
    /* Another function's config is not ours. */
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PCI,
                                     HV_PCI_ADDR(HV_SBDF(0, 0, 4, 0), 0), 4),
                    ==, 0xffffffff);
    g_assert_true(hv_memhost_is_mapped(f->mh, HV_SPACE_PCI,
                                       HV_PCI_ADDR(f->sbdf, 0)));
}

static void test_bar_sizing(fixture *f, gconstpointer data)
{
    cfg_write(f, 0x10, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x10, 4), ==, 0xfffe0000);
    cfg_write(f, 0x14, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x14, 4), ==, 0xffffffc1);
    cfg_write(f, 0x18, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x18, 4), ==, 0xfffff004);
    cfg_write(f, 0x1c, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x1c, 4), ==, 0xffffffff);
    /* Unused BARs read 0 whatever is written. */
    cfg_write(f, 0x20, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x20, 4), ==, 0);
}

static void test_bar_decode(fixture *f, gconstpointer data)
{
    cfg_write(f, 0x10, 4, 0xfebc0000);
    cfg_write(f, 0x14, 4, 0xc000);
    /* Decode off: nothing claimed. */
    g_assert_false(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0xfebc0000));
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0xc004, 1), ==,
                    0xff);
    cfg_write(f, PCI_COMMAND, 2, PCI_COMMAND_IO);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0xc004, 1), ==,
                    0xa4);
    g_assert_false(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0xfebc0000));
    cfg_write(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    g_assert_true(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0xfebdffff));
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_MMIO, 0xfebc0010, 4),
                    ==, 0xb0);
    /* Reprogramming the BAR moves the claim. */
    cfg_write(f, 0x10, 4, 0xf0000000);
    g_assert_false(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0xfebc0000));
    g_assert_true(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0xf0000000));
    /* Sizing with decode still on must not claim the top of the space. */
    cfg_write(f, 0x10, 4, 0xffffffff);
    g_assert_false(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0xfffe0000));
    g_assert_false(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0xf0000000));
    /* 64-bit BAR above 4G. */
    cfg_write(f, 0x18, 4, 0x00000000);
    cfg_write(f, 0x1c, 4, 0x2);
    g_assert_true(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0x200000000ull));
    cfg_write(f, PCI_COMMAND, 2, 0);
    g_assert_cmpuint(hv_memhost_mapped_count(f->mh, HV_SPACE_MMIO), ==, 0);
    g_assert_cmpuint(hv_memhost_mapped_count(f->mh, HV_SPACE_PIO), ==, 0);
}

static void test_intx(fixture *f, gconstpointer data)
{
    hv_pci_set_irq(&f->pd, 1);
    g_assert_cmpuint(hv_memhost_intx_level(f->mh, f->sbdf, 0), ==, 1);
    g_assert_cmphex(cfg_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, !=, 0);
    /* INTx disable masks the line but not the status bit. */
    cfg_write(f, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    g_assert_cmpuint(hv_memhost_intx_level(f->mh, f->sbdf, 0), ==, 0);
    g_assert_cmphex(cfg_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, !=, 0);
    cfg_write(f, PCI_COMMAND, 2, 0);
    g_assert_cmpuint(hv_memhost_intx_level(f->mh, f->sbdf, 0), ==, 1);
    hv_pci_set_irq(&f->pd, 0);
    g_assert_cmpuint(hv_memhost_intx_level(f->mh, f->sbdf, 0), ==, 0);
    g_assert_cmphex(cfg_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, ==, 0);
}

static void test_caps(fixture *f, gconstpointer data)
{
    uint8_t a = hv_pci_add_cap(&f->pd, 0x05, 14);   /* MSI */
    uint8_t b = hv_pci_add_cap(&f->pd, 0x01, 8);    /* PM */

    g_assert_cmpuint(a, ==, 0x40);
    g_assert_cmpuint(b, ==, 0x50);
    g_assert_cmphex(cfg_read(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, !=, 0);
    g_assert_cmphex(cfg_read(f, PCI_CAPABILITY_LIST, 1), ==, b);
    g_assert_cmphex(cfg_read(f, b + 1, 1), ==, a);
    g_assert_cmphex(cfg_read(f, a + 1, 1), ==, 0);
}

static void test_parse_addr(void)
{
    uint32_t sbdf;
    GError *err = NULL;

    g_assert_true(hv_pci_parse_addr("00:01.1", &sbdf, &err));
    g_assert_cmphex(sbdf, ==, HV_SBDF(0, 0, 1, 1));
    g_assert_true(hv_pci_parse_addr("0001:02:1f.7", &sbdf, &err));
    g_assert_cmphex(sbdf, ==, HV_SBDF(1, 2, 0x1f, 7));
    g_assert_false(hv_pci_parse_addr("00:20.0", &sbdf, &err));
    g_clear_error(&err);
    g_assert_false(hv_pci_parse_addr("00:01.1x", &sbdf, &err));
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, setup, fn, teardown)
    ADD("/pci/header", test_header);
    ADD("/pci/bar-sizing", test_bar_sizing);
    ADD("/pci/bar-decode", test_bar_decode);
    ADD("/pci/intx", test_intx);
    ADD("/pci/caps", test_caps);
    g_test_add_func("/pci/parse-addr", test_parse_addr);
    return g_test_run();
}
