# SPDX-License-Identifier: MIT
# ide-readonly: a disk given read-only ("...,hda,r") reads fine, and a guest
# write fails with an I/O error in bounded time (no hang); the image is
# unchanged afterwards.
LAB_ORDER=30
GUEST_TIMEOUT=420
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="crct10dif_generic ata_piix sd_mod"
DISK_MB=16
DISK_SECTORS=$((DISK_MB * 2048))
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,r'

dom0_prepare() { dom0_pattern_image "$WORK/disk.img" $DISK_MB 1; }

guest_main() {
    lab_disk || return
    check read labtool pattern-check $dev 1 0 $DISK_SECTORS
    expect_refused write-refused 'Input/output error' \
        labtool pattern-write $dev 9 64 8 direct
    # The device still works after the error handling.
    check read-after-error labtool pattern-check $dev 1 0 2048 direct
}

dom0_check() { dom0_image_unchanged "$WORK/disk.img" "the read-only image"; }
