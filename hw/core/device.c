/* SPDX-License-Identifier: MIT */
/* Device creation from "class,key=value,..." specs. */
#define G_LOG_DOMAIN "device"
#include <string.h>

#include "hvmemu/device.h"

const hv_device_class *hv_device_class_find(const char *name)
{
    for (unsigned i = 0; hv_builtin_classes[i]; i++) {
        if (g_str_equal(hv_builtin_classes[i]->name, name)) {
            return hv_builtin_classes[i];
        }
    }
    return NULL;
}

static char *known_classes(void)
{
    GString *s = g_string_new(NULL);

    for (unsigned i = 0; hv_builtin_classes[i]; i++) {
        g_string_append_printf(s, "%s%s", i ? ", " : "",
                               hv_builtin_classes[i]->name);
    }
    return g_string_free(s, FALSE);
}

hv_device *hv_device_create_opts(hv_ctx *ctx, const hv_device_class *cls,
                                 hv_opts *opts, GError **err)
{
    hv_device *dev;
    unsigned n = 0;
    const char *id = hv_opts_str(opts, "id", NULL);

    dev = cls->create(ctx, opts, err);
    if (!dev) {
        return NULL;
    }
    dev->cls = cls;
    dev->ctx = ctx;
    if (!hv_opts_check_used(opts, cls->name, err)) {
        cls->destroy(dev);
        return NULL;
    }
    while (hv_ctx_find_device(ctx, cls->name, n)) {
        n++;
    }
    dev->id = id ? g_strdup(id) : g_strdup_printf("%s.%u", cls->name, n);
    hv_ctx_add_device(ctx, dev);
    return dev;
}

hv_device *hv_device_create(hv_ctx *ctx, const char *spec, GError **err)
{
    const char *comma = strchr(spec, ',');
    g_autofree char *name = comma ? g_strndup(spec, (gsize)(comma - spec))
                                  : g_strdup(spec);
    const hv_device_class *cls = hv_device_class_find(name);
    hv_opts *opts;
    hv_device *dev;

    if (!cls) {
        g_autofree char *known = known_classes();
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "unknown device class '%s' (known: %s)", name, known);
        return NULL;
    }
    opts = hv_opts_parse(comma ? comma + 1 : "", err);
    if (!opts) {
        return NULL;
    }
    dev = hv_device_create_opts(ctx, cls, opts, err);
    hv_opts_free(opts);
    return dev;
}
