#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the hand-made seed programs of tests/fuzz/corpus/<target>/.

Each seed is a meaningful guest program in the operation encoding that the
header comment of fuzz-<target>.c documents (keep the two in sync). The
fuzzers mutate from here, and the replay tests run them as they are.
Files named crash-* are saved findings, not written by this script.

    python3 tests/fuzz/mkcorpus.py        # rewrites seed-* files
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v): return struct.pack('<B', v & 0xff)
def u16(v): return struct.pack('<H', v & 0xffff)
def u32(v): return struct.pack('<I', v & 0xffffffff)
def u64(v): return struct.pack('<Q', v & 0xffffffffffffffff)


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


# ---- e1000 (fuzz-e1000.c) ----
E_REGS = ['CTRL', 'STATUS', 'EECD', 'EERD', 'CTRL_EXT', 'MDIC', 'ICR', 'ITR',
          'ICS', 'IMS', 'IMC', 'RCTL', 'TCTL', 'TIPG', 'RDBAL', 'RDBAH',
          'RDLEN', 'RDH', 'RDT', 'RDTR', 'RADV', 'RSRPD', 'TDBAL', 'TDBAH',
          'TDLEN', 'TDH', 'TDT', 'TIDV', 'TADV', 'TXDCTL', 'RXDCTL', 'TSPMT',
          'RXCSUM', 'MTA', 'RA0L', 'RA0H', 'RA1L', 'VFTA', 'VET', 'GPRC',
          'TORL', 'TORH', 'MPC', 'TSCTFC', 'PBA']
(E_MMIO_WR, E_MMIO_RD, E_IO, E_CFG_WR, E_CFG_RD, E_RAM_WR, E_TXD, E_RXD,
 E_TX_INIT, E_RX_INIT, E_NET_RX, E_PUMP, E_DRAIN, E_FILL, E_RESET) = range(15)
SZ4 = 2


def e_wr(reg, val): return u8(E_MMIO_WR) + u8(E_REGS.index(reg)) + u8(SZ4) + u32(val)
def e_rd(reg): return u8(E_MMIO_RD) + u8(E_REGS.index(reg)) + u8(SZ4)


def e_ram(addr, data):
    out = b''
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += u8(E_RAM_WR) + u32(addr + i) + u8(len(chunk)) + chunk
    return out


def e_txd(slot, addr, length, cso=0, cmd=0, sta=0, css=0, special=0):
    return (u8(E_TXD) + u8(slot) + u64(addr) + u16(length) + u8(cso) +
            u8(cmd) + u8(sta) + u8(css) + u16(special))


def e_txd_raw(slot, desc):
    return u8(E_TXD) + u8(slot) + desc


def ether(dst=b'\xff' * 6, ethertype=0x0800):
    return dst + bytes([2, 0, 0, 0, 0, 1]) + struct.pack('>H', ethertype)


def ipv4_tcp(payload):
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 40 + payload, 1, 0x4000, 64,
                     6, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    tcp = struct.pack('>HHIIBBHHH', 1234, 80, 1, 0, 0x50, 0x18, 8192, 0, 0)
    return ip + tcp


EOP, IFCS, IC, RS, DEXT, VLE, IDE = 1, 2, 4, 8, 0x20, 0x40, 0x80
TX_BUF = 0x40000
irq_on = e_wr('IMS', 0x1ffff)

# A legacy descriptor, one 60-byte frame, RS for a write-back.
frame = ether() + bytes(range(46))
write('e1000', 'tx-legacy',
      irq_on + u8(E_TX_INIT) + u8(0) + u8(0) + u32(0x0a) +
      e_ram(TX_BUF, frame) + e_txd(0, TX_BUF, len(frame), cmd=EOP | IFCS | RS) +
      e_wr('TDT', 1) + u8(E_PUMP) + u8(4) + u8(E_DRAIN) + e_rd('ICR') +
      e_rd('TDH') + e_rd('TORL'))

# Legacy checksum insertion + a frame split over two descriptors + VLAN.
f2 = ether() + ipv4_tcp(100) + bytes(100)
write('e1000', 'tx-legacy-csum-vlan',
      irq_on + e_wr('CTRL', 0x40000000 | 0x41) +
      u8(E_TX_INIT) + u8(0) + u8(0) + u32(0x0a) + e_ram(TX_BUF, f2) +
      e_txd(0, TX_BUF, 30, cmd=IFCS) +
      e_txd(1, TX_BUF + 30, len(f2) - 30, cso=14 + 20 + 16, css=14 + 20,
            cmd=EOP | IFCS | IC | RS | VLE, special=0x0123) +
      e_wr('TDT', 2) + u8(E_DRAIN) + e_rd('ICR'))

# TSO: context descriptor (IPv4/TCP, MSS 536) + header + payload.
payload = 3000
hdr = ether() + ipv4_tcp(payload)
# IPCSS IPCSO IPCSE TUCSS TUCSO TUCSE, PAYLEN (DTYP 0), TUCMD, STA, HDRLEN, MSS
ctx = (u8(14) + u8(14 + 10) + u16(14 + 19) + u8(34) + u8(34 + 16) + u16(0) +
       u32(payload)[:3] + u8(DEXT | 0x04 | 0x02 | 0x01 | RS) + u8(0) +
       u8(54) + u16(536))
data_desc = (u64(TX_BUF) + u32((len(hdr) + payload) | (1 << 20))[:3] +
             u8(DEXT | 0x04 | EOP | IFCS | RS) + u8(0) + u8(0x03) + u16(0))
write('e1000', 'tx-tso',
      irq_on + u8(E_TX_INIT) + u8(1) + u8(0) + u32(0x0a) +
      e_ram(TX_BUF, hdr) + u8(E_FILL) + u32(TX_BUF + len(hdr)) +
      u16(payload // 16 + 1) + u32(0x1234567) +
      e_txd_raw(0, ctx) + e_txd_raw(1, data_desc) +
      e_wr('TDT', 2) + u8(E_DRAIN) + e_rd('ICR') + e_rd('TSCTFC'))

# Receive: ring of 8, broadcast accepted, one frame from the network.
rx_frame = ether() + bytes(range(86))
write('e1000', 'rx-broadcast',
      irq_on + u8(E_RX_INIT) + u8(0) + u8(7) + u32(0x2 | 0x8000 | 0x18) +
      u8(E_NET_RX) + u16(len(rx_frame)) + rx_frame + u8(E_PUMP) + u8(8) +
      e_rd('ICR') + e_rd('RDH') + e_rd('GPRC') +
      u8(E_NET_RX) + u16(1600) + u8(E_PUMP) + u8(8) + e_rd('ICR'))

# Receive with tiny buffers (BSIZE 256) and long-packet enable: spans.
write('e1000', 'rx-span',
      irq_on + e_wr('RDTR', 0) + u8(E_RX_INIT) + u8(1) + u8(15) +
      u32(0x2 | 0x8000 | 0x20 | (3 << 16)) + u8(E_NET_RX) + u16(3000) +
      u8(E_PUMP) + u8(8) + e_rd('ICR') + e_rd('RDH') + e_rd('MPC'))

# EEPROM through EERD, PHY through MDIC, the I/O BAR window.
write('e1000', 'eeprom-phy-io',
      e_wr('EERD', (0 << 8) | 1) + e_rd('EERD') + e_wr('EERD', (0x3f << 8) | 1) +
      e_rd('EERD') + e_wr('MDIC', (2 << 16) | (1 << 21) | (2 << 26)) +
      e_rd('MDIC') + e_wr('EECD', 0x40) + e_rd('EECD') +
      u8(E_IO) + u8(2 | 1 | (2 << 2)) + u32(E_REGS.index('IMS')) + u32(4) +
      u8(E_IO) + u8(2 | (2 << 2)) + u32(E_REGS.index('STATUS')) + u32(0) +
      e_wr('CTRL', 1 << 26) + e_rd('CTRL'))

# Interrupt machinery: ICS with IMS, ITR throttling, delays, INTx disable.
write('e1000', 'irq-moderation',
      irq_on + e_wr('ITR', 5000) + e_wr('ICS', 0x80) + e_rd('ICR') +
      e_wr('ICS', 0x80) + u8(E_CFG_WR) + u8(0) + u8(1) + u32(0x0407) +
      e_wr('ICS', 4) + u8(E_CFG_WR) + u8(0) + u8(1) + u32(0x0007) +
      e_wr('IMC', 0xffffffff) + e_wr('TIDV', 100) + e_wr('RDTR', 0x80000010) +
      u8(E_PUMP) + u8(3) + e_rd('ICR'))

# Hostile ring: garbage descriptors, head/tail beyond the ring, huge TDLEN.
write('e1000', 'tx-garbage-ring',
      irq_on + u8(E_FILL) + u32(0x10000) + u16(0x100) + u32(0xdeadbeef) +
      u8(E_TX_INIT) + u8(31) + u8(200) + u32(0x0a) +
      e_wr('TDLEN', 0xfff80) + e_wr('TDH', 0xfff0) + e_wr('TDT', 3) +
      e_wr('TDH', 1) + e_wr('TDT', 0) + e_wr('TDBAL', 0xfffff000) +
      e_wr('TDT', 5) + u8(E_DRAIN))

# BAR moves and decode toggles with traffic in flight, then a reset.
write('e1000', 'pci-bar-moves',
      u8(E_TX_INIT) + u8(0) + u8(0) + u32(0x0a) + e_ram(TX_BUF, frame) +
      e_txd(0, TX_BUF, len(frame), cmd=EOP | RS) +
      u8(E_CFG_WR) + u8(0) + u8(1) + u32(0x0003) + e_wr('TDT', 1) +
      u8(E_CFG_WR) + u8(0) + u8(1) + u32(0x0007) +
      u8(E_CFG_WR) + u8(1) + u8(2) + u32(1) + e_rd('TDH') +
      u8(E_CFG_WR) + u8(2) + u8(2) + u32(3) +
      u8(E_CFG_WR) + u8(1) + u8(2) + u32(0) + u8(E_RESET) + e_rd('STATUS'))

# ---- ide (fuzz-ide.c) ----
(I_PIO_WR, I_PIO_RD, I_ATA, I_PRD, I_BM, I_RAM_WR, I_CFG_WR, I_DATA,
 I_PACKET, I_PUMP, I_WAIT, I_RESET) = range(12)
ATA = {'READ_DMA': 0, 'WRITE_DMA': 1, 'READ_DMA_EXT': 2, 'WRITE_DMA_EXT': 3,
       'READ_SECTORS': 4, 'WRITE_SECTORS': 5, 'READ_SECTORS_EXT': 6,
       'WRITE_SECTORS_EXT': 7, 'READ_MULTIPLE': 8, 'WRITE_MULTIPLE': 9,
       'SET_MULTIPLE': 10, 'IDENTIFY': 13, 'IDENTIFY_PACKET': 14,
       'SET_FEATURES': 16, 'FLUSH': 17, 'VERIFY': 19, 'DSM': 21,
       'DEVICE_RESET': 22, 'DIAGNOSE': 23, 'READ_NATIVE_MAX_EXT': 26}


def ata(cmd, count=0, lba=0, ch=0, slave=False, feat=0, lba48=False):
    return (u8(I_ATA) + u8(ch | (2 if lba48 else 0)) +
            u8(0x10 if slave else 0) + u8(feat) + u16(count) +
            u32(lba) + u16(lba >> 32) + u8(ATA[cmd]))


def prd(slot, addr, length, eot=True):
    return u8(I_PRD) + u8(slot) + u32(addr) + u16(length) + u8(1 if eot else 0)


def bm(ch, cmd, psel=0): return u8(I_BM) + u8(ch) + u8(cmd) + u8(psel)
def wait(ms=2, n=3): return (u8(I_WAIT) + u8(ms)) * n
def data_rd(ch, n, dword=False): return u8(I_DATA) + u8(ch | (2 if dword else 0)) + u8(n)
def pio_rd(sel, size=0): return u8(I_PIO_RD) + u8(sel) + u8(size)


STATUS0, BMST0 = 0x07, 0x42
write('ide', 'identify-pio',
      ata('IDENTIFY') + wait() + data_rd(0, 15) + pio_rd(STATUS0) +
      ata('IDENTIFY', slave=True) + wait() + data_rd(0, 15))
write('ide', 'read-dma',
      prd(0, 0x10000, 2048, eot=False) + prd(1, 0x20000, 2048) +
      ata('READ_DMA', count=8, lba=4) + bm(0, 0x09) + wait() +
      pio_rd(BMST0) + pio_rd(STATUS0) + bm(0, 0x00))
write('ide', 'write-dma-ext',
      u8(I_RAM_WR) + u32(0x10000) + u8(64) + bytes(range(64)) +
      prd(0, 0x10000, 0, eot=True) +
      ata('WRITE_DMA_EXT', count=16, lba=100, lba48=True) + bm(0, 0x01) +
      wait() + pio_rd(BMST0) + pio_rd(STATUS0) + ata('FLUSH') + wait())
write('ide', 'pio-write-read',
      ata('WRITE_SECTORS', count=1, lba=10) + u8(I_DATA) + u8(4) + u8(15) +
      bytes(i & 0xff for i in range(512)) + wait() + pio_rd(STATUS0) +
      ata('READ_SECTORS', count=1, lba=10) + wait() + data_rd(0, 15) +
      ata('SET_MULTIPLE', count=4) + ata('READ_MULTIPLE', count=8, lba=1) +
      wait() + data_rd(0, 63, dword=True))
write('ide', 'io-error-and-bounds',
      prd(0, 0x10000, 4096) + ata('READ_DMA', count=8, lba=8, slave=True) +
      bm(0, 0x09) + wait() + pio_rd(BMST0) + pio_rd(0x01) +
      ata('READ_DMA', count=8, lba=510) + bm(0, 0x09) + wait() +
      pio_rd(BMST0) + ata('READ_NATIVE_MAX_EXT', lba48=True) + pio_rd(0x03))
write('ide', 'atapi',
      u8(I_PACKET) + u8(1) + bytes([0x12, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0]) +
      wait() + data_rd(1, 1) +
      u8(I_PACKET) + u8(1) + bytes([0x25] + [0] * 11) + wait() + data_rd(1, 0) +
      u8(I_PACKET) + u8(1) + bytes([0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0]) +
      wait() + data_rd(1, 63) +
      u8(I_PACKET) + u8(1) + bytes([0x03, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0]) +
      wait() + data_rd(1, 0))
write('ide', 'hostile-prd',
      b''.join(prd(i, 0xff000 + i * 16, 0, eot=False) for i in range(8)) +
      ata('READ_DMA', count=255, lba=0) + bm(0, 0x09, 0x81) + wait() +
      pio_rd(BMST0) + bm(0, 0x09, 0xc0) + u32(0xfffffffc) + wait() +
      u8(I_RESET) + pio_rd(STATUS0))

# ---- pci (fuzz-pci.c) ----
P_REGS = {'COMMAND': 0, 'STATUS': 2, 0x10: 3, 0x14: 4, 0x18: 5, 0x1c: 6,
          0x20: 7, 0x24: 8}
P_VALS = [0xfebf0000, 0xfebf0000, 0xfebf1000, 0xfee00000, 0xfedff000,
          0xc000, 0xc000, 0xc010, 0x60, 0x5c, 0xfff0, 0xfffc,
          0xffffffff, 0, 0xfffff000, 0xe0000000, 0x1]


def p_bar(fn, reg, val):
    return u8(0) + u8(fn) + u8(P_REGS[reg]) + u8(2) + u8(P_VALS.index(val))


def p_cmd(fn, val):
    return u8(0) + u8(fn) + u8(0) + u8(1) + u8(val >> 8) + u8(val)


def p_access(fn, bar, off=0, rw=0): return u8(4) + u8(fn) + u8(bar) + u8(off) + u8(rw)


write('pci', 'assign-enable',
      p_bar(0, 0x10, 0xfebf0000) + p_bar(0, 0x14, 0xc000) +
      p_bar(0, 0x18, 0xe0000000) + p_bar(0, 0x1c, 0) + p_bar(0, 0x20, 0xc010) +
      p_bar(0, 0x24, 0xfebf1000) + p_cmd(0, 0x0007) + p_access(0, 0) +
      p_access(0, 1, 3, 1) + p_access(0, 2, 8) + p_bar(0, 0x10, 0xffffffff) +
      u8(1) + u8(0) + u8(0x10) + u8(2) + p_bar(0, 0x10, 0xfebf0000) +
      u8(2) + u8(0x80) + p_cmd(0, 0x0407) + u8(2) + u8(0) + u8(3) + u8(0))
write('pci', 'overlaps',
      p_bar(0, 0x10, 0xfebf0000) + p_bar(1, 0x10, 0xfebf0000) +
      p_cmd(0, 0x0003) + p_cmd(1, 0x0003) + p_bar(1, 0x14, 0x60) +
      p_bar(0, 0x14, 0xc000) + p_bar(1, 0x14, 0xc000) +
      p_bar(1, 0x18, 0xfee00000) + p_access(1, 0) + p_cmd(0, 0) +
      p_bar(1, 0x10, 0xfebf1000) + p_access(1, 0))

# ---- ioreq-decode (fuzz-ioreq-decode.c) ----
PIO, COPY, PCI, TIMEOFF, INVAL = 0, 1, 2, 3, 4
READ, PTR, DF = 0x08, 0x10, 0x20
SIZES = {1: 0, 2: 1, 4: 2, 8: 3}


def req(kind, dev, off, size, count, data):
    # fi_pick_addr: base - 8 + u16 % (len + 24)
    return u8(kind) + u8(dev) + u16(off + 8) + u8(SIZES[size]) + u8(count) + u64(data)


write('ioreq-decode', 'basic',
      u8(0) + req(PIO, 0, 0, 2, 1, 0x1234) + req(PIO | READ, 0, 7, 1, 1, 0) +
      req(PIO | PTR, 0, 0, 2, 32, 0x100) + req(PIO | READ | PTR, 0, 0, 4, 16,
                                               0x200) +
      req(COPY | READ | PTR | DF, 4, 0x40, 4, 8, 0x400) +
      req(COPY | PTR, 3, 0, 8, 4, 0x3ff8) + req(PCI | READ, 7, 0x10, 4, 1, 0) +
      req(INVAL, 0, 0, 1, 1, 0) + req(TIMEOFF, 0, 0, 1, 1, 0) +
      req(PIO, 0, 6, 4, 1, 0xaabbccdd) + req(COPY | READ, 5, 5, 4, 1, 0) +
      req(PIO | READ | PTR | DF, 2, 2, 2, 3, 0x10))

# ---- ioreq-bufring (fuzz-ioreq-bufring.c) ----


def slot(typ, size, addr, data, read=False):
    b1 = (2 if read else 0) | (size << 2) | ((addr & 0xf) << 4)
    return u8(typ) + u8(b1) + u8(addr >> 4) + u8(addr >> 12) + u32(data)


entries = (slot(PIO, 0, 0x1f0, 0x12) + slot(COPY, 2, 0xa0000, 0xdeadbeef) +
           slot(COPY, 3, 0xa0008, 0x11111111) + slot(COPY, 3, 0xa0008, 0x2222) +
           slot(PIO, 1, 0x1f8, 0x3344) + slot(COPY, 1, 0xa0010, 7, read=True) +
           slot(9, 0, 0, 0) + slot(COPY, 0, 0xa0fff, 1))
write('ioreq-bufring', 'entries',
      u8(1 | (2 << 2)) + u32(0) + u16(8) + u16(0) + entries +
      u8(1 | (2 << 2) | 0x10) + u32(505) + u16(8) + u16(505) + entries + u16(3) +
      u8(0) + u8(1) + u32(0xfffffffc) + u16(8))

# ---- disk-spec (fuzz-disk-spec.c): xl disk specs, one per file ----
DISK_SPECS = {
    'keyval': 'format=raw, vdev=hda, access=rw, target=/srv/guest.img',
    'prefix': 'file:/srv/guest.img,hda,w',
    'positional': '/srv/guest.img,raw,hda,rw',
    'phy': 'phy:vg0/guest,hdb,r',
    'qcow2': 'format=qcow2,vdev=hda,target=/srv/overlay.qcow2',
    'tap-qcow2': 'tap:qcow2:/srv/o.qcow2,hda,w',
    'nbd': 'format=raw,vdev=hda,reconnect=30,target=nbd://storage:10809/g',
    'nbd-unix': 'vdev=hdb,target=nbd+unix:///g?socket=/run/nbd.sock',
    'cdrom': 'vdev=hdc:cdrom,access=ro,target=/srv/debian.iso',
    'cdrom-empty': 'devtype=cdrom,vdev=hdd,target=',
    'hvmemu-keys': 'vdev=hda,serial=WEB1,wcache=off,direct=on,no-discard,'
                   'backendtype=qdisk,target=/srv/g.img',
    'faults': 'vdev=hdb,x-inject-eio=0x10+8,x-inject-flush-eio,'
              'x-delay-ms=5,target=/srv/g.img',
    'target-commas': 'vdev=hda,target=/srv/a,b,c.img',
    'bad-twice': 'vdev=hda,vdev=hdb,target=/x',
}
for name, spec in DISK_SPECS.items():
    write('disk-spec', name, spec.encode())

# ---- nic-spec (fuzz-nic-spec.c): xl vif specs, one per file ----
NIC_SPECS = {
    'mac': 'mac=00:16:3e:12:34:56',
    'bridge': 'mac=00:16:3e:00:00:01,bridge=xenbr0',
    'xl-full': 'type=ioemu,model=e1000,mac=00:16:3e:0a:0b:0c,addr=00:05.0',
    'dashes': 'mac=00-16-3e-aa-bb-cc,model=82540em,type=vif',
    'addr-seg': 'addr=0000:00:1f.7',
    'backend': 'backend=socket,socket=udp:127.0.0.1:5000,vnet_hdr=off',
    'capture': 'capture=/tmp/x.pcap,restrict=on',
    'escaped': 'ifname=a,,b,mac=00:16:3e:00:00:02',
    'bad-mac': 'mac=01:00:5e:00:00:01',
    'bad-key': 'mac=00:16:3e:00:00:03,colour=blue',
}
for name, spec in NIC_SPECS.items():
    write('nic-spec', name, spec.encode())
