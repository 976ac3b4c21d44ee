/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the vif/NIC spec path (--nic SPEC, hvmemu_vif=[...]): the
 * option parser (hw/core/opts.c hv_opts_parse), then the e1000's own
 * parsing as tools/hvmemu/devices.c runs it — model=, type=, mac=
 * (hv_net_parse_mac), the backend options (hw/netdev/net.c), addr=
 * (hv_pci_parse_addr) and the unknown-option check. The input is the
 * spec, any bytes (cut at the first NUL).
 *
 * Nothing may leave the process: backend= is forced to none (appended
 * last, and the last occurrence wins), so no tap, socket or slirp is
 * opened, and capture= is pointed at /dev/null. A spec with bridge= is
 * so refused ("bridge= needs backend=tap") after mac/model/type parsed.
 *
 * Invariants: the device is created exactly when no error is set; a
 * created device answers config reads at addr= (or 00:04.0, the first
 * free slot) with the 82540EM's IDs, its MAC in the EEPROM-loaded RAL/RAH
 * equals mac= when given, and is unicast; a refused spec claims nothing;
 * teardown releases every claim (fz_host).
 */
#include <stdio.h>
#include <string.h>

#include "hw/net/e1000_regs.h"
#include "tests/fuzz/fuzz.h"

extern const hv_device_class e1000_class;

#define NIC_BAR0 0xfebc0000u

static hv_loop *loop;

static void check_created(hv_ctx *ctx, hv_opts *o, const char *addr,
                          const char *mac)
{
    uint32_t sbdf = HV_SBDF(0, 0, 4, 0), id, ral, rah;
    uint8_t want[6];

    if (addr) {
        FZ_CHECK(hv_pci_parse_addr(addr, &sbdf, NULL), "addr=%s accepted "
                 "by the device, refused by the parser", addr);
    }
    id = (uint32_t)hv_dispatch_read(ctx, HV_SPACE_PCI, HV_PCI_ADDR(sbdf, 0),
                                    4);
    FZ_CHECK(id == 0x100e8086, "config at %x reads %08x, not 8086:100e",
             sbdf, id);
    hv_dispatch_write(ctx, HV_SPACE_PCI,
                      HV_PCI_ADDR(sbdf, PCI_BASE_ADDRESS_0), 4, NIC_BAR0);
    hv_dispatch_write(ctx, HV_SPACE_PCI, HV_PCI_ADDR(sbdf, PCI_COMMAND), 2,
                      PCI_COMMAND_MEMORY);
    ral = (uint32_t)hv_dispatch_read(ctx, HV_SPACE_MMIO,
                                     NIC_BAR0 + E1000_RA, 4);
    rah = (uint32_t)hv_dispatch_read(ctx, HV_SPACE_MMIO,
                                     NIC_BAR0 + E1000_RA + 4, 4);
    FZ_CHECK(!(ral & 1), "multicast MAC %08x accepted", ral);
    if (mac) {
        FZ_CHECK(hv_net_parse_mac(mac, want, NULL), "mac=%s accepted by the "
                 "device, refused by the parser", mac);
        FZ_CHECK(ral == (want[0] | want[1] << 8 | want[2] << 16 |
                         (uint32_t)want[3] << 24) &&
                 (rah & 0xffff) == (uint32_t)(want[4] | want[5] << 8),
                 "mac=%s but RAL/RAH %08x/%08x", mac, ral, rah);
    }
    (void)o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    GError *err = NULL;
    hv_opts *o;
    fz_host host;
    hv_ctx *ctx;
    hv_device *dev;
    const char *addr, *mac;

    fz_init_once();
    if (!loop) {
        loop = hv_loop_new();
    }
    o = hv_opts_parse(text, &err);
    FZ_CHECK(!o == !!err, "opts parse: result and error disagree");
    if (!o) {
        g_error_free(err);
        return 0;
    }
    hv_opts_set(o, "backend", "none");
    if (strstr(text, "capture")) {
        hv_opts_set(o, "capture", "/dev/null");
    }
    fz_host_init(&host, 4096, 1u << 16, 1u << 20);
    ctx = hv_ctx_new(fz_host_ops(), &host, loop);
    dev = hv_device_create_opts(ctx, &e1000_class, o, &err);
    FZ_CHECK(!dev == !!err, "create: result and error disagree");
    if (dev) {
        /* Looked up after the device did, so these are its values. */
        addr = hv_opts_str(o, "addr", NULL);
        mac = hv_opts_str(o, "mac", NULL);
        check_created(ctx, o, addr, mac);
    } else {
        FZ_CHECK(err->message && *err->message, "empty error");
        g_error_free(err);
        for (int s = 0; s < HV_SPACE_COUNT; s++) {
            FZ_CHECK(hv_memhost_mapped_count(host.mh, s) == 0,
                     "a refused NIC left space %d claimed", s);
        }
    }
    hv_ctx_free(ctx);
    fz_host_fini(&host);
    hv_opts_free(o);
    return 0;
}
