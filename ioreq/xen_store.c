/* SPDX-License-Identifier: MIT */
/*
 * The guest's PV devices, read from xenstore with libxenstore (hvmemu/
 * xen.h, hv_xen_store_*). Layout as libxl writes it (Xen's docs/misc/
 * xenstore-paths and the PV protocol headers io/blkif.h, io/xenbus.h):
 *
 *   /local/domain/0/backend/{vbd,qdisk,vbd3}/<domid>/<devid>/
 *       params           the target; qdisk: "<format>:<path>"
 *       physical-device  blkback: "<major>:<minor>" in hex
 *       dev              the vdev ("xvda", "hda"), device-type disk|cdrom
 *       frontend         the guest's node; its "state" is a XenbusState
 *       state            the backend's XenbusState
 *   /local/domain/0/backend/vif/<domid>/<devid>/type   vif | vif_ioemu
 *
 * Backend directories are dom0's; only the frontend state is the guest's,
 * and it is only ever parsed as a small number. One watch per directory;
 * a wake-up drains every event and rescans once.
 */
#define G_LOG_DOMAIN "xenstore"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "ioreq/xen_int.h"

#define STORE_TOKEN     "hvmemu"
#define STORE_MAX_DEVS  64      /* per backend kind: far beyond xl's use */

/* XenbusState (io/xenbus.h) */
#define XB_INITIALISED  3
#define XB_CONNECTED    4

static const char *const disk_kinds[] = { "vbd", "qdisk", "vbd3" };

struct hv_xen_store {
    uint32_t domid;
    hv_loop *loop;
    struct xs_handle *xs;
    hv_watch *watch;
    hv_xen_store_fn fn;
    void *opaque;
    GPtrArray *paths;       /* watched paths */
};

/* A scan's results; the strings live in @strings. */
typedef struct store_scan {
    GArray *disks;          /* hv_pv_disk */
    GArray *nics;           /* hv_pv_nic */
    GStringChunk *strings;
} store_scan;

static char *store_read(hv_xen_store *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static char *store_read(hv_xen_store *s, const char *fmt, ...)
{
    g_autofree char *path = NULL;
    unsigned len = 0;
    char *v, *copy;
    va_list ap;

    va_start(ap, fmt);
    path = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    v = xs_read(s->xs, XBT_NULL, path, &len);
    if (!v) {
        return NULL;
    }
    copy = g_strndup(v, len);   /* values are not NUL-terminated text */
    free(v);
    return copy;
}

static int store_state(hv_xen_store *s, const char *node)
{
    g_autofree char *v = node ? store_read(s, "%s/state", node) : NULL;
    guint64 n;

    if (!v || !g_ascii_string_to_unsigned(v, 10, 0, 16, &n, NULL)) {
        return -1;
    }
    return (int)n;
}

/* qdisk's "raw:/srv/g.img", tap's "aio:/x": the path after the prefixes. */
static const char *params_path(const char *params)
{
    const char *p = params;

    while (p && *p && *p != '/') {
        const char *colon = strchr(p, ':');

        if (!colon) {
            return NULL;
        }
        p = colon + 1;
    }
    return p && *p ? p : NULL;
}

static dev_t phys_dev(const char *v)
{
    unsigned maj, min;

    if (!v || sscanf(v, "%x:%x", &maj, &min) != 2) {
        return 0;
    }
    return makedev(maj, min);
}

static void scan_disk(hv_xen_store *s, store_scan *sc, const char *kind,
                      const char *devid)
{
    g_autofree char *be = g_strdup_printf("/local/domain/0/backend/%s/%u/%s",
                                          kind, s->domid, devid);
    g_autofree char *params = store_read(s, "%s/params", be);
    g_autofree char *dev = store_read(s, "%s/dev", be);
    g_autofree char *type = store_read(s, "%s/device-type", be);
    g_autofree char *phys = store_read(s, "%s/physical-device", be);
    g_autofree char *fe = store_read(s, "%s/frontend", be);
    g_autofree char *id = g_strdup_printf("%s/%s", kind, devid);
    const char *path = params_path(params);
    int fe_state = store_state(s, fe), be_state = store_state(s, be);
    hv_pv_disk d = {
        .id = g_string_chunk_insert(sc->strings, id),
        .vdev = dev ? g_string_chunk_insert(sc->strings, dev) : NULL,
        .target = path ? g_string_chunk_insert(sc->strings, path) : NULL,
        .rdev = phys_dev(phys),
        .cdrom = type && g_str_equal(type, "cdrom"),
        /* libxl hands QEMU every disk of an HVM guest but xvd* ones. */
        .emulated = dev && !g_str_has_prefix(dev, "xvd"),
        .in_use = fe_state == XB_INITIALISED || fe_state == XB_CONNECTED ||
                  be_state == XB_CONNECTED,
    };

    g_array_append_val(sc->disks, d);
}

static void scan_nic(hv_xen_store *s, store_scan *sc, const char *devid)
{
    g_autofree char *type = store_read(s, "/local/domain/0/backend/vif/%u/%s"
                                       "/type", s->domid, devid);
    g_autofree char *id = g_strdup_printf("vif/%s", devid);
    hv_pv_nic n = {
        .id = g_string_chunk_insert(sc->strings, id),
        .emulated = type && (g_str_equal(type, "vif_ioemu") ||
                             g_str_equal(type, "ioemu")),
    };

    g_array_append_val(sc->nics, n);
}

static void scan_kind(hv_xen_store *s, store_scan *sc, const char *kind)
{
    g_autofree char *dir = g_strdup_printf("/local/domain/0/backend/%s/%u",
                                           kind, s->domid);
    unsigned num = 0;
    char **ids = xs_directory(s->xs, XBT_NULL, dir, &num);

    for (unsigned i = 0; ids && i < num && i < STORE_MAX_DEVS; i++) {
        if (g_str_equal(kind, "vif")) {
            scan_nic(s, sc, ids[i]);
        } else {
            scan_disk(s, sc, kind, ids[i]);
        }
    }
    free(ids);
}

static void store_scan_deliver(hv_xen_store *s)
{
    store_scan sc = {
        .disks = g_array_new(FALSE, TRUE, sizeof(hv_pv_disk)),
        .nics = g_array_new(FALSE, TRUE, sizeof(hv_pv_nic)),
        .strings = g_string_chunk_new(256),
    };

    for (size_t i = 0; i < G_N_ELEMENTS(disk_kinds); i++) {
        scan_kind(s, &sc, disk_kinds[i]);
    }
    scan_kind(s, &sc, "vif");
    s->fn(s->opaque, (const hv_pv_disk *)(void *)sc.disks->data,
          sc.disks->len, (const hv_pv_nic *)(void *)sc.nics->data,
          sc.nics->len);
    g_array_free(sc.disks, TRUE);
    g_array_free(sc.nics, TRUE);
    g_string_chunk_free(sc.strings);
}

static void store_readable(void *opaque, uint32_t events)
{
    hv_xen_store *s = opaque;
    unsigned n = 0;
    char **ev;

    /* xenstore.h: call xs_check_watch until it returns NULL. */
    while ((ev = xs_check_watch(s->xs))) {
        free(ev);
        n++;
    }
    if (n) {
        store_scan_deliver(s);
    }
}

hv_xen_store *hv_xen_store_open(uint32_t domid, hv_loop *loop, GError **err)
{
    hv_xen_store *s = g_new0(hv_xen_store, 1);

    s->domid = domid;
    s->loop = loop;
    s->paths = g_ptr_array_new_with_free_func(g_free);
    s->xs = xs_open(0);
    if (!s->xs) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno, "xs_open (xenstore; "
                            "is xenstored running?)");
        hv_xen_store_close(s);
        return NULL;
    }
    return s;
}

bool hv_xen_store_read(uint32_t domid, hv_xen_store_fn fn, void *opaque,
                       GError **err)
{
    hv_xen_store *s = hv_xen_store_open(domid, NULL, err);

    if (!s) {
        return false;
    }
    s->fn = fn;
    s->opaque = opaque;
    store_scan_deliver(s);
    hv_xen_store_close(s);
    return true;
}

static bool store_add_watch(hv_xen_store *s, char *path, GError **err)
{
    g_ptr_array_add(s->paths, path);
    if (!xs_watch(s->xs, path, STORE_TOKEN)) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno, "xs_watch %s", path);
        return false;
    }
    return true;
}

bool hv_xen_store_watch(hv_xen_store *s, hv_xen_store_fn fn, void *opaque,
                        GError **err)
{
    int fd;

    s->fn = fn;
    s->opaque = opaque;
    for (size_t i = 0; i < G_N_ELEMENTS(disk_kinds); i++) {
        if (!store_add_watch(s, g_strdup_printf("/local/domain/0/backend/"
                                                "%s/%u", disk_kinds[i],
                                                s->domid), err)) {
            return false;
        }
    }
    if (!store_add_watch(s, g_strdup_printf("/local/domain/0/backend/vif/%u",
                                            s->domid), err) ||
        !store_add_watch(s, g_strdup_printf("/local/domain/%u/device/vbd",
                                            s->domid), err)) {
        return false;
    }
    fd = xs_fileno(s->xs);
    s->watch = fd >= 0 ? hv_loop_add_fd(s->loop, fd, store_readable, s)
                       : NULL;
    if (!s->watch) {
        ioreq_xen_set_error(err, HV_ERROR_IO, errno, "xs_fileno");
        return false;
    }
    store_scan_deliver(s);
    return true;
}

void hv_xen_store_close(hv_xen_store *s)
{
    if (!s) {
        return;
    }
    if (s->watch) {
        hv_loop_remove(s->loop, s->watch);
    }
    for (guint i = 0; s->xs && i < s->paths->len; i++) {
        xs_unwatch(s->xs, g_ptr_array_index(s->paths, i), STORE_TOKEN);
    }
    if (s->xs) {
        xs_close(s->xs);
    }
    g_ptr_array_free(s->paths, TRUE);
    g_free(s);
}
