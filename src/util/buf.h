/* buf.h - a growable byte buffer: output queues and text being built.
 *
 * The bytes are data[0, len); data is always NUL-terminated past len so
 * text can be used as a C string.  Allocation failure is remembered
 * (failed) instead of being reported at every append: callers that build
 * a message check once at the end.
 */
#ifndef KVMEM_UTIL_BUF_H
#define KVMEM_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap;
	bool failed; /* an append ran out of memory; data holds what fit before */
};

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
