# SPDX-License-Identifier: MIT
# Helpers for the guest side of the lab's scenarios (busybox sh, sourced by
# the guest's /init before the scenario file).  A scenario's guest_main calls
# pass/fail/check; each prints one "SCENARIO <scenario>:<check> PASS|FAIL ..."
# line on the serial console, which dom0's runner collects.

LAB_PASSES=0
LAB_FAILS=0

lab_uptime() { cut -d' ' -f1 /proc/uptime; }

# Squeeze a command's output onto one line (the runner parses lines).
lab_oneline() { tr '\n\t' '  ' | sed 's/  */ /g; s/ $//' | cut -c1-300; }

pass() {
    LAB_PASSES=$((LAB_PASSES + 1))
    echo "SCENARIO $LAB_SC:$1 PASS $(printf '%s' "${2:-}" | lab_oneline)"
}

fail() {
    LAB_FAILS=$((LAB_FAILS + 1))
    echo "SCENARIO $LAB_SC:$1 FAIL $(printf '%s' "${2:-}" | lab_oneline)"
}

# check NAME CMD [ARGS...]: PASS with the command's output when it exits 0.
check() {
    _name=$1
    shift
    if _out=$("$@" 2>&1); then
        pass "$_name" "$_out"
    else
        fail "$_name" "(exit $?) $_out"
    fi
}

# expect_eq NAME GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then
        pass "$1" "$2"
    else
        fail "$1" "got '$2', want '$3'"
    fi
}

# Progress/marker line for dom0-driven scenarios (lifecycle-*).
mark() { echo "LAB-MARK: $*"; }

lab_load_module() {
    _list=/lib/modules/load/$1
    [ -f "$_list" ] || { echo "no module list for $1"; return 1; }
    while read -r _ko; do
        _m=$(basename "$_ko" .ko | tr - _)
        [ -d "/sys/module/$_m" ] && continue
        insmod "/lib/modules/$(cat /lab/kver)/$_ko" || return 1
    done <"$_list"
}

# Load drivers in order; one FAIL line names the first that would not load.
lab_load_modules() {
    for _mod in "$@"; do
        if ! _err=$(lab_load_module "$_mod" 2>&1); then
            fail modules "cannot load $_mod: $_err"
            return 1
        fi
    done
    return 0
}

# wait_for CMD... : retry a command once a second for up to LAB_WAIT seconds.
wait_for() {
    _i=0
    while ! "$@" >/dev/null 2>&1; do
        _i=$((_i + 1))
        [ "$_i" -ge "${LAB_WAIT:-60}" ] && return 1
        sleep 1
    done
}

# The disk named by ATA port/drive shows up as sdX once ata_piix has probed.
# lab_first_disk: prints /dev/sdX of the first SCSI disk.
lab_first_disk() {
    for _d in /sys/block/sd*; do
        [ -e "$_d" ] && { echo "/dev/${_d##*/}"; return 0; }
    done
    return 1
}

lab_drop_caches() {
    sync
    echo 3 >/proc/sys/vm/drop_caches
}
