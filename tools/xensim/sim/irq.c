// SPDX-License-Identifier: MIT
/*
 * Interrupt lines of a domain, combined the way Xen's virtual IRQ router
 * does (xen/arch/x86/hvm/irq.c):
 *  - ISA IRQ n drives GSI n (IRQ 0 drives GSI 2: hvm_isa_irq_to_gsi);
 *  - PCI INTx of device d pin p drives GSI ((d<<2) + (d>>3) + p) % 32 + 16
 *    (hvm_pci_intx_gsi) and PCI link (d + p) % 4 (hvm_pci_intx_link),
 *    which drives the ISA IRQ the link is routed to (if any);
 *  - several sources on one line are ORed (Xen's assert counts);
 *  - MSIs are edge events: recorded in order, consumed by waiters.
 * Only levels matter here: there is no PIC/IO-APIC masking to model, so a
 * guest "waits for IRQ n" by waiting for the line's level.
 */
#include <errno.h>

#include "xensim.h"

static unsigned isa_to_gsi(unsigned irq)
{
    return irq ? irq : 2;
}

static unsigned intx_gsi(unsigned dev, unsigned pin)
{
    return (((dev << 2) + (dev >> 3) + pin) & 31) + 16;
}

static unsigned intx_link(unsigned dev, unsigned pin)
{
    return (dev + pin) & 3;
}

static bool link_asserted(xs_domain *d, unsigned link)
{
    for (unsigned dev = 0; dev < XS_NR_PCI_DEVS; dev++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            if (d->intx[dev][pin] && intx_link(dev, pin) == link) {
                return true;
            }
        }
    }
    return false;
}

static unsigned isa_line(xs_domain *d, unsigned irq)
{
    if (d->isa_dm[irq]) {
        return 1;
    }
    for (unsigned l = 0; l < 4; l++) {
        if (irq && d->link_route[l] == irq && link_asserted(d, l)) {
            return 1;
        }
    }
    return 0;
}

static unsigned gsi_line(xs_domain *d, unsigned gsi)
{
    if (d->gsi_dm[gsi]) {
        return 1;
    }
    for (unsigned irq = 0; irq < XS_NR_ISA_IRQS; irq++) {
        if (isa_to_gsi(irq) == gsi && isa_line(d, irq)) {
            return 1;
        }
    }
    for (unsigned dev = 0; dev < XS_NR_PCI_DEVS; dev++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            if (d->intx[dev][pin] && intx_gsi(dev, pin) == gsi) {
                return 1;
            }
        }
    }
    return 0;
}

int xs_irq_level(xs_domain *d, unsigned kind, unsigned n, unsigned *level)
{
    switch (kind) {
    case XS_IRQ_ISA:
        if (n >= XS_NR_ISA_IRQS) {
            return -EINVAL;
        }
        *level = isa_line(d, n);
        return 0;
    case XS_IRQ_GSI:
        if (n >= XS_NR_GSIS) {
            return -EINVAL;
        }
        *level = gsi_line(d, n);
        return 0;
    case XS_IRQ_INTX:
        if ((n >> 2) >= XS_NR_PCI_DEVS) {
            return -EINVAL;
        }
        *level = d->intx[n >> 2][n & 3];
        return 0;
    default:
        return -EINVAL;
    }
}

static void set_line(xs_domain *d, uint8_t *line, unsigned level,
                     const char *what, unsigned n)
{
    if (*line == level) {
        return;
    }
    *line = (uint8_t)level;
    d->irq_edges += level;
    xs_log(d->sim, "d%u: %s %u -> %u", d->domid, what, n, level);
    xs_irq_changed(d);
}

int xs_irq_set_isa(xs_domain *d, unsigned irq, unsigned level)
{
    if (irq >= XS_NR_ISA_IRQS || level > 1) {
        return -EINVAL;
    }
    set_line(d, &d->isa_dm[irq], level, "ISA IRQ", irq);
    return 0;
}

int xs_irq_set_gsi(xs_domain *d, unsigned gsi, unsigned level)
{
    if (gsi >= XS_NR_GSIS || level > 1) {
        return -EINVAL;
    }
    set_line(d, &d->gsi_dm[gsi], level, "GSI", gsi);
    return 0;
}

int xs_irq_set_intx(xs_domain *d, unsigned seg, unsigned bus, unsigned dev,
                    unsigned pin, unsigned level)
{
    /* hvm_set_pci_intx_level(): segment 0, bus 0 only. */
    if (seg || bus || dev >= XS_NR_PCI_DEVS || pin > 3 || level > 1) {
        return -EINVAL;
    }
    set_line(d, &d->intx[dev][pin], level, "PCI INTx (dev<<2|pin)",
             dev << 2 | pin);
    return 0;
}

int xs_irq_set_link_route(xs_domain *d, unsigned link, unsigned isa_irq)
{
    if (link > 3 || isa_irq > 15) {
        return -EINVAL;
    }
    d->link_route[link] = (uint8_t)isa_irq;
    xs_irq_changed(d);
    return 0;
}

int xs_irq_inject_msi(xs_domain *d, uint64_t addr, uint32_t data)
{
    xs_msi m = { addr, data };

    g_array_append_val(d->msis, m);
    xs_log(d->sim, "d%u: MSI addr %#" G_GINT64_MODIFIER "x data %#x",
           d->domid, addr, data);
    xs_irq_changed(d);
    return 0;
}

/* Fill the reply of a parked/new wait; true when it is satisfied. */
static bool wait_satisfied(xs_conn *c, xs_msg *req)
{
    xs_domain *d = c->d;
    unsigned level = 0;

    if (req->h.op == XS_OP_G_WAIT_MSI) {
        if (c->msi_seen >= d->msis->len) {
            return false;
        }
        xs_msi *m = &g_array_index(d->msis, xs_msi, c->msi_seen++);
        req->u.irq.msi_addr = m->addr;
        req->u.irq.msi_data = m->data;
        return true;
    }
    if (xs_irq_level(d, req->u.irq.kind, req->u.irq.n, &level) < 0) {
        return false;
    }
    return level == !!req->u.irq.level;
}

void xs_irq_wait(xs_conn *c, const xs_msg *m)
{
    xs_msg r = *m;
    unsigned level;

    r.h.len = 0;
    if (!c->d || c->d->dying) {
        r.h.err = -ESRCH;
    } else if (m->h.op == XS_OP_G_WAIT_IRQ &&
               xs_irq_level(c->d, m->u.irq.kind, m->u.irq.n, &level) < 0) {
        r.h.err = -EINVAL;
    } else if (wait_satisfied(c, &r)) {
        r.h.err = 0;
    } else if (m->u.irq.timeout_ms == 0) {
        r.h.err = -ETIMEDOUT;
    } else {
        xs_conn_wait_park(c, m, m->u.irq.timeout_ms);
        return;
    }
    xs_conn_reply(c, &r, NULL, 0, -1);
}

void xs_irq_changed(xs_domain *d)
{
    /* Waking removes entries: walk a copy. */
    GPtrArray *w = g_ptr_array_copy(d->waiters, NULL, NULL);

    for (guint i = 0; i < w->len; i++) {
        xs_conn *c = g_ptr_array_index(w, i);
        uint32_t op = c->wait.req.h.op;
        if (c->wait.active && (op == XS_OP_G_WAIT_IRQ ||
                               op == XS_OP_G_WAIT_MSI) &&
            wait_satisfied(c, &c->wait.req)) {
            xs_conn_wait_done(c, 0);
        }
    }
    g_ptr_array_free(w, TRUE);
}

void xs_irq_fail_waiters(xs_domain *d, int err)
{
    GPtrArray *w = g_ptr_array_copy(d->waiters, NULL, NULL);

    for (guint i = 0; i < w->len; i++) {
        xs_conn *c = g_ptr_array_index(w, i);
        /* Server-count waits outlive this: they watch the registry. */
        if (c->wait.req.h.op != XS_OP_G_WAIT_SERVERS) {
            xs_conn_wait_done(c, err);
        }
    }
    g_ptr_array_free(w, TRUE);
}
