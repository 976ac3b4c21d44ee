/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest: seeded random sequences of register accesses (task
 * file, commands, Device Control, data port, bus-master registers, PCI
 * COMMAND) over garbage guest memory, with backend completions arriving
 * in between. Nothing is asserted but survival and a clean teardown —
 * run it under ASan/UBSan to make it mean something.
 */
#include <string.h>

#include "ide-harness.h"

static const uint8_t cmds[] = {
    ATA_CMD_READ_SECTORS, ATA_CMD_READ_SECTORS_EXT, ATA_CMD_READ_MULTIPLE,
    ATA_CMD_WRITE_SECTORS, ATA_CMD_WRITE_SECTORS_EXT, ATA_CMD_WRITE_MULTIPLE,
    ATA_CMD_READ_DMA, ATA_CMD_READ_DMA_EXT, ATA_CMD_WRITE_DMA,
    ATA_CMD_WRITE_DMA_EXT, ATA_CMD_DSM, ATA_CMD_FLUSH_CACHE,
    ATA_CMD_IDENTIFY, ATA_CMD_SET_FEATURES, ATA_CMD_SET_MULTIPLE,
    ATA_CMD_INIT_DEV_PARAMS, ATA_CMD_DIAGNOSE, ATA_CMD_SLEEP,
    ATA_CMD_STANDBY_IMMEDIATE, ATA_CMD_READ_NATIVE_MAX_EXT, ATA_CMD_VERIFY,
    ATA_CMD_PACKET, ATA_CMD_IDENTIFY_PACKET, 0x00, 0x08, 0xff,
};

typedef struct rng {
    uint64_t s;
} rng;

static uint32_t rnd(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 11);
}

static const uint8_t scsi_ops[] = {
    0x00, 0x03, 0x12, 0x1a, 0x1b, 0x1e, 0x25, 0x28, 0x2b, 0x2f, 0x35, 0x43,
    0x46, 0x4a, 0x51, 0x5a, 0xa8, 0xbb, 0xbd, 0xff,
};

/* A PACKET command with a plausible opcode and random fields. */
static void random_packet(ih *h, rng *r)
{
    ih_outb(h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_DEV);
    ih_outb(h, IH_CMD + ATA_REG_FEATURE, rnd(r) & 1);
    ih_outb(h, IH_CMD + ATA_REG_LBAM, (uint8_t)rnd(r));
    ih_outb(h, IH_CMD + ATA_REG_LBAH, (uint8_t)rnd(r));
    ih_outb(h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_PACKET);
    ih_outw(h, IH_CMD, scsi_ops[rnd(r) % sizeof(scsi_ops)] |
                       (uint16_t)(rnd(r) & 0xff00));
    for (unsigned i = 1; i < 6; i++) {
        ih_outw(h, IH_CMD, (uint16_t)((rnd(r) & 1) ? rnd(r) : rnd(r) % 4));
    }
}

static void random_op(ih *h, rng *r)
{
    uint32_t v = rnd(r);
    uint16_t base = (v & 0x100) ? IDE_SEC_CMD : IDE_PRI_CMD;

    switch (rnd(r) % 13) {
    case 12:
        random_packet(h, r);
        break;
    case 0:
    case 1:
        ih_outb(h, base + 1 + rnd(r) % 6, (uint8_t)v);
        break;
    case 2:
        ih_outb(h, base + ATA_REG_COMMAND, cmds[v % sizeof(cmds)]);
        break;
    case 3:
        ih_outb(h, (v & 0x100) ? IDE_SEC_CTL : IDE_PRI_CTL,
                (uint8_t)(v & (ATA_DC_NIEN | ATA_DC_SRST | ATA_DC_HOB)));
        break;
    case 4:
        for (unsigned i = 0; i < v % 300; i++) {
            ih_inw(h, base);
        }
        break;
    case 5:
        for (unsigned i = 0; i < v % 300; i++) {
            ih_outl(h, base, v);
        }
        break;
    case 6:
        ih_outb(h, IH_BM_BASE + (v & 8) + BM_REG_CMD, (uint8_t)(v >> 8));
        break;
    case 7:
        ih_outb(h, IH_BM_BASE + (v & 8) + BM_REG_STATUS, (uint8_t)(v >> 8));
        break;
    case 8:
        /* PRD table somewhere, sometimes outside RAM. */
        ih_outl(h, IH_BM_BASE + (v & 8) + BM_REG_PRDT,
                (v & 1) ? rnd(r) : rnd(r) % IH_RAM_SIZE);
        break;
    case 9:
        ih_cfg_write(h, PCI_COMMAND, 2, (v & 1) ? 0x5 : 0x1);
        break;
    case 10:
        ih_inb(h, base + rnd(r) % 8);
        ih_inb(h, IH_BM_BASE + rnd(r) % 16);
        break;
    default:
        hv_loop_run_once(h->loop, 0);
        break;
    }
}

static void test_hostile(void)
{
    unsigned seeds = g_test_slow() ? 64 : 8;

    for (unsigned seed = 1; seed <= seeds; seed++) {
        ih_conf c = { .slave = true, .keys = "x-inject-eio=64+8",
                      .slave_keys = (seed & 1) ? "devtype=cdrom" : NULL };
        rng r = { 0x9e3779b97f4a7c15ull * seed };
        uint8_t *ram;
        ih h;

        ih_setup(&h, &c);
        ram = hv_memhost_ram(h.mh);
        /* Garbage memory: random PRD tables wherever the guest points. */
        for (size_t i = 0; i < IH_RAM_SIZE; i += 4) {
            uint32_t x = rnd(&r);

            /* Keep region sizes small-ish so the run stays quick. */
            memcpy(ram + i, &x, 4);
        }
        for (unsigned i = 0; i < 3000; i++) {
            random_op(&h, &r);
        }
        for (int i = 0; i < 50; i++) {
            hv_loop_run_once(h.loop, 1);
        }
        ih_teardown(&h);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide/hostile/random-registers", test_hostile);
    return g_test_run();
}
