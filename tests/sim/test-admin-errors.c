// SPDX-License-Identifier: MIT
/*
 * The errors an admin meets at start, from the real daemon under xensim:
 * one line naming the cause and what to do, and the exit status (2: fix
 * the command; 1: the host's state). A domain that does not exist, and
 * Xen's limit of ioreq servers per domain (8) reached by other device
 * models.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <glib.h>

#include "harness.h"

static void test_no_such_domain(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    const char *args[] = { "--domid", "7", "--device", "testdev",
                           "--control", "none", NULL };
    g_autofree char *err = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_cmpint(simh_run_hvmemu(args, &err), ==, 2);
    g_assert_nonnull(strstr(err, "domain 7 does not exist"));
    g_assert_nonnull(strstr(err, "xl list"));
    /* One line. */
    lines = g_strsplit(err, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), <=, 2);
    simh_free(h);
}

static void test_server_limit(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    GPid pids[8];
    g_autofree char *err = NULL;
    const char *ninth[] = { "--domid", "1", "--device", "testdev,port=0x3900",
                            "--control", "none", NULL };

    /* Eight other device models, each on its own port. */
    for (int i = 0; i < 8; i++) {
        g_autofree char *dev = g_strdup_printf("testdev,port=0x%x",
                                               0x3000 + i * 0x10);
        const char *argv[] = { g_getenv("HVMEMU_BIN"), "--domid", "1",
                               "--device", dev, "--control", "none", NULL };
        g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                    G_SPAWN_DO_NOT_REAP_CHILD |
                                        G_SPAWN_STDOUT_TO_DEV_NULL |
                                        G_SPAWN_STDERR_TO_DEV_NULL,
                                    NULL, NULL, &pids[i], NULL));
    }
    /* Until all eight hold a server (xensim counts them). */
    for (int64_t end = simh_now_ms() + 20000;; g_usleep(100000)) {
        xs_sim_info info;

        g_assert_cmpint(xs_guest_info(simh_control(h), &info), ==, 0);
        if (info.servers >= 8) {
            break;
        }
        g_assert_cmpint(simh_now_ms(), <, end);
    }
    g_assert_cmpint(simh_run_hvmemu(ninth, &err), ==, 1);
    g_assert_nonnull(strstr(err, "already has as many ioreq servers as Xen "
                                 "allows"));
    for (int i = 0; i < 8; i++) {
        int status;

        kill(pids[i], SIGTERM);
        g_assert_cmpint(waitpid(pids[i], &status, 0), ==, pids[i]);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    simh_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/admin-errors/no-such-domain", test_no_such_domain);
    g_test_add_func("/sim/admin-errors/server-limit", test_server_limit);
    return g_test_run();
}
