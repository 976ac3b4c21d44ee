/* SPDX-License-Identifier: MIT */
/*
 * USDT probes (systemtap-sdt), provider "hvmemu": each step of the
 * write/interrupt cycle, for bpftrace, perf and SystemTap to attach to a
 * running daemon (docs/observability.md lists them with one-liners).
 * Unattached, a probe is one NOP in the code and a note in .note.stapsdt.
 *
 *   ioreq__wake()                               the event channel woke us
 *   ioreq__begin(type, addr, size, dir)         a vCPU request taken
 *   ioreq__end(type, addr, data)                its response written
 *   ioreq__buffered(type, addr, size, data)     a buffered (posted) write
 *   region__read(name, offset, size, value)     a device's register read
 *   region__write(name, offset, size, value)    a device's register write
 *   irq__isa(irq, level) / irq__intx(sbdf, pin, level) / irq__msi(addr, data)
 *   blk__submit(op, offset, len) / blk__complete(op, offset, ret)
 *   ide__command(bus, unit, cmd)                command register written
 *   e1000__tx_doorbell(tdt) / e1000__rx_frame(len)
 *   unplug(name, cause)                         a device left the guest
 */
#ifndef HW_CORE_PROBES_H
#define HW_CORE_PROBES_H

#include <sys/sdt.h>

#define HV_PROBE(name) DTRACE_PROBE(hvmemu, name)
#define HV_PROBE1(name, a) DTRACE_PROBE1(hvmemu, name, a)
#define HV_PROBE2(name, a, b) DTRACE_PROBE2(hvmemu, name, a, b)
#define HV_PROBE3(name, a, b, c) DTRACE_PROBE3(hvmemu, name, a, b, c)
#define HV_PROBE4(name, a, b, c, d) DTRACE_PROBE4(hvmemu, name, a, b, c, d)
#define HV_PROBE5(name, a, b, c, d, e) \
    DTRACE_PROBE5(hvmemu, name, a, b, c, d, e)

#endif
