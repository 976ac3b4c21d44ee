/* SPDX-License-Identifier: MIT */
/*
 * Device option lists: "key=value" pairs and positional words, separated
 * by commas (",," is a literal comma, as in QEMU). Every lookup marks the
 * option used so a class can reject what it did not understand.
 */
#define G_LOG_DOMAIN "opts"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hvmemu/device.h"

typedef struct opt {
    char *key;    /* NULL for a positional word */
    char *value;
    bool used;
} opt;

struct hv_opts {
    GArray *items;  /* opt */
};

G_DEFINE_QUARK(hv-error-quark, hv_error)

static void opt_clear(gpointer p)
{
    opt *o = p;
    g_free(o->key);
    g_free(o->value);
}

static hv_opts *opts_new(void)
{
    hv_opts *o = g_new0(hv_opts, 1);
    o->items = g_array_new(FALSE, TRUE, sizeof(opt));
    g_array_set_clear_func(o->items, opt_clear);
    return o;
}

static void opts_add(hv_opts *o, const char *item)
{
    const char *eq = strchr(item, '=');
    opt it = { 0 };

    if (eq) {
        it.key = g_strndup(item, (gsize)(eq - item));
        it.value = g_strdup(eq + 1);
    } else {
        it.value = g_strdup(item);
    }
    g_array_append_val(o->items, it);
}

hv_opts *hv_opts_parse(const char *text, GError **err)
{
    hv_opts *o = opts_new();
    GString *cur = g_string_new(NULL);

    for (const char *p = text ? text : ""; ; p++) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(cur, ',');
            p++;
        } else if (*p == ',' || *p == '\0') {
            if (cur->len == 0 && *p == ',') {
                g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                            "empty option in '%s'", text);
                g_string_free(cur, TRUE);
                hv_opts_free(o);
                return NULL;
            }
            if (cur->len) {
                opts_add(o, cur->str);
            }
            g_string_truncate(cur, 0);
            if (*p == '\0') {
                break;
            }
        } else {
            g_string_append_c(cur, *p);
        }
    }
    g_string_free(cur, TRUE);
    return o;
}

void hv_opts_free(hv_opts *o)
{
    if (o) {
        g_array_free(o->items, TRUE);
        g_free(o);
    }
}

/* Last occurrence wins, like most command lines; all are marked used. */
static opt *opts_find(hv_opts *o, const char *key)
{
    opt *found = NULL;

    for (guint i = 0; i < o->items->len; i++) {
        opt *it = &g_array_index(o->items, opt, i);
        if (it->key && g_str_equal(it->key, key)) {
            it->used = true;
            found = it;
        }
    }
    return found;
}

const char *hv_opts_str(hv_opts *o, const char *key, const char *def)
{
    opt *it = opts_find(o, key);
    return it ? it->value : def;
}

bool hv_opts_u64(hv_opts *o, const char *key, uint64_t def, uint64_t min,
                 uint64_t max, uint64_t *out, GError **err)
{
    opt *it = opts_find(o, key);
    guint64 v;
    GError *perr = NULL;

    if (!it) {
        *out = def;
        return true;
    }
    /* Decimal, or hex with 0x, as admins write ports and IRQs. */
    const char *digits = it->value;
    guint base = 10;
    if (g_str_has_prefix(digits, "0x") || g_str_has_prefix(digits, "0X")) {
        digits += 2;
        base = 16;
    }
    if (!g_ascii_string_to_unsigned(digits, base, min, max, &v, &perr)) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s=%s: expected a number in [%" G_GUINT64_FORMAT
                    ", %" G_GUINT64_FORMAT "]", key, it->value, min, max);
        g_clear_error(&perr);
        return false;
    }
    *out = v;
    return true;
}

bool hv_opts_bool(hv_opts *o, const char *key, bool def, bool *out,
                  GError **err)
{
    static const char *const yes[] = { "on", "yes", "true", "1", NULL };
    static const char *const no[] = { "off", "no", "false", "0", NULL };
    opt *it = opts_find(o, key);

    if (!it) {
        *out = def;
        return true;
    }
    if (g_strv_contains(yes, it->value)) {
        *out = true;
        return true;
    }
    if (g_strv_contains(no, it->value)) {
        *out = false;
        return true;
    }
    g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                "%s=%s: expected on/off", key, it->value);
    return false;
}

const char *hv_opts_positional(hv_opts *o, unsigned n)
{
    for (guint i = 0; i < o->items->len; i++) {
        opt *it = &g_array_index(o->items, opt, i);
        if (!it->key && n-- == 0) {
            it->used = true;
            return it->value;
        }
    }
    return NULL;
}

unsigned hv_opts_count_positional(const hv_opts *o)
{
    unsigned n = 0;

    for (guint i = 0; i < o->items->len; i++) {
        n += g_array_index(o->items, opt, i).key == NULL;
    }
    return n;
}

void hv_opts_set(hv_opts *o, const char *key, const char *value)
{
    opt it = { .key = g_strdup(key), .value = g_strdup(value) };
    g_array_append_val(o->items, it);
}

bool hv_opts_check_used(hv_opts *o, const char *what, GError **err)
{
    for (guint i = 0; i < o->items->len; i++) {
        opt *it = &g_array_index(o->items, opt, i);
        if (it->used) {
            continue;
        }
        if (it->key) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                        "%s: unknown option '%s'", what, it->key);
        } else {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                        "%s: unexpected value '%s'", what, it->value);
        }
        return false;
    }
    return true;
}
