# SPDX-License-Identifier: MIT
# compare-hvmemu: compare-qemu's workload on hvmemu's IDE disk and e1000
# (a tap on the same dom0 bridge), in the same lab run; scripts/lab/run
# prints the two side by side with the ratio.
. /lab/scenarios/compare-qemu.sh
LAB_ORDER=61
GUEST_TIMEOUT=900
NET_MAC=00:16:3e:4c:41:03
HVMEMU_ARGS="--disk file:\$WORK/disk.img,hda,w --nic mac=$NET_MAC,bridge=$NET_BR,ifname=labtap1,model=e1000"
XL_EXTRA=""
GUEST_CMDLINE="hvmemu_lab.mac=$NET_MAC"
