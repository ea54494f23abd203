/* registry.h - the device drivers kvmem knows, and what users read about
 * them.
 *
 * Owns: the list of drivers (checked when added: a driver table with a
 * duplicate or reserved property name, an enum without values or a link
 * without a kind is refused, so a mistake in a driver shows at start, not
 * when a user trips on it), lookup by name or QEMU alias, the text of
 * -device help and -device DRIVER,help (QEMU 7.2's layouts) and the
 * answer of device-list-properties.
 * Never: creates devices (devset.h does) or prints (it fills a buf).
 *
 * kvmem's own drivers register themselves in dev_builtin (builtin.c) with
 * DEV_DRIVER_REGISTER(driver) in their source file, so adding a device is
 * one new file and one meson line; unit tests build their own registry.
 */
#ifndef KVMEM_DEV_REGISTRY_H
#define KVMEM_DEV_REGISTRY_H

#include <jansson.h>

#include "dev/dev.h"
#include "util/buf.h"

#define DEV_MAX_DRIVERS 64

struct dev_registry {
	const struct dev_driver *drv[DEV_MAX_DRIVERS];
	unsigned n;
	struct kverr err; /* the first driver refused by dev_registry_add */
	bool broken;
};

/* Add a driver after checking its table; -EINVAL (or -ENOSPC) with err
 * naming the driver and the problem. */
int dev_registry_add(struct dev_registry *r, const struct dev_driver *drv, struct kverr *err);

/* The driver called name, or NULL. */
const struct dev_driver *dev_registry_find(const struct dev_registry *r, const char *name);
/* The driver called name or whose QEMU alias is name (-device, device_add). */
const struct dev_driver *dev_registry_lookup(const struct dev_registry *r, const char *name);

/* -device help: the user-creatable drivers by category, QEMU's layout
 * ('name "DRIVER", bus PCI, alias "...", desc "..."'). */
void dev_registry_print_list(const struct dev_registry *r, struct buf *out);

/* device-list-properties' answer for drv: [{name, type, description?,
 * default-value?}], in the driver's order. */
json_t *dev_driver_props_json(const struct dev_driver *drv);

/* -device DRIVER,help (and HMP device_add DRIVER,help) from
 * device-list-properties' answer: "DRIVER options:" and one line per
 * property, sorted, QEMU's columns; "There are no options for DRIVER."
 * when the list is empty. */
void dev_print_props_help(struct buf *out, const char *driver, json_t *props);

/* -device help (driver NULL, "help" or "?") or -device DRIVER,help
 * (DRIVER a name or an alias): the text, or -ENODEV with "Device 'x' not
 * found". */
int dev_registry_help(const struct dev_registry *r, const char *driver, struct buf *out,
		      struct kverr *err);

/* QEMU's type name of a property: "uint32", "link<memory-backend>". */
const char *dev_prop_type_name(const struct dev_prop *p, char *buf, size_t size);

/* The registry kvmem's drivers add themselves to (builtin.c). */
extern struct dev_registry dev_builtin;
void dev_builtin_add(const struct dev_driver *drv);

#define DEV_DRIVER_REGISTER(drv)                                                                   \
	static void __attribute__((constructor)) dev_register_##drv(void)                          \
	{                                                                                          \
		dev_builtin_add(&(drv));                                                           \
	}

#endif
