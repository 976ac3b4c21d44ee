/* SPDX-License-Identifier: MIT */
/*
 * xensim-store: a small xenstored for the simulated-Xen tests. It speaks
 * Xen's real xenstore wire protocol (xen/io/xs_wire.h: an xsd_sockmsg
 * header, then the payload) on a unix socket, so the daemon under test
 * and the tests use Debian's real libxenstore against it, through
 * XENSTORED_PATH.
 *
 * Semantics follow Xen's docs/misc/xenstore.txt where tests can see them:
 * WRITE creates missing parents with empty values; RM removes a subtree;
 * DIRECTORY lists the children; a WATCH fires once when it is set, then
 * for every change of its path or anything below it (and for the removal
 * of a parent), naming the node that changed. Not simulated, and said so:
 * transactions apply at once (no isolation, END always succeeds),
 * permissions are accepted and not enforced, there are no quotas.
 *
 * Hostile clients are bounded: a header with a payload over
 * XENSTORE_PAYLOAD_MAX drops the connection; malformed payloads get an
 * error reply; a client that stops reading is dropped once its queued
 * output passes STORE_OUT_MAX.
 *
 *   xensim-store --socket PATH [-v]      prints "READY PATH" when listening
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <xen/io/xs_wire.h>

#define STORE_MAX_CLIENTS 64
#define STORE_OUT_MAX     (1u << 20)

typedef struct client {
    int fd;
    GByteArray *in, *out;
    GPtrArray *watches;         /* "path\0token" pairs, as two strings */
} client;

typedef struct store {
    GHashTable *nodes;          /* path → value (both owned) */
    GPtrArray *clients;
    bool verbose;
    uint32_t next_tx;
} store;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = 1;
}

/* ---- the tree ---- */

static bool path_ok(const char *p, size_t len)
{
    return len > 0 && len <= XENSTORE_ABS_PATH_MAX && p[0] == '/' &&
           (len == 1 || p[len - 1] != '/') && !strstr(p, "//");
}

/* @a is @b or below it. */
static bool is_under(const char *a, const char *b)
{
    size_t n = strlen(b);

    if (n == 1) {
        return true;            /* everything is under "/" */
    }
    return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

static void ensure_parents(store *s, const char *path)
{
    g_autofree char *p = g_strdup(path);
    char *slash;

    while ((slash = strrchr(p, '/')) && slash != p) {
        *slash = 0;
        if (!g_hash_table_contains(s->nodes, p)) {
            g_hash_table_insert(s->nodes, g_strdup(p), g_strdup(""));
        }
    }
}

/* ---- output ---- */

static void send_msg(client *c, uint32_t type, uint32_t req_id,
                     uint32_t tx_id, const void *payload, uint32_t len)
{
    struct xsd_sockmsg h = { type, req_id, tx_id, len };

    g_byte_array_append(c->out, (const guint8 *)&h, sizeof(h));
    g_byte_array_append(c->out, payload, len);
}

static void send_error(client *c, const struct xsd_sockmsg *req,
                       const char *name)
{
    send_msg(c, XS_ERROR, req->req_id, req->tx_id, name,
             (uint32_t)strlen(name) + 1);
}

static void send_ok(client *c, const struct xsd_sockmsg *req)
{
    send_msg(c, req->type, req->req_id, req->tx_id, "OK", 3);
}

static void fire(store *s, const char *changed)
{
    for (guint i = 0; i < s->clients->len; i++) {
        client *c = g_ptr_array_index(s->clients, i);

        for (guint w = 0; w + 1 < c->watches->len; w += 2) {
            const char *path = g_ptr_array_index(c->watches, w);
            const char *token = g_ptr_array_index(c->watches, w + 1);
            g_autofree char *ev = NULL;
            size_t pl = strlen(changed), tl = strlen(token);

            if (!is_under(changed, path) && !is_under(path, changed)) {
                continue;
            }
            ev = g_malloc(pl + tl + 2);
            memcpy(ev, changed, pl + 1);
            memcpy(ev + pl + 1, token, tl + 1);
            send_msg(c, XS_WATCH_EVENT, 0, 0, ev, (uint32_t)(pl + tl + 2));
        }
    }
}

/* ---- requests ---- */

/* The NUL-terminated strings of a payload; NULL if it is not exactly
 * @want of them (WRITE: the value after the path may hold anything). */
static char **split_args(const char *p, uint32_t len, unsigned want)
{
    GPtrArray *a = g_ptr_array_new();
    uint32_t i = 0;

    while (i < len && a->len < want) {
        const char *end = memchr(p + i, 0, len - i);

        if (!end) {
            break;
        }
        g_ptr_array_add(a, g_strndup(p + i, (gsize)(end - (p + i))));
        i = (uint32_t)(end - p) + 1;
    }
    if (a->len != want || i != len) {
        g_ptr_array_set_free_func(a, g_free);
        g_ptr_array_free(a, TRUE);
        return NULL;
    }
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

static void do_read(store *s, client *c, const struct xsd_sockmsg *m,
                    char **args)
{
    const char *v = g_hash_table_lookup(s->nodes, args[0]);

    if (!v) {
        send_error(c, m, "ENOENT");
        return;
    }
    send_msg(c, XS_READ, m->req_id, m->tx_id, v, (uint32_t)strlen(v));
}

static void do_write(store *s, client *c, const struct xsd_sockmsg *m,
                     const char *p)
{
    const char *nul = memchr(p, 0, m->len);
    g_autofree char *path = NULL;

    if (!nul || !path_ok(p, (size_t)(nul - p))) {
        send_error(c, m, "EINVAL");
        return;
    }
    path = g_strdup(p);
    ensure_parents(s, path);
    g_hash_table_insert(s->nodes, g_strdup(path),
                        g_strndup(nul + 1, m->len - (uint32_t)(nul - p) - 1));
    send_ok(c, m);
    fire(s, path);
}

static void do_directory(store *s, client *c, const struct xsd_sockmsg *m,
                         char **args)
{
    GHashTableIter it;
    gpointer key;
    GString *out = g_string_new(NULL);
    size_t n = strlen(args[0]);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);

    if (!g_hash_table_contains(s->nodes, args[0]) && n > 1) {
        send_error(c, m, "ENOENT");
        g_string_free(out, TRUE);
        return;
    }
    g_hash_table_iter_init(&it, s->nodes);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        const char *k = key;
        const char *rest = n == 1 ? k + 1 : k + n + 1;

        if (!is_under(k, args[0]) || g_str_equal(k, args[0]) || !*rest ||
            strchr(rest, '/') || g_hash_table_contains(seen, rest)) {
            continue;
        }
        g_hash_table_add(seen, g_strdup(rest));
        g_string_append_len(out, rest, (gssize)strlen(rest) + 1);
    }
    send_msg(c, XS_DIRECTORY, m->req_id, m->tx_id, out->str,
             (uint32_t)out->len);
    g_string_free(out, TRUE);
}

static void do_rm(store *s, client *c, const struct xsd_sockmsg *m,
                  char **args)
{
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init(&it, s->nodes);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (is_under(key, args[0])) {
            g_hash_table_iter_remove(&it);
        }
    }
    send_ok(c, m);
    fire(s, args[0]);
}

static void do_watch(store *s, client *c, const struct xsd_sockmsg *m,
                     char **args, bool add)
{
    if (add) {
        g_ptr_array_add(c->watches, g_strdup(args[0]));
        g_ptr_array_add(c->watches, g_strdup(args[1]));
        send_ok(c, m);
        fire(s, args[0]);       /* xenstored fires a new watch once */
        return;
    }
    for (guint w = 0; w + 1 < c->watches->len; w += 2) {
        if (g_str_equal(g_ptr_array_index(c->watches, w), args[0]) &&
            g_str_equal(g_ptr_array_index(c->watches, w + 1), args[1])) {
            g_ptr_array_remove_range(c->watches, w, 2);
            send_ok(c, m);
            return;
        }
    }
    send_error(c, m, "ENOENT");
}

static void do_small(store *s, client *c, const struct xsd_sockmsg *m,
                     char **args)
{
    g_autofree char *reply = NULL;

    switch (m->type) {
    case XS_TRANSACTION_START:
        reply = g_strdup_printf("%u", ++s->next_tx);
        break;
    case XS_GET_PERMS:
        reply = g_strdup("n0");
        break;
    case XS_GET_DOMAIN_PATH:
        reply = g_strdup_printf("/local/domain/%s", args[0]);
        break;
    default:                    /* END, SET_PERMS, INTRODUCE, ... */
        send_ok(c, m);
        return;
    }
    send_msg(c, m->type, m->req_id, m->tx_id, reply,
             (uint32_t)strlen(reply) + 1);
}

/* How many strings a request carries, and whether its first is a path. */
static bool request_shape(uint32_t type, unsigned *nargs, bool *path)
{
    *path = true;
    switch (type) {
    case XS_READ: case XS_DIRECTORY: case XS_MKDIR: case XS_RM:
    case XS_GET_PERMS:
        *nargs = 1;
        return true;
    case XS_WATCH: case XS_UNWATCH:
        *nargs = 2;
        return true;
    case XS_TRANSACTION_START: case XS_TRANSACTION_END:
    case XS_GET_DOMAIN_PATH: case XS_IS_DOMAIN_INTRODUCED:
    case XS_RELEASE: case XS_RESUME:
        *nargs = 1;
        *path = false;
        return true;
    }
    return false;
}

static void handle(store *s, client *c, const struct xsd_sockmsg *m,
                   const char *p)
{
    g_auto(GStrv) args = NULL;
    unsigned nargs;
    bool is_path;

    if (m->type == XS_WRITE) {
        do_write(s, c, m, p);
        return;
    }
    if (m->type == XS_SET_PERMS || m->type == XS_INTRODUCE) {
        send_ok(c, m);          /* accepted, not enforced */
        return;
    }
    if (!request_shape(m->type, &nargs, &is_path)) {
        send_error(c, m, "ENOSYS");
        return;
    }
    args = split_args(p, m->len, nargs);
    if (!args || (is_path && !path_ok(args[0], strlen(args[0])))) {
        send_error(c, m, "EINVAL");
        return;
    }
    switch (m->type) {
    case XS_READ:
        do_read(s, c, m, args);
        break;
    case XS_DIRECTORY:
        do_directory(s, c, m, args);
        break;
    case XS_MKDIR:
        ensure_parents(s, args[0]);
        if (!g_hash_table_contains(s->nodes, args[0])) {
            g_hash_table_insert(s->nodes, g_strdup(args[0]), g_strdup(""));
        }
        send_ok(c, m);
        fire(s, args[0]);
        break;
    case XS_RM:
        do_rm(s, c, m, args);
        break;
    case XS_WATCH:
    case XS_UNWATCH:
        do_watch(s, c, m, args, m->type == XS_WATCH);
        break;
    default:
        do_small(s, c, m, args);
    }
}

/* ---- connections ---- */

static void client_free(client *c)
{
    close(c->fd);
    g_byte_array_free(c->in, TRUE);
    g_byte_array_free(c->out, TRUE);
    g_ptr_array_free(c->watches, TRUE);
    g_free(c);
}

/* Consume whole messages from the input; false drops the client. */
static bool client_input(store *s, client *c)
{
    while (c->in->len >= sizeof(struct xsd_sockmsg)) {
        struct xsd_sockmsg m;

        memcpy(&m, c->in->data, sizeof(m));
        if (m.len > XENSTORE_PAYLOAD_MAX) {
            return false;
        }
        if (c->in->len < sizeof(m) + m.len) {
            return true;
        }
        {
            g_autofree char *p = g_malloc(m.len + 1);

            memcpy(p, c->in->data + sizeof(m), m.len);
            p[m.len] = 0;
            if (s->verbose) {
                fprintf(stderr, "xensim-store: fd %d type %u len %u %s\n",
                        c->fd, m.type, m.len, p);
            }
            handle(s, c, &m, p);
        }
        g_byte_array_remove_range(c->in, 0, (guint)(sizeof(m) + m.len));
    }
    return true;
}

static bool client_read(store *s, client *c)
{
    guint8 buf[4096];
    ssize_t n = read(c->fd, buf, sizeof(buf));

    if (n <= 0) {
        return n < 0 && (errno == EAGAIN || errno == EINTR);
    }
    g_byte_array_append(c->in, buf, (guint)n);
    return client_input(s, c);
}

static bool client_write(client *c)
{
    ssize_t n;

    if (!c->out->len) {
        return true;
    }
    n = send(c->fd, c->out->data, c->out->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
        return errno == EAGAIN || errno == EINTR;
    }
    g_byte_array_remove_range(c->out, 0, (guint)n);
    return true;
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
        return -1;
    }
    strcpy(sa.sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 16) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void serve(store *s, int lfd)
{
    while (!stop) {
        struct pollfd pf[STORE_MAX_CLIENTS + 1];
        nfds_t n = 1;

        pf[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        for (guint i = 0; i < s->clients->len; i++, n++) {
            client *c = g_ptr_array_index(s->clients, i);

            pf[n] = (struct pollfd){ .fd = c->fd, .events = POLLIN |
                                     (c->out->len ? POLLOUT : 0) };
        }
        if (poll(pf, n, 500) < 0) {
            continue;
        }
        for (guint i = s->clients->len; i > 0; i--) {
            client *c = g_ptr_array_index(s->clients, i - 1);
            short ev = pf[i].revents;
            bool ok = !(ev & POLLIN) || client_read(s, c);

            ok = ok && !(ev & (POLLERR | POLLNVAL)) && client_write(c) &&
                 c->out->len <= STORE_OUT_MAX && !((ev & POLLHUP) &&
                                                   !(ev & POLLIN));
            if (!ok) {
                g_ptr_array_remove_index(s->clients, i - 1);
                client_free(c);
            }
        }
        if ((pf[0].revents & POLLIN) && s->clients->len < STORE_MAX_CLIENTS) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

            if (fd >= 0) {
                client *c = g_new0(client, 1);

                c->fd = fd;
                c->in = g_byte_array_new();
                c->out = g_byte_array_new();
                c->watches = g_ptr_array_new_with_free_func(g_free);
                g_ptr_array_add(s->clients, c);
            }
        }
    }
}

int main(int argc, char **argv)
{
    g_autofree char *path = NULL;
    gboolean verbose = FALSE;
    GOptionEntry entries[] = {
        { "socket", 0, 0, G_OPTION_ARG_FILENAME, &path, "listen here",
          "PATH" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "trace requests",
          NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) oc = g_option_context_new("- xenstored for "
                                                        "xensim");
    store s = { 0 };
    int lfd;

    g_option_context_add_main_entries(oc, entries, NULL);
    if (!g_option_context_parse(oc, &argc, &argv, NULL) || !path) {
        fprintf(stderr, "usage: xensim-store --socket PATH [-v]\n");
        return 2;
    }
    lfd = listen_on(path);
    if (lfd < 0) {
        fprintf(stderr, "xensim-store: %s: %s\n", path, g_strerror(errno));
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    s.verbose = verbose;
    s.nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(s.nodes, g_strdup("/"), g_strdup(""));
    s.clients = g_ptr_array_new();
    printf("READY %s\n", path);
    fflush(stdout);
    serve(&s, lfd);
    for (guint i = 0; i < s.clients->len; i++) {
        client_free(g_ptr_array_index(s.clients, i));
    }
    g_ptr_array_free(s.clients, TRUE);
    g_hash_table_destroy(s.nodes);
    close(lfd);
    unlink(path);
    return 0;
}
