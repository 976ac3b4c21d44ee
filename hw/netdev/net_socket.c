/* SPDX-License-Identifier: MIT */
/*
 * socket backend: Ethernet frames as datagrams, one frame per datagram.
 *
 *   socket=udp:HOST:PORT[:LOCALPORT]  send to HOST:PORT, receive on
 *                                     LOCALPORT (default PORT), only from
 *                                     HOST:PORT (connected socket)
 *   socket=unix:LOCAL[:PEER]          unix datagram socket bound at LOCAL;
 *                                     frames go to PEER, or, without PEER,
 *                                     to whoever sent the last frame
 *   socket=fd:N                       an already connected datagram socket
 *                                     (socketpair), which we now own
 *
 * Two guests are linked with mirrored specs (udp:H:5001:5000 and
 * udp:H:5000:5001); tests use fd: with a socketpair.
 */
#define G_LOG_DOMAIN "netdev"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hw/netdev/netdev_internal.h"

typedef struct sock_be {
    hv_net *net;
    int fd;
    hv_watch *watch;
    char *unlink_path;              /* unix socket we created */
    struct sockaddr_storage peer;   /* unconnected unix: learnt peer */
    socklen_t peer_len;
    bool learn_peer;                /* sendto(peer), not connected */
    bool peer_fixed;                /* PEER given: do not learn */
    uint8_t buf[HV_NET_MAX_FRAME];
} sock_be;

static ssize_t sock_send(hv_net *n, const struct iovec *iov, int iovcnt)
{
    sock_be *s = n->be;
    struct msghdr m = { .msg_iov = (struct iovec *)iov,
                        .msg_iovlen = (size_t)iovcnt };
    ssize_t r;

    if (s->learn_peer) {
        if (!s->peer_len) {
            return 0;   /* nobody to talk to yet */
        }
        m.msg_name = &s->peer;
        m.msg_namelen = s->peer_len;
    }
    r = sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r >= 0) {
        return r;
    }
    switch (errno) {
    case EAGAIN:
    case ENOBUFS:
    case ECONNREFUSED:  /* UDP peer not (yet) listening */
    case ENOENT:        /* unix peer not (yet) bound */
        return 0;
    default:
        return -errno;
    }
}

static void sock_readable(void *opaque, uint32_t events)
{
    sock_be *s = opaque;

    for (unsigned i = 0; i < NETDEV_RX_BATCH; i++) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        struct iovec iov;
        ssize_t r;

        if (!netdev_can_deliver(s->net)) {
            return;
        }
        r = recvfrom(s->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT | MSG_TRUNC,
                     (struct sockaddr *)&from, &flen);
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return;
            }
            continue;   /* e.g. ECONNREFUSED reported late: try again */
        }
        if ((size_t)r > sizeof(s->buf)) {
            s->net->stats.rx_dropped++;
            continue;
        }
        if (s->learn_peer && !s->peer_fixed && flen > 0 &&
            flen <= sizeof(s->peer)) {
            memcpy(&s->peer, &from, flen);
            s->peer_len = flen;
        }
        iov.iov_base = s->buf;
        iov.iov_len = (size_t)r;
        netdev_deliver(s->net, &iov, 1);
    }
}

static void sock_poll(hv_net *n, bool on)
{
    sock_be *s = n->be;

    netdev_watch_fd(n, &s->watch, s->fd, sock_readable, s, on);
}

static void sock_close(hv_net *n)
{
    sock_be *s = n->be;

    sock_poll(n, false);
    close(s->fd);
    if (s->unlink_path) {
        unlink(s->unlink_path);
        g_free(s->unlink_path);
    }
    g_free(s);
}

static const netdev_ops sock_ops = {
    .kind = "socket", .send = sock_send, .poll = sock_poll,
    .close = sock_close,
};

static bool bad_spec(const char *spec, const char *why, GError **err)
{
    g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                "socket=%s: %s (want udp:HOST:PORT[:LOCALPORT], "
                "unix:LOCAL[:PEER] or fd:N)", spec, why);
    return false;
}

/* "HOST:PORT[:LOCALPORT]", HOST possibly "[v6]". */
static bool split_udp(const char *s, char **host, char **port, char **lport)
{
    g_auto(GStrv) parts = NULL;
    const char *rest = s;

    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':') {
            return false;
        }
        *host = g_strndup(s + 1, (gsize)(end - s - 1));
        rest = end + 2;
        parts = g_strsplit(rest, ":", 3);
        if (!parts[0] || (parts[1] && parts[2])) {
            return false;
        }
        *port = g_strdup(parts[0]);
        *lport = g_strdup(parts[1] ? parts[1] : parts[0]);
        return true;
    }
    parts = g_strsplit(rest, ":", 4);
    if (!parts[0] || !parts[1] || (parts[2] && parts[3])) {
        return false;
    }
    *host = g_strdup(parts[0]);
    *port = g_strdup(parts[1]);
    *lport = g_strdup(parts[2] ? parts[2] : parts[1]);
    return true;
}

static int open_udp(const char *spec, const char *addr, GError **err)
{
    g_autofree char *host = NULL, *port = NULL, *lport = NULL;
    struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
    struct sockaddr_storage local;
    int fd, rc;
    char *end;
    unsigned long lp;

    if (!split_udp(addr, &host, &port, &lport)) {
        return bad_spec(spec, "bad udp address", err) - 1;
    }
    lp = strtoul(lport, &end, 10);
    if (*end || lp == 0 || lp > 65535) {
        return bad_spec(spec, "bad local port", err) - 1;
    }
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "socket=%s: %s", spec,
                    gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    memset(&local, 0, sizeof(local));
    local.ss_family = (sa_family_t)res->ai_family;
    /* sin_port and sin6_port sit at the same offset. */
    ((struct sockaddr_in *)&local)->sin_port = htons((uint16_t)lp);
    if (fd < 0 || bind(fd, (struct sockaddr *)&local,
                       res->ai_family == AF_INET6 ?
                       sizeof(struct sockaddr_in6) :
                       sizeof(struct sockaddr_in)) < 0 ||
        connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "socket=%s: %s", spec,
                    g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static bool fill_sun(struct sockaddr_un *sun, const char *path)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun->sun_path)) {
        return false;
    }
    strcpy(sun->sun_path, path);
    return true;
}

static int open_unix(sock_be *s, const char *spec, const char *addr,
                     GError **err)
{
    g_auto(GStrv) parts = g_strsplit(addr, ":", 3);
    struct sockaddr_un local, peer;
    struct stat st;
    int fd;

    if (!parts[0] || !*parts[0] || (parts[1] && parts[2]) ||
        !fill_sun(&local, parts[0]) ||
        (parts[1] && !fill_sun(&peer, parts[1]))) {
        return bad_spec(spec, "bad unix path", err) - 1;
    }
    /* Replace a stale socket from an earlier run, never another file. */
    if (lstat(parts[0], &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(parts[0]);
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "socket=%s: %s", spec,
                    g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    s->unlink_path = g_strdup(parts[0]);
    if (parts[1]) {
        /* The peer may not exist yet: remember it, connect lazily. */
        memcpy(&s->peer, &peer, sizeof(peer));
        s->peer_len = sizeof(peer);
        s->peer_fixed = true;
    }
    s->learn_peer = true;
    return fd;
}

static int open_fd(const char *spec, const char *num, GError **err)
{
    char *end;
    long fd = strtol(num, &end, 10);
    int type;
    socklen_t len = sizeof(type);

    if (*end || fd < 0 || fd > 65535 ||
        getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
        (type != SOCK_DGRAM && type != SOCK_SEQPACKET)) {
        return bad_spec(spec, "not a datagram socket", err) - 1;
    }
    fcntl((int)fd, F_SETFL, fcntl((int)fd, F_GETFL) | O_NONBLOCK);
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    return (int)fd;
}

bool netdev_socket_open(hv_net *n, hv_opts *opts, GError **err)
{
    const char *spec = hv_opts_str(opts, "socket", NULL);
    sock_be *s;
    int fd;

    if (!spec) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "backend=socket needs socket=udp:...|unix:...|fd:N");
        return false;
    }
    s = g_new0(sock_be, 1);
    if (g_str_has_prefix(spec, "udp:")) {
        fd = open_udp(spec, spec + 4, err);
    } else if (g_str_has_prefix(spec, "unix:")) {
        fd = open_unix(s, spec, spec + 5, err);
    } else if (g_str_has_prefix(spec, "fd:")) {
        fd = open_fd(spec, spec + 3, err);
    } else {
        fd = bad_spec(spec, "unknown kind", err) - 1;
    }
    if (fd < 0) {
        g_free(s->unlink_path);
        g_free(s);
        return false;
    }
    s->fd = fd;
    s->net = n;
    n->be = s;
    n->ops = &sock_ops;
    n->desc = g_strdup_printf("socket %s", spec);
    return true;
}
