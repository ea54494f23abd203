/* test_rtc.c - the CMOS RTC read and set the way Linux's mc146818 code does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/rtc.h"
#include "plan/iomap.h"

#define RTC_SECONDS 0
#define RTC_MINUTES 2
#define RTC_HOURS 4
#define RTC_DAY_OF_WEEK 6
#define RTC_DAY_OF_MONTH 7
#define RTC_MONTH 8
#define RTC_YEAR 9
#define RTC_FREQ_SELECT 0x0a
#define RTC_CONTROL 0x0b
#define RTC_INTR_FLAGS 0x0c
#define RTC_VALID 0x0d
#define RTC_CENTURY 0x32

#define RTC_UIP 0x80
#define RTC_DIV_RESET2 0x70
#define RTC_SET 0x80
#define RTC_UIE 0x10
#define RTC_DM_BINARY 0x04
#define RTC_24H 0x02
#define RTC_UF 0x10
#define RTC_VRT 0x80
#define RTC_PM 0x80

static int setup(void **state)
{
	struct rtc *r;
	struct kverr err = {{0}};

	if (rtc_create(&r, &err) < 0)
		return -1;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	rtc_destroy(*state);
	return 0;
}

/* CMOS_READ / CMOS_WRITE: index at 0x70, data at 0x71. */
static uint8_t cmos_read(struct rtc *r, uint8_t reg)
{
	uint8_t v = 0xaa;

	rtc_io(r, 0, &reg, 1, true);
	rtc_io(r, 1, &v, 1, false);
	return v;
}

static void cmos_write(struct rtc *r, uint8_t val, uint8_t reg)
{
	rtc_io(r, 0, &reg, 1, true);
	rtc_io(r, 1, &val, 1, true);
}

static int bcd2bin(uint8_t v)
{
	assert_true((v & 0x0f) <= 9);
	assert_true((v >> 4) <= 9);
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t bin2bcd(int v)
{
	return (v / 10) << 4 | v % 10;
}

struct rtc_time {
	int sec, min, hour, mday, mon, year; /* mon 1-12, year full */
};

/* mc146818_get_time: wait for !UIP, read, decode per register B. */
static void get_time(struct rtc *r, struct rtc_time *t)
{
	uint8_t ctl, sec;
	bool binary, h24, pm;

	do {
		assert_int_equal(cmos_read(r, RTC_FREQ_SELECT) & RTC_UIP, 0);
		sec = cmos_read(r, RTC_SECONDS);
		t->min = cmos_read(r, RTC_MINUTES);
		t->hour = cmos_read(r, RTC_HOURS);
		t->mday = cmos_read(r, RTC_DAY_OF_MONTH);
		t->mon = cmos_read(r, RTC_MONTH);
		t->year = cmos_read(r, RTC_YEAR) | cmos_read(r, RTC_CENTURY) << 8;
	} while (sec != cmos_read(r, RTC_SECONDS));
	t->sec = sec;
	ctl = cmos_read(r, RTC_CONTROL);
	binary = ctl & RTC_DM_BINARY;
	h24 = ctl & RTC_24H;
	pm = !h24 && (t->hour & RTC_PM);
	if (!h24)
		t->hour &= ~RTC_PM;
	if (!binary) {
		t->sec = bcd2bin(t->sec);
		t->min = bcd2bin(t->min);
		t->hour = bcd2bin(t->hour);
		t->mday = bcd2bin(t->mday);
		t->mon = bcd2bin(t->mon);
		t->year = bcd2bin(t->year & 0xff) + 100 * bcd2bin(t->year >> 8);
	} else {
		t->year = (t->year & 0xff) + 100 * (t->year >> 8);
	}
	if (!h24) {
		assert_true(t->hour >= 1 && t->hour <= 12);
		t->hour = t->hour % 12 + (pm ? 12 : 0);
	}
}

static time_t to_time(const struct rtc_time *t)
{
	struct tm tm = {.tm_sec = t->sec,
			.tm_min = t->min,
			.tm_hour = t->hour,
			.tm_mday = t->mday,
			.tm_mon = t->mon - 1,
			.tm_year = t->year - 1900};

	return timegm(&tm);
}

/* The guest clock reads host UTC (+ delta) within a second of slack. */
static void assert_reads_now(struct rtc *r, time_t delta)
{
	struct rtc_time t;
	time_t before = time(NULL) + delta, got, after;

	get_time(r, &t);
	after = time(NULL) + delta;
	got = to_time(&t);
	assert_true(got >= before - 1);
	assert_true(got <= after + 1);
}

/* mc146818_set_time: SET + divider reset, year first, seconds last. */
static void set_time(struct rtc *r, const struct rtc_time *t)
{
	uint8_t ctl = cmos_read(r, RTC_CONTROL), freq;
	bool binary = ctl & RTC_DM_BINARY;
	int v[] = {t->year % 100, t->mon, t->mday, t->hour, t->min, t->sec};
	uint8_t reg[] = {RTC_YEAR,  RTC_MONTH,	 RTC_DAY_OF_MONTH,
			 RTC_HOURS, RTC_MINUTES, RTC_SECONDS};

	cmos_write(r, ctl | RTC_SET, RTC_CONTROL);
	freq = cmos_read(r, RTC_FREQ_SELECT);
	cmos_write(r, freq | RTC_DIV_RESET2, RTC_FREQ_SELECT);
	for (unsigned i = 0; i < 6; i++)
		cmos_write(r, binary ? v[i] : bin2bcd(v[i]), reg[i]);
	cmos_write(r, binary ? t->year / 100 : bin2bcd(t->year / 100), RTC_CENTURY);
	cmos_write(r, ctl, RTC_CONTROL);
	cmos_write(r, freq, RTC_FREQ_SELECT);
}

static void test_power_on_registers(void **state)
{
	struct rtc *r = *state;

	assert_int_equal(cmos_read(r, RTC_FREQ_SELECT), 0x26);
	assert_int_equal(cmos_read(r, RTC_CONTROL), RTC_24H);
	/* rtc-cmos refuses the chip unless D reads exactly VRT. */
	assert_int_equal(cmos_read(r, RTC_VALID), RTC_VRT);
}

static void test_bcd_reads_host_utc(void **state)
{
	struct rtc *r = *state;

	assert_reads_now(r, 0);
}

static void test_binary_reads_host_utc(void **state)
{
	struct rtc *r = *state;

	cmos_write(r, RTC_24H | RTC_DM_BINARY, RTC_CONTROL);
	assert_reads_now(r, 0);
	assert_int_equal(cmos_read(r, RTC_CENTURY), 20);
}

static void test_12_hour_mode(void **state)
{
	struct rtc *r = *state;
	struct tm tm;
	time_t now;
	uint8_t h;

	for (int mode = 0; mode < 2; mode++) {
		cmos_write(r, mode ? RTC_DM_BINARY : 0, RTC_CONTROL);
		assert_reads_now(r, 0);
		do {
			now = time(NULL);
			h = cmos_read(r, RTC_HOURS);
		} while (now != time(NULL));
		gmtime_r(&now, &tm);
		assert_int_equal(!!(h & RTC_PM), tm.tm_hour >= 12);
		h &= ~RTC_PM;
		assert_int_equal(mode ? h : bcd2bin(h), tm.tm_hour % 12 ? tm.tm_hour % 12 : 12);
	}
}

static void test_12_hour_noon_and_midnight(void **state)
{
	struct rtc *r = *state;
	struct rtc_time t = {.sec = 0, .min = 30, .hour = 0, .mday = 1, .mon = 6, .year = 2024};

	set_time(r, &t);
	cmos_write(r, 0, RTC_CONTROL);			 /* BCD, 12 hour */
	assert_int_equal(cmos_read(r, RTC_HOURS), 0x12); /* 12 AM */
	t.hour = 12;
	cmos_write(r, RTC_24H, RTC_CONTROL);
	set_time(r, &t);
	cmos_write(r, 0, RTC_CONTROL);
	assert_int_equal(cmos_read(r, RTC_HOURS), RTC_PM | 0x12); /* 12 PM */
	cmos_write(r, RTC_DM_BINARY, RTC_CONTROL);
	assert_int_equal(cmos_read(r, RTC_HOURS), RTC_PM | 12);
	/* A 12-hour write: 1 PM is 13:00. */
	cmos_write(r, RTC_PM | 1, RTC_HOURS);
	cmos_write(r, RTC_24H | RTC_DM_BINARY, RTC_CONTROL);
	assert_int_equal(cmos_read(r, RTC_HOURS), 13);
	cmos_write(r, RTC_DM_BINARY, RTC_CONTROL);
	cmos_write(r, 12, RTC_HOURS); /* 12 AM is 00:00 */
	cmos_write(r, RTC_24H | RTC_DM_BINARY, RTC_CONTROL);
	assert_int_equal(cmos_read(r, RTC_HOURS), 0);
}

static void test_day_of_week(void **state)
{
	struct rtc *r = *state;
	struct rtc_time t = {.sec = 0, .min = 0, .hour = 12, .mday = 1, .mon = 1, .year = 2000};

	set_time(r, &t); /* 1 Jan 2000 was a Saturday: 7 with Sunday = 1 */
	assert_int_equal(cmos_read(r, RTC_DAY_OF_WEEK), 7);
}

static void test_set_time_like_linux(void **state)
{
	struct rtc *r = *state;
	struct rtc_time jan31 = {
	    .sec = 0, .min = 59, .hour = 23, .mday = 31, .mon = 1, .year = 2030};
	struct rtc_time feb15 = {
	    .sec = 30, .min = 20, .hour = 10, .mday = 15, .mon = 2, .year = 2031};
	struct rtc_time got;

	set_time(r, &jan31);
	assert_reads_now(r, to_time(&jan31) - time(NULL));

	/* Month := 2 while the day is still 31 must not land in March. */
	set_time(r, &feb15);
	get_time(r, &got);
	assert_int_equal(got.year, 2031);
	assert_int_equal(got.mon, 2);
	assert_int_equal(got.mday, 15);
	assert_int_equal(got.hour, 10);
	assert_int_equal(got.min, 20);
	assert_in_range(got.sec, 30, 32);

	/* The new time keeps running from the host clock, in any format. */
	cmos_write(r, RTC_24H | RTC_DM_BINARY, RTC_CONTROL);
	assert_reads_now(r, to_time(&feb15) - time(NULL));
}

static void test_set_freezes_clock(void **state)
{
	struct rtc *r = *state;
	uint8_t sec;

	cmos_write(r, RTC_24H | RTC_UIE, RTC_CONTROL);
	cmos_write(r, RTC_24H | RTC_UIE | RTC_SET, RTC_CONTROL);
	/* SET clears UIE, as the data sheet says. */
	assert_int_equal(cmos_read(r, RTC_CONTROL), RTC_24H | RTC_SET);
	assert_reads_now(r, 0); /* frozen at the moment SET was written */
	sec = cmos_read(r, RTC_SECONDS);
	usleep(1100 * 1000);
	assert_int_equal(cmos_read(r, RTC_SECONDS), sec);
	cmos_write(r, 0x45, RTC_MINUTES);
	assert_int_equal(cmos_read(r, RTC_MINUTES), 0x45);
	cmos_write(r, RTC_24H, RTC_CONTROL);
	/* Released: running again from the frozen value. */
	assert_int_equal(cmos_read(r, RTC_MINUTES), 0x45);
}

static void test_write_without_set(void **state)
{
	struct rtc *r = *state;
	time_t now = time(NULL);
	struct tm tm;

	/* Move the year back by ten: everything else keeps running. */
	gmtime_r(&now, &tm);
	cmos_write(r, bin2bcd((tm.tm_year + 1900 - 10) % 100), RTC_YEAR);
	assert_int_equal(cmos_read(r, RTC_YEAR), bin2bcd((tm.tm_year + 1900 - 10) % 100));
	tm.tm_year -= 10;
	assert_reads_now(r, timegm(&tm) - now);
	/* And the century register moves the year too. */
	cmos_write(r, 0x21, RTC_CENTURY);
	assert_int_equal(cmos_read(r, RTC_CENTURY), 0x21);
}

static void test_reg_c_read_clears_uf(void **state)
{
	struct rtc *r = *state;
	uint8_t sec = cmos_read(r, RTC_SECONDS);

	(void)cmos_read(r, RTC_INTR_FLAGS);
	assert_int_equal(cmos_read(r, RTC_INTR_FLAGS), 0);
	/* After the next update cycle, UF is set once. */
	for (int i = 0; i < 150 && cmos_read(r, RTC_SECONDS) == sec; i++)
		usleep(10 * 1000);
	assert_int_not_equal(cmos_read(r, RTC_SECONDS), sec);
	assert_int_equal(cmos_read(r, RTC_INTR_FLAGS), RTC_UF);
	assert_int_equal(cmos_read(r, RTC_INTR_FLAGS), 0);
}

static void test_register_a_and_d(void **state)
{
	struct rtc *r = *state;

	/* Divider bits as written, UIP never stuck. */
	cmos_write(r, 0xff, RTC_FREQ_SELECT);
	assert_int_equal(cmos_read(r, RTC_FREQ_SELECT), 0x7f);
	cmos_write(r, 0x26, RTC_FREQ_SELECT);
	assert_int_equal(cmos_read(r, RTC_FREQ_SELECT), 0x26);
	/* C and D are read-only. */
	cmos_write(r, 0xff, RTC_VALID);
	assert_int_equal(cmos_read(r, RTC_VALID), RTC_VRT);
	cmos_write(r, 0xff, RTC_INTR_FLAGS);
	assert_int_equal(cmos_read(r, RTC_INTR_FLAGS) & ~RTC_UF, 0);
}

static void test_cmos_ram_and_ports(void **state)
{
	struct rtc *r = *state;
	uint8_t v;

	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			cmos_write(r, i ^ 0x5a, i);
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			assert_int_equal(cmos_read(r, i), i ^ 0x5a);
	/* Bit 7 of the index is the NMI mask, not part of the index. */
	assert_int_equal(cmos_read(r, 0x80 | RTC_VALID), RTC_VRT);
	assert_int_equal(cmos_read(r, 0x80 | 0x40), 0x40 ^ 0x5a);
	/* The index port is write-only. */
	rtc_io(r, 0, &v, 1, false);
	assert_int_equal(v, 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_power_on_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bcd_reads_host_utc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_binary_reads_host_utc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_12_hour_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_12_hour_noon_and_midnight, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_day_of_week, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_time_like_linux, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_freezes_clock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_without_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reg_c_read_clears_uf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_register_a_and_d, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cmos_ram_and_ports, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
