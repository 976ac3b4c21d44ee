// SPDX-License-Identifier: MIT
/*
 * Replacement libxentoolcore.so.1: the registry of open library handles so
 * xentoolcore_restrict_all() can restrict every one of them to a domain
 * (see xentoolcore.h). The internal entry points keep the real library's
 * ABI (tools/include/xentoolcore_internal.h in Xen's tree, not installed):
 * a handle embeds an active-handle record whose first member is its
 * restrict callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <xentoolcore.h>

#include "xs-toolcore.h"

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static xs_active_handle *handles;   /* the real library keeps a list too */

void xentoolcore__register_active_handle(xs_active_handle *ah)
{
    pthread_mutex_lock(&handles_lock);
    ah->prev = NULL;
    ah->next = handles;
    if (handles) {
        handles->prev = ah;
    }
    handles = ah;
    pthread_mutex_unlock(&handles_lock);
}

void xentoolcore__deregister_active_handle(xs_active_handle *ah)
{
    pthread_mutex_lock(&handles_lock);
    if (ah->prev) {
        ah->prev->next = ah->next;
    } else if (handles == ah) {
        handles = ah->next;
    }
    if (ah->next) {
        ah->next->prev = ah->prev;
    }
    ah->next = ah->prev = NULL;
    pthread_mutex_unlock(&handles_lock);
}

/* Same as the real helper: make @fd useless by pointing it at /dev/null. */
int xentoolcore__restrict_by_dup2_null(int fd)
{
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nullfd < 0) {
        return -1;
    }
    int r = dup2(nullfd, fd);
    int e = errno;
    close(nullfd);
    errno = e;
    return r < 0 ? -1 : 0;
}

int xentoolcore_restrict_all(domid_t domid)
{
    int rc = 0;

    pthread_mutex_lock(&handles_lock);
    for (xs_active_handle *ah = handles; ah; ah = ah->next) {
        if (ah->restrict_callback(ah, domid) < 0) {
            rc = -1;
            break;
        }
    }
    pthread_mutex_unlock(&handles_lock);
    return rc;
}
