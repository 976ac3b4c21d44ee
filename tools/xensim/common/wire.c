// SPDX-License-Identifier: MIT
#include "wire.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int xs_wire_send(int sock, const xs_msg *m, const void *payload, size_t plen,
                 int pass_fd)
{
    struct iovec iov[2] = {
        { .iov_base = (void *)m, .iov_len = sizeof(*m) },
        { .iov_base = (void *)payload, .iov_len = plen },
    };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = plen ? 2 : 1 };

    if (pass_fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n >= 0) {
            return 0;
        }
        if (errno != EINTR) {
            return -errno;
        }
    }
}

static int take_fd(struct msghdr *mh)
{
    int fd = -1;

    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (fd < 0) {
                fd = f;
            } else {
                close(f);   /* protocol sends at most one; drop extras */
            }
        }
    }
    return fd;
}

ssize_t xs_wire_recv(int sock, xs_msg *m, void *payload, size_t cap,
                     int *fd_out)
{
    struct iovec iov[2] = {
        { .iov_base = m, .iov_len = sizeof(*m) },
        { .iov_base = payload, .iov_len = cap },
    };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct msghdr mh = {
        .msg_iov = iov, .msg_iovlen = cap ? 2 : 1,
        .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
    };
    ssize_t n;

    if (fd_out) {
        *fd_out = -1;
    }
    do {
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    int fd = take_fd(&mh);
    if (fd >= 0) {
        if (fd_out) {
            *fd_out = fd;
        } else {
            close(fd);
        }
    }
    if (n == 0) {
        return -ECONNRESET;
    }
    if ((size_t)n < sizeof(*m) || (mh.msg_flags & MSG_TRUNC) ||
        m->h.len != (size_t)n - sizeof(*m)) {
        if (fd_out && *fd_out >= 0) {
            close(*fd_out);
            *fd_out = -1;
        }
        return -EPROTO;
    }
    return (ssize_t)m->h.len;
}

int xs_wire_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    if (!path || !*path) {
        return -ENOENT;
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}
