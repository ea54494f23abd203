/* qom.c - qom-list, qom-get, qom-set over kvmem's objects; see qom.h.
 *
 * An object is a node: the root, the machine, the two device containers or
 * a (realized) device.  Each node lists "type" first, as QEMU does, then
 * its properties, then its children ("child<TYPE>").  What qom-set may
 * change on a device is the driver's business (devset.c: static
 * properties only before realize, DEV_PROP_RUNTIME ones at any time);
 * everything else here is read-only.
 */
#include "dev/qom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum node_kind { N_ROOT, N_MACHINE, N_PERIPHERAL, N_ANON, N_DEVICE, N_UNATTACHED, N_CPU };

struct node {
	enum node_kind kind;
	struct device *dev;
	unsigned cpu; /* N_CPU */
};

void qom_cpu_path(unsigned idx, char *buf, size_t size)
{
	snprintf(buf, size, "/machine/unattached/device[%u]", idx ? idx + 1 : 0);
}

/* The vCPU whose unattached name is name[len], or -1. */
static int cpu_named(const struct qom *q, const char *name, size_t len)
{
	char path[64];

	for (unsigned i = 0; i < q->host->nr_cpus; i++) {
		qom_cpu_path(i, path, sizeof(path));
		if (strlen(path + 20) == len && !strncmp(path + 20, name, len))
			return (int)i;
	}
	return -1;
}

/* Device properties every device has (QEMU's DeviceState ones). */
static const struct qom_prop_desc device_props[] = {
    {"parent_bus", "link<bus>"}, {"realized", "bool"}, {"hotplugged", "bool"},
    {"hotpluggable", "bool"},	 {NULL, NULL},
};

static const char *node_type(const struct qom *q, const struct node *n)
{
	switch (n->kind) {
	case N_MACHINE:
		return q->host->machine_type;
	case N_DEVICE:
		return n->dev->drv->name;
	case N_CPU:
		return q->host->cpu_type;
	default:
		return "container";
	}
}

/* The path component naming a device in its container. */
static const char *dev_name(const struct device *d, char *buf, size_t size)
{
	if (d->id)
		return d->id;
	snprintf(buf, size, "device[%u]", d->anon);
	return buf;
}

/* Child called name of node n, as a node. */
static bool child(const struct qom *q, const struct node *n, const char *name, size_t len,
		  struct node *out)
{
	char buf[32];

#define IS(s) (strlen(s) == len && !strncmp(name, s, len))
	switch (n->kind) {
	case N_ROOT:
		*out = (struct node){N_MACHINE, NULL, 0};
		return IS("machine");
	case N_MACHINE:
		if (IS("unattached"))
			*out = (struct node){N_UNATTACHED, NULL, 0};
		else if (IS("peripheral"))
			*out = (struct node){N_PERIPHERAL, NULL, 0};
		else if (IS("peripheral-anon"))
			*out = (struct node){N_ANON, NULL, 0};
		else
			return false;
		return true;
	case N_PERIPHERAL:
	case N_ANON:
		for (struct device *d = q->devs->first; d; d = d->next) {
			if (!d->realized || !d->id != (n->kind == N_ANON))
				continue;
			if (IS(dev_name(d, buf, sizeof(buf)))) {
				*out = (struct node){N_DEVICE, d, 0};
				return true;
			}
		}
		return false;
	case N_UNATTACHED: {
		int cpu = cpu_named(q, name, len);

		*out = (struct node){N_CPU, NULL, cpu < 0 ? 0 : (unsigned)cpu};
		return cpu >= 0;
	}
	case N_DEVICE:
	case N_CPU:
		break;
	}
	return false;
#undef IS
}

/* Resolve an absolute path, or path relative to start. */
static bool walk(const struct qom *q, struct node start, const char *path, struct node *out)
{
	struct node n = start;

	for (const char *p = path;;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (!len)
			break;
		if (!child(q, &n, p, len, &n))
			return false;
		p += len;
	}
	*out = n;
	return true;
}

/* Every node, for partial paths: fn returns true to stop. */
static void each_node(const struct qom *q, bool (*fn)(void *ctx, const struct node *n), void *ctx)
{
	static const enum node_kind fixed[] = {N_ROOT, N_MACHINE, N_PERIPHERAL, N_ANON,
					       N_UNATTACHED};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (fn(ctx, &(struct node){fixed[i], NULL, 0}))
			return;
	for (unsigned i = 0; i < q->host->nr_cpus; i++)
		if (fn(ctx, &(struct node){N_CPU, NULL, i}))
			return;
	for (struct device *d = q->devs->first; d; d = d->next)
		if (d->realized && fn(ctx, &(struct node){N_DEVICE, d, 0}))
			return;
}

struct partial {
	const struct qom *q;
	const char *path;
	struct node found;
	unsigned matches;
};

/* QEMU's partial path: the object is reached by following path from some
 * object in the tree, going down child links only. */
static bool try_partial(void *ctx, const struct node *n)
{
	struct partial *pp = ctx;
	struct node end;

	if (walk(pp->q, *n, pp->path, &end)) {
		if (!pp->matches || end.kind != pp->found.kind || end.dev != pp->found.dev ||
		    end.cpu != pp->found.cpu)
			pp->matches++;
		pp->found = end;
	}
	return pp->matches > 1;
}

static int resolve(const struct qom *q, const char *path, struct node *out, struct kverr *err)
{
	struct partial pp = {.q = q, .path = path};

	if (path[0] == '/') {
		if (walk(q, (struct node){N_ROOT, NULL, 0}, path, out))
			return 0;
		return kverr_set(err, ENODEV, "Device '%s' not found", path);
	}
	each_node(q, try_partial, &pp);
	if (pp.matches > 1)
		return kverr_set(err, EINVAL, "Path '%s' is ambiguous", path);
	if (!pp.matches)
		return kverr_set(err, ENODEV, "Device '%s' not found", path);
	*out = pp.found;
	return 0;
}

static void add_info(json_t *list, const char *name, const char *type)
{
	json_array_append_new(list, json_pack("{s:s, s:s}", "name", name, "type", type));
}

static void add_child(json_t *list, const char *name, const char *type)
{
	char t[160];

	snprintf(t, sizeof(t), "child<%s>", type);
	add_info(list, name, t);
}

int qom_list(const struct qom *q, const char *path, json_t **out, struct kverr *err)
{
	struct node n;
	json_t *list;
	char buf[96];
	int ret = resolve(q, path, &n, err);

	if (ret)
		return ret;
	list = json_array();
	add_info(list, "type", "string");
	switch (n.kind) {
	case N_ROOT:
		add_child(list, "machine", q->host->machine_type);
		break;
	case N_MACHINE:
		for (const struct qom_prop_desc *p = q->host->machine_props; p && p->name; p++)
			add_info(list, p->name, p->type);
		add_child(list, "unattached", "container");
		add_child(list, "peripheral-anon", "container");
		add_child(list, "peripheral", "container");
		break;
	case N_UNATTACHED:
		for (unsigned i = 0; i < q->host->nr_cpus; i++) {
			qom_cpu_path(i, buf, sizeof(buf));
			add_child(list, buf + 20, q->host->cpu_type);
		}
		break;
	case N_CPU:
		/* kvmem's vCPU takes no properties: its CPUID is KVM's */
		break;
	case N_PERIPHERAL:
	case N_ANON:
		for (struct device *d = q->devs->first; d; d = d->next)
			if (d->realized && !d->id == (n.kind == N_ANON))
				add_child(list, dev_name(d, buf, sizeof(buf)), d->drv->name);
		break;
	case N_DEVICE:
		for (const struct qom_prop_desc *p = device_props; p->name; p++)
			add_info(list, p->name, p->type);
		for (unsigned i = 0; i < n.dev->nr_props; i++) {
			const struct dev_prop *p = &n.dev->drv->props[i];

			add_info(list, p->name, dev_prop_type_name(p, buf, sizeof(buf)));
		}
		break;
	}
	*out = list;
	return 0;
}

static int not_found(const struct qom *q, const struct node *n, const char *prop, struct kverr *err)
{
	return kverr_set(err, EINVAL, "Property '%s.%s' not found", node_type(q, n), prop);
}

static int not_writable(const struct qom *q, const struct node *n, const char *prop,
			struct kverr *err)
{
	return kverr_set(err, EINVAL, "Property '%s.%s' is not writable", node_type(q, n), prop);
}

static bool in_list(const struct qom_prop_desc *list, const char *name)
{
	for (; list && list->name; list++)
		if (!strcmp(list->name, name))
			return true;
	return false;
}

/* The value of one of a node's properties other than a driver's: type,
 * children (their path), the machine's, DeviceState's.  1: not one. */
static int fixed_prop(const struct qom *q, const struct node *n, const char *prop, json_t **out,
		      struct kverr *err)
{
	struct node c;
	char path[512];

	if (!strcmp(prop, "type")) {
		*out = json_string(node_type(q, n));
		return 0;
	}
	if (n->kind != N_DEVICE && child(q, n, prop, strlen(prop), &c)) {
		if (n->kind == N_ROOT)
			snprintf(path, sizeof(path), "/%s", prop);
		else if (n->kind == N_MACHINE)
			snprintf(path, sizeof(path), "/machine/%s", prop);
		else if (n->kind == N_UNATTACHED)
			qom_cpu_path(c.cpu, path, sizeof(path));
		else
			snprintf(path, sizeof(path), "%s", c.dev->path);
		*out = json_string(path);
		return 0;
	}
	if (n->kind == N_MACHINE && in_list(q->host->machine_props, prop))
		return q->host->machine_get(q->host->ctx, prop, out, err);
	if (n->kind != N_DEVICE)
		return 1;
	if (!strcmp(prop, "parent_bus"))
		*out = json_string(n->dev->bus ? n->dev->bus->path : "");
	else if (!strcmp(prop, "realized"))
		*out = json_true();
	else if (!strcmp(prop, "hotplugged"))
		*out = json_boolean(n->dev->hotplugged);
	else if (!strcmp(prop, "hotpluggable"))
		*out = json_boolean(n->dev->drv->hotpluggable);
	else
		return 1;
	return 0;
}

int qom_get(const struct qom *q, const char *path, const char *prop, json_t **out,
	    struct kverr *err)
{
	struct node n;
	int ret = resolve(q, path, &n, err);

	if (ret)
		return ret;
	ret = fixed_prop(q, &n, prop, out, err);
	if (ret <= 0)
		return ret;
	if (n.kind != N_DEVICE || dev_prop_index(n.dev->drv, prop) < 0)
		return not_found(q, &n, prop, err);
	return dev_get_prop(n.dev, prop, out, err);
}

int qom_set(const struct qom *q, const char *path, const char *prop, json_t *value,
	    struct kverr *err)
{
	struct node n;
	json_t *v = NULL;
	int ret = resolve(q, path, &n, err);

	if (ret)
		return ret;
	if (n.kind == N_DEVICE && dev_prop_index(n.dev->drv, prop) >= 0)
		return dev_set_prop(n.dev, prop, value, err);
	ret = fixed_prop(q, &n, prop, &v, err);
	json_decref(v);
	if (ret > 0)
		return not_found(q, &n, prop, err);
	/* what exists here is read-only in kvmem (docs/qmp.md) */
	return not_writable(q, &n, prop, err);
}

int qom_find_device(const struct qom *q, const char *id, struct device **dev, struct kverr *err)
{
	struct node n;

	*dev = NULL;
	if (!walk(q,
		  id[0] == '/' ? (struct node){N_ROOT, NULL, 0}
			       : (struct node){N_PERIPHERAL, NULL, 0},
		  id, &n))
		return kverr_set(err, ENODEV, "Device '%s' not found", id);
	if (n.kind != N_DEVICE)
		return kverr_set(err, EINVAL, "%s is not a hotpluggable device", id);
	*dev = n.dev;
	return 0;
}
