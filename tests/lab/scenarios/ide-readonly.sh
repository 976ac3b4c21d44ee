# SPDX-License-Identifier: MIT
# ide-readonly: a disk given read-only ("...,hda,r") reads fine, and a guest
# write fails with an I/O error in bounded time (no hang); the image is
# unchanged afterwards.
LAB_ORDER=30
GUEST_TIMEOUT=420
GUEST_MODULES="crct10dif_generic ata_piix sd_mod"
DISK_MB=16
DISK_SECTORS=$((DISK_MB * 2048))
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,r'

dom0_prepare() {
    truncate -s ${DISK_MB}M "$WORK/disk.img"
    /lab/bin/labtool pattern-write "$WORK/disk.img" 1 0 $DISK_SECTORS
    sha256sum "$WORK/disk.img" | cut -d' ' -f1 >"$WORK/disk.sha"
}

guest_main() {
    lab_disk || return
    check read labtool pattern-check $dev 1 0 $DISK_SECTORS
    t0=$(cut -d. -f1 /proc/uptime)
    if timeout 180 labtool pattern-write $dev 9 64 8 direct >/tmp/w.out 2>&1; then
        fail write-refused "write succeeded: $(cat /tmp/w.out)"
    else
        rc=$?
        dt=$(($(cut -d. -f1 /proc/uptime) - t0))
        if [ $rc = 143 ] || [ $rc = 124 ]; then
            fail write-refused "write hung (killed after ${dt}s)"
        elif grep -q 'Input/output error' /tmp/w.out; then
            pass write-refused "EIO after ${dt}s: $(cat /tmp/w.out)"
        else
            fail write-refused "failed, but not with EIO: $(cat /tmp/w.out)"
        fi
    fi
    # The device still works after the error handling.
    check read-after-error labtool pattern-check $dev 1 0 2048 direct
}

dom0_check() {
    [[ $(sha256sum "$WORK/disk.img" | cut -d' ' -f1) == $(cat "$WORK/disk.sha") ]] ||
        dom0_fail "read-only image was modified"
}
