/* SPDX-License-Identifier: MIT */
/*
 * Option parsing with GOptionContext. --help lists every option and, below
 * them, every built-in device class with its own options, so the help text
 * cannot drift from the code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/options.h"

static int verbosity;

static gboolean count_verbose(const char *name, const char *value,
                              gpointer data, GError **err)
{
    verbosity++;
    return TRUE;
}

static char *device_help(void)
{
    GString *s = g_string_new("Device classes (--device CLASS,key=value,...):\n");

    for (unsigned i = 0; hv_builtin_classes[i]; i++) {
        const hv_device_class *c = hv_builtin_classes[i];
        g_auto(GStrv) lines = g_strsplit(c->options_help ? c->options_help : "",
                                         "\n", -1);
        g_string_append_printf(s, "  %-10s %s\n", c->name, c->description);
        for (unsigned l = 0; lines[l] && *lines[l]; l++) {
            g_string_append_printf(s, "      %s\n", lines[l]);
        }
    }
    g_string_append(s,
        "\n--disk SPEC (xl disk syntax, attaches to the PIIX IDE controller):\n"
        "  file:/srv/guest.img,hda,w   phy:/dev/vg/guest,hdb,r\n"
        "  format=raw,vdev=hda,access=rw,target=/srv/guest.img\n"
        "  format=qcow2,vdev=hda,target=/srv/overlay.qcow2   (via qemu-nbd)\n"
        "  vdev=hda,reconnect=30,target=nbd://storage:10809/export\n"
        "  (docs/storage.md: NBD URIs, overlays, what a lost server does)\n"
        "\n--nic SPEC (xl vif syntax): mac=00:16:3e:xx:xx:xx,bridge=xenbr0,"
        "model=e1000\n"
        "\nExit status: 0 on SIGINT/SIGTERM or guest shutdown, 1 on a "
        "runtime error,\n2 on a bad option.\n");
    return g_string_free(s, FALSE);
}

static bool parse_u32(const char *what, const char *text, uint32_t max,
                      uint32_t *out)
{
    guint64 v;

    if (!text || !g_ascii_string_to_unsigned(text, 10, 0, max, &v, NULL)) {
        fprintf(stderr, "hvmemu: %s: '%s' is not a number in [0, %u]\n",
                what, text ? text : "", max);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* --poll-us: US (a fixed window), or adaptive[:US] (a window that follows
 * the guest, at most US; 100 µs when not given). */
#define HVMEMU_POLL_ADAPTIVE_US 100u

static bool parse_poll(const char *text, hvmemu_options *o)
{
    const char *rest;

    if (!g_str_has_prefix(text, "adaptive")) {
        return parse_u32("--poll-us", text, 1000000, &o->poll_us);
    }
    rest = text + strlen("adaptive");
    o->poll_adaptive = true;
    o->poll_us = HVMEMU_POLL_ADAPTIVE_US;
    if (*rest == '\0') {
        return true;
    }
    if (*rest != ':') {
        fprintf(stderr, "hvmemu: --poll-us: '%s': want US, adaptive or "
                "adaptive:US\n", text);
        return false;
    }
    if (!parse_u32("--poll-us adaptive", rest + 1, 1000000, &o->poll_us)) {
        return false;
    }
    if (o->poll_us == 0) {
        fprintf(stderr, "hvmemu: --poll-us adaptive:0 would never poll; "
                "give a ceiling of 1 µs or more\n");
        return false;
    }
    return true;
}

static bool parse_switch(const char *what, const char *text, bool dflt,
                         bool *out)
{
    if (!text) {
        *out = dflt;
    } else if (!g_ascii_strcasecmp(text, "on")) {
        *out = true;
    } else if (!g_ascii_strcasecmp(text, "off")) {
        *out = false;
    } else {
        fprintf(stderr, "hvmemu: %s: '%s': want on or off\n", what, text);
        return false;
    }
    return true;
}

static bool check_options(hvmemu_options *o, const char *domid,
                          const char *poll, const char *trace,
                          const char *trace_events, const char *period)
{
    if (!domid) {
        fprintf(stderr, "hvmemu: --domid is required (see --help)\n");
        return false;
    }
    /* DOMID_FIRST_RESERVED is 0x7ff0; dom0 is never an HVM guest. */
    if (!parse_u32("--domid", domid, 0x7fef, &o->domid)) {
        return false;
    }
    if (o->domid == 0) {
        fprintf(stderr, "hvmemu: --domid 0 is dom0, not an HVM guest\n");
        return false;
    }
    if ((poll && !parse_poll(poll, o)) ||
        (trace && !parse_u32("--trace", trace, 1000000, &o->trace)) ||
        (trace_events && !parse_u32("--trace-events", trace_events,
                                    1u << 24, &o->trace_events)) ||
        (period && !parse_u32("--metrics-period", period, 86400,
                              &o->metrics_period))) {
        return false;
    }
    if (period && (!o->metrics_file || o->metrics_period == 0)) {
        fprintf(stderr, "hvmemu: --metrics-period: give 1 or more seconds, "
                "and --metrics-file\n");
        return false;
    }
    if (trace_events && !o->trace_file) {
        fprintf(stderr, "hvmemu: --trace-events sizes --trace-file's "
                "buffer: give --trace-file too\n");
        return false;
    }
    if (!o->devices && !o->disks && !o->nics) {
        fprintf(stderr, "hvmemu: nothing to emulate: give --disk, --nic "
                "or --device\n");
        return false;
    }
    return true;
}

bool hvmemu_parse_options(int argc, char **argv, hvmemu_options *o)
{
    g_autofree char *domid = NULL, *poll = NULL, *trace = NULL;
    g_autofree char *unplug = NULL, *guard = NULL, *control = NULL;
    g_autofree char *latency = NULL, *trace_events = NULL, *period = NULL;
    g_autofree char *sandbox = NULL;
    gboolean version = FALSE, no_buf = FALSE;
    GOptionEntry entries[] = {
        { "domid", 'd', 0, G_OPTION_ARG_STRING, &domid,
          "HVM guest to serve (required)", "N" },
        { "disk", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->disks,
          "Emulate an IDE disk (xl disk spec; repeatable)", "SPEC" },
        { "nic", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->nics,
          "Emulate an e1000 NIC (xl vif spec; repeatable)", "SPEC" },
        { "device", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->devices,
          "Add a device: CLASS[,key=value...] (repeatable)", "SPEC" },
        { "poll-us", 0, 0, G_OPTION_ARG_STRING, &poll,
          "Busy-poll for new requests this long before sleeping "
          "(default 0); adaptive[:US]: a window that follows the guest, "
          "at most US (100)", "US" },
        { "trace", 0, 0, G_OPTION_ARG_STRING, &trace,
          "Print the first N requests step by step", "N" },
        { "no-bufioreq", 0, 0, G_OPTION_ARG_NONE, &no_buf,
          "Do not use Xen's buffered ioreq ring", NULL },
        { "unplug-protocol", 0, 0, G_OPTION_ARG_STRING, &unplug,
          "Answer the Xen unplug protocol (ports 0x10-0x1f) for hvmemu's "
          "disks and NICs (default on; see docs/unplug.md)", "on|off" },
        { "control", 0, 0, G_OPTION_ARG_FILENAME, &control,
          "Control socket (default /run/hvmemu/DOMID.sock; none: no "
          "socket), for hvmemu-ctl", "PATH" },
        { "twin-guard", 0, 0, G_OPTION_ARG_STRING, &guard,
          "Remove an emulated disk whose storage the guest also uses as a "
          "PV disk (default on; off is DANGEROUS: one disk seen twice "
          "destroys filesystems)", "on|off" },
        { "latency", 0, 0, G_OPTION_ARG_STRING, &latency,
          "Latency histograms per region and interrupt line, in "
          "hvmemu-ctl stats and at exit (default off; hvmemu-ctl latency "
          "on|off switches it at run time)", "on|off" },
        { "trace-file", 0, 0, G_OPTION_ARG_FILENAME, &o->trace_file,
          "Record every request and interrupt into FILE (Trace Event JSON "
          "for Perfetto / chrome://tracing; hvmemu-ctl trace on|off)",
          "FILE" },
        { "trace-events", 0, 0, G_OPTION_ARG_STRING, &trace_events,
          "Events the trace buffer holds before it drops (default 65536, "
          "64 bytes each)", "N" },
        { "metrics-file", 0, 0, G_OPTION_ARG_FILENAME, &o->metrics_file,
          "Keep FILE up to date with Prometheus text (node_exporter's "
          "textfile collector; hvmemu-ctl metrics prints the same)", "FILE" },
        { "metrics-period", 0, 0, G_OPTION_ARG_STRING, &period,
          "Seconds between --metrics-file rewrites (default 10)", "S" },
        { "sandbox", 0, 0, G_OPTION_ARG_STRING, &sandbox,
          "Once set up: Xen handles restricted to the guest "
          "(xentoolcore_restrict_all) and a seccomp allow-list of system "
          "calls (default on; docs/sandbox.md)", "on|off" },
        { "runas", 0, 0, G_OPTION_ARG_STRING, &o->runas,
          "Once set up, drop root for this user (and group)",
          "USER[:GROUP]" },
        { "chroot", 0, 0, G_OPTION_ARG_FILENAME, &o->chroot_dir,
          "Once set up, chroot here (later paths, e.g. hvmemu-ctl insert, "
          "resolve inside it)", "DIR" },
        { "restore", 0, 0, G_OPTION_ARG_FILENAME, &o->restore,
          "Start from this device state (hvmemu-ctl save-state; the "
          "devices must be configured as when it was saved; "
          "docs/save-restore.md)", "FILE" },
        { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
          (gpointer)count_verbose, "More log output (repeat for debug)",
          NULL },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &version,
          "Print the version and exit", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) oc =
        g_option_context_new("- standalone Xen device model (ioreq server)");
    g_autofree char *help = device_help();
    g_autoptr(GError) err = NULL;

    g_option_context_add_main_entries(oc, entries, NULL);
    g_option_context_set_description(oc, help);
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        fprintf(stderr, "hvmemu: %s\n", err->message);
        return false;
    }
    if (version) {
        printf("hvmemu %s\n", HVMEMU_VERSION);
        exit(0);
    }
    if (argc > 1) {
        fprintf(stderr, "hvmemu: unexpected argument '%s'\n", argv[1]);
        return false;
    }
    o->no_bufioreq = no_buf;
    o->verbosity = verbosity;
    if (!parse_switch("--unplug-protocol", unplug, true,
                      &o->unplug_protocol) ||
        !parse_switch("--twin-guard", guard, true, &o->twin_guard) ||
        !parse_switch("--latency", latency, false, &o->latency) ||
        !parse_switch("--sandbox", sandbox, true, &o->sandbox)) {
        return false;
    }
    if (!check_options(o, domid, poll, trace, trace_events, period)) {
        return false;
    }
    if (!control) {
        o->control = g_strdup_printf(HVMEMU_CONTROL_DIR "/%u.sock", o->domid);
    } else if (g_strcmp0(control, "none") != 0) {
        o->control = g_steal_pointer(&control);
    }
    return true;
}

void hvmemu_free_options(hvmemu_options *o)
{
    g_strfreev(o->devices);
    g_strfreev(o->disks);
    g_strfreev(o->nics);
    g_free(o->control);
    g_free(o->trace_file);
    g_free(o->metrics_file);
    g_free(o->runas);
    g_free(o->chroot_dir);
    g_free(o->restore);
}
