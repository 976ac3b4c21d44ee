/* SPDX-License-Identifier: MIT */
/*
 * Block backend on both engines (io_uring, thread pool): asynchronous
 * completion on the loop, reads past EOF, writes, flush, discard,
 * read-only, fault injection, close with requests in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"
#include "hw/block/blk_fault.h"

#define FILE_SIZE (8 * 512 + 100)   /* not a multiple of 512 */

typedef struct fixture {
    hv_loop *loop;
    char *path;
    unsigned flags;
} fixture;

typedef struct done {
    int calls;
    int ret;
} done;

static void done_cb(void *opaque, int ret)
{
    done *d = opaque;

    d->calls++;
    d->ret = ret;
}

static void wait_done(fixture *f, done *d, int want_calls)
{
    for (int i = 0; i < 500 && d->calls < want_calls; i++) {
        hv_loop_run_once(f->loop, 10);
    }
    g_assert_cmpint(d->calls, ==, want_calls);
}

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7 + 3);
}

static void setup(fixture *f, gconstpointer data)
{
    int fd;
    uint8_t buf[FILE_SIZE];

    f->flags = GPOINTER_TO_UINT(data);
    f->loop = hv_loop_new();
    fd = g_file_open_tmp("hvmemu-blk-XXXXXX", &f->path, NULL);
    g_assert_cmpint(fd, >=, 0);
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = pattern(i);
    }
    g_assert_cmpint(write(fd, buf, sizeof(buf)), ==, sizeof(buf));
    close(fd);
}

static void teardown(fixture *f, gconstpointer data)
{
    unlink(f->path);
    g_free(f->path);
    hv_loop_free(f->loop);
}

static hv_blk *open_blk(fixture *f, unsigned extra)
{
    GError *err = NULL;
    hv_blk *b = hv_blk_open(f->loop, f->path, f->flags | extra, &err);

    g_assert_no_error(err);
    g_assert_nonnull(b);
    if (f->flags & HV_BLK_NO_URING) {
        g_assert_cmpstr(hv_blk_engine(b), ==, "threads");
    }
    return b;
}

static void test_read_eof(fixture *f, gconstpointer data)
{
    hv_blk *b = open_blk(f, 0);
    uint8_t buf[10 * 512];
    struct iovec iov[2] = { { buf, 1000 }, { buf + 1000, sizeof(buf) - 1000 } };
    done d = { 0 };

    g_assert_cmpuint(hv_blk_size(b), ==, FILE_SIZE);
    memset(buf, 0xee, sizeof(buf));
    g_assert_cmpint(hv_blk_readv(b, 0, iov, 2, done_cb, &d), ==, 0);
    g_assert_cmpint(d.calls, ==, 0);    /* never inside submit */
    wait_done(f, &d, 1);
    g_assert_cmpint(d.ret, ==, 0);
    for (size_t i = 0; i < sizeof(buf); i++) {
        g_assert_cmpuint(buf[i], ==, i < FILE_SIZE ? pattern(i) : 0);
    }
    hv_blk_close(b);
}

static void test_write_flush(fixture *f, gconstpointer data)
{
    hv_blk *b = open_blk(f, 0);
    uint8_t out[2048], in[2048];
    struct iovec wi = { out, sizeof(out) }, ri = { in, sizeof(in) };
    done d = { 0 };

    memset(out, 0x5a, sizeof(out));
    g_assert_cmpint(hv_blk_writev(b, 512, &wi, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 1);
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpint(hv_blk_flush(b, done_cb, &d), ==, 0);
    wait_done(f, &d, 2);
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpint(hv_blk_readv(b, 512, &ri, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 3);
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    hv_blk_close(b);
}

static void test_discard(fixture *f, gconstpointer data)
{
    hv_blk *b = open_blk(f, 0);
    uint8_t in[4096], zero[4096] = { 0 };
    struct iovec ri = { in, sizeof(in) };
    done d = { 0 };

    g_assert_cmpint(hv_blk_discard(b, 0, 4096, done_cb, &d), ==, 0);
    wait_done(f, &d, 1);
    if (d.ret == -EOPNOTSUPP) {
        hv_blk_close(b);
        g_test_skip("file system cannot punch holes");
        return;
    }
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpint(hv_blk_readv(b, 0, &ri, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 2);
    g_assert_cmpmem(in, sizeof(in), zero, sizeof(zero));
    g_assert_cmpuint(hv_blk_size(b), ==, FILE_SIZE);
    hv_blk_close(b);
}

static void test_readonly(fixture *f, gconstpointer data)
{
    hv_blk *b = open_blk(f, HV_BLK_RDONLY);
    uint8_t buf[512] = { 0 };
    struct iovec iov = { buf, sizeof(buf) };
    done d = { 0 };

    g_assert_true(hv_blk_readonly(b));
    g_assert_cmpint(hv_blk_writev(b, 0, &iov, 1, done_cb, &d), ==, 0);
    g_assert_cmpint(d.calls, ==, 0);
    wait_done(f, &d, 1);
    g_assert_cmpint(d.ret, ==, -EROFS);
    g_assert_cmpint(hv_blk_readv(b, 0, &iov, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 2);
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpuint(buf[1], ==, pattern(1));
    hv_blk_close(b);
}

static void test_fault(fixture *f, gconstpointer data)
{
    hv_blk *b = open_blk(f, 0);
    blk_fault fault = { .rw_off = 2 * 512, .rw_len = 512, .rw_errno = EIO,
                        .flush_errno = EIO };
    uint8_t buf[1024];
    struct iovec iov = { buf, sizeof(buf) };
    done d = { 0 };

    hv_blk_set_fault(b, &fault);
    g_assert_cmpint(hv_blk_readv(b, 0, &iov, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 1);
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpint(hv_blk_readv(b, 1500, &iov, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 2);
    g_assert_cmpint(d.ret, ==, -EIO);
    g_assert_cmpint(hv_blk_writev(b, 1024, &iov, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 3);
    g_assert_cmpint(d.ret, ==, -EIO);
    g_assert_cmpint(hv_blk_flush(b, done_cb, &d), ==, 0);
    wait_done(f, &d, 4);
    g_assert_cmpint(d.ret, ==, -EIO);
    hv_blk_close(b);
}

static void test_close_inflight(fixture *f, gconstpointer data)
{
    hv_blk *b = open_blk(f, 0);
    static uint8_t bufs[16][512];
    done d = { 0 };

    for (unsigned i = 0; i < 16; i++) {
        struct iovec iov = { bufs[i], 512 };

        g_assert_cmpint(hv_blk_readv(b, (i % 8) * 512, &iov, 1, done_cb, &d),
                        ==, 0);
    }
    g_assert_cmpint(hv_blk_flush(b, done_cb, &d), ==, 0);
    hv_blk_close(b);    /* waits for all, runs every callback */
    g_assert_cmpint(d.calls, ==, 17);
    g_assert_cmpuint(bufs[9][5], ==, pattern(512 + 5));
}

static void test_direct(fixture *f, gconstpointer data)
{
    GError *err = NULL;
    hv_blk *b = hv_blk_open(f->loop, f->path, f->flags | HV_BLK_DIRECT,
                            &err);
    uint8_t *buf;
    struct iovec iov;
    done d = { 0 };

    if (!b) {
        g_test_skip("no O_DIRECT on this file system");
        g_clear_error(&err);
        return;
    }
    buf = g_aligned_alloc0(1, 8192, 4096);
    iov = (struct iovec){ buf, 4096 };
    memset(buf, 0x3c, 4096);
    g_assert_cmpint(hv_blk_writev(b, 4096, &iov, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 1);
    g_assert_cmpint(d.ret, ==, 0);
    /* Both blocks back, the first from the original data. */
    iov = (struct iovec){ buf, 8192 };
    g_assert_cmpint(hv_blk_readv(b, 0, &iov, 1, done_cb, &d), ==, 0);
    wait_done(f, &d, 2);
    g_assert_cmpint(d.ret, ==, 0);
    g_assert_cmpuint(buf[0], ==, pattern(0));
    g_assert_cmpuint(buf[4096], ==, 0x3c);
    g_assert_cmpuint(buf[8191], ==, 0x3c);
    g_aligned_free(buf);
    hv_blk_close(b);
}

static void test_open_errors(fixture *f, gconstpointer data)
{
    GError *err = NULL;

    g_assert_null(hv_blk_open(f->loop, "/nonexistent/hvmemu.img", 0, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_IO);
    g_clear_error(&err);
    g_assert_null(hv_blk_open(f->loop, "/dev/null", 0, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_clear_error(&err);
}

static void add(const char *name, unsigned flags,
                void (*fn)(fixture *, gconstpointer))
{
    const char *eng = (flags & HV_BLK_NO_URING) ? "threads" : "uring";
    g_autofree char *path = g_strdup_printf("/blk/%s/%s", eng, name);

    g_test_add(path, fixture, GUINT_TO_POINTER(flags), setup, fn, teardown);
}

int main(int argc, char **argv)
{
    static const unsigned engines[] = { 0, HV_BLK_NO_URING };

    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(engines); i++) {
        add("read-eof", engines[i], test_read_eof);
        add("write-flush", engines[i], test_write_flush);
        add("discard", engines[i], test_discard);
        add("readonly", engines[i], test_readonly);
        add("fault", engines[i], test_fault);
        add("close-inflight", engines[i], test_close_inflight);
        add("direct", engines[i], test_direct);
        add("open-errors", engines[i], test_open_errors);
    }
    return g_test_run();
}
