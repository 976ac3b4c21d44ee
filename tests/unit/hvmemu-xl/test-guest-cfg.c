/* SPDX-License-Identifier: MIT */
/*
 * hvmemu-xl's reading of a guest's xl config (libxlutil): the hvmemu_*
 * keys, xl's defaults for on_poweroff/on_reboot/on_crash, and one clear
 * error for each thing that makes a config unusable.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/hvmemu-xl/guest_cfg.h"

static char *write_cfg(const char *text)
{
    char *path = NULL;
    int fd = g_file_open_tmp("hvmemu-xl-XXXXXX.cfg", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void test_good(void)
{
    g_autofree char *p = write_cfg(
        "type='hvm'\nname='web1'\nmemory=512\n"
        "disk=['vdev=xvda,target=/srv/other.img']\n"
        "hvmemu_disk=['format=raw,vdev=hda,access=rw,target=/srv/web1.img',"
        " 'file:/srv/cd.iso,hdc:cdrom,r']\n"
        "hvmemu_vif=['mac=00:16:3e:00:00:01,bridge=xenbr0']\n"
        "hvmemu_args='--latency on --trace-file \"/var/tmp/a b.json\"'\n"
        "on_crash='coredump-restart'\non_poweroff='preserve'\n");
    g_autoptr(GError) err = NULL;
    hvxl_cfg *c = hvxl_cfg_load(p, &err);

    g_assert_no_error(err);
    g_assert_cmpstr(c->name, ==, "web1");
    g_assert_cmpuint(c->disks->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(c->disks, 1), ==,
                    "file:/srv/cd.iso,hdc:cdrom,r");
    g_assert_cmpuint(c->vifs->len, ==, 1);
    g_assert_cmpstr(c->extra_args[2], ==, "--trace-file");
    g_assert_cmpstr(c->extra_args[3], ==, "/var/tmp/a b.json");
    g_assert_null(c->extra_args[4]);
    g_assert_cmpint(c->on_poweroff, ==, HVXL_PRESERVE);
    g_assert_cmpint(c->on_reboot, ==, HVXL_RESTART);     /* xl's default */
    g_assert_cmpint(c->on_crash, ==, HVXL_RESTART);
    hvxl_cfg_free(c);
    g_unlink(p);
}

static void expect_error(const char *text, const char *want)
{
    g_autofree char *p = write_cfg(text);
    g_autoptr(GError) err = NULL;

    g_assert_null(hvxl_cfg_load(p, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, want)) {
        g_error("'%s' lacks '%s'", err->message, want);
    }
    g_assert_nonnull(strstr(err->message, p));   /* names the file */
    g_unlink(p);
}

static void test_errors(void)
{
    expect_error("type='hvm'\nhvmemu_disk=['hda']\n", "no name=");
    expect_error("type='pvh'\nname='x'\nhvmemu_disk=['hda']\n", "type='hvm'");
    expect_error("type='hvm'\nname='x'\n", "nothing for hvmemu");
    expect_error("type='hvm'\nname='x'\nhvmemu_disk='hda'\n", "list");
    expect_error("type='hvm'\nname='x'\nhvmemu_disk=['a']\n"
                 "on_reboot='explode'\n", "not an xl action");
    expect_error("type='hvm'\nname='x'\nhvmemu_disk=['a']\n"
                 "hvmemu_args='--x \"unclosed'\n", "hvmemu_args");
    expect_error("type='hvm'\nname='x'\nhvmemu_disk=[\n", "cannot read");
    {
        g_autoptr(GError) err = NULL;
        g_assert_null(hvxl_cfg_load("/nonexistent/g.cfg", &err));
        g_assert_nonnull(strstr(err->message, "/nonexistent/g.cfg"));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hvmemu-xl/cfg/good", test_good);
    g_test_add_func("/hvmemu-xl/cfg/errors", test_errors);
    return g_test_run();
}
