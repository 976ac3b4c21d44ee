// SPDX-License-Identifier: MIT
/*
 * The control socket of the real daemon under xensim, through the real
 * hvmemu-ctl: status and stats answer while the guest runs, garbage gets
 * an error line and the daemon keeps serving, a second hvmemu for the same
 * domain is refused, quit tears down cleanly (exit 0).
 */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "harness.h"

static int ctl(simh *h, const char *cmd, char **out)
{
    g_autofree char *sock = simh_control_path(h);
    const char *argv[] = { g_getenv("HVMEMU_CTL_BIN"), "--socket", sock, cmd,
                           NULL };
    int status = -1;

    g_assert_nonnull(argv[0]);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, out, NULL, &status, NULL));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A raw client: send @req as it is, return the first reply line. */
static char *raw(simh *h, const char *req)
{
    g_autofree char *sock = simh_control_path(h);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    GString *s = g_string_new(NULL);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    char c;

    g_strlcpy(sa.sun_path, sock, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(write(fd, req, strlen(req)), ==, (ssize_t)strlen(req));
    while (read(fd, &c, 1) == 1 && c != '\n') {
        g_string_append_c(s, c);
    }
    close(fd);
    return g_string_free(s, FALSE);
}

static void test_control(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    const char *args[] = { "--device", "testdev,port=0x2000", NULL };
    g_autofree char *out = NULL, *sock = simh_control_path(h);
    g_autofree char *bad = NULL, *junk = NULL;
    xs_guest *g;
    struct stat st;

    g_assert_true(simh_start_hvmemu(h, args, 1));
    g = simh_guest(h, 0);
    g_assert_cmpint(xs_guest_out(g, 0x2000, 4, 0x1234), ==, 0);
    /* Only root may talk to it. */
    g_assert_cmpint(stat(sock, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpint(ctl(h, "status", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"domid\" : 1"));
    g_assert_nonnull(strstr(out, "testdev.0"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(ctl(h, "stats", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"writes\" : 1"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(ctl(h, "no-such-command", &out), ==, 1);
    g_clear_pointer(&out, g_free);
    /* Garbage: an error line; the loop (and the guest) go on. */
    bad = raw(h, "{{{ not json\n");
    g_assert_nonnull(strstr(bad, "\"ok\":false"));
    junk = raw(h, "\x01\x02\xff\n");
    g_assert_nonnull(strstr(junk, "\"ok\":false"));
    g_assert_cmpint(xs_guest_out(g, 0x2000, 4, 0x5678), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 0), ==, -1);
    g_assert_cmpint(ctl(h, "quit", &out), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 0);
    simh_free(h);
}

static void test_second_daemon_refused(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    const char *args[] = { "--device", "testdev,port=0x2000", NULL };
    g_autofree char *sock = simh_control_path(h);
    g_autofree char *dash = g_strdup_printf("--control=%s", sock);
    const char *argv[] = { g_getenv("HVMEMU_BIN"), "--domid", "1",
                           "--device", "testdev,port=0x3000", dash, NULL };
    g_autofree char *err = NULL;
    int status = -1;

    g_assert_true(simh_start_hvmemu(h, args, 1));
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, NULL, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, "another hvmemu already serves"));
    /* The first one is untouched. */
    g_assert_cmpint(simh_stop_hvmemu(h, SIGTERM, 5000), ==, 0);
    simh_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/control/commands", test_control);
    g_test_add_func("/sim/control/second-daemon", test_second_daemon_refused);
    return g_test_run();
}
