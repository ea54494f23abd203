/* pm.h - ACPI fixed hardware (PM1a event/control, PM timer, GPE0), the
 * SCI, the reset control register (0xcf9) and the i8042 reset command.
 *
 * Owns: the PM1/GPE0 status and enable bits and the SCI level derived from
 * them.  Never: powers off or resets the machine itself (it calls the
 * callbacks given at create), prints or exits.
 *
 * Registration (four ranges, four access functions, one opaque pm):
 *   bus_register(pio, IOMAP_PM_BASE, IOMAP_PM_LEN, pm_io, ...)
 *       offsets 0-3 PM1a_EVT (PM1_STS, PM1_EN), 4-5 PM1a_CNT, 8-11 PM_TMR;
 *       the other bytes read 0 and ignore writes
 *   bus_register(pio, IOMAP_GPE0_BLK, IOMAP_GPE0_BLK_LEN, pm_gpe_io, ...)
 *       offsets 0-1 GPE0_STS, 2-3 GPE0_EN (16 GPEs)
 *   bus_register(pio, IOMAP_RESET_REG, 1, pm_reset_io, ...)
 *   bus_register(pio, IOMAP_I8042_CMD, 1, pm_i8042_io, ...)
 * Accesses of 1, 2 or 4 bytes at any offset work byte-lane by byte-lane
 * (a 16-bit write to PM1_STS clears both bytes' bits at once; a 32-bit read
 * at offset 0 returns PM1_EN:PM1_STS); bytes past the end read 0xff.
 *
 * Registers:
 *  - PM1_STS: write 1 to clear.  PWRBTN_STS (bit 8) is set by
 *    pm_press_power_button; WAK_STS (bit 15) is set when the guest asks
 *    for a sleep state other than S5, which is not implemented: the guest
 *    "wakes" at once instead of spinning on WAK_STS forever.  TMR_STS
 *    (bit 0) is never set: timer overflow is not modelled (Linux uses the
 *    PM timer as a clocksource and never enables TMR_EN).
 *  - PM1_EN: TMR, GBL, PWRBTN, SLPBTN and RTC enables read back as written.
 *  - PM1_CNT: SCI_EN (bit 0) always reads 1 (there is no SMI_CMD, so the
 *    guest never has to enable ACPI mode); BM_RLD and SLP_TYP read back;
 *    GBL_RLS and SLP_EN read 0.  SLP_EN with SLP_TYP == IOMAP_SLP_TYP_S5
 *    calls poweroff, once until pm_reset.
 *  - PM_TMR: 24-bit count at 3.579545 MHz from CLOCK_MONOTONIC (the FADT
 *    must say TMR_VAL_EXT = 0); writes are ignored.
 *  - GPE0_STS write 1 to clear, GPE0_EN read/write.
 *  - SCI (the irq line given at create, IOMAP_SCI_IRQ, level) is 1 while
 *    PM1_STS & PM1_EN or GPE0_STS & GPE0_EN has a bit set.
 *  - 0xcf9: a write with bit 2 (RST_CPU) set, e.g. IOMAP_RESET_VALUE or
 *    Linux's 0x02-then-0x06, calls reset; bits 1 and 3 read back.
 *  - 0x64: writing 0xfe (pulse reset line) calls reset; other commands are
 *    ignored; reads return 0 (both buffers empty) so guests never spin.
 *
 * Locking: every entry point takes the device mutex; the irq line callback
 * runs with it held (only when the level changes) and must not call back
 * into pm.  The machine callbacks run on the vCPU thread that made the
 * access, without the mutex held, so they may call pm_reset; they should
 * only request the action (e.g. set a flag and kick the main loop).
 */
#ifndef KVMEM_HW_PM_H
#define KVMEM_HW_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "util/err.h"

struct pm_callbacks {
	void (*poweroff)(void *opaque);
	void (*reset)(void *opaque);
	void *opaque;
};

struct pm;

/* *sci and *cb are copied; either callback may be NULL. */
int pm_create(struct pm **out, const struct irq_line *sci, const struct pm_callbacks *cb,
	      struct kverr *err);
void pm_destroy(struct pm *pm);

void pm_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
void pm_gpe_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
void pm_reset_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
void pm_i8042_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

/* Sets PWRBTN_STS; the SCI fires if the guest enabled PWRBTN_EN. */
void pm_press_power_button(struct pm *pm);

/* Sets GPE0_STS bit `bit` (0-15); the SCI fires if GPE0_EN has it. */
int pm_gpe_raise(struct pm *pm, unsigned bit, struct kverr *err);

/* Back to the power-on state (all status, enable and control bits 0, SCI
 * low, poweroff armed again), for a machine reset. */
void pm_reset(struct pm *pm);

#endif
