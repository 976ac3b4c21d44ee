/* SPDX-License-Identifier: MIT */
/*
 * hvmemu-ctl: one request to a running hvmemu over its control socket
 * (docs/control.md), the reply printed as indented JSON (or the raw line
 * with --json).
 *
 *   hvmemu-ctl --domid 5 status
 *   hvmemu-ctl --socket /run/hvmemu/5.sock stats
 *
 * Exit status: 0 ok, 1 hvmemu answered with an error, 2 usage or no
 * answer (not running, socket refused, no reply within --timeout).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <json-glib/json-glib.h>

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

        if (left <= 0 || poll(&pf, 1, left) <= 0 ||
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

int main(int argc, char **argv)
{
    g_autofree char *socket_path = NULL, *line = NULL, *reply = NULL;
    int domid = -1, timeout = 5000, fd;
    gboolean raw = FALSE;
    GOptionEntry entries[] = {
        { "domid", 'd', 0, G_OPTION_ARG_INT, &domid,
          "the domain's hvmemu (socket /run/hvmemu/N.sock)", "N" },
        { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
          "the control socket itself", "PATH" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &raw, "print the reply line as "
          "it came", NULL },
        { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "ms to wait for "
          "the reply (default 5000)", "MS" },
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
                                     "DRIVE IMAGE, sandbox, quit, help.\n");
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        fprintf(stderr, "hvmemu-ctl: %s\n", err->message);
        return 2;
    }
    if (argc < 2 || (!socket_path && domid < 0)) {
        fprintf(stderr, "hvmemu-ctl: give --domid N or --socket PATH, and a "
                "command (see --help)\n");
        return 2;
    }
    if (!socket_path) {
        socket_path = g_strdup_printf("/run/hvmemu/%d.sock", domid);
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
