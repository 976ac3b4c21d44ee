/* SPDX-License-Identifier: MIT */
/*
 * The fixed I/O ports of Xen's platform device (10h-1Fh), where PV drivers
 * speak the emulated-device unplug protocol (Xen's docs/misc/
 * hvm-emulated-unplug; Linux's arch/x86/xen/platform-pci-unplug.c is one
 * driver side). hvmemu answers them so that the guest's unplug request
 * reaches the disks and NICs hvmemu presents; docs/unplug.md says who owns
 * which port when QEMU serves the rest of the guest.
 *
 *   port  width  read                          write
 *   10h   1      platform flags                platform flags (ROM lock)
 *   10h   2      magic 49D2h (D249h: driver    unplug mask (unplug.h)
 *                blacklisted)
 *   10h   4      -                             driver build number
 *   12h   1      protocol version (1)          driver log, a byte at a time
 *   12h   2      -                             driver product number
 * Everything else reads as all ones and ignores writes, as QEMU does.
 *
 * The handshake: read the magic, read the version, write the product,
 * write the build, read the magic again; the blacklist is decided when the
 * build arrives (the product came first). Options:
 *   blacklist=SPEC   see pv_blacklist.h
 *   log=on|off       driver log lines into hvmemu's log (default on)
 */
#define G_LOG_DOMAIN "platform"

#include "hvmemu/device.h"
#include "hvmemu/unplug.h"
#include "hw/platform/pv_blacklist.h"

#define XEN_PLATFORM_PORT       0x10
#define XEN_PLATFORM_PORTS      16
#define XEN_PLATFORM_MAGIC      0x49d2
#define XEN_PLATFORM_MAGIC_BL   0xd249  /* blacklisted */
#define XEN_PLATFORM_PROTOCOL   1
#define XEN_PLATFORM_FLAG_ROM_LOCK 0x01

/* The driver log: lines are cut at LOG_LINE_MAX; a token bucket lets a
 * burst of LOG_BURST lines through, then one per LOG_REFILL_NS ("a fairly
 * aggressive rate limiter": the guest must not flood dom0's log). */
#define LOG_LINE_MAX    256
#define LOG_BURST       16
#define LOG_REFILL_NS   1000000000ull

typedef struct xen_platform {
    hv_device dev;
    hv_region *region;
    pv_blacklist blacklist;
    bool log_on;

    uint8_t flags;
    bool have_product;
    uint16_t product;
    uint32_t build;
    bool blacklisted;
    unsigned masks_seen;        /* unplug writes so far */

    char line[LOG_LINE_MAX + 1];
    unsigned line_len;
    unsigned tokens;
    uint64_t refill_at_ns;
    uint64_t log_dropped;
} xen_platform;

/* ---- driver log ---- */

static bool log_allow(xen_platform *p)
{
    uint64_t now = hv_now_ns();

    if (now >= p->refill_at_ns) {
        unsigned add = (unsigned)MIN((now - p->refill_at_ns) /
                                     LOG_REFILL_NS + 1, LOG_BURST);
        p->tokens = MIN(p->tokens + add, LOG_BURST);
        p->refill_at_ns = now + LOG_REFILL_NS;
    }
    if (!p->tokens) {
        p->log_dropped++;
        return false;
    }
    p->tokens--;
    return true;
}

static void log_flush(xen_platform *p)
{
    p->line[p->line_len] = 0;
    if (p->log_on && log_allow(p)) {
        if (p->log_dropped) {
            g_message("guest driver: (%" G_GUINT64_FORMAT " lines dropped "
                      "by the rate limit)", p->log_dropped);
            p->log_dropped = 0;
        }
        g_message("guest driver: %s", p->line);
    }
    p->line_len = 0;
}

static void log_byte(xen_platform *p, uint8_t c)
{
    if (c == '\n') {
        log_flush(p);
        return;
    }
    /* Hostile bytes never reach the log as control characters. */
    p->line[p->line_len++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    if (p->line_len == LOG_LINE_MAX) {
        log_flush(p);
    }
}

/* ---- the protocol ---- */

static void platform_identify(xen_platform *p, uint32_t build)
{
    const char *name = pv_product_name(p->product);

    p->build = build;
    p->blacklisted = p->have_product &&
                     pv_blacklist_match(&p->blacklist, p->product, build);
    g_message("PV drivers: product %u (%s), build %u%s", p->product,
              name ? name : "unregistered", build,
              p->blacklisted ? ": BLACKLISTED, they must not load" : "");
}

static void platform_unplug(xen_platform *p, uint16_t mask)
{
    unsigned n;

    p->masks_seen++;
    if (mask & ~(HV_UNPLUG_ALL_IDE_DISKS | HV_UNPLUG_ALL_NICS |
                 HV_UNPLUG_AUX_IDE_DISKS | HV_UNPLUG_NVME_DISKS)) {
        hv_guest_error(G_LOG_DOMAIN, "unplug mask 0x%x: unknown bits "
                       "ignored", mask);
    }
    /* Applied even for a blacklisted driver: refusing would leave the
     * emulated device next to whatever the driver does anyway. */
    n = hv_unplug_apply_mask(p->dev.ctx, mask);
    g_message("unplug mask 0x%x from the guest: %u device(s) removed",
              mask, n);
}

static uint64_t platform_read(void *opaque, uint64_t off, unsigned size)
{
    xen_platform *p = opaque;

    if (off == 0 && size == 2) {
        return p->blacklisted ? XEN_PLATFORM_MAGIC_BL : XEN_PLATFORM_MAGIC;
    }
    if (off == 0 && size == 1) {
        return p->flags;
    }
    if (off == 2 && size == 1) {
        return XEN_PLATFORM_PROTOCOL;
    }
    return size >= 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
}

static void platform_write(void *opaque, uint64_t off, unsigned size,
                           uint64_t val)
{
    xen_platform *p = opaque;

    if (off == 0 && size == 2) {
        platform_unplug(p, (uint16_t)val);
    } else if (off == 0 && size == 4) {
        platform_identify(p, (uint32_t)val);
    } else if (off == 2 && size == 2) {
        p->product = (uint16_t)val;
        p->have_product = true;
    } else if (off == 2 && size == 1) {
        log_byte(p, (uint8_t)val);
    } else if (off == 0 && size == 1) {
        /* ROM lock makes C0000h-FFFFFh read-only through the hypervisor;
         * nothing in hvmemu maps that memory, so only remember it. */
        if ((val ^ p->flags) & XEN_PLATFORM_FLAG_ROM_LOCK) {
            hv_guest_error(G_LOG_DOMAIN, "platform flags 0x%02x: ROM lock "
                           "is QEMU's and not done by hvmemu",
                           (unsigned)val);
        }
        p->flags = (uint8_t)val & XEN_PLATFORM_FLAG_ROM_LOCK;
    }
}

static const hv_region_ops platform_ops = {
    .read = platform_read,
    .write = platform_write,
    .min_size = 1,
    .max_size = 4,
};

/* ---- device class ---- */

static void platform_destroy(hv_device *dev)
{
    xen_platform *p = (xen_platform *)dev;

    if (p->line_len) {
        log_flush(p);       /* a last line without its newline */
    }
    if (p->region) {
        hv_region_del(p->region);
    }
    g_free(p);
}

static void platform_reset(hv_device *dev)
{
    xen_platform *p = (xen_platform *)dev;

    /* QEMU's reset clears the flags; the unplug itself stays done. */
    p->flags = 0;
}

static hv_device *platform_create(hv_ctx *ctx, hv_opts *opts, GError **err)
{
    xen_platform *p = g_new0(xen_platform, 1);
    const char *bl = hv_opts_str(opts, "blacklist", NULL);

    p->dev.ctx = ctx;
    p->tokens = LOG_BURST;
    if (!hv_opts_bool(opts, "log", true, &p->log_on, err) ||
        (bl && !pv_blacklist_parse(&p->blacklist, bl, err))) {
        goto fail;
    }
    p->region = hv_region_add(ctx, HV_SPACE_PIO, XEN_PLATFORM_PORT,
                              XEN_PLATFORM_PORTS, &platform_ops, p,
                              "xen-platform", err);
    if (!p->region) {
        goto fail;
    }
    return &p->dev;

fail:
    platform_destroy(&p->dev);
    return NULL;
}

const hv_device_class xen_platform_class = {
    .name = "xen-platform",
    .description = "Xen platform device's fixed ports 0x10-0x1f: the "
                   "emulated-device unplug protocol (added by default)",
    .options_help =
        "blacklist=SPEC   PV drivers told not to load: PRODUCT[/BUILD[-BUILD]]"
        "\n                 entries joined by ':', PRODUCT a number or "
        "linux,\n"
        "                 xensource-windows, gplpv-windows, ...\n"
        "log=on|off       driver log lines into hvmemu's log (default on)",
    .create = platform_create,
    .destroy = platform_destroy,
    .reset = platform_reset,
};
