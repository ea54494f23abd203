/* introspect.c - what kvmem is, asked over QMP; see introspect.h.
 *
 * Shapes and messages follow QEMU 7.2 (qapi/machine.json, qom.json,
 * migration.json, block-core.json, char.json); the content is kvmem's:
 * one machine (pc-i440fx-7.2, alias pc) and none, the devices of its
 * registry, its -object types, its accelerators.
 */
#include "qmp/introspect.h"

#include <stdio.h>
#include <string.h>

#include "config/object.h"
#include "dev/registry.h"
#include "machine.h"
#include "qmp/schema.h"

static struct machine *machine_of(const struct qmp_request *req)
{
	return req->ctx;
}

int introspect_query_qmp_schema(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	*ret = qmp_schema(req->table);
	return *ret ? 0 : qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
}

int introspect_query_target(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_pack("{s:s}", "arch", "x86_64");
	return 0;
}

const struct qmp_arg introspect_machines_args[] = {
    {.name = "compat-props", .type = QMP_TYPE_BOOL, .optional = true},
    {.name = NULL},
};

/* kvmem is QEMU 7.2's pc machine, whose versioned name libvirt puts on the
 * command line; its CPU is the host's (-cpu host), it cannot plug CPUs,
 * and NUMA nodes take memory from backends (memdev=), as on QEMU 7.2's pc
 * (numa-mem-supported false). */
int introspect_query_machines(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_pack("[{s:s, s:s, s:b, s:i, s:b, s:b, s:b, s:s, s:s},"
			 " {s:s, s:i, s:b, s:b, s:b, s:s}]",
			 "name", "pc-i440fx-7.2", "alias", "pc", "is-default", 1, "cpu-max",
			 CONFIG_MAX_CPUS, "hotpluggable-cpus", 0, "numa-mem-supported", 0,
			 "deprecated", 0, "default-cpu-type", "host-x86_64-cpu", "default-ram-id",
			 "pc.ram", "name", "none", "cpu-max", 1, "hotpluggable-cpus", 0,
			 "numa-mem-supported", 0, "deprecated", 0, "default-ram-id", "ram");
	return 0;
}

/* Every type kvmem can make, with QEMU's parent names. */
static void each_type(const struct machine *m,
		      void (*fn)(void *ctx, const char *name, const char *parent), void *ctx)
{
	static const char *const bus_parent[] = {[DEV_BUS_NONE] = "device",
						 [DEV_BUS_PCI] = "pci-device",
						 [DEV_BUS_ISA] = "isa-device",
						 [DEV_BUS_SYSTEM] = "sys-bus-device"};
	const struct dev_registry *r = m->devs.set.reg;
	char name[64];

	for (unsigned i = 0; r && i < r->n; i++)
		fn(ctx, r->drv[i]->name, bus_parent[r->drv[i]->bus]);
	for (const char *const *t = config_object_types; *t; t++)
		fn(ctx, *t, strcmp(*t, "secret") ? "memory-backend" : "secret-common");
	fn(ctx, "pc-i440fx-7.2-machine", "generic-pc-machine");
	fn(ctx, "none-machine", "machine");
	fn(ctx, "host-x86_64-cpu", "x86_64-cpu");
	for (const char *const *a = vm_accels; *a; a++) {
		snprintf(name, sizeof(name), "%s-accel", *a);
		fn(ctx, name, "accel");
	}
}

struct type_filter {
	const char *implements;
	json_t *list;
};

static void add_type(void *ctx, const char *name, const char *parent)
{
	struct type_filter *f = ctx;

	/* kvmem's types are one level below the parent QEMU names */
	if (f->implements && strcmp(f->implements, name) && strcmp(f->implements, parent))
		return;
	json_array_append_new(f->list, json_pack("{s:s, s:s}", "name", name, "parent", parent));
}

const struct qmp_arg introspect_list_types_args[] = {
    {.name = "implements", .type = QMP_TYPE_STR, .optional = true},
    {.name = "abstract", .type = QMP_TYPE_BOOL, .optional = true},
    {.name = NULL},
};

int introspect_qom_list_types(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct type_filter f = {.implements =
				    json_string_value(json_object_get(req->args, "implements")),
				.list = json_array()};

	(void)err;
	/* abstract types (memory-backend, accel, ...) are not made, not listed */
	each_type(machine_of(req), add_type, &f);
	*ret = f.list;
	return 0;
}

const struct qmp_arg introspect_list_properties_args[] = {
    {.name = "typename", .type = QMP_TYPE_STR},
    {.name = NULL},
};

struct type_find {
	const char *name;
	bool found;
};

static void find_type(void *ctx, const char *name, const char *parent)
{
	struct type_find *f = ctx;

	(void)parent;
	f->found = f->found || !strcmp(f->name, name);
}

static void add_prop(json_t *list, const char *name, const char *type)
{
	json_array_append_new(list, json_pack("{s:s, s:s}", "name", name, "type", type));
}

int introspect_qom_list_properties(const struct qmp_request *req, json_t **ret,
				   struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	const char *type = json_string_value(json_object_get(req->args, "typename"));
	struct type_find f = {.name = type};
	const struct dev_driver *drv = dev_registry_find(m->devs.set.reg, type);
	const char *name, *qom;
	json_t *list;

	each_type(m, find_type, &f);
	if (!f.found)
		return qmp_error_set(err, QMP_ERR_DEVICE_NOT_FOUND, "Class '%s' not found", type);
	list = json_array();
	add_prop(list, "type", "string");
	if (drv) {
		json_t *props = dev_driver_props_json(drv);

		json_array_extend(list, props);
		json_decref(props);
	} else if (!strcmp(type, "pc-i440fx-7.2-machine") || !strcmp(type, "none-machine")) {
		for (unsigned i = 0; config_machine_props(&name, &qom, i); i++)
			add_prop(list, name, qom);
	} else {
		for (unsigned i = 0; config_object_type_props(type, &name, &qom, i) == 1; i++)
			add_prop(list, name, qom);
	}
	*ret = list;
	return 0;
}

const struct qmp_arg introspect_cmdline_args[] = {
    {.name = "option", .type = QMP_TYPE_STR, .optional = true},
    {.name = NULL},
};

/* kvmem does not describe its options' parameters here (QEMU lists its
 * QemuOpts ones); an option it does not have is refused as QEMU refuses
 * one.  A client that finds nothing uses no optional option (libvirt:
 * -sandbox, -spice, ...). */
int introspect_query_cmdline(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	const char *option = json_string_value(json_object_get(req->args, "option"));

	if (option && !config_option_exists(option))
		return qmp_error_set(err, QMP_ERR_GENERIC, "invalid option name: %s", option);
	*ret = json_array();
	return 0;
}

/* kvmem has no migration: no capability to report. */
int introspect_query_migrate_caps(const struct qmp_request *req, json_t **ret,
				  struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_array();
	return 0;
}

const struct qmp_arg introspect_migrate_caps_args[] = {
    {.name = "capabilities", .type = QMP_TYPE_ANY},
    {.name = NULL},
};

/* QEMU 7.2's MigrationCapability values. */
static const char *const migrate_caps[] = {"xbzrle",
					   "rdma-pin-all",
					   "auto-converge",
					   "zero-blocks",
					   "compress",
					   "events",
					   "postcopy-ram",
					   "x-colo",
					   "release-ram",
					   "block",
					   "return-path",
					   "pause-before-switchover",
					   "multifd",
					   "dirty-bitmaps",
					   "postcopy-blocktime",
					   "late-block-activate",
					   "x-ignore-shared",
					   "validate-uuid",
					   "background-snapshot",
					   "zero-copy-send",
					   "postcopy-preempt",
					   NULL};

/* Checks every entry first, so a refused list changes nothing; then
 * accepts: "events" (migration events: kvmem, which has no migration,
 * sends none either way) and any capability turned off.  Turning another
 * one on asks for migration, which kvmem does not have. */
int introspect_set_migrate_caps(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	json_t *caps = json_object_get(req->args, "capabilities"), *c;
	size_t i;

	(void)ret;
	if (!json_is_array(caps))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Invalid parameter type for 'capabilities', expected: array");
	json_array_foreach(caps, i, c)
	{
		const char *name = json_string_value(json_object_get(c, "capability"));
		json_t *state = json_object_get(c, "state");
		bool known = false;

		if (!json_is_object(c))
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "Invalid parameter type for 'capabilities[%zu]', "
					     "expected: object",
					     i);
		if (!name)
			return qmp_error_set(err, QMP_ERR_GENERIC, "Parameter 'capability' is %s",
					     json_object_get(c, "capability") ? "not a string"
									      : "missing");
		for (const char *const *n = migrate_caps; *n; n++)
			known = known || !strcmp(*n, name);
		if (!known)
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "Parameter 'capability' does not accept value '%s'",
					     name);
		if (!json_is_boolean(state))
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "Parameter 'state' is missing or not a boolean");
		if (json_is_true(state) && strcmp(name, "events"))
			return qmp_error_set(
			    err, QMP_ERR_GENERIC,
			    "Capability '%s' cannot be set: kvmem has no migration", name);
	}
	return 0;
}

/* Each chardev and what it is connected to, QEMU's ChardevInfo. */
int introspect_query_chardev(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	const struct config *cfg = m->cfg;
	json_t *list = json_array();

	(void)err;
	for (unsigned i = 0; i < cfg->chardevs.nr; i++) {
		const struct config_chardev *c = &cfg->chardevs.chr[i];
		char name[600];

		switch (c->backend) {
		case CHR_SOCKET:
			if (c->fd >= 0)
				snprintf(name, sizeof(name), "unix:fd=%d,server=on", c->fd);
			else if (c->path)
				snprintf(name, sizeof(name), "unix:%s,server=on", c->path);
			else
				snprintf(name, sizeof(name), "tcp:%s:%s,server=on",
					 c->host ? c->host : "", c->port);
			break;
		case CHR_PTY:
			snprintf(name, sizeof(name), "pty:%s", m->chardevs.pty[i]);
			break;
		case CHR_FILE:
			snprintf(name, sizeof(name), "file");
			break;
		case CHR_NULL:
			snprintf(name, sizeof(name), "null");
			break;
		case CHR_STDIO:
			snprintf(name, sizeof(name), "stdio");
			break;
		}
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "label", c->id, "filename",
						      name, "frontend-open",
						      c->user != NULL || m->chardevs.fd[i] >= 0));
	}
	*ret = list;
	return 0;
}

const struct qmp_arg introspect_named_block_nodes_args[] = {
    {.name = "flat", .type = QMP_TYPE_BOOL, .optional = true},
    {.name = NULL},
};

/* kvmem has no block devices. */
int introspect_query_no_block(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)err;
	*ret = json_array();
	return 0;
}
