/* SPDX-License-Identifier: MIT */
/*
 * One library handle's connection to the simulator, as the replacement Xen
 * libraries use it. Calls on one handle may come from several threads (the
 * real libraries are thread-safe per handle, being thin ioctl wrappers), so
 * a request and its reply are paired under a mutex.
 */
#ifndef XENSIM_CLIENT_H
#define XENSIM_CLIENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

typedef struct xs_client {
    int sock;
    uint32_t seq;
    pthread_mutex_t lock;
} xs_client;

/*
 * Connect to $XENSIM_SOCKET and say hello as @kind. The hello reply is
 * stored in *@hello (may be NULL); a descriptor it carried in *@fd_out
 * (may be NULL). Returns 0, or -1 with errno set (ENOENT when the variable
 * is unset, as the real libraries fail with ENOENT without /dev/xen).
 */
int xs_client_open(xs_client *c, uint32_t kind, uint32_t vcpu,
                   xs_msg *hello, int *fd_out);
void xs_client_close(xs_client *c);

/*
 * Send @m (+ @pl) and wait for its reply, stored back into *@m (+ @rpl up
 * to @rcap bytes; *@rlen gets its length when non-NULL). Returns 0, or -1
 * with errno set from the reply's error or the transport's.
 */
int xs_client_call(xs_client *c, xs_msg *m, const void *pl, size_t plen,
                   void *rpl, size_t rcap, size_t *rlen, int *fd_out);

/* One-way message (no reply). Returns 0 or -1 with errno. */
int xs_client_send(xs_client *c, xs_msg *m);

#endif
