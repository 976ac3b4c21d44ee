/* SPDX-License-Identifier: MIT */
/* Request trace lines; see trace.h. */
#define G_LOG_DOMAIN "ioreq"

#include <inttypes.h>
#include <stdio.h>

#include "hvmemu/region.h"
#include "ioreq/trace.h"

/* Hex digits for a value of @size bytes. */
static int ioreq_hex_width(unsigned size)
{
    return (size >= 1 && size <= 8) ? (int)size * 2 : 16;
}

static void ioreq_trace_where(GString *out, const ioreq_t *req)
{
    uint32_t sbdf = (uint32_t)(req->addr >> 32);

    switch (req->type) {
    case IOREQ_TYPE_PIO:
        g_string_append_printf(out, " port=0x%" PRIx64, req->addr);
        break;
    case IOREQ_TYPE_COPY:
        g_string_append_printf(out, " addr=0x%" PRIx64, req->addr);
        break;
    case IOREQ_TYPE_PCI_CONFIG:
        /* public/hvm/ioreq.h: SEGMENT|BUS|DEV|FN in 63..32, reg 31..0 */
        g_string_append_printf(out, " %04x:%02x:%02x.%x reg=0x%03x",
                               HV_SBDF_SEG(sbdf), HV_SBDF_BUS(sbdf),
                               HV_SBDF_DEV(sbdf), HV_SBDF_FN(sbdf),
                               (unsigned)(req->addr & 0xfff));
        break;
    default:
        break;
    }
}

/* "guest access" and "ioreq fields" part. */
static void ioreq_trace_request(GString *out, const ioreq_t *req)
{
    bool access = req->type == IOREQ_TYPE_PIO || req->type == IOREQ_TYPE_COPY ||
                  req->type == IOREQ_TYPE_PCI_CONFIG;

    g_string_append(out, ioreq_type_name(req->type));
    if (!access) {
        if (req->type == IOREQ_TYPE_TIMEOFFSET) {
            g_string_append_printf(out, " offset=%" PRId64, (int64_t)req->data);
        } else if (req->type != IOREQ_TYPE_INVALIDATE) {
            g_string_append_printf(out, "(%u)", req->type);
        }
        return;
    }
    g_string_append(out, req->dir == IOREQ_READ ? " read" : " write");
    ioreq_trace_where(out, req);
    g_string_append_printf(out, " size=%u", req->size);
    if (req->count != 1) {
        g_string_append_printf(out, " count=%u", req->count);
    }
    if (req->data_is_ptr) {
        g_string_append_printf(out, " ram=0x%" PRIx64 " df=%u", req->data,
                               req->df);
    } else if (req->dir == IOREQ_WRITE) {
        g_string_append_printf(out, " data=0x%0*" PRIx64,
                               ioreq_hex_width(req->size), req->data);
    }
}

/* "response" part. */
static void ioreq_trace_response(GString *out, int vcpu, const ioreq_t *req,
                                 ioreq_status st)
{
    if (ioreq_status_is_error(st)) {
        g_string_append_printf(out, "error: %s → ", ioreq_status_str(st));
    } else if (st == IOREQ_IGNORED) {
        g_string_append(out, "ignored → ");
    }
    if (req->dir == IOREQ_READ && !req->data_is_ptr &&
        (req->type <= IOREQ_TYPE_PCI_CONFIG)) {
        g_string_append_printf(out, "data=0x%0*" PRIx64 " ",
                               ioreq_hex_width(req->size), req->data);
    }
    g_string_append(out,
                    vcpu == IOREQ_TRACE_BUFRING ? "consumed" : "IORESP_READY");
}

void ioreq_trace_format(GString *out, int vcpu, const ioreq_t *req,
                        const char *target, ioreq_status st)
{
    if (vcpu == IOREQ_TRACE_BUFRING) {
        g_string_append(out, "bufring ");
    } else {
        g_string_append_printf(out, "vcpu%d ", vcpu);
    }
    ioreq_trace_request(out, req);
    if (!target) {
        target = req->type == IOREQ_TYPE_INVALIDATE ? "mapcache dropped" : "-";
    }
    g_string_append_printf(out, " → %s → ", target);
    ioreq_trace_response(out, vcpu, req, st);
}

typedef struct ioreq_target_find {
    hv_space space;
    uint64_t addr;
    bool found;
    uint64_t start, end;
} ioreq_target_find;

static void ioreq_target_cb(void *opaque, hv_space space, uint64_t start,
                            uint64_t end)
{
    ioreq_target_find *f = opaque;

    if (!f->found && space == f->space && f->addr >= start && f->addr <= end) {
        f->found = true;
        f->start = start;
        f->end = end;
    }
}

void ioreq_trace_target(hv_ctx *ctx, const ioreq_t *req, char *buf, size_t len)
{
    static const char *const names[] = {"pio", "mmio", "pci"};
    ioreq_target_find f = {.addr = req->addr};

    if (req->type > IOREQ_TYPE_PCI_CONFIG || !ctx) {
        buf[0] = '\0';
        return;
    }
    f.space = req->type == IOREQ_TYPE_PIO    ? HV_SPACE_PIO
              : req->type == IOREQ_TYPE_COPY ? HV_SPACE_MMIO
                                             : HV_SPACE_PCI;
    hv_ctx_foreach_region(ctx, ioreq_target_cb, &f);
    if (!f.found) {
        snprintf(buf, len, "unclaimed");
    } else if (hv_region_name_at(ctx, f.space, req->addr)) {
        snprintf(buf, len, "%s", hv_region_name_at(ctx, f.space, req->addr));
    } else if (f.space == HV_SPACE_PCI) {
        uint32_t sbdf = (uint32_t)(f.start >> 32);

        snprintf(buf, len, "pci %04x:%02x:%02x.%x", HV_SBDF_SEG(sbdf),
                 HV_SBDF_BUS(sbdf), HV_SBDF_DEV(sbdf), HV_SBDF_FN(sbdf));
    } else {
        snprintf(buf, len, "%s 0x%" PRIx64 "-0x%" PRIx64, names[f.space],
                 f.start, f.end);
    }
}
