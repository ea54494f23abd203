/* log.h - run-time messages from modules.
 *
 * A module never prints (err.h): at start-up its errors go up to main().
 * Some events have no caller to return to: a device thread finds a guest's
 * virtqueue broken, a discard is refused at run time.  Those modules hand
 * one line to log_msg(), and main() decides where lines go by installing a
 * sink (stderr with kvmem's prefix); tests install their own to see them.
 * Without a sink, lines are dropped.
 *
 * A guest can trigger such an event as often as it likes, so each call
 * site keeps a struct ratelimit: log_ratelimited() passes at most `burst`
 * lines per `interval_ms`, and the first line after a quiet spell says how
 * many were suppressed.  Thread-safe.
 */
#ifndef KVMEM_UTIL_LOG_H
#define KVMEM_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*log_sink_fn)(const char *line, void *opaque);

/* Install (or with NULL remove) the sink; returns the previous one. */
log_sink_fn log_set_sink(log_sink_fn sink, void *opaque);

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct ratelimit {
	unsigned interval_ms, burst;
	/* state, under log.c's lock */
	uint64_t window_start_ms;
	unsigned in_window, suppressed;
};

#define RATELIMIT_INIT(ms, n)                                                                      \
	{                                                                                          \
		.interval_ms = (ms), .burst = (n)                                                  \
	}

/* Log the line unless rl's budget for this interval is spent; returns
 * whether it was logged. */
bool log_ratelimited(struct ratelimit *rl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
