/* SPDX-License-Identifier: MIT */
/*
 * The twin guard on the in-memory host: PV disk lists as ioreq/xen_store.c
 * delivers them, against a PIIX IDE with hda, hdb and an ATAPI hdc; which
 * storage counts as the same (hv_blk_same_storage); and the start-up
 * check that QEMU doubles no device.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../ide/ide-harness.h"
#include "hvmemu/twin.h"

typedef struct fx {
    ih ide;
    hv_twin_guard *g;
    char *other;            /* a file that is not any of the disks */
} fx;

static void fx_setup(fx *f, gconstpointer data)
{
    int fd;

    ih_setup(&f->ide, &(ih_conf){ .slave = true, .cdrom = true });
    f->g = hv_twin_guard_new(f->ide.ctx);
    fd = g_file_open_tmp("hvmemu-twin-XXXXXX", &f->other, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
}

static void fx_teardown(fx *f, gconstpointer data)
{
    hv_twin_guard_free(f->g);
    ih_teardown(&f->ide);
    unlink(f->other);
    g_free(f->other);
}

/* Is any disk or NIC still on its way out (flushing)? */
static void count_removing(void *opaque, hv_unplug_slot *s,
                           const hv_unplug_info *info)
{
    *(unsigned *)opaque += info->state == HV_UNPLUG_REMOVING;
}

static unsigned removing(fx *f)
{
    unsigned n = 0;

    hv_unplug_foreach(f->ide.ctx, count_removing, &n);
    return n;
}

/* Until pending removals are done (bounded: 2 s). */
static void run_loop(fx *f)
{
    uint64_t limit = hv_now_ns() + 2000000000ull;

    do {
        hv_loop_run_once(f->ide.loop, 1);
    } while (removing(f) && hv_now_ns() < limit);
}

static bool present(fx *f, const char *name)
{
    hv_unplug_info info;

    g_assert_true(hv_unplug_lookup(f->ide.ctx, name, &info));
    return info.state == HV_UNPLUG_PRESENT;
}

static hv_pv_disk pv(const char *target, bool in_use)
{
    return (hv_pv_disk){ .id = "qdisk/51712", .vdev = "xvda",
                         .target = target, .in_use = in_use };
}

static void test_same_file(fx *f, gconstpointer data)
{
    hv_pv_disk d[] = { pv(f->other, true), pv(f->ide.img[0], false) };

    /* Not in use yet (blkfront has not connected): nothing happens. */
    g_assert_cmpuint(hv_twin_guard_update(f->g, d, 2, false), ==, 0);
    g_assert_true(present(f, "hda"));
    d[1].in_use = true;
    g_assert_cmpuint(hv_twin_guard_update(f->g, d, 2, false), ==, 1);
    run_loop(f);
    g_assert_false(present(f, "hda"));
    g_assert_true(present(f, "hdb"));
    g_assert_cmpuint(hv_unplug_count(f->ide.ctx, HV_UNPLUG_BY_GUARD), ==, 1);
    /* Status of the absent master as the guest reads it. */
    ih_outb(&f->ide, IH_CMD + ATA_REG_DEVICE, 0);
    g_assert_cmphex(ih_inb(&f->ide, IH_CMD + ATA_REG_STATUS), ==, 0);
    /* A second report of the same twin changes nothing. */
    g_assert_cmpuint(hv_twin_guard_update(f->g, d, 2, false), ==, 0);
}

static void test_other_names(fx *f, gconstpointer data)
{
    g_autofree char *dir = g_path_get_dirname(f->ide.img[1]);
    g_autofree char *sym = g_strdup_printf("%s/twin-sym-%d", dir, getpid());
    g_autofree char *hard = g_strdup_printf("%s/twin-hard-%d", dir,
                                            getpid());
    hv_pv_disk d[1];

    g_assert_cmpint(symlink(f->ide.img[1], sym), ==, 0);
    g_assert_cmpint(link(f->ide.img[0], hard), ==, 0);
    d[0] = pv(sym, true);
    g_assert_cmpuint(hv_twin_guard_update(f->g, d, 1, false), ==, 1);
    d[0] = pv(hard, true);
    g_assert_cmpuint(hv_twin_guard_update(f->g, d, 1, false), ==, 1);
    run_loop(f);
    g_assert_false(present(f, "hda"));
    g_assert_false(present(f, "hdb"));
    unlink(sym);
    unlink(hard);
}

static void test_left_alone(fx *f, gconstpointer data)
{
    hv_pv_disk d[] = {
        pv(f->other, true),                 /* other storage */
        pv("/nonexistent/disk.img", true),  /* gone or never there */
        pv(NULL, true),                     /* no path, no device */
        pv(f->ide.img[2], true),            /* the CD-ROM's image */
        pv(f->ide.img[0], true),
    };

    d[4].cdrom = true;      /* a PV CD-ROM of hda's image */
    g_assert_cmpuint(hv_twin_guard_update(f->g, d, G_N_ELEMENTS(d), false),
                     ==, 0);
    run_loop(f);
    g_assert_true(present(f, "hda"));
    g_assert_true(present(f, "hdb"));
    g_assert_true(present(f, "hdc"));   /* CD-ROMs are never removed */
}

static void test_at_start(fx *f, gconstpointer data)
{
    hv_pv_disk d[] = { pv(f->ide.img[1], true) };
    hv_unplug_info info;

    g_assert_cmpuint(hv_twin_guard_update(f->g, d, 1, true), ==, 1);
    run_loop(f);
    g_assert_true(hv_unplug_lookup(f->ide.ctx, "hdb", &info));
    g_assert_cmpint(info.state, ==, HV_UNPLUG_ABSENT);
    g_assert_cmpint(info.cause, ==, HV_UNPLUG_REFUSED);
    g_assert_cmpuint(hv_unplug_count(f->ide.ctx, HV_UNPLUG_REFUSED), ==, 1);
}

/* A loop device over hdb's image, as blkback's hotplug script sets up for
 * a file given as phy: the PV side names only the device number. */
static void test_loop_device(fx *f, gconstpointer data)
{
    g_autofree char *cmd = g_strdup_printf("losetup -f --show %s",
                                           f->ide.img[1]);
    g_autofree char *out = NULL, *detach = NULL;
    struct stat st;
    hv_pv_disk d[1];
    int status = -1;

    if (geteuid() != 0) {
        g_test_skip("needs root for losetup (CI runs as root)");
        return;
    }
    if (!g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL) ||
        status != 0 || !out) {
        g_test_fail_printf("losetup failed (status %d): no loop device "
                           "support on this machine", status);
        return;
    }
    g_strchomp(out);
    g_assert_cmpint(stat(out, &st), ==, 0);
    d[0] = pv(NULL, true);
    d[0].rdev = st.st_rdev;
    g_assert_cmpuint(hv_twin_guard_update(f->g, d, 1, false), ==, 1);
    detach = g_strdup_printf("losetup -d %s", out);
    g_assert_true(g_spawn_command_line_sync(detach, NULL, NULL, NULL, NULL));
    run_loop(f);
    g_assert_false(present(f, "hdb"));
    g_assert_true(present(f, "hda"));
}

static void test_check_config(fx *f, gconstpointer data)
{
    hv_pv_disk disks[] = {
        { .id = "vbd/768", .vdev = "hda", .emulated = true },
        { .id = "vbd/5632", .vdev = "hdc", .emulated = true, .cdrom = true },
        { .id = "qdisk/51712", .vdev = "xvda" },
    };
    hv_pv_disk sda = { .id = "vbd/2048", .vdev = "sda", .emulated = true };
    hv_pv_nic nics[] = { { .id = "vif/0" } };
    hv_pv_nic ioemu = { .id = "vif/1", .emulated = true };
    GError *err = NULL;

    /* hda is shadowed by hvmemu's IDE; a CD-ROM is never unplugged. */
    g_assert_true(hv_twin_check_config(f->ide.ctx, disks, 3, nics, 1,
                                       &err));
    g_assert_no_error(err);
    g_assert_false(hv_twin_check_config(f->ide.ctx, &sda, 1, NULL, 0, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_assert_nonnull(strstr(err->message, "vdev=xvda"));
    g_clear_error(&err);
    g_assert_false(hv_twin_check_config(f->ide.ctx, NULL, 0, &ioemu, 1,
                                        &err));
    g_assert_nonnull(strstr(err->message, "type=vif"));
    g_clear_error(&err);
}

static void test_check_config_no_ide(void)
{
    /* Without hvmemu's IDE, QEMU's hda is the guest's and would stay. */
    hv_memhost *mh = hv_memhost_new(4096);
    hv_loop *loop = hv_loop_new();
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, loop);
    hv_pv_disk hda = { .id = "vbd/768", .vdev = "hda", .emulated = true };
    GError *err = NULL;

    g_assert_false(hv_twin_check_config(ctx, &hda, 1, NULL, 0, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_clear_error(&err);
    hv_ctx_free(ctx);
    hv_loop_free(loop);
    hv_memhost_free(mh);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* The guard's loud warning is its job here, not a test failure. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add("/twin/same-file", fx, NULL, fx_setup, test_same_file,
               fx_teardown);
    g_test_add("/twin/other-names", fx, NULL, fx_setup, test_other_names,
               fx_teardown);
    g_test_add("/twin/left-alone", fx, NULL, fx_setup, test_left_alone,
               fx_teardown);
    g_test_add("/twin/at-start", fx, NULL, fx_setup, test_at_start,
               fx_teardown);
    g_test_add("/twin/loop-device", fx, NULL, fx_setup, test_loop_device,
               fx_teardown);
    g_test_add("/twin/check-config", fx, NULL, fx_setup, test_check_config,
               fx_teardown);
    g_test_add_func("/twin/check-config-no-ide", test_check_config_no_ide);
    return g_test_run();
}
