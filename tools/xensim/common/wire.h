/* SPDX-License-Identifier: MIT */
/*
 * Sending and receiving one xs_msg (+ payload, + at most one fd) on a
 * SOCK_SEQPACKET socket. Shared by the simulator, the replacement Xen
 * libraries and the guest API.
 */
#ifndef XENSIM_WIRE_H
#define XENSIM_WIRE_H

#include <stddef.h>
#include <sys/types.h>

#include "proto.h"

/* Returns 0 or -errno. Never raises SIGPIPE (MSG_NOSIGNAL). @pass_fd < 0:
 * no descriptor. */
int xs_wire_send(int sock, const xs_msg *m, const void *payload, size_t plen,
                 int pass_fd);

/*
 * Receives one message. Returns the payload length (>= 0) or -errno;
 * -ECONNRESET when the peer closed. A received descriptor is stored in
 * *@fd_out (O_CLOEXEC) when @fd_out is non-NULL, otherwise closed; *@fd_out
 * is -1 when none came.
 */
ssize_t xs_wire_recv(int sock, xs_msg *m, void *payload, size_t cap,
                     int *fd_out);

/* Connect to the simulator socket at @path (SOCK_SEQPACKET|CLOEXEC).
 * Returns the fd or -errno. */
int xs_wire_connect(const char *path);

#endif
