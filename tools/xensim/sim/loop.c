// SPDX-License-Identifier: MIT
#include "loop.h"

#include <errno.h>
#include <glib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

typedef struct xs_watch {
    int fd;
    xs_fd_cb cb;
    void *opaque;
    bool removed;
} xs_watch;

struct xs_timer {
    uint64_t deadline_ns;
    xs_timer_cb cb;
    void *opaque;
    void (*destroy)(void *);
};

struct xs_loop {
    int epfd;
    GHashTable *watches;      /* fd -> xs_watch */
    GPtrArray *garbage;       /* watches removed during a batch */
    GPtrArray *timers;        /* unsorted: there are only a few */
    bool quit;
};

uint64_t xs_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

xs_loop *xs_loop_new(void)
{
    xs_loop *l = g_new0(xs_loop, 1);

    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        g_free(l);
        return NULL;
    }
    l->watches = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                       g_free);
    l->garbage = g_ptr_array_new_with_free_func(g_free);
    l->timers = g_ptr_array_new();   /* entries freed by hand */
    return l;
}

void xs_loop_free(xs_loop *l)
{
    if (!l) {
        return;
    }
    close(l->epfd);
    g_hash_table_destroy(l->watches);
    g_ptr_array_free(l->garbage, TRUE);
    for (guint i = 0; i < l->timers->len; i++) {
        xs_timer *t = g_ptr_array_index(l->timers, i);
        if (t->destroy) {
            t->destroy(t->opaque);
        }
        g_free(t);
    }
    g_ptr_array_free(l->timers, TRUE);
    g_free(l);
}

int xs_loop_add_fd(xs_loop *l, int fd, xs_fd_cb cb, void *opaque)
{
    xs_watch *w = g_new0(xs_watch, 1);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

    *w = (xs_watch){ .fd = fd, .cb = cb, .opaque = opaque };
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        g_free(w);
        return -e;
    }
    g_hash_table_insert(l->watches, GINT_TO_POINTER(fd), w);
    return 0;
}

void xs_loop_del_fd(xs_loop *l, int fd)
{
    xs_watch *w = g_hash_table_lookup(l->watches, GINT_TO_POINTER(fd));

    if (!w) {
        return;
    }
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    g_hash_table_steal(l->watches, GINT_TO_POINTER(fd));
    /* An event for it may sit later in this batch: keep the record until
     * the batch is over and make it inert. */
    w->removed = true;
    g_ptr_array_add(l->garbage, w);
}

xs_timer *xs_timer_add(xs_loop *l, int64_t ms, xs_timer_cb cb, void *opaque)
{
    xs_timer *t = g_new0(xs_timer, 1);

    t->deadline_ns = xs_now_ns() + (uint64_t)(ms < 0 ? 0 : ms) * 1000000ull;
    t->cb = cb;
    t->opaque = opaque;
    g_ptr_array_add(l->timers, t);
    return t;
}

xs_timer *xs_timer_add_owned(xs_loop *l, int64_t ms, xs_timer_cb cb,
                             void *opaque, void (*destroy)(void *))
{
    xs_timer *t = xs_timer_add(l, ms, cb, opaque);

    t->destroy = destroy;
    return t;
}

void xs_timer_cancel(xs_loop *l, xs_timer *t)
{
    if (t && g_ptr_array_remove_fast(l->timers, t)) {
        g_free(t);
    }
}

void xs_loop_quit(xs_loop *l)
{
    l->quit = true;
}

static int next_timeout_ms(xs_loop *l)
{
    uint64_t now = xs_now_ns(), first = UINT64_MAX;

    for (guint i = 0; i < l->timers->len; i++) {
        xs_timer *t = g_ptr_array_index(l->timers, i);
        first = MIN(first, t->deadline_ns);
    }
    if (first == UINT64_MAX) {
        return -1;
    }
    return first <= now ? 0 : (int)((first - now + 999999) / 1000000);
}

static void run_timers(xs_loop *l)
{
    uint64_t now = xs_now_ns();

    /* Callbacks may add or cancel timers: pick one due timer at a time. */
    for (;;) {
        xs_timer *due = NULL;
        for (guint i = 0; i < l->timers->len && !due; i++) {
            xs_timer *t = g_ptr_array_index(l->timers, i);
            if (t->deadline_ns <= now) {
                due = t;
            }
        }
        if (!due) {
            return;
        }
        g_ptr_array_remove_fast(l->timers, due);
        due->cb(due->opaque);
        g_free(due);
    }
}

void xs_loop_run(xs_loop *l)
{
    struct epoll_event evs[64];

    while (!l->quit) {
        int n = epoll_wait(l->epfd, evs, 64, next_timeout_ms(l));
        if (n < 0 && errno != EINTR) {
            g_error("epoll_wait: %s", g_strerror(errno));
        }
        for (int i = 0; i < n && !l->quit; i++) {
            xs_watch *w = evs[i].data.ptr;
            if (!w->removed) {
                w->cb(w->opaque, evs[i].events);
            }
        }
        g_ptr_array_set_size(l->garbage, 0);
        run_timers(l);
    }
}
