# SPDX-License-Identifier: MIT
# lifecycle-reboot: the launcher (hvmemu-xl, issue 12). The guest's xl
# config names its disk in hvmemu_disk=[...] and wants on_reboot='restart';
# `hvmemu-xl create -F` creates it paused, starts hvmemu, waits for READY,
# unpauses. The guest writes a marker to its disk and reboots; the
# launcher sees Xen's shutdown reason "reboot", destroys the domain and
# creates it again on a new hvmemu. The second boot must find hvmemu's
# disk (never QEMU's IDE) with the marker on it, then powers off; the
# launcher follows on_poweroff='destroy' and exits 0.
LAB_ORDER=42
GUEST_TIMEOUT=600
GUEST_UNPLUG=never        # no PV drivers in this guest
GUEST_MODULES="crct10dif_generic ata_piix sd_mod"
GUEST_ON_REBOOT=restart
MARK_LBA=100
XL_EXTRA="hvmemu_disk=['file:$WORK/disk.img,hda,w']"

dom0_prepare() {
    truncate -s 16M "$WORK/disk.img"
    /lab/bin/labtool pattern-write "$WORK/disk.img" 1 1024 1024
}

guest_main() {
    lab_disk || return
    model=$(sed 's/ *$//' /sys/block/${dev#/dev/}/device/model)
    marker=$(dd if=$dev bs=512 skip=$MARK_LBA count=1 iflag=direct 2>/dev/null | head -c 5)
    if [ "$marker" != BOOT1 ]; then
        expect_eq first-boot-model "$model" "HVMEMU HARDDISK"
        printf BOOT1 | dd of=$dev bs=512 seek=$MARK_LBA count=1 conv=sync oflag=direct 2>/dev/null
        sync
        mark "rebooting"
        reboot -f
        sleep 60            # not reached: the domain goes
    fi
    mark "second-boot"
    expect_eq second-boot-model "$model" "HVMEMU HARDDISK"
    expect_eq marker-kept "$marker" BOOT1
    check pattern-kept labtool pattern-check $dev 1 1024 1024 direct
}

# The launcher's lines, and the domid it reports last.
launcher_domid() {
    sed -n 's/^hvmemu-xl: .*: domain \([0-9]*\) running on hvmemu$/\1/p' "$OUT/hvmemu.log" | tail -1
}
launcher_boots() { grep -ac ': domain [0-9]* running on hvmemu$' "$OUT/hvmemu.log"; }

dom0_launch() {
    local end
    (cd "$WORK" && exec env HVMEMU_BIN="$HVMEMU" hvmemu-xl create -F "$OUT/guest.cfg") \
        >"$OUT/hvmemu.log" 2>&1 </dev/null &
    HV_PID=$!
    echo "$HV_PID" >"$OUT/hvmemu.pid"
    end=$(lab_deadline "$HVMEMU_READY_TIMEOUT")
    while lab_before "$end"; do
        if lab_hvmemu_reap; then
            dom0_fail "hvmemu-xl exited during set-up (status $HV_STATUS): $(tail -3 "$OUT/hvmemu.log" | tr '\n' ' ')"
            return 1
        fi
        DOMID=$(launcher_domid)
        if [[ -n $DOMID ]]; then
            LAB_T_UNPAUSE=$(now)
            say "  [$SC] hvmemu-xl: domain $DOMID running on hvmemu"
            return 0
        fi
        sleep 0.2
    done
    dom0_fail "hvmemu-xl did not bring the guest up within ${HVMEMU_READY_TIMEOUT}s: $(tail -3 "$OUT/hvmemu.log" | tr '\n' ' ')"
    return 1
}

dom0_drive() {
    local first=$DOMID end
    lab_wait_guest_start || return
    lab_wait_serial '^LAB-MARK: rebooting' "$GUEST_TIMEOUT" ||
        { dom0_fail "the first boot never got to its reboot"; return; }
    # The reboot: a new domain on a new hvmemu, found in the launcher's log.
    end=$(lab_deadline 120)
    while lab_before "$end" && (($(launcher_boots) < 2)); do
        lab_hvmemu_reap && break
        sleep 0.5
    done
    (($(launcher_boots) >= 2)) ||
        { dom0_fail "no second boot on hvmemu after the reboot: $(tail -3 "$OUT/hvmemu.log" | tr '\n' ' ')"; return; }
    DOMID=$(launcher_domid)
    [[ $DOMID != "$first" ]] || dom0_fail "the reboot kept domid $DOMID (want a new domain)"
    say "  [$SC] rebooted: domain $first -> $DOMID, on a new hvmemu"
    LAB_T_GUEST_START=""
    lab_wait_serial '^LAB-MARK: second-boot' "$GUEST_BOOT_TIMEOUT" ||
        { dom0_fail "the second boot never reached its /init"; return; }
    lab_wait_serial '^GUEST: done' "$GUEST_TIMEOUT" ||
        dom0_fail "no 'GUEST: done' after the second boot"
}

dom0_check() {
    dom0_log_has 'shut down \(reboot\): restart' "the reboot → restart decision"
    dom0_log_has 'restarting on hvmemu' "the restart"
    dom0_log_has 'shut down \(poweroff\): destroy' "the poweroff → destroy decision"
    local ready
    ready=$(grep -ac '^hvmemu: READY' "$OUT/hvmemu.log")
    ((ready == 2)) || dom0_fail "hvmemu READY $ready times (want 2: one per boot)"
    # The first domain's hvmemu also exited cleanly: two summaries.
    dom0_note "launcher: $(grep -a '^hvmemu-xl: .*\(shut down\|restarting\|running\)' "$OUT/hvmemu.log" | sed 's/^hvmemu-xl: //' | tr '\n' ';')"
}
