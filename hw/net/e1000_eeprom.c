/* SPDX-License-Identifier: MIT */
/*
 * The 82540EM's serial EEPROM: a 64-word Microwire part (93C46-like,
 * SDM 5.5-5.6) read either by bit-banging EECD (what Linux' e1000 does on
 * this chip) or through EERD (13.4.4, used by iPXE and some BIOSes).
 * Words 0-2 hold the MAC address; the words 0x00..0x3f sum to 0xBABA.
 * Writes (EWEN/WRITE/ERASE) are accepted and ignored: the image is
 * rebuilt from the configured MAC at every start.
 */
#include "hw/net/e1000_int.h"

#define EE_ADDR_BITS    6               /* 64 words: EECD.SIZE = 0 */
#define EE_CMD_BITS     (3 + EE_ADDR_BITS)  /* start bit, opcode, address */
#define EE_OP_READ      0x6             /* start bit + READ opcode (10b) */

/* SDM table 5-2; the values that matter to drivers, the rest zero. */
#define EE_ICW1         0x0a            /* Initialization Control Word 1 */
#define EE_SUBSYS_ID    0x0b
#define EE_SUBSYS_VEN   0x0c
#define EE_DEV_ID       0x0d
#define EE_VEN_ID       0x0e
#define EE_ICW2         0x0f            /* bits 13:12 PAUSE/ASM_DIR */
#define EE_LED_CFG      0x04            /* 0xffff: driver default LEDs */

void e1000_eeprom_init(e1000 *s)
{
    uint16_t *w = s->ee.data;
    uint16_t sum = 0;

    memset(w, 0, sizeof(s->ee.data));
    for (int i = 0; i < 3; i++) {
        w[i] = (uint16_t)(s->mac[2 * i] | s->mac[2 * i + 1] << 8);
    }
    w[EE_LED_CFG] = 0xffff;
    w[EE_ICW1] = 0x0001;                /* load subsystem IDs */
    w[EE_SUBSYS_ID] = E1000_SUBSYS_ID;
    w[EE_SUBSYS_VEN] = E1000_VENDOR_INTEL;
    w[EE_DEV_ID] = E1000_DEV_ID_82540EM;
    w[EE_VEN_ID] = E1000_VENDOR_INTEL;
    w[EE_ICW2] = 0x3000;                /* symmetric + asymmetric pause */
    for (int i = 0; i < E1000_EEPROM_CHECKSUM; i++) {
        sum = (uint16_t)(sum + w[i]);
    }
    w[E1000_EEPROM_CHECKSUM] = (uint16_t)(E1000_EEPROM_SUM - sum);
}

void e1000_eeprom_reset(e1000 *s)
{
    s->ee.eecd = 0;
    s->ee.bits = 0;
    s->ee.in = 0;
    s->ee.reading = false;
    s->ee.out_pos = -1;
}

static unsigned ee_data_out(const e1000_eeprom *ee)
{
    unsigned pos, word;

    if (!ee->reading || ee->out_pos < 0) {
        return 0;   /* the dummy zero before the data (93C46) */
    }
    pos = (unsigned)ee->out_pos;
    word = (ee->addr + pos / 16) % E1000_EEPROM_WORDS;  /* sequential read */
    return (ee->data[word] >> (15 - pos % 16)) & 1;
}

uint32_t e1000_eecd_read(e1000 *s)
{
    /* Always present and granted: software never waits on hardware. */
    return s->ee.eecd | E1000_EECD_PRES | E1000_EECD_GNT |
           (ee_data_out(&s->ee) ? E1000_EECD_DO : 0);
}

static void ee_shift_in(e1000_eeprom *ee, bool di)
{
    if (ee->bits == 0 && !di) {
        return;     /* leading zeros before the start bit */
    }
    if (ee->bits >= EE_CMD_BITS) {
        return;     /* data of a write command: ignored */
    }
    ee->in = (ee->in << 1) | di;
    if (++ee->bits < EE_CMD_BITS) {
        return;
    }
    if ((ee->in >> EE_ADDR_BITS) == EE_OP_READ) {
        ee->reading = true;
        ee->addr = ee->in & (E1000_EEPROM_WORDS - 1);
        ee->out_pos = -1;
    }
}

void e1000_eecd_write(e1000 *s, uint32_t val)
{
    e1000_eeprom *ee = &s->ee;
    uint32_t old = ee->eecd;
    bool rising;

    ee->eecd = val & (E1000_EECD_SK | E1000_EECD_CS | E1000_EECD_DI |
                      E1000_EECD_FWE | E1000_EECD_REQ);
    if (!(val & E1000_EECD_CS)) {
        /* Chip select low ends any command. */
        ee->bits = 0;
        ee->in = 0;
        ee->reading = false;
        return;
    }
    rising = !(old & E1000_EECD_SK) && (val & E1000_EECD_SK);
    if (!(old & E1000_EECD_CS) || !rising) {
        return;
    }
    if (ee->reading) {
        /* Next data bit; wraps harmlessly after the whole part. */
        ee->out_pos = (ee->out_pos + 1) % (E1000_EEPROM_WORDS * 16);
        return;
    }
    ee_shift_in(ee, val & E1000_EECD_DI);
}

void e1000_eerd_write(e1000 *s, uint32_t val)
{
    unsigned addr = (val >> E1000_EERD_ADDR_SHIFT) & 0xff;
    uint32_t data = 0;

    if (!(val & E1000_EERD_START)) {
        E1000_REG(s, E1000_EERD) = val & ~E1000_EERD_DONE;
        return;
    }
    if (addr < E1000_EEPROM_WORDS) {
        data = s->ee.data[addr];
    }
    /* The read completes at once: DONE is set when the guest looks. */
    E1000_REG(s, E1000_EERD) = E1000_EERD_DONE |
                               addr << E1000_EERD_ADDR_SHIFT |
                               data << E1000_EERD_DATA_SHIFT;
}
