/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the PIIX IDE controller (hw/ide) as a hostile guest drives
 * it: task-file registers, PIO data bursts, ATA and ATAPI commands,
 * bus-master DMA through a PRD table the guest writes, config space.
 *
 * Machine: hda (rw, 512 sectors), hdb (rw, I/O errors injected at LBA
 * 8..15) on the primary channel, hdc an ATAPI DVD-ROM (1024 blocks of
 * 2 KiB) on the secondary; 1 MiB of RAM; BMIBA at 0xc000. Images are
 * reset to a pattern before every input, so inputs replay alike (backend
 * completion timing still varies: WAIT/PUMP only run what is ready).
 *
 * Input: operations until it ends, each op:u8 then
 *   PIO_WR   port:u8 size:u8 val:u32   port from the channel/BM windows
 *   PIO_RD   port:u8 size:u8
 *   ATA      ch:u8 dev:u8 feat:u8 count:u16 lba:u48 cmd:u8
 *                                       cmd indexes ata_cmds[] or is raw;
 *                                       ch bit 1: LBA48 (HOB bytes first)
 *   PRD      slot:u8 addr:u32 len:u16 eot:u8   an entry of the PRD table
 *   BM       ch:u8 cmd:u8 prdt:u8       PRDT register (table / raw), then
 *                                       BM command (start, direction)
 *   RAM_WR   addr:u32 len:u8 bytes
 *   CFG_WR   sel:u8 size:u8 val:u32     COMMAND / BAR4 / raw register
 *   DATA     ch:u8 n:u8 [words]         n*16 data-port accesses (rep insw
 *                                       / outsw; writes take input bytes)
 *   PACKET   ch:u8 cdb[12]              ATAPI PACKET + the CDB
 *   PUMP                                run ready completions (no wait)
 *   WAIT     ms:u8                      wait up to ms%3 ms for completions
 *   RESET                               hv_ctx_reset
 *
 * Invariants (on top of fz_host's: RAM bounds, bounded work per op, ISA
 * IRQ edges): disk images never change size (no write beyond the disk),
 * the CD image is never written, Alternate Status never shows BSY and DRQ
 * together (ATA-7 §7.15: DRQ is only valid with BSY clear).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/ide/ide_regs.h"
#include "tests/fuzz/fuzz.h"

#define IDE_RAM        (1u << 20)
#define IDE_SBDF       HV_SBDF(0, 0, 1, 1)
#define IDE_BM         0xc000u
#define IDE_PRDT       0x1000u     /* the PRD table the ops write */
#define IDE_HD_BYTES   (512u * 512u)
#define IDE_CD_BYTES   (1024u * 2048u)
/* One command moves at most 65536 sectors (LBA48) in PRD pieces of at
 * least one byte: bounded, but generously. */
#define IDE_MAX_CALLS  (1u << 20)
#define IDE_MAX_BYTES  (1ull << 32)

extern const hv_device_class ide_piix_class;

enum {
    OP_PIO_WR, OP_PIO_RD, OP_ATA, OP_PRD, OP_BM, OP_RAM_WR, OP_CFG_WR,
    OP_DATA, OP_PACKET, OP_PUMP, OP_WAIT, OP_RESET, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
    "PIO_WR", "PIO_RD", "ATA", "PRD", "BM", "RAM_WR", "CFG_WR", "DATA",
    "PACKET", "PUMP", "WAIT", "RESET",
};

static const uint8_t ata_cmds[] = {
    ATA_CMD_READ_DMA, ATA_CMD_WRITE_DMA, ATA_CMD_READ_DMA_EXT,
    ATA_CMD_WRITE_DMA_EXT, ATA_CMD_READ_SECTORS, ATA_CMD_WRITE_SECTORS,
    ATA_CMD_READ_SECTORS_EXT, ATA_CMD_WRITE_SECTORS_EXT,
    ATA_CMD_READ_MULTIPLE, ATA_CMD_WRITE_MULTIPLE, ATA_CMD_SET_MULTIPLE,
    ATA_CMD_READ_MULTIPLE_EXT, ATA_CMD_WRITE_MULTIPLE_EXT,
    ATA_CMD_IDENTIFY, ATA_CMD_IDENTIFY_PACKET, ATA_CMD_PACKET,
    ATA_CMD_SET_FEATURES, ATA_CMD_FLUSH_CACHE, ATA_CMD_FLUSH_CACHE_EXT,
    ATA_CMD_VERIFY, ATA_CMD_VERIFY_EXT, ATA_CMD_DSM, ATA_CMD_DEVICE_RESET,
    ATA_CMD_DIAGNOSE, ATA_CMD_INIT_DEV_PARAMS, ATA_CMD_READ_NATIVE_MAX,
    ATA_CMD_READ_NATIVE_MAX_EXT, ATA_CMD_CHECK_POWER, ATA_CMD_SEEK,
    ATA_CMD_STANDBY_IMMEDIATE, ATA_CMD_SLEEP, ATA_CMD_NOP,
};

static const uint16_t cmd_base[2] = { IDE_PRI_CMD, IDE_SEC_CMD };
static const uint16_t ctl_port[2] = { IDE_PRI_CTL, IDE_SEC_CTL };

typedef struct fide {
    fz_host host;
    hv_loop *loop;
    hv_ctx *ctx;
} fide;

static char *img_path[3];   /* hda, hdb, hdc: made once per process */
static struct timespec cd_mtime;    /* as fill_image left the CD */

static void fill_image(const char *path, size_t bytes)
{
    static uint8_t block[4096];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    FZ_CHECK(fd >= 0, "%s: %s", path, g_strerror(errno));
    for (size_t off = 0; off < bytes; off += sizeof(block)) {
        for (size_t i = 0; i < sizeof(block); i++) {
            block[i] = (uint8_t)((off + i) / 512 + i);
        }
        FZ_CHECK(pwrite(fd, block, sizeof(block), (off_t)off) ==
                 (ssize_t)sizeof(block), "write %s", path);
    }
    close(fd);
}

static void images_reset(void)
{
    static char *dir;
    struct stat st;

    if (!dir) {
        dir = g_dir_make_tmp("hvmemu-fuzz-ide-XXXXXX", NULL);
        FZ_CHECK(dir, "tmp dir");
        img_path[0] = g_build_filename(dir, "hda.img", NULL);
        img_path[1] = g_build_filename(dir, "hdb.img", NULL);
        img_path[2] = g_build_filename(dir, "cd.iso", NULL);
        fill_image(img_path[2], IDE_CD_BYTES);
        FZ_CHECK(stat(img_path[2], &st) == 0, "stat cd");
        cd_mtime = st.st_mtim;
    }
    fill_image(img_path[0], IDE_HD_BYTES);
    fill_image(img_path[1], IDE_HD_BYTES);
}

static off_t file_size(const char *path)
{
    struct stat st;

    FZ_CHECK(stat(path, &st) == 0, "stat %s", path);
    return st.st_size;
}

static bool cd_unchanged(void)
{
    struct stat st;

    FZ_CHECK(stat(img_path[2], &st) == 0, "stat cd");
    return st.st_size == IDE_CD_BYTES && st.st_mtim.tv_sec == cd_mtime.tv_sec &&
           st.st_mtim.tv_nsec == cd_mtime.tv_nsec;
}

static void cfg_wr(fide *f, unsigned reg, unsigned size, uint32_t v)
{
    hv_dispatch_write(f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(IDE_SBDF, reg), size,
                      v);
}

static void ide_setup(fide *f)
{
    GError *err = NULL;
    hv_opts *o = hv_opts_parse("addr=00:01.1", &err);
    g_autofree char *d0 = NULL, *d1 = NULL, *d2 = NULL;

    images_reset();
    fz_host_init(&f->host, IDE_RAM, IDE_MAX_CALLS, IDE_MAX_BYTES);
    f->loop = hv_loop_new();
    f->ctx = hv_ctx_new(fz_host_ops(), &f->host, f->loop);
    d0 = g_strdup_printf("format=raw,vdev=hda,access=rw,target=%s",
                         img_path[0]);
    d1 = g_strdup_printf("format=raw,vdev=hdb,access=rw,"
                         "x-inject-eio=8+8,target=%s", img_path[1]);
    d2 = g_strdup_printf("format=raw,vdev=hdc,access=ro,devtype=cdrom,"
                         "target=%s", img_path[2]);
    hv_opts_set(o, "disk0", d0);
    hv_opts_set(o, "disk1", d1);
    hv_opts_set(o, "disk2", d2);
    FZ_CHECK(hv_device_create_opts(f->ctx, &ide_piix_class, o, &err),
             "create: %s", err ? err->message : "?");
    hv_opts_free(o);
    cfg_wr(f, 0x20, 4, IDE_BM);
    cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
}

static void ide_teardown(fide *f)
{
    hv_ctx_free(f->ctx);    /* waits for in-flight requests */
    hv_loop_free(f->loop);
    fz_host_fini(&f->host);
    FZ_CHECK(cd_unchanged(), "the read-only CD image was written");
    FZ_CHECK(file_size(img_path[0]) == IDE_HD_BYTES &&
             file_size(img_path[1]) == IDE_HD_BYTES &&
             file_size(img_path[2]) == IDE_CD_BYTES,
             "a disk image changed size: wrote beyond the disk");
}

static uint16_t pick_port(uint8_t sel)
{
    unsigned ch = (sel >> 7) & 1;

    switch ((sel >> 4) & 7) {
    case 0: case 1: case 2:
        return (uint16_t)(cmd_base[ch] + (sel & 7));
    case 3:
        return ctl_port[ch];
    case 4: case 5:
        return (uint16_t)(IDE_BM + (sel & 15));
    default:
        return (uint16_t)(cmd_base[ch] + (sel & 15) - 4);  /* around */
    }
}

static void outb(fide *f, uint16_t port, uint8_t v)
{
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, port, 1, v);
}

static void op_ata(fide *f, fz_in *in)
{
    uint8_t chs = fz_u8(in);
    unsigned ch = chs & 1;
    uint8_t dev = fz_u8(in), feat = fz_u8(in);
    uint16_t count = fz_u16(in);
    uint64_t lba = fz_u32(in) | (uint64_t)fz_u16(in) << 32;
    uint8_t c = fz_u8(in);
    uint16_t b = cmd_base[ch];

    if (c < sizeof(ata_cmds) * 6) {
        c = ata_cmds[c % sizeof(ata_cmds)];
    }
    /* Small LBAs and counts mostly, so commands stay inside the disk. */
    if (!(chs & 4)) {
        lba %= 600;
        count %= 24;
    }
    if (chs & 2) {  /* LBA48: the "previous" (high) bytes first */
        outb(f, b + ATA_REG_FEATURE, 0);
        outb(f, b + ATA_REG_NSECTOR, (uint8_t)(count >> 8));
        outb(f, b + ATA_REG_LBAL, (uint8_t)(lba >> 24));
        outb(f, b + ATA_REG_LBAM, (uint8_t)(lba >> 32));
        outb(f, b + ATA_REG_LBAH, (uint8_t)(lba >> 40));
    }
    outb(f, b + ATA_REG_FEATURE, feat);
    outb(f, b + ATA_REG_NSECTOR, (uint8_t)count);
    outb(f, b + ATA_REG_LBAL, (uint8_t)lba);
    outb(f, b + ATA_REG_LBAM, (uint8_t)(lba >> 8));
    outb(f, b + ATA_REG_LBAH, (uint8_t)(lba >> 16));
    outb(f, b + ATA_REG_DEVICE, (uint8_t)((dev & 0xbf ? dev : 0) |
                                          ATA_DEV_LBA |
                                          ((lba >> 24) & 0xf)));
    outb(f, b + ATA_REG_COMMAND, c);
}

static void op_prd(fide *f, fz_in *in)
{
    unsigned slot = fz_u8(in);
    uint32_t addr = fz_u32(in), len = fz_u16(in);
    uint8_t flags = fz_u8(in);
    uint8_t e[8];

    if (!(flags & 2)) {
        addr %= IDE_RAM + 0x1000;   /* a page past the end too */
    }
    e[0] = (uint8_t)addr;
    e[1] = (uint8_t)(addr >> 8);
    e[2] = (uint8_t)(addr >> 16);
    e[3] = (uint8_t)(addr >> 24);
    e[4] = (uint8_t)len;
    e[5] = (uint8_t)(len >> 8);
    e[6] = (flags & 4) ? flags : 0;         /* reserved bits, sometimes */
    e[7] = (flags & 1) ? 0x80 : 0;          /* EOT */
    memcpy(fz_host_ram(&f->host) + IDE_PRDT + slot * 8u, e, sizeof(e));
}

static void op_bm(fide *f, fz_in *in)
{
    unsigned ch = fz_u8(in) & 1;
    uint8_t cmd = fz_u8(in), psel = fz_u8(in);
    uint16_t b = (uint16_t)(IDE_BM + ch * BM_CHANNEL_STRIDE);
    uint32_t prdt = IDE_PRDT;

    if (psel >= 0xc0) {
        prdt = fz_u32(in);              /* anywhere, unaligned too */
    } else if (psel >= 0x80) {
        prdt = IDE_RAM - 8 * (psel & 7);  /* table running off RAM */
    }
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, b + BM_REG_PRDT, 4, prdt);
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, b + BM_REG_STATUS, 1,
                      BM_ST_ERR | BM_ST_INTR | BM_ST_DMA0 | BM_ST_DMA1);
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, b + BM_REG_CMD, 1, cmd);
}

static void op_cfg(fide *f, fz_in *in)
{
    uint8_t sel = fz_u8(in);
    unsigned size = fz_size(fz_u8(in), false);
    uint32_t val = fz_u32(in);

    switch (sel % 4) {
    case 0:
        cfg_wr(f, PCI_COMMAND, 2, val);
        break;
    case 1:     /* BMIBA: ours, sizing, on top of the legacy ports */
        cfg_wr(f, 0x20, 4, (val & 1) ? ~0u : (val & 2) ? 0x1f0 : IDE_BM);
        break;
    default:
        cfg_wr(f, fz_u8(in), size, val);
        break;
    }
}

static void op_data(fide *f, fz_in *in)
{
    uint8_t chs = fz_u8(in);
    unsigned n = (fz_u8(in) + 1u) * 16;
    uint16_t port = cmd_base[chs & 1];
    unsigned size = (chs & 2) ? 4 : 2;

    for (unsigned i = 0; i < n; i++) {
        if (chs & 4) {
            hv_dispatch_write(f->ctx, HV_SPACE_PIO, port, size,
                              size == 4 ? fz_u32(in) : fz_u16(in));
        } else {
            hv_dispatch_read(f->ctx, HV_SPACE_PIO, port, size);
        }
    }
}

static void op_packet(fide *f, fz_in *in)
{
    unsigned ch = fz_u8(in) & 1;
    uint16_t b = cmd_base[ch];
    uint8_t cdb[12] = { 0 };

    fz_bytes(in, cdb, sizeof(cdb));
    outb(f, b + ATA_REG_DEVICE, ch ? 0 : ATA_DEV_DEV);  /* the ATAPI unit */
    outb(f, b + ATA_REG_FEATURE, cdb[11] & 1);          /* DMA sometimes */
    outb(f, b + ATA_REG_LBAM, 0x00);
    outb(f, b + ATA_REG_LBAH, 0x08);                    /* byte count 2048 */
    outb(f, b + ATA_REG_COMMAND, ATA_CMD_PACKET);
    for (unsigned i = 0; i < 12; i += 2) {
        hv_dispatch_write(f->ctx, HV_SPACE_PIO, b, 2,
                          cdb[i] | (unsigned)cdb[i + 1] << 8);
    }
}

static void op_wait(fide *f, unsigned ms)
{
    for (unsigned i = 0; i < 8; i++) {
        int r = hv_loop_run_once(f->loop, (int)ms);
        FZ_CHECK(r >= 0, "loop: %d", r);
        if (r == 0) {
            break;
        }
    }
}

/* Status (via Alternate Status: no side effects) is never BSY|DRQ. */
static void check_channel(fide *f, unsigned ch)
{
    uint8_t st = (uint8_t)hv_dispatch_read(f->ctx, HV_SPACE_PIO,
                                           ctl_port[ch], 1);

    FZ_CHECK(st == 0xff || st == 0x00 ||
             (st & (ATA_SR_BSY | ATA_SR_DRQ)) != (ATA_SR_BSY | ATA_SR_DRQ),
             "channel %u status %02x: BSY and DRQ together", ch, st);
}

static void run_op(fide *f, fz_in *in)
{
    unsigned op = fz_u8(in) % OP_COUNT;

    fz_host_op_begin(&f->host);
    switch (op) {
    case OP_PIO_WR: {
        uint16_t port = pick_port(fz_u8(in));
        unsigned size = fz_size(fz_u8(in), false);
        hv_dispatch_write(f->ctx, HV_SPACE_PIO, port, size, fz_u32(in));
        break;
    }
    case OP_PIO_RD: {
        uint16_t port = pick_port(fz_u8(in));
        hv_dispatch_read(f->ctx, HV_SPACE_PIO, port,
                         fz_size(fz_u8(in), false));
        break;
    }
    case OP_ATA:
        op_ata(f, in);
        break;
    case OP_PRD:
        op_prd(f, in);
        break;
    case OP_BM:
        op_bm(f, in);
        break;
    case OP_RAM_WR: {
        uint64_t gpa = fz_u32(in) % IDE_RAM;
        uint8_t buf[256];
        size_t n = fz_u8(in);
        n = fz_bytes(in, buf, n);
        memcpy(fz_host_ram(&f->host) + gpa, buf, MIN(n, IDE_RAM - gpa));
        break;
    }
    case OP_CFG_WR:
        op_cfg(f, in);
        break;
    case OP_DATA:
        op_data(f, in);
        break;
    case OP_PACKET:
        op_packet(f, in);
        break;
    case OP_PUMP:
        fz_pump(f->loop, 16);
        break;
    case OP_WAIT:
        op_wait(f, fz_u8(in) % 3);
        break;
    case OP_RESET:
        hv_ctx_reset(f->ctx);
        break;
    }
    fz_host_op_end(&f->host, op_names[op]);
    check_channel(f, 0);
    check_channel(f, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    fide f;

    fz_init_once();
    memset(&f, 0, sizeof(f));
    ide_setup(&f);
    while (fz_more(&in)) {
        run_op(&f, &in);
    }
    fz_host_op_begin(&f.host);
    op_wait(&f, 1);
    fz_host_op_end(&f.host, "final wait");
    ide_teardown(&f);
    return 0;
}
