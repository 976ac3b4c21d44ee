/* SPDX-License-Identifier: MIT */
/*
 * e1000 save/restore (hw/net/e1000_state.c): the receive ring carries on
 * in the restored NIC where the saved one stopped, with the guest's RAM
 * copied over as xl restore does; the registers come back through the
 * masks a guest write has; the MAC must match, unless none was
 * configured (then the saved one is the NIC the guest knows).
 */
#include <string.h>

#include "tests/unit/net/nic-fixture.h"

#define RING 8

static GBytes *save(nic *f)
{
    GError *err = NULL;
    GBytes *b = hv_ctx_save_state(f->ctx, &err);

    g_assert_no_error(err);
    return b;
}

static bool load(hv_ctx *ctx, GBytes *b, GError **err)
{
    gsize len;
    const void *p = g_bytes_get_data(b, &len);

    return hv_ctx_load_state(ctx, p, len, err);
}

static uint32_t desc_status(nic *f, unsigned i)
{
    return nic_ram(f, NIC_RX_RING + i * 16)[12];
}

static void test_rx_ring_continues(void)
{
    uint8_t frame[128];
    size_t n = build_udp4(frame, (const uint8_t[]){ 0x00, 0x16, 0x3e, 0x12,
                                                    0x34, 0x56 }, 40);
    g_autoptr(GBytes) state = NULL;
    GError *err = NULL;
    nic a, b;

    nic_setup(&a, NULL);
    nic_wr(&a, E1000_IMS, E1000_ICR_RXT0);
    nic_rx_init(&a, RING, E1000_RCTL_EN | E1000_RCTL_BAM);
    nic_peer_send(&a, frame, n);
    nic_peer_send(&a, frame, n);
    nic_pump(&a, 20);
    g_assert_cmpuint(nic_rd(&a, E1000_RDH), ==, 2);
    state = save(&a);

    nic_setup(&b, NULL);
    g_assert_true(load(b.ctx, state, &err));
    g_assert_no_error(err);
    memcpy(nic_ram(&b, 0), nic_ram(&a, 0), NIC_RAM);
    g_assert_cmpuint(nic_rd(&b, E1000_RDH), ==, 2);
    g_assert_cmpuint(nic_rd(&b, E1000_RDT), ==, RING - 1);
    g_assert_cmpuint(nic_rd(&b, E1000_RDLEN), ==, RING * 16);
    g_assert_cmpuint(nic_rd(&b, E1000_IMS), ==, E1000_ICR_RXT0);
    g_assert_cmpuint(nic_intx(&b), ==, 1);   /* the unread ICR's line */
    g_assert_cmpuint(nic_rd(&b, E1000_ICR) & E1000_ICR_RXT0, !=, 0);
    g_assert_cmpuint(nic_intx(&b), ==, 0);
    g_assert_cmpuint(desc_status(&b, 2) & E1000_RXD_STAT_DD, ==, 0);
    nic_peer_send(&b, frame, n);
    nic_pump(&b, 20);
    g_assert_cmpuint(desc_status(&b, 2) & E1000_RXD_STAT_DD, !=, 0);
    g_assert_cmpuint(nic_rd(&b, E1000_RDH), ==, 3);
    g_assert_cmpuint(nic_intx(&b), ==, 1);
    nic_teardown(&b);
    nic_teardown(&a);
}

/* A register value no guest write could leave (RDLEN not a multiple of
 * 128, RDH beyond 16 bits) is masked on the way in. */
static void test_registers_masked(void)
{
    g_autoptr(GBytes) state = NULL;
    g_autofree uint8_t *copy = NULL;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    GError *err = NULL;
    gsize len, dlen = 32;
    nic a;

    nic_setup(&a, NULL);
    nic_wr(&a, E1000_RDLEN, 0x12345);         /* masked to 0x12300 */
    state = save(&a);
    len = g_bytes_get_size(state);
    copy = g_memdup2(g_bytes_get_data(state, NULL), len);
    /* The register file ends the e1000 section, which ends the file. */
    {
        size_t regs = len - 32 - E1000_MMIO_SIZE;
        uint32_t bad = 0x12345;

        memcpy(copy + regs + E1000_RDLEN, &bad, 4);
        bad = 0xdeadbeef;
        memcpy(copy + regs + E1000_RDH, &bad, 4);
    }
    g_checksum_update(sum, copy, len - 32);
    g_checksum_get_digest(sum, copy + len - 32, &dlen);
    g_assert_true(hv_ctx_load_state(a.ctx, copy, len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(nic_rd(&a, E1000_RDLEN), ==, 0x12300);
    g_assert_cmphex(nic_rd(&a, E1000_RDH), ==, 0xbeef);
    nic_teardown(&a);
}

static uint16_t eeprom_word(hv_ctx *ctx, uint64_t mmio, unsigned w)
{
    hv_dispatch_write(ctx, HV_SPACE_MMIO, mmio + E1000_EERD, 4,
                      E1000_EERD_START | w << E1000_EERD_ADDR_SHIFT);
    return (uint16_t)(hv_dispatch_read(ctx, HV_SPACE_MMIO,
                                       mmio + E1000_EERD, 4) >>
                      E1000_EERD_DATA_SHIFT);
}

static void test_mac(void)
{
    g_autoptr(GBytes) state = NULL;
    GError *err = NULL;
    hv_memhost *mh = hv_memhost_new(NIC_RAM);
    hv_loop *loop = hv_loop_new();
    hv_ctx *ctx = hv_ctx_new(hv_memhost_ops(), mh, loop);
    nic a;

    nic_setup(&a, NULL);
    state = save(&a);
    /* Another MAC configured: refused, naming both. */
    g_assert_nonnull(hv_device_create(ctx, "e1000,backend=none,"
                                      "mac=00:16:3e:00:00:01,addr=00:04.0",
                                      &err));
    g_assert_false(load(ctx, state, &err));
    g_assert_nonnull(strstr(err->message, "the state has MAC "
                            "00:16:3e:12:34:56, this configuration "
                            "00:16:3e:00:00:01"));
    g_clear_error(&err);
    hv_ctx_free(ctx);

    /* None configured (random): the saved one, in the EEPROM too. */
    ctx = hv_ctx_new(hv_memhost_ops(), mh, loop);
    g_assert_nonnull(hv_device_create(ctx, "e1000,backend=none,"
                                      "addr=00:04.0", &err));
    g_assert_true(load(ctx, state, &err));
    g_assert_no_error(err);
    g_assert_cmphex(eeprom_word(ctx, NIC_MMIO, 0), ==, 0x1600);
    g_assert_cmphex(eeprom_word(ctx, NIC_MMIO, 1), ==, 0x123e);
    g_assert_cmphex(eeprom_word(ctx, NIC_MMIO, 2), ==, 0x5634);
    hv_ctx_free(ctx);
    hv_loop_free(loop);
    hv_memhost_free(mh);
    nic_teardown(&a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000-state/rx-ring-continues", test_rx_ring_continues);
    g_test_add_func("/e1000-state/registers-masked", test_registers_masked);
    g_test_add_func("/e1000-state/mac", test_mac);
    return g_test_run();
}
