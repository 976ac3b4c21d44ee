/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "blk"

/*
 * io_uring engine (liburing). The ring's completion eventfd sits in the
 * hv_loop, so reaping happens on the loop thread with no locking. Short
 * reads/writes are resubmitted for the remainder; a read reaching end of
 * file is zero-filled. BLKDISCARD has no ring opcode on the kernels we
 * target, so block-device discards go to a helper thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvmemu-config.h"
#include "hw/block/blk_internal.h"


#ifdef HAVE_LIBURING
#include <liburing.h>

#define BLK_URING_DEPTH 128

typedef struct blk_uring {
    struct io_uring ring;
    int efd;
    hv_watch *watch;
    blk_req *backlog_head, *backlog_tail;  /* waiting for a free SQE */
} blk_uring;

static void blk_uring_reap(hv_blk *b);

static bool blk_uring_prep(hv_blk *b, blk_uring *u, blk_req *r)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    uint64_t pos = r->off + r->done;

    if (!sqe) {
        io_uring_submit(&u->ring);
        sqe = io_uring_get_sqe(&u->ring);
        if (!sqe) {
            return false;
        }
    }
    switch (r->op) {
    case BLK_OP_READ:
        io_uring_prep_readv(sqe, b->fd, r->iov, MIN(r->iovcnt, IOV_MAX), pos);
        break;
    case BLK_OP_WRITE:
        io_uring_prep_writev(sqe, b->fd, r->iov, MIN(r->iovcnt, IOV_MAX),
                             pos);
        break;
    case BLK_OP_FLUSH:
        io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
        break;
    case BLK_OP_DISCARD:
        io_uring_prep_fallocate(sqe, b->fd,
                                FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                r->off, r->len);
        break;
    }
    io_uring_sqe_set_data(sqe, r);
    return true;
}

static void blk_uring_queue(hv_blk *b, blk_uring *u, blk_req *r)
{
    if (!u->backlog_head && blk_uring_prep(b, u, r)) {
        io_uring_submit(&u->ring);
        return;
    }
    r->next = NULL;
    if (u->backlog_tail) {
        u->backlog_tail->next = r;
    } else {
        u->backlog_head = r;
    }
    u->backlog_tail = r;
}

static void blk_uring_kick_backlog(hv_blk *b, blk_uring *u)
{
    bool any = false;

    while (u->backlog_head && blk_uring_prep(b, u, u->backlog_head)) {
        u->backlog_head = u->backlog_head->next;
        if (!u->backlog_head) {
            u->backlog_tail = NULL;
        }
        any = true;
    }
    if (any) {
        io_uring_submit(&u->ring);
    }
}

static void blk_uring_submit(hv_blk *b, blk_req *r)
{
    blk_uring *u = b->eng_priv;

    if (r->op == BLK_OP_DISCARD) {
        if (b->is_bdev) {
            blk_discard_async(b, r);
            return;
        }
        if (r->off >= b->size) {
            r->ret = 0;
            blk_defer(b, r);
            return;
        }
        r->len = MIN(r->len, b->size - r->off);
    }
    blk_uring_queue(b, u, r);
}

/* One CQE: finish the request or resubmit what is left of it. */
static void blk_uring_cqe(hv_blk *b, blk_uring *u, blk_req *r, int res)
{
    if (res == -EINTR || res == -EAGAIN) {
        blk_uring_queue(b, u, r);
        return;
    }
    if (res < 0) {
        r->ret = res;
        blk_complete(r);
        return;
    }
    if (r->op == BLK_OP_READ || r->op == BLK_OP_WRITE) {
        if (res == 0 && r->op == BLK_OP_WRITE) {
            r->ret = -EIO;      /* no progress: never spin */
            blk_complete(r);
            return;
        }
        if (!blk_req_progress(r, (uint64_t)res)) {
            blk_uring_queue(b, u, r);
            return;
        }
    }
    r->ret = 0;
    blk_complete(r);
}

static void blk_uring_reap(hv_blk *b)
{
    blk_uring *u = b->eng_priv;
    struct io_uring_cqe *cqe;
    uint64_t cnt;

    if (read(u->efd, &cnt, sizeof(cnt)) < 0) {
        /* EAGAIN: reap anyway, peeking is cheap. */
    }
    while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
        blk_req *r = io_uring_cqe_get_data(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&u->ring, cqe);
        blk_uring_cqe(b, u, r, res);
    }
    blk_uring_kick_backlog(b, u);
}

static void blk_uring_fd_cb(void *opaque, uint32_t events)
{
    blk_uring_reap(opaque);
}

static int blk_uring_init(hv_blk *b)
{
    blk_uring *u = g_new0(blk_uring, 1);
    int ret = io_uring_queue_init(BLK_URING_DEPTH, &u->ring, 0);

    if (ret < 0) {
        g_free(u);
        return ret;
    }
    u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (u->efd < 0) {
        ret = -errno;
        goto fail_ring;
    }
    ret = io_uring_register_eventfd(&u->ring, u->efd);
    if (ret < 0) {
        goto fail_efd;
    }
    u->watch = hv_loop_add_fd(b->loop, u->efd, blk_uring_fd_cb, b);
    if (!u->watch) {
        ret = -errno;
        goto fail_efd;
    }
    b->eng_priv = u;
    return 0;

fail_efd:
    close(u->efd);
fail_ring:
    io_uring_queue_exit(&u->ring);
    g_free(u);
    return ret;
}

static void blk_uring_fini(hv_blk *b)
{
    blk_uring *u = b->eng_priv;

    hv_loop_remove(b->loop, u->watch);
    io_uring_queue_exit(&u->ring);
    close(u->efd);
    g_free(u);
    b->eng_priv = NULL;
}

static int blk_uring_wait_fd(hv_blk *b)
{
    blk_uring *u = b->eng_priv;

    return u->efd;
}

const blk_engine blk_engine_uring = {
    .name = "io_uring",
    .init = blk_uring_init,
    .fini = blk_uring_fini,
    .submit = blk_uring_submit,
    .wait_fd = blk_uring_wait_fd,
    .process = blk_uring_reap,
};

#endif /* HAVE_LIBURING */
