/* SPDX-License-Identifier: MIT */
/*
 * Block backend seam. Devices never open files: they get an hv_blk and
 * submit asynchronous requests (iovec + byte offset + completion callback).
 *
 * Completion context: callbacks ALWAYS run later on the loop thread of the
 * hv_loop given at open time — never from inside the submit call — with
 * ret = 0 on success or -errno. A request is never dropped: hv_blk_close()
 * waits for every in-flight request and runs its callback.
 */
#ifndef HVMEMU_BLOCK_H
#define HVMEMU_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <glib.h>

#include "hvmemu/loop.h"

typedef struct hv_blk hv_blk;
typedef void (*hv_blk_cb)(void *opaque, int ret);

enum {
    HV_BLK_RDONLY = 1 << 0,
    HV_BLK_DIRECT = 1 << 1,     /* O_DIRECT; buffers must be aligned */
    HV_BLK_NO_URING = 1 << 2,   /* force the thread-pool engine */
};

hv_blk *hv_blk_open(hv_loop *loop, const char *path, unsigned flags,
                    GError **err);

/*
 * How to reach an image that is not a raw local file or block device.
 * @format: NULL or "raw" for those, for NBD URIs (nbd://host:port/name,
 * nbd+unix:///name?socket=PATH, nbds:// for TLS) and for iSCSI URIs
 * (iscsi://[user[%password]@]host[:port]/target-iqn/lun); any other format
 * qemu-nbd(8) reads ("qcow2", "qed", "vpc", ...) is served by a qemu-nbd
 * child started on open and stopped on close (refused over a URI).
 * @reconnect_s: NBD and iSCSI: how long requests wait for a lost server or
 * target to come back before they fail with EIO (0: the default, 30 s).
 */
/*
 * Image locks (hw/block/blk_lock.c, QEMU's scheme): a raw image another
 * process holds in a way that excludes this open is refused, unless
 * @lock_excuse (may be NULL) returns true for it; it may set *@why (a
 * g_malloc'ed reason, logged). The daemon excuses the guest's own PV disk:
 * its backend (QEMU's qdisk) locks the image, and the twin guard keeps the
 * guest from using both.
 */
typedef bool (*hv_blk_lock_excuse_fn)(void *opaque, const hv_blk *b,
                                      char **why);

typedef struct hv_blk_opts {
    const char *format;
    unsigned reconnect_s;
    hv_blk_lock_excuse_fn lock_excuse;
    void *lock_opaque;
} hv_blk_opts;

/* The excuse every device of @ctx passes when it opens an image (the
 * daemon sets it; default none). hv_ctx_blk_opts fills @opts' lock
 * fields from it. */
struct hv_ctx;
void hv_ctx_set_lock_excuse(struct hv_ctx *ctx, hv_blk_lock_excuse_fn fn,
                            void *opaque);
void hv_ctx_blk_opts(const struct hv_ctx *ctx, hv_blk_opts *opts);

hv_blk *hv_blk_open_opts(hv_loop *loop, const char *target,
                         const hv_blk_opts *opts, unsigned flags,
                         GError **err);
void hv_blk_close(hv_blk *b);

uint64_t hv_blk_size(const hv_blk *b);   /* bytes */
bool hv_blk_readonly(const hv_blk *b);
/* "io_uring", "threads", "nbd" or "iscsi" */
const char *hv_blk_engine(const hv_blk *b);

/*
 * Is the storage named by @path (a file or a block device node; NULL: none)
 * or by the block device @rdev (0: none) the storage behind @b, so that
 * writing through one changes what the other reads? True for the same
 * file (device and inode, whatever the path), the same block device, a
 * partition of it or the disk it is a partition of, and a loop device
 * backed by @b's file. Fills @how (may be NULL) with the reason.
 * Storage stacked higher (LVM on top of @b, a file on a filesystem on
 * @b) is not recognised.
 */
bool hv_blk_same_storage(const hv_blk *b, const char *path, dev_t rdev,
                         char **how);
const char *hv_blk_path(const hv_blk *b);

/* Return 0 when queued, -errno when it could not even be queued (then the
 * callback does not run). Reads past the end of the backing file return
 * zeros; writes on a read-only backend complete with -EROFS. */
int hv_blk_readv(hv_blk *b, uint64_t off, const struct iovec *iov, int iovcnt,
                 hv_blk_cb cb, void *opaque);
int hv_blk_writev(hv_blk *b, uint64_t off, const struct iovec *iov,
                  int iovcnt, hv_blk_cb cb, void *opaque);
/* Durable once the callback reports 0 (fdatasync / io_uring FSYNC). */
int hv_blk_flush(hv_blk *b, hv_blk_cb cb, void *opaque);
/* Hole punch (files) or BLKDISCARD (block devices); advisory. */
int hv_blk_discard(hv_blk *b, uint64_t off, uint64_t len, hv_blk_cb cb,
                   void *opaque);

#endif
