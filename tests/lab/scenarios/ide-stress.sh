# SPDX-License-Identifier: MIT
# ide-stress: read a host-prepared 64 MiB pattern image through the page
# cache again and again (drop caches in between) — the workload that showed
# a rare torn sector on real Xen. hvmemu runs with its guest-memory write
# diagnostics (HVMEMU_DEBUG_MEMLOG, HVMEMU_DEBUG_VERIFY); on a mismatch the
# guest probes the page (again, mmap + guest-physical address, O_DIRECT)
# and dom0 prints hvmemu's writes of that LBA.
LAB_DEFAULT=no
LAB_ORDER=25
GUEST_TIMEOUT=1500
GUEST_UNPLUG=never    # the emulated devices under test stay (no PV drivers)
GUEST_MODULES="ata_piix sd_mod"
DISK_MB=64
DISK_SECTORS=$((DISK_MB * 2048))
PASSES=${LAB_STRESS_PASSES:-8}
HVMEMU_ARGS='--disk file:$WORK/disk.img,hda,w'
HVMEMU_ENV='HVMEMU_DEBUG_MEMLOG=$WORK/memlog HVMEMU_DEBUG_VERIFY=1'
GUEST_CMDLINE="hvmemu_lab.passes=$PASSES"

dom0_prepare() {
    truncate -s ${DISK_MB}M "$WORK/disk.img"
    /lab/bin/labtool pattern-write "$WORK/disk.img" 1 0 $DISK_SECTORS
    rm -f "$WORK/memlog"
}

guest_main() {
    lab_disk || return
    passes=$(sed -n 's/.*hvmemu_lab\.passes=\([0-9]*\).*/\1/p' /proc/cmdline)
    i=1
    while [ "$i" -le "${passes:-8}" ]; do
        lab_drop_caches
        check pattern-read-$i labtool pattern-check $dev 1 0 $DISK_SECTORS
        i=$((i + 1))
    done
    dmesg | grep -iE 'ata|sd ' | tail -5 | while read -r l; do echo "GUEST-DMESG: $l"; done
}

dom0_check() {
    local lba
    [[ -s $WORK/memlog ]] || return 0
    say "  [$SC] memlog: $(wc -l <"$WORK/memlog") writes, $(grep -c INVALIDATE "$WORK/memlog") invalidates"
    grep -h 'MISMATCH at LBA' "$SERIAL" 2>/dev/null | sed 's/.*MISMATCH at LBA \([0-9]*\).*/\1/' | sort -u |
        while read -r lba; do
            say "  [$SC] writes of LBA $lba: $(grep -a "LBA $(printf %010d "$lba")" "$WORK/memlog" | tail -3 | tr '\n' ';')"
        done
    cp "$WORK/memlog" "$OUT/memlog" 2>/dev/null || true
}
