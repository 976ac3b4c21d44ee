/* SPDX-License-Identifier: MIT */
/* The NIC's checksums against their textbook definitions: the Internet
 * checksum summed 16 bits at a time (RFC 1071), chained from any running
 * sum, and the Ethernet FCS computed bit by bit (IEEE 802.3 3.2.9), for
 * every length up to 2 KiB and random contents, plus known values. */
#include <string.h>

#include <glib.h>

#include "hw/net/e1000_int.h"

static uint16_t ref_csum(uint32_t start, const uint8_t *p, size_t len)
{
    uint64_t s = start;

    for (size_t i = 0; i < len; i += 2) {
        s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
    }
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)~s;
}

static uint32_t ref_crc(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
    }
    return ~c;
}

static void test_against_reference(void)
{
    static uint8_t buf[2048 + 3];
    GRand *r = g_rand_new_with_seed(20261126);

    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)g_rand_int(r);
    }
    for (size_t len = 0; len <= 2048; len++) {
        size_t off = len % 4;                   /* any alignment */
        uint32_t start = g_rand_int_range(r, 0, 0x40000);
        const uint8_t *p = buf + off;

        g_assert_cmphex(e1000_csum_fold(e1000_csum_add(start, p, len)), ==,
                        ref_csum(start, p, len));
        g_assert_cmphex(e1000_crc32(p, len), ==, ref_crc(p, len));
    }
    /* Chained: a pseudo header, then the segment, as the RX path sums. */
    g_assert_cmphex(e1000_csum_fold(e1000_csum_add(e1000_csum_add(0, buf, 12),
                                                   buf + 12, 1001)),
                    ==, ref_csum(0, buf, 1013));
    g_rand_free(r);
}

static void test_known_values(void)
{
    /* RFC 1071 §3's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
    static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03,
                                   0xf4, 0xf5, 0xf6, 0xf7 };

    g_assert_cmphex(e1000_csum_add(0, rfc, sizeof(rfc)) % 0xffff, ==, 0xddf2);
    /* The CRC-32 check value of "123456789". */
    g_assert_cmphex(e1000_crc32((const uint8_t *)"123456789", 9), ==,
                    0xcbf43926);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000/csum/against-reference", test_against_reference);
    g_test_add_func("/e1000/csum/known-values", test_known_values);
    return g_test_run();
}
