// SPDX-License-Identifier: MIT
/*
 * xensim-guest: a scripted guest for demos and quick checks.
 *
 *   xensim-guest [--socket PATH] [--vcpu N] [-q] [-k] [SCRIPT | - | -e CMDS]
 *
 * One command per line ('#' starts a comment; -e takes ';'-separated
 * commands). Numbers are C literals (0x..). Each step prints what the guest
 * did and what came back; "expect" mismatches fail the run (exit 1) unless
 * -k keeps going. Commands:
 *
 *   outb|outw|outl PORT VAL [buffered]    inb|inw|inl PORT [expect VAL]
 *   mmiow SIZE ADDR VAL [buffered]        mmior SIZE ADDR [expect VAL]
 *   insb|insw|insl PORT GPA COUNT [df]    outsb|outsw|outsl PORT GPA COUNT [df]
 *   pcir B:D.F REG SIZE [expect VAL]      pciw B:D.F REG SIZE VAL
 *   memw GPA HEXBYTES                     memr GPA LEN [expect HEXBYTES]
 *   waitirq N MS [level L]   waitgsi N MS [level L]
 *   waitintx DEV PIN MS [level L]         irq N [expect L]
 *   waitmsi MS              invalidate    info           waitservers N MS
 *   fault delay MS | fault bufdelay MS | fault drop N | fault clear
 *   vcpu N                  sleep MS      echo TEXT      destroy
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "xensim-guest.h"

typedef struct cli {
    const char *socket;
    xs_guest *g;
    bool quiet, keep_going;
    unsigned failures;
    unsigned line;
} cli;

static bool num(const char *s, uint64_t *v)
{
    char *end;

    if (!s) {
        return false;
    }
    errno = 0;
    *v = strtoull(s, &end, 0);
    return !errno && end != s && !*end;
}

static void say(cli *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void say(cli *c, const char *fmt, ...)
{
    va_list ap;

    if (c->quiet) {
        return;
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static int fail(cli *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int fail(cli *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "line %u: FAIL: ", c->line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    c->failures++;
    return -1;
}

static int check_rc(cli *c, int rc, const char *what)
{
    if (rc < 0) {
        return fail(c, "%s: %s", what, xs_guest_strerror(rc));
    }
    return 0;
}

/* "expect V" at argv[i]: compare; absent: fine. */
static int expect(cli *c, char **argv, int i, uint64_t got, const char *what)
{
    uint64_t want;

    if (!argv[i]) {
        say(c, "\n");
        return 0;
    }
    if (strcmp(argv[i], "expect") || !num(argv[i + 1], &want)) {
        say(c, "\n");
        return fail(c, "%s: bad expect clause", what);
    }
    if (got != want) {
        say(c, "  MISMATCH\n");
        return fail(c, "%s: got 0x%" PRIx64 ", expected 0x%" PRIx64, what, got,
                    want);
    }
    say(c, "  ok\n");
    return 0;
}

static unsigned suffix_size(const char *cmd)
{
    char s = cmd[strlen(cmd) - 1];

    return s == 'b' ? 1 : s == 'w' ? 2 : 4;
}

static int cmd_port(cli *c, char **a, int n)
{
    uint64_t port, val = 0;
    unsigned size = suffix_size(a[0]);
    bool is_in = a[0][0] == 'i';

    if (n < 2 || !num(a[1], &port) || (!is_in && (n < 3 || !num(a[2], &val)))) {
        return fail(c, "usage: %s PORT%s", a[0], is_in ? "" : " VAL");
    }
    if (is_in) {
        uint32_t v = 0;
        int rc = xs_guest_in(c->g, (uint16_t)port, size, &v);
        say(c, "%-6s 0x%04" PRIx64 "          -> 0x%x", a[0], port, v);
        if (rc < 0) {
            say(c, "\n");
            return check_rc(c, rc, a[0]);
        }
        return expect(c, a, 2, v, a[0]);
    }
    bool buffered = n > 3 && !strcmp(a[3], "buffered");
    int rc = buffered ?
        xs_guest_out_buffered(c->g, (uint16_t)port, size, (uint32_t)val) :
        xs_guest_out(c->g, (uint16_t)port, size, (uint32_t)val);
    say(c, "%-6s 0x%04" PRIx64 " <- 0x%" PRIx64 "%s\n", a[0], port, val,
        buffered ? " (buffered)" : "");
    return check_rc(c, rc, a[0]);
}

static int cmd_mmio(cli *c, char **a, int n)
{
    uint64_t size, addr, val = 0;
    bool rd = !strcmp(a[0], "mmior");

    if (n < 3 || !num(a[1], &size) || !num(a[2], &addr) ||
        (!rd && (n < 4 || !num(a[3], &val)))) {
        return fail(c, "usage: %s SIZE ADDR%s", a[0], rd ? "" : " VAL");
    }
    if (rd) {
        int rc = xs_guest_mmio_read(c->g, addr, (unsigned)size, &val);
        say(c, "mmior  0x%" PRIx64 "/%" PRIu64 " -> 0x%" PRIx64, addr, size,
            val);
        if (rc < 0) {
            say(c, "\n");
            return check_rc(c, rc, a[0]);
        }
        return expect(c, a, 3, val, a[0]);
    }
    bool buffered = n > 4 && !strcmp(a[4], "buffered");
    int rc = buffered ?
        xs_guest_mmio_write_buffered(c->g, addr, (unsigned)size, val) :
        xs_guest_mmio_write(c->g, addr, (unsigned)size, val);
    say(c, "mmiow  0x%" PRIx64 "/%" PRIu64 " <- 0x%" PRIx64 "%s\n", addr, size,
        val, buffered ? " (buffered)" : "");
    return check_rc(c, rc, a[0]);
}

static int cmd_string(cli *c, char **a, int n)
{
    uint64_t port, gpa, count;
    unsigned size = suffix_size(a[0]);
    bool df = n > 4 && !strcmp(a[4], "df");
    bool ins = a[0][0] == 'i';

    if (n < 4 || !num(a[1], &port) || !num(a[2], &gpa) ||
        !num(a[3], &count)) {
        return fail(c, "usage: %s PORT GPA COUNT [df]", a[0]);
    }
    int rc = ins ? xs_guest_rep_ins(c->g, (uint16_t)port, size, gpa,
                                    (uint32_t)count, df)
                 : xs_guest_rep_outs(c->g, (uint16_t)port, size, gpa,
                                     (uint32_t)count, df);
    say(c, "rep %s 0x%" PRIx64 " x%" PRIu64 " %s RAM 0x%" PRIx64 "%s\n", a[0],
        port, count, ins ? "->" : "<-", gpa, df ? " (df)" : "");
    return check_rc(c, rc, a[0]);
}

static bool parse_bdf(const char *s, unsigned *b, unsigned *d, unsigned *f)
{
    return s && sscanf(s, "%x:%x.%x", b, d, f) == 3 && *d < 32 && *f < 8;
}

static int cmd_pci(cli *c, char **a, int n)
{
    unsigned b, d, f;
    uint64_t reg, size, val = 0;
    bool rd = !strcmp(a[0], "pcir");

    if (n < 4 || !parse_bdf(a[1], &b, &d, &f) || !num(a[2], &reg) ||
        !num(a[3], &size) || (!rd && (n < 5 || !num(a[4], &val)))) {
        return fail(c, "usage: %s B:D.F REG SIZE%s", a[0], rd ? "" : " VAL");
    }
    if (rd) {
        uint32_t v = 0;
        int rc = xs_guest_pci_read(c->g, b, d, f, (unsigned)reg,
                                   (unsigned)size, &v);
        say(c, "pcir   %02x:%02x.%x [0x%02" PRIx64 "]/%" PRIu64 " -> 0x%x", b,
            d, f, reg, size, v);
        if (rc < 0) {
            say(c, "\n");
            return check_rc(c, rc, a[0]);
        }
        return expect(c, a, 4, v, a[0]);
    }
    int rc = xs_guest_pci_write(c->g, b, d, f, (unsigned)reg, (unsigned)size,
                                (uint32_t)val);
    say(c, "pciw   %02x:%02x.%x [0x%02" PRIx64 "]/%" PRIu64 " <- 0x%" PRIx64
        "\n", b, d, f, reg, size, val);
    return check_rc(c, rc, a[0]);
}

static int cmd_mem(cli *c, char **a, int n)
{
    uint64_t gpa, len;

    if (!strcmp(a[0], "memw")) {
        if (n < 3 || !num(a[1], &gpa)) {
            return fail(c, "usage: memw GPA HEXBYTES");
        }
        gsize blen = strlen(a[2]) / 2;
        guint8 *buf = g_malloc(blen + 1);
        for (gsize i = 0; i < blen; i++) {
            buf[i] = (guint8)(g_ascii_xdigit_value(a[2][2 * i]) << 4 |
                              g_ascii_xdigit_value(a[2][2 * i + 1]));
        }
        int rc = xs_guest_mem_write(c->g, gpa, buf, blen);
        g_free(buf);
        say(c, "memw   0x%" PRIx64 " <- %s\n", gpa, a[2]);
        return check_rc(c, rc, a[0]);
    }
    if (n < 3 || !num(a[1], &gpa) || !num(a[2], &len) || len > 4096) {
        return fail(c, "usage: memr GPA LEN(<=4096) [expect HEXBYTES]");
    }
    guint8 *buf = g_malloc0(len + 1);
    int rc = xs_guest_mem_read(c->g, gpa, buf, len);
    GString *hex = g_string_new(NULL);
    for (uint64_t i = 0; i < len; i++) {
        g_string_append_printf(hex, "%02x", buf[i]);
    }
    g_free(buf);
    say(c, "memr   0x%" PRIx64 " -> %s", gpa, hex->str);
    if (rc == 0 && n > 4 && !strcmp(a[3], "expect") &&
        g_ascii_strcasecmp(a[4], hex->str)) {
        say(c, "  MISMATCH\n");
        rc = fail(c, "memr: got %s, expected %s", hex->str, a[4]);
    } else {
        say(c, n > 4 ? "  ok\n" : "\n");
        rc = check_rc(c, rc, a[0]);
    }
    g_string_free(hex, TRUE);
    return rc;
}

/* "level L" at a[i] (default 1). */
static unsigned level_arg(char **a, int n, int i)
{
    uint64_t l = 1;

    if (i + 1 < n && !strcmp(a[i], "level")) {
        num(a[i + 1], &l);
    }
    return (unsigned)!!l;
}

static int cmd_wait(cli *c, char **a, int n)
{
    uint64_t x, pin = 0, ms;
    unsigned kind = !strcmp(a[0], "waitgsi") ? XS_IRQ_GSI :
                    !strcmp(a[0], "waitintx") ? XS_IRQ_INTX : XS_IRQ_ISA;
    int i = kind == XS_IRQ_INTX ? 3 : 2;

    if (n <= i || !num(a[1], &x) || !num(a[i], &ms) ||
        (kind == XS_IRQ_INTX && !num(a[2], &pin))) {
        return fail(c, "usage: %s N%s MS [level L]", a[0],
                    kind == XS_IRQ_INTX ? " PIN" : "");
    }
    unsigned nr = kind == XS_IRQ_INTX ? (unsigned)(x << 2 | pin)
                                      : (unsigned)x;
    unsigned level = level_arg(a, n, i + 1);
    gint64 t0 = g_get_monotonic_time();
    int rc = xs_guest_wait_irq(c->g, kind, nr, level, (int)ms);
    say(c, "%-8s %s %" PRIu64 " level %u: %s after %" G_GINT64_FORMAT
        " us\n", a[0], kind == XS_IRQ_INTX ? "dev/pin" : "line", x, level,
        rc ? "no" : "yes", g_get_monotonic_time() - t0);
    return check_rc(c, rc, a[0]);
}

static int cmd_misc(cli *c, char **a, int n)
{
    uint64_t x = 0, y = 0;
    int rc;

    if (!strcmp(a[0], "irq")) {
        unsigned level = 0;
        if (n < 2 || !num(a[1], &x)) {
            return fail(c, "usage: irq N [expect L]");
        }
        rc = xs_guest_irq_level(c->g, XS_IRQ_ISA, (unsigned)x, &level);
        say(c, "irq    %" PRIu64 " level %u", x, level);
        return rc ? (say(c, "\n"), check_rc(c, rc, a[0]))
                  : expect(c, a, 2, level, a[0]);
    }
    if (!strcmp(a[0], "waitmsi")) {
        uint32_t data = 0;
        rc = num(a[1], &x) ? xs_guest_wait_msi(c->g, (int)x, &y, &data)
                           : -EINVAL;
        say(c, "waitmsi -> addr 0x%" PRIx64 " data 0x%x\n", y, data);
        return check_rc(c, rc, a[0]);
    }
    if (!strcmp(a[0], "waitservers")) {
        xs_sim_info info;
        rc = num(a[1], &x) && num(a[2], &y) ?
             xs_guest_wait_servers(c->g, (unsigned)x, (int)y, &info) : -EINVAL;
        say(c, "waitservers %" PRIu64 ": %s\n", x, rc ? "no" : "yes");
        return check_rc(c, rc, a[0]);
    }
    if (!strcmp(a[0], "fault")) {
        const char *what = n > 1 ? a[1] : "clear";
        unsigned kind =
            !strcmp(what, "delay") ? XS_FAULT_EVENT_DELAY_MS :
            !strcmp(what, "bufdelay") ? XS_FAULT_BUF_EVENT_DELAY_MS :
            !strcmp(what, "drop") ? XS_FAULT_DROP_NOTIFY : XS_FAULT_CLEAR;
        if (kind != XS_FAULT_CLEAR && !num(a[2], &x)) {
            return fail(c, "usage: fault delay MS | bufdelay MS | drop N | "
                        "clear");
        }
        say(c, "fault  %s %" PRIu64 "\n", n > 1 ? a[1] : "clear", x);
        return check_rc(c, xs_guest_fault(c->g, kind, (unsigned)x), a[0]);
    }
    return fail(c, "unknown command '%s'", a[0]);
}

static int cmd_info(cli *c)
{
    xs_sim_info i;
    int rc = xs_guest_info(c->g, &i);

    if (rc == 0) {
        printf("info   d%u%s%s servers %u (enabled %u, dead %u) ranges %u "
               "ioreqs %" PRIu64 " buffered %" PRIu64 " unclaimed %" PRIu64
               " msis %" PRIu64 "\n", i.domid, i.dying ? " dying" : "",
               i.shutdown ? " shutdown" : "", i.servers, i.enabled, i.dead,
               i.ranges, i.ioreqs, i.bufioreqs, i.unclaimed, i.msis);
    }
    return check_rc(c, rc, "info");
}

static int connect_vcpu(cli *c, uint32_t vcpu)
{
    int err = 0;
    xs_guest *g = xs_guest_connect(c->socket, vcpu, &err);

    if (!g) {
        return fail(c, "connect to vCPU %u: %s", vcpu, xs_guest_strerror(err));
    }
    xs_guest_close(c->g);
    c->g = g;
    return 0;
}

static int run_cmd(cli *c, char **a, int n)
{
    const char *k = a[0];
    uint64_t x;

    if (g_str_has_prefix(k, "out") && strlen(k) == 4) {
        return cmd_port(c, a, n);
    }
    if (g_str_has_prefix(k, "in") && strlen(k) == 3) {
        return cmd_port(c, a, n);
    }
    if ((g_str_has_prefix(k, "ins") || g_str_has_prefix(k, "outs")) &&
        strchr("bwl", k[strlen(k) - 1])) {
        return cmd_string(c, a, n);
    }
    if (!strcmp(k, "mmior") || !strcmp(k, "mmiow")) {
        return cmd_mmio(c, a, n);
    }
    if (!strcmp(k, "pcir") || !strcmp(k, "pciw")) {
        return cmd_pci(c, a, n);
    }
    if (!strcmp(k, "memr") || !strcmp(k, "memw")) {
        return cmd_mem(c, a, n);
    }
    if (g_str_has_prefix(k, "wait") && strcmp(k, "waitmsi") &&
        strcmp(k, "waitservers")) {
        return cmd_wait(c, a, n);
    }
    if (!strcmp(k, "echo")) {
        for (int i = 1; i < n; i++) {
            printf("%s%s", a[i], i + 1 < n ? " " : "\n");
        }
        fflush(stdout);
        return 0;
    }
    if (!strcmp(k, "sleep") && num(a[1], &x)) {
        g_usleep(x * 1000);
        return 0;
    }
    if (!strcmp(k, "vcpu") && num(a[1], &x)) {
        return connect_vcpu(c, (uint32_t)x);
    }
    if (!strcmp(k, "invalidate")) {
        say(c, "invalidate (broadcast)\n");
        return check_rc(c, xs_guest_invalidate(c->g), k);
    }
    if (!strcmp(k, "destroy")) {
        say(c, "destroy domain\n");
        return check_rc(c, xs_guest_destroy_domain(c->g), k);
    }
    if (!strcmp(k, "info")) {
        return cmd_info(c);
    }
    return cmd_misc(c, a, n);
}

static int run_line(cli *c, const char *line)
{
    gchar *s = g_strdup(line);
    gchar *hash = strchr(s, '#');
    if (hash) {
        *hash = '\0';
    }
    gchar **a = g_strsplit_set(g_strstrip(s), " \t", -1);
    /* Drop empty fields from repeated blanks. */
    int n = 0;
    for (int i = 0; a[i]; i++) {
        if (*a[i]) {
            a[n++] = a[i];
        } else {
            g_free(a[i]);
        }
    }
    a[n] = NULL;
    int rc = n ? run_cmd(c, a, n) : 0;
    g_strfreev(a);
    g_free(s);
    return rc;
}

static int run_lines(cli *c, gchar **lines)
{
    for (int i = 0; lines[i]; i++) {
        c->line = (unsigned)i + 1;
        if (run_line(c, lines[i]) < 0 && !c->keep_going) {
            return 1;
        }
    }
    return c->failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    cli c = { 0 };
    gchar *socket = NULL, *inline_cmds = NULL;
    gint vcpu = 0;
    gboolean quiet = FALSE, keep = FALSE;
    GOptionEntry entries[] = {
        { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket,
          "Simulator socket (default $XENSIM_SOCKET)", "PATH" },
        { "vcpu", 0, 0, G_OPTION_ARG_INT, &vcpu, "vCPU to play (0)", "N" },
        { "exec", 'e', 0, G_OPTION_ARG_STRING, &inline_cmds,
          "Commands separated by ';'", "CMDS" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Only report failures",
          NULL },
        { "keep-going", 'k', 0, G_OPTION_ARG_NONE, &keep,
          "Do not stop at the first failure", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("[SCRIPT|-] - scripted guest");
    GError *err = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "xensim-guest: %s\n", err->message);
        return 2;
    }
    g_option_context_free(ctx);
    c.socket = socket;
    c.quiet = quiet;
    c.keep_going = keep;
    if (connect_vcpu(&c, (uint32_t)vcpu) < 0) {
        return 1;
    }
    gchar *text = NULL;
    if (inline_cmds) {
        text = g_strdelimit(g_strdup(inline_cmds), ";", '\n');
    } else if (argc > 1 && strcmp(argv[1], "-")) {
        if (!g_file_get_contents(argv[1], &text, NULL, &err)) {
            fprintf(stderr, "xensim-guest: %s\n", err->message);
            return 2;
        }
    } else {
        GString *s = g_string_new(NULL);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
            g_string_append_len(s, buf, (gssize)n);
        }
        text = g_string_free(s, FALSE);
    }
    gchar **lines = g_strsplit(text, "\n", -1);
    int rc = run_lines(&c, lines);
    g_strfreev(lines);
    g_free(text);
    xs_guest_close(c.g);
    return rc;
}
