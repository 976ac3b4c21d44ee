/* SPDX-License-Identifier: MIT */
/*
 * Requests of the control protocol (control_proto.h), parsed with
 * json-glib. Every input is hostile until it has been checked to be a
 * JSON object with a string "cmd"; the "id" member, of any JSON type, is
 * echoed so a client can match replies to requests.
 */
#define G_LOG_DOMAIN "control"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "tools/hvmemu/control_proto.h"
#include "tools/hvmemu/metrics.h"
#include "hvmemu/latency.h"

typedef JsonNode *(*control_cmd_fn)(hvmemu_control_env *env,
                                    JsonObject *req, GError **err);

static const char *const unplug_states[] = { "present", "removing",
                                             "absent" };
static const char *const unplug_kinds[] = { "disk", "cdrom", "nic" };

/* ---- status ---- */

static void add_unplug_counts(JsonBuilder *b, hv_ctx *ctx)
{
    json_builder_set_member_name(b, "unplugged");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "protocol");
    json_builder_add_int_value(b, hv_unplug_count(ctx, HV_UNPLUG_BY_PROTOCOL));
    json_builder_set_member_name(b, "twin_guard");
    json_builder_add_int_value(b, hv_unplug_count(ctx, HV_UNPLUG_BY_GUARD));
    json_builder_set_member_name(b, "refused_at_start");
    json_builder_add_int_value(b, hv_unplug_count(ctx, HV_UNPLUG_REFUSED));
    json_builder_end_object(b);
}

static void add_device_ids(JsonBuilder *b, hv_ctx *ctx)
{
    json_builder_set_member_name(b, "devices");
    json_builder_begin_array(b);
    for (unsigned i = 0; hv_builtin_classes[i]; i++) {
        hv_device *dev;

        for (unsigned n = 0; (dev = hv_ctx_find_device(
                                  ctx, hv_builtin_classes[i]->name, n));
             n++) {
            json_builder_add_string_value(b, dev->id);
        }
    }
    json_builder_end_array(b);
}

static JsonNode *cmd_status(hvmemu_control_env *env, JsonObject *req,
                            GError **err)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "domid");
    json_builder_add_int_value(b, env->domid);
    json_builder_set_member_name(b, "version");
    json_builder_add_string_value(b, HVMEMU_VERSION);
    json_builder_set_member_name(b, "uptime_s");
    json_builder_add_double_value(b, (double)(hv_now_ns() - env->started_ns) /
                                         1e9);
    json_builder_set_member_name(b, "irqs_raised");
    json_builder_add_int_value(b, (gint64)hv_ctx_irqs_raised(env->ctx));
    add_device_ids(b, env->ctx);
    add_unplug_counts(b, env->ctx);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* ---- devices ---- */

static void add_slot(void *opaque, hv_unplug_slot *s,
                     const hv_unplug_info *info)
{
    JsonBuilder *b = opaque;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, info->name);
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, unplug_kinds[info->kind]);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, unplug_states[info->state]);
    if (info->blk) {
        json_builder_set_member_name(b, "backend");
        json_builder_add_string_value(b, hv_blk_path(info->blk));
    }
    if (info->why) {
        json_builder_set_member_name(b, "why");
        json_builder_add_string_value(b, info->why);
    }
    json_builder_end_object(b);
}

static JsonNode *cmd_devices(hvmemu_control_env *env, JsonObject *req,
                             GError **err)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    add_device_ids(b, env->ctx);
    json_builder_set_member_name(b, "presented");
    json_builder_begin_array(b);
    hv_unplug_foreach(env->ctx, add_slot, b);
    json_builder_end_array(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* The string @n of the request's "args" array, or NULL. */
static const char *arg_string(JsonObject *req, guint n)
{
    JsonNode *args = json_object_get_member(req, "args");
    JsonNode *a;

    if (!args || !JSON_NODE_HOLDS_ARRAY(args) ||
        n >= json_array_get_length(json_node_get_array(args))) {
        return NULL;
    }
    a = json_array_get_element(json_node_get_array(args), n);
    return JSON_NODE_HOLDS_VALUE(a) &&
           json_node_get_value_type(a) == G_TYPE_STRING
           ? json_node_get_string(a) : NULL;
}

/* ---- stats ---- */

/* A histogram as JSON: count, quantiles, and its non-empty buckets as
 * [lower bound ns, count] pairs (scripts/plot-latency reads them). */
static void add_hist(JsonBuilder *b, const char *member, const hv_hist *h)
{
    static const struct { const char *name; double q; } qs[] = {
        { "p50_ns", 0.5 }, { "p90_ns", 0.9 }, { "p99_ns", 0.99 },
        { "max_ns", 1.0 },
    };
    uint64_t lo, hi;

    if (!h) {
        return;
    }
    json_builder_set_member_name(b, member);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "count");
    json_builder_add_int_value(b, (gint64)h->count);
    json_builder_set_member_name(b, "min_ns");
    json_builder_add_int_value(b, (gint64)h->min_ns);
    json_builder_set_member_name(b, "mean_ns");
    json_builder_add_int_value(b, h->count ? (gint64)(h->sum_ns / h->count)
                                           : 0);
    for (size_t i = 0; i < G_N_ELEMENTS(qs); i++) {
        json_builder_set_member_name(b, qs[i].name);
        json_builder_add_int_value(b, (gint64)hv_hist_quantile(h, qs[i].q));
    }
    json_builder_set_member_name(b, "buckets");
    json_builder_begin_array(b);
    for (unsigned i = 0; i < HV_HIST_BUCKETS; i++) {
        if (h->bucket[i]) {
            hv_hist_bucket_range(i, &lo, &hi);
            json_builder_begin_array(b);
            json_builder_add_int_value(b, (gint64)lo);
            json_builder_add_int_value(b, (gint64)h->bucket[i]);
            json_builder_end_array(b);
        }
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

static void add_irq_hist(void *opaque, const char *line, const hv_hist *h)
{
    add_hist(opaque, line, h);
}

static void add_int(JsonBuilder *b, const char *member, uint64_t v)
{
    json_builder_set_member_name(b, member);
    json_builder_add_int_value(b, (gint64)v);
}

/* Access counts and handler-time histograms: a region's or a register's. */
static void add_accesses(JsonBuilder *b, uint64_t reads, uint64_t writes,
                         const hv_hist *read_ns, const hv_hist *write_ns)
{
    add_int(b, "reads", reads);
    add_int(b, "writes", writes);
    add_hist(b, "read_ns", read_ns);
    add_hist(b, "write_ns", write_ns);
}

/* One register's accesses and handler time (timing on). */
static void add_register(void *opaque, const hv_reg_stat *rs)
{
    JsonBuilder *b = opaque;

    json_builder_begin_object(b);
    add_int(b, "offset", rs->offset);
    add_accesses(b, rs->reads, rs->writes, rs->read_ns, rs->write_ns);
    json_builder_end_object(b);
}

static void add_region(void *opaque, const hv_region_stat *st)
{
    JsonBuilder *b = opaque;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, st->name);
    json_builder_set_member_name(b, "space");
    json_builder_add_string_value(b, hv_space_name(st->space));
    add_int(b, "base", st->base);
    add_int(b, "len", st->len);
    json_builder_set_member_name(b, "enabled");
    json_builder_add_boolean_value(b, st->enabled);
    add_accesses(b, st->reads, st->writes, st->read_ns, st->write_ns);
    if (st->read_ns || st->write_ns) {
        json_builder_set_member_name(b, "registers");
        json_builder_begin_array(b);
        hv_region_stat_registers(st, add_register, b);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

static void add_xen_stats(JsonBuilder *b, const hv_xen *xen)
{
    hv_xen_stats xs;

    hv_xen_get_stats(xen, &xs);
    json_builder_set_member_name(b, "ioreqs");
    json_builder_begin_object(b);
    for (const hv_xen_req_type *t = hv_xen_req_types; t->name; t++) {
        add_int(b, t->name, xs.reqs[t->type]);
    }
    json_builder_set_member_name(b, "buffered");
    json_builder_add_int_value(b, (gint64)xs.bufreqs);
    json_builder_set_member_name(b, "notifications");
    json_builder_add_int_value(b, (gint64)xs.notifies);
    add_int(b, "poll_served", xs.poll_served);
    add_int(b, "poll_ns", xs.poll_ns);
    add_int(b, "poll_window_ns", xs.poll_window_ns);
    add_hist(b, "wake_to_response_ns", xs.wake_to_response_ns);
    json_builder_end_object(b);
}

static JsonNode *cmd_stats(hvmemu_control_env *env, JsonObject *req,
                           GError **err)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "regions");
    json_builder_begin_array(b);
    hv_ctx_region_stats(env->ctx, add_region, b);
    json_builder_end_array(b);
    if (env->xen) {
        add_xen_stats(b, env->xen);
    }
    json_builder_set_member_name(b, "irqs_raised");
    json_builder_add_int_value(b, (gint64)hv_ctx_irqs_raised(env->ctx));
    json_builder_set_member_name(b, "timing");
    json_builder_add_boolean_value(b, hv_ctx_timing(env->ctx));
    json_builder_set_member_name(b, "irq_raised_to_ack_ns");
    json_builder_begin_object(b);
    hv_ctx_irq_timing(env->ctx, add_irq_hist, b);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "cycle_to_irq_ns");
    json_builder_begin_object(b);
    hv_ctx_cycle_timing(env->ctx, add_irq_hist, b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* ---- metrics (Prometheus text) ---- */

static JsonNode *cmd_metrics(hvmemu_control_env *env, JsonObject *req,
                             GError **err)
{
    g_autofree char *text = hvmemu_metrics_text(env->ctx, env->xen,
                                                env->domid);

    return json_node_init_string(json_node_alloc(), text);
}

/* ---- latency on|off|reset ---- */

static JsonNode *cmd_latency(hvmemu_control_env *env, JsonObject *req,
                             GError **err)
{
    const char *what = arg_string(req, 0);

    if (!what || arg_string(req, 1) ||
        (!g_str_equal(what, "on") && !g_str_equal(what, "off") &&
         !g_str_equal(what, "reset"))) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "usage: latency on|off|reset");
        return NULL;
    }
    if (g_str_equal(what, "reset")) {
        hv_ctx_reset_timing(env->ctx);
    } else {
        hv_ctx_set_timing(env->ctx, g_str_equal(what, "on"));
    }
    return json_node_init_string(json_node_alloc(),
                                 hv_ctx_timing(env->ctx) ? "timing on"
                                                         : "timing off");
}

/* ---- trace [on|off] ---- */

static JsonNode *trace_status(hv_tracefile *t)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    hv_tracefile_stats st;

    hv_tracefile_get_stats(t, &st);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "file");
    json_builder_add_string_value(b, hv_tracefile_path(t));
    json_builder_set_member_name(b, "on");
    json_builder_add_boolean_value(b, hv_tracefile_on(t));
    json_builder_set_member_name(b, "recorded");
    json_builder_add_int_value(b, (gint64)st.recorded);
    json_builder_set_member_name(b, "written");
    json_builder_add_int_value(b, (gint64)st.written);
    json_builder_set_member_name(b, "dropped");
    json_builder_add_int_value(b, (gint64)st.dropped);
    json_builder_set_member_name(b, "capacity");
    json_builder_add_int_value(b, st.capacity);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static JsonNode *cmd_trace(hvmemu_control_env *env, JsonObject *req,
                           GError **err)
{
    const char *what = arg_string(req, 0);
    hv_tracefile *t = hv_ctx_tracefile(env->ctx);

    if (arg_string(req, 1) ||
        (what && !g_str_equal(what, "on") && !g_str_equal(what, "off"))) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "usage: trace [on|off]");
        return NULL;
    }
    if (!t) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "no trace file: start hvmemu with --trace-file FILE");
        return NULL;
    }
    if (what) {
        hv_tracefile_set_enabled(t, g_str_equal(what, "on"));
    }
    return trace_status(t);
}

/* ---- eject / insert ---- */

static JsonNode *cmd_eject(hvmemu_control_env *env, JsonObject *req,
                           GError **err)
{
    const char *drive = arg_string(req, 0), *opt = arg_string(req, 1);

    if (!drive || (opt && !g_str_equal(opt, "force"))) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "usage: eject DRIVE [force]");
        return NULL;
    }
    if (!hv_media_eject(env->ctx, drive, opt != NULL, err)) {
        return NULL;
    }
    return json_node_init_string(json_node_alloc(), "ejected");
}

static JsonNode *cmd_insert(hvmemu_control_env *env, JsonObject *req,
                            GError **err)
{
    const char *drive = arg_string(req, 0), *path = arg_string(req, 1);

    if (!drive || !path || arg_string(req, 2)) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "usage: insert DRIVE IMAGE");
        return NULL;
    }
    if (!hv_media_insert(env->ctx, drive, path, err)) {
        return NULL;
    }
    return json_node_init_string(json_node_alloc(), "inserted");
}

/* ---- device state (docs/save-restore.md) ---- */

JsonNode *hvmemu_control_state_result(hv_ctx *ctx, GError **err)
{
    g_autoptr(GBytes) state = hv_ctx_save_state(ctx, err);
    g_autoptr(JsonBuilder) b = NULL;
    g_autofree char *b64 = NULL, *sum = NULL;
    gsize len;
    const guchar *data;

    if (!state) {
        return NULL;
    }
    data = g_bytes_get_data(state, &len);
    b64 = g_base64_encode(data, len);
    sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "bytes");
    json_builder_add_int_value(b, (gint64)len);
    json_builder_set_member_name(b, "sha256");
    json_builder_add_string_value(b, sum);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, b64);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* "save-state": the devices' state now (an error with "busy" while
 * backend requests are in flight: ask again). "save-state at-exit": the
 * reply waits until hvmemu stops serving (its domain destroyed after a
 * migration's suspend, or a signal) and carries the state then. */
static JsonNode *cmd_save_state(hvmemu_control_env *env, JsonObject *req,
                                GError **err)
{
    const char *when = arg_string(req, 0);

    if ((when && !g_str_equal(when, "at-exit")) || arg_string(req, 1)) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "usage: save-state [at-exit]");
        return NULL;
    }
    if (when) {
        env->defer = true;
        return NULL;
    }
    return hvmemu_control_state_result(env->ctx, err);
}

/* ---- quit ---- */

/* ---- sandbox: what is restricted, proven by two harmless probes ---- */

static void add_errno(JsonBuilder *b, const char *name, int e)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, e == 0 ? "allowed" :
                                  e == EPERM ? "EPERM (refused)" :
                                  g_strerror(e));
}

static JsonNode *cmd_sandbox(hvmemu_control_env *env, JsonObject *req,
                             GError **err)
{
    const hvmemu_sandbox *sb = env->sandbox;
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "xen_restricted");
    json_builder_add_boolean_value(b, env->xen && hv_xen_restricted(env->xen));
    json_builder_set_member_name(b, "seccomp");
    json_builder_add_boolean_value(b, sb && sb->entered && sb->seccomp);
    json_builder_set_member_name(b, "uid");
    json_builder_add_int_value(b, geteuid());
    json_builder_set_member_name(b, "gid");
    json_builder_add_int_value(b, getegid());
    json_builder_set_member_name(b, "chroot");
    if (sb && sb->entered && sb->chroot_dir) {
        json_builder_add_string_value(b, sb->chroot_dir);
    } else {
        json_builder_add_null_value(b);
    }
    add_errno(b, "execve_probe", hvmemu_sandbox_probe_execve());
    if (env->xen) {
        add_errno(b, "other_domain_probe",
                  hv_xen_probe_other_domain(env->xen));
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static JsonNode *cmd_quit(hvmemu_control_env *env, JsonObject *req,
                          GError **err)
{
    env->quit = true;       /* the reply goes out first, then the loop ends */
    return json_node_init_string(json_node_alloc(), "shutting down");
}

static const struct {
    const char *name;
    control_cmd_fn fn;
    const char *help;
} commands[] = {
    { "status", cmd_status, "domain, uptime, devices, unplug counts" },
    { "devices", cmd_devices, "devices and the disks/NICs they present" },
    { "stats", cmd_stats, "accesses per region, ioreqs, interrupts" },
    { "metrics", cmd_metrics, "the same counters as Prometheus text" },
    { "latency", cmd_latency, "latency on|off|reset: histograms in stats" },
    { "trace", cmd_trace, "trace [on|off]: the --trace-file recording" },
    { "eject", cmd_eject, "eject DRIVE [force]: take the disc out" },
    { "insert", cmd_insert, "insert DRIVE IMAGE: load a disc (read-only)" },
    { "sandbox", cmd_sandbox, "restrictions in force, with two probes" },
    { "save-state", cmd_save_state, "save-state [at-exit]: device state "
      "(base64)" },
    { "quit", cmd_quit, "stop serving: tear down as on SIGTERM" },
    { "help", NULL, "this list" },
};

static JsonNode *cmd_help(void)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        json_builder_set_member_name(b, commands[i].name);
        json_builder_add_string_value(b, commands[i].help);
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* ---- requests and replies ---- */

static char *known_commands(void)
{
    GString *s = g_string_new(NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        g_string_append_printf(s, "%s%s", i ? ", " : "", commands[i].name);
    }
    return g_string_free(s, FALSE);
}

static JsonNode *run(hvmemu_control_env *env, JsonObject *req, GError **err)
{
    JsonNode *cmd = json_object_get_member(req, "cmd");
    const char *name;

    if (!cmd || !JSON_NODE_HOLDS_VALUE(cmd) ||
        json_node_get_value_type(cmd) != G_TYPE_STRING) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "a request is {\"cmd\": \"NAME\", ...}");
        return NULL;
    }
    name = json_node_get_string(cmd);
    if (g_str_equal(name, "help")) {
        return cmd_help();
    }
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (commands[i].fn && g_str_equal(name, commands[i].name)) {
            return commands[i].fn(env, req, err);
        }
    }
    {
        g_autofree char *known = known_commands();

        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "unknown command '%.64s' (known: %s)", name, known);
    }
    return NULL;
}

char *hvmemu_control_reply(JsonNode *id, JsonNode *result, const GError *err)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    if (id) {
        json_builder_set_member_name(b, "id");
        json_builder_add_value(b, json_node_copy(id));
    }
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, result != NULL);
    json_builder_set_member_name(b, result ? "result" : "error");
    if (result) {
        json_builder_add_value(b, result);
    } else {
        json_builder_add_string_value(b, err ? err->message : "failed");
        if (err && err->domain == HV_ERROR && err->code == HV_ERROR_BUSY) {
            json_builder_set_member_name(b, "busy");    /* ask again */
            json_builder_add_boolean_value(b, TRUE);
        }
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

char *hvmemu_control_handle(hvmemu_control_env *env, const char *line,
                            size_t len)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) err = NULL;
    JsonNode *root, *result = NULL, *id = NULL;

    if (len > HVMEMU_CONTROL_LINE_MAX) {
        g_set_error(&err, HV_ERROR, HV_ERROR_INVAL,
                    "request longer than %u bytes", HVMEMU_CONTROL_LINE_MAX);
        return hvmemu_control_reply(NULL, NULL, err);
    }
    if (!line || len == 0) {
        g_set_error(&err, HV_ERROR, HV_ERROR_INVAL, "empty request");
        return hvmemu_control_reply(NULL, NULL, err);
    }
    if (!json_parser_load_from_data(parser, line, (gssize)len, &err)) {
        g_prefix_error(&err, "not JSON: ");
        return hvmemu_control_reply(NULL, NULL, err);
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(&err, HV_ERROR, HV_ERROR_INVAL,
                    "a request is a JSON object: {\"cmd\": \"NAME\"}");
        return hvmemu_control_reply(NULL, NULL, err);
    }
    id = json_object_get_member(json_node_get_object(root), "id");
    env->defer = false;
    result = run(env, json_node_get_object(root), &err);
    if (env->defer) {
        /* Answered later (control.c keeps the id): no reply now. */
        env->deferred_id = id ? json_node_copy(id) : NULL;
        return NULL;
    }
    return hvmemu_control_reply(id, result, err);
}
