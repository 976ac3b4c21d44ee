// SPDX-License-Identifier: MIT
/*
 * libxensim-guest: the guest vCPU side of the simulator protocol.
 * Requests are synchronous; a reply that arrives after its request timed
 * out is recognised by its sequence number and dropped.
 */
#include "xensim-guest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

struct xs_guest {
    int sock;
    uint32_t seq;
    uint32_t vcpu;
    uint32_t domid;
    unsigned nr_vcpus;
    int timeout_ms;
    uint8_t *ram;
    uint64_t ram_bytes;
    int64_t rcvtimeo_ms;      /* current SO_RCVTIMEO (0: none) */
};

/* Grace on top of a simulator-side timeout before giving up locally. */
#define XS_GUEST_GRACE_MS 2000

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Blocking receive with SO_RCVTIMEO (set only when it changes): one
 * syscall per reply instead of poll + recvmsg on the hot path. */
static int set_rcvtimeo(xs_guest *g, int64_t ms)
{
    if (ms == g->rcvtimeo_ms) {
        return 0;
    }
    struct timeval tv = { 0 };
    if (ms > 0) {
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
    }
    if (setsockopt(g->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
        return -errno;
    }
    g->rcvtimeo_ms = ms;
    return 0;
}

/* Wait for the reply to m->h.seq; stale replies are skipped. */
static int await(xs_guest *g, xs_msg *m, int timeout_ms, int *fd_out)
{
    uint32_t seq = m->h.seq, op = m->h.op;
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

    for (;;) {
        if (deadline >= 0 && now_ms() >= deadline) {
            return -ETIMEDOUT;
        }
        /* The call's whole timeout, so the option rarely changes; a stale
         * reply may stretch the wait, never below the timeout. */
        int rc = set_rcvtimeo(g, deadline < 0 ? 0 : timeout_ms);
        if (rc < 0) {
            return rc;
        }
        ssize_t r = xs_wire_recv(g->sock, m, NULL, 0, fd_out);
        if (r == -EAGAIN || r == -EWOULDBLOCK) {
            continue;   /* the deadline check above decides */
        }
        if (r < 0) {
            return (int)r;
        }
        if (m->h.seq == seq && m->h.op == op) {
            return m->h.err;
        }
        if (fd_out && *fd_out >= 0) {
            close(*fd_out);
        }
    }
}

static int call(xs_guest *g, xs_msg *m, int timeout_ms)
{
    m->h.seq = ++g->seq;
    m->h.len = 0;
    m->h.err = 0;
    int rc = xs_wire_send(g->sock, m, NULL, 0, -1);
    if (rc < 0) {
        return rc == -EPIPE ? -ECONNRESET : rc;
    }
    rc = await(g, m, timeout_ms, NULL);
    if (rc == -ETIMEDOUT && m->h.op == XS_OP_G_IO) {
        /* Tell the simulator nobody waits for this vCPU's answer. */
        xs_msg c = { .h.op = XS_OP_G_CANCEL, .h.seq = ++g->seq };
        (void)xs_wire_send(g->sock, &c, NULL, 0, -1);
    }
    return rc;
}

xs_guest *xs_guest_connect(const char *path, uint32_t vcpu, int *err)
{
    xs_guest *g = calloc(1, sizeof(*g));
    xs_msg m = { .h.op = XS_OP_HELLO };
    int fd = -1, rc;

    if (!g) {
        *err = -ENOMEM;
        return NULL;
    }
    g->timeout_ms = 5000;
    g->vcpu = vcpu;
    g->sock = xs_wire_connect(path ? path : getenv(XS_ENV_SOCKET));
    if (g->sock < 0) {
        rc = g->sock;
        goto fail_free;
    }
    m.u.hello.kind = vcpu == XS_GUEST_CONTROL ? XS_KIND_CONTROL
                                              : XS_KIND_GUEST;
    m.u.hello.vcpu = vcpu;
    m.u.hello.version = XS_PROTO_VERSION;
    m.h.seq = ++g->seq;
    rc = xs_wire_send(g->sock, &m, NULL, 0, -1);
    if (rc == 0) {
        rc = await(g, &m, g->timeout_ms, &fd);
    }
    if (rc < 0) {
        goto fail_close;
    }
    g->domid = m.u.hello.domid;
    g->nr_vcpus = m.u.hello.nr_vcpus;
    g->ram_bytes = m.u.hello.ram_bytes;
    if (fd >= 0 && g->ram_bytes) {
        g->ram = mmap(NULL, g->ram_bytes, PROT_READ | PROT_WRITE,
                      MAP_SHARED, fd, 0);
        if (g->ram == MAP_FAILED) {
            rc = -errno;
            close(fd);
            goto fail_close;
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    return g;

fail_close:
    close(g->sock);
fail_free:
    free(g);
    *err = rc;
    return NULL;
}

void xs_guest_close(xs_guest *g)
{
    if (!g) {
        return;
    }
    if (g->ram) {
        munmap(g->ram, g->ram_bytes);
    }
    close(g->sock);
    free(g);
}

void xs_guest_set_timeout(xs_guest *g, int ms)
{
    g->timeout_ms = ms;
}

uint32_t xs_guest_domid(const xs_guest *g)
{
    return g->domid;
}

unsigned xs_guest_nr_vcpus(const xs_guest *g)
{
    return g->nr_vcpus;
}

/* ---- accesses ---- */

typedef struct io_args {
    uint32_t space, dir, size, count, df, ptr, flags;
    uint64_t addr, data;
} io_args;

static int io(xs_guest *g, const io_args *a, uint64_t *out)
{
    xs_msg m = { .h.op = XS_OP_G_IO };

    m.u.io.space = a->space;
    m.u.io.dir = a->dir;
    m.u.io.size = a->size;
    m.u.io.count = a->count ? a->count : 1;
    m.u.io.df = a->df;
    m.u.io.data_is_ptr = a->ptr;
    m.u.io.flags = a->flags;
    m.u.io.addr = a->addr;
    m.u.io.data = a->data;
    int rc = call(g, &m, g->timeout_ms);
    if (rc == 0 && out) {
        *out = m.u.io.data;
    }
    return rc;
}

int xs_guest_in(xs_guest *g, uint16_t port, unsigned size, uint32_t *val)
{
    io_args a = { .space = XS_IO_PIO, .dir = 1, .size = size,
                  .addr = port };
    uint64_t v = 0;
    int rc = io(g, &a, &v);

    *val = (uint32_t)v;
    return rc;
}

int xs_guest_out(xs_guest *g, uint16_t port, unsigned size, uint32_t val)
{
    io_args a = { .space = XS_IO_PIO, .size = size, .addr = port,
                  .data = val };

    return io(g, &a, NULL);
}

int xs_guest_out_buffered(xs_guest *g, uint16_t port, unsigned size,
                          uint32_t val)
{
    io_args a = { .space = XS_IO_PIO, .size = size, .addr = port,
                  .data = val, .flags = XS_IO_F_BUFFERED };

    return io(g, &a, NULL);
}

static int rep(xs_guest *g, uint32_t space, uint64_t addr, unsigned size,
               uint64_t gpa, uint32_t count, bool df, bool read)
{
    io_args a = { .space = space, .dir = read, .size = size,
                  .count = count, .df = df, .ptr = 1, .addr = addr,
                  .data = gpa };

    return count ? io(g, &a, NULL) : 0;
}

int xs_guest_rep_ins(xs_guest *g, uint16_t port, unsigned size,
                     uint64_t gpa, uint32_t count, bool df)
{
    return rep(g, XS_IO_PIO, port, size, gpa, count, df, true);
}

int xs_guest_rep_outs(xs_guest *g, uint16_t port, unsigned size,
                      uint64_t gpa, uint32_t count, bool df)
{
    return rep(g, XS_IO_PIO, port, size, gpa, count, df, false);
}

int xs_guest_mmio_read(xs_guest *g, uint64_t addr, unsigned size,
                       uint64_t *val)
{
    io_args a = { .space = XS_IO_MMIO, .dir = 1, .size = size,
                  .addr = addr };

    return io(g, &a, val);
}

int xs_guest_mmio_write(xs_guest *g, uint64_t addr, unsigned size,
                        uint64_t val)
{
    io_args a = { .space = XS_IO_MMIO, .size = size, .addr = addr,
                  .data = val };

    return io(g, &a, NULL);
}

int xs_guest_mmio_write_buffered(xs_guest *g, uint64_t addr, unsigned size,
                                 uint64_t val)
{
    io_args a = { .space = XS_IO_MMIO, .size = size, .addr = addr,
                  .data = val, .flags = XS_IO_F_BUFFERED };

    return io(g, &a, NULL);
}

int xs_guest_mmio_rep(xs_guest *g, uint64_t addr, unsigned size,
                      uint64_t gpa, uint32_t count, bool df, bool to_ram)
{
    return rep(g, XS_IO_MMIO, addr, size, gpa, count, df, to_ram);
}

static uint32_t cf8(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | (bus & 0xff) << 16 | (dev & 0x1f) << 11 |
           (fn & 7) << 8 | (reg & 0xfc);
}

int xs_guest_pci_read(xs_guest *g, unsigned bus, unsigned dev, unsigned fn,
                      unsigned reg, unsigned size, uint32_t *val)
{
    if (reg > 0xff || (reg & (size - 1))) {
        return -EINVAL;
    }
    int rc = xs_guest_out(g, 0xcf8, 4, cf8(bus, dev, fn, reg));
    return rc ? rc : xs_guest_in(g, (uint16_t)(0xcfc + (reg & 3)), size,
                                 val);
}

int xs_guest_pci_write(xs_guest *g, unsigned bus, unsigned dev, unsigned fn,
                       unsigned reg, unsigned size, uint32_t val)
{
    if (reg > 0xff || (reg & (size - 1))) {
        return -EINVAL;
    }
    int rc = xs_guest_out(g, 0xcf8, 4, cf8(bus, dev, fn, reg));
    return rc ? rc : xs_guest_out(g, (uint16_t)(0xcfc + (reg & 3)), size,
                                  val);
}

int xs_guest_invalidate(xs_guest *g)
{
    io_args a = { .space = XS_IO_INVALIDATE, .size = 4 };

    return io(g, &a, NULL);
}

/* ---- memory ---- */

void *xs_guest_ram(xs_guest *g, uint64_t *size)
{
    if (size) {
        *size = g->ram_bytes;
    }
    return g->ram;
}

static int ram_check(xs_guest *g, uint64_t gpa, size_t len)
{
    if (!g->ram || gpa > g->ram_bytes || len > g->ram_bytes - gpa) {
        return -EFAULT;
    }
    return 0;
}

int xs_guest_mem_read(xs_guest *g, uint64_t gpa, void *buf, size_t len)
{
    int rc = ram_check(g, gpa, len);

    if (!rc) {
        memcpy(buf, g->ram + gpa, len);
    }
    return rc;
}

int xs_guest_mem_write(xs_guest *g, uint64_t gpa, const void *buf,
                       size_t len)
{
    int rc = ram_check(g, gpa, len);

    if (!rc) {
        memcpy(g->ram + gpa, buf, len);
        __atomic_thread_fence(__ATOMIC_RELEASE);
    }
    return rc;
}

/* ---- interrupts, lifecycle, control ---- */

static int wait_timeout(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : timeout_ms + XS_GUEST_GRACE_MS;
}

int xs_guest_wait_irq(xs_guest *g, unsigned kind, unsigned n, unsigned level,
                      int timeout_ms)
{
    xs_msg m = { .h.op = XS_OP_G_WAIT_IRQ };

    m.u.irq.kind = kind;
    m.u.irq.n = n;
    m.u.irq.level = level;
    m.u.irq.timeout_ms = timeout_ms;
    return call(g, &m, wait_timeout(timeout_ms));
}

int xs_guest_irq_level(xs_guest *g, unsigned kind, unsigned n,
                       unsigned *level)
{
    xs_msg m = { .h.op = XS_OP_G_IRQ_LEVEL };

    m.u.irq.kind = kind;
    m.u.irq.n = n;
    int rc = call(g, &m, g->timeout_ms);
    *level = m.u.irq.level;
    return rc;
}

int xs_guest_wait_msi(xs_guest *g, int timeout_ms, uint64_t *addr,
                      uint32_t *data)
{
    xs_msg m = { .h.op = XS_OP_G_WAIT_MSI };

    m.u.irq.timeout_ms = timeout_ms;
    int rc = call(g, &m, wait_timeout(timeout_ms));
    if (rc == 0) {
        *addr = m.u.irq.msi_addr;
        *data = m.u.irq.msi_data;
    }
    return rc;
}

int xs_guest_destroy_domain(xs_guest *g)
{
    xs_msg m = { .h.op = XS_OP_G_DESTROY };

    return call(g, &m, g->timeout_ms);
}

int xs_guest_shutdown_domain(xs_guest *g, unsigned reason)
{
    xs_msg m = { .h.op = XS_OP_G_SHUTDOWN };

    m.u.dm.arg[0] = reason;
    return call(g, &m, g->timeout_ms);
}

static void to_info(const xs_msg *m, xs_sim_info *info)
{
    if (!info) {
        return;
    }
    memset(info, 0, sizeof(*info));
    info->domid = m->u.info.domid;
    info->dying = !!(m->u.info.dom_flags & XS_DOM_F_DYING);
    info->shutdown = !!(m->u.info.dom_flags & XS_DOM_F_SHUTDOWN);
    /* SHUTDOWN_crash of public/sched.h (not included guest-side) */
    info->crashed = info->shutdown && m->u.info.shutdown_reason == 3;
    info->servers = m->u.info.servers;
    info->enabled = m->u.info.enabled;
    info->dead = m->u.info.dead;
    info->ranges = m->u.info.ranges;
    info->ioreqs = m->u.info.ioreqs;
    info->bufioreqs = m->u.info.bufioreqs;
    info->unclaimed = m->u.info.unclaimed;
    info->msis = m->u.info.msis;
}

int xs_guest_info(xs_guest *g, xs_sim_info *info)
{
    xs_msg m = { .h.op = XS_OP_G_INFO };
    int rc = call(g, &m, g->timeout_ms);

    if (rc == 0) {
        to_info(&m, info);
    }
    return rc;
}

int xs_guest_wait_servers(xs_guest *g, unsigned want, int timeout_ms,
                          xs_sim_info *info)
{
    xs_msg m = { .h.op = XS_OP_G_WAIT_SERVERS };

    m.u.info.want_enabled = want;
    m.u.info.timeout_ms = timeout_ms;
    int rc = call(g, &m, wait_timeout(timeout_ms));
    if (rc == 0) {
        to_info(&m, info);
    }
    return rc;
}

int xs_guest_fault(xs_guest *g, unsigned kind, unsigned value)
{
    xs_msg m = { .h.op = XS_OP_G_FAULT };

    m.u.fault.kind = kind;
    m.u.fault.value = value;
    return call(g, &m, g->timeout_ms);
}

const char *xs_guest_strerror(int err)
{
    switch (-err) {
    case 0: return "success";
    case ETIMEDOUT: return "timed out waiting for the device model";
    case EPIPE: return "device model died (or closed its event channel)";
    case ENODEV: return "ioreq server destroyed with the access in flight";
    case ESRCH: return "domain destroyed";
    case ESHUTDOWN: return "domain shut down or crashed";
    case EBUSY: return "vCPU still blocked on an earlier access";
    case ECONNRESET: return "simulator went away";
    default: return strerror(-err);
    }
}
