/* SPDX-License-Identifier: MIT */
/*
 * The admin's blacklist of PV driver versions (docs/misc/hvm-emulated-
 * unplug, steps 3-5): drivers that identify as a listed product and build
 * read the magic back as D249h and fall back to the emulated devices.
 *
 * Text form: entries separated by ':'; each is PRODUCT[/BUILD[-BUILD]],
 * PRODUCT a number or a name from Xen's public/hvm/pvdrivers.h registry,
 * BUILD decimal or 0x-hex. No BUILD: every build of that product.
 *   blacklist=linux/1            Linux's platform code (product 3, build 1)
 *   blacklist=xensource-windows:gplpv-windows/0-400
 */
#ifndef HW_PLATFORM_PV_BLACKLIST_H
#define HW_PLATFORM_PV_BLACKLIST_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define PV_BLACKLIST_MAX 32

typedef struct pv_blacklist_entry {
    uint16_t product;
    uint32_t build_lo, build_hi;
} pv_blacklist_entry;

typedef struct pv_blacklist {
    unsigned n;
    pv_blacklist_entry e[PV_BLACKLIST_MAX];
} pv_blacklist;

bool pv_blacklist_parse(pv_blacklist *bl, const char *text, GError **err);
bool pv_blacklist_match(const pv_blacklist *bl, uint16_t product,
                        uint32_t build);
/* The registry name of @product, or NULL if unallocated. */
const char *pv_product_name(uint16_t product);

#endif
