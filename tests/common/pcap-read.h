/* SPDX-License-Identifier: MIT */
/* Reading back the pcap files hvmemu's capture backend writes (tests). */
#ifndef TESTS_PCAP_READ_H
#define TESTS_PCAP_READ_H

#include <glib.h>

/* Record @index (0-based) of the classic-pcap Ethernet file at @path, or
 * NULL if there are fewer records. Asserts the global header (magic
 * A1B2C3D4h, link type 1) and that every record up to it is complete. */
GBytes *test_pcap_record(const char *path, unsigned index);

#endif
