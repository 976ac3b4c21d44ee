/* SPDX-License-Identifier: MIT */
/*
 * Intel 82540EM Gigabit Ethernet controller ("e1000", xl's default
 * emulated NIC): the PCI function, options, reset and the backend glue.
 * Registers are in e1000_mmio.c, interrupts in e1000_intr.c, the rings in
 * e1000_tx.c / e1000_rx.c; docs/e1000.md is the user-facing description.
 *
 * Options (xl vif syntax plus the backend choice, see docs/e1000.md):
 *   mac=00:16:3e:xx:xx:xx  model=e1000  addr=00:04.0  type=ioemu
 *   backend=user|tap|socket|none  bridge=  ifname=/vifname=  vnet_hdr=
 *   restrict=  socket=  capture=
 */
#define G_LOG_DOMAIN E1000_LOG
#include "hw/net/e1000_int.h"

#define E1000_FIRST_SLOT 4  /* QEMU/xl: 1 PIIX, 2 VGA, 3 xen-platform */

bool e1000_dma_ok(const e1000 *s)
{
    return hv_pci_bus_master(&s->pci);
}

static void load_mac_filter(e1000 *s)
{
    /* RAL0/RAH0 are loaded from the EEPROM at reset (13.5.2). */
    E1000_REG(s, E1000_RA) = e1000_le32(s->mac);
    E1000_REG(s, E1000_RA + 4) = e1000_le16(s->mac + 4) | E1000_RAH_AV;
}

/* Software/hardware reset: registers to their SDM 13.4 defaults. */
void e1000_reset_regs(e1000 *s)
{
    memset(s->regs, 0, sizeof(s->regs));
    E1000_REG(s, E1000_CTRL) = E1000_CTRL_FD | E1000_CTRL_ASDE |
                               E1000_CTRL_SLU | E1000_CTRL_SPD_1000;
    E1000_REG(s, E1000_VET) = 0x8100;       /* 802.1Q */
    E1000_REG(s, E1000_LEDCTL) = 0x07068302;
    E1000_REG(s, E1000_PBA) = 0x00000030;   /* 48 KiB RX, 16 KiB TX */
    E1000_REG(s, E1000_RXCSUM) = E1000_RXCSUM_IPOFLD | E1000_RXCSUM_TUOFLD;
    E1000_REG(s, E1000_TIPG) = 0x00602008;
    load_mac_filter(s);
    e1000_intr_reset(s);
    e1000_eeprom_reset(s);
    e1000_phy_reset(s);
    e1000_tx_reset(s);
}

static void e1000_set_link(void *opaque, bool up)
{
    e1000 *s = opaque;

    if (up == s->link_up) {
        return;
    }
    s->link_up = up;
    e1000_phy_set_link(s, up);
    e1000_set_ics(s, E1000_ICR_LSC);
}

static const hv_net_client_ops e1000_net_ops = {
    .receive = e1000_rx_receive,
    .can_receive = e1000_rx_can_receive,
    .link_changed = e1000_set_link,
};

/* Bus mastering switched on: queued work may proceed. */
static void e1000_config_written(hv_pci_dev *pd, unsigned reg, unsigned size,
                                 uint32_t val)
{
    e1000 *s = (e1000 *)((char *)pd - offsetof(e1000, pci));

    if (reg <= PCI_COMMAND && reg + size > PCI_COMMAND && e1000_dma_ok(s)) {
        e1000_tx_kick(s);
        if (s->net && e1000_rx_can_receive(s)) {
            hv_net_resume(s->net);
        }
    }
}

/* Unplugged (the protocol's NIC bit): the function leaves the bus and the
 * backend is detached, so no frame reaches or leaves a device the guest no
 * longer sees. Timers may still fire; INTx of an absent function stays
 * low (hv_pci_unplug). */
static void e1000_unplug(void *opaque)
{
    e1000 *s = opaque;

    hv_pci_unplug(&s->pci);
    hv_net_get_stats(s->net, &s->net_stats);
    hv_net_close(s->net);
    s->net = NULL;
    hv_unplug_done(s->unplug_slot);
}

static void e1000_unplug_register(e1000 *s)
{
    char name[32];
    hv_unplug_desc desc = {
        .kind = HV_UNPLUG_NIC,
        .name = name,
        .unplug = e1000_unplug,
        .opaque = s,
    };

    /* The device id is assigned after create; the slot is unique. */
    g_snprintf(name, sizeof(name), "e1000@%02x:%02x.%x",
               HV_SBDF_BUS(s->pci.sbdf), HV_SBDF_DEV(s->pci.sbdf),
               HV_SBDF_FN(s->pci.sbdf));

    s->unplug_slot = hv_unplug_register(s->dev.ctx, &desc);
}

static bool parse_identity(e1000 *s, hv_opts *opts, GError **err)
{
    const char *model = hv_opts_str(opts, "model", "e1000");
    const char *type = hv_opts_str(opts, "type", "ioemu");
    const char *mac = hv_opts_str(opts, "mac", NULL);

    if (!g_str_equal(model, "e1000") && !g_str_equal(model, "82540em")) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "model=%s: hvmemu emulates only model=e1000 (82540EM)",
                    model);
        return false;
    }
    if (!g_str_equal(type, "ioemu") && !g_str_equal(type, "vif")) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "type=%s: expected ioemu or vif", type);
        return false;
    }
    if (!mac) {
        hv_net_random_mac(s->mac);
        s->mac_random = true;
        return true;
    }
    return hv_net_parse_mac(mac, s->mac, err);
}

/* addr= given: that slot. Otherwise the first free slot from 00:04.0. */
static bool init_pci(e1000 *s, hv_ctx *ctx, hv_opts *opts, GError **err)
{
    const char *addr = hv_opts_str(opts, "addr", NULL);
    uint32_t sbdf;

    if (addr) {
        return hv_pci_parse_addr(addr, &sbdf, err) &&
               hv_pci_init(&s->pci, ctx, sbdf, E1000_VENDOR_INTEL,
                           E1000_DEV_ID_82540EM, E1000_CLASS_ETHERNET,
                           E1000_REVISION, "e1000", err);
    }
    for (unsigned slot = E1000_FIRST_SLOT; slot < 32; slot++) {
        GError *busy = NULL;

        if (hv_pci_init(&s->pci, ctx, HV_SBDF(0, 0, slot, 0),
                        E1000_VENDOR_INTEL, E1000_DEV_ID_82540EM,
                        E1000_CLASS_ETHERNET, E1000_REVISION, "e1000",
                        &busy)) {
            return true;
        }
        g_clear_error(&busy);
    }
    g_set_error(err, HV_ERROR, HV_ERROR_BUSY, "no free PCI slot on bus 0");
    return false;
}

static bool init_bars(e1000 *s, GError **err)
{
    hv_pci_set_word(&s->pci, PCI_SUBSYSTEM_VENDOR_ID, E1000_VENDOR_INTEL);
    hv_pci_set_word(&s->pci, PCI_SUBSYSTEM_ID, E1000_SUBSYS_ID);
    hv_pci_set_intx_pin(&s->pci, 1);    /* INTA# */
    s->pci.config_written = e1000_config_written;
    return hv_pci_set_bar(&s->pci, 0, E1000_MMIO_SIZE, HV_PCI_BAR_MEM,
                          &e1000_mmio_ops, s, err) &&
           hv_pci_set_bar(&s->pci, 1, E1000_IO_SIZE, HV_PCI_BAR_IO,
                          &e1000_io_ops, s, err);
}

static hv_device *e1000_create(hv_ctx *ctx, hv_opts *opts, GError **err)
{
    e1000 *s = g_new0(e1000, 1);
    hv_loop *loop = hv_ctx_loop(ctx);

    s->dev.ctx = ctx;
    if (!parse_identity(s, opts, err)) {
        goto fail;
    }
    s->net = hv_net_open(loop, opts, err);
    if (!s->net) {
        goto fail;
    }
    if (!e1000_intr_init(s, loop)) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "e1000: cannot create timers");
        goto fail_net;
    }
    if (!init_pci(s, ctx, opts, err)) {
        goto fail_timers;
    }
    if (!init_bars(s, err)) {
        goto fail_pci;
    }
    s->link_up = hv_net_link_up(s->net);
    e1000_eeprom_init(s);
    e1000_reset_regs(s);
    hv_net_attach(s->net, &e1000_net_ops, s);
    e1000_unplug_register(s);
    g_info("%02x:%02x.%x mac %02x:%02x:%02x:%02x:%02x:%02x, %s",
           HV_SBDF_BUS(s->pci.sbdf), HV_SBDF_DEV(s->pci.sbdf),
           HV_SBDF_FN(s->pci.sbdf), s->mac[0], s->mac[1], s->mac[2],
           s->mac[3], s->mac[4], s->mac[5], hv_net_describe(s->net));
    return &s->dev;

fail_pci:
    hv_pci_fini(&s->pci);
fail_timers:
    e1000_intr_fini(s);
fail_net:
    hv_net_close(s->net);
fail:
    g_free(s);
    return NULL;
}

static void e1000_destroy(hv_device *dev)
{
    e1000 *s = (e1000 *)dev;
    hv_net_stats st = s->net_stats;

    /* One line for the admin's log: what crossed the backend, and what
     * it refused (a full or down host side drops, as a wire would). */
    if (s->net) {
        hv_net_get_stats(s->net, &st);
    }
    g_message("%02x:%02x.%x %s: sent %" G_GUINT64_FORMAT " frames/%"
              G_GUINT64_FORMAT " B (%" G_GUINT64_FORMAT " dropped), received %"
              G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " B (%" G_GUINT64_FORMAT
              " dropped)", HV_SBDF_BUS(s->pci.sbdf), HV_SBDF_DEV(s->pci.sbdf),
              HV_SBDF_FN(s->pci.sbdf),
              s->net ? hv_net_describe(s->net) : "unplugged", st.tx_frames,
              st.tx_bytes, st.tx_dropped, st.rx_frames, st.rx_bytes,
              st.rx_dropped);
    hv_unplug_unregister(s->unplug_slot);
    if (s->net) {
        hv_net_close(s->net);   /* no more callbacks into us */
    }
    e1000_intr_fini(s);
    hv_pci_fini(&s->pci);
    g_free(s);
}

static void e1000_reset(hv_device *dev)
{
    e1000 *s = (e1000 *)dev;

    hv_pci_reset(&s->pci);
    s->ioaddr = 0;
    e1000_reset_regs(s);
}

const hv_device_class e1000_class = {
    .name = "e1000",
    .description = "Intel 82540EM gigabit Ethernet (PCI 8086:100e)",
    .options_help =
        "mac=MAC          00:16:3e:xx:xx:xx (default: random in 00:16:3e)\n"
        "model=e1000      the only model emulated\n"
        "addr=BB:DD.F     PCI address (default: first free from 00:04.0)\n"
        "backend=KIND     user (default), tap (default with bridge=), "
        "socket, none\n"
        "bridge=BR        tap: add the tap to bridge BR\n"
        "ifname=NAME      tap: interface name (alias vifname=)\n"
        "vnet_hdr=on|off  tap: use IFF_VNET_HDR (default off)\n"
        "restrict=on|off  user: guest reaches only the virtual host\n"
        "socket=SPEC      udp:HOST:PORT[:LPORT] | unix:LOCAL[:PEER] | fd:N\n"
        "capture=FILE     write every frame to a pcap file",
    .create = e1000_create,
    .destroy = e1000_destroy,
    .state_version = 1,
    /* no state_busy: frames move synchronously, nothing is in flight */
    .state_save = e1000_state_save,
    .state_load = e1000_state_load,
    .reset = e1000_reset,
};
