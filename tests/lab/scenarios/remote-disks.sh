# SPDX-License-Identifier: MIT
# remote-disks: disks that are not local raw files, in one boot.
#  - hda is an NBD export (qemu-nbd on a Unix socket in dom0, reached
#    through libnbd): the guest reads it byte-exact; then dom0 kills the
#    server with SIGKILL in the middle of the guest's reads and restarts it
#    3 s later: every read completes with the right data (hvmemu reconnects
#    and re-sends), nothing fails, and writes after it reach the image.
#  - hdb is a qcow2 overlay on a raw base (xl's format=qcow2), served by a
#    qemu-nbd child hvmemu starts and stops: the guest reads the base
#    through it, its writes land in the overlay, the base is unchanged.
#  - hdc is a LUN of an iSCSI target (tgtd in dom0 on 127.0.0.1:3260,
#    reached through libiscsi): read byte-exact; tgtd killed (SIGKILL) and
#    restarted with its target under the guest's reads: they complete with
#    the right data; writes after it reach the LUN's backing file.
LAB_ORDER=36
GUEST_TIMEOUT=600
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="crct10dif_generic ata_piix sd_mod"
DISK_MB=16
DISK_SECTORS=$((DISK_MB * 2048))
BASE_MB=8
BASE_SECTORS=$((BASE_MB * 2048))
LUN_MB=8
LUN_SECTORS=$((LUN_MB * 2048))
OUTAGE_S=3
IQN=iqn.2026-12.org.hvmemu.lab
HVMEMU_ARGS='-v --disk "format=raw,vdev=hda,access=rw,target=nbd+unix:///?socket=$WORK/nbd.sock"
             --disk "format=qcow2,vdev=hdb,access=rw,target=$WORK/overlay.qcow2"
             --disk "format=raw,vdev=hdc,access=rw,target=iscsi://127.0.0.1:3260/$IQN:lab/1"'
HVMEMU_LOG_EXPECT='reconnected after'

nbd_server_start() {
    rm -f "$WORK/nbd.sock"
    qemu-nbd --persistent --format=raw --cache=writeback \
        --socket="$WORK/nbd.sock" "$WORK/disk.img" \
        >>"$OUT/qemu-nbd.log" 2>&1 </dev/null &
    echo $! >"$WORK/nbd.pid"
    local i
    for i in $(seq 100); do
        [ -S "$WORK/nbd.sock" ] && return 0
        sleep 0.1
    done
    dom0_fail "qemu-nbd did not create its socket: $(tail -2 "$OUT/qemu-nbd.log")"
    return 1
}

# tgtd in the foreground on its own control instance, and the LUN.
iscsi_target_start() {
    tgtd -f -C 7 --iscsi portal=127.0.0.1:3260 >>"$OUT/tgtd.log" 2>&1 </dev/null &
    echo $! >"$WORK/tgtd.pid"
    local i
    for i in $(seq 100); do
        tgtadm -C 7 --lld iscsi --mode target --op show >/dev/null 2>&1 && break
        sleep 0.1
    done
    tgtadm -C 7 --lld iscsi --mode target --op new --tid 1 --targetname "$IQN:lab" &&
        tgtadm -C 7 --lld iscsi --mode logicalunit --op new --tid 1 --lun 1 \
            --backing-store "$WORK/lun.img" &&
        tgtadm -C 7 --lld iscsi --mode target --op bind --tid 1 --initiator-address ALL ||
        { dom0_fail "tgtd/tgtadm: $(tail -3 "$OUT/tgtd.log")"; return 1; }
}

dom0_prepare() {
    dom0_pattern_image "$WORK/disk.img" $DISK_MB 1 &&
        dom0_pattern_image "$WORK/base.img" $BASE_MB 2 &&
        dom0_pattern_image "$WORK/lun.img" $LUN_MB 5 &&
        qemu-img create -q -f qcow2 -b "$WORK/base.img" -F raw \
            "$WORK/overlay.qcow2" &&
        nbd_server_start && iscsi_target_start
}

three_disks() { lab_ata_disk 0 >/dev/null && lab_ata_disk 1 >/dev/null && lab_ata_disk 2 >/dev/null; }

guest_main() {
    LAB_WAIT=30 wait_for three_disks || { fail detect "hda, hdb and hdc did not all appear"; return; }
    HDA=$(lab_ata_disk 0) HDB=$(lab_ata_disk 1) HDC=$(lab_ata_disk 2)
    echo "GUEST: hda is $HDA, hdb is $HDB, hdc is $HDC"
    check nbd-read labtool pattern-check $HDA 1 0 $DISK_SECTORS direct
    check overlay-base-read labtool pattern-check $HDB 2 0 $BASE_SECTORS direct
    check overlay-write labtool pattern-write $HDB 3 0 2048 direct
    check overlay-reread labtool pattern-check $HDB 3 0 2048 direct
    check overlay-base-kept labtool pattern-check $HDB 2 2048 2048 direct
    check iscsi-read labtool pattern-check $HDC 5 0 $LUN_SECTORS direct
    mark "kill-server-now"
    i=1
    while [ $i -le 4 ]; do
        check nbd-read-across-outage-$i labtool pattern-check $HDA 1 0 $DISK_SECTORS direct
        i=$((i + 1))
    done
    check nbd-write-after labtool pattern-write $HDA 4 4096 4096 direct
    check nbd-reread-after labtool pattern-check $HDA 4 4096 4096 direct
    mark "kill-target-now"
    i=1
    while [ $i -le 3 ]; do
        check iscsi-read-across-outage-$i labtool pattern-check $HDC 5 0 $LUN_SECTORS direct
        i=$((i + 1))
    done
    check iscsi-write-after labtool pattern-write $HDC 6 4096 2048 direct
    check iscsi-reread-after labtool pattern-check $HDC 6 4096 2048 direct
    dmesg | grep -iE 'ata[0-9]|I/O error' | tail -5 | while read -r l; do echo "GUEST-DMESG: $l"; done
}

dom0_drive() {
    lab_wait_guest_start || return
    lab_wait_serial '^LAB-MARK: kill-server-now' "$GUEST_TIMEOUT" ||
        { dom0_fail "the guest never reached the NBD outage"; return; }
    kill -KILL "$(cat "$WORK/nbd.pid")"
    dom0_note "qemu-nbd killed (SIGKILL); restarting it in ${OUTAGE_S}s"
    sleep $OUTAGE_S
    nbd_server_start || return
    lab_wait_serial '^LAB-MARK: kill-target-now' "$GUEST_TIMEOUT" ||
        { dom0_fail "the guest never reached the iSCSI outage"; return; }
    kill -KILL "$(cat "$WORK/tgtd.pid")"
    dom0_note "tgtd killed (SIGKILL); restarting it in ${OUTAGE_S}s"
    sleep $OUTAGE_S
    iscsi_target_start || return
    lab_wait_serial '^GUEST: done' "$GUEST_TIMEOUT" ||
        dom0_fail "no 'GUEST: done' after the servers came back"
}

dom0_check() {
    kill "$(cat "$WORK/nbd.pid")" "$(cat "$WORK/tgtd.pid")" 2>/dev/null
    dom0_log_has 'connection lost' "the NBD server's death"
    dom0_log_has 'session lost' "the iSCSI target's death"
    dom0_log_has 'hda: nbd\+unix' "the NBD disk"
    dom0_log_has 'hdb: .*overlay.qcow2 qcow2' "the qcow2 disk"
    dom0_log_has 'hdc: iscsi://' "the iSCSI disk"
    pgrep -f "qemu-nbd --format=qcow2" >/dev/null &&
        dom0_fail "the qemu-nbd child outlived hvmemu"
    dom0_image_unchanged "$WORK/base.img" "the overlay's base"
    /lab/bin/labtool pattern-check "$WORK/disk.img" 4 4096 4096 >/dev/null ||
        dom0_fail "the writes after the outage are not in disk.img"
    /lab/bin/labtool pattern-check "$WORK/lun.img" 6 4096 2048 >/dev/null ||
        dom0_fail "the writes after the iSCSI outage are not in lun.img"
    qemu-img convert -O raw "$WORK/overlay.qcow2" "$WORK/overlay.raw" &&
        /lab/bin/labtool pattern-check "$WORK/overlay.raw" 3 0 2048 >/dev/null &&
        /lab/bin/labtool pattern-check "$WORK/overlay.raw" 2 2048 $((BASE_SECTORS - 2048)) >/dev/null ||
        dom0_fail "the overlay does not hold the guest's writes over the base"
}
