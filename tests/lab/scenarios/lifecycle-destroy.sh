# SPDX-License-Identifier: MIT
# lifecycle-destroy: `xl destroy` while the guest does disk I/O; hvmemu must
# notice its domain is gone and exit 0 within a few seconds.
LAB_ORDER=40
GUEST_TIMEOUT=180
GUEST_VERDICT=no
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="crct10dif_generic ata_piix sd_mod"
DESTROY_EXIT_LIMIT=10
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w'

dom0_prepare() {
    truncate -s 32M "$WORK/disk.img"
}

guest_main() {
    lab_disk || return
    mark "io running on $dev"
    # Writes and reads until the domain is destroyed under it.
    i=0
    while :; do
        labtool pattern-write $dev $((i % 100)) 0 16384 direct >/dev/null
        labtool pattern-check $dev $((i % 100)) 0 16384 direct >/dev/null
        i=$((i + 1))
        mark "io pass $i"
    done
}

dom0_drive() {
    lab_wait_guest_start || return
    if ! lab_wait_serial '^LAB-MARK: io running' "$GUEST_TIMEOUT"; then
        dom0_fail "guest never started its disk I/O"
        return
    fi
    lab_wait_serial '^LAB-MARK: io pass 1' 60 || dom0_note "no I/O pass completed before destroy"
    sleep 2
    local t
    t=$(now)
    xlt 60 destroy "$GUEST_NAME"
    dom0_note "xl destroy took $(since "$t") s"
    lab_expect_hvmemu_exit "xl destroy" "$DESTROY_EXIT_LIMIT" "$t"
}
