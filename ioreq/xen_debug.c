/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ioreq"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "ioreq/xen_int.h"

/*
 * Diagnostics for guest-memory writes, off unless set in the environment
 * (made to chase the lab's torn sectors, docs/architecture.md "Guest
 * memory"; cheap to leave in: one flag test per write when off):
 *   HVMEMU_DEBUG_MEMLOG=FILE  one line per write: gpa, length, first bytes
 *   HVMEMU_DEBUG_VERIFY=1     after each write, map the pages afresh and
 *                             compare (and read back through the cached
 *                             mapping): where the guest's page differs
 *   HVMEMU_DEBUG_COPY=simple  ascending 8-byte stores instead of memcpy
 */
static FILE *ioreq_memlog;
static bool ioreq_verify;
bool ioreq_xen_debugging;

void ioreq_xen_debug_init(void)
{
    const char *path = g_getenv("HVMEMU_DEBUG_MEMLOG");

    if (path && *path && !ioreq_memlog) {
        ioreq_memlog = fopen(path, "a");
        if (ioreq_memlog) {
            setvbuf(ioreq_memlog, NULL, _IOLBF, 0);
        }
    }
    ioreq_verify = g_strcmp0(g_getenv("HVMEMU_DEBUG_VERIFY"), "1") == 0;
    ioreq_xen_debugging = ioreq_memlog || ioreq_verify;
    ioreq_mapcache_set_simple_copy(
        g_strcmp0(g_getenv("HVMEMU_DEBUG_COPY"), "simple") == 0);
}

void ioreq_xen_debug_log(const char *fmt, ...)
{
    va_list ap;

    if (!ioreq_memlog) {
        return;
    }
    va_start(ap, fmt);
    vfprintf(ioreq_memlog, fmt, ap);
    va_end(ap);
    fputc('\n', ioreq_memlog);
}

void ioreq_xen_debug_write(hv_xen *x, uint64_t gpa, const uint8_t *buf,
                           size_t len)
{
    if (ioreq_memlog) {
        char head[25];
        size_t n = MIN(len, sizeof(head) - 1);

        for (size_t i = 0; i < n; i++) {
            head[i] = g_ascii_isprint(buf[i]) ? (char)buf[i] : '.';
        }
        head[n] = 0;
        ioreq_xen_debug_log("W %" PRIx64 " %zu %s", gpa, len, head);
    }
    if (!ioreq_verify) {
        return;
    }
    for (uint64_t done = 0; done < len;) {
        uint64_t pfn = (gpa + done) >> IOREQ_PAGE_SHIFT;
        size_t off = (size_t)((gpa + done) & (IOREQ_PAGE_SIZE - 1));
        size_t n = MIN(len - done, IOREQ_PAGE_SIZE - off);
        xen_pfn_t p = (xen_pfn_t)pfn;
        int err = 0;
        uint8_t *va = xenforeignmemory_map(x->fmem, x->domid, PROT_READ, 1,
                                           &p, &err);

        if (!va || err) {
            g_warning("VERIFY: cannot map pfn 0x%" PRIx64 " afresh", pfn);
        } else if (memcmp(va + off, buf + done, n) != 0) {
            size_t first = 0, last = n - 1;

            while (va[off + first] == buf[done + first]) {
                first++;
            }
            while (va[off + last] == buf[done + last]) {
                last--;
            }
            uint8_t cached[16];
            char hex[3][16 * 3 + 1];
            size_t k = MIN((size_t)16, n - first);
            bool cached_ok =
                ioreq_mapcache_read(x->mc, gpa + done + first, cached, k) == 0;

            for (size_t i = 0; i < k; i++) {
                g_snprintf(hex[0] + 3 * i, 4, " %02x", buf[done + first + i]);
                g_snprintf(hex[1] + 3 * i, 4, " %02x", va[off + first + i]);
                g_snprintf(hex[2] + 3 * i, 4, " %02x",
                           cached_ok ? cached[i] : 0);
            }
            g_warning("VERIFY: guest page differs after a write: gpa 0x%"
                      PRIx64 "+%zu bytes [%zu, %zu]; from byte %zu: wrote%s "
                      "| fresh map%s | cached map%s", gpa + done, n, first,
                      last, first, hex[0], hex[1], hex[2]);
        }
        if (va) {
            xenforeignmemory_unmap(x->fmem, va, 1);
        }
        done += n;
    }
}
