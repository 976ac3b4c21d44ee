/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "blk"

/*
 * Raw file / block-device backend: open, size, request bookkeeping and the
 * completion path. The I/O itself runs on an engine: io_uring when it is
 * available, a small thread pool otherwise (blk_uring.c, blk_threads.c).
 *
 * Every callback runs on the loop thread, never inside the submit call:
 * even a request refused by fault injection or read-only mode completes
 * through the deferred queue (done_efd).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvmemu-config.h"
#include "hw/block/blk_internal.h"
#include "hvmemu/device.h"
#include "hw/core/probes.h"


/* ---- completion delivery (loop thread) ---- */

static void blk_deliver(blk_req *r)
{
    hv_blk *b = r->b;

    b->inflight--;
    HV_PROBE3(blk__complete, r->op, r->off, r->ret);
    if (r->cb) {
        r->cb(r->opaque, r->ret);
    }
    g_free(r->iov);
    g_free(r);
}

static void blk_delay_fire(void *opaque)
{
    hv_blk *b = opaque;
    uint64_t now = hv_now_ns();

    while (b->delay_head && b->delay_head->due_ns <= now) {
        blk_req *r = b->delay_head;

        b->delay_head = r->next;
        if (!b->delay_head) {
            b->delay_tail = NULL;
        }
        blk_deliver(r);
    }
    if (b->delay_head) {
        hv_timer_arm_ns(b->delay_timer, b->delay_head->due_ns - now);
    }
}

void blk_complete(blk_req *r)
{
    hv_blk *b = r->b;

    if (b->fault.delay_ns == 0 || !b->delay_timer) {
        blk_deliver(r);
        return;
    }
    /* Constant delay: FIFO order is due-time order. */
    r->due_ns = hv_now_ns() + b->fault.delay_ns;
    r->next = NULL;
    if (b->delay_tail) {
        b->delay_tail->next = r;
    } else {
        b->delay_head = r;
        hv_timer_arm_ns(b->delay_timer, b->fault.delay_ns);
    }
    b->delay_tail = r;
}

void blk_defer(hv_blk *b, blk_req *r)
{
    uint64_t one = 1;

    g_mutex_lock(&b->done_lock);
    r->next = NULL;
    if (b->done_tail) {
        b->done_tail->next = r;
    } else {
        b->done_head = r;
    }
    b->done_tail = r;
    g_mutex_unlock(&b->done_lock);
    if (write(b->done_efd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        g_critical("blk: eventfd write: %s", g_strerror(errno));
    }
}

static void blk_done_process(hv_blk *b)
{
    uint64_t cnt;
    blk_req *r;

    if (read(b->done_efd, &cnt, sizeof(cnt)) < 0) {
        /* EAGAIN: nothing signalled; the list is checked anyway. */
    }
    g_mutex_lock(&b->done_lock);
    r = b->done_head;
    b->done_head = b->done_tail = NULL;
    g_mutex_unlock(&b->done_lock);
    while (r) {
        blk_req *next = r->next;

        blk_complete(r);
        r = next;
    }
}

static void blk_done_cb(void *opaque, uint32_t events)
{
    blk_done_process(opaque);
}

/* ---- synchronous execution (worker threads) ---- */

bool blk_req_progress(blk_req *r, uint64_t n)
{
    uint64_t skip = n;
    int i = 0;

    r->done += n;
    if (r->op == BLK_OP_READ && r->done < r->len &&
        (n == 0 || r->off + r->done >= r->b->size)) {
        n = r->len - r->done;   /* end of file: the rest reads as zeros */
        r->done = r->len;
        for (; i < r->iovcnt && skip >= r->iov[i].iov_len; i++) {
            skip -= r->iov[i].iov_len;
        }
        for (; i < r->iovcnt; i++) {
            memset((uint8_t *)r->iov[i].iov_base + skip, 0,
                   r->iov[i].iov_len - skip);
            skip = 0;
        }
        return true;
    }
    /* Advance the private iovec past the bytes done. */
    while (r->iovcnt > 0 && skip >= r->iov[0].iov_len) {
        skip -= r->iov[0].iov_len;
        memmove(r->iov, r->iov + 1, (size_t)(r->iovcnt - 1) * sizeof(*r->iov));
        r->iovcnt--;
    }
    if (r->iovcnt > 0 && skip) {
        r->iov[0].iov_base = (uint8_t *)r->iov[0].iov_base + skip;
        r->iov[0].iov_len -= skip;
    }
    return r->done >= r->len;
}

static int blk_discard_sync(hv_blk *b, uint64_t off, uint64_t len)
{
    if (b->is_bdev) {
        uint64_t range[2] = { off, len };

        return ioctl(b->fd, BLKDISCARD, range) < 0 ? -errno : 0;
    }
    if (off >= b->size) {
        return 0;
    }
    len = MIN(len, b->size - off);
    if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)off, (off_t)len) < 0) {
        return -errno;
    }
    return 0;
}

static int blk_rw_sync(hv_blk *b, blk_req *r)
{
    while (r->done < r->len) {
        off_t pos = (off_t)(r->off + r->done);
        ssize_t n = r->op == BLK_OP_READ ?
            preadv(b->fd, r->iov, MIN(r->iovcnt, IOV_MAX), pos) :
            pwritev(b->fd, r->iov, MIN(r->iovcnt, IOV_MAX), pos);

        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -errno;
        }
        if (n == 0 && r->op == BLK_OP_WRITE) {
            return -EIO;    /* no progress: never spin */
        }
        if (blk_req_progress(r, (uint64_t)n)) {
            break;
        }
    }
    return 0;
}

int blk_exec_sync(hv_blk *b, blk_req *r)
{
    switch (r->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        return blk_rw_sync(b, r);
    case BLK_OP_FLUSH:
        return fdatasync(b->fd) < 0 ? -errno : 0;
    case BLK_OP_DISCARD:
        return blk_discard_sync(b, r->off, r->len);
    }
    return -EINVAL;
}

static gpointer blk_discard_thread(gpointer data)
{
    blk_req *r = data;

    r->ret = blk_exec_sync(r->b, r);
    blk_defer(r->b, r);
    return NULL;
}

void blk_discard_async(hv_blk *b, blk_req *r)
{
    GError *err = NULL;
    GThread *t = g_thread_try_new("hv-discard", blk_discard_thread, r, &err);

    if (!t) {
        g_warning("blk: discard thread: %s", err->message);
        g_error_free(err);
        r->ret = -EAGAIN;
        blk_defer(b, r);
        return;
    }
    g_thread_unref(t);
}

/* ---- open / close ---- */

static int blk_probe_size(hv_blk *b, GError **err)
{
    struct stat st;

    if (fstat(b->fd, &st) < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: stat: %s", b->path,
                    g_strerror(errno));
        return -1;
    }
    if (S_ISBLK(st.st_mode)) {
        b->is_bdev = true;
        if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0) {
            g_set_error(err, HV_ERROR, HV_ERROR_IO,
                        "%s: BLKGETSIZE64: %s", b->path, g_strerror(errno));
            return -1;
        }
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s: not a regular file or block device", b->path);
        return -1;
    }
    b->size = (uint64_t)st.st_size;
    return 0;
}

static bool blk_pick_engine(hv_blk *b, GError **err)
{
    int ret;

#ifdef HAVE_LIBURING
    if (!(b->flags & HV_BLK_NO_URING) && !g_getenv("HV_BLK_NO_URING")) {
        b->eng = &blk_engine_uring;
        ret = b->eng->init(b);
        if (ret == 0) {
            return true;
        }
        g_info("blk: io_uring unavailable (%s), using threads",
               g_strerror(-ret));
    }
#endif
    b->eng = &blk_engine_threads;
    ret = b->eng->init(b);
    if (ret < 0) {
        b->eng = NULL;
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: I/O engine: %s",
                    b->path, g_strerror(-ret));
        return false;
    }
    return true;
}

/* A raw file or block device: open it and pick an I/O engine. */
static bool blk_open_local(hv_blk *b, GError **err)
{
    int oflags = O_CLOEXEC | ((b->flags & HV_BLK_RDONLY) ? O_RDONLY : O_RDWR);

    if (b->flags & HV_BLK_DIRECT) {
        oflags |= O_DIRECT;
    }
    b->fd = open(b->path, oflags);
    if (b->fd < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: open: %s", b->path,
                    g_strerror(errno));
        return false;
    }
    return blk_probe_size(b, err) == 0 && blk_lock_image(b, err) &&
           blk_pick_engine(b, err);
}

/* A disk behind a network URI (@proto: "NBD", "iSCSI") is raw and not
 * opened O_DIRECT by us: refuse options that cannot apply. @hint says
 * how to serve another format. */
static bool blk_check_uri_opts(hv_blk *b, const char *proto,
                               const char *hint, GError **err)
{
    if (b->flags & HV_BLK_DIRECT) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s: direct=on applies to local raw images only",
                    b->path);
        return false;
    }
    if (b->format) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "%s: format=%s over %s: "
                    "%s", b->path, b->format, proto, hint);
        return false;
    }
    return true;
}

/* An NBD export, or an image a qemu-nbd child serves over NBD. The child's
 * image stays open O_PATH so the twin guard can recognise the file. */
static bool blk_open_nbd(hv_blk *b, GError **err)
{
    if (blk_nbd_target(b->path)) {
        g_autofree char *hint = g_strdup_printf(
            "let the server open the image (qemu-nbd -f %s) and give its raw "
            "export", b->format ? b->format : "raw");

        if (!blk_check_uri_opts(b, "NBD", hint, err)) {
            return false;
        }
    } else if (b->flags & HV_BLK_DIRECT) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s: direct=on applies to local raw images only",
                    b->path);
        return false;
    }
    if (b->format) {
        b->fd = open(b->path, O_PATH | O_CLOEXEC);
        if (b->fd < 0) {
            g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: open: %s", b->path,
                        g_strerror(errno));
            return false;
        }
    }
    if (!blk_nbd_open(b, err)) {
        return false;
    }
    b->eng = &blk_engine_nbd;
    return true;
}

/* A LUN on an iSCSI target (blk_iscsi.c). */
static bool blk_open_iscsi(hv_blk *b, GError **err)
{
    if (!blk_check_uri_opts(b, "iSCSI", "give the target a raw LUN (convert "
                            "the image with qemu-img convert -O raw)", err) ||
        !blk_iscsi_open(b, err)) {
        return false;
    }
    b->eng = &blk_engine_iscsi;
    return true;
}

hv_blk *hv_blk_open_opts(hv_loop *loop, const char *target,
                         const hv_blk_opts *opts, unsigned flags,
                         GError **err)
{
    hv_blk *b = g_new0(hv_blk, 1);
    const char *fmt = opts ? opts->format : NULL;

    b->loop = loop;
    b->path = g_strdup(target);
    b->format = fmt && *fmt && strcmp(fmt, "raw") ? g_strdup(fmt) : NULL;
    b->reconnect_s = opts && opts->reconnect_s ? opts->reconnect_s : 30;
    if (opts) {
        b->lock_excuse = opts->lock_excuse;
        b->lock_opaque = opts->lock_opaque;
    }
    b->flags = flags;
    b->fd = -1;
    b->done_efd = -1;
    g_mutex_init(&b->done_lock);
    b->done_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (b->done_efd < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "eventfd: %s",
                    g_strerror(errno));
        goto fail;
    }
    b->done_watch = hv_loop_add_fd(loop, b->done_efd, blk_done_cb, b);
    if (!b->done_watch) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "loop: %s",
                    g_strerror(errno));
        goto fail;
    }
    b->delay_timer = hv_timer_new(loop, blk_delay_fire, b);
    if (blk_iscsi_target(target) ? !blk_open_iscsi(b, err) :
        b->format || blk_nbd_target(target) ? !blk_open_nbd(b, err) :
                                              !blk_open_local(b, err)) {
        goto fail;
    }
    return b;

fail:
    if (b->delay_timer) {
        hv_timer_free(b->delay_timer);
    }
    if (b->done_watch) {
        hv_loop_remove(loop, b->done_watch);
    }
    if (b->done_efd >= 0) {
        close(b->done_efd);
    }
    if (b->fd >= 0) {
        close(b->fd);
    }
    g_mutex_clear(&b->done_lock);
    g_free(b->format);
    g_free(b->path);
    g_free(b);
    return NULL;
}

hv_blk *hv_blk_open(hv_loop *loop, const char *path, unsigned flags,
                    GError **err)
{
    return hv_blk_open_opts(loop, path, NULL, flags, err);
}

/* Block until every request has completed (callbacks run here). */
static void blk_drain(hv_blk *b)
{
    while (b->inflight > 0) {
        int efd = b->eng->wait_fd ? b->eng->wait_fd(b) : -1;
        struct pollfd p[2] = {
            { .fd = b->done_efd, .events = POLLIN },
            { .fd = efd, .events = POLLIN },
        };

        if (!b->delay_head) {
            poll(p, efd >= 0 ? 2 : 1, 100);
        }
        blk_done_process(b);
        if (b->eng->process) {
            b->eng->process(b);
        }
        if (b->delay_head) {
            g_usleep(1000);
            blk_delay_fire(b);
        }
    }
}

void hv_blk_close(hv_blk *b)
{
    if (!b) {
        return;
    }
    blk_drain(b);
    b->eng->fini(b);
    hv_timer_free(b->delay_timer);
    hv_loop_remove(b->loop, b->done_watch);
    close(b->done_efd);
    if (b->fd >= 0) {
        close(b->fd);
    }
    g_mutex_clear(&b->done_lock);
    g_free(b->format);
    g_free(b->path);
    g_free(b);
}

uint64_t hv_blk_size(const hv_blk *b)
{
    return b->size;
}

bool hv_blk_readonly(const hv_blk *b)
{
    return (b->flags & HV_BLK_RDONLY) != 0;
}

const char *hv_blk_engine(const hv_blk *b)
{
    return b->eng->name;
}

void hv_blk_set_fault(hv_blk *b, const blk_fault *f)
{
    b->fault = *f;
}

/* ---- submission ---- */

static blk_req *blk_req_new(hv_blk *b, blk_op op, uint64_t off,
                            const struct iovec *iov, int iovcnt,
                            hv_blk_cb cb, void *opaque)
{
    blk_req *r = g_new0(blk_req, 1);

    r->b = b;
    r->op = op;
    r->off = off;
    r->cb = cb;
    r->opaque = opaque;
    if (iovcnt > 0) {
        r->iov = g_memdup2(iov, (size_t)iovcnt * sizeof(*iov));
        r->iovcnt = iovcnt;
        for (int i = 0; i < iovcnt; i++) {
            r->len += iov[i].iov_len;
        }
    }
    return r;
}

/* Fault injection or a refused request: complete later with @err. */
static int blk_fail_later(hv_blk *b, blk_req *r, int err)
{
    r->ret = err;
    b->inflight++;
    blk_defer(b, r);
    return 0;
}

static int blk_injected(const hv_blk *b, const blk_req *r)
{
    const blk_fault *f = &b->fault;

    if (r->op == BLK_OP_FLUSH) {
        return f->flush_errno ? -f->flush_errno : 0;
    }
    if (r->op == BLK_OP_DISCARD || f->rw_len == 0) {
        return 0;
    }
    if (r->off < f->rw_off + f->rw_len && f->rw_off < r->off + r->len) {
        return -(f->rw_errno ? f->rw_errno : EIO);
    }
    return 0;
}

static int blk_submit(hv_blk *b, blk_req *r)
{
    int err = blk_injected(b, r);

    if (err) {
        return blk_fail_later(b, r, err);
    }
    if (r->op != BLK_OP_READ && r->op != BLK_OP_FLUSH && hv_blk_readonly(b)) {
        return blk_fail_later(b, r, -EROFS);
    }
    if ((r->op == BLK_OP_READ || r->op == BLK_OP_WRITE) && r->len == 0) {
        return blk_fail_later(b, r, 0);
    }
    b->inflight++;
    HV_PROBE3(blk__submit, r->op, r->off, r->len);
    b->eng->submit(b, r);
    return 0;
}

int hv_blk_readv(hv_blk *b, uint64_t off, const struct iovec *iov, int iovcnt,
                 hv_blk_cb cb, void *opaque)
{
    if (iovcnt < 0 || (iovcnt > 0 && !iov)) {
        return -EINVAL;
    }
    return blk_submit(b, blk_req_new(b, BLK_OP_READ, off, iov, iovcnt, cb,
                                     opaque));
}

int hv_blk_writev(hv_blk *b, uint64_t off, const struct iovec *iov,
                  int iovcnt, hv_blk_cb cb, void *opaque)
{
    if (iovcnt < 0 || (iovcnt > 0 && !iov)) {
        return -EINVAL;
    }
    return blk_submit(b, blk_req_new(b, BLK_OP_WRITE, off, iov, iovcnt, cb,
                                     opaque));
}

int hv_blk_flush(hv_blk *b, hv_blk_cb cb, void *opaque)
{
    return blk_submit(b, blk_req_new(b, BLK_OP_FLUSH, 0, NULL, 0, cb,
                                     opaque));
}

int hv_blk_discard(hv_blk *b, uint64_t off, uint64_t len, hv_blk_cb cb,
                   void *opaque)
{
    blk_req *r = blk_req_new(b, BLK_OP_DISCARD, off, NULL, 0, cb, opaque);

    r->len = len;
    if (len == 0) {
        return blk_fail_later(b, r, 0);
    }
    return blk_submit(b, r);
}
