# SPDX-License-Identifier: MIT
# compare-hvmemu-poll: compare-hvmemu-release with adaptive busy polling
# (--poll-us adaptive: the window follows the guest, at most 100 µs; see
# ioreq/xen_loop.c). Same workload, same run: scripts/lab/run prints it as
# a fourth column, so whether polling pays on this 2-CPU host is measured
# where it matters, next to the release build that does not poll. -v: the
# exit summary in hvmemu.log says how many requests polling found and how
# long it spun.
. /lab/scenarios/compare-hvmemu-release.sh
LAB_ORDER=63
NET_MAC=00:16:3e:4c:41:05
GUEST_CMDLINE="hvmemu_lab.mac=$NET_MAC"
HVMEMU_ARGS='-v --poll-us adaptive --disk file:$WORK/disk.img,hda,w --nic model=e1000,mac=$NET_MAC,bridge=$NET_BR,ifname=labtaph'
HVMEMU_LOG_EXPECT='busy polling: [0-9]+ requests found'
