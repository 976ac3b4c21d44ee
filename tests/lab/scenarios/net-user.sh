# SPDX-License-Identifier: MIT
# net-user: Linux's e1000 driver on hvmemu's 82540EM with the user-mode
# (libslirp) backend — the default when no backend is named.
#  - the driver binds, reads the MAC from the EEPROM, the link comes up
#  - DHCP from slirp gives 10.0.2.15; ping the virtual host 10.0.2.2
#  - TCP both ways to dom0 (slirp forwards 10.0.2.2:PORT to dom0's
#    127.0.0.1:PORT): 8 MiB from dom0 and 8 MiB to dom0, every byte checked
LAB_ORDER=40
GUEST_TIMEOUT=300
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="e1000 af_packet"
NET_MAC=00:16:3e:4c:41:01
NET_SECTORS=16384                        # 8 MiB each way
HVMEMU_ARGS="--nic model=e1000,mac=$NET_MAC"
GUEST_CMDLINE="hvmemu_lab.mac=$NET_MAC"

dom0_prepare() { dom0_tcp_peers 21 22 $NET_SECTORS; }

guest_main() {
    net_up || return
    expect_eq address "$(ip -4 -o addr show dev $NET_IF | awk '{print $4}')" 10.0.2.15/24
    net_exercise ping-gateway 10.0.2.2 21 22 $NET_SECTORS
}

dom0_check() { dom0_tcp_verdict; }
