/* SPDX-License-Identifier: MIT */
/*
 * Checksums the NIC computes: the 16-bit ones-complement Internet
 * checksum (RFC 1071) for IP/TCP/UDP offload, and the Ethernet FCS
 * (CRC-32, IEEE 802.3 clause 3.2.9) appended to received frames when
 * RCTL.SECRC is clear.
 */
#include "hw/net/e1000_int.h"

uint32_t e1000_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (i < len) {
        acc += (uint32_t)p[i] << 8;     /* odd byte: pad with zero */
    }
    while (acc >> 32) {
        acc = (acc & 0xffffffffu) + (acc >> 32);
    }
    return (uint32_t)acc;
}

uint16_t e1000_csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

/* Reflected CRC-32, polynomial 0x04c11db7 (0xedb88320 reversed). */
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

uint32_t e1000_crc32(const uint8_t *p, size_t len)
{
    static gsize table_ready;
    uint32_t c = 0xffffffffu;

    if (g_once_init_enter(&table_ready)) {
        crc_init();
        g_once_init_leave(&table_ready, 1);
    }
    for (size_t i = 0; i < len; i++) {
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    }
    return c ^ 0xffffffffu;
}
