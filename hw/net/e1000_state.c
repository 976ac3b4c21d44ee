/* SPDX-License-Identifier: MIT */
/*
 * e1000 state for save/restore (hvmemu/state.h): PCI configuration, the
 * register file, the PHY, the EEPROM's serial interface, the last TX
 * context descriptor. What is not carried, and why:
 *  - a packet half-assembled from data descriptors (the guest moved TDT
 *    into the middle of one): its remaining descriptors are consumed and
 *    the packet dropped at EOP, as a frame lost on the wire;
 *  - the moderation timers: a delayed RX/TX interrupt that was pending
 *    is raised at once after the load (early, which moderation allows);
 *  - the link: the new backend's.
 * Register values go through the masks a guest write goes through, so a
 * state file cannot set bits a guest could not.
 */
#define G_LOG_DOMAIN E1000_LOG
#include "hw/net/e1000_int.h"

static void save_ctx(const e1000_tx_ctx *c, hv_state_out *o)
{
    hv_state_put_u8(o, c->ipcss);
    hv_state_put_u8(o, c->ipcso);
    hv_state_put_u16(o, c->ipcse);
    hv_state_put_u8(o, c->tucss);
    hv_state_put_u8(o, c->tucso);
    hv_state_put_u16(o, c->tucse);
    hv_state_put_u32(o, c->paylen);
    hv_state_put_u8(o, c->tucmd);
    hv_state_put_u8(o, c->hdrlen);
    hv_state_put_u16(o, c->mss);
}

static void load_ctx(e1000_tx_ctx *c, hv_state_in *in)
{
    c->ipcss = hv_state_u8(in);
    c->ipcso = hv_state_u8(in);
    c->ipcse = hv_state_u16(in);
    c->tucss = hv_state_u8(in);
    c->tucso = hv_state_u8(in);
    c->tucse = hv_state_u16(in);
    c->paylen = hv_state_u32(in);
    c->tucmd = hv_state_u8(in);
    c->hdrlen = hv_state_u8(in);
    c->mss = hv_state_u16(in);
}

/* The register file (128 KiB), little-endian u32s: one copy where the
 * host is little-endian, not 32768 calls (the fuzz-state target loads
 * thousands of states a second). */
static void put_regs(const e1000 *s, hv_state_out *o)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    hv_state_put_bytes(o, s->regs, sizeof(s->regs));
#else
    for (unsigned i = 0; i < G_N_ELEMENTS(s->regs); i++) {
        hv_state_put_u32(o, s->regs[i]);
    }
#endif
}

static void get_regs(e1000 *s, hv_state_in *in)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    hv_state_bytes(in, s->regs, sizeof(s->regs));
#else
    for (unsigned i = 0; i < G_N_ELEMENTS(s->regs); i++) {
        s->regs[i] = hv_state_u32(in);
    }
#endif
}

void e1000_state_save(hv_device *dev, hv_state_out *o)
{
    e1000 *s = (e1000 *)dev;

    hv_state_put_bytes(o, s->mac, sizeof(s->mac));
    hv_pci_state_save(&s->pci, o);
    hv_state_put_u32(o, s->ioaddr);
    hv_state_put_u32(o, s->ee.eecd);
    hv_state_put_u32(o, s->ee.bits);
    hv_state_put_u32(o, s->ee.in);
    hv_state_put_bool(o, s->ee.reading);
    hv_state_put_u32(o, s->ee.addr);
    hv_state_put_u32(o, (uint32_t)s->ee.out_pos);
    for (unsigned i = 0; i < E1000_PHY_REGS; i++) {
        hv_state_put_u16(o, s->phy[i]);
    }
    save_ctx(&s->tx.ctx, o);
    hv_state_put_bool(o, s->tx.in_packet);
    hv_state_put_bool(o, s->rdtr_timer && (hv_timer_armed(s->rdtr_timer) ||
                                           hv_timer_armed(s->radv_timer)));
    hv_state_put_bool(o, s->tidv_timer && (hv_timer_armed(s->tidv_timer) ||
                                           hv_timer_armed(s->tadv_timer)));
    put_regs(s, o);
}

/* The MAC: the configured one must match; a random one (no mac= given)
 * becomes the saved one, since that is the NIC the guest knows. */
static bool load_mac(e1000 *s, hv_state_in *in, GError **err)
{
    uint8_t mac[6];

    hv_state_bytes(in, mac, sizeof(mac));
    if (!memcmp(mac, s->mac, sizeof(mac))) {
        return true;
    }
    if (!s->mac_random) {
        return hv_state_fail(in, err, "the state has MAC "
                             "%02x:%02x:%02x:%02x:%02x:%02x, this "
                             "configuration %02x:%02x:%02x:%02x:%02x:%02x",
                             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                             s->mac[0], s->mac[1], s->mac[2], s->mac[3],
                             s->mac[4], s->mac[5]);
    }
    memcpy(s->mac, mac, sizeof(mac));
    e1000_eeprom_init(s);
    return true;
}

bool e1000_state_load(hv_device *dev, hv_state_in *in, GError **err)
{
    e1000 *s = (e1000 *)dev;
    bool absent, rx_delay, tx_delay, partial;

    if (!load_mac(s, in, err) ||
        !hv_pci_state_load(&s->pci, in, &absent, err)) {
        return false;
    }
    s->ioaddr = hv_state_u32(in) & (E1000_MMIO_SIZE - 4);
    s->ee.eecd = hv_state_u32(in) & (E1000_EECD_SK | E1000_EECD_CS |
                                     E1000_EECD_DI | E1000_EECD_FWE |
                                     E1000_EECD_REQ);
    s->ee.bits = hv_state_u32(in);
    s->ee.in = hv_state_u32(in);
    s->ee.reading = hv_state_bool(in);
    s->ee.addr = hv_state_u32(in) % E1000_EEPROM_WORDS;
    s->ee.out_pos = (int)hv_state_u32(in);
    for (unsigned i = 0; i < E1000_PHY_REGS; i++) {
        s->phy[i] = hv_state_u16(in);
    }
    load_ctx(&s->tx.ctx, in);
    partial = hv_state_bool(in);
    rx_delay = hv_state_bool(in);
    tx_delay = hv_state_bool(in);
    get_regs(s, in);
    if (in->short_read) {
        return hv_state_fail(in, err, "short e1000 state");
    }
    if (!hv_state_check(in, s->ee.bits <= 32 && s->ee.out_pos >= -1 &&
                        s->ee.out_pos < E1000_EEPROM_WORDS * 16, err,
                        "EEPROM interface")) {
        return false;
    }
    e1000_regs_sanitize(s);
    e1000_phy_set_link(s, s->link_up);
    if (partial) {
        s->tx.in_packet = true;     /* the rest is dropped at its EOP */
        s->tx.bad = true;
    }
    if (absent) {
        /* The guest's PV drivers took this NIC over before the save. */
        hv_unplug_request(s->unplug_slot, HV_UNPLUG_BY_PROTOCOL,
                          "unplugged in the restored state");
        return true;
    }
    s->irq_level = 0;
    if (rx_delay) {
        E1000_REG(s, E1000_ICR) |= E1000_ICR_RXT0;
    }
    if (tx_delay) {
        E1000_REG(s, E1000_ICR) |= E1000_ICR_TXDW;
    }
    e1000_update_irq(s);
    return true;
}
