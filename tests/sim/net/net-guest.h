// SPDX-License-Identifier: MIT
/*
 * The guest side of the e1000 simulated-Xen tests and benchmark: start
 * xensim + hvmemu with --nic on the socket backend (a unix datagram socket
 * the test owns plays "the network"), and drive the 82540EM the way a
 * driver does: PCI config through 0CF8h, registers through BAR0 MMIO,
 * descriptor rings and buffers in guest RAM, INTA# through xensim.
 *
 * Register offsets and bits are written out here from the 8254x SDM
 * rather than taken from hw/net/e1000_regs.h, so a wrong constant in the
 * device cannot be hidden by the same wrong constant in its test.
 */
#ifndef TESTS_SIM_NET_GUEST_H
#define TESTS_SIM_NET_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* Where the "BIOS" puts things (guest RAM is 64 MiB). */
#define NG_DEV      4                   /* 00:04.0 */
#define NG_INTX     (NG_DEV << 2 | 0)   /* INTA#: XS_IRQ_INTX number */
#define NG_MMIO     0xf0000000u         /* BAR0, 128 KiB */
#define NG_IO       0xc000u             /* BAR1, 64 bytes */
#define NG_TX_RING  0x10000u            /* up to 256 descriptors */
#define NG_RX_RING  0x20000u
#define NG_TX_BUF   0x100000u           /* 2 KiB per descriptor */
#define NG_RX_BUF   0x200000u
#define NG_MAC      "52:54:00:12:34:56"

/* Registers (SDM 13.4) */
#define R_CTRL      0x0000
#define R_STATUS    0x0008
#define R_EERD      0x0014
#define R_MDIC      0x0020
#define R_ICR       0x00c0
#define R_IMS       0x00d0
#define R_IMC       0x00d8
#define R_RCTL      0x0100
#define R_TCTL      0x0400
#define R_RDBAL     0x2800
#define R_RDBAH     0x2804
#define R_RDLEN     0x2808
#define R_RDH       0x2810
#define R_RDT       0x2818
#define R_RDTR      0x2820
#define R_TDBAL     0x3800
#define R_TDBAH     0x3804
#define R_TDLEN     0x3808
#define R_TDH       0x3810
#define R_TDT       0x3818
#define R_MTA       0x5200      /* 128 x 32 bits */
#define R_RAL(n)    (0x5400 + 8 * (n))
#define R_RAH(n)    (0x5404 + 8 * (n))

#define STATUS_LU   (1u << 1)
#define EERD_START  (1u << 0)   /* 82540: DONE bit 4, ADDR 15:8 */
#define EERD_DONE   (1u << 4)
#define MDIC_READ   (2u << 26)
#define MDIC_READY  (1u << 28)
#define MDIC_ERROR  (1u << 30)
#define ICR_TXDW    (1u << 0)
#define ICR_RXT0    (1u << 7)
#define RCTL_EN     (1u << 1)
#define RCTL_UPE    (1u << 3)
#define RCTL_MPE    (1u << 4)
#define RCTL_BAM    (1u << 15)
#define RCTL_SECRC  (1u << 26)
#define RAH_AV      (1u << 31)
#define TCTL_EN     (1u << 1)
#define TCTL_PSP    (1u << 3)

/* Legacy TX descriptor (3.3.3) and RX descriptor (3.2.3) bytes. */
#define TXD_CMD_EOP 0x01
#define TXD_CMD_IFCS 0x02
#define TXD_CMD_RS  0x08
#define TXD_STA_DD  0x01
#define RXD_STA_DD  0x01
#define RXD_STA_EOP 0x02

typedef struct net_env {
    simh *h;
    xs_guest *g;
    char *dir;          /* sockets and capture */
    char *nic_sock;     /* hvmemu's end */
    char *peer_sock;    /* ours */
    char *pcap;
    int peer;           /* "the network": bound at peer_sock */
    unsigned tx_n, tx_tail;
    unsigned rx_n, rx_next;
} net_env;

/* xensim + hvmemu --nic mac=NG_MAC,...,socket=unix:NIC:PEER,capture=...
 * with @extra appended to the spec (NULL: none). PCI is left untouched. */
void ng_start(net_env *e, const char *extra);
/* SIGTERM, expect exit status 0, clean everything up. */
void ng_stop(net_env *e);
/* BIOS-style setup: BAR0 at NG_MMIO, BAR1 at NG_IO, memory + I/O decode
 * and bus mastering. */
void ng_pci_setup(net_env *e);

uint32_t ng_rd(net_env *e, unsigned reg);
void ng_wr(net_env *e, unsigned reg, uint32_t v);
uint8_t ng_peek8(net_env *e, uint64_t gpa);

/* TX: ring of @n descriptors at NG_TX_RING, TCTL.EN|PSP. */
void ng_tx_init(net_env *e, unsigned n);
/* Copy @frame to descriptor tail's buffer, queue it (EOP|IFCS|RS),
 * advance the local tail; ng_tx_doorbell writes TDT. */
void ng_tx_queue(net_env *e, const void *frame, uint16_t len);
void ng_tx_doorbell(net_env *e);
/* Wait until the TX descriptor @i has DD. */
void ng_tx_wait_dd(net_env *e, unsigned i);

/* RX: @n descriptors at NG_RX_RING with 2 KiB buffers, all given to the
 * device (RDT = n - 1), RCTL = @rctl (buffer size 2048). */
void ng_rx_init(net_env *e, unsigned n, uint32_t rctl);
/* Wait (up to 10 s) for DD on the next RX descriptor; returns its length
 * and status, copies the buffer to @buf (at most @cap bytes). */
unsigned ng_rx_wait(net_env *e, uint8_t *buf, size_t cap, uint8_t *status);

/* The network side. */
void ng_peer_send(net_env *e, const void *frame, size_t len);
/* Receive one datagram within @timeout_ms; -1 if none came. */
int ng_peer_recv(net_env *e, void *buf, size_t cap, int timeout_ms);

/* A test frame: @dst, source 02:00:00:00:00:01, type 0x88b5 (local
 * experimental), payload bytes from @seed; returns @len. */
size_t ng_frame(uint8_t *f, size_t len, const uint8_t dst[6], unsigned seed);
/* Ethernet FCS (IEEE 802.3 CRC-32), as appended to a received frame. */
uint32_t ng_crc32(const uint8_t *p, size_t n);

#endif
