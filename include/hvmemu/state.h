/* SPDX-License-Identifier: MIT */
/*
 * Device state: what save/restore and migration carry from one hvmemu to
 * the next (docs/save-restore.md).
 *
 * A state file is
 *
 *   "HVMEMUST" | u32 format (1) | u32 sections
 *   per section: str id | str class | u32 class version | u32 length | body
 *   SHA-256 of everything before it (32 bytes)
 *
 * little-endian, str = u16 length + bytes. One section per device, in the
 * context's creation order. A device class with state_save/state_load
 * writes and reads its own body; the reader is bounds-checked and sticky
 * (a short body makes every later read return 0 and the load fail), and
 * every value a load takes is checked as a guest's would be: a state file
 * is as hostile as a guest (fuzz-state).
 *
 * The state is taken at a quiescent point: no backend request in flight
 * (hv_ctx_state_busy), the guest paused or suspended. It is loaded into a
 * context freshly created from the same configuration (--restore), before
 * the guest runs: a device whose configuration differs (another disk
 * size, a CD-ROM where a disk was, another MAC) refuses with the reason.
 */
#ifndef HVMEMU_STATE_H
#define HVMEMU_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "hvmemu/ctx.h"

#define HV_STATE_MAGIC   "HVMEMUST"
#define HV_STATE_FORMAT  1u
#define HV_STATE_MAX     (64u << 20)  /* larger files are refused */

/* ---- writing a section body ---- */
typedef struct hv_state_out {
    GByteArray *buf;
} hv_state_out;

void hv_state_put_u8(hv_state_out *o, uint8_t v);
void hv_state_put_u16(hv_state_out *o, uint16_t v);
void hv_state_put_u32(hv_state_out *o, uint32_t v);
void hv_state_put_u64(hv_state_out *o, uint64_t v);
void hv_state_put_bool(hv_state_out *o, bool v);
void hv_state_put_bytes(hv_state_out *o, const void *p, size_t len);
/* u16 length + bytes; NULL is written as length 0xffff. */
void hv_state_put_str(hv_state_out *o, const char *s);

/* ---- reading one (bounds-checked, sticky) ---- */
typedef struct hv_state_in {
    const uint8_t *p;
    size_t len, pos;
    bool short_read;        /* a read went past the end */
    const char *what;       /* the section's device id, for errors */
} hv_state_in;

uint8_t hv_state_u8(hv_state_in *in);
uint16_t hv_state_u16(hv_state_in *in);
uint32_t hv_state_u32(hv_state_in *in);
uint64_t hv_state_u64(hv_state_in *in);
bool hv_state_bool(hv_state_in *in);   /* anything but 0/1 fails the load */
void hv_state_bytes(hv_state_in *in, void *p, size_t len);
/* Newly allocated; NULL for a NULL string or a short read. At most
 * @max bytes of UTF-8 without NUL, else the load fails. */
char *hv_state_str(hv_state_in *in, size_t max);
/* The body was read exactly, without a short read or a bad value. */
bool hv_state_in_ok(const hv_state_in *in);
/* Fail the load: "<device>: <message>" (always returns false). */
bool hv_state_fail(hv_state_in *in, GError **err, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Check a loaded value: false (and the error) if !@ok. */
bool hv_state_check(hv_state_in *in, bool ok, GError **err,
                    const char *field);

/* ---- the whole context ---- */

/* Devices with backend I/O in flight (a save must wait): how many. */
unsigned hv_ctx_state_busy(hv_ctx *ctx);
/* The state of every device, as a file's bytes. Fails (HV_ERROR_BUSY) if
 * a device is busy. */
GBytes *hv_ctx_save_state(hv_ctx *ctx, GError **err);
/* Into a context created from the same configuration, before the guest
 * runs. */
bool hv_ctx_load_state(hv_ctx *ctx, const void *data, size_t len,
                       GError **err);
/* The same from a file (HV_STATE_MAX at most). */
bool hv_ctx_load_state_file(hv_ctx *ctx, const char *path, GError **err);

/* A short summary of a state file (hvmemu-ctl state-info): sections with
 * their ids, classes, versions and sizes. NULL and @err if it is not one. */
char *hv_state_describe(const void *data, size_t len, GError **err);

#endif
