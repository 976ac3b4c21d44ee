/* SPDX-License-Identifier: MIT */
/*
 * Save and migrate a guest served by hvmemu (docs/save-restore.md): xl
 * moves the memory and QEMU's devices, hvmemu-ctl takes hvmemu's device
 * state at the point where the guest can no longer touch a device, and
 * the next hvmemu starts from it (--restore) before the guest runs again.
 *
 *   save:    a guest with PV drivers suspends itself (its devices
 *            quiesced first): xl save -p, then the device state, then xl
 *            destroy. A guest without them is refused (see hvxl_save).
 *   migrate: hvmemu-ctl save-state at-exit is waiting while xl migrate
 *            runs (the guest keeps running and hvmemu marks every page
 *            its DMA writes dirty); once xl has the guest suspended on
 *            the new side it destroys this one, hvmemu sees that and
 *            answers with its state; the new side's paused domain then
 *            gets a new hvmemu started from it (hvmemu-xl adopt).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#undef __STRICT_ANSI__
#include <xenctrl.h>
#include <xen/hvm/params.h>

#include "tools/hvmemu-xl/saverestore.h"

static const char *ctl_bin(void)
{
    const char *v = g_getenv("HVMEMU_CTL");

    return v && *v ? v : "hvmemu-ctl";
}

char *hvxl_state_path(const char *save_file)
{
    return g_strdup_printf("%s.hvmemu", save_file);
}

/* The domid of @name (a running guest), 0 if there is none. */
static uint32_t domid_of(const hvxl_opts *o, const char *name)
{
    const char *args[] = { "domid", name, NULL };
    g_autofree char *out = NULL;
    guint64 d = 0;

    if (!hvxl_xl(o, 30, &out, args) ||
        !g_ascii_string_to_unsigned(g_strstrip(out), 10, 1, 0x7fef, &d,
                                    NULL)) {
        return 0;
    }
    return (uint32_t)d;
}

/* The guest answers xl's suspend request itself (PV drivers: an event
 * channel upcall is registered), so it quiesces its devices first. */
static bool guest_suspends_itself(uint32_t domid)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    uint64_t cb = 0;

    if (!xch) {
        return false;
    }
    if (xc_hvm_param_get(xch, domid, HVM_PARAM_CALLBACK_IRQ, &cb) < 0) {
        cb = 0;
    }
    xc_interface_close(xch);
    return cb != 0;
}

/* Only a guest that suspends itself can be saved or migrated: xl would
 * stop another wherever it is (xc_domain_shutdown), possibly with disk
 * requests in flight whose DMA then lands after xl copied the page.
 * Pausing it first does not help: a vCPU paused while it waits for an
 * I/O response defers the shutdown until it runs again, and xl's suspend
 * times out (seen in the lab). Refused, rather than a guest that comes
 * back corrupt. */
static bool suspends_itself(uint32_t domid, const char *name,
                            const char *what)
{
    if (guest_suspends_itself(domid)) {
        return true;
    }
    fprintf(stderr, "hvmemu-xl: %s has no PV drivers (no event channel "
            "upcall): xl would stop it in the middle of its disk I/O; not "
            "%s. Boot it with its PV drivers (Linux: not xen_nopv), or "
            "shut it down.\n", name, what);
    return false;
}

/* hvmemu-ctl --domid N save-state FILE [at-exit]: spawned, its pid. */
static GPid ctl_save_spawn(uint32_t domid, const char *file, bool at_exit,
                           GError **err)
{
    g_autofree char *d = g_strdup_printf("%u", domid);
    const char *argv[] = { ctl_bin(), "--domid", d, "--timeout",
                           at_exit ? "0" : "60000", "save-state", file,
                           at_exit ? "at-exit" : NULL, NULL };
    GPid pid = 0;

    if (!g_spawn_async(NULL, (char **)argv, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                       NULL, NULL, &pid, err)) {
        return 0;
    }
    return pid;
}

static bool child_ok(GPid pid, const char *what)
{
    int status;

    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "hvmemu-xl: %s failed\n", what);
        return false;
    }
    return true;
}

static bool ctl_save(uint32_t domid, const char *file)
{
    g_autoptr(GError) err = NULL;
    GPid pid = ctl_save_spawn(domid, file, false, &err);

    if (!pid) {
        fprintf(stderr, "hvmemu-xl: %s: %s\n", ctl_bin(), err->message);
        return false;
    }
    return child_ok(pid, "hvmemu-ctl save-state");
}

int hvxl_save(const hvxl_opts *o, const char *name, const char *file)
{
    g_autofree char *state = hvxl_state_path(file);
    g_autofree char *id = NULL;
    uint32_t domid = domid_of(o, name);

    if (!domid) {
        fprintf(stderr, "hvmemu-xl: no running guest '%s'\n", name);
        return 1;
    }
    id = g_strdup_printf("%u", domid);
    if (!suspends_itself(domid, name, "saved")) {
        return 1;
    }
    printf("hvmemu-xl: %s (domain %u): saving to %s and %s (the guest "
           "suspends itself)\n", name, domid, file, state);
    fflush(stdout);
    {
        const char *save[] = { "save", "-p", id, file, NULL };
        const char *unpause[] = { "unpause", id, NULL };
        const char *destroy[] = { "destroy", id, NULL };

        /* -p: after xl wrote the memory the domain stays, paused, and
         * its devices quiet (the guest froze them before suspending). */
        if (!hvxl_xl(o, 900, NULL, save)) {
            return 1;       /* xl resumed the guest itself */
        }
        if (!ctl_save(domid, state)) {
            fprintf(stderr, "hvmemu-xl: the device state was not saved: "
                    "%s continues\n", name);
            hvxl_xl(o, 60, NULL, unpause);
            return 1;
        }
        return hvxl_xl(o, 60, NULL, destroy) ? 0 : 1;
    }
}

/* On the same host xl needs no ssh: its "ssh HOST xl migrate-receive"
 * becomes a local xl migrate-receive. */
#define LOCAL_SSH "sh -c 'shift; exec \"$@\"' ssh"

static bool is_local(const char *host)
{
    return g_str_equal(host, "localhost") || g_str_equal(host, "127.0.0.1");
}

int hvxl_migrate(const hvxl_opts *o, const hvxl_cfg *c, const char *host,
                 const char *ssh, const char *state)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *id = NULL;
    uint32_t domid = domid_of(o, c->name);
    GPid waiter;

    if (!domid) {
        fprintf(stderr, "hvmemu-xl: no running guest '%s'\n", c->name);
        return 1;
    }
    if (!suspends_itself(domid, c->name, "migrated")) {
        return 1;
    }
    if (!ssh && !is_local(host)) {
        fprintf(stderr, "hvmemu-xl: migrating to %s needs -s SSHCOMMAND "
                "(the state goes the same way)\n", host);
        return 2;
    }
    id = g_strdup_printf("%u", domid);
    /* First: the answer that comes when this side's domain is gone. */
    waiter = ctl_save_spawn(domid, state, true, &err);
    if (!waiter) {
        fprintf(stderr, "hvmemu-xl: %s: %s\n", ctl_bin(), err->message);
        return 1;
    }
    g_usleep(200 * 1000);   /* its request is in before xl starts */
    printf("hvmemu-xl: %s (domain %u): migrating to %s\n", c->name, domid,
           host);
    fflush(stdout);
    {
        const char *migrate[] = { "migrate", "-p", "-e", "-s",
                                  ssh ? ssh : LOCAL_SSH, id, host, NULL };

        if (!hvxl_xl(o, 1800, NULL, migrate)) {
            /* xl resumed the guest here: hvmemu still serves it. */
            kill(waiter, SIGTERM);
            waitpid(waiter, NULL, 0);
            fprintf(stderr, "hvmemu-xl: migration failed; %s continues "
                    "here\n", c->name);
            return 1;
        }
    }
    if (!child_ok(waiter, "the device state at the source's end")) {
        fprintf(stderr, "hvmemu-xl: %s is paused on %s without its "
                "device state; 'xl destroy' it there\n", c->name, host);
        return 1;
    }
    printf("hvmemu-xl: %s: memory and devices moved; starting hvmemu on "
           "%s\n", c->name, host);
    fflush(stdout);
    return 0;
}
