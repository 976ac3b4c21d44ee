/* SPDX-License-Identifier: MIT */
/*
 * PCI function helper (PCI Local Bus Specification 3.0, chapter 6).
 *
 * Config writes go through per-byte write masks, so read-only fields stay
 * read-only whatever the guest writes; BAR sizing falls out of the masks
 * (writing all ones reads back ~(size-1) | flags, §6.2.5.1). BAR regions
 * follow the BAR value and the decode bits in COMMAND.
 */
#define G_LOG_DOMAIN "pci"
#include <stdio.h>
#include <string.h>

#include "hvmemu/device.h"
#include "hvmemu/pci.h"

#define PCI_COMMAND_WMASK (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | \
                           PCI_COMMAND_MASTER | 0x0040 /* parity */ | \
                           0x0100 /* SERR# */ | PCI_COMMAND_INTX_DISABLE)
#define PCI_STATUS_W1C 0xf900  /* error bits are write-1-to-clear */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_CAP_START 0x40

static uint32_t get_dword(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void set_dword(uint8_t *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

static uint64_t cfg_region_read(void *opaque, uint64_t off, unsigned size)
{
    return hv_pci_config_read(opaque, (unsigned)off, size);
}

static void cfg_region_write(void *opaque, uint64_t off, unsigned size,
                             uint64_t val)
{
    hv_pci_config_write(opaque, (unsigned)off, size, (uint32_t)val);
}

static const hv_region_ops cfg_ops = {
    .read = cfg_region_read,
    .write = cfg_region_write,
    .min_size = 1,
    .max_size = 4,
};

static void init_masks(hv_pci_dev *pd)
{
    memset(pd->wmask, 0, sizeof(pd->wmask));
    memset(pd->w1cmask, 0, sizeof(pd->w1cmask));
    hv_pci_set_word(pd, PCI_COMMAND, 0);
    pd->wmask[PCI_COMMAND] = PCI_COMMAND_WMASK & 0xff;
    pd->wmask[PCI_COMMAND + 1] = PCI_COMMAND_WMASK >> 8;
    pd->w1cmask[PCI_STATUS] = PCI_STATUS_W1C & 0xff;
    pd->w1cmask[PCI_STATUS + 1] = PCI_STATUS_W1C >> 8;
    pd->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    pd->wmask[PCI_LATENCY_TIMER] = 0xff;
    pd->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

bool hv_pci_init(hv_pci_dev *pd, hv_ctx *ctx, uint32_t sbdf,
                 uint16_t vendor, uint16_t device, uint32_t class_code,
                 uint8_t revision, const char *name, GError **err)
{
    memset(pd, 0, sizeof(*pd));
    pd->ctx = ctx;
    pd->sbdf = sbdf;
    pd->name = name;
    hv_pci_set_word(pd, PCI_VENDOR_ID, vendor);
    hv_pci_set_word(pd, PCI_DEVICE_ID, device);
    pd->config[PCI_REVISION_ID] = revision;
    pd->config[PCI_CLASS_PROG] = class_code & 0xff;
    pd->config[PCI_CLASS_DEVICE] = (class_code >> 8) & 0xff;
    pd->config[PCI_CLASS_DEVICE + 1] = (class_code >> 16) & 0xff;
    pd->next_cap = PCI_CAP_START;
    init_masks(pd);
    pd->cfg_region = hv_region_add(ctx, HV_SPACE_PCI, HV_PCI_ADDR(sbdf, 0),
                                   PCI_CONFIG_SIZE, &cfg_ops, pd, name, err);
    return pd->cfg_region != NULL;
}

void hv_pci_fini(hv_pci_dev *pd)
{
    hv_pci_set_irq(pd, 0);
    for (unsigned n = 0; n < HV_PCI_NUM_BARS; n++) {
        hv_region_del(pd->bars[n].region);
        pd->bars[n].region = NULL;
    }
    hv_region_del(pd->cfg_region);
    pd->cfg_region = NULL;
}

static unsigned bar_reg(unsigned n)
{
    return PCI_BASE_ADDRESS_0 + 4 * n;
}

/* The low, read-only type bits of a BAR (§6.2.5.1). */
static uint32_t bar_flag_bits(const hv_pci_bar *bar)
{
    if (bar->flags & HV_PCI_BAR_IO) {
        return 1;
    }
    return ((bar->flags & HV_PCI_BAR_MEM64) ? 0x4 : 0) |
           ((bar->flags & HV_PCI_BAR_PREFETCH) ? 0x8 : 0);
}

bool hv_pci_set_bar(hv_pci_dev *pd, unsigned n, uint64_t size,
                    unsigned flags, const hv_region_ops *ops, void *opaque,
                    GError **err)
{
    hv_pci_bar *bar;
    uint64_t mask;
    bool is64 = flags & HV_PCI_BAR_MEM64;
    unsigned min = (flags & HV_PCI_BAR_IO) ? 4 : 16;

    if (n >= HV_PCI_NUM_BARS || (is64 && n == HV_PCI_NUM_BARS - 1) ||
        size < min || (size & (size - 1)) || pd->bars[n].size) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "%s: bad BAR%u (size 0x%" G_GINT64_MODIFIER "x)",
                    pd->name, n, size);
        return false;
    }
    bar = &pd->bars[n];
    bar->size = size;
    bar->flags = flags;
    mask = ~(size - 1) & ~(uint64_t)((flags & HV_PCI_BAR_IO) ? 3 : 0xf);
    set_dword(&pd->config[bar_reg(n)], bar_flag_bits(bar));
    set_dword(&pd->wmask[bar_reg(n)], (uint32_t)mask);
    if (is64) {
        set_dword(&pd->wmask[bar_reg(n + 1)], (uint32_t)(mask >> 32));
    }
    /* Claimed later, when the guest enables decode at a valid address. */
    bar->region = hv_region_add_disabled(pd->ctx, (flags & HV_PCI_BAR_IO) ?
                                         HV_SPACE_PIO : HV_SPACE_MMIO, size,
                                         ops, opaque, pd->name);
    return true;
}

static uint64_t bar_address(const hv_pci_dev *pd, unsigned n)
{
    const hv_pci_bar *bar = &pd->bars[n];
    uint64_t addr = get_dword(&pd->config[bar_reg(n)]);

    if (bar->flags & HV_PCI_BAR_IO) {
        return addr & ~3ull;
    }
    addr &= ~0xfull;
    if (bar->flags & HV_PCI_BAR_MEM64) {
        addr |= (uint64_t)get_dword(&pd->config[bar_reg(n + 1)]) << 32;
    }
    return addr;
}

/* Is [addr, addr+size) a place a BAR may decode? 0 and ranges touching the
 * top of the space are what sizing leaves behind, not real assignments. */
static bool bar_addr_valid(const hv_pci_bar *bar, uint64_t addr)
{
    uint64_t end = addr + bar->size - 1;

    if (addr == 0 || end < addr) {
        return false;
    }
    if (bar->flags & HV_PCI_BAR_IO) {
        return end < 0xffff;
    }
    if (!(bar->flags & HV_PCI_BAR_MEM64)) {
        return end < 0xffffffffull;
    }
    return end < (1ull << 52);  /* beyond any guest physical address */
}

static void update_bars(hv_pci_dev *pd)
{
    uint16_t cmd = hv_pci_get_word(pd, PCI_COMMAND);

    hv_pci_set_irq(pd, pd->intx_level);  /* INTx_DISABLE may have changed */

    for (unsigned n = 0; n < HV_PCI_NUM_BARS; n++) {
        hv_pci_bar *bar = &pd->bars[n];
        bool io = bar->flags & HV_PCI_BAR_IO;
        uint64_t addr;
        bool decode;

        if (!bar->size || !bar->region) {
            continue;
        }
        addr = bar_address(pd, n);
        decode = cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
        if (!bar_addr_valid(bar, addr)) {
            decode = false;
            addr = hv_region_base(bar->region);
        }
        if (!hv_region_set(bar->region, addr, decode)) {
            hv_guest_error(G_LOG_DOMAIN, "%s: BAR%u at 0x%" G_GINT64_MODIFIER
                           "x overlaps another device", pd->name, n, addr);
        }
    }
}

void hv_pci_reset(hv_pci_dev *pd)
{
    hv_pci_set_irq(pd, 0);
    hv_pci_set_word(pd, PCI_COMMAND, 0);
    hv_pci_set_word(pd, PCI_STATUS, hv_pci_get_word(pd, PCI_STATUS) &
                    PCI_STATUS_CAP_LIST);
    for (unsigned n = 0; n < HV_PCI_NUM_BARS; n++) {
        if (pd->bars[n].size) {
            set_dword(&pd->config[bar_reg(n)], bar_flag_bits(&pd->bars[n]));
            if (pd->bars[n].flags & HV_PCI_BAR_MEM64) {
                set_dword(&pd->config[bar_reg(n + 1)], 0);
            }
        }
    }
    update_bars(pd);
}

void hv_pci_set_intx_pin(hv_pci_dev *pd, unsigned pin)
{
    pd->config[PCI_INTERRUPT_PIN] = (uint8_t)pin;
}

void hv_pci_set_irq(hv_pci_dev *pd, unsigned level)
{
    unsigned pin = pd->config[PCI_INTERRUPT_PIN];
    bool masked = hv_pci_get_word(pd, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
    uint16_t status = hv_pci_get_word(pd, PCI_STATUS);
    unsigned new_line;

    pd->intx_level = level && !pd->absent ? 1 : 0;
    /* STATUS.INTERRUPT reflects the device's request even when masked
     * (§6.2.3); the line itself is gated by COMMAND.INTx_DISABLE. */
    status = (uint16_t)((status & ~PCI_STATUS_INTERRUPT) |
                        (pd->intx_level ? PCI_STATUS_INTERRUPT : 0));
    hv_pci_set_word(pd, PCI_STATUS, status);
    new_line = pd->intx_level && !masked;
    if (pin && pd->ctx && new_line != pd->intx_line) {
        pd->intx_line = new_line;
        hv_set_pci_intx(pd->ctx, pd->sbdf, pin - 1, new_line);
    }
}

bool hv_pci_bus_master(const hv_pci_dev *pd)
{
    return hv_pci_get_word(pd, PCI_COMMAND) & PCI_COMMAND_MASTER;
}

uint8_t hv_pci_add_cap(hv_pci_dev *pd, uint8_t cap_id, uint8_t len)
{
    uint8_t off = pd->next_cap;

    if (len < 2 || (unsigned)off + len > PCI_CONFIG_SIZE) {
        return 0;
    }
    pd->config[off] = cap_id;
    pd->config[off + 1] = pd->config[PCI_CAPABILITY_LIST];
    pd->config[PCI_CAPABILITY_LIST] = off;
    pd->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    pd->next_cap = (uint8_t)MIN(0xfcu, (off + len + 3u) & ~3u);
    return off;
}

void hv_pci_unplug(hv_pci_dev *pd)
{
    hv_pci_set_irq(pd, 0);
    for (unsigned n = 0; n < HV_PCI_NUM_BARS; n++) {
        if (pd->bars[n].region) {
            hv_region_set(pd->bars[n].region,
                          hv_region_base(pd->bars[n].region), false);
        }
    }
    pd->absent = true;
}

uint32_t hv_pci_config_read(hv_pci_dev *pd, unsigned reg, unsigned size)
{
    uint32_t v = 0;

    if (pd->absent) {
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    for (unsigned i = 0; i < size; i++) {
        unsigned r = reg + i;
        v |= (uint32_t)(r < PCI_CONFIG_SIZE ? pd->config[r] : 0xff) << (8 * i);
    }
    return v;
}

static bool overlaps(unsigned reg, unsigned size, unsigned lo, unsigned hi)
{
    return reg < hi && reg + size > lo;
}

void hv_pci_config_write(hv_pci_dev *pd, unsigned reg, unsigned size,
                         uint32_t val)
{
    if (pd->absent) {
        return;
    }
    for (unsigned i = 0; i < size && reg + i < PCI_CONFIG_SIZE; i++) {
        unsigned r = reg + i;
        uint8_t b = (val >> (8 * i)) & 0xff;
        uint8_t wm = pd->wmask[r], w1c = pd->w1cmask[r];
        pd->config[r] = (uint8_t)((pd->config[r] & ~wm) | (b & wm));
        pd->config[r] &= (uint8_t)~(b & w1c);
    }
    if (overlaps(reg, size, PCI_COMMAND, PCI_COMMAND + 2) ||
        overlaps(reg, size, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_0 + 24)) {
        update_bars(pd);
    }
    if (pd->config_written) {
        pd->config_written(pd, reg, size, val);
    }
}

void hv_pci_state_save(const hv_pci_dev *pd, hv_state_out *out)
{
    hv_state_put_bytes(out, pd->config, PCI_CONFIG_SIZE);
    hv_state_put_bool(out, pd->absent);
}

/* Only the bits a guest could have written are taken (the write masks):
 * IDs, BAR size bits and capabilities stay this function's own, so a
 * state file cannot turn the device into another one. The BARs then
 * decode where the guest had put them. */
bool hv_pci_state_load(hv_pci_dev *pd, hv_state_in *in, bool *absent,
                       GError **err)
{
    uint8_t cfg[PCI_CONFIG_SIZE];

    hv_state_bytes(in, cfg, sizeof(cfg));
    *absent = hv_state_bool(in);
    if (in->short_read) {
        return hv_state_fail(in, err, "short PCI configuration state");
    }
    for (unsigned r = 0; r < PCI_CONFIG_SIZE; r++) {
        pd->config[r] = (uint8_t)((pd->config[r] & ~pd->wmask[r]) |
                                  (cfg[r] & pd->wmask[r]));
    }
    update_bars(pd);
    return true;
}

bool hv_pci_parse_addr(const char *text, uint32_t *sbdf, GError **err)
{
    unsigned seg = 0, bus, dev, fn;
    char tail;

    if (sscanf(text, "%x:%x:%x.%x%c", &seg, &bus, &dev, &fn, &tail) != 4) {
        seg = 0;
        if (sscanf(text, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                        "bad PCI address '%s' (want [seg:]bus:dev.fn)", text);
            return false;
        }
    }
    if (seg > 0xffff || bus > 0xff || dev > 0x1f || fn > 7) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "PCI address '%s' out of range", text);
        return false;
    }
    *sbdf = HV_SBDF(seg, bus, dev, fn);
    return true;
}
