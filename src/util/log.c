/* log.c - run-time messages through the sink main() installs (see log.h). */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static log_sink_fn sink;
static void *sink_opaque;

log_sink_fn log_set_sink(log_sink_fn fn, void *opaque)
{
	log_sink_fn old;

	pthread_mutex_lock(&lock);
	old = sink;
	sink = fn;
	sink_opaque = opaque;
	pthread_mutex_unlock(&lock);
	return old;
}

/* lock held */
static void emit(const char *fmt, va_list ap, unsigned suppressed)
{
	char line[512];
	int n;

	if (!sink)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n >= 0 && suppressed && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, " (%u similar messages suppressed)",
			 suppressed);
	sink(line, sink_opaque);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&lock);
	emit(fmt, ap, 0);
	pthread_mutex_unlock(&lock);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool log_ratelimited(struct ratelimit *rl, const char *fmt, ...)
{
	uint64_t now = now_ms();
	unsigned suppressed = 0;
	bool pass;
	va_list ap;

	pthread_mutex_lock(&lock);
	if (!rl->in_window || now - rl->window_start_ms >= rl->interval_ms) {
		rl->window_start_ms = now;
		rl->in_window = 0;
	}
	pass = rl->in_window < rl->burst;
	if (pass) {
		rl->in_window++;
		suppressed = rl->suppressed;
		rl->suppressed = 0;
		va_start(ap, fmt);
		emit(fmt, ap, suppressed);
		va_end(ap);
	} else {
		rl->suppressed++;
	}
	pthread_mutex_unlock(&lock);
	return pass;
}
