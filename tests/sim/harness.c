// SPDX-License-Identifier: MIT
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#define SIMH_START_MS 10000

struct simh {
    char *dir;
    char *socket;
    char *store_socket;       /* xensim-store, XENSTORED_PATH */
    GPid sim_pid;
    GPid store_pid;
    GPid dm_pid;              /* 0 when not running */
    int dm_status;            /* valid once reaped */
    uint32_t domid;
    GPtrArray *guests;
};

int64_t simh_now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static const char *need_env(const char *name)
{
    const char *v = g_getenv(name);

    if (!v || !*v) {
        g_error("simh: %s is not set (run through meson test --suite sim)",
                name);
    }
    return v;
}

/* Children die with the test, even when it aborts on a failed assertion:
 * a leftover simulator would keep meson's output pipe open. */
static void die_with_parent(gpointer sig)
{
    prctl(PR_SET_PDEATHSIG, GPOINTER_TO_INT(sig));
}

static bool verbose(void)
{
    const char *v = g_getenv("SIMH_VERBOSE");

    return v && *v && strcmp(v, "0");
}

/* Read the simulator's stdout up to its READY line. */
static bool wait_ready(int fd)
{
    GString *s = g_string_new(NULL);
    int64_t deadline = simh_now_ms() + SIMH_START_MS;
    bool ok = false;

    while (!ok && simh_now_ms() < deadline) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n <= 0) {
            break;
        }
        g_string_append_c(s, c);
        ok = c == '\n' && g_str_has_prefix(s->str, "READY");
    }
    g_string_free(s, TRUE);
    return ok;
}

/* The simulated xenstore beside the simulator: hvmemu's twin guard and
 * the tests use the real libxenstore against it (XENSTORED_PATH). */
static void start_store(simh *h)
{
    const char *argv[] = { need_env("XENSIM_STORE_BIN"), "--socket",
                           h->store_socket, verbose() ? "-v" : NULL, NULL };
    GError *err = NULL;
    int out = -1;

    g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                             G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent,
                             GINT_TO_POINTER(SIGTERM), &h->store_pid, NULL,
                             &out, NULL, &err);
    g_assert_no_error(err);
    if (!wait_ready(out)) {
        g_error("simh: xensim-store did not print READY");
    }
    close(out);
    g_setenv("XENSTORED_PATH", h->store_socket, TRUE);
}

simh *simh_new(const simh_opts *o)
{
    simh *h = g_new0(simh, 1);
    GError *err = NULL;
    int out = -1;

    h->domid = o && o->domid ? o->domid : 1;
    h->guests = g_ptr_array_new();
    h->dir = g_dir_make_tmp("simh-XXXXXX", &err);
    g_assert_no_error(err);
    h->socket = g_build_filename(h->dir, "xensim.sock", NULL);
    h->store_socket = g_build_filename(h->dir, "xenstored.sock", NULL);
    start_store(h);
    char *domid = g_strdup_printf("%u", h->domid);
    char *vcpus = g_strdup_printf("%u", o && o->vcpus ? o->vcpus : 1);
    GPtrArray *argv = g_ptr_array_new();
    const char *fixed[] = {
        need_env("XENSIM_BIN"), "--socket", h->socket, "--domid", domid,
        "--vcpus", vcpus, "--ram", o && o->ram ? o->ram : "64M",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(fixed); i++) {
        g_ptr_array_add(argv, (char *)fixed[i]);
    }
    for (unsigned i = 0; o && o->sim_args && o->sim_args[i]; i++) {
        g_ptr_array_add(argv, (char *)o->sim_args[i]);
    }
    if (verbose()) {
        g_ptr_array_add(argv, "-v");
    }
    g_ptr_array_add(argv, NULL);
    g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
                             G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent,
                             GINT_TO_POINTER(SIGTERM), &h->sim_pid, NULL,
                             &out, NULL, &err);
    g_assert_no_error(err);
    g_ptr_array_free(argv, TRUE);
    g_free(domid);
    g_free(vcpus);
    if (!wait_ready(out)) {
        g_error("simh: xensim did not print READY");
    }
    close(out);
    g_setenv("XENSIM_SOCKET", h->socket, TRUE);
    return h;
}

const char *simh_socket(const simh *h)
{
    return h->socket;
}

const char *simh_dir(const simh *h)
{
    return h->dir;
}

char *simh_control_path(const simh *h)
{
    return g_build_filename(h->dir, "control.sock", NULL);
}

int simh_ctl(simh *h, const char *cmd, char **out)
{
    g_autofree char *sock = simh_control_path(h);
    g_auto(GStrv) words = g_strsplit(cmd, " ", -1);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    int status = -1;

    g_assert_nonnull(g_getenv("HVMEMU_CTL_BIN"));
    g_ptr_array_add(argv, (gpointer)g_getenv("HVMEMU_CTL_BIN"));
    g_ptr_array_add(argv, "--socket");
    g_ptr_array_add(argv, sock);
    for (char **w = words; *w; w++) {
        g_ptr_array_add(argv, *w);
    }
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL, out, NULL,
                               &status, NULL));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *simh_plot(const char *script, const char *in, const char *png)
{
    const char *argv[] = { "/usr/bin/python3", script, in, png, NULL };
    g_autofree char *data = NULL;
    char *out = NULL;
    gsize len = 0;
    int status = -1;

    g_assert_nonnull(script);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, NULL, &status, NULL));
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    g_assert_true(g_file_get_contents(png, &data, &len, NULL));
    g_assert_cmpuint(len, >, 1000);
    g_assert_cmpint(memcmp(data, "\x89PNG", 4), ==, 0);
    return out;
}

const char *simh_xenstore_path(const simh *h)
{
    return h->store_socket;
}

pid_t simh_hvmemu_pid(const simh *h)
{
    return h->dm_pid;
}

xs_guest *simh_guest(simh *h, unsigned vcpu)
{
    int err = 0;
    xs_guest *g = xs_guest_connect(h->socket, vcpu, &err);

    if (!g) {
        g_error("simh: guest vCPU %u: %s", vcpu, xs_guest_strerror(err));
    }
    g_ptr_array_add(h->guests, g);
    return g;
}

xs_guest *simh_control(simh *h)
{
    return simh_guest(h, XS_GUEST_CONTROL);
}

static char **dm_env(void)
{
    char **env = g_get_environ();
    const char *old = g_environ_getenv(env, "LD_LIBRARY_PATH");
    char *path = old && *old ?
        g_strdup_printf("%s:%s", need_env("XENSIM_LIBDIR"), old) :
        g_strdup(need_env("XENSIM_LIBDIR"));

    env = g_environ_setenv(env, "LD_LIBRARY_PATH", path, TRUE);
    g_free(path);
    return env;
}

bool simh_start_hvmemu(simh *h, const char *const *args,
                       unsigned want_servers)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    GError *err = NULL;
    char **env = dm_env();

    g_ptr_array_add(argv, g_strdup(need_env("HVMEMU_BIN")));
    g_ptr_array_add(argv, g_strdup("--domid"));
    g_ptr_array_add(argv, g_strdup_printf("%u", h->domid));
    if (verbose()) {
        g_ptr_array_add(argv, g_strdup("-v"));
    }
    bool own_control = false;
    for (unsigned i = 0; args && args[i]; i++) {
        g_ptr_array_add(argv, g_strdup(args[i]));
        own_control |= g_str_has_prefix(args[i], "--control");
    }
    /* Tests run in parallel, all as domain 1: each its own socket. */
    if (!own_control) {
        g_ptr_array_add(argv, g_strdup("--control"));
        g_ptr_array_add(argv, simh_control_path(h));
    }
    g_ptr_array_add(argv, NULL);
    bool ok = g_spawn_async(NULL, (char **)argv->pdata, env,
                            G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent,
                            GINT_TO_POINTER(SIGKILL), &h->dm_pid, &err);
    g_strfreev(env);
    g_ptr_array_free(argv, TRUE);
    if (!ok) {
        g_printerr("simh: cannot start hvmemu: %s\n", err->message);
        g_error_free(err);
        return false;
    }
    if (!want_servers) {
        return true;
    }
    /* Poll, so an early exit of hvmemu is noticed instead of waiting for
     * the whole timeout. */
    xs_guest *ctl = simh_control(h);
    int64_t deadline = simh_now_ms() + SIMH_START_MS;
    while (simh_now_ms() < deadline) {
        if (xs_guest_wait_servers(ctl, want_servers, 100, NULL) == 0) {
            return true;
        }
        int st = simh_wait_hvmemu(h, 0);
        if (st >= 0) {
            g_printerr("simh: hvmemu exited (status %d) before serving\n",
                       st);
            return false;
        }
    }
    g_printerr("simh: hvmemu did not register %u server(s)\n", want_servers);
    return false;
}

static int decode_status(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

int simh_wait_hvmemu(simh *h, int timeout_ms)
{
    int64_t deadline = simh_now_ms() + timeout_ms;

    if (!h->dm_pid) {
        return h->dm_status;
    }
    for (;;) {
        int status;
        pid_t r = waitpid(h->dm_pid, &status, WNOHANG);
        if (r == h->dm_pid) {
            g_spawn_close_pid(h->dm_pid);
            h->dm_pid = 0;
            h->dm_status = decode_status(status);
            return h->dm_status;
        }
        if (simh_now_ms() >= deadline) {
            return -1;
        }
        g_usleep(2000);
    }
}

int simh_stop_hvmemu(simh *h, int sig, int timeout_ms)
{
    if (!h->dm_pid) {
        return h->dm_status;
    }
    if (sig) {
        kill(h->dm_pid, sig);
    }
    int st = simh_wait_hvmemu(h, timeout_ms);
    if (st < 0) {
        g_printerr("simh: hvmemu still running %d ms after signal %d: "
                   "killing it\n", timeout_ms, sig);
        kill(h->dm_pid, SIGKILL);
        simh_wait_hvmemu(h, 5000);
        return -1;
    }
    return st;
}

void simh_kill_sim(simh *h)
{
    if (h->sim_pid) {
        kill(h->sim_pid, SIGKILL);
        waitpid(h->sim_pid, NULL, 0);
        g_spawn_close_pid(h->sim_pid);
        h->sim_pid = 0;
    }
}

void simh_free(simh *h)
{
    if (!h) {
        return;
    }
    if (h->dm_pid) {
        simh_stop_hvmemu(h, SIGKILL, 5000);
    }
    for (guint i = 0; i < h->guests->len; i++) {
        xs_guest_close(g_ptr_array_index(h->guests, i));
    }
    g_ptr_array_free(h->guests, TRUE);
    if (h->sim_pid) {
        kill(h->sim_pid, SIGTERM);
        waitpid(h->sim_pid, NULL, 0);
        g_spawn_close_pid(h->sim_pid);
    }
    if (h->store_pid) {
        kill(h->store_pid, SIGTERM);
        waitpid(h->store_pid, NULL, 0);
        g_spawn_close_pid(h->store_pid);
    }
    g_unlink(h->socket);
    g_unlink(h->store_socket);
    {
        char *ctl = simh_control_path(h);
        g_unlink(ctl);
        g_free(ctl);
    }
    g_rmdir(h->dir);
    g_unsetenv("XENSIM_SOCKET");
    g_unsetenv("XENSTORED_PATH");
    g_free(h->socket);
    g_free(h->store_socket);
    g_free(h->dir);
    g_free(h);
}

int simh_run_hvmemu(const char *const *args, char **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    int status = -1;

    g_ptr_array_add(argv, (gpointer)g_getenv("HVMEMU_BIN"));
    for (; *args; args++) {
        g_ptr_array_add(argv, (gpointer)*args);
    }
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL, NULL, err,
                               &status, NULL));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
