/* SPDX-License-Identifier: MIT */
/*
 * The control socket: /run/hvmemu/<domid>.sock (mode 0600, in a 0700
 * directory), line-delimited JSON (control_proto.h), served from the
 * dispatch loop. Nothing here may stall the loop: sockets are
 * non-blocking, a client gets at most CONTROL_OUT_MAX bytes of unread
 * replies and CONTROL_CLIENTS connections are served at once; a client
 * past a limit is dropped. The socket doubles as the lock against a
 * second hvmemu for the same domain: a socket that answers is refused,
 * a stale one (its daemon died) is replaced.
 */
#define G_LOG_DOMAIN "control"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tools/hvmemu/control.h"
#include "tools/hvmemu/control_proto.h"

#define CONTROL_CLIENTS 16
#define CONTROL_OUT_MAX (16u << 20)     /* a device state fits */
#define CONTROL_LAST_REPLY_MS 10000     /* at exit: the state's reply */

typedef struct control_client {
    hvmemu_control *c;
    int fd;
    hv_watch *watch;
    GString *in;
    GString *out;
    bool at_exit;           /* "save-state at-exit": answered in close */
    JsonNode *at_exit_id;
} control_client;

struct hvmemu_control {
    hvmemu_control_env env;
    hv_loop *loop;
    char *path;
    int fd;
    hv_watch *watch;
    GPtrArray *clients;
};

static void client_drop(control_client *cl)
{
    g_ptr_array_remove(cl->c->clients, cl);
    hv_loop_remove(cl->c->loop, cl->watch);
    close(cl->fd);
    g_string_free(cl->in, TRUE);
    g_string_free(cl->out, TRUE);
    if (cl->at_exit_id) {
        json_node_unref(cl->at_exit_id);
    }
    g_free(cl);
}

/* Send what is queued; false: the client is gone or too far behind. */
static bool client_flush(control_client *cl)
{
    while (cl->out->len) {
        ssize_t n = send(cl->fd, cl->out->str, cl->out->len,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            return (errno == EAGAIN || errno == EINTR) &&
                   cl->out->len <= CONTROL_OUT_MAX;
        }
        g_string_erase(cl->out, 0, n);
    }
    return true;
}

static void client_line(control_client *cl, const char *line, size_t len)
{
    g_autofree char *r = hvmemu_control_handle(&cl->c->env, line, len);

    if (!r) {
        if (cl->at_exit_id) {
            json_node_unref(cl->at_exit_id);
        }
        cl->at_exit = true;
        cl->at_exit_id = cl->c->env.deferred_id;
        cl->c->env.deferred_id = NULL;
        return;
    }
    g_string_append(cl->out, r);
    g_string_append_c(cl->out, '\n');
}

/* Whole lines out of the input buffer; an overlong line is answered
 * with an error and skipped up to its newline. */
static void client_lines(control_client *cl)
{
    char *nl;

    while ((nl = memchr(cl->in->str, '\n', cl->in->len))) {
        size_t len = (size_t)(nl - cl->in->str);

        client_line(cl, cl->in->str, len);
        g_string_erase(cl->in, 0, (gssize)len + 1);
    }
    if (cl->in->len > HVMEMU_CONTROL_LINE_MAX) {
        client_line(cl, cl->in->str, cl->in->len);
        g_string_truncate(cl->in, 0);
    }
}

static void client_ready(void *opaque, uint32_t events)
{
    control_client *cl = opaque;
    hvmemu_control *c = cl->c;
    char buf[4096];
    ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        client_drop(cl);
        return;
    }
    if (n > 0) {
        g_string_append_len(cl->in, buf, n);
        client_lines(cl);
    }
    if (!client_flush(cl)) {
        client_drop(cl);
    }
    if (c->env.quit) {
        hv_loop_quit(c->loop, 0);
    }
}

static void control_accept(void *opaque, uint32_t events)
{
    hvmemu_control *c = opaque;
    int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    control_client *cl;

    if (fd < 0) {
        return;
    }
    if (c->clients->len >= CONTROL_CLIENTS) {
        close(fd);          /* busy: the client sees the hang-up */
        return;
    }
    cl = g_new0(control_client, 1);
    cl->c = c;
    cl->fd = fd;
    cl->in = g_string_new(NULL);
    cl->out = g_string_new(NULL);
    cl->watch = hv_loop_add_fd(c->loop, fd, client_ready, cl);
    if (!cl->watch) {
        close(fd);
        g_string_free(cl->in, TRUE);
        g_string_free(cl->out, TRUE);
        g_free(cl);
        return;
    }
    g_ptr_array_add(c->clients, cl);
}

/* Another hvmemu answering on @path means this domain is served. */
static bool socket_alive(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool alive = fd >= 0 &&
                 connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;

    if (fd >= 0) {
        close(fd);
    }
    return alive;
}

static int control_listen(const char *path, GError **err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_autofree char *dir = g_path_get_dirname(path);
    mode_t old;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "control socket %s: path "
                    "too long", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "control socket: mkdir %s: "
                    "%s", dir, g_strerror(errno));
        return -1;
    }
    if (socket_alive(&sa)) {
        g_set_error(err, HV_ERROR, HV_ERROR_BUSY, "another hvmemu already "
                    "serves this domain (its control socket %s answers); "
                    "stop it first", path);
        return -1;
    }
    unlink(path);           /* stale: its daemon is gone */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    old = umask(0177);      /* the socket is born 0600 */
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 8) < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "control socket %s: %s",
                    path, g_strerror(errno));
        umask(old);
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    umask(old);
    return fd;
}

hvmemu_control *hvmemu_control_open(const char *path, hv_ctx *ctx,
                                    const hv_xen *xen, uint32_t domid,
                                    hv_loop *loop, GError **err)
{
    hvmemu_control *c;
    int fd = control_listen(path, err);

    if (fd < 0) {
        return NULL;
    }
    c = g_new0(hvmemu_control, 1);
    c->env = (hvmemu_control_env){ .ctx = ctx, .xen = xen, .domid = domid,
                                   .started_ns = hv_now_ns() };
    c->loop = loop;
    c->path = g_strdup(path);
    c->fd = fd;
    c->clients = g_ptr_array_new();
    c->watch = hv_loop_add_fd(loop, fd, control_accept, c);
    if (!c->watch) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "control socket: loop: %s",
                    g_strerror(errno));
        hvmemu_control_close(c);
        return NULL;
    }
    g_info("control socket %s", path);
    return c;
}

/* The last replies, blocking (for a while): the state of a
 * "save-state at-exit" is what a migration waits for. */
static void client_last_replies(control_client *cl, hv_ctx *ctx)
{
    struct timeval tv = { .tv_sec = CONTROL_LAST_REPLY_MS / 1000 };

    if (cl->at_exit) {
        g_autoptr(GError) err = NULL;
        JsonNode *result = hvmemu_control_state_result(ctx, &err);
        g_autofree char *r = hvmemu_control_reply(cl->at_exit_id, result,
                                                  err);

        g_string_append(cl->out, r);
        g_string_append_c(cl->out, '\n');
        g_message("device state sent at exit%s%s", err ? ": " : "",
                  err ? err->message : "");
    }
    if (!cl->out->len) {
        return;
    }
    setsockopt(cl->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (cl->out->len) {
        ssize_t n = send(cl->fd, cl->out->str, cl->out->len, MSG_NOSIGNAL);

        if (n <= 0 && errno != EINTR) {
            return;     /* gone, or not reading: give up */
        }
        if (n > 0) {
            g_string_erase(cl->out, 0, n);
        }
    }
}

void hvmemu_control_close(hvmemu_control *c)
{
    if (!c) {
        return;
    }
    while (c->clients->len) {
        control_client *cl = g_ptr_array_index(c->clients, 0);

        /* Blocking now: a last reply (quit, a state) still goes out. */
        fcntl(cl->fd, F_SETFL, 0);
        client_last_replies(cl, c->env.ctx);
        client_drop(cl);
    }
    g_ptr_array_free(c->clients, TRUE);
    if (c->watch) {
        hv_loop_remove(c->loop, c->watch);
    }
    close(c->fd);
    unlink(c->path);
    g_free(c->path);
    g_free(c);
}

void hvmemu_control_set_sandbox(hvmemu_control *c, const hvmemu_sandbox *sb)
{
    if (c) {
        c->env.sandbox = sb;
    }
}
