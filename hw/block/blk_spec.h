/* SPDX-License-Identifier: MIT */
/*
 * Disk specifications the way Xen admins write them in xl configs
 * (xl-disk-configuration(5)):
 *
 *   file:/srv/guest.img,hda,w          deprecated prefix form
 *   /srv/guest.img,raw,hda,rw          positional: target,format,vdev,access
 *   format=raw, vdev=hda, access=rw, target=/srv/guest.img
 *
 *   format=qcow2, vdev=hda, target=/srv/overlay.qcow2
 *   format=raw, vdev=hda, target=nbd://storage:10809/guest
 *
 * plus hvmemu keys: serial=, wcache=on|off, direct=on|off, reconnect=SEC
 * (NBD), and for tests x-inject-eio=LBA[+COUNT], x-inject-flush-eio,
 * x-delay-ms=N. Raw images and block devices are served directly; qcow2,
 * qcow, vhd and qed through a qemu-nbd child; NBD URIs (nbd://,
 * nbd+unix://, nbds://) through libnbd. Unknown keys are refused.
 */
#ifndef HW_BLOCK_BLK_SPEC_H
#define HW_BLOCK_BLK_SPEC_H

#include <stdbool.h>
#include <glib.h>

#include "hw/block/blk_fault.h"

typedef struct blk_spec {
    char *target;       /* image or device path, or an NBD/iSCSI URI */
    char *format;       /* NULL: raw; else qemu-nbd's name ("qcow2") */
    unsigned reconnect_s;   /* NBD, iSCSI: 0 = default */
    char *vdev;         /* "hda"... as given (":cdrom" suffix removed) */
    bool readonly;
    bool cdrom;         /* devtype=cdrom */
    bool direct;        /* open with O_DIRECT */
    bool discard;       /* advertise TRIM (default on; no-discard) */
    int wcache;         /* -1 default, 0 off, 1 on */
    char *serial;       /* NULL = derived */
    blk_fault fault;
} blk_spec;

bool blk_spec_parse(const char *text, blk_spec *out, GError **err);
void blk_spec_clear(blk_spec *s);

#endif
