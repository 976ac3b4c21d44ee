// SPDX-License-Identifier: MIT
/*
 * Save/restore through the real binaries (docs/save-restore.md): the
 * guest is in the middle of a PIO READ when hvmemu-ctl save-state writes
 * the device state; that hvmemu stops, a new one starts with --restore on
 * the same domain, and the guest reads the rest of its sectors as if
 * nothing happened (the BAR4 it programmed and its pending interrupt
 * come back too). Also: "save-state at-exit" answered when hvmemu stops;
 * --restore refusing a state for another disk, a damaged file, a missing
 * one — each with exit status 2 and the reason.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ide-guest.h"

#define LBA 1000

static uint16_t inw(env *e)
{
    uint32_t v = 0;

    g_assert_cmpint(xs_guest_in(e->g, CMD, 2, &v), ==, 0);
    return (uint16_t)v;
}

/* The next DRQ block is ready: Status polled (which also acknowledges
 * the interrupt, as a driver's handler does) until BSY clears with DRQ.
 * Waiting for IRQ 14 alone is not enough: the line of the previous block
 * stays high until Status is read. */
static void wait_drq(env *e)
{
    int64_t end = simh_now_ms() + 5000;
    uint8_t st;

    do {
        st = ig_inb(e, CMD + R_STAT);
    } while ((st & (ST_BSY | ST_DRQ)) != ST_DRQ && simh_now_ms() < end);
    g_assert_cmphex(st & (ST_BSY | ST_DRQ | ST_ERR), ==, ST_DRQ);
}

static void pattern(const char *img, uint8_t *want)
{
    int fd = open(img, O_WRONLY);

    ig_fill(want, 4 * 512, 5);
    g_assert_cmpint(pwrite(fd, want, 4 * 512, (off_t)LBA * 512), ==,
                    4 * 512);
    close(fd);
}

static bool restart(env *e, const char *img, const char *state)
{
    g_autofree char *spec = g_strdup_printf(
        "format=raw,vdev=hda,access=rw,target=%s", img);
    const char *args[] = { "--disk", spec, "--restore", state, NULL };

    return simh_start_hvmemu(e->h, args, 1);
}

static void test_pio_across_restart(void)
{
    g_autofree char *img = ig_make_image(SECTORS * 512);
    g_autofree char *state = NULL, *cmd = NULL, *out = NULL;
    uint8_t want[4 * 512], got[4 * 512];
    env e;

    pattern(img, want);
    ig_start_image(&e, img, NULL, NULL);
    state = g_build_filename(simh_dir(e.h), "guest.hvmemu", NULL);
    ig_command(&e, 0x20, LBA, 4, false);        /* READ SECTORS */
    ig_wait_irq(&e);
    wait_drq(&e);
    for (unsigned i = 0; i < 256; i++) {        /* sector 1 */
        uint16_t w = inw(&e);

        got[2 * i] = w & 0xff;
        got[2 * i + 1] = w >> 8;
    }
    wait_drq(&e);                               /* sector 2 is ready */
    for (unsigned i = 256; i < 300; i++) {      /* part of it */
        uint16_t w = inw(&e);

        got[2 * i] = w & 0xff;
        got[2 * i + 1] = w >> 8;
    }
    cmd = g_strdup_printf("save-state %s", state);
    g_assert_cmpint(simh_ctl(e.h, cmd, &out), ==, 0);
    g_test_message("%s", out);
    g_assert_nonnull(strstr(out, "saved to"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(simh_stop_hvmemu(e.h, SIGTERM, 5000), ==, 0);

    g_assert_true(restart(&e, img, state));
    for (unsigned i = 300; i < 1024; i++) {
        uint16_t w;

        if (i % 256 == 0) {
            wait_drq(&e);
        }
        w = inw(&e);
        got[2 * i] = w & 0xff;
        got[2 * i + 1] = w >> 8;
    }
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
    g_assert_cmphex(ig_wait_not_busy(&e) & (ST_DRQ | ST_ERR), ==, 0);
    /* DMA: the bus master decodes at the BAR the first hvmemu was told. */
    g_assert_cmphex(ig_dma(&e, 0xc8, LBA, 4, 4 * 512, false) &
                    (BM_ERRB | BM_INTR), ==, BM_INTR);
    ig_stop(&e);
    unlink(img);
}

/* The reply of "save-state at-exit" comes when hvmemu stops serving. */
static void test_at_exit(void)
{
    g_autofree char *sock = NULL, *state = NULL, *info = NULL;
    const char *ctl = g_getenv("HVMEMU_CTL_BIN");
    GPid pid;
    int status;
    env e;

    ig_start(&e, NULL, NULL);
    sock = simh_control_path(e.h);
    state = g_build_filename(simh_dir(e.h), "exit.hvmemu", NULL);
    {
        const char *argv[] = { ctl, "--socket", sock, "save-state", state,
                               "at-exit", NULL };

        g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                    G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                    &pid, NULL));
    }
    g_usleep(300 * 1000);
    g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));   /* not yet */
    g_assert_cmpint(simh_stop_hvmemu(e.h, SIGTERM, 5000), ==, 0);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    {
        const char *argv[] = { ctl, "state-info", state, NULL };

        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                                   G_SPAWN_DEFAULT, NULL, NULL, &info, NULL,
                                   &status, NULL));
    }
    g_test_message("%s", info);
    g_assert_nonnull(strstr(info, "piix-ide.0"));
    simh_free(e.h);
    unlink(e.img);
    g_free(e.img);
}

/* --restore refuses, with status 2 and the reason, before serving. */
static void test_refused(void)
{
    g_autofree char *img = ig_make_image(SECTORS * 512);
    g_autofree char *small = ig_make_image(1 << 20);
    g_autofree char *state = NULL, *cmd = NULL, *out = NULL, *err = NULL;
    g_autofree char *spec = g_strdup_printf("file:%s,hda,w", small);
    g_autofree char *data = NULL;
    gsize len;
    env e;

    ig_start_image(&e, img, NULL, NULL);
    state = g_build_filename(simh_dir(e.h), "s.hvmemu", NULL);
    cmd = g_strdup_printf("save-state %s", state);
    g_assert_cmpint(simh_ctl(e.h, cmd, &out), ==, 0);
    {
        g_autofree char *d = g_strdup_printf("%u", 1u);
        const char *args[] = { "--domid", d, "--disk", spec, "--restore",
                               state, "--control", "none", NULL };

        g_assert_cmpint(simh_run_hvmemu(args, &err), ==, 2);
        g_test_message("%s", err);
        g_assert_nonnull(strstr(err, "--restore: "));
        g_assert_nonnull(strstr(err, "sectors"));
        g_clear_pointer(&err, g_free);
    }
    g_assert_true(g_file_get_contents(state, &data, &len, NULL));
    data[len / 2] ^= 1;
    g_assert_true(g_file_set_contents(state, data, (gssize)len, NULL));
    {
        const char *args[] = { "--domid", "1", "--disk", spec, "--restore",
                               state, "--control", "none", NULL };

        g_assert_cmpint(simh_run_hvmemu(args, &err), ==, 2);
        g_assert_nonnull(strstr(err, "checksum mismatch"));
        g_clear_pointer(&err, g_free);
    }
    {
        const char *args[] = { "--domid", "1", "--disk", spec, "--restore",
                               "/nonexistent/x.hvmemu", "--control", "none",
                               NULL };

        g_assert_cmpint(simh_run_hvmemu(args, &err), !=, 0);
        g_assert_nonnull(strstr(err, "/nonexistent/x.hvmemu"));
    }
    ig_stop(&e);
    unlink(img);
    unlink(small);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/save/pio-across-restart", test_pio_across_restart);
    g_test_add_func("/sim/save/at-exit", test_at_exit);
    g_test_add_func("/sim/save/refused", test_refused);
    return g_test_run();
}
