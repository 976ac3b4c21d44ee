/* SPDX-License-Identifier: MIT */
/*
 * Recognising the same storage reached another way (hv_blk_same_storage
 * in hvmemu/block.h), for the twin guard: the guest's PV disk names its
 * backing store as the toolstack wrote it (a path, or a block device
 * number from blkback's hotplug script), hvmemu holds an open file.
 *
 * Identity is what the kernel says, never the path text: st_dev/st_ino of
 * a regular file, st_rdev of a block device; partitions and loop devices
 * are resolved through sysfs (/sys/dev/block/MAJ:MIN/partition and
 * .../loop/backing_file, Documentation/ABI/testing/sysfs-block).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hw/block/blk_internal.h"

const char *hv_blk_path(const hv_blk *b)
{
    return b->path;
}

static char *sysfs_block(dev_t rdev, const char *leaf)
{
    return g_strdup_printf("/sys/dev/block/%u:%u/%s", major(rdev),
                           minor(rdev), leaf);
}

/* The whole disk a partition belongs to; @rdev itself otherwise. */
static dev_t whole_disk(dev_t rdev)
{
    g_autofree char *part = sysfs_block(rdev, "partition");
    g_autofree char *parent_dev = sysfs_block(rdev, "../dev");
    g_autofree char *text = NULL;
    unsigned maj, min;

    if (access(part, F_OK) != 0 ||
        !g_file_get_contents(parent_dev, &text, NULL, NULL) ||
        sscanf(text, "%u:%u", &maj, &min) != 2) {
        return rdev;
    }
    return makedev(maj, min);
}

/* A loop device's backing file, if @rdev is one with a file attached. */
static bool loop_backing(dev_t rdev, struct stat *st)
{
    g_autofree char *leaf = sysfs_block(rdev, "loop/backing_file");
    g_autofree char *path = NULL;

    if (!g_file_get_contents(leaf, &path, NULL, NULL)) {
        return false;
    }
    g_strchomp(path);
    return stat(path, st) == 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return S_ISREG(a->st_mode) && S_ISREG(b->st_mode) &&
           a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Does the block device @rdev hold the storage @mine describes? */
static bool block_matches(const struct stat *mine, dev_t rdev,
                          const char **how)
{
    struct stat backing;

    if (S_ISBLK(mine->st_mode)) {
        dev_t m = mine->st_rdev;

        if (m == rdev) {
            *how = "the same block device";
            return true;
        }
        if (whole_disk(m) == rdev || whole_disk(rdev) == m) {
            *how = "on the same disk";
            return true;
        }
        return false;
    }
    if (loop_backing(rdev, &backing) && same_file(mine, &backing)) {
        *how = "a loop device over the same file";
        return true;
    }
    return false;
}

bool hv_blk_same_storage(const hv_blk *b, const char *path, dev_t rdev,
                         char **how)
{
    const char *why = NULL;
    struct stat mine, theirs;
    bool match = false;

    if (fstat(b->fd, &mine) != 0) {
        return false;
    }
    if (path && stat(path, &theirs) == 0) {
        if (same_file(&mine, &theirs)) {
            why = "the same file";
            match = true;
        } else if (S_ISBLK(theirs.st_mode)) {
            match = block_matches(&mine, theirs.st_rdev, &why);
        }
    }
    if (!match && rdev) {
        match = block_matches(&mine, rdev, &why);
    }
    if (match && how) {
        *how = g_strdup(why);
    }
    return match;
}
