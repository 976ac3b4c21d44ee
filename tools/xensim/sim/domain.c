// SPDX-License-Identifier: MIT
/*
 * Domains: guest RAM (a memfd, so device models can map it), vCPUs, and
 * the lifecycle a device model must follow: running → shutdown (crash) →
 * dying → gone. As in Xen, killing a domain destroys its ioreq servers at
 * once (hvm_domain_relinquish_resources), but the domain stays visible as
 * "dying" to xc_domain_getinfo while a device model still maps its pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xensim.h"

#include <xen/sched.h>

static bool alloc_ram(xs_domain *d, GError **err)
{
    if (!d->ram_bytes) {
        return true;
    }
    d->ram_fd = memfd_create("xensim-guest-ram", MFD_CLOEXEC);
    if (d->ram_fd < 0 || ftruncate(d->ram_fd, (off_t)d->ram_bytes) < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "guest RAM: %s", g_strerror(errno));
        return false;
    }
    d->ram = mmap(NULL, d->ram_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
                  d->ram_fd, 0);
    if (d->ram == MAP_FAILED) {
        d->ram = NULL;
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "map guest RAM: %s", g_strerror(errno));
        return false;
    }
    return true;
}

xs_domain *xs_domain_create(xs_sim *sim, uint32_t domid, bool hvm,
                            uint64_t ram_bytes, unsigned vcpus, GError **err)
{
    xs_domain *d = g_new0(xs_domain, 1);

    d->sim = sim;
    d->domid = domid;
    d->hvm = hvm;
    d->ram_bytes = ram_bytes & ~(uint64_t)(XS_PAGE_SIZE - 1);
    d->ram_fd = -1;
    d->nr_vcpus = vcpus;
    d->created_ns = xs_now_ns();
    d->ports = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                     g_free);
    d->msis = g_array_new(FALSE, TRUE, sizeof(xs_msi));
    d->waiters = g_ptr_array_new();
    /* hvmloader's PCI link routing: links 0..3 -> IRQ 5, 10, 11, 5
     * (PCI_ISA_IRQ_MASK 0x0c20, tools/firmware/hvmloader/pci.c). */
    static const uint8_t routes[4] = { 5, 10, 11, 5 };
    memcpy(d->link_route, routes, sizeof(routes));
    d->vcpus = g_new0(xs_vcpu, vcpus);
    for (unsigned i = 0; i < vcpus; i++) {
        d->vcpus[i].d = d;
        d->vcpus[i].id = i;
    }
    if (!alloc_ram(d, err)) {
        if (d->ram_fd >= 0) {
            close(d->ram_fd);
        }
        g_hash_table_destroy(d->ports);
        g_array_free(d->msis, TRUE);
        g_ptr_array_free(d->waiters, TRUE);
        g_free(d->vcpus);
        g_free(d);
        return NULL;
    }
    g_hash_table_insert(sim->domains, GUINT_TO_POINTER(domid), d);
    return d;
}

xs_domain *xs_domain_lookup(xs_sim *sim, uint32_t domid)
{
    return g_hash_table_lookup(sim->domains, GUINT_TO_POINTER(domid));
}

static void fill_info(xs_domain *d, xs_dominfo *o)
{
    memset(o, 0, sizeof(*o));
    o->domid = d->domid;
    o->flags = (d->dying ? XS_DOM_F_DYING : 0) |
               (d->shutdown ? XS_DOM_F_SHUTDOWN : 0) |
               (d->hvm ? XS_DOM_F_HVM : 0) |
               (!d->dying && !d->shutdown ? XS_DOM_F_RUNNING : 0);
    o->shutdown_reason = d->shutdown_reason;
    o->nr_vcpus = d->nr_vcpus;
    o->nr_pages = d->ram_bytes / XS_PAGE_SIZE;
    o->max_pages = o->nr_pages;
    o->cpu_time_ns = xs_now_ns() - d->created_ns;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

unsigned xs_domain_getinfo(xs_sim *sim, uint32_t first, unsigned max,
                           xs_dominfo *out)
{
    guint count = 0;
    gpointer *keys = g_hash_table_get_keys_as_array(sim->domains, &count);
    uint32_t *ids = g_new(uint32_t, count + 1);
    unsigned n = 0;

    for (guint i = 0; i < count; i++) {
        ids[i] = GPOINTER_TO_UINT(keys[i]);
    }
    g_free(keys);
    qsort(ids, count, sizeof(*ids), cmp_u32);
    for (guint i = 0; i < count && n < max; i++) {
        if (ids[i] >= first) {
            fill_info(xs_domain_lookup(sim, ids[i]), &out[n++]);
        }
    }
    g_free(ids);
    return n;
}

/* Every in-flight request and wait of @d fails with @err. */
static void fail_everything(xs_domain *d, int err, const char *why)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        xs_vcpu_fail(&d->vcpus[i], NULL, err, why);
    }
    xs_irq_fail_waiters(d, err);
}

void xs_domain_shutdown(xs_domain *d, unsigned reason)
{
    if (d->shutdown || d->dying) {
        return;
    }
    d->shutdown = true;
    d->shutdown_reason = reason;
    xs_log(d->sim, "d%u: shut down (reason %u)", d->domid, reason);
    /* vCPUs stop: a shut-down guest issues no further I/O. */
    fail_everything(d, -ESHUTDOWN, "domain shut down");
}

void xs_domain_crash(xs_domain *d, const char *why)
{
    xs_warn("d%u: domain_crash: %s", d->domid, why);
    xs_domain_shutdown(d, SHUTDOWN_crash);
}

void xs_domain_destroy(xs_domain *d)
{
    if (d->dying) {
        return;
    }
    d->dying = true;
    xs_log(d->sim, "d%u: destroyed (dying while mapped: %" G_GUINT64_FORMAT
           " pages)", d->domid, d->foreign_pages);
    fail_everything(d, -ESRCH, "domain destroyed");
    for (unsigned i = 0; i < XS_MAX_SERVERS; i++) {
        if (d->servers[i]) {
            xs_server_destroy(d->servers[i]);
        }
    }
    /* Close the remaining ports; dom0 ends bound to them become unbound,
     * so a device model's notifications go nowhere (EVTCHNOP_send on an
     * unbound port is silently dropped). */
    GList *ports = g_hash_table_get_values(d->ports);
    for (GList *l = ports; l; l = l->next) {
        xs_port_close(l->data);
    }
    g_list_free(ports);
    xs_servers_changed(d->sim);
    xs_domain_reap(d);
}

void xs_domain_reap(xs_domain *d)
{
    xs_sim *sim = d->sim;

    if (!d->dying || d->foreign_pages) {
        return;
    }
    xs_log(sim, "d%u: gone", d->domid);
    while (d->waiters->len) {
        xs_conn_wait_done(g_ptr_array_index(d->waiters, 0), -ESRCH);
    }
    for (guint i = 0; i < sim->conns->len; i++) {
        xs_conn *c = g_ptr_array_index(sim->conns, i);
        if (c->d == d) {
            c->d = NULL;
            c->vcpu = NULL;
        }
    }
    xs_domain_free(d);
}

void xs_domain_free(xs_domain *d)
{
    g_hash_table_steal(d->sim->domains, GUINT_TO_POINTER(d->domid));
    for (unsigned i = 0; i < XS_MAX_SERVERS; i++) {
        if (d->servers[i]) {
            xs_server_free(d->servers[i]);
        }
    }
    if (d->ram) {
        munmap(d->ram, d->ram_bytes);
    }
    if (d->ram_fd >= 0) {
        close(d->ram_fd);
    }
    g_hash_table_destroy(d->ports);
    g_array_free(d->msis, TRUE);
    g_ptr_array_free(d->waiters, TRUE);
    g_free(d->vcpus);
    g_free(d);
}

int xs_domain_ram_check(xs_domain *d, uint64_t gpa, uint64_t len)
{
    if (gpa > d->ram_bytes || len > d->ram_bytes - gpa) {
        return -EFAULT;
    }
    return 0;
}
