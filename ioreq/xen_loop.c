/* SPDX-License-Identifier: MIT */
/*
 * The Xen side of the event loop: the event-channel fd wakes us, we find
 * the vCPU whose slot it signals, service it, drain the buffered ring and
 * notify. A timer watches for the domain's death.
 */
#define G_LOG_DOMAIN "ioreq"

#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>

#include "ioreq/bufring.h"
#include "ioreq/dispatch.h"
#include "ioreq/trace.h"
#include "ioreq/xen_int.h"
#include "hw/core/core-internal.h"
#include "hw/core/probes.h"

/* Buffered entries per wake-up: a full ring, then let others run. */
#define IOREQ_BUF_BUDGET IOREQ_BUFFER_SLOT_NUM
/* Requests one busy-poll burst may serve before returning to epoll. */
#define IOREQ_POLL_MAX_REQS 4096u

static void ioreq_xen_count(hv_xen *x, const ioreq_t *req)
{
    x->stats.reqs[req->type < 16 ? req->type : 15]++;
}

static void ioreq_xen_trace(hv_xen *x, int vcpu, const ioreq_t *req,
                            ioreq_status st)
{
    char target[64];
    GString *line;

    if (x->traced >= x->opts.trace) {
        return;
    }
    x->traced++;
    ioreq_trace_target(x->ctx, req, target, sizeof(target));
    line = g_string_new("[ioreq] ");
    ioreq_trace_format(line, vcpu, req, target[0] ? target : NULL, st);
    printf("%s\n", line->str);
    if (x->traced == x->opts.trace) {
        printf("[ioreq] (trace limit of %u requests reached)\n", x->opts.trace);
    }
    fflush(stdout);
    g_string_free(line, TRUE);
}

/* ---- the trace file (hvmemu/tracefile.h) ---- */

static hv_tracefile *ioreq_xen_tracer(hv_xen *x)
{
    hv_tracefile *t = x->ctx ? hv_ctx_tracefile(x->ctx) : NULL;

    if (!hv_tracefile_on(t)) {
        return NULL;
    }
    if (x->trace_owner != t) {
        /* Track ids belong to one trace file. */
        g_free(x->vcpu_track);
        x->vcpu_track = g_new0(unsigned, x->nr_vcpus);
        x->buf_track = 0;
        x->trace_owner = t;
    }
    return t;
}

/* A vCPU's request as a slice from @start_ns to now, or (@start_ns 0) a
 * buffered write as an instant, on @track. */
static void ioreq_xen_trace_event(hv_tracefile *t, unsigned track,
                                  const ioreq_t *req, uint64_t start_ns)
{
    hv_trace_event e = {
        .ts_ns = start_ns, .addr = req->addr, .data = req->data,
        .dir = req->dir == IOREQ_WRITE, .size = (uint8_t)req->size,
        .kind = start_ns ? HV_TEV_IOREQ : HV_TEV_BUFIOREQ, .type = 0xff,
        .track = track,
    };

    switch (req->type) {
    case IOREQ_TYPE_PIO:        e.type = HV_SPACE_PIO;  break;
    case IOREQ_TYPE_COPY:       e.type = HV_SPACE_MMIO; break;
    case IOREQ_TYPE_PCI_CONFIG: e.type = HV_SPACE_PCI;  break;
    default:
        g_strlcpy(e.name, ioreq_type_name(req->type), sizeof(e.name));
        break;
    }
    if (start_ns) {
        e.dur_ns = hv_now_ns() - start_ns;
    } else {
        e.ts_ns = hv_now_ns();
    }
    hv_tracefile_record(t, &e);
}

static void ioreq_xen_on_bufreq(void *opaque, const ioreq_t *req,
                                ioreq_status st)
{
    hv_xen *x = opaque;
    hv_tracefile *t = ioreq_xen_tracer(x);

    if (t) {
        if (!x->buf_track) {
            x->buf_track = hv_tracefile_track(t, "bufioreq");
        }
        ioreq_xen_trace_event(t, x->buf_track, req, 0);
    }

    x->stats.bufreqs++;
    ioreq_xen_count(x, req);
    ioreq_xen_trace(x, IOREQ_TRACE_BUFRING, req, st);
}

static inline unsigned ioreq_xen_drain(hv_xen *x)
{
    if (!x->bufpage || ioreq_bufring_empty(x->bufpage)) {
        return 0;
    }
    return ioreq_bufring_drain(x->bufpage, &x->env, IOREQ_BUF_BUDGET,
                               ioreq_xen_on_bufreq, x);
}

static inline void ioreq_xen_notify(hv_xen *x, int port)
{
    if (xenevtchn_notify(x->xce, port) < 0) {
        g_debug("xenevtchn_notify(%d): %s", port, g_strerror(errno));
        return;
    }
    x->stats.notifies++;
}

/* Anything watching requests: latency timing, a trace file, or --trace
 * lines still to print. Off (the common case), the service path takes no
 * timestamps and copies nothing for them. */
static inline bool ioreq_xen_observed(const hv_xen *x)
{
    return x->traced < x->opts.trace || (x->ctx && hv_instrumented(x->ctx));
}

/* ioreq_xen_service_vcpu with timestamps, trace file and trace lines. */
static G_GNUC_NO_INLINE bool ioreq_xen_service_observed(hv_xen *x, unsigned v)
{
    ioreq_t *slot = &x->shared->vcpu_ioreq[v];
    hv_tracefile *t = ioreq_xen_tracer(x);
    /* Tracing: busy polling asks often, only a ready slot costs a
     * timestamp. */
    uint64_t start = t && ioreq_slot_state(slot) == STATE_IOREQ_READY
                     ? hv_now_ns() : 0;
    ioreq_t done;
    ioreq_status st;

    if (!ioreq_slot_service(slot, &x->env, &done, &st)) {
        return false;
    }
    if (t) {
        if (!x->vcpu_track[v]) {
            char name[16];

            snprintf(name, sizeof(name), "vcpu%u", v);
            x->vcpu_track[v] = hv_tracefile_track(t, name);
        }
        /* Became ready after the look: a slice of no length. */
        ioreq_xen_trace_event(t, x->vcpu_track[v], &done,
                              start ? start : hv_now_ns());
    }
    ioreq_xen_notify(x, x->vcpu_port[v]);
    ioreq_xen_count(x, &done);
    ioreq_xen_trace(x, (int)v, &done, st);
    return true;
}

/* Serve vCPU @v's slot if a request is ready, answer and notify it. */
static inline __attribute__((always_inline)) bool
ioreq_xen_service_vcpu(hv_xen *x, unsigned v, bool observed)
{
    ioreq_t done;

    if (G_UNLIKELY(observed)) {
        return ioreq_xen_service_observed(x, v);
    }
    if (!ioreq_slot_service(&x->shared->vcpu_ioreq[v], &x->env, &done,
                            NULL)) {
        return false;
    }
    ioreq_xen_notify(x, x->vcpu_port[v]);
    ioreq_xen_count(x, &done);
    return true;
}

unsigned ioreq_xen_service_all(hv_xen *x)
{
    unsigned n = ioreq_xen_drain(x);
    bool observed = ioreq_xen_observed(x);

    for (unsigned v = 0; v < x->nr_vcpus; v++) {
        n += ioreq_xen_service_vcpu(x, v, observed);
    }
    return n;
}

void ioreq_xen_release_slots(hv_xen *x)
{
    for (unsigned v = 0; x->shared && v < x->nr_vcpus; v++) {
        if (ioreq_slot_release(&x->shared->vcpu_ioreq[v]) &&
            x->vcpu_port[v] != IOREQ_NO_PORT) {
            g_debug("vcpu%u: in-flight request released at teardown", v);
            ioreq_xen_notify(x, x->vcpu_port[v]);
        }
    }
}

static inline void ioreq_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spin iterations between two looks at the rest of the loop's fds. */
#define IOREQ_POLL_LOOK_EVERY 64u
/* Adaptive polling: the smallest window worth having (a grow from 0). */
#define IOREQ_POLL_START_NS 1000u

/*
 * Busy polling (hv_xen_opts.poll_us): keep looking at the pages for
 * @window_ns after the last request. A guest issuing back-to-back accesses
 * then finds us awake, saving the epoll wake-up on its round trip. The
 * spin gives way as soon as another fd of the loop is ready: a disk
 * completion or a timer the guest is waiting for must not wait for the
 * window to run out.
 */
static void ioreq_xen_busy_poll(hv_xen *x, uint64_t window_ns)
{
    uint64_t start = hv_now_ns(), now = start;
    uint64_t deadline = start + window_ns;
    unsigned served = 0, spins = 0;

    while (served < IOREQ_POLL_MAX_REQS && !hv_loop_quitting(x->loop)) {
        unsigned n = ioreq_xen_service_all(x);

        now = hv_now_ns();
        if (n > 0) {
            served += n;
            deadline = now + window_ns;
        } else if (now >= deadline ||
                   (++spins % IOREQ_POLL_LOOK_EVERY == 0 &&
                    hv_loop_others_ready(x->loop, x->watch))) {
            break;
        } else {
            ioreq_cpu_relax();
        }
    }
    x->stats.poll_served += served;
    x->stats.poll_ns += now - start;
}

/*
 * Adaptive polling (--poll-us adaptive): the window follows the guest, as
 * Linux's KVM halt polling does. On each wake-up, look at how long we
 * slept: if a window no longer than the ceiling would have caught this
 * request, polling pays — double the window (from 1 µs, up to the
 * ceiling); if we slept longer than the ceiling, the guest is idle or
 * waiting for something else (a disk, a timer) — halve it, down to 0
 * (no polling, no CPU spent). Requests found while polling keep the window
 * open as with a fixed one.
 */
static void ioreq_xen_poll_adapt(hv_xen *x, uint64_t now)
{
    uint64_t ceiling = (uint64_t)x->opts.poll_us * 1000;
    uint64_t w = x->poll_window_ns;

    if (!x->idle_since_ns) {
        return;
    }
    if (now - x->idle_since_ns <= ceiling) {
        w = w ? MIN(w * 2, ceiling) : MIN(IOREQ_POLL_START_NS, ceiling);
    } else {
        w /= 2;
        if (w < IOREQ_POLL_START_NS) {
            w = 0;
        }
    }
    x->poll_window_ns = w;
}

static void ioreq_xen_poll(hv_xen *x)
{
    if (!x->opts.poll_adaptive) {
        ioreq_xen_busy_poll(x, (uint64_t)x->opts.poll_us * 1000);
        return;
    }
    if (x->poll_window_ns) {
        ioreq_xen_busy_poll(x, x->poll_window_ns);
    }
    x->idle_since_ns = hv_now_ns();
}

static int ioreq_xen_vcpu_of_port(const hv_xen *x, int port)
{
    for (unsigned v = 0; v < x->nr_vcpus; v++) {
        if (x->vcpu_port[v] == port) {
            return (int)v;
        }
    }
    return -1;
}

/* If the guest is gone (destroyed, dying, shut down), stop cleanly. */
static bool ioreq_xen_stop_if_gone(hv_xen *x)
{
    const char *why;

    if (!ioreq_xen_domain_gone(x, &why)) {
        return false;
    }
    g_message("domain %u %s; stopping", x->domid, why);
    x->dead = true;
    x->stats.guest_gone++;
    hv_loop_quit(x->loop, 0);
    return true;
}

/* The event channel failed: stop serving; exit 0 if the domain simply
 * died. */
static void ioreq_xen_channel_error(hv_xen *x, const char *what, int e)
{
    if (ioreq_xen_stop_if_gone(x)) {
        return;
    }
    g_warning("%s: %s; stopping", what, g_strerror(e));
    hv_loop_quit(x->loop, 1);
}

static void ioreq_xen_on_evtchn(void *opaque, uint32_t events)
{
    hv_xen *x = opaque;
    bool observed = ioreq_xen_observed(x);
    /* The wake-up: epoll returned for the event channel. */
    uint64_t woke = observed && x->ctx && hv_ctx_timing(x->ctx)
                    ? hv_now_ns() : 0;
    xenevtchn_port_or_error_t port;
    int v;

    HV_PROBE(ioreq__wake);
    if (x->opts.poll_adaptive) {
        ioreq_xen_poll_adapt(x, hv_now_ns());
    }
    if (!(events & EPOLLIN)) {
        ioreq_xen_channel_error(x, "event channel fd", EIO);
        return;
    }
    port = xenevtchn_pending(x->xce);
    if (port < 0) {
        ioreq_xen_channel_error(x, "xenevtchn_pending", errno);
        return;
    }
    /* Unmask first, so a request that arrives while we work re-signals. */
    if (xenevtchn_unmask(x->xce, port) < 0) {
        ioreq_xen_channel_error(x, "xenevtchn_unmask", errno);
        return;
    }
    ioreq_xen_drain(x);
    v = ioreq_xen_vcpu_of_port(x, port);
    if (v >= 0 && ioreq_xen_service_vcpu(x, (unsigned)v, observed) && woke) {
        if (!x->wake_hist) {
            x->wake_hist = g_new0(hv_hist, 1);
            x->stats.wake_to_response_ns = x->wake_hist;
        }
        hv_hist_record(x->wake_hist, hv_now_ns() - woke);
    }
    if (x->opts.poll_us > 0) {
        ioreq_xen_poll(x);
    }
}

static void ioreq_xen_on_timer(void *opaque)
{
    hv_xen *x = opaque;

    if (ioreq_xen_stop_if_gone(x)) {
        return;
    }
    hv_timer_arm_ns(x->death_timer, IOREQ_DEATH_POLL_NS);
}

bool ioreq_xen_loop_start(hv_xen *x, GError **err)
{
    int fd = xenevtchn_fd(x->xce);

    if (fd < 0) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno, "xenevtchn_fd");
        return false;
    }
    x->watch = hv_loop_add_fd(x->loop, fd, ioreq_xen_on_evtchn, x);
    if (!x->watch) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "adding the event channel to the loop");
        return false;
    }
    x->death_timer = hv_timer_new(x->loop, ioreq_xen_on_timer, x);
    if (!x->death_timer) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno, "domain-death timer");
        ioreq_xen_loop_stop(x);
        return false;
    }
    hv_timer_arm_ns(x->death_timer, IOREQ_DEATH_POLL_NS);
    return true;
}

void ioreq_xen_loop_stop(hv_xen *x)
{
    if (x->watch) {
        hv_loop_remove(x->loop, x->watch);
        x->watch = NULL;
    }
    if (x->death_timer) {
        hv_timer_free(x->death_timer);
        x->death_timer = NULL;
    }
}
