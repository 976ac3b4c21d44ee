# SPDX-License-Identifier: MIT
# boot-iso: a guest with no kernel= line boots an installer-style CD from
# hvmemu's ATAPI drive (issue 12): SeaBIOS finds the El Torito boot image
# through ATAPI packet commands over hvmemu's IDE, GRUB reads the kernel
# and the initrd from the ISO 9660 file system (lib/build-boot-media makes
# the CD). The booted kernel finds the drive as sr0 and mounts the disc.
LAB_ORDER=23
GUEST_BOOT=cdrom
GUEST_BOOT_TIMEOUT=600    # firmware and GRUB read ~12 MB through trapped PIO
GUEST_UNPLUG=never
GUEST_MODULES="ata_piix sr_mod isofs"
HVMEMU_ARGS='--disk file:$WORK/boot.iso,hdc:cdrom,r'

dom0_prepare() {
    cp /lab/guest/boot.iso "$WORK/boot.iso"
}

guest_main() {
    LAB_WAIT=30 wait_for lab_first_block sr || { fail detect "no sr drive"; return; }
    sr=$(lab_first_block sr)
    expect_eq booted-by-grub "$(sed -n 's/.*\(BOOT_IMAGE=[^ ]*\).*/\1/p' /proc/cmdline)" \
        "BOOT_IMAGE=/boot/vmlinuz"
    mkdir -p /mnt/cd
    check mount-iso mount -t iso9660 -o ro $sr /mnt/cd || return
    check boot-marker grep -q "hvmemu boot medium for boot-iso" /mnt/cd/boot/LAB-BOOT-MEDIUM
    check kernel-on-disc test -s /mnt/cd/boot/vmlinuz
    umount /mnt/cd
}

dom0_check() {
    grep -aq "LAB-GRUB: loading the kernel from hvmemu's CD-ROM" "$SERIAL" ||
        dom0_fail "GRUB's banner is not in the serial log"
}
