// SPDX-License-Identifier: MIT
/*
 * A simulated vCPU executing one trapped access, as Xen does it
 * (xen/arch/x86/hvm/emulate.c, xen/common/ioreq.c):
 *
 *   select the server (xs_server_select) ─ none: the null handler (reads
 *   return all ones, writes vanish) ─ else, for an eligible write the guest
 *   asked to buffer: the buffered ring (ioreq_send_buffered) ─ else the
 *   vCPU's slot: fill it with state NONE, barrier, state READY, notify the
 *   vCPU's event channel, block. Every notification from the device model
 *   re-checks the slot like wait_for_io(): IORESP_READY → take data, NONE;
 *   READY/INPROCESS → keep waiting; anything else → domain_crash.
 *
 * String I/O (data_is_ptr) is cut into chunks that do not cross a page of
 * the guest buffer, as hvmemul_do_io_addr() clips *reps, so the device
 * model sees several requests for one long "rep".
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "xensim.h"

#include <xen/hvm/hvm_op.h>

/* The state nibble lives in byte 30 of ioreq_t (public/hvm/ioreq.h). */
_Static_assert(offsetof(ioreq_t, type) == 31, "ioreq_t layout");
#define SLOT_STATE_BYTE 30

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void finish(xs_vcpu *v, int err)
{
    bool reply = !v->abandoned && v->guest;

    v->busy = false;
    v->abandoned = false;
    v->pending = 0;
    if (reply) {
        xs_msg m = { .h.op = XS_OP_G_IO, .h.seq = v->seq };
        m.u.io.data = v->data;
        m.h.err = err;
        xs_conn_reply(v->guest, &m, NULL, 0, -1);
    }
}

void xs_vcpu_fail(xs_vcpu *v, xs_server *s, int err, const char *why)
{
    if (!v->busy || (s && !(v->pending & (1u << s->id)))) {
        return;
    }
    xs_log(v->d->sim, "d%u v%u: request failed: %s", v->d->domid, v->id,
           why);
    finish(v, err);
}

void xs_vcpu_abandon(xs_vcpu *v)
{
    if (v->busy) {
        /* Stays busy until the slot completes: the device model may still
         * be working on it, and the slot must not be reused before. */
        v->abandoned = true;
    }
}

/* ---- one chunk ---- */

static uint32_t reps_in_page(uint64_t gpa, unsigned size, bool df)
{
    uint64_t off = gpa & (XS_PAGE_SIZE - 1);
    uint64_t n;

    if (off + size > XS_PAGE_SIZE) {
        return 1;   /* the element straddles: one at a time */
    }
    n = df ? off / size + 1 : (XS_PAGE_SIZE - off) / size;
    return n ? (uint32_t)n : 1;
}

static ioreq_t next_chunk(xs_vcpu *v)
{
    ioreq_t p = v->req;

    p.addr = v->cur_addr;
    p.count = 1;
    if (p.data_is_ptr) {
        p.data = v->cur_gpa;
        p.count = MIN(v->left, reps_in_page(v->cur_gpa, p.size, p.df));
    }
    v->chunk = p.count;
    return p;
}

static void advance(xs_vcpu *v)
{
    uint64_t bytes = (uint64_t)v->chunk * v->req.size;

    v->left -= v->chunk;
    if (v->req.data_is_ptr) {
        v->cur_gpa = v->req.df ? v->cur_gpa - bytes : v->cur_gpa + bytes;
        if (v->req.type == IOREQ_TYPE_COPY) {
            v->cur_addr = v->req.df ? v->cur_addr - bytes
                                    : v->cur_addr + bytes;
        }
    }
    v->chunk = 0;
}

/* The null handler: reads see all ones, writes are dropped. */
static void unclaimed(xs_vcpu *v, const ioreq_t *p)
{
    xs_domain *d = v->d;

    d->nr_unclaimed++;
    xs_log(d->sim, "d%u v%u: %s %s %#" G_GINT64_MODIFIER "x size %u: "
           "unclaimed", d->domid, v->id,
           p->type == IOREQ_TYPE_PIO ? "pio" : "mmio",
           p->dir == IOREQ_READ ? "read" : "write", (uint64_t)p->addr,
           p->size);
    if (p->dir != IOREQ_READ) {
        return;
    }
    if (!p->data_is_ptr) {
        v->data = size_mask(p->size);
        return;
    }
    uint64_t bytes = (uint64_t)p->count * p->size;
    uint64_t lo = p->df ? p->data - bytes + p->size : p->data;
    if (xs_domain_ram_check(d, lo, bytes) == 0) {
        memset(d->ram + lo, 0xff, bytes);
    }
}

static bool try_buffered(xs_server *s, const ioreq_t *p)
{
    buffered_iopage_t *pg = xs_server_bufpage(s);
    unsigned qw = p->size == 8;
    buf_ioreq_t bp = { .type = p->type, .dir = p->dir,
                       .addr = (uint32_t)p->addr & 0xfffff,
                       .data = (uint32_t)p->data };

    /* ioreq_send_buffered(): only what fits a buf_ioreq_t. */
    if (!pg || p->dir != IOREQ_WRITE || p->addr > 0xfffff ||
        p->data_is_ptr || p->count != 1) {
        return false;
    }
    switch (p->size) {
    case 1: bp.size = 0; break;
    case 2: bp.size = 1; break;
    case 4: bp.size = 2; break;
    case 8: bp.size = 3; break;
    default: return false;
    }
    uint32_t rp = __atomic_load_n(&pg->read_pointer, __ATOMIC_ACQUIRE);
    uint32_t wp = pg->write_pointer;
    if (wp - rp >= IOREQ_BUFFER_SLOT_NUM - qw) {
        return false;   /* full: "send the iopacket through the normal
                           path" */
    }
    pg->buf_ioreq[wp % IOREQ_BUFFER_SLOT_NUM] = bp;
    if (qw) {
        bp.data = (uint32_t)(p->data >> 32);
        pg->buf_ioreq[(wp + 1) % IOREQ_BUFFER_SLOT_NUM] = bp;
    }
    /* Make the slots visible before write_pointer. */
    __atomic_store_n(&pg->write_pointer, wp + (qw ? 2 : 1),
                     __ATOMIC_RELEASE);
    /* Canonicalise the pointers (HVM_IOREQSRV_BUFIOREQ_ATOMIC only): the
     * device model updates read_pointer concurrently, hence the 64-bit
     * compare-and-swap over both pointers (union bufioreq_pointers). */
    uint64_t *full = (uint64_t *)(void *)&pg->read_pointer;
    while (s->bufioreq == HVM_IOREQSRV_BUFIOREQ_ATOMIC) {
        uint64_t old = __atomic_load_n(full, __ATOMIC_ACQUIRE);
        uint32_t r = (uint32_t)old, w = (uint32_t)(old >> 32);
        if (r < IOREQ_BUFFER_SLOT_NUM) {
            break;
        }
        uint32_t n = r / IOREQ_BUFFER_SLOT_NUM;
        uint64_t nw = ((uint64_t)(w - n * IOREQ_BUFFER_SLOT_NUM) << 32) |
                      (r - n * IOREQ_BUFFER_SLOT_NUM);
        __atomic_compare_exchange_n(full, &old, nw, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE);
    }
    s->nr_bufreqs++;
    s->d->nr_bufioreqs++;
    xs_log(s->d->sim, "d%u: buffered %s write %#" G_GINT64_MODIFIER "x size "
           "%u data %#" G_GINT64_MODIFIER "x -> server %u ring", s->d->domid,
           p->type == IOREQ_TYPE_PIO ? "pio" : "mmio", (uint64_t)p->addr,
           p->size, (uint64_t)p->data, s->id);
    xs_port *port = xs_port_lookup(s->d, s->buf_port);
    if (port) {
        xs_port_send_delayed(port, s->d->sim->buf_event_delay_ms);
    }
    return true;
}

/* ioreq_send(): returns false when the domain was crashed instead. */
static bool send_sync(xs_vcpu *v, xs_server *s, const ioreq_t *p)
{
    ioreq_t *slot = xs_server_slot(s, v->id);
    unsigned state = __atomic_load_n((volatile uint8_t *)slot + SLOT_STATE_BYTE,
                                     __ATOMIC_ACQUIRE) & 0xf;

    if (state != STATE_IOREQ_NONE) {
        char why[64];
        g_snprintf(why, sizeof(why), "device model set bad IO state %u",
                   state);
        xs_domain_crash(v->d, why);
        return false;
    }
    if (slot->vp_eport != s->vcpu_port[v->id]) {
        xs_domain_crash(v->d, "device model set bad event channel");
        return false;
    }
    ioreq_t r = *p;
    r.state = STATE_IOREQ_NONE;
    r.vp_eport = s->vcpu_port[v->id];
    *slot = r;
    /* The contents must be visible before the state flips to READY. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot->state = STATE_IOREQ_READY;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    v->pending |= 1u << s->id;
    s->nr_reqs++;
    v->d->nr_ioreqs++;
    xs_log(v->d->sim, "d%u v%u: ioreq type %u %s addr %#" G_GINT64_MODIFIER
           "x size %u count %u data %#" G_GINT64_MODIFIER "x%s -> server %u "
           "(slot READY, notify port %u)", v->d->domid, v->id, r.type,
           r.dir == IOREQ_READ ? "read" : "write", (uint64_t)r.addr, r.size,
           r.count, (uint64_t)r.data, r.data_is_ptr ? " (ptr)" : "", s->id,
           r.vp_eport);
    xs_port *port = xs_port_lookup(v->d, s->vcpu_port[v->id]);
    if (port) {
        xs_port_send(port);
    }
    return true;
}

/* Issue chunks until one must wait for a device model, or all are done. */
static void run(xs_vcpu *v)
{
    while (v->left) {
        ioreq_t p = next_chunk(v);
        xs_server *s = xs_server_select(v->d, &p);
        if (!s) {
            unclaimed(v, &p);
            advance(v);
            continue;
        }
        if (s->dead) {
            finish(v, -EPIPE);
            return;
        }
        if (v->buffered && try_buffered(s, &p)) {
            advance(v);
            continue;
        }
        if (send_sync(v, s, &p)) {
            return;   /* blocked until the device model answers */
        }
        if (v->busy) {
            finish(v, -EIO);   /* crashed: the domain is shut down */
        }
        return;
    }
    finish(v, v->err);
}

static void broadcast_invalidate(xs_vcpu *v)
{
    /* send_invalidate_ioreq(): every enabled server, then wait for all. */
    ioreq_t p = { .type = IOREQ_TYPE_INVALIDATE, .size = 4,
                  .dir = IOREQ_WRITE, .data = ~0ull, .count = 1 };

    for (unsigned id = 0; id < XS_MAX_SERVERS && v->busy; id++) {
        xs_server *s = v->d->servers[id];
        if (!s || !s->enabled) {
            continue;
        }
        if (s->dead) {
            v->err = -EPIPE;
            continue;
        }
        if (!send_sync(v, s, &p)) {
            if (v->busy) {
                finish(v, -EIO);
            }
            return;
        }
    }
    if (v->busy && !v->pending) {
        finish(v, v->err);
    }
}

void xs_vcpu_event(xs_server *s, unsigned vcpu)
{
    xs_vcpu *v = &s->d->vcpus[vcpu];
    ioreq_t *slot = xs_server_slot(s, vcpu);
    unsigned state = slot->state;
    uint64_t data = ~0ull;

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (!v->busy || !(v->pending & (1u << s->id))) {
        /* Spurious, or the late answer to a request that failed meanwhile
         * (e.g. a broadcast another server broke): consume it, so the slot
         * is free for the vCPU's next request. */
        if (state == STATE_IORESP_READY) {
            slot->state = STATE_IOREQ_NONE;
        }
        return;
    }
    switch (state) {
    case STATE_IOREQ_READY:
    case STATE_IOREQ_INPROCESS:
        return;   /* not done yet: keep blocking */
    case STATE_IORESP_READY:
        data = slot->data;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        slot->state = STATE_IOREQ_NONE;
        break;
    case STATE_IOREQ_NONE:
        /* "an emulator dying races with I/O being requested": Xen takes
         * the all-ones value and carries on. */
        break;
    default: {
        char why[64];
        g_snprintf(why, sizeof(why), "Weird HVM iorequest state %u", state);
        xs_domain_crash(s->d, why);
        return;
    }
    }
    xs_log(s->d->sim, "d%u v%u: server %u IORESP_READY data %#"
           G_GINT64_MODIFIER "x", s->d->domid, vcpu, s->id, data);
    v->pending &= ~(1u << s->id);
    if (v->req.dir == IOREQ_READ && !v->req.data_is_ptr) {
        v->data = data & size_mask(v->req.size);
    }
    if (v->pending) {
        return;
    }
    if (v->req.type == IOREQ_TYPE_INVALIDATE) {
        finish(v, v->err);
        return;
    }
    advance(v);
    run(v);
}

/* ---- submission ---- */

static int check_io(xs_domain *d, const xs_msg *m)
{
    unsigned sz = m->u.io.size;

    if (m->u.io.space == XS_IO_INVALIDATE) {
        return 0;
    }
    if (m->u.io.space > XS_IO_MMIO || !m->u.io.count ||
        (m->u.io.count > 1 && !m->u.io.data_is_ptr)) {
        return -EINVAL;
    }
    if (sz != 1 && sz != 2 && sz != 4 &&
        !(sz == 8 && m->u.io.space == XS_IO_MMIO)) {
        return -EINVAL;
    }
    if (m->u.io.space == XS_IO_PIO && m->u.io.addr + sz > 0x10000) {
        return -EINVAL;
    }
    if (m->u.io.data_is_ptr) {
        uint64_t bytes = (uint64_t)m->u.io.count * sz;
        uint64_t lo = m->u.io.df ? m->u.io.data - bytes + sz : m->u.io.data;
        if (m->u.io.df && m->u.io.data + sz < bytes) {
            return -EFAULT;
        }
        return xs_domain_ram_check(d, lo, bytes);
    }
    return 0;
}

static void reject(xs_vcpu *v, const xs_msg *m, int err)
{
    xs_msg r = { .h.op = XS_OP_G_IO, .h.seq = m->h.seq, .h.err = err };

    xs_conn_reply(v->guest, &r, NULL, 0, -1);
}

void xs_vcpu_submit(xs_vcpu *v, const xs_msg *m)
{
    xs_domain *d = v->d;
    int err = v->busy ? -EBUSY : d->dying ? -ESRCH :
              d->shutdown ? -ESHUTDOWN : check_io(d, m);

    if (err) {
        reject(v, m, err);
        return;
    }
    memset(&v->req, 0, sizeof(v->req));
    v->req.type = m->u.io.space == XS_IO_PIO ? IOREQ_TYPE_PIO :
                  m->u.io.space == XS_IO_MMIO ? IOREQ_TYPE_COPY :
                  IOREQ_TYPE_INVALIDATE;
    v->req.dir = m->u.io.dir ? IOREQ_READ : IOREQ_WRITE;
    v->req.size = m->u.io.size;
    v->req.count = m->u.io.count;
    v->req.df = !!m->u.io.df;
    v->req.data_is_ptr = !!m->u.io.data_is_ptr;
    v->req.addr = m->u.io.addr;
    v->req.data = v->req.data_is_ptr ? m->u.io.data
                : m->u.io.data & size_mask(m->u.io.size);
    v->buffered = !!(m->u.io.flags & XS_IO_F_BUFFERED);
    v->cur_addr = v->req.addr;
    v->cur_gpa = m->u.io.data;
    v->left = v->req.count;
    v->chunk = 0;
    v->busy = true;
    v->abandoned = false;
    v->seq = m->h.seq;
    v->err = 0;
    v->data = 0;
    v->pending = 0;
    if (v->req.type == IOREQ_TYPE_INVALIDATE) {
        broadcast_invalidate(v);
        return;
    }
    /* hvm_access_cf8(): Xen latches 4-byte writes to 0xcf8, then lets the
     * access go on to whoever claims the port. */
    if (v->req.type == IOREQ_TYPE_PIO && v->req.addr == 0xcf8 &&
        v->req.size == 4 && v->req.dir == IOREQ_WRITE &&
        !v->req.data_is_ptr) {
        d->cf8 = (uint32_t)v->req.data;
    }
    run(v);
}
