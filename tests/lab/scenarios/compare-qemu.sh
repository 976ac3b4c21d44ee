# SPDX-License-Identifier: MIT
# compare-qemu: the comparison workload (bench_workload: QD1 O_DIRECT disk
# figures, TCP both ways with dom0) on QEMU's own IDE disk and e1000 —
# the xl disk/vif lines an admin would write. compare-hvmemu runs the same
# workload on hvmemu's devices; scripts/lab/run prints the two side by
# side with the ratio. hvmemu runs with only its test device here, so
# QEMU keeps the IDE controller. backendtype=qdisk: the disk's PV half is
# QEMU's too (blkback would wait for hotplug scripts dom0 does not run).
LAB_ORDER=60
GUEST_TIMEOUT=900
GUEST_MODULES="ata_piix sd_mod e1000"
NET_MAC=00:16:3e:4c:41:04
NET_BR=labbr0
HVMEMU_ARGS='--device testdev,port=0x2000'
XL_EXTRA="disk=['format=raw,vdev=hda,access=rw,backendtype=qdisk,target=$WORK/disk.img']
vif=['mac=$NET_MAC,bridge=$NET_BR,model=e1000,type=ioemu']"
GUEST_CMDLINE="hvmemu_lab.mac=$NET_MAC"

dom0_prepare() {
    truncate -s 64M "$WORK/disk.img"
    dom0_bridge_up $NET_BR 192.168.77.1/24 || return 1
    dom0_tcp_peers 41 42 8192
}

guest_main() {
    LAB_WAIT=30 wait_for lab_first_disk || { fail detect "no sd disk appeared"; return; }
    dev=$(lab_first_disk)
    pass disk "$dev $(sed 's/ *$//' /sys/block/${dev#/dev/}/device/model)"
    net_up 192.168.77.2/24 || { bench_workload "$dev"; return; }
    bench_workload "$dev" 192.168.77.1
}

dom0_check() {
    dom0_tcp_verdict
    dom0_bridge_down $NET_BR
}
