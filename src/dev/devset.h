/* devset.h - the machine's devices: creating, finding and removing them.
 *
 * Owns: the list of devices (in creation order), their ids and QOM paths
 * (/machine/peripheral/ID, /machine/peripheral-anon/device[N] numbered as
 * QEMU numbers them), the machine's buses as devices see them, every check
 * QEMU 7.2 makes before a driver's hooks run and its message, the order of
 * the hooks (dev.h), device_del and DEVICE_DELETED.
 * Never: knows what a driver does, does I/O, or resolves a link itself
 * (the machine's resolve_link does: kvmem's memdevs).
 *
 * All functions return 0 or -errno with err filled; -ENODEV means QMP's
 * DeviceNotFound class, anything else GenericError.  Main thread only,
 * except dev_unplug_done_async() (dev.h).
 */
#ifndef KVMEM_DEV_DEVSET_H
#define KVMEM_DEV_DEVSET_H

#include <jansson.h>
#include <stdatomic.h>

#include "dev/dev.h"
#include "dev/opts.h"
#include "dev/registry.h"

#define DEV_MAX_BUSES 8
#define DEV_MAX_DEVICES 256 /* a bound on what a monitor client can make kvmem allocate */

struct dev_bus {
	char name[32]; /* QEMU's bus id: "pci.0" */
	enum dev_bus_kind kind;
	char path[96]; /* its QOM path: what a device's parent_bus shows */
	bool hotpluggable;
};

struct machine;

struct dev_set_ops {
	/* A link property's target: kind is the property's link_kind
	 * ("memory-backend"), name what the user wrote (an id or a QOM
	 * path).  Fill *target and the target's canonical QOM path; return
	 * -ENODEV when there is no such object of that kind. */
	int (*resolve_link)(void *ctx, const char *kind, const char *name, void **target,
			    char *path, size_t size);
	/* A QMP event (DEVICE_DELETED); data is stolen.  NULL: none sent. */
	void (*event)(void *ctx, const char *name, json_t *data);
	/* From any thread: call dev_set_run_pending() soon on the main
	 * thread.  NULL: dev_unplug_done_async() is only noted until then. */
	void (*kick)(void *ctx);
};

struct dev_set {
	const struct dev_registry *reg;
	const struct dev_set_ops *ops;
	void *ctx;		 /* the ops' */
	struct machine *machine; /* for drivers; NULL in unit tests */
	struct dev_bus bus[DEV_MAX_BUSES];
	unsigned nr_buses;
	struct device *first, *last; /* creation order */
	unsigned nr;
	unsigned anon_next;  /* QEMU counts every anonymous device it began to create */
	bool machine_ready;  /* set once the machine is built: device_add is a hotplug */
	atomic_bool pending; /* some device's unplug was done on another thread */
};

void dev_set_init(struct dev_set *s, const struct dev_registry *reg, const struct dev_set_ops *ops,
		  void *ctx);
/* Unrealize (in reverse order) and free every device. */
void dev_set_fini(struct dev_set *s);

int dev_set_add_bus(struct dev_set *s, const char *name, enum dev_bus_kind kind, const char *path,
		    bool hotpluggable, struct kverr *err);

/* Everything QEMU checks before a driver's hooks, in its order: driver
 * ("'x' is not a valid device model name", not user-creatable, not
 * hotpluggable at run time), bus, id (duplicates), each property (known,
 * writable, its value typed, links resolved), required properties.  The
 * new device is added to the set unrealized: later ones see its id. */
int dev_prepare(struct dev_set *s, const struct dev_opts *o, struct device **out,
		struct kverr *err);
/* pre_plug, realize, plug.  On failure the device stays unrealized. */
int dev_realize(struct device *dev, struct kverr *err);
/* Remove and free a device that is not realized (a failed one). */
void dev_discard(struct device *dev);

/* device_add, and a -device at start: prepare and realize; on failure
 * nothing is left.  *out may be NULL. */
int dev_add(struct dev_set *s, const struct dev_opts *o, struct device **out, struct kverr *err);

/* device_del: id is an id or a QOM path (absolute, or relative to
 * /machine/peripheral).  dev_unplug() is the same for a device found. */
int dev_del(struct dev_set *s, const char *id, struct kverr *err);
int dev_unplug(struct device *dev, struct kverr *err);

/* The device at a QOM path (absolute, or relative to
 * /machine/peripheral as device_del takes it), or NULL. */
struct device *dev_find_path(struct dev_set *s, const char *path);
struct device *dev_find_id(struct dev_set *s, const char *id);

/* Finish the unplugs dev_unplug_done_async() reported (main thread). */
void dev_set_run_pending(struct dev_set *s);

/* qom-set of a property of a realized device (QEMU's messages: not
 * found, not writable, set after realize, bad value). */
int dev_set_prop(struct device *dev, const char *name, json_t *value, struct kverr *err);
/* qom-get of a driver property; *out on success. */
int dev_get_prop(struct device *dev, const char *name, json_t **out, struct kverr *err);

#endif
