/* SPDX-License-Identifier: MIT */
/*
 * mini-server: the smallest ioreq server that exercises xensim through the
 * real Xen library API (compiled against Xen's headers and linked against
 * Xen's libraries; run with LD_LIBRARY_PATH pointing at the replacements).
 * It is the permanent self-test of the simulator, independent of hvmemu.
 *
 * Device it emulates, when claimed:
 *   ports  [port, port+15]: four 32-bit registers that read back; a write
 *          to port+12 sets ISA IRQ (value & 0xff) to level (value >> 8)
 *   mmio   [mmio, mmio+0xfff]: 512 64-bit registers that read back
 *   PCI    00:dev.0 config space: 256 bytes that read back
 *   string I/O (data_is_ptr): outs stores the last element in the register
 *          and sums all of them; ins fills guest memory with 0x11, 0x12...
 * Every request is logged (type, dir, addr, size, count, df, data).
 */
#ifndef MINI_SERVER_H
#define MINI_SERVER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct mini mini;

typedef struct mini_req {
    uint8_t type, dir, df, data_is_ptr, buffered;
    uint32_t size, count;
    uint64_t addr, data;
} mini_req;

typedef struct mini_opts {
    uint32_t domid;
    int bufioreq;            /* HVM_IOREQSRV_BUFIOREQ_* */
    uint16_t port;           /* 0: claim no ports */
    uint64_t mmio;           /* 0: claim no MMIO */
    int pci_dev;             /* < 0: claim no PCI function */
    bool no_enable;
} mini_opts;

/* Create, claim, map, bind, enable; serve on a thread. NULL + errno. */
mini *mini_start(const mini_opts *o);
/* Disable, destroy the server, close every handle. */
void mini_stop(mini *m);
unsigned mini_id(const mini *m);

/* Hold requests (not answer them) until released. */
void mini_hold(mini *m, bool hold);
/* Copy of the request log; returns entries, caller frees *out. */
unsigned mini_log(mini *m, mini_req **out);
void mini_clear_log(mini *m);
uint64_t mini_outs_sum(mini *m);
unsigned mini_invalidates(mini *m);

#endif
