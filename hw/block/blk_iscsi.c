/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "blk"

/*
 * iSCSI engine (libiscsi): a disk that is a LUN on an iSCSI target, named
 * iscsi://[user[%password]@]host[:port]/target-iqn/lun. CHAP credentials
 * come from the URL or from LIBISCSI_CHAP_USERNAME/LIBISCSI_CHAP_PASSWORD
 * (libiscsi's iscsi_parse_full_url reads both); the initiator name is
 * iqn.2024-01.org.hvmemu:HOSTNAME unless the URL's query gives
 * initiator-name=IQN.
 *
 * Same shape as the NBD engine (blk_nbd.c): one thread per disk owns the
 * libiscsi context; the loop thread queues requests to it (sub_head +
 * wake_efd); the thread turns them into READ(16) / WRITE(16) tasks of at
 * most 1 MiB (or the LUN's MAXIMUM TRANSFER LENGTH), SYNCHRONIZE CACHE(10)
 * and UNMAP, runs iscsi_service() on iscsi_get_fd()/iscsi_which_events(),
 * and hands finished requests back through blk_defer().
 *
 * Only LUNs with 512-byte logical blocks are served: IDE sectors are 512
 * bytes and a 4096-byte LUN would need read-modify-write of partial
 * blocks, so other sizes are refused at open with the reason.
 *
 * Connection loss is handled here, not by libiscsi's automatic reconnect
 * (turned off with iscsi_set_noautoreconnect): libiscsi retries forever
 * or a fixed number of times with a backoff of whole seconds (up to 30 s)
 * and gives no notice of a lost session, so it could neither honour
 * reconnect_s nor tell that acknowledged writes may have been lost. On a
 * lost session (socket error or EOF, iscsi_service() failing, or three
 * NOP-Outs in a row unanswered, sent every 5 s) the context is destroyed,
 * which cancels every task; the requests they belong to are re-sent whole
 * on a new session (reads and writes are idempotent), reconnecting with a
 * backoff of 100 ms doubling to 2 s. After reconnect_s seconds without a
 * session every waiting request fails with EIO and new ones fail at once
 * until the target is back. If the LUN has a volatile write cache (WCE in
 * the caching mode page) and writes were acknowledged since the last
 * completed SYNCHRONIZE CACHE, they may be lost with the target (SBC:
 * a write is only durable after SYNCHRONIZE CACHE when WCE is set), so the
 * next flush fails once with EIO.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "hw/block/blk_chan.h"
#include "hvmemu/device.h"


#define ISC_SECTOR 512u                 /* the only block size served */
#define ISC_CHUNK (1u << 20)            /* bytes per READ/WRITE task */
#define ISC_UNMAP_MAX (1u << 22)        /* blocks per UNMAP, no LUN limit */
#define ISC_CONNECT_MS 10000            /* one connection attempt */
#define ISC_PROBE_MS 10000              /* all commands issued at open */
#define ISC_BACKOFF_MIN_MS 100
#define ISC_BACKOFF_MAX_MS 2000
#define ISC_NOP_MS 5000                 /* keepalive interval */
#define ISC_NOP_MAX 3                   /* unanswered NOP-Outs: session dead */
#define ISC_SOFT_RETRIES 8              /* UNIT ATTENTION, BUSY, ... */
#define ISC_WARN_MAX 20                 /* SCSI errors logged per disk */

typedef struct isc_eng isc_eng;

/* One SCSI task of a request. */
typedef struct isc_part {
    isc_eng *e;
    blk_req *r;
    struct scsi_task *task;
    struct unmap_list um;
    int niov;
    struct scsi_iovec iov[];
} isc_part;

struct isc_eng {
    hv_blk *b;
    char *url;              /* as given (may hold a password) */
    char *name;             /* for messages: no password, no query */
    char *initiator;
    int lun;
    struct iscsi_context *ctx;  /* thread-owned after open */
    GThread *thread;
    blk_chan ch;            /* requests from the loop (blk_chan.c) */

    /* Thread-private (the opening thread's until the thread starts). */
    GHashTable *parts;      /* isc_part whose task is out */
    bool dead;              /* session lost: reconnect before going on */
    bool closing;           /* destroying the context ourselves */
    char *why;              /* why the session was declared dead */
    char *svc_err;          /* why iscsi_service() last failed */
    int conn_status;        /* connect callback: -1 pending, SCSI status */
    char *conn_err;         /* why logging in failed */
    unsigned conn_uas;      /* UNIT ATTENTIONs while logging in */
    unsigned conn_redirects;
    bool sync_done;         /* probe commands at open */
    int sync_status;
    struct scsi_task *sync_task;
    gint64 next_nop;
    gint64 probe_deadline;  /* for the commands issued at open */

    uint64_t blocks;
    uint32_t block_size;
    uint32_t max_xfer;      /* bytes per READ/WRITE task */
    uint32_t max_unmap;     /* blocks per UNMAP task */
    bool can_unmap;
    bool wce;               /* volatile write cache */
    bool wp;                /* write protected */
    uint64_t wgen;          /* writes acknowledged so far */
    uint64_t flushed_gen;   /* writes covered by a completed flush */
    bool lost;              /* acknowledged, unflushed writes lost */
    unsigned reconnects;
    unsigned warned;
};

bool blk_iscsi_target(const char *target)
{
    return target && g_str_has_prefix(target, "iscsi://");
}

/* iscsi://user%secret@host/iqn/0?x=y -> iscsi://user@host/iqn/0 */
static char *isc_display_name(const char *url)
{
    const char *rest = url + strlen("iscsi://");
    const char *q = strchr(rest, '?');
    const char *at = strchr(rest, '@');     /* the first, as libiscsi */
    g_autofree char *user = NULL;
    char *name, *cut;

    if (at && (!q || at < q)) {
        user = g_strndup(rest, (gsize)(at - rest));
        user[strcspn(user, "%:")] = 0;
        name = g_strdup_printf("iscsi://%s@%s", user, at + 1);
    } else {
        name = g_strdup(url);
    }
    if ((cut = strchr(name, '?'))) {
        *cut = 0;
    }
    return name;
}

/* initiator-name=IQN in the URL's query (libiscsi ignores the key). */
static char *isc_initiator(const char *url)
{
    const char *q = strchr(url, '?');

    while (q) {
        q++;
        if (g_str_has_prefix(q, "initiator-name=")) {
            q += strlen("initiator-name=");
            return g_strndup(q, strcspn(q, "&"));
        }
        q = strchr(q, '&');
    }
    return g_strdup_printf("iqn.2024-01.org.hvmemu:%s", g_get_host_name());
}

static bool isc_stopping(isc_eng *e)
{
    return e->thread && blk_chan_stopping(&e->ch, false);
}

/* Poll @ctx's socket (and the wake eventfd once the thread runs) for up
 * to @ms and let libiscsi process what is ready. -ECONNRESET when
 * libiscsi reports the session broken. */
static int isc_step(isc_eng *e, struct iscsi_context *ctx, int ms)
{
    int ev = iscsi_which_events(ctx);
    struct pollfd p[2] = {
        { .fd = ev ? iscsi_get_fd(ctx) : -1, .events = (short)ev },
        { .fd = e->thread ? e->ch.wake_efd : -1, .events = POLLIN },
    };

    if (!ev) {
        ms = MIN(ms, 100);  /* libiscsi: wait a while, then ask again */
    }
    if (poll(p, 2, ms) < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    if (p[1].revents & POLLIN) {
        blk_chan_drain_wake(&e->ch);
    }
    if (p[0].revents) {
        bool was_dead = e->dead;
        int ret = iscsi_service(ctx, p[0].revents);

        if (ret < 0 || (e->dead && !was_dead && !e->why)) {
            /* libiscsi records a reason for a socket error, but none for
             * EOF (and a later call overwrites it with "Can not reconnect
             * right now"): say it here. */
            g_free(e->svc_err);
            e->svc_err = g_strdup(p[0].revents & (POLLERR | POLLHUP)
                                  ? iscsi_get_error(ctx)
                                  : "the target closed the connection");
            if (e->dead && !e->why) {
                e->why = g_strdup(e->svc_err);
            }
        }
        if (ret < 0) {
            return -ECONNRESET;
        }
    }
    return 0;
}

/* ---- connecting ---- */

static char *isc_task_error(const struct scsi_task *t, int status);

/* Logging in is driven here (connect, login, TEST UNIT READY) rather
 * than by iscsi_full_connect_async, which keeps a private allocation in
 * its login command that is lost when the socket dies mid-login. */
static void isc_conn_fail(isc_eng *e, struct iscsi_context *ctx,
                          char *why)
{
    e->conn_status = SCSI_STATUS_ERROR;
    g_free(e->conn_err);
    e->conn_err = why ? why : g_strdup(iscsi_get_error(ctx));
}

static void isc_tur_cb(struct iscsi_context *ctx, int status, void *data,
                       void *priv)
{
    isc_eng *e = priv;
    struct scsi_task *t = data;

    if (status == SCSI_STATUS_CHECK_CONDITION &&
        t->sense.key == SCSI_SENSE_UNIT_ATTENTION && ++e->conn_uas <= 10) {
        /* The reset/power-on notices a fresh session always gets. */
        scsi_free_scsi_task(t);
        if (!iscsi_testunitready_task(ctx, e->lun, isc_tur_cb, e)) {
            isc_conn_fail(e, ctx, NULL);
        }
        return;
    }
    if (status == SCSI_STATUS_GOOD ||
        status == SCSI_STATUS_RESERVATION_CONFLICT) {
        e->conn_status = SCSI_STATUS_GOOD;
    } else if (status == SCSI_STATUS_CANCELLED) {
        isc_conn_fail(e, ctx, g_strdup("session closed while logging in"));
    } else {
        g_autofree char *why = isc_task_error(t, status);

        isc_conn_fail(e, ctx, g_strdup_printf("LUN %d: TEST UNIT READY: %s",
                                              e->lun, why));
    }
    scsi_free_scsi_task(t);
}

static void isc_socket_cb(struct iscsi_context *ctx, int status, void *data,
                          void *priv);

static void isc_login_cb(struct iscsi_context *ctx, int status, void *data,
                         void *priv)
{
    isc_eng *e = priv;
    const char *moved = iscsi_get_target_address(ctx);

    if (status == SCSI_STATUS_REDIRECT && moved && *moved &&
        e->conn_redirects++ < 4) {
        iscsi_disconnect(ctx);
        if (iscsi_connect_async(ctx, moved, isc_socket_cb, e) != 0) {
            isc_conn_fail(e, ctx, NULL);
        }
        return;
    }
    if (status != SCSI_STATUS_GOOD) {
        isc_conn_fail(e, ctx, NULL);
        return;
    }
    e->conn_uas = 0;
    if (!iscsi_testunitready_task(ctx, e->lun, isc_tur_cb, e)) {
        isc_conn_fail(e, ctx, NULL);
    }
}

static void isc_socket_cb(struct iscsi_context *ctx, int status, void *data,
                          void *priv)
{
    isc_eng *e = priv;

    if (status != SCSI_STATUS_GOOD) {
        isc_conn_fail(e, ctx, g_strdup_printf("cannot connect: %s",
                                              iscsi_get_error(ctx)));
    } else if (iscsi_login_async(ctx, isc_login_cb, e) != 0) {
        isc_conn_fail(e, ctx, NULL);
    }
}

/* iscsi_logout_async's callback. */
static void isc_logout_cb(struct iscsi_context *ctx, int status, void *data,
                          void *priv)
{
    isc_eng *e = priv;

    e->conn_status = status;
}

static void isc_destroy(isc_eng *e, struct iscsi_context *ctx)
{
    e->closing = true;      /* the cancellations that follow are ours */
    iscsi_destroy_context(ctx);
    e->closing = false;
}

/* A new context logged in to the target with the LUN checked (TEST UNIT
 * READY), within ISC_CONNECT_MS. NULL with *msg set otherwise. */
static struct iscsi_context *isc_connect(isc_eng *e, char **msg)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)ISC_CONNECT_MS * 1000;
    struct iscsi_context *ctx = iscsi_create_context(e->initiator);
    struct iscsi_url *u;
    int ret = 0;

    if (!ctx) {
        *msg = g_strdup("cannot create an iSCSI context");
        return NULL;
    }
    /* Applies the target name and CHAP credentials to ctx. */
    u = iscsi_parse_full_url(ctx, e->url);
    if (!u) {
        const char *why = iscsi_get_error(ctx);
        const char *nl = strchr(why, '\n');

        /* "Invalid URL <the URL, password and all>\n<the syntax>" */
        *msg = g_strdup(nl && g_str_has_prefix(why, "Invalid URL ")
                        ? nl + 1 : why);
        g_strdelimit(*msg, "\n", ' ');
        isc_destroy(e, ctx);
        return NULL;
    }
    iscsi_set_session_type(ctx, ISCSI_SESSION_NORMAL);
    iscsi_set_noautoreconnect(ctx, 1);
    e->lun = u->lun;
    e->conn_status = -1;
    g_clear_pointer(&e->conn_err, g_free);
    g_clear_pointer(&e->svc_err, g_free);
    e->conn_redirects = 0;
    if (iscsi_connect_async(ctx, u->portal, isc_socket_cb, e) != 0) {
        ret = -EIO;
    }
    iscsi_destroy_url(u);
    while (ret == 0 && e->conn_status == -1) {
        gint64 left = deadline - g_get_monotonic_time();

        if (left <= 0) {
            ret = -ETIMEDOUT;
        } else if (isc_stopping(e)) {
            ret = -ECANCELED;
        } else if (isc_step(e, ctx, (int)MIN(left / 1000 + 1, 200)) < 0 &&
                   e->conn_status == -1) {
            ret = -ECONNRESET;
        }
    }
    if (ret == 0 && e->conn_status != SCSI_STATUS_GOOD) {
        ret = -ECONNREFUSED;
    }
    if (ret < 0) {
        const char *why = e->conn_err ? e->conn_err : e->svc_err;

        if (!why || !*why) {
            why = iscsi_get_error(ctx);
        }

        if (ret == -ETIMEDOUT) {
            *msg = g_strdup_printf("no answer within %d s",
                                   ISC_CONNECT_MS / 1000);
        } else {
            *msg = g_strdup(why && *why ? why : g_strerror(-ret));
        }
        g_strchomp(*msg);
        g_clear_pointer(&e->conn_err, g_free);
        g_clear_pointer(&e->svc_err, g_free);
        isc_destroy(e, ctx);
        return NULL;
    }
    e->next_nop = g_get_monotonic_time() + (gint64)ISC_NOP_MS * 1000;
    return ctx;
}

/* ---- probing the LUN at open (before the thread starts) ---- */

static void isc_sync_cb(struct iscsi_context *ctx, int status, void *data,
                        void *priv)
{
    isc_eng *e = priv;

    e->sync_status = status;
    e->sync_done = true;
}

static const char *isc_status_str(int status)
{
    switch (status) {
    case SCSI_STATUS_GOOD: return "GOOD";
    case SCSI_STATUS_CHECK_CONDITION: return "CHECK CONDITION";
    case SCSI_STATUS_BUSY: return "BUSY";
    case SCSI_STATUS_RESERVATION_CONFLICT: return "RESERVATION CONFLICT";
    case SCSI_STATUS_TASK_SET_FULL: return "TASK SET FULL";
    case SCSI_STATUS_TASK_ABORTED: return "TASK ABORTED";
    case SCSI_STATUS_CANCELLED: return "cancelled";
    case SCSI_STATUS_TIMEOUT: return "timed out";
    default: return "error";
    }
}

static char *isc_task_error(const struct scsi_task *t, int status)
{
    if (status == SCSI_STATUS_CHECK_CONDITION) {
        return g_strdup_printf("%s (%s)", scsi_sense_key_str(t->sense.key),
                               scsi_sense_ascq_str(t->sense.ascq));
    }
    return g_strdup(isc_status_str(status));
}

/* Wait for e->sync_task (queued with isc_sync_cb). On success the task is
 * the caller's to free; on failure *msg is set and, if it is still out,
 * it stays in e->sync_task for blk_iscsi_open's failure path. */
static bool isc_sync_wait(isc_eng *e, const char *what, char **msg)
{
    gint64 deadline = e->probe_deadline;

    if (!e->sync_task) {
        *msg = g_strdup_printf("%s: %s", what, iscsi_get_error(e->ctx));
        return false;
    }
    while (!e->sync_done) {
        gint64 left = deadline - g_get_monotonic_time();

        if (left <= 0) {
            *msg = g_strdup_printf("%s: no answer within %d s", what,
                                   ISC_PROBE_MS / 1000);
            return false;
        }
        if (isc_step(e, e->ctx, (int)MIN(left / 1000 + 1, 200)) < 0 &&
            !e->sync_done) {
            *msg = g_strdup_printf("%s: %s", what, e->svc_err);
            return false;
        }
    }
    if (e->sync_status != SCSI_STATUS_GOOD) {
        g_autofree char *why = isc_task_error(e->sync_task, e->sync_status);

        *msg = g_strdup_printf("%s: %s", what, why);
        return false;
    }
    return true;
}

static void isc_sync_begin(isc_eng *e)
{
    e->sync_done = false;
    e->sync_status = SCSI_STATUS_ERROR;
}

static void isc_sync_free(isc_eng *e)
{
    g_clear_pointer(&e->sync_task, scsi_free_scsi_task);
}

static bool isc_read_capacity(isc_eng *e, char **msg)
{
    struct scsi_readcapacity16 *rc16;
    struct scsi_readcapacity10 *rc10;
    bool illegal;

    isc_sync_begin(e);
    e->sync_task = iscsi_readcapacity16_task(e->ctx, e->lun, isc_sync_cb,
                                             e);
    if (isc_sync_wait(e, "READ CAPACITY(16)", msg)) {
        rc16 = scsi_datain_unmarshall(e->sync_task);
        if (!rc16) {
            g_free(*msg);
            *msg = g_strdup("READ CAPACITY(16): malformed answer");
            return false;
        }
        e->blocks = rc16->returned_lba + 1;
        e->block_size = rc16->block_length;
        e->can_unmap = rc16->lbpme != 0;
        isc_sync_free(e);
        return true;
    }
    illegal = e->sync_task && e->sync_done &&
              e->sync_status == SCSI_STATUS_CHECK_CONDITION &&
              e->sync_task->sense.key == SCSI_SENSE_ILLEGAL_REQUEST;
    if (!illegal) {
        return false;
    }
    /* An SBC-2 target without the 16-byte form. */
    isc_sync_free(e);
    g_clear_pointer(msg, g_free);
    isc_sync_begin(e);
    e->sync_task = iscsi_readcapacity10_task(e->ctx, e->lun, 0, 0,
                                             isc_sync_cb, e);
    if (!isc_sync_wait(e, "READ CAPACITY(10)", msg)) {
        return false;
    }
    rc10 = scsi_datain_unmarshall(e->sync_task);
    if (!rc10) {
        *msg = g_strdup("READ CAPACITY(10): malformed answer");
        return false;
    }
    e->blocks = (uint64_t)rc10->lba + 1;
    e->block_size = rc10->block_size;
    isc_sync_free(e);
    return true;
}

/* Optional pages: limits and provisioning, the caching mode page. A
 * target that lacks one gets the conservative default. */
static void isc_probe_optional(isc_eng *e)
{
    g_autofree char *ignored = NULL;

    isc_sync_begin(e);
    e->sync_task = iscsi_inquiry_task(e->ctx, e->lun, 1,
                                      SCSI_INQUIRY_PAGECODE_BLOCK_LIMITS,
                                      255, isc_sync_cb, e);
    if (isc_sync_wait(e, "INQUIRY", &ignored)) {
        struct scsi_inquiry_block_limits *bl =
            scsi_datain_unmarshall(e->sync_task);

        if (bl && bl->max_xfer_len &&
            (uint64_t)bl->max_xfer_len * e->block_size < e->max_xfer) {
            e->max_xfer = bl->max_xfer_len * e->block_size;
        }
        if (bl && bl->max_unmap && bl->max_unmap < e->max_unmap) {
            e->max_unmap = bl->max_unmap;
        }
    }
    if (!e->sync_done) {
        return;     /* failed to queue, or still out (open fails) */
    }
    isc_sync_free(e);
    g_clear_pointer(&ignored, g_free);
    if (e->can_unmap) {
        isc_sync_begin(e);
        e->sync_task = iscsi_inquiry_task(
            e->ctx, e->lun, 1,
            SCSI_INQUIRY_PAGECODE_LOGICAL_BLOCK_PROVISIONING, 255,
            isc_sync_cb, e);
        if (isc_sync_wait(e, "INQUIRY", &ignored)) {
            struct scsi_inquiry_logical_block_provisioning *lbp =
                scsi_datain_unmarshall(e->sync_task);

            if (lbp) {
                e->can_unmap = lbp->lbpu != 0;
            }
        }
        if (!e->sync_done) {
            return;
        }
        isc_sync_free(e);
        g_clear_pointer(&ignored, g_free);
    }
    isc_sync_begin(e);
    e->sync_task = iscsi_modesense6_task(e->ctx, e->lun, 1,
                                         SCSI_MODESENSE_PC_CURRENT,
                                         SCSI_MODEPAGE_CACHING, 0, 255,
                                         isc_sync_cb, e);
    if (isc_sync_wait(e, "MODE SENSE", &ignored)) {
        struct scsi_mode_sense *ms = scsi_datain_unmarshall(e->sync_task);
        struct scsi_mode_page *pg =
            ms ? scsi_modesense_get_page(ms, SCSI_MODEPAGE_CACHING, 0) : NULL;

        if (ms) {
            e->wp = (ms->device_specific_parameter & 0x80) != 0;
        }
        if (pg) {
            e->wce = pg->caching.wce != 0;
        }
    }
    if (e->sync_done) {
        isc_sync_free(e);
    }
}

/* ---- commands ---- */

static void isc_finish(isc_eng *e, blk_req *r)
{
    if (r->retry && !blk_chan_failing(&e->ch)) {
        r->retry = false;
        r->ret = 0;
        blk_q_push(&e->ch.retry_head, &e->ch.retry_tail, r);
        return;
    }
    if (r->retry) {
        r->ret = -EIO;
        r->retry = false;
    }
    if (r->ret == 0 && r->op == BLK_OP_WRITE) {
        e->wgen++;
    }
    if (r->ret == 0 && r->op == BLK_OP_FLUSH && r->gen > e->flushed_gen) {
        e->flushed_gen = r->gen;
    }
    blk_defer(e->b, r);
}

static void isc_part_free(isc_part *p)
{
    g_clear_pointer(&p->task, scsi_free_scsi_task);
    g_free(p);
}

static void isc_part_settle(isc_eng *e, isc_part *p)
{
    blk_req *r = p->r;

    g_hash_table_remove(e->parts, p);
    isc_part_free(p);
    if (--r->parts == 0) {
        isc_finish(e, r);
    }
}

static void isc_warn(isc_eng *e, const blk_req *r, const char *why)
{
    static const char *const ops[] = { "READ", "WRITE", "SYNCHRONIZE CACHE",
                                       "UNMAP" };

    if (e->warned++ < ISC_WARN_MAX) {
        g_warning("%s: %s at byte %" G_GUINT64_FORMAT ": %s%s", e->name,
                  ops[r->op], r->off, why,
                  e->warned == ISC_WARN_MAX ? " (further errors not logged)"
                                            : "");
    }
}

/* A SCSI error for one part of @r: the errno the guest gets, or 0 when
 * the request should be sent again (bounded by ISC_SOFT_RETRIES). */
static int isc_scsi_errno(isc_eng *e, blk_req *r, struct scsi_task *t,
                          int status)
{
    int key = status == SCSI_STATUS_CHECK_CONDITION ? (int)t->sense.key : -1;
    int ascq = key >= 0 ? t->sense.ascq : 0;
    g_autofree char *why = NULL;
    int err = -EIO;

    if (status == SCSI_STATUS_BUSY || status == SCSI_STATUS_TASK_SET_FULL ||
        status == SCSI_STATUS_TASK_ABORTED ||
        key == SCSI_SENSE_UNIT_ATTENTION ||
        key == SCSI_SENSE_COMMAND_ABORTED) {
        if (r->attempts < ISC_SOFT_RETRIES) {
            r->attempts++;
            return 0;
        }
    } else if (key == SCSI_SENSE_ILLEGAL_REQUEST &&
               ascq == SCSI_SENSE_ASCQ_INVALID_OPERATION_CODE &&
               r->op == BLK_OP_DISCARD) {
        e->can_unmap = false;   /* advisory: stop sending it */
        return 1;
    } else if (key == SCSI_SENSE_DATA_PROTECTION) {
        err = ascq == 0x2707 ? -ENOSPC : -EROFS;  /* space alloc failed */
    } else if (key == SCSI_SENSE_ILLEGAL_REQUEST &&
               ascq == SCSI_SENSE_ASCQ_LBA_OUT_OF_RANGE) {
        err = r->op == BLK_OP_WRITE ? -ENOSPC : -EIO;
    }
    why = isc_task_error(t, status);
    isc_warn(e, r, why);
    return err;
}

/* libiscsi task callback (this thread, inside iscsi_service or
 * iscsi_destroy_context). */
static void isc_task_cb(struct iscsi_context *ctx, int status, void *data,
                        void *priv)
{
    isc_part *p = priv;
    isc_eng *e = p->e;
    blk_req *r = p->r;
    struct scsi_task *t = p->task;

    if (status == SCSI_STATUS_GOOD) {
        if (r->op == BLK_OP_READ &&
            t->residual_status == SCSI_RESIDUAL_UNDERFLOW && t->residual &&
            r->ret == 0) {
            isc_warn(e, r, "short read");
            r->ret = -EIO;
        }
    } else if (status == SCSI_STATUS_ERROR && !e->closing &&
               r->attempts >= ISC_SOFT_RETRIES) {
        isc_warn(e, r, iscsi_get_error(ctx));   /* fails on every session */
        if (r->ret == 0) {
            r->ret = -EIO;
        }
    } else if (status == SCSI_STATUS_CANCELLED ||
               status == SCSI_STATUS_TIMEOUT ||
               status == SCSI_STATUS_ERROR) {
        /* The session is gone (or unusable): send it again on a new one. */
        if (status == SCSI_STATUS_ERROR && !e->closing) {
            r->attempts++;
        }
        r->retry = true;
        if (!e->closing && !e->dead) {
            e->dead = true;     /* isc_step says why */
            if (status != SCSI_STATUS_CANCELLED) {
                g_free(e->why);
                e->why = g_strdup_printf("task %s: %s",
                                         isc_status_str(status),
                                         iscsi_get_error(ctx));
            }
        }
    } else {
        int err = isc_scsi_errno(e, r, t, status);

        if (err == 0) {
            r->retry = true;    /* soft: not failing while connected */
        } else if (err < 0 && r->ret == 0) {
            r->ret = err;
        }
    }
    isc_part_settle(e, p);
}

/* Fill @out (NULL: only count) with bytes [from, from + len) of @r's
 * iovec; returns the number of entries. */
static int isc_iov_slice(const blk_req *r, uint64_t from, uint64_t len,
                         struct scsi_iovec *out)
{
    int n = 0;

    for (int i = 0; i < r->iovcnt && len; i++) {
        uint64_t sl = r->iov[i].iov_len;

        if (from >= sl) {
            from -= sl;
            continue;
        }
        if (out) {
            out[n].iov_base = (uint8_t *)r->iov[i].iov_base + from;
            out[n].iov_len = (size_t)MIN(sl - from, len);
        }
        len -= MIN(sl - from, len);
        from = 0;
        n++;
    }
    return n;
}

static void isc_iov_zero(blk_req *r, uint64_t from)
{
    for (int i = 0; i < r->iovcnt; i++) {
        uint64_t sl = r->iov[i].iov_len;

        if (from >= sl) {
            from -= sl;
            continue;
        }
        memset((uint8_t *)r->iov[i].iov_base + from, 0, sl - from);
        from = 0;
    }
}

static isc_part *isc_part_new(isc_eng *e, blk_req *r, uint64_t from,
                              uint64_t len)
{
    int n = from == UINT64_MAX ? 0 : isc_iov_slice(r, from, len, NULL);
    isc_part *p = g_malloc0(sizeof(*p) + (size_t)n * sizeof(p->iov[0]));

    p->e = e;
    p->r = r;
    if (n) {
        p->niov = isc_iov_slice(r, from, len, p->iov);
    }
    return p;
}

/* Queue one task for bytes [off, off + len) of the LUN (@from: offset in
 * the request's iovec). */
static struct scsi_task *isc_part_task(isc_eng *e, isc_part *p,
                                       uint64_t off, uint64_t len)
{
    blk_req *r = p->r;
    uint64_t lba = off / e->block_size;
    uint32_t n = (uint32_t)len;

    switch (r->op) {
    case BLK_OP_READ:
        return iscsi_read16_iov_task(e->ctx, e->lun, lba, n, e->block_size,
                                     0, 0, 0, 0, 0, isc_task_cb, p, p->iov,
                                     p->niov);
    case BLK_OP_WRITE:
        return iscsi_write16_iov_task(e->ctx, e->lun, lba, NULL, n,
                                      e->block_size, 0, 0, 0, 0, 0,
                                      isc_task_cb, p, p->iov, p->niov);
    case BLK_OP_FLUSH:
        /* LBA 0, 0 blocks: the whole medium. */
        return iscsi_synchronizecache10_task(e->ctx, e->lun, 0, 0, 0, 0,
                                             isc_task_cb, p);
    case BLK_OP_DISCARD:
        p->um.lba = lba;
        p->um.num = (uint32_t)(len / e->block_size);
        return iscsi_unmap_task(e->ctx, e->lun, 0, 0, &p->um, 1,
                                isc_task_cb, p);
    }
    return NULL;
}

/* Requests that need no round trip to the target. */
static bool isc_answer_locally(isc_eng *e, blk_req *r)
{
    hv_blk *b = e->b;
    bool rw = r->op == BLK_OP_READ || r->op == BLK_OP_WRITE;

    if (rw && ((r->off | r->len) & (ISC_SECTOR - 1))) {
        r->ret = -EINVAL;   /* whole 512-byte blocks only */
    } else if (r->op == BLK_OP_FLUSH && e->lost) {
        g_warning("%s: FLUSH fails: writes the lost target had "
                  "acknowledged may not be on its disk", e->name);
        e->lost = false;
        e->flushed_gen = e->wgen;
        r->ret = -EIO;
    } else if (r->op == BLK_OP_DISCARD && !e->can_unmap) {
        r->ret = 0;         /* advisory */
    } else if (r->op == BLK_OP_WRITE &&
               (r->off > b->size || r->len > b->size - r->off)) {
        r->ret = -ENOSPC;
    } else if (r->op == BLK_OP_READ && r->off >= b->size) {
        isc_iov_zero(r, 0);  /* past the end reads as zeros */
        r->ret = 0;
    } else {
        return false;
    }
    blk_defer(b, r);
    return true;
}

static void isc_issue(isc_eng *e, blk_req *r)
{
    hv_blk *b = e->b;
    uint64_t off = r->off, len = r->len, chunk = e->max_xfer;

    if (isc_answer_locally(e, r)) {
        return;
    }
    if (r->op == BLK_OP_READ && off + len > b->size) {
        len = b->size - off;
        isc_iov_zero(r, len);   /* the part past the end */
    }
    if (r->op == BLK_OP_DISCARD) {
        /* Whole blocks inside the LUN only; advisory, so round inward. */
        uint64_t end = MIN(off + len, b->size) & ~(uint64_t)(ISC_SECTOR - 1);

        off = (off + ISC_SECTOR - 1) & ~(uint64_t)(ISC_SECTOR - 1);
        len = end > off ? end - off : 0;
        chunk = (uint64_t)e->max_unmap * e->block_size;
        if (len == 0) {
            r->ret = 0;
            blk_defer(b, r);
            return;
        }
    }
    if (r->op == BLK_OP_FLUSH) {
        r->gen = e->wgen;
        len = 1;
    }
    r->parts = 1;   /* held until every part is queued */
    for (uint64_t done = 0; done < len; ) {
        uint64_t n = r->op == BLK_OP_FLUSH ? 1 : MIN(len - done, chunk);
        bool data = r->op == BLK_OP_READ || r->op == BLK_OP_WRITE;
        isc_part *p = isc_part_new(e, r, data ? done : UINT64_MAX, n);

        p->task = isc_part_task(e, p, off + done, n);
        if (!p->task) {
            /* Could not even be queued: the session is unusable. */
            r->retry = true;
            if (!e->dead) {
                e->dead = true;
                g_free(e->why);
                e->why = g_strdup(iscsi_get_error(e->ctx));
            }
            isc_part_free(p);
            break;
        }
        r->parts++;
        g_hash_table_add(e->parts, p);
        done += n;
    }
    if (--r->parts == 0) {
        isc_finish(e, r);
    }
}

/* ---- the thread ---- */

/* Destroy the context; every task still out (cancelled by libiscsi, or
 * dropped without a callback when the session was not logged in) is
 * queued for re-sending. */
static void isc_drop(isc_eng *e)
{
    GHashTableIter it;
    gpointer key;

    if (!e->ctx) {
        return;
    }
    isc_destroy(e, e->ctx);
    e->ctx = NULL;
    g_hash_table_iter_init(&it, e->parts);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        isc_part *p = key;
        blk_req *r = p->r;

        g_hash_table_iter_remove(&it);
        isc_part_free(p);
        r->retry = true;
        if (--r->parts == 0) {
            isc_finish(e, r);
        }
    }
}

/* The session died: keep what was in flight for re-sending, remember
 * whether acknowledged writes were still unflushed, and reconnect. */
static void isc_lost(isc_eng *e)
{
    gint64 since = g_get_monotonic_time();
    unsigned backoff = ISC_BACKOFF_MIN_MS;
    char *msg = e->why ? e->why : g_strdup(e->ctx ? iscsi_get_error(e->ctx)
                                                  : "closed");

    e->why = NULL;
    isc_drop(e);
    e->dead = false;
    if (e->wgen > e->flushed_gen && e->wce) {
        e->lost = true;
    }
    g_strchomp(msg);
    g_warning("%s: session lost (%s)%s; reconnecting", e->name,
              *msg ? msg : "closed",
              e->lost ? ", with acknowledged writes not yet flushed" : "");
    g_free(msg);
    while (!isc_stopping(e)) {
        char *why = NULL;

        e->ctx = isc_connect(e, &why);
        if (e->ctx) {
            e->reconnects++;
            blk_chan_connected(&e->ch);
            g_message("%s: reconnected after %.1f s (%u so far)", e->name,
                      (double)(g_get_monotonic_time() - since) / 1e6,
                      e->reconnects);
            return;
        }
        blk_chan_connect_failed(&e->ch, e->name, "target", since, why);
        g_free(why);
        blk_chan_nap(&e->ch, backoff);  /* new requests wait or failed */
        backoff = MIN(backoff * 2, ISC_BACKOFF_MAX_MS);
    }
}

/* Every ISC_NOP_MS: a NOP-Out, so a target that went silent (host gone,
 * network cut) is noticed even when TCP is not. */
static void isc_keepalive(isc_eng *e)
{
    gint64 now = g_get_monotonic_time();

    if (now < e->next_nop) {
        return;
    }
    e->next_nop = now + (gint64)ISC_NOP_MS * 1000;
    if (iscsi_get_nops_in_flight(e->ctx) >= ISC_NOP_MAX) {
        e->dead = true;
        g_free(e->why);
        e->why = g_strdup_printf("no answer to %d NOP-Outs in %d s",
                                 ISC_NOP_MAX, ISC_NOP_MAX * ISC_NOP_MS / 1000);
        return;
    }
    if (iscsi_nop_out_async(e->ctx, NULL, NULL, 0, NULL) != 0) {
        e->dead = true;
    }
}

static gpointer isc_thread(gpointer data)
{
    isc_eng *e = data;

    for (;;) {
        if (blk_chan_stopping(&e->ch, true) && !e->ch.retry_head &&
            g_hash_table_size(e->parts) == 0) {
            break;
        }
        if (!e->ctx || e->dead) {
            isc_lost(e);
            if (!e->ctx) {      /* asked to stop while disconnected */
                blk_chan_take(&e->ch);
                blk_chan_fail_waiting(&e->ch);
                break;
            }
        }
        blk_chan_take(&e->ch);
        while (e->ch.retry_head && !e->dead) {
            isc_issue(e, blk_q_pop(&e->ch.retry_head, &e->ch.retry_tail));
        }
        if (e->dead) {
            continue;
        }
        if (isc_step(e, e->ctx, 1000) < 0 && !e->dead) {
            e->dead = true;
            g_free(e->why);
            e->why = g_steal_pointer(&e->svc_err);
        }
        if (!e->dead) {
            isc_keepalive(e);
        }
    }
    return NULL;
}

/* ---- engine interface ---- */

static int blk_iscsi_init(hv_blk *b)
{
    return b->eng_priv ? 0 : -EINVAL;   /* set up by blk_iscsi_open() */
}

static void isc_eng_free(isc_eng *e)
{
    blk_chan_fini(&e->ch);
    g_hash_table_destroy(e->parts);
    g_free(e->why);
    g_free(e->svc_err);
    g_free(e->conn_err);
    g_free(e->url);
    g_free(e->name);
    g_free(e->initiator);
    g_free(e);
}

bool blk_iscsi_open(hv_blk *b, GError **err)
{
    isc_eng *e = g_new0(isc_eng, 1);
    char *why = NULL;
    int ret;

    e->b = b;
    e->url = g_strdup(b->path);
    e->name = isc_display_name(b->path);
    e->initiator = isc_initiator(b->path);
    e->parts = g_hash_table_new(NULL, NULL);
    e->max_xfer = ISC_CHUNK;
    e->max_unmap = ISC_UNMAP_MAX;
    e->wce = true;  /* unless the caching mode page says otherwise */
    ret = blk_chan_init(&e->ch, b);
    if (ret < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "eventfd: %s",
                    g_strerror(-ret));
        goto fail;
    }
    e->ctx = isc_connect(e, &why);
    if (!e->ctx) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: iSCSI connect: %s",
                    e->name, why);
        goto fail;
    }
    e->probe_deadline = g_get_monotonic_time() +
                        (gint64)ISC_PROBE_MS * 1000;
    if (!isc_read_capacity(e, &why)) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: %s", e->name, why);
        goto fail;
    }
    if (e->block_size != ISC_SECTOR) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s: the LUN has %u-byte logical blocks; IDE disks "
                    "need 512-byte blocks (give the LUN a 512-byte block "
                    "size on the target)", e->name, e->block_size);
        goto fail;
    }
    isc_probe_optional(e);
    if (e->sync_task) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: no answer to READ "
                    "CAPACITY, INQUIRY and MODE SENSE within %d s", e->name,
                    ISC_PROBE_MS / 1000);
        goto fail;
    }
    if (!(b->flags & HV_BLK_RDONLY) && e->wp) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s: the LUN is write-protected: add access=ro", e->name);
        goto fail;
    }
    b->size = e->blocks * e->block_size;
    b->eng_priv = e;
    e->thread = g_thread_try_new("hv-iscsi", isc_thread, e, NULL);
    if (!e->thread) {
        b->eng_priv = NULL;
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: no iSCSI thread",
                    e->name);
        goto fail;
    }
    return true;

fail:
    g_free(why);
    if (e->ctx) {
        isc_destroy(e, e->ctx);
        e->ctx = NULL;
    }
    isc_sync_free(e);   /* a probe still out when it timed out */
    isc_eng_free(e);
    return false;
}

static void isc_logout(isc_eng *e)
{
    gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;

    e->conn_status = -1;
    if (!e->ctx || !iscsi_is_logged_in(e->ctx) ||
        iscsi_logout_async(e->ctx, isc_logout_cb, e) != 0) {
        return;
    }
    while (e->conn_status == -1 && g_get_monotonic_time() < deadline) {
        if (isc_step(e, e->ctx, 100) < 0) {
            break;
        }
    }
}

static void blk_iscsi_fini(hv_blk *b)
{
    isc_eng *e = b->eng_priv;

    blk_chan_stop(&e->ch);
    g_thread_join(e->thread);
    e->thread = NULL;
    isc_logout(e);      /* bounded: the target frees the session now */
    isc_drop(e);
    isc_eng_free(e);
    b->eng_priv = NULL;
}

static void blk_iscsi_submit(hv_blk *b, blk_req *r)
{
    isc_eng *e = b->eng_priv;

    blk_chan_submit(&e->ch, r);
}

const blk_engine blk_engine_iscsi = {
    .name = "iscsi",
    .init = blk_iscsi_init,
    .fini = blk_iscsi_fini,
    .submit = blk_iscsi_submit,
};
