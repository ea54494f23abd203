/* devset.c - creating, finding and removing devices; see devset.h.
 *
 * dev_prepare() follows QEMU 7.2's qdev_device_add_from_qdict() step by
 * step, so that the first error a user meets is the one QEMU would show:
 *   1. driver given ("Parameter 'driver' is missing") and known, by name
 *      or alias ("'foo' is not a valid device model name");
 *   2. user-creatable, and hotpluggable when the machine already runs
 *      ("Parameter 'driver' expects a pluggable device type");
 *   3. the bus: bus= names one ("Bus 'x' not found") of the driver's kind
 *      ("Device 'D' can't go on PCI bus"), or the machine has one of that
 *      kind ("No 'PCI' bus found for device 'D'"); at run time it must
 *      take hotplug ("Bus 'pci.0' does not support hotplugging");
 *   4. the id ("Duplicate device ID 'x'"); an anonymous device takes the
 *      next device[N] here, even if a later step fails, as in QEMU;
 *   5. each property in the order given: known ("Property 'D.x' not
 *      found"), writable ("Property 'D.size' is not writable"), its value
 *      (value.c), a link's target ("Device 'm9' not found", DeviceNotFound);
 *   6. required properties (the driver's own message).
 * Then dev_realize() runs pre_plug, realize and plug (dev.h).
 */
#include "dev/devset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/value.h"

static const char *const bus_kind_names[] = {
    [DEV_BUS_NONE] = "", [DEV_BUS_PCI] = "PCI", [DEV_BUS_ISA] = "ISA", [DEV_BUS_SYSTEM] = "System"};

void dev_set_init(struct dev_set *s, const struct dev_registry *reg, const struct dev_set_ops *ops,
		  void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->reg = reg;
	s->ops = ops;
	s->ctx = ctx;
	atomic_init(&s->pending, false);
}

int dev_set_add_bus(struct dev_set *s, const char *name, enum dev_bus_kind kind, const char *path,
		    bool hotpluggable, struct kverr *err)
{
	struct dev_bus *b;

	if (s->nr_buses == DEV_MAX_BUSES)
		return kverr_set(err, ENOSPC, "more than %d buses", DEV_MAX_BUSES);
	if (strlen(name) >= sizeof(b->name) || strlen(path) >= sizeof(b->path))
		return kverr_set(err, EINVAL, "bus name '%s' or path '%s' too long", name, path);
	b = &s->bus[s->nr_buses++];
	snprintf(b->name, sizeof(b->name), "%s", name);
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->kind = kind;
	b->hotpluggable = hotpluggable;
	return 0;
}

const struct dev_value *dev_val(const struct device *dev, unsigned idx)
{
	return idx < dev->nr_props ? &dev->val[idx] : NULL;
}

struct device *dev_find_id(struct dev_set *s, const char *id)
{
	for (struct device *d = s->first; d && id; d = d->next)
		if (d->id && !strcmp(d->id, id))
			return d;
	return NULL;
}

/* Compare path with a canonical one, ignoring empty components ("//" and
 * a trailing "/"), as QEMU's path resolution does. */
static bool same_path(const char *path, const char *canonical)
{
	const char *p = path, *c = canonical;

	for (;;) {
		size_t np, nc;

		while (*p == '/')
			p++;
		while (*c == '/')
			c++;
		np = strcspn(p, "/");
		nc = strcspn(c, "/");
		if (np != nc || strncmp(p, c, np))
			return false;
		if (!np)
			return true;
		p += np;
		c += nc;
	}
}

struct device *dev_find_path(struct dev_set *s, const char *path)
{
	char *full = NULL;
	struct device *d;

	if (path[0] != '/') {
		if (asprintf(&full, "/machine/peripheral/%s", path) < 0)
			return NULL;
		path = full;
	}
	for (d = s->first; d; d = d->next)
		if (same_path(path, d->path))
			break;
	free(full);
	return d;
}

static void unlink_device(struct device *dev)
{
	struct dev_set *s = dev->set;
	struct device **pp = &s->first, *prev = NULL;

	while (*pp && *pp != dev) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = dev->next;
	if (s->last == dev)
		s->last = prev;
	s->nr--;
}

static void free_device(struct device *dev)
{
	for (unsigned i = 0; i < dev->nr_props; i++)
		dev_value_clear(&dev->val[i]);
	free(dev->val);
	free(dev->given);
	free(dev->state);
	free(dev->id);
	free(dev->path);
	free(dev);
}

void dev_discard(struct device *dev)
{
	if (!dev || dev->realized)
		return;
	unlink_device(dev);
	free_device(dev);
}

static const struct dev_bus *find_bus(struct dev_set *s, const char *name)
{
	for (unsigned i = 0; i < s->nr_buses; i++)
		if (!strcmp(s->bus[i].name, name))
			return &s->bus[i];
	return NULL;
}

static int pick_bus(struct dev_set *s, const struct dev_driver *drv, const char *name,
		    const struct dev_bus **out, struct kverr *err)
{
	const struct dev_bus *b = NULL;

	*out = NULL;
	if (name) {
		b = find_bus(s, name);
		if (!b)
			return kverr_set(err, EINVAL, "Bus '%s' not found", name);
		if (b->kind != drv->bus || drv->bus == DEV_BUS_NONE)
			return kverr_set(err, EINVAL, "Device '%s' can't go on %s bus", drv->name,
					 bus_kind_names[b->kind]);
	} else if (drv->bus != DEV_BUS_NONE) {
		for (unsigned i = 0; i < s->nr_buses && !b; i++)
			if (s->bus[i].kind == drv->bus)
				b = &s->bus[i];
		if (!b)
			return kverr_set(err, EINVAL, "No '%s' bus found for device '%s'",
					 bus_kind_names[drv->bus], drv->name);
	}
	if (b && s->machine_ready && !b->hotpluggable)
		return kverr_set(err, EINVAL, "Bus '%s' does not support hotplugging", b->name);
	*out = b;
	return 0;
}

static int set_one(struct dev_set *s, struct device *dev, const struct dev_opt *opt,
		   struct kverr *err)
{
	const struct dev_driver *drv = dev->drv;
	int idx = dev_prop_index(drv, opt->name);
	const struct dev_prop *p;
	struct dev_value v;
	int ret;

	if (idx < 0)
		return kverr_set(err, EINVAL, "Property '%s.%s' not found", drv->name, opt->name);
	p = &drv->props[idx];
	if (p->access == DEV_PROP_READONLY)
		return kverr_set(err, EINVAL, "Property '%s.%s' is not writable", drv->name,
				 p->name);
	if (opt->json)
		ret = dev_value_from_json(drv, p, opt->json, &v, err);
	else
		ret = dev_value_from_text(drv, p, opt->text, &v, err);
	if (ret)
		return ret;
	if (p->type == DEV_PROP_LINK) {
		char path[256] = "";

		ret = s->ops && s->ops->resolve_link
			  ? s->ops->resolve_link(s->ctx, p->link_kind, v.s, &v.target, path,
						 sizeof(path))
			  : -ENODEV;
		if (ret) {
			ret = ret == -ENODEV
				  ? kverr_set(err, ENODEV, "Device '%s' not found", v.s)
				  : kverr_set(err, -ret, "Property '%s.%s' can't take value '%s'",
					      drv->name, p->name, v.s);
			dev_value_clear(&v);
			return ret;
		}
		free(v.s);
		v.s = strdup(path);
		if (!v.s)
			return kverr_set(err, ENOMEM, "out of memory");
	}
	dev_value_clear(&dev->val[idx]);
	dev->val[idx] = v;
	dev->given[idx] = true;
	return 0;
}

static struct device *new_device(struct dev_set *s, const struct dev_driver *drv)
{
	struct device *dev = calloc(1, sizeof(*dev));
	unsigned n = 0;

	if (!dev)
		return NULL;
	while (drv->props && drv->props[n].name)
		n++;
	dev->drv = drv;
	dev->set = s;
	dev->nr_props = n;
	atomic_init(&dev->unplug_done, false);
	dev->val = calloc(n ? n : 1, sizeof(*dev->val));
	dev->given = calloc(n ? n : 1, sizeof(*dev->given));
	dev->state = drv->state_size ? calloc(1, drv->state_size) : NULL;
	if (!dev->val || !dev->given || (drv->state_size && !dev->state)) {
		free_device(dev);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		if (dev_value_default(&drv->props[i], &dev->val[i])) {
			free_device(dev);
			return NULL;
		}
	}
	return dev;
}

int dev_prepare(struct dev_set *s, const struct dev_opts *o, struct device **out, struct kverr *err)
{
	const struct dev_driver *drv;
	const struct dev_bus *bus;
	struct device *dev;
	int ret;

	*out = NULL;
	if (!o->driver)
		return kverr_set(err, EINVAL, "Parameter 'driver' is missing");
	drv = dev_registry_lookup(s->reg, o->driver);
	if (!drv)
		return kverr_set(err, EINVAL, "'%s' is not a valid device model name", o->driver);
	if (!drv->user_creatable || (s->machine_ready && !drv->hotpluggable))
		return kverr_set(err, EINVAL, "Parameter 'driver' expects a pluggable device type");
	ret = pick_bus(s, drv, o->bus, &bus, err);
	if (ret)
		return ret;
	if (o->id && dev_find_id(s, o->id))
		return kverr_set(err, EINVAL, "Duplicate device ID '%s'", o->id);
	if (s->nr >= DEV_MAX_DEVICES)
		return kverr_set(err, ENOSPC, "kvmem supports at most %d devices", DEV_MAX_DEVICES);
	dev = new_device(s, drv);
	if (!dev || (o->id && !(dev->id = strdup(o->id)))) {
		if (dev)
			free_device(dev);
		return kverr_set(err, ENOMEM, "out of memory");
	}
	dev->bus = bus;
	dev->hotplugged = s->machine_ready;
	if (!o->id)
		dev->anon = s->anon_next++;
	if ((o->id ? asprintf(&dev->path, "/machine/peripheral/%s", o->id)
		   : asprintf(&dev->path, "/machine/peripheral-anon/device[%u]", dev->anon)) < 0) {
		dev->path = NULL;
		free_device(dev);
		return kverr_set(err, ENOMEM, "out of memory");
	}
	/* in the set from here on, unrealized: a failure below discards it */
	if (s->last)
		s->last->next = dev;
	else
		s->first = dev;
	s->last = dev;
	s->nr++;
	for (unsigned i = 0; i < o->n && !ret; i++)
		ret = set_one(s, dev, &o->opt[i], err);
	for (unsigned i = 0; i < dev->nr_props && !ret; i++)
		if (drv->props[i].required && !dev->given[i])
			ret = kverr_set(err, EINVAL, "%s", drv->props[i].required);
	if (ret) {
		dev_discard(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

int dev_realize(struct device *dev, struct kverr *err)
{
	const struct dev_driver *drv = dev->drv;
	int ret = 0;

	if (dev->realized)
		return 0;
	if (drv->pre_plug)
		ret = drv->pre_plug(dev, err);
	if (!ret && drv->realize)
		ret = drv->realize(dev, err);
	if (ret)
		return ret;
	if (drv->plug)
		drv->plug(dev);
	dev->realized = true;
	return 0;
}

int dev_add(struct dev_set *s, const struct dev_opts *o, struct device **out, struct kverr *err)
{
	struct device *dev;
	int ret;

	if (out)
		*out = NULL;
	ret = dev_prepare(s, o, &dev, err);
	if (ret)
		return ret;
	ret = dev_realize(dev, err);
	if (ret) {
		dev_discard(dev);
		return ret;
	}
	if (out)
		*out = dev;
	return 0;
}

/* Unrealize, remove, DEVICE_DELETED, free. */
static void remove_device(struct device *dev)
{
	struct dev_set *s = dev->set;
	json_t *data;

	if (dev->realized && dev->drv->unrealize)
		dev->drv->unrealize(dev);
	dev->realized = false;
	unlink_device(dev);
	if (s->ops && s->ops->event) {
		data = json_pack("{s:s}", "path", dev->path);
		if (data && dev->id)
			json_object_set_new(data, "device", json_string(dev->id));
		if (data)
			s->ops->event(s->ctx, "DEVICE_DELETED", data);
	}
	free_device(dev);
}

int dev_unplug(struct device *dev, struct kverr *err)
{
	int ret;

	if (dev->bus && !dev->bus->hotpluggable)
		return kverr_set(err, EINVAL, "Bus '%s' does not support hotplugging",
				 dev->bus->name);
	if (!dev->drv->hotpluggable)
		return kverr_set(err, EINVAL, "Device '%s' does not support hotplugging",
				 dev->drv->name);
	if (dev->drv->unplug_request) {
		ret = dev->drv->unplug_request(dev, err);
		if (!ret)
			dev->unplug_requested = true;
		return ret;
	}
	remove_device(dev);
	return 0;
}

int dev_del(struct dev_set *s, const char *id, struct kverr *err)
{
	struct device *dev = dev_find_path(s, id);

	if (!dev || !dev->realized)
		return kverr_set(err, ENODEV, "Device '%s' not found", id);
	return dev_unplug(dev, err);
}

void dev_unplug_done(struct device *dev)
{
	remove_device(dev);
}

void dev_unplug_done_async(struct device *dev)
{
	struct dev_set *s = dev->set;

	atomic_store(&dev->unplug_done, true);
	atomic_store(&s->pending, true);
	if (s->ops && s->ops->kick)
		s->ops->kick(s->ctx);
}

void dev_set_run_pending(struct dev_set *s)
{
	struct device *d, *next;

	if (!atomic_exchange(&s->pending, false))
		return;
	for (d = s->first; d; d = next) {
		next = d->next;
		if (atomic_load(&d->unplug_done))
			remove_device(d);
	}
}

void dev_set_fini(struct dev_set *s)
{
	/* reverse creation order: a device may use one made before it */
	while (s->last) {
		struct device *d = s->last;

		if (d->realized && d->drv->unrealize)
			d->drv->unrealize(d);
		d->realized = false;
		unlink_device(d);
		free_device(d);
	}
}

static int find_prop(struct device *dev, const char *name, const struct dev_prop **p,
		     struct kverr *err)
{
	int idx = dev_prop_index(dev->drv, name);

	if (idx < 0)
		return kverr_set(err, EINVAL, "Property '%s.%s' not found", dev->drv->name, name);
	*p = &dev->drv->props[idx];
	return idx;
}

int dev_set_prop(struct device *dev, const char *name, json_t *value, struct kverr *err)
{
	const struct dev_prop *p = NULL;
	struct dev_value v;
	int idx = find_prop(dev, name, &p, err), ret;

	if (idx < 0)
		return idx;
	if (p->access == DEV_PROP_READONLY)
		return kverr_set(err, EINVAL, "Property '%s.%s' is not writable", dev->drv->name,
				 name);
	if (p->access == DEV_PROP_STATIC && dev->realized) {
		if (dev->id)
			return kverr_set(err, EBUSY,
					 "Attempt to set property '%s' on device '%s' (type "
					 "'%s') after it was realized",
					 name, dev->id, dev->drv->name);
		return kverr_set(err, EBUSY,
				 "Attempt to set property '%s' on anonymous device (type '%s') "
				 "after it was realized",
				 name, dev->drv->name);
	}
	ret = dev_value_from_json(dev->drv, p, value, &v, err);
	if (ret)
		return ret;
	/* a RUNTIME property: the driver applies it, or refuses */
	ret = dev->realized && p->set ? p->set(dev, p, &v, err) : 0;
	if (ret) {
		dev_value_clear(&v);
		return ret;
	}
	dev_value_clear(&dev->val[idx]);
	dev->val[idx] = v;
	dev->given[idx] = true;
	return 0;
}

int dev_get_prop(struct device *dev, const char *name, json_t **out, struct kverr *err)
{
	const struct dev_prop *p = NULL;
	int idx = find_prop(dev, name, &p, err);

	if (idx < 0)
		return idx;
	if (p->get)
		return p->get(dev, p, out, err);
	*out = dev_value_to_json(p, &dev->val[idx]);
	return *out ? 0 : kverr_set(err, ENOMEM, "out of memory");
}
