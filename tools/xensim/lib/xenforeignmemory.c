// SPDX-License-Identifier: MIT
/*
 * Replacement libxenforeignmemory.so.1. Guest RAM and the ioreq-server
 * pages live in memfds owned by the simulator; a map request asks it which
 * pfns are valid (per-page errors as privcmd's MMAPBATCH_V2 reports them)
 * and receives the memfd, which is then mmap'd page run by page run at the
 * pfn's offset. The simulator counts mapped pages per domain because, as
 * in Xen, a destroyed domain lingers as "dying" while a device model still
 * maps its memory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenforeignmemory.h>
#include <xen/memory.h>

#include "client.h"
#include "xs-toolcore.h"

typedef struct fmem_mapping {
    struct fmem_mapping *next;
    void *addr;
    size_t pages;
    uint32_t domid;
    uint32_t counted;         /* pages the simulator accounted */
} fmem_mapping;

struct xenforeignmemory_handle {
    xs_active_handle tc;      /* first: xentoolcore casts to it */
    xs_client c;
    domid_t restricted;
    pthread_mutex_t lock;     /* protects maps */
    fmem_mapping *maps;
};

struct xenforeignmemory_resource_handle {
    uint32_t domid;
    void *addr;
    unsigned long nr_frames;
};

static int fmem_restrict_cb(xs_active_handle *ah, domid_t domid)
{
    return xenforeignmemory_restrict((xenforeignmemory_handle *)ah, domid);
}

xenforeignmemory_handle *xenforeignmemory_open(
    struct xentoollog_logger *logger, unsigned open_flags)
{
    xenforeignmemory_handle *h = calloc(1, sizeof(*h));

    if (!h) {
        return NULL;
    }
    if (xs_client_open(&h->c, XS_KIND_FMEM, 0, NULL, NULL) < 0) {
        int e = errno;
        free(h);
        errno = e;
        return NULL;
    }
    h->restricted = DOMID_INVALID;
    pthread_mutex_init(&h->lock, NULL);
    h->tc.restrict_callback = fmem_restrict_cb;
    xentoolcore__register_active_handle(&h->tc);
    return h;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
    if (!fmem) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&fmem->tc);
    /* Like closing privcmd: the mappings stay valid (the VMAs keep them),
     * the simulator drops its accounting when the connection closes. */
    for (fmem_mapping *m = fmem->maps, *n; m; m = n) {
        n = m->next;
        free(m);
    }
    xs_client_close(&fmem->c);
    pthread_mutex_destroy(&fmem->lock);
    free(fmem);
    return 0;
}

int xenforeignmemory_restrict(xenforeignmemory_handle *fmem, domid_t domid)
{
    fmem->restricted = domid;
    return 0;
}

/* Ask about pfns [from, from + n) ; fills err[], returns the RAM memfd (or
 * -1 with errno) and adds the pages accounted to *counted. */
static int query_chunk(xenforeignmemory_handle *h, uint32_t dom, int prot,
                       const xen_pfn_t *arr, size_t n, int *err,
                       uint32_t *counted)
{
    /* Heap, not stack: callers may run on small thread stacks. */
    uint64_t *pfns = malloc(n * sizeof(*pfns));
    int32_t *errs = malloc(n * sizeof(*errs));
    xs_msg m = { .h.op = XS_OP_FMEM_MAP };
    size_t rlen = 0;
    int fd = -1;
    int rc = -1;

    if (!pfns || !errs) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        pfns[i] = arr[i];
    }
    m.u.map.domid = dom;
    m.u.map.prot = (uint32_t)prot;
    m.u.map.nr = (uint32_t)n;
    if (xs_client_call(&h->c, &m, pfns, n * sizeof(pfns[0]), errs,
                       n * sizeof(errs[0]), &rlen, &fd) < 0) {
        goto out;
    }
    if (rlen != n * sizeof(errs[0]) || fd < 0) {
        if (fd >= 0) {
            close(fd);
        }
        errno = EPROTO;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        err[i] = errs[i];
        *counted += errs[i] == 0;
    }
    rc = fd;
out:
    free(pfns);
    free(errs);
    return rc;
}

/* Map the runs of consecutive, valid pfns over the reserved area. */
static void map_runs(char *base, int fd, int prot, const xen_pfn_t *arr,
                     size_t n, int *err)
{
    size_t i = 0;

    while (i < n) {
        if (err[i]) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && !err[j] && arr[j] == arr[j - 1] + 1) {
            j++;
        }
        void *p = mmap(base + i * XS_PAGE_SIZE, (j - i) * XS_PAGE_SIZE, prot,
                       MAP_SHARED | MAP_FIXED, fd,
                       (off_t)arr[i] << XS_PAGE_SHIFT);
        if (p == MAP_FAILED) {
            for (size_t k = i; k < j; k++) {
                err[k] = -errno;
            }
        }
        i = j;
    }
}

static void account_unmap(xenforeignmemory_handle *h, uint32_t domid,
                          uint32_t pages)
{
    xs_msg m = { .h.op = XS_OP_FMEM_UNMAP };

    if (!pages) {
        return;
    }
    m.u.map.domid = domid;
    m.u.map.nr = pages;
    (void)xs_client_call(&h->c, &m, NULL, 0, NULL, 0, NULL, NULL);
}

static void remember(xenforeignmemory_handle *h, void *addr, size_t pages,
                     uint32_t domid, uint32_t counted)
{
    fmem_mapping *m = calloc(1, sizeof(*m));

    if (!m) {
        return;   /* accounting leak only; the mapping itself is fine */
    }
    *m = (fmem_mapping){ .addr = addr, .pages = pages, .domid = domid,
                         .counted = counted };
    pthread_mutex_lock(&h->lock);
    m->next = h->maps;
    h->maps = m;
    pthread_mutex_unlock(&h->lock);
}

/* A legacy ioreq-server gfn: ask for its memfd and page, map it at @at. */
static int map_special(xenforeignmemory_handle *h, uint32_t dom, char *at,
                       int prot, xen_pfn_t pfn)
{
    xs_msg m = { .h.op = XS_OP_FMEM_MAP_GFN };
    int fd = -1;

    m.u.res.domid = dom;
    m.u.res.frame = pfn;
    if (xs_client_call(&h->c, &m, NULL, 0, NULL, 0, NULL, &fd) < 0) {
        return -errno;
    }
    if (fd < 0) {
        return -EPROTO;
    }
    void *p = mmap(at, XS_PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED, fd,
                   (off_t)m.u.res.frame << XS_PAGE_SHIFT);
    int e = errno;
    close(fd);
    return p == MAP_FAILED ? -e : 0;
}

/* Fills err[] for all pages and maps the good ones; -1 on transport
 * failure. */
static int map_all(xenforeignmemory_handle *h, uint32_t dom, char *base,
                   int prot, size_t pages, const xen_pfn_t arr[], int err[],
                   uint32_t *counted)
{
    for (size_t off = 0; off < pages; off += XS_MAX_PFNS_PER_MSG) {
        size_t n = pages - off;
        n = n > XS_MAX_PFNS_PER_MSG ? XS_MAX_PFNS_PER_MSG : n;
        int fd = query_chunk(h, dom, prot, arr + off, n, err + off, counted);
        if (fd < 0) {
            return -1;
        }
        map_runs(base + off * XS_PAGE_SIZE, fd, prot, arr + off, n,
                 err + off);
        close(fd);
        for (size_t i = off; i < off + n; i++) {
            if (err[i] == XS_FMEM_GFN_SPECIAL) {
                err[i] = map_special(h, dom, base + i * XS_PAGE_SIZE, prot,
                                     arr[i]);
                *counted += err[i] == 0;
            }
        }
    }
    return 0;
}

void *xenforeignmemory_map2(xenforeignmemory_handle *fmem, uint32_t dom,
                            void *addr, int prot, int flags, size_t pages,
                            const xen_pfn_t arr[], int err[])
{
    int *own_err = NULL;
    uint32_t counted = 0;

    if (fmem->restricted != DOMID_INVALID && dom != fmem->restricted) {
        errno = EPERM;
        return NULL;
    }
    if (!pages) {
        errno = EINVAL;
        return NULL;
    }
    if (!err && !(err = own_err = calloc(pages, sizeof(int)))) {
        return NULL;
    }
    /* Reserve the whole range first; bad pages stay inaccessible, as an
     * unpopulated slot of a privcmd mapping faults on access. */
    char *base = mmap(addr, pages * XS_PAGE_SIZE, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS |
                      (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)), -1, 0);
    if (base == MAP_FAILED) {
        free(own_err);
        return NULL;
    }
    if (map_all(fmem, dom, base, prot, pages, arr, err, &counted) < 0) {
        int e = errno;
        munmap(base, pages * XS_PAGE_SIZE);
        account_unmap(fmem, dom, counted);
        free(own_err);
        errno = e;
        return NULL;
    }
    /* Without an err array any bad page fails the whole call (core.c). */
    for (size_t i = 0; own_err && i < pages; i++) {
        if (err[i]) {
            int e = -err[i];
            munmap(base, pages * XS_PAGE_SIZE);
            account_unmap(fmem, dom, counted);
            free(own_err);
            errno = e;
            return NULL;
        }
    }
    free(own_err);
    remember(fmem, base, pages, dom, counted);
    return base;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom,
                           int prot, size_t pages, const xen_pfn_t arr[],
                           int err[])
{
    return xenforeignmemory_map2(fmem, dom, NULL, prot, 0, pages, arr, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr,
                           size_t pages)
{
    fmem_mapping *found = NULL;

    pthread_mutex_lock(&fmem->lock);
    for (fmem_mapping **pp = &fmem->maps; *pp; pp = &(*pp)->next) {
        if ((*pp)->addr == addr) {
            found = *pp;
            *pp = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&fmem->lock);
    int rc = munmap(addr, pages * XS_PAGE_SIZE);
    if (found) {
        int e = errno;
        account_unmap(fmem, found->domid, found->counted);
        free(found);
        errno = e;
    }
    return rc;
}

xenforeignmemory_resource_handle *xenforeignmemory_map_resource(
    xenforeignmemory_handle *fmem, domid_t domid, unsigned int type,
    unsigned int id, unsigned long frame, unsigned long nr_frames,
    void **paddr, int prot, int flags)
{
    xs_msg m = { .h.op = XS_OP_FMEM_MAP_RESOURCE };
    int fd = -1;

    if (fmem->restricted != DOMID_INVALID && domid != fmem->restricted) {
        errno = EPERM;
        return NULL;
    }
    m.u.res.domid = domid;
    m.u.res.type = type;
    m.u.res.id = id;
    m.u.res.frame = frame;
    m.u.res.nr_frames = nr_frames;
    if (xs_client_call(&fmem->c, &m, NULL, 0, NULL, 0, NULL, &fd) < 0) {
        return NULL;
    }
    xenforeignmemory_resource_handle *r = calloc(1, sizeof(*r));
    void *p = MAP_FAILED;
    if (r && fd >= 0) {
        p = mmap(paddr ? *paddr : NULL, nr_frames * XS_PAGE_SIZE, prot,
                 MAP_SHARED | flags, fd, (off_t)frame << XS_PAGE_SHIFT);
    }
    int e = r ? (fd < 0 ? EPROTO : errno) : ENOMEM;
    if (fd >= 0) {
        close(fd);
    }
    if (p == MAP_FAILED) {
        free(r);
        xs_msg u = { .h.op = XS_OP_FMEM_UNMAP_RESOURCE };
        u.u.res.domid = domid;
        u.u.res.nr_frames = nr_frames;
        (void)xs_client_call(&fmem->c, &u, NULL, 0, NULL, 0, NULL, NULL);
        errno = e;
        return NULL;
    }
    *r = (xenforeignmemory_resource_handle){ .domid = domid, .addr = p,
                                             .nr_frames = nr_frames };
    if (paddr) {
        *paddr = p;
    }
    return r;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
    xs_msg m = { .h.op = XS_OP_FMEM_UNMAP_RESOURCE };

    if (!fres) {
        return 0;
    }
    int rc = munmap(fres->addr, fres->nr_frames * XS_PAGE_SIZE);
    m.u.res.domid = fres->domid;
    m.u.res.nr_frames = fres->nr_frames;
    (void)xs_client_call(&fmem->c, &m, NULL, 0, NULL, 0, NULL, NULL);
    free(fres);
    return rc;
}

int xenforeignmemory_resource_size(xenforeignmemory_handle *fmem,
                                   domid_t domid, unsigned int type,
                                   unsigned int id, size_t *size)
{
    xs_msg m = { .h.op = XS_OP_FMEM_RESOURCE_SIZE };

    m.u.res.domid = domid;
    m.u.res.type = type;
    m.u.res.id = id;
    if (xs_client_call(&fmem->c, &m, NULL, 0, NULL, 0, NULL, NULL) < 0) {
        return -1;
    }
    *size = (size_t)m.u.res.nr_frames << XS_PAGE_SHIFT;
    return 0;
}
