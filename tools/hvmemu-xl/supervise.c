/* SPDX-License-Identifier: MIT */
/* The guest's lifecycle on hvmemu; see supervise.h. */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
/* Xen's headers need GNU C (anonymous unions), as in ioreq/. */
#undef __STRICT_ANSI__
#include <xenctrl.h>

#include "tools/hvmemu-xl/supervise.h"

/* xen/include/public/sched.h, SCHEDOP_shutdown reasons. */
enum { XEN_POWEROFF = 0, XEN_REBOOT = 1, XEN_SUSPEND = 2, XEN_CRASH = 3,
       XEN_WATCHDOG = 4, XEN_SOFT_RESET = 5 };

/* More restarts than this within RESTART_WINDOW_S: a boot loop; stop. */
#define RESTART_BURST     5
#define RESTART_WINDOW_S  60

bool hvxl_xl(const hvxl_opts *o, unsigned timeout_s, char **out,
             const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autofree char *errout = NULL;
    int status = -1;

    /* coreutils' timeout: a wedged xl never wedges the supervisor. */
    g_ptr_array_add(argv, g_strdup("timeout"));
    g_ptr_array_add(argv, g_strdup_printf("%u", timeout_s));
    g_ptr_array_add(argv, g_strdup(o->xl));
    for (; *args; args++) {
        g_ptr_array_add(argv, g_strdup(*args));
    }
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                      NULL, NULL, out, &errout, &status, &err)) {
        fprintf(stderr, "hvmemu-xl: %s: %s\n", o->xl, err->message);
        return false;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_autofree char *cmd = g_strjoinv(" ", (char **)argv->pdata + 2);

        fprintf(stderr, "hvmemu-xl: '%s' failed%s%s", cmd,
                errout && *errout ? ": " : "\n", errout ? errout : "");
        return false;
    }
    return true;
}

/* ---- one boot ---- */

typedef struct boot {
    const hvxl_cfg *c;
    const hvxl_opts *o;
    uint32_t domid;
    GMainLoop *loop;
    GPid pid;
    int out_fd;
    GString *line;           /* hvmemu output not yet a whole line */
    char last[256];          /* its last line (for errors) */
    bool ready, exited;
    int status;
    bool stopping;           /* SIGTERM/SIGINT seen */
    guint stop_timer;
    bool told_to_stop;       /* hvmemu got SIGTERM: its domain shut down */
} boot;

/* xl VERB DOMID (pause, unpause, destroy) on this boot's domain. */
static bool xl_domain(boot *b, const char *verb)
{
    g_autofree char *id = g_strdup_printf("%u", b->domid);
    const char *args[] = { verb, id, NULL };

    return hvxl_xl(b->o, 60, NULL, args);
}

static void boot_line(boot *b, const char *l)
{
    printf("%s\n", l);
    fflush(stdout);
    g_strlcpy(b->last, l, sizeof(b->last));
    if (g_str_equal(l, "hvmemu: READY")) {
        b->ready = true;
        g_main_loop_quit(b->loop);
    }
}

/* hvmemu's stdout and stderr, forwarded line by line (journald). */
static gboolean on_output(gint fd, GIOCondition cond, gpointer opaque)
{
    boot *b = opaque;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    char *nl;

    if (n <= 0) {
        if (b->line->len) {
            boot_line(b, b->line->str);
            g_string_truncate(b->line, 0);
        }
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(b->line, buf, n);
    while ((nl = memchr(b->line->str, '\n', b->line->len))) {
        *nl = '\0';
        boot_line(b, b->line->str);
        g_string_erase(b->line, 0, nl - b->line->str + 1);
    }
    return G_SOURCE_CONTINUE;
}

static void on_exit_cb(GPid pid, gint status, gpointer opaque)
{
    boot *b = opaque;

    b->exited = true;
    b->status = status;
    g_spawn_close_pid(pid);
    g_main_loop_quit(b->loop);
}

static gboolean on_timeout(gpointer opaque)
{
    g_main_loop_quit(((boot *)opaque)->loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_stop_timeout(gpointer opaque)
{
    boot *b = opaque;

    b->stop_timer = 0;
    fprintf(stderr, "hvmemu-xl: %s did not shut down within %u s: xl "
            "destroy\n", b->c->name, b->o->stop_timeout_s);
    xl_domain(b, "destroy");
    return G_SOURCE_REMOVE;
}

static gboolean on_stop_signal(gpointer opaque)
{
    boot *b = opaque;
    g_autofree char *id = g_strdup_printf("%u", b->domid);
    /* -F: an ACPI power button if the guest has no PV shutdown. */
    const char *args[] = { "shutdown", "-F", id, NULL };

    if (b->stopping) {
        return G_SOURCE_CONTINUE;
    }
    b->stopping = true;
    printf("hvmemu-xl: stopping: xl shutdown %s (destroy after %u s)\n",
           b->c->name, b->o->stop_timeout_s);
    fflush(stdout);
    if (!b->ready) {
        return G_SOURCE_CONTINUE;     /* set-up: the caller destroys it */
    }
    hvxl_xl(b->o, 60, NULL, args);
    b->stop_timer = g_timeout_add_seconds(b->o->stop_timeout_s,
                                          on_stop_timeout, b);
    return G_SOURCE_CONTINUE;
}

static bool start_hvmemu(boot *b, GError **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(argv, g_strdup(b->o->hvmemu));
    g_ptr_array_add(argv, g_strdup("--domid"));
    g_ptr_array_add(argv, g_strdup_printf("%u", b->domid));
    for (guint i = 0; i < b->c->disks->len; i++) {
        g_ptr_array_add(argv, g_strdup("--disk"));
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(b->c->disks, i)));
    }
    for (guint i = 0; i < b->c->vifs->len; i++) {
        g_ptr_array_add(argv, g_strdup("--nic"));
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(b->c->vifs, i)));
    }
    for (char **a = b->c->extra_args; a && *a; a++) {
        g_ptr_array_add(argv, g_strdup(*a));
    }
    if (b->o->state_file) {
        g_ptr_array_add(argv, g_strdup("--restore"));
        g_ptr_array_add(argv, g_strdup(b->o->state_file));
    }
    g_ptr_array_add(argv, NULL);
    {
        g_autofree char *cmd = g_strjoinv(" ", (char **)argv->pdata);
        printf("hvmemu-xl: %s\n", cmd);
    }
    /* stdout and stderr into one pipe: one ordered stream of lines. */
    int fds[2];

    if (pipe2(fds, O_CLOEXEC) < 0) {
        g_set_error(err, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "pipe: %s",
                    g_strerror(errno));
        return false;
    }
    if (!g_spawn_async_with_pipes_and_fds(
            NULL, (const char *const *)argv->pdata, NULL,
            G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
            -1, fds[1], fds[1], NULL, NULL, 0, &b->pid, NULL, NULL, NULL,
            err)) {
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    close(fds[1]);
    b->out_fd = fds[0];
    g_child_watch_add(b->pid, on_exit_cb, b);
    g_unix_fd_add(b->out_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_output, b);
    return true;
}

/* Xen's view of the domain: false if it no longer exists. */
static bool domain_info(uint32_t domid, xc_dominfo_t *info)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    bool ok;

    if (!xch) {
        return false;
    }
    ok = xc_domain_getinfo(xch, domid, 1, info) == 1 && info->domid == domid;
    xc_interface_close(xch);
    return ok;
}

static const char *reason_name(unsigned r)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend",
                                         "crash", "watchdog", "soft_reset" };

    return r < G_N_ELEMENTS(names) ? names[r] : "unknown";
}

/*
 * hvmemu runs sandboxed by default: its Xen handles are restricted to the
 * guest and it has no xenctrl, so it sees the domain's destruction but not
 * a shutdown the launcher preserves (on_*="preserve" below). The launcher
 * watches for the shutdown and tells hvmemu to stop (SIGTERM: a clean
 * teardown, status 0) before it acts on the reason.
 */
#define SHUTDOWN_POLL_MS 500

static gboolean on_shutdown_poll(gpointer opaque)
{
    boot *b = opaque;
    xc_dominfo_t info;

    if (b->exited || b->told_to_stop) {
        return G_SOURCE_CONTINUE;
    }
    if (!domain_info(b->domid, &info) || info.dying) {
        b->told_to_stop = true;
        kill(b->pid, SIGTERM);
    } else if (info.shutdown && info.shutdown_reason == XEN_SUSPEND) {
        /* xl save or migrate: the guest may resume here (save -p, -c, a
         * failed migration); hvmemu must keep its state until then, or
         * until the domain is destroyed (it sees that itself and hands
         * a waiting "save-state at-exit" its state). */
    } else if (info.shutdown) {
        b->told_to_stop = true;
        kill(b->pid, SIGTERM);
    }
    return G_SOURCE_CONTINUE;
}

typedef enum boot_end { BOOT_DONE, BOOT_RESTART, BOOT_FAILED } boot_end;

/* The paused domain of this boot: created, restored or already there. */
static bool boot_domain(boot *b)
{
    const char *create[] = { "create", "-p", "-e", b->c->path,
                             "on_poweroff=\"preserve\"",
                             "on_reboot=\"preserve\"",
                             "on_crash=\"preserve\"", NULL };
    /* The saved config keeps the on_*="preserve" it was created with. */
    const char *restore[] = { "restore", "-p", "-e", b->o->save_file, NULL };

    switch (b->o->first) {
    case HVXL_FIRST_RESTORE:
        return hvxl_xl(b->o, 600, NULL, restore);
    case HVXL_FIRST_ADOPT:
        return true;
    default:
        return hvxl_xl(b->o, 300, NULL, create);
    }
}

static boot_end boot_run(boot *b)
{
    const char *domid_args[] = { "domid", b->c->name, NULL };
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    xc_dominfo_t info;
    hvxl_action act;
    guint sigterm, sigint, timer, poll;

    if (!boot_domain(b) || !hvxl_xl(b->o, 30, &out, domid_args)) {
        return BOOT_FAILED;
    }
    {
        guint64 d = 0;

        /* Never act on dom0 (or nonsense) because xl printed something
         * unexpected: guests are 1 .. DOMID_FIRST_RESERVED - 1. */
        if (!g_ascii_string_to_unsigned(g_strstrip(out), 10, 1, 0x7fef, &d,
                                        NULL)) {
            fprintf(stderr, "hvmemu-xl: 'xl domid %s' printed '%s', not a "
                    "guest's domid\n", b->c->name, out);
            return BOOT_FAILED;
        }
        b->domid = (uint32_t)d;
    }
    printf("hvmemu-xl: %s: domain %u %s paused\n", b->c->name, b->domid,
           b->o->first == HVXL_FIRST_RESTORE ? "restored"
           : b->o->first == HVXL_FIRST_ADOPT ? "migrated in, waiting"
                                             : "created");
    sigterm = g_unix_signal_add(SIGTERM, on_stop_signal, b);
    sigint = g_unix_signal_add(SIGINT, on_stop_signal, b);
    if (!start_hvmemu(b, &err)) {
        fprintf(stderr, "hvmemu-xl: %s: %s\n", b->o->hvmemu, err->message);
        goto destroy;
    }
    /* Never unpause before READY: the guest's first accesses would go to
     * QEMU. */
    timer = g_timeout_add_seconds(b->o->ready_timeout_s, on_timeout, b);
    g_main_loop_run(b->loop);
    if (!b->ready) {
        fprintf(stderr, "hvmemu-xl: hvmemu %s (%s); the paused domain is "
                "destroyed\n", b->exited ? "exited during set-up"
                                          : "not READY in time", b->last);
        if (!b->exited) {
            kill(b->pid, SIGTERM);
        } else {
            g_source_remove(timer);
        }
        goto destroy;
    }
    g_source_remove(timer);
    if (b->stopping) {                /* the signal came during set-up */
        kill(b->pid, SIGTERM);
        goto destroy;
    }
    if (!xl_domain(b, "unpause")) {
        kill(b->pid, SIGTERM);
        goto destroy;
    }
    printf("hvmemu-xl: %s: domain %u running on hvmemu\n", b->c->name,
           b->domid);
    fflush(stdout);
    if (b->o->on_running) {
        b->o->on_running(b->o->opaque);
    }
    /* hvmemu exits when the domain goes away, or when told to (the
     * domain shut down: on_shutdown_poll). */
    poll = g_timeout_add(SHUTDOWN_POLL_MS, on_shutdown_poll, b);
    while (!b->exited) {
        g_main_loop_run(b->loop);
    }
    g_source_remove(poll);
    g_source_remove(sigterm);
    g_source_remove(sigint);
    if (b->stop_timer) {
        g_source_remove(b->stop_timer);
    }
    if (!domain_info(b->domid, &info) || info.dying) {
        printf("hvmemu-xl: %s: domain %u is gone\n", b->c->name, b->domid);
        return BOOT_DONE;
    }
    if (!info.shutdown) {
        /* Its devices are gone while it runs: stop it before its I/O
         * hangs or QEMU answers in hvmemu's place. */
        fprintf(stderr, "hvmemu-xl: hvmemu exited (%s) while %s runs: the "
                "domain is paused; 'xl destroy %s' ends it\n", b->last,
                b->c->name, b->c->name);
        xl_domain(b, "pause");
        return BOOT_FAILED;
    }
    switch (info.shutdown_reason) {
    case XEN_POWEROFF: act = b->c->on_poweroff; break;
    case XEN_REBOOT:
    case XEN_SOFT_RESET: act = b->c->on_reboot; break;
    case XEN_SUSPEND: act = HVXL_PRESERVE; break;     /* left to xl */
    default: act = b->c->on_crash; break;
    }
    if (b->stopping && act == HVXL_RESTART) {
        act = HVXL_DESTROY;           /* asked to stop: no new boot */
    }
    printf("hvmemu-xl: %s: domain %u shut down (%s): %s\n", b->c->name,
           b->domid, reason_name(info.shutdown_reason),
           hvxl_action_name(act));
    fflush(stdout);
    if (act == HVXL_PRESERVE) {
        return BOOT_DONE;
    }
    if (!xl_domain(b, "destroy")) {
        return BOOT_FAILED;
    }
    return act == HVXL_RESTART ? BOOT_RESTART : BOOT_DONE;

destroy:
    xl_domain(b, "destroy");
    while (b->pid && !b->exited) {
        g_main_loop_run(b->loop);
    }
    g_source_remove(sigterm);
    g_source_remove(sigint);
    return b->stopping ? BOOT_DONE : BOOT_FAILED;
}

int hvxl_supervise(const hvxl_cfg *c, const hvxl_opts *o)
{
    gint64 restarts[RESTART_BURST] = { 0 };
    bool first = true;

    for (unsigned n = 0;; n++) {
        g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
        boot b = { .c = c, .o = o, .loop = loop, .out_fd = -1,
                   .line = g_string_new(NULL) };
        hvxl_opts once = *o;
        boot_end end;

        if (!first) {
            once.on_running = NULL;
            once.first = HVXL_FIRST_CREATE;     /* a reboot: a new domain */
            once.state_file = NULL;
        }
        b.o = &once;
        end = boot_run(&b);
        if (b.out_fd >= 0) {
            close(b.out_fd);
        }
        g_string_free(b.line, TRUE);
        first = false;
        if (end != BOOT_RESTART) {
            return end == BOOT_DONE ? 0 : 1;
        }
        /* The oldest of the last RESTART_BURST restarts: too recent? */
        if (restarts[n % RESTART_BURST] &&
            g_get_monotonic_time() - restarts[n % RESTART_BURST] <
                RESTART_WINDOW_S * G_TIME_SPAN_SECOND) {
            fprintf(stderr, "hvmemu-xl: %s rebooted %d times within %d s: "
                    "not restarting it again\n", c->name, RESTART_BURST,
                    RESTART_WINDOW_S);
            return 1;
        }
        restarts[n % RESTART_BURST] = g_get_monotonic_time();
        printf("hvmemu-xl: %s: restarting on hvmemu\n", c->name);
    }
}
