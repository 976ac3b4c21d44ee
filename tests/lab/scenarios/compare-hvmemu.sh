# SPDX-License-Identifier: MIT
# compare-hvmemu: compare-qemu's workload on hvmemu's IDE disk, in the same
# lab run; scripts/lab/run prints the two side by side with the ratio.
. /lab/scenarios/compare-qemu.sh
LAB_ORDER=61
GUEST_TIMEOUT=900
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w'
XL_EXTRA=""
