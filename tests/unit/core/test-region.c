/* SPDX-License-Identifier: MIT */
/* Registry: overlap rejection, width split/widen, unclaimed, BAR-style moves. */
#include <errno.h>

#include "hvmemu/hvmemu.h"

typedef struct rec {
    GArray *log;   /* access: (write << 63) | (off << 8) | size */
    uint8_t mem[64];
} rec;

static uint64_t rec_read(void *opaque, uint64_t off, unsigned size)
{
    rec *r = opaque;
    uint64_t v = 0, e = (off << 8) | size;

    g_array_append_val(r->log, e);
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)r->mem[off + i] << (8 * i);
    }
    return v;
}

static void rec_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
    rec *r = opaque;
    uint64_t e = (1ull << 63) | (off << 8) | size;

    g_array_append_val(r->log, e);
    for (unsigned i = 0; i < size; i++) {
        r->mem[off + i] = (uint8_t)(v >> (8 * i));
    }
}

static const hv_region_ops ops_4only = { rec_read, rec_write, 4, 4 };
static const hv_region_ops ops_1to2 = { rec_read, rec_write, 1, 2 };

typedef struct fixture {
    hv_memhost *mh;
    hv_ctx *ctx;
    rec r;
} fixture;

static void setup(fixture *f, gconstpointer data)
{
    f->mh = hv_memhost_new(4096);
    f->ctx = hv_ctx_new(hv_memhost_ops(), f->mh, NULL);
    f->r.log = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    for (unsigned i = 0; i < sizeof(f->r.mem); i++) {
        f->r.mem[i] = (uint8_t)(0x10 + i);
    }
}

static void teardown(fixture *f, gconstpointer data)
{
    hv_ctx_free(f->ctx);
    hv_memhost_free(f->mh);
    g_array_free(f->r.log, TRUE);
}

static void test_overlap(fixture *f, gconstpointer data)
{
    GError *err = NULL;
    hv_region *a = hv_region_add(f->ctx, HV_SPACE_PIO, 0x100, 8, &ops_1to2,
                                 &f->r, "a", &err);
    g_assert_no_error(err);
    g_assert_nonnull(a);
    g_assert_null(hv_region_add(f->ctx, HV_SPACE_PIO, 0x107, 2, &ops_1to2,
                                &f->r, "b", &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_BUSY);
    g_clear_error(&err);
    g_assert_null(hv_region_add(f->ctx, HV_SPACE_PIO, 0xf0, 0x11, &ops_1to2,
                                &f->r, "c", &err));
    g_clear_error(&err);
    /* Adjacent is fine; same range in another space is fine. */
    g_assert_nonnull(hv_region_add(f->ctx, HV_SPACE_PIO, 0x108, 8, &ops_1to2,
                                   &f->r, "d", &err));
    g_assert_nonnull(hv_region_add(f->ctx, HV_SPACE_MMIO, 0x100, 8,
                                   &ops_1to2, &f->r, "e", &err));
    g_assert_no_error(err);
    /* Zero length and PIO beyond 64K are invalid. */
    g_assert_null(hv_region_add(f->ctx, HV_SPACE_PIO, 0xfff0, 0x20,
                                &ops_1to2, &f->r, "f", &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_clear_error(&err);
    g_assert_cmpuint(hv_memhost_mapped_count(f->mh, HV_SPACE_PIO), ==, 2);
    hv_region_del(a);
    g_assert_cmpuint(hv_memhost_mapped_count(f->mh, HV_SPACE_PIO), ==, 1);
    g_assert_nonnull(hv_region_add(f->ctx, HV_SPACE_PIO, 0x107, 1, &ops_1to2,
                                   &f->r, "g", &err));
}

static void test_split_widen(fixture *f, gconstpointer data)
{
    hv_region_add(f->ctx, HV_SPACE_PIO, 0x200, 16, &ops_4only, &f->r, "w",
                  NULL);
    /* 1-byte read at offset 2 of a 4-only region: one 4-byte read. */
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x202, 1), ==,
                    0x12);
    g_assert_cmpuint(f->r.log->len, ==, 1);
    g_assert_cmphex(g_array_index(f->r.log, uint64_t, 0), ==, (0 << 8) | 4);
    /* 8-byte read: two 4-byte reads, little-endian assembled. */
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x200, 8), ==,
                    0x1716151413121110ull);
    g_assert_cmpuint(f->r.log->len, ==, 3);
    /* 2-byte write at offset 5: read-modify-write of the word at 4. */
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, 0x205, 2, 0xbbaa);
    g_assert_cmphex(f->r.mem[4], ==, 0x14);
    g_assert_cmphex(f->r.mem[5], ==, 0xaa);
    g_assert_cmphex(f->r.mem[6], ==, 0xbb);
    g_assert_cmphex(f->r.mem[7], ==, 0x17);
    g_assert_cmphex(g_array_index(f->r.log, uint64_t, f->r.log->len - 1), ==,
                    (1ull << 63) | (4 << 8) | 4);
}

static void test_split_wide(fixture *f, gconstpointer data)
{
    hv_region_add(f->ctx, HV_SPACE_MMIO, 0x1000, 16, &ops_1to2, &f->r, "n",
                  NULL);
    hv_dispatch_write(f->ctx, HV_SPACE_MMIO, 0x1000, 4, 0xddccbbaa);
    g_assert_cmpuint(f->r.log->len, ==, 2);
    g_assert_cmphex(g_array_index(f->r.log, uint64_t, 0), ==,
                    (1ull << 63) | (0 << 8) | 2);
    g_assert_cmphex(g_array_index(f->r.log, uint64_t, 1), ==,
                    (1ull << 63) | (2 << 8) | 2);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_MMIO, 0x1000, 4), ==,
                    0xddccbbaa);
}

static void test_unclaimed(fixture *f, gconstpointer data)
{
    hv_region_add(f->ctx, HV_SPACE_PIO, 0x300, 2, &ops_1to2, &f->r, "u",
                  NULL);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x400, 4), ==,
                    0xffffffff);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x400, 1), ==,
                    0xff);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_MMIO, 0x0, 8), ==,
                    ~0ull);
    /* Straddling: bytes 0x300..0x301 claimed, 0x302..0x303 not. */
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x300, 4), ==,
                    0xffff1110);
    /* Unclaimed writes are dropped without touching anyone. */
    f->r.log->len = 0;
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, 0x500, 4, 1);
    g_assert_cmpuint(f->r.log->len, ==, 0);
}

static void test_move(fixture *f, gconstpointer data)
{
    hv_region *a = hv_region_add_disabled(f->ctx, HV_SPACE_MMIO, 0x100,
                                          &ops_1to2, &f->r, "bar");
    hv_region *b = hv_region_add(f->ctx, HV_SPACE_MMIO, 0x2000, 0x10,
                                 &ops_1to2, &f->r, "other", NULL);

    g_assert_false(hv_region_enabled(a));
    g_assert_cmpuint(hv_memhost_mapped_count(f->mh, HV_SPACE_MMIO), ==, 1);
    g_assert_true(hv_region_set(a, 0x1000, true));
    g_assert_true(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0x10ff));
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_MMIO, 0x1001, 1), ==,
                    0x11);
    /* Moving onto another region fails and leaves it disabled. */
    g_assert_false(hv_region_set(a, 0x1f80, true));
    g_assert_false(hv_region_enabled(a));
    g_assert_false(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0x1000));
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_MMIO, 0x1001, 1), ==,
                    0xff);
    g_assert_true(hv_region_set(a, 0x3000, true));
    g_assert_true(hv_memhost_is_mapped(f->mh, HV_SPACE_MMIO, 0x3000));
    (void)b;
}

static void test_guest_memory(fixture *f, gconstpointer data)
{
    uint8_t buf[16] = { 1, 2, 3 };

    /* -EFAULT when crossing the end of RAM or wrapping around. */
    g_assert_cmpint(hv_mem_write(f->ctx, 4090, buf, 7), ==, -EFAULT);
    g_assert_cmpint(hv_mem_write(f->ctx, 4080, buf, 16), ==, 0);
    g_assert_cmpint(hv_mem_read(f->ctx, ~0ull - 4, buf, 16), ==, -EFAULT);
    g_assert_cmpint(hv_mem_read(f->ctx, 4080, buf, 16), ==, 0);
    g_assert_cmpuint(buf[2], ==, 3);
}

static void test_isa_sharing(fixture *f, gconstpointer data)
{
    int a = 0, b = 0;
    size_t n;

    hv_set_isa_irq(f->ctx, &a, 9, 1);
    hv_set_isa_irq(f->ctx, &b, 9, 1);
    hv_set_isa_irq(f->ctx, &a, 9, 0);
    g_assert_cmpuint(hv_memhost_isa_level(f->mh, 9), ==, 1);
    hv_set_isa_irq(f->ctx, &b, 9, 0);
    g_assert_cmpuint(hv_memhost_isa_level(f->mh, 9), ==, 0);
    hv_memhost_irq_events(f->mh, &n);
    g_assert_cmpuint(n, ==, 2);  /* one rising, one falling edge */
    g_assert_cmpint(hv_set_isa_irq(f->ctx, &a, 16, 1), <, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, setup, fn, teardown)
    ADD("/region/overlap", test_overlap);
    ADD("/region/split-widen", test_split_widen);
    ADD("/region/split-wide", test_split_wide);
    ADD("/region/unclaimed", test_unclaimed);
    ADD("/region/move", test_move);
    ADD("/ctx/guest-memory", test_guest_memory);
    ADD("/ctx/isa-sharing", test_isa_sharing);
    return g_test_run();
}
