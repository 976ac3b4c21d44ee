# SPDX-License-Identifier: MIT
# unplug-noplatform: a guest without Xen's platform PCI device (xl
# xen_platform_pci=0) has no PV drivers, so nobody may answer the unplug
# protocol: a stock Linux would otherwise unplug its only disks. hvmemu
# reads libxl's record of the domain, leaves ports 0x10-0x1f alone, and
# the stock guest keeps hvmemu's hda.
#  - Linux finds no magic ("unrecognised magic value") and unplugs nothing
#  - sda is hvmemu's disk and reads its pattern
#  - hvmemu said why it left the protocol unanswered
LAB_ORDER=39
GUEST_TIMEOUT=300
GUEST_UNPLUG=""
GUEST_MODULES="ata_piix sd_mod"
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w'
XL_EXTRA="xen_platform_pci=0"

dom0_prepare() { dom0_pattern_image "$WORK/disk.img" 4 41; }

guest_main() {
    lab_disk || return
    check emulated-read labtool pattern-check $dev 41 0 8192 direct
    if dmesg | grep -qi 'unplug emulated'; then
        fail no-unplug "$(dmesg | grep -i -m1 'unplug emulated' | sed 's/.*\] //')"
    else
        pass no-unplug "$(dmesg | grep -i -m1 'magic' | sed 's/.*\] //')"
    fi
}

dom0_check() {
    dom0_log_has 'no Xen platform PCI device' "why the protocol is left alone"
    grep -aq 'PV drivers: product' "$OUT/hvmemu.log" &&
        dom0_fail "hvmemu answered the handshake of a guest without PV drivers"
    dom0_image_unchanged "$WORK/disk.img" "the disk image"
}
