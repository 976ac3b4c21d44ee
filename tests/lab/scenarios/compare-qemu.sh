# SPDX-License-Identifier: MIT
# compare-qemu: the comparison workload (bench_workload: QD1 O_DIRECT
# 1 MiB and 4 KiB reads and writes) on QEMU's own IDE disk — the xl disk
# line an admin would write; compare-hvmemu runs the same workload on
# hvmemu's disk in the same run and scripts/lab/run prints the two side by
# side with the ratio. hvmemu runs with only its test device here, so QEMU
# keeps the IDE controller. backendtype=qdisk: the disk's PV half is
# QEMU's too (blkback would wait for hotplug scripts dom0 does not run).
# The NIC is not compared: an xl vif line needs netback and its hotplug
# scripts in dom0, and a tap on a dom0 bridge trips the TCG SVM bug
# described in docs/lab.md (net-tap).
LAB_ORDER=60
GUEST_TIMEOUT=900
GUEST_MODULES="ata_piix sd_mod"
HVMEMU_ARGS='--device testdev,port=0x2000'
XL_EXTRA="disk=['format=raw,vdev=hda,access=rw,backendtype=qdisk,target=$WORK/disk.img']"

dom0_prepare() {
    truncate -s 64M "$WORK/disk.img"
}

guest_main() {
    lab_disk || return
    pass disk "$dev $(sed 's/ *$//' /sys/block/${dev#/dev/}/device/model)"
    bench_workload "$dev"
}
