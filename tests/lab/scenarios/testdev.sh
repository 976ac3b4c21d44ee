# SPDX-License-Identifier: MIT
# testdev: the first end-to-end proof.  hvmemu's built-in debug device at
# port 0x2000: a 4-byte scratch register at +0 that reads back what was
# written, a read-only access counter at +4.  Needs only the core daemon.
LAB_ORDER=10
GUEST_TIMEOUT=120
HVMEMU_ARGS='--device testdev,port=0x2000,irq=5'

guest_main() {
    c0=$(labtool inl 0x2004)
    labtool outl 0x2000 0xdead0000
    expect_eq scratch-32 "$(labtool inl 0x2000)" 0xdead0000
    expect_eq scratch-16 "$(labtool inw 0x2002)" 0xdead
    expect_eq scratch-8 "$(labtool inb 0x2000)" 0x00
    labtool outb 0x2001 0xbe
    expect_eq scratch-byte-write "$(labtool inl 0x2000)" 0xdeadbe00
    c1=$(labtool inl 0x2004)
    if [ $((c1)) -gt $((c0)) ]; then
        pass counter "$c0 -> $c1"
    else
        fail counter "did not increase: $c0 -> $c1"
    fi
}
