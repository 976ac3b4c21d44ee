/* SPDX-License-Identifier: MIT */
/*
 * hv_loop: the single-threaded event loop every context runs on.
 *
 * The dispatch loop of ioreq/ (event-channel fd, signalfd), the completion
 * fds of block/net backends and device timers all live in one epoll set, so
 * device code never needs a lock: every callback runs on the loop thread.
 */
#ifndef HVMEMU_LOOP_H
#define HVMEMU_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct hv_loop hv_loop;
typedef struct hv_watch hv_watch;
typedef struct hv_timer hv_timer;

/* Called on the loop thread when the fd is readable (events = EPOLLIN...). */
typedef void (*hv_fd_cb)(void *opaque, uint32_t events);
typedef void (*hv_timer_cb)(void *opaque);

hv_loop *hv_loop_new(void);
void hv_loop_free(hv_loop *loop);

/* Watch @fd for EPOLLIN (and errors). Returns NULL with errno set. */
hv_watch *hv_loop_add_fd(hv_loop *loop, int fd, hv_fd_cb cb, void *opaque);
void hv_loop_remove(hv_loop *loop, hv_watch *w);

/*
 * Run one iteration: wait up to @timeout_ms (-1 = forever) and dispatch
 * every ready callback. Returns the number of callbacks run, or -errno.
 */
int hv_loop_run_once(hv_loop *loop, int timeout_ms);
/* Run until hv_loop_quit() is called; returns the value passed to it. */
int hv_loop_run(hv_loop *loop);
void hv_loop_quit(hv_loop *loop, int status);
bool hv_loop_quitting(const hv_loop *loop);
/* Without waiting: is an fd other than @except's ready? A busy poller asks
 * so that it never holds up the rest of the loop (a disk completion, a
 * timer, a signal). One system call. */
bool hv_loop_others_ready(hv_loop *loop, const hv_watch *except);

/* One-shot timers on a monotonic clock (timerfd underneath). */
hv_timer *hv_timer_new(hv_loop *loop, hv_timer_cb cb, void *opaque);
void hv_timer_arm_ns(hv_timer *t, uint64_t delay_ns);  /* re-arms if armed */
void hv_timer_cancel(hv_timer *t);
bool hv_timer_armed(const hv_timer *t);
void hv_timer_free(hv_timer *t);

uint64_t hv_now_ns(void);  /* CLOCK_MONOTONIC */

#endif
