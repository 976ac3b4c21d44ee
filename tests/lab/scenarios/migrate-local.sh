# SPDX-License-Identifier: MIT
# migrate-local: live migration of a guest on hvmemu (`hvmemu-xl migrate`
# to localhost: xl migrate with its own transport, then a new hvmemu
# started from the old one's device state; issue 14, docs/save-restore.md).
#  - while xl copies memory the guest keeps reading its disk through the
#    page cache (each round drops it: hvmemu's DMA writes guest pages
#    throughout the copy, and marks them dirty) and writing+verifying
#    another region (direct I/O)
#  - once it runs on the new side (dom0's MIGRATED marker on its disk)
#    the guest checks the pages its last reads left in the page cache
#    WITHOUT reading again: a DMA write the copy missed shows as a stale
#    page; then every round's verdict and the region it wrote
#  - dom0: the old domain and its hvmemu are gone (status 0), the new
#    hvmemu started from the state (--restore), the old supervisor exited 0
LAB_ORDER=45
GUEST_MEMORY=128
GUEST_TIMEOUT=600
GUEST_UNPLUG=never        # hvmemu's IDE is the guest's disk
GUEST_MODULES="crct10dif_generic ata_piix sd_mod"
MARK_LBA=100              # dom0 writes MIGRATED here
A_FIRST=2048 A_COUNT=8192 B_FIRST=16384 B_COUNT=2048
XL_EXTRA="hvmemu_disk=['file:$WORK/disk.img,hda,w']"

dom0_prepare() {
    truncate -s 16M "$WORK/disk.img" &&
        /lab/bin/labtool pattern-write "$WORK/disk.img" 71 $A_FIRST $A_COUNT
}

marker() { dd if=$dev bs=512 skip=$MARK_LBA count=1 iflag=direct 2>/dev/null | head -c 8; }

guest_main() {
    lab_disk || return
    rounds=0 bad=0 rbad=0
    t0=$(cut -d. -f1 /proc/uptime)
    mark "migrate-now"
    while [ "$(marker)" != MIGRATED ]; do
        rounds=$((rounds + 1))
        lab_drop_caches
        labtool pattern-check $dev 71 $A_FIRST $A_COUNT >/tmp/r.out 2>&1 ||
            { rbad=$((rbad + 1)); cat /tmp/r.out; }
        labtool pattern-write $dev $((200 + rounds)) $B_FIRST $B_COUNT direct >/dev/null 2>&1 &&
            labtool pattern-check $dev $((200 + rounds)) $B_FIRST $B_COUNT direct >/tmp/b.out 2>&1 ||
            { bad=$((bad + 1)); cat /tmp/b.out; }
        [ $(($(cut -d. -f1 /proc/uptime) - t0)) -gt 500 ] && break
    done
    mark "migrated-seen"
    expect_eq marker-seen "$(marker)" MIGRATED
    # From the page cache the last round filled: no disk read now.
    check page-cache-after-migration labtool pattern-check $dev 71 $A_FIRST $A_COUNT
    pass rounds "$rounds rounds across the migration, $rbad bad reads, $bad bad writes"
    expect_eq read-rounds-bad "$rbad" 0
    expect_eq write-rounds-bad "$bad" 0
    lab_drop_caches
    check region-a-disk labtool pattern-check $dev 71 $A_FIRST $A_COUNT direct
    check region-b-last labtool pattern-check $dev $((200 + rounds)) $B_FIRST $B_COUNT direct
}

launcher_domid() {
    sed -n 's/^hvmemu-xl: .*: domain \([0-9]*\) running on hvmemu$/\1/p' "$1" | tail -1
}

dom0_launch() {
    local end
    (cd "$WORK" && exec env HVMEMU_BIN="$HVMEMU" hvmemu-xl create -F "$OUT/guest.cfg") \
        >"$OUT/hvmemu.log" 2>&1 </dev/null &
    HV_PID=$!
    end=$(lab_deadline "$HVMEMU_READY_TIMEOUT")
    while lab_before "$end"; do
        lab_hvmemu_reap && { dom0_fail "hvmemu-xl create exited: $(tail -3 "$OUT/hvmemu.log" | tr '\n' ' ')"; return 1; }
        DOMID=$(launcher_domid "$OUT/hvmemu.log")
        [[ -n $DOMID ]] && { LAB_T_UNPAUSE=$(now); return 0; }
        sleep 0.2
    done
    dom0_fail "hvmemu-xl create: not running within ${HVMEMU_READY_TIMEOUT}s"
    return 1
}

dom0_drive() {
    local t first=$DOMID first_pid=$HV_PID end
    lab_wait_guest_start || return
    lab_wait_serial '^LAB-MARK: migrate-now' "$GUEST_TIMEOUT" ||
        { dom0_fail "the guest never got to its workload"; return; }
    sleep 3
    t=$(now)
    (cd "$WORK" && exec env HVMEMU_BIN="$HVMEMU" hvmemu-xl migrate -F "$OUT/guest.cfg" localhost) \
        >"$OUT/hvmemu-migrate.log" 2>&1 </dev/null &
    HV_PID=$! HV_STATUS="" DOMID=""
    end=$(lab_deadline 900)
    while lab_before "$end"; do
        lab_hvmemu_reap && { dom0_fail "hvmemu-xl migrate exited $HV_STATUS: $(tail -3 "$OUT/hvmemu-migrate.log" | tr '\n' ' ')"; return; }
        DOMID=$(launcher_domid "$OUT/hvmemu-migrate.log")
        [[ -n $DOMID ]] && break
        sleep 0.5
    done
    [[ -n $DOMID ]] || { dom0_fail "not running on hvmemu after the migration: $(tail -3 "$OUT/hvmemu-migrate.log" | tr '\n' ' ')"; return; }
    [[ $DOMID != "$first" ]] || dom0_fail "migrated into the same domid $DOMID"
    dom0_note "migrated in $(since "$t") s: domain $first -> $DOMID"
    # The old supervisor: its domain is gone, its hvmemu exited 0.
    if wait "$first_pid"; then :; else dom0_fail "the old supervisor exited $?"; fi
    grep -aq 'device state sent at exit$' "$OUT/hvmemu.log" ||
        dom0_fail "the old hvmemu did not send its state at exit: $(grep -a 'state' "$OUT/hvmemu.log" | tail -2 | tr '\n' ' ')"
    printf 'MIGRATED' | dd of="$WORK/disk.img" bs=512 seek=$MARK_LBA conv=notrunc,sync 2>/dev/null
    lab_wait_serial '^GUEST: done' "$GUEST_TIMEOUT" ||
        dom0_fail "no 'GUEST: done' after the migration"
}

dom0_check() {
    grep -aq 'device state restored from' "$OUT/hvmemu-migrate.log" ||
        dom0_fail "the new hvmemu did not start from the migrated state"
    cat "$OUT/hvmemu-migrate.log" >>"$OUT/hvmemu.log"
}
