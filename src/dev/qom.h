/* qom.h - the object tree QMP's qom-list, qom-get and qom-set walk.
 *
 * Owns: QEMU's paths for what kvmem has
 *     /                          container: machine
 *     /machine                   the machine and its own properties
 *     /machine/peripheral        container: the devices with an id
 *     /machine/peripheral/ID     a device
 *     /machine/peripheral-anon   container: device[N], the devices without
 *     /machine/unattached        container: device[N], the vCPUs (only)
 *   path resolution as QEMU's (absolute, "//" and a trailing "/" allowed;
 *   a relative path is a partial one that must match exactly one object:
 *   "d0" or "peripheral/d0"), and the properties each object lists, with
 *   QEMU's messages for a missing path, a missing or read-only property.
 * Never: stores device properties (devset.c does) or machine facts (the
 *   machine's struct qom_host answers for /machine).
 */
#ifndef KVMEM_DEV_QOM_H
#define KVMEM_DEV_QOM_H

#include <jansson.h>

#include "dev/devset.h"

struct qom_prop_desc {
	const char *name;
	const char *type; /* as qom-list shows it: "string", "SMPConfiguration" */
};

/* What the machine says about itself at /machine (read-only). */
struct qom_host {
	const char *machine_type;		   /* "pc-i440fx-7.2-machine" */
	/* the vCPUs at /machine/unattached/device[N] (qom_cpu_path), of
	 * cpu_type; 0 with -machine none */
	unsigned nr_cpus;
	const char *cpu_type;
	const struct qom_prop_desc *machine_props; /* ends with a NULL name */
	int (*machine_get)(void *ctx, const char *name, json_t **out, struct kverr *err);
	void *ctx;
};

struct qom {
	struct dev_set *devs;
	const struct qom_host *host;
};

/* QEMU's pc creates CPU 0 first, as unattached device 0, then its APIC
 * (device 1), then the other CPUs: CPU idx is device[idx + 1]. */
void qom_cpu_path(unsigned idx, char *buf, size_t size);

/* [{name, type}] of the object at path. */
int qom_list(const struct qom *q, const char *path, json_t **out, struct kverr *err);
int qom_get(const struct qom *q, const char *path, const char *prop, json_t **out,
	    struct kverr *err);
int qom_set(const struct qom *q, const char *path, const char *prop, json_t *value,
	    struct kverr *err);

/* device_del's lookup (QEMU's find_device_state): id is a QOM path,
 * absolute or relative to /machine/peripheral.  0 and *dev for a device,
 * -EINVAL ("X is not a hotpluggable device") for another object, -ENODEV
 * ("Device 'X' not found") for nothing. */
int qom_find_device(const struct qom *q, const char *id, struct device **dev, struct kverr *err);

#endif
