# SPDX-License-Identifier: MIT
# ide-media: an admin changes the disc in hvmemu's ATAPI drive while a stock
# Linux guest runs (hvmemu-ctl eject / insert over the control socket).
#  - the first disc reads byte-exact
#  - after "hvmemu-ctl eject hdc" opening sr fails with "No medium found"
#    (NOT READY, MEDIUM NOT PRESENT), in bounded time
#  - after "hvmemu-ctl insert hdc cd2.iso" sr sees the new disc (UNIT
#    ATTENTION, then the new capacity) and reads it byte-exact
LAB_ORDER=33
GUEST_TIMEOUT=420
GUEST_MODULES="ata_piix sr_mod"
CD1_MB=2
CD2_MB=3
HVMEMU_ARGS='--disk file:$WORK/cd1.iso,hdc:cdrom,r'

dom0_prepare() {
    dom0_pattern_image "$WORK/cd1.iso" $CD1_MB 51 &&
        dom0_pattern_image "$WORK/cd2.iso" $CD2_MB 52
}

no_medium() {
    ! timeout 15 labtool pattern-check "$1" 51 0 4 direct >/tmp/nm.out 2>&1 &&
        grep -q 'No medium found' /tmp/nm.out && cat /tmp/nm.out
}

guest_main() {
    LAB_WAIT=30 wait_for lab_first_block sr || { fail detect "no sr device"; return; }
    cd=$(lab_first_block sr)
    check disc1-read labtool pattern-check $cd 51 0 $((CD1_MB * 2048))
    mark "eject-now"
    poll_until no-medium 120 no_medium $cd || return
    mark "insert-now"
    poll_until disc2-seen 120 timeout 15 labtool pattern-check $cd 52 0 8 direct || return
    expect_eq disc2-size "$(cat /sys/block/${cd#/dev/}/size)" $((CD2_MB * 2048))
    lab_drop_caches
    check disc2-read labtool pattern-check $cd 52 0 $((CD2_MB * 2048)) direct
}

dom0_ctl() {
    timeout 20 hvmemu-ctl --domid "$DOMID" "$@" >>"$OUT/ctl.log" 2>&1 ||
        dom0_fail "hvmemu-ctl $*: $(tail -1 "$OUT/ctl.log")"
}

dom0_drive() {
    lab_wait_guest_start || return
    lab_wait_serial '^LAB-MARK: eject-now' "$GUEST_TIMEOUT" ||
        { dom0_fail "the guest never asked for the eject"; return; }
    dom0_ctl eject hdc
    lab_wait_serial '^LAB-MARK: insert-now' 180 ||
        { dom0_fail "the guest never saw the drive empty"; return; }
    dom0_ctl insert hdc "$WORK/cd2.iso"
    lab_wait_serial '^GUEST: done' "$GUEST_TIMEOUT" ||
        dom0_fail "no 'GUEST: done' after the insert"
}

dom0_check() {
    dom0_log_has 'disc ejected' "the eject"
    dom0_log_has 'disc inserted: .*cd2.iso' "the insert"
}
