/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the e1000 (82540EM) as a hostile guest drives it.
 *
 * The input is a program; each operation starts with an opcode byte
 * (E1K_OP_* below, opcode % E1K_OP_COUNT) followed by its operands, read
 * little-endian (tests/fuzz/mkcorpus.py writes the seeds in this format):
 *
 *   MMIO_WR  sel:u8 size:u8 val:u32   register from e1k_regs[] (sel <
 *                                     count) or raw offset (u16 after sel)
 *   MMIO_RD  sel:u8 size:u8           (same register choice)
 *   IO       rw:u8 reg:u32 val:u32    BAR1: IOADDR=reg, IODATA r/w
 *   CFG_WR   sel:u8 size:u8 val:u32   sel%4: 0 COMMAND, 1 BAR0 (one of two
 *                                     bases), 2 BAR1, 3 raw register u8
 *   CFG_RD   reg:u8 size:u8
 *   RAM_WR   addr:u32 len:u8 bytes    raw guest RAM bytes
 *   TXD      slot:u8 desc[16]         a descriptor in the TX ring area;
 *                                     buffer address folded into RAM
 *   RXD      slot:u8 addr:u32         an RX descriptor's buffer address
 *   TX_INIT  n:u8 tdt:u8 tctl:u32     TDBAL/TDBAH/TDLEN/TDH/TDT/TCTL
 *   RX_INIT  n:u8 rdt:u8 rctl:u32     ring + buffers + RDT/RCTL (EN set)
 *   NET_RX   len:u16 bytes            a frame from the network (socket)
 *   PUMP     n:u8                     run the loop (backend, timers)
 *   DRAIN                             read what the device transmitted
 *   FILL     addr:u32 len:u16 seed:u32  pseudo-random RAM (garbage rings)
 *   RESET                             hv_ctx_reset (device reset)
 *
 * Invariants (on top of fz_host's): INTx as the host sees it matches
 * config STATUS/COMMAND after every operation; a 32-bit ICR read (read-to-
 * clear, SDM 13.4.17) or IMS == 0 leaves the line low; transmitted frames
 * are no longer than HV_NET_MAX_FRAME; teardown releases every claim.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/net/e1000_regs.h"
#include "tests/fuzz/fuzz.h"

#define E1K_RAM        (512u << 10)
#define E1K_SBDF       HV_SBDF(0, 0, 4, 0)
#define E1K_TX_RING    0x10000u
#define E1K_RX_RING    0x20000u
#define E1K_RX_BUF     0x30000u
/* One TDT write may walk one whole ring (65528 descriptors), each costing
 * a descriptor read, a buffer read and a write-back; a frame or a ring
 * copy is at most the RAM size. Anything beyond is unbounded work. */
#define E1K_MAX_CALLS  (4u * 65536u + 4096u)
#define E1K_MAX_BYTES  (65536ull * (E1K_RAM + 64))

extern const hv_device_class e1000_class;

enum {
    E1K_OP_MMIO_WR, E1K_OP_MMIO_RD, E1K_OP_IO, E1K_OP_CFG_WR, E1K_OP_CFG_RD,
    E1K_OP_RAM_WR, E1K_OP_TXD, E1K_OP_RXD, E1K_OP_TX_INIT, E1K_OP_RX_INIT,
    E1K_OP_NET_RX, E1K_OP_PUMP, E1K_OP_DRAIN, E1K_OP_FILL, E1K_OP_RESET,
    E1K_OP_COUNT
};

static const uint16_t e1k_regs[] = {
    E1000_CTRL, E1000_STATUS, E1000_EECD, E1000_EERD, E1000_CTRL_EXT,
    E1000_MDIC, E1000_ICR, E1000_ITR, E1000_ICS, E1000_IMS, E1000_IMC,
    E1000_RCTL, E1000_TCTL, E1000_TIPG, E1000_RDBAL, E1000_RDBAH,
    E1000_RDLEN, E1000_RDH, E1000_RDT, E1000_RDTR, E1000_RADV, E1000_RSRPD,
    E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT, E1000_TIDV,
    E1000_TADV, E1000_TXDCTL, E1000_RXDCTL, E1000_TSPMT, E1000_RXCSUM,
    E1000_MTA, E1000_RA, E1000_RA + 4, E1000_RA + 8, E1000_VFTA, E1000_VET,
    E1000_GPRC, E1000_TORL, E1000_TORH, E1000_MPC, E1000_TSCTFC, E1000_PBA,
};
#define E1K_NREGS G_N_ELEMENTS(e1k_regs)

static const uint32_t mmio_bases[2] = { 0xfebc0000u, 0xf0000000u };
static const uint16_t io_bases[2] = { 0xc000u, 0xc040u };

typedef struct e1k {
    fz_host host;
    hv_loop *loop;
    hv_ctx *ctx;
    int peer;
    int dev_fd;         /* the backend's end of the socketpair */
    uint32_t mmio;      /* where the program last put BAR0 */
    uint16_t io;
    GArray *claims;     /* what the settled machine claims */
} e1k;

/*
 * The machine is built once and reset between inputs (README.md "Speed"):
 * building costs a 128 KiB register file and 512 KiB of RAM on fresh
 * pages each time. After an input: the loop runs dry, hv_ctx_reset, both
 * ends of the socketpair are emptied, and a fingerprint of the registers
 * and config space must equal a fresh device's; then BARs are programmed
 * as at build and dirty RAM pages zeroed. FUZZ_FRESH=1 builds a new
 * machine for every input instead.
 */
static e1k machine;
static bool machine_built;
static GByteArray *golden;

static void e1k_program(e1k *f)
{
    /* What a BIOS leaves: BARs assigned, decode and bus mastering on;
     * Cache Line Size, Latency Timer and Interrupt Line as a fresh
     * function has them (hv_pci_reset keeps them: README "Findings"). */
    f->mmio = mmio_bases[0];
    f->io = io_bases[0];
    hv_dispatch_write(f->ctx, HV_SPACE_PCI,
                      HV_PCI_ADDR(E1K_SBDF, 0x0c), 2, 0);
    hv_dispatch_write(f->ctx, HV_SPACE_PCI,
                      HV_PCI_ADDR(E1K_SBDF, PCI_INTERRUPT_LINE), 1, 0);
    hv_dispatch_write(f->ctx, HV_SPACE_PCI,
                      HV_PCI_ADDR(E1K_SBDF, PCI_BASE_ADDRESS_0), 4, f->mmio);
    hv_dispatch_write(f->ctx, HV_SPACE_PCI,
                      HV_PCI_ADDR(E1K_SBDF, PCI_BASE_ADDRESS_0 + 4), 4,
                      f->io);
    hv_dispatch_write(f->ctx, HV_SPACE_PCI,
                      HV_PCI_ADDR(E1K_SBDF, PCI_COMMAND), 2,
                      PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                      PCI_COMMAND_MASTER);
}

static bool e1k_setup(e1k *f)
{
    g_autofree char *spec = NULL;
    GError *err = NULL;
    int sv[2];

    FZ_CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0,
             "socketpair: %s", g_strerror(errno));
    f->peer = sv[0];
    f->dev_fd = sv[1];
    fz_host_init(&f->host, E1K_RAM, E1K_MAX_CALLS, E1K_MAX_BYTES);
    f->loop = hv_loop_new();
    f->ctx = hv_ctx_new(fz_host_ops(), &f->host, f->loop);
    spec = g_strdup_printf("e1000,backend=socket,socket=fd:%d,"
                           "mac=00:16:3e:12:34:56,addr=00:04.0", sv[1]);
    FZ_CHECK(hv_device_create(f->ctx, spec, &err) != NULL, "create: %s",
             err ? err->message : "?");
    e1k_program(f);
    f->claims = fz_host_claims(&f->host);
    return true;
}

static void e1k_teardown(e1k *f)
{
    hv_ctx_free(f->ctx);
    hv_loop_free(f->loop);
    fz_host_fini(&f->host);
    g_array_unref(f->claims);
    close(f->peer);
}

/* Frames nobody read yet, in both directions. */
static void e1k_flush_sockets(e1k *f)
{
    static uint8_t buf[HV_NET_MAX_FRAME + 64];

    while (recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0) {
    }
    while (recv(f->dev_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0) {
    }
}

static GByteArray *e1k_fingerprint(e1k *f)
{
    GByteArray *fp = g_byte_array_new();

    for (unsigned r = 0; r < 256; r += 4) {
        uint32_t v = (uint32_t)hv_dispatch_read(
            f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(E1K_SBDF, r), 4);
        g_byte_array_append(fp, (uint8_t *)&v, 4);
    }
    /* Read-to-clear registers (ICR, statistics) are 0 after a reset. */
    for (unsigned i = 0; i < E1K_NREGS; i++) {
        uint32_t v = (uint32_t)hv_dispatch_read(
            f->ctx, HV_SPACE_MMIO, f->mmio + e1k_regs[i], 4);
        g_byte_array_append(fp, (uint8_t *)&v, 4);
    }
    return fp;
}

/* After an input: clean for the next one, as a fresh machine, or gone. */
static void e1k_end_input(e1k *f)
{
    GByteArray *fp;
    guint i = 0;

    if (getenv("FUZZ_FRESH")) {
        e1k_teardown(f);
        machine_built = false;
        return;
    }
    fz_host_op_begin(&f->host);
    hv_ctx_reset(f->ctx);
    e1k_flush_sockets(f);
    fz_pump(f->loop, 64);
    e1k_flush_sockets(f);
    e1k_program(f);
    fp = e1k_fingerprint(f);
    fz_host_op_end(&f->host, "reset");
    if (!golden) {
        golden = fp;
    } else {
        while (i < fp->len && i < golden->len &&
               fp->data[i] == golden->data[i]) {
            i++;
        }
        FZ_CHECK(fp->len == golden->len && i == fp->len,
                 "after a reset the guest sees state a fresh e1000 does not "
                 "have: fingerprint byte %u is %02x, fresh %02x", i,
                 i < fp->len ? fp->data[i] : 0,
                 i < golden->len ? golden->data[i] : 0);
        g_byte_array_unref(fp);
    }
    fz_host_check_claims(&f->host, f->claims, "after reset");
    FZ_CHECK(!fz_host_intx(&f->host, E1K_SBDF, 0), "INTx high after reset");
    fz_host_ram_reset(&f->host);
}

static void mmio_wr(e1k *f, unsigned off, unsigned size, uint32_t v)
{
    hv_dispatch_write(f->ctx, HV_SPACE_MMIO, f->mmio + off, size, v);
}

static uint32_t mmio_rd(e1k *f, unsigned off, unsigned size)
{
    return (uint32_t)hv_dispatch_read(f->ctx, HV_SPACE_MMIO, f->mmio + off,
                                      size);
}

/* A register offset: mostly the interesting ones, sometimes anywhere in
 * the 128 KiB BAR (odd offsets too: the core widens or splits). */
static unsigned pick_reg(fz_in *in)
{
    uint8_t sel = fz_u8(in);

    if (sel < E1K_NREGS * 4) {
        return e1k_regs[sel % E1K_NREGS];
    }
    return ((unsigned)fz_u16(in) << 1 | (sel & 1)) & (E1000_MMIO_SIZE - 1);
}

/* A guest-physical address that usually lands in RAM. */
static uint64_t pick_addr(uint32_t raw)
{
    if ((raw >> 30) == 3) {
        return raw;          /* anywhere: outside RAM, near 4 GiB */
    }
    return raw % (E1K_RAM + 0x1000);   /* a page past the end too */
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void ram_put(e1k *f, uint64_t gpa, const void *buf, size_t len)
{
    fz_host_poke(&f->host, gpa, buf, len);
}

static void op_txd(e1k *f, fz_in *in)
{
    unsigned slot = fz_u8(in);
    uint8_t d[16];

    memset(d, 0, sizeof(d));
    fz_bytes(in, d, sizeof(d));
    /* Legacy/data descriptors carry a buffer address; fold it into RAM
     * unless its top bits ask for a wild one. Context descriptors (DEXT,
     * DTYP 0) use the same bytes as offsets and keep them. */
    if (!((d[11] & E1000_TXD_CMD_DEXT) && !(d[10] & 0xf0))) {
        uint32_t a = d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
        if (!d[7]) {
            put_le(d, pick_addr(a), 8);
        }
    }
    ram_put(f, E1K_TX_RING + slot * 16u, d, sizeof(d));
}

static void op_rxd(e1k *f, fz_in *in)
{
    unsigned slot = fz_u8(in);
    uint8_t d[16] = { 0 };

    put_le(d, pick_addr(fz_u32(in)), 8);
    ram_put(f, E1K_RX_RING + slot * 16u, d, sizeof(d));
}

static void op_tx_init(e1k *f, fz_in *in)
{
    unsigned n = (fz_u8(in) % 32 + 1) * 8;   /* TDLEN: 128-byte units */
    unsigned tdt = fz_u8(in) % n;

    mmio_wr(f, E1000_TDBAL, 4, E1K_TX_RING);
    mmio_wr(f, E1000_TDBAH, 4, 0);
    mmio_wr(f, E1000_TDLEN, 4, n * 16);
    mmio_wr(f, E1000_TDH, 4, 0);
    mmio_wr(f, E1000_TCTL, 4, fz_u32(in) | E1000_TCTL_EN);
    mmio_wr(f, E1000_TDT, 4, tdt);
}

static void op_rx_init(e1k *f, fz_in *in)
{
    unsigned n = (fz_u8(in) % 16 + 1) * 8;
    unsigned rdt = fz_u8(in) % n;
    uint32_t rctl = fz_u32(in) | E1000_RCTL_EN;
    uint8_t d[16] = { 0 };

    /* 2 KiB per buffer: fits the default BSIZE; larger BSIZE values make
     * buffers overlap or run past RAM, which is the guest's problem. */
    for (unsigned i = 0; i < n; i++) {
        put_le(d, E1K_RX_BUF + i * 2048u, 8);
        ram_put(f, E1K_RX_RING + i * 16u, d, sizeof(d));
    }
    mmio_wr(f, E1000_RDBAL, 4, E1K_RX_RING);
    mmio_wr(f, E1000_RDBAH, 4, 0);
    mmio_wr(f, E1000_RDLEN, 4, n * 16);
    mmio_wr(f, E1000_RDH, 4, 0);
    mmio_wr(f, E1000_RDT, 4, rdt);
    mmio_wr(f, E1000_RCTL, 4, rctl);
}

static void op_net_rx(e1k *f, fz_in *in)
{
    size_t len = fz_u16(in) % 9100u;   /* up to a jumbo frame */
    g_autofree uint8_t *frame = g_malloc0(len ? len : 1);
    size_t got = fz_bytes(in, frame, len);

    /* Short input: the rest is a pattern, not zeros, so it looks like
     * payload. Broadcast to get past the address filter often. */
    for (size_t i = got; i < len; i++) {
        frame[i] = (uint8_t)(i * 13);
    }
    if (got < 6 && len >= 6) {
        memset(frame, 0xff, 6);
    }
    /* EAGAIN: the socket is full, as a real link drops. */
    (void)!send(f->peer, frame, len, MSG_DONTWAIT);
}

static void op_drain(e1k *f)
{
    static uint8_t buf[HV_NET_MAX_FRAME + 64];
    ssize_t r;

    while ((r = recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC)) >=
           0) {
        FZ_CHECK(r <= HV_NET_MAX_FRAME, "transmitted a %zd-byte frame", r);
        if (getenv("FUZZ_VERBOSE")) {
            fprintf(stderr, "fuzz: frame of %zd bytes sent\n", r);
        }
    }
}

static void op_fill(e1k *f, fz_in *in)
{
    uint64_t gpa = fz_u32(in) % E1K_RAM;
    size_t want = (size_t)fz_u16(in) * 16;
    size_t len = MIN(want, E1K_RAM - gpa);
    uint32_t x = fz_u32(in) | 1;
    uint8_t *ram = fz_host_ram(&f->host) + gpa;

    fz_host_mark_dirty(&f->host, gpa, len);

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        ram[i] = (uint8_t)x;
    }
}

static void op_cfg_wr(e1k *f, fz_in *in)
{
    uint8_t sel = fz_u8(in);
    unsigned size = fz_size(fz_u8(in), false);
    uint32_t val = fz_u32(in);
    unsigned reg;

    switch (sel % 4) {
    case 0:
        reg = PCI_COMMAND;
        size = 2;
        break;
    case 1:
        f->mmio = mmio_bases[val & 1];
        reg = PCI_BASE_ADDRESS_0;
        val = (val & 2) ? ~0u : f->mmio;   /* sometimes BAR sizing */
        size = 4;
        break;
    case 2:
        f->io = io_bases[val & 1];
        reg = PCI_BASE_ADDRESS_0 + 4;
        val = (val & 2) ? ~0u : f->io;
        size = 4;
        break;
    default:
        reg = fz_u8(in);
        break;
    }
    hv_dispatch_write(f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(E1K_SBDF, reg), size,
                      val);
}

static void op_io(e1k *f, fz_in *in)
{
    uint8_t rw = fz_u8(in);
    uint32_t reg = fz_u32(in);
    uint32_t val = fz_u32(in);

    if (rw & 2) {   /* a register from the table, in range */
        reg = e1k_regs[reg % E1K_NREGS];
    }
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, f->io + E1000_IOADDR, 4, reg);
    if (rw & 1) {
        hv_dispatch_write(f->ctx, HV_SPACE_PIO, f->io + E1000_IODATA,
                          fz_size(rw >> 2, false), val);
    } else {
        hv_dispatch_read(f->ctx, HV_SPACE_PIO, f->io + E1000_IODATA,
                         fz_size(rw >> 2, false));
    }
}

/* Does BAR0 decode at f->mmio? (Else MMIO reads are unclaimed: ~0.) */
static bool mmio_live(e1k *f)
{
    uint32_t bar = (uint32_t)hv_dispatch_read(
        f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(E1K_SBDF, PCI_BASE_ADDRESS_0), 4);
    uint16_t cmd = (uint16_t)hv_dispatch_read(
        f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(E1K_SBDF, PCI_COMMAND), 2);

    return (cmd & PCI_COMMAND_MEMORY) && (bar & ~0xfu) == f->mmio;
}

/* ICR read-to-clear and IMS == 0 both mean the line must be low now. */
static void check_irq(e1k *f, unsigned read_reg, unsigned read_size,
                      bool read_live)
{
    uint16_t st;
    uint32_t ims;

    fz_check_intx(f->ctx, &f->host, E1K_SBDF);
    if (!mmio_live(f)) {
        return;
    }
    ims = mmio_rd(f, E1000_IMS, 4);
    if (!((read_reg == E1000_ICR && read_size == 4 && read_live) ||
          ims == 0)) {
        return;
    }
    st = (uint16_t)hv_dispatch_read(f->ctx, HV_SPACE_PCI,
                                    HV_PCI_ADDR(E1K_SBDF, PCI_STATUS), 2);
    FZ_CHECK(!(st & PCI_STATUS_INTERRUPT), "INTx requested with %s (IMS %08x)",
             ims ? "ICR just read" : "all causes masked", ims);
}

static const char *const op_names[E1K_OP_COUNT] = {
    "MMIO_WR", "MMIO_RD", "IO", "CFG_WR", "CFG_RD", "RAM_WR", "TXD", "RXD",
    "TX_INIT", "RX_INIT", "NET_RX", "PUMP", "DRAIN", "FILL", "RESET",
};

static void run_op(e1k *f, fz_in *in)
{
    unsigned op = fz_u8(in) % E1K_OP_COUNT;
    unsigned read_reg = ~0u, read_size = 0;
    bool read_live = false;

    fz_host_op_begin(&f->host);
    switch (op) {
    case E1K_OP_MMIO_WR: {
        unsigned reg = pick_reg(in);
        unsigned size = fz_size(fz_u8(in), false);
        mmio_wr(f, reg, size, fz_u32(in));
        break;
    }
    case E1K_OP_MMIO_RD:
        read_reg = pick_reg(in);
        read_size = fz_size(fz_u8(in), false);
        read_live = mmio_live(f);
        mmio_rd(f, read_reg, read_size);
        break;
    case E1K_OP_IO:
        op_io(f, in);
        break;
    case E1K_OP_CFG_WR:
        op_cfg_wr(f, in);
        break;
    case E1K_OP_CFG_RD: {
        unsigned reg = fz_u8(in);
        hv_dispatch_read(f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(E1K_SBDF, reg),
                         fz_size(fz_u8(in), false));
        break;
    }
    case E1K_OP_RAM_WR: {
        uint64_t gpa = fz_u32(in) % E1K_RAM;
        uint8_t buf[256];
        size_t n = fz_u8(in);
        n = fz_bytes(in, buf, n);
        ram_put(f, gpa, buf, n);
        break;
    }
    case E1K_OP_TXD:
        op_txd(f, in);
        break;
    case E1K_OP_RXD:
        op_rxd(f, in);
        break;
    case E1K_OP_TX_INIT:
        op_tx_init(f, in);
        break;
    case E1K_OP_RX_INIT:
        op_rx_init(f, in);
        break;
    case E1K_OP_NET_RX:
        op_net_rx(f, in);
        break;
    case E1K_OP_PUMP:
        fz_pump(f->loop, 1 + fz_u8(in) % 16);
        break;
    case E1K_OP_DRAIN:
        op_drain(f);
        break;
    case E1K_OP_FILL:
        op_fill(f, in);
        break;
    case E1K_OP_RESET:
        hv_ctx_reset(f->ctx);
        break;
    }
    fz_host_op_end(&f->host, op_names[op]);
    check_irq(f, read_reg, read_size, read_live);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    e1k *f = &machine;

    fz_init_once();
    if (!machine_built) {
        e1k_setup(f);
        machine_built = true;
        e1k_end_input(f);   /* the first input starts settled too */
        if (!machine_built) {
            e1k_setup(f);
            machine_built = true;
        }
    }
    /* Bounded even for a pathological input: at most one op per byte. */
    while (fz_more(&in)) {
        run_op(f, &in);
    }
    fz_host_op_begin(&f->host);
    fz_pump(f->loop, 64);
    op_drain(f);
    fz_host_op_end(&f->host, "final pump");
    check_irq(f, ~0u, 0, false);
    e1k_end_input(f);
    return 0;
}
