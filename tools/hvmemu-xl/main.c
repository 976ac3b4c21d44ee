/* SPDX-License-Identifier: MIT */
/*
 * hvmemu-xl: run an HVM guest on hvmemu's devices through xl, for the
 * guest's whole life (docs/launcher.md).
 *
 *   hvmemu-xl create [-F] [--log FILE] guest.cfg
 *   hvmemu-xl save NAME|guest.cfg FILE
 *   hvmemu-xl restore [-F] [--log FILE] guest.cfg FILE
 *   hvmemu-xl migrate [-s SSHCOMMAND] [-F] [--log FILE] guest.cfg HOST
 *   hvmemu-xl adopt [-F] [--log FILE] guest.cfg STATEFILE
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
#include "tools/hvmemu-xl/saverestore.h"
#include "tools/hvmemu-xl/supervise.h"

#define HVXL_LOG_DIR "/var/log/hvmemu"

static void usage(void)
{
    fprintf(stderr,
            "usage: hvmemu-xl create [-F] [--log FILE] GUEST.cfg\n"
            "       hvmemu-xl save NAME|GUEST.cfg FILE\n"
            "       hvmemu-xl restore [-F] [--log FILE] GUEST.cfg FILE\n"
            "       hvmemu-xl migrate [-s SSHCOMMAND] [-F] [--log FILE] "
            "GUEST.cfg HOST\n"
            "       hvmemu-xl adopt [-F] [--log FILE] GUEST.cfg STATEFILE\n"
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

static char *guest_name(const char *arg);

static hvxl_opts default_opts(void)
{
    return (hvxl_opts){
        .xl = env_or("HVMEMU_XL_XL", "xl"),
        .hvmemu = env_or("HVMEMU_BIN", "hvmemu"),
        .stop_timeout_s = 120, .ready_timeout_s = 90,
    };
}

/* The supervisor of @c's guest: in the foreground, or detached once the
 * first boot runs (its log then in @log). */
static int supervise(hvxl_cfg *c, hvxl_opts *o, bool fg, char *log)
{
    g_autofree char *own_log = log;
    int pfd[2];
    detach d;
    pid_t pid;
    char ok;

    if (fg) {
        return hvxl_supervise(c, o);
    }
    if (!own_log) {
        g_mkdir_with_parents(HVXL_LOG_DIR, 0750);
        own_log = g_strdup_printf(HVXL_LOG_DIR "/%s.log", c->name);
    }
    if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
        fprintf(stderr, "hvmemu-xl: %s\n", g_strerror(errno));
        return 1;
    }
    if (pid == 0) {
        close(pfd[0]);
        setsid();
        d.fd = pfd[1];
        d.log = own_log;
        o->on_running = on_running;
        o->opaque = &d;
        /* Until the guest runs, errors go to the caller's terminal. */
        _exit(hvxl_supervise(c, o));
    }
    close(pfd[1]);
    if (read(pfd[0], &ok, 1) != 1) {
        return 1;           /* the child failed and said why */
    }
    printf("hvmemu-xl: %s runs on hvmemu; supervisor %d logs to %s\n",
           c->name, (int)pid, own_log);
    return 0;
}

/* create, restore, migrate, adopt: options, GUEST.cfg and @nargs more. */
typedef struct sup_args {
    gboolean fg;
    char *log;
    char *ssh;
    hvxl_cfg *c;
    char **rest;
} sup_args;

static bool parse_sup(const char *cmd, int argc, char **argv, int nargs,
                      const char *usage_args, sup_args *a)
{
    GOptionEntry entries[] = {
        { "foreground", 'F', 0, G_OPTION_ARG_NONE, &a->fg,
          "stay in the foreground (systemd)", NULL },
        { "log", 0, 0, G_OPTION_ARG_FILENAME, &a->log,
          "the supervisor's log once detached (default "
          HVXL_LOG_DIR "/NAME.log)", "FILE" },
        { "ssh", 's', 0, G_OPTION_ARG_STRING, &a->ssh,
          "migrate: how xl reaches HOST (default: none for localhost)",
          "SSHCOMMAND" },
        { NULL },
    };
    g_autoptr(GOptionContext) oc = g_option_context_new(usage_args);
    g_autoptr(GError) err = NULL;

    g_option_context_add_main_entries(oc, entries, NULL);
    if (!g_option_context_parse(oc, &argc, &argv, &err) ||
        argc != 2 + nargs) {
        fprintf(stderr, "hvmemu-xl %s: %s\n", cmd,
                err ? err->message : usage_args);
        return false;
    }
    if (!(a->c = hvxl_cfg_load(argv[1], &err))) {
        fprintf(stderr, "hvmemu-xl: %s\n", err->message);
        return false;
    }
    a->rest = argv + 2;
    return true;
}

/*
 * create GUEST.cfg:           xl create -p, hvmemu, unpause, supervise
 * restore GUEST.cfg FILE:     xl restore -p FILE, hvmemu --restore
 *                             FILE.hvmemu, unpause, supervise
 * adopt GUEST.cfg STATEFILE:  the domain waits paused (migrated in):
 *                             hvmemu --restore STATEFILE, unpause, ...
 */
static int cmd_supervised(hvxl_first first, int argc, char **argv)
{
    static const char *const names[] = { "create", "restore", "adopt" };
    static const char *const usage_args[] = {
        "GUEST.cfg", "GUEST.cfg FILE", "GUEST.cfg STATEFILE" };
    sup_args a = { 0 };
    hvxl_opts o = default_opts();
    g_autofree char *state = NULL;
    int rc;

    if (!parse_sup(names[first], argc, argv, first == HVXL_FIRST_CREATE ? 0
                                                                       : 1,
                   usage_args[first], &a)) {
        return 2;
    }
    o.first = first;
    if (first == HVXL_FIRST_RESTORE) {
        o.save_file = a.rest[0];
        o.state_file = state = hvxl_state_path(a.rest[0]);
        if (!g_file_test(state, G_FILE_TEST_IS_REGULAR)) {
            fprintf(stderr, "hvmemu-xl: %s: no device state beside the "
                    "save file (hvmemu-xl save writes both)\n", state);
            hvxl_cfg_free(a.c);
            return 2;
        }
    } else if (first == HVXL_FIRST_ADOPT) {
        o.state_file = a.rest[0];
    }
    rc = supervise(a.c, &o, a.fg, a.log);
    hvxl_cfg_free(a.c);
    return rc;
}

/* migrate GUEST.cfg HOST: xl migrate with hvmemu's state following; on
 * this host the new domain is adopted here, elsewhere through @ssh. */
static int cmd_migrate(int argc, char **argv)
{
    sup_args a = { 0 };
    hvxl_opts o = default_opts();
    g_autofree char *state = NULL;
    int rc;

    if (!parse_sup("migrate", argc, argv, 1, "GUEST.cfg HOST", &a)) {
        return 2;
    }
    state = g_strdup_printf("/var/lib/hvmemu/%s.migrate.hvmemu", a.c->name);
    g_mkdir_with_parents("/var/lib/hvmemu", 0700);
    rc = hvxl_migrate(&o, a.c, a.rest[0], a.ssh, state);
    if (rc == 0 && a.ssh) {
        /* The state to the same path there, then its adopt. */
        g_autofree char *cmd = g_strdup_printf(
            "%s %s 'mkdir -p /var/lib/hvmemu && cat > %s && hvmemu-xl adopt "
            "%s %s' < %s", a.ssh, a.rest[0], state, a.c->path, state, state);

        rc = system(cmd) == 0 ? 0 : 1;
    } else if (rc == 0) {
        o.first = HVXL_FIRST_ADOPT;
        o.state_file = state;
        rc = supervise(a.c, &o, a.fg, a.log);
    }
    hvxl_cfg_free(a.c);
    return rc;
}

static int cmd_save(int argc, char **argv)
{
    hvxl_opts o = default_opts();
    g_autofree char *name = NULL;

    if (argc != 3) {
        usage();
        return 2;
    }
    if (!(name = guest_name(argv[1]))) {
        return 2;
    }
    return hvxl_save(&o, name, argv[2]);
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
        return cmd_supervised(HVXL_FIRST_CREATE, argc - 1, argv + 1);
    }
    if (g_str_equal(argv[1], "save")) {
        return cmd_save(argc - 1, argv + 1);
    }
    if (g_str_equal(argv[1], "restore")) {
        return cmd_supervised(HVXL_FIRST_RESTORE, argc - 1, argv + 1);
    }
    if (g_str_equal(argv[1], "migrate")) {
        return cmd_migrate(argc - 1, argv + 1);
    }
    if (g_str_equal(argv[1], "adopt")) {
        return cmd_supervised(HVXL_FIRST_ADOPT, argc - 1, argv + 1);
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
