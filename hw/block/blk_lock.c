/* SPDX-License-Identifier: MIT */
/*
 * Image locking, compatible with QEMU's (block/file-posix.c, "image
 * locking"), so hvmemu, QEMU, qemu-img and qemu-nbd refuse to write one
 * image at the same time as each other.
 *
 * The locks are open-file-description locks (fcntl F_OFD_SETLK: released
 * when the descriptor closes, also on kill -9; not shared with forked
 * children) on single bytes of the image, always taken shared (F_RDLCK):
 *   byte 100 + i held:  "I use permission i"
 *   byte 200 + i held:  "nobody else may have permission i"
 * with QEMU's permission bits i: 0 consistent read, 1 write, 2 write
 * unchanged, 3 resize. A conflict is someone holding byte 200 + i for a
 * permission we use, or byte 100 + i for one we do not share; F_OFD_GETLK
 * with a write lock finds either (our own locks never conflict with us).
 *
 * Like QEMU's emulated IDE disk (hw/block/block.c blkconf_apply_backend_
 * options without share-rw): a disk uses consistent read (and write when
 * read-write) and shares neither write nor resize. Two read-only users
 * coexist; a writer excludes everyone else.
 */
#define G_LOG_DOMAIN "blk"
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "hvmemu/device.h"
#include "hw/block/blk_internal.h"

enum {
    LOCK_PERM_BASE = 100,
    LOCK_SHARED_BASE = 200,
    PERM_CONSISTENT_READ = 0,
    PERM_WRITE = 1,
    PERM_RESIZE = 3,
    PERM_COUNT = 4,     /* bits 0-3 (2: write unchanged, never ours) */
};

static int lock_byte(int fd, int cmd, short type, off_t byte)
{
    struct flock fl = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1,
    };

    if (fcntl(fd, cmd, &fl) < 0) {
        return -errno;
    }
    return cmd == F_OFD_GETLK ? fl.l_type != F_UNLCK : 0;
}

/* Bit masks of the permissions @b uses and does not share. */
static void lock_perms(const hv_blk *b, unsigned *use, unsigned *unshared)
{
    *use = 1u << PERM_CONSISTENT_READ;
    if (!(b->flags & HV_BLK_RDONLY)) {
        *use |= 1u << PERM_WRITE;
    }
    *unshared = (1u << PERM_WRITE) | (1u << PERM_RESIZE);
}

static bool lock_fail(hv_blk *b, GError **err, int e, const char *what)
{
    g_set_error(err, HV_ERROR, HV_ERROR_IO, "%s: image lock (%s): %s",
                b->path, what, g_strerror(-e));
    return false;
}

/* Another process holds the image against us: refused, or excused. */
static bool lock_busy(hv_blk *b, GError **err)
{
    g_autofree char *why = NULL;

    if (b->lock_excuse && b->lock_excuse(b->lock_opaque, b, &why)) {
        g_message("%s: locked by another process, used anyway: %s", b->path,
                  why ? why : "excused");
        return true;
    }
    g_set_error(err, HV_ERROR, HV_ERROR_BUSY, "%s: locked by another "
                "process (another hvmemu, QEMU, qemu-img or qemu-nbd uses "
                "it; find it with 'fuser -v %s'). Only read-only users "
                "(access=ro) can share an image", b->path, b->path);
    return false;
}

bool blk_lock_image(hv_blk *b, GError **err)
{
    unsigned use, unshared;
    int r;

    lock_perms(b, &use, &unshared);
    /* Take ours first, then look for others: two openers racing both see
     * each other (QEMU's order too). */
    for (unsigned i = 0; i < PERM_COUNT; i++) {
        if (((use >> i) & 1) &&
            (r = lock_byte(b->fd, F_OFD_SETLK, F_RDLCK, LOCK_PERM_BASE + i))) {
            goto busy_or_fail;
        }
        if (((unshared >> i) & 1) &&
            (r = lock_byte(b->fd, F_OFD_SETLK, F_RDLCK,
                           LOCK_SHARED_BASE + i))) {
            goto busy_or_fail;
        }
    }
    for (unsigned i = 0; i < PERM_COUNT; i++) {
        if (((use >> i) & 1) &&
            (r = lock_byte(b->fd, F_OFD_GETLK, F_WRLCK,
                           LOCK_SHARED_BASE + i)) != 0) {
            goto busy_or_fail;
        }
        if (((unshared >> i) & 1) &&
            (r = lock_byte(b->fd, F_OFD_GETLK, F_WRLCK,
                           LOCK_PERM_BASE + i)) != 0) {
            goto busy_or_fail;
        }
    }
    return true;

busy_or_fail:
    if (r == -EAGAIN || r == -EACCES || r > 0) {
        return lock_busy(b, err);
    }
    if (r == -EINVAL || r == -EOPNOTSUPP || r == -ENOLCK) {
        /* File systems without OFD locks (some network ones): QEMU
         * warns and goes on too. */
        g_warning("%s: no image locking on this file system (%s): nothing "
                  "stops another process from writing it", b->path,
                  g_strerror(-r));
        return true;
    }
    return lock_fail(b, err, r, "fcntl");
}
