// SPDX-License-Identifier: MIT
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"

int xs_client_open(xs_client *c, uint32_t kind, uint32_t vcpu,
                   xs_msg *hello, int *fd_out)
{
    const char *path = getenv(XS_ENV_SOCKET);
    xs_msg m = { .h.op = XS_OP_HELLO };

    c->seq = 0;
    c->sock = xs_wire_connect(path);
    if (c->sock < 0) {
        int e = -c->sock;
        /* Like the real libraries' "Could not obtain handle" log line. */
        fprintf(stderr, "xensim: cannot reach the simulator at %s=%s: %s\n",
                XS_ENV_SOCKET, path ? path : "(unset)", strerror(e));
        errno = e;
        return -1;
    }
    pthread_mutex_init(&c->lock, NULL);
    m.u.hello.kind = kind;
    m.u.hello.vcpu = vcpu;
    m.u.hello.version = XS_PROTO_VERSION;
    if (xs_client_call(c, &m, NULL, 0, NULL, 0, NULL, fd_out) < 0) {
        int e = errno;
        xs_client_close(c);
        errno = e;
        return -1;
    }
    if (hello) {
        *hello = m;
    }
    return 0;
}

void xs_client_close(xs_client *c)
{
    if (c->sock >= 0) {
        close(c->sock);
        c->sock = -1;
        pthread_mutex_destroy(&c->lock);
    }
}

int xs_client_call(xs_client *c, xs_msg *m, const void *pl, size_t plen,
                   void *rpl, size_t rcap, size_t *rlen, int *fd_out)
{
    uint32_t op = m->h.op;
    ssize_t n;
    int rc;

    pthread_mutex_lock(&c->lock);
    m->h.seq = ++c->seq;
    m->h.len = (uint32_t)plen;
    m->h.err = 0;
    rc = xs_wire_send(c->sock, m, pl, plen, -1);
    if (rc == 0) {
        n = xs_wire_recv(c->sock, m, rpl, rcap, fd_out);
        rc = n < 0 ? (int)n : 0;
        if (rc == 0 && (m->h.op != op || m->h.seq != c->seq)) {
            rc = -EPROTO;
        }
        if (rc == 0 && rlen) {
            *rlen = (size_t)n;
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (rc < 0) {
        /* The simulator went away: report what a dead hypervisor
         * interface would, and keep the cause visible. */
        errno = rc == -ECONNRESET || rc == -EPIPE ? ENODEV : -rc;
        return -1;
    }
    if (m->h.err < 0) {
        errno = -m->h.err;
        return -1;
    }
    return 0;
}

int xs_client_send(xs_client *c, xs_msg *m)
{
    int rc;

    pthread_mutex_lock(&c->lock);
    m->h.seq = ++c->seq;
    m->h.len = 0;
    m->h.err = 0;
    rc = xs_wire_send(c->sock, m, NULL, 0, -1);
    pthread_mutex_unlock(&c->lock);
    if (rc < 0) {
        errno = rc == -EPIPE || rc == -ECONNRESET ? ENODEV : -rc;
        return -1;
    }
    return 0;
}
