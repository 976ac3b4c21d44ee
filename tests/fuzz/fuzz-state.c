/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: device state files (hvmemu/state.h, hw/core/state.c,
 * hw/ide/ide_state.c, hw/net/e1000_state.c) as --restore reads them: a
 * hostile or corrupt state must be refused or loaded into devices that
 * then behave, never crash the daemon or make it touch anything outside
 * guest RAM and the disk.
 *
 * Machine: hda rw 512 sectors (zeros, on /dev/shm when there is one),
 * hdc an empty ATAPI drive, an e1000 without backend, 1 MiB of RAM. It
 * is built once and reset between inputs (see end_input); loads are
 * meant for new devices, so every ST_TWIN_EVERY-th input also goes into
 * a freshly built twin, which must take it alike (twin_check).
 * FUZZ_FRESH=1 builds a new machine for every input instead.
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
 * work, as fz_host checks.
 *
 * Invariants (on top of fz_host's): a refusal has a UTF-8 reason; the
 * disk image never changes size; after a reset the guest sees what it
 * saw on the fresh machine (fingerprint); the reset machine and a fresh
 * twin accept or refuse a state alike and hold the same state after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef FUZZ_HAVE_LIBCRYPTO
#include <openssl/sha.h>
#endif

#include "hw/ide/ide_regs.h"
#include "hw/net/e1000_regs.h"
#include "tests/fuzz/fuzz.h"

#define ST_RAM       (1u << 20)
#define ST_HD_BYTES  (512u * 512u)
#define ST_BM        0xc000u
#define ST_MMIO      0xfebc0000u
#define ST_IDE_SBDF  HV_SBDF(0, 0, 1, 1)
#define ST_NIC_SBDF  HV_SBDF(0, 0, 4, 0)
/* A twin costs a machine build (~10 ms under ASan); IDENTIFY data in the
 * fingerprint two commands and 256 data-port reads. */
#define ST_TWIN_EVERY      256
#define ST_IDENTIFY_EVERY  8

extern const hv_device_class ide_piix_class;
extern const hv_device_class e1000_class;

typedef struct machine {
    fz_host host;
    hv_loop *loop;
    hv_ctx *ctx;
} machine;

static const uint32_t functions[2] = { ST_IDE_SBDF, ST_NIC_SBDF };

/* A sample of the e1000's registers for the fingerprint (a reset clears
 * the whole file with one memset; a load writes every register). */
static const uint16_t nic_regs[] = {
    E1000_CTRL, E1000_STATUS, E1000_EECD, E1000_EERD, E1000_CTRL_EXT,
    E1000_MDIC, E1000_ICR, E1000_ITR, E1000_IMS, E1000_RCTL, E1000_TCTL,
    E1000_TIPG, E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH,
    E1000_RDT, E1000_RDTR, E1000_RADV, E1000_RSRPD, E1000_TDBAL,
    E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT, E1000_TIDV, E1000_TADV,
    E1000_TXDCTL, E1000_RXDCTL, E1000_TSPMT, E1000_RXCSUM, E1000_MTA,
    E1000_RA, E1000_RA + 4, E1000_RA + 8, E1000_VFTA, E1000_VET,
    E1000_LEDCTL, E1000_GPRC, E1000_TORL, E1000_TORH, E1000_MPC,
    E1000_TSCTFC, E1000_PBA,
};

/*
 * The machine is built once and reset between inputs (README.md "Speed"):
 * building it costs ~11 ms under ASan (two drives with 1 MiB DMA buffers
 * on fresh pages, the e1000's 128 KiB register file, 1 MiB of RAM),
 * which held the target at ~80 inputs/s. After an input: a machine a
 * reset cannot bring back (a drive or the NIC unplugged, a disc
 * inserted: states can say so) is torn down with all teardown checks
 * and the next input gets a new one; otherwise settle(): hv_ctx_reset,
 * the backend requests of before it back, the fingerprint equal to the
 * fresh machine's, then the claims, the IRQ lines, dirty RAM pages
 * zeroed and the disk back to zeros.
 */
static machine dst;
static bool dst_built;
/* The fresh machine: fingerprint (with IDENTIFY; the first golden_short
 * bytes are the one without), claims, unplug slots, and the config
 * bytes hv_pci_reset keeps (0Ch Cache Line Size, 0Dh Latency Timer, 3Ch
 * Interrupt Line; README "Findings") of each function. */
static GByteArray *golden;
static guint golden_short;
static GArray *fresh_claims;
static char *fresh_slots;
static uint8_t fresh_cfg[2][3];

static char *img_dir, *hd_path;
static int hd_fd = -1;
static const uint8_t *hd_map;   /* read-only, to compare after an input */

static void image_remove(void)
{
    munmap((void *)hd_map, ST_HD_BYTES);
    close(hd_fd);
    unlink(hd_path);
    rmdir(img_dir);
}

/* Once per process. On tmpfs when there is one: a write with the cache
 * off, FLUSH CACHE, cost an fdatasync each, milliseconds on a disk. */
static void image_create(void)
{
    char shm[] = "/dev/shm/hvmemu-fuzz-state-XXXXXX";

    img_dir = g_strdup(mkdtemp(shm));
    if (!img_dir) {
        img_dir = g_dir_make_tmp("hvmemu-fuzz-state-XXXXXX", NULL);
    }
    FZ_CHECK(img_dir, "tmp dir");
    hd_path = g_build_filename(img_dir, "hda.img", NULL);
    hd_fd = open(hd_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    FZ_CHECK(hd_fd >= 0 && ftruncate(hd_fd, ST_HD_BYTES) == 0, "%s: %s",
             hd_path, g_strerror(errno));
    hd_map = mmap(NULL, ST_HD_BYTES, PROT_READ, MAP_SHARED, hd_fd, 0);
    FZ_CHECK(hd_map != MAP_FAILED, "mmap %s", hd_path);
    atexit(image_remove);
}

/* The size invariant, then zeros back where the pokes wrote (only the
 * 4 KiB blocks that differ), so the next input (and a scenario's source
 * built later, whose PIO buffer holds a sector) sees the disk the first
 * one saw. */
static void image_check_restore(void)
{
    static const uint8_t zero[4096];
    struct stat st;

    FZ_CHECK(fstat(hd_fd, &st) == 0 && st.st_size == ST_HD_BYTES,
             "the disk image changed size");
    for (size_t off = 0; off < ST_HD_BYTES; off += sizeof(zero)) {
        if (memcmp(hd_map + off, zero, sizeof(zero))) {
            FZ_CHECK(pwrite(hd_fd, zero, sizeof(zero), (off_t)off) ==
                     (ssize_t)sizeof(zero), "restore %s", hd_path);
        }
    }
}

/* The machine, sources and twins share the image: each may find
 * another holding its lock. */
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
    hv_ctx_free(m->ctx);    /* waits for in-flight requests */
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

static uint32_t cfg_rd(machine *m, uint32_t sbdf, unsigned reg,
                       unsigned size)
{
    return (uint32_t)hv_dispatch_read(m->ctx, HV_SPACE_PCI,
                                      HV_PCI_ADDR(sbdf, reg), size);
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
    image_check_restore();  /* the mid PIO write wrote its first sector */
    return b;
}

/* A valid SHA-256 again in the last 32 bytes. Over the whole ~130 KiB
 * state, for most inputs: GLib's took a fifth of the target's time,
 * OpenSSL's (SHA-NI or AVX2) takes a fifth of GLib's, so the build uses
 * it where it finds libcrypto. */
static void reseal(uint8_t *p, size_t len)
{
    if (len < 32) {
        return;
    }
#ifdef FUZZ_HAVE_LIBCRYPTO
    SHA256(p, len - 32, p + len - 32);
#else
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    gsize dlen = 32;

    g_checksum_update(sum, p, len - 32);
    g_checksum_get_digest(sum, p + len - 32, &dlen);
#endif
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

/* hv_ctx_reset, then what firmware writes back after one: the config
 * bytes hv_pci_reset keeps, as the fresh functions had them. */
static void machine_reset(machine *m)
{
    hv_ctx_reset(m->ctx);
    for (unsigned f = 0; f < 2; f++) {
        cfg(m, functions[f], 0x0c, 1, fresh_cfg[f][0]);
        cfg(m, functions[f], 0x0d, 1, fresh_cfg[f][1]);
        cfg(m, functions[f], PCI_INTERRUPT_LINE, 1, fresh_cfg[f][2]);
    }
}

static void fp_put(GByteArray *fp, uint32_t v, unsigned size)
{
    g_byte_array_append(fp, (const uint8_t *)&v, size);
}

/*
 * Everything a guest can read without side effects on a machine just
 * reset: both functions' config space as the reset leaves it; then, with
 * BARs and decode programmed as firmware would, each IDE unit's task
 * file and HOB bytes, Alternate Status, the bus-master registers and a
 * sample of the e1000's registers (the read-to-clear ones are 0 after a
 * reset); with @identify, last (so the one without is a prefix: *@len),
 * the IDENTIFY data of hda and hdc, which shows the settings a state
 * sets (geometry, multiple, write cache, transfer mode). It leaves
 * registers programmed and a command done: a reset follows.
 */
static GByteArray *fingerprint(machine *m, bool identify, guint *len)
{
    static const uint16_t cmd_base[2] = { IDE_PRI_CMD, IDE_SEC_CMD };
    static const uint16_t ctl_port[2] = { IDE_PRI_CTL, IDE_SEC_CTL };
    GByteArray *fp = g_byte_array_new();

    for (unsigned f = 0; f < 2; f++) {
        for (unsigned r = 0; r < 256; r += 4) {
            fp_put(fp, cfg_rd(m, functions[f], r, 4), 4);
        }
    }
    cfg(m, ST_IDE_SBDF, 0x20, 4, ST_BM);
    cfg(m, ST_IDE_SBDF, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    cfg(m, ST_NIC_SBDF, PCI_BASE_ADDRESS_0, 4, ST_MMIO);
    cfg(m, ST_NIC_SBDF, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
        PCI_COMMAND_MASTER);
    for (unsigned ch = 0; ch < 2; ch++) {
        for (unsigned unit = 0; unit < 2; unit++) {
            hv_dispatch_write(m->ctx, HV_SPACE_PIO,
                              cmd_base[ch] + ATA_REG_DEVICE, 1,
                              unit ? ATA_DEV_DEV : 0);
            fp_put(fp, (uint32_t)hv_dispatch_read(m->ctx, HV_SPACE_PIO,
                                                  ctl_port[ch], 1), 1);
            for (unsigned r = ATA_REG_ERROR; r <= ATA_REG_STATUS; r++) {
                fp_put(fp, (uint32_t)hv_dispatch_read(
                    m->ctx, HV_SPACE_PIO, cmd_base[ch] + r, 1), 1);
            }
            hv_dispatch_write(m->ctx, HV_SPACE_PIO, ctl_port[ch], 1,
                              ATA_DC_HOB);
            for (unsigned r = ATA_REG_NSECTOR; r <= ATA_REG_LBAH; r++) {
                fp_put(fp, (uint32_t)hv_dispatch_read(
                    m->ctx, HV_SPACE_PIO, cmd_base[ch] + r, 1), 1);
            }
            hv_dispatch_write(m->ctx, HV_SPACE_PIO, ctl_port[ch], 1, 0);
        }
    }
    for (unsigned r = 0; r < 2 * BM_CHANNEL_STRIDE; r++) {
        fp_put(fp, (uint32_t)hv_dispatch_read(m->ctx, HV_SPACE_PIO,
                                              ST_BM + r, 1), 1);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(nic_regs); i++) {
        fp_put(fp, (uint32_t)hv_dispatch_read(m->ctx, HV_SPACE_MMIO,
                                              ST_MMIO + nic_regs[i], 4), 4);
    }
    *len = fp->len;
    /* hda (primary master), hdc (secondary master); IDENTIFY answers at
     * once, without the backend. */
    for (unsigned ch = 0; ch < 2 && identify; ch++) {
        uint8_t st;

        hv_dispatch_write(m->ctx, HV_SPACE_PIO, cmd_base[ch] + ATA_REG_DEVICE,
                          1, 0);
        hv_dispatch_write(m->ctx, HV_SPACE_PIO,
                          cmd_base[ch] + ATA_REG_COMMAND, 1,
                          ch ? ATA_CMD_IDENTIFY_PACKET : ATA_CMD_IDENTIFY);
        st = (uint8_t)hv_dispatch_read(m->ctx, HV_SPACE_PIO,
                                       cmd_base[ch] + ATA_REG_STATUS, 1);
        fp_put(fp, st, 1);
        for (unsigned w = 0; w < 128 && (st & ATA_SR_DRQ); w++) {
            fp_put(fp, (uint32_t)hv_dispatch_read(m->ctx, HV_SPACE_PIO,
                                                  cmd_base[ch], 4), 4);
        }
    }
    return fp;
}

static void check_fingerprint(GByteArray *fp, bool full)
{
    guint want = full ? golden->len : golden_short, i = 0;

    while (i < fp->len && i < want && fp->data[i] == golden->data[i]) {
        i++;
    }
    FZ_CHECK(fp->len == want && i == want,
             "after a reset the guest sees state a fresh machine does not "
             "have: fingerprint%s byte %u of %u is %02x, fresh %02x",
             full ? " (with IDENTIFY)" : "", i, want,
             i < fp->len ? fp->data[i] : 0, i < want ? golden->data[i] : 0);
    g_byte_array_unref(fp);
}

static void slot_cb(void *opaque, hv_unplug_slot *s,
                    const hv_unplug_info *info)
{
    g_string_append_printf(opaque, "%s:%d:%s ", info->name, info->state,
                           info->blk ? "blk" : "-");
}

/* The unplug slots: present or not, with storage or not (a disc). */
static char *slots(machine *m)
{
    GString *s = g_string_new(NULL);

    hv_unplug_foreach(m->ctx, slot_cb, s);
    return g_string_free(s, FALSE);
}

static void check_lines(machine *m, const char *what)
{
    FZ_CHECK(!m->host.isa_level[IDE_PRI_IRQ] &&
             !m->host.isa_level[IDE_SEC_IRQ] &&
             !fz_host_intx(&m->host, ST_NIC_SBDF, 0),
             "IRQ 14/15 or the e1000's INTx high %s", what);
}

/* A new machine for the inputs to come: as the first one was. */
static void machine_build(machine *m)
{
    g_autofree char *s = NULL;
    GArray *claims;
    GByteArray *fp;
    guint len;

    machine_new(m);
    for (unsigned f = 0; f < 2 && !golden; f++) {
        fresh_cfg[f][0] = (uint8_t)cfg_rd(m, functions[f], 0x0c, 1);
        fresh_cfg[f][1] = (uint8_t)cfg_rd(m, functions[f], 0x0d, 1);
        fresh_cfg[f][2] = (uint8_t)cfg_rd(m, functions[f],
                                          PCI_INTERRUPT_LINE, 1);
    }
    claims = fz_host_claims(&m->host);
    s = slots(m);
    fz_host_op_begin(&m->host);
    fp = fingerprint(m, true, &len);
    machine_reset(m);
    fz_host_op_end(&m->host, "fingerprint");
    fz_host_check_claims(&m->host, claims, "after the first reset");
    if (!golden) {
        golden = fp;
        golden_short = len;
        fresh_claims = claims;
        fresh_slots = g_steal_pointer(&s);
    } else {
        check_fingerprint(fp, true);
        fz_host_check_claims(&m->host, fresh_claims, "a new machine");
        g_array_unref(claims);
        FZ_CHECK(g_str_equal(s, fresh_slots), "a new machine has unplug "
                 "slots %s, the first had %s", s, fresh_slots);
    }
    check_lines(m, "on a new machine");
    fz_host_ram_reset(&m->host);
}

/* Reset; if backend requests of before it are still out, let them come
 * back (a drive stays BSY until they have) and reset again; anything
 * the loop still has runs; the fingerprint (@full: with IDENTIFY); reset
 * once more: the settled machine. */
static void settle(machine *m, bool full)
{
    guint len;

    fz_host_op_begin(&m->host);
    machine_reset(m);
    if (hv_ctx_state_busy(m->ctx)) {
        for (unsigned i = 0; i < 2000 && hv_ctx_state_busy(m->ctx); i++) {
            FZ_CHECK(hv_loop_run_once(m->loop, 1) >= 0, "loop");
        }
        FZ_CHECK(!hv_ctx_state_busy(m->ctx), "backend requests still in "
                 "flight 2 s after a reset");
        machine_reset(m);
    }
    fz_pump(m->loop, 64);
    check_fingerprint(fingerprint(m, full, &len), full);
    machine_reset(m);
    fz_host_op_end(&m->host, "reset");
    check_lines(m, "after a reset");
    fz_host_check_claims(&m->host, fresh_claims, "after a reset");
    fz_host_ram_reset(&m->host);
}

/* After an input: settled for the next one, or torn down. */
static void end_input(machine *m)
{
    static unsigned settles;
    g_autofree char *now = slots(m);

    if (getenv("FUZZ_FRESH") || !g_str_equal(now, fresh_slots)) {
        if (getenv("FUZZ_VERBOSE")) {
            fprintf(stderr, "fuzz-state: slots %s: a new machine for the "
                    "next input\n", now);
        }
        machine_free(m);
        dst_built = false;
    } else {
        settle(m, ++settles % ST_IDENTIFY_EVERY == 0);
    }
    image_check_restore();
}

/*
 * Loads are meant for new devices (--restore creates the context, then
 * loads); ours go into a reset one. So every ST_TWIN_EVERY-th input
 * (FUZZ_TWIN_EVERY=1: every one) the same bytes also go into a freshly
 * built twin: both must accept, or refuse for the same reason, and a
 * state both accept must leave them holding the same state (saved right
 * after: everything a state carries). A difference is something a device
 * keeps over a reset that a load depends on.
 */
static void twin_check(machine *m, const uint8_t *buf, size_t len,
                       bool loaded, const GError *err)
{
    machine t;
    GError *terr = NULL;
    const char *why, *twhy;
    bool tloaded;

    machine_new(&t);
    tloaded = hv_ctx_load_state(t.ctx, buf, len, &terr);
    why = err ? err->message : "";
    twhy = terr ? terr->message : "";
    FZ_CHECK(tloaded == loaded, "a state the reset machine %s, a fresh "
             "one %s (%s)", loaded ? "loads" : "refuses",
             tloaded ? "loads" : "refuses", loaded ? twhy : why);
    if (!loaded) {
        FZ_CHECK(g_str_equal(why, twhy), "refused by the reset machine "
                 "for '%s', by a fresh one for '%s'", why, twhy);
        g_clear_error(&terr);
    } else if (hv_ctx_state_busy(m->ctx) || hv_ctx_state_busy(t.ctx)) {
        /* Only an unplug the state asked for is in flight. */
        FZ_CHECK(hv_ctx_state_busy(m->ctx) == hv_ctx_state_busy(t.ctx),
                 "after a load %u requests in flight, %u on a fresh "
                 "machine", hv_ctx_state_busy(m->ctx),
                 hv_ctx_state_busy(t.ctx));
    } else {
        g_autoptr(GBytes) a = hv_ctx_save_state(m->ctx, NULL);
        g_autoptr(GBytes) b = hv_ctx_save_state(t.ctx, NULL);
        const uint8_t *pa = g_bytes_get_data(a, NULL);
        const uint8_t *pb = g_bytes_get_data(b, NULL);
        gsize na = g_bytes_get_size(a), nb = g_bytes_get_size(b), i = 0;

        while (i < na && i < nb && pa[i] == pb[i]) {
            i++;
        }
        FZ_CHECK(na == nb && i == na, "after the same load the reset "
                 "machine holds another state than a fresh one: byte %"
                 G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " (fresh: %"
                 G_GSIZE_FORMAT ")", i, na, nb);
    }
    machine_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned inputs;
    fz_in in = { data, size };
    uint8_t scenario;
    g_autofree uint8_t *raw = NULL;
    uint8_t *buf;
    GError *err = NULL;
    size_t len;
    bool loaded;

    fz_init_once();
    if (!hd_path) {
        image_create();
    }
    scenario = fz_u8(&in);
    if (scenario == 0xff) {
        len = in.n;
        buf = raw = g_memdup2(in.p, len);   /* its own block: ASan redzones */
    } else {
        /* Built once per scenario: the source never changes. Its edited
         * copy goes into a block of exactly its size kept for the next
         * input: one of ~130 KiB is mapped afresh by ASan on every
         * allocation (page faults); its redzone stays. */
        static GBytes *cache[6];
        static uint8_t *copy[6];
        unsigned k = (scenario & 0x7f) % 6;

        if (!cache[k]) {
            cache[k] = source_state(scenario & 0x7f);
            copy[k] = g_malloc(g_bytes_get_size(cache[k]));
        }
        buf = copy[k];
        len = g_bytes_get_size(cache[k]);
        memcpy(buf, g_bytes_get_data(cache[k], NULL), len);
        while (fz_more(&in)) {
            uint16_t where = fz_u16(&in);

            buf[where % len] = fz_u8(&in);
        }
        if (!(scenario & 0x80)) {
            reseal(buf, len);
        }
    }
    if (!dst_built) {
        machine_build(&dst);
        dst_built = true;
    }
    loaded = hv_ctx_load_state(dst.ctx, buf, len, &err);
    if (++inputs % ST_TWIN_EVERY == 0 || getenv("FUZZ_TWIN_EVERY")) {
        twin_check(&dst, buf, len, loaded, err);
    }
    if (loaded) {
        poke(&dst);
    } else {
        FZ_CHECK(err && g_utf8_validate(err->message, -1, NULL),
                 "refused without a readable reason");
        g_clear_error(&err);
    }
    end_input(&dst);
    return 0;
}
