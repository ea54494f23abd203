/* kv.h - QemuOpts key=value lists, shared by the option parsers in
 * src/config/ (config.c and object.c).  Internal to src/config/.
 *
 * Elements are separated by ',', ",," is a literal comma, and a first
 * element without '=' is the value of the implied key ("-m 4G" is
 * "-m size=4G").  A trailing ',' ends the list, as in QEMU, and an empty
 * string is an empty list (config.c's kv_begin).  The iterator
 * writes the unescaped keys and values into a caller-provided buffer of at
 * least strlen(arg) + 1 bytes, which must outlive the struct kv results.
 */
#ifndef KVMEM_CONFIG_KV_H
#define KVMEM_CONFIG_KV_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct kv {
	const char *key;
	const char *val; /* NULL for a bare "flag" element */
};

struct kv_iter {
	const char *p;
	char *out;
	const char *implied; /* key of a leading element without '=' */
	bool first;
};

/* Next element of the list, or false at its end. */
bool kv_next(struct kv_iter *it, struct kv *kv);

/* -EINVAL with "OPT: parameter 'KEY' needs a value" for a bare element. */
int kv_need_value(const char *opt, const struct kv *kv, struct kverr *err);

/* QEMU's id_wellformed(), for -object and -device ids: a letter, then
 * letters, digits, '-', '.' and '_'. */
bool id_wellformed(const char *id);

/* A QEMU number (QEMU_OPT_NUMBER): strtoull base 0, no sign, no blanks.
 * Returns 0, -EINVAL or -ERANGE. */
int parse_number(const char *s, uint64_t *out);

#endif
