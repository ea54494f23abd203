/* names.h - a set of owned strings, in insertion order.
 *
 * Owns: copies of the names added.  Used for objects kvmem keeps by id
 * only (the secret objects: -object secret and object-add).
 * Never: checks what a name means.  Not thread-safe: one owner thread.
 */
#ifndef KVMEM_UTIL_NAMES_H
#define KVMEM_UTIL_NAMES_H

#include <stdbool.h>

struct names {
	char **v;
	unsigned n, cap;
};

/* Add a copy of name; 0 or -ENOMEM.  Duplicates are the caller's check. */
int names_add(struct names *s, const char *name);
bool names_has(const struct names *s, const char *name);
/* Remove name; false if it was not there. */
bool names_remove(struct names *s, const char *name);
void names_free(struct names *s);

#endif
