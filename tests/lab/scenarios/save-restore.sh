# SPDX-License-Identifier: MIT
# save-restore: `hvmemu-xl save` and `hvmemu-xl restore` of a guest on
# hvmemu's IDE disk and CD-ROM, in the middle of its disk workload, then
# `hvmemu-xl migrate` of the restored guest to localhost, live (issue 14;
# docs/save-restore.md). One boot for both: a guest boot is half of a
# scenario's time in the lab.
#  - the guest writes region A, reads the first disc, then loops: write a
#    new pattern to region B, read it back (direct I/O), until it sees
#    dom0's "restored" marker on its disk; the save falls inside a round
#  - before the save the admin swaps the disc (hvmemu-ctl eject/insert);
#    the guest has not looked: the UNIT ATTENTION it is owed is part of
#    the device state, and the restored hvmemu — configured with the
#    first disc — has the second in its tray
#  - dom0: the launcher saves (xl save + hvmemu's device state), the
#    domain and its hvmemu are gone, then restores into a new domain on a
#    new hvmemu started with --restore
#  - after: every round verified, region A intact, the new disc read
#    byte-exact. The guest's checks are printed after the restore (QEMU
#    truncates the serial log when it reopens it).
#  - NET=yes (save-restore-net.sh, not in the default run): an e1000
#    (libslirp backend) travels too: ping the virtual gateway before the
#    save, after the restore and after the migration, and TCP both ways
#    with dom0 at the end (new connections: slirp's own state is the
#    backend's, not the device's)
#  - migration: while xl copies memory the guest reads
#    region A through the page cache round after round (each drops it:
#    hvmemu's DMA writes guest pages throughout the copy, and marks them
#    dirty) and writes+verifies region B; on the new side (dom0's MIGRATED
#    marker) it checks the pages its last read left in the cache WITHOUT
#    reading the disk again — a DMA write the copy missed is a stale page
#    — then every round's verdict. The old hvmemu hands its state over at
#    exit, the new one starts from it.
LAB_ORDER=44
GUEST_MEMORY=128
GUEST_TIMEOUT=600
GUEST_UNPLUG=never        # hvmemu's IDE is the guest's disk
GUEST_MODULES="crct10dif_generic ata_piix sd_mod sr_mod"
NET=no
NET_MAC=00:16:3e:4c:41:05
NET_SECTORS=4096                         # 2 MiB each way at the end
CD1_MB=2
CD2_MB=3
MARK_LBA=100              # dom0 writes RESTORED here
A_FIRST=2048 A_COUNT=4096 B_FIRST=8192 B_COUNT=2048
XL_EXTRA="hvmemu_disk=['file:$WORK/disk.img,hda,w','file:$WORK/cd1.iso,hdc:cdrom,r']"


dom0_prepare() {
    [[ $NET == yes ]] && dom0_tcp_peers 81 82 $NET_SECTORS
    truncate -s 16M "$WORK/disk.img" &&
        dom0_pattern_image "$WORK/cd1.iso" $CD1_MB 51 &&
        dom0_pattern_image "$WORK/cd2.iso" $CD2_MB 52
}

# The NIC after a resume: Linux's e1000 resets it and waits for the link
# (the first echo may go while it comes up), then no loss.
net_back() {
    poll_until "ping-$1" 60 timeout 10 ping -c 1 -w 5 10.0.2.2 &&
        check "ping-$1-steady" timeout 30 ping -c 3 -w 20 10.0.2.2
}

marker() { dd if=$dev bs=512 skip=$MARK_LBA count=1 iflag=direct 2>/dev/null | head -c 8; }

guest_main() {
    lab_disk || return
    if [ "$NET" = yes ]; then
        net_up >/tmp/net.out 2>&1; net_rc=$?
        timeout 30 ping -c 2 -w 15 10.0.2.2 >/tmp/ping1.out 2>&1; ping1_rc=$?
    fi
    LAB_WAIT=30 wait_for lab_first_block sr || { fail detect "no sr device"; return; }
    cd=$(lab_first_block sr)
    labtool pattern-write $dev 61 $A_FIRST $A_COUNT direct >/tmp/a.out 2>&1; a_rc=$?
    labtool pattern-check $cd 51 0 $((CD1_MB * 2048)) >/tmp/cd1.out 2>&1; cd1_rc=$?
    mark "change-disc"
    rounds=0 bad=0
    t0=$(cut -d. -f1 /proc/uptime)
    while [ "$(marker)" != RESTORED ]; do
        rounds=$((rounds + 1))
        labtool pattern-write $dev $((100 + rounds)) $B_FIRST $B_COUNT direct >/dev/null 2>&1 &&
            labtool pattern-check $dev $((100 + rounds)) $B_FIRST $B_COUNT direct >/tmp/b.out 2>&1 ||
            { bad=$((bad + 1)); cat /tmp/b.out; }
        [ $rounds = 2 ] && mark "workload-running"
        [ $(($(cut -d. -f1 /proc/uptime) - t0)) -gt 500 ] && break
    done
    mark "restored-seen"
    expect_eq marker-seen "$(marker)" RESTORED
    if [ "$NET" = yes ]; then
        expect_eq net-up-before-save "$net_rc" 0
        expect_eq ping-before-save "$ping1_rc" 0
        net_back after-restore
    fi
    expect_eq region-a-written "$a_rc" 0
    expect_eq disc1-read "$cd1_rc" 0
    pass rounds "$rounds write+verify rounds across the save, $bad bad"
    expect_eq rounds-bad "$bad" 0
    check region-a-intact labtool pattern-check $dev 61 $A_FIRST $A_COUNT direct
    model=$(sed 's/ *$//' /sys/block/${dev#/dev/}/device/model)
    expect_eq model-after "$model" "HVMEMU HARDDISK"
    # The disc swapped before the save: sr learns of it (UNIT ATTENTION)
    # now and reads the second disc.
    poll_until disc2-seen 120 timeout 15 labtool pattern-check $cd 52 0 8 direct || return
    lab_drop_caches
    check disc2-read labtool pattern-check $cd 52 0 $((CD2_MB * 2048)) direct
    expect_eq disc2-size "$(cat /sys/block/${cd#/dev/}/size)" $((CD2_MB * 2048))
    guest_migrate
}

guest_migrate() {
    rounds=0 bad=0 rbad=0
    t0=$(cut -d. -f1 /proc/uptime)
    mark "migrate-now"
    while [ "$(marker)" != MIGRATED ]; do
        rounds=$((rounds + 1))
        lab_drop_caches
        labtool pattern-check $dev 61 $A_FIRST $A_COUNT >/tmp/r.out 2>&1 ||
            { rbad=$((rbad + 1)); cat /tmp/r.out; }
        labtool pattern-write $dev $((200 + rounds)) $B_FIRST $B_COUNT direct >/dev/null 2>&1 &&
            labtool pattern-check $dev $((200 + rounds)) $B_FIRST $B_COUNT direct >/tmp/b.out 2>&1 ||
            { bad=$((bad + 1)); cat /tmp/b.out; }
        [ $(($(cut -d. -f1 /proc/uptime) - t0)) -gt 500 ] && break
    done
    expect_eq migrated-marker "$(marker)" MIGRATED
    # From the page cache the last round filled: no disk read now.
    check page-cache-after-migration labtool pattern-check $dev 61 $A_FIRST $A_COUNT
    pass migrate-rounds "$rounds rounds across the migration, $rbad bad reads, $bad bad writes"
    expect_eq migrate-read-rounds-bad "$rbad" 0
    expect_eq migrate-write-rounds-bad "$bad" 0
    check region-b-last labtool pattern-check $dev $((200 + rounds)) $B_FIRST $B_COUNT direct
    expect_eq model-migrated "$(sed 's/ *$//' /sys/block/${dev#/dev/}/device/model)" "HVMEMU HARDDISK"
    [ "$NET" = yes ] || return 0
    NET_IF=$(lab_net_if)
    net_back after-migration
    check tcp-from-dom0 labtool tcp-get 10.0.2.2 5801 81 $NET_SECTORS
    check tcp-to-dom0 labtool tcp-put 10.0.2.2 5802 82 $NET_SECTORS
    net_counters
}

launcher_domid() {
    sed -n 's/^hvmemu-xl: .*: domain \([0-9]*\) running on hvmemu$/\1/p' "$1" | tail -1
}

# hvmemu-xl VERB... in the background as this scenario's supervisor (its
# log in $1); sets HV_PID and DOMID once the guest runs on hvmemu.
launcher_start() {
    local log=$1 end
    shift
    HV_STATUS="" DOMID=""
    (cd "$WORK" && exec env HVMEMU_BIN="$HVMEMU" hvmemu-xl "$@") >"$log" 2>&1 </dev/null &
    HV_PID=$!
    end=$(lab_deadline "$HVMEMU_READY_TIMEOUT")
    while lab_before "$end"; do
        if lab_hvmemu_reap; then
            dom0_fail "hvmemu-xl $1 exited (status $HV_STATUS): $(tail -3 "$log" | tr '\n' ' ')"
            return 1
        fi
        DOMID=$(launcher_domid "$log")
        [[ -n $DOMID ]] && return 0
        sleep 0.2
    done
    dom0_fail "hvmemu-xl $1: the guest not running on hvmemu within ${HVMEMU_READY_TIMEOUT}s: $(tail -3 "$log" | tr '\n' ' ')"
    return 1
}

dom0_launch() {
    launcher_start "$OUT/hvmemu.log" create -F "$OUT/guest.cfg" || return
    LAB_T_UNPAUSE=$(now)
    say "  [$SC] hvmemu-xl: domain $DOMID running on hvmemu"
}

dom0_ctl() {
    timeout 20 hvmemu-ctl --domid "$DOMID" "$@" >>"$OUT/ctl.log" 2>&1 ||
        dom0_fail "hvmemu-ctl $*: $(tail -1 "$OUT/ctl.log")"
}

dom0_drive() {
    local t first=$DOMID
    lab_wait_guest_start || return
    lab_wait_serial '^LAB-MARK: change-disc' "$GUEST_TIMEOUT" ||
        { dom0_fail "the guest never got to the disc change"; return; }
    dom0_ctl eject hdc
    dom0_ctl insert hdc "$WORK/cd2.iso"
    lab_wait_serial '^LAB-MARK: workload-running' 300 ||
        { dom0_fail "the guest's workload never ran"; return; }
    sleep 2
    t=$(now)
    if ! timeout 900 hvmemu-xl save "$GUEST_NAME" "$WORK/guest.save" >"$OUT/save.log" 2>&1; then
        dom0_fail "hvmemu-xl save: $(tail -3 "$OUT/save.log" | tr '\n' ' ')"
        return
    fi
    dom0_note "saved in $(since "$t") s: memory $(du -m "$WORK/guest.save" | cut -f1) MiB, devices $(stat -c %s "$WORK/guest.save.hvmemu") bytes"
    hvmemu-ctl state-info "$WORK/guest.save.hvmemu" >"$OUT/state-info.txt" 2>&1 ||
        dom0_fail "state-info: $(tail -1 "$OUT/state-info.txt")"
    # The first supervisor ends with its domain; hvmemu exited 0 before it.
    lab_hvmemu_wait_exit 60 || { dom0_fail "the first supervisor still runs after the save"; return; }
    [[ $HV_STATUS == 0 ]] || dom0_fail "the first supervisor exited $HV_STATUS"
    mv "$SERIAL" "$OUT/guest-serial-before-save.log"
    printf 'RESTORED' | dd of="$WORK/disk.img" bs=512 seek=$MARK_LBA conv=notrunc,sync 2>/dev/null
    t=$(now)
    launcher_start "$OUT/hvmemu-restore.log" restore -F "$OUT/guest.cfg" "$WORK/guest.save" || return
    [[ $DOMID != "$first" ]] || dom0_fail "restored into the same domid $DOMID"
    dom0_note "restored in $(since "$t") s: domain $first -> $DOMID"
    LAB_SEEN=0
    dom0_migrate || return
    lab_wait_serial '^GUEST: done' "$GUEST_TIMEOUT" ||
        dom0_fail "no 'GUEST: done' after the restore"
    # QEMU truncates the serial log each time it opens it (restore,
    # migration): the verdict counts the checks of every part.
    cat "$OUT/guest-serial-before-save.log" "$OUT/guest-serial-before-migrate.log" \
        "$SERIAL" >"$OUT/guest-serial-all.log"
    SERIAL=$OUT/guest-serial-all.log
}

# The restored guest, live to localhost: the restore's supervisor ends
# with the old domain, hvmemu-xl migrate supervises the new one.
dom0_migrate() {
    local t old=$DOMID old_pid=$HV_PID
    lab_wait_serial '^LAB-MARK: migrate-now' "$GUEST_TIMEOUT" ||
        { dom0_fail "the guest never got to the migration"; return 1; }
    cp "$SERIAL" "$OUT/guest-serial-before-migrate.log"   # the restore's checks
    sleep 3
    t=$(now)
    launcher_start "$OUT/hvmemu-migrate.log" migrate -F "$OUT/guest.cfg" localhost || return 1
    [[ $DOMID != "$old" ]] || dom0_fail "migrated into the same domid $DOMID"
    dom0_note "migrated live in $(since "$t") s: domain $old -> $DOMID"
    if wait "$old_pid"; then :; else dom0_fail "the restore's supervisor exited $?"; fi
    grep -aq 'device state sent at exit$' "$OUT/hvmemu-restore.log" ||
        dom0_fail "the old hvmemu did not hand its state over at exit"
    printf 'MIGRATED' | dd of="$WORK/disk.img" bs=512 seek=$MARK_LBA conv=notrunc,sync 2>/dev/null
}

dom0_check() {
    if [[ $NET == yes ]]; then
        dom0_tcp_verdict
        grep -aq 'e1000.0' "$OUT/state-info.txt" || dom0_fail "state-info lacks e1000.0"
    fi
    grep -aq 'piix-ide.0' "$OUT/state-info.txt" || dom0_fail "state-info lacks piix-ide.0"
    # The UNIT ATTENTION saved with the swapped disc, given after the restore.
    grep -aqE 'ide1.0: ATAPI [0-9a-f]+h: sense 6h/28h' "$OUT/hvmemu-restore.log" ||
        dom0_fail "no UNIT ATTENTION (6h/28h) for the swapped disc after the restore"
    grep -aq 'device state restored from' "$OUT/hvmemu-restore.log" ||
        dom0_fail "the second hvmemu did not start from the saved state"
    grep -aq 'disc inserted: .*cd2.iso' "$OUT/hvmemu-restore.log" ||
        dom0_fail "the restored hvmemu did not load the swapped disc"
    cat "$OUT/hvmemu-restore.log" >>"$OUT/hvmemu.log"
    grep -aq 'device state restored from' "$OUT/hvmemu-migrate.log" ||
        dom0_fail "the migrated hvmemu did not start from the handed-over state"
    cat "$OUT/hvmemu-migrate.log" >>"$OUT/hvmemu.log"
}
