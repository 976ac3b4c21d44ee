/* SPDX-License-Identifier: MIT */
/*
 * Unplug: taking an emulated disk or NIC away from the guest for good, so
 * that it never stays visible next to its PV twin.
 *
 * Devices register each unpluggable thing they present (an ATA disk, a
 * CD-ROM, a NIC) with the context. Two parties may then unplug it:
 *   - the Xen unplug protocol (hw/platform/xen_platform.c): the guest's PV
 *     drivers write a mask to port 0x10 (docs/misc/hvm-emulated-unplug in
 *     Xen's tree), applied by hv_unplug_apply_mask;
 *   - the twin guard (hw/platform/twin_guard.c): hvmemu sees a PV frontend
 *     connect to the same storage as a disk it presents.
 * Unplug is one-way for the life of the domain (a guest reboot is a new
 * domain, and a new hvmemu). The device finishes what is in flight, makes
 * its data durable, then answers as absent and calls hv_unplug_done.
 */
#ifndef HVMEMU_UNPLUG_H
#define HVMEMU_UNPLUG_H

#include <stdbool.h>
#include <stdint.h>

#include "hvmemu/block.h"
#include "hvmemu/ctx.h"

/* The mask bits of the protocol (hvm-emulated-unplug, step 6). */
#define HV_UNPLUG_ALL_IDE_DISKS 0x0001u /* every IDE/SCSI disk, no CD-ROM */
#define HV_UNPLUG_ALL_NICS      0x0002u
#define HV_UNPLUG_AUX_IDE_DISKS 0x0004u /* every IDE disk but the primary
                                           master; bit 0 overrides it */
#define HV_UNPLUG_NVME_DISKS    0x0008u /* hvmemu emulates none */

typedef enum hv_unplug_kind {
    HV_UNPLUG_DISK,     /* an ATA disk: bits 0 and 2, the twin guard */
    HV_UNPLUG_CDROM,    /* never unplugged by the protocol */
    HV_UNPLUG_NIC,      /* bit 1 */
} hv_unplug_kind;

typedef enum hv_unplug_state {
    HV_UNPLUG_PRESENT,
    HV_UNPLUG_REMOVING, /* draining in-flight I/O, flushing */
    HV_UNPLUG_ABSENT,
} hv_unplug_state;

typedef struct hv_unplug_slot hv_unplug_slot;

typedef struct hv_unplug_desc {
    hv_unplug_kind kind;
    const char *name;       /* "hda", "e1000.0": copied */
    bool primary_master;    /* IDE: primary channel, unit 0 */
    hv_blk *blk;            /* disks: the storage (twin guard), or NULL */
    /* Start the removal; call hv_unplug_done when the device is absent
     * (at once or later, from the loop). Called at most once. */
    void (*unplug)(void *opaque);
    /* CD-ROMs: the admin's eject and insert (NULL: not removable). */
    bool (*eject)(void *opaque, bool force, GError **err);
    bool (*insert)(void *opaque, const char *path, GError **err);
    void *opaque;
} hv_unplug_desc;

/* Devices. The slot lives until unregistered (device destroy). */
hv_unplug_slot *hv_unplug_register(hv_ctx *ctx, const hv_unplug_desc *d);
void hv_unplug_unregister(hv_unplug_slot *s);
void hv_unplug_done(hv_unplug_slot *s);
/* The device changed its storage (media change); NULL: none. */
void hv_unplug_set_blk(hv_unplug_slot *s, hv_blk *blk);

/* Removable media by name ("hdc"): eject (@force: even if the guest
 * locked the tray) or insert a disc image. GError says why not. */
bool hv_media_eject(hv_ctx *ctx, const char *name, bool force, GError **err);
bool hv_media_insert(hv_ctx *ctx, const char *name, const char *path,
                     GError **err);

typedef enum hv_unplug_cause {
    HV_UNPLUG_BY_PROTOCOL,  /* the guest's PV drivers wrote a mask */
    HV_UNPLUG_BY_GUARD,     /* a PV frontend connected to the same disk */
    HV_UNPLUG_REFUSED,      /* already PV-connected when hvmemu started */
    HV_UNPLUG_CAUSES
} hv_unplug_cause;

/* Remove it; @why is logged and kept ("mask 0x3", "twin of vbd 51712").
 * Returns false if it was already removed or being removed. */
bool hv_unplug_request(hv_unplug_slot *s, hv_unplug_cause cause,
                       const char *why);
/* The protocol's mask: returns how many slots it started to remove. */
unsigned hv_unplug_apply_mask(hv_ctx *ctx, unsigned mask);

typedef struct hv_unplug_info {
    hv_unplug_kind kind;
    const char *name;
    bool primary_master;
    hv_blk *blk;            /* NULL once absent (the backend is closed) */
    hv_unplug_state state;
    hv_unplug_cause cause;  /* valid unless present */
    const char *why;        /* NULL while present */
} hv_unplug_info;

typedef void (*hv_unplug_fn)(void *opaque, hv_unplug_slot *s,
                             const hv_unplug_info *info);
void hv_unplug_foreach(hv_ctx *ctx, hv_unplug_fn fn, void *opaque);
void hv_unplug_get_info(const hv_unplug_slot *s, hv_unplug_info *info);
/* The slot named @name ("hda"); false if there is none. */
bool hv_unplug_lookup(hv_ctx *ctx, const char *name, hv_unplug_info *info);

/* How many slots each cause removed (for the exit summary). */
unsigned hv_unplug_count(hv_ctx *ctx, hv_unplug_cause cause);

#endif
