/* SPDX-License-Identifier: MIT */
/*
 * The register file: BAR0 (memory, 32-bit accesses) and the BAR1 I/O
 * window (IOADDR selects a register, IODATA reads/writes it; SDM 13.1.1).
 * Registers without side effects are plain storage, masked to their
 * defined width; unknown offsets read 0 and ignore writes (SDM 13.1:
 * reserved registers).
 */
#define G_LOG_DOMAIN E1000_LOG
#include "hw/net/e1000_int.h"
#include "hw/core/probes.h"

/* Plain read/write registers and the bits they hold. */
static bool plain_reg(unsigned off, uint32_t *mask)
{
    *mask = 0xffffffffu;
    switch (off) {
    case E1000_RDLEN:
    case E1000_TDLEN:
        *mask = 0x000fff80u;    /* 128-byte multiples, 20 bits */
        return true;
    case E1000_RDBAL:
    case E1000_TDBAL:
        *mask = ~0xfu;          /* 16-byte aligned */
        return true;
    case E1000_VET:
    case E1000_ITR:
    case E1000_RADV:
    case E1000_TIDV:
    case E1000_TADV:
    case E1000_RSRPD:
        *mask = 0xffffu;
        return true;
    case E1000_CTRL_EXT: case E1000_FLA: case E1000_FCAL: case E1000_FCAH:
    case E1000_FCT: case E1000_FCTTV: case E1000_TXCW: case E1000_RXCW:
    case E1000_TIPG: case E1000_AIFS: case E1000_LEDCTL: case E1000_PBA:
    case E1000_FCRTL: case E1000_FCRTH: case E1000_RDBAH: case E1000_RXDCTL:
    case E1000_TXDMAC: case E1000_TDBAH: case E1000_TXDCTL: case E1000_TSPMT:
    case E1000_RXCSUM: case E1000_WUC: case E1000_WUFC: case E1000_WUS:
    case E1000_MANC: case E1000_IPAV:
        return true;
    }
    return (off >= E1000_MTA && off < E1000_MTA_END) ||
           (off >= E1000_RA && off < E1000_RA_END) ||
           (off >= E1000_VFTA && off < E1000_VFTA_END) ||
           (off >= E1000_IP4AT && off < E1000_IP4AT + 0x20) ||
           (off >= E1000_IP6AT && off < E1000_IP6AT + 0x10) ||
           (off >= E1000_WUPM && off < E1000_WUPM + 0x80) ||
           (off >= E1000_FFLT && off < E1000_FFLT + 0x20) ||
           (off >= E1000_FFMT && off < E1000_FFMT + 0x400) ||
           (off >= E1000_FFVT && off < E1000_FFVT + 0x400);
}

static uint32_t status_read(e1000 *s)
{
    uint32_t v = E1000_STATUS_FD | E1000_STATUS_SPEED_1000 |
                 E1000_STATUS_ASDV_1000;

    return v | (s->link_up ? E1000_STATUS_LU : 0);
}

/* Statistics clear on read (13.7); reading the high half of a 64-bit
 * counter clears both halves, the low half is read first by drivers. */
static uint32_t stat_read(e1000 *s, unsigned off)
{
    uint32_t v = E1000_REG(s, off);

    switch (off) {
    case E1000_GORCL: case E1000_GOTCL: case E1000_TORL: case E1000_TOTL:
        return v;
    case E1000_GORCH: case E1000_GOTCH: case E1000_TORH: case E1000_TOTH:
        E1000_REG(s, off - 4) = 0;
        break;
    }
    E1000_REG(s, off) = 0;
    return v;
}

uint32_t e1000_reg_read(e1000 *s, unsigned off)
{
    uint32_t v, mask;

    switch (off) {
    case E1000_STATUS:
        return status_read(s);
    case E1000_EECD:
        return e1000_eecd_read(s);
    case E1000_ICR:
        /* Read-to-clear (13.4.17); the line drops with it. */
        v = E1000_REG(s, E1000_ICR);
        E1000_REG(s, E1000_ICR) = 0;
        e1000_update_irq(s);
        return v;
    case E1000_ICS:
    case E1000_IMC:
        return 0;   /* write-only */
    case E1000_CTRL: case E1000_EERD: case E1000_MDIC: case E1000_IMS:
    case E1000_RCTL: case E1000_TCTL: case E1000_RDH: case E1000_RDT:
    case E1000_TDH: case E1000_TDT: case E1000_RDTR:
        return E1000_REG(s, off);
    }
    if (off >= E1000_STATS && off < E1000_STATS_END) {
        return stat_read(s, off);
    }
    if (plain_reg(off, &mask)) {
        return E1000_REG(s, off);
    }
    g_debug("read of unknown register 0x%05x", off);
    return 0;
}

static void ctrl_write(e1000 *s, uint32_t val)
{
    uint32_t old = E1000_REG(s, E1000_CTRL);

    if (val & E1000_CTRL_RST) {
        e1000_reset_regs(s);    /* self-clearing: RST reads back 0 */
        return;
    }
    if ((val & E1000_CTRL_PHY_RST) && !(old & E1000_CTRL_PHY_RST)) {
        e1000_phy_reset(s);
    }
    E1000_REG(s, E1000_CTRL) = val;
}

/* Writes that may let a stalled queue move again. */
static void rx_kick(e1000 *s)
{
    if (s->net && e1000_rx_can_receive(s)) {
        hv_net_resume(s->net);
    }
}

static bool special_write(e1000 *s, unsigned off, uint32_t val)
{
    switch (off) {
    case E1000_CTRL:
        ctrl_write(s, val);
        return true;
    case E1000_EECD:
        e1000_eecd_write(s, val);
        return true;
    case E1000_EERD:
        e1000_eerd_write(s, val);
        return true;
    case E1000_MDIC:
        e1000_mdic_write(s, val);
        return true;
    case E1000_ICR:     /* write 1 to clear */
        E1000_REG(s, E1000_ICR) &= ~val;
        e1000_update_irq(s);
        return true;
    case E1000_ICS:
        e1000_set_ics(s, val);
        return true;
    case E1000_IMS:
        E1000_REG(s, E1000_IMS) |= val & E1000_ICR_VALID;
        e1000_update_irq(s);
        return true;
    case E1000_IMC:
        E1000_REG(s, E1000_IMS) &= ~val;
        e1000_update_irq(s);
        return true;
    }
    return false;
}

static bool queue_write(e1000 *s, unsigned off, uint32_t val)
{
    switch (off) {
    case E1000_RCTL:
        E1000_REG(s, off) = val;
        rx_kick(s);
        return true;
    case E1000_TDH:
        E1000_REG(s, off) = val & 0xffff;
        return true;
    case E1000_RDH:
    case E1000_RDT:
        E1000_REG(s, off) = val & 0xffff;
        rx_kick(s);
        return true;
    case E1000_RDLEN:
        E1000_REG(s, off) = val & 0x000fff80u;
        rx_kick(s);
        return true;
    case E1000_RDTR:
        E1000_REG(s, off) = val & 0xffff;
        if (val & (1u << 31)) {     /* FPD: flush partial descriptor */
            e1000_rx_flush_delay(s);
        }
        return true;
    case E1000_TDT:
        E1000_REG(s, off) = val & 0xffff;
        HV_PROBE1(e1000__tx_doorbell, val & 0xffff);
        hv_ctx_cycle_begin(s->pci.ctx, s, "e1000 tx doorbell", false);
        e1000_tx_kick(s);
        return true;
    case E1000_TCTL:
        E1000_REG(s, off) = val;
        e1000_tx_kick(s);
        return true;
    }
    return false;
}

void e1000_reg_write(e1000 *s, unsigned off, uint32_t val)
{
    uint32_t mask;

    if (special_write(s, off, val) || queue_write(s, off, val)) {
        return;
    }
    if (plain_reg(off, &mask)) {
        E1000_REG(s, off) = val & mask;
        return;
    }
    /* STATUS, statistics and unknown registers are read-only. */
    g_debug("write 0x%08x to read-only/unknown register 0x%05x", val, off);
}

/* What a guest write can leave in the register at @off. */
static uint32_t reg_mask(unsigned off)
{
    uint32_t mask;

    switch (off) {
    case E1000_CTRL:
        return ~(E1000_CTRL_RST | E1000_CTRL_PHY_RST);
    case E1000_ICR: case E1000_IMS:
        return E1000_ICR_VALID;
    case E1000_RDH: case E1000_RDT: case E1000_TDH: case E1000_TDT:
    case E1000_RDTR:
        return 0xffff;
    case E1000_EERD: case E1000_MDIC: case E1000_RCTL: case E1000_TCTL:
        return 0xffffffffu;
    }
    if (off >= E1000_STATS && off < E1000_STATS_END) {
        return 0xffffffffu;
    }
    if (!plain_reg(off, &mask)) {
        return 0;   /* read-only or unknown: nothing stored */
    }
    return mask;
}

/* A register that holds bits, and which. */
typedef struct reg_keep {
    unsigned index;
    uint32_t mask;
} reg_keep;

/* Computed once: the registers that hold anything are under 1000 of the
 * 32768 a load masks, and the fuzz-state target loads thousands of states
 * a second (a switch per register was most of its time). */
void e1000_regs_sanitize(e1000 *s)
{
    static reg_keep *keep;
    static unsigned nkeep;
    static gsize done;
    unsigned next = 0;

    if (g_once_init_enter(&done)) {
        keep = g_new(reg_keep, G_N_ELEMENTS(s->regs));
        for (unsigned i = 0; i < G_N_ELEMENTS(s->regs); i++) {
            uint32_t mask = reg_mask(i * 4);

            if (mask) {
                keep[nkeep++] = (reg_keep){ i, mask };
            }
        }
        keep = g_renew(reg_keep, keep, nkeep);
        g_once_init_leave(&done, 1);
    }
    /* The rest reads 0 and ignores writes: zeros. */
    for (unsigned k = 0; k < nkeep; k++) {
        memset(&s->regs[next], 0, (keep[k].index - next) * sizeof(s->regs[0]));
        s->regs[keep[k].index] &= keep[k].mask;
        next = keep[k].index + 1;
    }
    memset(&s->regs[next], 0,
           (G_N_ELEMENTS(s->regs) - next) * sizeof(s->regs[0]));
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    return e1000_reg_read(opaque, (unsigned)off & ~3u);
}

static void mmio_write(void *opaque, uint64_t off, unsigned size,
                       uint64_t val)
{
    e1000_reg_write(opaque, (unsigned)off & ~3u, (uint32_t)val);
}

const hv_region_ops e1000_mmio_ops = {
    .read = mmio_read, .write = mmio_write, .min_size = 4, .max_size = 4,
};

static bool ioaddr_valid(const e1000 *s)
{
    return s->ioaddr < E1000_MMIO_SIZE;
}

static uint64_t io_read(void *opaque, uint64_t off, unsigned size)
{
    e1000 *s = opaque;

    switch (off) {
    case E1000_IOADDR:
        return s->ioaddr;
    case E1000_IODATA:
        return ioaddr_valid(s) ? e1000_reg_read(s, s->ioaddr & ~3u) : 0;
    }
    return 0;   /* reserved */
}

static void io_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    e1000 *s = opaque;

    switch (off) {
    case E1000_IOADDR:
        s->ioaddr = (uint32_t)val;
        break;
    case E1000_IODATA:
        if (ioaddr_valid(s)) {
            e1000_reg_write(s, s->ioaddr & ~3u, (uint32_t)val);
        }
        break;
    }
}

const hv_region_ops e1000_io_ops = {
    .read = io_read, .write = io_write, .min_size = 4, .max_size = 4,
};
