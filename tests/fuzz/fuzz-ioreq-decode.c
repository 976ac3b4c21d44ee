/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ioreq_perform (ioreq/decode.c) with requests as Xen (or a
 * buggy or hostile Xen/guest combination) could post them.
 *
 * Input: a first byte of flags (bit 0: no machine attached, env.ctx NULL),
 * then requests until the input ends, each:
 *   kind:u8   low 3 bits: PIO, COPY, PCI_CONFIG, TIMEOFFSET, INVALIDATE,
 *             or a raw type byte; bit 3 dir (1 = read), bit 4 data_is_ptr,
 *             bit 5 df, bit 6: raw size (else 1/2/4/8), bit 7: raw count
 *   addr      fi_pick_addr: near a checking device, or a raw u64
 *   size:u8   (or u32 when raw)   count:u8 (or u32 when raw)
 *   data:u64  when data_is_ptr, folded into RAM unless its top byte is set
 *
 * Invariants: the status is one of ioreq_status; a malformed request
 * (error status) touches no device; a value read leaves data masked to
 * size (all ones on error); device accesses are bounded by count*size
 * (each element split at worst into single bytes, each possibly a read-
 * modify-write); guest RAM changes only inside [lo, lo + count*size) of a
 * data_is_ptr read, and never for any other request.
 */
#include <string.h>

#include "tests/fuzz/fuzz-ioreq.h"

static const uint8_t types[8] = {
    IOREQ_TYPE_PIO, IOREQ_TYPE_COPY, IOREQ_TYPE_PCI_CONFIG,
    IOREQ_TYPE_TIMEOFFSET, IOREQ_TYPE_INVALIDATE, IOREQ_TYPE_PIO,
    IOREQ_TYPE_COPY, 0 /* raw */,
};

static hv_space space_of(uint8_t type)
{
    return type == IOREQ_TYPE_COPY         ? HV_SPACE_MMIO
           : type == IOREQ_TYPE_PCI_CONFIG ? HV_SPACE_PCI
                                           : HV_SPACE_PIO;
}

static void build(fi *m, fz_in *in, ioreq_t *r)
{
    uint8_t kind = fz_u8(in);

    memset(r, 0, sizeof(*r));
    r->type = types[kind & 7] ? types[kind & 7] : fz_u8(in);
    r->dir = (kind >> 3) & 1;
    r->data_is_ptr = (kind >> 4) & 1;
    r->df = (kind >> 5) & 1;
    r->state = STATE_IOREQ_READY;
    r->addr = fi_pick_addr(m, in, space_of(r->type));
    r->size = (kind & 0x40) ? fz_u32(in) : fz_size(fz_u8(in), true);
    r->count = (kind & 0x80) ? fz_u32(in) : fz_u8(in) % 64;
    r->data = fz_u64(in);
    if (r->data_is_ptr && !(r->data >> 56)) {
        r->data %= FI_RAM_SIZE + 64;
    }
}

/* The RAM span a data_is_ptr request may write, or false if none. */
static bool span(const ioreq_t *r, uint64_t *lo, uint64_t *len)
{
    *len = (uint64_t)r->count * r->size;
    if (r->count == 0 || r->size == 0 || r->size > 8) {
        return false;
    }
    *lo = r->df ? r->data - (*len - r->size) : r->data;
    return true;
}

static void check_ram(fi *m, const uint8_t *before, const ioreq_t *r,
                      ioreq_status st)
{
    const uint8_t *ram = fz_host_ram(&m->host);
    uint64_t lo = 0, len = 0;
    bool may_write = r->data_is_ptr && r->dir == IOREQ_READ &&
                     st == IOREQ_DONE && span(r, &lo, &len);

    if (!memcmp(ram, before, FI_RAM_SIZE)) {
        return;     /* the common case, and cheap under instrumentation */
    }
    for (uint64_t a = 0; a < FI_RAM_SIZE; a++) {
        if (ram[a] == before[a]) {
            continue;
        }
        FZ_CHECK(may_write && a >= lo && a - lo < len,
                 "RAM byte %#" G_GINT64_MODIFIER "x changed by type %u dir %u"
                 " ptr %u df %u size %u count %u data %#" G_GINT64_MODIFIER
                 "x (status %s)", a, r->type, r->dir, r->data_is_ptr, r->df,
                 r->size, r->count, r->data, ioreq_status_str(st));
    }
}

static void one_request(fi *m, fz_in *in, uint8_t *before)
{
    ioreq_t r, orig;
    ioreq_status st;
    uint64_t acc0 = m->accesses;

    build(m, in, &r);
    orig = r;
    memcpy(before, fz_host_ram(&m->host), FI_RAM_SIZE);
    fz_host_op_begin(&m->host);
    st = ioreq_perform(&m->env, &r);
    fz_host_op_end(&m->host, "ioreq_perform");
    FZ_CHECK(st <= IOREQ_BAD_MEMORY, "status %d", st);
    if (ioreq_status_is_error(st)) {
        FZ_CHECK(m->accesses == acc0, "%s request made %" G_GUINT64_FORMAT
                 " device accesses", ioreq_status_str(st),
                 m->accesses - acc0);
    } else {
        FZ_CHECK(m->accesses - acc0 <= 2ull * orig.count * orig.size,
                 "%" G_GUINT64_FORMAT " accesses for count %u size %u",
                 m->accesses - acc0, orig.count, orig.size);
    }
    if (orig.dir == IOREQ_READ && !orig.data_is_ptr &&
        orig.type != IOREQ_TYPE_TIMEOFFSET &&
        orig.type != IOREQ_TYPE_INVALIDATE && st != IOREQ_BAD_TYPE &&
        st != IOREQ_BAD_SIZE) {
        FZ_CHECK((r.data & ~ioreq_size_mask(orig.size)) == 0,
                 "read of size %u answered %#" G_GINT64_MODIFIER "x",
                 orig.size, r.data);
    }
    if (ioreq_status_is_error(st) && orig.dir == IOREQ_READ &&
        !orig.data_is_ptr) {
        FZ_CHECK(r.data == ioreq_size_mask(orig.size),
                 "failed read answered %#" G_GINT64_MODIFIER "x", r.data);
    }
    if (orig.data_is_ptr || orig.dir == IOREQ_WRITE) {
        FZ_CHECK(r.data == orig.data, "data of a %s request changed",
                 orig.data_is_ptr ? "data_is_ptr" : "write");
    }
    check_ram(m, before, &orig, st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t before[FI_RAM_SIZE], pattern[2][FI_RAM_SIZE];
    fz_in in = { data, size };
    fi m;
    uint8_t flags;

    fz_init_once();
    fi_setup(&m);
    flags = fz_u8(&in);
    if (flags & 1) {
        m.env.ctx = NULL;
    }
    /* Something recognisable, not zeros, in guest RAM. */
    if (!pattern[0][1]) {
        for (unsigned i = 0; i < FI_RAM_SIZE; i++) {
            pattern[0][i] = (uint8_t)(i * 7 + 3);
            pattern[1][i] = (uint8_t)(i * 13 + 5);
        }
    }
    memcpy(fz_host_ram(&m.host), pattern[(flags >> 1) & 1], FI_RAM_SIZE);
    while (fz_more(&in)) {
        one_request(&m, &in, before);
    }
    fi_teardown(&m);
    return 0;
}
