/* SPDX-License-Identifier: MIT */
/*
 * PCI function helper: a type-0 configuration header (PCI Local Bus 3.0,
 * ch. 6) with per-byte write masks, BAR sizing and (re)mapping, INTx and a
 * capability list. A device embeds an hv_pci_dev and fills it with
 * hv_pci_init + hv_pci_set_bar; the helper claims the function in the
 * HV_SPACE_PCI space and moves BAR regions when the guest programs them.
 */
#ifndef HVMEMU_PCI_H
#define HVMEMU_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "hvmemu/ctx.h"
#include "hvmemu/region.h"
#include "hvmemu/state.h"

/* Configuration header offsets (PCI 3.0 §6.1) */
#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define  PCI_COMMAND_IO       0x0001
#define  PCI_COMMAND_MEMORY   0x0002
#define  PCI_COMMAND_MASTER   0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS          0x06
#define  PCI_STATUS_INTERRUPT 0x0008
#define  PCI_STATUS_CAP_LIST  0x0010
#define PCI_REVISION_ID     0x08
#define PCI_CLASS_PROG      0x09
#define PCI_CLASS_DEVICE    0x0a
#define PCI_HEADER_TYPE     0x0e
#define PCI_BASE_ADDRESS_0  0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID    0x2e
#define PCI_ROM_ADDRESS     0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d
#define PCI_CONFIG_SIZE     256

#define HV_PCI_NUM_BARS 6

enum {
    HV_PCI_BAR_MEM = 0,
    HV_PCI_BAR_IO = 1 << 0,
    HV_PCI_BAR_MEM64 = 1 << 1,
    HV_PCI_BAR_PREFETCH = 1 << 2,
};

typedef struct hv_pci_dev hv_pci_dev;

typedef struct hv_pci_bar {
    uint64_t size;      /* power of two, 0 = unused */
    unsigned flags;
    hv_region *region;  /* claimed while decode is on and address valid */
} hv_pci_bar;

struct hv_pci_dev {
    hv_ctx *ctx;
    uint32_t sbdf;
    const char *name;
    uint8_t config[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];    /* 1 = guest may write this bit */
    uint8_t w1cmask[PCI_CONFIG_SIZE];  /* 1 = write-1-to-clear bit */
    hv_pci_bar bars[HV_PCI_NUM_BARS];
    hv_region *cfg_region;
    uint8_t next_cap;                  /* where the next capability goes */
    unsigned intx_level;               /* what the device requests */
    unsigned intx_line;                /* what the host was told */
    bool absent;                       /* unplugged: see hv_pci_unplug */
    /* Optional device hooks, called after the helper handled the access. */
    void (*config_written)(hv_pci_dev *pd, unsigned reg, unsigned size,
                           uint32_t val);
};

bool hv_pci_init(hv_pci_dev *pd, hv_ctx *ctx, uint32_t sbdf,
                 uint16_t vendor, uint16_t device, uint32_t class_code,
                 uint8_t revision, const char *name, GError **err);
void hv_pci_fini(hv_pci_dev *pd);
/* Back to power-on config: BARs 0, COMMAND 0, regions unclaimed. */
void hv_pci_reset(hv_pci_dev *pd);

/* Take the function off the bus for good (the Xen unplug protocol): INTx
 * lowered, BARs stop decoding, configuration reads return all ones (no
 * device: PCI 3.0 §6.1, vendor FFFFh) and writes are dropped. The
 * function stays claimed so the accesses never reach another server. */
void hv_pci_unplug(hv_pci_dev *pd);

/* Declare BAR @n. The region is created disabled; it is claimed when the
 * guest enables decode in COMMAND with a valid address in the BAR. */
bool hv_pci_set_bar(hv_pci_dev *pd, unsigned n, uint64_t size,
                    unsigned flags, const hv_region_ops *ops, void *opaque,
                    GError **err);
/* Set INTx pin (1 = INTA) — call before the guest looks. */
void hv_pci_set_intx_pin(hv_pci_dev *pd, unsigned pin);
/* Assert/deassert INTx, honouring COMMAND.INTx_DISABLE; keeps
 * STATUS.INTERRUPT in sync (PCI 3.0 §6.2.3). */
void hv_pci_set_irq(hv_pci_dev *pd, unsigned level);
bool hv_pci_bus_master(const hv_pci_dev *pd);
/* Append a capability of @len bytes, returns its offset (0 if no room). */
uint8_t hv_pci_add_cap(hv_pci_dev *pd, uint8_t cap_id, uint8_t len);

/* Config access as the guest does it (used by the region and by tests). */
uint32_t hv_pci_config_read(hv_pci_dev *pd, unsigned reg, unsigned size);
void hv_pci_config_write(hv_pci_dev *pd, unsigned reg, unsigned size,
                         uint32_t val);

/* Little-endian config accessors for device code. */
static inline void hv_pci_set_word(hv_pci_dev *pd, unsigned reg, uint16_t v)
{
    pd->config[reg] = v & 0xff;
    pd->config[reg + 1] = v >> 8;
}
static inline uint16_t hv_pci_get_word(const hv_pci_dev *pd, unsigned reg)
{
    return (uint16_t)(pd->config[reg] | (pd->config[reg + 1] << 8));
}

/* Configuration space in a device's state (hvmemu/state.h). The load
 * takes the guest-writable bits only and moves the BARs; the device then
 * sets its INTx level again. @absent: the function had been unplugged. */
void hv_pci_state_save(const hv_pci_dev *pd, hv_state_out *out);
bool hv_pci_state_load(hv_pci_dev *pd, hv_state_in *in, bool *absent,
                       GError **err);

/* Parse "[seg:]bus:dev.fn" (hex, like lspci). */
bool hv_pci_parse_addr(const char *text, uint32_t *sbdf, GError **err);

#endif
