/* SPDX-License-Identifier: MIT */
/*
 * The buffered ring on a hand-built buffered_iopage_t: entries of 1/2/4
 * bytes, the 8-byte two-slot case, wrap-around at IOREQ_BUFFER_SLOT_NUM,
 * and corrupt rings.
 */
#include <string.h>

#include "fixture.h"
#include "ioreq/bufring.h"

#define FX_TEST(name, fn) g_test_add(name, fx, NULL, fx_setup, fn, fx_teardown)

/* Encoded buf_ioreq_t size field (public/hvm/ioreq.h). */
enum { BSZ1 = 0, BSZ2 = 1, BSZ4 = 2, BSZ8 = 3 };

typedef struct seen {
    GArray *reqs; /* ioreq_t */
    GArray *sts;  /* ioreq_status */
} seen;

static void on_entry(void *opaque, const ioreq_t *req, ioreq_status st)
{
    seen *s = opaque;

    g_array_append_val(s->reqs, *req);
    g_array_append_val(s->sts, st);
}

static seen *seen_new(void)
{
    seen *s = g_new0(seen, 1);

    s->reqs = g_array_new(FALSE, TRUE, sizeof(ioreq_t));
    s->sts = g_array_new(FALSE, TRUE, sizeof(ioreq_status));
    return s;
}

static void seen_free(seen *s)
{
    g_array_free(s->reqs, TRUE);
    g_array_free(s->sts, TRUE);
    g_free(s);
}

/* Post one slot at write_pointer, as Xen's ioreq_send_buffered does. */
static void post_slot(buffered_iopage_t *pg, unsigned type, unsigned size,
                      uint32_t addr, uint32_t data)
{
    buf_ioreq_t *e = &pg->buf_ioreq[pg->write_pointer % IOREQ_BUFFER_SLOT_NUM];

    memset(e, 0, sizeof(*e));
    e->type = (uint8_t)type;
    e->size = size & 3;
    e->addr = addr & 0xfffff;
    e->data = data;
    e->dir = IOREQ_WRITE;
    pg->write_pointer++;
}

/* An 8-byte write: the second slot carries the high half. */
static void post_qword(buffered_iopage_t *pg, unsigned type, uint32_t addr,
                       uint64_t data)
{
    post_slot(pg, type, BSZ8, addr, (uint32_t)data);
    post_slot(pg, type, BSZ8, addr, (uint32_t)(data >> 32));
}

static buffered_iopage_t *page_at(uint32_t ptr)
{
    buffered_iopage_t *pg = g_malloc0(sizeof(*pg));

    g_assert_cmpuint(sizeof(*pg), <=, 4096);
    pg->read_pointer = pg->write_pointer = ptr;
    return pg;
}

static void test_small_entries(fx *f, gconstpointer data)
{
    buffered_iopage_t *pg = page_at(0);
    seen *s = seen_new();

    post_slot(pg, IOREQ_TYPE_PIO, BSZ1, FX_PIO_BASE + 1, 0xaa);
    post_slot(pg, IOREQ_TYPE_PIO, BSZ2, FX_PIO_BASE + 2, 0xbbcc);
    post_slot(pg, IOREQ_TYPE_COPY, BSZ4, FX_VGA_BASE + 0x10, 0x11223344);
    g_assert_true(ioreq_bufring_pending(pg));
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, on_entry, s), ==, 3);
    g_assert_cmpuint(pg->read_pointer, ==, 3);
    g_assert_false(ioreq_bufring_pending(pg));
    fx_check(&f->pio, 0, true, 1, 1, 0xaa);
    fx_check(&f->pio, 1, true, 2, 2, 0xbbcc);
    fx_check(&f->vga, 0, true, 0x10, 4, 0x11223344);
    g_assert_cmpuint(s->reqs->len, ==, 3);
    g_assert_cmpuint(g_array_index(s->reqs, ioreq_t, 2).type, ==,
                     IOREQ_TYPE_COPY);
    g_assert_cmpint(g_array_index(s->sts, ioreq_status, 2), ==, IOREQ_DONE);
    /* Nothing more: a second drain does nothing. */
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, NULL, NULL), ==, 0);
    g_assert_cmpuint(fx_count(f), ==, 3);
    seen_free(s);
    g_free(pg);
}

static void test_qword(fx *f, gconstpointer data)
{
    buffered_iopage_t *pg = page_at(0);
    seen *s = seen_new();

    post_qword(pg, IOREQ_TYPE_COPY, FX_VGA_BASE + 0x20, 0x5566778811223344ull);
    post_slot(pg, IOREQ_TYPE_PIO, BSZ1, FX_PIO_BASE, 0x77);
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, on_entry, s), ==, 2);
    g_assert_cmpuint(pg->read_pointer, ==, 3); /* 2 slots + 1 slot */
    fx_check(&f->vga, 0, true, 0x20, 8, 0x5566778811223344ull);
    fx_check(&f->pio, 0, true, 0, 1, 0x77);
    g_assert_cmpuint(g_array_index(s->reqs, ioreq_t, 0).size, ==, 8);
    seen_free(s);
    g_free(pg);
}

static void test_timeoffset_qword(fx *f, gconstpointer data)
{
    buffered_iopage_t *pg = page_at(0);
    seen *s = seen_new();

    /* Xen posts TIMEOFFSET through the ring, 8 bytes, two slots. */
    post_qword(pg, IOREQ_TYPE_TIMEOFFSET, 0, (uint64_t)-3600);
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, on_entry, s), ==, 1);
    g_assert_cmpuint(pg->read_pointer, ==, 2);
    g_assert_cmphex(g_array_index(s->reqs, ioreq_t, 0).data, ==,
                    (uint64_t)-3600);
    g_assert_cmpint(g_array_index(s->sts, ioreq_status, 0), ==, IOREQ_IGNORED);
    g_assert_cmpuint(fx_count(f), ==, 0);
    seen_free(s);
    g_free(pg);
}

static void test_wrap(fx *f, gconstpointer data)
{
    /* Start two slots before the end: the qword's halves are in the last
     * slot and slot 0, the byte after it in slot 1. */
    buffered_iopage_t *pg = page_at(IOREQ_BUFFER_SLOT_NUM - 2);

    post_slot(pg, IOREQ_TYPE_PIO, BSZ2, FX_PIO_BASE, 0x1234);
    post_qword(pg, IOREQ_TYPE_COPY, FX_VGA_BASE, 0xcafef00d0badbeefull);
    post_slot(pg, IOREQ_TYPE_PIO, BSZ1, FX_PIO_BASE + 3, 0x99);
    g_assert_cmpuint(pg->write_pointer, ==, IOREQ_BUFFER_SLOT_NUM + 2);
    g_assert_cmpuint(pg->buf_ioreq[0].data, ==, 0xcafef00d);
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, NULL, NULL), ==, 3);
    g_assert_cmpuint(pg->read_pointer, ==, pg->write_pointer);
    fx_check(&f->pio, 0, true, 0, 2, 0x1234);
    fx_check(&f->vga, 0, true, 0, 8, 0xcafef00d0badbeefull);
    fx_check(&f->pio, 1, true, 3, 1, 0x99);
    g_free(pg);
}

static void test_budget(fx *f, gconstpointer data)
{
    buffered_iopage_t *pg = page_at(7);

    for (unsigned i = 0; i < 5; i++) {
        post_slot(pg, IOREQ_TYPE_PIO, BSZ1, FX_PIO_BASE, i);
    }
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 2, NULL, NULL), ==, 2);
    g_assert_cmpuint(pg->read_pointer, ==, 9);
    g_assert_true(ioreq_bufring_pending(pg));
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 10, NULL, NULL), ==, 3);
    g_assert_cmpuint(f->pio.log->len, ==, 5);
    for (unsigned i = 0; i < 5; i++) {
        fx_check(&f->pio, i, true, 0, 1, i); /* in posting order */
    }
    g_free(pg);
}

static void test_half_qword(fx *f, gconstpointer data)
{
    buffered_iopage_t *pg = page_at(0);
    seen *s = seen_new();

    /* First half only: Xen never publishes that; skip it, never read
     * the unpublished slot. */
    post_slot(pg, IOREQ_TYPE_COPY, BSZ8, FX_VGA_BASE, 0x1);
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, on_entry, s), ==, 1);
    g_assert_cmpuint(pg->read_pointer, ==, 1);
    g_assert_cmpint(g_array_index(s->sts, ioreq_status, 0), ==, IOREQ_BAD_TYPE);
    g_assert_cmpuint(fx_count(f), ==, 0);
    seen_free(s);
    g_free(pg);
}

static void test_malformed_entries(fx *f, gconstpointer data)
{
    buffered_iopage_t *pg = page_at(0);
    seen *s = seen_new();

    post_slot(pg, IOREQ_TYPE_PIO, BSZ1, FX_PIO_BASE, 1);
    pg->buf_ioreq[0].dir = IOREQ_READ; /* a posted read: nobody to answer */
    post_slot(pg, 0x33, BSZ2, FX_PIO_BASE, 2);           /* bad type */
    post_slot(pg, IOREQ_TYPE_PIO, BSZ8, FX_PIO_BASE, 3); /* 8-byte port... */
    post_slot(pg, IOREQ_TYPE_PIO, BSZ8, FX_PIO_BASE, 0); /* ...write */
    post_slot(pg, IOREQ_TYPE_PIO, BSZ1, FX_PIO_BASE + 5, 0x42);
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, on_entry, s), ==, 4);
    g_assert_cmpuint(pg->read_pointer, ==, 5);
    g_assert_cmpint(g_array_index(s->sts, ioreq_status, 0), ==, IOREQ_BAD_TYPE);
    g_assert_cmpint(g_array_index(s->sts, ioreq_status, 1), ==, IOREQ_BAD_TYPE);
    g_assert_cmpint(g_array_index(s->sts, ioreq_status, 2), ==, IOREQ_BAD_SIZE);
    /* Only the good entry after them reached the device. */
    g_assert_cmpuint(fx_count(f), ==, 1);
    fx_check(&f->pio, 0, true, 5, 1, 0x42);
    seen_free(s);
    g_free(pg);
}

static void test_corrupt_pointers(fx *f, gconstpointer data)
{
    buffered_iopage_t *pg = page_at(100);

    pg->write_pointer = 100 + IOREQ_BUFFER_SLOT_NUM + 90; /* impossible */
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, NULL, NULL), ==, 0);
    g_assert_cmpuint(pg->read_pointer, ==, pg->write_pointer);
    g_assert_cmpuint(fx_count(f), ==, 0);
    /* Behind (write < read) is equally impossible: resync, no loop. */
    pg->write_pointer = pg->read_pointer - 1;
    g_assert_cmpuint(ioreq_bufring_drain(pg, &f->env, 100, NULL, NULL), ==, 0);
    g_assert_cmpuint(pg->read_pointer, ==, pg->write_pointer);
    g_assert_cmpuint(fx_count(f), ==, 0);
    g_free(pg);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    FX_TEST("/ioreq/bufring/small-entries", test_small_entries);
    FX_TEST("/ioreq/bufring/qword", test_qword);
    FX_TEST("/ioreq/bufring/timeoffset-qword", test_timeoffset_qword);
    FX_TEST("/ioreq/bufring/wrap", test_wrap);
    FX_TEST("/ioreq/bufring/budget", test_budget);
    FX_TEST("/ioreq/bufring/half-qword", test_half_qword);
    FX_TEST("/ioreq/bufring/malformed-entries", test_malformed_entries);
    FX_TEST("/ioreq/bufring/corrupt-pointers", test_corrupt_pointers);
    return g_test_run();
}
