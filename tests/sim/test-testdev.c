// SPDX-License-Identifier: MIT
/*
 * The real hvmemu binary, unmodified, serving testdev to a simulated guest
 * under xensim (hw/core/testdev.c):
 *   port+0 SCRATCH r/w, port+4 COUNT r/o (accesses so far, this one
 *   included), port+8 IRQ (write 1/0 raises/lowers the ISA IRQ).
 * Also the daemon's lifecycle: SIGTERM, guest destruction, being killed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <glib.h>

#include "harness.h"

#define PORT 0x2000
#define SCRATCH (PORT + 0)
#define COUNT (PORT + 4)
#define IRQREG (PORT + 8)

static simh *start(unsigned vcpus, const char *device)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = vcpus });
    const char *args[] = { "--device", device, NULL };

    g_assert_true(simh_start_hvmemu(h, args, 1));
    return h;
}

/* Clean shutdown: exit status 0 and no server left behind. */
static void stop(simh *h)
{
    xs_sim_info info;

    g_assert_cmpint(simh_stop_hvmemu(h, SIGTERM, 5000), ==, 0);
    g_assert_cmpint(xs_guest_info(simh_control(h), &info), ==, 0);
    g_assert_cmpuint(info.servers, ==, 0);
    simh_free(h);
}

static uint32_t in(xs_guest *g, uint16_t port, unsigned size)
{
    uint32_t v = 0;

    g_assert_cmpint(xs_guest_in(g, port, size, &v), ==, 0);
    return v;
}

static void out(xs_guest *g, uint16_t port, unsigned size, uint32_t v)
{
    g_assert_cmpint(xs_guest_out(g, port, size, v), ==, 0);
}

static void test_port_sizes(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);

    out(g, SCRATCH, 4, 0xdead0000);
    g_assert_cmphex(in(g, SCRATCH, 4), ==, 0xdead0000);
    out(g, SCRATCH, 2, 0xbeef);
    g_assert_cmphex(in(g, SCRATCH, 2), ==, 0xbeef);
    out(g, SCRATCH, 1, 0x5a);
    g_assert_cmphex(in(g, SCRATCH, 1), ==, 0x5a);
    /* COUNT is read-only and counts every access, itself included. */
    uint32_t c0 = in(g, COUNT, 4);
    out(g, COUNT, 4, 0);
    g_assert_cmpuint(in(g, COUNT, 4), ==, c0 + 2);
    stop(h);
}

static void test_string_io(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);
    uint32_t vals[1500];

    for (unsigned i = 0; i < G_N_ELEMENTS(vals); i++) {
        vals[i] = 0x1000 + i;
    }
    /* rep outsl: 1500 elements crossing pages; the last one sticks. */
    g_assert_cmpint(xs_guest_mem_write(g, 0x1f00, vals, sizeof(vals)), ==, 0);
    uint32_t c0 = in(g, COUNT, 4);
    g_assert_cmpint(xs_guest_rep_outs(g, SCRATCH, 4, 0x1f00, 1500, false),
                    ==, 0);
    g_assert_cmphex(in(g, SCRATCH, 4), ==, 0x1000 + 1499);
    g_assert_cmpuint(in(g, COUNT, 4), ==, c0 + 1500 + 2);
    /* rep insl of COUNT, forwards then backwards (df). */
    uint32_t got[4];
    uint32_t c1 = in(g, COUNT, 4);
    g_assert_cmpint(xs_guest_rep_ins(g, COUNT, 4, 0x8000, 4, false), ==, 0);
    g_assert_cmpint(xs_guest_mem_read(g, 0x8000, got, sizeof(got)), ==, 0);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmpuint(got[i], ==, c1 + 1 + i);
    }
    g_assert_cmpint(xs_guest_rep_ins(g, COUNT, 4, 0x900c, 4, true), ==, 0);
    g_assert_cmpint(xs_guest_mem_read(g, 0x9000, got, sizeof(got)), ==, 0);
    g_assert_cmpuint(got[3] + 3, ==, got[0]);   /* filled downwards */
    /* 16-bit elements backwards across a page boundary. */
    uint16_t w[3] = { 0x1111, 0x2222, 0x3333 };
    g_assert_cmpint(xs_guest_mem_write(g, 0xfffe, w, sizeof(w)), ==, 0);
    g_assert_cmpint(xs_guest_rep_outs(g, SCRATCH, 2, 0x10002, 3, true), ==,
                    0);
    g_assert_cmphex(in(g, SCRATCH, 2), ==, 0x1111);
    stop(h);
}

static void test_unclaimed(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);

    g_assert_cmphex(in(g, 0x2100, 4), ==, 0xffffffff);
    g_assert_cmphex(in(g, 0x1ffe, 2), ==, 0xffff);
    /* Straddles the end of the claimed 12 bytes: goes to nobody. */
    g_assert_cmphex(in(g, PORT + 10, 4), ==, 0xffffffff);
    out(g, 0x2100, 4, 1);   /* vanishes */
    uint64_t v = 0;
    g_assert_cmpint(xs_guest_mmio_read(g, 0xfebf0000, 8, &v), ==, 0);
    g_assert_cmphex(v, ==, ~0ull);
    xs_sim_info info;
    g_assert_cmpint(xs_guest_info(g, &info), ==, 0);
    g_assert_cmpuint(info.unclaimed, ==, 5);
    stop(h);
}

static void test_irq(void)
{
    simh *h = start(1, "testdev,port=0x2000,irq=7");
    xs_guest *g = simh_guest(h, 0);
    unsigned level = 9;

    g_assert_cmpint(xs_guest_irq_level(g, XS_IRQ_ISA, 7, &level), ==, 0);
    g_assert_cmpuint(level, ==, 0);
    out(g, IRQREG, 4, 1);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_ISA, 7, 1, 2000), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_GSI, 7, 1, 0), ==, 0);
    g_assert_cmpuint(in(g, IRQREG, 4), ==, 1);
    out(g, IRQREG, 4, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_ISA, 7, 0, 2000), ==, 0);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_ISA, 7, 1, 50), ==,
                    -ETIMEDOUT);
    stop(h);
}

typedef struct job {
    simh *h;
    unsigned vcpu, n;
    int failures;
    uint32_t last;
} job;

static void *hammer(void *opaque)
{
    job *j = opaque;
    int err = 0;
    xs_guest *g = xs_guest_connect(simh_socket(j->h), j->vcpu, &err);

    j->failures = !g;
    for (unsigned i = 0; g && i < j->n; i++) {
        uint32_t v = 0;
        if (xs_guest_in(g, COUNT, 4, &v) < 0 || v <= j->last) {
            j->failures++;   /* COUNT only grows */
        }
        j->last = v;
    }
    xs_guest_close(g);
    return NULL;
}

static void test_two_vcpus(void)
{
    simh *h = start(2, "testdev,port=0x2000");
    job jobs[2] = { { .h = h, .vcpu = 0, .n = 3000 },
                    { .h = h, .vcpu = 1, .n = 3000 } };
    pthread_t t[2];

    for (unsigned i = 0; i < 2; i++) {
        pthread_create(&t[i], NULL, hammer, &jobs[i]);
    }
    for (unsigned i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        g_assert_cmpint(jobs[i].failures, ==, 0);
    }
    xs_guest *g = simh_guest(h, 0);
    g_assert_cmpuint(in(g, COUNT, 4), ==, 6001);
    stop(h);
}

static void test_buffered(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);
    xs_sim_info info;

    for (uint32_t i = 1; i <= 1200; i++) {   /* wraps the 511-slot ring */
        g_assert_cmpint(xs_guest_out_buffered(g, SCRATCH, 4, i), ==, 0);
    }
    /* A synchronous access must see every earlier buffered write: the
     * device model drains the ring before serving a vCPU's slot (as
     * QEMU's cpu_handle_ioreq() calls handle_buffered_iopage() first). */
    g_assert_cmpuint(in(g, SCRATCH, 4), ==, 1200);
    g_assert_cmpuint(in(g, COUNT, 4), ==, 1200 + 2);
    g_assert_cmpint(xs_guest_out_buffered(g, SCRATCH, 2, 0xabcd), ==, 0);
    g_assert_cmphex(in(g, SCRATCH, 2), ==, 0xabcd);
    g_assert_cmpint(xs_guest_info(g, &info), ==, 0);
    g_assert_cmpuint(info.bufioreqs, >, 0);   /* full ring: sync fallback */
    stop(h);
}

/* Buffered writes reach the daemon through a different event channel than
 * the vCPU's request; events on different ports are unordered, so here the
 * ring's event is held back and the sync read overtakes it. The daemon
 * must still drain the ring first. */
static void test_buffered_ordering(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);

    out(g, SCRATCH, 4, 1);
    g_usleep(20000);   /* no stale start-up event may wake the daemon */
    g_assert_cmpint(xs_guest_fault(g, XS_FAULT_BUF_EVENT_DELAY_MS, 2000),
                    ==, 0);
    g_assert_cmpint(xs_guest_out_buffered(g, SCRATCH, 4, 2), ==, 0);
    g_assert_cmpint(xs_guest_out_buffered(g, SCRATCH, 4, 3), ==, 0);
    g_assert_cmpuint(in(g, SCRATCH, 4), ==, 3);
    g_assert_cmpint(xs_guest_fault(g, XS_FAULT_CLEAR, 0), ==, 0);
    stop(h);
}

/* With a privcmd that cannot map resources, the daemon falls back to the
 * legacy ioreq gfns (get_ioreq_server_info + xenforeignmemory_map). */
static void test_legacy_gfns(void)
{
    const char *sim_args[] = { "--no-map-resource", NULL };
    simh *h = simh_new(&(simh_opts){ .sim_args = sim_args });
    const char *args[] = { "--device", "testdev,port=0x2000,irq=6", NULL };

    g_assert_true(simh_start_hvmemu(h, args, 1));
    xs_guest *g = simh_guest(h, 0);
    out(g, SCRATCH, 4, 0x600d);
    g_assert_cmphex(in(g, SCRATCH, 4), ==, 0x600d);
    g_assert_cmpint(xs_guest_out_buffered(g, SCRATCH, 4, 0x5eed), ==, 0);
    g_assert_cmphex(in(g, SCRATCH, 4), ==, 0x5eed);
    out(g, IRQREG, 4, 1);
    g_assert_cmpint(xs_guest_wait_irq(g, XS_IRQ_ISA, 6, 1, 2000), ==, 0);
    stop(h);
}

static void test_invalidate(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);

    g_assert_cmpint(xs_guest_invalidate(g), ==, 0);
    out(g, SCRATCH, 4, 3);
    g_assert_cmpuint(in(g, SCRATCH, 4), ==, 3);
    stop(h);
}

static void test_poll_mode(void)
{
    simh *h = simh_new(NULL);
    const char *args[] = { "--poll-us", "200", "--device",
                           "testdev,port=0x2000", NULL };

    g_assert_true(simh_start_hvmemu(h, args, 1));
    xs_guest *g = simh_guest(h, 0);
    for (uint32_t i = 0; i < 500; i++) {
        out(g, SCRATCH, 4, i);
        g_assert_cmpuint(in(g, SCRATCH, 4), ==, i);
    }
    stop(h);
}

/* ---- lifecycle and faults ---- */

static void test_sigterm(void)
{
    simh *h = start(1, "testdev,port=0x2000");

    stop(h);   /* exit 0, registry empty */
}

static void test_domain_destroyed(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);
    xs_guest *ctl = simh_control(h);

    g_assert_cmpuint(in(g, SCRATCH, 4), ==, 0);
    int64_t t0 = simh_now_ms();
    g_assert_cmpint(xs_guest_destroy_domain(ctl), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 0);
    g_test_message("hvmemu exited %" G_GINT64_FORMAT " ms after destroy",
                   simh_now_ms() - t0);
    /* It let go of the domain's memory: the dying domain is gone. */
    xs_sim_info info;
    g_assert_cmpint(xs_guest_info(ctl, &info), ==, -ESRCH);
    simh_free(h);
}

typedef struct killer {
    pid_t pid;
    int delay_ms;
} killer;

static void *kill_later(void *opaque)
{
    killer *k = opaque;

    g_usleep((gulong)k->delay_ms * 1000);
    kill(k->pid, SIGKILL);
    return NULL;
}

static void test_killed_mid_request(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);
    killer k = { simh_hvmemu_pid(h), 200 };
    pthread_t t;
    uint32_t v;

    /* Stopped, it cannot answer: the access is certainly in flight when
     * it is killed. */
    kill(k.pid, SIGSTOP);
    pthread_create(&t, NULL, kill_later, &k);
    int64_t t0 = simh_now_ms();
    g_assert_cmpint(xs_guest_in(g, SCRATCH, 4, &v), ==, -EPIPE);
    g_assert_cmpint(simh_now_ms() - t0, <, 4000);
    pthread_join(t, NULL);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 128 + SIGKILL);
    /* Its ranges now fail fast instead of hanging the vCPU. */
    g_assert_cmpint(xs_guest_in(g, SCRATCH, 4, &v), ==, -EPIPE);
    simh_free(h);
}

static void test_slow_and_missing(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);
    uint32_t v;

    /* Let the daemon consume its start-up events (binding an event
     * channel sets it pending), or one could wake it early below. */
    out(g, SCRATCH, 4, 0);
    g_usleep(20000);
    /* Slow: every event to the daemon arrives 50 ms late. */
    g_assert_cmpint(xs_guest_fault(g, XS_FAULT_EVENT_DELAY_MS, 50), ==, 0);
    int64_t t0 = simh_now_ms();
    out(g, SCRATCH, 4, 0x77);
    g_assert_cmpint(simh_now_ms() - t0, >=, 45);
    g_assert_cmpint(xs_guest_fault(g, XS_FAULT_CLEAR, 0), ==, 0);
    /* Missing: the daemon stopped; the guest API times out, no hang. */
    kill(simh_hvmemu_pid(h), SIGSTOP);
    xs_guest_set_timeout(g, 100);
    g_assert_cmpint(xs_guest_in(g, SCRATCH, 4, &v), ==, -ETIMEDOUT);
    g_assert_cmpint(xs_guest_in(g, SCRATCH, 4, &v), ==, -EBUSY);
    kill(simh_hvmemu_pid(h), SIGCONT);
    xs_guest_set_timeout(g, 5000);
    int rc;
    t0 = simh_now_ms();
    while ((rc = xs_guest_in(g, SCRATCH, 4, &v)) == -EBUSY &&
           simh_now_ms() - t0 < 3000) {
        g_usleep(1000);
    }
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmphex(v, ==, 0x77);
    stop(h);
}

static void test_domain_crashed(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    /* Unrestricted: xenctrl tells a crash (test-sandbox covers the
     * restricted daemon, which waits for the destruction). */
    const char *args[] = { "--device", "testdev,port=0x2000",
                           "--sandbox=off", NULL };

    g_assert_true(simh_start_hvmemu(h, args, 1));
    xs_guest *g = simh_guest(h, 0);
    uint32_t v;

    /* SHUTDOWN_crash (public/sched.h): the toolstack would destroy it
     * next; the daemon stops serving a crashed guest on its own. */
    g_assert_cmpint(xs_guest_shutdown_domain(g, 3), ==, 0);
    g_assert_cmpint(xs_guest_in(g, SCRATCH, 4, &v), ==, -ESHUTDOWN);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 0);
    simh_free(h);
}

/* The other side of "killing either side never leaves the other hung". */
static void test_simulator_dies(void)
{
    simh *h = start(1, "testdev,port=0x2000");
    xs_guest *g = simh_guest(h, 0);

    g_assert_cmpuint(in(g, SCRATCH, 4), ==, 0);
    simh_kill_sim(h);
    int st = simh_wait_hvmemu(h, 5000);
    g_test_message("hvmemu exit status after the simulator died: %d", st);
    g_assert_cmpint(st, >=, 0);   /* exited, whatever it reported */
    uint32_t v;
    g_assert_cmpint(xs_guest_in(g, SCRATCH, 4, &v), ==, -ECONNRESET);
    simh_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/testdev/port-sizes", test_port_sizes);
    g_test_add_func("/sim/testdev/string-io", test_string_io);
    g_test_add_func("/sim/testdev/unclaimed", test_unclaimed);
    g_test_add_func("/sim/testdev/irq", test_irq);
    g_test_add_func("/sim/testdev/two-vcpus", test_two_vcpus);
    g_test_add_func("/sim/testdev/buffered", test_buffered);
    g_test_add_func("/sim/testdev/buffered-ordering",
                    test_buffered_ordering);
    g_test_add_func("/sim/testdev/invalidate", test_invalidate);
    g_test_add_func("/sim/testdev/legacy-gfns", test_legacy_gfns);
    g_test_add_func("/sim/testdev/poll-mode", test_poll_mode);
    g_test_add_func("/sim/hvmemu/sigterm", test_sigterm);
    g_test_add_func("/sim/hvmemu/domain-destroyed", test_domain_destroyed);
    g_test_add_func("/sim/hvmemu/killed-mid-request",
                    test_killed_mid_request);
    g_test_add_func("/sim/hvmemu/slow-and-missing", test_slow_and_missing);
    g_test_add_func("/sim/hvmemu/domain-crashed", test_domain_crashed);
    g_test_add_func("/sim/hvmemu/simulator-dies", test_simulator_dies);
    return g_test_run();
}
