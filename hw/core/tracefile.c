/* SPDX-License-Identifier: MIT */
/*
 * The trace file (hvmemu/tracefile.h): a bounded ring of fixed-size
 * records filled by the loop, drained by a writer thread that formats
 * Trace Event Format JSON ("Trace Event Format" document, Chrome
 * tracing: ph X = complete slice, i = instant, s/f = flow, M = metadata;
 * ts and dur in microseconds).
 *
 * The ring is guarded by a mutex held only for a record's copy (the
 * producer) or a batch's copy (the writer): no allocation, no I/O and no
 * syscall under it in the common case, so the loop is never stalled by
 * the file. Producers wake the writer only when the ring is half full;
 * otherwise it wakes by itself every HV_TRACE_FLUSH_MS.
 */
#define G_LOG_DOMAIN "trace"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hvmemu/device.h"
#include "hvmemu/loop.h"
#include "hvmemu/region.h"
#include "hvmemu/tracefile.h"

#define HV_TRACE_MAX_EVENTS (1u << 24)
#define HV_TRACE_FLUSH_MS   20
#define HV_TRACE_BATCH      1024u
#define HV_TRACE_PID        1

struct hv_tracefile {
    struct hv_tracefile_head head;   /* first: hv_tracefile_on() */
    char *path;
    FILE *f;
    uint64_t t0_ns;                  /* ts 0 of the trace */

    GMutex lock;                     /* ring, counters, stop */
    GCond wake;
    hv_trace_event *ring;
    unsigned mask;                   /* capacity - 1 */
    uint64_t head_i, tail_i;         /* produced, consumed */
    uint64_t recorded, dropped;
    bool stop;
    bool held;                       /* hv_tracefile_hold (tests) */

    uint64_t written;                /* writer only */
    uint64_t dropped_reported;       /* writer only */
    bool first;                      /* writer only: no comma yet */
    GThread *writer;

    GHashTable *tracks;              /* name -> id (loop thread) */
};

/* ---- formatting (writer thread) ---- */

/* JSON string body of @s (names are ours or a region's, but be safe). */
static void put_escaped(FILE *f, const char *s, size_t max)
{
    for (size_t i = 0; i < max && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c < 0x20 || c >= 0x7f) {
            fputc('?', f);
        } else {
            fputc(c, f);
        }
    }
}

static void put_name(FILE *f, const hv_trace_event *e)
{
    put_escaped(f, e->name, sizeof(e->name));
}

/* ts relative to the trace's start, in µs with ns digits. */
static void put_ts(FILE *f, const char *key, uint64_t ns)
{
    fprintf(f, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000,
            (unsigned)(ns % 1000));
}

static void put_event(hv_tracefile *t, const hv_trace_event *e)
{
    FILE *f = t->f;
    uint64_t ts = e->ts_ns > t->t0_ns ? e->ts_ns - t->t0_ns : 0;

    fputs(t->first ? "\n" : ",\n", f);
    t->first = false;
    switch ((hv_trace_kind)e->kind) {
    case HV_TEV_TRACK:
        fprintf(f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,"
                "\"tid\":%u,\"args\":{\"name\":\"", HV_TRACE_PID, e->track);
        put_name(f, e);
        fprintf(f, "\"}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\","
                "\"pid\":%d,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
                HV_TRACE_PID, e->track, e->track);
        return;
    case HV_TEV_IOREQ:
    case HV_TEV_BUFIOREQ:
        /* type: the access's hv_space, or 0xff for the other ioreqs. */
        if (e->type < HV_SPACE_COUNT) {
            fprintf(f, "{\"name\":\"%s %s 0x%" PRIx64 "\"",
                    hv_space_name(e->type), e->dir ? "write" : "read",
                    e->addr);
        } else {
            fputs("{\"name\":\"", f);    /* not an access: named by caller */
            put_name(f, e);
            fputc('"', f);
        }
        fputs(",\"cat\":\"ioreq\"", f);
        break;
    case HV_TEV_REGION:
        fputs("{\"name\":\"", f);
        put_name(f, e);
        fprintf(f, " %s +0x%" PRIx64 "\",\"cat\":\"device\"",
                e->dir ? "write" : "read", e->addr);
        break;
    case HV_TEV_IRQ:
    case HV_TEV_MSI:
        fputs("{\"name\":\"", f);
        put_name(f, e);
        fputs("\",\"cat\":\"irq\"", f);
        break;
    case HV_TEV_FLOW_BEGIN:
    case HV_TEV_FLOW_END:
        fputs("{\"name\":\"", f);
        put_name(f, e);
        fprintf(f, "\",\"cat\":\"cycle\",\"id\":%" PRIu64, e->addr);
        break;
    case HV_TEV_DROPPED:
        fprintf(f, "{\"name\":\"dropped %" PRIu64 " events (ring full)\","
                "\"cat\":\"trace\"", e->data);
        break;
    default:
        fputs("{\"name\":\"", f);
        put_name(f, e);
        fputs("\",\"cat\":\"hvmemu\"", f);
        break;
    }
    fprintf(f, ",\"pid\":%d,\"tid\":%u", HV_TRACE_PID, e->track);
    put_ts(f, "ts", ts);
    switch ((hv_trace_kind)e->kind) {
    case HV_TEV_IOREQ:
    case HV_TEV_REGION:
    case HV_TEV_IRQ:
    case HV_TEV_SPAN:
        fputs(",\"ph\":\"X\"", f);
        put_ts(f, "dur", e->dur_ns);
        break;
    case HV_TEV_FLOW_BEGIN:
        fputs(",\"ph\":\"s\"", f);
        break;
    case HV_TEV_FLOW_END:
        /* "bp":"e": bind to the enclosing slice (the interrupt's). */
        fputs(",\"ph\":\"f\",\"bp\":\"e\"", f);
        break;
    default:
        fputs(",\"ph\":\"i\",\"s\":\"t\"", f);
        break;
    }
    switch ((hv_trace_kind)e->kind) {
    case HV_TEV_IOREQ:
    case HV_TEV_BUFIOREQ:
        fprintf(f, ",\"args\":{\"addr\":\"0x%" PRIx64 "\",\"size\":%u,"
                "\"data\":\"0x%" PRIx64 "\"}", e->addr, e->size, e->data);
        break;
    case HV_TEV_REGION:
    case HV_TEV_SPAN:
    case HV_TEV_MSI:
        fprintf(f, ",\"args\":{\"%s\":\"0x%" PRIx64 "\",\"%s\":\"0x%" PRIx64
                "\"}", e->kind == HV_TEV_REGION ? "offset" : "addr", e->addr,
                e->kind == HV_TEV_REGION ? "value" : "data", e->data);
        break;
    default:
        break;
    }
    fputc('}', f);
}

/* Writer: copy a batch out under the lock, format it outside. */
static gpointer writer_main(gpointer opaque)
{
    hv_tracefile *t = opaque;
    hv_trace_event *batch = g_new(hv_trace_event, HV_TRACE_BATCH);
    bool stop = false;

    while (!stop) {
        unsigned n = 0;
        uint64_t dropped;

        g_mutex_lock(&t->lock);
        if ((t->head_i == t->tail_i || t->held) && !t->stop) {
            g_cond_wait_until(&t->wake, &t->lock,
                              g_get_monotonic_time() +
                                  HV_TRACE_FLUSH_MS * G_TIME_SPAN_MILLISECOND);
        }
        while (n < HV_TRACE_BATCH && t->tail_i != t->head_i &&
               (!t->held || t->stop)) {
            batch[n++] = t->ring[t->tail_i++ & t->mask];
        }
        dropped = t->dropped;
        stop = t->stop && t->tail_i == t->head_i;
        g_mutex_unlock(&t->lock);

        for (unsigned i = 0; i < n; i++) {
            put_event(t, &batch[i]);
        }
        __atomic_add_fetch(&t->written, n, __ATOMIC_RELAXED);
        if (dropped != t->dropped_reported) {
            hv_trace_event d = { .ts_ns = hv_now_ns(), .kind = HV_TEV_DROPPED,
                                 .data = dropped - t->dropped_reported };
            put_event(t, &d);
            t->dropped_reported = dropped;
        }
        if (n == 0 || stop) {
            fflush(t->f);
        }
    }
    g_free(batch);
    return NULL;
}

/* ---- life ---- */

hv_tracefile *hv_tracefile_open(const char *path, unsigned events,
                                const char *process, GError **err)
{
    hv_tracefile *t;
    unsigned cap = 1;
    FILE *f = fopen(path, "we");

    if (!f) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "--trace-file %s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    if (events == 0) {
        events = HV_TRACE_DEFAULT_EVENTS;
    }
    while (cap < events && cap < HV_TRACE_MAX_EVENTS) {
        cap <<= 1;
    }
    t = g_new0(hv_tracefile, 1);
    t->path = g_strdup(path);
    t->f = f;
    t->t0_ns = hv_now_ns();
    g_mutex_init(&t->lock);
    g_cond_init(&t->wake);
    t->ring = g_new(hv_trace_event, cap);
    t->mask = cap - 1;
    t->first = true;
    t->tracks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    fputs("[", f);
    fprintf(f, "\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,"
            "\"tid\":0,\"args\":{\"name\":\"", HV_TRACE_PID);
    put_escaped(f, process ? process : "hvmemu", 256);
    fputs("\"}}", f);
    t->first = false;
    t->writer = g_thread_new("hvmemu-trace", writer_main, t);
    t->head.enabled = true;
    return t;
}

void hv_tracefile_close(hv_tracefile *t)
{
    if (!t) {
        return;
    }
    g_mutex_lock(&t->lock);
    t->stop = true;
    g_cond_signal(&t->wake);
    g_mutex_unlock(&t->lock);
    g_thread_join(t->writer);
    fputs("\n]\n", t->f);
    if (fclose(t->f) != 0) {
        g_warning("trace file %s: %s", t->path, g_strerror(errno));
    }
    g_message("trace file %s: %" PRIu64 " events, %" PRIu64 " dropped",
              t->path, t->written, t->dropped);
    g_hash_table_destroy(t->tracks);
    g_free(t->ring);
    g_cond_clear(&t->wake);
    g_mutex_clear(&t->lock);
    g_free(t->path);
    g_free(t);
}

void hv_tracefile_set_enabled(hv_tracefile *t, bool on)
{
    if (t && t->head.enabled != on) {
        /* The switch itself is in the trace, so gaps are explained
         * (recording does not look at the switch: its callers do). */
        hv_tracefile_instant(t, HV_TEV_NOTE, 0, on ? "trace on" : "trace off",
                             0, 0);
        t->head.enabled = on;
    }
}

void hv_tracefile_hold(hv_tracefile *t, bool hold)
{
    g_mutex_lock(&t->lock);
    t->held = hold;
    g_cond_signal(&t->wake);
    g_mutex_unlock(&t->lock);
}

void hv_tracefile_get_stats(hv_tracefile *t, hv_tracefile_stats *st)
{
    g_mutex_lock(&t->lock);
    st->recorded = t->recorded;
    st->dropped = t->dropped;
    st->capacity = t->mask + 1;
    g_mutex_unlock(&t->lock);
    st->written = __atomic_load_n(&t->written, __ATOMIC_RELAXED);
}

const char *hv_tracefile_path(const hv_tracefile *t)
{
    return t->path;
}

unsigned hv_tracefile_track(hv_tracefile *t, const char *name)
{
    gpointer v = g_hash_table_lookup(t->tracks, name);
    hv_trace_event e = { .kind = HV_TEV_TRACK };
    unsigned id;

    if (v) {
        return GPOINTER_TO_UINT(v);
    }
    id = g_hash_table_size(t->tracks) + 1;
    g_hash_table_insert(t->tracks, g_strdup(name), GUINT_TO_POINTER(id));
    e.track = id;
    g_strlcpy(e.name, name, sizeof(e.name));
    /* Metadata is never dropped silently: it names a whole track. */
    hv_tracefile_record(t, &e);
    return id;
}

/* ---- recording ---- */

void hv_tracefile_record(hv_tracefile *t, const hv_trace_event *ev)
{
    uint64_t used;

    g_mutex_lock(&t->lock);
    used = t->head_i - t->tail_i;
    if (used > t->mask) {
        t->dropped++;
    } else {
        t->ring[t->head_i++ & t->mask] = *ev;
        t->recorded++;
        if (used + 1 == (t->mask + 1) / 2) {
            g_cond_signal(&t->wake);
        }
    }
    g_mutex_unlock(&t->lock);
}

void hv_tracefile_slice(hv_tracefile *t, hv_trace_kind kind, unsigned track,
                        const char *name, uint64_t start_ns, uint64_t end_ns,
                        uint64_t addr, uint64_t data, bool write)
{
    hv_trace_event e = {
        .ts_ns = start_ns, .dur_ns = end_ns > start_ns ? end_ns - start_ns : 0,
        .addr = addr, .data = data, .track = track, .kind = (uint8_t)kind,
        .dir = write,
    };

    if (name) {
        g_strlcpy(e.name, name, sizeof(e.name));
    }
    hv_tracefile_record(t, &e);
}

void hv_tracefile_instant(hv_tracefile *t, hv_trace_kind kind,
                          unsigned track, const char *name, uint64_t addr,
                          uint64_t data)
{
    uint64_t now = hv_now_ns();

    hv_tracefile_slice(t, kind, track, name, now, now, addr, data, false);
}
