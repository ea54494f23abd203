#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Rewrite err->msg with every control character written as an escape
 * (\n, \r, \t, \xNN), so that a message stays one line whatever value it
 * echoes: an option value or a path may hold a newline.  Messages are
 * stored only here, so no caller needs to escape what it quotes. */
static void keep_one_line(struct kverr *err)
{
	char text[sizeof(err->msg)];
	size_t o = 0;

	memcpy(text, err->msg, sizeof(text));
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		char esc[5] = {(char)*c, '\0'};
		size_t n;

		if (*c == '\n')
			strcpy(esc, "\\n");
		else if (*c == '\r')
			strcpy(esc, "\\r");
		else if (*c == '\t')
			strcpy(esc, "\\t");
		else if (*c < 0x20 || *c == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", *c);
		n = strlen(esc);
		if (o + n >= sizeof(err->msg)) /* never half an escape */
			break;
		memcpy(err->msg + o, esc, n);
		o += n;
	}
	err->msg[o] = '\0';
}

int kverr_set(struct kverr *err, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		keep_one_line(err);
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
		keep_one_line(err);
	}
	return -errnum;
}

const char *kverr_strerror(int errnum, char *buf, size_t size)
{
	/* _GNU_SOURCE: the GNU strerror_r, which returns the text (in buf
	 * or in a static string), never a shared buffer. */
	return strerror_r(errnum, buf, size);
}
