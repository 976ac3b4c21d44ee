/* SPDX-License-Identifier: MIT */
/*
 * A guest with one e1000 on the in-memory host, its backend a socketpair
 * whose other end (peer) the test plays as "the network". Plus helpers to
 * play the guest driver: registers, rings, frames, checksums.
 */
#ifndef TESTS_UNIT_NET_NIC_FIXTURE_H
#define TESTS_UNIT_NET_NIC_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "hvmemu/hvmemu.h"
#include "hvmemu/net.h"
#include "hw/net/e1000_regs.h"

#define NIC_RAM         (8u << 20)
#define NIC_SBDF        HV_SBDF(0, 0, 4, 0)
#define NIC_MMIO        0xfebc0000u
#define NIC_IO          0xc000u
#define NIC_TX_RING     0x10000u
#define NIC_TX_BUF      0x20000u    /* 64 KiB of TX data */
#define NIC_RX_RING     0x40000u
#define NIC_RX_BUF      0x100000u   /* up to 0x600000 */
#define NIC_MAC         "00:16:3e:12:34:56"

extern const hv_device_class e1000_class;

typedef struct nic {
    hv_memhost *mh;
    hv_loop *loop;
    hv_ctx *ctx;
    hv_device *dev;
    int peer;               /* the network side of the socketpair */
    char *dir;              /* temp dir (pcap) */
    char *pcap;
    unsigned tx_n, rx_n;    /* ring sizes the test set up */
    unsigned tx_tail;
    uint32_t rx_bufsize;
} nic;

/* Create with "e1000,<extra>" plus the socket backend and capture. */
void nic_setup(nic *f, const char *extra);
/* The same on another backend ("backend=tap,ifname=x"), no peer; false
 * with @err when the backend cannot be opened here (nic_teardown then). */
bool nic_setup_backend(nic *f, const char *backend, GError **err);
/* Same without PCI enable/ring setup. */
void nic_teardown(nic *f);

uint32_t nic_rd(nic *f, unsigned off);
void nic_wr(nic *f, unsigned off, uint32_t v);
uint32_t nic_cfg_rd(nic *f, unsigned reg, unsigned size);
void nic_cfg_wr(nic *f, unsigned reg, unsigned size, uint32_t v);
unsigned nic_intx(nic *f);
/* Run the loop until nothing happens for @ms. */
void nic_pump(nic *f, int ms);

/* Guest driver helpers. */
void nic_tx_init(nic *f, unsigned n);
/* Legacy descriptor at the current tail; advance the (local) tail. */
void nic_tx_legacy(nic *f, uint64_t addr, uint16_t len, uint8_t cmd,
                   uint8_t cso, uint8_t css, uint16_t special);
void nic_tx_raw(nic *f, const uint8_t d[16]);
/* Extended descriptors (SDM 3.3.6-7) at the tail: context, data. */
void nic_tx_context(nic *f, uint8_t ipcss, uint8_t ipcso, uint16_t ipcse,
                    uint8_t tucss, uint8_t tucso, uint16_t tucse,
                    uint32_t paylen, uint8_t tucmd, uint8_t hdrlen,
                    uint16_t mss);
void nic_tx_data(nic *f, uint64_t addr, uint32_t len, uint8_t dcmd,
                 uint8_t popts);
void nic_tx_doorbell(nic *f);
void nic_rx_init(nic *f, unsigned n, uint32_t rctl);
uint8_t *nic_ram(nic *f, uint64_t gpa);
/* Receive one frame at the peer; returns its length (-1 if none). */
int nic_peer_recv(nic *f, uint8_t *buf, size_t len);
void nic_peer_send(nic *f, const void *buf, size_t len);

/* Frame builders and checks (independent of the device's code). */
size_t build_udp4(uint8_t *f, const uint8_t dst[6], size_t payload);
size_t build_tcp4(uint8_t *f, const uint8_t dst[6], size_t payload);
bool ip4_csum_ok(const uint8_t *frame, size_t len);
bool l4_csum_ok(const uint8_t *frame, size_t len);
uint16_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4len);

#endif
