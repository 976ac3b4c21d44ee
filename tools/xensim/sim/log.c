// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "xensim.h"

/* Trace lines go to stderr so stdout carries only "READY" for scripts. */
void xs_log(xs_sim *sim, const char *fmt, ...)
{
    va_list ap;

    if (!sim->opts.verbose) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "xensim: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void xs_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "xensim: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
