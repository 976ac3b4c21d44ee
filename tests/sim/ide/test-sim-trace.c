// SPDX-License-Identifier: MIT
/*
 * --trace-file with the real daemon under xensim: DMA reads and writes of
 * the IDE disk end up in a Trace Event JSON file that parses, names its
 * tracks (vCPU, device regions, IRQ 14, the backend), has a slice per
 * ioreq and a flow from each command write to its interrupt;
 * hvmemu-ctl trace off/on leaves a gap with nothing recorded in it; a
 * tiny ring never stalls the guest; and
 * scripts/plot-trace draws one command's time line from the file.
 */
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "ide-guest.h"

typedef struct trace_summary {
    GHashTable *tracks;     /* track name -> tid */
    unsigned ioreqs, regions, irqs, spans, flow_s, flow_f, dropped_marks;
    GHashTable *open_flows; /* id -> name, from "s" until its "f" */
    double off_ts, on_ts;   /* the "trace off" / "trace on" notes, or -1 */
    bool lossy;             /* events were dropped: arrows may lack ends */
    unsigned in_gap;        /* ioreq slices inside the off..on gap */
} trace_summary;

static const char *str_member(JsonObject *o, const char *m)
{
    JsonNode *n = json_object_get_member(o, m);

    return n && JSON_NODE_HOLDS_VALUE(n) &&
           json_node_get_value_type(n) == G_TYPE_STRING
           ? json_node_get_string(n) : NULL;
}

static void count_event(JsonArray *a, guint i, JsonNode *n, gpointer opaque)
{
    trace_summary *t = opaque;
    JsonObject *o = json_node_get_object(n);
    const char *ph = str_member(o, "ph"), *cat = str_member(o, "cat");
    const char *name = str_member(o, "name");

    g_assert_nonnull(ph);
    g_assert_nonnull(name);
    if (g_str_equal(ph, "M")) {
        if (g_str_equal(name, "thread_name")) {
            JsonObject *args = json_object_get_object_member(o, "args");
            g_hash_table_insert(t->tracks,
                                g_strdup(str_member(args, "name")),
                                GINT_TO_POINTER(json_object_get_int_member(
                                    o, "tid")));
        }
        return;
    }
    g_assert_true(json_object_has_member(o, "ts"));
    if (g_str_equal(ph, "X")) {
        g_assert_true(json_object_has_member(o, "dur"));
        g_assert_cmpfloat(json_object_get_double_member(o, "dur"), >=, 0);
        if (g_str_equal(cat, "ioreq")) {
            double ts = json_object_get_double_member(o, "ts");

            t->ioreqs++;
            if (t->off_ts >= 0 && ts > t->off_ts &&
                (t->on_ts < 0 || ts < t->on_ts)) {
                t->in_gap++;
            }
        } else if (g_str_equal(cat, "device")) {
            t->regions++;
        } else if (g_str_equal(cat, "irq")) {
            t->irqs++;
        } else {
            t->spans++;
        }
    } else if (g_str_equal(ph, "s")) {
        t->flow_s++;
        g_hash_table_insert(t->open_flows,
                            GINT_TO_POINTER(json_object_get_int_member(o,
                                                                       "id")),
                            g_strdup(name));
    } else if (g_str_equal(ph, "f")) {
        gpointer id = GINT_TO_POINTER(json_object_get_int_member(o, "id"));
        const char *opened = g_hash_table_lookup(t->open_flows, id);

        /* Every arrow's end has its start, under the same name. */
        if (!t->lossy) {
            g_assert_nonnull(opened);
            g_assert_cmpstr(opened, ==, name);
        }
        g_assert_cmpstr(str_member(o, "bp"), ==, "e");
        g_hash_table_remove(t->open_flows, id);
        t->flow_f++;
    } else if (g_str_equal(ph, "i")) {
        double ts = json_object_get_double_member(o, "ts");

        if (g_str_equal(name, "trace off")) {
            t->off_ts = ts;
        } else if (g_str_equal(name, "trace on")) {
            t->on_ts = ts;
        } else if (g_str_has_prefix(name, "dropped ")) {
            t->dropped_marks++;
        }
    }
}

/* Parse @path as a whole JSON array of events and count them. Events
 * are in the file's order, which for notes and ioreqs of one thread is
 * time order, so the gap check can be done in one pass only after the
 * notes are known: parse twice. */
static void summarise(const char *path, bool lossy, trace_summary *t)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) err = NULL;
    JsonArray *a;

    memset(t, 0, sizeof(*t));
    t->off_ts = t->on_ts = -1;
    g_assert_true(json_parser_load_from_file(p, path, &err));
    g_assert_no_error(err);
    g_assert_true(JSON_NODE_HOLDS_ARRAY(json_parser_get_root(p)));
    a = json_node_get_array(json_parser_get_root(p));
    for (int pass = 0; pass < 2; pass++) {
        double off = t->off_ts, on = t->on_ts;

        g_clear_pointer(&t->tracks, g_hash_table_destroy);
        g_clear_pointer(&t->open_flows, g_hash_table_destroy);
        memset(t, 0, sizeof(*t));
        t->off_ts = off;
        t->on_ts = on;
        t->lossy = lossy;
        t->tracks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          NULL);
        t->open_flows = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                              NULL, g_free);
        json_array_foreach_element(a, count_event, t);
    }
}

static void summary_free(trace_summary *t)
{
    g_hash_table_destroy(t->tracks);
    g_hash_table_destroy(t->open_flows);
}

static void test_trace_file(void)
{
    g_autofree char *img = ig_make_image(64ull << 20);
    g_autofree char *dir = g_dir_make_tmp("hvmemu-trace-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "trace.json", NULL);
    g_autofree char *png = g_build_filename(dir, "timeline.png", NULL);
    g_autofree char *dash = g_strdup_printf("--trace-file=%s", path);
    const char *extra[] = { dash, "--latency", "on", NULL };
    g_autofree char *out = NULL, *plot_out = NULL;
    const char *plot = g_getenv("PLOT_TRACE");
    trace_summary t;
    env e;

    g_assert_nonnull(plot);
    ig_start_args(&e, img, NULL, extra);
    for (int i = 0; i < 8; i++) {
        g_assert_cmphex(ig_dma(&e, 0xca, 64 * i, 8, 4096, false), ==,
                        BM_INTR);
        g_assert_cmphex(ig_dma(&e, 0xc8, 64 * i, 8, 4096, false), ==,
                        BM_INTR);
    }
    g_assert_cmpint(simh_ctl(e.h, "trace", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"on\" : true"));
    g_assert_nonnull(strstr(out, "\"dropped\" : 0"));
    g_clear_pointer(&out, g_free);
    /* The cycle histogram: command write → interrupt. */
    g_assert_cmpint(simh_ctl(e.h, "stats", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"ide0 command\""));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(simh_ctl(e.h, "trace off", &out), ==, 0);
    g_clear_pointer(&out, g_free);
    for (int i = 0; i < 4; i++) {       /* not recorded */
        g_assert_cmphex(ig_dma(&e, 0xc8, 0, 8, 4096, false), ==, BM_INTR);
    }
    g_assert_cmpint(simh_ctl(e.h, "trace on", &out), ==, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmphex(ig_dma(&e, 0xc8, 8, 8, 4096, false), ==, BM_INTR);
    g_assert_cmpint(simh_ctl(e.h, "trace sideways", &out), ==, 1);
    g_clear_pointer(&out, g_free);
    ig_stop(&e);

    summarise(path, false, &t);
    g_assert_true(g_hash_table_contains(t.tracks, "vcpu0"));
    g_assert_true(g_hash_table_contains(t.tracks, "isa-irq14"));
    g_assert_true(g_hash_table_contains(t.tracks, "ide0.0 backend"));
    /* 17 traced DMA commands: ~10 port accesses each, one backend span,
     * one IRQ 14 slice and one arrow each. */
    g_assert_cmpuint(t.ioreqs, >=, 17 * 8);
    g_assert_cmpuint(t.regions, >=, 17 * 8);
    g_assert_cmpuint(t.spans, >=, 17);
    g_assert_cmpuint(t.irqs, >=, 17);
    g_assert_cmpuint(t.flow_f, >=, 17);
    g_assert_cmpuint(t.flow_s, ==, t.flow_f);
    g_assert_cmpuint(g_hash_table_size(t.open_flows), ==, 0);
    g_assert_cmpfloat(t.off_ts, >, 0);
    g_assert_cmpfloat(t.on_ts, >, t.off_ts);
    g_assert_cmpuint(t.in_gap, ==, 0);
    g_assert_cmpuint(t.dropped_marks, ==, 0);
    summary_free(&t);

    /* One command's time line, from its port writes to its interrupt. */
    plot_out = simh_plot(plot, path, png);
    g_assert_nonnull(strstr(plot_out, "ide0 command"));
    g_test_message("%s", plot_out);
    if (g_getenv("HVMEMU_TEST_KEEP")) {     /* to look at: trace, plot */
        g_test_message("kept %s and %s", path, png);
    } else {
        unlink(png);
        unlink(path);
        rmdir(dir);
    }
    unlink(img);
}

/* A 16-event ring under a guest that keeps going: the guest is never
 * held up, the file still parses, and every drop the daemon counted is
 * marked in it. (That a full ring drops is the unit test's: there the
 * writer can be held.) */
static void test_trace_small_ring(void)
{
    g_autofree char *img = ig_make_image(64ull << 20);
    g_autofree char *dir = g_dir_make_tmp("hvmemu-trace-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "trace.json", NULL);
    g_autofree char *dash = g_strdup_printf("--trace-file=%s", path);
    const char *extra[] = { dash, "--trace-events", "16", NULL };
    g_autofree char *out = NULL;
    trace_summary t;
    bool dropped;
    env e;

    ig_start_args(&e, img, NULL, extra);
    for (int i = 0; i < 200; i++) {
        g_assert_cmphex(ig_dma(&e, 0xc8, 8 * i, 8, 4096, false), ==,
                        BM_INTR);
    }
    g_assert_cmpint(simh_ctl(e.h, "trace", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"capacity\" : 16"));
    dropped = !strstr(out, "\"dropped\" : 0,");
    ig_stop(&e);
    summarise(path, dropped, &t);
    g_assert_cmpuint(t.ioreqs, >, 0);
    if (dropped) {
        g_assert_cmpuint(t.dropped_marks, >, 0);
    }
    g_test_message("16-event ring: drops %s", dropped ? "yes" : "no");
    summary_free(&t);
    unlink(path);
    unlink(img);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/trace/file", test_trace_file);
    g_test_add_func("/sim/trace/small-ring", test_trace_small_ring);
    return g_test_run();
}
