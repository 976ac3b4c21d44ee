// SPDX-License-Identifier: MIT
/*
 * Least privilege, from the real daemon under xensim (docs/sandbox.md):
 * by default its Xen handles are restricted to the guest and a seccomp
 * allow-list is in force, proven by hvmemu-ctl sandbox's probes (execve
 * and a dm_op on another domain both refused with EPERM) while the guest
 * is still served; --runas and --chroot drop the rest; --sandbox=off
 * leaves everything allowed; bad values are refused at start (exit 2).
 */
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "harness.h"

#define PORT 0x2000     /* testdev: scratch register at +0, IRQ at +4 */

static simh *start(const char *const *extra)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    g_autoptr(GPtrArray) args = g_ptr_array_new();

    g_ptr_array_add(args, (gpointer)"--device");
    g_ptr_array_add(args, (gpointer)"testdev,port=0x2000");
    for (; extra && *extra; extra++) {
        g_ptr_array_add(args, (gpointer)*extra);
    }
    g_ptr_array_add(args, NULL);
    g_assert_true(simh_start_hvmemu(h, (const char *const *)args->pdata, 1));
    return h;
}

/* The guest is served: a scratch write reads back. */
static void assert_served(xs_guest *g, uint32_t v)
{
    uint32_t got = 0;

    g_assert_cmpint(xs_guest_out(g, PORT, 4, v), ==, 0);
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &got), ==, 0);
    g_assert_cmphex(got, ==, v);
}

static char *sandbox_report(simh *h)
{
    char *out = NULL;

    g_assert_cmpint(simh_ctl(h, "sandbox", &out), ==, 0);
    g_test_message("sandbox: %s", out);
    return out;
}

static void test_default(void)
{
    simh *h = start(NULL);
    xs_guest *g = simh_guest(h, 0);
    g_autofree char *out = NULL;

    assert_served(g, 0x5a5a);
    out = sandbox_report(h);
    g_assert_nonnull(strstr(out, "\"xen_restricted\" : true"));
    g_assert_nonnull(strstr(out, "\"seccomp\" : true"));
    g_assert_nonnull(strstr(out, "\"execve_probe\" : \"EPERM"));
    g_assert_nonnull(strstr(out, "\"other_domain_probe\" : \"EPERM"));
    assert_served(g, 0xa5a5);
    g_assert_cmpint(simh_stop_hvmemu(h, SIGTERM, 5000), ==, 0);
    simh_free(h);
}

static void test_off(void)
{
    const char *off[] = { "--sandbox=off", NULL };
    simh *h = start(off);
    g_autofree char *out = NULL;

    out = sandbox_report(h);
    g_assert_nonnull(strstr(out, "\"xen_restricted\" : false"));
    g_assert_nonnull(strstr(out, "\"seccomp\" : false"));
    /* The kernel looked for the file; Xen looked for the domain. */
    g_assert_nonnull(strstr(out, "\"execve_probe\" : \"No such file"));
    g_assert_nonnull(strstr(out, "\"other_domain_probe\" : \"No such "
                                 "process"));
    g_assert_cmpint(simh_stop_hvmemu(h, SIGTERM, 5000), ==, 0);
    simh_free(h);
}

/* Without xenctrl, a crashed (not yet destroyed) guest keeps being
 * served; its destruction still stops the daemon with status 0. */
static void test_restricted_liveness(void)
{
    simh *h = start(NULL);
    xs_guest *g = simh_guest(h, 0);
    uint32_t v;

    assert_served(g, 1);
    g_assert_cmpint(xs_guest_shutdown_domain(g, 3), ==, 0);  /* crash */
    g_assert_cmpint(xs_guest_in(g, PORT, 4, &v), ==, -ESHUTDOWN);
    g_assert_cmpint(simh_wait_hvmemu(h, 1500), ==, -1);
    g_assert_cmpint(xs_guest_destroy_domain(simh_control(h)), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 0);
    simh_free(h);
}

static void test_runas_chroot(void)
{
    struct passwd *pw = getpwnam("nobody");
    g_autofree char *dir = g_dir_make_tmp("hvmemu-chroot-XXXXXX", NULL);
    const char *extra[] = { "--runas", "nobody", "--chroot", dir, NULL };
    g_autofree char *out = NULL, *uid = NULL, *root = NULL;
    xs_guest *g;
    simh *h;

    if (geteuid() != 0 || !pw) {
        /* Loud: this part proves nothing without root and 'nobody'. */
        g_test_fail_printf("--runas/--chroot need root and the user "
                           "'nobody' (euid %u)", geteuid());
        return;
    }
    /* LeakSanitizer (CI's build) reads /proc, which the chroot hides: the
     * leak check of these paths is the other tests'. */
    g_setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1", TRUE);
    h = start(extra);
    g = simh_guest(h, 0);
    assert_served(g, 0x1234);
    out = sandbox_report(h);
    uid = g_strdup_printf("\"uid\" : %u", pw->pw_uid);
    root = g_strdup_printf("\"chroot\" : \"%s\"", dir);
    g_assert_nonnull(strstr(out, uid));
    g_assert_nonnull(strstr(out, root));
    g_assert_nonnull(strstr(out, "\"execve_probe\" : \"EPERM"));
    assert_served(g, 0x4321);
    g_assert_cmpint(simh_stop_hvmemu(h, SIGTERM, 5000), ==, 0);
    simh_free(h);
    rmdir(dir);
}

static void test_refused(void)
{
    static const struct {
        const char *opt, *val, *says;
    } bad[] = {
        { "--runas", "no-such-user-hvmemu", "no user 'no-such-user-hvmemu'" },
        { "--runas", "root", "that is root" },
        { "--runas", "nobody:no-such-group-hvmemu", "no group" },
        { "--runas", ":x", "want USER or USER:GROUP" },
        { "--chroot", "/nonexistent/hvmemu", "not a directory" },
        { "--sandbox", "maybe", "want on or off" },
    };
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *args[] = { "--domid", "1", "--device", "testdev",
                               "--control", "none", bad[i].opt, bad[i].val,
                               NULL };
        g_autofree char *err = NULL;

        g_assert_cmpint(simh_run_hvmemu(args, &err), ==, 2);
        g_test_message("%s %s: %s", bad[i].opt, bad[i].val, err);
        g_assert_nonnull(strstr(err, bad[i].says));
    }
    simh_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/sandbox/default", test_default);
    g_test_add_func("/sim/sandbox/off", test_off);
    g_test_add_func("/sim/sandbox/restricted-liveness",
                    test_restricted_liveness);
    g_test_add_func("/sim/sandbox/runas-chroot", test_runas_chroot);
    g_test_add_func("/sim/sandbox/refused", test_refused);
    return g_test_run();
}
