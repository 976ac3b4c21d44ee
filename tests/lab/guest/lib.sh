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

# lab_disk: wait up to 30 s for the first SCSI disk and set $dev to it;
# a FAIL "detect" line and 1 if none appears.
lab_disk() {
    LAB_WAIT=30 wait_for lab_first_disk || { fail detect "no sd disk appeared"; return 1; }
    dev=$(lab_first_disk)
}

# The disk named by ATA port/drive shows up as sdX (srX for an ATAPI
# drive) once ata_piix has probed.
# lab_first_block PREFIX: prints /dev/PREFIXn of the first such device.
lab_first_block() {
    for _d in /sys/block/$1*; do
        [ -e "$_d" ] && { echo "/dev/${_d##*/}"; return 0; }
    done
    return 1
}
lab_first_disk() { lab_first_block sd; }

# lab_ata_disk N: prints /dev/sdX of the IDE unit N (0 hda, 1 hdb, 2 hdc,
# 3 hdd). ata_piix probes its ports in parallel, so sda is not always hda:
# the SCSI address (ata port = host, drive = target) says which is which.
lab_ata_disk() {
    for _d in /sys/block/sd*; do
        [ -e "$_d/device" ] || continue
        _addr=$(basename "$(readlink "$_d/device")")
        case $_addr in
        *:0:$(($1 % 2)):0)
            _h=${_addr%%:*}
            # the lowest SCSI host is the primary channel
            _lo=$(ls /sys/class/scsi_host | sed 's/host//' | sort -n | head -1)
            [ $((_h - _lo)) = $(($1 / 2)) ] && { echo "/dev/${_d##*/}"; return 0; }
            ;;
        esac
    done
    return 1
}

# expect_refused NAME WANT CMD [ARGS...]: CMD (a write the device must
# refuse) has to fail within 180 s with output matching the regex WANT —
# not succeed, not hang.
expect_refused() {
    _name=$1 _want=$2
    shift 2
    _t0=$(cut -d. -f1 /proc/uptime)
    if timeout 180 "$@" >/tmp/refused.out 2>&1; then
        fail "$_name" "succeeded: $(cat /tmp/refused.out)"
        return
    fi
    _rc=$?
    _dt=$(($(cut -d. -f1 /proc/uptime) - _t0))
    if [ $_rc = 143 ] || [ $_rc = 124 ]; then
        fail "$_name" "hung (killed after ${_dt}s)"
    elif grep -qE "$_want" /tmp/refused.out; then
        pass "$_name" "after ${_dt}s: $(cat /tmp/refused.out)"
    else
        fail "$_name" "failed, but not with '$_want': $(cat /tmp/refused.out)"
    fi
}

# poll_until NAME SECS CMD...: CMD (a command or function, each bounded by
# its own timeout) must succeed within SECS; PASS with how long it took.
poll_until() {
    _name=$1 _secs=$2
    shift 2
    _t0=$(cut -d. -f1 /proc/uptime)
    while [ $(($(cut -d. -f1 /proc/uptime) - _t0)) -lt "$_secs" ]; do
        if "$@" >/tmp/poll.out 2>&1; then
            pass "$_name" "after $(($(cut -d. -f1 /proc/uptime) - _t0))s: $(cat /tmp/poll.out)"
            return 0
        fi
        sleep 1
    done
    fail "$_name" "not within ${_secs}s: $(cat /tmp/poll.out)"
    return 1
}

lab_drop_caches() {
    sync
    echo 3 >/proc/sys/vm/drop_caches
}

# ---- networking (net-* scenarios)

# The e1000's interface: the one whose MAC is hvmemu_lab.mac.
lab_net_if() {
    _mac=$(sed -n 's/.*hvmemu_lab\.mac=\([^ ]*\).*/\1/p' /proc/cmdline)
    for _i in /sys/class/net/*; do
        [ "$(cat "$_i/address" 2>/dev/null)" = "$_mac" ] && { basename "$_i"; return 0; }
    done
    return 1
}

lab_carrier() { [ "$(cat /sys/class/net/$1/carrier 2>/dev/null)" = 1 ]; }

# net_up [ADDR/PREFIX]: driver bound with our MAC, link up, carrier.  With
# no address, DHCP (udhcpc) must give one.  Sets NET_IF.
net_up() {
    LAB_WAIT=20 wait_for lab_net_if || { fail detect "no interface with MAC $(sed -n 's/.*hvmemu_lab\.mac=\([^ ]*\).*/\1/p' /proc/cmdline)"; return 1; }
    NET_IF=$(lab_net_if)
    pass detect "$NET_IF $(cat /sys/class/net/$NET_IF/address) driver=$(basename "$(readlink /sys/class/net/$NET_IF/device/driver)")"
    ip link set lo up
    ip link set "$NET_IF" up
    if LAB_WAIT=20 wait_for lab_carrier "$NET_IF"; then
        pass link-up "carrier after $(dmesg | grep -m1 'Link is Up' | sed 's/.*\] //')"
    else
        fail link-up "no carrier on $NET_IF"
        return 1
    fi
    if [ -n "${1:-}" ]; then
        check address ip addr add "$1" dev "$NET_IF"
        return
    fi
    mkdir -p /etc
    cat >/tmp/udhcpc.sh <<'EOS'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr add "$ip/${mask:-24}" dev "$interface"
[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
echo "dhcp: $ip/${mask:-24} router ${router:-none} dns ${dns:-none}"
EOS
    chmod +x /tmp/udhcpc.sh
    if _o=$(udhcpc -i "$NET_IF" -n -q -t 5 -T 3 -s /tmp/udhcpc.sh 2>&1); then
        pass dhcp "$(echo "$_o" | grep '^dhcp:')"
    else
        fail dhcp "$_o"
        return 1
    fi
}

# The interface's interrupt count (its /proc/interrupts line).
net_irqs() { awk -v i="$NET_IF" '$NF == i { s = 0; for (k = 2; k < NF; k++) if ($k ~ /^[0-9]+$/) s += $k; print s }' /proc/interrupts; }

# Interface counters and driver errors, for the record.
net_counters() {
    _s=/sys/class/net/$NET_IF/statistics
    echo "GUEST: net $NET_IF irqs=$(net_irqs) rx=$(cat $_s/rx_packets)/$(cat $_s/rx_bytes)B tx=$(cat $_s/tx_packets)/$(cat $_s/tx_bytes)B rx_err=$(cat $_s/rx_errors) tx_err=$(cat $_s/tx_errors) drop=$(cat $_s/rx_dropped)"
}

# net_exercise PINGNAME HOST SEED_FROM SEED_TO SECTORS: ping HOST, then
# SECTORS*512 bytes from dom0 (tcp-serve on 5801) and to dom0 (tcp-check on
# 5802, dom0_tcp_peers), with the interface's counters around them.
net_exercise() {
    net_counters
    check "$1" timeout 30 ping -c 3 -w 15 "$2"
    net_counters
    check tcp-from-dom0 labtool tcp-get "$2" 5801 "$3" "$5"
    check tcp-to-dom0 labtool tcp-put "$2" 5802 "$4" "$5"
    net_counters
}

# ---- the comparison workload (compare-qemu / compare-hvmemu)

# bench_workload DEV [HOST]: QD1 O_DIRECT disk figures, then (with HOST)
# 4 MiB over TCP each way with dom0.  One PASS line per figure; the host
# puts the two scenarios' figures side by side.
bench_workload() {
    check bench-seq-read-1M labtool bench-io "$1" read 1048576 48 48
    check bench-seq-write-1M labtool bench-io "$1" write 1048576 48 48
    check bench-rand-read-4k labtool bench-io "$1" randread 4096 300 48
    check bench-rand-write-4k labtool bench-io "$1" randwrite 4096 300 48
    [ -n "${2:-}" ] || return 0
    check bench-tcp-from-dom0 labtool tcp-get "$2" 5801 41 8192
    check bench-tcp-to-dom0 labtool tcp-put "$2" 5802 42 8192
}
