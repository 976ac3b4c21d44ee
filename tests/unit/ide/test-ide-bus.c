/* SPDX-License-Identifier: MIT */
/*
 * Channel behaviour: interrupt acknowledge, nIEN, software reset (also
 * with I/O in flight), absent and present slave, EXECUTE DEVICE
 * DIAGNOSTIC, the LBA48 register FIFO (HOB), an empty channel.
 */
#include <string.h>

#include "ide-harness.h"

#define PRDT_GPA 0x1000
#define BUF_GPA  0x100000

/* IDENTIFY to a device that is not there: no interrupt, status 00h. */
static void identify_unanswered(ih *h, unsigned dev)
{
    ih_outb(h, IH_CMD + ATA_REG_DEVICE, dev ? ATA_DEV_DEV : 0);
    ih_outb(h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
    for (int i = 0; i < 10; i++) {
        hv_loop_run_once(h->loop, 1);
    }
    g_assert_cmpuint(ih_irq(h), ==, 0);
    g_assert_cmphex(ih_altstatus(h), ==, 0);
}

static void test_irq_ack(void)
{
    uint16_t w[256];
    ih h;

    ih_setup(&h, NULL);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, 0);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
    g_assert_true(ih_wait_irq(&h));
    /* The bus-master Interrupt bit latches the device interrupt. */
    g_assert_cmphex(ih_inb(&h, IH_BM_BASE + BM_REG_STATUS) & BM_ST_INTR, ==,
                    BM_ST_INTR);
    ih_outb(&h, IH_BM_BASE + BM_REG_STATUS, BM_ST_INTR);   /* RWC */
    g_assert_cmphex(ih_inb(&h, IH_BM_BASE + BM_REG_STATUS) & BM_ST_INTR, ==,
                    0);
    /* Alternate Status does not acknowledge; Status does. */
    ih_altstatus(&h);
    g_assert_cmpuint(ih_irq(&h), ==, 1);
    ih_status(&h);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    for (unsigned i = 0; i < 256; i++) {
        w[i] = ih_inw(&h, IH_CMD);
    }
    g_assert_cmphex(w[0], ==, 0x0040);
    ih_teardown(&h);
}

static void test_nien(void)
{
    uint8_t buf[512];
    ih h;

    ih_setup(&h, NULL);
    ih_outb(&h, IH_CTL, ATA_DC_NIEN);
    ih_command(&h, 0, ATA_CMD_READ_SECTORS, 0, 1, false);
    /* Poll instead of waiting for the interrupt. */
    for (int i = 0; i < 2000 && !(ih_altstatus(&h) & ATA_SR_DRQ); i++) {
        hv_loop_run_once(h.loop, 1);
    }
    g_assert_cmphex(ih_altstatus(&h) & (ATA_SR_DRQ | ATA_SR_BSY), ==,
                    ATA_SR_DRQ);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    g_assert_cmphex(ih_inb(&h, IH_BM_BASE + BM_REG_STATUS) & BM_ST_INTR, ==,
                    0);
    /* Clearing nIEN with the interrupt pending asserts INTRQ. */
    ih_outb(&h, IH_CTL, 0);
    g_assert_cmpuint(ih_irq(&h), ==, 1);
    ih_status(&h);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    for (unsigned i = 0; i < 256; i++) {
        ih_inw(&h, IH_CMD);
    }
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_DRQ, ==, 0);
    /* With nIEN the line stays low for a whole command. */
    ih_outb(&h, IH_CTL, ATA_DC_NIEN);
    ih_command(&h, 0, ATA_CMD_FLUSH_CACHE, 0, 0, false);
    g_assert_cmphex(ih_wait_ready(&h) & ATA_SR_ERR, ==, 0);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    ih_command(&h, 0, ATA_CMD_READ_SECTORS, 0, 1, false);
    for (int i = 0; i < 2000 && !(ih_altstatus(&h) & ATA_SR_DRQ); i++) {
        hv_loop_run_once(h.loop, 1);
    }
    for (unsigned i = 0; i < 128; i++) {
        uint32_t v = ih_inl(&h, IH_CMD);

        memcpy(buf + 4 * i, &v, 4);
    }
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    ih_teardown(&h);
}

static void check_signature(ih *h)
{
    g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_NSECTOR), ==, 0x01);
    g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_LBAL), ==, 0x01);
    g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_LBAM), ==, 0x00);
    g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_LBAH), ==, 0x00);
    g_assert_cmphex(ih_inb(h, IH_CMD + ATA_REG_DEVICE) & ATA_DEV_DEV, ==, 0);
}

static void test_srst(void)
{
    ih h;

    ih_setup(&h, NULL);
    /* Mid PIO transfer */
    ih_command(&h, 0, ATA_CMD_WRITE_SECTORS, 3, 2, false);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_DRQ, ==, ATA_SR_DRQ);
    ih_outb(&h, IH_CTL, ATA_DC_SRST);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_BSY, ==, ATA_SR_BSY);
    ih_outb(&h, IH_CTL, 0);
    g_assert_cmphex(ih_altstatus(&h), ==, ATA_SR_DRDY | ATA_SR_DSC);
    g_assert_cmphex(ih_error(&h), ==, 0x01);
    check_signature(&h);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    /* Data writes after the reset go nowhere. */
    ih_outw(&h, IH_CMD, 0x1234);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_DRQ, ==, 0);
    ih_teardown(&h);
}

static void test_srst_inflight(void)
{
    ih_conf c = { .keys = "x-delay-ms=30" };
    ih_prd prd = { BUF_GPA, 512 | PRD_EOT };
    uint8_t *ram;
    uint8_t st = 0;
    ih h;

    ih_setup(&h, &c);
    ram = hv_memhost_ram(h.mh);
    memset(ram + BUF_GPA, 0x99, 512);
    g_assert_cmpint(hv_mem_write(h.ctx, PRDT_GPA, &prd, sizeof(prd)), ==, 0);
    ih_outl(&h, IH_BM_BASE + BM_REG_PRDT, PRDT_GPA);
    ih_command(&h, 0, ATA_CMD_READ_DMA, 0, 1, false);
    ih_outb(&h, IH_BM_BASE + BM_REG_CMD, BM_CMD_START | BM_CMD_WRITE);
    /* Reset while the backend read is in flight: BSY stays until it has
     * drained, and its data never reaches guest memory. */
    ih_outb(&h, IH_CTL, ATA_DC_SRST);
    ih_outb(&h, IH_CTL, 0);
    ih_outb(&h, IH_BM_BASE + BM_REG_CMD, 0);
    g_assert_cmphex(ih_altstatus(&h) & ATA_SR_BSY, ==, ATA_SR_BSY);
    for (int i = 0; i < 2000; i++) {
        st = ih_altstatus(&h);
        if (!(st & ATA_SR_BSY)) {
            break;
        }
        hv_loop_run_once(h.loop, 1);
    }
    g_assert_cmphex(st, ==, ATA_SR_DRDY | ATA_SR_DSC);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    for (unsigned i = 0; i < 512; i++) {
        g_assert_cmphex(ram[BUF_GPA + i], ==, 0x99);
    }
    check_signature(&h);
    ih_teardown(&h);
}

static void test_absent_slave(void)
{
    uint16_t w[256];
    ih h;

    ih_setup(&h, NULL);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_OBS | ATA_DEV_DEV);
    /* Task file still latched by the master (libata's devchk pattern) */
    ih_outb(&h, IH_CMD + ATA_REG_NSECTOR, 0x55);
    ih_outb(&h, IH_CMD + ATA_REG_LBAL, 0xaa);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_NSECTOR), ==, 0x55);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAL), ==, 0xaa);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_DEVICE) & ATA_DEV_DEV, ==,
                    ATA_DEV_DEV);
    /* ... but no status and no answer to commands. */
    g_assert_cmphex(ih_status(&h), ==, 0);
    g_assert_cmphex(ih_altstatus(&h), ==, 0);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
    hv_loop_run_once(h.loop, 5);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    g_assert_cmphex(ih_altstatus(&h), ==, 0);
    g_assert_cmpuint(ih_inw(&h, IH_CMD), ==, 0);
    identify_unanswered(&h, 1);
    /* The master is unaffected. */
    g_assert_true(ih_identify(&h, 0, w));
    ih_teardown(&h);
}

static void test_slave_present(void)
{
    ih_conf c = { .slave = true, .keys = "serial=MASTER" };
    uint16_t w0[256], w1[256];
    uint8_t out[512], in[512];
    ih h;

    ih_setup(&h, &c);
    g_assert_true(ih_identify(&h, 0, w0));
    g_assert_true(ih_identify(&h, 1, w1));
    g_assert_cmphex(w0[10], ==, ('M' << 8) | 'A');
    g_assert_cmphex(w1[10], !=, w0[10]);
    g_assert_cmphex(w1[93] & 0x0f00, ==, 0x0b00);   /* device 1 results */
    /* Each unit has its own image. */
    ih_fill(out, sizeof(out), 1);
    ih_command(&h, 1, ATA_CMD_WRITE_SECTORS, 0, 1, false);
    ih_pio_write(&h, out, 1, 1, false);
    ih_command(&h, 0, ATA_CMD_READ_SECTORS, 0, 1, false);
    ih_pio_read(&h, in, 1, 1, false);
    g_assert_cmphex(in[0] | in[1] | in[100], ==, 0);
    ih_command(&h, 1, ATA_CMD_READ_SECTORS, 0, 1, false);
    ih_pio_read(&h, in, 1, 1, false);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    ih_teardown(&h);
}

static void test_only_slave(void)
{
    ih_conf c = { .no_master = true };
    uint16_t w[256];
    ih h;

    ih_setup(&h, &c);
    g_assert_true(ih_identify(&h, 1, w));
    identify_unanswered(&h, 0);
    ih_teardown(&h);
}

static void test_diagnostic(void)
{
    ih_conf c = { .slave = true };
    ih h;

    ih_setup(&h, &c);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_DEV);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_DEVICE) & ATA_DEV_DEV, ==,
                    ATA_DEV_DEV);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_DIAGNOSE);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_DEVICE) & ATA_DEV_DEV, ==, 0);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h), ==, ATA_SR_DRDY | ATA_SR_DSC);
    g_assert_cmphex(ih_error(&h), ==, 0x01);
    check_signature(&h);
    ih_teardown(&h);

    /* Also with the slave absent and selected. */
    ih_setup(&h, NULL);
    ih_outb(&h, IH_CMD + ATA_REG_DEVICE, ATA_DEV_DEV);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_DIAGNOSE);
    g_assert_true(ih_wait_irq(&h));
    g_assert_cmphex(ih_status(&h), ==, ATA_SR_DRDY | ATA_SR_DSC);
    ih_teardown(&h);
}

static void test_hob(void)
{
    ih h;

    ih_setup(&h, NULL);
    ih_outb(&h, IH_CMD + ATA_REG_LBAM, 0x12);
    ih_outb(&h, IH_CMD + ATA_REG_LBAM, 0x34);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAM), ==, 0x34);
    ih_outb(&h, IH_CTL, ATA_DC_HOB);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAM), ==, 0x12);
    /* Any command-block write clears HOB. */
    ih_outb(&h, IH_CMD + ATA_REG_LBAH, 0x56);
    g_assert_cmphex(ih_inb(&h, IH_CMD + ATA_REG_LBAM), ==, 0x34);
    ih_teardown(&h);
}

static void test_empty_channel(void)
{
    ih h;

    ih_setup(&h, NULL);
    /* The secondary channel has no drives: registers read 0, commands
     * vanish, nothing is raised on IRQ 15. */
    ih_outb(&h, IDE_SEC_CMD + ATA_REG_NSECTOR, 0x55);
    g_assert_cmphex(ih_inb(&h, IDE_SEC_CMD + ATA_REG_NSECTOR), ==, 0);
    ih_outb(&h, IDE_SEC_CMD + ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
    ih_outb(&h, IDE_SEC_CMD + ATA_REG_COMMAND, ATA_CMD_DIAGNOSE);
    g_assert_cmphex(ih_inb(&h, IDE_SEC_CMD + ATA_REG_STATUS), ==, 0);
    g_assert_cmphex(ih_inb(&h, IDE_SEC_CTL), ==, 0);
    g_assert_cmpuint(hv_memhost_isa_level(h.mh, IDE_SEC_IRQ), ==, 0);
    ih_teardown(&h);
}

static void test_reset_device(void)
{
    uint16_t w[256];
    ih h;

    ih_setup(&h, NULL);
    ih_outb(&h, IH_CMD + ATA_REG_NSECTOR, 4);
    ih_outb(&h, IH_CMD + ATA_REG_COMMAND, ATA_CMD_SET_MULTIPLE);
    g_assert_true(ih_wait_irq(&h));
    hv_ctx_reset(h.ctx);
    g_assert_cmpuint(ih_irq(&h), ==, 0);
    /* PCI COMMAND went back to 0: BAR4 decode is off until re-enabled. */
    g_assert_cmphex(ih_inb(&h, IH_BM_BASE + BM_REG_STATUS), ==, 0xff);
    ih_cfg_write(&h, 0x20, 4, IH_BM_BASE);
    ih_cfg_write(&h, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    g_assert_cmphex(ih_altstatus(&h), ==, ATA_SR_DRDY | ATA_SR_DSC);
    g_assert_true(ih_identify(&h, 0, w));
    g_assert_cmphex(w[59], ==, 0x0110);     /* power-on multiple: 16 */
    ih_teardown(&h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide/bus/irq-ack", test_irq_ack);
    g_test_add_func("/ide/bus/nien", test_nien);
    g_test_add_func("/ide/bus/srst", test_srst);
    g_test_add_func("/ide/bus/srst-inflight", test_srst_inflight);
    g_test_add_func("/ide/bus/absent-slave", test_absent_slave);
    g_test_add_func("/ide/bus/slave-present", test_slave_present);
    g_test_add_func("/ide/bus/only-slave", test_only_slave);
    g_test_add_func("/ide/bus/diagnostic", test_diagnostic);
    g_test_add_func("/ide/bus/hob", test_hob);
    g_test_add_func("/ide/bus/empty-channel", test_empty_channel);
    g_test_add_func("/ide/bus/reset-device", test_reset_device);
    return g_test_run();
}
