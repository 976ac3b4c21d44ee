/* SPDX-License-Identifier: MIT */
/*
 * The hand-over between the loop thread and a network engine's own thread
 * (blk_nbd.c, blk_iscsi.c), and the reconnect bookkeeping both share. Not
 * installed.
 */
#ifndef HW_BLOCK_BLK_CHAN_H
#define HW_BLOCK_BLK_CHAN_H

#include "hw/block/blk_internal.h"

typedef struct blk_chan {
    hv_blk *b;
    GMutex lock;            /* sub_head/sub_tail, stop */
    blk_req *sub_head, *sub_tail;   /* submitted, not yet taken */
    bool stop;
    gint failing;           /* atomic: no connection past the deadline */
    int wake_efd;           /* the engine thread sleeps on it */
    /* The engine thread's: taken, waiting to be issued or re-sent. */
    blk_req *retry_head, *retry_tail;
} blk_chan;

void blk_q_push(blk_req **head, blk_req **tail, blk_req *r);
blk_req *blk_q_pop(blk_req **head, blk_req **tail);

/* 0, or -errno if the eventfd cannot be made. */
int blk_chan_init(blk_chan *c, hv_blk *b);
void blk_chan_fini(blk_chan *c);

/* Loop thread. */
void blk_chan_submit(blk_chan *c, blk_req *r);
void blk_chan_stop(blk_chan *c);

/* Engine thread. */
/* Asked to stop (@drained: and nothing submitted is left). */
bool blk_chan_stopping(blk_chan *c, bool drained);
void blk_chan_drain_wake(blk_chan *c);
/* Sleep up to @ms, or until woken. */
void blk_chan_nap(blk_chan *c, unsigned ms);
/* Submitted requests join the waiting queue. */
void blk_chan_take(blk_chan *c);
/* Every waiting request completes with -EIO. */
void blk_chan_fail_waiting(blk_chan *c);
/* A reconnect attempt failed (@why) @since µs ago: past the disk's
 * reconnect= deadline requests fail with EIO (logged once, naming the
 * @server kind: "server", "target") until a connection is back. */
void blk_chan_connect_failed(blk_chan *c, const char *name,
                             const char *server, gint64 since,
                             const char *why);
/* A connection is back: requests wait for it again. */
void blk_chan_connected(blk_chan *c);
bool blk_chan_failing(blk_chan *c);

#endif
