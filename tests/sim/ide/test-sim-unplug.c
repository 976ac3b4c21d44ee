// SPDX-License-Identifier: MIT
/*
 * The real daemon's unplug protocol and twin guard under xensim, with the
 * real libxenstore on both sides against xensim-store: the test writes the
 * nodes libxl and a guest's blkfront write (docs/unplug.md), and plays the
 * guest's ports.
 *  - protocol: Linux's handshake on ports 0x10/0x12, mask 0x1 → hda absent
 *  - guard: a qdisk backend on hda's image; its frontend going to
 *    Initialised (3) makes hvmemu remove hda; Initialising (1) does not
 *  - at start: a frontend already Connected → hda never shown
 *  - config: QEMU's emulated sda with a PV twin → hvmemu exits 2 before
 *    serving; the same with a testdev-only hvmemu (the ports stay QEMU's)
 *    → it serves
 *  - image locks: the guard's image is locked as QEMU's qdisk locks it and
 *    hvmemu still opens it (the guest's own PV disk); the same lock on an
 *    image that is no PV disk of the guest refuses the start (exit 1)
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include <glib.h>

#include "ide-guest.h"

#define DOMID 1
#define FRONT "/local/domain/1/device/vbd/51712"
#define BACK  "/local/domain/0/backend/qdisk/1/51712"

static void store_write(struct xs_handle *xs, const char *path,
                        const char *value)
{
    g_assert_true(xs_write(xs, XBT_NULL, path, value, strlen(value)));
}

static void backend_write(struct xs_handle *xs, const char *be,
                          const char *leaf, const char *value)
{
    g_autofree char *p = g_strdup_printf("%s/%s", be, leaf);

    store_write(xs, p, value);
}

/* What libxl writes for disk=['...,vdev=@vdev,backendtype=qdisk']. */
static void add_pv_disk(struct xs_handle *xs, const char *kind,
                        const char *vdev, const char *target,
                        const char *fe_state)
{
    g_autofree char *be = g_strdup_printf("/local/domain/0/backend/%s/1/"
                                          "51712", kind);
    g_autofree char *params = g_strdup_printf("raw:%s", target);

    backend_write(xs, be, "params", params);
    backend_write(xs, be, "dev", vdev);
    backend_write(xs, be, "device-type", "disk");
    backend_write(xs, be, "frontend", FRONT);
    backend_write(xs, be, "state", "2");
    store_write(xs, FRONT "/state", fe_state);
}

/* Lock @path as a QEMU writer does (hw/block/blk_lock.c: bytes 100-101
 * held, 201 and 203 unshared); the descriptor holds the locks. */
static int hold_qemu_lock(const char *path)
{
    static const off_t bytes[] = { 100, 101, 201, 203 };
    int fd = open(path, O_RDWR | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(bytes); i++) {
        struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
                            .l_start = bytes[i], .l_len = 1 };

        g_assert_cmpint(fcntl(fd, F_OFD_SETLK, &fl), ==, 0);
    }
    return fd;
}

static void start(env *e, const char *img, bool expect_serving)
{
    g_autofree char *spec = g_strdup_printf("file:%s,hda,w", img);
    const char *args[] = { "--disk", spec, NULL };

    /* Not serving: only started (0 servers to wait for). */
    g_assert_true(simh_start_hvmemu(e->h, args, expect_serving ? 1 : 0));
    if (expect_serving) {
        e->g = simh_guest(e->h, 0);
    }
}

/* Status of the primary master as a driver reads it; 0: absent. */
static uint8_t master_status(env *e)
{
    ig_outb(e, CMD + R_DEV, 0xa0);
    return ig_inb(e, CMD + R_STAT);
}

static bool wait_absent(env *e)
{
    for (int i = 0; i < 400; i++) {
        if (master_status(e) == 0) {
            return true;
        }
        g_usleep(5000);
    }
    return false;
}

static void setup(env *e)
{
    memset(e, 0, sizeof(*e));
    e->img = ig_make_image(4 << 20);
    e->h = simh_new(&(simh_opts){ .domid = DOMID, .vcpus = 1 });
}

static void teardown(env *e, int want_status)
{
    g_assert_cmpint(simh_stop_hvmemu(e->h, SIGTERM, 5000), ==, want_status);
    simh_free(e->h);
    unlink(e->img);
    g_free(e->img);
}

static void test_protocol(void)
{
    uint32_t v = 0;
    env e;

    setup(&e);
    start(&e, e.img, true);
    g_assert_cmphex(master_status(&e) & ST_DRDY, ==, ST_DRDY);
    /* Linux's check_platform_magic(), then the unplug. */
    g_assert_cmpint(xs_guest_in(e.g, 0x10, 2, &v), ==, 0);
    g_assert_cmphex(v, ==, 0x49d2);
    g_assert_cmpint(xs_guest_in(e.g, 0x12, 1, &v), ==, 0);
    g_assert_cmpuint(v, ==, 1);
    g_assert_cmpint(xs_guest_out(e.g, 0x12, 2, 0x0003), ==, 0);
    g_assert_cmpint(xs_guest_out(e.g, 0x10, 4, 0x0001), ==, 0);
    g_assert_cmpint(xs_guest_in(e.g, 0x10, 2, &v), ==, 0);
    g_assert_cmphex(v, ==, 0x49d2);
    g_assert_cmpint(xs_guest_out(e.g, 0x10, 2, 0x0001), ==, 0);
    g_assert_true(wait_absent(&e));
    teardown(&e, 0);
}

static void test_guard(void)
{
    struct xs_handle *xs;
    env e;

    int qdisk;

    setup(&e);
    xs = xs_open(0);
    g_assert_nonnull(xs);
    add_pv_disk(xs, "qdisk", "xvda", e.img, "1");
    qdisk = hold_qemu_lock(e.img);      /* what QEMU's qdisk holds */
    start(&e, e.img, true);
    /* Initialising: the toolstack's value; the guest has no driver yet. */
    g_usleep(200000);
    g_assert_cmphex(master_status(&e) & ST_DRDY, ==, ST_DRDY);
    /* blkfront published its rings: hvmemu must let go of hda. */
    store_write(xs, FRONT "/state", "3");
    g_assert_true(wait_absent(&e));
    xs_close(xs);
    teardown(&e, 0);
    close(qdisk);
}

/* Locked by a process that is not the guest's PV backend: refused. */
static void test_locked_elsewhere(void)
{
    g_autofree char *spec = NULL, *err = NULL;
    int other;
    env e;

    setup(&e);
    other = hold_qemu_lock(e.img);
    spec = g_strdup_printf("file:%s,hda,w", e.img);
    const char *args[] = { "--disk", spec, NULL };
    g_assert_false(simh_start_hvmemu(e.h, args, 1));
    g_assert_cmpint(simh_wait_hvmemu(e.h, 5000), ==, 1);
    close(other);
    simh_free(e.h);
    unlink(e.img);
    g_free(e.img);
}

static void test_refused_at_start(void)
{
    g_autofree char *dir = NULL, *alias = NULL;
    struct xs_handle *xs;
    env e;

    setup(&e);
    /* The backend names the image through a symlink: still the same. */
    dir = g_path_get_dirname(e.img);
    alias = g_strdup_printf("%s/twin-alias-%d", dir, getpid());
    g_assert_cmpint(symlink(e.img, alias), ==, 0);
    xs = xs_open(0);
    g_assert_nonnull(xs);
    add_pv_disk(xs, "qdisk", "xvda", alias, "4");
    start(&e, e.img, true);
    g_assert_true(wait_absent(&e));
    xs_close(xs);
    unlink(alias);
    teardown(&e, 0);
}

static void test_config_refused(void)
{
    g_autofree char *other = ig_make_image(1 << 20);
    struct xs_handle *xs;
    env e;

    setup(&e);
    xs = xs_open(0);
    g_assert_nonnull(xs);
    /* QEMU's SCSI disk sda with its PV twin: QEMU would never unplug it. */
    add_pv_disk(xs, "vbd", "sda", other, "1");
    start(&e, e.img, false);
    g_assert_cmpint(simh_wait_hvmemu(e.h, 5000), ==, 2);
    xs_close(xs);
    unlink(other);
    teardown(&e, 2);
}

/* hvmemu with no disk or NIC leaves the ports (and the protocol) to QEMU,
 * so the same config is QEMU's own business: hvmemu serves. */
static void test_config_testdev_only(void)
{
    const char *args[] = { "--device", "testdev,port=0x2000", NULL };
    struct xs_handle *xs;
    env e;

    setup(&e);
    xs = xs_open(0);
    g_assert_nonnull(xs);
    add_pv_disk(xs, "vbd", "sda", e.img, "1");
    g_assert_true(simh_start_hvmemu(e.h, args, 1));
    g_assert_cmpint(simh_wait_hvmemu(e.h, 300), ==, -1);   /* still up */
    xs_close(xs);
    teardown(&e, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/unplug/protocol", test_protocol);
    g_test_add_func("/sim/unplug/twin-guard", test_guard);
    g_test_add_func("/sim/unplug/locked-elsewhere", test_locked_elsewhere);
    g_test_add_func("/sim/unplug/refused-at-start", test_refused_at_start);
    g_test_add_func("/sim/unplug/config-refused", test_config_refused);
    g_test_add_func("/sim/unplug/config-testdev-only",
                    test_config_testdev_only);
    return g_test_run();
}
