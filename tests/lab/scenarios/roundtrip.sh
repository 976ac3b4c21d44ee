# SPDX-License-Identifier: MIT
# roundtrip (not in the default run: scripts/lab/run roundtrip): what one
# trapped port read costs, by who serves it — Xen itself (PM timer, PIT),
# hvmemu in dom0 (testdev), QEMU in dom0 (the second IDE channel's status,
# which hvmemu does not claim when only testdev is given).  The anchor for
# reading every other lab timing.  Also lists the guest's slow boot steps.
LAB_ORDER=90
LAB_DEFAULT=no
GUEST_TIMEOUT=300
HVMEMU_ARGS='--device testdev,port=0x2000'

guest_main() {
    dmesg | awk '{ t = substr($0, 2, 12) + 0; if (t - last > 0.3) printf "GUEST: slow boot step %.1f s before: %s\n", t - last, $0; last = t }'
    check hvmemu-testdev labtool bench-inl 0x2000 500
    check qemu-ide2-status labtool bench-inl 0x170 500
    check xen-pmtimer labtool bench-inl 0xb008 500
    check xen-pit labtool bench-inl 0x40 500
}
