/* SPDX-License-Identifier: MIT */
/*
 * Turning --device / --disk / --nic into devices on a context.
 * --disk specs are collected into one PIIX IDE controller (disk0..disk3
 * options, verbatim); each --nic becomes one e1000.
 */
#include <stdio.h>
#include <string.h>

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/devices.h"
#include "tools/hvmemu/twin_images.h"

bool hvmemu_check_device_specs(const hvmemu_options *o);

/*
 * Dry run: create every device on an in-memory host and destroy it again,
 * so a bad option is reported (exit 2) before hvmemu touches Xen.
 */
static int dry_run(const hvmemu_options *o)
{
    hv_memhost *mh = hv_memhost_new(4096);
    hv_loop *loop = hv_loop_new();
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, loop);
    hvmemu_twin_images *twins = hvmemu_twin_images_load(o);
    g_autoptr(GError) err = NULL;
    int status = 0;

    hvmemu_twin_images_attach(twins, ctx);
    if (!hvmemu_create_devices(ctx, o, &err)) {
        fprintf(stderr, "hvmemu: %s\n", err->message);
        status = err->domain == HV_ERROR && err->code == HV_ERROR_INVAL ? 2
                                                                       : 1;
    }
    hv_ctx_free(ctx);
    hvmemu_twin_images_free(twins);
    hv_loop_free(loop);
    hv_memhost_free(mh);
    return status;
}

int hvmemu_check_devices(const hvmemu_options *o)
{
    return hvmemu_check_device_specs(o) ? dry_run(o) : 2;
}

bool hvmemu_check_device_specs(const hvmemu_options *o)
{
    for (char **d = o->devices; d && *d; d++) {
        g_autofree char *name = g_strndup(*d, strcspn(*d, ","));
        g_autoptr(GError) err = NULL;
        hv_opts *opts;

        if (!hv_device_class_find(name)) {
            fprintf(stderr, "hvmemu: --device %s: unknown device class '%s' "
                    "(see --help)\n", *d, name);
            return false;
        }
        opts = hv_opts_parse(strchr(*d, ',') ? strchr(*d, ',') + 1 : "",
                             &err);
        if (!opts) {
            fprintf(stderr, "hvmemu: --device %s: %s\n", *d, err->message);
            return false;
        }
        hv_opts_free(opts);
    }
    if (o->disks && g_strv_length(o->disks) > 4) {
        fprintf(stderr, "hvmemu: at most 4 --disk (hda..hdd)\n");
        return false;
    }
    return true;
}

static bool create_class(hv_ctx *ctx, const char *cls_name, hv_opts *opts,
                         GError **err)
{
    const hv_device_class *cls = hv_device_class_find(cls_name);

    if (!cls) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "device class '%s' is not built into this hvmemu",
                    cls_name);
        return false;
    }
    return hv_device_create_opts(ctx, cls, opts, err) != NULL;
}

static bool create_ide(hv_ctx *ctx, char **disks, GError **err)
{
    hv_opts *opts = hv_opts_parse("", err);
    bool ok;

    for (unsigned i = 0; disks[i]; i++) {
        g_autofree char *key = g_strdup_printf("disk%u", i);
        hv_opts_set(opts, key, disks[i]);
    }
    ok = create_class(ctx, "piix-ide", opts, err);
    hv_opts_free(opts);
    return ok;
}

static bool has_device(const hvmemu_options *o, const char *cls)
{
    for (char **d = o->devices; d && *d; d++) {
        size_t n = strcspn(*d, ",");

        if (strlen(cls) == n && !strncmp(*d, cls, n)) {
            return true;
        }
    }
    return false;
}

/* hvmemu answers the unplug protocol when it is on and there is something
 * to unplug (or the user placed the ports with --device xen-platform, to
 * set a blacklist): a testdev-only hvmemu leaves the ports to QEMU. */
bool hvmemu_answers_unplug(const hvmemu_options *o)
{
    return o->unplug_protocol &&
           (has_device(o, "xen-platform") || o->disks || o->nics ||
            has_device(o, "piix-ide") || has_device(o, "e1000"));
}

static bool create_platform(hv_ctx *ctx, const hvmemu_options *o,
                            GError **err)
{
    hv_opts *opts;
    bool ok;

    if (!hvmemu_answers_unplug(o) || has_device(o, "xen-platform")) {
        return true;
    }
    opts = hv_opts_parse("", err);
    ok = opts && create_class(ctx, "xen-platform", opts, err);
    hv_opts_free(opts);
    return ok;
}

bool hvmemu_create_devices(hv_ctx *ctx, const hvmemu_options *o,
                           GError **err)
{
    for (char **d = o->devices; d && *d; d++) {
        if (!hv_device_create(ctx, *d, err)) {
            g_prefix_error(err, "--device %s: ", *d);
            return false;
        }
    }
    if (o->disks && !create_ide(ctx, o->disks, err)) {
        g_prefix_error(err, "--disk: ");
        return false;
    }
    for (char **n = o->nics; n && *n; n++) {
        hv_opts *opts = hv_opts_parse(*n, err);
        bool ok = opts && create_class(ctx, "e1000", opts, err);
        hv_opts_free(opts);
        if (!ok) {
            g_prefix_error(err, "--nic %s: ", *n);
            return false;
        }
    }
    if (!create_platform(ctx, o, err)) {
        g_prefix_error(err, "--unplug-protocol: ");
        return false;
    }
    return true;
}
