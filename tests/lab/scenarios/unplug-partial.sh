# SPDX-License-Identifier: MIT
# unplug-partial: partial masks on real Xen. xen_emul_unplug=aux-ide-disks,
# nics makes Linux write mask 0x6: every IDE disk but the primary master
# (bit 2, which QEMU ignores and hvmemu follows), and every NIC (bit 1).
# hvmemu presents hda, hdb, an ATAPI hdc and an e1000:
#  - exactly one sd disk, and it is hda (its pattern reads back)
#  - hdb is gone, the CD-ROM stays (sr reads)
#  - no e1000 on the guest's PCI bus (the function reads as absent)
LAB_ORDER=38
GUEST_TIMEOUT=420
GUEST_UNPLUG="aux-ide-disks,nics"
GUEST_MODULES="ata_piix sd_mod sr_mod e1000"
NET_MAC=00:16:3e:4c:41:06
HVMEMU_ARGS='--disk file:$WORK/a.img,hda,w --disk file:$WORK/b.img,hdb,w --disk file:$WORK/cd.iso,hdc:cdrom,r --nic model=e1000,mac=$NET_MAC,backend=none'

dom0_prepare() {
    dom0_pattern_image "$WORK/a.img" 4 31 &&
        dom0_pattern_image "$WORK/b.img" 4 32 &&
        dom0_pattern_image "$WORK/cd.iso" 2 33
}

guest_main() {
    LAB_WAIT=60 wait_for lab_first_block sr ||
        { fail cdrom "no sr device: the CD-ROM went too"; return; }
    check cdrom-read labtool pattern-check $(lab_first_block sr) 33 0 4096
    lab_disk || return
    sleep 5         # both channels probed: a second sd would be hdb
    expect_eq sd-count "$(ls -d /sys/block/sd* | wc -l)" 1
    check primary-master labtool pattern-check $dev 31 0 8192 direct
    nic=""
    for _p in /sys/bus/pci/devices/*; do
        [ "$(cat $_p/vendor)" = 0x8086 ] && [ "$(cat $_p/device)" = 0x100e ] &&
            nic="$nic ${_p##*/}"
    done
    if [ -n "$nic" ]; then
        fail nic-gone "an 82540EM is on the bus:$nic"
    else
        pass nic-gone "no 8086:100e on the PCI bus"
    fi
    if ls /sys/class/net | grep -q eth; then
        fail no-eth "$(ls /sys/class/net | tr '\n' ' ')"
    else
        pass no-eth "$(ls /sys/class/net | tr '\n' ' ')"
    fi
}

dom0_check() {
    dom0_log_has 'unplug mask 0x6 from the guest: 2 device' "the mask"
    dom0_log_has 'hdb: unplugged \(unplug protocol, mask 0x6\)' "hdb's unplug"
    dom0_log_has 'e1000@00:04.0: unplugged' "the NIC's unplug"
    dom0_image_unchanged "$WORK/a.img" "hda's image"
    dom0_image_unchanged "$WORK/b.img" "hdb's image"
}
