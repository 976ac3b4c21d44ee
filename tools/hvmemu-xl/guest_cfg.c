/* SPDX-License-Identifier: MIT */
/* The guest's xl config, through libxlutil; see guest_cfg.h. */
#include <errno.h>
#include <libxlutil.h>
#include <stdio.h>
#include <string.h>

#include "tools/hvmemu-xl/guest_cfg.h"

#define HVXL_ERROR g_quark_from_static_string("hvmemu-xl")

static const struct {
    const char *name;
    hvxl_action action;
} actions[] = {
    { "destroy", HVXL_DESTROY },          { "coredump-destroy", HVXL_DESTROY },
    { "restart", HVXL_RESTART },          { "rename-restart", HVXL_RESTART },
    { "coredump-restart", HVXL_RESTART }, { "soft-reset", HVXL_RESTART },
    { "preserve", HVXL_PRESERVE },
};

const char *hvxl_action_name(hvxl_action a)
{
    static const char *const names[] = { "destroy", "restart", "preserve" };

    return names[a];
}

/* on_*: xl's default when absent (xl.cfg(5)). */
static bool get_action(XLU_Config *x, const char *path, const char *key,
                       hvxl_action def, hvxl_action *out, GError **err)
{
    const char *v = NULL;

    *out = def;
    if (xlu_cfg_get_string(x, key, &v, 1) != 0) {
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(actions); i++) {
        if (g_str_equal(v, actions[i].name)) {
            *out = actions[i].action;
            return true;
        }
    }
    g_set_error(err, HVXL_ERROR, EINVAL, "%s: %s='%s' is not an xl action "
                "(destroy, restart, preserve, rename-restart, "
                "coredump-destroy, coredump-restart, soft-reset)", path, key,
                v);
    return false;
}

static bool get_list(XLU_Config *x, const char *path, const char *key,
                     GPtrArray *out, GError **err)
{
    XLU_ConfigList *list = NULL;
    int n = 0, e = xlu_cfg_get_list(x, key, &list, &n, 1);

    if (e == ESRCH) {
        return true;
    }
    if (e != 0) {
        g_set_error(err, HVXL_ERROR, EINVAL, "%s: %s must be a list of "
                    "strings, like xl's disk=[...]", path, key);
        return false;
    }
    for (int i = 0; i < n; i++) {
        g_ptr_array_add(out, g_strdup(xlu_cfg_get_listitem(list, i)));
    }
    return true;
}

hvxl_cfg *hvxl_cfg_load(const char *path, GError **err)
{
    hvxl_cfg *c = g_new0(hvxl_cfg, 1);
    XLU_Config *x = xlu_cfg_init(stderr, path);
    const char *s = NULL;
    int e;

    c->path = g_strdup(path);
    c->disks = g_ptr_array_new_with_free_func(g_free);
    c->vifs = g_ptr_array_new_with_free_func(g_free);
    if (!x) {
        g_set_error(err, HVXL_ERROR, ENOMEM, "%s: %s", path, g_strerror(errno));
        goto fail;
    }
    /* libxlutil prints the line and cause of a syntax error itself. */
    if ((e = xlu_cfg_readfile(x, path)) != 0) {
        g_set_error(err, HVXL_ERROR, e, "%s: cannot read it as an xl config "
                    "(%s)", path, g_strerror(e));
        goto fail;
    }
    if (xlu_cfg_get_string(x, "name", &s, 1) != 0 || !*s) {
        g_set_error(err, HVXL_ERROR, EINVAL, "%s: no name='...': the "
                    "launcher finds the guest by name", path);
        goto fail;
    }
    c->name = g_strdup(s);
    /* type= (xl), or the older builder= */
    if ((xlu_cfg_get_string(x, "type", &s, 1) != 0 &&
         xlu_cfg_get_string(x, "builder", &s, 1) != 0) ||
        !g_str_equal(s, "hvm")) {
        g_set_error(err, HVXL_ERROR, EINVAL, "%s: type='hvm' is needed: "
                    "hvmemu serves HVM guests only", path);
        goto fail;
    }
    if (!get_list(x, path, "hvmemu_disk", c->disks, err) ||
        !get_list(x, path, "hvmemu_vif", c->vifs, err)) {
        goto fail;
    }
    if (c->disks->len == 0 && c->vifs->len == 0) {
        g_set_error(err, HVXL_ERROR, EINVAL, "%s: neither hvmemu_disk=[...] "
                    "nor hvmemu_vif=[...]: nothing for hvmemu to serve", path);
        goto fail;
    }
    if (xlu_cfg_get_string(x, "hvmemu_args", &s, 1) == 0 &&
        !g_shell_parse_argv(s, NULL, &c->extra_args, err)) {
        g_prefix_error(err, "%s: hvmemu_args: ", path);
        goto fail;
    }
    if (!get_action(x, path, "on_poweroff", HVXL_DESTROY, &c->on_poweroff,
                    err) ||
        !get_action(x, path, "on_reboot", HVXL_RESTART, &c->on_reboot, err) ||
        !get_action(x, path, "on_crash", HVXL_DESTROY, &c->on_crash, err)) {
        goto fail;
    }
    xlu_cfg_destroy(x);
    return c;
fail:
    if (x) {
        xlu_cfg_destroy(x);
    }
    hvxl_cfg_free(c);
    return NULL;
}

void hvxl_cfg_free(hvxl_cfg *c)
{
    if (!c) {
        return;
    }
    g_free(c->path);
    g_free(c->name);
    g_ptr_array_free(c->disks, TRUE);
    g_ptr_array_free(c->vifs, TRUE);
    g_strfreev(c->extra_args);
    g_free(c);
}
