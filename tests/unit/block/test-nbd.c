/* SPDX-License-Identifier: MIT */
/*
 * NBD engine against a real server on a Unix socket (qemu-nbd, from
 * qemu-utils, installed by scripts/install-deps): reads and writes through
 * one and several segments, flush, trim, reads past the end; the server
 * killed with SIGKILL and restarted under requests (they wait and then
 * complete with the right data); acknowledged writes lost with the server
 * (the next flush fails); the reconnect deadline (EIO, then recovery);
 * refused connections; and a qcow2 overlay served by a qemu-nbd child.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"
#include "blk-test.h"

#define IMG_SIZE (1u << 20)

typedef struct fixture {
    hv_loop *loop;
    char *dir;
    char *img;
    char *sock;
    char *uri;
    GPid server;
} fixture;

static void server_spawn(fixture *f, const char *cmd);

static void server_start(fixture *f, const char *extra)
{
    g_autofree char *cmd = g_strdup_printf(
        "qemu-nbd --persistent --format=raw --cache=writeback %s "
        "--socket=%s %s", extra ? extra : "", f->sock, f->img);

    server_spawn(f, cmd);
}

/* nbdkit's delay filter holds every read @ms on the server: commands are
 * certainly on the wire when the server is killed. */
static void server_start_slow(fixture *f, unsigned ms)
{
    g_autofree char *cmd = g_strdup_printf(
        "nbdkit --foreground --unix=%s --filter=delay file file=%s "
        "rdelay=%ums", f->sock, f->img, ms);

    server_spawn(f, cmd);
}

static bool server_listening(fixture *f)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    g_strlcpy(sa.sun_path, f->sock, sizeof(sa.sun_path));
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static void server_spawn(fixture *f, const char *cmd)
{
    g_auto(GStrv) argv = NULL;
    GError *err = NULL;

    unlink(f->sock);
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &err));
    if (!g_spawn_async(NULL, argv, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                       NULL, NULL, &f->server, &err)) {
        g_error("cannot start %s (scripts/install-deps installs "
                "qemu-utils and nbdkit): %s", argv[0], err->message);
    }
    /* Until it accepts: the socket file exists from bind(), but a
     * connect before listen() is refused (seen on a loaded host). */
    for (int i = 0; i < 500 && !server_listening(f); i++) {
        g_usleep(10000);
    }
    g_assert_true(server_listening(f));
}

static void server_kill(fixture *f)
{
    int st;

    if (f->server > 0) {
        kill(f->server, SIGKILL);
        waitpid(f->server, &st, 0);
        f->server = 0;
    }
}

static void setup(fixture *f, gconstpointer data)
{
    g_autofree uint8_t *buf = g_malloc(IMG_SIZE);
    GError *err = NULL;

    f->loop = hv_loop_new();
    f->dir = g_dir_make_tmp("hvmemu-nbd-XXXXXX", &err);
    g_assert_no_error(err);
    f->img = g_build_filename(f->dir, "disk.img", NULL);
    f->sock = g_build_filename(f->dir, "nbd.sock", NULL);
    f->uri = g_strdup_printf("nbd+unix:///?socket=%s", f->sock);
    for (size_t i = 0; i < IMG_SIZE; i++) {
        buf[i] = bt_pattern(i);
    }
    g_assert_true(g_file_set_contents(f->img, (char *)buf, IMG_SIZE, &err));
    if (!data) {
        server_start(f, NULL);
    }
}

static void teardown(fixture *f, gconstpointer data)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

    server_kill(f);
    hv_loop_free(f->loop);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(f->uri);
    g_free(f->sock);
    g_free(f->img);
    g_free(f->dir);
}

static void test_rw(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 0, 0, "nbd");
    g_autofree uint8_t *buf = g_malloc(65536);
    g_autofree char *file = NULL;
    gsize flen;
    bt_done d = { 0 };

    g_assert_cmpuint(hv_blk_size(b), ==, IMG_SIZE);
    g_assert_cmpint(bt_io(f->loop, b, false, 4096, buf, 65536, 1), ==, 0);
    bt_assert_pattern(buf, 4096, 65536);
    memset(buf, 0, 65536);
    g_assert_cmpint(bt_io(f->loop, b, false, 8192, buf, 65536, 3), ==, 0);
    bt_assert_pattern(buf, 8192, 65536);

    /* Written in three segments, read back, and present in the file. */
    memset(buf, 0xa5, 65536);
    g_assert_cmpint(bt_io(f->loop, b, true, 131072, buf, 65536, 3), ==, 0);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    memset(buf, 0, 65536);
    g_assert_cmpint(bt_io(f->loop, b, false, 131072, buf, 65536, 2), ==, 0);
    for (size_t i = 0; i < 65536; i++) {
        g_assert_cmpuint(buf[i], ==, 0xa5);
    }
    g_assert_true(g_file_get_contents(f->img, &file, &flen, NULL));
    g_assert_cmpuint((guint8)file[131072], ==, 0xa5);
    g_assert_cmpuint((guint8)file[131072 + 65535], ==, 0xa5);
    g_assert_cmpuint((guint8)file[131072 + 65536], ==,
                     bt_pattern(131072 + 65536));

    /* The last 512 bytes and 512 past the end: the rest reads as zeros. */
    memset(buf, 0xff, 1024);
    g_assert_cmpint(bt_io(f->loop, b, false, IMG_SIZE - 512, buf, 1024, 2), ==, 0);
    bt_assert_pattern(buf, IMG_SIZE - 512, 512);
    for (size_t i = 512; i < 1024; i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }
    /* Writing past the end is refused, not truncated. */
    g_assert_cmpint(bt_io(f->loop, b, true, IMG_SIZE - 512, buf, 1024, 1), ==,
                    -ENOSPC);
    g_assert_cmpint(hv_blk_discard(b, 0, 65536, bt_done_cb, &d), ==, 0);
    bt_wait(f->loop, &d, 1, 10000);
    g_assert_cmpint(d.calls, ==, 1);
    g_assert_cmpint(d.ret, ==, 0);
    hv_blk_close(b);
}

/* SIGKILL the server with reads outstanding: they wait (no completion,
 * no error) while it is down and complete with the right data once it is
 * back; flushed writes survive. */
static void test_reconnect(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 30, 0, "nbd");
    uint8_t *bufs[8];
    bt_done d = { 0 };

    memset(bufs, 0, sizeof(bufs));
    server_kill(f);
    for (int i = 0; i < 8; i++) {
        struct iovec iov;

        bufs[i] = g_malloc0(32768);
        iov = (struct iovec){ bufs[i], 32768 };
        g_assert_cmpint(hv_blk_readv(b, (uint64_t)i * 65536, &iov, 1, bt_done_cb,
                                     &d), ==, 0);
    }
    bt_wait(f->loop, &d, 1, 500);
    g_assert_cmpint(d.calls, ==, 0);    /* waiting, not failed */
    server_start(f, NULL);
    bt_wait(f->loop, &d, 8, 15000);
    g_assert_cmpint(d.calls, ==, 8);
    g_assert_cmpint(d.ret, ==, 0);
    for (int i = 0; i < 8; i++) {
        bt_assert_pattern(bufs[i], (uint64_t)i * 65536, 32768);
        g_free(bufs[i]);
    }
    hv_blk_close(b);
}

/* The server dies with commands on the wire (sent, held by nbdkit's delay
 * filter, not answered): they are sent again on the next connection (a
 * plain qemu-nbd), none is lost or failed. */
static void test_kill_in_flight(fixture *f, gconstpointer data)
{
    enum { N = 16, LEN = 65536 };
    hv_blk *b;
    uint8_t *bufs[N];
    bt_done d = { 0 };

    server_kill(f);
    server_start_slow(f, 2000);
    b = bt_open(f->loop, f->uri, 30, 0, "nbd");
    for (int i = 0; i < N; i++) {
        struct iovec iov;

        bufs[i] = g_malloc0(LEN);
        iov = (struct iovec){ bufs[i], LEN };
        g_assert_cmpint(hv_blk_readv(b, (uint64_t)i * LEN, &iov, 1, bt_done_cb,
                                     &d), ==, 0);
    }
    bt_wait(f->loop, &d, N, 500);
    g_assert_cmpint(d.calls, ==, 0);    /* held by the server */
    server_kill(f);
    server_start(f, NULL);
    bt_wait(f->loop, &d, N, 15000);
    g_assert_cmpint(d.calls, ==, N);
    g_assert_cmpint(d.ret, ==, 0);
    for (int i = 0; i < N; i++) {
        bt_assert_pattern(bufs[i], (uint64_t)i * LEN, LEN);
        g_free(bufs[i]);
    }
    hv_blk_close(b);
}

/* Writes the server acknowledged but had not flushed when it died may be
 * lost: the next flush says so (EIO) once, and later ones succeed. */
static void test_lost_writes(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 30, 0, "nbd");
    uint8_t buf[4096];

    memset(buf, 0x3c, sizeof(buf));
    g_assert_cmpint(bt_io(f->loop, b, true, 0, buf, sizeof(buf), 1), ==, 0);
    server_kill(f);
    server_start(f, NULL);
    g_assert_cmpint(bt_flush(f->loop, b), ==, -EIO);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    /* A write flushed before the server dies is not reported. */
    g_assert_cmpint(bt_io(f->loop, b, true, 0, buf, sizeof(buf), 1), ==, 0);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    server_kill(f);
    server_start(f, NULL);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    hv_blk_close(b);
}

/* No server for reconnect_s: waiting requests and new ones fail with EIO
 * (a guest sees an ATA error, never a hang); once the server is back, I/O
 * works again. */
static void test_deadline(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 1, 0, "nbd");
    uint8_t buf[4096];
    gint64 t0;

    server_kill(f);
    t0 = g_get_monotonic_time();
    g_assert_cmpint(bt_io(f->loop, b, false, 0, buf, sizeof(buf), 1), ==, -EIO);
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, G_USEC_PER_SEC);
    g_assert_cmpint(bt_io(f->loop, b, false, 0, buf, sizeof(buf), 1), ==, -EIO);
    server_start(f, NULL);
    for (int i = 0; i < 100; i++) {
        if (bt_io(f->loop, b, false, 0, buf, sizeof(buf), 1) == 0) {
            break;
        }
        g_usleep(100000);
    }
    g_assert_cmpint(bt_io(f->loop, b, false, 0, buf, sizeof(buf), 1), ==, 0);
    bt_assert_pattern(buf, 0, sizeof(buf));
    hv_blk_close(b);
}

static void refuse(fixture *f, const char *target, const char *format,
                   unsigned flags, const char *needle)
{
    hv_blk_opts o = { .format = format };
    GError *err = NULL;
    hv_blk *b = hv_blk_open_opts(f->loop, target, &o, flags, &err);

    g_assert_null(b);
    g_assert_nonnull(err);
    if (!strstr(err->message, needle)) {
        g_error("%s: '%s' lacks '%s'", target, err->message, needle);
    }
    g_error_free(err);
}

static void test_refused(fixture *f, gconstpointer data)
{
    g_autofree char *none = g_strdup_printf("nbd+unix:///?socket=%s/none",
                                            f->dir);

    refuse(f, none, NULL, 0, "NBD connect");
    refuse(f, f->uri, NULL, HV_BLK_DIRECT, "direct=on");
    refuse(f, f->uri, "qcow2", 0, "over NBD");
    server_kill(f);
    server_start(f, "--read-only");
    refuse(f, f->uri, NULL, 0, "access=ro");
}

static void qemu_img(const char *args)
{
    g_autofree char *cmd = g_strdup_printf("qemu-img %s >/dev/null", args);

    g_assert_cmpint(system(cmd), ==, 0);
}

/* A copy-on-write overlay: hvmemu starts qemu-nbd on the qcow2, reads the
 * backing file through it, writes land in the overlay only, the data is
 * there after a reopen, and a second writer is refused by qemu-nbd's
 * image lock. */
static void test_qcow2_overlay(fixture *f, gconstpointer data)
{
    g_autofree char *ov = g_build_filename(f->dir, "overlay.qcow2", NULL);
    g_autofree char *args = g_strdup_printf(
        "create -q -f qcow2 -b %s -F raw %s", f->img, ov);
    g_autofree char *file = NULL;
    g_autofree uint8_t *buf = g_malloc(65536);
    hv_blk_opts o = { .format = "qcow2" };
    GError *err = NULL;
    gsize flen;
    hv_blk *b;

    qemu_img(args);
    b = hv_blk_open_opts(f->loop, ov, &o, 0, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(hv_blk_engine(b), ==, "nbd");
    g_assert_cmpuint(hv_blk_size(b), ==, IMG_SIZE);
    g_assert_cmpint(bt_io(f->loop, b, false, 65536, buf, 65536, 2), ==, 0);
    bt_assert_pattern(buf, 65536, 65536);
    memset(buf, 0x5a, 65536);
    g_assert_cmpint(bt_io(f->loop, b, true, 65536, buf, 65536, 2), ==, 0);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    refuse(f, ov, "qcow2", 0, "qemu-nbd");
    /* The twin guard recognises the overlay file behind the export. */
    g_assert_true(hv_blk_same_storage(b, ov, 0, NULL));
    hv_blk_close(b);

    g_assert_true(g_file_get_contents(f->img, &file, &flen, NULL));
    g_assert_cmpuint((guint8)file[65536], ==, bt_pattern(65536));
    b = hv_blk_open_opts(f->loop, ov, &o, HV_BLK_RDONLY, &err);
    g_assert_no_error(err);
    memset(buf, 0, 65536);
    g_assert_cmpint(bt_io(f->loop, b, false, 65536, buf, 65536, 1), ==, 0);
    g_assert_cmpuint(buf[0], ==, 0x5a);
    g_assert_cmpuint(buf[65535], ==, 0x5a);
    hv_blk_close(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Connection losses are warned about by design; criticals stay fatal. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add("/blk/nbd/rw", fixture, NULL, setup, test_rw, teardown);
    g_test_add("/blk/nbd/reconnect", fixture, NULL, setup, test_reconnect,
               teardown);
    g_test_add("/blk/nbd/kill-in-flight", fixture, NULL, setup,
               test_kill_in_flight, teardown);
    g_test_add("/blk/nbd/lost-writes", fixture, NULL, setup,
               test_lost_writes, teardown);
    g_test_add("/blk/nbd/deadline", fixture, NULL, setup, test_deadline,
               teardown);
    g_test_add("/blk/nbd/refused", fixture, NULL, setup, test_refused,
               teardown);
    g_test_add("/blk/nbd/qcow2-overlay", fixture, GINT_TO_POINTER(1), setup,
               test_qcow2_overlay, teardown);
    return g_test_run();
}
