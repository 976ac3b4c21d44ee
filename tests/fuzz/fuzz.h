/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the fuzz targets (README.md in this folder):
 *
 *  - fz_in: the fuzzer's bytes read as a little program of guest
 *    operations. Reads past the end yield zeros, so every input is a valid
 *    program and the fuzzer never wastes time on "parse errors".
 *  - fz_host: a host (hv_host_ops) that wraps hv_memhost and checks the
 *    contract every device must keep whatever the guest does: guest memory
 *    accesses stay inside RAM or fail, the work one guest operation causes
 *    is bounded, IRQ lines only ever see edges, claimed ranges never
 *    overlap and are released exactly as they were claimed.
 *  - FZ_CHECK: an invariant; a violation prints and aborts, which libFuzzer
 *    (and the replay driver) report as a crash with the input saved.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvmemu/hvmemu.h"

#define FZ_CHECK(cond, ...)                                                \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);               \
        }                                                                  \
    } while (0)

G_GNUC_NORETURN G_GNUC_PRINTF(4, 5) void fz_fail(const char *file, int line,
                                                 const char *cond,
                                                 const char *fmt, ...);

/* Name of the input being run, for failure reports (replay sets it). */
extern const char *fz_current_input;

/* The libFuzzer entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Known, reported bugs can be skipped while fuzzing for new ones:
 * FUZZ_KNOWN_BUGS=name,name (names in README.md). Never set in CI.
 */
bool fz_known_bug(const char *name);

/* Quiet logging (devices log guest errors by design); criticals abort. */
void fz_init_once(void);

/* ---- input ---- */

typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline bool fz_more(const fz_in *in) { return in->n > 0; }
uint8_t fz_u8(fz_in *in);
uint16_t fz_u16(fz_in *in);
uint32_t fz_u32(fz_in *in);
uint64_t fz_u64(fz_in *in);
/* 1, 2 or 4 (or 8 when @allow8) chosen by two bits of @sel. */
unsigned fz_size(uint8_t sel, bool allow8);
/* Copy up to @len bytes (fewer if the input ends); returns the count. */
size_t fz_bytes(fz_in *in, void *buf, size_t len);

/* ---- host ---- */

typedef struct fz_host {
    hv_memhost *mh;
    size_t ram_size;
    /* Work done since fz_host_op_begin: host calls and bytes copied. */
    uint64_t calls, bytes;
    uint64_t max_calls, max_bytes;
    uint64_t mem_faults;        /* accesses refused with -EFAULT */
    unsigned isa_level[16];
    GHashTable *intx_level;     /* (sbdf << 2 | pin) + 1 -> level + 1 */
    GArray *mapped;             /* fz_range: what we were asked to claim */
    /* map_range calls ever, and as of the last bookkeeping comparison:
     * only they change memhost's ranges, so op_end compares only when
     * one came (counting them on every guest access was a fifth of
     * fuzz-state's time under libFuzzer). */
    uint64_t map_calls, map_calls_checked;
    /* Guest RAM pages (4 KiB) written since fz_host_ram_reset: the device
     * through mem_write, the target through fz_host_poke/mark_dirty. */
    uint8_t *dirty;
    size_t npages;
} fz_host;

/* @max_calls / @max_bytes: generous per-operation work bounds. */
void fz_host_init(fz_host *h, size_t ram_size, uint64_t max_calls,
                  uint64_t max_bytes);
void fz_host_fini(fz_host *h);
const hv_host_ops *fz_host_ops(void);
/* Start a guest operation: resets the work counters. */
void fz_host_op_begin(fz_host *h);
/* End one: aborts if the work bound was exceeded (@what names the op). */
void fz_host_op_end(fz_host *h, const char *what);
uint8_t *fz_host_ram(fz_host *h);

/*
 * Persistent machines (a device built once and reset between inputs, see
 * README.md "Speed"): RAM is put back to zeros page by page, only where
 * something wrote since the last reset, so an input sees the RAM a fresh
 * machine has at a fraction of the cost of a new buffer.
 */
/* The target wrote guest RAM directly: remember the pages. */
void fz_host_mark_dirty(fz_host *h, uint64_t gpa, size_t len);
/* memcpy into RAM, clipped at its end, pages marked dirty. */
void fz_host_poke(fz_host *h, uint64_t gpa, const void *buf, size_t len);
/* Zero the dirty pages, forget memhost's IRQ event log. */
void fz_host_ram_reset(fz_host *h);
/* The claims now, to compare with after a reset (g_array_unref it). */
GArray *fz_host_claims(fz_host *h);
/* Abort unless exactly the claims of @snap are held (@what: context). */
void fz_host_check_claims(fz_host *h, GArray *snap, const char *what);
/* Does [start, end] overlap a range claimed in @space? */
bool fz_host_claimed_overlap(fz_host *h, hv_space space, uint64_t start,
                             uint64_t end);
unsigned fz_host_intx(fz_host *h, uint32_t sbdf, unsigned pin);

/* ---- helpers shared by device targets ---- */

/*
 * Run the loop without blocking until it has nothing to do (at most
 * @max_rounds iterations). Returns the callbacks run.
 */
unsigned fz_pump(hv_loop *loop, unsigned max_rounds);

/*
 * A PCI function's INTx line as the host sees it must equal
 * STATUS.INTERRUPT && !COMMAND.INTX_DISABLE (PCI 3.0 §6.2.2-3).
 */
void fz_check_intx(hv_ctx *ctx, fz_host *h, uint32_t sbdf);

#endif
