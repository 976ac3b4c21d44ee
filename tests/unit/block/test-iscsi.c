/* SPDX-License-Identifier: MIT */
/*
 * iSCSI engine against a real target: tgtd (package tgt, installed by
 * scripts/install-deps), started here on its own control instance (-C)
 * and a free TCP port on 127.0.0.1, so a system tgt is left alone. Reads
 * and writes through one and several segments and across the 1 MiB task
 * split, checked against the backing file; flush; UNMAP; reads past the
 * end (zeros) and writes past it (ENOSPC); unaligned requests (EINVAL);
 * CHAP (right password, password from LIBISCSI_CHAP_PASSWORD, wrong
 * password refused); tgtd killed with SIGKILL and restarted under reads
 * (they wait, then complete with the right data); acknowledged writes
 * lost with the target (the next flush fails once); the reconnect
 * deadline (EIO, then recovery); refusals at open.
 *
 * tgtd needs root (its control socket lives in /var/run/tgtd): when it
 * cannot run, the test fails with tgtd's own words, it does not skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"
#include "blk-test.h"

#define IMG_SIZE (4u << 20)
#define CHAP_SIZE (1u << 20)
#define IQN "iqn.2024-01.org.hvmemu.test"
#define CHAP_USER "hvuser"
#define CHAP_PASS "hv-secret-42"

typedef struct fixture {
    hv_loop *loop;
    char *dir;
    char *img;          /* LUN 1 of target 1 (thin provisioned) */
    char *chap_img;     /* LUN 1 of target 2 (CHAP) */
    char *big_img;      /* LUN 1 of target 3 (4096-byte blocks) */
    char *ro_img;       /* LUN 1 of target 4 (read-only) */
    char *log;
    int port;
    int instance;       /* tgtd -C */
    GPid server;
    char *uri;
} fixture;

static int free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int s = socket(AF_INET, SOCK_STREAM, 0);

    g_assert_cmpint(s, >=, 0);
    g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(getsockname(s, (struct sockaddr *)&a, &len), ==, 0);
    close(s);
    return ntohs(a.sin_port);
}

static bool port_open(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;

    close(s);
    return ok;
}

static char *server_log(fixture *f)
{
    char *text = NULL;

    if (!g_file_get_contents(f->log, &text, NULL, NULL)) {
        return g_strdup("(no log)");
    }
    return text;
}

/* tgtadm on our instance; 0 or its exit status, *out its output. */
static int tgtadm_try(fixture *f, const char *args, char **out)
{
    g_autofree char *cmd = g_strdup_printf("tgtadm -C %d --lld iscsi %s",
                                           f->instance, args);
    g_autofree char *o = NULL, *e = NULL;
    GError *err = NULL;
    int st = 0;

    if (!g_spawn_command_line_sync(cmd, &o, &e, &st, &err)) {
        g_error("cannot run tgtadm (scripts/install-deps installs tgt): %s",
                err->message);
    }
    if (out) {
        *out = g_strconcat(o ? o : "", e ? e : "", NULL);
    }
    return g_spawn_check_wait_status(st, NULL) ? 0 : (st ? st : 1);
}

static void tgtadm(fixture *f, const char *fmt, ...)
{
    g_autofree char *args = NULL, *out = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (tgtadm_try(f, args, &out) != 0) {
        g_autofree char *log = server_log(f);

        g_error("tgtadm %s: %s\ntgtd log:\n%s", args, out, log);
    }
}

static void add_target(fixture *f, int tid, const char *name,
                       const char *img, const char *lu_extra)
{
    tgtadm(f, "--mode target --op new --tid %d --targetname %s:%s", tid, IQN,
           name);
    tgtadm(f, "--mode logicalunit --op new --tid %d --lun 1 "
           "--backing-store %s %s", tid, img, lu_extra);
    tgtadm(f, "--mode target --op bind --tid %d --initiator-address ALL",
           tid);
}

/* The targets, as a restarted tgtd needs them again. */
static void configure(fixture *f)
{
    add_target(f, 1, "disk", f->img, "");
    tgtadm(f, "--mode logicalunit --op update --tid 1 --lun 1 "
           "--params thin_provisioning=1");
    add_target(f, 2, "chap", f->chap_img, "");
    tgtadm(f, "--mode account --op new --user %s --password %s", CHAP_USER,
           CHAP_PASS);
    tgtadm(f, "--mode account --op bind --tid 2 --user %s", CHAP_USER);
    add_target(f, 3, "big", f->big_img, "--blocksize=4096");
    add_target(f, 4, "ro", f->ro_img, "");
    tgtadm(f, "--mode logicalunit --op update --tid 4 --lun 1 "
           "--params readonly=1");
}

static void server_start(fixture *f)
{
    g_autofree char *cmd = g_strdup_printf(
        "exec tgtd -f -C %d --iscsi portal=127.0.0.1:%d >>'%s' 2>&1",
        f->instance, f->port, f->log);
    char *argv[] = { "sh", "-c", cmd, NULL };
    GError *err = NULL;
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    int st;

    if (!g_spawn_async(NULL, argv, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                       NULL, NULL, &f->server, &err)) {
        g_error("cannot start tgtd: %s", err->message);
    }
    while (tgtadm_try(f, "--mode target --op show", NULL) != 0 ||
           !port_open(f->port)) {
        if (waitpid(f->server, &st, WNOHANG) == f->server) {
            g_autofree char *log = server_log(f);

            f->server = 0;
            g_error("tgtd cannot run here (status %#x; it needs root, tgt "
                    "from scripts/install-deps, and /var/run/tgtd):\n%s", st,
                    log);
        }
        if (g_get_monotonic_time() > end) {
            g_autofree char *log = server_log(f);

            g_error("tgtd did not come up within 5 s:\n%s", log);
        }
        g_usleep(20000);
    }
    configure(f);
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

static void make_image(const char *path, size_t size)
{
    g_autofree uint8_t *buf = g_malloc(size);
    GError *err = NULL;

    for (size_t i = 0; i < size; i++) {
        buf[i] = bt_pattern(i);
    }
    g_assert_true(g_file_set_contents(path, (char *)buf, (gssize)size, &err));
    g_assert_no_error(err);
}

static void setup(fixture *f, gconstpointer data)
{
    GError *err = NULL;

    f->loop = hv_loop_new();
    f->dir = g_dir_make_tmp("hvmemu-iscsi-XXXXXX", &err);
    g_assert_no_error(err);
    f->img = g_build_filename(f->dir, "disk.img", NULL);
    f->chap_img = g_build_filename(f->dir, "chap.img", NULL);
    f->big_img = g_build_filename(f->dir, "big.img", NULL);
    f->ro_img = g_build_filename(f->dir, "ro.img", NULL);
    f->log = g_build_filename(f->dir, "tgtd.log", NULL);
    make_image(f->img, IMG_SIZE);
    make_image(f->chap_img, CHAP_SIZE);
    make_image(f->big_img, CHAP_SIZE);
    make_image(f->ro_img, CHAP_SIZE);
    f->port = free_port();
    f->instance = 1000 + (int)(getpid() % 30000);   /* tgtd: < 32768 */
    f->uri = g_strdup_printf("iscsi://127.0.0.1:%d/%s:disk/1", f->port, IQN);
    server_start(f);
}

static void teardown(fixture *f, gconstpointer data)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
    g_autofree char *sock = g_strdup_printf("/var/run/tgtd/socket.%d",
                                            f->instance);
    g_autofree char *lock = g_strdup_printf("%s.lock", sock);

    server_kill(f);
    unlink(sock);
    unlink(lock);
    hv_loop_free(f->loop);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(f->uri);
    g_free(f->log);
    g_free(f->ro_img);
    g_free(f->big_img);
    g_free(f->chap_img);
    g_free(f->img);
    g_free(f->dir);
}

static void test_rw(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 0, 0, "iscsi");
    size_t big = 3u << 20;
    g_autofree uint8_t *buf = g_malloc(big);
    g_autofree char *file = NULL;
    gsize flen;

    g_assert_cmpuint(hv_blk_size(b), ==, IMG_SIZE);
    g_assert_cmpint(bt_io(f->loop, b, false, 4096, buf, 65536, 1), ==, 0);
    bt_assert_pattern(buf, 4096, 65536);
    memset(buf, 0, 65536);
    g_assert_cmpint(bt_io(f->loop, b, false, 8192, buf, 65536, 3), ==, 0);
    bt_assert_pattern(buf, 8192, 65536);
    /* 3 MiB in segments that do not line up with the 1 MiB tasks. */
    memset(buf, 0, big);
    g_assert_cmpint(bt_io_seg(f->loop, b, false, 512, buf, big, 3, 1000 * 512),
                    ==, 0);
    bt_assert_pattern(buf, 512, big);

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
    g_assert_cmpuint(flen, ==, IMG_SIZE);
    g_assert_cmpuint((guint8)file[131072], ==, 0xa5);
    g_assert_cmpuint((guint8)file[131072 + 65535], ==, 0xa5);
    g_assert_cmpuint((guint8)file[131072 + 65536], ==,
                     bt_pattern(131072 + 65536));
    g_clear_pointer(&file, g_free);

    /* A 2.5 MiB write (three tasks) in two segments. */
    for (size_t i = 0; i < big; i++) {
        buf[i] = (uint8_t)(i * 7 + 1);
    }
    g_assert_cmpint(bt_io_seg(f->loop, b, true, 1u << 20, buf, 5u << 19, 2,
                              777 * 512), ==, 0);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    g_assert_true(g_file_get_contents(f->img, &file, &flen, NULL));
    for (size_t i = 0; i < (5u << 19); i++) {
        if ((guint8)file[(1u << 20) + i] != (uint8_t)(i * 7 + 1)) {
            g_error("file byte %zu not written", (size_t)(1u << 20) + i);
        }
    }
    g_clear_pointer(&file, g_free);

    /* The last 512 bytes and 512 past the end: the rest reads as zeros;
     * wholly past the end: zeros too, as for files. */
    memset(buf, 0xff, 1024);
    g_assert_cmpint(bt_io(f->loop, b, false, IMG_SIZE - 512, buf, 1024, 2), ==, 0);
    bt_assert_pattern(buf, IMG_SIZE - 512, 512);
    for (size_t i = 512; i < 1024; i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }
    memset(buf, 0xff, 1024);
    g_assert_cmpint(bt_io(f->loop, b, false, IMG_SIZE + 4096, buf, 1024, 1), ==, 0);
    for (size_t i = 0; i < 1024; i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }
    /* Writing past the end is refused, not truncated. */
    g_assert_cmpint(bt_io(f->loop, b, true, IMG_SIZE - 512, buf, 1024, 1), ==,
                    -ENOSPC);
    /* Not whole 512-byte blocks: refused, nothing asserted. */
    g_assert_cmpint(bt_io(f->loop, b, false, 100, buf, 512, 1), ==, -EINVAL);
    g_assert_cmpint(bt_io(f->loop, b, true, 512, buf, 700, 1), ==, -EINVAL);

    /* UNMAP (the LUN is thin provisioned, LBPRZ: reads back zeros). */
    g_assert_cmpint(bt_discard(f->loop, b, 262144, 65536), ==, 0);
    memset(buf, 0xff, 65536);
    g_assert_cmpint(bt_io(f->loop, b, false, 262144, buf, 65536, 1), ==, 0);
    for (size_t i = 0; i < 65536; i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }
    memset(buf, 0, 512);
    g_assert_cmpint(bt_io(f->loop, b, false, 262144 + 65536, buf, 512, 1), ==, 0);
    bt_assert_pattern(buf, 262144 + 65536, 512);
    g_assert_cmpint(bt_discard(f->loop, b, IMG_SIZE, 65536), ==, 0);
    hv_blk_close(b);
}

/* CHAP from the URL and from LIBISCSI_CHAP_PASSWORD; a wrong password is
 * refused at open with the target's reason. */
static void test_chap(fixture *f, gconstpointer data)
{
    g_autofree char *good = g_strdup_printf(
        "iscsi://%s%%%s@127.0.0.1:%d/%s:chap/1", CHAP_USER, CHAP_PASS,
        f->port, IQN);
    g_autofree char *bad = g_strdup_printf(
        "iscsi://%s%%wrong@127.0.0.1:%d/%s:chap/1", CHAP_USER, f->port, IQN);
    g_autofree char *none = g_strdup_printf("iscsi://127.0.0.1:%d/%s:chap/1",
                                            f->port, IQN);
    g_autofree char *user = g_strdup_printf(
        "iscsi://%s@127.0.0.1:%d/%s:chap/1", CHAP_USER, f->port, IQN);
    uint8_t buf[4096];
    hv_blk_opts o = { 0 };
    GError *err = NULL;
    hv_blk *b;

    b = bt_open(f->loop, good, 0, 0, "iscsi");
    g_assert_cmpuint(hv_blk_size(b), ==, CHAP_SIZE);
    g_assert_cmpint(bt_io(f->loop, b, false, 0, buf, sizeof(buf), 1), ==, 0);
    bt_assert_pattern(buf, 0, sizeof(buf));
    hv_blk_close(b);

    g_setenv("LIBISCSI_CHAP_PASSWORD", CHAP_PASS, TRUE);
    b = bt_open(f->loop, user, 0, 0, "iscsi");
    g_assert_cmpint(bt_io(f->loop, b, false, 8192, buf, sizeof(buf), 2), ==, 0);
    bt_assert_pattern(buf, 8192, sizeof(buf));
    hv_blk_close(b);
    g_unsetenv("LIBISCSI_CHAP_PASSWORD");

    g_assert_null(hv_blk_open_opts(f->loop, bad, &o, 0, &err));
    g_assert_nonnull(err);
    g_test_message("wrong password: %s", err->message);
    if (!strstr(err->message, "iSCSI connect") ||
        !strstr(err->message, "Authentication failure")) {
        g_error("wrong password: '%s'", err->message);
    }
    /* The password is not repeated in the message. */
    g_assert_null(strstr(err->message, "wrong"));
    g_clear_error(&err);
    g_assert_null(hv_blk_open_opts(f->loop, none, &o, 0, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "Authentication failure"));
    g_clear_error(&err);
}

/* SIGKILL the target with reads outstanding: they wait (no completion,
 * no error) while it is down and complete with the right data once it is
 * back (and the targets are configured again). */
static void test_reconnect(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 30, 0, "iscsi");
    uint8_t *bufs[8];
    bt_done d = { 0 };

    server_kill(f);
    for (int i = 0; i < 8; i++) {
        struct iovec iov[2];

        bufs[i] = g_malloc0(65536);
        iov[0] = (struct iovec){ bufs[i], 4096 };
        iov[1] = (struct iovec){ bufs[i] + 4096, 65536 - 4096 };
        g_assert_cmpint(hv_blk_readv(b, (uint64_t)i * 262144, iov, 2, bt_done_cb,
                                     &d), ==, 0);
    }
    bt_wait(f->loop, &d, 1, 500);
    g_assert_cmpint(d.calls, ==, 0);    /* waiting, not failed */
    server_start(f);
    bt_wait(f->loop, &d, 8, 15000);
    g_assert_cmpint(d.calls, ==, 8);
    g_assert_cmpint(d.ret, ==, 0);
    for (int i = 0; i < 8; i++) {
        bt_assert_pattern(bufs[i], (uint64_t)i * 262144, 65536);
        g_free(bufs[i]);
    }
    hv_blk_close(b);
}

/* Reads in flight when the target dies (not just queued): submitted
 * while it is up, the kill lands while tasks are out. */
static void test_reconnect_inflight(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 30, 0, "iscsi");
    enum { N = 16 };
    uint8_t *bufs[N];
    bt_done d = { 0 };

    for (int i = 0; i < N; i++) {
        struct iovec iov = { NULL, 1u << 20 };

        bufs[i] = g_malloc0(1u << 20);
        iov.iov_base = bufs[i];
        g_assert_cmpint(hv_blk_readv(b, (uint64_t)(i % 4) << 20, &iov, 1,
                                     bt_done_cb, &d), ==, 0);
    }
    server_kill(f);
    server_start(f);
    bt_wait(f->loop, &d, N, 15000);
    g_assert_cmpint(d.calls, ==, N);
    g_assert_cmpint(d.ret, ==, 0);
    for (int i = 0; i < N; i++) {
        bt_assert_pattern(bufs[i], (uint64_t)(i % 4) << 20, 1u << 20);
        g_free(bufs[i]);
    }
    hv_blk_close(b);
}

/* Writes the target acknowledged but had not flushed when it died may be
 * lost (its LUN has a write cache): the next flush says so once. */
static void test_lost_writes(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 30, 0, "iscsi");
    uint8_t buf[4096];

    memset(buf, 0x3c, sizeof(buf));
    g_assert_cmpint(bt_io(f->loop, b, true, 0, buf, sizeof(buf), 1), ==, 0);
    server_kill(f);
    server_start(f);
    g_assert_cmpint(bt_flush(f->loop, b), ==, -EIO);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    /* A write flushed before the target dies is not reported. */
    g_assert_cmpint(bt_io(f->loop, b, true, 0, buf, sizeof(buf), 1), ==, 0);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    server_kill(f);
    server_start(f);
    g_assert_cmpint(bt_flush(f->loop, b), ==, 0);
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(bt_io(f->loop, b, false, 0, buf, sizeof(buf), 1), ==, 0);
    g_assert_cmpuint(buf[0], ==, 0x3c);
    hv_blk_close(b);
}

/* No target for reconnect_s: waiting requests and new ones fail with EIO;
 * once it is back, I/O works again. */
static void test_deadline(fixture *f, gconstpointer data)
{
    hv_blk *b = bt_open(f->loop, f->uri, 1, 0, "iscsi");
    uint8_t buf[4096];
    gint64 t0;

    server_kill(f);
    t0 = g_get_monotonic_time();
    g_assert_cmpint(bt_io(f->loop, b, false, 0, buf, sizeof(buf), 1), ==, -EIO);
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, G_USEC_PER_SEC);
    g_assert_cmpint(bt_io(f->loop, b, false, 0, buf, sizeof(buf), 1), ==, -EIO);
    server_start(f);
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
    gint64 t0 = g_get_monotonic_time();
    hv_blk *b = hv_blk_open_opts(f->loop, target, &o, flags, &err);

    g_assert_null(b);
    g_assert_nonnull(err);
    g_test_message("refused: %s", err->message);
    if (!strstr(err->message, needle)) {
        g_error("%s: '%s' lacks '%s'", target, err->message, needle);
    }
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 11 * G_USEC_PER_SEC);
    g_error_free(err);
}

static void test_refused(fixture *f, gconstpointer data)
{
    g_autofree char *closed = g_strdup_printf("iscsi://127.0.0.1:%d/%s:disk/1",
                                              free_port(), IQN);
    g_autofree char *notarget = g_strdup_printf(
        "iscsi://127.0.0.1:%d/%s:nosuch/1", f->port, IQN);
    g_autofree char *nolun = g_strdup_printf("iscsi://127.0.0.1:%d/%s:disk/7",
                                             f->port, IQN);
    g_autofree char *big = g_strdup_printf("iscsi://127.0.0.1:%d/%s:big/1",
                                           f->port, IQN);
    g_autofree char *ro = g_strdup_printf("iscsi://127.0.0.1:%d/%s:ro/1",
                                          f->port, IQN);
    uint8_t buf[512];
    hv_blk *b;

    refuse(f, closed, NULL, 0, "iSCSI connect");
    refuse(f, notarget, NULL, 0, "iSCSI connect");
    refuse(f, nolun, NULL, 0, "iSCSI connect");
    refuse(f, "iscsi://127.0.0.1/no-lun", NULL, 0, "iSCSI URL");
    refuse(f, big, NULL, 0, "512-byte");
    refuse(f, ro, NULL, 0, "access=ro");
    refuse(f, f->uri, NULL, HV_BLK_DIRECT, "direct=on");
    refuse(f, f->uri, "qcow2", 0, "over iSCSI");

    /* Read-only LUN opened read-only: reads work, writes get EROFS. */
    b = bt_open(f->loop, ro, 0, HV_BLK_RDONLY, "iscsi");
    g_assert_cmpint(bt_io(f->loop, b, false, 512, buf, sizeof(buf), 1), ==, 0);
    bt_assert_pattern(buf, 512, sizeof(buf));
    g_assert_cmpint(bt_io(f->loop, b, true, 512, buf, sizeof(buf), 1), ==, -EROFS);
    hv_blk_close(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Connection losses are warned about by design; criticals stay fatal. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_unsetenv("LIBISCSI_CHAP_USERNAME");
    g_unsetenv("LIBISCSI_CHAP_PASSWORD");
    g_test_add("/blk/iscsi/rw", fixture, NULL, setup, test_rw, teardown);
    g_test_add("/blk/iscsi/chap", fixture, NULL, setup, test_chap, teardown);
    g_test_add("/blk/iscsi/reconnect", fixture, NULL, setup, test_reconnect,
               teardown);
    g_test_add("/blk/iscsi/reconnect-inflight", fixture, NULL, setup,
               test_reconnect_inflight, teardown);
    g_test_add("/blk/iscsi/lost-writes", fixture, NULL, setup,
               test_lost_writes, teardown);
    g_test_add("/blk/iscsi/deadline", fixture, NULL, setup, test_deadline,
               teardown);
    g_test_add("/blk/iscsi/refused", fixture, NULL, setup, test_refused,
               teardown);
    return g_test_run();
}
