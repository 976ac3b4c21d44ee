/* SPDX-License-Identifier: MIT */
/*
 * fz_host: hv_memhost plus the checks of fuzz.h. Every op forwards to the
 * memhost (so its RAM buffer — a heap block with ASan redzones around it
 * — and its bookkeeping are what devices really touch) after verifying the
 * contract independently of memhost's own code.
 */
#include <errno.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

#define FZ_PAGE 4096u

typedef struct fz_range {
    hv_space space;
    uint64_t start, end;
} fz_range;

static void work(fz_host *h, size_t bytes)
{
    h->calls++;
    h->bytes += bytes;
}

static int fz_map_range(void *host, hv_space space, uint64_t start,
                        uint64_t end, bool map)
{
    fz_host *h = host;
    GArray *a = h->mapped;
    int ret;

    work(h, 0);
    h->map_calls++;
    FZ_CHECK(space < HV_SPACE_COUNT && start <= end,
             "map_range(space %d, %#" G_GINT64_MODIFIER "x-%#"
             G_GINT64_MODIFIER "x)", space, start, end);
    FZ_CHECK(space != HV_SPACE_PIO || end <= 0xffff,
             "PIO range beyond 0xffff: %#" G_GINT64_MODIFIER "x", end);
    for (guint i = 0; i < a->len; i++) {
        fz_range *r = &g_array_index(a, fz_range, i);

        if (r->space != space) {
            continue;
        }
        if (!map && r->start == start && r->end == end) {
            g_array_remove_index(a, i);
            ret = hv_memhost_ops()->map_range(h->mh, space, start, end, map);
            FZ_CHECK(ret == 0, "memhost unmap failed: %d", ret);
            return 0;
        }
        FZ_CHECK(!map || end < r->start || start > r->end,
                 "space %d: claim %#" G_GINT64_MODIFIER "x-%#"
                 G_GINT64_MODIFIER "x overlaps claimed %#"
                 G_GINT64_MODIFIER "x-%#" G_GINT64_MODIFIER "x",
                 space, start, end, r->start, r->end);
    }
    FZ_CHECK(map, "space %d: release of %#" G_GINT64_MODIFIER "x-%#"
             G_GINT64_MODIFIER "x that was never claimed", space, start, end);
    g_array_append_val(a, ((fz_range){ space, start, end }));
    ret = hv_memhost_ops()->map_range(h->mh, space, start, end, map);
    FZ_CHECK(ret == 0, "memhost map failed: %d", ret);
    return 0;
}

static int fz_set_isa_irq(void *host, unsigned irq, unsigned level)
{
    fz_host *h = host;

    work(h, 0);
    FZ_CHECK(irq < 16 && level <= 1, "ISA irq %u level %u", irq, level);
    /* The core passes only edges to the host (ctx.c). */
    FZ_CHECK(h->isa_level[irq] != level, "ISA irq %u set to %u twice", irq,
             level);
    h->isa_level[irq] = level;
    return hv_memhost_ops()->set_isa_irq(h->mh, irq, level);
}

static int fz_set_pci_intx(void *host, uint32_t sbdf, unsigned pin,
                           unsigned level)
{
    fz_host *h = host;

    work(h, 0);
    FZ_CHECK(pin <= 3 && level <= 1, "INTx pin %u level %u", pin, level);
    FZ_CHECK(fz_host_intx(h, sbdf, pin) != level,
             "INTx %x pin %u set to %u twice", sbdf, pin, level);
    g_hash_table_insert(h->intx_level,
                        GUINT_TO_POINTER(((sbdf << 2) | pin) + 1),
                        GUINT_TO_POINTER(level + 1));
    return hv_memhost_ops()->set_pci_intx(h->mh, sbdf, pin, level);
}

static int fz_inject_msi(void *host, uint64_t addr, uint32_t data)
{
    fz_host *h = host;

    work(h, 0);
    return hv_memhost_ops()->inject_msi(h->mh, addr, data);
}

/* Computed without memhost's arithmetic: a second opinion on "in RAM". */
static bool in_ram(const fz_host *h, uint64_t gpa, size_t len)
{
    return (unsigned __int128)gpa + len <= h->ram_size;
}

static int check_mem(fz_host *h, uint64_t gpa, size_t len, int ret,
                     const char *what)
{
    work(h, len);
    FZ_CHECK(len <= HV_NET_MAX_FRAME * 4u,
             "%s of %zu bytes in one copy at %#" G_GINT64_MODIFIER "x",
             what, len, gpa);
    if (in_ram(h, gpa, len)) {
        FZ_CHECK(ret == 0, "%s inside RAM failed: %d", what, ret);
    } else {
        FZ_CHECK(ret == -EFAULT, "%s outside RAM (%#" G_GINT64_MODIFIER
                 "x+%zu) returned %d", what, gpa, len, ret);
        h->mem_faults++;
    }
    return ret;
}

static int fz_mem_read(void *host, uint64_t gpa, void *buf, size_t len)
{
    fz_host *h = host;

    return check_mem(h, gpa, len,
                     hv_memhost_ops()->mem_read(h->mh, gpa, buf, len),
                     "mem_read");
}

static int fz_mem_write(void *host, uint64_t gpa, const void *buf, size_t len)
{
    fz_host *h = host;

    fz_host_mark_dirty(h, gpa, len);
    return check_mem(h, gpa, len,
                     hv_memhost_ops()->mem_write(h->mh, gpa, buf, len),
                     "mem_write");
}

static const hv_host_ops fz_ops = {
    .map_range = fz_map_range,
    .set_isa_irq = fz_set_isa_irq,
    .set_pci_intx = fz_set_pci_intx,
    .inject_msi = fz_inject_msi,
    .mem_read = fz_mem_read,
    .mem_write = fz_mem_write,
};

const hv_host_ops *fz_host_ops(void) { return &fz_ops; }

void fz_host_init(fz_host *h, size_t ram_size, uint64_t max_calls,
                  uint64_t max_bytes)
{
    memset(h, 0, sizeof(*h));
    h->mh = hv_memhost_new(ram_size);
    h->ram_size = ram_size;
    h->max_calls = max_calls;
    h->max_bytes = max_bytes;
    h->intx_level = g_hash_table_new(g_direct_hash, g_direct_equal);
    h->mapped = g_array_new(FALSE, TRUE, sizeof(fz_range));
    h->npages = (ram_size + FZ_PAGE - 1) / FZ_PAGE;
    h->dirty = g_malloc0(h->npages);
}

void fz_host_fini(fz_host *h)
{
    GArray *a = h->mapped;

    /* Everything claimed must have been released by hv_ctx_free. */
    FZ_CHECK(a->len == 0, "%u ranges still claimed after teardown", a->len);
    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        FZ_CHECK(hv_memhost_mapped_count(h->mh, s) == 0,
                 "memhost: space %d still mapped", s);
    }
    g_array_free(a, TRUE);
    g_free(h->dirty);
    g_hash_table_destroy(h->intx_level);
    hv_memhost_free(h->mh);
}

void fz_host_op_begin(fz_host *h)
{
    h->calls = 0;
    h->bytes = 0;
}

void fz_host_op_end(fz_host *h, const char *what)
{
    FZ_CHECK(h->calls <= h->max_calls,
             "%s: %" G_GUINT64_FORMAT " host calls (bound %" G_GUINT64_FORMAT
             ")", what, h->calls, h->max_calls);
    FZ_CHECK(h->bytes <= h->max_bytes,
             "%s: %" G_GUINT64_FORMAT " bytes of guest memory copied (bound %"
             G_GUINT64_FORMAT ")", what, h->bytes, h->max_bytes);
    if (h->map_calls == h->map_calls_checked) {
        return;
    }
    h->map_calls_checked = h->map_calls;
    for (int s = 0; s < HV_SPACE_COUNT; s++) {
        unsigned n = 0;
        GArray *a = h->mapped;

        for (guint i = 0; i < a->len; i++) {
            n += g_array_index(a, fz_range, i).space == (hv_space)s;
        }
        FZ_CHECK(hv_memhost_mapped_count(h->mh, s) == n,
                 "space %d: memhost has %u ranges, we counted %u", s,
                 hv_memhost_mapped_count(h->mh, s), n);
    }
}

uint8_t *fz_host_ram(fz_host *h) { return hv_memhost_ram(h->mh); }

void fz_host_mark_dirty(fz_host *h, uint64_t gpa, size_t len)
{
    uint64_t end;

    if (!len || gpa >= h->ram_size) {
        return;
    }
    end = MIN((unsigned __int128)gpa + len, h->ram_size);
    for (uint64_t p = gpa / FZ_PAGE; p <= (end - 1) / FZ_PAGE; p++) {
        h->dirty[p] = 1;
    }
}

void fz_host_poke(fz_host *h, uint64_t gpa, const void *buf, size_t len)
{
    if (gpa >= h->ram_size) {
        return;
    }
    len = MIN(len, h->ram_size - gpa);
    memcpy(fz_host_ram(h) + gpa, buf, len);
    fz_host_mark_dirty(h, gpa, len);
}

void fz_host_ram_reset(fz_host *h)
{
    uint8_t *ram = fz_host_ram(h);

    for (size_t p = 0; p < h->npages; p++) {
        if (h->dirty[p]) {
            size_t off = p * FZ_PAGE;
            memset(ram + off, 0, MIN(FZ_PAGE, h->ram_size - off));
            h->dirty[p] = 0;
        }
    }
    hv_memhost_clear_events(h->mh);
}

GArray *fz_host_claims(fz_host *h)
{
    GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(fz_range),
                                  h->mapped->len);

    g_array_append_vals(a, h->mapped->data, h->mapped->len);
    return a;
}

void fz_host_check_claims(fz_host *h, GArray *snap, const char *what)
{
    FZ_CHECK(h->mapped->len == snap->len, "%s: %u ranges claimed, %u before",
             what, h->mapped->len, snap->len);
    for (guint i = 0; i < snap->len; i++) {
        fz_range *want = &g_array_index(snap, fz_range, i);
        bool found = false;

        for (guint j = 0; j < h->mapped->len && !found; j++) {
            fz_range *r = &g_array_index(h->mapped, fz_range, j);
            found = r->space == want->space && r->start == want->start &&
                    r->end == want->end;
        }
        FZ_CHECK(found, "%s: space %d %#" G_GINT64_MODIFIER "x-%#"
                 G_GINT64_MODIFIER "x no longer claimed", what, want->space,
                 want->start, want->end);
    }
}

bool fz_host_claimed_overlap(fz_host *h, hv_space space, uint64_t start,
                             uint64_t end)
{
    for (guint i = 0; i < h->mapped->len; i++) {
        fz_range *r = &g_array_index(h->mapped, fz_range, i);

        if (r->space == space && start <= r->end && end >= r->start) {
            return true;
        }
    }
    return false;
}

unsigned fz_host_intx(fz_host *h, uint32_t sbdf, unsigned pin)
{
    gpointer v = g_hash_table_lookup(h->intx_level,
                                     GUINT_TO_POINTER(((sbdf << 2) | pin) + 1));

    return v ? GPOINTER_TO_UINT(v) - 1 : 0;
}
