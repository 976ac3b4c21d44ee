/* SPDX-License-Identifier: MIT */
/*
 * ioreq_perform on hand-built ioreq_t: every request type, rep/data_is_ptr
 * string I/O in both directions, and hostile requests.
 */
#include <string.h>

#include "fixture.h"

#define FX_TEST(name, fn) g_test_add(name, fx, NULL, fx_setup, fn, fx_teardown)

static uint16_t ram16(const fx *f, uint64_t gpa)
{
    return (uint16_t)(f->ram[gpa] | (f->ram[gpa + 1] << 8));
}

static void put16(fx *f, uint64_t gpa, uint16_t v)
{
    f->ram[gpa] = v & 0xff;
    f->ram[gpa + 1] = v >> 8;
}

/* ---- single accesses ---- */

static void test_pio_write_sizes(fx *f, gconstpointer data)
{
    static const unsigned sizes[] = {1, 2, 4};

    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        ioreq_t r = fx_req(IOREQ_TYPE_PIO, IOREQ_WRITE, FX_PIO_BASE + 4,
                           sizes[i], 0xaabbccdd11223344ull);

        g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
        /* Only the low @size bytes of data reach the device. */
        fx_check(&f->pio, i, true, 4, sizes[i],
                 0xaabbccdd11223344ull & ioreq_size_mask(sizes[i]));
    }
    g_assert_cmpuint(fx_count(f), ==, 3);
}

static void test_pio_read_sizes(fx *f, gconstpointer data)
{
    static const unsigned sizes[] = {1, 2, 4};
    /* The device returns next, next + step, ...: see fixture.c. */
    static const uint64_t want[] = {0x11, 0x2312, 0x46352413};

    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        ioreq_t r = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE + 2,
                           sizes[i], 0xdeadbeefdeadbeefull);

        g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
        fx_check(&f->pio, i, false, 2, sizes[i], want[i]);
        /* Stale upper bits of data must not leak into the response. */
        g_assert_cmphex(r.data, ==, want[i]);
    }
}

static void test_copy(fx *f, gconstpointer data)
{
    ioreq_t w = fx_req(IOREQ_TYPE_COPY, IOREQ_WRITE, FX_MMIO_BASE + 0x10, 8,
                       0x0123456789abcdefull);
    ioreq_t r = fx_req(IOREQ_TYPE_COPY, IOREQ_READ, FX_MMIO_BASE + 0x20, 4, 0);

    g_assert_cmpint(ioreq_perform(&f->env, &w), ==, IOREQ_DONE);
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    fx_check(&f->mmio, 0, true, 0x10, 8, 0x0123456789abcdefull);
    fx_check(&f->mmio, 1, false, 0x20, 4, 0x44332211);
    g_assert_cmphex(r.data, ==, 0x44332211);
    g_assert_cmpuint(f->pio.log->len, ==, 0);
}

static void test_pci_config(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                       HV_PCI_ADDR(FX_SBDF, 0x04), 2, 0);
    ioreq_t w = fx_req(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE,
                       HV_PCI_ADDR(FX_SBDF, 0x3c), 1, 0x0b);
    ioreq_t other = fx_req(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                           HV_PCI_ADDR(HV_SBDF(0, 0, 4, 0), 0), 4, 0);

    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    g_assert_cmpint(ioreq_perform(&f->env, &w), ==, IOREQ_DONE);
    fx_check(&f->pci, 0, false, 0x04, 2, 0x2211);
    fx_check(&f->pci, 1, true, 0x3c, 1, 0x0b);
    g_assert_cmphex(r.data, ==, 0x2211);
    /* Another function is not ours: all ones, no device access. */
    g_assert_cmpint(ioreq_perform(&f->env, &other), ==, IOREQ_DONE);
    g_assert_cmphex(other.data, ==, 0xffffffff);
    g_assert_cmpuint(fx_count(f), ==, 2);
}

/* ---- string I/O: rep outs / rep ins ---- */

static void test_rep_outs_up(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_PIO, IOREQ_WRITE, FX_PIO_BASE, 2, 0x1000);

    for (unsigned i = 0; i < 4; i++) {
        put16(f, 0x1000 + 2 * i, (uint16_t)(0xa000 + i));
    }
    r.data_is_ptr = 1;
    r.count = 4;
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    g_assert_cmpuint(f->pio.log->len, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        fx_check(&f->pio, i, true, 0, 2, 0xa000 + i); /* port fixed */
    }
}

static void test_rep_outs_down(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_PIO, IOREQ_WRITE, FX_PIO_BASE, 2, 0x1006);

    for (unsigned i = 0; i < 4; i++) {
        put16(f, 0x1000 + 2 * i, (uint16_t)(0xa000 + i));
    }
    r.data_is_ptr = 1;
    r.count = 4;
    r.df = 1; /* element i at data - 2*i: 0x1006, 0x1004, ... */
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    g_assert_cmpuint(f->pio.log->len, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        fx_check(&f->pio, i, true, 0, 2, 0xa003 - i);
    }
}

static void test_rep_ins_up(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 2, 0x2000);
    uint8_t before_lo = f->ram[0x1fff], before_hi = f->ram[0x2008];

    f->pio.next = 0x1111;
    f->pio.step = 0x1111;
    r.data_is_ptr = 1;
    r.count = 4;
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    g_assert_cmpuint(f->pio.log->len, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        fx_check(&f->pio, i, false, 0, 2, 0x1111 * (i + 1));
        g_assert_cmphex(ram16(f, 0x2000 + 2 * i), ==, 0x1111 * (i + 1));
    }
    g_assert_cmphex(f->ram[0x1fff], ==, before_lo);
    g_assert_cmphex(f->ram[0x2008], ==, before_hi);
    g_assert_cmphex(r.data, ==, 0x2000); /* the pointer is left alone */
}

static void test_rep_ins_down(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 4, 0x300c);
    uint8_t before_lo = f->ram[0x2fff], before_hi = f->ram[0x3010];

    f->pio.next = 1;
    f->pio.step = 1;
    r.data_is_ptr = 1;
    r.count = 4;
    r.df = 1;
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    /* First value read lands at the highest address. */
    for (unsigned i = 0; i < 4; i++) {
        uint64_t gpa = 0x300c - 4 * i;

        g_assert_cmphex(f->ram[gpa], ==, i + 1);
        g_assert_cmphex(f->ram[gpa + 1] | f->ram[gpa + 2] | f->ram[gpa + 3], ==,
                        0);
    }
    g_assert_cmphex(f->ram[0x2fff], ==, before_lo);
    g_assert_cmphex(f->ram[0x3010], ==, before_hi);
}

static void test_rep_outside_ram(fx *f, gconstpointer data)
{
    uint8_t *copy = g_memdup2(f->ram, FX_RAM_SIZE);
    ioreq_t in =
        fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 2, FX_RAM_SIZE - 4);
    ioreq_t out =
        fx_req(IOREQ_TYPE_PIO, IOREQ_WRITE, FX_PIO_BASE, 2, FX_RAM_SIZE - 2);
    ioreq_t under = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 4, 4);
    ioreq_t top =
        fx_req(IOREQ_TYPE_PIO, IOREQ_WRITE, FX_PIO_BASE, 4, UINT64_MAX - 5);

    in.data_is_ptr = out.data_is_ptr = under.data_is_ptr = 1;
    top.data_is_ptr = 1;
    in.count = 4;    /* last two elements beyond RAM */
    out.count = 2;   /* second element beyond RAM */
    under.count = 4; /* df=1 from gpa 4 would go below 0 */
    under.df = 1;
    top.count = 4; /* wraps around 2^64 */
    g_assert_cmpint(ioreq_perform(&f->env, &in), ==, IOREQ_BAD_MEMORY);
    g_assert_cmpint(ioreq_perform(&f->env, &out), ==, IOREQ_BAD_MEMORY);
    g_assert_cmpint(ioreq_perform(&f->env, &under), ==, IOREQ_BAD_MEMORY);
    g_assert_cmpint(ioreq_perform(&f->env, &top), ==, IOREQ_BAD_MEMORY);
    /* Checked before any device access: the data port is not consumed. */
    g_assert_cmpuint(fx_count(f), ==, 0);
    g_assert_cmpmem(copy, FX_RAM_SIZE, f->ram, FX_RAM_SIZE);
    g_free(copy);
}

static void test_rep_count_bounds(fx *f, gconstpointer data)
{
    ioreq_t huge = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 4, 0);
    ioreq_t zero = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 4, 7);
    ioreq_t stos = fx_req(IOREQ_TYPE_COPY, IOREQ_WRITE, FX_MMIO_BASE, 8, 1);
    ioreq_t max = fx_req(IOREQ_TYPE_PIO, IOREQ_WRITE, FX_PIO_BASE, 1, 0);

    huge.data_is_ptr = 1;
    huge.count = UINT32_MAX; /* 16 GiB of guest buffer */
    zero.count = 0;
    stos.count = UINT32_MAX; /* rep stos without a pointer */
    g_assert_cmpint(ioreq_perform(&f->env, &huge), ==, IOREQ_BAD_COUNT);
    g_assert_cmpint(ioreq_perform(&f->env, &zero), ==, IOREQ_BAD_COUNT);
    g_assert_cmphex(zero.data, ==, 0xffffffff);
    g_assert_cmpint(ioreq_perform(&f->env, &stos), ==, IOREQ_BAD_COUNT);
    g_assert_cmpuint(fx_count(f), ==, 0);
    /* Exactly at the bound is still served. */
    max.data_is_ptr = 1;
    max.count = IOREQ_REP_MAX_BYTES;
    g_assert_cmpuint(IOREQ_REP_MAX_BYTES, <=, FX_RAM_SIZE);
    g_assert_cmpint(ioreq_perform(&f->env, &max), ==, IOREQ_DONE);
    g_assert_cmpuint(f->pio.log->len, ==, IOREQ_REP_MAX_BYTES);
}

/* ---- MMIO string copies ---- */

static void test_mmio_movs_from_ram(fx *f, gconstpointer data)
{
    ioreq_t up =
        fx_req(IOREQ_TYPE_COPY, IOREQ_WRITE, FX_MMIO_BASE + 0x100, 4, 0x4000);
    ioreq_t down =
        fx_req(IOREQ_TYPE_COPY, IOREQ_WRITE, FX_MMIO_BASE + 0x208, 4, 0x4008);

    for (unsigned i = 0; i < 12; i++) {
        f->ram[0x4000 + i] = (uint8_t)(0x10 + i);
    }
    up.data_is_ptr = down.data_is_ptr = 1;
    up.count = down.count = 3;
    down.df = 1;
    g_assert_cmpint(ioreq_perform(&f->env, &up), ==, IOREQ_DONE);
    g_assert_cmpint(ioreq_perform(&f->env, &down), ==, IOREQ_DONE);
    /* Both sides move: device offset and RAM address step together. */
    fx_check(&f->mmio, 0, true, 0x100, 4, 0x13121110);
    fx_check(&f->mmio, 1, true, 0x104, 4, 0x17161514);
    fx_check(&f->mmio, 2, true, 0x108, 4, 0x1b1a1918);
    fx_check(&f->mmio, 3, true, 0x208, 4, 0x1b1a1918);
    fx_check(&f->mmio, 4, true, 0x204, 4, 0x17161514);
    fx_check(&f->mmio, 5, true, 0x200, 4, 0x13121110);
}

static void test_mmio_movs_to_ram(fx *f, gconstpointer data)
{
    ioreq_t r =
        fx_req(IOREQ_TYPE_COPY, IOREQ_READ, FX_MMIO_BASE + 0x40, 8, 0x5000);

    f->mmio.next = 0x0102030405060708ull;
    f->mmio.step = 0x1000000000000000ull;
    r.data_is_ptr = 1;
    r.count = 2;
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    fx_check(&f->mmio, 0, false, 0x40, 8, 0x0102030405060708ull);
    fx_check(&f->mmio, 1, false, 0x48, 8, 0x1102030405060708ull);
    g_assert_cmphex(f->ram[0x5000], ==, 0x08);
    g_assert_cmphex(f->ram[0x5007], ==, 0x01);
    g_assert_cmphex(f->ram[0x500f], ==, 0x11);
}

static void test_mmio_stos(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_COPY, IOREQ_WRITE, FX_MMIO_BASE + 0x80, 2,
                       0xffff5a5a);

    r.count = 4; /* rep stosw to MMIO: one value, moving address */
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    g_assert_cmpuint(f->mmio.log->len, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        fx_check(&f->mmio, i, true, 0x80 + 2 * i, 2, 0x5a5a);
    }
}

static void test_mmio_range_wraps(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_COPY, IOREQ_WRITE, 4, 4, 0x1000);

    r.data_is_ptr = 1;
    r.count = 4;
    r.df = 1; /* device side would go below address 0 */
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_BAD_COUNT);
    g_assert_cmpuint(fx_count(f), ==, 0);
}

/* One 8-byte MMIO read at 2^64 - 4: the single-value fast path refuses
 * it like the walk (no access wrapping to address 0). */
static void test_mmio_single_wraps(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_COPY, IOREQ_READ, 0xfffffffffffffffcull,
                       8, 0);

    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_BAD_COUNT);
    g_assert_cmpuint(r.data, ==, ~0ull);
    g_assert_cmpuint(fx_count(f), ==, 0);
}

/* ---- other types, malformed requests ---- */

static void test_invalidate(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_INVALIDATE, IOREQ_WRITE, 0, 0, 0);

    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
    g_assert_cmpuint(f->invalidations, ==, 1);
    g_assert_cmpuint(fx_count(f), ==, 0);
    f->env.invalidate = NULL; /* a host without a cache */
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_DONE);
}

static void test_timeoffset(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_TIMEOFFSET, IOREQ_WRITE, 0, 8, 3600);

    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_IGNORED);
    g_assert_cmpuint(fx_count(f), ==, 0);
    g_assert_cmpuint(f->invalidations, ==, 0);
}

static void test_bad_size(fx *f, gconstpointer data)
{
    static const unsigned bad[] = {0, 3, 5, 16, 0x80000000u};
    ioreq_t pio8 = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 8, 0);
    ioreq_t pci8 = fx_req(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE,
                          HV_PCI_ADDR(FX_SBDF, 0), 8, 0);

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        ioreq_t r =
            fx_req(IOREQ_TYPE_COPY, IOREQ_READ, FX_MMIO_BASE, bad[i], 0);

        g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_BAD_SIZE);
        g_assert_cmphex(r.data, ==, ioreq_size_mask(bad[i]));
    }
    g_assert_cmpint(ioreq_perform(&f->env, &pio8), ==, IOREQ_BAD_SIZE);
    g_assert_cmphex(pio8.data, ==, UINT64_MAX);
    g_assert_cmphex(ioreq_size_mask(3), ==, 0xffffff);
    g_assert_cmpint(ioreq_perform(&f->env, &pci8), ==, IOREQ_BAD_SIZE);
    g_assert_cmpuint(fx_count(f), ==, 0);
}

static void test_bad_type(fx *f, gconstpointer data)
{
    static const unsigned types[] = {3, 4, 5, 6, 9, 0xff};

    for (unsigned i = 0; i < G_N_ELEMENTS(types); i++) {
        ioreq_t r = fx_req(types[i], IOREQ_READ, FX_PIO_BASE, 2, 0x1234);

        g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_BAD_TYPE);
        g_assert_cmphex(r.data, ==, 0xffff);
    }
    g_assert_cmpuint(fx_count(f), ==, 0);
    g_assert_cmpuint(f->invalidations, ==, 0);
}

static void test_no_ctx(fx *f, gconstpointer data)
{
    ioreq_t r = fx_req(IOREQ_TYPE_PIO, IOREQ_READ, FX_PIO_BASE, 1, 0);

    f->env.ctx = NULL; /* requests before hv_xen_set_ctx */
    g_assert_cmpint(ioreq_perform(&f->env, &r), ==, IOREQ_IGNORED);
    g_assert_cmphex(r.data, ==, 0xff);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    FX_TEST("/ioreq/decode/pio-write-sizes", test_pio_write_sizes);
    FX_TEST("/ioreq/decode/pio-read-sizes", test_pio_read_sizes);
    FX_TEST("/ioreq/decode/copy", test_copy);
    FX_TEST("/ioreq/decode/pci-config", test_pci_config);
    FX_TEST("/ioreq/decode/rep-outs-df0", test_rep_outs_up);
    FX_TEST("/ioreq/decode/rep-outs-df1", test_rep_outs_down);
    FX_TEST("/ioreq/decode/rep-ins-df0", test_rep_ins_up);
    FX_TEST("/ioreq/decode/rep-ins-df1", test_rep_ins_down);
    FX_TEST("/ioreq/decode/rep-outside-ram", test_rep_outside_ram);
    FX_TEST("/ioreq/decode/rep-count-bounds", test_rep_count_bounds);
    FX_TEST("/ioreq/decode/mmio-movs-from-ram", test_mmio_movs_from_ram);
    FX_TEST("/ioreq/decode/mmio-movs-to-ram", test_mmio_movs_to_ram);
    FX_TEST("/ioreq/decode/mmio-stos", test_mmio_stos);
    FX_TEST("/ioreq/decode/mmio-range-wraps", test_mmio_range_wraps);
    FX_TEST("/ioreq/decode/mmio-single-wraps", test_mmio_single_wraps);
    FX_TEST("/ioreq/decode/invalidate", test_invalidate);
    FX_TEST("/ioreq/decode/timeoffset", test_timeoffset);
    FX_TEST("/ioreq/decode/bad-size", test_bad_size);
    FX_TEST("/ioreq/decode/bad-type", test_bad_type);
    FX_TEST("/ioreq/decode/no-ctx", test_no_ctx);
    return g_test_run();
}
