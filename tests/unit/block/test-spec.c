/* SPDX-License-Identifier: MIT */
/* xl disk specs (xl-disk-configuration(5)) as hvmemu accepts them. */
#include <errno.h>

#include "hvmemu/hvmemu.h"
#include "hw/block/blk_spec.h"

static void check(const char *text, const char *target, const char *vdev,
                  bool ro)
{
    GError *err = NULL;
    blk_spec s;

    if (!blk_spec_parse(text, &s, &err)) {
        g_error("'%s': %s", text, err->message);
    }
    g_assert_cmpstr(s.target, ==, target);
    g_assert_cmpstr(s.vdev, ==, vdev);
    g_assert_cmpint(s.readonly, ==, ro);
    g_assert_false(s.cdrom);
    blk_spec_clear(&s);
}

static void refuse(const char *text, const char *needle)
{
    GError *err = NULL;
    blk_spec s;

    g_assert_false(blk_spec_parse(text, &s, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    if (!strstr(err->message, needle)) {
        g_error("'%s': message '%s' lacks '%s'", text, err->message, needle);
    }
    g_error_free(err);
}

static void test_forms(void)
{
    check("file:/srv/guest.img,hda,w", "/srv/guest.img", "hda", false);
    check("phy:/dev/vg/guest,hdb,r", "/dev/vg/guest", "hdb", true);
    check("tap:aio:/x.img,hdc,ro", "/x.img", "hdc", true);
    check("/srv/g.img,,hda", "/srv/g.img", "hda", false);
    check("/srv/g.img,raw,hdd,rw", "/srv/g.img", "hdd", false);
    check("format=raw, vdev=hda, access=rw, target=/srv/guest.img",
          "/srv/guest.img", "hda", false);
    check("vdev=hdb,access=ro,target=/srv/a,b.img", "/srv/a,b.img", "hdb",
          true);
    check("vg/guest,,hda", "/dev/vg/guest", "hda", false);
}

static void check_format(const char *text, const char *target,
                         const char *format)
{
    GError *err = NULL;
    blk_spec s;

    if (!blk_spec_parse(text, &s, &err)) {
        g_error("'%s': %s", text, err->message);
    }
    g_assert_cmpstr(s.target, ==, target);
    g_assert_cmpstr(s.format, ==, format);
    blk_spec_clear(&s);
}

/* Non-raw formats go to qemu-nbd under its own names; NBD URIs are kept
 * as given (never taken for a /dev name), query strings included. */
static void test_formats_and_uris(void)
{
    GError *err = NULL;
    blk_spec s;

    g_assert_false(blk_spec_parse("/a.img,hda", &s, &err));
    g_assert_nonnull(strstr(err->message, "format 'hda'"));
    g_clear_error(&err);
    check_format("/srv/g.qcow2,qcow2,hda,w", "/srv/g.qcow2", "qcow2");
    check_format("qcow2:/srv/g.qcow2,hda,w", "/srv/g.qcow2", "qcow2");
    check_format("tap:vhd:/srv/g.vhd,hda,w", "/srv/g.vhd", "vpc");
    check_format("format=vhd,vdev=hda,target=/x", "/x", "vpc");
    check_format("/srv/g.img,raw,hda,w", "/srv/g.img", NULL);
    check_format("nbd://st1:10809/guest,raw,hda,w", "nbd://st1:10809/guest",
                 NULL);
    check_format("nbd+unix:///g?socket=/run/n.sock,,hda,w",
                 "nbd+unix:///g?socket=/run/n.sock", NULL);
    check_format("format=raw,vdev=hda,target=nbds://st1/g?tls-certificates="
                 "/etc/pki/nbd", "nbds://st1/g?tls-certificates=/etc/pki/nbd",
                 NULL);
    g_assert_true(blk_spec_parse("nbd://h/e,,hda,reconnect=5", &s, &err));
    g_assert_cmpuint(s.reconnect_s, ==, 5);
    blk_spec_clear(&s);
    refuse("/srv/g.vmdk,vmdk,hda,w", "qcow2");
    refuse("format=qcow2,qcow2:/x,hda", "twice");
    refuse("nbd://h/e,qcow2,hda", "over NBD");
    refuse("nbd://h/e,,hda,reconnect=0", "reconnect");
}

static void test_bad(void)
{
    refuse("format=raw,vdev=hda,bogus=1,target=/x", "unknown key 'bogus'");
    refuse("/x,raw,hda,rw,extra", "too many");
    refuse("/x,,hda,wx", "access");
    refuse("vdev=hda,vdev=hdb,target=/x", "twice");
    refuse(",,hda", "no target");
    refuse("script=block-iscsi,vdev=hda,target=iqn", "script");
    refuse("/x,,hda,x-inject-eio=abc", "x-inject-eio");
}

static void test_cdrom_and_options(void)
{
    GError *err = NULL;
    blk_spec s;

    g_assert_true(blk_spec_parse("/root/image.iso,,hdc,cdrom", &s, &err));
    g_assert_true(s.cdrom);
    blk_spec_clear(&s);
    g_assert_true(blk_spec_parse("raw:/root/image.iso,hdc:cdrom,ro", &s,
                                 &err));
    g_assert_true(s.cdrom);
    g_assert_cmpstr(s.vdev, ==, "hdc");
    blk_spec_clear(&s);
    g_assert_true(blk_spec_parse("/x,,hda,w,serial=ABC,wcache=off,direct=on,"
                                 "no-discard,x-inject-eio=100+8,"
                                 "x-inject-flush-eio,x-delay-ms=5", &s,
                                 &err));
    g_assert_no_error(err);
    g_assert_cmpstr(s.serial, ==, "ABC");
    g_assert_cmpint(s.wcache, ==, 0);
    g_assert_true(s.direct);
    g_assert_false(s.discard);
    g_assert_cmpuint(s.fault.rw_off, ==, 100 * 512);
    g_assert_cmpuint(s.fault.rw_len, ==, 8 * 512);
    g_assert_cmpint(s.fault.rw_errno, ==, EIO);
    g_assert_cmpint(s.fault.flush_errno, ==, EIO);
    g_assert_cmpuint(s.fault.delay_ns, ==, 5000000);
    blk_spec_clear(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/blk/spec/forms", test_forms);
    g_test_add_func("/blk/spec/formats-uris", test_formats_and_uris);
    g_test_add_func("/blk/spec/bad", test_bad);
    g_test_add_func("/blk/spec/cdrom-options", test_cdrom_and_options);
    return g_test_run();
}
