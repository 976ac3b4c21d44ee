/* SPDX-License-Identifier: MIT */
/*
 * The trace file: a full ring drops and counts (the writer held, so it is
 * deterministic) and the file says how many; what is recorded comes out
 * as Trace Event JSON that parses, with the track names; the context's
 * hooks record region slices, interrupt slices and a command cycle's flow
 * (and its histogram with timing on), and nothing while the trace is off.
 */
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"

typedef struct counts {
    unsigned slices, flows_s, flows_f, dropped_marks, tracks;
    gint64 dropped;
} counts;

static void count(JsonArray *a, guint i, JsonNode *n, gpointer opaque)
{
    counts *c = opaque;
    JsonObject *o = json_node_get_object(n);
    const char *ph = json_object_get_string_member(o, "ph");
    const char *name = json_object_get_string_member(o, "name");

    if (g_str_equal(ph, "X")) {
        c->slices++;
    } else if (g_str_equal(ph, "s")) {
        c->flows_s++;
    } else if (g_str_equal(ph, "f")) {
        c->flows_f++;
    } else if (g_str_equal(ph, "M") && g_str_equal(name, "thread_name")) {
        c->tracks++;
    } else if (g_str_has_prefix(name, "dropped ")) {
        c->dropped_marks++;
        c->dropped += g_ascii_strtoll(name + 8, NULL, 10);
    }
}

static counts parse(const char *path)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) err = NULL;
    counts c = { 0 };

    g_assert_true(json_parser_load_from_file(p, path, &err));
    g_assert_no_error(err);
    json_array_foreach_element(json_node_get_array(json_parser_get_root(p)),
                               count, &c);
    return c;
}

static char *tmp_path(void)
{
    int fd = g_file_open_tmp("hvmemu-trace-XXXXXX.json", NULL, NULL);
    char *path = g_strdup_printf("/proc/self/fd/%d", fd);
    g_autofree char *real = g_file_read_link(path, NULL);

    g_free(path);
    close(fd);
    return g_strdup(real);
}

static void test_full_ring(void)
{
    g_autofree char *path = tmp_path();
    g_autoptr(GError) err = NULL;
    hv_tracefile *t = hv_tracefile_open(path, 16, "unit", &err);
    hv_tracefile_stats st;
    unsigned track;
    counts c;

    g_assert_no_error(err);
    hv_tracefile_hold(t, true);
    track = hv_tracefile_track(t, "dev \"quoted\"");   /* escaped */
    g_assert_cmpuint(track, ==, hv_tracefile_track(t, "dev \"quoted\""));
    for (int i = 0; i < 100; i++) {
        hv_tracefile_slice(t, HV_TEV_SPAN, track, "op", 1000, 2000, i, 0,
                           false);
    }
    hv_tracefile_get_stats(t, &st);
    g_assert_cmpuint(st.capacity, ==, 16);
    g_assert_cmpuint(st.recorded, ==, 16);      /* the track and 15 */
    g_assert_cmpuint(st.dropped, ==, 85);
    hv_tracefile_hold(t, false);
    hv_tracefile_close(t);
    c = parse(path);
    g_assert_cmpuint(c.tracks, ==, 1);
    g_assert_cmpuint(c.slices, ==, 15);
    g_assert_cmpuint(c.dropped_marks, ==, 1);
    g_assert_cmpint(c.dropped, ==, 85);
    unlink(path);
}

static void test_open_error(void)
{
    g_autoptr(GError) err = NULL;

    g_assert_null(hv_tracefile_open("/nonexistent/dir/t.json", 0, NULL,
                                    &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_IO);
    g_assert_nonnull(strstr(err->message, "/nonexistent/dir/t.json"));
}

static uint64_t noop_read(void *opaque, uint64_t off, unsigned size)
{
    return 0;
}

static void cmd_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
    hv_ctx *ctx = opaque;

    hv_ctx_cycle_begin(ctx, ctx, "unit command", true);
}

static const hv_region_ops cmd_ops = { noop_read, cmd_write, 1, 4 };

static void on_cycle(void *opaque, const char *name, const hv_hist *h)
{
    g_assert_cmpstr(name, ==, "unit command");
    *(uint64_t *)opaque = h->count;
}

static void test_ctx_hooks(void)
{
    g_autofree char *path = tmp_path();
    hv_memhost *mh = hv_memhost_new(4096);
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, NULL);
    hv_tracefile *t = hv_tracefile_open(path, 0, "unit", NULL);
    uint64_t cycles = 0;
    counts c;

    g_assert_nonnull(hv_region_add(ctx, HV_SPACE_PIO, 0x100, 8, &cmd_ops,
                                   ctx, "cmd", NULL));
    hv_ctx_set_tracefile(ctx, t);
    g_assert_true(hv_ctx_tracing(ctx));
    /* Traced: a command write (slice + flow start), its interrupt (flow
     * end, then the raise → ack slice). */
    hv_dispatch_write(ctx, HV_SPACE_PIO, 0x107, 1, 0xc8);
    hv_set_isa_irq(ctx, ctx, 14, 1);
    hv_dispatch_read(ctx, HV_SPACE_PIO, 0x107, 1);
    hv_set_isa_irq(ctx, ctx, 14, 0);
    hv_ctx_cycle_timing(ctx, on_cycle, &cycles);
    g_assert_cmpuint(cycles, ==, 0);            /* timing off: no hist */
    /* Off: nothing more. */
    hv_tracefile_set_enabled(t, false);
    hv_dispatch_write(ctx, HV_SPACE_PIO, 0x107, 1, 0xc8);
    hv_set_isa_irq(ctx, ctx, 14, 1);
    hv_set_isa_irq(ctx, ctx, 14, 0);
    /* Timing on, trace still off: the cycle histogram only. */
    hv_ctx_set_timing(ctx, true);
    hv_dispatch_write(ctx, HV_SPACE_PIO, 0x107, 1, 0xc8);
    hv_set_isa_irq(ctx, ctx, 14, 1);
    hv_set_isa_irq(ctx, ctx, 14, 0);
    hv_ctx_cycle_timing(ctx, on_cycle, &cycles);
    g_assert_cmpuint(cycles, ==, 1);
    hv_ctx_free(ctx);
    hv_memhost_free(mh);
    hv_tracefile_close(t);

    c = parse(path);
    g_assert_cmpuint(c.tracks, ==, 2);          /* cmd, isa-irq14 */
    g_assert_cmpuint(c.slices, ==, 3);          /* write, read, irq */
    g_assert_cmpuint(c.flows_s, ==, 1);
    g_assert_cmpuint(c.flows_f, ==, 1);
    g_assert_cmpuint(c.dropped_marks, ==, 0);
    unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/core/tracefile/full-ring", test_full_ring);
    g_test_add_func("/core/tracefile/open-error", test_open_error);
    g_test_add_func("/core/tracefile/ctx-hooks", test_ctx_hooks);
    return g_test_run();
}
