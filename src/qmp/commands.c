/* commands.c - kvmem's QMP commands; see commands.h.
 *
 * Results carry QEMU 7.2's field names and types (the qapi schema files);
 * where kvmem has a fact QEMU models differently the value is kvmem's truth
 * (query-memdev says reserve=false for -m's pc.ram because kvmem maps it
 * with MAP_NORESERVE).  docs/qmp.md lists every command and its
 * differences.
 */
#include "qmp/commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/machine_devs.h"
#include "machine.h"
#include "qmp/hmp.h"
#include "qmp/introspect.h"
#include "qmp/memory_commands.h"
#include "util/buf.h"
#include "virtio/balloon_pci.h"

static struct machine *machine_of(const struct qmp_request *req)
{
	return req->ctx;
}

/* ---- run state ---- */

static int cmd_query_status(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);

	(void)err;
	/* singlestep: QEMU 7.2 still reports it (always false with KVM) */
	*ret = json_pack("{s:b, s:b, s:s}", "running", m->runstate == MACHINE_RUNNING, "singlestep",
			 0, "status", machine_runstate_name(m->runstate));
	return 0;
}

static int cmd_stop(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	(void)err;
	machine_stop(machine_of(req));
	return 0;
}

static int cmd_cont(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	if (machine_cont(machine_of(req)) < 0)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Resetting the Virtual Machine is required");
	return 0;
}

static int cmd_system_powerdown(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	(void)err;
	machine_powerdown(machine_of(req));
	return 0;
}

static int cmd_system_reset(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	(void)err;
	machine_system_reset(machine_of(req));
	return 0;
}

static int cmd_quit(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	(void)err;
	machine_quit(machine_of(req));
	return 0;
}

/* ---- CPUs and memory ---- */

/* qom.h's path of a vCPU; CPUs not present (up to maxcpus) have none. */
static void cpu_qom_path(uint32_t idx, char *buf, size_t size)
{
	qom_cpu_path(idx, buf, size);
}

/* CpuInstanceProperties of CPU idx: socket, core, thread; die when there
 * are several dies, node when there are NUMA nodes (as QEMU names them). */
static json_t *cpu_props(const struct machine *m, uint32_t idx)
{
	struct topology_ids pos;
	json_t *props;

	topology_ids(&m->topo, idx, &pos);
	props = json_pack("{s:i, s:i}", "core-id", pos.core, "thread-id", pos.thread);
	if (m->topo.dies > 1)
		json_object_set_new(props, "die-id", json_integer(pos.die));
	if (m->numa.nr_nodes)
		json_object_set_new(props, "node-id", json_integer(m->numa.cpu_node[idx]));
	json_object_set_new(props, "socket-id", json_integer(pos.socket));
	return props;
}

static int cmd_query_cpus_fast(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	json_t *list = json_array();

	(void)err;
	for (uint32_t i = 0; i < m->topo.cpus; i++) {
		char path[64];

		cpu_qom_path(i, path, sizeof(path));
		json_array_append_new(list, json_pack("{s:I, s:o, s:s, s:i, s:s}", "thread-id",
						      (json_int_t)machine_vcpu_tid(m, i), "props",
						      cpu_props(m, i), "qom-path", path,
						      "cpu-index", i, "target", "x86_64"));
	}
	*ret = list;
	return 0;
}

/* Every possible CPU (up to maxcpus), highest index first as QEMU lists
 * them; those present have a qom-path.  kvmem gives the guest KVM's host
 * CPUID, which QEMU calls the "host" CPU model. */
static int cmd_query_hotpluggable_cpus(const struct qmp_request *req, json_t **ret,
				       struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	json_t *list = json_array();

	(void)err;
	for (uint32_t i = m->topo.maxcpus; i-- > 0;) {
		json_t *cpu = json_pack("{s:o, s:i}", "props", cpu_props(m, i), "vcpus-count", 1);
		char path[64];

		if (i < m->topo.cpus) {
			cpu_qom_path(i, path, sizeof(path));
			json_object_set_new(cpu, "qom-path", json_string(path));
		}
		json_object_set_new(cpu, "type", json_string("host-x86_64-cpu"));
		json_array_append_new(list, cpu);
	}
	*ret = list;
	return 0;
}

/* KVM is present when this kvmem has it (vm_accels), enabled when it is
 * the accelerator in use: always, outside -machine none on a host where
 * /dev/kvm does not work (and kvmem-sim started with -accel tcg). */
static int cmd_query_kvm(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	bool present = false;

	(void)err;
	for (const char *const *a = vm_accels; *a; a++)
		present = present || !strcmp(*a, "kvm");
	*ret = json_pack("{s:b, s:b}", "enabled", m->accel && !strcmp(m->accel, "kvm"), "present",
			 present);
	return 0;
}

/* -name's guest name; {} without one, as QEMU. */
static int cmd_query_name(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);

	(void)err;
	if (m->cfg->name) /* any bytes: the printer shows what is not UTF-8 as U+FFFD */
		*ret = json_pack("{s:o}", "name",
				 json_stringn_nocheck(m->cfg->name, strlen(m->cfg->name)));
	return 0;
}

static int cmd_query_memory_size_summary(const struct qmp_request *req, json_t **ret,
					 struct qmp_error *err)
{
	struct machine *m = machine_of(req);

	(void)err;
	*ret = json_pack("{s:I, s:I}", "base-memory", (json_int_t)m->layout.ram_size,
			 "plugged-memory", (json_int_t)qmp_plugged_memory(m, -1));
	return 0;
}

/* One backend as QEMU's Memdev, from the configuration it was (or will
 * be) created from. */
static json_t *memdev_json(const struct config_memdev *md)
{
	json_t *nodes = json_array();

	for (unsigned n = 0; n < CONFIG_MAX_HOST_NODES; n++)
		if (md->host_nodes >> n & 1)
			json_array_append_new(nodes, json_integer(n));
	return json_pack("{s:s, s:I, s:b, s:b, s:b, s:b, s:b, s:o, s:s}", "id", md->id, "size",
			 (json_int_t)md->size, "merge", md->merge, "dump", md->dump, "prealloc",
			 md->prealloc, "share", md->share, "reserve", md->reserve, "host-nodes",
			 nodes, "policy", config_memdev_policy_name(md->policy));
}

/* Every backend object, from -object or object-add (QEMU lists each one,
 * used or not), then the backends the RAM plan made kvmem create itself:
 * -m's pc.ram, or one anonymous ram-nodeN per NUMA node that has no
 * memdev. */
static int cmd_query_memdev(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	json_t *list = json_array();

	(void)err;
	for (unsigned i = 0; i < m->memdevs.n; i++)
		json_array_append_new(list, memdev_json(&m->memdevs.obj[i]->spec));
	for (unsigned i = 0; i < m->ram_plan.nr_backends; i++) {
		const struct ram_backend *b = &m->ram_plan.backend[i];

		if (b->origin == RAM_BACKEND_PC_RAM || b->origin == RAM_BACKEND_NODE)
			json_array_append_new(list, memdev_json(b->memdev));
	}
	*ret = list;
	return 0;
}

/* QEMU's HumanReadableText, for x-query-* commands behind "info" ones. */
static int human_readable(struct buf *b, json_t **ret, struct qmp_error *err)
{
	if (b->failed) {
		buf_free(b);
		return qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
	}
	*ret = json_pack("{s:s}", "human-readable-text", b->data ? b->data : "");
	buf_free(b);
	return 0;
}

/* "info numa" in QEMU's words: the nodes, each one's CPUs (those present,
 * as query-cpus-fast lists them), boot RAM and plugged memory. */
static int cmd_x_query_numa(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	const struct numa *numa = &m->numa;
	struct buf b = {0};

	buf_printf(&b, "%u nodes\n", numa->nr_nodes);
	for (uint32_t id = numa_first(numa); numa->nr_nodes && id < numa->max_nodeid;
	     id = numa_next(numa, id)) {
		buf_printf(&b, "node %u cpus:", id);
		for (uint32_t cpu = 0; cpu < m->topo.cpus; cpu++)
			if (numa->cpu_node[cpu] == id)
				buf_printf(&b, " %u", cpu);
		buf_printf(&b, "\nnode %u size: %llu MB\n", id,
			   (unsigned long long)(numa->node[id].mem >> 20));
		buf_printf(&b, "node %u plugged: %llu MB\n", id,
			   (unsigned long long)(qmp_plugged_memory(m, id) >> 20));
	}
	return human_readable(&b, ret, err);
}

struct mtree_entry {
	uint64_t start, size;
	const char *kind;
	char what[160];
};

struct mtree {
	struct mtree_entry e[MEM_MAX_REGIONS + 2 * BUS_MAX_RANGES + 4];
	unsigned n;
};

static void mtree_add(struct mtree *t, uint64_t start, uint64_t size, const char *kind,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void mtree_add(struct mtree *t, uint64_t start, uint64_t size, const char *kind,
		      const char *fmt, ...)
{
	struct mtree_entry *e;
	va_list ap;

	if (t->n == sizeof(t->e) / sizeof(t->e[0]) || !size)
		return;
	e = &t->e[t->n++];
	*e = (struct mtree_entry){.start = start, .size = size, .kind = kind};
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
}

static int by_start(const void *a, const void *b)
{
	const struct mtree_entry *x = a, *y = b;

	/* a container (device-memory) before what it holds (the DIMMs) */
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

/* One address space, in address order, in QEMU's "info mtree" line format. */
static void mtree_print(struct buf *b, const char *name, struct mtree *t)
{
	qsort(t->e, t->n, sizeof(t->e[0]), by_start);
	buf_printf(b, "address-space: %s\n", name);
	for (unsigned i = 0; i < t->n; i++)
		buf_printf(b, "  %016llx-%016llx (%s): %s\n", (unsigned long long)t->e[i].start,
			   (unsigned long long)(t->e[i].start + t->e[i].size - 1), t->e[i].kind,
			   t->e[i].what);
}

/* The KVM slots of region r, "KVM slot 3", "KVM slots 3,5" or "no KVM slot". */
static void slots_of(const struct mem_view *v, const struct mem_region *r, char *buf, size_t size)
{
	size_t len = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < v->nr_slots; i++)
		n += v->slot[i].region == r;
	len = (size_t)snprintf(buf, size, n ? "KVM slot%s " : "no KVM slot", n > 1 ? "s" : "");
	for (unsigned i = 0, k = 0; i < v->nr_slots && len < size; i++)
		if (v->slot[i].region == r)
			len += (size_t)snprintf(buf + len, size - len, "%s%u", k++ ? "," : "",
						v->slot[i].slot);
}

/* "info mtree": kvmem's guest physical memory map, from the objects that
 * define it (layout, the memory manager's regions and slots, the buses). */
static int cmd_x_query_mtree(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	struct mtree *t = calloc(1, sizeof(*t));
	const struct mem_view *v;
	struct buf b = {0};
	char slots[96];

	if (!t)
		return qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
	v = mem_view_begin(m->mem);
	for (unsigned i = 0; i < v->nr_regions; i++) {
		const struct mem_region *r = v->region[i];

		slots_of(v, r, slots, sizeof(slots));
		mtree_add(t, r->gpa, r->size, "ram", "%s @%s %016llx-%016llx, %s", r->name,
			  r->backend->id, (unsigned long long)r->backend_offset,
			  (unsigned long long)(r->backend_offset + r->size - 1), slots);
	}
	mem_view_end(m->mem);
	mtree_add(t, m->layout.device_mem_base, m->layout.device_mem_size, "device-memory",
		  "device-memory, %u hotplug slots, %llu MiB plugged", m->layout.slots,
		  (unsigned long long)(qmp_plugged_memory(m, -1) >> 20));
	mtree_add(t, LAYOUT_IOAPIC, 0x1000, "i/o", "ioapic (in KVM)");
	mtree_add(t, LAYOUT_LAPIC, 0x1000, "i/o", "lapic (in KVM)");
	for (unsigned i = 0; i < m->mmio.nr; i++)
		mtree_add(t, m->mmio.range[i].base, m->mmio.range[i].len, "i/o", "%s",
			  m->mmio.range[i].name);
	mtree_print(&b, "memory", t);
	t->n = 0;
	for (unsigned i = 0; i < m->pio.nr; i++)
		mtree_add(t, m->pio.range[i].base, m->pio.range[i].len, "i/o", "%s",
			  m->pio.range[i].name);
	buf_puts(&b, "\n");
	mtree_print(&b, "I/O", t);
	free(t);
	return human_readable(&b, ret, err);
}

/* ---- the human monitor ---- */

static const struct qmp_arg hmp_args[] = {
    {.name = "command-line", .type = QMP_TYPE_STR},
    {.name = "cpu-index", .type = QMP_TYPE_INT, .optional = true},
    {.name = NULL},
};

static int cmd_human_monitor_command(const struct qmp_request *req, json_t **ret,
				     struct qmp_error *err)
{
	struct machine *m = machine_of(req);
	json_t *cpu = json_object_get(req->args, "cpu-index");
	struct buf out = {0}, crlf = {0};

	if (cpu && (json_integer_value(cpu) < 0 || json_integer_value(cpu) >= m->topo.cpus))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Parameter 'cpu-index' expects a CPU number");
	hmp_execute(req->table, req->ctx,
		    json_string_value(json_object_get(req->args, "command-line")), &out);
	hmp_crlf(&crlf, out.data ? out.data : "", out.len);
	buf_free(&out);
	if (crlf.failed) {
		buf_free(&crlf);
		return qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
	}
	*ret = json_string(crlf.data ? crlf.data : "");
	buf_free(&crlf);
	return 0;
}

/* ---- the table ---- */

static const struct qmp_command commands[] = {
    {.name = "qmp_capabilities",
     .fn = qmp_cmd_capabilities,
     .args = qmp_capabilities_args,
     .flags = QMP_CMD_NEGOTIATION | QMP_CMD_NO_VM},
    {.name = "query-version", .fn = qmp_cmd_query_version, .flags = QMP_CMD_NO_VM},
    {.name = "query-commands", .fn = qmp_cmd_query_commands, .flags = QMP_CMD_NO_VM},
    {.name = "query-status", .fn = cmd_query_status, .flags = QMP_CMD_NO_VM},
    {.name = "stop", .fn = cmd_stop},
    {.name = "cont", .fn = cmd_cont},
    {.name = "system_powerdown", .fn = cmd_system_powerdown},
    {.name = "system_reset", .fn = cmd_system_reset},
    {.name = "quit", .fn = cmd_quit, .flags = QMP_CMD_NO_VM},
    {.name = "query-cpus-fast", .fn = cmd_query_cpus_fast, .flags = QMP_CMD_NO_VM},
    {.name = "query-hotpluggable-cpus", .fn = cmd_query_hotpluggable_cpus, .flags = QMP_CMD_NO_VM},
    {.name = "query-kvm", .fn = cmd_query_kvm, .flags = QMP_CMD_NO_VM},
    {.name = "query-name", .fn = cmd_query_name, .flags = QMP_CMD_NO_VM},
    {.name = "query-memory-size-summary", .fn = cmd_query_memory_size_summary},
    {.name = "query-memdev", .fn = cmd_query_memdev},
    {.name = "object-add", .fn = qmp_cmd_object_add, .args = qmp_object_add_args},
    {.name = "object-del", .fn = qmp_cmd_object_del, .args = qmp_object_del_args},
    {.name = "x-kvmem-object-add", .fn = qmp_cmd_x_object_add, .args = qmp_x_object_add_args},
    {.name = "query-acpi-ospm-status", .fn = qmp_cmd_query_acpi_ospm_status},
    {.name = "query-memory-devices", .fn = qmp_cmd_query_memory_devices},
    MACHINE_DEVS_QMP_COMMANDS,
    BALLOON_PCI_QMP_COMMANDS,
    INTROSPECT_QMP_COMMANDS,
    {.name = "human-monitor-command",
     .fn = cmd_human_monitor_command,
     .args = hmp_args,
     .flags = QMP_CMD_NO_VM},
    {.name = "x-query-numa", .fn = cmd_x_query_numa},
    {.name = "x-kvmem-query-mtree", .fn = cmd_x_query_mtree},
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct qmp_commands kvmem_qmp_commands = {commands, NR_COMMANDS};

/* -machine none has no guest: a command that needs one is refused there
 * (the rows without QMP_CMD_NO_VM), never run on a machine that has no
 * memory, vCPUs or devices. */
static int cmd_needs_guest(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)req;
	(void)ret;
	return qmp_error_set(err, QMP_ERR_GENERIC,
			     "kvmem runs -machine none without a guest; this command needs one");
}

static struct qmp_command commands_none[NR_COMMANDS];
static const struct qmp_commands kvmem_qmp_commands_none = {commands_none, NR_COMMANDS};

const struct qmp_commands *kvmem_qmp_table(bool machine_none)
{
	if (!machine_none)
		return &kvmem_qmp_commands;
	if (!commands_none[0].name) {
		for (size_t i = 0; i < NR_COMMANDS; i++) {
			commands_none[i] = commands[i];
			if (!(commands[i].flags & QMP_CMD_NO_VM))
				commands_none[i].fn = cmd_needs_guest;
		}
	}
	return &kvmem_qmp_commands_none;
}
