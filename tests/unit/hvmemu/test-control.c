/* SPDX-License-Identifier: MIT */
/*
 * The control protocol (tools/hvmemu/control_proto.c) on an in-memory
 * machine with a testdev and an IDE disk: every command's reply, the id
 * echo, and hostile requests answered with errors.
 */
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/control_proto.h"

typedef struct fx {
    hv_memhost *mh;
    hv_loop *loop;
    hv_ctx *ctx;
    char *img;
    hvmemu_control_env env;
    JsonParser *parser;
} fx;

static void fx_setup(fx *f, gconstpointer data)
{
    g_autofree char *spec = NULL;
    GError *err = NULL;
    int fd = g_file_open_tmp("hvmemu-ctl-XXXXXX", &f->img, NULL);

    g_assert_cmpint(ftruncate(fd, 1 << 20), ==, 0);
    close(fd);
    f->mh = hv_memhost_new(1 << 20);
    f->loop = hv_loop_new();
    f->ctx = hv_ctx_new(hv_memhost_ops(), f->mh, f->loop);
    g_assert_nonnull(hv_device_create(f->ctx, "testdev,port=0x2000", &err));
    /* data: also an empty CD-ROM drive hdc */
    spec = g_strdup_printf("piix-ide,disk0=file:%s,,hda,,w%s", f->img,
                           data ? ",disk1=vdev=hdc,,devtype=cdrom,,target="
                                : "");
    g_assert_nonnull(hv_device_create(f->ctx, spec, &err));
    g_assert_no_error(err);
    f->env = (hvmemu_control_env){ .ctx = f->ctx, .domid = 5,
                                   .started_ns = hv_now_ns() };
    f->parser = json_parser_new();
}

static void fx_teardown(fx *f, gconstpointer data)
{
    g_object_unref(f->parser);
    hv_ctx_free(f->ctx);
    hv_loop_free(f->loop);
    hv_memhost_free(f->mh);
    unlink(f->img);
    g_free(f->img);
}

/* Send @req, parse the reply, check "ok", return the reply object. */
static JsonObject *ask(fx *f, const char *req, bool want_ok)
{
    g_autofree char *line = hvmemu_control_handle(&f->env, req, strlen(req));
    JsonObject *o;

    g_assert_null(strchr(line, '\n'));
    g_assert_true(json_parser_load_from_data(f->parser, line, -1, NULL));
    g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(f->parser)));
    o = json_node_get_object(json_parser_get_root(f->parser));
    g_assert_cmpint(json_object_get_boolean_member(o, "ok"), ==, want_ok);
    g_assert_true(json_object_has_member(o, want_ok ? "result" : "error"));
    return o;
}

static void test_status(fx *f, gconstpointer data)
{
    JsonObject *o = ask(f, "{\"cmd\": \"status\", \"id\": [1, \"x\"]}", true);
    JsonObject *r = json_object_get_object_member(o, "result");
    JsonArray *ids = json_object_get_array_member(r, "devices");

    g_assert_cmpint(json_array_get_length(json_object_get_array_member(
                        o, "id")), ==, 2);
    g_assert_cmpint(json_object_get_int_member(r, "domid"), ==, 5);
    g_assert_cmpstr(json_object_get_string_member(r, "version"), ==,
                    HVMEMU_VERSION);
    g_assert_cmpuint(json_array_get_length(ids), ==, 2);
    g_assert_cmpstr(json_array_get_string_element(ids, 0), ==, "piix-ide.0");
    g_assert_cmpint(json_object_get_int_member(
                        json_object_get_object_member(r, "unplugged"),
                        "protocol"), ==, 0);
}

static void test_devices_after_unplug(fx *f, gconstpointer data)
{
    JsonObject *o, *slot;
    JsonArray *a;
    hv_unplug_info info;

    hv_unplug_apply_mask(f->ctx, HV_UNPLUG_ALL_IDE_DISKS);
    /* The flush before removal completes on the loop (bounded wait). */
    for (int i = 0; i < 2000; i++) {
        g_assert_true(hv_unplug_lookup(f->ctx, "hda", &info));
        if (info.state == HV_UNPLUG_ABSENT) {
            break;
        }
        hv_loop_run_once(f->loop, 1);
    }
    o = ask(f, "{\"cmd\":\"devices\"}", true);
    a = json_object_get_array_member(json_object_get_object_member(
                                         o, "result"), "presented");
    g_assert_cmpuint(json_array_get_length(a), ==, 1);
    slot = json_array_get_object_element(a, 0);
    g_assert_cmpstr(json_object_get_string_member(slot, "name"), ==, "hda");
    g_assert_cmpstr(json_object_get_string_member(slot, "state"), ==,
                    "absent");
    g_assert_nonnull(strstr(json_object_get_string_member(slot, "why"),
                            "mask 0x1"));
    o = ask(f, "{\"cmd\":\"status\"}", true);
    g_assert_cmpint(json_object_get_int_member(
                        json_object_get_object_member(
                            json_object_get_object_member(o, "result"),
                            "unplugged"), "protocol"), ==, 1);
}

static void test_stats(fx *f, gconstpointer data)
{
    JsonObject *o;
    JsonArray *regions;
    bool seen = false;

    hv_dispatch_write(f->ctx, HV_SPACE_PIO, 0x2000, 4, 7);
    hv_dispatch_read(f->ctx, HV_SPACE_PIO, 0x2000, 4);
    o = ask(f, "{\"cmd\":\"stats\"}", true);
    regions = json_object_get_array_member(
        json_object_get_object_member(o, "result"), "regions");
    for (guint i = 0; i < json_array_get_length(regions); i++) {
        JsonObject *r = json_array_get_object_element(regions, i);

        if (g_str_equal(json_object_get_string_member(r, "name"),
                        "testdev")) {
            g_assert_cmpint(json_object_get_int_member(r, "reads"), ==, 1);
            g_assert_cmpint(json_object_get_int_member(r, "writes"), ==, 1);
            g_assert_cmpint(json_object_get_int_member(r, "base"), ==,
                            0x2000);
            seen = true;
        }
    }
    g_assert_true(seen);
}

static void test_quit_and_help(fx *f, gconstpointer data)
{
    ask(f, "{\"cmd\":\"help\"}", true);
    g_assert_false(f->env.quit);
    ask(f, "{\"cmd\":\"quit\",\"id\":3}", true);
    g_assert_true(f->env.quit);
}

/* save-state: base64 of a state this machine loads back, its SHA-256
 * beside it; at-exit: no reply now, the id kept for the one at exit. */
static void test_save_state(fx *f, gconstpointer data)
{
    JsonObject *o = ask(f, "{\"cmd\":\"save-state\"}", true);
    JsonObject *r = json_object_get_object_member(o, "result");
    g_autofree guchar *bytes = NULL;
    g_autofree char *sum = NULL, *line = NULL;
    const char *req = "{\"cmd\":\"save-state\",\"args\":[\"at-exit\"],"
                      "\"id\":9}";
    GError *err = NULL;
    gsize len;

    bytes = g_base64_decode(json_object_get_string_member(r, "state"), &len);
    g_assert_cmpint(len, ==, json_object_get_int_member(r, "bytes"));
    sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, bytes, len);
    g_assert_cmpstr(sum, ==, json_object_get_string_member(r, "sha256"));
    g_assert_true(hv_ctx_load_state(f->ctx, bytes, len, &err));
    g_assert_no_error(err);
    ask(f, "{\"cmd\":\"save-state\",\"args\":[\"now\"]}", false);

    line = hvmemu_control_handle(&f->env, req, strlen(req));
    g_assert_null(line);
    g_assert_true(f->env.defer);
    g_assert_cmpint(json_node_get_int(f->env.deferred_id), ==, 9);
    json_node_unref(f->env.deferred_id);
    f->env.deferred_id = NULL;
}

static void test_media(fx *f, gconstpointer data)
{
    g_autofree char *disc = NULL, *spec = NULL, *busy = NULL;
    int fd = g_file_open_tmp("hvmemu-disc-XXXXXX", &disc, NULL);
    JsonObject *o;

    g_assert_cmpint(ftruncate(fd, 1 << 20), ==, 0);
    close(fd);
    spec = g_strdup_printf("{\"cmd\":\"insert\",\"args\":[\"hdc\",\"%s\"]}",
                           disc);
    /* hda's image, open read-write: its lock keeps a reader out. */
    busy = g_strdup_printf("{\"cmd\":\"insert\",\"args\":[\"hdc\",\"%s\"]}",
                           f->img);
    o = ask(f, busy, false);
    g_assert_nonnull(strstr(json_object_get_string_member(o, "error"),
                            "locked by another process"));

    o = ask(f, "{\"cmd\":\"eject\",\"args\":[\"hda\"]}", false);
    g_assert_nonnull(strstr(json_object_get_string_member(o, "error"),
                            "not removable"));
    ask(f, "{\"cmd\":\"eject\",\"args\":[\"hdc\"]}", false); /* empty */
    ask(f, "{\"cmd\":\"eject\"}", false);
    ask(f, "{\"cmd\":\"eject\",\"args\":[\"hdc\",\"now\"]}", false);
    ask(f, "{\"cmd\":\"insert\",\"args\":[\"hdc\"]}", false);
    ask(f, "{\"cmd\":\"insert\",\"args\":[\"hdc\",7]}", false);
    ask(f, "{\"cmd\":\"insert\",\"args\":\"hdc\"}", false);
    ask(f, spec, true);
    ask(f, spec, false);                        /* already loaded */
    ask(f, "{\"cmd\":\"eject\",\"args\":[\"hdc\",\"force\"]}", true);
    unlink(disc);
}

static void test_hostile(fx *f, gconstpointer data)
{
    static const char *const bad[] = {
        "", "   ", "{", "[]", "\"status\"", "42", "null",
        "{\"cmd\": 1}", "{\"cmd\": null}", "{\"cmd\": {}}", "{\"nope\": 1}",
        "{\"cmd\": \"reboot-the-host\"}", "{\"cmd\": \"status\"", "\xff\xfe",
        "{\"cmd\": \"st\\u0000atus\"}",
    };
    g_autofree char *big = g_strnfill(HVMEMU_CONTROL_LINE_MAX + 1, ' ');
    g_autofree char *deep = g_strnfill(100000, '[');
    JsonObject *o;

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ask(f, bad[i], false);
    }
    o = ask(f, big, false);
    g_assert_nonnull(strstr(json_object_get_string_member(o, "error"),
                            "longer"));
    ask(f, deep, false);
    /* Still serving. */
    ask(f, "{\"cmd\":\"status\"}", true);
    g_assert_false(f->env.quit);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/control/status", fx, NULL, fx_setup, test_status,
               fx_teardown);
    g_test_add("/control/devices-after-unplug", fx, NULL, fx_setup,
               test_devices_after_unplug, fx_teardown);
    g_test_add("/control/stats", fx, NULL, fx_setup, test_stats, fx_teardown);
    g_test_add("/control/quit-help", fx, NULL, fx_setup, test_quit_and_help,
               fx_teardown);
    g_test_add("/control/media", fx, "cdrom", fx_setup, test_media,
               fx_teardown);
    g_test_add("/control/save-state", fx, NULL, fx_setup, test_save_state,
               fx_teardown);
    g_test_add("/control/hostile", fx, NULL, fx_setup, test_hostile,
               fx_teardown);
    return g_test_run();
}
