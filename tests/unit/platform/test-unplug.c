/* SPDX-License-Identifier: MIT */
/*
 * The Xen unplug protocol on the in-memory host: the xen-platform ports
 * driven byte by byte as Linux's arch/x86/xen/platform-pci-unplug.c and
 * the Windows PV drivers do it (docs/misc/hvm-emulated-unplug), each mask
 * bit against a PIIX IDE with hda, hdb and an ATAPI hdc and an e1000, the
 * blacklist, the driver log port, and an unplug with a DMA write in
 * flight.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../ide/ide-harness.h"
#include "hw/platform/pv_blacklist.h"

#define PORT_MAGIC   0x10   /* 2-byte read; unplug mask: 2-byte write */
#define PORT_BUILD   0x10   /* 4-byte write */
#define PORT_FLAGS   0x10   /* 1-byte read/write */
#define PORT_VERSION 0x12   /* 1-byte read */
#define PORT_PRODUCT 0x12   /* 2-byte write */
#define PORT_LOG     0x12   /* 1-byte write */
#define E1000_SBDF   HV_SBDF(0, 0, 4, 0)

typedef struct fx {
    ih ide;
    hv_device *platform;
    hv_device *nic;
} fx;

static void fx_setup_opts(fx *f, const char *platform_opts, const char *keys)
{
    g_autofree char *spec = g_strdup_printf("xen-platform%s%s",
                                            platform_opts ? "," : "",
                                            platform_opts ? platform_opts
                                                          : "");
    GError *err = NULL;

    ih_setup(&f->ide, &(ih_conf){ .slave = true, .cdrom = true,
                                  .keys = keys });
    f->nic = hv_device_create(f->ide.ctx, "e1000,backend=none,addr=00:04.0",
                              &err);
    g_assert_no_error(err);
    f->platform = hv_device_create(f->ide.ctx, spec, &err);
    g_assert_no_error(err);
}

static void fx_setup(fx *f, gconstpointer data)
{
    fx_setup_opts(f, NULL, NULL);
}

static void fx_teardown(fx *f, gconstpointer data)
{
    ih_teardown(&f->ide);
}

/* Is any disk or NIC still on its way out (flushing)? */
static void count_removing(void *opaque, hv_unplug_slot *s,
                           const hv_unplug_info *info)
{
    *(unsigned *)opaque += info->state == HV_UNPLUG_REMOVING;
}

static unsigned removing(fx *f)
{
    unsigned n = 0;

    hv_unplug_foreach(f->ide.ctx, count_removing, &n);
    return n;
}

/* Run the loop for @ms, and on until pending removals are done (bounded:
 * 2 s more), so a loaded machine does not fail a test. */
static void run_loop(fx *f, int ms)
{
    uint64_t end = hv_now_ns() + (uint64_t)ms * 1000000;
    uint64_t limit = end + 2000000000ull;

    while (hv_now_ns() < end || (removing(f) && hv_now_ns() < limit)) {
        hv_loop_run_once(f->ide.loop, 1);
    }
}

/* The driver side of the handshake; returns the second magic read. */
static uint16_t handshake(fx *f, uint16_t product, uint32_t build)
{
    g_assert_cmphex(ih_inw(&f->ide, PORT_MAGIC), ==, 0x49d2);
    g_assert_cmpuint(ih_inb(&f->ide, PORT_VERSION), ==, 1);
    ih_outw(&f->ide, PORT_PRODUCT, product);
    ih_outl(&f->ide, PORT_BUILD, build);
    return ih_inw(&f->ide, PORT_MAGIC);
}

static hv_unplug_state slot_state(fx *f, const char *name)
{
    hv_unplug_info info;

    g_assert_true(hv_unplug_lookup(f->ide.ctx, name, &info));
    return info.state;
}

/* Status of unit @dev on the primary channel, as the guest reads it. */
static uint8_t primary_status(fx *f, unsigned dev)
{
    ih_outb(&f->ide, IH_CMD + ATA_REG_DEVICE, dev ? ATA_DEV_DEV : 0);
    return ih_inb(&f->ide, IH_CMD + ATA_REG_STATUS);
}

static bool nic_present(fx *f)
{
    return hv_dispatch_read(f->ide.ctx, HV_SPACE_PCI,
                            HV_PCI_ADDR(E1000_SBDF, 0), 2) == 0x8086;
}

/* IDENTIFY PACKET DEVICE on the secondary master: DRQ if it answers. */
static bool cdrom_answers(fx *f)
{
    ih_outb(&f->ide, IDE_SEC_CMD + ATA_REG_DEVICE, 0);
    ih_outb(&f->ide, IDE_SEC_CMD + ATA_REG_COMMAND, 0xa1);
    for (int i = 0; i < 1000; i++) {
        uint8_t st = ih_inb(&f->ide, IDE_SEC_CTL);

        if (!(st & ATA_SR_BSY)) {
            return st & ATA_SR_DRQ;
        }
        hv_loop_run_once(f->ide.loop, 1);
    }
    return false;
}

static void test_handshake_linux(fx *f, gconstpointer data)
{
    /* Linux: product 3 (XEN_IOPORT_LINUX_PRODNUM), build 1. */
    g_assert_cmphex(handshake(f, 0x0003, 0x0001), ==, 0x49d2);
    /* Widths the protocol does not define read as all ones. */
    g_assert_cmphex(ih_inl(&f->ide, PORT_MAGIC), ==, 0xffffffffu);
    g_assert_cmphex(ih_inw(&f->ide, 0x14), ==, 0xffff);
    g_assert_cmphex(ih_inb(&f->ide, 0x1f), ==, 0xff);
    g_assert_cmphex(ih_inb(&f->ide, PORT_FLAGS), ==, 0);
    ih_outb(&f->ide, PORT_FLAGS, 0x01);
    g_assert_cmphex(ih_inb(&f->ide, PORT_FLAGS), ==, 0x01);
    /* Linux's default with blkfront and netfront built: disks + NICs. */
    ih_outw(&f->ide, PORT_MAGIC, 0x0003);
    run_loop(f, 50);
    g_assert_cmpint(slot_state(f, "hda"), ==, HV_UNPLUG_ABSENT);
    g_assert_cmpint(slot_state(f, "hdb"), ==, HV_UNPLUG_ABSENT);
    g_assert_cmpint(slot_state(f, "hdc"), ==, HV_UNPLUG_PRESENT);
    g_assert_cmphex(primary_status(f, 0), ==, 0);
    g_assert_cmphex(primary_status(f, 1), ==, 0);
    g_assert_false(nic_present(f));
    g_assert_cmphex(hv_dispatch_read(f->ide.ctx, HV_SPACE_PCI,
                                     HV_PCI_ADDR(E1000_SBDF, 0), 4), ==,
                    0xffffffffu);
    g_assert_true(cdrom_answers(f));
    g_assert_cmpuint(hv_unplug_count(f->ide.ctx, HV_UNPLUG_BY_PROTOCOL), ==,
                     3);
}

static void test_version0_windows_order(fx *f, gconstpointer data)
{
    /* A driver that sees the magic may skip straight to the mask (step 2
     * with version 0, or an old driver): no product, no build. */
    g_assert_cmphex(ih_inw(&f->ide, PORT_MAGIC), ==, 0x49d2);
    ih_outw(&f->ide, PORT_MAGIC, 0x0001);
    run_loop(f, 50);
    g_assert_cmpint(slot_state(f, "hda"), ==, HV_UNPLUG_ABSENT);
    g_assert_true(nic_present(f));
}

typedef struct mask_case {
    uint16_t mask;
    bool hda, hdb, nic;     /* still present afterwards */
} mask_case;

static void test_mask(fx *f, gconstpointer data)
{
    const mask_case *m = data;

    g_assert_cmphex(handshake(f, 0x0001, 0x1234), ==, 0x49d2);
    ih_outw(&f->ide, PORT_MAGIC, m->mask);
    run_loop(f, 50);
    g_assert_cmpint(slot_state(f, "hda") == HV_UNPLUG_PRESENT, ==, m->hda);
    g_assert_cmpint(slot_state(f, "hdb") == HV_UNPLUG_PRESENT, ==, m->hdb);
    g_assert_cmpint(slot_state(f, "hdc"), ==, HV_UNPLUG_PRESENT);
    g_assert_cmpint(nic_present(f), ==, m->nic);
    g_assert_cmpint(primary_status(f, 0) != 0, ==, m->hda);
    g_assert_cmpint(primary_status(f, 1) != 0, ==, m->hdb);
    g_assert_true(cdrom_answers(f));
    /* One-way: a reset of the machine brings nothing back. */
    hv_ctx_reset(f->ide.ctx);
    run_loop(f, 10);
    g_assert_cmpint(slot_state(f, "hda") == HV_UNPLUG_PRESENT, ==, m->hda);
    g_assert_cmpint(nic_present(f), ==, m->nic);
}

static void test_blacklist(fx *f, gconstpointer data)
{
    /* fx_setup_opts ran with blacklist=linux/1-3:gplpv-windows */
    g_assert_cmphex(handshake(f, 0x0003, 2), ==, 0xd249);
    fx_teardown(f, NULL);
    fx_setup_opts(f, "blacklist=linux/1-3:gplpv-windows", NULL);
    g_assert_cmphex(handshake(f, 0x0003, 4), ==, 0x49d2);
    fx_teardown(f, NULL);
    fx_setup_opts(f, "blacklist=linux/1-3:gplpv-windows", NULL);
    g_assert_cmphex(handshake(f, 0x0002, 0xffffffff), ==, 0xd249);
    fx_teardown(f, NULL);
    fx_setup_opts(f, "blacklist=linux/1-3:gplpv-windows", NULL);
    g_assert_cmphex(handshake(f, 0x0001, 2), ==, 0x49d2);
}

static void setup_blacklisted(fx *f, gconstpointer data)
{
    fx_setup_opts(f, "blacklist=linux/1-3:gplpv-windows", NULL);
}

static void test_blacklist_parse(void)
{
    pv_blacklist bl;
    GError *err = NULL;
    static const char *const bad[] = {
        "", "linux/", "linux/5-1", "nosuch", "3/1-2-3", "3//1", "0x10000",
        "linux/x", "1/4294967296",
    };

    g_assert_true(pv_blacklist_parse(&bl, "0x3/0x10-0x20:1:0xffff/7", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(bl.n, ==, 3);
    g_assert_true(pv_blacklist_match(&bl, 3, 0x10));
    g_assert_true(pv_blacklist_match(&bl, 3, 0x20));
    g_assert_false(pv_blacklist_match(&bl, 3, 0x21));
    g_assert_true(pv_blacklist_match(&bl, 1, 0));
    g_assert_true(pv_blacklist_match(&bl, 0xffff, 7));
    g_assert_false(pv_blacklist_match(&bl, 0xffff, 8));
    g_assert_false(pv_blacklist_match(&bl, 2, 0));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(pv_blacklist_parse(&bl, bad[i], &err));
        g_assert_error(err, HV_ERROR, HV_ERROR_INVAL);
        g_clear_error(&err);
    }
    g_assert_cmpstr(pv_product_name(3), ==, "linux");
    g_assert_null(pv_product_name(9));
}

/* ---- the driver log ---- */

static unsigned log_lines;
static char log_last[512];

static void count_log(const char *domain, GLogLevelFlags level,
                      const char *msg, gpointer data)
{
    if (g_str_has_prefix(msg, "guest driver: ")) {
        log_lines++;
        g_strlcpy(log_last, msg, sizeof(log_last));
    }
}

static void log_str(fx *f, const char *s)
{
    for (; *s; s++) {
        ih_outb(&f->ide, PORT_LOG, (uint8_t)*s);
    }
}

static void test_log(fx *f, gconstpointer data)
{
    guint h = g_log_set_handler("platform", G_LOG_LEVEL_MESSAGE, count_log,
                                NULL);

    log_lines = 0;
    log_str(f, "XENVBD: hello\x1b[31m\n");
    g_assert_cmpuint(log_lines, ==, 1);
    /* Control characters never reach dom0's log. */
    g_assert_cmpstr(log_last, ==, "guest driver: XENVBD: hello?[31m");
    /* A flood is cut down to the burst (plus one drop report later). */
    for (int i = 0; i < 1000; i++) {
        log_str(f, "spam\n");
    }
    g_assert_cmpuint(log_lines, <=, 17);
    g_assert_cmpuint(log_lines, >=, 10);
    g_log_remove_handler("platform", h);
}

/* ---- unplug with a DMA write in flight ---- */

static void setup_slow(fx *f, gconstpointer data)
{
    fx_setup_opts(f, NULL, (const char *)data);
}

static void start_dma_write(fx *f, uint32_t count, uint64_t buf_gpa)
{
    ih_prd prd = { (uint32_t)buf_gpa, (count * 512) | PRD_EOT };
    ih *h = &f->ide;

    g_assert_cmpint(hv_mem_write(h->ctx, 0x1000, &prd, sizeof(prd)), ==, 0);
    ih_outb(h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_LBA);
    ih_outb(h, IH_BM_BASE + BM_REG_CMD, 0);
    ih_outb(h, IH_BM_BASE + BM_REG_STATUS, BM_ST_INTR | BM_ST_ERR);
    ih_outl(h, IH_BM_BASE + BM_REG_PRDT, 0x1000);
    ih_command(h, 0, ATA_CMD_WRITE_DMA, 8, count, false);
    ih_outb(h, IH_BM_BASE + BM_REG_CMD, BM_CMD_START);
}

static void test_unplug_inflight(fx *f, gconstpointer data)
{
    enum { COUNT = 64 };
    static uint8_t want[COUNT * 512], got[COUNT * 512];
    ih *h = &f->ide;
    uint8_t bm = 0;
    int fd;

    ih_fill(want, sizeof(want), 7);
    g_assert_cmpint(hv_mem_write(h->ctx, 0x10000, want, sizeof(want)), ==,
                    0);
    start_dma_write(f, COUNT, 0x10000);
    g_assert_true(ih_altstatus(h) & ATA_SR_BSY);    /* delayed backend */
    ih_outw(h, PORT_MAGIC, 0x0001);
    g_assert_cmpint(slot_state(f, "hda"), ==, HV_UNPLUG_REMOVING);
    /* The command in flight finishes as if nothing happened. */
    g_assert_true(ih_wait_irq(h));
    bm = ih_inb(h, IH_BM_BASE + BM_REG_STATUS);
    g_assert_cmphex(bm & (BM_ST_INTR | BM_ST_ERR), ==, BM_ST_INTR);
    g_assert_cmphex(ih_status(h) & (ATA_SR_ERR | ATA_SR_DRDY), ==,
                    ATA_SR_DRDY);
    /* A new command while the drive goes away is refused, not hung. */
    ih_command(h, 0, ATA_CMD_READ_DMA, 0, 1, false);
    if (slot_state(f, "hda") == HV_UNPLUG_REMOVING &&
        !(ih_altstatus(h) & ATA_SR_BSY)) {
        g_assert_cmphex(ih_altstatus(h) & ATA_SR_ERR, ==, ATA_SR_ERR);
        g_assert_cmphex(ih_error(h) & ATA_ER_ABRT, ==, ATA_ER_ABRT);
    }
    run_loop(f, 400);
    g_assert_cmpint(slot_state(f, "hda"), ==, HV_UNPLUG_ABSENT);
    g_assert_cmphex(primary_status(f, 0), ==, 0);
    g_assert_cmpuint(ih_irq(h), ==, 0);
    /* Nothing lost: every sector is in the image. */
    fd = open(h->img[0], O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, got, sizeof(got), 8 * 512), ==, sizeof(got));
    close(fd);
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
}

static unsigned flush_warnings;

static void count_flush_warning(const char *domain, GLogLevelFlags level,
                                const char *msg, gpointer data)
{
    if (strstr(msg, "flush before unplug failed")) {
        flush_warnings++;
    }
}

static void test_unplug_flush_fails(fx *f, gconstpointer data)
{
    GLogLevelFlags fatal;
    guint h;

    /* The flush before removal is real: when it fails, the admin hears
     * (a warning, which g_test_init makes fatal: expected here). */
    flush_warnings = 0;
    fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    h = g_log_set_handler("ide", G_LOG_LEVEL_WARNING, count_flush_warning,
                          NULL);
    ih_outw(&f->ide, PORT_MAGIC, 0x0001);
    run_loop(f, 50);
    g_log_remove_handler("ide", h);
    g_log_set_always_fatal(fatal);
    g_assert_cmpuint(flush_warnings, ==, 1);
    g_assert_cmpint(slot_state(f, "hda"), ==, HV_UNPLUG_ABSENT);
}

static const mask_case masks[] = {
    { 0x0000, true, true, true },
    { 0x0001, false, false, true },
    { 0x0002, true, true, false },
    { 0x0004, true, false, true },      /* all but the primary master */
    { 0x0005, false, false, true },     /* bit 0 overrides bit 2 */
    { 0x0007, false, false, false },
    { 0x0008, true, true, true },       /* NVMe: hvmemu has none */
};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/unplug/handshake-linux", fx, NULL,
               fx_setup, test_handshake_linux,
               fx_teardown);
    g_test_add("/unplug/no-handshake", fx, NULL,
               fx_setup,
               test_version0_windows_order,
               fx_teardown);
    for (size_t i = 0; i < G_N_ELEMENTS(masks); i++) {
        g_autofree char *name = g_strdup_printf("/unplug/mask/0x%x",
                                                masks[i].mask);
        g_test_add(name, fx, &masks[i],
                   fx_setup, test_mask,
                   fx_teardown);
    }
    g_test_add("/unplug/blacklist", fx, NULL, setup_blacklisted,
               test_blacklist, fx_teardown);
    g_test_add_func("/unplug/blacklist-parse", test_blacklist_parse);
    g_test_add("/unplug/log", fx, NULL,
               fx_setup, test_log,
               fx_teardown);
    g_test_add("/unplug/inflight", fx, "x-delay-ms=100", setup_slow,
               test_unplug_inflight,
               fx_teardown);
    g_test_add("/unplug/flush-fails", fx, "x-inject-flush-eio", setup_slow,
               test_unplug_flush_fails,
               fx_teardown);
    return g_test_run();
}
