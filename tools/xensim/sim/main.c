// SPDX-License-Identifier: MIT
/*
 * xensim: the simulated hypervisor process.
 *
 *   xensim --socket PATH [--domid 1] [--ram 64M] [--vcpus 1] [-v]
 *
 * Creates dom0 (where device models run) and one HVM guest domain, listens
 * on PATH for the replacement Xen libraries (XENSIM_SOCKET=PATH) and for
 * guest vCPU connections, prints "READY" on stdout, and runs until
 * SIGTERM/SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xensim.h"

static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    unsigned shift = 0;

    if (errno || end == s) {
        return false;
    }
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || (v << shift) >> shift != v) {
        return false;
    }
    *out = (uint64_t)v << shift;
    return true;
}

static bool parse_opts(int argc, char **argv, xs_opts *o)
{
    gchar *socket_path = NULL, *ram = NULL;
    gint domid = 1, vcpus = 1;
    gboolean verbose = FALSE, no_resource = FALSE;
    GOptionEntry entries[] = {
        { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
          "Unix socket to listen on (clients use XENSIM_SOCKET)", "PATH" },
        { "domid", 'd', 0, G_OPTION_ARG_INT, &domid,
          "Guest domain id (default 1)", "N" },
        { "ram", 'r', 0, G_OPTION_ARG_STRING, &ram,
          "Guest RAM size (default 64M)", "SIZE" },
        { "vcpus", 'c', 0, G_OPTION_ARG_INT, &vcpus,
          "Guest vCPUs (default 1)", "N" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
          "Trace every request, event and IRQ change on stderr", NULL },
        { "no-map-resource", 0, 0, G_OPTION_ARG_NONE, &no_resource,
          "Refuse xenforeignmemory_map_resource (EOPNOTSUPP, as privcmd "
          "without IOCTL_PRIVCMD_MMAP_RESOURCE): device models must use "
          "the legacy ioreq gfns", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("- simulated Xen for hvmemu");
    GError *err = NULL;
    bool ok = true;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "xensim: %s\n", err->message);
        g_error_free(err);
        ok = false;
    }
    g_option_context_free(ctx);
    o->ram_bytes = 64ull << 20;
    if (ok && ram && (!parse_size(ram, &o->ram_bytes) ||
                      o->ram_bytes < XS_PAGE_SIZE)) {
        fprintf(stderr, "xensim: bad --ram %s\n", ram);
        ok = false;
    }
    if (ok && (!socket_path || domid <= 0 ||
               (unsigned)domid >= DOMID_FIRST_RESERVED || vcpus < 1 ||
               vcpus > 128)) {
        fprintf(stderr, "xensim: need --socket PATH, 0 < --domid < %u, "
                "1 <= --vcpus <= 128\n", DOMID_FIRST_RESERVED);
        ok = false;
    }
    o->socket_path = socket_path;
    o->domid = (uint32_t)domid;
    o->vcpus = (unsigned)vcpus;
    o->verbose = verbose;
    o->no_map_resource = no_resource;
    g_free(ram);
    return ok;
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    unlink(path);   /* a stale socket from a killed run */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 64) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static void on_listen(void *opaque, uint32_t events)
{
    xs_conn_accept(opaque);
}

static void on_signal(void *opaque, uint32_t events)
{
    xs_sim *sim = opaque;
    struct signalfd_siginfo si;

    (void)!read(sim->signal_fd, &si, sizeof(si));
    xs_log(sim, "signal %u: exiting", si.ssi_signo);
    xs_loop_quit(sim->loop);
}

static int setup(xs_sim *sim)
{
    GError *err = NULL;
    sigset_t set;

    sim->domains = g_hash_table_new(g_direct_hash, g_direct_equal);
    sim->conns = g_ptr_array_new();
    sim->loop = xs_loop_new();
    if (!xs_domain_create(sim, 0, false, 0, 1, &err) ||
        !xs_domain_create(sim, sim->opts.domid, true, sim->opts.ram_bytes,
                          sim->opts.vcpus, &err)) {
        fprintf(stderr, "xensim: %s\n", err->message);
        g_error_free(err);
        return -1;
    }
    sim->listen_fd = listen_on(sim->opts.socket_path);
    if (sim->listen_fd < 0) {
        fprintf(stderr, "xensim: listen on %s: %s\n", sim->opts.socket_path,
                g_strerror(-sim->listen_fd));
        return -1;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sim->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
    /* Event pipes of dead device models must not kill us. */
    signal(SIGPIPE, SIG_IGN);
    xs_loop_add_fd(sim->loop, sim->listen_fd, on_listen, sim);
    xs_loop_add_fd(sim->loop, sim->signal_fd, on_signal, sim);
    return 0;
}

/* Free everything, so leak checkers see a clean exit. */
static void teardown(xs_sim *sim)
{
    GList *doms = g_hash_table_get_values(sim->domains);

    xs_conn_free_all(sim);
    for (GList *l = doms; l; l = l->next) {
        xs_domain_free(l->data);
    }
    g_list_free(doms);
    g_hash_table_destroy(sim->domains);
    g_ptr_array_free(sim->conns, TRUE);
    xs_loop_free(sim->loop);
    close(sim->listen_fd);
    close(sim->signal_fd);
    g_free((char *)sim->opts.socket_path);
    g_free(sim);
}

int main(int argc, char **argv)
{
    xs_sim *sim = g_new0(xs_sim, 1);

    if (!parse_opts(argc, argv, &sim->opts)) {
        return 2;
    }
    if (setup(sim) < 0) {
        return 1;
    }
    printf("READY %s domid=%u vcpus=%u ram=%" G_GUINT64_FORMAT "\n",
           sim->opts.socket_path, sim->opts.domid, sim->opts.vcpus,
           sim->opts.ram_bytes);
    fflush(stdout);
    xs_loop_run(sim->loop);
    unlink(sim->opts.socket_path);
    teardown(sim);
    return 0;
}
