# SPDX-License-Identifier: MIT
# net-tap: the e1000 on a bridge in dom0, the way an xl vif line puts a
# guest on xenbr0: hvmemu creates a tap and adds it to the bridge
# (--nic bridge=...); dom0 owns 192.168.77.1 on the bridge.
#  - link up, static address, ping dom0's bridge address
#  - TCP both ways with dom0 over the bridge: 16 MiB each, every byte checked
# Not in the default run: in 2 of 3 runs the guest triple-faults within
# seconds of its link coming up, with Xen's own RIP in the dumped guest
# state — nested SVM under TCG mishandling an interrupt that wakes the idle
# guest (docs/lab.md). net-user, whose backend sends nothing unasked, has
# passed every run. scripts/lab/run net-tap runs it.
LAB_DEFAULT=no
LAB_ORDER=41
GUEST_TIMEOUT=300
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="e1000"
NET_MAC=00:16:3e:4c:41:02
NET_BR=labbr0
NET_SECTORS=32768                        # 16 MiB each way
HVMEMU_ARGS="--nic mac=$NET_MAC,bridge=$NET_BR,ifname=labtap0,model=e1000"
GUEST_CMDLINE="hvmemu_lab.mac=$NET_MAC"

dom0_prepare() {
    dom0_bridge_up $NET_BR 192.168.77.1/24 || return 1
    dom0_tcp_peers 31 32 $NET_SECTORS
}

guest_main() {
    net_up 192.168.77.2/24 || return
    net_exercise ping-dom0 192.168.77.1 31 32 $NET_SECTORS
}

dom0_check() {
    dom0_tcp_verdict
    dom0_bridge_down $NET_BR
}
