/* SPDX-License-Identifier: MIT */
/*
 * e1000 device state shared by the files of hw/net/: e1000.c (PCI,
 * registers, interrupts), e1000_eeprom.c, e1000_phy.c, e1000_tx.c,
 * e1000_rx.c, e1000_csum.c. Not public API.
 */
#ifndef HW_NET_E1000_INT_H
#define HW_NET_E1000_INT_H

#include <string.h>

#include "hvmemu/device.h"
#include "hvmemu/net.h"
#include "hvmemu/pci.h"
#include "hvmemu/unplug.h"
#include "hw/net/e1000_regs.h"

#define E1000_LOG "e1000"

/* Largest non-TSO frame we assemble; longer ones are dropped (3.3.1:
 * jumbo frames up to 16 KiB, we allow a little more). */
#define E1000_TX_MAX_FRAME  (HV_NET_MAX_FRAME - 4)
/* Receive: LPE allows 16384-byte frames (incl. FCS) (13.4.22). */
#define E1000_RX_MAX_LPE    16384
#define E1000_RX_MAX_STD    1522        /* 1518 + 802.1Q tag */
#define E1000_MIN_FRAME     60          /* 64 minus FCS */

/* Offload parameters from the last context descriptor (3.3.6). */
typedef struct e1000_tx_ctx {
    uint8_t ipcss, ipcso;
    uint16_t ipcse;
    uint8_t tucss, tucso;
    uint16_t tucse;
    uint32_t paylen;
    uint8_t tucmd;
    uint8_t hdrlen;
    uint16_t mss;
} e1000_tx_ctx;

/* The packet being assembled from data descriptors. */
typedef struct e1000_tx {
    e1000_tx_ctx ctx;   /* last context descriptor */
    e1000_tx_ctx pctx;  /* snapshot used by the current packet */
    bool in_packet;
    bool bad;           /* unreadable data / invalid TSO: drop at EOP */
    bool tse;           /* TCP segmentation for this packet */
    bool gso;           /* ... left to the backend (hv_net_send_offload) */
    bool legacy;
    uint8_t popts;      /* POPTS of the first data descriptor */
    uint8_t cso, css;   /* legacy checksum offsets, IC */
    bool ic;
    bool vle;           /* insert a VLAN tag ... */
    uint16_t special;   /* ... with this TCI */
    uint32_t total;     /* bytes consumed for this packet */
    uint32_t segs;      /* TSO segments sent */
    uint32_t tso_sent;  /* TSO payload bytes sent */
    size_t len;         /* bytes in buf */
    uint8_t hdr[256];   /* TSO: the original headers (HDRLEN <= 255) */
    uint8_t buf[HV_NET_MAX_FRAME];
} e1000_tx;

typedef struct e1000_eeprom {
    uint16_t data[E1000_EEPROM_WORDS];
    uint32_t eecd;      /* what the guest wrote: SK, CS, DI, FWE, REQ */
    unsigned bits;      /* command bits shifted in since CS rose */
    uint32_t in;
    bool reading;
    unsigned addr;
    int out_pos;        /* data bit being shifted out, -1 = dummy 0 */
} e1000_eeprom;

typedef struct e1000 {
    hv_device dev;
    hv_pci_dev pci;
    hv_net *net;            /* NULL once unplugged */
    hv_net_stats net_stats; /* the backend's counters when it was closed */
    hv_unplug_slot *unplug_slot;
    uint8_t mac[6];
    bool mac_random;        /* no mac= given: a restore adopts the saved */
    bool link_up;
    unsigned irq_level;
    uint32_t ioaddr;
    e1000_eeprom ee;
    uint16_t phy[E1000_PHY_REGS];
    /* Interrupt moderation (13.4.18, 13.4.29-30, 13.4.42-44). */
    hv_timer *itr_timer, *rdtr_timer, *radv_timer, *tidv_timer, *tadv_timer;
    uint64_t last_irq_ns;
    e1000_tx tx;
    uint8_t rx_buf[HV_NET_MAX_FRAME + 8];
    uint32_t regs[E1000_MMIO_SIZE / 4];
} e1000;

#define E1000_REG(s, off) ((s)->regs[(off) >> 2])

/* e1000_intr.c: interrupts, moderation timers, statistics */
void e1000_set_ics(e1000 *s, uint32_t causes);
void e1000_update_irq(e1000 *s);
void e1000_rx_interrupt(e1000 *s);
void e1000_tx_interrupt(e1000 *s, bool delay);
void e1000_rx_flush_delay(e1000 *s);
bool e1000_intr_init(e1000 *s, hv_loop *loop);
void e1000_intr_reset(e1000 *s);
void e1000_intr_fini(e1000 *s);
void e1000_stat_inc(e1000 *s, unsigned off);
void e1000_stat_add64(e1000 *s, unsigned off_lo, uint64_t v);
void e1000_stat_size(e1000 *s, unsigned off64, size_t len);

/* e1000.c */
bool e1000_dma_ok(const e1000 *s);
void e1000_reset_regs(e1000 *s);

/* e1000_mmio.c: the register file */
uint32_t e1000_reg_read(e1000 *s, unsigned off);
void e1000_reg_write(e1000 *s, unsigned off, uint32_t val);
extern const hv_region_ops e1000_mmio_ops;
extern const hv_region_ops e1000_io_ops;

/* e1000_state.c: save/restore (hvmemu/state.h) */
void e1000_state_save(hv_device *dev, hv_state_out *o);
bool e1000_state_load(hv_device *dev, hv_state_in *in, GError **err);
/* e1000_mmio.c: every register through the mask a guest write has. */
void e1000_regs_sanitize(e1000 *s);

/* e1000_eeprom.c */
void e1000_eeprom_init(e1000 *s);
void e1000_eeprom_reset(e1000 *s);
uint32_t e1000_eecd_read(e1000 *s);
void e1000_eecd_write(e1000 *s, uint32_t val);
void e1000_eerd_write(e1000 *s, uint32_t val);

/* e1000_phy.c */
void e1000_phy_reset(e1000 *s);
void e1000_phy_set_link(e1000 *s, bool up);
void e1000_mdic_write(e1000 *s, uint32_t val);

/* e1000_tx.c */
void e1000_tx_kick(e1000 *s);
void e1000_tx_reset(e1000 *s);

/* e1000_rx.c */
bool e1000_rx_can_receive(void *opaque);
void e1000_rx_receive(void *opaque, const struct iovec *iov, int iovcnt);

/* e1000_csum.c: Internet checksum (RFC 1071) and Ethernet FCS. */
uint32_t e1000_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t e1000_csum_fold(uint32_t sum);
uint32_t e1000_crc32(const uint8_t *p, size_t len);
static inline uint16_t e1000_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline void e1000_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}
static inline uint32_t e1000_le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint16_t e1000_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

#endif
