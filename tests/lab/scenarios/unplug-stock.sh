# SPDX-License-Identifier: MIT
# unplug-stock: a stock Linux guest — nothing about unplugging on its
# command line, blkfront in its initramfs — given one image twice: as
# hvmemu's IDE disk hda and as a PV disk (xvda, QEMU's qdisk backend), and
# hvmemu's ATAPI CD-ROM as hdc. Linux's platform code (arch/x86/xen/
# platform-pci-unplug.c) runs the handshake on hvmemu's ports 0x10-0x1f
# and unplugs the emulated disks and NICs (mask 0x3) before ata_piix
# probes (docs/unplug.md):
#  - ata_piix finds no disk: hda is absent, there is no sd next to xvda
#  - the CD-ROM stays: sr reads its pattern disc
#  - xvda reads the image byte-exact (O_DIRECT)
#  - hvmemu logged the handshake (product 3 = linux, build 1), the mask,
#    the unplug, and counts it in its exit summary; dom0 finds the image
#    unchanged
LAB_ORDER=36
GUEST_TIMEOUT=420
GUEST_UNPLUG=""
GUEST_MODULES="ata_piix sd_mod sr_mod xen_blkfront"
DISK_MB=16
DISK_SECTORS=$((DISK_MB * 2048))
CD_MB=4
CD_SECTORS=$((CD_MB * 2048))
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w --disk file:$WORK/cd.iso,hdc:cdrom,r'
XL_EXTRA="disk=['format=raw,vdev=xvda,access=rw,backendtype=qdisk,target=$WORK/disk.img']"

dom0_prepare() {
    dom0_pattern_image "$WORK/disk.img" $DISK_MB 11 &&
        dom0_pattern_image "$WORK/cd.iso" $CD_MB 12
}

guest_main() {
    LAB_WAIT=60 wait_for lab_first_block sr ||
        { fail cdrom "no sr device: the CD-ROM went too"; return; }
    cd=$(lab_first_block sr)
    check cdrom-read labtool pattern-check $cd 12 0 $CD_SECTORS
    LAB_WAIT=90 wait_for lab_first_block xvd ||
        { fail pv-disk "no xvd device appeared"; return; }
    xvd=$(lab_first_block xvd)
    check pv-read labtool pattern-check $xvd 11 0 $DISK_SECTORS direct
    # Both IDE channels were probed by now (sr is on the second one, and
    # blkfront came after ata_piix): an sd here would be hvmemu's hda.
    sleep 5
    if sd=$(lab_first_block sd); then
        fail no-twin "ata_piix found $sd next to $xvd"
    else
        pass no-twin "only $xvd; ata_piix found no disk"
    fi
    if dmesg | grep -q 'unplug emulated disks'; then
        pass unplug-announced "$(dmesg | grep -m1 -i 'unplug emulated disks' | sed 's/.*\] //')"
    else
        fail unplug-announced "Linux did not say it unplugged the disks"
    fi
}

dom0_check() {
    dom0_log_has 'PV drivers: product 3 \(linux\), build 1' "the handshake"
    dom0_log_has 'unplug mask 0x3 from the guest: 1 device' "the mask"
    dom0_log_has 'hda: unplugged \(unplug protocol, mask 0x3\)' "hda's unplug"
    dom0_log_has "unplug summary: 1 by the guest's unplug request, 0 by the twin guard" "the exit summary"
    dom0_image_unchanged "$WORK/disk.img" "the disk image"
}
