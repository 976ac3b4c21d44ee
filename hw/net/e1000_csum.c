/* SPDX-License-Identifier: MIT */
/*
 * Checksums the NIC computes: the 16-bit ones-complement Internet
 * checksum (RFC 1071) for IP/TCP/UDP offload, and the Ethernet FCS
 * (CRC-32, IEEE 802.3 clause 3.2.9) appended to received frames when
 * RCTL.SECRC is clear.
 */
#include "hw/net/e1000_int.h"

/*
 * Adds big-endian 32-bit words into a 64-bit accumulator: since 2^16 and
 * 2^32 are both 1 modulo 0xffff, a 32-bit word counts as its two 16-bit
 * halves and the carries fold in at the end (RFC 1071 §2(A), "deferred
 * carries"; §2(B) byte-order independence is not needed, the words are
 * read big-endian). Four times fewer steps than 16-bit pairs: every
 * received frame is summed, and under a nested emulator that shows.
 */
uint32_t e1000_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    size_t i = 0;

    for (; i + 4 <= len; i += 4) {
        acc += (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
               (uint32_t)p[i + 2] << 8 | p[i + 3];
    }
    if (i + 2 <= len) {
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
        i += 2;
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

/* Reflected CRC-32, polynomial 0x04c11db7 (0xedb88320 reversed), four
 * bytes per step ("slicing by 4"): crc_table[k][b] is the CRC of byte b
 * followed by k zero bytes. */
static uint32_t crc_table[4][256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int k = 1; k < 4; k++) {
            uint32_t c = crc_table[k - 1][i];
            crc_table[k][i] = crc_table[0][c & 0xff] ^ (c >> 8);
        }
    }
}

uint32_t e1000_crc32(const uint8_t *p, size_t len)
{
    static gsize table_ready;
    uint32_t c = 0xffffffffu;
    size_t i = 0;

    if (g_once_init_enter(&table_ready)) {
        crc_init();
        g_once_init_leave(&table_ready, 1);
    }
    for (; i + 4 <= len; i += 4) {
        c ^= (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
             (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
        c = crc_table[3][c & 0xff] ^ crc_table[2][(c >> 8) & 0xff] ^
            crc_table[1][(c >> 16) & 0xff] ^ crc_table[0][c >> 24];
    }
    for (; i < len; i++) {
        c = crc_table[0][(c ^ p[i]) & 0xff] ^ (c >> 8);
    }
    return c ^ 0xffffffffu;
}
