// SPDX-License-Identifier: MIT
/*
 * xensim-bench: round-trip measurements for scripts/bench-roundtrip.
 *
 *   xensim-bench guest --socket PATH [--port 0x2004] [--iters N]
 *                      [--burst K --gap-us G]
 *       a guest vCPU loop of single 4-byte port reads through xensim and
 *       whatever device model serves the port; with --gap-us the guest
 *       "computes" (sleeps) G µs after every K reads, as a guest between
 *       bursts of I/O does (what busy polling must not waste CPU on)
 *   xensim-bench floor [--iters N]
 *       the physical floor: a bare eventfd ping-pong between two processes
 *       (each wake-up crosses processes, like every hop of an ioreq)
 *
 * Prints one line: "name=... iters=N rt_per_s=X p50_us=Y p99_us=Z
 * mean_us=W".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "xensim-guest.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *lat, unsigned n,
                   uint64_t total_ns)
{
    qsort(lat, n, sizeof(*lat), cmp_u64);
    printf("name=%s iters=%u rt_per_s=%.0f p50_us=%.2f p99_us=%.2f "
           "mean_us=%.2f\n", name, n, n * 1e9 / (double)total_ns,
           lat[n / 2] / 1e3, lat[(size_t)n * 99 / 100] / 1e3,
           total_ns / 1e3 / n);
}

/* @served: every read must be answered by a device model: an unclaimed
 * port reads as all ones from xensim itself, so a warm-up that gets all
 * ones means hvmemu is not serving yet (exit 3). */
static void pause_us(unsigned us)
{
    struct timespec ts = { .tv_sec = us / 1000000,
                           .tv_nsec = (long)(us % 1000000) * 1000 };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static int bench_guest(const char *socket, uint16_t port, unsigned iters,
                       bool served, unsigned burst, unsigned gap_us)
{
    int err = 0;
    xs_guest *g = xs_guest_connect(socket, 0, &err);
    uint64_t *lat = g_new(uint64_t, iters);
    uint32_t v;

    if (!g) {
        fprintf(stderr, "xensim-bench: %s\n", xs_guest_strerror(err));
        return 1;
    }
    for (unsigned i = 0; i < iters / 10 + 100; i++) {   /* warm up */
        if ((err = xs_guest_in(g, port, 4, &v)) < 0) {
            fprintf(stderr, "xensim-bench: inl: %s\n",
                    xs_guest_strerror(err));
            return 1;
        }
        if (served && v == 0xffffffffu) {
            fprintf(stderr, "xensim-bench: port %#x not served yet\n",
                    port);
            return 3;
        }
    }
    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < iters; i++) {
        uint64_t a;

        if (gap_us && i % burst == 0) {
            pause_us(gap_us);
        }
        a = now_ns();
        err = xs_guest_in(g, port, 4, &v);
        lat[i] = now_ns() - a;
        if (err < 0) {
            fprintf(stderr, "xensim-bench: inl: %s\n",
                    xs_guest_strerror(err));
            return 1;
        }
    }
    report("guest", lat, iters, now_ns() - t0);
    xs_guest_close(g);
    g_free(lat);
    return 0;
}

/* Blocking eventfd ping-pong: parent writes ping, child answers pong. */
static int bench_floor(unsigned iters)
{
    int ping = eventfd(0, EFD_CLOEXEC), pong = eventfd(0, EFD_CLOEXEC);
    uint64_t one = 1, got;
    unsigned total = iters + iters / 10 + 100;
    uint64_t *lat = g_new(uint64_t, iters);

    pid_t child = fork();
    if (child == 0) {
        for (unsigned i = 0; i < total; i++) {
            if (read(ping, &got, 8) != 8 || write(pong, &one, 8) != 8) {
                _exit(1);
            }
        }
        _exit(0);
    }
    uint64_t t0 = 0;
    for (unsigned i = 0; i < total; i++) {
        unsigned k = i - (total - iters);
        if (i == total - iters) {
            t0 = now_ns();
        }
        uint64_t a = now_ns();
        if (write(ping, &one, 8) != 8 || read(pong, &got, 8) != 8) {
            return 1;
        }
        if (i >= total - iters) {
            lat[k] = now_ns() - a;
        }
    }
    report("floor", lat, iters, now_ns() - t0);
    waitpid(child, NULL, 0);
    g_free(lat);
    return 0;
}

int main(int argc, char **argv)
{
    gchar *socket = NULL, *port = NULL;
    gint iters = 20000, burst = 1, gap_us = 0;
    gboolean served = FALSE;
    GOptionEntry entries[] = {
        { "served", 0, 0, G_OPTION_ARG_NONE, &served,
          "Fail (exit 3) while the port reads as all ones (unclaimed)",
          NULL },
        { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket,
          "Simulator socket", "PATH" },
        { "port", 'p', 0, G_OPTION_ARG_STRING, &port,
          "Port to read (default 0x2004, testdev's COUNT)", "PORT" },
        { "iters", 'n', 0, G_OPTION_ARG_INT, &iters, "Round trips",
          "N" },
        { "burst", 0, 0, G_OPTION_ARG_INT, &burst,
          "Reads between two gaps (default 1)", "K" },
        { "gap-us", 0, 0, G_OPTION_ARG_INT, &gap_us,
          "Sleep this long before every burst (default 0)", "G" },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("guest|floor - round trips");
    GError *err = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc != 2 ||
        iters < 100 || burst < 1 || gap_us < 0) {
        fprintf(stderr, "usage: xensim-bench guest|floor [options]%s%s\n",
                err ? ": " : "", err ? err->message : "");
        return 2;
    }
    g_option_context_free(ctx);
    if (!strcmp(argv[1], "floor")) {
        return bench_floor((unsigned)iters);
    }
    if (!strcmp(argv[1], "guest")) {
        return bench_guest(socket, port ? (uint16_t)strtoul(port, NULL, 0)
                                        : 0x2004, (unsigned)iters,
                           served, (unsigned)burst, (unsigned)gap_us);
    }
    fprintf(stderr, "xensim-bench: unknown mode %s\n", argv[1]);
    return 2;
}
