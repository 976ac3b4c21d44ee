# SPDX-License-Identifier: MIT
# boot-disk: a guest with no kernel= line boots from hvmemu's IDE disk
# (issue 12). Xen's hvmloader and SeaBIOS find the disk behind hvmemu's
# PIIX IDE and read its MBR through INT 13h over hvmemu's ATA; GRUB's
# boot.img and core.img follow, then GRUB reads the kernel and the initrd
# from the disk's ext2 partition (lib/build-boot-media makes the disk).
# The booted guest finds the same disk as sda (ata_piix) and its boot
# partition with the files GRUB loaded.
LAB_ORDER=22
GUEST_BOOT=disk
GUEST_BOOT_TIMEOUT=600    # firmware and GRUB read ~12 MB through trapped PIO
GUEST_UNPLUG=never        # (on the disk's own command line)
GUEST_MODULES="crc32c_generic crct10dif_generic ata_piix sd_mod ext4"
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w'

dom0_prepare() {
    cp --sparse=always /lab/guest/boot-disk.img "$WORK/disk.img"
}

guest_main() {
    lab_disk || return
    expect_eq booted-by-grub "$(sed -n 's/.*\(BOOT_IMAGE=[^ ]*\).*/\1/p' /proc/cmdline)" \
        "BOOT_IMAGE=/boot/vmlinuz"
    expect_eq model "$(sed 's/ *$//' /sys/block/${dev#/dev/}/device/model)" "HVMEMU HARDDISK"
    mkdir -p /mnt/b
    # ext4 mounts the ext2 partition (Debian builds no separate ext2).
    check mount-boot mount -t ext4 -o ro ${dev}1 /mnt/b || return
    check boot-marker grep -q "hvmemu boot medium for boot-disk" /mnt/b/boot/LAB-BOOT-MEDIUM
    check grub-cfg grep -q "hvmemu_lab.scenario=boot-disk" /mnt/b/boot/grub/grub.cfg
    umount /mnt/b
}

dom0_check() {
    grep -aq "LAB-GRUB: loading the kernel from hvmemu's disk" "$SERIAL" ||
        dom0_fail "GRUB's banner is not in the serial log"
}
