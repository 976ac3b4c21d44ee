# SPDX-License-Identifier: MIT
# ide-cdrom: Linux's ata_piix + sr_mod on hvmemu's ATAPI DVD-ROM (the xl
# form "hdc:cdrom,r": secondary master, the image its disc).
#  - identity: the ATAPI IDENTIFY/INQUIRY strings and the disc's size (READ
#    CAPACITY) as sr sees them, 2048-byte logical blocks
#  - a pattern image made in dom0 is read back byte-exact through the
#    page cache and with O_DIRECT (PACKET + READ(10), PIO or DMA as libata
#    chooses), then after dropping the caches
#  - opening the disc for writing is refused at once (not a hang), and the
#    drive still reads afterwards
LAB_ORDER=32
GUEST_TIMEOUT=420
GUEST_MODULES="ata_piix sr_mod"
CD_MB=8
CD_SECTORS=$((CD_MB * 2048))                # 512-byte units, as labtool counts
HVMEMU_ARGS='--disk file:$WORK/cd.iso,hdc:cdrom,r'

dom0_prepare() { dom0_pattern_image "$WORK/cd.iso" $CD_MB 5; }

guest_main() {
    LAB_WAIT=30 wait_for lab_first_block sr || { fail detect "no sr device appeared"; return; }
    cd=$(lab_first_block sr)
    sr=${cd#/dev/}
    pass detect "$cd $(dmesg | grep -m1 'ATAPI:' | sed 's/.*\] //')"
    expect_eq vendor "$(sed 's/ *$//' /sys/block/$sr/device/vendor)" HVMEMU
    expect_eq model "$(sed 's/ *$//' /sys/block/$sr/device/model)" "HVMEMU DVD-ROM"
    expect_eq block-size "$(cat /sys/block/$sr/queue/logical_block_size)" 2048
    expect_eq size-sectors "$(cat /sys/block/$sr/size)" $CD_SECTORS
    check read labtool pattern-check $cd 5 0 $CD_SECTORS
    check read-direct labtool pattern-check $cd 5 0 $CD_SECTORS direct
    lab_drop_caches
    check read-again labtool pattern-check $cd 5 4096 8192
    expect_refused write-refused 'Read-only file system' \
        labtool pattern-write $cd 9 0 4
    check read-after-refusal labtool pattern-check $cd 5 0 2048 direct
}

dom0_check() { dom0_image_unchanged "$WORK/cd.iso" "the disc image"; }
