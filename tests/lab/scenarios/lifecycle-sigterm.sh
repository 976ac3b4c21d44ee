# SPDX-License-Identifier: MIT
# lifecycle-sigterm: SIGTERM to hvmemu while the guest is idle.  hvmemu must
# exit 0 and remove its ioreq server; the guest keeps running (its port
# accesses go back to QEMU instead of blocking on a dead server) and
# `xl destroy` still works. Before the signal, dom0 asks the running hvmemu
# over its control socket (hvmemu-ctl status, stats) while the guest's
# heartbeats go on: the socket is served from the dispatch loop.
LAB_ORDER=35
GUEST_TIMEOUT=180
GUEST_VERDICT=no
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="crct10dif_generic ata_piix sd_mod"
SIGTERM_EXIT_LIMIT=10
HVMEMU_ARGS='--device testdev,port=0x2000 --disk file:$WORK/disk.img,hda,w'

dom0_prepare() {
    truncate -s 16M "$WORK/disk.img"
    /lab/bin/labtool pattern-write "$WORK/disk.img" 1 0 2048
}

guest_main() {
    lab_disk || return
    check read labtool pattern-check $dev 1 0 2048 direct
    mark "idle"
    # Heartbeats that touch hvmemu's ports: after the server is gone they
    # must still complete (served by QEMU), not block the vCPU.
    i=0
    while [ $i -lt 120 ]; do
        i=$((i + 1))
        mark "alive $i testdev=$(labtool inl 0x2000) ide-status=$(labtool inb 0x1f7)"
        sleep 1
    done
}

# hvmemu-ctl against the live daemon: both answers saved in $OUT.
dom0_ctl_check() {
    if ! timeout 20 hvmemu-ctl --domid "$DOMID" status >"$OUT/ctl-status.json" 2>&1 ||
        ! grep -q '"testdev.0"' "$OUT/ctl-status.json"; then
        dom0_fail "hvmemu-ctl status: $(head -c 300 "$OUT/ctl-status.json")"
        return
    fi
    if ! timeout 20 hvmemu-ctl --domid "$DOMID" stats >"$OUT/ctl-stats.json" 2>&1 ||
        ! grep -q '"name" : "testdev"' "$OUT/ctl-stats.json"; then
        dom0_fail "hvmemu-ctl stats: $(head -c 300 "$OUT/ctl-stats.json")"
        return
    fi
    dom0_note "hvmemu-ctl status/stats answered: $(grep -o '"uptime_s" : [0-9.]*' "$OUT/ctl-status.json")"
}

dom0_drive() {
    lab_wait_guest_start || return
    if ! lab_wait_serial '^LAB-MARK: idle' "$GUEST_TIMEOUT"; then
        dom0_fail "guest never became idle"
        return
    fi
    lab_wait_serial '^LAB-MARK: alive 3 ' 30
    dom0_ctl_check
    local t n
    t=$(now)
    kill -TERM "$HV_PID"
    lab_expect_hvmemu_exit SIGTERM "$SIGTERM_EXIT_LIMIT" "$t" || return
    # The guest must keep making progress with the server gone.
    n=$(grep -ac '^LAB-MARK: alive' "$SERIAL")
    if lab_wait_serial "^LAB-MARK: alive $((n + 4)) " 30; then
        dom0_note "guest alive after SIGTERM: $(grep -a '^LAB-MARK: alive' "$SERIAL" | tail -1 | tr -d '\r')"
    else
        dom0_fail "guest wedged after hvmemu exited (no heartbeat past $n)"
    fi
    t=$(now)
    xlt 60 destroy "$GUEST_NAME" || dom0_fail "xl destroy failed"
    if lab_wait_domain_gone 20; then
        dom0_note "xl destroy took $(since "$t") s"
    else
        dom0_fail "domain still there 20 s after xl destroy"
    fi
}
