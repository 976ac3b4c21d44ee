/* SPDX-License-Identifier: MIT */
/*
 * hvmemu-xl: run an HVM guest on hvmemu's devices through xl, for the
 * guest's whole life (docs/launcher.md).
 *
 *   hvmemu-xl create [-F] [--log FILE] guest.cfg
 *   hvmemu-xl shutdown [-w] NAME|guest.cfg
 *   hvmemu-xl destroy|console|list NAME|guest.cfg
 *
 * "create" returns once the guest runs, leaving a supervisor behind that
 * logs to --log (default /var/log/hvmemu/NAME.log); -F keeps it in the
 * foreground (systemd: hvmemu@.service).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/hvmemu-xl/guest_cfg.h"
#include "tools/hvmemu-xl/supervise.h"

#define HVXL_LOG_DIR "/var/log/hvmemu"

static void usage(void)
{
    fprintf(stderr,
            "usage: hvmemu-xl create [-F] [--log FILE] GUEST.cfg\n"
            "       hvmemu-xl shutdown [-w] NAME|GUEST.cfg\n"
            "       hvmemu-xl destroy|console|list NAME|GUEST.cfg\n");
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = g_getenv(name);

    return v && *v ? v : def;
}

/* Daemon mode: the parent waits for the first boot, then exits. */
typedef struct detach {
    int fd;                 /* write end to the waiting parent */
    const char *log;
} detach;

static void on_running(void *opaque)
{
    detach *d = opaque;
    int log = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

    if (log >= 0) {
        fflush(stdout);
        fflush(stderr);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        close(log);
    }
    if (write(d->fd, "", 1) != 1) {
        /* The parent is gone; the guest runs anyway. */
    }
    close(d->fd);
}

static int cmd_create(int argc, char **argv)
{
    gboolean fg = FALSE;
    g_autofree char *log = NULL;
    GOptionEntry entries[] = {
        { "foreground", 'F', 0, G_OPTION_ARG_NONE, &fg,
          "stay in the foreground (systemd)", NULL },
        { "log", 0, 0, G_OPTION_ARG_FILENAME, &log,
          "the supervisor's log once detached (default "
          HVXL_LOG_DIR "/NAME.log)", "FILE" },
        { NULL },
    };
    g_autoptr(GOptionContext) oc = g_option_context_new("GUEST.cfg");
    g_autoptr(GError) err = NULL;
    hvxl_opts o = {
        .xl = env_or("HVMEMU_XL_XL", "xl"),
        .hvmemu = env_or("HVMEMU_BIN", "hvmemu"),
        .stop_timeout_s = 120, .ready_timeout_s = 90,
    };
    hvxl_cfg *c;
    int pfd[2], rc;
    detach d;
    pid_t pid;
    char ok;

    g_option_context_add_main_entries(oc, entries, NULL);
    if (!g_option_context_parse(oc, &argc, &argv, &err) || argc != 2) {
        fprintf(stderr, "hvmemu-xl create: %s\n",
                err ? err->message : "give one guest config");
        return 2;
    }
    if (!(c = hvxl_cfg_load(argv[1], &err))) {
        fprintf(stderr, "hvmemu-xl: %s\n", err->message);
        return 2;
    }
    if (fg) {
        rc = hvxl_supervise(c, &o);
        hvxl_cfg_free(c);
        return rc;
    }
    if (!log) {
        g_mkdir_with_parents(HVXL_LOG_DIR, 0750);
        log = g_strdup_printf(HVXL_LOG_DIR "/%s.log", c->name);
    }
    if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
        fprintf(stderr, "hvmemu-xl: %s\n", g_strerror(errno));
        return 1;
    }
    if (pid == 0) {
        close(pfd[0]);
        setsid();
        d.fd = pfd[1];
        d.log = log;
        o.on_running = on_running;
        o.opaque = &d;
        /* Until the guest runs, errors go to the caller's terminal. */
        _exit(hvxl_supervise(c, &o));
    }
    close(pfd[1]);
    if (read(pfd[0], &ok, 1) != 1) {
        return 1;           /* the child failed and said why */
    }
    printf("hvmemu-xl: %s runs on hvmemu; supervisor %d logs to %s\n",
           c->name, (int)pid, log);
    hvxl_cfg_free(c);
    return 0;
}

/* NAME, or the name inside GUEST.cfg. */
static char *guest_name(const char *arg)
{
    g_autoptr(GError) err = NULL;
    hvxl_cfg *c;
    char *name;

    if (!g_file_test(arg, G_FILE_TEST_IS_REGULAR)) {
        return g_strdup(arg);
    }
    if (!(c = hvxl_cfg_load(arg, &err))) {
        fprintf(stderr, "hvmemu-xl: %s\n", err->message);
        return NULL;
    }
    name = g_strdup(c->name);
    hvxl_cfg_free(c);
    return name;
}

/* shutdown, destroy, console, list: xl's own, by name. The supervisor
 * sees the guest go and follows its on_* wishes. */
static int cmd_xl(const char *cmd, int argc, char **argv)
{
    const char *xl = env_or("HVMEMU_XL_XL", "xl");
    g_autofree char *name = NULL;
    bool wait = false;

    if (g_str_equal(cmd, "shutdown") && argc > 1 && g_str_equal(argv[1], "-w")) {
        wait = true;
        argv++;
        argc--;
    }
    if (argc == 1 && g_str_equal(cmd, "list")) {
        execlp(xl, xl, "list", (char *)NULL);
    } else if (argc != 2) {
        usage();
        return 2;
    }
    if (!(name = guest_name(argv[1]))) {
        return 2;
    }
    if (wait) {
        execlp(xl, xl, "shutdown", "-F", "-w", name, (char *)NULL);
    } else if (g_str_equal(cmd, "shutdown")) {
        execlp(xl, xl, "shutdown", "-F", name, (char *)NULL);
    } else {
        execlp(xl, xl, cmd, name, (char *)NULL);
    }
    fprintf(stderr, "hvmemu-xl: %s: %s\n", xl, g_strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage();
        return 2;
    }
    if (g_str_equal(argv[1], "create")) {
        return cmd_create(argc - 1, argv + 1);
    }
    if (g_str_equal(argv[1], "shutdown") || g_str_equal(argv[1], "destroy") ||
        g_str_equal(argv[1], "console") || g_str_equal(argv[1], "list")) {
        return cmd_xl(argv[1], argc - 1, argv + 1);
    }
    if (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h")) {
        usage();
        return 0;
    }
    fprintf(stderr, "hvmemu-xl: unknown command '%s'\n", argv[1]);
    usage();
    return 2;
}
