/* SPDX-License-Identifier: MIT */
/*
 * The guest-memory map cache against a fake guest: RAM with a hole, pages
 * the "hypervisor" refuses, bucket eviction, invalidation.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "ioreq/mapcache.h"

#define PG IOREQ_PAGE_SIZE
#define BACKING (8u << 20)             /* address space the fake can map */
#define RAM_END (6u << 20)             /* pages at/after this fail */
#define HOLE_PFN ((1u << 20) / PG + 5) /* one refused page at 1 MiB+20K */
#define HOLE2_PFN ((2u << 20) / PG)    /* first page of the 2 MiB bucket */

typedef struct fake {
    uint8_t *mem;
    unsigned maps;
    unsigned unmaps;
    uint64_t last_map_pfn;
    void *last_unmap;
} fake;

static void *fake_map(void *opaque, uint64_t first_pfn, size_t n, int *errs)
{
    fake *g = opaque;

    g->maps++;
    g->last_map_pfn = first_pfn;
    if ((first_pfn + n) * PG > BACKING) {
        errno = EINVAL;
        return NULL; /* nothing there at all */
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t pfn = first_pfn + i;

        errs[i] = (pfn * PG >= RAM_END || pfn == HOLE_PFN || pfn == HOLE2_PFN)
                      ? -EINVAL
                      : 0;
    }
    return g->mem + first_pfn * PG;
}

static void fake_unmap(void *opaque, void *addr, size_t n)
{
    fake *g = opaque;

    g->unmaps++;
    g->last_unmap = addr;
}

typedef struct fx {
    fake g;
    ioreq_mapcache *mc;
} fx;

static void setup(fx *f, gconstpointer data)
{
    unsigned shift = GPOINTER_TO_UINT(data);

    memset(f, 0, sizeof(*f));
    f->g.mem = g_malloc(BACKING);
    for (unsigned i = 0; i < BACKING; i++) {
        f->g.mem[i] = (uint8_t)(i ^ (i >> 12));
    }
    f->mc = ioreq_mapcache_new(fake_map, fake_unmap, &f->g,
                               shift ? shift : IOREQ_MAPCACHE_BUCKET_SHIFT,
                               shift ? 2 : IOREQ_MAPCACHE_BUCKETS);
    g_assert_nonnull(f->mc);
}

static void teardown(fx *f, gconstpointer data)
{
    unsigned mapped = ioreq_mapcache_mapped(f->mc);
    unsigned unmaps = f->g.unmaps;

    ioreq_mapcache_free(f->mc);
    /* Every mapping is returned on free. */
    g_assert_cmpuint(f->g.unmaps, ==, unmaps + mapped);
    g_free(f->g.mem);
}

static void test_roundtrip(fx *f, gconstpointer data)
{
    uint8_t buf[64], back[64];
    ioreq_mapcache_stats st;

    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(0xc0 + i);
    }
    g_assert_cmpint(ioreq_mapcache_write(f->mc, 0x3010, buf, sizeof(buf)), ==,
                    0);
    g_assert_cmpmem(f->g.mem + 0x3010, sizeof(buf), buf, sizeof(buf));
    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x3010, back, sizeof(back)), ==,
                    0);
    g_assert_cmpmem(back, sizeof(back), buf, sizeof(buf));
    /* One bucket mapped once, then reused. */
    g_assert_cmpuint(f->g.maps, ==, 1);
    ioreq_mapcache_get_stats(f->mc, &st);
    g_assert_cmpuint(st.misses, ==, 1);
    g_assert_cmpuint(st.hits, >=, 1);
    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0, back, 0), ==, 0);
}

static void test_cross_bucket(fx *f, gconstpointer data)
{
    uint8_t back[0x40];
    uint64_t gpa = (1u << 20) - 0x20; /* straddles the 1 MiB boundary */

    g_assert_cmpint(ioreq_mapcache_read(f->mc, gpa, back, sizeof(back)), ==, 0);
    g_assert_cmpmem(back, sizeof(back), f->g.mem + gpa, sizeof(back));
    g_assert_cmpuint(ioreq_mapcache_mapped(f->mc), ==, 2);
}

static void test_hole(fx *f, gconstpointer data)
{
    uint8_t buf[2 * PG];
    uint8_t *before = g_memdup2(f->g.mem + (HOLE_PFN - 1) * PG, 3 * PG);
    ioreq_mapcache_stats st;

    memset(buf, 0xee, sizeof(buf));
    g_assert_cmpint(ioreq_mapcache_read(f->mc, HOLE_PFN * PG + 8, buf, 4), ==,
                    -EFAULT);
    /* A write covering a good page and the hole fails as a whole: the
     * good page is not half-written. */
    g_assert_cmpint(
        ioreq_mapcache_write(f->mc, (HOLE_PFN - 1) * PG + 16, buf, sizeof(buf)),
        ==, -EFAULT);
    g_assert_cmpmem(f->g.mem + (HOLE_PFN - 1) * PG, 3 * PG, before, 3 * PG);
    /* The pages around it are fine. */
    g_assert_cmpint(ioreq_mapcache_read(f->mc, (HOLE_PFN + 1) * PG, buf, PG),
                    ==, 0);
    ioreq_mapcache_get_stats(f->mc, &st);
    g_assert_cmpuint(st.faults, ==, 2);
    g_free(before);
}

static void test_no_partial_across_buckets(fx *f, gconstpointer data)
{
    uint8_t buf[32];
    uint64_t gpa = HOLE2_PFN * PG - 16; /* 16 good bytes, 16 in the hole */
    uint8_t *before = g_memdup2(f->g.mem + gpa, 16);

    memset(buf, 0x5a, sizeof(buf));
    g_assert_cmpint(ioreq_mapcache_write(f->mc, gpa, buf, sizeof(buf)), ==,
                    -EFAULT);
    /* The bucket below the hole was fine, yet nothing was written. */
    g_assert_cmpmem(f->g.mem + gpa, 16, before, 16);
    g_assert_cmpint(ioreq_mapcache_write(f->mc, gpa, buf, 16), ==, 0);
    g_assert_cmpmem(f->g.mem + gpa, 16, buf, 16);
    g_free(before);
}

static void test_beyond_ram(fx *f, gconstpointer data)
{
    uint8_t buf[16];
    unsigned maps;

    g_assert_cmpint(ioreq_mapcache_read(f->mc, RAM_END - 8, buf, 16), ==,
                    -EFAULT);
    g_assert_cmpint(ioreq_mapcache_read(f->mc, RAM_END - 16, buf, 16), ==, 0);
    /* Nothing mappable at all there (map returns NULL). */
    g_assert_cmpint(ioreq_mapcache_write(f->mc, 1ull << 32, buf, 16), ==,
                    -EFAULT);
    g_assert_cmpint(ioreq_mapcache_write(f->mc, 1ull << 32, buf, 16), ==,
                    -EFAULT);
    /* Beyond any physical address / wrapping: refused without a map. */
    maps = f->g.maps;
    g_assert_cmpint(ioreq_mapcache_read(f->mc, IOREQ_GPA_LIMIT, buf, 1), ==,
                    -EFAULT);
    g_assert_cmpint(ioreq_mapcache_read(f->mc, UINT64_MAX - 4, buf, 16), ==,
                    -EFAULT);
    g_assert_cmpuint(f->g.maps, ==, maps);
}

/* Run with 4 KiB buckets, 2 of them. */
static void test_lru(fx *f, gconstpointer data)
{
    uint8_t b;
    ioreq_mapcache_stats st;

    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x1000, &b, 1), ==, 0); /* A */
    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x2000, &b, 1), ==, 0); /* B */
    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x1000, &b, 1), ==, 0); /* A */
    g_assert_cmpuint(f->g.maps, ==, 2);
    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x3000, &b, 1), ==, 0); /* C */
    /* B was least recently used. */
    g_assert_cmpuint(f->g.unmaps, ==, 1);
    g_assert_true(f->g.last_unmap == f->g.mem + 0x2000);
    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x1000, &b, 1), ==, 0); /* A */
    g_assert_cmpuint(f->g.maps, ==, 3); /* A still cached */
    g_assert_cmphex(b, ==, f->g.mem[0x1000]);
    ioreq_mapcache_get_stats(f->mc, &st);
    g_assert_cmpuint(st.evictions, ==, 1);
}

static void test_invalidate(fx *f, gconstpointer data)
{
    uint8_t b;

    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x1000, &b, 1), ==, 0);
    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x300000, &b, 1), ==, 0);
    g_assert_cmpuint(ioreq_mapcache_mapped(f->mc), ==, 2);
    ioreq_mapcache_invalidate(f->mc);
    g_assert_cmpuint(ioreq_mapcache_mapped(f->mc), ==, 0);
    g_assert_cmpuint(f->g.unmaps, ==, 2);
    /* The next access maps afresh. */
    g_assert_cmpint(ioreq_mapcache_read(f->mc, 0x1000, &b, 1), ==, 0);
    g_assert_cmpuint(f->g.maps, ==, 3);
}

/* With the default size, passes over all of RAM map each bucket once and
 * never unmap (the 64-bucket cache remapped on every pass). */
static void test_whole_guest_stays_mapped(fx *f, gconstpointer data)
{
    uint8_t b;
    ioreq_mapcache_stats st;
    unsigned nb = RAM_END >> IOREQ_MAPCACHE_BUCKET_SHIFT;

    for (unsigned pass = 0; pass < 3; pass++) {
        for (uint64_t gpa = 0; gpa < RAM_END; gpa += 4 * PG) {
            if (gpa >> IOREQ_PAGE_SHIFT == HOLE_PFN ||
                gpa >> IOREQ_PAGE_SHIFT == HOLE2_PFN) {
                continue;
            }
            g_assert_cmpint(ioreq_mapcache_read(f->mc, gpa, &b, 1), ==, 0);
            g_assert_cmphex(b, ==, f->g.mem[gpa]);
        }
    }
    g_assert_cmpuint(f->g.maps, ==, nb);
    g_assert_cmpuint(f->g.unmaps, ==, 0);
    g_assert_cmpuint(ioreq_mapcache_mapped(f->mc), ==, nb);
    ioreq_mapcache_get_stats(f->mc, &st);
    g_assert_cmpuint(st.evictions, ==, 0);
    g_assert_cmpuint(st.misses, ==, nb);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/ioreq/mapcache/roundtrip", fx, NULL, setup, test_roundtrip,
               teardown);
    g_test_add("/ioreq/mapcache/cross-bucket", fx, NULL, setup,
               test_cross_bucket, teardown);
    g_test_add("/ioreq/mapcache/hole", fx, NULL, setup, test_hole, teardown);
    g_test_add("/ioreq/mapcache/no-partial-across-buckets", fx, NULL, setup,
               test_no_partial_across_buckets, teardown);
    g_test_add("/ioreq/mapcache/beyond-ram", fx, NULL, setup, test_beyond_ram,
               teardown);
    g_test_add("/ioreq/mapcache/lru", fx, GUINT_TO_POINTER(12), setup, test_lru,
               teardown);
    g_test_add("/ioreq/mapcache/invalidate", fx, NULL, setup, test_invalidate,
               teardown);
    g_test_add("/ioreq/mapcache/whole-guest-stays-mapped", fx, NULL, setup,
               test_whole_guest_stays_mapped, teardown);
    return g_test_run();
}
