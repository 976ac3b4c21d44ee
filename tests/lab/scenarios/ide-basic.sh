# SPDX-License-Identifier: MIT
# ide-basic: Linux's ata_piix drives hvmemu's PIIX IDE with a real disk.
#  - identity: model string and size as the guest's libata/sd see them
#  - a pattern image prepared in dom0 is read back byte-exact (buffered
#    and O_DIRECT)
#  - O_DIRECT writes, read back in the guest and checked in dom0 afterwards
#  - mkfs.ext4, files, sync, drop caches, sha256 verified, fstrim (TRIM
#    punches the image's free space), remount verified; dom0 runs e2fsck
#    on the image after the guest is gone
#  - latency (issue 13): hvmemu runs with --latency on; after the reads
#    dom0 saves `hvmemu-ctl stats` (histograms of the real guest's trapped
#    accesses, IRQ 14 raise → acknowledge, wake → response) as
#    latency.json in the logs, and the exit table must list them
#  - trace (issue 13): hvmemu also runs with --trace-file; dom0 turns the
#    recording off over the control socket after the reads, the file
#    (trace.json in the logs, for ui.perfetto.dev) is closed at exit, and
#    scripts/lab/run draws one command's time line from it (timeline.png)
LAB_ORDER=20
GUEST_TIMEOUT=900
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="crc32c_generic crct10dif_generic ata_piix sd_mod ext4"
GUEST_MKFS=yes        # mkfs.ext4: e2fsprogs' mke2fs in the initramfs
DISK_MB=64
DISK_SECTORS=$((DISK_MB * 2048))
FS_MB=48                                  # ext4 on the first 48 MiB
TAIL_LBA=$((FS_MB * 2048))                # O_DIRECT write area: the rest
TAIL_SECTORS=$((DISK_SECTORS - TAIL_LBA))
HVMEMU_ARGS='--latency on --trace-file $OUT/trace.json --disk file:$WORK/disk.img,hda,w'

dom0_prepare() {
    labtool=/lab/bin/labtool
    truncate -s ${DISK_MB}M "$WORK/disk.img"
    $labtool pattern-write "$WORK/disk.img" 1 0 $DISK_SECTORS
}

guest_main() {
    lab_disk || return
    sd=${dev#/dev/}
    model=$(sed 's/ *$//' /sys/block/$sd/device/model)
    expect_eq model "$model" "HVMEMU HARDDISK"
    expect_eq size-sectors "$(cat /sys/block/$sd/size)" $DISK_SECTORS
    check pattern-read labtool pattern-check $dev 1 0 $DISK_SECTORS
    check pattern-read-direct labtool pattern-check $dev 1 0 4096 direct
    want=$(labtool pattern-cat 1 100 2048 | sha256sum | cut -d' ' -f1)
    got=$(dd if=$dev bs=512 skip=100 count=2048 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
    expect_eq dd-read-direct "$got" "$want"
    mark "reads-done"

    check write-direct labtool pattern-write $dev 2 $TAIL_LBA $TAIL_SECTORS direct
    check write-direct-readback labtool pattern-check $dev 2 $TAIL_LBA $TAIL_SECTORS direct
    labtool pattern-cat 3 0 256 >/tmp/p3
    if dd if=/tmp/p3 of=$dev bs=64k seek=$((TAIL_LBA / 128)) oflag=direct conv=fsync 2>/tmp/dd.err; then
        lab_drop_caches
        got=$(dd if=$dev bs=64k skip=$((TAIL_LBA / 128)) count=2 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
        expect_eq dd-write-direct "$got" "$(sha256sum </tmp/p3 | cut -d' ' -f1)"
    else
        fail dd-write-direct "$(cat /tmp/dd.err)"
    fi
    # Leave the tail as dom0 expects it (seed 2 everywhere).
    labtool pattern-write $dev 2 $TAIL_LBA 256 direct >/dev/null

    check mkfs mkfs.ext4 -q -F -E nodiscard -b 4096 $dev $((FS_MB * 256))
    mkdir -p /mnt/t
    check mount mount -t ext4 $dev /mnt/t || return
    labtool pattern-cat 7 0 8192 >/mnt/t/big.bin           # 4 MiB
    labtool pattern-cat 8 0 3 | head -c 1000 >/mnt/t/small.bin
    mkdir -p /mnt/t/dir
    for i in 1 2 3 4 5 6 7 8; do
        labtool pattern-cat $((10 + i)) 0 $((i * 16)) >/mnt/t/dir/f$i
    done
    (cd /mnt/t && sha256sum big.bin small.bin dir/* >/tmp/sums)
    sync
    lab_drop_caches
    check verify-after-drop-caches sh -c 'cd /mnt/t && sha256sum -c /tmp/sums | tail -1'
    # TRIM (DATA SET MANAGEMENT): ext4's free space handed back; dom0 sees
    # the image's blocks punched out and the files intact.
    if [ "$(cat /sys/block/$sd/queue/discard_max_bytes)" -gt 0 ]; then
        check fstrim fstrim -v /mnt/t
    else
        fail fstrim "the disk offers no discard (discard_max_bytes 0)"
    fi
    check verify-after-trim sh -c 'cd /mnt/t && sha256sum -c /tmp/sums | tail -1'
    check umount umount /mnt/t
    check remount mount -t ext4 -o ro $dev /mnt/t
    check verify-after-remount sh -c 'cd /mnt/t && sha256sum -c /tmp/sums | tail -1'
    cp /tmp/sums /tmp/sums.keep
    umount /mnt/t
}

# The histograms of the reads above, from the live daemon.
dom0_drive() {
    lab_wait_guest_start || return
    if lab_wait_serial '^LAB-MARK: reads-done' "$GUEST_TIMEOUT"; then
        timeout 20 hvmemu-ctl --domid "$DOMID" stats >"$OUT/latency.json" 2>&1
        grep -q '"isa-irq14"' "$OUT/latency.json" &&
            grep -q '"read_ns"' "$OUT/latency.json" &&
            grep -q '"wake_to_response_ns"' "$OUT/latency.json" ||
            dom0_fail "hvmemu-ctl stats lacks the latency histograms: $(head -c 300 "$OUT/latency.json")"
        # The trace of boot and reads is enough: stop it, keep it small.
        timeout 20 hvmemu-ctl --domid "$DOMID" trace off >"$OUT/trace-status.json" 2>&1
        grep -q '"on" : false' "$OUT/trace-status.json" &&
            grep -qE '"recorded" : [1-9]' "$OUT/trace-status.json" ||
            dom0_fail "hvmemu-ctl trace off: $(head -c 300 "$OUT/trace-status.json")"
    else
        dom0_fail "guest never finished its reads"
    fi
    lab_wait_serial '^GUEST: done' "$GUEST_TIMEOUT" ||
        dom0_fail "no 'GUEST: done' within ${GUEST_TIMEOUT}s"
}

dom0_check() {
    local out kib
    # The exit table: IDE's registers, its interrupt, Xen's wake-ups.
    dom0_log_has '^  ioreq +wake +[0-9]+' "the wake → response latency line"
    dom0_log_has '^  ide0-cmd +read +[0-9]+' "the ide0-cmd read latency line"
    dom0_log_has '^  isa-irq14 +ack +[0-9]+' "the IRQ 14 raise → ack line"
    dom0_log_has '^  ide0 command +->irq +[0-9]+' "the command → interrupt line"
    dom0_note "$(grep -aE '^  (ioreq|ide0-cmd|isa-irq14|ide0 command) ' "$OUT/hvmemu.log" | tr -s ' ' | tr '\n' ';')"
    # The trace file was closed (its array ended) and nothing dropped.
    dom0_log_has 'trace file .*trace.json: [0-9]+ events, 0 dropped' "the trace file's closing line"
    [[ $(tail -c 3 "$OUT/trace.json" 2>/dev/null | tr -d '\n') == "]" ]] ||
        dom0_fail "trace.json does not end with the array's ']'"
    # Written in full by dom0 (64 MiB); fstrim punched ext4's free space.
    kib=$(du -k "$WORK/disk.img" | cut -f1)
    [ "$kib" -lt $(((DISK_MB - 16) * 1024)) ] ||
        dom0_fail "the guest's fstrim freed nothing: the image still uses $kib KiB"
    out=$(/lab/bin/labtool pattern-check "$WORK/disk.img" 2 $TAIL_LBA $TAIL_SECTORS 2>&1) ||
        dom0_fail "O_DIRECT writes not in the image: $out"
    out=$(e2fsck -fn "$WORK/disk.img" 2>&1) ||
        dom0_fail "e2fsck of the guest's ext4 failed: $(echo "$out" | tail -3 | tr '\n' ' ')"
    out=$(debugfs -R 'cat /big.bin' "$WORK/disk.img" 2>/dev/null | sha256sum | cut -d' ' -f1)
    [[ $out == $(/lab/bin/labtool pattern-cat 7 0 8192 | sha256sum | cut -d' ' -f1) ]] ||
        dom0_fail "big.bin in the image differs from what the guest wrote"
}
