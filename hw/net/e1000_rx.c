/* SPDX-License-Identifier: MIT */
/*
 * Receive: address filtering (SDM 3.2.1), VLAN filter/strip (9.3-9.4),
 * long packets (RCTL.LPE), checksum status (3.2.9), the descriptor ring
 * (3.2.3-3.2.6) and its interrupts (RXT0, RXDMT0, RXO, SRPD).
 *
 * A frame is written only when enough descriptors are free for all of it;
 * otherwise it is dropped and counted (MPC, RNBC, RXO) — but normally the
 * backend is asked to hold frames back (can_receive) until the guest
 * returns buffers. Work per frame is bounded by the descriptors it needs.
 */
#define G_LOG_DOMAIN E1000_LOG
#include "hw/net/e1000_int.h"
#include "hw/core/probes.h"

#define ETH_HLEN        14
#define ETH_P_IP        0x0800
#define ETH_P_IPV6      0x86dd
#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17

static unsigned rx_buf_size(uint32_t rctl)
{
    static const unsigned sizes[2][4] = {
        { 2048, 1024, 512, 256 },       /* BSEX = 0 */
        { 2048, 16384, 8192, 4096 },    /* BSEX = 1 (00b reserved) */
    };

    return sizes[!!(rctl & E1000_RCTL_BSEX)][(rctl >> E1000_RCTL_BSIZE_SHIFT)
                                             & 3];
}

static unsigned rx_ring_size(e1000 *s)
{
    return E1000_REG(s, E1000_RDLEN) / E1000_DESC_SIZE;
}

/* Descriptors owned by hardware: from RDH up to, not including, RDT. */
static unsigned rx_free(e1000 *s, unsigned n)
{
    unsigned h = E1000_REG(s, E1000_RDH), t = E1000_REG(s, E1000_RDT);

    if (!n || h >= n || t >= n) {
        return 0;
    }
    return (t + n - h) % n;
}

static size_t rx_max_frame(e1000 *s)
{
    return (E1000_REG(s, E1000_RCTL) & E1000_RCTL_LPE) ? E1000_RX_MAX_LPE
                                                       : E1000_RX_MAX_STD;
}

static unsigned rx_descs_needed(e1000 *s, size_t len)
{
    unsigned bs = rx_buf_size(E1000_REG(s, E1000_RCTL));

    return (unsigned)((len + bs - 1) / bs);
}

bool e1000_rx_can_receive(void *opaque)
{
    e1000 *s = opaque;
    unsigned n = rx_ring_size(s), need;

    if (!(E1000_REG(s, E1000_RCTL) & E1000_RCTL_EN) || !e1000_dma_ok(s) ||
        !s->link_up) {
        return false;
    }
    /* Room for the largest frame we might be handed; a ring too small
     * for it still gets what fits (then larger frames are dropped). */
    need = MIN(rx_descs_needed(s, rx_max_frame(s)), n ? n - 1 : 0);
    return rx_free(s, n) >= MAX(need, 1u);
}

/* Multicast hash: 12 bits of the address chosen by RCTL.MO (13.5.1). */
static bool mta_match(e1000 *s, const uint8_t *da)
{
    static const unsigned shift[4] = { 4, 3, 2, 0 };
    unsigned mo = (E1000_REG(s, E1000_RCTL) >> E1000_RCTL_MO_SHIFT) & 3;
    unsigned h = ((da[4] >> shift[mo]) | (da[5] << (8 - shift[mo]))) & 0xfff;

    return E1000_REG(s, E1000_MTA + 4 * (h >> 5)) & (1u << (h & 31));
}

static bool ra_match(e1000 *s, const uint8_t *da)
{
    for (unsigned i = 0; i < 16; i++) {
        uint32_t lo = E1000_REG(s, E1000_RA + 8 * i);
        uint32_t hi = E1000_REG(s, E1000_RA + 8 * i + 4);
        /* AV set, ASEL 00 = destination address */
        if ((hi & E1000_RAH_AV) && !(hi & (3u << 16)) &&
            e1000_le32(da) == lo && e1000_le16(da + 4) == (hi & 0xffff)) {
            return true;
        }
    }
    return false;
}

static bool rx_filter(e1000 *s, const uint8_t *da)
{
    uint32_t rctl = E1000_REG(s, E1000_RCTL);

    if (!memcmp(da, "\xff\xff\xff\xff\xff\xff", 6)) {
        return (rctl & (E1000_RCTL_BAM | E1000_RCTL_MPE)) || ra_match(s, da);
    }
    if (da[0] & 1) {
        return (rctl & E1000_RCTL_MPE) || ra_match(s, da) || mta_match(s, da);
    }
    return (rctl & E1000_RCTL_UPE) || ra_match(s, da);
}

static bool vlan_pass(e1000 *s, uint16_t tci)
{
    unsigned vid = tci & 0xfff;

    if (!(E1000_REG(s, E1000_RCTL) & E1000_RCTL_VFE)) {
        return true;
    }
    return E1000_REG(s, E1000_VFTA + 4 * (vid >> 5)) & (1u << (vid & 31));
}

/* Verify IPv4 header and TCP/UDP checksums (3.2.9, RXCSUM 13.4.47). */
static void rx_csum_ipv4(const uint8_t *ip, size_t len, uint8_t *status,
                         uint8_t *errors, uint32_t rxcsum)
{
    size_t ihl = (size_t)(ip[0] & 0xf) * 4, tot;
    uint32_t sum;

    if ((ip[0] >> 4) != 4 || ihl < 20 || ihl > len) {
        return;
    }
    if (rxcsum & E1000_RXCSUM_IPOFLD) {
        *status |= E1000_RXD_STAT_IPCS;
        if (e1000_csum_fold(e1000_csum_add(0, ip, ihl)) != 0) {
            *errors |= E1000_RXD_ERR_IPE;
        }
    }
    tot = e1000_be16(ip + 2);
    if (!(rxcsum & E1000_RXCSUM_TUOFLD) || tot < ihl || tot > len ||
        (e1000_be16(ip + 6) & 0x3fff) ||        /* fragment */
        (ip[9] != IPPROTO_TCP_ && ip[9] != IPPROTO_UDP_)) {
        return;
    }
    if (ip[9] == IPPROTO_UDP_ && tot - ihl >= 8 &&
        e1000_be16(ip + ihl + 6) == 0) {
        *status |= E1000_RXD_STAT_TCPCS;        /* no UDP checksum */
        return;
    }
    sum = e1000_csum_add(0, ip + 12, 8);        /* pseudo header */
    sum += ip[9] + (uint32_t)(tot - ihl);
    sum = e1000_csum_add(sum, ip + ihl, tot - ihl);
    *status |= E1000_RXD_STAT_TCPCS;
    if (e1000_csum_fold(sum) != 0) {
        *errors |= E1000_RXD_ERR_TCPE;
    }
}

static void rx_csum(e1000 *s, const uint8_t *f, size_t len, uint8_t *status,
                    uint8_t *errors)
{
    uint32_t rxcsum = E1000_REG(s, E1000_RXCSUM);

    if (len >= ETH_HLEN + 20 && e1000_be16(f + 12) == ETH_P_IP) {
        rx_csum_ipv4(f + ETH_HLEN, len - ETH_HLEN, status, errors, rxcsum);
    }
    if (!(*status & (E1000_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS))) {
        *status |= E1000_RXD_STAT_IXSM;         /* nothing checked */
    }
}

static void rx_stats(e1000 *s, const uint8_t *da, size_t wire)
{
    e1000_stat_inc(s, E1000_GPRC);
    e1000_stat_inc(s, E1000_TPR);
    e1000_stat_add64(s, E1000_GORCL, wire);
    e1000_stat_add64(s, E1000_TORL, wire);
    e1000_stat_size(s, E1000_PRC64, wire);
    if (!memcmp(da, "\xff\xff\xff\xff\xff\xff", 6)) {
        e1000_stat_inc(s, E1000_BPRC);
    } else if (da[0] & 1) {
        e1000_stat_inc(s, E1000_MPRC);
    }
}

static void rx_dropped_no_buffer(e1000 *s)
{
    e1000_stat_inc(s, E1000_MPC);
    e1000_stat_inc(s, E1000_RNBC);
    e1000_set_ics(s, E1000_ICR_RXO);
}

/* Copy one piece of the frame into the buffer descriptor @da names. A
 * bad address loses that piece only; the ring still moves on. */
static void rx_fill_buffer(e1000 *s, uint64_t da, const uint8_t *data,
                           size_t len)
{
    uint8_t a[8];
    uint64_t buf;

    if (hv_mem_read(s->dev.ctx, da, a, sizeof(a)) < 0) {
        hv_guest_error(E1000_LOG, "RX ring 0x%" G_GINT64_MODIFIER
                       "x outside guest RAM", da);
        return;
    }
    buf = (uint64_t)e1000_le32(a) | (uint64_t)e1000_le32(a + 4) << 32;
    if (hv_mem_write(s->dev.ctx, buf, data, len) < 0) {
        hv_guest_error(E1000_LOG, "RX buffer 0x%" G_GINT64_MODIFIER
                       "x outside guest RAM", buf);
    }
}

/* Scatter @len bytes of rx_buf over descriptors from RDH and write them
 * back (3.2.3). The caller made sure enough descriptors are free. */
static void rx_write_ring(e1000 *s, size_t len, uint8_t status,
                          uint8_t errors, uint16_t special)
{
    uint64_t base = (uint64_t)E1000_REG(s, E1000_RDBAH) << 32 |
                    E1000_REG(s, E1000_RDBAL);
    unsigned n = rx_ring_size(s), bs = rx_buf_size(E1000_REG(s, E1000_RCTL));
    unsigned head = E1000_REG(s, E1000_RDH);
    size_t done = 0;

    while (done < len) {
        uint64_t da = base + (uint64_t)head * E1000_DESC_SIZE;
        size_t chunk = MIN((size_t)bs, len - done);
        uint8_t wb[8];

        rx_fill_buffer(s, da, s->rx_buf + done, chunk);
        done += chunk;
        wb[0] = chunk & 0xff;           /* length */
        wb[1] = (uint8_t)(chunk >> 8);
        wb[2] = wb[3] = 0;              /* packet checksum: not provided */
        wb[4] = status | E1000_RXD_STAT_DD |
                (done == len ? E1000_RXD_STAT_EOP : 0);
        wb[5] = errors;
        wb[6] = special & 0xff;
        wb[7] = special >> 8;
        hv_mem_write(s->dev.ctx, da + 8, wb, sizeof(wb));
        head = (head + 1) % n;
    }
    E1000_REG(s, E1000_RDH) = head;
}

/* RXDMT0 when the free descriptors drop to RCTL.RDMTS of the ring. */
static void rx_threshold(e1000 *s)
{
    unsigned n = rx_ring_size(s);
    unsigned shift = ((E1000_REG(s, E1000_RCTL) >> E1000_RCTL_RDMTS_SHIFT)
                      & 3) + 1;

    if (rx_free(s, n) <= (n >> shift)) {
        e1000_set_ics(s, E1000_ICR_RXDMT0);
    }
}

/* Strip an 802.1Q tag in place when CTRL.VME (returns the new length). */
static size_t rx_vlan(e1000 *s, size_t len, uint8_t *status,
                      uint16_t *special, bool *drop)
{
    uint8_t *f = s->rx_buf;
    uint16_t tci;

    *drop = false;
    if (len < ETH_HLEN + 4 ||
        e1000_be16(f + 12) != (E1000_REG(s, E1000_VET) & 0xffff)) {
        return len;
    }
    tci = e1000_be16(f + 14);
    if (!vlan_pass(s, tci)) {
        *drop = true;
        return len;
    }
    if (!(E1000_REG(s, E1000_CTRL) & E1000_CTRL_VME)) {
        return len;
    }
    memmove(f + 12, f + 16, len - 16);
    *status |= E1000_RXD_STAT_VP;
    *special = tci;
    return len - 4;
}

/* Accept or drop; returns the frame length in rx_buf, 0 to drop. */
static size_t rx_prepare(e1000 *s, size_t len)
{
    if (len < ETH_HLEN) {
        e1000_stat_inc(s, E1000_RUC);
        return 0;
    }
    if (len + 4 > rx_max_frame(s)) {
        e1000_stat_inc(s, E1000_ROC);       /* long packet, LPE off */
        return 0;
    }
    if (!rx_filter(s, s->rx_buf)) {
        return 0;
    }
    if (len < E1000_MIN_FRAME) {
        memset(s->rx_buf + len, 0, E1000_MIN_FRAME - len);  /* as padded */
        len = E1000_MIN_FRAME;
    }
    return len;
}

static size_t rx_gather(e1000 *s, const struct iovec *iov, int iovcnt)
{
    size_t len = 0;

    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > HV_NET_MAX_FRAME - len) {
            return 0;   /* larger than any frame: drop */
        }
        memcpy(s->rx_buf + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    return len;
}

void e1000_rx_receive(void *opaque, const struct iovec *iov, int iovcnt)
{
    e1000 *s = opaque;
    size_t len = rx_gather(s, iov, iovcnt);
    uint8_t status = 0, errors = 0;
    uint16_t special = 0;
    unsigned n = rx_ring_size(s);
    bool drop;

    HV_PROBE1(e1000__rx_frame, len);

    if (!(E1000_REG(s, E1000_RCTL) & E1000_RCTL_EN) || !e1000_dma_ok(s) ||
        !(len = rx_prepare(s, len))) {
        return;
    }
    len = rx_vlan(s, len, &status, &special, &drop);
    if (drop) {
        return;
    }
    rx_csum(s, s->rx_buf, len, &status, &errors);
    rx_stats(s, s->rx_buf, len + 4);
    if (!(E1000_REG(s, E1000_RCTL) & E1000_RCTL_SECRC)) {
        uint32_t fcs = e1000_crc32(s->rx_buf, len);
        for (int i = 0; i < 4; i++) {
            s->rx_buf[len++] = (uint8_t)(fcs >> (8 * i));
        }
    }
    if (rx_free(s, n) < rx_descs_needed(s, len)) {
        if (n && (E1000_REG(s, E1000_RDH) >= n ||
                  E1000_REG(s, E1000_RDT) >= n)) {
            hv_guest_error(E1000_LOG, "RDH/RDT beyond a %u-entry ring", n);
        }
        rx_dropped_no_buffer(s);
        return;
    }
    rx_write_ring(s, len, status, errors, special);
    if (len <= (E1000_REG(s, E1000_RSRPD) & 0xfff)) {
        e1000_set_ics(s, E1000_ICR_SRPD);
    }
    rx_threshold(s);
    e1000_rx_interrupt(s);
}
