/* SPDX-License-Identifier: MIT */
/* The e1000 test fixture: see nic-fixture.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/net/nic-fixture.h"

/* The guest and its e1000 on @backend ("backend=...,"), or on a
 * socketpair with NULL. */
static bool setup_on(nic *f, const char *backend, const char *extra,
                     GError **err)
{
    int sv[2] = { -1, -1 };
    g_autofree char *spec = NULL;
    g_autofree char *be = NULL;
    hv_opts *opts;

    memset(f, 0, sizeof(*f));
    f->peer = -1;
    if (!backend) {
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), ==, 0);
        f->peer = sv[0];
        backend = be = g_strdup_printf("backend=socket,socket=fd:%d", sv[1]);
    }
    f->dir = g_dir_make_tmp("hvmemu-net-XXXXXX", NULL);
    f->pcap = g_build_filename(f->dir, "cap.pcap", NULL);
    f->mh = hv_memhost_new(NIC_RAM);
    f->loop = hv_loop_new();
    f->ctx = hv_ctx_new(hv_memhost_ops(), f->mh, f->loop);
    spec = g_strdup_printf("%s,mac=" NIC_MAC ",addr=00:04.0,capture=%s%s%s",
                           backend, f->pcap, extra && *extra ? "," : "",
                           extra ? extra : "");
    opts = hv_opts_parse(spec, err);
    g_assert_nonnull(opts);
    f->dev = hv_device_create_opts(f->ctx, &e1000_class, opts, err);
    hv_opts_free(opts);
    if (!f->dev) {
        return false;
    }
    nic_cfg_wr(f, PCI_BASE_ADDRESS_0, 4, NIC_MMIO);
    nic_cfg_wr(f, PCI_BASE_ADDRESS_0 + 4, 4, NIC_IO);
    nic_cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
               PCI_COMMAND_MASTER);
    return true;
}

void nic_setup(nic *f, const char *extra)
{
    GError *err = NULL;

    g_assert_true(setup_on(f, NULL, extra, &err));
    g_assert_no_error(err);
}

bool nic_setup_backend(nic *f, const char *backend, GError **err)
{
    return setup_on(f, backend, NULL, err);
}

void nic_teardown(nic *f)
{
    hv_ctx_free(f->ctx);
    hv_loop_free(f->loop);
    hv_memhost_free(f->mh);
    if (f->peer >= 0) {
        close(f->peer);
    }
    unlink(f->pcap);
    rmdir(f->dir);
    g_free(f->pcap);
    g_free(f->dir);
}

uint32_t nic_rd(nic *f, unsigned off)
{
    return (uint32_t)hv_dispatch_read(f->ctx, HV_SPACE_MMIO, NIC_MMIO + off,
                                      4);
}

void nic_wr(nic *f, unsigned off, uint32_t v)
{
    hv_dispatch_write(f->ctx, HV_SPACE_MMIO, NIC_MMIO + off, 4, v);
}

uint32_t nic_cfg_rd(nic *f, unsigned reg, unsigned size)
{
    return (uint32_t)hv_dispatch_read(f->ctx, HV_SPACE_PCI,
                                      HV_PCI_ADDR(NIC_SBDF, reg), size);
}

void nic_cfg_wr(nic *f, unsigned reg, unsigned size, uint32_t v)
{
    hv_dispatch_write(f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(NIC_SBDF, reg), size,
                      v);
}

unsigned nic_intx(nic *f)
{
    return hv_memhost_intx_level(f->mh, NIC_SBDF, 0);
}

void nic_pump(nic *f, int ms)
{
    for (int i = 0; i < 1000 && hv_loop_run_once(f->loop, ms) > 0; i++) {
    }
}

uint8_t *nic_ram(nic *f, uint64_t gpa)
{
    return hv_memhost_ram(f->mh) + gpa;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

void nic_tx_init(nic *f, unsigned n)
{
    memset(nic_ram(f, NIC_TX_RING), 0, n * 16);
    f->tx_n = n;
    f->tx_tail = 0;
    nic_wr(f, E1000_TDBAL, NIC_TX_RING);
    nic_wr(f, E1000_TDBAH, 0);
    nic_wr(f, E1000_TDLEN, n * 16);
    nic_wr(f, E1000_TDH, 0);
    nic_wr(f, E1000_TDT, 0);
    nic_wr(f, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
}

void nic_tx_raw(nic *f, const uint8_t d[16])
{
    memcpy(nic_ram(f, NIC_TX_RING + f->tx_tail * 16), d, 16);
    f->tx_tail = (f->tx_tail + 1) % f->tx_n;
}

void nic_tx_legacy(nic *f, uint64_t addr, uint16_t len, uint8_t cmd,
                   uint8_t cso, uint8_t css, uint16_t special)
{
    uint8_t d[16] = { 0 };

    put_le(d, addr, 8);
    put_le(d + 8, len, 2);
    d[10] = cso;
    d[11] = cmd;
    d[13] = css;
    put_le(d + 14, special, 2);
    nic_tx_raw(f, d);
}

/* Context descriptor (SDM 3.3.6). */
void nic_tx_context(nic *f, uint8_t ipcss, uint8_t ipcso, uint16_t ipcse,
                    uint8_t tucss, uint8_t tucso, uint16_t tucse,
                    uint32_t paylen, uint8_t tucmd, uint8_t hdrlen,
                    uint16_t mss)
{
    uint8_t d[16] = { ipcss, ipcso, 0, 0, tucss, tucso };

    put_le(d + 2, ipcse, 2);
    put_le(d + 6, tucse, 2);
    put_le(d + 8, paylen | (uint32_t)tucmd << 24, 4);  /* DTYP 0 */
    d[11] |= E1000_TXD_CMD_DEXT;
    d[13] = hdrlen;
    put_le(d + 14, mss, 2);
    nic_tx_raw(f, d);
}

/* Data descriptor (SDM 3.3.7). */
void nic_tx_data(nic *f, uint64_t addr, uint32_t len, uint8_t dcmd,
                 uint8_t popts)
{
    uint8_t d[16] = { 0 };

    put_le(d, addr, 8);
    put_le(d + 8, len | (uint32_t)E1000_TXD_DTYP_DATA << 20, 4);
    d[11] = dcmd | E1000_TXD_CMD_DEXT;
    d[13] = popts;
    nic_tx_raw(f, d);
}

void nic_tx_doorbell(nic *f)
{
    nic_wr(f, E1000_TDT, f->tx_tail);
}

void nic_rx_init(nic *f, unsigned n, uint32_t rctl)
{
    static const uint32_t sizes[2][4] = { { 2048, 1024, 512, 256 },
                                          { 2048, 16384, 8192, 4096 } };
    uint32_t bs = sizes[!!(rctl & E1000_RCTL_BSEX)][(rctl >> 16) & 3];

    f->rx_n = n;
    f->rx_bufsize = bs;
    memset(nic_ram(f, NIC_RX_RING), 0, n * 16);
    for (unsigned i = 0; i < n; i++) {
        put_le(nic_ram(f, NIC_RX_RING + i * 16), NIC_RX_BUF + i * bs, 8);
    }
    nic_wr(f, E1000_RDBAL, NIC_RX_RING);
    nic_wr(f, E1000_RDBAH, 0);
    nic_wr(f, E1000_RDLEN, n * 16);
    nic_wr(f, E1000_RDH, 0);
    nic_wr(f, E1000_RDT, n - 1);
    nic_wr(f, E1000_RCTL, rctl);
}

int nic_peer_recv(nic *f, uint8_t *buf, size_t len)
{
    ssize_t r = recv(f->peer, buf, len, MSG_DONTWAIT);

    return r < 0 ? -1 : (int)r;
}

void nic_peer_send(nic *f, const void *buf, size_t len)
{
    g_assert_cmpint(send(f->peer, buf, len, 0), ==, (ssize_t)len);
}

/* ---- frames ---- */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    }
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)s;
}

uint16_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4len)
{
    return fold(sum16(0, ip + 12, 8) + proto + l4len);
}

static const uint8_t src_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static size_t build_ip4(uint8_t *f, const uint8_t dst[6], uint8_t proto,
                        size_t l4len)
{
    uint8_t *ip = f + 14;

    memcpy(f, dst, 6);
    memcpy(f + 6, src_mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((20 + l4len) >> 8);
    ip[3] = (uint8_t)(20 + l4len);
    ip[4] = 0x12;
    ip[5] = 0x34;
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
    {
        uint16_t c = (uint16_t)~fold(sum16(0, ip, 20));
        ip[10] = c >> 8;
        ip[11] = c & 0xff;
    }
    return 14 + 20 + l4len;
}

static void l4_finish(uint8_t *f, size_t len, unsigned csum_off)
{
    uint8_t *ip = f + 14, *l4 = f + 34;
    uint16_t l4len = (uint16_t)(len - 34);
    uint16_t c;

    l4[csum_off] = l4[csum_off + 1] = 0;
    c = (uint16_t)~fold(sum16(pseudo_sum(ip, ip[9], l4len), l4, l4len));
    l4[csum_off] = c >> 8;
    l4[csum_off + 1] = c & 0xff;
}

size_t build_udp4(uint8_t *f, const uint8_t dst[6], size_t payload)
{
    size_t len = build_ip4(f, dst, 17, 8 + payload);
    uint8_t *u = f + 34;

    u[0] = 0x04; u[1] = 0xd2;   /* 1234 */
    u[2] = 0x16; u[3] = 0x2e;   /* 5678 */
    u[4] = (uint8_t)((8 + payload) >> 8);
    u[5] = (uint8_t)(8 + payload);
    for (size_t i = 0; i < payload; i++) {
        u[8 + i] = (uint8_t)(i * 7 + 3);
    }
    l4_finish(f, len, 6);
    return len;
}

size_t build_tcp4(uint8_t *f, const uint8_t dst[6], size_t payload)
{
    size_t len = build_ip4(f, dst, 6, 20 + payload);
    uint8_t *t = f + 34;

    memset(t, 0, 20);
    t[0] = 0x30; t[1] = 0x39;   /* 12345 */
    t[2] = 0x00; t[3] = 0x50;   /* 80 */
    t[4] = 0x00; t[5] = 0x01; t[6] = 0x00; t[7] = 0x00;  /* seq 65536 */
    t[12] = 0x50;               /* data offset 5 */
    t[13] = 0x19;               /* FIN PSH ACK */
    t[14] = 0xff; t[15] = 0xff;
    for (size_t i = 0; i < payload; i++) {
        t[20 + i] = (uint8_t)(i * 13 + 1);
    }
    l4_finish(f, len, 16);
    return len;
}

bool ip4_csum_ok(const uint8_t *frame, size_t len)
{
    return len >= 34 && fold(sum16(0, frame + 14, 20)) == 0xffff;
}

bool l4_csum_ok(const uint8_t *frame, size_t len)
{
    const uint8_t *ip = frame + 14;
    uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);
    uint16_t l4len = (uint16_t)(tot - 20);

    if (len < 34 || 14u + tot > len) {
        return false;
    }
    return fold(sum16(pseudo_sum(ip, ip[9], l4len), frame + 34, l4len)) ==
           0xffff;
}
