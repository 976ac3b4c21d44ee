// SPDX-License-Identifier: MIT
/*
 * Replacement libxenctrl.so.4.17: only the domain-query and lifecycle calls
 * a device model needs. Semantics follow xenctrl.h: xc_domain_getinfo()
 * returns the domains whose id is >= first_domid (so a caller must check
 * info->domid), -1/errno on failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>

#include "client.h"
#include "xs-toolcore.h"

struct xc_interface_core {
    xs_active_handle tc;       /* first: xentoolcore casts to it */
    xs_client c;
};

/* As libxencall's: a privcmd hypercall fd cannot be restricted, so
 * xentoolcore_restrict_all() points it at /dev/null and every later call
 * fails. */
static int xc_restrict_cb(xs_active_handle *ah, domid_t domid)
{
    return xentoolcore__restrict_by_dup2_null(((xc_interface *)ah)->c.sock);
}

xc_interface *xc_interface_open(xentoollog_logger *logger,
                                xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    xc_interface *xch = calloc(1, sizeof(*xch));

    if (!xch) {
        return NULL;
    }
    if (xs_client_open(&xch->c, XS_KIND_XC, 0, NULL, NULL) < 0) {
        int e = errno;
        free(xch);
        errno = e;
        return NULL;
    }
    xch->tc.restrict_callback = xc_restrict_cb;
    xentoolcore__register_active_handle(&xch->tc);
    return xch;
}

int xc_interface_close(xc_interface *xch)
{
    if (xch) {
        xentoolcore__deregister_active_handle(&xch->tc);
        xs_client_close(&xch->c);
        free(xch);
    }
    return 0;
}

/* Fetch up to @max entries starting at @first into @out. */
static int getinfo(xc_interface *xch, uint32_t first, unsigned max,
                   xs_dominfo *out)
{
    xs_msg m = { .h.op = XS_OP_DOMAIN_GETINFO };
    size_t len = 0;

    m.u.getinfo.first_domid = first;
    m.u.getinfo.max = max;
    if (xs_client_call(&xch->c, &m, NULL, 0, out, max * sizeof(*out), &len,
                       NULL) < 0) {
        return -1;
    }
    return (int)(len / sizeof(*out));
}

static void fill_dominfo(xc_dominfo_t *d, const xs_dominfo *s)
{
    memset(d, 0, sizeof(*d));
    d->domid = s->domid;
    d->dying = !!(s->flags & XS_DOM_F_DYING);
    d->shutdown = !!(s->flags & XS_DOM_F_SHUTDOWN);
    d->paused = !!(s->flags & XS_DOM_F_PAUSED);
    d->running = !!(s->flags & XS_DOM_F_RUNNING);
    d->blocked = !d->running && !d->paused;
    d->hvm = !!(s->flags & XS_DOM_F_HVM);
    d->hap = d->hvm;
    d->shutdown_reason = s->shutdown_reason;
    /* xc_domain_getinfo derives "crashed" the same way. */
    d->crashed = d->shutdown && s->shutdown_reason == SHUTDOWN_crash;
    d->nr_pages = s->nr_pages;
    d->max_memkb = s->max_pages << (XS_PAGE_SHIFT - 10);
    d->nr_online_vcpus = s->nr_vcpus;
    d->max_vcpu_id = s->nr_vcpus ? s->nr_vcpus - 1 : 0;
    d->cpu_time = s->cpu_time_ns;
    d->gpaddr_bits = 52;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
                      unsigned int max_doms, xc_dominfo_t *info)
{
    xs_dominfo buf[64];
    unsigned got = 0;

    while (got < max_doms) {
        unsigned want = max_doms - got;
        want = want > 64 ? 64 : want;
        int n = getinfo(xch, first_domid, want, buf);
        if (n < 0) {
            return got ? (int)got : -1;
        }
        for (int i = 0; i < n; i++) {
            fill_dominfo(&info[got++], &buf[i]);
        }
        if (n < (int)want) {
            break;
        }
        first_domid = buf[n - 1].domid + 1;
    }
    return (int)got;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                          unsigned int max_domains, xc_domaininfo_t *info)
{
    xs_dominfo buf[64];
    unsigned want = max_domains > 64 ? 64 : max_domains;
    int n = getinfo(xch, first_domain, want, buf);

    for (int i = 0; i < n; i++) {
        xc_domaininfo_t *d = &info[i];
        memset(d, 0, sizeof(*d));
        d->domain = (domid_t)buf[i].domid;
        d->flags = (buf[i].flags & XS_DOM_F_DYING ? XEN_DOMINF_dying : 0) |
                   (buf[i].flags & XS_DOM_F_HVM ?
                        XEN_DOMINF_hvm_guest | XEN_DOMINF_hap : 0) |
                   (buf[i].flags & XS_DOM_F_SHUTDOWN ? XEN_DOMINF_shutdown
                                                     : 0) |
                   (buf[i].flags & XS_DOM_F_PAUSED ? XEN_DOMINF_paused : 0) |
                   (buf[i].flags & XS_DOM_F_RUNNING ? XEN_DOMINF_running : 0) |
                   ((buf[i].shutdown_reason & XEN_DOMINF_shutdownmask)
                    << XEN_DOMINF_shutdownshift);
        d->tot_pages = buf[i].nr_pages;
        d->max_pages = buf[i].max_pages;
        d->cpu_time = buf[i].cpu_time_ns;
        d->nr_online_vcpus = buf[i].nr_vcpus;
        d->max_vcpu_id = buf[i].nr_vcpus ? buf[i].nr_vcpus - 1 : 0;
    }
    return n;
}

int xc_domain_shutdown(xc_interface *xch, uint32_t domid, int reason)
{
    xs_msg m = { .h.op = XS_OP_DM_SHUTDOWN };

    m.u.dm.domid = domid;
    m.u.dm.arg[0] = (uint64_t)reason;
    return xs_client_call(&xch->c, &m, NULL, 0, NULL, 0, NULL, NULL);
}

int xc_domain_destroy(xc_interface *xch, uint32_t domid)
{
    xs_msg m = { .h.op = XS_OP_G_DESTROY };

    m.u.dm.domid = domid;
    return xs_client_call(&xch->c, &m, NULL, 0, NULL, 0, NULL, NULL);
}
