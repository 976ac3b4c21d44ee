# SPDX-License-Identifier: MIT
# unplug-guard: the twin guard on real Xen. The guest boots with
# xen_emul_unplug=unnecessary — Linux keeps its emulated disks AND enables
# blkfront (with "never" blkfront would refuse to load) — so nothing
# unplugs hvmemu's hda; the same image is also its PV disk xvda (qdisk).
#  - first only ata_piix: sda is hvmemu's disk and reads the pattern
#  - then blkfront loads; when its frontend connects, hvmemu removes hda
#    (flushed first) before the guest has xvda: the first O_DIRECT read of
#    sda after xvda appeared fails with an I/O error in bounded time — the
#    guest never has both
#  - xvda reads the image byte-exact
#  - hvmemu logged the removal loudly and counts it in its exit summary
LAB_ORDER=37
GUEST_TIMEOUT=480
GUEST_UNPLUG="unnecessary"
GUEST_MODULES="ata_piix sd_mod"
DISK_MB=16
DISK_SECTORS=$((DISK_MB * 2048))
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w'
XL_EXTRA="disk=['format=raw,vdev=xvda,access=rw,backendtype=qdisk,target=$WORK/disk.img']"

dom0_prepare() { dom0_pattern_image "$WORK/disk.img" $DISK_MB 21; }

guest_main() {
    lab_disk || return
    check emulated-read labtool pattern-check $dev 21 0 2048 direct
    # libata's command timeout, so the refusal below is quick.
    echo 5 >/sys/block/${dev#/dev/}/device/timeout
    lab_load_module xen_blkfront || { fail blkfront "insmod failed"; return; }
    LAB_WAIT=90 wait_for lab_first_block xvd ||
        { fail pv-disk "no xvd device appeared"; return; }
    xvd=$(lab_first_block xvd)
    expect_refused emulated-gone 'Input/output error|No such device' \
        labtool pattern-check $dev 21 0 8 direct
    check pv-read labtool pattern-check $xvd 21 0 $DISK_SECTORS direct
}

dom0_check() {
    dom0_log_has 'hda REMOVED: twin guard: .*xvda \(qdisk/51712' "the guard's warning"
    dom0_log_has 'hda: unplugged \(twin guard' "hda's removal"
    dom0_log_has "unplug summary: 0 by the guest's unplug request, 1 by the twin guard" "the exit summary"
    dom0_image_unchanged "$WORK/disk.img" "the disk image"
}
