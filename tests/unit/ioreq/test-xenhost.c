/* SPDX-License-Identifier: MIT */
/*
 * The Xen glue (ioreq/xen_*.c) end to end against the fake Xen libraries:
 * attach, claim, enable, serve through the event-channel fd, buffered
 * ring, guest memory, domain death, teardown.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fakexen.h"
#include "hvmemu/hvmemu.h"

typedef struct dev {
    unsigned writes;
    uint64_t last;
} dev;

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    return 0x40 + off;
}

static void dev_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    dev *d = opaque;

    d->writes++;
    d->last = val;
}

static const hv_region_ops dev_ops = {dev_read, dev_write, 1, 8};

typedef struct fx {
    hv_loop *loop;
    hv_xen *x;
    hv_ctx *ctx;
    dev d;
} fx;

static void attach(fx *f, const hv_xen_opts *opts)
{
    GError *err = NULL;

    f->x = hv_xen_attach(FAKE_DOMID, f->loop, opts, &err);
    g_assert_no_error(err);
    g_assert_nonnull(f->x);
    f->ctx = hv_ctx_new(hv_xen_host_ops(), f->x, f->loop);
    hv_xen_set_ctx(f->x, f->ctx);
    g_assert_nonnull(hv_region_add(f->ctx, HV_SPACE_PIO, 0x1f0, 8, &dev_ops,
                                   &f->d, "ide0", &err));
    g_assert_nonnull(hv_region_add(f->ctx, HV_SPACE_MMIO, 0xa0000, 0x1000,
                                   &dev_ops, &f->d, "vga", &err));
    for (unsigned fn = 0; fn < 2; fn++) {
        g_assert_nonnull(hv_region_add(f->ctx, HV_SPACE_PCI,
                                       HV_PCI_ADDR(HV_SBDF(0, 0, 3, fn), 0),
                                       256, &dev_ops, &f->d, "pci", &err));
    }
    g_assert_no_error(err);
    g_assert_true(hv_xen_enable(f->x, &err));
    g_assert_no_error(err);
}

static void setup(fx *f, gconstpointer data)
{
    memset(f, 0, sizeof(*f));
    fake_reset();
    f->loop = hv_loop_new();
}

static void detach(fx *f)
{
    if (f->x) {
        hv_xen_set_ctx(f->x, NULL);
        hv_ctx_free(f->ctx);
        hv_xen_detach(f->x);
        f->x = NULL;
    }
}

static void teardown(fx *f, gconstpointer data)
{
    detach(f);
    g_assert_cmpuint(fake.open_handles, ==, 0);
    hv_loop_free(f->loop);
    fake_fini();
}

static void post(unsigned v, unsigned type, unsigned dir, uint64_t addr,
                 unsigned size, uint64_t data)
{
    ioreq_t *r = &fake_shared()->vcpu_ioreq[v];

    r->type = (uint8_t)type;
    r->dir = dir & 1;
    r->addr = addr;
    r->size = size;
    r->data = data;
    r->count = 1;
    r->data_is_ptr = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    r->state = STATE_IOREQ_READY;
    fake_signal(FAKE_LOCAL(FAKE_REMOTE_PORT(v)));
}

static void test_lifecycle(fx *f, gconstpointer data)
{
    attach(f, NULL);
    /* ATOMIC buffered mode, both pages through one resource mapping. */
    g_assert_cmpint(fake.create_mode, ==, HVM_IOREQSRV_BUFIOREQ_ATOMIC);
    g_assert_true(fake_logged("map_resource 0+2;"));
    g_assert_true(fake_logged("get_info gfns=0;"));
    g_assert_true(fake_logged("map_io 0 0x1f0-0x1f7;"));
    g_assert_true(fake_logged("map_io 1 0xa0000-0xa0fff;"));
    g_assert_true(fake_logged("map_pci 0:0:3.0;map_pci 0:0:3.1;"));
    g_assert_true(fake.enabled);
    g_assert_true(fake_logged("bind 10;bind 11;bind 30;"));
    detach(f);
    g_assert_true(fake_logged("unmap_io 0 0x1f0-0x1f7;"));
    g_assert_true(fake_logged("unmap_pci 0:0:3.1;"));
    g_assert_true(fake_logged("state 0;destroy;"));
    g_assert_true(fake_logged("unbind 110;unbind 111;unbind 130;"));
    g_assert_true(fake_logged("unmap_resource;"));
    g_assert_false(fake.enabled);
}

static void test_serve(fx *f, gconstpointer data)
{
    hv_xen_stats st;
    ioreq_t *r1 = &fake_shared()->vcpu_ioreq[1];
    buffered_iopage_t *bp = fake_bufpage();

    attach(f, NULL);
    post(1, IOREQ_TYPE_PIO, IOREQ_READ, 0x1f7, 1, 0);
    g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    g_assert_cmpuint(r1->state, ==, STATE_IORESP_READY);
    g_assert_cmphex(r1->data, ==, 0x47);
    g_assert_true(fake_logged("unmask 111;notify 111;"));

    /* A buffered post (VGA write), signalled on the buffered port. */
    bp->buf_ioreq[0].type = IOREQ_TYPE_COPY;
    bp->buf_ioreq[0].size = 1;
    bp->buf_ioreq[0].addr = 0xa0002;
    bp->buf_ioreq[0].data = 0x0741;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bp->write_pointer = 1;
    fake_signal(FAKE_LOCAL(FAKE_BUF_REMOTE));
    g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    g_assert_cmpuint(bp->read_pointer, ==, 1);
    g_assert_cmpuint(f->d.writes, ==, 1);
    g_assert_cmphex(f->d.last, ==, 0x0741);

    hv_xen_get_stats(f->x, &st);
    g_assert_cmpuint(st.reqs[IOREQ_TYPE_PIO], ==, 1);
    g_assert_cmpuint(st.reqs[IOREQ_TYPE_COPY], ==, 1);
    g_assert_cmpuint(st.bufreqs, ==, 1);
    g_assert_cmpuint(st.notifies, ==, 1);
}

static void test_guest_memory(fx *f, gconstpointer data)
{
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8}, back[8];
    ioreq_t *r0 = &fake_shared()->vcpu_ioreq[0];

    attach(f, NULL);
    g_assert_cmpint(hv_mem_write(f->ctx, 0x2ffc, buf, 8), ==, 0);
    g_assert_cmpmem(fake.ram + 0x2ffc, 8, buf, 8);
    /* Dirty tracking covers both pages touched. */
    g_assert_true(fake_logged("modified 0x2+2;"));
    g_assert_cmpint(hv_mem_read(f->ctx, 0x2ffc, back, 8), ==, 0);
    g_assert_cmpmem(back, 8, buf, 8);
    g_assert_cmpint(
        hv_mem_read(f->ctx, FAKE_RAM_PAGES * XC_PAGE_SIZE - 4, back, 8), ==,
        -EFAULT);
    g_assert_cmpuint(fake.ram_unmaps, ==, 0);
    /* INVALIDATE drops the cached mapping and is completed. */
    post(0, IOREQ_TYPE_INVALIDATE, IOREQ_WRITE, 0, 0, 0);
    g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    g_assert_cmpuint(r0->state, ==, STATE_IORESP_READY);
    /* Both buckets: RAM below 1 MiB and the refused one above it. */
    g_assert_cmpuint(fake.ram_unmaps, ==, 2);
    g_assert_true(fake_logged("notify 110;"));
}

static void test_irqs(fx *f, gconstpointer data)
{
    attach(f, NULL);
    g_assert_cmpint(hv_set_isa_irq(f->ctx, f, 14, 1), ==, 0);
    g_assert_cmpint(hv_set_pci_intx(f->ctx, HV_SBDF(0, 0, 3, 0), 0, 1), ==, 0);
    g_assert_cmpint(hv_inject_msi(f->ctx, 0xfee00000, 0x4021), ==, 0);
    g_assert_true(fake_logged("isa 14=1;"));
    g_assert_true(fake_logged("intx 0:0:3 0=1;"));
    g_assert_true(fake_logged("msi 0xfee00000 0x4021;"));
}

static void test_teardown_releases(fx *f, gconstpointer data)
{
    ioreq_t *r0 = &fake_shared()->vcpu_ioreq[0];

    attach(f, NULL);
    /* Posted but never serviced (the loop does not run again). */
    post(0, IOREQ_TYPE_PIO, IOREQ_READ, 0x1f0, 2, 0);
    detach(f);
    g_assert_cmpuint(r0->state, ==, STATE_IORESP_READY);
    g_assert_cmphex(r0->data, ==, 0xffff);
    g_assert_true(fake_logged("notify 110;state 0;destroy;"));
}

static void test_legacy_pages(fx *f, gconstpointer data)
{
    ioreq_t *r0 = &fake_shared()->vcpu_ioreq[0];

    fake.resource_errno = EOPNOTSUPP;
    attach(f, NULL);
    g_assert_true(fake_logged("get_info gfns=1;map_gfn ioreq;map_gfn buf;"));
    post(0, IOREQ_TYPE_PIO, IOREQ_READ, 0x1f1, 1, 0);
    g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    g_assert_cmphex(r0->data, ==, 0x41);
}

static void test_no_bufioreq(fx *f, gconstpointer data)
{
    hv_xen_opts o = {.no_bufioreq = true};

    attach(f, &o);
    g_assert_cmpint(fake.create_mode, ==, HVM_IOREQSRV_BUFIOREQ_OFF);
    g_assert_true(fake_logged("map_resource 1+1;"));
    g_assert_false(fake_logged("get_info"));
    g_assert_false(fake_logged("bind 30;"));
}

static void test_attach_errors(fx *f, gconstpointer data)
{
    GError *err = NULL;

    fake.resource_errno = EPERM;
    g_assert_null(hv_xen_attach(FAKE_DOMID, f->loop, NULL, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_IO);
    g_assert_nonnull(strstr(err->message, "map_resource"));
    g_clear_error(&err);
    g_assert_true(fake_logged("destroy;")); /* unwound */
    g_assert_cmpuint(fake.open_handles, ==, 0);

    fake.hvm = false;
    g_assert_null(hv_xen_attach(FAKE_DOMID, f->loop, NULL, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_NOSYS);
    g_clear_error(&err);
    fake.exists = false;
    g_assert_null(hv_xen_attach(FAKE_DOMID, f->loop, NULL, &err));
    /* A wrong --domid is the command's fault (exit 2), said so. */
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_assert_nonnull(strstr(err->message, "does not exist"));
    g_clear_error(&err);
    g_assert_null(hv_xen_attach(0, f->loop, NULL, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
    g_clear_error(&err);
    g_assert_cmpuint(fake.open_handles, ==, 0);
}

static void test_domain_death(fx *f, gconstpointer data)
{
    hv_xen_stats st;

    attach(f, NULL);
    fake.dying = true;
    /* The 500 ms death timer notices and ends the loop cleanly. */
    g_assert_cmpint(hv_loop_run(f->loop), ==, 0);
    hv_xen_get_stats(f->x, &st);
    g_assert_cmpuint(st.guest_gone, ==, 1);
}

static void test_evtchn_error(fx *f, gconstpointer data)
{
    attach(f, NULL);
    fake.pending_fails = true;
    fake_signal(FAKE_LOCAL(FAKE_REMOTE_PORT(0)));
    g_test_expect_message("ioreq", G_LOG_LEVEL_WARNING, "*xenevtchn_pending*");
    g_assert_cmpint(hv_loop_run(f->loop), ==, 1);
    g_test_assert_expected_messages();
}

static void test_busy_poll(fx *f, gconstpointer data)
{
    hv_xen_opts o = {.poll_us = 2000};
    ioreq_t *r1 = &fake_shared()->vcpu_ioreq[1];

    attach(f, &o);
    post(0, IOREQ_TYPE_PIO, IOREQ_WRITE, 0x1f0, 1, 1);
    /* vCPU1's request arrives without its wake-up having been read yet:
     * the poll window picks it up in the same loop iteration. */
    post(1, IOREQ_TYPE_PIO, IOREQ_READ, 0x1f2, 1, 0);
    g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    g_assert_cmpuint(r1->state, ==, STATE_IORESP_READY);
    g_assert_cmphex(r1->data, ==, 0x42);
    g_assert_true(fake_logged("notify 110;notify 111;"));
    /* The stale wake-up for vCPU1 is harmless: nothing READY. */
    g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    g_assert_cmpuint(f->d.writes, ==, 1);
}

static void test_no_poll(fx *f, gconstpointer data)
{
    ioreq_t *r1 = &fake_shared()->vcpu_ioreq[1];

    attach(f, NULL);
    post(0, IOREQ_TYPE_PIO, IOREQ_WRITE, 0x1f0, 1, 1);
    post(1, IOREQ_TYPE_PIO, IOREQ_READ, 0x1f2, 1, 0);
    g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    g_assert_cmpuint(r1->state, ==, STATE_IOREQ_READY); /* next wake-up */
    g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    g_assert_cmpuint(r1->state, ==, STATE_IORESP_READY);
}

static void test_sweep_at_enable(fx *f, gconstpointer data)
{
    ioreq_t *r0 = &fake_shared()->vcpu_ioreq[0];

    /* A request raised before its port was bound lost its notification. */
    r0->type = IOREQ_TYPE_PIO;
    r0->dir = IOREQ_READ;
    r0->addr = 0x1f3;
    r0->size = 1;
    r0->count = 1;
    r0->state = STATE_IOREQ_READY;
    attach(f, NULL);
    g_assert_cmpuint(r0->state, ==, STATE_IORESP_READY);
    g_assert_cmphex(r0->data, ==, 0x43);
}

static char *capture_stdout(fx *f, unsigned nreq)
{
    char path[] = "/tmp/ioreq-trace-XXXXXX";
    int fd = mkstemp(path), saved;
    char *text = NULL;

    g_assert_cmpint(fd, >=, 0);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    for (unsigned i = 0; i < nreq; i++) {
        post(1, IOREQ_TYPE_PIO, IOREQ_READ, 0x1f7, 1, 0);
        g_assert_cmpint(hv_loop_run_once(f->loop, 1000), ==, 1);
    }
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    unlink(path);
    return text;
}

static void test_trace(fx *f, gconstpointer data)
{
    hv_xen_opts o = {.trace = 2};
    char *out;

    attach(f, &o);
    out = capture_stdout(f, 3);
    g_assert_cmpstr(out, ==,
                    "[ioreq] vcpu1 PIO read port=0x1f7 size=1 → "
                    "ide0 → data=0x47 IORESP_READY\n"
                    "[ioreq] vcpu1 PIO read port=0x1f7 size=1 → "
                    "ide0 → data=0x47 IORESP_READY\n"
                    "[ioreq] (trace limit of 2 requests reached)\n");
    g_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define T(name, fn)                                                            \
    g_test_add("/ioreq/xenhost/" name, fx, NULL, setup, fn, teardown)
    T("lifecycle", test_lifecycle);
    T("serve", test_serve);
    T("guest-memory", test_guest_memory);
    T("irqs", test_irqs);
    T("teardown-releases", test_teardown_releases);
    T("legacy-pages", test_legacy_pages);
    T("no-bufioreq", test_no_bufioreq);
    T("attach-errors", test_attach_errors);
    T("domain-death", test_domain_death);
    T("evtchn-error", test_evtchn_error);
    T("busy-poll", test_busy_poll);
    T("no-poll", test_no_poll);
    T("sweep-at-enable", test_sweep_at_enable);
    T("trace", test_trace);
    return g_test_run();
}
