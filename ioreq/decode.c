/* SPDX-License-Identifier: MIT */
/*
 * ioreq_perform: one Xen I/O request → device accesses and guest memory.
 *
 * Semantics follow Xen's public/hvm/ioreq.h and what the hypervisor's
 * emulator (xen/arch/x86/hvm/emulate.c) actually sends:
 *   - PIO / PCI_CONFIG: the device address stays fixed for every element
 *     (`rep ins/outs` hit one port); PCI_CONFIG is a 0xcfc access Xen has
 *     already decoded into sbdf<<32 | reg.
 *   - COPY (MMIO): the device address moves by ±size per element, exactly
 *     like the guest-memory side (`rep movs`, `rep stos`).
 *   - data_is_ptr=1: data is the guest-physical address of element 0; df=1
 *     means element i lives at data - i*size (addresses walk downwards).
 *   - data_is_ptr=0 with count>1: the same value repeated (`rep stos`).
 * Everything is bounded and checked before the first device access.
 */
#define G_LOG_DOMAIN "ioreq"

#include <inttypes.h>

#include <glib.h>

#include "hvmemu/region.h"
#include "hw/core/core-internal.h"
#include "ioreq/decode.h"

/* Bounce buffer kept on the stack for the common sizes (one page). */
#define IOREQ_STACK_BUF 4096u

/* A request reduced to what the element loop needs. */
typedef struct ioreq_walk {
    hv_space space;
    uint64_t dev_addr; /* device address of element 0 */
    bool dev_steps;    /* MMIO: the device address moves per element */
    unsigned size;
    uint32_t count;
    bool down; /* df=1 */
} ioreq_walk;

uint64_t ioreq_size_mask(unsigned size)
{
    return (size > 0 && size < 8) ? (1ULL << (size * 8)) - 1 : ~0ULL;
}

const char *ioreq_type_name(unsigned type)
{
    switch (type) {
    case IOREQ_TYPE_PIO:
        return "PIO";
    case IOREQ_TYPE_COPY:
        return "MMIO";
    case IOREQ_TYPE_PCI_CONFIG:
        return "PCI_CONFIG";
    case IOREQ_TYPE_TIMEOFFSET:
        return "TIMEOFFSET";
    case IOREQ_TYPE_INVALIDATE:
        return "INVALIDATE";
    default:
        return "UNKNOWN";
    }
}

const char *ioreq_status_str(ioreq_status st)
{
    switch (st) {
    case IOREQ_DONE:
        return "done";
    case IOREQ_IGNORED:
        return "ignored";
    case IOREQ_BAD_TYPE:
        return "bad type";
    case IOREQ_BAD_SIZE:
        return "bad size";
    case IOREQ_BAD_COUNT:
        return "bad count";
    case IOREQ_BAD_MEMORY:
        return "guest buffer not in RAM";
    }
    return "?";
}

void ioreq_fail_response(ioreq_t *req)
{
    /* For data_is_ptr requests Xen ignores data on completion, and we must
     * not scribble over guest memory we could not validate. */
    if (req->dir == IOREQ_READ && !req->data_is_ptr) {
        req->data = ioreq_size_mask(req->size);
    }
}

/*
 * [lo, lo + count*size) covered by @count elements of @size starting at
 * @base and walking up (or down). False if it wraps around 2^64.
 */
static bool ioreq_span(uint64_t base, uint32_t count, unsigned size, bool down,
                       uint64_t *lo)
{
    uint64_t len = (uint64_t)count * size; /* ≤ 2^35, cannot overflow */
    uint64_t back = len - size;            /* distance first → last */

    if (down) {
        if (base < back) {
            return false;
        }
        *lo = base - back;
    } else {
        *lo = base;
    }
    return *lo + len - 1 >= *lo;
}

static uint64_t ioreq_dev_addr(const ioreq_walk *w, uint32_t i)
{
    uint64_t delta = (uint64_t)i * w->size;

    if (!w->dev_steps) {
        return w->dev_addr;
    }
    return w->down ? w->dev_addr - delta : w->dev_addr + delta;
}

/* Offset of element @i in a buffer that starts at the lowest address. */
static size_t ioreq_buf_off(const ioreq_walk *w, uint32_t i)
{
    uint32_t slot = w->down ? w->count - 1 - i : i;

    return (size_t)slot * w->size;
}

/* x86 guests are little-endian: assemble bytes explicitly so the daemon is
 * correct whatever the host byte order. */
static uint64_t ioreq_load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned b = 0; b < size; b++) {
        v |= (uint64_t)p[b] << (8 * b);
    }
    return v;
}

static void ioreq_store_le(uint8_t *p, unsigned size, uint64_t v)
{
    for (unsigned b = 0; b < size; b++) {
        p[b] = (uint8_t)(v >> (8 * b));
    }
}

/* data_is_ptr=0: the value itself is in req->data. */
static ioreq_status ioreq_do_value(const ioreq_env *env, const ioreq_walk *w,
                                   ioreq_t *req)
{
    uint64_t mask = ioreq_size_mask(w->size);
    uint64_t val = req->data & mask;

    for (uint32_t i = 0; i < w->count; i++) {
        uint64_t a = ioreq_dev_addr(w, i);

        if (req->dir == IOREQ_READ) {
            val = hv_dispatch_read(env->ctx, w->space, a, w->size) & mask;
        } else {
            hv_dispatch_write(env->ctx, w->space, a, w->size, val);
        }
    }
    if (req->dir == IOREQ_READ) {
        req->data = val; /* like QEMU: a repeated read keeps the last */
    }
    return IOREQ_DONE;
}

/* `rep outs` / MMIO write from RAM: guest memory → device. */
static ioreq_status ioreq_string_out(const ioreq_env *env, const ioreq_walk *w,
                                     uint64_t lo, uint8_t *buf, size_t len)
{
    if (env->mem_read(env->opaque, lo, buf, len) < 0) {
        return IOREQ_BAD_MEMORY;
    }
    for (uint32_t i = 0; i < w->count; i++) {
        uint64_t v = ioreq_load_le(buf + ioreq_buf_off(w, i), w->size);

        hv_dispatch_write(env->ctx, w->space, ioreq_dev_addr(w, i), w->size, v);
    }
    return IOREQ_DONE;
}

/* `rep ins` / MMIO read into RAM: device → guest memory. */
static ioreq_status ioreq_string_in(const ioreq_env *env, const ioreq_walk *w,
                                    uint64_t lo, uint8_t *buf, size_t len)
{
    /* Probe the destination first: a device read has side effects (the
     * IDE data port advances), so it must not happen unless the data can
     * land in guest RAM. */
    if (env->mem_read(env->opaque, lo, buf, len) < 0) {
        return IOREQ_BAD_MEMORY;
    }
    for (uint32_t i = 0; i < w->count; i++) {
        uint64_t v =
            hv_dispatch_read(env->ctx, w->space, ioreq_dev_addr(w, i), w->size);

        ioreq_store_le(buf + ioreq_buf_off(w, i), w->size, v);
    }
    /* One write for the whole range: one dirty-page report, one copy. */
    if (env->mem_write(env->opaque, lo, buf, len) < 0) {
        return IOREQ_BAD_MEMORY;
    }
    return IOREQ_DONE;
}

/* data_is_ptr=1: the data lives in guest RAM at req->data (± i*size). */
static ioreq_status ioreq_do_string(const ioreq_env *env, const ioreq_walk *w,
                                    ioreq_t *req)
{
    uint8_t stackbuf[IOREQ_STACK_BUF];
    size_t len = (size_t)w->count * w->size;
    uint8_t *buf = len <= sizeof(stackbuf) ? stackbuf : g_malloc(len);
    uint64_t lo;
    ioreq_status st;

    if (!ioreq_span(req->data, w->count, w->size, w->down, &lo)) {
        st = IOREQ_BAD_MEMORY;
    } else if (req->dir == IOREQ_WRITE) {
        st = ioreq_string_out(env, w, lo, buf, len);
    } else {
        st = ioreq_string_in(env, w, lo, buf, len);
    }
    if (buf != stackbuf) {
        g_free(buf);
    }
    return st;
}

static bool ioreq_size_ok(unsigned type, unsigned size)
{
    switch (size) {
    case 1:
    case 2:
    case 4:
        return true;
    case 8: /* only memory accesses can be 64-bit wide */
        return type == IOREQ_TYPE_COPY;
    default:
        return false;
    }
}

/* Validate a PIO / COPY / PCI_CONFIG request and build its walk. */
static ioreq_status ioreq_make_walk(const ioreq_t *req, ioreq_walk *w)
{
    uint64_t lo;

    if (!ioreq_size_ok(req->type, req->size)) {
        return IOREQ_BAD_SIZE;
    }
    if (req->count == 0 ||
        (uint64_t)req->count * req->size > IOREQ_REP_MAX_BYTES) {
        return IOREQ_BAD_COUNT;
    }
    w->space = req->type == IOREQ_TYPE_PIO    ? HV_SPACE_PIO
               : req->type == IOREQ_TYPE_COPY ? HV_SPACE_MMIO
                                              : HV_SPACE_PCI;
    w->dev_addr = req->addr;
    w->dev_steps = req->type == IOREQ_TYPE_COPY;
    w->size = req->size;
    w->count = req->count;
    w->down = req->df;
    if (w->dev_steps &&
        !ioreq_span(req->addr, w->count, w->size, w->down, &lo)) {
        return IOREQ_BAD_COUNT;
    }
    return IOREQ_DONE;
}

static ioreq_status ioreq_perform_access(const ioreq_env *env, ioreq_t *req)
{
    ioreq_walk w;
    ioreq_status st = ioreq_make_walk(req, &w);

    if (st != IOREQ_DONE) {
        return st;
    }
    if (!env->ctx) {
        /* No machine attached yet: behave like an unclaimed address. */
        ioreq_fail_response(req);
        return IOREQ_IGNORED;
    }
    return req->data_is_ptr ? ioreq_do_string(env, &w, req)
                            : ioreq_do_value(env, &w, req);
}

static void ioreq_log_bad(const ioreq_t *req, ioreq_status st)
{
    hv_guest_error(G_LOG_DOMAIN,
                   "malformed ioreq (%s): type=%u dir=%s size=%u count=%u "
                   "ptr=%u df=%u addr=0x%" PRIx64 ", "
                   "completed with all ones",
                   ioreq_status_str(st), req->type,
                   req->dir == IOREQ_READ ? "read" : "write", req->size,
                   req->count, req->data_is_ptr, req->df, req->addr);
}

/* The access types number the spaces alike, so the type is the space. */
G_STATIC_ASSERT(IOREQ_TYPE_PIO == HV_SPACE_PIO &&
                IOREQ_TYPE_COPY == HV_SPACE_MMIO &&
                IOREQ_TYPE_PCI_CONFIG == HV_SPACE_PCI);

/* Access sizes each access type may have (bit 1 << size): only memory
 * accesses can be 64-bit wide (ioreq_size_ok). */
static const uint16_t ioreq_simple_sizes[3] = {
    [IOREQ_TYPE_PIO] = 1u << 1 | 1u << 2 | 1u << 4,
    [IOREQ_TYPE_COPY] = 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8,
    [IOREQ_TYPE_PCI_CONFIG] = 1u << 1 | 1u << 2 | 1u << 4,
};

/* The common request: one port/MMIO/config access of a value, no string
 * and no repeat. Same checks and result as the general walk. */
static inline bool ioreq_simple(const ioreq_env *env, const ioreq_t *req)
{
    return req->count == 1 && !req->data_is_ptr && env->ctx &&
           req->type < 3 && req->size <= 8 &&
           (ioreq_simple_sizes[req->type] >> req->size & 1) &&
           /* an MMIO access wrapping past 2^64 is the walk's to refuse */
           (req->type != IOREQ_TYPE_COPY ||
            req->addr + req->size - 1 >= req->addr);
}

/* Everything but the simple request: strings, repeats, the other types,
 * malformed requests. Out of line, so the simple path stays short. */
static G_GNUC_NO_INLINE ioreq_status ioreq_perform_other(const ioreq_env *env,
                                                         ioreq_t *req)
{
    ioreq_status st;

    switch (req->type) {
    case IOREQ_TYPE_PIO:
    case IOREQ_TYPE_COPY:
    case IOREQ_TYPE_PCI_CONFIG:
        st = ioreq_perform_access(env, req);
        break;
    case IOREQ_TYPE_INVALIDATE:
        /* Broadcast to every server when the guest's physmap changes
         * (ballooning, grant unmap): our mappings may point at pages that
         * are no longer the guest's. The vCPU waits until we complete. */
        if (env->invalidate) {
            env->invalidate(env->opaque);
        }
        return IOREQ_DONE;
    case IOREQ_TYPE_TIMEOFFSET:
        /* RTC offset changes for a device model that keeps wall time; we
         * emulate no RTC. */
        return IOREQ_IGNORED;
    default:
        st = IOREQ_BAD_TYPE;
        break;
    }
    if (ioreq_status_is_error(st)) {
        ioreq_log_bad(req, st);
        ioreq_fail_response(req);
    }
    return st;
}

ioreq_status ioreq_perform(const ioreq_env *env, ioreq_t *req)
{
    if (G_UNLIKELY(!ioreq_simple(env, req))) {
        return ioreq_perform_other(env, req);
    }
    /* Space and size are valid (ioreq_simple); hv_dispatch_* mask to the
     * access size themselves. */
    if (req->dir == IOREQ_READ) {
        req->data = hv_dispatch_read_valid(env->ctx, (hv_space)req->type,
                                           req->addr, req->size);
    } else {
        hv_dispatch_write_valid(env->ctx, (hv_space)req->type, req->addr,
                                req->size, req->data);
    }
    return IOREQ_DONE;
}
