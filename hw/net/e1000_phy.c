/* SPDX-License-Identifier: MIT */
/*
 * The 82540EM's internal copper PHY, a Marvell M88E1011, reached through
 * MDIC (SDM 13.4.7) at PHY address 1. The link is up at 1000 Mb/s full
 * duplex whenever the backend link is; auto-negotiation completes at once.
 */
#include "hw/net/e1000_int.h"

#define M88E1011_ID1    0x0141
#define M88E1011_ID2    0x0c20  /* model 0x02, revision 0 (M88E1011_I) */

static const uint16_t phy_defaults[E1000_PHY_REGS] = {
    [E1000_PHY_CTRL] = 0x1140,          /* AN enable, FD, 1000 Mb/s */
    [E1000_PHY_STATUS] = 0x796d,        /* caps, link, AN complete */
    [E1000_PHY_ID1] = M88E1011_ID1,
    [E1000_PHY_ID2] = M88E1011_ID2,
    [E1000_PHY_AUTONEG_ADV] = 0x0de1,   /* 10/100 HD/FD + pause */
    [E1000_PHY_LP_ABILITY] = 0x45e1,    /* partner: same, ACK */
    [E1000_PHY_AUTONEG_EXP] = 0x000f,
    [E1000_PHY_1000T_CTRL] = 0x0e00,    /* advertise 1000 HD/FD */
    [E1000_PHY_1000T_STATUS] = 0x3c00,  /* partner 1000 FD/HD, rx OK */
    [E1000_PHY_EXT_STATUS] = 0x3000,    /* 1000BASE-T FD/HD capable */
    [E1000_PHY_SPEC_CTRL] = 0x0068,
    [E1000_PHY_SPEC_STATUS] = 0xac00,   /* 1000, FD, resolved, link */
};

/* Registers the guest cannot change (status and identification). */
static bool phy_reg_ro(unsigned reg)
{
    switch (reg) {
    case E1000_PHY_STATUS:
    case E1000_PHY_ID1:
    case E1000_PHY_ID2:
    case E1000_PHY_LP_ABILITY:
    case E1000_PHY_AUTONEG_EXP:
    case E1000_PHY_1000T_STATUS:
    case E1000_PHY_EXT_STATUS:
    case E1000_PHY_SPEC_STATUS:
        return true;
    }
    return false;
}

void e1000_phy_set_link(e1000 *s, bool up)
{
    uint16_t st = E1000_MII_SR_LINK_STATUS | E1000_MII_SR_AUTONEG_DONE;

    if (up) {
        s->phy[E1000_PHY_STATUS] |= st;
        s->phy[E1000_PHY_SPEC_STATUS] |= E1000_M88_PSSR_LINK;
    } else {
        s->phy[E1000_PHY_STATUS] &= (uint16_t)~st;
        s->phy[E1000_PHY_SPEC_STATUS] &= (uint16_t)~E1000_M88_PSSR_LINK;
    }
}

void e1000_phy_reset(e1000 *s)
{
    memcpy(s->phy, phy_defaults, sizeof(s->phy));
    e1000_phy_set_link(s, s->link_up);
}

static void phy_write(e1000 *s, unsigned reg, uint16_t val)
{
    if (phy_reg_ro(reg)) {
        return;
    }
    if (reg == E1000_PHY_CTRL && (val & E1000_MII_CR_RESET)) {
        e1000_phy_reset(s);     /* self-clearing, back to defaults */
        return;
    }
    /* Restarting auto-negotiation completes at once (self-clearing). */
    if (reg == E1000_PHY_CTRL) {
        val &= (uint16_t)~E1000_MII_CR_RESTART_AN;
    }
    s->phy[reg] = val;
}

void e1000_mdic_write(e1000 *s, uint32_t val)
{
    unsigned phy = (val >> E1000_MDIC_PHY_SHIFT) & 0x1f;
    unsigned reg = (val >> E1000_MDIC_REG_SHIFT) & 0x1f;
    uint32_t op = val & (3u << 26);

    val &= ~(E1000_MDIC_READY | E1000_MDIC_ERROR);
    if (phy != E1000_PHY_ADDR ||
        (op != E1000_MDIC_OP_READ && op != E1000_MDIC_OP_WRITE)) {
        val |= E1000_MDIC_ERROR;    /* no PHY answers there */
    } else if (op == E1000_MDIC_OP_READ) {
        val = (val & ~E1000_MDIC_DATA_MASK) | s->phy[reg];
    } else {
        phy_write(s, reg, val & E1000_MDIC_DATA_MASK);
    }
    /* The MDI cycle completes before the guest can poll. */
    E1000_REG(s, E1000_MDIC) = val | E1000_MDIC_READY;
    if (val & E1000_MDIC_INT_EN) {
        e1000_set_ics(s, E1000_ICR_MDAC);
    }
}
