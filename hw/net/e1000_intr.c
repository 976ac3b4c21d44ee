/* SPDX-License-Identifier: MIT */
/*
 * Interrupt causes, the INTx line and interrupt moderation.
 *
 * Line level = (ICR & IMS) != 0 (SDM 13.4.17-21). Moderation:
 *   ITR   (13.4.18) minimum gap between assertions, in 256 ns units;
 *   RDTR  (13.4.29) RXT0 delay after the last frame, 1.024 us units,
 *         re-armed per frame; RADV (13.4.30) caps it from the first one;
 *   TIDV/TADV (13.4.42/44) the same for TXDW on descriptors with IDE.
 * Without an event loop (bare unit tests) every delay is zero.
 */
#include "hw/net/e1000_int.h"

#define ITR_UNIT_NS     256
#define DELAY_UNIT_NS   1024

static void set_line(e1000 *s, unsigned level)
{
    if (level != s->irq_level) {
        s->irq_level = level;
        hv_pci_set_irq(&s->pci, level);
        if (level) {
            hv_ctx_cycle_end(s->pci.ctx, s);    /* TDT write → interrupt */
        }
    }
}

void e1000_update_irq(e1000 *s)
{
    uint32_t itr = E1000_REG(s, E1000_ITR) & 0xffff;
    uint64_t now, gap;

    if (!(E1000_REG(s, E1000_ICR) & E1000_REG(s, E1000_IMS))) {
        set_line(s, 0);
        return;
    }
    if (s->irq_level) {
        return;
    }
    if (itr && s->itr_timer) {
        now = hv_now_ns();
        gap = (uint64_t)itr * ITR_UNIT_NS;
        if (now - s->last_irq_ns < gap) {
            if (!hv_timer_armed(s->itr_timer)) {
                hv_timer_arm_ns(s->itr_timer, s->last_irq_ns + gap - now);
            }
            return;
        }
        s->last_irq_ns = now;
    }
    set_line(s, 1);
}

void e1000_set_ics(e1000 *s, uint32_t causes)
{
    E1000_REG(s, E1000_ICR) |= causes & E1000_ICR_VALID;
    e1000_update_irq(s);
}

void e1000_rx_interrupt(e1000 *s)
{
    uint32_t rdtr = E1000_REG(s, E1000_RDTR) & 0xffff;
    uint32_t radv = E1000_REG(s, E1000_RADV) & 0xffff;

    if (!rdtr || !s->rdtr_timer) {
        if (s->rdtr_timer) {
            hv_timer_cancel(s->rdtr_timer);
            hv_timer_cancel(s->radv_timer);
        }
        e1000_set_ics(s, E1000_ICR_RXT0);
        return;
    }
    hv_timer_arm_ns(s->rdtr_timer, (uint64_t)rdtr * DELAY_UNIT_NS);
    if (radv && !hv_timer_armed(s->radv_timer)) {
        hv_timer_arm_ns(s->radv_timer, (uint64_t)radv * DELAY_UNIT_NS);
    }
}

void e1000_tx_interrupt(e1000 *s, bool delay)
{
    uint32_t tidv = E1000_REG(s, E1000_TIDV) & 0xffff;
    uint32_t tadv = E1000_REG(s, E1000_TADV) & 0xffff;

    if (!delay || !tidv || !s->tidv_timer) {
        e1000_set_ics(s, E1000_ICR_TXDW);
        return;
    }
    hv_timer_arm_ns(s->tidv_timer, (uint64_t)tidv * DELAY_UNIT_NS);
    if (tadv && !hv_timer_armed(s->tadv_timer)) {
        hv_timer_arm_ns(s->tadv_timer, (uint64_t)tadv * DELAY_UNIT_NS);
    }
}

static void rx_delay_fired(void *opaque)
{
    e1000 *s = opaque;

    hv_timer_cancel(s->rdtr_timer);
    hv_timer_cancel(s->radv_timer);
    e1000_set_ics(s, E1000_ICR_RXT0);
}

static void tx_delay_fired(void *opaque)
{
    e1000 *s = opaque;

    hv_timer_cancel(s->tidv_timer);
    hv_timer_cancel(s->tadv_timer);
    e1000_set_ics(s, E1000_ICR_TXDW);
}

static void itr_fired(void *opaque)
{
    e1000 *s = opaque;

    s->last_irq_ns = 0;     /* the gap has passed */
    e1000_update_irq(s);
}

/* RDTR.FPD (bit 31): flush a pending receive interrupt now. */
void e1000_rx_flush_delay(e1000 *s)
{
    if (s->rdtr_timer && (hv_timer_armed(s->rdtr_timer) ||
                          hv_timer_armed(s->radv_timer))) {
        rx_delay_fired(s);
    }
}

bool e1000_intr_init(e1000 *s, hv_loop *loop)
{
    if (!loop) {
        return true;
    }
    s->itr_timer = hv_timer_new(loop, itr_fired, s);
    s->rdtr_timer = hv_timer_new(loop, rx_delay_fired, s);
    s->radv_timer = hv_timer_new(loop, rx_delay_fired, s);
    s->tidv_timer = hv_timer_new(loop, tx_delay_fired, s);
    s->tadv_timer = hv_timer_new(loop, tx_delay_fired, s);
    return s->itr_timer && s->rdtr_timer && s->radv_timer && s->tidv_timer &&
           s->tadv_timer;
}

void e1000_intr_reset(e1000 *s)
{
    hv_timer *t[] = { s->itr_timer, s->rdtr_timer, s->radv_timer,
                      s->tidv_timer, s->tadv_timer };

    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        if (t[i]) {
            hv_timer_cancel(t[i]);
        }
    }
    s->last_irq_ns = 0;
    set_line(s, 0);
}

void e1000_intr_fini(e1000 *s)
{
    hv_timer_free(s->itr_timer);
    hv_timer_free(s->rdtr_timer);
    hv_timer_free(s->radv_timer);
    hv_timer_free(s->tidv_timer);
    hv_timer_free(s->tadv_timer);
}

/* ---- statistics (13.7): saturating 32-bit and 64-bit pairs ---- */

void e1000_stat_inc(e1000 *s, unsigned off)
{
    if (E1000_REG(s, off) != UINT32_MAX) {
        E1000_REG(s, off)++;
    }
}

void e1000_stat_add64(e1000 *s, unsigned off_lo, uint64_t v)
{
    uint64_t cur = E1000_REG(s, off_lo) |
                   (uint64_t)E1000_REG(s, off_lo + 4) << 32;

    cur = cur + v < cur ? UINT64_MAX : cur + v;
    E1000_REG(s, off_lo) = (uint32_t)cur;
    E1000_REG(s, off_lo + 4) = (uint32_t)(cur >> 32);
}

/* PRC64..PRC1522 / PTC64..PTC1522: six size buckets, FCS included. */
void e1000_stat_size(e1000 *s, unsigned off64, size_t len)
{
    static const size_t limits[] = { 64, 127, 255, 511, 1023 };
    unsigned i = 0;

    while (i < G_N_ELEMENTS(limits) && len > limits[i]) {
        i++;
    }
    e1000_stat_inc(s, off64 + 4 * i);
}
