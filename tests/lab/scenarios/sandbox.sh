# SPDX-License-Identifier: MIT
# sandbox: the least-privileged daemon on real Xen (docs/sandbox.md).
# hvmemu runs with its Xen handles restricted to the guest and the seccomp
# allow-list (both the default), as user nobody, chrooted into an empty
# directory. Then:
#  - the guest still uses hvmemu's disk: a dom0-made pattern read back,
#    O_DIRECT writes found in the image by dom0 afterwards;
#  - "hvmemu-ctl sandbox" answers: uid of nobody, the chroot, and two
#    probes run inside the daemon: execve and a dm_op on another domain
#    both fail with EPERM;
#  - "hvmemu-ctl insert hdc /cd.iso" loads a disc by a path inside the
#    chroot (the directory dom0 prepared), and the guest reads it;
#  - SIGTERM still tears down cleanly (exit 0: the restricted dm_ops
#    disable and destroy the ioreq server).
LAB_ORDER=37
GUEST_TIMEOUT=300
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="crct10dif_generic ata_piix sd_mod sr_mod"
DISK_MB=16
CD_MB=2
# LeakSanitizer (the lab's build) reads /proc, which the chroot hides.
HVMEMU_ENV='ASAN_OPTIONS=detect_leaks=0'
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w
             --disk "vdev=hdc,devtype=cdrom,access=ro,target="
             --runas nobody --chroot $WORK/root'

dom0_prepare() {
    mkdir -p "$WORK/root" &&
        dom0_pattern_image "$WORK/disk.img" $DISK_MB 61 &&
        dom0_pattern_image "$WORK/root/cd.iso" $CD_MB 62 &&
        chmod 0644 "$WORK/root/cd.iso"
}

guest_main() {
    lab_disk || return
    check disk-read labtool pattern-check $dev 61 0 $((DISK_MB * 2048)) direct
    check disk-write labtool pattern-write $dev 63 4096 2048 direct
    check disk-flush sync
    check disk-reread labtool pattern-check $dev 63 4096 2048 direct
    mark "insert-now"
    LAB_WAIT=30 wait_for lab_first_block sr || { fail detect "no sr device"; return; }
    cd=$(lab_first_block sr)
    _t0=$(cut -d. -f1 /proc/uptime)
    until timeout 15 labtool pattern-check $cd 62 0 8 direct >/dev/null 2>&1; do
        [ $(($(cut -d. -f1 /proc/uptime) - _t0)) -lt 120 ] ||
            { fail cd-seen "the disc never appeared"; return; }
        sleep 1
    done
    lab_drop_caches
    check cd-read labtool pattern-check $cd 62 0 $((CD_MB * 2048)) direct
}

dom0_sandbox_check() {
    local r=$OUT/ctl-sandbox.json
    if ! timeout 20 hvmemu-ctl --domid "$DOMID" sandbox >"$r" 2>&1; then
        dom0_fail "hvmemu-ctl sandbox: $(head -c 300 "$r")"
        return
    fi
    dom0_note "sandbox: $(tr -d '\n ' <"$r")"
    grep -q '"xen_restricted" : true' "$r" || dom0_fail "Xen handles not restricted"
    grep -q '"seccomp" : true' "$r" || dom0_fail "no seccomp filter"
    grep -q "\"uid\" : $(id -u nobody)" "$r" || dom0_fail "not running as nobody"
    grep -q "\"chroot\" : \"$WORK/root\"" "$r" || dom0_fail "not chrooted"
    grep -q '"execve_probe" : "EPERM' "$r" || dom0_fail "execve was not refused"
    grep -q '"other_domain_probe" : "EPERM' "$r" ||
        dom0_fail "a dm_op on another domain was not refused"
}

dom0_drive() {
    lab_wait_guest_start || return
    lab_wait_serial '^LAB-MARK: insert-now' "$GUEST_TIMEOUT" ||
        { dom0_fail "the guest never got through its disk checks"; return; }
    dom0_sandbox_check
    timeout 20 hvmemu-ctl --domid "$DOMID" insert hdc /cd.iso >"$OUT/ctl.log" 2>&1 ||
        dom0_fail "hvmemu-ctl insert hdc /cd.iso: $(tail -1 "$OUT/ctl.log")"
    lab_wait_serial '^GUEST: done' "$GUEST_TIMEOUT" ||
        { dom0_fail "no 'GUEST: done' after the insert"; return; }
    local t
    t=$(now)
    kill -TERM "$HV_PID"
    lab_expect_hvmemu_exit SIGTERM 10 "$t"
}

dom0_check() {
    /lab/bin/labtool pattern-check "$WORK/disk.img" 63 4096 2048 >/dev/null ||
        dom0_fail "the guest's writes are not in disk.img"
    /lab/bin/labtool pattern-check "$WORK/disk.img" 61 0 4096 >/dev/null ||
        dom0_fail "disk.img lost its pattern below the writes"
    dom0_log_has 'disc inserted: /cd.iso' "the insert inside the chroot"
}
