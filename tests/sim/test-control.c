// SPDX-License-Identifier: MIT
/*
 * The control socket of the real daemon under xensim, through the real
 * hvmemu-ctl: status and stats answer while the guest runs, garbage gets
 * an error line and the daemon keeps serving, a second hvmemu for the same
 * domain is refused, quit tears down cleanly (exit 0).
 */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "harness.h"

#define ctl simh_ctl

/* A raw client: send @req as it is, return the first reply line. */
static char *raw(simh *h, const char *req)
{
    g_autofree char *sock = simh_control_path(h);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    GString *s = g_string_new(NULL);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    char c;

    g_strlcpy(sa.sun_path, sock, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(write(fd, req, strlen(req)), ==, (ssize_t)strlen(req));
    while (read(fd, &c, 1) == 1 && c != '\n') {
        g_string_append_c(s, c);
    }
    close(fd);
    return g_string_free(s, FALSE);
}

static void test_control(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    const char *args[] = { "--device", "testdev,port=0x2000", NULL };
    g_autofree char *out = NULL, *sock = simh_control_path(h);
    g_autofree char *bad = NULL, *junk = NULL;
    xs_guest *g;
    struct stat st;

    g_assert_true(simh_start_hvmemu(h, args, 1));
    g = simh_guest(h, 0);
    g_assert_cmpint(xs_guest_out(g, 0x2000, 4, 0x1234), ==, 0);
    /* Only root may talk to it. */
    g_assert_cmpint(stat(sock, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpint(ctl(h, "status", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"domid\" : 1"));
    g_assert_nonnull(strstr(out, "testdev.0"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(ctl(h, "stats", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"writes\" : 1"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(ctl(h, "no-such-command", &out), ==, 1);
    g_clear_pointer(&out, g_free);
    /* Garbage: an error line; the loop (and the guest) go on. */
    bad = raw(h, "{{{ not json\n");
    g_assert_nonnull(strstr(bad, "\"ok\":false"));
    junk = raw(h, "\x01\x02\xff\n");
    g_assert_nonnull(strstr(junk, "\"ok\":false"));
    g_assert_cmpint(xs_guest_out(g, 0x2000, 4, 0x5678), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 0), ==, -1);
    g_assert_cmpint(ctl(h, "quit", &out), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 0);
    simh_free(h);
}

/* hvmemu-ctl latency on, trapped accesses and an interrupt, then stats
 * carry the histograms, and scripts/plot-latency renders them. */
static void test_latency(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    const char *args[] = { "--device", "testdev,port=0x2000,irq=7", NULL };
    g_autofree char *out = NULL, *json = NULL, *png = NULL, *plot_out = NULL;
    const char *plot = g_getenv("PLOT_LATENCY");
    xs_guest *g;

    g_assert_nonnull(plot);
    g_assert_true(simh_start_hvmemu(h, args, 1));
    g = simh_guest(h, 0);
    g_assert_cmpint(ctl(h, "stats", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"timing\" : false"));
    g_assert_null(strstr(out, "read_ns"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(ctl(h, "latency", &out), ==, 1);     /* no argument */
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(ctl(h, "latency on", &out), ==, 0);
    g_clear_pointer(&out, g_free);
    for (int i = 0; i < 50; i++) {
        uint32_t v = 0;
        g_assert_cmpint(xs_guest_in(g, 0x2000, 4, &v), ==, 0);
    }
    g_assert_cmpint(xs_guest_out(g, 0x2008, 4, 1), ==, 0);     /* raise */
    g_assert_cmpint(xs_guest_out(g, 0x2008, 4, 0), ==, 0);     /* ack */
    g_assert_cmpint(ctl(h, "stats", &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"timing\" : true"));
    g_assert_nonnull(strstr(out, "\"read_ns\""));
    g_assert_nonnull(strstr(out, "\"wake_to_response_ns\""));
    g_assert_nonnull(strstr(out, "\"isa-irq7\""));
    g_assert_nonnull(strstr(out, "\"registers\""));    /* per offset */
    g_assert_nonnull(strstr(out, "\"offset\" : 8"));
    json = g_build_filename(simh_dir(h), "stats.json", NULL);
    png = g_build_filename(simh_dir(h), "latency.png", NULL);
    g_assert_true(g_file_set_contents(json, out, -1, NULL));
    plot_out = simh_plot(plot, json, png);
    g_assert_nonnull(strstr(plot_out, "curves"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(ctl(h, "quit", &out), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 0);
    simh_free(h);
}

/* Prometheus text exposition: every sample line is NAME{LABELS} VALUE,
 * a histogram's buckets never decrease and end at its _count. */
static void check_exposition(const char *text)
{
    g_autoptr(GRegex) re = g_regex_new(
        "^[a-z_]+\\{domid=\"1\"(,[a-z_]+=\"[^\"]*\")*\\} [0-9.e+-]+$", 0, 0,
        NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    double last = -1;
    unsigned samples = 0;

    for (char **l = lines; *l && **l; l++) {
        if (**l == '#') {
            g_assert_true(g_str_has_prefix(*l, "# HELP ") ||
                          g_str_has_prefix(*l, "# TYPE "));
            continue;
        }
        if (!g_regex_match(re, *l, 0, NULL)) {
            g_error("not an exposition line: %s", *l);
        }
        samples++;
        if (strstr(*l, "_bucket{")) {
            double v = g_ascii_strtod(strrchr(*l, ' ') + 1, NULL);

            if (last >= 0 && !strstr(*l, "le=\"1.024e-06\"")) {
                g_assert_cmpfloat(v, >=, last);
            }
            last = v;
        } else {
            last = -1;
        }
    }
    g_assert_cmpuint(samples, >, 5);
}

static void test_metrics(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    g_autofree char *file = g_build_filename(simh_dir(h), "hvmemu.prom",
                                             NULL);
    g_autofree char *dash = g_strdup_printf("--metrics-file=%s", file);
    const char *args[] = { "--device", "testdev,port=0x2000,irq=7",
                           "--latency", "on", dash, "--metrics-period", "1",
                           NULL };
    g_autofree char *out = NULL, *text = NULL;
    xs_guest *g;

    g_assert_true(simh_start_hvmemu(h, args, 1));
    g = simh_guest(h, 0);
    for (int i = 0; i < 20; i++) {
        uint32_t v = 0;
        g_assert_cmpint(xs_guest_in(g, 0x2000, 4, &v), ==, 0);
    }
    g_assert_cmpint(xs_guest_out(g, 0x2008, 4, 1), ==, 0);     /* raise */
    g_assert_cmpint(xs_guest_out(g, 0x2008, 4, 0), ==, 0);     /* ack */
    g_assert_cmpint(ctl(h, "metrics", &out), ==, 0);
    check_exposition(out);
    g_assert_nonnull(strstr(out, "hvmemu_region_accesses_total{domid=\"1\","
                                 "region=\"testdev"));
    g_assert_nonnull(strstr(out, "hvmemu_irq_raise_to_ack_seconds_bucket{"
                                 "domid=\"1\",line=\"isa-irq7\","
                                 "le=\"+Inf\"} 1\n"));
    g_assert_nonnull(strstr(out, "hvmemu_ioreqs_total{domid=\"1\","
                                 "type=\"pio\"}"));
    /* The file is rewritten from the loop: the 20 reads show up. */
    for (int64_t end = simh_now_ms() + 5000;; g_usleep(50000)) {
        g_clear_pointer(&text, g_free);
        if (g_file_get_contents(file, &text, NULL, NULL) &&
            strstr(text, "op=\"read\"} 20\n")) {
            break;
        }
        g_assert_cmpint(simh_now_ms(), <, end);
    }
    check_exposition(text);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(ctl(h, "quit", &out), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 0);
    simh_free(h);
}

static void test_second_daemon_refused(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    const char *args[] = { "--device", "testdev,port=0x2000", NULL };
    g_autofree char *sock = simh_control_path(h);
    g_autofree char *dash = g_strdup_printf("--control=%s", sock);
    const char *argv[] = { g_getenv("HVMEMU_BIN"), "--domid", "1",
                           "--device", "testdev,port=0x3000", dash, NULL };
    g_autofree char *err = NULL;
    int status = -1;

    g_assert_true(simh_start_hvmemu(h, args, 1));
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, NULL, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, "another hvmemu already serves"));
    /* The first one is untouched. */
    g_assert_cmpint(simh_stop_hvmemu(h, SIGTERM, 5000), ==, 0);
    simh_free(h);
}

/* The integer member @name of a stats reply (hvmemu-ctl pretty-prints). */
static uint64_t stat_of(const char *json, const char *name)
{
    g_autofree char *key = g_strdup_printf("\"%s\" : ", name);
    const char *p = strstr(json, key);

    g_assert_nonnull(p);
    return g_ascii_strtoull(p + strlen(key), NULL, 10);
}

static uint64_t poll_stat(simh *h, const char *name)
{
    g_autofree char *out = NULL;

    g_assert_cmpint(ctl(h, "stats", &out), ==, 0);
    return stat_of(out, name);
}

/*
 * --poll-us adaptive: back-to-back requests open the window and polling
 * finds requests; a guest that comes back only after more than the
 * ceiling closes it again (halved per such wake-up, to 0), after which no
 * time is spent spinning.
 */
static void test_poll_adaptive(void)
{
    simh *h = simh_new(&(simh_opts){ .vcpus = 1 });
    /* A 5 ms ceiling: the back-to-back reads below come back well
     * within it even on a loaded machine, the 20 ms gaps never do. */
    const char *args[] = { "--poll-us", "adaptive:5000", "--device",
                           "testdev,port=0x2000", NULL };
    xs_guest *g;
    uint64_t spun;
    uint32_t v;

    g_assert_true(simh_start_hvmemu(h, args, 1));
    g = simh_guest(h, 0);
    for (unsigned i = 0; i < 2000; i++) {
        g_assert_cmpint(xs_guest_in(g, 0x2004, 4, &v), ==, 0);
    }
    g_assert_cmpuint(poll_stat(h, "poll_served"), >, 0);
    g_assert_cmpuint(poll_stat(h, "poll_window_ns"), >, 0);
    /* 5 ms halves to below 1 µs in 13 wake-ups. */
    for (unsigned i = 0; i < 20; i++) {
        g_usleep(20000);
        g_assert_cmpint(xs_guest_in(g, 0x2004, 4, &v), ==, 0);
    }
    g_assert_cmpuint(poll_stat(h, "poll_window_ns"), ==, 0);
    spun = poll_stat(h, "poll_ns");
    for (unsigned i = 0; i < 5; i++) {
        g_usleep(20000);
        g_assert_cmpint(xs_guest_in(g, 0x2004, 4, &v), ==, 0);
    }
    g_assert_cmpuint(poll_stat(h, "poll_ns"), ==, spun);
    g_assert_cmpint(ctl(h, "quit", NULL), ==, 0);
    g_assert_cmpint(simh_wait_hvmemu(h, 5000), ==, 0);
    simh_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/control/commands", test_control);
    g_test_add_func("/sim/control/second-daemon", test_second_daemon_refused);
    g_test_add_func("/sim/control/latency", test_latency);
    g_test_add_func("/sim/control/metrics", test_metrics);
    g_test_add_func("/sim/control/poll-adaptive", test_poll_adaptive);
    return g_test_run();
}
