/* SPDX-License-Identifier: MIT */
/*
 * An in-memory host: guest RAM is a buffer, interrupt changes are recorded.
 * Used by unit tests, fuzzers and anyone embedding devices without Xen.
 */
#ifndef HVMEMU_MEMHOST_H
#define HVMEMU_MEMHOST_H

#include <stddef.h>
#include <stdint.h>

#include "hvmemu/ctx.h"

typedef struct hv_memhost hv_memhost;

typedef enum { HV_IRQ_ISA, HV_IRQ_PCI, HV_IRQ_MSI } hv_irq_kind;
typedef struct hv_irq_event {
    hv_irq_kind kind;
    uint32_t line;      /* ISA irq, PCI sbdf, or MSI data */
    unsigned pin;       /* PCI pin (0 = INTA) */
    unsigned level;     /* 0/1; 1 for MSI */
    uint64_t msi_addr;
} hv_irq_event;

/* RAM occupies guest-physical [0, ram_size). */
hv_memhost *hv_memhost_new(size_t ram_size);
void hv_memhost_free(hv_memhost *mh);
const hv_host_ops *hv_memhost_ops(void);
uint8_t *hv_memhost_ram(hv_memhost *mh);
size_t hv_memhost_ram_size(const hv_memhost *mh);

unsigned hv_memhost_isa_level(const hv_memhost *mh, unsigned irq);
unsigned hv_memhost_intx_level(const hv_memhost *mh, uint32_t sbdf,
                               unsigned pin);
/* Recorded interrupt events since the last clear. */
const hv_irq_event *hv_memhost_irq_events(const hv_memhost *mh, size_t *n);
void hv_memhost_clear_events(hv_memhost *mh);
/* How many ranges of @space are currently mapped (map_range bookkeeping). */
unsigned hv_memhost_mapped_count(const hv_memhost *mh, hv_space space);
bool hv_memhost_is_mapped(const hv_memhost *mh, hv_space space,
                          uint64_t addr);

#endif
