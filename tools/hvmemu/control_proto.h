/* SPDX-License-Identifier: MIT */
/*
 * The control protocol: one JSON object per line in, one per line out
 * (docs/control.md). This half has no sockets, so the fuzz target and the
 * unit test drive it directly; control.c carries it over the unix socket.
 *
 *   → {"cmd": "status", "id": 7}
 *   ← {"id": 7, "ok": true, "result": {...}}
 *   ← {"id": 7, "ok": false, "error": "unknown command 'x' (known: ...)"}
 */
#ifndef HVMEMU_TOOL_CONTROL_PROTO_H
#define HVMEMU_TOOL_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/sandbox.h"

#define HVMEMU_CONTROL_LINE_MAX 65536   /* longer requests are refused */

typedef struct hvmemu_control_env {
    hv_ctx *ctx;
    const hv_xen *xen;      /* NULL: no Xen statistics (tests, fuzzing) */
    uint32_t domid;
    const hvmemu_sandbox *sandbox;  /* NULL: not known (tests, fuzzing) */
    uint64_t started_ns;
    bool quit;              /* set by "quit": the caller stops the loop */
    bool defer;             /* the request is answered at exit ... */
    JsonNode *deferred_id;  /* ... with this id (taken by the caller) */
} hvmemu_control_env;

/* One request line (@len bytes, no newline; need not be NUL-terminated)
 * to one reply line (no newline). NULL only for a request answered at
 * exit (env->defer; its id in env->deferred_id, for the caller). */
char *hvmemu_control_handle(hvmemu_control_env *env, const char *line,
                            size_t len);
/* A reply line: @result (taken) or @err. */
char *hvmemu_control_reply(JsonNode *id, JsonNode *result, const GError *err);
/* The "save-state" result: bytes, sha256, state (base64). */
JsonNode *hvmemu_control_state_result(hv_ctx *ctx, GError **err);

#endif
