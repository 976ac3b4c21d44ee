/* SPDX-License-Identifier: MIT */
#include "pcap-read.h"

#include <stdint.h>

GBytes *test_pcap_record(const char *path, unsigned index)
{
    g_autofree char *data = NULL;
    gsize len, off = 24;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, >=, 24);
    g_assert_cmphex(*(uint32_t *)data, ==, 0xa1b2c3d4);
    g_assert_cmpuint(*(uint32_t *)(data + 20), ==, 1);     /* Ethernet */
    for (unsigned i = 0; off + 16 <= len; i++) {
        uint32_t incl = *(uint32_t *)(data + off + 8);

        g_assert_cmpuint(off + 16 + incl, <=, len);
        if (i == index) {
            return g_bytes_new(data + off + 16, incl);
        }
        off += 16 + incl;
    }
    return NULL;
}
