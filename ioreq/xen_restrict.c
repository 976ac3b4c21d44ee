/* SPDX-License-Identifier: MIT */
/*
 * Least privilege on the Xen side (xentoolcore.h, xentoolcore_restrict_all):
 * once the ioreq server is set up, every Xen handle hvmemu holds acts on
 * its one guest only, so a daemon taken over through a device bug cannot
 * touch dom0 or another guest through them.
 *
 * What the restriction does to each handle (Xen 4.17's libraries):
 *  - devicemodel, foreignmemory: IOCTL_PRIVCMD_RESTRICT on their privcmd
 *    fds: dm_ops and foreign mappings of other domains fail with EPERM;
 *  - evtchn: IOCTL_EVTCHN_RESTRICT_DOMID: binds to other domains fail;
 *  - xenctrl's hypercall fd and xenstore cannot be restricted: the library
 *    points them at /dev/null. So xc is closed first, and domain liveness
 *    (ioreq_xen_domain_gone) comes from dm_ops and from xenstore, over a
 *    connection opened after the restriction, like the twin guard's. As
 *    with QEMU's -xen-domid-restrict, xenstore stays unrestricted: the
 *    guard and the liveness check need to read it.
 */
#define G_LOG_DOMAIN "ioreq"

#include <errno.h>
#include <stdlib.h>

#include "ioreq/xen_int.h"

static char *restrict_domain_path(const hv_xen *x)
{
    return g_strdup_printf("/local/domain/%u/domid", x->domid);
}

bool hv_xen_restrict(hv_xen *x, GError **err)
{
    g_autofree char *path = restrict_domain_path(x);
    unsigned len;
    void *v;

    if (x->restricted) {
        return true;
    }
    if (x->xch) {
        xc_interface_close(x->xch);
        x->xch = NULL;
    }
    if (xentoolcore_restrict_all(x->domid) < 0) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno,
                            "xentoolcore_restrict_all(domain %u)", x->domid);
        return false;
    }
    x->restricted = true;
    /* Not fatal: without xenstore, the dm_op alone tells a destroyed
     * domain. */
    x->xs_live = xs_open(0);
    if (x->xs_live && (v = xs_read(x->xs_live, XBT_NULL, path, &len))) {
        x->store_knows_domain = true;
        free(v);
    }
    g_info("domain %u: Xen handles restricted to it (liveness from %s)",
           x->domid, x->store_knows_domain ? "xenstore and dm_op" : "dm_op");
    return true;
}

bool hv_xen_restricted(const hv_xen *x)
{
    return x->restricted;
}

/* A read-only dm_op on a domain id that is not the guest's (the highest
 * ordinary one, almost never in use): a restricted privcmd refuses it with
 * EPERM before Xen sees it; unrestricted, Xen answers ESRCH. */
int hv_xen_probe_other_domain(const hv_xen *x)
{
    domid_t other = x->domid == 0x7fef ? 0x7fee : 0x7fef;
    evtchn_port_t port;

    if (xendevicemodel_get_ioreq_server_info(x->dmod, other, 0, NULL, NULL,
                                             &port) < 0) {
        return errno;
    }
    return 0;
}

/*
 * Restricted liveness, from dm_ops on our own server: Xen destroys a
 * domain's ioreq servers when it kills it (domain_kill →
 * hvm_domain_relinquish_resources → ioreq_server_destroy_all), so asking
 * for the server's info fails with ENOENT from then on, and with ESRCH
 * once the domain is gone. (A plain dm_op still succeeds on a dying
 * domain: the pages we map keep it around.) libxl also removes
 * /local/domain/N. A shut-down domain not yet destroyed looks alive:
 * toolstacks destroy it (on_poweroff='destroy', or the launcher).
 */
bool ioreq_xen_restricted_gone(hv_xen *x, const char **why)
{
    evtchn_port_t port;
    unsigned len;

    if (xendevicemodel_get_ioreq_server_info(x->dmod, x->domid, x->id, NULL,
                                             NULL, &port) < 0 &&
        (errno == ESRCH || errno == ENOENT)) {
        *why = errno == ESRCH ? "destroyed" : "dying (its ioreq server is "
               "gone)";
        return true;
    }
    if (x->store_knows_domain) {
        g_autofree char *path = restrict_domain_path(x);
        void *v = xs_read(x->xs_live, XBT_NULL, path, &len);

        if (!v && errno == ENOENT) {
            *why = "destroyed (gone from xenstore)";
            return true;
        }
        free(v);
    }
    *why = NULL;
    return false;
}

void ioreq_xen_restrict_close(hv_xen *x)
{
    if (x->xs_live) {
        xs_close(x->xs_live);
        x->xs_live = NULL;
    }
}
