/* opts.h - the three ways a user describes a device, made one.
 *
 * Owns: taking apart, as QEMU 7.2 does before it looks at any driver,
 *   - the text form: -device DRIVER,key=value,... and HMP device_add
 *     (QemuOpts: ",," is a comma, the first element without '=' is the
 *     driver, the first id= is the id, "help" or "?" asks for help);
 *   - the JSON form: -device '{"driver": ..., "id": ..., ...}';
 *   - QMP device_add's arguments (which QEMU 7.2 turns into text: 1 is
 *     "1", true is "on", objects, arrays and null are dropped).
 * The checks made here are the ones QEMU makes at that point: the id is
 * an identifier (text and QMP forms), JSON syntax.
 * Never: knows drivers or properties (devset.c checks those).
 */
#ifndef KVMEM_DEV_OPTS_H
#define KVMEM_DEV_OPTS_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

struct dev_opt {
	char *name;
	char *text;   /* text and QMP forms */
	json_t *json; /* JSON form (a reference) */
};

struct dev_opts {
	bool json;	     /* values are JSON: typed strictly */
	char *driver;	     /* NULL: not given */
	char *id;	     /* NULL: anonymous */
	char *bus;	     /* NULL: not given */
	bool help;	     /* text form: "help", "?" or help=... was given */
	struct dev_opt *opt; /* the properties, in the order given; a key
			      * given twice keeps its last value */
	unsigned n;
};

/* -device's argument: the JSON form when it starts with '{', else text. */
int dev_opts_parse(const char *arg, struct dev_opts *o, struct kverr *err);
int dev_opts_parse_text(const char *arg, struct dev_opts *o, struct kverr *err);
int dev_opts_parse_json(const char *arg, struct dev_opts *o, struct kverr *err);
/* QMP device_add's arguments object. */
int dev_opts_from_qmp(json_t *args, struct dev_opts *o, struct kverr *err);

/* The text form of opts as QMP device_add's arguments (HMP device_add). */
json_t *dev_opts_to_qmp(const struct dev_opts *o);

void dev_opts_free(struct dev_opts *o);

#endif
