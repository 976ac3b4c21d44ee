/* SPDX-License-Identifier: MIT */
/*
 * hv_loop: epoll over every fd the context cares about. Watches removed
 * while callbacks are running are only marked dead and freed after the
 * batch, because the current epoll batch may still point at them.
 */
#define G_LOG_DOMAIN "loop"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hvmemu/loop.h"
#include <glib.h>

#define LOOP_BATCH 32

struct hv_watch {
    int fd;
    hv_fd_cb cb;
    void *opaque;
    bool dead;
};

struct hv_loop {
    int epfd;
    GPtrArray *graveyard;  /* dead watches, freed after a batch */
    bool quit;
    int status;
};

struct hv_timer {
    hv_loop *loop;
    int fd;
    hv_watch *w;
    hv_timer_cb cb;
    void *opaque;
    bool armed;
};

hv_loop *hv_loop_new(void)
{
    hv_loop *loop = g_new0(hv_loop, 1);
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        g_free(loop);
        return NULL;
    }
    loop->graveyard = g_ptr_array_new_with_free_func(g_free);
    return loop;
}

void hv_loop_free(hv_loop *loop)
{
    if (!loop) {
        return;
    }
    close(loop->epfd);
    g_ptr_array_free(loop->graveyard, TRUE);
    g_free(loop);
}

hv_watch *hv_loop_add_fd(hv_loop *loop, int fd, hv_fd_cb cb, void *opaque)
{
    hv_watch *w = g_new0(hv_watch, 1);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

    w->fd = fd;
    w->cb = cb;
    w->opaque = opaque;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        g_free(w);
        errno = e;
        return NULL;
    }
    return w;
}

void hv_loop_remove(hv_loop *loop, hv_watch *w)
{
    if (!w) {
        return;
    }
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    w->dead = true;
    g_ptr_array_add(loop->graveyard, w);
}

int hv_loop_run_once(hv_loop *loop, int timeout_ms)
{
    struct epoll_event evs[LOOP_BATCH];
    int n = epoll_wait(loop->epfd, evs, LOOP_BATCH, timeout_ms);
    int ran = 0;

    if (n < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    for (int i = 0; i < n; i++) {
        hv_watch *w = evs[i].data.ptr;
        if (!w->dead) {
            w->cb(w->opaque, evs[i].events);
            ran++;
        }
    }
    if (loop->graveyard->len) {
        g_ptr_array_set_size(loop->graveyard, 0);
    }
    return ran;
}

int hv_loop_run(hv_loop *loop)
{
    while (!loop->quit) {
        int r = hv_loop_run_once(loop, -1);
        if (r < 0) {
            g_warning("epoll_wait: %s", g_strerror(-r));
            return 1;
        }
    }
    return loop->status;
}

void hv_loop_quit(hv_loop *loop, int status)
{
    if (!loop->quit) {
        loop->status = status;
    }
    loop->quit = true;
}

bool hv_loop_others_ready(hv_loop *loop, const hv_watch *except)
{
    struct epoll_event evs[4];
    /* Level-triggered: what is reported here is reported again by the
     * next hv_loop_run_once, nothing is consumed. */
    int n = epoll_wait(loop->epfd, evs, G_N_ELEMENTS(evs), 0);

    for (int i = 0; i < n; i++) {
        const hv_watch *w = evs[i].data.ptr;

        if (w != except && !w->dead) {
            return true;
        }
    }
    return false;
}

bool hv_loop_quitting(const hv_loop *loop)
{
    return loop->quit;
}

uint64_t hv_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void timer_fired(void *opaque, uint32_t events)
{
    hv_timer *t = opaque;
    uint64_t expirations;

    if (read(t->fd, &expirations, sizeof(expirations)) < 0) {
        return;  /* EAGAIN: cancelled or re-armed after the wake-up */
    }
    t->armed = false;
    t->cb(t->opaque);
}

hv_timer *hv_timer_new(hv_loop *loop, hv_timer_cb cb, void *opaque)
{
    hv_timer *t = g_new0(hv_timer, 1);

    t->loop = loop;
    t->cb = cb;
    t->opaque = opaque;
    t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (t->fd < 0) {
        g_free(t);
        return NULL;
    }
    t->w = hv_loop_add_fd(loop, t->fd, timer_fired, t);
    if (!t->w) {
        close(t->fd);
        g_free(t);
        return NULL;
    }
    return t;
}

void hv_timer_arm_ns(hv_timer *t, uint64_t delay_ns)
{
    struct itimerspec its = { 0 };

    if (delay_ns == 0) {
        delay_ns = 1;  /* a zero it_value would disarm the timer */
    }
    its.it_value.tv_sec = delay_ns / 1000000000ull;
    its.it_value.tv_nsec = delay_ns % 1000000000ull;
    timerfd_settime(t->fd, 0, &its, NULL);
    t->armed = true;
}

void hv_timer_cancel(hv_timer *t)
{
    struct itimerspec its = { 0 };

    /* Not armed: the timerfd is already disarmed (expired and read, or
     * cancelled), so no system call. Devices cancel on hot paths — the
     * e1000 cancels its receive-delay timers for every frame when the
     * guest uses none — and under a PV dom0 each call is a trip
     * through Xen. */
    if (!t->armed) {
        return;
    }
    timerfd_settime(t->fd, 0, &its, NULL);
    t->armed = false;
}

bool hv_timer_armed(const hv_timer *t)
{
    return t->armed;
}

void hv_timer_free(hv_timer *t)
{
    if (!t) {
        return;
    }
    hv_loop_remove(t->loop, t->w);
    close(t->fd);
    g_free(t);
}
