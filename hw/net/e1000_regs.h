/* SPDX-License-Identifier: MIT */
/*
 * Intel 8254x (82540EM) register map, bits and descriptor layouts, named
 * as in the PCI/PCI-X Family of Gigabit Ethernet Controllers Software
 * Developer's Manual (SDM, rev 4.0), chapter 13 unless noted.
 */
#ifndef HW_NET_E1000_REGS_H
#define HW_NET_E1000_REGS_H

#include <stdint.h>

/* PCI identity (SDM 5.1, table 5-1) */
#define E1000_VENDOR_INTEL      0x8086
#define E1000_DEV_ID_82540EM    0x100e
#define E1000_SUBSYS_ID         0x001e  /* PRO/1000 MT Desktop */
#define E1000_REVISION          0x03
#define E1000_CLASS_ETHERNET    0x020000
#define E1000_MMIO_SIZE         0x20000 /* BAR0: 128 KiB */
#define E1000_IO_SIZE           0x40    /* BAR1: IOADDR, IODATA */
#define E1000_IOADDR            0x00    /* 13.1.1 */
#define E1000_IODATA            0x04

/* General registers (13.4) */
#define E1000_CTRL      0x0000  /* 13.4.1 Device Control */
#define E1000_STATUS    0x0008  /* 13.4.2 Device Status */
#define E1000_EECD      0x0010  /* 13.4.3 EEPROM/Flash Control */
#define E1000_EERD      0x0014  /* 13.4.4 EEPROM Read */
#define E1000_CTRL_EXT  0x0018  /* 13.4.6 Extended Device Control */
#define E1000_FLA       0x001c  /* 13.4.5 Flash Access */
#define E1000_MDIC      0x0020  /* 13.4.7 MDI Control */
#define E1000_FCAL      0x0028  /* 13.4.8 Flow Control Address Low */
#define E1000_FCAH      0x002c
#define E1000_FCT       0x0030  /* 13.4.9 Flow Control Type */
#define E1000_VET       0x0038  /* 13.4.10 VLAN Ether Type */
#define E1000_ICR       0x00c0  /* 13.4.17 Interrupt Cause Read */
#define E1000_ITR       0x00c4  /* 13.4.18 Interrupt Throttling */
#define E1000_ICS       0x00c8  /* 13.4.19 Interrupt Cause Set */
#define E1000_IMS       0x00d0  /* 13.4.20 Interrupt Mask Set/Read */
#define E1000_IMC       0x00d8  /* 13.4.21 Interrupt Mask Clear */
#define E1000_RCTL      0x0100  /* 13.4.22 Receive Control */
#define E1000_FCTTV     0x0170  /* 13.4.12 Flow Control Transmit Timer */
#define E1000_TXCW      0x0178  /* 13.4.14 Transmit Config Word */
#define E1000_RXCW      0x0180  /* 13.4.15 Receive Config Word */
#define E1000_TCTL      0x0400  /* 13.4.33 Transmit Control */
#define E1000_TIPG      0x0410  /* 13.4.34 Transmit IPG */
#define E1000_AIFS      0x0458  /* 13.4.35 Adaptive IFS Throttle */
#define E1000_LEDCTL    0x0e00  /* 13.4.16 LED Control */
#define E1000_PBA       0x1000  /* 13.4.11 Packet Buffer Allocation */
#define E1000_FCRTL     0x2160  /* 13.4.23 Flow Control RX Threshold Low */
#define E1000_FCRTH     0x2168
#define E1000_RDBAL     0x2800  /* 13.4.24 RX Descriptor Base Low */
#define E1000_RDBAH     0x2804
#define E1000_RDLEN     0x2808  /* 13.4.26 RX Descriptor Length */
#define E1000_RDH       0x2810  /* 13.4.27 RX Descriptor Head */
#define E1000_RDT       0x2818  /* 13.4.28 RX Descriptor Tail */
#define E1000_RDTR      0x2820  /* 13.4.29 RX Delay Timer */
#define E1000_RXDCTL    0x2828  /* 13.4.31 RX Descriptor Control */
#define E1000_RADV      0x282c  /* 13.4.30 RX Absolute Delay Timer */
#define E1000_RSRPD     0x2c00  /* 13.4.32 RX Small Packet Detect */
#define E1000_TXDMAC    0x3000  /* 13.4.36 TX DMA Control */
#define E1000_TDBAL     0x3800  /* 13.4.37 TX Descriptor Base Low */
#define E1000_TDBAH     0x3804
#define E1000_TDLEN     0x3808  /* 13.4.39 TX Descriptor Length */
#define E1000_TDH       0x3810  /* 13.4.40 TX Descriptor Head */
#define E1000_TDT       0x3818  /* 13.4.41 TX Descriptor Tail */
#define E1000_TIDV      0x3820  /* 13.4.42 TX Interrupt Delay Value */
#define E1000_TXDCTL    0x3828  /* 13.4.43 TX Descriptor Control */
#define E1000_TADV      0x382c  /* 13.4.44 TX Absolute Interrupt Delay */
#define E1000_TSPMT     0x3830  /* 13.4.45 TCP Segmentation Pad/Min */
#define E1000_STATS     0x4000  /* 13.7 statistics, read-to-clear ... */
#define E1000_STATS_END 0x4100  /* ... up to here */
#define E1000_RXCSUM    0x5000  /* 13.4.47 RX Checksum Control */
#define E1000_MTA       0x5200  /* 13.5.1 Multicast Table Array, 128 */
#define E1000_MTA_END   0x5400
#define E1000_RA        0x5400  /* 13.5.2/3 RAL/RAH pairs, 16 */
#define E1000_RA_END    0x5480
#define E1000_VFTA      0x5600  /* 13.5.4 VLAN Filter Table, 128 */
#define E1000_VFTA_END  0x5800
#define E1000_WUC       0x5800  /* 13.6 wake-up registers */
#define E1000_WUFC      0x5808
#define E1000_WUS       0x5810
#define E1000_MANC      0x5820  /* management control */
#define E1000_IPAV      0x5838
#define E1000_IP4AT     0x5840
#define E1000_IP6AT     0x5880
#define E1000_WUPL      0x5900
#define E1000_WUPM      0x5a00
#define E1000_FFLT      0x5f00
#define E1000_FFMT      0x9000
#define E1000_FFVT      0x9800

/* Statistics (13.7) the device counts; the rest read 0. */
#define E1000_MPC       0x4010  /* Missed Packets */
#define E1000_COLC      0x4028
#define E1000_PRC64     0x405c  /* Packets Received by size ... */
#define E1000_PRC127    0x4060
#define E1000_PRC255    0x4064
#define E1000_PRC511    0x4068
#define E1000_PRC1023   0x406c
#define E1000_PRC1522   0x4070
#define E1000_GPRC      0x4074  /* Good Packets Received */
#define E1000_BPRC      0x4078  /* Broadcast Packets Received */
#define E1000_MPRC      0x407c  /* Multicast Packets Received */
#define E1000_GPTC      0x4080  /* Good Packets Transmitted */
#define E1000_GORCL     0x4088  /* Good Octets Received (64 bit) */
#define E1000_GORCH     0x408c
#define E1000_GOTCL     0x4090  /* Good Octets Transmitted (64 bit) */
#define E1000_GOTCH     0x4094
#define E1000_RNBC      0x40a0  /* Receive No Buffers */
#define E1000_RUC       0x40a4  /* Receive Undersize */
#define E1000_ROC       0x40ac  /* Receive Oversize */
#define E1000_TORL      0x40c0  /* Total Octets Received (64 bit) */
#define E1000_TORH      0x40c4
#define E1000_TOTL      0x40c8  /* Total Octets Transmitted (64 bit) */
#define E1000_TOTH      0x40cc
#define E1000_TPR       0x40d0  /* Total Packets Received */
#define E1000_TPT       0x40d4  /* Total Packets Transmitted */
#define E1000_PTC64     0x40d8  /* Packets Transmitted by size ... */
#define E1000_PTC127    0x40dc
#define E1000_PTC255    0x40e0
#define E1000_PTC511    0x40e4
#define E1000_PTC1023   0x40e8
#define E1000_PTC1522   0x40ec
#define E1000_MPTC      0x40f0  /* Multicast Packets Transmitted */
#define E1000_BPTC      0x40f4  /* Broadcast Packets Transmitted */
#define E1000_TSCTC     0x40f8  /* TCP Segmentation Context Transmitted */
#define E1000_TSCTFC    0x40fc  /* TSO Context Transmit Fail */

/* CTRL (13.4.1) */
#define E1000_CTRL_FD       (1u << 0)
#define E1000_CTRL_LRST     (1u << 3)
#define E1000_CTRL_ASDE     (1u << 5)
#define E1000_CTRL_SLU      (1u << 6)
#define E1000_CTRL_SPD_1000 (2u << 8)
#define E1000_CTRL_RST      (1u << 26)  /* self-clearing */
#define E1000_CTRL_VME      (1u << 30)
#define E1000_CTRL_PHY_RST  (1u << 31)

/* STATUS (13.4.2) */
#define E1000_STATUS_FD         (1u << 0)
#define E1000_STATUS_LU         (1u << 1)
#define E1000_STATUS_SPEED_1000 (2u << 6)
#define E1000_STATUS_ASDV_1000  (2u << 8)

/* EECD (13.4.3): Microwire EEPROM bit-banging */
#define E1000_EECD_SK   (1u << 0)
#define E1000_EECD_CS   (1u << 1)
#define E1000_EECD_DI   (1u << 2)
#define E1000_EECD_DO   (1u << 3)
#define E1000_EECD_FWE  (3u << 4)
#define E1000_EECD_REQ  (1u << 6)
#define E1000_EECD_GNT  (1u << 7)
#define E1000_EECD_PRES (1u << 8)
#define E1000_EECD_SIZE (1u << 9)   /* 0: 64 words, 6 address bits */

/* EERD (13.4.4) */
#define E1000_EERD_START        (1u << 0)
#define E1000_EERD_DONE         (1u << 4)
#define E1000_EERD_ADDR_SHIFT   8
#define E1000_EERD_DATA_SHIFT   16

/* MDIC (13.4.7) */
#define E1000_MDIC_DATA_MASK    0xffffu
#define E1000_MDIC_REG_SHIFT    16
#define E1000_MDIC_PHY_SHIFT    21
#define E1000_MDIC_OP_WRITE     (1u << 26)
#define E1000_MDIC_OP_READ      (2u << 26)
#define E1000_MDIC_READY        (1u << 28)
#define E1000_MDIC_INT_EN       (1u << 29)
#define E1000_MDIC_ERROR        (1u << 30)

/* ICR/ICS/IMS/IMC bits (13.4.17) */
#define E1000_ICR_TXDW      (1u << 0)   /* TX descriptor written back */
#define E1000_ICR_TXQE      (1u << 1)   /* TX queue empty */
#define E1000_ICR_LSC       (1u << 2)   /* link status change */
#define E1000_ICR_RXSEQ     (1u << 3)
#define E1000_ICR_RXDMT0    (1u << 4)   /* RX descriptor minimum threshold */
#define E1000_ICR_RXO       (1u << 6)   /* receiver overrun */
#define E1000_ICR_RXT0      (1u << 7)   /* receiver timer */
#define E1000_ICR_MDAC      (1u << 9)   /* MDI access complete */
#define E1000_ICR_TXD_LOW   (1u << 15)
#define E1000_ICR_SRPD      (1u << 16)  /* small receive packet detected */
#define E1000_ICR_VALID     0x0001f6dfu /* bits defined for the 82540 */

/* RCTL (13.4.22) */
#define E1000_RCTL_EN       (1u << 1)
#define E1000_RCTL_SBP      (1u << 2)
#define E1000_RCTL_UPE      (1u << 3)   /* unicast promiscuous */
#define E1000_RCTL_MPE      (1u << 4)   /* multicast promiscuous */
#define E1000_RCTL_LPE      (1u << 5)   /* long packet enable */
#define E1000_RCTL_RDMTS_SHIFT 8        /* free-descriptor threshold */
#define E1000_RCTL_MO_SHIFT 12          /* multicast offset */
#define E1000_RCTL_BAM      (1u << 15)  /* broadcast accept */
#define E1000_RCTL_BSIZE_SHIFT 16
#define E1000_RCTL_VFE      (1u << 18)  /* VLAN filter enable */
#define E1000_RCTL_BSEX     (1u << 25)  /* buffer size extension */
#define E1000_RCTL_SECRC    (1u << 26)  /* strip Ethernet CRC */

/* TCTL (13.4.33) */
#define E1000_TCTL_EN       (1u << 1)
#define E1000_TCTL_PSP      (1u << 3)   /* pad short packets */

/* RXCSUM (13.4.47) */
#define E1000_RXCSUM_PCSS_MASK 0xffu
#define E1000_RXCSUM_IPOFLD (1u << 8)
#define E1000_RXCSUM_TUOFLD (1u << 9)

/* RAH (13.5.3) */
#define E1000_RAH_AV        (1u << 31)  /* address valid */

/* Legacy/extended descriptors are 16 bytes (3.2.3, 3.3.3, 3.3.6-7) */
#define E1000_DESC_SIZE 16

/* Receive descriptor (3.2.3) */
typedef struct e1000_rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t csum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
} e1000_rx_desc;

#define E1000_RXD_STAT_DD    (1u << 0)
#define E1000_RXD_STAT_EOP   (1u << 1)
#define E1000_RXD_STAT_IXSM  (1u << 2)  /* ignore checksum indication */
#define E1000_RXD_STAT_VP    (1u << 3)  /* 802.1Q packet, tag stripped */
#define E1000_RXD_STAT_TCPCS (1u << 5)  /* TCP/UDP checksum calculated */
#define E1000_RXD_STAT_IPCS  (1u << 6)  /* IP checksum calculated */
#define E1000_RXD_ERR_TCPE   (1u << 5)
#define E1000_RXD_ERR_IPE    (1u << 6)

/* Transmit descriptors (3.3.3 legacy, 3.3.6 context, 3.3.7 data) */
#define E1000_TXD_CMD_EOP   (1u << 0)
#define E1000_TXD_CMD_IFCS  (1u << 1)
#define E1000_TXD_CMD_IC    (1u << 2)   /* legacy: insert checksum */
#define E1000_TXD_CMD_TSE   (1u << 2)   /* data: TCP segmentation */
#define E1000_TXD_CMD_RS    (1u << 3)   /* report status */
#define E1000_TXD_CMD_DEXT  (1u << 5)   /* extended descriptor */
#define E1000_TXD_CMD_VLE   (1u << 6)   /* insert VLAN tag */
#define E1000_TXD_CMD_IDE   (1u << 7)   /* interrupt delay enable */
#define E1000_TXD_STAT_DD   (1u << 0)
#define E1000_TXD_DTYP_CTX  0x0
#define E1000_TXD_DTYP_DATA 0x1
#define E1000_TXD_POPTS_IXSM (1u << 0)  /* insert IP checksum */
#define E1000_TXD_POPTS_TXSM (1u << 1)  /* insert TCP/UDP checksum */
#define E1000_TXD_TUCMD_TCP (1u << 0)   /* context: 1 TCP, 0 UDP */
#define E1000_TXD_TUCMD_IP  (1u << 1)   /* context: 1 IPv4, 0 IPv6 */

/* Byte offsets inside a 16-byte TX descriptor. */
#define E1000_TXD_LEN       8   /* legacy length (16 bit) */
#define E1000_TXD_CSO       10
#define E1000_TXD_CMD       11
#define E1000_TXD_STA       12
#define E1000_TXD_CSS       13
#define E1000_TXD_SPECIAL   14
#define E1000_TXD_DTYP_SHIFT 20         /* in the dword at offset 8 */
#define E1000_TXD_POPTS     13          /* data descriptor */
#define E1000_TXD_HDRLEN    13          /* context descriptor */
#define E1000_TXD_MSS       14          /* context descriptor */

/* EEPROM map (5.6, table 5-2) */
#define E1000_EEPROM_WORDS      64
#define E1000_EEPROM_CHECKSUM   0x3f    /* sum of 0x00..0x3f == 0xbaba */
#define E1000_EEPROM_SUM        0xbaba

/* PHY (M88E1011, SDM 13.4.7 / Marvell datasheet) */
#define E1000_PHY_ADDR          1
#define E1000_PHY_CTRL          0x00
#define E1000_PHY_STATUS        0x01
#define E1000_PHY_ID1           0x02
#define E1000_PHY_ID2           0x03
#define E1000_PHY_AUTONEG_ADV   0x04
#define E1000_PHY_LP_ABILITY    0x05
#define E1000_PHY_AUTONEG_EXP   0x06
#define E1000_PHY_1000T_CTRL    0x09
#define E1000_PHY_1000T_STATUS  0x0a
#define E1000_PHY_EXT_STATUS    0x0f
#define E1000_PHY_SPEC_CTRL     0x10
#define E1000_PHY_SPEC_STATUS   0x11
#define E1000_PHY_REGS          32
#define E1000_MII_CR_RESET          (1u << 15)
#define E1000_MII_CR_RESTART_AN     (1u << 9)
#define E1000_MII_SR_LINK_STATUS    (1u << 2)
#define E1000_MII_SR_AUTONEG_DONE   (1u << 5)
#define E1000_M88_PSSR_LINK         (1u << 10)

#endif
