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

#endif
