/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "blk"

/*
 * NBD engine (libnbd): disks on an NBD server, named by URI
 * (nbd://host[:port]/export, nbd+unix:///export?socket=PATH, nbds:// with
 * TLS), and non-raw images (qcow2, ...) served by a qemu-nbd child that
 * libnbd starts by systemd socket activation and stops on close.
 *
 * One thread per disk owns the libnbd handle. The loop thread queues
 * requests to it (sub_head + wake_efd); the thread issues them as
 * asynchronous NBD commands, runs the state machine (nbd_aio_notify_*),
 * and hands finished requests back through blk_defer(), so callbacks run
 * on the loop thread as for files.
 *
 * Connection loss: commands in flight are re-sent on a new connection
 * (reads and writes are idempotent) with a backoff of 100 ms doubling to
 * 2 s. After reconnect_s seconds without a connection every waiting
 * request fails with EIO (the guest sees an ATA error, never a hang) and
 * new ones fail at once until the server is back. Writes the server had
 * acknowledged but not yet flushed may be lost with the server: the NBD
 * protocol only promises durability after NBD_CMD_FLUSH ("Request
 * types", NBD_CMD_FLUSH), so the next flush after such a loss fails with
 * EIO and the guest learns of it, as Linux reports a writeback error.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <libnbd.h>

#include "hw/block/blk_chan.h"
#include "hvmemu/device.h"


#define NBD_CHUNK (4u << 20)            /* bytes per NBD command */
#define NBD_CONNECT_MS 10000            /* one connection attempt */
#define NBD_BACKOFF_MIN_MS 100
#define NBD_BACKOFF_MAX_MS 2000

typedef struct nbd_eng {
    hv_blk *b;
    char *uri;              /* NULL when a qemu-nbd child serves the image */
    char **argv;            /* the child's command line, or NULL */
    struct nbd_handle *h;   /* thread-owned after open */
    GThread *thread;
    blk_chan ch;            /* requests from the loop (blk_chan.c) */

    /* Thread-private. */
    GHashTable *issued;     /* requests with NBD commands out */
    bool can_flush, can_trim;
    uint64_t wgen;          /* writes acknowledged so far */
    uint64_t flushed_gen;   /* writes covered by a completed flush */
    bool lost;              /* acknowledged, unflushed writes lost */
    unsigned reconnects;
} nbd_eng;

/* ---- connecting ---- */

static bool nbd_is_uri(const char *t)
{
    return g_str_has_prefix(t, "nbd://") || g_str_has_prefix(t, "nbds://") ||
           g_str_has_prefix(t, "nbd+unix://") ||
           g_str_has_prefix(t, "nbds+unix://");
}

bool blk_nbd_target(const char *target)
{
    return target && nbd_is_uri(target);
}

/* Run the handle's state machine until it is ready, dead, @ms pass or the
 * engine is asked to stop. Returns 0 when ready, -errno otherwise. */
static int nbd_wait_ready(nbd_eng *e, struct nbd_handle *h, int ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

    while (!nbd_aio_is_ready(h)) {
        unsigned dir = nbd_aio_get_direction(h);
        struct pollfd p[2] = {
            { .fd = nbd_aio_get_fd(h), .events = 0 },
            { .fd = e ? e->ch.wake_efd : -1, .events = POLLIN },
        };
        gint64 left = deadline - g_get_monotonic_time();

        if (nbd_aio_is_dead(h) || nbd_aio_is_closed(h)) {
            return -(nbd_get_errno() ? nbd_get_errno() : ECONNRESET);
        }
        if (left <= 0) {
            return -ETIMEDOUT;
        }
        if (e && blk_chan_stopping(&e->ch, false)) {
            return -ECANCELED;
        }
        p[0].events = ((dir & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
                      ((dir & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0);
        if (poll(p, e ? 2 : 1, (int)MIN(left / 1000 + 1, 1000)) < 0 &&
            errno != EINTR) {
            return -errno;
        }
        if (e && (p[1].revents & POLLIN)) {
            blk_chan_drain_wake(&e->ch);
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            nbd_aio_notify_read(h);
        } else if (p[0].revents & POLLOUT) {
            nbd_aio_notify_write(h);
        }
    }
    return 0;
}

/* A new handle connected to the server (or to a new qemu-nbd child). */
static struct nbd_handle *nbd_connect(nbd_eng *e, char **msg)
{
    struct nbd_handle *h = nbd_create();
    int ret;

    if (!h) {
        *msg = g_strdup(nbd_get_error());
        return NULL;
    }
    nbd_set_uri_allow_local_file(h, true);  /* tls-certificates= etc. */
    ret = e->uri ? nbd_aio_connect_uri(h, e->uri) :
                   nbd_aio_connect_systemd_socket_activation(h, e->argv);
    if (ret == 0) {
        ret = nbd_wait_ready(e->thread ? e : NULL, h, NBD_CONNECT_MS);
    } else {
        ret = -(nbd_get_errno() ? nbd_get_errno() : EIO);
    }
    if (ret < 0) {
        const char *why = nbd_get_error();

        *msg = g_strdup(why && *why ? why : g_strerror(-ret));
        if (ret == -ETIMEDOUT) {
            g_free(*msg);
            *msg = g_strdup_printf("no answer within %d s",
                                   NBD_CONNECT_MS / 1000);
        }
        if (e->argv) {
            nbd_kill_subprocess(h, SIGTERM);
        }
        nbd_close(h);
        return NULL;
    }
    return h;
}

static void nbd_drop(nbd_eng *e)
{
    if (!e->h) {
        return;
    }
    if (e->argv) {
        nbd_kill_subprocess(e->h, SIGTERM);
    }
    nbd_close(e->h);    /* may retire what is left, with ENOTCONN */
    e->h = NULL;
}

/* ---- commands ---- */

static bool nbd_transport_error(int err)
{
    return err == ENOTCONN || err == ECONNRESET || err == EPIPE ||
           err == ESHUTDOWN || err == ECONNABORTED || err == ETIMEDOUT;
}

static void nbd_scatter(blk_req *r)
{
    uint64_t pos = 0;

    for (int i = 0; i < r->iovcnt; i++) {
        memcpy(r->iov[i].iov_base, (uint8_t *)r->bounce + pos,
               r->iov[i].iov_len);
        pos += r->iov[i].iov_len;
    }
}

static void nbd_finish(nbd_eng *e, blk_req *r)
{
    if (r->retry && !blk_chan_failing(&e->ch)) {
        r->retry = false;
        r->ret = 0;
        r->attempts++;
        blk_q_push(&e->ch.retry_head, &e->ch.retry_tail, r);
        return;
    }
    if (r->retry) {
        r->ret = -EIO;
    }
    if (r->ret == 0 && r->op == BLK_OP_READ && r->bounce) {
        nbd_scatter(r);
    }
    if (r->ret == 0 && r->op == BLK_OP_WRITE) {
        e->wgen++;
    }
    if (r->ret == 0 && r->op == BLK_OP_FLUSH && r->gen > e->flushed_gen) {
        e->flushed_gen = r->gen;
    }
    g_clear_pointer(&r->bounce, g_free);
    blk_defer(e->b, r);
}

static void nbd_settle(nbd_eng *e, blk_req *r)
{
    g_hash_table_remove(e->issued, r);
    nbd_finish(e, r);
}

/* libnbd completion callback (this thread, inside nbd_aio_notify_*). */
static int nbd_part_done(void *user_data, int *error)
{
    blk_req *r = user_data;
    nbd_eng *e = r->b->eng_priv;

    /* No libnbd call here: the handle's lock is held around callbacks. */
    if (*error) {
        if (nbd_transport_error(*error)) {
            r->retry = true;
        } else if (r->ret == 0) {
            r->ret = -*error;
        }
    }
    if (--r->parts == 0) {
        nbd_settle(e, r);
    }
    return 1;   /* retire the command */
}

static int64_t nbd_issue_part(nbd_eng *e, blk_req *r, void *buf,
                              uint64_t len, uint64_t off)
{
    nbd_completion_callback cb = { .callback = nbd_part_done,
                                   .user_data = r };

    switch (r->op) {
    case BLK_OP_READ:
        return nbd_aio_pread(e->h, buf, len, off, cb, 0);
    case BLK_OP_WRITE:
        return nbd_aio_pwrite(e->h, buf, len, off, cb, 0);
    case BLK_OP_DISCARD:
        return nbd_aio_trim(e->h, len, off, cb, 0);
    case BLK_OP_FLUSH:
        return nbd_aio_flush(e->h, cb, 0);
    }
    errno = EINVAL;
    return -1;
}

/* Requests that need no server round trip, or that cannot be sent. */
static bool nbd_answer_locally(nbd_eng *e, blk_req *r)
{
    hv_blk *b = e->b;

    if (r->op == BLK_OP_FLUSH && e->lost) {
        g_warning("%s: FLUSH fails: writes the lost server had "
                  "acknowledged may not be on its disk", b->path);
        e->lost = false;
        e->flushed_gen = e->wgen;
        r->ret = -EIO;
    } else if (r->op == BLK_OP_FLUSH && !e->can_flush) {
        r->ret = 0;     /* the server has no write cache to flush */
    } else if (r->op == BLK_OP_DISCARD && !e->can_trim) {
        r->ret = 0;     /* advisory */
    } else if (r->op == BLK_OP_WRITE && r->off + r->len > b->size) {
        r->ret = -ENOSPC;
    } else {
        return false;
    }
    blk_defer(b, r);
    return true;
}

static void nbd_issue(nbd_eng *e, blk_req *r)
{
    hv_blk *b = e->b;
    uint64_t len = r->len, off = r->off;
    uint8_t *buf = NULL;

    if (nbd_answer_locally(e, r)) {
        return;
    }
    if (r->op == BLK_OP_READ && off + len > b->size) {
        /* Past the end reads as zeros, as for files. */
        uint64_t keep = off < b->size ? b->size - off : 0;

        if (!r->bounce) {
            r->bounce = g_malloc0(r->len);
        }
        len = keep;
    }
    if (r->op == BLK_OP_DISCARD && off < b->size) {
        len = MIN(len, b->size - off);
    }
    if ((r->op == BLK_OP_READ || r->op == BLK_OP_WRITE) && !r->bounce &&
        r->iovcnt > 1) {
        r->bounce = g_malloc(r->len);
        if (r->op == BLK_OP_WRITE) {
            uint64_t pos = 0;

            for (int i = 0; i < r->iovcnt; i++) {
                memcpy((uint8_t *)r->bounce + pos, r->iov[i].iov_base,
                       r->iov[i].iov_len);
                pos += r->iov[i].iov_len;
            }
        }
    }
    if (r->op == BLK_OP_READ || r->op == BLK_OP_WRITE) {
        buf = r->bounce ? r->bounce : r->iov[0].iov_base;
    }
    if (r->op == BLK_OP_FLUSH) {
        r->gen = e->wgen;
        len = 1;    /* one command */
    }
    r->parts = 1;   /* held until every part is sent */
    g_hash_table_add(e->issued, r);
    for (uint64_t done = 0; done < len; ) {
        uint64_t n = r->op == BLK_OP_FLUSH ? 1 : MIN(len - done, NBD_CHUNK);

        r->parts++;
        if (nbd_issue_part(e, r, buf ? buf + done : NULL, n,
                           off + done) < 0) {
            int err = nbd_get_errno() ? nbd_get_errno() : EIO;

            r->parts--;
            if (nbd_transport_error(err) || nbd_aio_is_dead(e->h)) {
                r->retry = true;
            } else if (r->ret == 0) {
                r->ret = -err;
            }
            break;
        }
        done += n;
    }
    if (--r->parts == 0) {
        nbd_settle(e, r);
    }
}

/* After the handle is closed: whatever it did not complete (commands in
 * flight when the connection died) is sent again on the next one. */
static void nbd_requeue_issued(nbd_eng *e)
{
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init(&it, e->issued);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        blk_req *r = key;

        g_hash_table_iter_remove(&it);
        r->parts = 0;
        r->retry = true;
        nbd_finish(e, r);
    }
}

/* ---- the thread ---- */

static void nbd_note_caps(nbd_eng *e)
{
    e->can_flush = nbd_can_flush(e->h) > 0;
    e->can_trim = nbd_can_trim(e->h) > 0;
}

/* The connection died: keep what was in flight for re-sending, remember
 * whether acknowledged writes were still unflushed, and reconnect. */
static void nbd_lost(nbd_eng *e)
{
    gint64 since = g_get_monotonic_time();
    unsigned backoff = NBD_BACKOFF_MIN_MS;
    char *msg = g_strdup(nbd_get_error());

    nbd_drop(e);
    nbd_requeue_issued(e);
    if (e->wgen > e->flushed_gen && e->can_flush) {
        e->lost = true;
    }
    g_warning("%s: connection lost (%s)%s; reconnecting", e->b->path,
              msg && *msg ? msg : "closed",
              e->lost ? ", with acknowledged writes not yet flushed" : "");
    g_free(msg);
    while (!blk_chan_stopping(&e->ch, false)) {
        char *why = NULL;

        e->h = nbd_connect(e, &why);
        if (e->h) {
            e->reconnects++;
            blk_chan_connected(&e->ch);
            nbd_note_caps(e);
            g_message("%s: reconnected after %.1f s (%u so far)",
                      e->b->path,
                      (double)(g_get_monotonic_time() - since) / 1e6,
                      e->reconnects);
            g_free(why);
            return;
        }
        blk_chan_connect_failed(&e->ch, e->b->path, "server", since, why);
        g_free(why);
        blk_chan_nap(&e->ch, backoff);  /* new requests wait or failed */
        backoff = MIN(backoff * 2, NBD_BACKOFF_MAX_MS);
    }
}

static gpointer nbd_thread(gpointer data)
{
    nbd_eng *e = data;

    for (;;) {
        struct pollfd p[2] = {
            { .fd = e->ch.wake_efd, .events = POLLIN },
            { .fd = -1 },
        };
        unsigned dir;

        if (blk_chan_stopping(&e->ch, true) && !e->ch.retry_head &&
            (!e->h || nbd_aio_in_flight(e->h) == 0)) {
            break;
        }
        if (!e->h || nbd_aio_is_dead(e->h) || nbd_aio_is_closed(e->h)) {
            nbd_lost(e);
            if (!e->h) {        /* asked to stop while disconnected */
                blk_chan_take(&e->ch);
                blk_chan_fail_waiting(&e->ch);
                break;
            }
        }
        blk_chan_take(&e->ch);
        while (e->ch.retry_head && nbd_aio_is_ready(e->h)) {
            nbd_issue(e, blk_q_pop(&e->ch.retry_head, &e->ch.retry_tail));
        }
        if (nbd_aio_is_dead(e->h) || nbd_aio_is_closed(e->h)) {
            continue;
        }
        dir = nbd_aio_get_direction(e->h);
        p[1].fd = nbd_aio_get_fd(e->h);
        p[1].events = ((dir & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
                      ((dir & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0);
        if (poll(p, 2, 1000) < 0 && errno != EINTR) {
            g_warning("%s: poll: %s", e->b->path, g_strerror(errno));
            g_usleep(10000);
            continue;
        }
        if (p[0].revents & POLLIN) {
            blk_chan_drain_wake(&e->ch);
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            nbd_aio_notify_read(e->h);
        } else if (p[1].revents & POLLOUT) {
            nbd_aio_notify_write(e->h);
        }
    }
    return NULL;
}

/* ---- engine interface ---- */

static char **nbd_child_argv(const hv_blk *b)
{
    GPtrArray *a = g_ptr_array_new();

    /* qemu-nbd(8): socket activation when LISTEN_FDS is set; it exits
     * when its only client disconnects. Its image lock keeps a second
     * writer away, and FLUSH from the guest reaches the file. */
    g_ptr_array_add(a, g_strdup("qemu-nbd"));
    g_ptr_array_add(a, g_strdup_printf("--format=%s", b->format));
    g_ptr_array_add(a, g_strdup("--discard=unmap"));
    g_ptr_array_add(a, g_strdup("--cache=writeback"));
    if (b->flags & HV_BLK_RDONLY) {
        g_ptr_array_add(a, g_strdup("--read-only"));
    }
    g_ptr_array_add(a, g_strdup(b->path));
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

static int blk_nbd_init(hv_blk *b)
{
    return b->eng_priv ? 0 : -EINVAL;   /* set up by blk_nbd_open() */
}

static void nbd_eng_free(nbd_eng *e)
{
    blk_chan_fini(&e->ch);
    g_hash_table_destroy(e->issued);
    g_free(e->uri);
    g_strfreev(e->argv);
    g_free(e);
}

bool blk_nbd_open(hv_blk *b, GError **err)
{
    nbd_eng *e = g_new0(nbd_eng, 1);
    char *why = NULL;
    int64_t size;
    int ret;

    e->b = b;
    e->issued = g_hash_table_new(NULL, NULL);
    ret = blk_chan_init(&e->ch, b);
    if (nbd_is_uri(b->path)) {
        e->uri = g_strdup(b->path);
    } else {
        e->argv = nbd_child_argv(b);
    }
    if (ret < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "eventfd: %s",
                    g_strerror(-ret));
        goto fail;
    }
    e->h = nbd_connect(e, &why);
    if (!e->h) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: %s: %s", b->path,
                    e->uri ? "NBD connect" : "qemu-nbd", why);
        g_free(why);
        goto fail;
    }
    size = nbd_get_size(e->h);
    if (size < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: NBD size: %s", b->path,
                    nbd_get_error());
        goto fail;
    }
    if (!(b->flags & HV_BLK_RDONLY) && nbd_is_read_only(e->h) > 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s: the NBD export is read-only: add access=ro",
                    b->path);
        goto fail;
    }
    b->size = (uint64_t)size;
    nbd_note_caps(e);
    b->eng_priv = e;
    e->thread = g_thread_try_new("hv-nbd", nbd_thread, e, NULL);
    if (!e->thread) {
        b->eng_priv = NULL;
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: no NBD thread",
                    b->path);
        goto fail;
    }
    return true;

fail:
    nbd_drop(e);
    nbd_eng_free(e);
    return false;
}

static void blk_nbd_fini(hv_blk *b)
{
    nbd_eng *e = b->eng_priv;

    blk_chan_stop(&e->ch);
    g_thread_join(e->thread);
    if (e->h && nbd_aio_is_ready(e->h)) {
        nbd_shutdown(e->h, 0);  /* NBD_CMD_DISC: the server closes cleanly */
    }
    nbd_drop(e);
    nbd_eng_free(e);
    b->eng_priv = NULL;
}

static void blk_nbd_submit(hv_blk *b, blk_req *r)
{
    nbd_eng *e = b->eng_priv;

    blk_chan_submit(&e->ch, r);
}

const blk_engine blk_engine_nbd = {
    .name = "nbd",
    .init = blk_nbd_init,
    .fini = blk_nbd_fini,
    .submit = blk_nbd_submit,
};
