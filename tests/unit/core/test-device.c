/* SPDX-License-Identifier: MIT */
/* Options parsing, device creation errors, and the testdev device. */
#include <string.h>

#include "hvmemu/hvmemu.h"

static void test_opts(void)
{
    GError *err = NULL;
    hv_opts *o = hv_opts_parse("file:/a,,b.img,hda,w,port=0x1f0,irq=14,x=on",
                               &err);
    uint64_t v;
    bool b;

    g_assert_no_error(err);
    g_assert_cmpstr(hv_opts_positional(o, 0), ==, "file:/a,b.img");
    g_assert_cmpstr(hv_opts_positional(o, 1), ==, "hda");
    g_assert_cmpstr(hv_opts_positional(o, 2), ==, "w");
    g_assert_null(hv_opts_positional(o, 3));
    g_assert_cmpuint(hv_opts_count_positional(o), ==, 3);
    g_assert_true(hv_opts_u64(o, "port", 0, 0, 0xffff, &v, &err));
    g_assert_cmphex(v, ==, 0x1f0);
    g_assert_true(hv_opts_u64(o, "irq", 0, 0, 15, &v, &err));
    g_assert_cmpuint(v, ==, 14);
    g_assert_true(hv_opts_bool(o, "x", false, &b, &err));
    g_assert_true(b);
    g_assert_true(hv_opts_u64(o, "missing", 7, 0, 9, &v, &err));
    g_assert_cmpuint(v, ==, 7);
    g_assert_true(hv_opts_check_used(o, "t", &err));
    hv_opts_free(o);

    o = hv_opts_parse("irq=16,y=maybe,zz=1", &err);
    g_assert_false(hv_opts_u64(o, "irq", 0, 0, 15, &v, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_assert_nonnull(strstr(err->message, "irq=16"));
    g_clear_error(&err);
    g_assert_false(hv_opts_bool(o, "y", false, &b, &err));
    g_clear_error(&err);
    g_assert_false(hv_opts_check_used(o, "t", &err));
    g_assert_nonnull(strstr(err->message, "zz"));
    g_clear_error(&err);
    hv_opts_free(o);

    /* An empty item is an error; ",," is an escaped comma. */
    g_assert_null(hv_opts_parse(",a", &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_clear_error(&err);
    o = hv_opts_parse("a,,b,,", &err);
    g_assert_cmpstr(hv_opts_positional(o, 0), ==, "a,b,");
    hv_opts_free(o);
}

typedef struct fixture {
    hv_memhost *mh;
    hv_ctx *ctx;
} fixture;

static void setup(fixture *f, gconstpointer data)
{
    f->mh = hv_memhost_new(4096);
    f->ctx = hv_ctx_new(hv_memhost_ops(), f->mh, NULL);
}

static void teardown(fixture *f, gconstpointer data)
{
    hv_ctx_free(f->ctx);
    hv_memhost_free(f->mh);
}

static void test_create_errors(fixture *f, gconstpointer data)
{
    GError *err = NULL;

    g_assert_null(hv_device_create(f->ctx, "nosuch,a=1", &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_assert_nonnull(strstr(err->message, "testdev"));  /* lists known */
    g_clear_error(&err);
    g_assert_null(hv_device_create(f->ctx, "testdev,prot=1", &err));
    g_assert_nonnull(strstr(err->message, "prot"));
    g_clear_error(&err);
    g_assert_null(hv_device_create(f->ctx, "testdev,port=0x10000", &err));
    g_clear_error(&err);
    /* A failed creation leaves nothing claimed behind. */
    g_assert_cmpuint(hv_memhost_mapped_count(f->mh, HV_SPACE_PIO), ==, 0);
    g_assert_nonnull(hv_device_create(f->ctx, "testdev", &err));
    g_assert_null(hv_device_create(f->ctx, "testdev,port=0x2008", &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_BUSY);
    g_clear_error(&err);
}

static void test_testdev(fixture *f, gconstpointer data)
{
    GError *err = NULL;
    hv_device *d = hv_device_create(f->ctx, "testdev,port=0x3000,irq=7",
                                    &err);

    g_assert_no_error(err);
    g_assert_cmpstr(d->id, ==, "testdev.0");
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, 0x3000, 4, 0xdead0000);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x3000, 4), ==,
                    0xdead0000);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x3002, 2), ==,
                    0xdead);
    g_assert_cmpuint(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x3004, 4), ==, 4);
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, 0x3008, 4, 1);
    g_assert_cmpuint(hv_memhost_isa_level(f->mh, 7), ==, 1);
    hv_ctx_reset(f->ctx);
    g_assert_cmpuint(hv_memhost_isa_level(f->mh, 7), ==, 0);
    g_assert_cmphex(hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x3000, 4), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/opts/parse", test_opts);
    g_test_add("/device/create-errors", fixture, NULL, setup,
               test_create_errors, teardown);
    g_test_add("/device/testdev", fixture, NULL, setup, test_testdev,
               teardown);
    return g_test_run();
}
