/* SPDX-License-Identifier: MIT */
/*
 * Transmit: the descriptor ring (SDM 3.3-3.4), legacy and extended
 * (context + data) descriptors, checksum insertion (3.3.5), TCP/UDP
 * segmentation (3.5), VLAN insertion and short-frame padding. A TSO
 * packet goes to a backend with a virtio-net header whole, for the host
 * kernel to segment (gso_send): what QEMU's e1000 does not do, and what
 * makes guest→host TCP several times faster (docs/e1000.md).
 *
 * Hostile guests: a TDT write processes at most one pass over the ring;
 * head/tail beyond the ring or a ring outside RAM stop processing; every
 * offset from a descriptor is checked against the assembled frame; TSO
 * parameters are snapshotted per packet and validated (MSS 0 or headers
 * larger than the frame would loop or overrun: QEMU CVE-2021-20257 and
 * friends); frames are assembled in a fixed buffer, nothing grows.
 */
#define G_LOG_DOMAIN E1000_LOG
#include "hw/net/e1000_int.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static hv_ctx *ctx_of(e1000 *s)
{
    return s->dev.ctx;
}

static void packet_reset(e1000_tx *t)
{
    t->in_packet = false;
    t->bad = false;
    t->tse = false;
    t->gso = false;
    t->legacy = false;
    t->total = 0;
    t->segs = 0;
    t->tso_sent = 0;
    t->len = 0;
}

void e1000_tx_reset(e1000 *s)
{
    memset(&s->tx.ctx, 0, sizeof(s->tx.ctx));
    packet_reset(&s->tx);
}

static void tx_stats(e1000 *s, const uint8_t *dst, size_t len)
{
    size_t wire = len + 4;  /* statistics count the FCS */

    e1000_stat_inc(s, E1000_GPTC);
    e1000_stat_inc(s, E1000_TPT);
    e1000_stat_add64(s, E1000_GOTCL, wire);
    e1000_stat_add64(s, E1000_TOTL, wire);
    e1000_stat_size(s, E1000_PTC64, wire);
    if (dst[0] & 1) {
        bool bcast = !memcmp(dst, "\xff\xff\xff\xff\xff\xff", 6);
        e1000_stat_inc(s, bcast ? E1000_BPTC : E1000_MPTC);
    }
}

/* Hand the assembled frame to the backend: VLAN tag, padding. With @o
 * (a whole TSO packet, gso_send) the statistics count the segments the
 * wire will carry, and the offsets in @o move with the tag. */
static void tx_send(e1000 *s, hv_net_offload *o)
{
    static const uint8_t zeros[E1000_MIN_FRAME];
    e1000_tx *t = &s->tx;
    struct iovec iov[4];
    uint8_t tag[4];
    int n = 0;
    size_t total = t->len;

    if (t->len < 14) {
        return;     /* no Ethernet header: nothing a wire would carry */
    }
    if (t->vle && (E1000_REG(s, E1000_CTRL) & E1000_CTRL_VME)) {
        e1000_put_be16(tag, (uint16_t)E1000_REG(s, E1000_VET));
        e1000_put_be16(tag + 2, t->special);
        iov[n++] = (struct iovec){ t->buf, 12 };
        iov[n++] = (struct iovec){ tag, 4 };
        iov[n++] = (struct iovec){ t->buf + 12, t->len - 12 };
        total += 4;
    } else {
        iov[n++] = (struct iovec){ t->buf, t->len };
    }
    if (o) {
        size_t vlan = total - t->len;

        for (size_t left = t->len - o->hdr_len; left > 0;) {
            size_t seg = MIN(left, (size_t)o->gso_size);

            tx_stats(s, t->buf, vlan + o->hdr_len + seg);
            left -= seg;
        }
        o->hdr_len += (uint16_t)vlan;
        o->csum_start += (uint16_t)vlan;
        if (s->net) {
            hv_net_send_offload(s->net, o, iov, n);
        }
        return;
    }
    if (total < E1000_MIN_FRAME &&
        (E1000_REG(s, E1000_TCTL) & E1000_TCTL_PSP)) {
        iov[n++] = (struct iovec){ (void *)zeros, E1000_MIN_FRAME - total };
        total = E1000_MIN_FRAME;
    }
    tx_stats(s, t->buf, total);
    if (s->net) {
        hv_net_send(s->net, iov, n);
    }
}

/* Checksum [start, end] (end 0 = to the end) into the 16 bits at @off. */
static void insert_csum(e1000_tx *t, unsigned start, unsigned off,
                        unsigned end, bool udp)
{
    size_t stop = end ? MIN((size_t)end + 1, t->len) : t->len;
    uint16_t v;

    if (start >= stop || (size_t)off + 2 > t->len) {
        hv_guest_error(E1000_LOG, "TX checksum offsets %u/%u/%u outside a "
                       "%zu-byte frame", start, off, end, t->len);
        return;
    }
    v = e1000_csum_fold(e1000_csum_add(0, t->buf + start, stop - start));
    if (udp && v == 0) {
        v = 0xffff;     /* RFC 768: 0 means "no checksum" */
    }
    e1000_put_be16(t->buf + off, v);
}

/* IXSM: the IPv4 header checksum (3.3.5). */
static void tx_ip_csum(e1000_tx *t)
{
    const e1000_tx_ctx *c = &t->pctx;

    if ((t->popts & E1000_TXD_POPTS_IXSM) && (size_t)c->ipcso + 2 <= t->len) {
        memset(t->buf + c->ipcso, 0, 2);    /* IP: sum without old value */
        insert_csum(t, c->ipcss, c->ipcso, c->ipcse, false);
    }
}

static void tx_checksums(e1000_tx *t)
{
    const e1000_tx_ctx *c = &t->pctx;

    if (t->legacy) {
        if (t->ic) {
            insert_csum(t, t->css, t->cso, 0, false);
        }
        return;
    }
    tx_ip_csum(t);
    if (t->popts & E1000_TXD_POPTS_TXSM) {
        insert_csum(t, c->tucss, c->tucso, c->tucse,
                    !(c->tucmd & E1000_TXD_TUCMD_TCP));
    }
}

/* TSO parameters that cannot work are refused up front (3.5). */
static bool tso_valid(const e1000_tx_ctx *c)
{
    bool ip4 = c->tucmd & E1000_TXD_TUCMD_IP;
    bool tcp = c->tucmd & E1000_TXD_TUCMD_TCP;
    unsigned hl = c->hdrlen;

    return c->mss > 0 && hl > 0 &&
           (size_t)hl + c->mss <= E1000_TX_MAX_FRAME &&
           (unsigned)c->ipcss + (ip4 ? 20 : 40) <= hl &&
           (unsigned)c->tucss + (tcp ? 20 : 8) <= hl &&
           (unsigned)c->tucso + 2 <= hl && (unsigned)c->ipcso + 2 <= hl;
}

/* Per-segment header fields (3.5.3): lengths, IP ID, TCP sequence/flags,
 * and the pseudo-header sum, to which the guest did not add the length. */
static void tso_fix_headers(e1000_tx *t, bool last)
{
    const e1000_tx_ctx *c = &t->pctx;
    uint8_t *f = t->buf;
    size_t len = t->len;
    uint32_t l4len = (uint32_t)(len - c->tucss), sum;

    if (c->tucmd & E1000_TXD_TUCMD_IP) {
        e1000_put_be16(f + c->ipcss + 2, (uint16_t)(len - c->ipcss));
        e1000_put_be16(f + c->ipcss + 4,
                       (uint16_t)(e1000_be16(t->hdr + c->ipcss + 4) + t->segs));
    } else {
        e1000_put_be16(f + c->ipcss + 4, (uint16_t)(len - c->ipcss - 40));
    }
    if (c->tucmd & E1000_TXD_TUCMD_TCP) {
        const uint8_t *h = t->hdr + c->tucss + 4;
        uint32_t seq = ((uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]) +
                       t->tso_sent;
        f[c->tucss + 4] = seq >> 24;
        f[c->tucss + 5] = (seq >> 16) & 0xff;
        f[c->tucss + 6] = (seq >> 8) & 0xff;
        f[c->tucss + 7] = seq & 0xff;
        if (!last) {
            f[c->tucss + 13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
        }
    } else {
        e1000_put_be16(f + c->tucss + 4, (uint16_t)l4len);
    }
    sum = e1000_be16(t->hdr + c->tucso) + (l4len & 0xffff) + (l4len >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    e1000_put_be16(f + c->tucso, (uint16_t)((sum & 0xffff) + (sum >> 16)));
}

static void tso_segment(e1000 *s, bool last)
{
    e1000_tx *t = &s->tx;
    size_t hl = t->pctx.hdrlen;
    size_t payload;

    if (t->len < hl) {
        hv_guest_error(E1000_LOG, "TSO packet shorter than its headers");
        return;
    }
    payload = t->len - hl;
    if (last && payload == 0 && t->segs > 0) {
        return;
    }
    if (t->segs == 0) {
        memcpy(t->hdr, t->buf, hl);     /* pristine headers for each seg */
    }
    tso_fix_headers(t, last);
    tx_checksums(t);
    tx_send(s, NULL);
    t->segs++;
    t->tso_sent += (uint32_t)payload;
    memcpy(t->buf, t->hdr, hl);
    t->len = hl;
}

/*
 * The whole TSO packet in one go, for the backend's host to segment
 * (t->gso): the headers fixed as for a single segment carrying all the
 * payload (tso_fix_headers: IP lengths, and the pseudo-header sum with
 * the whole TCP length, which is exactly what a partial checksum holds),
 * the IPv4 header checksum if asked for, the TCP checksum left to the
 * host. packet_start checked the layout (tso_valid and the TCP checksum
 * field at tucss + 16), so every offset below is inside the headers.
 */
static void gso_send(e1000 *s)
{
    e1000_tx *t = &s->tx;
    const e1000_tx_ctx *c = &t->pctx;
    hv_net_offload o = {
        .gso_type = (c->tucmd & E1000_TXD_TUCMD_IP) ? HV_NET_GSO_TCPV4
                                                    : HV_NET_GSO_TCPV6,
        .ecn = t->buf[c->tucss + 13] & TCP_CWR,
        .hdr_len = c->hdrlen,
        .gso_size = c->mss,
        .csum_start = c->tucss,
        .csum_offset = (uint16_t)(c->tucso - c->tucss),
    };

    memcpy(t->hdr, t->buf, c->hdrlen);
    tso_fix_headers(t, true);
    tx_ip_csum(t);
    tx_send(s, &o);
}

/* Copy @len bytes of guest data into the frame. Under TSO a full segment
 * is sent when more data arrives for the next one, so the EOP descriptor
 * always finds the last segment still in the buffer. Each iteration
 * consumes at least one byte, or sends a segment (leaving HDRLEN < limit
 * bytes), or stops. */
static void tx_append(e1000 *s, uint64_t addr, uint32_t len)
{
    e1000_tx *t = &s->tx;
    size_t limit = t->tse && !t->gso ? (size_t)t->pctx.hdrlen + t->pctx.mss
                                     : E1000_TX_MAX_FRAME;

    if (t->tse && t->total + (uint64_t)len >
                      (uint64_t)t->pctx.hdrlen + t->pctx.paylen) {
        hv_guest_error(E1000_LOG, "TSO data beyond HDRLEN + PAYLEN");
        t->bad = true;
    }
    while (len > 0 && !t->bad) {
        size_t chunk;

        if (t->len >= limit) {
            if (t->tse && !t->gso) {
                /* A full segment, and more data follows: not the last. */
                tso_segment(s, false);
                continue;
            }
            hv_guest_error(E1000_LOG, "TX frame longer than %zu bytes", limit);
            t->bad = true;
            break;
        }
        chunk = MIN(len, limit - t->len);
        if (hv_mem_read(ctx_of(s), addr, t->buf + t->len, chunk) < 0) {
            hv_guest_error(E1000_LOG, "TX buffer 0x%" G_GINT64_MODIFIER
                           "x+%zu outside guest RAM", addr, chunk);
            t->bad = true;
            break;
        }
        t->len += chunk;
        t->total += (uint32_t)chunk;
        addr += chunk;
        len -= (uint32_t)chunk;
    }
}

static void packet_start(e1000 *s, const uint8_t *d, bool legacy)
{
    e1000_tx *t = &s->tx;
    uint8_t cmd = d[E1000_TXD_CMD];

    packet_reset(t);
    t->in_packet = true;
    t->legacy = legacy;
    t->pctx = t->ctx;       /* a later context cannot change this packet */
    t->popts = legacy ? 0 : d[E1000_TXD_POPTS];
    t->tse = !legacy && (cmd & E1000_TXD_CMD_TSE);
    if (t->tse && !tso_valid(&t->pctx)) {
        hv_guest_error(E1000_LOG, "invalid TSO context (MSS %u, HDRLEN %u)",
                       t->pctx.mss, t->pctx.hdrlen);
        t->bad = true;
    }
    /* Whole to the backend: TCP with the checksum asked for (a partial
     * checksum is how segmentation offload works) in the TCP header's
     * checksum field (the only place the host kernel accepts for TCP),
     * fitting one frame. Any other layout the device segments itself,
     * as the hardware would. */
    t->gso = t->tse && !t->bad && s->net && hv_net_has_vnet_hdr(s->net) &&
             (t->pctx.tucmd & E1000_TXD_TUCMD_TCP) &&
             (t->popts & E1000_TXD_POPTS_TXSM) &&
             t->pctx.tucso == t->pctx.tucss + 16 &&
             (size_t)t->pctx.hdrlen + t->pctx.paylen <= E1000_TX_MAX_FRAME;
}

static void packet_end(e1000 *s)
{
    e1000_tx *t = &s->tx;

    if (t->tse && (t->bad || t->len < t->pctx.hdrlen)) {
        hv_guest_error(E1000_LOG, "TSO packet dropped");
        e1000_stat_inc(s, E1000_TSCTFC);
    } else if (!t->bad) {
        if (t->gso && t->len > (size_t)t->pctx.hdrlen + t->pctx.mss) {
            gso_send(s);
            e1000_stat_inc(s, E1000_TSCTC);
        } else if (t->tse) {
            tso_segment(s, true);       /* also a GSO packet of one segment */
            e1000_stat_inc(s, E1000_TSCTC);
        } else {
            tx_checksums(t);
            tx_send(s, NULL);
        }
    }
    packet_reset(t);
}

static void tx_context(e1000 *s, const uint8_t *d)
{
    e1000_tx_ctx *c = &s->tx.ctx;
    uint32_t dw2 = e1000_le32(d + 8);

    c->ipcss = d[0];
    c->ipcso = d[1];
    c->ipcse = e1000_le16(d + 2);
    c->tucss = d[4];
    c->tucso = d[5];
    c->tucse = e1000_le16(d + 6);
    c->paylen = dw2 & 0xfffff;
    c->tucmd = d[E1000_TXD_CMD];
    c->hdrlen = d[E1000_TXD_HDRLEN];
    c->mss = e1000_le16(d + E1000_TXD_MSS);
}

/* A data or legacy descriptor: buffer address, length, command. */
static void tx_data(e1000 *s, const uint8_t *d, bool legacy)
{
    e1000_tx *t = &s->tx;
    uint8_t cmd = d[E1000_TXD_CMD];
    uint32_t len = legacy ? e1000_le16(d + E1000_TXD_LEN)
                          : e1000_le32(d + 8) & 0xfffff;
    uint64_t addr = (uint64_t)e1000_le32(d) | (uint64_t)e1000_le32(d + 4) << 32;

    if (!t->in_packet) {
        packet_start(s, d, legacy);
    }
    /* VLAN tag and legacy checksum fields: the latest descriptor's, as
     * they must be valid in the EOP descriptor (3.3.3). */
    t->vle = cmd & E1000_TXD_CMD_VLE;
    t->special = e1000_le16(d + E1000_TXD_SPECIAL);
    if (legacy) {
        t->ic = cmd & E1000_TXD_CMD_IC;
        t->cso = d[E1000_TXD_CSO];
        t->css = d[E1000_TXD_CSS];
    }
    tx_append(s, addr, len);
    if (cmd & E1000_TXD_CMD_EOP) {
        packet_end(s);
    }
}

static void tx_desc(e1000 *s, const uint8_t *d)
{
    unsigned dtyp = (e1000_le32(d + 8) >> E1000_TXD_DTYP_SHIFT) & 0xf;

    if (!(d[E1000_TXD_CMD] & E1000_TXD_CMD_DEXT)) {
        tx_data(s, d, true);
    } else if (dtyp == E1000_TXD_DTYP_CTX) {
        tx_context(s, d);
    } else if (dtyp == E1000_TXD_DTYP_DATA) {
        tx_data(s, d, false);
    } else {
        hv_guest_error(E1000_LOG, "TX descriptor type %u ignored", dtyp);
    }
}

/* Descriptors in the ring, or 0 when the guest set it up impossibly. */
static unsigned tx_ring_size(e1000 *s)
{
    unsigned n = E1000_REG(s, E1000_TDLEN) / E1000_DESC_SIZE;

    if (n && (E1000_REG(s, E1000_TDH) >= n || E1000_REG(s, E1000_TDT) >= n)) {
        hv_guest_error(E1000_LOG, "TDH %u / TDT %u beyond a %u-entry ring",
                       E1000_REG(s, E1000_TDH), E1000_REG(s, E1000_TDT), n);
        return 0;
    }
    return n;
}

void e1000_tx_kick(e1000 *s)
{
    uint64_t base = (uint64_t)E1000_REG(s, E1000_TDBAH) << 32 |
                    E1000_REG(s, E1000_TDBAL);
    unsigned n, head, tail, budget;
    bool reported = false, delay = true, moved = false;

    if (!(E1000_REG(s, E1000_TCTL) & E1000_TCTL_EN) || !e1000_dma_ok(s) ||
        !(n = tx_ring_size(s))) {
        return;
    }
    head = E1000_REG(s, E1000_TDH);
    tail = E1000_REG(s, E1000_TDT);
    /* At most one pass over the ring per doorbell (CVE-2016-1981). */
    for (budget = n; head != tail && budget > 0; budget--) {
        uint64_t addr = base + (uint64_t)head * E1000_DESC_SIZE;
        uint8_t d[E1000_DESC_SIZE];

        if (hv_mem_read(ctx_of(s), addr, d, sizeof(d)) < 0) {
            hv_guest_error(E1000_LOG, "TX ring 0x%" G_GINT64_MODIFIER
                           "x outside guest RAM", addr);
            break;
        }
        tx_desc(s, d);
        if (d[E1000_TXD_CMD] & E1000_TXD_CMD_RS) {
            d[E1000_TXD_STA] |= E1000_TXD_STAT_DD;
            hv_mem_write(ctx_of(s), addr + E1000_TXD_STA, d + E1000_TXD_STA, 4);
            reported = true;
            delay &= !!(d[E1000_TXD_CMD] & E1000_TXD_CMD_IDE);
        }
        head = (head + 1) % n;
        E1000_REG(s, E1000_TDH) = head;
        moved = true;
    }
    if (reported) {
        e1000_tx_interrupt(s, delay);
    }
    if (moved && head == tail) {
        e1000_set_ics(s, E1000_ICR_TXQE);
    }
}
