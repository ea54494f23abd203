/* dev.h - devices as data: the driver interface.
 *
 * A device driver is a constant struct dev_driver: its name, QEMU's
 * category, bus and description, whether -device and device_add may create
 * it, a table of typed properties (name, type, default, help, who may set
 * it and when) and a few hooks.  The registry (registry.h) holds the
 * drivers; everything a user does with devices goes through it and through
 * the set of devices (devset.h): -device in both of QEMU's forms, QMP and
 * HMP device_add/device_del, -device help, device-list-properties and
 * qom-list/qom-get/qom-set.  A driver never parses its own options: it
 * finds its properties already checked and typed in dev->val[].
 *
 * Life of a device, as QEMU's qdev:
 *
 *   prepare    (the registry) driver, bus, id, every property parsed and
 *              typed, links resolved.  Nothing is created: at start this
 *              runs for every -device in the plan stage, before any memory
 *              or KVM exists, so a bad -device leaves nothing behind.
 *   plan       (optional, -device only) the device's place in the plan:
 *              its PCI slot and BARs; pure, may fail.
 *   pre_plug   checks everything that can fail (slot free, address, node,
 *              limits) and may fail; commits nothing.
 *   realize    sets the device up (its state, memory, queues); may fail,
 *              and must then leave nothing behind.
 *   plug       makes it visible to the guest (ACPI notify, bus attach);
 *              cannot fail.
 *   unplug_request  device_del: asks the guest to let go (ACPI eject
 *              request); may fail.  The driver reports the guest's answer
 *              later with dev_unplug_done() (main thread) or
 *              dev_unplug_done_async() (any thread, e.g. a vCPU that
 *              handled _EJ0); the registry then calls unrealize, removes
 *              the device and emits DEVICE_DELETED.  A hotpluggable driver
 *              without unplug_request is removed at once by device_del.
 *   unrealize  undoes realize and plug; cannot fail.
 *
 * Properties are set before realize ("static", as QEMU's qdev properties);
 * a DEV_PROP_RUNTIME one can also be set by qom-set while the device runs
 * (through prop->set), and a DEV_PROP_READONLY one only shows a value the
 * driver keeps (prop->get, or the stored value the driver updates).
 *
 * Threads: every function here and every hook runs on the main thread,
 * except dev_unplug_done_async().  A driver guards its own state
 * (dev->state) against its own device threads, and its unrealize stops
 * them: no thread of the driver may call dev_unplug_done_async() after
 * unrealize has returned.
 */
#ifndef KVMEM_DEV_DEV_H
#define KVMEM_DEV_DEV_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* QEMU's DeviceCategory, in the order -device help lists them. */
enum dev_category {
	DEV_CAT_BRIDGE,
	DEV_CAT_USB,
	DEV_CAT_STORAGE,
	DEV_CAT_NETWORK,
	DEV_CAT_INPUT,
	DEV_CAT_DISPLAY,
	DEV_CAT_SOUND,
	DEV_CAT_MISC,
	DEV_CAT_CPU,
	DEV_CAT_WATCHDOG,
	DEV_CAT_MAX, /* a driver in no category is listed as "Uncategorized" */
};
#define DEV_CAT(c) (1u << (c))

/* The kind of bus a driver plugs into, by QEMU's bus type names. */
enum dev_bus_kind {
	DEV_BUS_NONE,	/* no bus (pc-dimm: the machine is its hotplug handler) */
	DEV_BUS_PCI,	/* "PCI" */
	DEV_BUS_ISA,	/* "ISA" */
	DEV_BUS_SYSTEM, /* "System" */
};

enum dev_prop_type {
	DEV_PROP_STR,	   /* "str" */
	DEV_PROP_BOOL,	   /* "bool": on/off/yes/no/true/false/y/n as text */
	DEV_PROP_UINT8,	   /* "uint8" ... numbers as QEMU's strtou64: 0x.., 0.. */
	DEV_PROP_UINT16,   /* "uint16" */
	DEV_PROP_UINT32,   /* "uint32" */
	DEV_PROP_UINT64,   /* "uint64" */
	DEV_PROP_INT32,	   /* "int32" */
	DEV_PROP_INT64,	   /* "int64" ("int" with type_name, as QOM's int) */
	DEV_PROP_SIZE,	   /* "size": QEMU size suffixes, 512M, 1G */
	DEV_PROP_ENUM,	   /* one of prop->values; type_name is QEMU's enum name */
	DEV_PROP_LINK,	   /* link<KIND>: an object such as a memdev, by id or path */
	DEV_PROP_PCI_ADDR, /* "int32": PCI SLOT[.FN] in hex, stored as devfn, -1 = any */
	DEV_PROP_JSON,	   /* read-only, any JSON the driver's get returns */
};

enum dev_prop_access {
	DEV_PROP_STATIC,   /* -device/device_add only; qom-set refused once realized */
	DEV_PROP_RUNTIME,  /* also qom-set while the device runs, through prop->set */
	DEV_PROP_READONLY, /* never set from outside ("is not writable") */
};

struct device;

/* A property's value.  Which member holds it depends on the type:
 * b: BOOL; u: UINTn, SIZE, ENUM (the index in values); i: INTn, PCI_ADDR;
 * s: STR, LINK (the target's canonical QOM path, "" when unset);
 * target: LINK, what the machine resolved the link to (for kvmem's
 * memory-backend links: the struct config_memdev). */
struct dev_value {
	bool b;
	uint64_t u;
	int64_t i;
	char *s;
	void *target;
};

struct dev_prop {
	const char *name;
	enum dev_prop_type type;
	enum dev_prop_access access;
	const char *help; /* QEMU's description ("on/off"), NULL when it has none */
	bool has_default; /* shown as "default-value"; else the value is 0/""/false */
	struct {
		bool b;
		uint64_t u;
		int64_t i;
		const char *s; /* ENUM: one of values */
	} def;
	const char *type_name;	   /* instead of the type's own name ("int", "OnOffAuto") */
	const char *const *values; /* ENUM: NULL-terminated */
	const char *link_kind;	   /* LINK: "memory-backend" */
	/* The value must be given; missing is refused before pre_plug with
	 * this message (QEMU's words for that driver, e.g. "'memdev'
	 * property must be set"). */
	const char *required;
	/* READONLY/JSON: the current value for qom-get; NULL shows dev->val.
	 * Returns 0 and *out, or -errno with err. */
	int (*get)(struct device *dev, const struct dev_prop *p, json_t **out, struct kverr *err);
	/* RUNTIME: apply a checked value while the device runs; on success
	 * the registry stores it in dev->val.  May refuse (-errno, err). */
	int (*set)(struct device *dev, const struct dev_prop *p, const struct dev_value *v,
		   struct kverr *err);
};

struct dev_driver {
	const char *name;    /* QEMU's type name: "virtio-balloon-pci" */
	const char *alias;   /* QEMU's short alias ("virtio-balloon"), or NULL */
	const char *desc;    /* -device help's desc, or NULL */
	unsigned categories; /* DEV_CAT() bits; 0: uncategorized */
	enum dev_bus_kind bus;
	bool user_creatable;	      /* -device and device_add may create it */
	bool hotpluggable;	      /* device_add at run time, device_del */
	const struct dev_prop *props; /* ends with a NULL name; NULL: none */
	size_t state_size;	      /* bytes of dev->state, zeroed */

	/* Plan stage, each -device in order (optional): reserve what the
	 * device takes in the machine's plan (a PCI driver: its slot and
	 * BARs in machine->pci_plan), so -print-layout shows it and a
	 * conflict is refused before anything exists.  Pure; may fail. */
	int (*plan)(struct device *dev, struct kverr *err);
	int (*pre_plug)(struct device *dev, struct kverr *err);
	int (*realize)(struct device *dev, struct kverr *err);
	void (*plug)(struct device *dev);
	int (*unplug_request)(struct device *dev, struct kverr *err);
	void (*unrealize)(struct device *dev);
};

struct dev_set;
struct dev_bus;

struct device {
	const struct dev_driver *drv;
	struct dev_set *set;
	char *id; /* NULL: anonymous, /machine/peripheral-anon/device[anon] */
	unsigned anon;
	char *path;		   /* canonical QOM path */
	const char *arg;	   /* the -device argument it came from (messages), or NULL */
	const struct dev_bus *bus; /* NULL when the driver has none */
	struct dev_value *val;	   /* one per drv->props entry */
	bool *given;		   /* whether the user set that property */
	unsigned nr_props;
	bool realized;
	bool hotplugged;	 /* by device_add at run time */
	bool unplug_requested;	 /* device_del asked the driver */
	atomic_bool unplug_done; /* dev_unplug_done_async() was called */
	void *state;		 /* the driver's, drv->state_size bytes */
	struct device *next;
};

/* Index of property name in the driver's table, or -1. */
int dev_prop_index(const struct dev_driver *drv, const char *name);
/* The value of the property at index idx of the driver's table. */
const struct dev_value *dev_val(const struct device *dev, unsigned idx);

/* The driver says the guest has let the device go (after unplug_request):
 * unrealize it, remove it and emit DEVICE_DELETED.  Main thread; dev is
 * freed on return. */
void dev_unplug_done(struct device *dev);
/* The same from any thread: the main loop finishes it soon. */
void dev_unplug_done_async(struct device *dev);

#endif
