/* SPDX-License-Identifier: MIT */
/*
 * Requests cross from the loop thread to a network engine's thread
 * through a locked queue and an eventfd: the engine thread takes them
 * into its private waiting queue, issues them while it has a connection,
 * and re-queues what a lost connection took with it. Past the disk's
 * reconnect= deadline without a connection (docs/storage.md), waiting and
 * new requests fail at once with EIO rather than hang the guest.
 * Completions go back to the loop with blk_defer.
 */
#define G_LOG_DOMAIN "blk"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hw/block/blk_chan.h"

void blk_q_push(blk_req **head, blk_req **tail, blk_req *r)
{
    r->next = NULL;
    if (*tail) {
        (*tail)->next = r;
    } else {
        *head = r;
    }
    *tail = r;
}

blk_req *blk_q_pop(blk_req **head, blk_req **tail)
{
    blk_req *r = *head;

    if (r) {
        *head = r->next;
        if (!*head) {
            *tail = NULL;
        }
    }
    return r;
}

int blk_chan_init(blk_chan *c, hv_blk *b)
{
    c->b = b;
    g_mutex_init(&c->lock);
    c->wake_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return c->wake_efd < 0 ? -errno : 0;
}

void blk_chan_fini(blk_chan *c)
{
    if (c->wake_efd >= 0) {
        close(c->wake_efd);
        c->wake_efd = -1;
    }
    g_mutex_clear(&c->lock);
}

static void chan_wake(blk_chan *c)
{
    uint64_t one = 1;

    /* EAGAIN: the counter is saturated, the thread is being woken. */
    if (write(c->wake_efd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        g_critical("blk: eventfd write: %s", g_strerror(errno));
    }
}

void blk_chan_submit(blk_chan *c, blk_req *r)
{
    if (g_atomic_int_get(&c->failing)) {
        r->ret = -EIO;
        blk_defer(c->b, r);
        return;
    }
    g_mutex_lock(&c->lock);
    blk_q_push(&c->sub_head, &c->sub_tail, r);
    g_mutex_unlock(&c->lock);
    chan_wake(c);
}

void blk_chan_stop(blk_chan *c)
{
    g_mutex_lock(&c->lock);
    c->stop = true;
    g_mutex_unlock(&c->lock);
    chan_wake(c);
}

bool blk_chan_stopping(blk_chan *c, bool drained)
{
    bool stop;

    g_mutex_lock(&c->lock);
    stop = c->stop && (!drained || !c->sub_head);
    g_mutex_unlock(&c->lock);
    return stop;
}

void blk_chan_drain_wake(blk_chan *c)
{
    uint64_t cnt;

    if (read(c->wake_efd, &cnt, sizeof(cnt)) < 0) {
        /* EAGAIN: nothing to read; new requests wait in sub_head */
    }
}

void blk_chan_nap(blk_chan *c, unsigned ms)
{
    struct pollfd p = { .fd = c->wake_efd, .events = POLLIN };

    if (poll(&p, 1, (int)ms) > 0) {
        blk_chan_drain_wake(c);
    }
}

void blk_chan_take(blk_chan *c)
{
    blk_req *r;

    g_mutex_lock(&c->lock);
    r = c->sub_head;
    c->sub_head = c->sub_tail = NULL;
    g_mutex_unlock(&c->lock);
    while (r) {
        blk_req *next = r->next;

        blk_q_push(&c->retry_head, &c->retry_tail, r);
        r = next;
    }
}

void blk_chan_fail_waiting(blk_chan *c)
{
    blk_req *r;

    while ((r = blk_q_pop(&c->retry_head, &c->retry_tail))) {
        r->ret = -EIO;
        g_clear_pointer(&r->bounce, g_free);
        blk_defer(c->b, r);
    }
}

void blk_chan_connect_failed(blk_chan *c, const char *name,
                             const char *server, gint64 since,
                             const char *why)
{
    gint64 limit = (gint64)c->b->reconnect_s * G_USEC_PER_SEC;

    if (!g_atomic_int_get(&c->failing) &&
        g_get_monotonic_time() - since >= limit) {
        g_warning("%s: no %s for %u s (%s): failing I/O with EIO until it "
                  "is back", name, server, c->b->reconnect_s, why);
        g_atomic_int_set(&c->failing, 1);
    }
    if (g_atomic_int_get(&c->failing)) {
        blk_chan_take(c);
        blk_chan_fail_waiting(c);
    }
}

void blk_chan_connected(blk_chan *c)
{
    g_atomic_int_set(&c->failing, 0);
}

bool blk_chan_failing(blk_chan *c)
{
    return g_atomic_int_get(&c->failing) != 0;
}
