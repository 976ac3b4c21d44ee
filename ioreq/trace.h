/* SPDX-License-Identifier: MIT */
/*
 * Request tracing (hv_xen_opts.trace): one line per request that walks the
 * reader through the round trip the README explains —
 *   guest access → ioreq_t fields → device → response
 * e.g.  vcpu0 PIO write port=0x1f6 size=1 data=0xe0 → ide0 → IORESP_READY
 * Pure formatting, no Xen calls, so it is unit-tested.
 */
#ifndef IOREQ_TRACE_H
#define IOREQ_TRACE_H

#include <glib.h>

#include "ioreq/decode.h"

#define IOREQ_TRACE_BUFRING (-1) /* @vcpu value for buffered entries */

/*
 * Append the line for @req (as performed: read data filled in) to @out.
 * @target names the device that served it (NULL: derived from the type).
 */
void ioreq_trace_format(GString *out, int vcpu, const ioreq_t *req,
                        const char *target, ioreq_status st);

/*
 * What serves @req in @ctx, written to @buf: the claimed range covering
 * the address ("pio 0x1f0-0x1f7"), or "unclaimed".
 */
void ioreq_trace_target(hv_ctx *ctx, const ioreq_t *req, char *buf, size_t len);

#endif
