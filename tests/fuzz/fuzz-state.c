/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: device state files (hvmemu/state.h, hw/core/state.c,
 * hw/ide/ide_state.c, hw/net/e1000_state.c) as --restore reads them: a
 * hostile or corrupt state must be refused or loaded into devices that
 * then behave, never crash the daemon or make it touch anything outside
 * guest RAM and the disk.
 *
 * Machine (a fresh one per input; loads are meant for new devices): hda
 * rw 512 sectors, hdc an empty ATAPI drive, an e1000 without backend,
 * 1 MiB of RAM.
 *
 * Input: scenario:u8 then edits until it ends, each
 *   where:u16 value:u8      byte @where (mod the state's length) := value
 * The scenario builds a real state on a source machine (once; idle; mid PIO
 * read; mid PIO write; IDENTIFY pending; ATAPI INQUIRY reply pending; the
 * e1000 with a receive ring), the edits corrupt it, and it gets a valid
 * SHA-256 again (scenario bit 7 clear) so the fuzzer reaches the section
 * and device parsers instead of the checksum. Scenario 0xff: the input
 * after it is the whole file, as is.
 *
 * After a load: the guest pokes every device (data port bursts, a
 * command, the bus master, e1000 registers and doorbells) with bounded
 * work, as fz_host checks. Disk image size never changes.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/ide/ide_regs.h"
#include "hw/net/e1000_regs.h"
#include "tests/fuzz/fuzz.h"

#define ST_RAM       (1u << 20)
#define ST_HD_BYTES  (512u * 512u)
#define ST_BM        0xc000u
#define ST_MMIO      0xfebc0000u
#define ST_IDE_SBDF  HV_SBDF(0, 0, 1, 1)
#define ST_NIC_SBDF  HV_SBDF(0, 0, 4, 0)

extern const hv_device_class ide_piix_class;
extern const hv_device_class e1000_class;

static char *hd_path;

typedef struct machine {
    fz_host host;
    hv_loop *loop;
    hv_ctx *ctx;
} machine;

/* Twins share the image; the source still holds its lock. */
static bool excuse(void *opaque, const hv_blk *b, char **why)
{
    return true;
}

static void machine_new(machine *m)
{
    g_autofree char *ide = g_strdup_printf(
        "piix-ide,addr=00:01.1,disk0=file:%s,,hda,,w,"
        "disk1=vdev=hdc,,devtype=cdrom,,target=", hd_path);
    GError *err = NULL;

    fz_host_init(&m->host, ST_RAM, 1u << 20, 1ull << 32);
    m->loop = hv_loop_new();
    m->ctx = hv_ctx_new(fz_host_ops(), &m->host, m->loop);
    hv_ctx_set_lock_excuse(m->ctx, excuse, NULL);
    FZ_CHECK(hv_device_create(m->ctx, ide, &err), "piix: %s", err->message);
    FZ_CHECK(hv_device_create(m->ctx, "e1000,backend=none,addr=00:04.0,"
                              "mac=00:16:3e:00:00:01", &err),
             "e1000: %s", err->message);
}

static void machine_free(machine *m)
{
    hv_ctx_free(m->ctx);
    hv_loop_free(m->loop);
    fz_host_fini(&m->host);
}

static void outb(machine *m, uint16_t port, uint32_t v, unsigned size)
{
    fz_host_op_begin(&m->host);
    hv_dispatch_write(m->ctx, HV_SPACE_PIO, port, size, v);
    fz_host_op_end(&m->host, "port write");
}

static uint32_t inp(machine *m, uint16_t port, unsigned size)
{
    uint32_t v;

    fz_host_op_begin(&m->host);
    v = (uint32_t)hv_dispatch_read(m->ctx, HV_SPACE_PIO, port, size);
    fz_host_op_end(&m->host, "port read");
    return v;
}

static void cfg(machine *m, uint32_t sbdf, unsigned reg, unsigned size,
                uint32_t v)
{
    hv_dispatch_write(m->ctx, HV_SPACE_PCI, HV_PCI_ADDR(sbdf, reg), size, v);
}

static void mmio_wr(machine *m, unsigned off, uint32_t v)
{
    fz_host_op_begin(&m->host);
    hv_dispatch_write(m->ctx, HV_SPACE_MMIO, ST_MMIO + off, 4, v);
    fz_host_op_end(&m->host, "mmio write");
}

static void ata(machine *m, uint16_t base, uint8_t dev, uint8_t cmd,
                uint8_t count, uint32_t lba)
{
    outb(m, base + ATA_REG_NSECTOR, count, 1);
    outb(m, base + ATA_REG_LBAL, lba & 0xff, 1);
    outb(m, base + ATA_REG_LBAM, (lba >> 8) & 0xff, 1);
    outb(m, base + ATA_REG_LBAH, (lba >> 16) & 0xff, 1);
    outb(m, base + ATA_REG_DEVICE, ATA_DEV_LBA | dev, 1);
    outb(m, base + ATA_REG_COMMAND, cmd, 1);
}

static void pump(machine *m)
{
    fz_host_op_begin(&m->host);
    fz_pump(m->loop, 64);
    fz_host_op_end(&m->host, "completions");
}

/* The source machine in one of the states a guest can leave it in. */
static GBytes *source_state(uint8_t scenario)
{
    static const uint8_t inquiry[12] = { 0x12, 0, 0, 0, 96 };
    machine m;
    GError *err = NULL;
    GBytes *b;

    machine_new(&m);
    cfg(&m, ST_IDE_SBDF, 0x20, 4, ST_BM);
    cfg(&m, ST_IDE_SBDF, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    cfg(&m, ST_NIC_SBDF, PCI_BASE_ADDRESS_0, 4, ST_MMIO);
    cfg(&m, ST_NIC_SBDF, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
        PCI_COMMAND_MASTER);
    switch (scenario % 6) {
    case 1:                                 /* mid PIO read */
        ata(&m, IDE_PRI_CMD, 0, ATA_CMD_READ_SECTORS, 4, 20);
        pump(&m);
        for (unsigned i = 0; i < 100; i++) {
            inp(&m, IDE_PRI_CMD, 2);
        }
        break;
    case 2:                                 /* mid PIO write */
        ata(&m, IDE_PRI_CMD, 0, ATA_CMD_WRITE_SECTORS, 3, 7);
        for (unsigned i = 0; i < 300; i++) {
            outb(&m, IDE_PRI_CMD, i, 2);
        }
        pump(&m);
        break;
    case 3:                                 /* IDENTIFY waiting */
        ata(&m, IDE_PRI_CMD, 0, 0xec, 0, 0);
        break;
    case 4:                                 /* an ATAPI reply waiting */
        outb(&m, IDE_SEC_CMD + ATA_REG_DEVICE, 0, 1);
        outb(&m, IDE_SEC_CMD + ATA_REG_LBAM, 0x00, 1);
        outb(&m, IDE_SEC_CMD + ATA_REG_LBAH, 0x08, 1);
        outb(&m, IDE_SEC_CMD + ATA_REG_COMMAND, ATA_CMD_PACKET, 1);
        for (unsigned i = 0; i < 6; i++) {
            outb(&m, IDE_SEC_CMD, inquiry[2 * i] | inquiry[2 * i + 1] << 8,
                 2);
        }
        break;
    case 5:                                 /* e1000 with its rings */
        mmio_wr(&m, E1000_RDBAL, 0x40000);
        mmio_wr(&m, E1000_RDLEN, 8 * 16);
        mmio_wr(&m, E1000_RDT, 7);
        mmio_wr(&m, E1000_RCTL, E1000_RCTL_EN);
        mmio_wr(&m, E1000_TDBAL, 0x10000);
        mmio_wr(&m, E1000_TDLEN, 8 * 16);
        mmio_wr(&m, E1000_TCTL, E1000_TCTL_EN);
        mmio_wr(&m, E1000_IMS, 0xffff);
        mmio_wr(&m, E1000_ICS, E1000_ICR_TXDW);
        break;
    }
    /* Backend requests end before a save (as the daemon waits). */
    for (unsigned i = 0; i < 2000 && hv_ctx_state_busy(m.ctx); i++) {
        hv_loop_run_once(m.loop, 1);
    }
    b = hv_ctx_save_state(m.ctx, &err);
    FZ_CHECK(b, "save: %s", err ? err->message : "?");
    machine_free(&m);
    return b;
}

static void reseal(uint8_t *p, size_t len)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    gsize dlen = 32;

    if (len >= 32) {
        g_checksum_update(sum, p, len - 32);
        g_checksum_get_digest(sum, p + len - 32, &dlen);
    }
}

/* The guest carries on with whatever was loaded. */
static void poke(machine *m)
{
    for (unsigned ch = 0; ch < 2; ch++) {
        uint16_t base = ch ? IDE_SEC_CMD : IDE_PRI_CMD;

        for (unsigned i = 0; i < 300; i++) {
            inp(m, base, 2);
        }
        for (unsigned i = 0; i < 300; i++) {
            outb(m, base, i, 2);
        }
        inp(m, base + ATA_REG_STATUS, 1);
        outb(m, ST_BM + 8 * ch, BM_CMD_START | BM_CMD_WRITE, 1);
        pump(m);
        ata(m, base, 0, ATA_CMD_READ_DMA, 2, 1);
        pump(m);
        outb(m, ST_BM + 8 * ch, 0, 1);
    }
    mmio_wr(m, E1000_TDT, 3);
    mmio_wr(m, E1000_RDT, 2);
    mmio_wr(m, E1000_ICR, 0xffffffff);
    pump(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    uint8_t scenario;
    g_autofree uint8_t *buf = NULL;
    g_autoptr(GBytes) src = NULL;
    GError *err = NULL;
    struct stat st;
    size_t len;
    machine m;

    fz_init_once();
    if (!hd_path) {
        int fd = g_file_open_tmp("fuzz-state-XXXXXX", &hd_path, NULL);

        FZ_CHECK(fd >= 0 && ftruncate(fd, ST_HD_BYTES) == 0, "image");
        close(fd);
    }
    scenario = fz_u8(&in);
    if (scenario == 0xff) {
        len = in.n;
        buf = g_memdup2(in.p, len ? len : 1);
    } else {
        /* Built once per scenario: the source never changes. */
        static GBytes *cache[6];

        if (!cache[(scenario & 0x7f) % 6]) {
            cache[(scenario & 0x7f) % 6] = source_state(scenario & 0x7f);
        }
        src = g_bytes_ref(cache[(scenario & 0x7f) % 6]);
        len = g_bytes_get_size(src);
        buf = g_memdup2(g_bytes_get_data(src, NULL), len);
        while (fz_more(&in)) {
            uint16_t where = fz_u16(&in);

            buf[where % len] = fz_u8(&in);
        }
        if (!(scenario & 0x80)) {
            reseal(buf, len);
        }
    }
    machine_new(&m);
    if (hv_ctx_load_state(m.ctx, buf, len, &err)) {
        poke(&m);
    } else {
        FZ_CHECK(err && g_utf8_validate(err->message, -1, NULL),
                 "refused without a readable reason");
        g_clear_error(&err);
    }
    machine_free(&m);
    FZ_CHECK(stat(hd_path, &st) == 0 && st.st_size == ST_HD_BYTES,
             "the disk image changed size");
    return 0;
}
