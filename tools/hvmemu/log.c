/* SPDX-License-Identifier: MIT */
/*
 * Log output: "hvmemu: <module>: message" on stderr, filtered by -v.
 * Warnings and errors always show; messages at -v 0; info at -v; debug
 * at -vv.
 */
#include <stdio.h>

#include <glib.h>

#include "tools/hvmemu/log.h"

static GLogWriterOutput write_log(GLogLevelFlags level,
                                  const GLogField *fields, gsize n,
                                  gpointer data)
{
    int verbosity = GPOINTER_TO_INT(data);
    const char *domain = NULL, *msg = "";

    if ((level & G_LOG_LEVEL_INFO) && verbosity < 1) {
        return G_LOG_WRITER_HANDLED;
    }
    if ((level & G_LOG_LEVEL_DEBUG) && verbosity < 2) {
        return G_LOG_WRITER_HANDLED;
    }
    for (gsize i = 0; i < n; i++) {
        if (g_str_equal(fields[i].key, "GLIB_DOMAIN") &&
            !g_str_equal(fields[i].value, "hvmemu")) {
            domain = fields[i].value;
        } else if (g_str_equal(fields[i].key, "MESSAGE")) {
            msg = fields[i].value;
        }
    }
    fprintf(stderr, "hvmemu: %s%s%s%s\n", domain ? domain : "",
            domain ? ": " : "",
            (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL |
                      G_LOG_LEVEL_ERROR)) ? "warning: " : "", msg);
    return G_LOG_WRITER_HANDLED;
}

void hvmemu_log_init(int verbosity)
{
    g_log_set_writer_func(write_log, GINT_TO_POINTER(verbosity), NULL);
}
