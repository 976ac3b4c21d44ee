/* SPDX-License-Identifier: MIT */
/*
 * The one place the Xen library headers are included.
 *
 * The project builds as strict C11 (-std=c11 defines __STRICT_ANSI__).
 * Xen's headers predate C11: xen/hvm/save.h refuses anonymous unions
 * unless compiled as GNU C (they are standard C11), and the xen/foreign
 * headers declare their 64-bit aligned types only without __STRICT_ANSI__.
 * Everything they need is accepted by GCC and clang in C11 mode, so we
 * drop the macro for the rest of the translation unit instead of building
 * ioreq/ with a different language standard. -D_GNU_SOURCE is set project
 * wide, so libc headers included later see no difference.
 */
#ifndef IOREQ_XEN_HEADERS_H
#define IOREQ_XEN_HEADERS_H

#include <stdint.h>

#undef __STRICT_ANSI__

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xentoolcore.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>

#endif
