/* SPDX-License-Identifier: MIT */
/*
 * xs_loop: the simulator's single-threaded event loop (epoll + a short list
 * of one-shot timers). Everything in xensim runs on it, so the simulated
 * hypervisor state needs no locks: like Xen's per-domain locks, serialised.
 */
#ifndef XENSIM_LOOP_H
#define XENSIM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct xs_loop xs_loop;
typedef struct xs_timer xs_timer;
typedef void (*xs_fd_cb)(void *opaque, uint32_t events);
typedef void (*xs_timer_cb)(void *opaque);

xs_loop *xs_loop_new(void);
void xs_loop_free(xs_loop *l);

/* Watch @fd for input (EPOLLIN, plus HUP/ERR). Returns 0 or -errno. */
int xs_loop_add_fd(xs_loop *l, int fd, xs_fd_cb cb, void *opaque);
/* Stop watching @fd; safe from inside any callback, even for an fd whose
 * event is already queued in the current batch. */
void xs_loop_del_fd(xs_loop *l, int fd);

/* One-shot timer firing after @ms; returns a handle for cancellation.
 * The handle is freed when the timer fires or is cancelled. */
xs_timer *xs_timer_add(xs_loop *l, int64_t ms, xs_timer_cb cb, void *opaque);
/* Same; @opaque is owned by the timer: the callback must free it, and
 * xs_loop_free() releases it with @destroy if it never fired. */
xs_timer *xs_timer_add_owned(xs_loop *l, int64_t ms, xs_timer_cb cb,
                             void *opaque, void (*destroy)(void *));
void xs_timer_cancel(xs_loop *l, xs_timer *t);

/* Run until xs_loop_quit(). */
void xs_loop_run(xs_loop *l);
void xs_loop_quit(xs_loop *l);

uint64_t xs_now_ns(void);

#endif
