/* SPDX-License-Identifier: MIT */
/*
 * The Xen host's life cycle: attach to an HVM domain as an ioreq server
 * (Xen public/hvm/dm_op.h, XEN_DMOP_create_ioreq_server and friends),
 * enable it, and tear it all down again without leaving a vCPU blocked.
 */
#define G_LOG_DOMAIN "ioreq"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "ioreq/xen_int.h"

void ioreq_xen_set_error(GError **err, int code, int errnum, const char *fmt,
                         ...)
{
    va_list ap;
    char *what;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, HV_ERROR, code, "%s: %s", what, g_strerror(errnum));
    g_free(what);
}

/* xc_domain_getinfo returns the first domain >= domid: check the id. */
static int ioreq_xen_getinfo(hv_xen *x, xc_dominfo_t *info)
{
    int n = xc_domain_getinfo(x->xch, x->domid, 1, info);

    if (n < 0) {
        return -errno;
    }
    return (n == 1 && info->domid == x->domid) ? 0 : -ESRCH;
}

bool ioreq_xen_domain_gone(hv_xen *x, const char **why)
{
    xc_dominfo_t info;
    int rc;

    if (x->restricted) {
        return ioreq_xen_restricted_gone(x, why);
    }
    rc = ioreq_xen_getinfo(x, &info);
    if (rc == -ESRCH) {
        *why = "destroyed";
    } else if (rc < 0) {
        *why = "unreachable (xc_domain_getinfo failed)";
    } else if (info.dying) {
        *why = "dying";
    } else if (info.crashed) {
        *why = "crashed";
    } else if (info.shutdown) {
        *why = "shut down";
    } else {
        *why = NULL;
        return false;
    }
    return true;
}

static bool ioreq_xen_open(hv_xen *x, GError **err)
{
    x->xch = xc_interface_open(NULL, NULL, 0);
    if (!x->xch) {
        int e = errno;

        /* The common cause by far: not dom0, or not root in it. */
        g_set_error(err, HV_ERROR, HV_ERROR_IO,
                    "cannot open Xen's control interface (%s): run hvmemu "
                    "as root in dom0 of a Xen host (/dev/xen/privcmd; "
                    "xencommons started)", g_strerror(e));
        return false;
    }
    x->dmod = xendevicemodel_open(NULL, 0);
    if (!x->dmod) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno, "xendevicemodel_open");
        return false;
    }
    x->fmem = xenforeignmemory_open(NULL, 0);
    if (!x->fmem) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno, "xenforeignmemory_open");
        return false;
    }
    x->xce = xenevtchn_open(NULL, 0);
    if (!x->xce) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno, "xenevtchn_open");
        return false;
    }
    return true;
}

static void ioreq_xen_close(hv_xen *x)
{
    ioreq_xen_restrict_close(x);
    if (x->xce) {
        xenevtchn_close(x->xce);
    }
    if (x->fmem) {
        xenforeignmemory_close(x->fmem);
    }
    if (x->dmod) {
        xendevicemodel_close(x->dmod);
    }
    if (x->xch) {
        xc_interface_close(x->xch);
    }
    x->xce = NULL;
    x->fmem = NULL;
    x->dmod = NULL;
    x->xch = NULL;
}

/* The domain must exist, be alive and be HVM; learn its vCPU count. */
static bool ioreq_xen_check_domain(hv_xen *x, GError **err)
{
    xc_dominfo_t info;
    int rc = ioreq_xen_getinfo(x, &info);

    if (rc == -ESRCH) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "domain %u does not exist ('xl list' shows the running "
                    "domains; 'xl domid NAME' gives a guest's number)",
                    x->domid);
        return false;
    }
    if (rc < 0) {
        ioreq_xen_set_error(err, HV_ERROR_IO, -rc,
                            "xc_domain_getinfo(domain %u)", x->domid);
        return false;
    }
    if (info.dying || info.shutdown) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "domain %u is %s", x->domid,
                    info.dying ? "dying" : "shut down");
        return false;
    }
    if (!info.hvm) {
        g_set_error(err, HV_ERROR, HV_ERROR_NOSYS,
                    "domain %u is not an HVM guest: ioreq servers only "
                    "serve HVM domains",
                    x->domid);
        return false;
    }
    x->nr_vcpus = info.max_vcpu_id + 1;
    if (x->nr_vcpus == 0 || x->nr_vcpus > IOREQ_MAX_VCPUS) {
        g_set_error(err, HV_ERROR, HV_ERROR_NOSYS,
                    "domain %u has %u vCPUs; one ioreq page serves %zu",
                    x->domid, x->nr_vcpus, (size_t)IOREQ_MAX_VCPUS);
        return false;
    }
    return true;
}

/*
 * Buffered mode is chosen deliberately: ATOMIC lets Xen rebase the ring
 * pointers with one cmpxchg (no overflow after 2^32 entries) and posts
 * 8-byte writes as two slots; LEGACY has neither. OFF if the user asked.
 */
static bool ioreq_xen_create_server(hv_xen *x, GError **err)
{
    int mode = x->opts.no_bufioreq ? HVM_IOREQSRV_BUFIOREQ_OFF
                                   : HVM_IOREQSRV_BUFIOREQ_ATOMIC;

    if (xendevicemodel_create_ioreq_server(x->dmod, x->domid, mode, &x->id) <
        0) {
        if (errno == ENOSPC) {
            /* Xen's MAX_NR_IOREQ_SERVERS (8) per domain. */
            g_set_error(err, HV_ERROR, HV_ERROR_IO,
                        "domain %u already has as many ioreq servers as Xen "
                        "allows (other device models serve it: see 'ps' "
                        "for hvmemu or qemu processes with its domid)",
                        x->domid);
            return false;
        }
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "xendevicemodel_create_ioreq_server(domain %u)",
                            x->domid);
        return false;
    }
    x->have_server = true;
    x->bufioreq = mode != HVM_IOREQSRV_BUFIOREQ_OFF;
    g_info("domain %u: ioreq server %u created (%u vCPUs, bufioreq %s)",
           x->domid, x->id, x->nr_vcpus, x->bufioreq ? "atomic" : "off");
    return true;
}

static void ioreq_xen_destroy_server(hv_xen *x)
{
    if (!x->have_server) {
        return;
    }
    if (x->enabled && xendevicemodel_set_ioreq_server_state(x->dmod, x->domid,
                                                            x->id, 0) < 0) {
        g_debug("set_ioreq_server_state(0): %s", g_strerror(errno));
    }
    x->enabled = false;
    if (xendevicemodel_destroy_ioreq_server(x->dmod, x->domid, x->id) < 0) {
        g_debug("destroy_ioreq_server: %s", g_strerror(errno));
    }
    x->have_server = false;
}

static hv_xen *ioreq_xen_new(uint32_t domid, hv_loop *loop,
                             const hv_xen_opts *opts)
{
    hv_xen *x = g_new0(hv_xen, 1);

    x->domid = domid;
    x->loop = loop;
    if (opts) {
        x->opts = *opts;
    }
    x->buf_port = IOREQ_NO_PORT;
    return x;
}

hv_xen *hv_xen_attach(uint32_t domid, hv_loop *loop, const hv_xen_opts *opts,
                      GError **err)
{
    hv_xen *x;

    /* dom0 is PV and ids from DOMID_FIRST_RESERVED up are special. */
    if (domid == 0 || domid >= DOMID_FIRST_RESERVED) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "domain id %u cannot be an HVM guest", domid);
        return NULL;
    }
    x = ioreq_xen_new(domid, loop, opts);
    if (!ioreq_xen_open(x, err) || !ioreq_xen_check_domain(x, err)) {
        goto err_close;
    }
    if (!ioreq_xen_create_server(x, err)) {
        goto err_close;
    }
    if (!ioreq_xen_map_pages(x, err)) {
        goto err_destroy;
    }
    x->vcpu_port = g_new(int, x->nr_vcpus);
    for (unsigned v = 0; v < x->nr_vcpus; v++) {
        x->vcpu_port[v] = IOREQ_NO_PORT;
    }
    ioreq_xen_env_init(x);
    return x;

err_destroy:
    ioreq_xen_destroy_server(x);
err_close:
    ioreq_xen_close(x);
    g_free(x);
    return NULL;
}

void hv_xen_set_ctx(hv_xen *x, hv_ctx *ctx)
{
    x->ctx = ctx;
    x->env.ctx = ctx;
}

bool hv_xen_enable(hv_xen *x, GError **err)
{
    if (x->enabled) {
        return true;
    }
    if (xendevicemodel_set_ioreq_server_state(x->dmod, x->domid, x->id, 1) <
        0) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "xendevicemodel_set_ioreq_server_state(1)");
        return false;
    }
    x->enabled = true;
    /* vp_eport is published in the shared page once the server is
     * enabled (xen/common/ioreq.c, ioreq_server_enable), so bind now. */
    if (!ioreq_xen_bind_ports(x, err)) {
        goto err_disable;
    }
    if (!ioreq_xen_loop_start(x, err)) {
        goto err_unbind;
    }
    /* A request raised before its port was bound lost its notification:
     * look at every slot once. */
    ioreq_xen_service_all(x);
    return true;

err_unbind:
    ioreq_xen_unbind_ports(x);
err_disable:
    xendevicemodel_set_ioreq_server_state(x->dmod, x->domid, x->id, 0);
    x->enabled = false;
    return false;
}

void hv_xen_detach(hv_xen *x)
{
    if (!x) {
        return;
    }
    ioreq_xen_loop_stop(x);
    /* No vCPU may stay blocked on a request we will never answer. */
    ioreq_xen_release_slots(x);
    ioreq_xen_destroy_server(x);
    ioreq_xen_unbind_ports(x);
    ioreq_mapcache_free(x->mc);
    x->mc = NULL;
    ioreq_xen_unmap_pages(x);
    ioreq_xen_close(x);
    g_free(x->vcpu_port);
    g_free(x->wake_hist);
    g_free(x->vcpu_track);
    g_free(x);
}

const hv_xen_req_type hv_xen_req_types[] = {
    { "pio", IOREQ_TYPE_PIO },       { "mmio", IOREQ_TYPE_COPY },
    { "pci_config", IOREQ_TYPE_PCI_CONFIG },
    { "invalidate", IOREQ_TYPE_INVALIDATE }, { NULL, 0 },
};

void hv_xen_get_stats(const hv_xen *x, hv_xen_stats *st)
{
    *st = x->stats;
    st->poll_window_ns = x->poll_window_ns;
}
