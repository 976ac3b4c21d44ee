/* SPDX-License-Identifier: MIT */
/* Shared by the backend tests: see blk-test.h. */
#include <sys/uio.h>

#include "blk-test.h"

void bt_done_cb(void *opaque, int ret)
{
    bt_done *d = opaque;

    d->calls++;
    d->ret = ret;
}

void bt_wait(hv_loop *loop, bt_done *d, int want, int ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    while (d->calls < want && g_get_monotonic_time() < end) {
        hv_loop_run_once(loop, 10);
    }
}

uint8_t bt_pattern(size_t i)
{
    return (uint8_t)(i * 13 + 5 + (i >> 9));
}

void bt_assert_pattern(const uint8_t *buf, uint64_t off, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != bt_pattern(off + i)) {
            g_error("byte %zu: %#x, want %#x", (size_t)off + i, buf[i],
                    bt_pattern(off + i));
        }
    }
}

hv_blk *bt_open(hv_loop *loop, const char *target, unsigned reconnect_s,
                unsigned flags, const char *engine)
{
    hv_blk_opts o = { .reconnect_s = reconnect_s };
    GError *err = NULL;
    hv_blk *b = hv_blk_open_opts(loop, target, &o, flags, &err);

    g_assert_no_error(err);
    g_assert_cmpstr(hv_blk_engine(b), ==, engine);
    return b;
}

/* Submit with @submit, then wait for the one completion. */
static int bt_finish(hv_loop *loop, bt_done *d, int submitted)
{
    g_assert_cmpint(submitted, ==, 0);
    g_assert_cmpint(d->calls, ==, 0);   /* never inside the submit */
    bt_wait(loop, d, 1, BT_WAIT_MS);
    g_assert_cmpint(d->calls, ==, 1);
    return d->ret;
}

int bt_io_seg(hv_loop *loop, hv_blk *b, bool write, uint64_t off,
              uint8_t *buf, size_t len, int nseg, size_t seg)
{
    struct iovec iov[4];
    bt_done d = { 0 };

    g_assert_cmpint(nseg, >=, 1);
    g_assert_cmpint(nseg, <=, 4);
    if (!seg) {
        seg = len / (size_t)nseg;
    }
    for (int i = 0; i < nseg; i++) {
        iov[i].iov_base = buf + (size_t)i * seg;
        iov[i].iov_len = i == nseg - 1 ? len - (size_t)i * seg : seg;
    }
    return bt_finish(loop, &d, write ?
                     hv_blk_writev(b, off, iov, nseg, bt_done_cb, &d) :
                     hv_blk_readv(b, off, iov, nseg, bt_done_cb, &d));
}

int bt_io(hv_loop *loop, hv_blk *b, bool write, uint64_t off, uint8_t *buf,
          size_t len, int nseg)
{
    return bt_io_seg(loop, b, write, off, buf, len, nseg, 0);
}

int bt_flush(hv_loop *loop, hv_blk *b)
{
    bt_done d = { 0 };

    return bt_finish(loop, &d, hv_blk_flush(b, bt_done_cb, &d));
}

int bt_discard(hv_loop *loop, hv_blk *b, uint64_t off, uint64_t len)
{
    bt_done d = { 0 };

    return bt_finish(loop, &d, hv_blk_discard(b, off, len, bt_done_cb, &d));
}
