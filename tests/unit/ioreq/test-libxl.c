/* SPDX-License-Identifier: MIT */
/*
 * hv_xen_platform_pci_present (ioreq/xen_libxl.c) on hand-written copies of
 * libxl's saved domain config: only an explicit "xen_platform_pci": "False"
 * means the guest has no platform device (and no unplug protocol).
 */
#include <glib.h>
#include <glib/gstdio.h>

#include "hvmemu/xen.h"

static char *dir;

static void put(unsigned domid, const char *json)
{
    g_autofree char *path = g_strdup_printf(
        "%s/userdata-d.%u.3f1c2d4e-0000-4000-8000-00163e000001.libxl-json",
        dir, domid);

    g_assert_true(g_file_set_contents(path, json, -1, NULL));
}

static void test_platform_pci(void)
{
    /* No record at all: xl's default, the device is there. */
    g_assert_true(hv_xen_platform_pci_present(7));
    put(7, "{ \"b_info\": { \"type.hvm\": { \"xen_platform_pci\": \"True\" "
           "} } }");
    g_assert_true(hv_xen_platform_pci_present(7));
    put(8, "{\n  \"b_info\": {\n    \"type.hvm\": {\n      "
           "\"xen_platform_pci\":\n        \"False\",\n  } } }");
    g_assert_false(hv_xen_platform_pci_present(8));
    /* Another domain's record says nothing about this one. */
    g_assert_true(hv_xen_platform_pci_present(9));
    put(9, "{ \"c_info\": { \"name\": \"xen_platform_pci False\" } }");
    g_assert_true(hv_xen_platform_pci_present(9));
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    dir = g_dir_make_tmp("hvmemu-libxl-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_setenv("HVMEMU_LIBXL_DIR", dir, TRUE);
    g_test_add_func("/ioreq/libxl/platform-pci", test_platform_pci);
    ret = g_test_run();
    for (unsigned d = 7; d <= 9; d++) {
        g_autofree char *p = g_strdup_printf(
            "%s/userdata-d.%u.3f1c2d4e-0000-4000-8000-00163e000001"
            ".libxl-json", dir, d);
        g_unlink(p);
    }
    g_rmdir(dir);
    return ret;
}
