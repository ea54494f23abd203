/* test_pm.c - ACPI fixed hardware, SCI and the reset paths, driven the way
 * Linux/ACPICA access them (16-bit PM1 registers, 32-bit PM timer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/pm.h"
#include "plan/iomap.h"

#define PM1_STS (IOMAP_PM1A_EVT - IOMAP_PM_BASE)
#define PM1_EN (PM1_STS + 2)
#define PM1_CNT (IOMAP_PM1A_CNT - IOMAP_PM_BASE)
#define PM_TMR (IOMAP_PM_TMR - IOMAP_PM_BASE)
#define GPE0_STS 0
#define GPE0_EN 2

#define TMR_STS 0x0001
#define PWRBTN 0x0100
#define WAK_STS 0x8000
#define SCI_EN 0x0001
#define SLP_EN 0x2000
#define SLP_TYP(t) ((t) << 10)

struct fx {
	struct pm *pm;
	int sci, sci_raises, sci_lowers;
	unsigned sci_gsi;
	int poweroffs, resets;
	bool reset_resets_pm;
};

static void sci_set(void *ctx, unsigned gsi, int level)
{
	struct fx *f = ctx;

	f->sci_gsi = gsi;
	f->sci_raises += level && !f->sci;
	f->sci_lowers += !level && f->sci;
	f->sci = level;
}

static void on_poweroff(void *opaque)
{
	struct fx *f = opaque;

	f->poweroffs++;
}

static void on_reset(void *opaque)
{
	struct fx *f = opaque;

	f->resets++;
	/* A machine reset resets its devices; pm must not hold its lock. */
	if (f->reset_resets_pm)
		pm_reset(f->pm);
}

static int setup(void **state)
{
	static struct fx f;
	struct kverr err = {{0}};
	struct irq_line sci;
	struct pm_callbacks cb = {.poweroff = on_poweroff, .reset = on_reset, .opaque = &f};

	memset(&f, 0, sizeof(f));
	sci = (struct irq_line){.set = sci_set, .ctx = &f, .gsi = IOMAP_SCI_IRQ};
	if (pm_create(&f.pm, &sci, &cb, &err) < 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pm_destroy(f->pm);
	return 0;
}

static uint32_t rd(bus_access_fn fn, struct pm *pm, unsigned off, unsigned len)
{
	uint8_t d[4];
	uint32_t v = 0;

	memset(d, 0xaa, sizeof(d));
	fn(pm, off, d, len, false);
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)d[i] << (8 * i);
	return v;
}

static void wr(bus_access_fn fn, struct pm *pm, unsigned off, unsigned len, uint32_t v)
{
	uint8_t d[4];

	for (unsigned i = 0; i < len; i++)
		d[i] = v >> (8 * i);
	fn(pm, off, d, len, true);
}

static void test_s5_powers_off_once(void **state)
{
	struct fx *f = *state;

	/* ACPICA: write SLP_TYP first, then SLP_TYP | SLP_EN. */
	wr(pm_io, f->pm, PM1_CNT, 2, SLP_TYP(IOMAP_SLP_TYP_S5));
	assert_int_equal(f->poweroffs, 0);
	assert_int_equal(rd(pm_io, f->pm, PM1_CNT, 2), SLP_TYP(IOMAP_SLP_TYP_S5) | SCI_EN);
	wr(pm_io, f->pm, PM1_CNT, 2, SLP_TYP(IOMAP_SLP_TYP_S5) | SLP_EN);
	assert_int_equal(f->poweroffs, 1);
	/* SLP_EN is write-only. */
	assert_int_equal(rd(pm_io, f->pm, PM1_CNT, 2) & SLP_EN, 0);
	/* A second request (e.g. from another vCPU) does not call again. */
	wr(pm_io, f->pm, PM1_CNT, 2, SLP_TYP(IOMAP_SLP_TYP_S5) | SLP_EN);
	assert_int_equal(f->poweroffs, 1);
	assert_int_equal(f->resets, 0);

	/* After a machine reset the next S5 powers off again; a single
	 * byte write to the high half carries SLP_TYP and SLP_EN. */
	pm_reset(f->pm);
	wr(pm_io, f->pm, PM1_CNT + 1, 1, (SLP_TYP(IOMAP_SLP_TYP_S5) | SLP_EN) >> 8);
	assert_int_equal(f->poweroffs, 2);
}

static void test_other_sleep_types_ignored(void **state)
{
	struct fx *f = *state;

	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == IOMAP_SLP_TYP_S5)
			continue;
		wr(pm_io, f->pm, PM1_STS, 2, WAK_STS);
		assert_int_equal(rd(pm_io, f->pm, PM1_STS, 2), 0);
		wr(pm_io, f->pm, PM1_CNT, 2, SLP_TYP(typ) | SLP_EN);
		/* The guest "wakes" at once so ACPICA's WAK_STS poll ends. */
		assert_int_equal(rd(pm_io, f->pm, PM1_STS, 2), WAK_STS);
	}
	assert_int_equal(f->poweroffs, 0);
	assert_int_equal(f->resets, 0);
	/* WAK_STS has no enable bit: no SCI for it. */
	assert_int_equal(f->sci_raises, 0);
}

static void test_sci_en_always_set(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(pm_io, f->pm, PM1_CNT, 2) & SCI_EN, SCI_EN);
	wr(pm_io, f->pm, PM1_CNT, 2, 0);
	assert_int_equal(rd(pm_io, f->pm, PM1_CNT, 2), SCI_EN);
}

static void test_pm1_sts_write_one_to_clear(void **state)
{
	struct fx *f = *state;

	pm_press_power_button(f->pm);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS, 2), PWRBTN);
	wr(pm_io, f->pm, PM1_STS, 2, 0);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS, 2), PWRBTN);
	wr(pm_io, f->pm, PM1_STS, 2, (uint16_t)~PWRBTN);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS, 2), PWRBTN);
	/* A byte write to the low half does not touch bit 8. */
	wr(pm_io, f->pm, PM1_STS, 1, 0xff);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS, 2), PWRBTN);
	wr(pm_io, f->pm, PM1_STS + 1, 1, PWRBTN >> 8);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS, 2), 0);
}

static void test_sci_follows_pm1_sts_and_en(void **state)
{
	struct fx *f = *state;

	pm_press_power_button(f->pm);
	assert_int_equal(f->sci, 0); /* not enabled yet */
	wr(pm_io, f->pm, PM1_EN, 2, PWRBTN);
	assert_int_equal(rd(pm_io, f->pm, PM1_EN, 2), PWRBTN);
	assert_int_equal(f->sci, 1);
	assert_int_equal(f->sci_gsi, IOMAP_SCI_IRQ);
	wr(pm_io, f->pm, PM1_STS, 2, PWRBTN); /* the OSPM handler acks */
	assert_int_equal(f->sci, 0);

	pm_press_power_button(f->pm);
	assert_int_equal(f->sci, 1);
	wr(pm_io, f->pm, PM1_EN, 2, 0);
	assert_int_equal(f->sci, 0);
	assert_int_equal(f->sci_raises, 2);
	assert_int_equal(f->sci_lowers, 2);
}

static void test_gpe0(void **state)
{
	struct fx *f = *state;
	struct kverr err = {{0}};

	assert_int_equal(pm_gpe_raise(f->pm, 3, &err), 0);
	assert_int_equal(rd(pm_gpe_io, f->pm, GPE0_STS, 2), 1u << 3);
	assert_int_equal(f->sci, 0);
	wr(pm_gpe_io, f->pm, GPE0_EN, 1, 1u << 3);
	assert_int_equal(rd(pm_gpe_io, f->pm, GPE0_EN, 2), 1u << 3);
	assert_int_equal(f->sci, 1);
	wr(pm_gpe_io, f->pm, GPE0_STS, 2, 1u << 2); /* other bit: no effect */
	assert_int_equal(f->sci, 1);
	wr(pm_gpe_io, f->pm, GPE0_STS, 2, 1u << 3);
	assert_int_equal(f->sci, 0);
	assert_int_equal(rd(pm_gpe_io, f->pm, GPE0_STS, 2), 0);

	/* The high byte, and a 32-bit access to the whole block. */
	wr(pm_gpe_io, f->pm, GPE0_STS, 4, 0x80000000u);
	assert_int_equal(pm_gpe_raise(f->pm, 15, &err), 0);
	assert_int_equal(rd(pm_gpe_io, f->pm, GPE0_STS, 4), 0x80008000u);
	assert_int_equal(f->sci, 1);
	wr(pm_gpe_io, f->pm, GPE0_STS, 4, 0x80008000u); /* W1C STS, EN unchanged */
	assert_int_equal(rd(pm_gpe_io, f->pm, GPE0_STS, 4), 0x80000000u);
	assert_int_equal(f->sci, 0);

	assert_int_equal(pm_gpe_raise(f->pm, 16, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "GPE 16"));
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_pm_timer_rate(void **state)
{
	struct fx *f = *state;
	uint32_t t0, t1, prev;
	double s0, s1, rate;

	s0 = mono_s();
	t0 = rd(pm_io, f->pm, PM_TMR, 4);
	usleep(200 * 1000);
	t1 = rd(pm_io, f->pm, PM_TMR, 4);
	s1 = mono_s();
	assert_int_equal(t0 >> 24, 0); /* 24-bit timer */
	assert_int_equal(t1 >> 24, 0);
	rate = ((t1 - t0) & 0xffffff) / (s1 - s0);
	assert_true(rate > 3579545 * 0.9 && rate < 3579545 * 1.1);

	/* Never goes backwards (modulo 2^24) between close reads. */
	prev = rd(pm_io, f->pm, PM_TMR, 4);
	for (int i = 0; i < 1000; i++) {
		uint32_t now = rd(pm_io, f->pm, PM_TMR, 4);

		assert_true(((now - prev) & 0xffffff) < 0x800000);
		prev = now;
	}
	/* Read-only. */
	wr(pm_io, f->pm, PM_TMR, 4, 0);
	assert_true(((rd(pm_io, f->pm, PM_TMR, 4) - prev) & 0xffffff) < 0x800000);
}

static void test_access_widths_and_offsets(void **state)
{
	struct fx *f = *state;
	uint8_t d[4];

	pm_press_power_button(f->pm);
	/* 32-bit at PM1a_EVT: PM1_EN in the high half. */
	wr(pm_io, f->pm, PM1_EN, 2, PWRBTN);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS, 4), (uint32_t)PWRBTN << 16 | PWRBTN);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS + 1, 1), PWRBTN >> 8);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS + 1, 2), PWRBTN >> 8); /* STS hi, EN lo */
	/* 32-bit write: ack STS and disable EN in one access. */
	wr(pm_io, f->pm, PM1_STS, 4, PWRBTN);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS, 4), 0);
	assert_int_equal(f->sci, 0);
	/* Holes inside the block read 0; bytes past its end read 0xff. */
	assert_int_equal(rd(pm_io, f->pm, PM1_CNT + 2, 2), 0);
	pm_io(f->pm, IOMAP_PM_LEN - 2, d, 4, false);
	assert_int_equal(d[0], 0);
	assert_int_equal(d[1], 0);
	assert_int_equal(d[2], 0xff);
	assert_int_equal(d[3], 0xff);
	/* The PM timer read through its 16-bit halves stays a 24-bit value. */
	assert_int_equal(rd(pm_io, f->pm, PM_TMR + 2, 2) >> 8, 0);
}

static void test_reset_register_0xcf9(void **state)
{
	struct fx *f = *state;

	/* Linux's BOOT_CF9: read, write SYS_RST, then SYS_RST | RST_CPU. */
	assert_int_equal(rd(pm_reset_io, f->pm, 0, 1), 0);
	wr(pm_reset_io, f->pm, 0, 1, 0x02);
	assert_int_equal(f->resets, 0);
	assert_int_equal(rd(pm_reset_io, f->pm, 0, 1), 0x02);
	wr(pm_reset_io, f->pm, 0, 1, 0x06);
	assert_int_equal(f->resets, 1);
	/* The FADT reset value, as ACPI reboot writes it. */
	wr(pm_reset_io, f->pm, 0, 1, IOMAP_RESET_VALUE);
	assert_int_equal(f->resets, 2);
	wr(pm_reset_io, f->pm, 0, 1, 0x0e); /* full reset */
	assert_int_equal(f->resets, 3);
	assert_int_equal(rd(pm_reset_io, f->pm, 0, 1), 0x0a); /* RST_CPU self-clears */
	assert_int_equal(f->poweroffs, 0);
}

static void test_i8042_reset(void **state)
{
	struct fx *f = *state;

	/* kb_wait(): input buffer empty, so the guest never spins. */
	assert_int_equal(rd(pm_i8042_io, f->pm, 0, 1), 0);
	wr(pm_i8042_io, f->pm, 0, 1, 0xaa); /* self-test: ignored */
	wr(pm_i8042_io, f->pm, 0, 1, 0xd1);
	assert_int_equal(f->resets, 0);
	wr(pm_i8042_io, f->pm, 0, 1, 0xfe);
	assert_int_equal(f->resets, 1);
}

static void test_reset_callback_may_reset_pm(void **state)
{
	struct fx *f = *state;

	f->reset_resets_pm = true;
	pm_press_power_button(f->pm);
	wr(pm_io, f->pm, PM1_EN, 2, PWRBTN);
	assert_int_equal(f->sci, 1);
	wr(pm_reset_io, f->pm, 0, 1, IOMAP_RESET_VALUE); /* would deadlock if locked */
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->sci, 0);
	assert_int_equal(rd(pm_io, f->pm, PM1_STS, 4), 0);
	wr(pm_i8042_io, f->pm, 0, 1, 0xfe);
	assert_int_equal(f->resets, 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_s5_powers_off_once),
	    T(test_other_sleep_types_ignored),
	    T(test_sci_en_always_set),
	    T(test_pm1_sts_write_one_to_clear),
	    T(test_sci_follows_pm1_sts_and_en),
	    T(test_gpe0),
	    T(test_pm_timer_rate),
	    T(test_access_widths_and_offsets),
	    T(test_reset_register_0xcf9),
	    T(test_i8042_reset),
	    T(test_reset_callback_may_reset_pm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
