/* SPDX-License-Identifier: MIT */
/* Input reading, logging and small helpers shared by the targets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

const char *fz_current_input;

void fz_fail(const char *file, int line, const char *cond, const char *fmt,
             ...)
{
    va_list ap;

    fprintf(stderr, "\n*** fuzz invariant violated at %s:%d: %s\n    ", file,
            line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    if (fz_current_input) {
        fprintf(stderr, "    input: %s\n", fz_current_input);
    }
    fflush(stderr);
    abort();
}

/* Devices log every guest error (rate-limited): millions of inputs would
 * drown the fuzzer's own output. Criticals mean a g_return_if_fail fired,
 * i.e. a programming error reachable by the guest: that is a finding. */
static void fz_log(const gchar *domain, GLogLevelFlags level,
                   const gchar *msg, gpointer data)
{
    if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
        fz_fail(__FILE__, __LINE__, "no g_critical", "%s: %s",
                domain ? domain : "?", msg);
    }
    if (getenv("FUZZ_VERBOSE")) {
        fprintf(stderr, "%s: %s\n", domain ? domain : "?", msg);
    }
}

bool fz_known_bug(const char *name)
{
    const char *env = getenv("FUZZ_KNOWN_BUGS");
    g_auto(GStrv) names = NULL;

    if (!env) {
        return false;
    }
    names = g_strsplit(env, ",", -1);
    return g_strv_contains((const gchar *const *)names, name);
}

void fz_init_once(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    g_log_set_default_handler(fz_log, NULL);
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

uint8_t fz_u8(fz_in *in)
{
    uint8_t v = 0;

    if (in->n) {
        v = *in->p++;
        in->n--;
    }
    return v;
}

uint16_t fz_u16(fz_in *in)
{
    uint16_t lo = fz_u8(in);  /* sequenced: argument order is unspecified */

    return (uint16_t)(lo | fz_u8(in) << 8);
}

uint32_t fz_u32(fz_in *in)
{
    uint32_t lo = fz_u16(in);

    return lo | (uint32_t)fz_u16(in) << 16;
}

uint64_t fz_u64(fz_in *in)
{
    uint64_t lo = fz_u32(in);

    return lo | (uint64_t)fz_u32(in) << 32;
}

unsigned fz_size(uint8_t sel, bool allow8)
{
    static const unsigned sizes[4] = { 1, 2, 4, 4 };
    unsigned s = sizes[sel & 3];

    return (allow8 && (sel & 3) == 3) ? 8 : s;
}

size_t fz_bytes(fz_in *in, void *buf, size_t len)
{
    size_t n = len < in->n ? len : in->n;

    memcpy(buf, in->p, n);
    in->p += n;
    in->n -= n;
    return n;
}

unsigned fz_pump(hv_loop *loop, unsigned max_rounds)
{
    unsigned total = 0;

    for (unsigned i = 0; i < max_rounds; i++) {
        int r = hv_loop_run_once(loop, 0);

        FZ_CHECK(r >= 0, "hv_loop_run_once failed: %d", r);
        if (r == 0) {
            break;
        }
        total += (unsigned)r;
    }
    return total;
}

void fz_check_intx(hv_ctx *ctx, fz_host *h, uint32_t sbdf)
{
    unsigned pin = (unsigned)hv_dispatch_read(
        ctx, HV_SPACE_PCI, HV_PCI_ADDR(sbdf, PCI_INTERRUPT_PIN), 1);
    uint16_t cmd = (uint16_t)hv_dispatch_read(
        ctx, HV_SPACE_PCI, HV_PCI_ADDR(sbdf, PCI_COMMAND), 2);
    uint16_t status = (uint16_t)hv_dispatch_read(
        ctx, HV_SPACE_PCI, HV_PCI_ADDR(sbdf, PCI_STATUS), 2);
    unsigned want;

    if (pin == 0 || pin > 4) {
        return;
    }
    want = (status & PCI_STATUS_INTERRUPT) &&
           !(cmd & PCI_COMMAND_INTX_DISABLE);
    FZ_CHECK(fz_host_intx(h, sbdf, pin - 1) == want,
             "INTx of %x pin %u is %u, config says %u (cmd %04x status %04x)",
             sbdf, pin, fz_host_intx(h, sbdf, pin - 1), want, cmd, status);
}
