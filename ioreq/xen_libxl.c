/* SPDX-License-Identifier: MIT */
/*
 * What libxl recorded about the guest, where no hypercall tells it: the
 * domain's config as libxl saved it (/var/lib/xen/userdata-d.<domid>.
 * <uuid>.libxl-json, written by xl create, removed on destroy).
 *
 * Only one fact is read: whether the guest has Xen's platform PCI device
 * (xl's xen_platform_pci, default 1). The unplug protocol belongs to that
 * device (hvm-emulated-unplug: "if that device is not present in the
 * system then this protocol will not work"): a guest without it gets no
 * PV drivers, so hvmemu must not answer the protocol's magic, or the
 * guest would unplug its emulated disks with nothing to replace them.
 * libxl writes a defbool as the string "True" or "False".
 * HVMEMU_LIBXL_DIR replaces /var/lib/xen (tests).
 */
#define G_LOG_DOMAIN "xen"

#include <glob.h>
#include <string.h>

#include "ioreq/xen_int.h"

static bool says_no_platform_pci(const char *json)
{
    const char *key = strstr(json, "\"xen_platform_pci\"");
    const char *colon = key ? strchr(key, ':') : NULL;

    if (!colon) {
        return false;
    }
    colon++;
    while (*colon == ' ' || *colon == '\t' || *colon == '\n') {
        colon++;
    }
    return g_str_has_prefix(colon, "\"False\"") ||
           g_str_has_prefix(colon, "false");
}

bool hv_xen_platform_pci_present(uint32_t domid)
{
    const char *dir = g_getenv("HVMEMU_LIBXL_DIR");
    g_autofree char *pattern = g_strdup_printf(
        "%s/userdata-d.%u.*.libxl-json", dir ? dir : "/var/lib/xen", domid);
    bool present = true;
    glob_t g;

    if (glob(pattern, 0, NULL, &g) != 0) {
        return true;        /* no record: xl's default, the device is there */
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        g_autofree char *json = NULL;

        if (g_file_get_contents(g.gl_pathv[i], &json, NULL, NULL) &&
            says_no_platform_pci(json)) {
            present = false;
        }
    }
    globfree(&g);
    return present;
}
