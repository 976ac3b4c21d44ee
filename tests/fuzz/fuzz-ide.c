/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the PIIX IDE controller (hw/ide) as a hostile guest drives
 * it: task-file registers, PIO data bursts, ATA and ATAPI commands,
 * bus-master DMA through a PRD table the guest writes, config space.
 *
 * Machine: hda (rw, 512 sectors), hdb (rw, I/O errors injected at LBA
 * 8..15) on the primary channel, hdc an ATAPI DVD-ROM (1024 blocks of
 * 2 KiB) on the secondary; 1 MiB of RAM; BMIBA at 0xc000. The machine
 * is built once and reset between inputs (see ide_end_input); images and
 * RAM are put back as they were, so inputs replay alike (backend
 * completion timing still varies: WAIT/PUMP only run what is ready).
 * FUZZ_FRESH=1 builds a new machine for every input instead.
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
 *   WAIT     t:u8                       wait up to (t%3) x 25 us for
 *                                       completions
 *   RESET                               hv_ctx_reset
 *
 * Invariants (on top of fz_host's: RAM bounds, bounded work per op, ISA
 * IRQ edges): the device state saved after an input loads into a fresh
 * twin (every 4th input; FUZZ_STATE_EVERY=1: all), disk images never
 * change size (no write beyond the disk),
 * the CD image is never written, Alternate Status never shows BSY and DRQ
 * together (ATA-7 §7.15: DRQ is only valid with BSY clear).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
#define IDE_WAIT_NS    25000ull    /* op_wait's unit */

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
    GArray *claims;     /* what the settled machine claims */
    hv_timer *tick;     /* bounds op_wait */
    bool ticked;
} fide;

/*
 * The machine is built once and reset between inputs (README.md "Speed"):
 * building it costs ~20 ms under ASan (three drives with 1 MiB DMA buffers
 * on fresh pages, io_uring rings, 2 MiB of image data), resetting it
 * ~0.1 ms. After every input: hv_ctx_reset, wait until no drive is BSY
 * (backend requests drained), reset again, and compare a fingerprint of
 * every guest-visible register, IDENTIFY data and config space with the
 * one the freshly built machine had — so each input starts from the same
 * state, and a reset that leaves guest-visible state behind is a finding.
 * Then the images are compared with their pattern (only changed 4 KiB
 * blocks rewritten) and dirty RAM pages zeroed. A guest that ejected the
 * CD (START STOP UNIT) changed what a reset cannot undo: that machine is
 * torn down (all teardown checks) and the next input gets a new one, as
 * it does after every input with FUZZ_FRESH=1.
 */
static fide machine;
static bool machine_built;
/* Fingerprints of a freshly built machine: registers and config space;
 * the same with each drive's IDENTIFY data, which costs three commands
 * and 384 data-port reads, so it is taken after every 8th input. */
static GByteArray *golden[2];
static unsigned settles;

static char *img_dir, *img_path[3];    /* hda, hdb, hdc */
static int img_fd[2] = { -1, -1 };     /* hda, hdb: ours, to restore them */
static const uint8_t *img_map[2];      /* and mapped, to compare them */
static uint8_t *hd_pattern;            /* what hda and hdb hold */
static struct timespec cd_mtime;       /* as the pattern left the CD */

static void make_pattern(uint8_t *p, size_t bytes)
{
    for (size_t off = 0; off < bytes; off++) {
        p[off] = (uint8_t)(off / 512 + off % 4096);
    }
}

static void write_image(const char *path, const uint8_t *p, size_t bytes)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    FZ_CHECK(fd >= 0, "%s: %s", path, g_strerror(errno));
    FZ_CHECK(pwrite(fd, p, bytes, 0) == (ssize_t)bytes, "write %s", path);
    close(fd);
}

static void images_remove(void)
{
    for (unsigned i = 0; i < 3; i++) {
        if (i < 2 && img_fd[i] >= 0) {
            munmap((void *)img_map[i], IDE_HD_BYTES);
            close(img_fd[i]);
        }
        unlink(img_path[i]);
    }
    rmdir(img_dir);
}

/* Once per process. On tmpfs when there is one: FLUSH CACHE is an
 * fdatasync, which costs milliseconds on a disk and nothing there. */
static void images_create(void)
{
    g_autofree uint8_t *cd = g_malloc(IDE_CD_BYTES);
    char shm[] = "/dev/shm/hvmemu-fuzz-ide-XXXXXX";
    struct stat st;

    img_dir = g_strdup(mkdtemp(shm));
    if (!img_dir) {
        img_dir = g_dir_make_tmp("hvmemu-fuzz-ide-XXXXXX", NULL);
    }
    FZ_CHECK(img_dir, "tmp dir");
    img_path[0] = g_build_filename(img_dir, "hda.img", NULL);
    img_path[1] = g_build_filename(img_dir, "hdb.img", NULL);
    img_path[2] = g_build_filename(img_dir, "cd.iso", NULL);
    hd_pattern = g_malloc(IDE_HD_BYTES);
    make_pattern(hd_pattern, IDE_HD_BYTES);
    make_pattern(cd, IDE_CD_BYTES);
    for (unsigned i = 0; i < 2; i++) {
        write_image(img_path[i], hd_pattern, IDE_HD_BYTES);
        img_fd[i] = open(img_path[i], O_RDWR);
        FZ_CHECK(img_fd[i] >= 0, "%s: %s", img_path[i], g_strerror(errno));
        img_map[i] = mmap(NULL, IDE_HD_BYTES, PROT_READ, MAP_SHARED,
                          img_fd[i], 0);
        FZ_CHECK(img_map[i] != MAP_FAILED, "mmap %s", img_path[i]);
    }
    write_image(img_path[2], cd, IDE_CD_BYTES);
    FZ_CHECK(stat(img_path[2], &st) == 0, "stat cd");
    cd_mtime = st.st_mtim;
    atexit(images_remove);
}

/* Invariants on the images, then hda/hdb back to the pattern: only the
 * 4 KiB blocks that differ are rewritten (compared through a read-only
 * shared mapping of the page cache: no copy). */
static void images_check_restore(void)
{
    struct stat st;

    FZ_CHECK(stat(img_path[2], &st) == 0, "stat cd");
    FZ_CHECK(st.st_size == IDE_CD_BYTES &&
             st.st_mtim.tv_sec == cd_mtime.tv_sec &&
             st.st_mtim.tv_nsec == cd_mtime.tv_nsec,
             "the read-only CD image was written");
    for (unsigned i = 0; i < 2; i++) {
        FZ_CHECK(fstat(img_fd[i], &st) == 0 && st.st_size == IDE_HD_BYTES,
                 "a disk image changed size: wrote beyond the disk");
        for (size_t off = 0; off < IDE_HD_BYTES; off += 4096) {
            if (memcmp(img_map[i] + off, hd_pattern + off, 4096)) {
                FZ_CHECK(pwrite(img_fd[i], hd_pattern + off, 4096,
                                (off_t)off) == 4096, "restore %s",
                         img_path[i]);
            }
        }
    }
}

static void cfg_wr(fide *f, unsigned reg, unsigned size, uint32_t v)
{
    hv_dispatch_write(f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(IDE_SBDF, reg), size,
                      v);
}

static void outb(fide *f, uint16_t port, uint8_t v)
{
    hv_dispatch_write(f->ctx, HV_SPACE_PIO, port, 1, v);
}

static uint8_t inb(fide *f, uint16_t port)
{
    return (uint8_t)hv_dispatch_read(f->ctx, HV_SPACE_PIO, port, 1);
}

/* What a BIOS leaves: BMIBA assigned, I/O decode and bus mastering on;
 * Cache Line Size, Latency Timer and Interrupt Line as a fresh function
 * has them (hv_pci_reset keeps the guest's values: README "Findings"). */
static void ide_program(fide *f)
{
    cfg_wr(f, 0x0c, 2, 0);
    cfg_wr(f, PCI_INTERRUPT_LINE, 1, 0);
    cfg_wr(f, 0x20, 4, IDE_BM);
    cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
}

static unsigned op_wait(fide *f, unsigned units);
static void tick_cb(void *opaque);

/* Status of (ch, unit) through Alternate Status (no side effects). */
static uint8_t unit_status(fide *f, unsigned ch, unsigned unit)
{
    outb(f, cmd_base[ch] + ATA_REG_DEVICE, unit ? ATA_DEV_DEV : 0);
    return inb(f, ctl_port[ch]);
}

/* The drives present: hda, hdb on the primary channel, hdc secondary. */
static const struct { unsigned ch, unit; uint8_t identify; } drives[3] = {
    { 0, 0, ATA_CMD_IDENTIFY }, { 0, 1, ATA_CMD_IDENTIFY },
    { 1, 0, ATA_CMD_IDENTIFY_PACKET },
};

/* Wait while a drive is BSY, at most @tries x IDE_WAIT_NS. After a reset a
 * drive stays BSY until its backend requests are back, so there it must
 * clear (a request that never completes is a hang); before, a command
 * may wait for the guest (DMA not started) and the reset ends it. */
static void ide_drain(fide *f, unsigned tries, bool must)
{
    for (unsigned t = 0; ; t++) {
        bool busy = false;

        for (unsigned i = 0; i < 3; i++) {
            busy |= unit_status(f, drives[i].ch, drives[i].unit) & ATA_SR_BSY;
        }
        if (!busy) {
            return;
        }
        if (t == tries) {
            FZ_CHECK(!must, "backend requests still in flight %llu ms "
                     "after a reset", tries * IDE_WAIT_NS / 1000000);
            return;
        }
        if (!op_wait(f, 1) && !must) {
            return;     /* nothing came back: BSY waits for the guest */
        }
    }
}

/* Every register a guest can read without side effects on a settled
 * machine, and each drive's IDENTIFY data (current settings: multiple,
 * write cache, geometry, transfer mode). */
static GByteArray *ide_fingerprint(fide *f, bool identify)
{
    GByteArray *fp = g_byte_array_new();
    uint8_t b;

    for (unsigned ch = 0; ch < 2; ch++) {
        for (unsigned unit = 0; unit < 2; unit++) {
            b = unit_status(f, ch, unit);
            g_byte_array_append(fp, &b, 1);
            for (unsigned r = ATA_REG_ERROR; r <= ATA_REG_STATUS; r++) {
                b = inb(f, cmd_base[ch] + r);
                g_byte_array_append(fp, &b, 1);
            }
            outb(f, ctl_port[ch], ATA_DC_HOB);
            for (unsigned r = ATA_REG_NSECTOR; r <= ATA_REG_LBAH; r++) {
                b = inb(f, cmd_base[ch] + r);
                g_byte_array_append(fp, &b, 1);
            }
            outb(f, ctl_port[ch], 0);
        }
    }
    for (unsigned i = 0; i < 3 && identify; i++) {
        unsigned ch = drives[i].ch;

        unit_status(f, ch, drives[i].unit);
        outb(f, cmd_base[ch] + ATA_REG_COMMAND, drives[i].identify);
        for (unsigned t = 0; t < 100 && (inb(f, ctl_port[ch]) & ATA_SR_BSY);
             t++) {
            op_wait(f, 1);
        }
        b = inb(f, cmd_base[ch] + ATA_REG_STATUS);
        g_byte_array_append(fp, &b, 1);
        for (unsigned w = 0; w < 128 && (b & ATA_SR_DRQ); w++) {
            uint32_t v = (uint32_t)hv_dispatch_read(f->ctx, HV_SPACE_PIO,
                                                    cmd_base[ch], 4);
            g_byte_array_append(fp, (uint8_t *)&v, 4);
        }
    }
    for (unsigned r = 0; r < 256; r += 4) {
        uint32_t v = (uint32_t)hv_dispatch_read(
            f->ctx, HV_SPACE_PCI, HV_PCI_ADDR(IDE_SBDF, r), 4);
        g_byte_array_append(fp, (uint8_t *)&v, 4);
    }
    for (unsigned r = 0; r < 16; r++) {
        b = inb(f, (uint16_t)(IDE_BM + r));
        g_byte_array_append(fp, &b, 1);
    }
    return fp;
}

/* @full: with IDENTIFY data (golden[1]) or without (golden[0]). */
static void check_fingerprint(GByteArray *fp, bool full)
{
    GByteArray *want = golden[full];
    guint i = 0;

    if (!want) {
        golden[full] = fp;
        return;
    }
    while (i < fp->len && i < want->len && fp->data[i] == want->data[i]) {
        i++;
    }
    FZ_CHECK(fp->len == want->len && i == fp->len,
             "after a reset the guest sees state a fresh controller does not "
             "have: fingerprint%s byte %u of %u is %02x, fresh %02x",
             full ? " (with IDENTIFY)" : "", i, want->len,
             i < fp->len ? fp->data[i] : 0, i < want->len ? want->data[i] : 0);
    g_byte_array_unref(fp);
}

/* Reset, drain, reset, fingerprint (@full: with IDENTIFY), reset: the
 * settled machine. */
static void ide_settle(fide *f, bool full)
{
    fz_host_op_begin(&f->host);
    hv_ctx_reset(f->ctx);
    ide_program(f);
    ide_drain(f, 200000, true);  /* 5 s */
    hv_ctx_reset(f->ctx);
    ide_program(f);
    check_fingerprint(ide_fingerprint(f, full), full);
    hv_ctx_reset(f->ctx);
    ide_program(f);
    fz_host_op_end(&f->host, "settle");
    FZ_CHECK(!f->host.isa_level[IDE_PRI_IRQ] &&
             !f->host.isa_level[IDE_SEC_IRQ], "IRQ 14/15 high after reset");
}

/* The controller with its three drives on @ctx. */
static void ide_add_controller(hv_ctx *ctx)
{
    GError *err = NULL;
    hv_opts *o = hv_opts_parse("addr=00:01.1", &err);
    g_autofree char *d0 = NULL, *d1 = NULL, *d2 = NULL;

    d0 = g_strdup_printf("format=raw,vdev=hda,access=rw,target=%s",
                         img_path[0]);
    d1 = g_strdup_printf("format=raw,vdev=hdb,access=rw,"
                         "x-inject-eio=8+8,target=%s", img_path[1]);
    d2 = g_strdup_printf("format=raw,vdev=hdc,access=ro,devtype=cdrom,"
                         "target=%s", img_path[2]);
    hv_opts_set(o, "disk0", d0);
    hv_opts_set(o, "disk1", d1);
    hv_opts_set(o, "disk2", d2);
    FZ_CHECK(hv_device_create_opts(ctx, &ide_piix_class, o, &err),
             "create: %s", err ? err->message : "?");
    hv_opts_free(o);
}

static void ide_build(fide *f)
{
    if (!hd_pattern) {
        images_create();
    }
    fz_host_init(&f->host, IDE_RAM, IDE_MAX_CALLS, IDE_MAX_BYTES);
    f->loop = hv_loop_new();
    f->ctx = hv_ctx_new(fz_host_ops(), &f->host, f->loop);
    f->tick = hv_timer_new(f->loop, tick_cb, f);
    FZ_CHECK(f->tick, "timer");
    ide_add_controller(f->ctx);
    ide_settle(f, true);
    ide_settle(f, false);
    f->claims = fz_host_claims(&f->host);
    fz_host_ram_reset(&f->host);
}

static void ide_destroy(fide *f)
{
    hv_ctx_free(f->ctx);    /* waits for in-flight requests */
    hv_timer_free(f->tick);
    hv_loop_free(f->loop);
    fz_host_fini(&f->host);
    g_array_unref(f->claims);
    images_check_restore();
}

/* A disc the guest ejected stays ejected over a reset, as on a real
 * drive: that machine cannot serve the next input. */
static bool ide_reusable(fide *f)
{
    hv_unplug_info info;

    return !getenv("FUZZ_FRESH") &&
           hv_unplug_lookup(f->ctx, "hdc", &info) && info.blk;
}

static bool twin_excuse(void *opaque, const hv_blk *b, char **why)
{
    return true;    /* the source still holds the images' locks */
}

/* Every state hvmemu saves must load (docs/save-restore.md): whatever
 * the input left, when nothing is in flight, into a freshly built twin
 * on the same images. A refusal here is a finding (the loader's checks
 * are stricter than what the device really does). */
static void state_roundtrip(fide *f)
{
    g_autoptr(GBytes) st = NULL;
    GError *err = NULL;
    fz_host host;
    hv_loop *loop;
    hv_ctx *ctx;

    if (hv_ctx_state_busy(f->ctx)) {
        return;
    }
    st = hv_ctx_save_state(f->ctx, &err);
    FZ_CHECK(st, "save: %s", err ? err->message : "?");
    fz_host_init(&host, IDE_RAM, IDE_MAX_CALLS, IDE_MAX_BYTES);
    loop = hv_loop_new();
    ctx = hv_ctx_new(fz_host_ops(), &host, loop);
    hv_ctx_set_lock_excuse(ctx, twin_excuse, NULL);
    ide_add_controller(ctx);
    FZ_CHECK(hv_ctx_load_state(ctx, g_bytes_get_data(st, NULL),
                               g_bytes_get_size(st), &err),
             "a saved state does not load: %s", err ? err->message : "?");
    hv_ctx_free(ctx);
    hv_loop_free(loop);
    fz_host_fini(&host);
}

/* After an input: settled and clean for the next one, or torn down. */
static void ide_end_input(fide *f)
{
    static unsigned inputs;

    /* First the completions of what is in flight reach the live commands
     * (up to 1 ms; a command waiting for the guest is ended by reset). */
    fz_host_op_begin(&f->host);
    ide_drain(f, 40, false);
    fz_host_op_end(&f->host, "final wait");
    /* Every 4th input (a twin costs a machine build). */
    if (++inputs % 4 == 0 || getenv("FUZZ_STATE_EVERY")) {
        state_roundtrip(f);
    }
    if (!ide_reusable(f)) {
        if (getenv("FUZZ_VERBOSE")) {
            fprintf(stderr, "fuzz-ide: new machine for the next input\n");
        }
        ide_destroy(f);
        machine_built = false;
        return;
    }
    ide_settle(f, ++settles % 8 == 0);
    fz_host_check_claims(&f->host, f->claims, "after reset");
    images_check_restore();
    fz_host_ram_reset(&f->host);
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
    fz_host_poke(&f->host, IDE_PRDT + slot * 8u, e, sizeof(e));
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

static void tick_cb(void *opaque)
{
    ((fide *)opaque)->ticked = true;
}

/*
 * Run completions for up to @units x IDE_WAIT_NS (a timer of ours bounds
 * the wait, since hv_loop_run_once counts in ms): io_uring completes reads
 * and writes on the tmpfs images at submission and a flush within tens of
 * microseconds, so this lets them in without sleeping whole milliseconds
 * when nothing is in flight (that was most of an input's time).
 */
static unsigned op_wait(fide *f, unsigned units)
{
    unsigned ran = 0;

    for (unsigned i = 0; i < 8; i++) {
        int r;

        f->ticked = false;
        if (units) {
            hv_timer_arm_ns(f->tick, units * IDE_WAIT_NS);
        }
        r = hv_loop_run_once(f->loop, units ? 1000 : 0);
        FZ_CHECK(r >= 0, "loop: %d", r);
        hv_timer_cancel(f->tick);
        ran += (unsigned)r - f->ticked;
        if (r == 0 || (f->ticked && r == 1)) {
            break;
        }
    }
    return ran;     /* callbacks run, our timer not counted */
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
        fz_host_poke(&f->host, gpa, buf, n);
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
    fide *f = &machine;

    fz_init_once();
    if (!machine_built) {
        ide_build(f);
        machine_built = true;
    }
    while (fz_more(&in)) {
        run_op(f, &in);
    }
    ide_end_input(f);     /* starts with a bounded wait for completions */
    return 0;
}
