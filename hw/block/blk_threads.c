/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "blk"

/*
 * Thread-pool engine: the fallback where io_uring is unavailable (old
 * kernel, seccomp, io_uring_disabled) or HV_BLK_NO_URING is asked for.
 * Workers run the request synchronously and hand it back through the
 * deferred-completion queue, so callbacks still run on the loop thread.
 */
#include <errno.h>

#include "hw/block/blk_internal.h"


#define BLK_THREADS 4

typedef struct blk_pool {
    GAsyncQueue *q;
    GThread *th[BLK_THREADS];
    unsigned nth;
    blk_req stop;   /* sentinel: a worker that pops it exits */
} blk_pool;

static gpointer blk_worker(gpointer data)
{
    hv_blk *b = data;
    blk_pool *p = b->eng_priv;

    for (;;) {
        blk_req *r = g_async_queue_pop(p->q);

        if (r == &p->stop) {
            return NULL;
        }
        r->ret = blk_exec_sync(b, r);
        blk_defer(b, r);
    }
}

static int blk_threads_init(hv_blk *b)
{
    blk_pool *p = g_new0(blk_pool, 1);

    p->q = g_async_queue_new();
    b->eng_priv = p;
    for (unsigned i = 0; i < BLK_THREADS; i++) {
        p->th[i] = g_thread_try_new("hv-blk", blk_worker, b, NULL);
        if (!p->th[i]) {
            break;
        }
        p->nth++;
    }
    if (p->nth == 0) {
        g_async_queue_unref(p->q);
        g_free(p);
        b->eng_priv = NULL;
        return -EAGAIN;
    }
    return 0;
}

static void blk_threads_fini(hv_blk *b)
{
    blk_pool *p = b->eng_priv;

    for (unsigned i = 0; i < p->nth; i++) {
        g_async_queue_push(p->q, &p->stop);
    }
    for (unsigned i = 0; i < p->nth; i++) {
        g_thread_join(p->th[i]);
    }
    g_async_queue_unref(p->q);
    g_free(p);
    b->eng_priv = NULL;
}

static void blk_threads_submit(hv_blk *b, blk_req *r)
{
    blk_pool *p = b->eng_priv;

    g_async_queue_push(p->q, r);
}

const blk_engine blk_engine_threads = {
    .name = "threads",
    .init = blk_threads_init,
    .fini = blk_threads_fini,
    .submit = blk_threads_submit,
};
