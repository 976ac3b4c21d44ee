# SPDX-License-Identifier: MIT
# net-user: Linux's e1000 driver on hvmemu's 82540EM with the user-mode
# (libslirp) backend — the default when no backend is named.
#  - the driver binds, reads the MAC from the EEPROM, the link comes up
#  - DHCP from slirp gives 10.0.2.15; ping the virtual host 10.0.2.2
#  - TCP both ways to dom0 (slirp forwards 10.0.2.2:PORT to dom0's
#    127.0.0.1:PORT): 8 MiB from dom0 and 8 MiB to dom0, every byte checked
LAB_ORDER=40
GUEST_TIMEOUT=300
GUEST_MODULES="e1000 af_packet"
NET_MAC=00:16:3e:4c:41:01
NET_SECTORS=16384                        # 8 MiB each way
HVMEMU_ARGS="--nic model=e1000,mac=$NET_MAC"
GUEST_CMDLINE="hvmemu_lab.mac=$NET_MAC"

dom0_prepare() { dom0_tcp_peers 21 22 $NET_SECTORS; }

guest_main() {
    net_up || return
    expect_eq address "$(ip -4 -o addr show dev $NET_IF | awk '{print $4}')" 10.0.2.15/24
    net_counters
    check ping-gateway timeout 30 ping -c 3 -w 15 10.0.2.2
    net_counters
    check tcp-from-dom0 labtool tcp-get 10.0.2.2 5801 21 $NET_SECTORS
    check tcp-to-dom0 labtool tcp-put 10.0.2.2 5802 22 $NET_SECTORS
    net_counters
}

dom0_check() { dom0_tcp_verdict; }
