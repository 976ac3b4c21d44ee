/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the control protocol's request parser and commands
 * (tools/hvmemu/control_proto.c). The input is one request line as a
 * client would send it, any bytes. Invariants: the reply is one line of
 * JSON, an object with a boolean "ok" and a "result" or an "error"; an
 * input that is not a JSON object with a known string "cmd" gets ok=false;
 * only a literal quit command sets the quit flag.
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "tools/hvmemu/control_proto.h"

static hvmemu_control_env env;

static void machine_once(void)
{
    static hv_memhost *mh;
    static hv_loop *loop;
    GError *err = NULL;

    if (mh) {
        return;
    }
    mh = hv_memhost_new(64 * 1024);
    loop = hv_loop_new();
    env.ctx = hv_ctx_new(hv_memhost_ops(), mh, loop);
    FZ_CHECK(hv_device_create(env.ctx, "testdev,port=0x2000", &err) != NULL,
             "testdev: %s", err ? err->message : "?");
    env.domid = 1;
    env.started_ns = hv_now_ns();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree char *line = NULL;
    JsonObject *o;
    bool ok;

    fz_init_once();
    machine_once();
    env.quit = false;
    line = hvmemu_control_handle(&env, (const char *)data, size);
    if (!line) {
        /* Answered at exit ("save-state at-exit") and nothing else. */
        FZ_CHECK(env.defer && memmem(data, size, "at-exit", 7),
                 "no reply");
        if (env.deferred_id) {
            json_node_unref(env.deferred_id);
            env.deferred_id = NULL;
        }
        return 0;
    }
    FZ_CHECK(!strchr(line, '\n'), "reply spans lines: %s", line);
    FZ_CHECK(json_parser_load_from_data(p, line, -1, NULL),
             "reply is not JSON: %s", line);
    FZ_CHECK(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)),
             "reply is not an object: %s", line);
    o = json_node_get_object(json_parser_get_root(p));
    FZ_CHECK(json_object_has_member(o, "ok"), "no ok: %s", line);
    ok = json_object_get_boolean_member(o, "ok");
    FZ_CHECK(json_object_has_member(o, ok ? "result" : "error"),
             "ok=%d without its member: %s", ok, line);
    FZ_CHECK(!env.quit || (ok && memmem(data, size, "quit", 4)),
             "quit without a quit request");
    return 0;
}
