/* pm.c - ACPI fixed hardware, reset control register and i8042 reset.
 *
 * Every register block is handled byte-lane by byte-lane: reads build the
 * block's bytes from one snapshot of the registers (so a 32-bit timer read
 * samples the clock once), writes collect the bytes that land on each
 * 16-bit register and apply them in one step (so a 16-bit PM1_CNT write
 * sees SLP_TYP and SLP_EN together, as ACPICA writes them).
 *
 * Machine callbacks are decided under the lock and called after it is
 * dropped: a reset handler is expected to reset devices, pm included.
 */
#include "hw/pm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "plan/iomap.h"

/* Offsets inside the PM block at IOMAP_PM_BASE. */
#define OFF_PM1_STS (IOMAP_PM1A_EVT - IOMAP_PM_BASE)
#define OFF_PM1_EN (OFF_PM1_STS + 2)
#define OFF_PM1_CNT (IOMAP_PM1A_CNT - IOMAP_PM_BASE)
#define OFF_PM_TMR (IOMAP_PM_TMR - IOMAP_PM_BASE)

/* Offsets inside the GPE0 block. */
#define OFF_GPE0_STS 0
#define OFF_GPE0_EN (IOMAP_GPE0_BLK_LEN / 2)

#define PM1_TMR 0x0001
#define PM1_GBL 0x0020
#define PM1_PWRBTN 0x0100
#define PM1_SLPBTN 0x0200
#define PM1_RTC 0x0400
#define PM1_WAK_STS 0x8000
#define PM1_EN_WRITABLE (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC)

#define CNT_SCI_EN 0x0001
#define CNT_BM_RLD 0x0002
#define CNT_SLP_TYP_SHIFT 10
#define CNT_SLP_TYP (7 << CNT_SLP_TYP_SHIFT)
#define CNT_SLP_EN 0x2000
#define CNT_STORED (CNT_BM_RLD | CNT_SLP_TYP)

#define PM_TMR_HZ 3579545u
#define PM_TMR_MASK 0xffffffu

#define RST_SYS 0x02
#define RST_CPU 0x04
#define RST_FULL 0x08

#define I8042_CMD_PULSE_RESET 0xfe

#define NR_GPE (8 * OFF_GPE0_EN)

struct pm {
	pthread_mutex_t lock;
	struct irq_line sci;
	int sci_level; /* last level given to sci */
	struct pm_callbacks cb;
	bool powered_off;

	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	uint8_t rst_cnt;
};

enum machine_action { ACT_NONE, ACT_POWEROFF, ACT_RESET };

static void update_sci(struct pm *pm)
{
	int level = (pm->pm1_sts & pm->pm1_en) || (pm->gpe_sts & pm->gpe_en);

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

static void unlock_and_act(struct pm *pm, enum machine_action act)
{
	struct pm_callbacks cb = pm->cb;

	pthread_mutex_unlock(&pm->lock);
	if (act == ACT_POWEROFF && cb.poweroff)
		cb.poweroff(cb.opaque);
	else if (act == ACT_RESET && cb.reset)
		cb.reset(cb.opaque);
}

static uint32_t pm_timer_now(void)
{
	struct timespec ts;
	uint64_t ticks;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* sec * HZ is exact, so this is floor(ns * HZ / 1e9): monotonic. */
	ticks = (uint64_t)ts.tv_sec * PM_TMR_HZ + (uint64_t)ts.tv_nsec * PM_TMR_HZ / 1000000000u;
	return ticks & PM_TMR_MASK;
}

static void put16(uint8_t *img, unsigned off, uint16_t v)
{
	img[off] = v;
	img[off + 1] = v >> 8;
}

/* Copies bytes [offset, offset + len) of a register block image to data;
 * bytes past the block read as all ones, like an unclaimed port. */
static void read_lanes(const uint8_t *img, unsigned img_len, uint64_t offset, uint8_t *data,
		       unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		data[i] = offset + i < img_len ? img[offset + i] : 0xff;
}

/* The bytes of a write [offset, offset + len) that land on the 16-bit
 * register at reg: their value, and in *mask which bits they cover. */
static uint16_t write_lanes16(uint64_t offset, const uint8_t *data, unsigned len, unsigned reg,
			      uint16_t *mask)
{
	uint16_t val = 0;

	*mask = 0;
	for (unsigned i = 0; i < len; i++) {
		uint64_t b = offset + i;

		if (b >= reg && b < reg + 2u) {
			val |= (uint16_t)data[i] << (8 * (b - reg));
			*mask |= (uint16_t)0xff << (8 * (b - reg));
		}
	}
	return val;
}

static enum machine_action write_pm1_cnt(struct pm *pm, uint16_t val, uint16_t mask)
{
	unsigned slp_typ;

	pm->pm1_cnt = (pm->pm1_cnt & ~mask) | (val & mask & CNT_STORED);
	if (!(val & mask & CNT_SLP_EN))
		return ACT_NONE;
	slp_typ = (pm->pm1_cnt & CNT_SLP_TYP) >> CNT_SLP_TYP_SHIFT;
	if (slp_typ == IOMAP_SLP_TYP_S5) {
		if (pm->powered_off)
			return ACT_NONE;
		pm->powered_off = true;
		return ACT_POWEROFF;
	}
	/* S1-S4 are not implemented: wake at once so that ACPICA's wait for
	 * WAK_STS ends and the guest carries on. */
	pm->pm1_sts |= PM1_WAK_STS;
	return ACT_NONE;
}

void pm_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct pm *pm = opaque;
	enum machine_action act = ACT_NONE;
	uint16_t val, mask;

	pthread_mutex_lock(&pm->lock);
	if (!is_write) {
		uint8_t img[IOMAP_PM_LEN] = {0};
		uint32_t tmr = pm_timer_now();

		put16(img, OFF_PM1_STS, pm->pm1_sts);
		put16(img, OFF_PM1_EN, pm->pm1_en);
		put16(img, OFF_PM1_CNT, pm->pm1_cnt | CNT_SCI_EN);
		put16(img, OFF_PM_TMR, tmr);
		put16(img, OFF_PM_TMR + 2, tmr >> 16);
		read_lanes(img, sizeof(img), offset, data, len);
		pthread_mutex_unlock(&pm->lock);
		return;
	}
	val = write_lanes16(offset, data, len, OFF_PM1_STS, &mask);
	pm->pm1_sts &= ~(val & mask);
	val = write_lanes16(offset, data, len, OFF_PM1_EN, &mask);
	pm->pm1_en = (pm->pm1_en & ~mask) | (val & mask & PM1_EN_WRITABLE);
	val = write_lanes16(offset, data, len, OFF_PM1_CNT, &mask);
	if (mask)
		act = write_pm1_cnt(pm, val, mask);
	update_sci(pm);
	unlock_and_act(pm, act);
}

void pm_gpe_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct pm *pm = opaque;
	uint16_t val, mask;

	pthread_mutex_lock(&pm->lock);
	if (!is_write) {
		uint8_t img[IOMAP_GPE0_BLK_LEN];

		put16(img, OFF_GPE0_STS, pm->gpe_sts);
		put16(img, OFF_GPE0_EN, pm->gpe_en);
		read_lanes(img, sizeof(img), offset, data, len);
	} else {
		val = write_lanes16(offset, data, len, OFF_GPE0_STS, &mask);
		pm->gpe_sts &= ~(val & mask);
		val = write_lanes16(offset, data, len, OFF_GPE0_EN, &mask);
		pm->gpe_en = (pm->gpe_en & ~mask) | (val & mask);
		update_sci(pm);
	}
	pthread_mutex_unlock(&pm->lock);
}

void pm_reset_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct pm *pm = opaque;
	enum machine_action act = ACT_NONE;

	pthread_mutex_lock(&pm->lock);
	if (!is_write) {
		read_lanes(&pm->rst_cnt, 1, offset, data, len);
	} else if (offset == 0) {
		/* RST_CPU is self-clearing, so every write with it set is the
		 * 0 -> 1 edge that starts a reset. */
		pm->rst_cnt = data[0] & (RST_SYS | RST_FULL);
		if (data[0] & RST_CPU)
			act = ACT_RESET;
	}
	unlock_and_act(pm, act);
}

void pm_i8042_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct pm *pm = opaque;
	enum machine_action act = ACT_NONE;
	static const uint8_t status; /* output and input buffers empty */

	pthread_mutex_lock(&pm->lock);
	if (!is_write)
		read_lanes(&status, 1, offset, data, len);
	else if (offset == 0 && data[0] == I8042_CMD_PULSE_RESET)
		act = ACT_RESET;
	unlock_and_act(pm, act);
}

void pm_press_power_button(struct pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts |= PM1_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

int pm_gpe_raise(struct pm *pm, unsigned bit, struct kverr *err)
{
	if (bit >= NR_GPE)
		return kverr_set(err, EINVAL, "pm: GPE %u out of range (GPE0 has %u)", bit, NR_GPE);
	pthread_mutex_lock(&pm->lock);
	pm->gpe_sts |= 1u << bit;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

static void reset_locked(struct pm *pm)
{
	pm->pm1_sts = 0;
	pm->pm1_en = 0;
	pm->pm1_cnt = 0;
	pm->gpe_sts = 0;
	pm->gpe_en = 0;
	pm->rst_cnt = 0;
	pm->powered_off = false;
	update_sci(pm);
}

void pm_reset(struct pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	reset_locked(pm);
	pthread_mutex_unlock(&pm->lock);
}

int pm_create(struct pm **out, const struct irq_line *sci, const struct pm_callbacks *cb,
	      struct kverr *err)
{
	struct pm *pm = calloc(1, sizeof(*pm));
	int ret;

	if (!pm)
		return kverr_set(err, ENOMEM, "pm: cannot allocate device state");
	ret = pthread_mutex_init(&pm->lock, NULL);
	if (ret) {
		free(pm);
		return kverr_sys(err, ret, "pm: pthread_mutex_init");
	}
	if (sci)
		pm->sci = *sci;
	if (cb)
		pm->cb = *cb;
	reset_locked(pm);
	*out = pm;
	return 0;
}

void pm_destroy(struct pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}
