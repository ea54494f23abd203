/* err.h - error reporting shared by every module.
 *
 * A module never prints and never exits.  A failing function fills a
 * struct kverr with one line of context (naming the option, value, address
 * or syscall that failed; control characters in it, such as a newline in
 * a quoted value, are stored escaped as \n, \t, \xNN) and returns a
 * negative errno.  Only main() prints
 * the message, prefixed with "kvmem: ", and chooses the exit status.
 */
#ifndef KVMEM_UTIL_ERR_H
#define KVMEM_UTIL_ERR_H

#include <errno.h>
#include <stddef.h>

struct kverr {
	char msg[512];
};

/* Format msg into err (if err is non-NULL) and return -errnum (errnum > 0).
 * Typical use: return kverr_set(err, EINVAL, "-m: invalid size '%s'", v); */
int kverr_set(struct kverr *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like kverr_set, and append ": strerror(errnum)" - for failed syscalls. */
int kverr_sys(struct kverr *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* strerror's text for errnum, safe on any thread: strerror itself may
 * return a buffer shared by all threads (POSIX), and kvmem formats errors
 * on vCPU and helper threads too.  The text is in buf (size bytes) or in
 * static storage.  tests/lint refuses strerror() anywhere in src/. */
#define KVERR_STRERROR_MAX 96
const char *kverr_strerror(int errnum, char *buf, size_t size);
/* The same with a buffer that lives until the end of the enclosing
 * statement, for one printf argument: kv_strerror(errno). */
#define kv_strerror(errnum)                                                                        \
	kverr_strerror((errnum), (char[KVERR_STRERROR_MAX]){0}, KVERR_STRERROR_MAX)

#endif
