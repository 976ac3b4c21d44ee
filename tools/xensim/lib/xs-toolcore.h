/* SPDX-License-Identifier: MIT */
/*
 * The active-handle record shared by the replacement libraries, laid out
 * like Xentoolcore__Active_Handle (xentoolcore_internal.h in Xen's tree):
 * the restrict callback first, then the list linkage.
 */
#ifndef XENSIM_TOOLCORE_H
#define XENSIM_TOOLCORE_H

#include <xen/xen.h>

typedef struct xs_active_handle xs_active_handle;
typedef int xs_restrict_cb(xs_active_handle *ah, domid_t domid);

struct xs_active_handle {
    xs_restrict_cb *restrict_callback;
    xs_active_handle *next, *prev;
};

void xentoolcore__register_active_handle(xs_active_handle *ah);
void xentoolcore__deregister_active_handle(xs_active_handle *ah);
int xentoolcore__restrict_by_dup2_null(int fd);

#endif
