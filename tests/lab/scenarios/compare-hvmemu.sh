# SPDX-License-Identifier: MIT
# compare-hvmemu: compare-qemu's workload on hvmemu's IDE disk and e1000
# (its tap backend on the same dom0 bridge as QEMU's NIC there), in the
# same lab run; scripts/lab/run prints the two side by side with the ratio.
. /lab/scenarios/compare-qemu.sh
LAB_ORDER=61
NET_MAC=00:16:3e:4c:41:04
GUEST_CMDLINE="hvmemu_lab.mac=$NET_MAC"
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w --nic model=e1000,mac=$NET_MAC,bridge=$NET_BR,ifname=labtaph'
XL_EXTRA=""
