/* memory_commands.c - object-add, object-del; see memory_commands.h.
 *
 * object-add takes QEMU's typed JSON (size an integer, share a boolean,
 * host-nodes an array), checks each member's type with QEMU's QAPI
 * messages, then writes the backend in -object syntax and hands it to the
 * parser -object uses (config_memdev_parse), so the command line, QMP and
 * the human monitor accept and refuse the same backends; the monitors'
 * messages are QEMU 7.2's.  The backend is then created through
 * memdevs_create(), as every -object backend is at start.
 */
#include "qmp/memory_commands.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/object.h"
#include "hw/memhp.h"
#include "hw/pc_dimm.h"
#include "machine.h"
#include "dev/devset.h"
#include "virtio/mem_pci.h"
#include "util/buf.h"
#include "util/names.h"

static struct machine *machine_of(const struct qmp_request *req)
{
	return req->ctx;
}

/* The JSON types of QEMU 7.2's memory backend properties (qapi/qom.json:
 * MemoryBackendProperties and its file and memfd variants).  Whether a
 * backend type has a property is the parser's business. */
enum prop_type { P_BOOL, P_SIZE, P_UINT32, P_STR, P_NODES };

static const struct {
	const char *name;
	enum prop_type type;
} backend_props[] = {
    {"dump", P_BOOL},	     {"host-nodes", P_NODES},
    {"merge", P_BOOL},	     {"policy", P_STR},
    {"prealloc", P_BOOL},    {"prealloc-threads", P_UINT32},
    {"share", P_BOOL},	     {"reserve", P_BOOL},
    {"size", P_SIZE},	     {"x-use-canonical-path-for-ramblock-id", P_BOOL},
    {"align", P_SIZE},	     {"discard-data", P_BOOL},
    {"mem-path", P_STR},     {"pmem", P_BOOL},
    {"readonly", P_BOOL},    {"hugetlb", P_BOOL},
    {"hugetlbsize", P_SIZE}, {"seal", P_BOOL},
};

#define NPROPS (sizeof(backend_props) / sizeof(backend_props[0]))

/* The object types object-add makes: query-qmp-schema lists them as the
 * values of qom-type (libvirt looks for "secret" there to use the flat
 * form). */
static const char *const object_add_types[] = {"memory-backend-ram", "memory-backend-memfd",
					       "memory-backend-file", "secret", NULL};

/* A secret's properties (qapi/crypto.json: SecretProperties), all strings */
static const char *const secret_props[] = {"format", "data", "file", "keyid", "iv", NULL};

const struct qmp_arg qmp_object_add_args[] = {
    {.name = "qom-type", .type = QMP_TYPE_ENUM, .values = object_add_types},
    {.name = "id", .type = QMP_TYPE_STR},
#define PROP(n)                                                                                    \
	{                                                                                          \
		.name = n, .type = QMP_TYPE_ANY, .optional = true                                  \
	}
    PROP("dump"),
    PROP("host-nodes"),
    PROP("merge"),
    PROP("policy"),
    PROP("prealloc"),
    PROP("prealloc-threads"),
    PROP("share"),
    PROP("reserve"),
    PROP("size"),
    PROP("x-use-canonical-path-for-ramblock-id"),
    PROP("align"),
    PROP("discard-data"),
    PROP("mem-path"),
    PROP("pmem"),
    PROP("readonly"),
    PROP("hugetlb"),
    PROP("hugetlbsize"),
    PROP("seal"),
    PROP("format"),
    PROP("data"),
    PROP("file"),
    PROP("keyid"),
    PROP("iv"),
#undef PROP
    {.name = NULL},
};

/* A string in -object syntax: ',' doubled. */
static void put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_append(b, *s == ',' ? ",," : s, *s == ',' ? 2 : 1);
}

static int bad_type(struct qmp_error *err, const char *name, const char *want)
{
	return qmp_error_set(err, QMP_ERR_GENERIC, "Invalid parameter type for '%s', expected: %s",
			     name, want);
}

/* An unsigned integer member no larger than max, with QEMU's visitor
 * messages: anything but an integer "expects uint64" (QEMU reads every
 * unsigned type as one first), a value out of range expects range_type
 * under range_name.  QEMU takes a negative size as 2^64 minus it; kvmem
 * refuses it. */
static int get_uint(json_t *v, const char *name, const char *range_name, const char *range_type,
		    uint64_t max, uint64_t *out, struct qmp_error *err)
{
	if (!json_is_integer(v))
		return qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' expects uint64", name);
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' expects %s", range_name,
				     range_type);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* One member, type-checked, appended as ",name=value". */
static int put_prop(struct buf *b, const char *name, enum prop_type type, json_t *v,
		    struct qmp_error *err)
{
	uint64_t n;

	switch (type) {
	case P_BOOL:
		if (!json_is_boolean(v))
			return bad_type(err, name, "boolean");
		buf_printf(b, ",%s=%s", name, json_is_true(v) ? "on" : "off");
		return 0;
	case P_SIZE:
		if (get_uint(v, name, name, "uint64", INT64_MAX, &n, err))
			return -1;
		buf_printf(b, ",%s=%" PRIu64, name, n);
		return 0;
	case P_UINT32:
		if (get_uint(v, name, name, "uint32_t", UINT32_MAX, &n, err))
			return -1;
		buf_printf(b, ",%s=%" PRIu64, name, n);
		return 0;
	case P_STR:
		if (!json_is_string(v))
			return bad_type(err, name, "string");
		buf_printf(b, ",%s=", name);
		put_escaped(b, json_string_value(v));
		return 0;
	case P_NODES:
		if (!json_is_array(v))
			return bad_type(err, name, "array");
		for (size_t i = 0; i < json_array_size(v); i++) {
			char elem[32];

			snprintf(elem, sizeof(elem), "%s[%zu]", name, i);
			/* "null": QEMU names a list element so in this message */
			if (get_uint(json_array_get(v, i), elem, "null", "uint16_t", UINT16_MAX, &n,
				     err))
				return -1;
			buf_printf(b, ",%s=%" PRIu64, name, n);
		}
		return 0;
	}
	return 0;
}

/* Whether id names a backend object or one of kvmem's own (pc.ram,
 * ram-nodeN), which QEMU also keeps under /objects. */
static bool id_taken(const struct machine *m, const char *id)
{
	if (memdevs_find(&m->memdevs, id) || names_has(&m->secrets, id))
		return true;
	for (unsigned i = 0; i < CONFIG_MAX_NUMA_NODES; i++)
		if (m->ram[i].hva && !strcmp(m->ram[i].id, id))
			return true;
	return false;
}

static bool is_secret(const char *options)
{
	return !strncmp(options, "qom-type=secret,", 16) || !strncmp(options, "secret,", 7);
}

/* A secret: checked as -object checks one, then kept by id (nothing in
 * kvmem reads a secret; object-del deletes it). */
static int secret_add(struct machine *m, const char *options, struct qmp_error *err)
{
	struct kverr kerr = {{0}};
	char *id;
	int ret;

	if (config_secret_check(options, true, &id, &kerr))
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", kerr.msg);
	if (id_taken(m, id))
		ret = qmp_error_set(err, QMP_ERR_GENERIC,
				    "attempt to add duplicate property '%s' to object (type "
				    "'container')",
				    id);
	else if (names_add(&m->secrets, id))
		ret = qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
	else
		ret = 0;
	free(id);
	return ret;
}

/* The one path every run-time backend takes: -object's parser, then the
 * same creation as at start. */
static int object_add(struct machine *m, const char *options, struct qmp_error *err)
{
	struct config_memdev md;
	struct kverr kerr = {{0}};
	int ret;

	if (is_secret(options))
		return secret_add(m, options, err);
	if (config_memdev_parse(&md, options, MEMDEV_FROM_MONITOR, &kerr))
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", kerr.msg);
	if (id_taken(m, md.id))
		ret = kverr_set(&kerr, EEXIST,
				"attempt to add duplicate property '%s' to object (type "
				"'container')",
				md.id);
	else
		ret = memdevs_create(&m->memdevs, &md, &kerr);
	config_memdev_free(&md);
	if (ret)
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", kerr.msg);
	return 0;
}

int qmp_cmd_object_add(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct buf b = {0};
	bool secret;
	int r = 0;

	(void)ret;
	buf_puts(&b, "qom-type=");
	put_escaped(&b, json_string_value(json_object_get(req->args, "qom-type")));
	buf_puts(&b, ",id=");
	put_escaped(&b, json_string_value(json_object_get(req->args, "id")));
	secret = !strcmp(json_string_value(json_object_get(req->args, "qom-type")), "secret");
	for (size_t i = 0; i < NPROPS && !r; i++) {
		json_t *v = json_object_get(req->args, backend_props[i].name);

		if (v && secret)
			r = qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' is unexpected",
					  backend_props[i].name);
		else if (v)
			r = put_prop(&b, backend_props[i].name, backend_props[i].type, v, err);
	}
	for (const char *const *p = secret_props; *p && !r; p++) {
		json_t *v = json_object_get(req->args, *p);

		if (v && !secret)
			r = qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' is unexpected", *p);
		else if (v)
			r = put_prop(&b, *p, P_STR, v, err);
	}
	if (!r && b.failed)
		r = qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
	if (!r)
		r = object_add(machine_of(req), b.data, err);
	buf_free(&b);
	return r;
}

const struct qmp_arg qmp_x_object_add_args[] = {
    {.name = "options", .type = QMP_TYPE_STR},
    {.name = NULL},
};

int qmp_cmd_x_object_add(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	return object_add(machine_of(req), json_string_value(json_object_get(req->args, "options")),
			  err);
}

const struct qmp_arg qmp_object_del_args[] = {
    {.name = "id", .type = QMP_TYPE_STR},
    {.name = NULL},
};

int qmp_cmd_object_del(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	const char *id = json_string_value(json_object_get(req->args, "id"));
	struct kverr kerr;

	(void)ret;
	if (names_remove(&m->secrets, id))
		return 0;
	/* kvmem's own backends are guest RAM, in use for good */
	if (!memdevs_find(&m->memdevs, id) && id_taken(m, id))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "object '%s' is in use, can not be deleted", id);
	if (memdevs_delete(&m->memdevs, id, &kerr))
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", kerr.msg);
	return 0;
}

json_t *qmp_acpi_ost_info(const char *id, unsigned slot, uint32_t source, uint32_t status)
{
	char name[16];
	json_t *info;

	snprintf(name, sizeof(name), "%u", slot);
	info = json_pack("{s:s, s:s, s:I, s:I}", "slot", name, "slot-type", "DIMM", "source",
			 (json_int_t)source, "status", (json_int_t)status);
	if (info && id && *id)
		json_object_set_new(info, "device", json_string(id));
	return info;
}

/* Every slot, with or without a DIMM, as QEMU lists them. */
int qmp_cmd_query_acpi_ospm_status(const struct qmp_request *req, json_t **ret,
				   struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	json_t *list = json_array();

	(void)err;
	for (unsigned i = 0; m->memhp && i < memhp_slots(m->memhp); i++) {
		struct memhp_slot_info s;

		memhp_slot_info(m->memhp, i, &s);
		json_array_append_new(list, qmp_acpi_ost_info(s.id, i, s.ost_source, s.ost_status));
	}
	*ret = list;
	return 0;
}

uint64_t qmp_plugged_memory(struct machine *m, int64_t node)
{
	uint64_t sum = 0;

	for (unsigned i = 0; m->memhp && i < memhp_slots(m->memhp); i++) {
		struct memhp_slot_info s;

		memhp_slot_info(m->memhp, i, &s);
		if (s.present && (node < 0 || s.node == node))
			sum += s.size;
	}
	/* QEMU counts what the guest plugged of a virtio-mem device */
	return sum + virtio_mem_pci_plugged(m, node);
}

static json_int_t device_addr(json_t *entry)
{
	json_t *data = json_object_get(entry, "data");
	json_t *addr = json_object_get(data, "addr");

	return json_integer_value(addr ? addr : json_object_get(data, "memaddr"));
}

static int by_device_addr(const void *a, const void *b)
{
	json_int_t x = device_addr(*(json_t *const *)a), y = device_addr(*(json_t *const *)b);

	return x < y ? -1 : x > y;
}

int qmp_cmd_query_memory_devices(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	json_t *list = pc_dimm_query(machine_of(req)), *sorted = json_array();
	json_t *items[DEV_MAX_DEVICES];
	size_t n = 0, i;
	json_t *e;

	if (!list || !sorted) {
		json_decref(list);
		json_decref(sorted);
		return qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
	}
	virtio_mem_pci_query(machine_of(req), list);
	/* QEMU lists every memory device in address order */
	json_array_foreach(list, i, e) if (n < DEV_MAX_DEVICES) items[n++] = e;
	qsort(items, n, sizeof(items[0]), by_device_addr);
	for (i = 0; i < n; i++)
		json_array_append(sorted, items[i]);
	json_decref(list);
	*ret = sorted;
	return 0;
}
