/* SPDX-License-Identifier: MIT */
/*
 * Parsing and matching the PV driver blacklist (pv_blacklist.h).
 */
#include <string.h>

#include "hvmemu/device.h"
#include "hw/platform/pv_blacklist.h"

/* Xen's registry of product numbers (public/hvm/pvdrivers.h). */
static const struct {
    const char *name;
    uint16_t number;
} pv_products[] = {
    { "xensource-windows", 0x0001 },        /* Citrix */
    { "gplpv-windows", 0x0002 },
    { "linux", 0x0003 },
    { "xenserver-windows-v7.0+", 0x0004 },
    { "xenserver-windows-v7.2+", 0x0005 },
    { "experimental", 0xffff },
};

const char *pv_product_name(uint16_t product)
{
    for (size_t i = 0; i < G_N_ELEMENTS(pv_products); i++) {
        if (pv_products[i].number == product) {
            return pv_products[i].name;
        }
    }
    return NULL;
}

static bool parse_number(const char *s, uint64_t max, uint64_t *out)
{
    guint64 v;
    bool hex = g_str_has_prefix(s, "0x") || g_str_has_prefix(s, "0X");

    if (!g_ascii_string_to_unsigned(hex ? s + 2 : s, hex ? 16 : 10, 0, max,
                                    &v, NULL)) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_product(const char *s, uint16_t *out)
{
    uint64_t v;

    for (size_t i = 0; i < G_N_ELEMENTS(pv_products); i++) {
        if (!g_ascii_strcasecmp(s, pv_products[i].name)) {
            *out = pv_products[i].number;
            return true;
        }
    }
    if (!parse_number(s, 0xffff, &v)) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

static bool parse_builds(const char *s, pv_blacklist_entry *e)
{
    g_auto(GStrv) r = g_strsplit(s, "-", 3);
    uint64_t lo, hi;

    if (!r[0] || !parse_number(r[0], UINT32_MAX, &lo)) {
        return false;
    }
    hi = lo;
    if (r[1] && (r[2] || !parse_number(r[1], UINT32_MAX, &hi) || hi < lo)) {
        return false;
    }
    e->build_lo = (uint32_t)lo;
    e->build_hi = (uint32_t)hi;
    return true;
}

static bool parse_entry(const char *s, pv_blacklist_entry *e)
{
    g_auto(GStrv) pb = g_strsplit(s, "/", 3);

    e->build_lo = 0;
    e->build_hi = UINT32_MAX;
    return pb[0] && *pb[0] && !(pb[1] && pb[2]) &&
           parse_product(pb[0], &e->product) &&
           (!pb[1] || parse_builds(pb[1], e));
}

bool pv_blacklist_parse(pv_blacklist *bl, const char *text, GError **err)
{
    g_auto(GStrv) items = g_strsplit(text, ":", -1);

    bl->n = 0;
    if (!*text) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "blacklist: empty (leave the option out instead)");
        return false;
    }
    for (unsigned i = 0; items[i]; i++) {
        if (bl->n == PV_BLACKLIST_MAX) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                        "blacklist: more than %u entries", PV_BLACKLIST_MAX);
            return false;
        }
        if (!parse_entry(items[i], &bl->e[bl->n])) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                        "blacklist: '%s': want PRODUCT[/BUILD[-BUILD]] "
                        "(PRODUCT a number or a pvdrivers.h name such as "
                        "linux)", items[i]);
            return false;
        }
        bl->n++;
    }
    return true;
}

bool pv_blacklist_match(const pv_blacklist *bl, uint16_t product,
                        uint32_t build)
{
    for (unsigned i = 0; i < bl->n; i++) {
        const pv_blacklist_entry *e = &bl->e[i];

        if (e->product == product && build >= e->build_lo &&
            build <= e->build_hi) {
            return true;
        }
    }
    return false;
}
