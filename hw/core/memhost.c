/* SPDX-License-Identifier: MIT */
/*
 * In-memory host: guest RAM is a heap buffer, interrupts are recorded.
 * It implements the same hv_host_ops contract as the Xen host, including
 * -EFAULT for any access that is not wholly inside RAM.
 */
#define G_LOG_DOMAIN "memhost"
#include <errno.h>
#include <string.h>

#include "hvmemu/memhost.h"

typedef struct mapped_range {
    hv_space space;
    uint64_t start, end;
} mapped_range;

struct hv_memhost {
    uint8_t *ram;
    size_t ram_size;
    unsigned isa[16];
    GArray *events;      /* hv_irq_event */
    GHashTable *intx;    /* (sbdf << 2 | pin) -> level */
    GArray *mapped;      /* mapped_range */
};

hv_memhost *hv_memhost_new(size_t ram_size)
{
    hv_memhost *mh = g_new0(hv_memhost, 1);

    mh->ram = g_malloc0(ram_size);
    mh->ram_size = ram_size;
    mh->events = g_array_new(FALSE, TRUE, sizeof(hv_irq_event));
    mh->intx = g_hash_table_new(g_direct_hash, g_direct_equal);
    mh->mapped = g_array_new(FALSE, TRUE, sizeof(mapped_range));
    return mh;
}

void hv_memhost_free(hv_memhost *mh)
{
    if (!mh) {
        return;
    }
    g_free(mh->ram);
    g_array_free(mh->events, TRUE);
    g_hash_table_destroy(mh->intx);
    g_array_free(mh->mapped, TRUE);
    g_free(mh);
}

static bool in_ram(const hv_memhost *mh, uint64_t gpa, size_t len)
{
    return gpa < mh->ram_size && len <= mh->ram_size - gpa;
}

static int mh_mem_read(void *host, uint64_t gpa, void *buf, size_t len)
{
    hv_memhost *mh = host;

    if (!in_ram(mh, gpa, len)) {
        return -EFAULT;
    }
    memcpy(buf, mh->ram + gpa, len);
    return 0;
}

static int mh_mem_write(void *host, uint64_t gpa, const void *buf, size_t len)
{
    hv_memhost *mh = host;

    if (!in_ram(mh, gpa, len)) {
        return -EFAULT;
    }
    memcpy(mh->ram + gpa, buf, len);
    return 0;
}

static void record(hv_memhost *mh, hv_irq_event ev)
{
    g_array_append_val(mh->events, ev);
}

static int mh_set_isa_irq(void *host, unsigned irq, unsigned level)
{
    hv_memhost *mh = host;

    mh->isa[irq & 15] = level;
    record(mh, (hv_irq_event){ .kind = HV_IRQ_ISA, .line = irq,
                               .level = level });
    return 0;
}

static int mh_set_pci_intx(void *host, uint32_t sbdf, unsigned pin,
                           unsigned level)
{
    hv_memhost *mh = host;

    g_hash_table_insert(mh->intx, GUINT_TO_POINTER(sbdf << 2 | pin),
                        GUINT_TO_POINTER(level));
    record(mh, (hv_irq_event){ .kind = HV_IRQ_PCI, .line = sbdf, .pin = pin,
                               .level = level });
    return 0;
}

static int mh_inject_msi(void *host, uint64_t addr, uint32_t data)
{
    record(host, (hv_irq_event){ .kind = HV_IRQ_MSI, .line = data,
                                 .level = 1, .msi_addr = addr });
    return 0;
}

static int mh_map_range(void *host, hv_space space, uint64_t start,
                        uint64_t end, bool map)
{
    hv_memhost *mh = host;

    for (guint i = 0; i < mh->mapped->len; i++) {
        mapped_range *m = &g_array_index(mh->mapped, mapped_range, i);
        if (m->space == space && m->start == start && m->end == end) {
            if (map) {
                return -EEXIST;
            }
            g_array_remove_index(mh->mapped, i);
            return 0;
        }
    }
    if (!map) {
        return -ENOENT;
    }
    g_array_append_val(mh->mapped, ((mapped_range){ space, start, end }));
    return 0;
}

static const hv_host_ops memhost_ops = {
    .map_range = mh_map_range,
    .set_isa_irq = mh_set_isa_irq,
    .set_pci_intx = mh_set_pci_intx,
    .inject_msi = mh_inject_msi,
    .mem_read = mh_mem_read,
    .mem_write = mh_mem_write,
};

const hv_host_ops *hv_memhost_ops(void) { return &memhost_ops; }
uint8_t *hv_memhost_ram(hv_memhost *mh) { return mh->ram; }
size_t hv_memhost_ram_size(const hv_memhost *mh) { return mh->ram_size; }

unsigned hv_memhost_isa_level(const hv_memhost *mh, unsigned irq)
{
    return irq < 16 ? mh->isa[irq] : 0;
}

unsigned hv_memhost_intx_level(const hv_memhost *mh, uint32_t sbdf,
                               unsigned pin)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(
        mh->intx, GUINT_TO_POINTER(sbdf << 2 | pin)));
}

const hv_irq_event *hv_memhost_irq_events(const hv_memhost *mh, size_t *n)
{
    *n = mh->events->len;
    return (const hv_irq_event *)(void *)mh->events->data;
}

void hv_memhost_clear_events(hv_memhost *mh)
{
    g_array_set_size(mh->events, 0);
}

unsigned hv_memhost_mapped_count(const hv_memhost *mh, hv_space space)
{
    unsigned n = 0;

    for (guint i = 0; i < mh->mapped->len; i++) {
        n += g_array_index(mh->mapped, mapped_range, i).space == space;
    }
    return n;
}

bool hv_memhost_is_mapped(const hv_memhost *mh, hv_space space, uint64_t addr)
{
    for (guint i = 0; i < mh->mapped->len; i++) {
        mapped_range *m = &g_array_index(mh->mapped, mapped_range, i);
        if (m->space == space && addr >= m->start && addr <= m->end) {
            return true;
        }
    }
    return false;
}
