/* device.c - -device on the command line; see device.h.
 *
 * QEMU 7.2 reads a text-form -device into its "device" option list when it
 * meets it (so a malformed id, or an id used by an earlier text-form
 * -device, is refused there: "Duplicate ID 'd0' for device"), parses the
 * JSON form at the same point, and creates the devices after the machine:
 * those of the text form first, then the JSON ones.  kvmem checks in the
 * same order, so the first error a command line shows is QEMU's.
 */
#include "config/device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/devset.h"
#include "dev/opts.h"
#include "dev/registry.h"

static int device_error(const char *arg, const struct kverr *inner, int ret, struct kverr *err)
{
	struct kverr copy = *inner;

	kverr_set(err, -ret, "-device %s: %s", arg, copy.msg);
	return ret;
}

int config_device_parse(struct config *cfg, const char *arg, struct kverr *err)
{
	struct config_device *d;
	struct dev_opts *o;
	struct kverr e;
	int ret;

	if (cfg->nr_devices == CONFIG_MAX_DEVICES)
		return kverr_set(err, EINVAL, "-device %s: more than %d -device options", arg,
				 CONFIG_MAX_DEVICES);
	o = calloc(1, sizeof(*o));
	if (!o)
		return kverr_set(err, ENOMEM, "-device: out of memory");
	ret = dev_opts_parse(arg, o, &e);
	if (ret) {
		free(o);
		return device_error(arg, &e, ret, err);
	}
	for (unsigned i = 0; o->id && !o->json && i < cfg->nr_devices; i++) {
		const struct dev_opts *other = cfg->device[i].opts;

		if (!other->json && other->id && !strcmp(other->id, o->id)) {
			kverr_set(err, EINVAL, "-device %s: Duplicate ID '%s' for device", arg,
				  o->id);
			dev_opts_free(o);
			free(o);
			return -EINVAL;
		}
	}
	/* -device help, -device ?, -device DRIVER,help: acts where it stands */
	if (!o->json &&
	    (o->help || (o->driver && (!strcmp(o->driver, "help") || !strcmp(o->driver, "?"))))) {
		dev_opts_free(o);
		free(o);
		cfg->action = CONFIG_DEVICE_HELP;
		cfg->device_help = arg;
		return 0;
	}
	d = &cfg->device[cfg->nr_devices++];
	d->arg = arg;
	d->opts = o;
	return 0;
}

int config_device_link(void *ctx, const char *kind, const char *name, void **target, char *path,
		       size_t size)
{
	const struct config *cfg = ctx;
	const struct config_memdev *md;

	if (strcmp(kind, "memory-backend"))
		return -ENODEV;
	md = config_memdev_find(cfg, config_memdev_link_id(name));
	if (!md)
		return -ENODEV;
	*target = (void *)md;
	snprintf(path, size, "/objects/%s", md->id);
	return 0;
}

/* The machine's buses, as devices see them (bus=, parent_bus): the ISA
 * bus of QEMU's pc (COM1's isa-serial), not hotpluggable, and the PCI
 * host bridge's bus 0 (plan/pci.h), hotpluggable in QEMU: which device
 * plugs at run time is the driver's say. */
static const struct {
	const char *name;
	enum dev_bus_kind kind;
	const char *path;
	bool hotpluggable;
} machine_buses[] = {
    {"isa.0", DEV_BUS_ISA, "/machine/unattached/device[3]/isa.0", false},
    {"pci.0", DEV_BUS_PCI, "/machine/i440fx/pci.0", true},
    {NULL, DEV_BUS_NONE, NULL, false},
};

int config_devices_prepare(const struct config *cfg, struct dev_set *s, struct kverr *err)
{
	int ret;

	for (size_t i = 0; machine_buses[i].name; i++) {
		ret = dev_set_add_bus(s, machine_buses[i].name, machine_buses[i].kind,
				      machine_buses[i].path, machine_buses[i].hotpluggable, err);
		if (ret)
			return ret;
	}
	for (int json = 0; json <= 1; json++) {
		for (unsigned i = 0; i < cfg->nr_devices; i++) {
			const struct config_device *d = &cfg->device[i];
			struct device *dev;
			struct kverr e;

			if (d->opts->json != (json == 1))
				continue;
			ret = dev_prepare(s, d->opts, &dev, &e);
			if (ret)
				return device_error(d->arg, &e, ret, err);
			dev->arg = d->arg;
		}
	}
	return 0;
}

int config_devices_check(const struct config *cfg, struct kverr *err)
{
	static const struct dev_set_ops ops = {.resolve_link = config_device_link};
	struct dev_set s;
	int ret;

	if (dev_builtin.broken)
		return kverr_set(err, EINVAL, "%s", dev_builtin.err.msg);
	dev_set_init(&s, &dev_builtin, &ops, (void *)cfg);
	ret = config_devices_prepare(cfg, &s, err);
	dev_set_fini(&s);
	return ret;
}

int config_device_help(const struct config *cfg, struct buf *out, struct kverr *err)
{
	struct dev_opts o;
	struct kverr e;
	int ret;

	ret = dev_opts_parse_text(cfg->device_help, &o, &e);
	if (!ret) {
		ret = dev_registry_help(&dev_builtin, o.driver, out, &e);
		dev_opts_free(&o);
	}
	return ret ? device_error(cfg->device_help, &e, ret, err) : 0;
}

void config_devices_free(struct config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_devices; i++) {
		dev_opts_free(cfg->device[i].opts);
		free(cfg->device[i].opts);
	}
	cfg->nr_devices = 0;
}
