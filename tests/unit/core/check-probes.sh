#!/bin/bash
# SPDX-License-Identifier: MIT
# The USDT probes of hw/core/probes.h are in the built daemon and library
# (.note.stapsdt, provider hvmemu), so bpftrace/perf can attach to them.
set -u
want=(ioreq__wake ioreq__begin ioreq__end ioreq__buffered region__read
      region__write irq__isa irq__intx irq__msi blk__submit blk__complete
      ide__command e1000__tx_doorbell e1000__rx_frame unplug)
notes=$(readelf -n "$@" 2>&1) || { echo "readelf failed: $notes"; exit 1; }
bad=0
for p in "${want[@]}"; do
  if grep -A2 "Provider: hvmemu" <<<"$notes" | grep -qx "    Name: $p"; then
    echo "ok   hvmemu:$p"
  else
    echo "MISSING hvmemu:$p"; bad=1
  fi
done
n=$(grep -c "Provider: hvmemu" <<<"$notes")
echo "$n probe sites in $*"
exit $bad
