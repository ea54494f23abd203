#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int kverr_set(struct kverr *err, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

int kverr_sys(struct kverr *err, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		size_t n;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", kv_strerror(errnum));
	}
	return -errnum;
}

const char *kverr_strerror(int errnum, char *buf, size_t size)
{
	/* _GNU_SOURCE: the GNU strerror_r, which returns the text (in buf
	 * or in a static string), never a shared buffer. */
	return strerror_r(errnum, buf, size);
}
