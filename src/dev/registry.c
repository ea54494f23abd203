/* registry.c - device drivers and their help; see registry.h.
 *
 * The texts follow QEMU 7.2's qdev-monitor.c as seen from the outside
 * (qemu-system-x86_64 -device help, -device DRIVER,help,
 * device-list-properties), which tests/unit/test_devreg.c pins down.
 */
#include "dev/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Properties every device has (QEMU's Object and DeviceState ones) and the
 * options -device takes itself: a driver cannot declare them. */
static const char *const reserved_names[] = {"type",	   "realized", "hotpluggable", "hotplugged",
					     "parent_bus", "driver",   "id",	       "bus",
					     "help",	   NULL};

static const char *const category_names[DEV_CAT_MAX + 1] = {
    [DEV_CAT_BRIDGE] = "Controller/Bridge/Hub",
    [DEV_CAT_USB] = "USB",
    [DEV_CAT_STORAGE] = "Storage",
    [DEV_CAT_NETWORK] = "Network",
    [DEV_CAT_INPUT] = "Input",
    [DEV_CAT_DISPLAY] = "Display",
    [DEV_CAT_SOUND] = "Sound",
    [DEV_CAT_MISC] = "Misc",
    [DEV_CAT_CPU] = "CPU",
    [DEV_CAT_WATCHDOG] = "Watchdog",
    [DEV_CAT_MAX] = "Uncategorized",
};

static const char *bus_name(enum dev_bus_kind k)
{
	switch (k) {
	case DEV_BUS_PCI:
		return "PCI";
	case DEV_BUS_ISA:
		return "ISA";
	case DEV_BUS_SYSTEM:
		return "System";
	case DEV_BUS_NONE:
		break;
	}
	return NULL;
}

const char *dev_prop_type_name(const struct dev_prop *p, char *buf, size_t size)
{
	static const char *const names[] = {
	    [DEV_PROP_STR] = "str",	  [DEV_PROP_BOOL] = "bool",
	    [DEV_PROP_UINT8] = "uint8",	  [DEV_PROP_UINT16] = "uint16",
	    [DEV_PROP_UINT32] = "uint32", [DEV_PROP_UINT64] = "uint64",
	    [DEV_PROP_INT32] = "int32",	  [DEV_PROP_INT64] = "int64",
	    [DEV_PROP_SIZE] = "size",	  [DEV_PROP_ENUM] = "str",
	    [DEV_PROP_LINK] = "link",	  [DEV_PROP_PCI_ADDR] = "int32",
	    [DEV_PROP_JSON] = "any",
	};

	if (p->type_name)
		return p->type_name;
	if (p->type == DEV_PROP_LINK) {
		snprintf(buf, size, "link<%s>", p->link_kind);
		return buf;
	}
	return names[p->type];
}

int dev_prop_index(const struct dev_driver *drv, const char *name)
{
	for (int i = 0; drv->props && drv->props[i].name; i++)
		if (!strcmp(drv->props[i].name, name))
			return i;
	return -1;
}

static int bad_driver(const struct dev_driver *drv, const char *prop, const char *why,
		      struct kverr *err)
{
	if (prop)
		return kverr_set(err, EINVAL, "device driver '%s': property '%s' %s", drv->name,
				 prop, why);
	return kverr_set(err, EINVAL, "device driver '%s': %s", drv->name, why);
}

static bool enum_has(const char *const *values, const char *s)
{
	for (; values && *values; values++)
		if (!strcmp(*values, s))
			return true;
	return false;
}

/* A driver table is data written by hand: check what the registry relies
 * on, so a mistake is found when kvmem starts. */
static int check_driver(const struct dev_registry *r, const struct dev_driver *drv,
			struct kverr *err)
{
	if (!drv->name || !drv->name[0])
		return kverr_set(err, EINVAL, "device driver without a name");
	if (dev_registry_lookup(r, drv->name) || (drv->alias && dev_registry_lookup(r, drv->alias)))
		return bad_driver(drv, NULL, "registered twice (name or alias taken)", err);
	if (drv->hotpluggable && !drv->user_creatable)
		return bad_driver(drv, NULL, "hotpluggable but not user-creatable", err);
	if (drv->categories >> DEV_CAT_MAX)
		return bad_driver(drv, NULL, "unknown category", err);
	for (const struct dev_prop *p = drv->props; p && p->name; p++) {
		if (!p->name[0] || enum_has(reserved_names, p->name))
			return bad_driver(drv, p->name, "has a reserved name", err);
		for (const struct dev_prop *q = drv->props; q < p; q++)
			if (!strcmp(q->name, p->name))
				return bad_driver(drv, p->name, "is declared twice", err);
		if (p->type > DEV_PROP_JSON || p->access > DEV_PROP_READONLY)
			return bad_driver(drv, p->name, "has an unknown type or access", err);
		if (p->type == DEV_PROP_ENUM &&
		    (!p->values || !p->values[0] || !p->type_name ||
		     (p->has_default && !enum_has(p->values, p->def.s))))
			return bad_driver(drv, p->name,
					  "is an enum without values, type name or a valid default",
					  err);
		if (p->type == DEV_PROP_LINK && (!p->link_kind || p->has_default))
			return bad_driver(drv, p->name,
					  "is a link without a kind (or has a default)", err);
		if (p->type == DEV_PROP_JSON && (p->access != DEV_PROP_READONLY || !p->get))
			return bad_driver(drv, p->name, "is JSON but not read-only with a getter",
					  err);
		if (p->access == DEV_PROP_RUNTIME && !p->set)
			return bad_driver(drv, p->name, "is settable at run time without a setter",
					  err);
		if (p->access == DEV_PROP_READONLY && p->required)
			return bad_driver(drv, p->name, "is read-only and required", err);
		if (p->type == DEV_PROP_STR && p->has_default && !p->def.s)
			return bad_driver(drv, p->name, "has a NULL default", err);
	}
	return 0;
}

int dev_registry_add(struct dev_registry *r, const struct dev_driver *drv, struct kverr *err)
{
	int ret = check_driver(r, drv, err);

	if (ret)
		return ret;
	if (r->n == DEV_MAX_DRIVERS)
		return kverr_set(err, ENOSPC, "device driver '%s': more than %d drivers", drv->name,
				 DEV_MAX_DRIVERS);
	r->drv[r->n++] = drv;
	return 0;
}

const struct dev_driver *dev_registry_find(const struct dev_registry *r, const char *name)
{
	for (unsigned i = 0; name && i < r->n; i++)
		if (!strcmp(r->drv[i]->name, name))
			return r->drv[i];
	return NULL;
}

const struct dev_driver *dev_registry_lookup(const struct dev_registry *r, const char *name)
{
	const struct dev_driver *d = dev_registry_find(r, name);

	for (unsigned i = 0; !d && name && i < r->n; i++)
		if (r->drv[i]->alias && !strcmp(r->drv[i]->alias, name))
			d = r->drv[i];
	return d;
}

/* QEMU sorts by name with g_ascii_strcasecmp (and then strcmp). */
static int by_name(const void *a, const void *b)
{
	const struct dev_driver *x = *(const struct dev_driver *const *)a;
	const struct dev_driver *y = *(const struct dev_driver *const *)b;
	int c = strcasecmp(x->name, y->name);

	return c ? c : strcmp(x->name, y->name);
}

void dev_registry_print_list(const struct dev_registry *r, struct buf *out)
{
	const struct dev_driver *sorted[DEV_MAX_DRIVERS];

	memcpy(sorted, r->drv, r->n * sizeof(sorted[0]));
	qsort(sorted, r->n, sizeof(sorted[0]), by_name);
	for (unsigned c = 0; c <= DEV_CAT_MAX; c++) {
		bool header = false;

		for (unsigned i = 0; i < r->n; i++) {
			const struct dev_driver *d = sorted[i];
			bool in = c < DEV_CAT_MAX ? (d->categories >> c & 1) : d->categories == 0;

			/* QEMU lists a device that has an alias even when it is
			 * not user-creatable, and adds ", no-user" */
			if (!in || (!d->user_creatable && !d->alias))
				continue;
			if (!header)
				buf_printf(out, "%s%s devices:\n", c ? "\n" : "",
					   category_names[c]);
			header = true;
			buf_printf(out, "name \"%s\"", d->name);
			if (bus_name(d->bus))
				buf_printf(out, ", bus %s", bus_name(d->bus));
			if (d->alias)
				buf_printf(out, ", alias \"%s\"", d->alias);
			if (d->desc)
				buf_printf(out, ", desc \"%s\"", d->desc);
			if (!d->user_creatable)
				buf_puts(out, ", no-user");
			buf_puts(out, "\n");
		}
	}
}

static json_t *default_json(const struct dev_prop *p)
{
	switch (p->type) {
	case DEV_PROP_STR:
	case DEV_PROP_ENUM:
		return json_string(p->def.s);
	case DEV_PROP_BOOL:
		return json_boolean(p->def.b);
	case DEV_PROP_UINT8:
	case DEV_PROP_UINT16:
	case DEV_PROP_UINT32:
	case DEV_PROP_UINT64:
	case DEV_PROP_SIZE:
		/* jansson integers are signed: above 2^63 is shown as QEMU's
		 * JSON shows a uint64 it cannot hold, as a negative number */
		return json_integer((json_int_t)p->def.u);
	case DEV_PROP_INT32:
	case DEV_PROP_INT64:
	case DEV_PROP_PCI_ADDR:
		return json_integer(p->def.i);
	case DEV_PROP_LINK:
	case DEV_PROP_JSON:
		break;
	}
	return NULL;
}

json_t *dev_driver_props_json(const struct dev_driver *drv)
{
	json_t *list = json_array();

	for (const struct dev_prop *p = drv->props; p && p->name; p++) {
		char tbuf[96];
		json_t *info = json_pack("{s:s, s:s}", "name", p->name, "type",
					 dev_prop_type_name(p, tbuf, sizeof(tbuf)));

		if (p->help)
			json_object_set_new(info, "description", json_string(p->help));
		if (p->has_default)
			json_object_set_new(info, "default-value", default_json(p));
		json_array_append_new(list, info);
	}
	return list;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void dev_print_props_help(struct buf *out, const char *driver, json_t *props)
{
	size_t n = json_array_size(props), i;
	char **lines = calloc(n ? n : 1, sizeof(*lines));
	json_t *p;

	if (!lines) {
		out->failed = true;
		return;
	}
	json_array_foreach(props, i, p)
	{
		const char *desc = json_string_value(json_object_get(p, "description"));
		json_t *def = json_object_get(p, "default-value");
		struct buf line = {0};
		char *dtext = def ? json_dumps(def, JSON_ENCODE_ANY) : NULL;

		buf_printf(&line, "  %s=<%s>", json_string_value(json_object_get(p, "name")),
			   json_string_value(json_object_get(p, "type")));
		if (desc || def) {
			while (line.len < 24 && !line.failed)
				buf_puts(&line, " ");
			buf_printf(&line, " - %s", desc ? desc : "");
			if (dtext)
				buf_printf(&line, " (default: %s)", dtext);
		}
		free(dtext);
		if (line.failed)
			out->failed = true;
		lines[i] = line.data ? line.data : strdup("");
	}
	if (n)
		buf_printf(out, "%s options:\n", driver);
	else
		buf_printf(out, "There are no options for %s.\n", driver);
	qsort(lines, n, sizeof(*lines), by_text);
	for (i = 0; i < n; i++) {
		if (lines[i])
			buf_printf(out, "%s\n", lines[i]);
		else
			out->failed = true;
		free(lines[i]);
	}
	free(lines);
}

int dev_registry_help(const struct dev_registry *r, const char *driver, struct buf *out,
		      struct kverr *err)
{
	const struct dev_driver *drv;
	json_t *props;

	if (!driver || !strcmp(driver, "help") || !strcmp(driver, "?")) {
		dev_registry_print_list(r, out);
		return 0;
	}
	drv = dev_registry_lookup(r, driver);
	if (!drv)
		return kverr_set(err, ENODEV, "Device '%s' not found", driver);
	props = dev_driver_props_json(drv);
	dev_print_props_help(out, drv->name, props);
	json_decref(props);
	return 0;
}
