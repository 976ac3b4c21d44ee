/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for tests (hw-internal, not part of the public API):
 * make reads/writes touching a byte range, or flushes, fail with an errno,
 * so "backend error → the guest sees an error" is testable end to end.
 * Set from a disk spec (x-inject-eio=, x-inject-flush-eio) or by tests.
 */
#ifndef HW_BLOCK_BLK_FAULT_H
#define HW_BLOCK_BLK_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "hvmemu/block.h"

typedef struct blk_fault {
    uint64_t rw_off;    /* requests overlapping [rw_off, rw_off + rw_len) */
    uint64_t rw_len;    /* 0 = off */
    int rw_errno;       /* positive errno, e.g. EIO */
    int flush_errno;    /* 0 = flushes succeed */
    uint64_t delay_ns;  /* delay every completion this long (0 = none) */
} blk_fault;

void hv_blk_set_fault(hv_blk *b, const blk_fault *f);

#endif
