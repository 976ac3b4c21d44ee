# SPDX-License-Identifier: MIT
# compare-qemu: the comparison workload (bench_workload: QD1 O_DIRECT
# 1 MiB and 4 KiB reads and writes, then 4 MiB over TCP each way with dom0)
# on QEMU's own IDE disk and e1000 NIC; compare-hvmemu runs the same
# workload on hvmemu's in the same run and scripts/lab/run prints the two
# side by side with the ratio. hvmemu runs with only its test device here,
# so QEMU keeps the IDE controller and the NIC.
#  - disk: the xl disk line an admin would write. backendtype=qdisk: the
#    disk's PV half is QEMU's too (blkback would wait for hotplug scripts
#    dom0 does not run).
#  - NIC: QEMU's e1000 on a tap in a dom0 bridge, as an xl vif line with
#    type=ioemu would set it up; hvmemu's NIC in compare-hvmemu sits on the
#    same bridge through its own tap backend, so the two differ only in the
#    device model. The vif line itself would need netback and its hotplug
#    scripts in dom0 (and Debian's qemu-system-xen has no user-mode
#    backend), so device_model_args_hvm hands QEMU a tap dom0 made.
#    romfile= : no iPXE option ROM (hvmemu's NIC has none either).
LAB_ORDER=60
GUEST_TIMEOUT=900
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="ata_piix sd_mod e1000"
NET_MAC=00:16:3e:4c:41:03
NET_BR=labbr0
NET_SECTORS=8192                         # 4 MiB each way (bench_workload)
GUEST_CMDLINE="hvmemu_lab.mac=$NET_MAC"
HVMEMU_ARGS='--device testdev,port=0x2000'
XL_EXTRA="disk=['format=raw,vdev=hda,access=rw,backendtype=qdisk,target=$WORK/disk.img']
device_model_args_hvm=['-netdev','tap,id=labnet,ifname=labtapq,script=no,downscript=no','-device','e1000,netdev=labnet,mac=$NET_MAC,romfile=']"

dom0_prepare() {
    truncate -s 64M "$WORK/disk.img"
    dom0_bridge_up $NET_BR 192.168.77.1/24 || return 1
    if [ -n "$XL_EXTRA" ]; then
        # A first try whose guest died skipped dom0_check's removal: a
        # retry must not find the tap busy.
        ip link del labtapq 2>/dev/null || true
        ip tuntap add dev labtapq mode tap &&
            ip link set labtapq master $NET_BR up || return 1
    fi
    dom0_tcp_peers 41 42 $NET_SECTORS
}

guest_main() {
    lab_disk || return
    pass disk "$dev $(sed 's/ *$//' /sys/block/${dev#/dev/}/device/model)"
    net_up 192.168.77.2/24 || return
    bench_workload "$dev" 192.168.77.1
}

dom0_check() {
    dom0_tcp_verdict
    ip link del labtapq 2>/dev/null
    dom0_bridge_down $NET_BR
}
