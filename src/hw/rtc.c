/* rtc.c - MC146818 CMOS RTC and 128 bytes of CMOS RAM.
 *
 * The clock is not stored in registers: every read of a time register
 * converts (host CLOCK_REALTIME + offset) to the format register B asks
 * for, so switching BCD/binary or 12/24h never leaves stale values and
 * the clock cannot drift from the host.  A guest write changes the offset.
 *
 * Linux (mc146818_set_time) sets B.SET, writes year, month, day, hours,
 * minutes, seconds, then clears SET.  Applying each field to a running
 * clock would normalise intermediate dates (31 Jan with month := 2 becomes
 * 3 Mar), so while SET is held the fields are edited in a frozen copy and
 * the offset is computed once, when SET is cleared - which is also what the
 * hardware does: SET stops updates and reads return the frozen values.
 */
#include "hw/rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

enum {
	REG_SECONDS = 0x00,
	REG_SECONDS_ALARM = 0x01,
	REG_MINUTES = 0x02,
	REG_MINUTES_ALARM = 0x03,
	REG_HOURS = 0x04,
	REG_HOURS_ALARM = 0x05,
	REG_WEEKDAY = 0x06,
	REG_DAY = 0x07,
	REG_MONTH = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,
	NR_CMOS = 128,
};

#define A_UIP 0x80
#define B_SET 0x80
#define B_UIE 0x10
#define B_BINARY 0x04
#define B_24H 0x02
#define C_UF 0x10
#define D_VRT 0x80

#define HOUR_PM 0x80

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[NR_CMOS]; /* alarm, A, B and plain RAM; time lives below */
	time_t offset;	      /* guest time - host time, seconds */
	struct tm frozen;     /* the clock while B.SET is held */
	time_t last_c_read;   /* guest second when C was last read */
};

static time_t host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static void guest_tm(const struct rtc *r, struct tm *tm)
{
	time_t t;

	if (r->ram[REG_B] & B_SET) {
		*tm = r->frozen;
		return;
	}
	t = host_now() + r->offset;
	gmtime_r(&t, tm);
}

static void commit_tm(struct rtc *r, struct tm *tm)
{
	tm->tm_isdst = 0;
	r->offset = timegm(tm) - host_now();
}

static uint8_t to_reg(const struct rtc *r, int v)
{
	if (r->ram[REG_B] & B_BINARY)
		return v;
	return (v / 10) << 4 | v % 10;
}

static int from_reg(const struct rtc *r, uint8_t v)
{
	if (r->ram[REG_B] & B_BINARY)
		return v;
	/* Invalid BCD digits are not rejected: timegm() normalises them
	 * and nothing here can overflow. */
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t hours_to_reg(const struct rtc *r, int h)
{
	int h12;

	if (r->ram[REG_B] & B_24H)
		return to_reg(r, h);
	h12 = h % 12 ? h % 12 : 12;
	return to_reg(r, h12) | (h >= 12 ? HOUR_PM : 0);
}

static int hours_from_reg(const struct rtc *r, uint8_t v)
{
	if (r->ram[REG_B] & B_24H)
		return from_reg(r, v);
	return from_reg(r, v & ~HOUR_PM) % 12 + ((v & HOUR_PM) ? 12 : 0);
}

static uint8_t read_time_reg(struct rtc *r, unsigned reg)
{
	struct tm tm;

	guest_tm(r, &tm);
	switch (reg) {
	case REG_SECONDS:
		return to_reg(r, tm.tm_sec);
	case REG_MINUTES:
		return to_reg(r, tm.tm_min);
	case REG_HOURS:
		return hours_to_reg(r, tm.tm_hour);
	case REG_WEEKDAY:
		return to_reg(r, tm.tm_wday + 1); /* 1 = Sunday */
	case REG_DAY:
		return to_reg(r, tm.tm_mday);
	case REG_MONTH:
		return to_reg(r, tm.tm_mon + 1);
	case REG_YEAR:
		return to_reg(r, (tm.tm_year + 1900) % 100);
	default: /* REG_CENTURY */
		return to_reg(r, (tm.tm_year + 1900) / 100);
	}
}

static void write_time_reg(struct rtc *r, unsigned reg, uint8_t val)
{
	struct tm tm;
	int year;

	guest_tm(r, &tm);
	year = tm.tm_year + 1900;
	switch (reg) {
	case REG_SECONDS:
		tm.tm_sec = from_reg(r, val);
		break;
	case REG_MINUTES:
		tm.tm_min = from_reg(r, val);
		break;
	case REG_HOURS:
		tm.tm_hour = hours_from_reg(r, val);
		break;
	case REG_WEEKDAY:
		/* Derived from the date; kept only while SET freezes it. */
		tm.tm_wday = (from_reg(r, val) + 6) % 7;
		break;
	case REG_DAY:
		tm.tm_mday = from_reg(r, val);
		break;
	case REG_MONTH:
		tm.tm_mon = from_reg(r, val) - 1;
		break;
	case REG_YEAR:
		tm.tm_year = year - year % 100 + from_reg(r, val) - 1900;
		break;
	default: /* REG_CENTURY */
		tm.tm_year = from_reg(r, val) * 100 + year % 100 - 1900;
		break;
	}
	if (r->ram[REG_B] & B_SET)
		r->frozen = tm;
	else
		commit_tm(r, &tm);
}

static void write_b(struct rtc *r, uint8_t val)
{
	bool was_set = r->ram[REG_B] & B_SET;

	if (val & B_SET) {
		val &= ~B_UIE; /* the data sheet: SET clears UIE */
		if (!was_set)
			guest_tm(r, &r->frozen);
	}
	r->ram[REG_B] = val;
	if (was_set && !(val & B_SET))
		commit_tm(r, &r->frozen);
}

static uint8_t read_c(struct rtc *r)
{
	struct tm tm;
	time_t now;
	uint8_t val = 0;

	/* Only UF is modelled (an update cycle ended since the last read);
	 * no alarm or periodic flag, no IRQF, since no interrupt is raised. */
	guest_tm(r, &tm);
	now = timegm(&tm);
	if (now != r->last_c_read && !(r->ram[REG_B] & B_SET))
		val |= C_UF;
	r->last_c_read = now;
	return val;
}

static bool is_time_reg(unsigned reg)
{
	switch (reg) {
	case REG_SECONDS:
	case REG_MINUTES:
	case REG_HOURS:
	case REG_WEEKDAY:
	case REG_DAY:
	case REG_MONTH:
	case REG_YEAR:
	case REG_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t data_read(struct rtc *r)
{
	unsigned reg = r->index;

	if (is_time_reg(reg))
		return read_time_reg(r, reg);
	switch (reg) {
	case REG_A:
		return r->ram[REG_A] & ~A_UIP;
	case REG_C:
		return read_c(r);
	case REG_D:
		return D_VRT;
	default:
		return r->ram[reg];
	}
}

static void data_write(struct rtc *r, uint8_t val)
{
	unsigned reg = r->index;

	if (is_time_reg(reg)) {
		write_time_reg(r, reg, val);
		return;
	}
	switch (reg) {
	case REG_A:
		/* Divider and rate bits are kept as written; the clock runs
		 * whatever they say. */
		r->ram[REG_A] = val & ~A_UIP;
		break;
	case REG_B:
		write_b(r, val);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		r->ram[reg] = val;
		break;
	}
}

void rtc_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct rtc *r = opaque;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < len; i++) {
		uint64_t port = offset + i;

		if (port == 0 && is_write)
			r->index = data[i] & 0x7f; /* bit 7 masks NMI: ignored */
		else if (port == 1 && is_write)
			data_write(r, data[i]);
		else if (port == 1)
			data[i] = data_read(r);
		else if (!is_write)
			data[i] = 0xff; /* the index port is write-only */
	}
	pthread_mutex_unlock(&r->lock);
}

int rtc_create(struct rtc **out, struct kverr *err)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return kverr_set(err, ENOMEM, "rtc: cannot allocate device state");
	ret = pthread_mutex_init(&r->lock, NULL);
	if (ret) {
		free(r);
		return kverr_sys(err, ret, "rtc: pthread_mutex_init");
	}
	r->ram[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	r->ram[REG_B] = B_24H;
	*out = r;
	return 0;
}

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}
