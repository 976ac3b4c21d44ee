/* SPDX-License-Identifier: MIT */
/*
 * A trace file of every request and interrupt, in the Trace Event Format
 * that Perfetto (ui.perfetto.dev) and chrome://tracing open: the JSON
 * array form, `[ {event}, {event}, ...` — closed with `]` at a clean
 * stop, and still readable by both viewers if the daemon is killed
 * before that.
 *
 * The dispatch loop never waits for the disk: events are copied into a
 * bounded ring (fixed-size records, names copied, nothing allocated) and
 * a writer thread formats them. When the ring is full an event is
 * dropped and counted; the writer then puts a "dropped N events" marker
 * into the trace, so a busy guest can neither exhaust memory nor stall
 * the loop, and the reader sees where the gap is.
 *
 * Tracks are Trace Event "threads" of one process: a track per vCPU (its
 * ioreqs, from taking the request to writing the response), per device
 * region (handler time of each register access), per interrupt line
 * (raised → acknowledged) and per backend. Flows ("s"/"f" events, drawn
 * as arrows) join a command's register write to the interrupt that ends
 * it (hv_ctx_cycle_begin/_end).
 */
#ifndef HVMEMU_TRACEFILE_H
#define HVMEMU_TRACEFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct hv_tracefile hv_tracefile;

#define HV_TRACE_DEFAULT_EVENTS 65536u   /* ring capacity: 64 B each */

/*
 * Create @path (truncated) and start the writer thread. @events is the
 * ring's capacity (0: the default; rounded up to a power of two, bounded
 * to 2^24). @process names the trace's process ("hvmemu domain 5").
 * Recording starts enabled.
 */
hv_tracefile *hv_tracefile_open(const char *path, unsigned events,
                                const char *process, GError **err);
/* Drain the ring, close the JSON array, join the writer, free. NULL ok. */
void hv_tracefile_close(hv_tracefile *t);

void hv_tracefile_set_enabled(hv_tracefile *t, bool on);
static inline bool hv_tracefile_on(const hv_tracefile *t);

typedef struct hv_tracefile_stats {
    uint64_t recorded;   /* accepted into the ring */
    uint64_t dropped;    /* ring full */
    uint64_t written;    /* formatted into the file */
    unsigned capacity;
} hv_tracefile_stats;
void hv_tracefile_get_stats(hv_tracefile *t, hv_tracefile_stats *st);
const char *hv_tracefile_path(const hv_tracefile *t);
/* Tests: keep the writer from draining (a full ring, deterministically). */
void hv_tracefile_hold(hv_tracefile *t, bool hold);

/*
 * The track called @name (created on first use: the same name is the
 * same track). Loop thread only. Returns its id (> 0).
 */
unsigned hv_tracefile_track(hv_tracefile *t, const char *name);

/* ---- recording (any thread; never blocks on I/O) ---- */

/* What an event is; the writer derives its name and args from it. */
typedef enum hv_trace_kind {
    HV_TEV_IOREQ,        /* slice: type, dir, addr, size, data */
    HV_TEV_BUFIOREQ,     /* instant: a buffered write (same fields) */
    HV_TEV_REGION,       /* slice: name = region, addr = offset, data */
    HV_TEV_IRQ,          /* slice: name = line, raised → lowered */
    HV_TEV_MSI,          /* instant: addr, data */
    HV_TEV_SPAN,         /* slice: name as given, addr/data as args */
    HV_TEV_FLOW_BEGIN,   /* flow start: name = cycle, addr = flow id */
    HV_TEV_FLOW_END,     /* flow end (binds to the enclosing slice) */
    HV_TEV_NOTE,         /* instant: name as given */
    HV_TEV_TRACK,        /* metadata: track @track is called name */
    HV_TEV_DROPPED,      /* instant, writer-made: data = events lost */
} hv_trace_kind;

typedef struct hv_trace_event {
    uint64_t ts_ns;      /* hv_now_ns() */
    uint64_t dur_ns;
    uint64_t addr, data;
    uint32_t track;
    uint8_t kind;        /* hv_trace_kind */
    uint8_t dir;         /* 0 read, 1 write */
    uint8_t size;
    uint8_t type;        /* ioreqs: hv_space, or 0xff (named) */
    char name[24];       /* copied: the source may be gone when written */
} hv_trace_event;

/* Copy @ev into the ring (or count it dropped). */
void hv_tracefile_record(hv_tracefile *t, const hv_trace_event *ev);

/* Helpers for the common shapes. @name is copied (truncated to 23). */
void hv_tracefile_slice(hv_tracefile *t, hv_trace_kind kind, unsigned track,
                        const char *name, uint64_t start_ns, uint64_t end_ns,
                        uint64_t addr, uint64_t data, bool write);
void hv_tracefile_instant(hv_tracefile *t, hv_trace_kind kind,
                          unsigned track, const char *name, uint64_t addr,
                          uint64_t data);

/* ---- inline ---- */

struct hv_tracefile_head {
    bool enabled;
};

static inline bool hv_tracefile_on(const hv_tracefile *t)
{
    /* The public head of the object: one load on the dispatch path. */
    return t && ((const struct hv_tracefile_head *)(const void *)t)->enabled;
}

#endif
