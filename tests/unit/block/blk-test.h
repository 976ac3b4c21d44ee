/* SPDX-License-Identifier: MIT */
/*
 * What the backend tests against real servers share (test-nbd.c,
 * test-iscsi.c): completions counted on the loop, a position-dependent
 * byte pattern, and one request at a time run to its completion.
 */
#ifndef TESTS_UNIT_BLOCK_BLK_TEST_H
#define TESTS_UNIT_BLOCK_BLK_TEST_H

#include "hvmemu/hvmemu.h"

#define BT_WAIT_MS 15000    /* a request's completion, servers restarting */

typedef struct bt_done {
    int calls;
    int ret;
} bt_done;

void bt_done_cb(void *opaque, int ret);
/* Run @loop until @d has @want calls or @ms pass. */
void bt_wait(hv_loop *loop, bt_done *d, int want, int ms);

/* The byte at @i (sectors differ from each other, not just bytes). */
uint8_t bt_pattern(size_t i);
void bt_assert_pattern(const uint8_t *buf, uint64_t off, size_t len);

/* Open @target with engine @engine (asserted), reconnect=@reconnect_s. */
hv_blk *bt_open(hv_loop *loop, const char *target, unsigned reconnect_s,
                unsigned flags, const char *engine);
/* One read or write of @len bytes at @off in @nseg segments (the first
 * ones @seg bytes; 0: an equal split), run to completion: its result. It
 * must never complete inside the submit. */
int bt_io_seg(hv_loop *loop, hv_blk *b, bool write, uint64_t off,
              uint8_t *buf, size_t len, int nseg, size_t seg);
int bt_io(hv_loop *loop, hv_blk *b, bool write, uint64_t off, uint8_t *buf,
          size_t len, int nseg);
int bt_flush(hv_loop *loop, hv_blk *b);
int bt_discard(hv_loop *loop, hv_blk *b, uint64_t off, uint64_t len);

#endif
