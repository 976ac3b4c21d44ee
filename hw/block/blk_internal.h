/* SPDX-License-Identifier: MIT */
/*
 * Private to hw/block: the request record and the engine interface shared
 * by the io_uring engine (blk_uring.c), the thread-pool engine
 * (blk_threads.c) and the network engines (blk_nbd.c, blk_iscsi.c).
 * blk_file.c owns hv_blk and the completion path.
 */
#ifndef HW_BLOCK_BLK_INTERNAL_H
#define HW_BLOCK_BLK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>

#include "hvmemu/block.h"
#include "hw/block/blk_fault.h"


typedef enum blk_op {
    BLK_OP_READ,
    BLK_OP_WRITE,
    BLK_OP_FLUSH,
    BLK_OP_DISCARD,
} blk_op;

typedef struct blk_req blk_req;
struct blk_req {
    hv_blk *b;
    blk_op op;
    uint64_t off;       /* byte offset of the whole request */
    uint64_t len;       /* total bytes (read/write/discard) */
    uint64_t done;      /* bytes completed so far (short I/O) */
    struct iovec *iov;  /* private copy, advanced past done bytes */
    int iovcnt;
    hv_blk_cb cb;
    void *opaque;
    int ret;
    uint64_t due_ns;    /* fault delay: deliver at this time */
    /* Network engines (blk_nbd.c, blk_iscsi.c) only: */
    void *bounce;       /* NBD: contiguous copy of a multi-segment request */
    unsigned parts;     /* NBD commands / SCSI tasks still out */
    unsigned attempts;  /* NBD: re-sends after a connection loss; iSCSI:
                         * re-sends after UNIT ATTENTION, BUSY, ... */
    bool retry;         /* a part failed with the connection */
    uint64_t gen;       /* FLUSH: writes acknowledged when it was sent */
    blk_req *next;
};

typedef struct blk_engine {
    const char *name;
    int (*init)(hv_blk *b);          /* 0 or -errno (then try the next) */
    void (*fini)(hv_blk *b);         /* only with nothing in flight */
    void (*submit)(hv_blk *b, blk_req *r);
    int (*wait_fd)(hv_blk *b);       /* fd to poll in drain, or -1 */
    void (*process)(hv_blk *b);      /* reap what is ready (loop thread) */
} blk_engine;

struct hv_blk {
    hv_loop *loop;
    char *path;         /* file, device, NBD or iSCSI URI */
    char *format;       /* NULL: raw; else served by a qemu-nbd child */
    unsigned reconnect_s;   /* NBD, iSCSI: seconds before I/O fails (EIO) */
    hv_blk_lock_excuse_fn lock_excuse;  /* at open only (blk_lock.c) */
    void *lock_opaque;
    int fd;             /* file or device; O_PATH of a child's image; -1 */
    unsigned flags;
    bool is_bdev;
    uint64_t size;
    const blk_engine *eng;
    void *eng_priv;
    unsigned inflight;
    /* Completions produced off the loop thread (or synthesised at submit
     * time) are queued here and delivered from done_efd's watch. */
    GMutex done_lock;
    blk_req *done_head, *done_tail;
    int done_efd;
    hv_watch *done_watch;
    blk_fault fault;
    blk_req *delay_head, *delay_tail;   /* fault.delay_ns queue (FIFO) */
    hv_timer *delay_timer;
};

extern const blk_engine blk_engine_uring;
extern const blk_engine blk_engine_threads;
extern const blk_engine blk_engine_nbd;
extern const blk_engine blk_engine_iscsi;

/* blk_nbd.c: is @target an NBD URI; connect @b (path, format, flags set)
 * and set its size and eng_priv. */
bool blk_nbd_target(const char *target);
bool blk_nbd_open(hv_blk *b, GError **err);
/* blk_iscsi.c: is @target an iSCSI URI (iscsi://...); log in to the LUN
 * named by @b's path and set its size and eng_priv. */
bool blk_iscsi_target(const char *target);
bool blk_iscsi_open(hv_blk *b, GError **err);

/* blk_lock.c: QEMU-compatible image locks on @b's fd (released when it
 * closes); HV_ERROR_BUSY when another process uses the image in a way
 * that excludes @b's access. */
bool blk_lock_image(hv_blk *b, GError **err);

/* Any thread: queue a finished request for delivery on the loop thread. */
void blk_defer(hv_blk *b, blk_req *r);
/* Loop thread: deliver a finished request to its owner now. */
void blk_complete(blk_req *r);
/* Execute synchronously (worker threads, discard helper): 0 or -errno. */
int blk_exec_sync(hv_blk *b, blk_req *r);
/* Account @n bytes of progress; zero-fills a read that hit end of file.
 * Returns true when the request is finished. */
bool blk_req_progress(blk_req *r, uint64_t n);
/* Run discard on a short-lived helper thread (block devices). */
void blk_discard_async(hv_blk *b, blk_req *r);

#endif
