/* SPDX-License-Identifier: MIT */
/*
 * The daemon's life: attach to the guest, create devices, enable the ioreq
 * server, serve until SIGINT/SIGTERM or guest death, tear down in the order
 * that never leaves a vCPU waiting: devices quiesce first (backend I/O
 * drained, IRQs lowered, ranges released), then the Xen host completes any
 * request still in its slots and destroys the server.
 */
#define G_LOG_DOMAIN "hvmemu"
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/control.h"
#include "tools/hvmemu/daemon.h"
#include "tools/hvmemu/devices.h"
#include "tools/hvmemu/metrics.h"
#include "tools/hvmemu/pv_watch.h"
#include "tools/hvmemu/sandbox.h"
#include "tools/hvmemu/summary.h"
#include "tools/hvmemu/twin_images.h"

typedef struct daemon_signals {
    int fd;
    hv_watch *watch;
    hv_loop *loop;
} daemon_signals;

static void on_signal(void *opaque, uint32_t events)
{
    daemon_signals *s = opaque;
    struct signalfd_siginfo si;

    if (read(s->fd, &si, sizeof(si)) != sizeof(si)) {
        return;
    }
    g_message("%s: shutting down", strsignal((int)si.ssi_signo));
    hv_loop_quit(s->loop, 0);
}

static bool signals_init(daemon_signals *s, hv_loop *loop)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    /* Blocked so they arrive only through the signalfd, in the loop. */
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
        return false;
    }
    signal(SIGPIPE, SIG_IGN);
    s->loop = loop;
    s->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (s->fd < 0) {
        return false;
    }
    s->watch = hv_loop_add_fd(loop, s->fd, on_signal, s);
    return s->watch != NULL;
}

static void signals_fini(daemon_signals *s)
{
    if (s->watch) {
        hv_loop_remove(s->loop, s->watch);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
}

static void print_ready(const hvmemu_options *o, hv_ctx *ctx)
{
    printf("hvmemu: serving domain %u:", o->domid);
    for (unsigned i = 0; hv_builtin_classes[i]; i++) {
        hv_device *dev;
        for (unsigned n = 0;
             (dev = hv_ctx_find_device(ctx, hv_builtin_classes[i]->name, n));
             n++) {
            printf(" %s", dev->id);
        }
    }
    printf("\nhvmemu: READY\n");
    fflush(stdout);
}

/* --chroot and --runas are checked before anything is attached. */
static bool sandbox_prepare(const hvmemu_options *o, hvmemu_sandbox *sb,
                            GError **err)
{
    sb->seccomp = o->sandbox;
    sb->chroot_dir = o->chroot_dir;
    if (o->chroot_dir && !g_file_test(o->chroot_dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "--chroot %s: not a "
                    "directory", o->chroot_dir);
        return false;
    }
    return !o->runas || hvmemu_sandbox_resolve(o->runas, &sb->runas, err);
}

static int error_status(const GError *err)
{
    return err->domain == HV_ERROR && err->code == HV_ERROR_INVAL ? 2 : 1;
}

int hvmemu_run(const hvmemu_options *opts)
{
    hvmemu_options own = *opts;
    const hvmemu_options *o = &own;
    hv_xen_opts xo = { .poll_us = o->poll_us,
                       .poll_adaptive = o->poll_adaptive,
                       .no_bufioreq = o->no_bufioreq,
                       .trace = o->trace };
    daemon_signals sig = { .fd = -1 };
    hvmemu_sandbox sb = { 0 };
    g_autoptr(GError) err = NULL;
    hv_loop *loop = hv_loop_new();
    hv_xen *xen = NULL;
    hv_ctx *ctx = NULL;
    hvmemu_pv *pv = NULL;
    hvmemu_control *control = NULL;
    hv_tracefile *tracer = NULL;
    hvmemu_metrics *metrics = NULL;
    hvmemu_twin_images *twins = NULL;
    int status = 1;

    if (!sandbox_prepare(o, &sb, &err)) {
        goto out;
    }
    if (!loop || !signals_init(&sig, loop)) {
        g_critical("event loop: %s", g_strerror(errno));
        goto out;
    }
    xen = hv_xen_attach(o->domid, loop, &xo, &err);
    if (!xen) {
        goto out;
    }
    if (own.unplug_protocol && !hv_xen_platform_pci_present(own.domid)) {
        g_message("the guest has no Xen platform PCI device "
                  "(xen_platform_pci=0): no PV drivers, so hvmemu leaves "
                  "the unplug protocol unanswered");
        own.unplug_protocol = false;
    }
    ctx = hv_ctx_new(hv_xen_host_ops(), xen, loop);
    hv_xen_set_ctx(xen, ctx);
    hv_ctx_set_timing(ctx, o->latency);
    if (o->trace_file) {
        g_autofree char *proc = g_strdup_printf("hvmemu domain %u", o->domid);

        if (!(tracer = hv_tracefile_open(o->trace_file, o->trace_events,
                                         proc, &err))) {
            goto out;
        }
        hv_ctx_set_tracefile(ctx, tracer);
    }
    /* First: it is also the lock against a second hvmemu. */
    if (o->control && !(control = hvmemu_control_open(o->control, ctx, xen,
                                                       o->domid, loop,
                                                       &err))) {
        goto out;
    }
    hvmemu_control_set_sandbox(control, &sb);
    twins = hvmemu_twin_images_load(o);
    hvmemu_twin_images_attach(twins, ctx);
    if (!hvmemu_create_devices(ctx, o, &err)) {
        goto out;
    }
    /* Before the guest runs, while files can still be read. */
    if (o->restore) {
        if (!hv_ctx_load_state_file(ctx, o->restore, &err)) {
            g_prefix_error(&err, "--restore: ");
            goto out;
        }
        g_message("device state restored from %s", o->restore);
    }
    /* Before the xenstore connections that must outlive it are opened
     * (the restriction cuts libxenstore's). */
    if (o->sandbox && !hv_xen_restrict(xen, &err)) {
        goto out;
    }
    if (o->metrics_file &&
        !(metrics = hvmemu_metrics_start(o->metrics_file, o->metrics_period,
                                         ctx, xen, o->domid, loop, &err))) {
        goto out;
    }
    pv = hvmemu_pv_start(o, ctx, loop, &err);
    if (err || !hv_xen_enable(xen, &err) ||
        !hvmemu_sandbox_enter(&sb, &err)) {
        goto out;
    }
    hvmemu_pv_guest_running(pv);
    print_ready(o, ctx);
    status = hv_loop_run(loop);
    hvmemu_print_unplugs(ctx);
    if (o->trace || o->verbosity) {
        hvmemu_print_summary(ctx, xen);
    }
    hvmemu_print_latency(ctx, xen);
out:
    hvmemu_metrics_stop(metrics);
    hvmemu_control_close(control);
    hvmemu_pv_stop(pv);
    if (err) {
        fprintf(stderr, "hvmemu: %s\n", err->message);
        status = error_status(err);
    }
    if (xen) {
        hv_xen_set_ctx(xen, NULL);
    }
    hv_ctx_free(ctx);
    hvmemu_twin_images_free(twins);
    if (xen) {
        hv_xen_detach(xen);
    }
    hv_tracefile_close(tracer);     /* after the devices' last events */
    signals_fini(&sig);
    hv_loop_free(loop);
    return status;
}
