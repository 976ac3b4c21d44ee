/* SPDX-License-Identifier: MIT */
/*
 * hvmemu-ctl: one request to a running hvmemu over its control socket
 * (docs/control.md), the reply printed as indented JSON (or the raw line
 * with --json).
 *
 *   hvmemu-ctl --domid 5 status
 *   hvmemu-ctl --socket /run/hvmemu/5.sock stats
 *   hvmemu-ctl --domid 5 save-state FILE [at-exit]
 *   hvmemu-ctl state-info FILE
 *
 * save-state writes the device state into FILE (atomically, fsync'ed),
 * asking again while hvmemu reports requests in flight (until
 * --timeout); with at-exit the reply comes when hvmemu stops serving
 * (docs/save-restore.md), and --timeout 0 (the default then) waits
 * for as long as that takes.
 *
 * Exit status: 0 ok, 1 hvmemu answered with an error, 2 usage or no
 * answer (not running, socket refused, no reply within --timeout).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hvmemu/state.h"

#define CTL_REPLY_MAX (16u << 20)

static int ctl_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static char *request_line(char **words)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "cmd");
    json_builder_add_string_value(b, words[0]);
    if (words[1]) {
        json_builder_set_member_name(b, "args");
        json_builder_begin_array(b);
        for (unsigned i = 1; words[i]; i++) {
            json_builder_add_string_value(b, words[i]);
        }
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    text = json_to_string(root, FALSE);
    return g_strconcat(text, "\n", NULL);
}

/* The first reply line, or NULL after @timeout_ms or a hang-up. */
static char *read_reply(int fd, int timeout_ms)
{
    GString *s = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (!memchr(s->str, '\n', s->len) && s->len < CTL_REPLY_MAX) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        char buf[4096];
        ssize_t n;

        if (timeout_ms <= 0) {
            left = -1;          /* no deadline */
        }
        if (left == 0 || (left < 0 && timeout_ms > 0) ||
            poll(&pf, 1, left) <= 0 ||
            (n = read(fd, buf, sizeof(buf))) <= 0) {
            g_string_free(s, TRUE);
            return NULL;
        }
        g_string_append_len(s, buf, n);
    }
    g_string_truncate(s, (gsize)(strchr(s->str, '\n') - s->str));
    return g_string_free(s, FALSE);
}

static int print_reply(const char *line, bool raw)
{
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o;

    if (!json_parser_load_from_data(p, line, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        fprintf(stderr, "hvmemu-ctl: not a reply: %s\n", line);
        return 2;
    }
    o = json_node_get_object(json_parser_get_root(p));
    if (raw) {
        printf("%s\n", line);
    } else if (json_object_get_boolean_member_with_default(o, "ok", FALSE)) {
        JsonNode *r = json_object_get_member(o, "result");
        g_autofree char *pretty = NULL;

        if (r && JSON_NODE_HOLDS_VALUE(r) &&
            json_node_get_value_type(r) == G_TYPE_STRING) {
            /* Text (a message, the metrics exposition) as it is. */
            const char *text = json_node_get_string(r);
            printf("%s%s", text, g_str_has_suffix(text, "\n") ? "" : "\n");
        } else {
            pretty = json_to_string(r, TRUE);
            printf("%s\n", pretty);
        }
    } else {
        fprintf(stderr, "hvmemu-ctl: %s\n",
                json_object_get_string_member_with_default(o, "error", "?"));
    }
    return json_object_get_boolean_member_with_default(o, "ok", FALSE) ? 0
                                                                       : 1;
}

/* ---- save-state FILE [at-exit], state-info FILE ---- */

/* Write @data to @path via a temporary, fsync'ed, renamed over it: a
 * crash leaves the old file or the new one, never half of one. */
static bool write_file_durably(const char *path, const void *data,
                               size_t len)
{
    g_autofree char *tmp = g_strdup_printf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;

    if (fd < 0) {
        fprintf(stderr, "hvmemu-ctl: %s: %s\n", tmp, g_strerror(errno));
        return false;
    }
    while (done < len) {
        ssize_t n = write(fd, (const char *)data + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        done += (size_t)n;
    }
    if (done < len || fsync(fd) < 0 || close(fd) < 0 ||
        rename(tmp, path) < 0) {
        fprintf(stderr, "hvmemu-ctl: %s: %s\n", path, g_strerror(errno));
        g_unlink(tmp);
        return false;
    }
    return true;
}

/* The state from a save-state reply into @path; 0, 1 (hvmemu's error),
 * 2 (our own), -1: busy (ask again). */
static int save_reply(const char *line, const char *path)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree guchar *data = NULL;
    g_autofree char *sum = NULL;
    JsonObject *o, *r;
    gsize len;

    if (!json_parser_load_from_data(p, line, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        fprintf(stderr, "hvmemu-ctl: not a reply: %.200s\n", line);
        return 2;
    }
    o = json_node_get_object(json_parser_get_root(p));
    if (!json_object_get_boolean_member_with_default(o, "ok", FALSE)) {
        if (json_object_get_boolean_member_with_default(o, "busy", FALSE)) {
            return -1;
        }
        fprintf(stderr, "hvmemu-ctl: %s\n",
                json_object_get_string_member_with_default(o, "error", "?"));
        return 1;
    }
    r = json_object_get_object_member(o, "result");
    if (!r || !json_object_get_string_member_with_default(r, "state", NULL)) {
        fprintf(stderr, "hvmemu-ctl: the reply has no state\n");
        return 2;
    }
    data = g_base64_decode(json_object_get_string_member(r, "state"), &len);
    sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    if (g_strcmp0(sum, json_object_get_string_member_with_default(
                           r, "sha256", "")) != 0) {
        fprintf(stderr, "hvmemu-ctl: the state arrived damaged (SHA-256 "
                "differs)\n");
        return 2;
    }
    if (!write_file_durably(path, data, len)) {
        return 2;
    }
    printf("hvmemu-ctl: device state, %zu bytes, saved to %s\n", len, path);
    return 0;
}

static int cmd_save_state(const char *sock, char **words, int timeout)
{
    bool at_exit = words[2] && g_str_equal(words[2], "at-exit");
    char *req[] = { "save-state", at_exit ? "at-exit" : NULL, NULL };
    g_autofree char *line = request_line(req);
    gint64 end = g_get_monotonic_time() + (gint64)timeout * 1000;

    if (!words[1] || (words[2] && !at_exit) || (words[2] && words[3])) {
        fprintf(stderr, "hvmemu-ctl: usage: save-state FILE [at-exit]\n");
        return 2;
    }
    for (;;) {
        g_autofree char *reply = NULL;
        int fd = ctl_connect(sock), rc;

        if (fd < 0) {
            fprintf(stderr, "hvmemu-ctl: %s: %s\n", sock, g_strerror(errno));
            return 2;
        }
        if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
            !(reply = read_reply(fd, at_exit ? timeout : 5000))) {
            fprintf(stderr, "hvmemu-ctl: no reply from %s\n", sock);
            close(fd);
            return 2;
        }
        close(fd);
        rc = save_reply(reply, words[1]);
        if (rc >= 0) {
            return rc;
        }
        if (g_get_monotonic_time() > end) {
            fprintf(stderr, "hvmemu-ctl: requests still in flight after "
                    "%d ms; is the guest paused?\n", timeout);
            return 1;
        }
        g_usleep(50 * 1000);   /* in flight: they end in milliseconds */
    }
}

static int cmd_state_info(char **words)
{
    g_autofree char *data = NULL, *text = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;

    if (!words[1] || words[2]) {
        fprintf(stderr, "hvmemu-ctl: usage: state-info FILE\n");
        return 2;
    }
    if (!g_file_get_contents(words[1], &data, &len, &err) ||
        !(text = hv_state_describe(data, len, &err))) {
        fprintf(stderr, "hvmemu-ctl: %s: %s\n", words[1], err->message);
        return 1;
    }
    fputs(text, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    g_autofree char *socket_path = NULL, *line = NULL, *reply = NULL;
    int domid = -1, timeout = -1, fd;
    gboolean raw = FALSE;
    GOptionEntry entries[] = {
        { "domid", 'd', 0, G_OPTION_ARG_INT, &domid,
          "the domain's hvmemu (socket /run/hvmemu/N.sock)", "N" },
        { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
          "the control socket itself", "PATH" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &raw, "print the reply line as "
          "it came", NULL },
        { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "ms to wait for "
          "the reply (default 5000; save-state at-exit: 0, no limit)",
          "MS" },
        { NULL },
    };
    g_autoptr(GOptionContext) oc = g_option_context_new(
        "COMMAND [ARGS...] - talk to a running hvmemu");
    g_autoptr(GError) err = NULL;

    g_option_context_add_main_entries(oc, entries, NULL);
    g_option_context_set_description(oc, "Commands: status, devices, "
                                     "stats, metrics, latency on|off|reset, "
                                     "trace [on|off], "
                                     "eject DRIVE "
                                     "[force], insert "
                                     "DRIVE IMAGE, sandbox, save-state FILE "
                                     "[at-exit], quit, help; state-info "
                                     "FILE (no daemon needed).\n");
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        fprintf(stderr, "hvmemu-ctl: %s\n", err->message);
        return 2;
    }
    if (argc >= 2 && g_str_equal(argv[1], "state-info")) {
        return cmd_state_info(argv + 1);
    }
    if (argc < 2 || (!socket_path && domid < 0)) {
        fprintf(stderr, "hvmemu-ctl: give --domid N or --socket PATH, and a "
                "command (see --help)\n");
        return 2;
    }
    if (!socket_path) {
        socket_path = g_strdup_printf("/run/hvmemu/%d.sock", domid);
    }
    if (g_str_equal(argv[1], "save-state")) {
        bool at_exit = argc > 3 && g_str_equal(argv[3], "at-exit");

        return cmd_save_state(socket_path, argv + 1,
                              timeout >= 0 ? timeout : at_exit ? 0 : 5000);
    }
    if (timeout < 0) {
        timeout = 5000;
    }
    fd = ctl_connect(socket_path);
    if (fd < 0) {
        fprintf(stderr, "hvmemu-ctl: %s: %s (is hvmemu serving that "
                "domain?)\n", socket_path, g_strerror(errno));
        return 2;
    }
    line = request_line(argv + 1);
    if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
        !(reply = read_reply(fd, timeout))) {
        fprintf(stderr, "hvmemu-ctl: no reply from %s\n", socket_path);
        close(fd);
        return 2;
    }
    close(fd);
    return print_reply(reply, raw);
}
