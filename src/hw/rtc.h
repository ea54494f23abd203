/* rtc.h - MC146818 CMOS real-time clock and CMOS RAM (ports 0x70/0x71).
 *
 * Owns: the guest's wall clock (as an offset from host UTC) and the 128
 * bytes of CMOS RAM.  Never: changes the host clock, raises an interrupt,
 * prints or exits.
 *
 * Register with bus_register(pio, IOMAP_RTC_BASE, IOMAP_RTC_LEN, rtc_io,
 * r, "rtc", err).  Port 0x70 selects a register (bit 7, the NMI mask, is
 * ignored; reads of 0x70 return 0xff), port 0x71 reads or writes it.
 *
 * What the guest sees:
 *  - Registers 0,2,4,6,7,8,9 and the century at 0x32 (the index the FADT
 *    CENTURY field should name) show host UTC plus an offset, in BCD or
 *    binary and 12 or 24 hour format as register B says, at read time.
 *    Writes move the offset; while B.SET is held the clock is frozen and
 *    the new time takes effect when SET is cleared.  Day of week is derived
 *    from the date.
 *  - Register A: UIP always reads 0 (no update cycle is ever in progress),
 *    the other bits read as written (power-on 0x26).
 *  - Register B: as written (power-on 0x02: 24 hour, BCD, no interrupts).
 *  - Register C: reads and clears; only UF is modelled (set when the clock
 *    has ticked since C was last read).  Register D: 0x80 (VRT, power good).
 *  - No periodic, alarm or update-ended interrupt is ever raised (IRQ 8
 *    stays low): the alarm registers are plain RAM.  Linux's rtc-cmos
 *    reads and sets the time fine; anything that waits for an RTC
 *    interrupt (RTC_UIE_ON, wakealarm) times out.
 *
 * Locking: every entry point takes the device mutex.
 */
#ifndef KVMEM_HW_RTC_H
#define KVMEM_HW_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "util/err.h"

struct rtc;

int rtc_create(struct rtc **out, struct kverr *err);
void rtc_destroy(struct rtc *r);

/* bus_access_fn for the index (offset 0) and data (offset 1) ports. */
void rtc_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

#endif
