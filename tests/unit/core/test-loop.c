/* SPDX-License-Identifier: MIT */
/* Event loop: fd watches, removal during dispatch, timers. */
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"

typedef struct state {
    hv_loop *loop;
    hv_watch *w[2];
    int fd[2];
    int hits[2];
    int timer_hits;
} state;

static void on_fd0(void *opaque, uint32_t ev)
{
    state *s = opaque;
    uint64_t v;

    s->hits[0]++;
    g_assert_cmpint(read(s->fd[0], &v, sizeof(v)), ==, sizeof(v));
    /* Removing the other watch while both are ready must be safe. */
    hv_loop_remove(s->loop, s->w[1]);
    s->w[1] = NULL;
}

static void on_fd1(void *opaque, uint32_t ev)
{
    state *s = opaque;
    uint64_t v;

    s->hits[1]++;
    g_assert_cmpint(read(s->fd[1], &v, sizeof(v)), ==, sizeof(v));
    hv_loop_remove(s->loop, s->w[0]);
    s->w[0] = NULL;
}

static void test_remove_in_callback(void)
{
    state s = { .loop = hv_loop_new() };
    uint64_t one = 1;

    for (int i = 0; i < 2; i++) {
        s.fd[i] = eventfd(0, EFD_NONBLOCK);
        g_assert_cmpint(write(s.fd[i], &one, sizeof(one)), ==, sizeof(one));
    }
    s.w[0] = hv_loop_add_fd(s.loop, s.fd[0], on_fd0, &s);
    s.w[1] = hv_loop_add_fd(s.loop, s.fd[1], on_fd1, &s);
    g_assert_cmpint(hv_loop_run_once(s.loop, 100), ==, 1);
    g_assert_cmpint(s.hits[0] + s.hits[1], ==, 1);
    hv_loop_remove(s.loop, s.w[0] ? s.w[0] : s.w[1]);
    for (int i = 0; i < 2; i++) {
        close(s.fd[i]);
    }
    hv_loop_free(s.loop);
}

static void on_timer(void *opaque)
{
    state *s = opaque;

    if (++s->timer_hits == 2) {
        hv_loop_quit(s->loop, 42);
    }
}

static void test_timer(void)
{
    state s = { .loop = hv_loop_new() };
    hv_timer *t = hv_timer_new(s.loop, on_timer, &s);
    hv_timer *never = hv_timer_new(s.loop, on_timer, &s);
    uint64_t t0 = hv_now_ns();

    hv_timer_arm_ns(never, 1000000);
    hv_timer_cancel(never);
    g_assert_false(hv_timer_armed(never));
    hv_timer_arm_ns(t, 2000000);
    g_assert_cmpint(hv_loop_run_once(s.loop, 1000), ==, 1);
    g_assert_cmpint(s.timer_hits, ==, 1);
    g_assert_cmpuint(hv_now_ns() - t0, >=, 2000000);
    hv_timer_arm_ns(t, 0);
    g_assert_cmpint(hv_loop_run(s.loop), ==, 42);
    g_assert_cmpint(s.timer_hits, ==, 2);
    hv_timer_free(t);
    hv_timer_free(never);
    hv_loop_free(s.loop);
}

static void on_fd_count(void *opaque, uint32_t ev)
{
    int *hits = opaque;

    (*hits)++;
}

/* A busy poller's look at the rest of the loop: it sees other ready fds,
 * never its own, and consumes nothing (level-triggered: run_once still
 * dispatches what it saw). */
static void test_others_ready(void)
{
    hv_loop *loop = hv_loop_new();
    int fd[2], hits[2] = { 0, 0 };
    hv_watch *w[2];
    uint64_t one = 1;

    for (int i = 0; i < 2; i++) {
        fd[i] = eventfd(0, EFD_NONBLOCK);
        w[i] = hv_loop_add_fd(loop, fd[i], on_fd_count, &hits[i]);
    }
    g_assert_false(hv_loop_others_ready(loop, w[0]));
    g_assert_cmpint(write(fd[0], &one, sizeof(one)), ==, sizeof(one));
    g_assert_false(hv_loop_others_ready(loop, w[0]));
    g_assert_true(hv_loop_others_ready(loop, w[1]));
    g_assert_true(hv_loop_others_ready(loop, NULL));
    g_assert_cmpint(write(fd[1], &one, sizeof(one)), ==, sizeof(one));
    g_assert_true(hv_loop_others_ready(loop, w[0]));
    g_assert_true(hv_loop_others_ready(loop, w[0]));
    /* Nothing was taken: both callbacks still run (they do not read, so
     * the fds stay ready). */
    g_assert_cmpint(hv_loop_run_once(loop, 0), ==, 2);
    g_assert_cmpint(hits[0], ==, 1);
    g_assert_cmpint(hits[1], ==, 1);
    /* A removed watch is not "ready" even while its fd is. */
    hv_loop_remove(loop, w[1]);
    g_assert_false(hv_loop_others_ready(loop, w[0]));
    hv_loop_remove(loop, w[0]);
    for (int i = 0; i < 2; i++) {
        close(fd[i]);
    }
    hv_loop_free(loop);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/loop/remove-in-callback", test_remove_in_callback);
    g_test_add_func("/loop/timer", test_timer);
    g_test_add_func("/loop/others-ready", test_others_ready);
    return g_test_run();
}
