/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the PCI function helper (hw/core/pci.c) and the region
 * registry under it, as a guest programs config space: BAR sizing and
 * placement, COMMAND decode/INTx-disable toggles, overlapping
 * assignments, resets, and the device raising INTx meanwhile.
 *
 * Machine: two functions with every BAR kind (32-bit memory, I/O, 64-bit
 * prefetchable memory, minimum sizes) and two fixed regions (port 0x60,
 * MMIO 0xfee00000) that BARs may be placed on top of.
 *
 * Input: operations until it ends, each op:u8 then
 *   CFG_WR  fn:u8 reg:u8 size:u8 val   reg: COMMAND/STATUS/BARs/raw; val
 *                                      for a BAR: one of a few candidate
 *                                      addresses (clashing, sizing, top of
 *                                      space) or a raw u32
 *   CFG_RD  fn:u8 reg:u8 size:u8
 *   IRQ     fn:u8                      the device sets its INTx request
 *   RESET   fn:u8                      hv_pci_reset
 *   ACCESS  fn:u8 bar:u8 off:u8 rw:u8  dispatch at where the BAR says
 *
 * Invariants (after every op, for every BAR): a BAR region is claimed
 * (mapped by the host, exactly [base, base+size-1]) only while its decode
 * bit is on and the BAR holds a valid address equal to the region base;
 * a BAR with decode on at a valid address that is not claimed must overlap
 * something claimed; with decode off nothing of it is mapped (mapped_count
 * equals what the rest claims); BAR low bits and IDs are read-only; an
 * access at a BAR address reaches that BAR iff it is claimed; INTx matches
 * STATUS/COMMAND.
 */
#include <string.h>

#include "tests/fuzz/fuzz.h"

#define PF_NFN 2

typedef struct pf_bar_conf {
    uint64_t size;
    unsigned flags;
} pf_bar_conf;

static const pf_bar_conf bar_conf[PF_NFN][HV_PCI_NUM_BARS] = {
    { { 0x1000, HV_PCI_BAR_MEM }, { 0x10, HV_PCI_BAR_IO },
      { 0x2000, HV_PCI_BAR_MEM64 | HV_PCI_BAR_PREFETCH }, { 0, 0 },
      { 4, HV_PCI_BAR_IO }, { 16, HV_PCI_BAR_MEM } },
    { { 0x1000, HV_PCI_BAR_MEM }, { 0x20, HV_PCI_BAR_IO },
      { 0x100000, HV_PCI_BAR_MEM }, { 0, 0 }, { 0, 0 }, { 0, 0 } },
};

typedef struct pf pf;

typedef struct pf_bar_ctx {
    pf *m;
    unsigned fn, bar;
} pf_bar_ctx;

struct pf {
    fz_host host;
    hv_ctx *ctx;
    hv_pci_dev fn[PF_NFN];
    pf_bar_ctx bctx[PF_NFN][HV_PCI_NUM_BARS];
    int hit_fn, hit_bar;    /* last BAR a dispatch reached */
    unsigned fixed[HV_SPACE_COUNT];
};

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
    pf_bar_ctx *b = opaque;

    b->m->hit_fn = (int)b->fn;
    b->m->hit_bar = (int)b->bar;
    FZ_CHECK(off + size <= bar_conf[b->fn][b->bar].size, "BAR access past end");
    return 0;
}

static void bar_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
    bar_read(opaque, off, size);
}

static const hv_region_ops bar_ops = { bar_read, bar_write, 1, 4 };

static uint64_t fixed_read(void *opaque, uint64_t off, unsigned size)
{
    return 0;
}

static const hv_region_ops fixed_ops = { fixed_read, NULL, 1, 4 };

static uint32_t sbdf_of(unsigned fn)
{
    return HV_SBDF(0, 0, 5 + fn, 0);
}

static void pf_setup(pf *m)
{
    GError *err = NULL;

    memset(m, 0, sizeof(*m));
    fz_host_init(&m->host, 4096, 64, 0);
    m->ctx = hv_ctx_new(fz_host_ops(), &m->host, NULL);
    FZ_CHECK(hv_region_add(m->ctx, HV_SPACE_PIO, 0x60, 8, &fixed_ops, NULL,
                           "fixed-pio", &err) &&
             hv_region_add(m->ctx, HV_SPACE_MMIO, 0xfee00000, 0x1000,
                           &fixed_ops, NULL, "fixed-mmio", &err),
             "fixed regions");
    for (unsigned f = 0; f < PF_NFN; f++) {
        FZ_CHECK(hv_pci_init(&m->fn[f], m->ctx, sbdf_of(f), 0x1234,
                             (uint16_t)(0x10 + f), 0x020000, 1, "pf", &err),
                 "pci init: %s", err ? err->message : "?");
        hv_pci_set_intx_pin(&m->fn[f], 1 + f);
        for (unsigned n = 0; n < HV_PCI_NUM_BARS; n++) {
            const pf_bar_conf *c = &bar_conf[f][n];
            m->bctx[f][n] = (pf_bar_ctx){ m, f, n };
            if (c->size) {
                FZ_CHECK(hv_pci_set_bar(&m->fn[f], n, c->size, c->flags,
                                        &bar_ops, &m->bctx[f][n], &err),
                         "set_bar: %s", err ? err->message : "?");
            }
        }
    }
    m->fixed[HV_SPACE_PIO] = 1;
    m->fixed[HV_SPACE_MMIO] = 1;
    m->fixed[HV_SPACE_PCI] = PF_NFN;
}

static uint32_t cfg_rd(pf *m, unsigned f, unsigned reg, unsigned size)
{
    return (uint32_t)hv_dispatch_read(m->ctx, HV_SPACE_PCI,
                                      HV_PCI_ADDR(sbdf_of(f), reg), size);
}

/* Candidate BAR values: collisions between functions and with the fixed
 * regions, sizing, zero, the top of each space. */
static uint32_t bar_value(fz_in *in, uint8_t sel)
{
    static const uint32_t vals[] = {
        0xfebf0000, 0xfebf0000, 0xfebf1000, 0xfee00000, 0xfedff000,
        0xc000, 0xc000, 0xc010, 0x60, 0x5c, 0xfff0, 0xfffc,
        0xffffffff, 0, 0xfffff000, 0xe0000000, 0x1,
    };

    if (sel < G_N_ELEMENTS(vals) * 8) {
        return vals[sel % G_N_ELEMENTS(vals)];
    }
    return fz_u32(in);
}

static void op_cfg_wr(pf *m, fz_in *in)
{
    unsigned f = fz_u8(in) % PF_NFN;
    uint8_t rsel = fz_u8(in);
    unsigned size = fz_size(fz_u8(in), false);
    uint8_t vsel = fz_u8(in);
    unsigned reg;
    uint32_t val;

    if (rsel < 0xc0) {
        static const uint8_t regs[] = { PCI_COMMAND, PCI_COMMAND, PCI_STATUS,
                                        0x10, 0x14, 0x18, 0x1c, 0x20, 0x24 };
        reg = regs[rsel % G_N_ELEMENTS(regs)];
        if (reg >= 0x10) {
            size = 4;
            val = bar_value(in, vsel);
        } else {
            val = (vsel << 8 | fz_u8(in)) & 0xffff;
            size = 2;
        }
    } else {
        reg = fz_u8(in);
        val = fz_u32(in);
    }
    hv_dispatch_write(m->ctx, HV_SPACE_PCI, HV_PCI_ADDR(sbdf_of(f), reg),
                      size, val);
}

static uint64_t bar_addr(pf *m, unsigned f, unsigned n)
{
    uint64_t lo = cfg_rd(m, f, 0x10 + 4 * n, 4);

    if (bar_conf[f][n].flags & HV_PCI_BAR_IO) {
        return lo & ~3ull;
    }
    if (bar_conf[f][n].flags & HV_PCI_BAR_MEM64) {
        lo |= (uint64_t)cfg_rd(m, f, 0x14 + 4 * n, 4) << 32;
    }
    return lo & ~0xfull;
}

static bool addr_valid(uint64_t a, const pf_bar_conf *c)
{
    uint64_t end = a + c->size - 1;

    if (a == 0 || end < a) {
        return false;
    }
    if (c->flags & HV_PCI_BAR_IO) {
        return end < 0xffff;
    }
    return (c->flags & HV_PCI_BAR_MEM64) ? end < (1ull << 52)
                                         : end < 0xffffffffull;
}

static void check_bar(pf *m, unsigned f, unsigned n, unsigned *claimed)
{
    const pf_bar_conf *c = &bar_conf[f][n];
    hv_region *r = m->fn[f].bars[n].region;
    bool io = c->flags & HV_PCI_BAR_IO;
    hv_space sp = io ? HV_SPACE_PIO : HV_SPACE_MMIO;
    uint16_t cmd = (uint16_t)cfg_rd(m, f, PCI_COMMAND, 2);
    bool decode = cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
    uint32_t raw = cfg_rd(m, f, 0x10 + 4 * n, 4);
    uint32_t lowbits = io ? 1 : ((c->flags & HV_PCI_BAR_MEM64) ? 4 : 0) |
                                ((c->flags & HV_PCI_BAR_PREFETCH) ? 8 : 0);
    uint64_t a = bar_addr(m, f, n);

    FZ_CHECK((raw & (io ? 3u : 0xfu)) == lowbits, "BAR%u low bits %x", n,
             raw);
    FZ_CHECK((raw & (uint32_t)(c->size - 1) & ~(io ? 3u : 0xfu)) == 0,
             "BAR%u holds %x, size %#" G_GINT64_MODIFIER "x", n, raw,
             c->size);
    if (hv_region_enabled(r)) {
        uint64_t b = hv_region_base(r);
        claimed[sp]++;
        FZ_CHECK(decode, "fn%u BAR%u claimed with decode off (cmd %04x)", f,
                 n, cmd);
        FZ_CHECK(b == a && addr_valid(a, c),
                 "fn%u BAR%u claimed at %#" G_GINT64_MODIFIER "x, BAR says %#"
                 G_GINT64_MODIFIER "x", f, n, b, a);
        FZ_CHECK(hv_memhost_is_mapped(m->host.mh, sp, b) &&
                 hv_memhost_is_mapped(m->host.mh, sp, b + c->size - 1),
                 "fn%u BAR%u claimed but not mapped by the host", f, n);
        m->hit_fn = -1;
        hv_dispatch_read(m->ctx, sp, b + c->size / 2, 1);
        FZ_CHECK(m->hit_fn == (int)f && m->hit_bar == (int)n,
                 "access at fn%u BAR%u went to fn%d BAR%d", f, n, m->hit_fn,
                 m->hit_bar);
    } else if (decode && addr_valid(a, c) &&
               !fz_known_bug("pci-refused-bar-not-retried")) {
        /* Refused: only legitimate if the range is taken. */
        bool taken = fz_host_claimed_overlap(&m->host, sp, a,
                                             a + c->size - 1);
        FZ_CHECK(taken, "fn%u BAR%u at free %#" G_GINT64_MODIFIER
                 "x with decode on is not claimed", f, n, a);
    }
}

static void check_all(pf *m)
{
    unsigned claimed[HV_SPACE_COUNT] = { 0 };

    for (unsigned f = 0; f < PF_NFN; f++) {
        FZ_CHECK(cfg_rd(m, f, 0, 4) == (0x1234u | (0x10u + f) << 16),
                 "IDs of fn%u changed", f);
        for (unsigned n = 0; n < HV_PCI_NUM_BARS; n++) {
            if (bar_conf[f][n].size) {
                check_bar(m, f, n, claimed);
            }
        }
        fz_check_intx(m->ctx, &m->host, sbdf_of(f));
    }
    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        FZ_CHECK(hv_memhost_mapped_count(m->host.mh, s) ==
                 claimed[s] + m->fixed[s],
                 "space %d: %u mapped, expected %u BARs + %u fixed", s,
                 hv_memhost_mapped_count(m->host.mh, s), claimed[s],
                 m->fixed[s]);
    }
}

static void run_op(pf *m, fz_in *in)
{
    uint8_t op = fz_u8(in) % 5;
    unsigned f;

    fz_host_op_begin(&m->host);
    switch (op) {
    case 0:
        op_cfg_wr(m, in);
        break;
    case 1:
        f = fz_u8(in) % PF_NFN;
        cfg_rd(m, f, fz_u8(in), fz_size(fz_u8(in), false));
        break;
    case 2:
        f = fz_u8(in);
        hv_pci_set_irq(&m->fn[f % PF_NFN], f >> 7);
        break;
    case 3:
        hv_pci_reset(&m->fn[fz_u8(in) % PF_NFN]);
        break;
    default: {
        uint8_t sel = fz_u8(in);
        unsigned n = fz_u8(in) % HV_PCI_NUM_BARS;
        uint8_t off = fz_u8(in), rw = fz_u8(in);
        f = sel % PF_NFN;
        if (bar_conf[f][n].size) {
            hv_space sp = (bar_conf[f][n].flags & HV_PCI_BAR_IO)
                              ? HV_SPACE_PIO : HV_SPACE_MMIO;
            uint64_t a = bar_addr(m, f, n) + off;
            if (rw & 1) {
                hv_dispatch_write(m->ctx, sp, a, fz_size(rw >> 1, true), 0);
            } else {
                hv_dispatch_read(m->ctx, sp, a, fz_size(rw >> 1, true));
            }
        }
        break;
    }
    }
    /* Config handling makes no more than a handful of host calls. */
    fz_host_op_end(&m->host, "pci op");
    check_all(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    pf m;

    fz_init_once();
    pf_setup(&m);
    while (fz_more(&in)) {
        run_op(&m, &in);
    }
    for (unsigned f = 0; f < PF_NFN; f++) {
        hv_pci_fini(&m.fn[f]);
    }
    hv_ctx_free(m.ctx);
    fz_host_fini(&m.host);
    return 0;
}
