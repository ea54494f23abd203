/* print.c - the resolved plan as text (see print.h).
 *
 * Addresses are printed as inclusive ranges, the way Linux prints e820
 * and SRAT lines, so a line here can be compared with the guest's dmesg.
 */
#include "plan/print.h"

#include <string.h>

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* "512 MiB", "3 GiB", "1540 KiB" or bytes: exact, never rounded. */
static const char *human(uint64_t v, char *buf, size_t size)
{
	if (v && v % GiB == 0)
		snprintf(buf, size, "%llu GiB", ull(v / GiB));
	else if (v && v % MiB == 0)
		snprintf(buf, size, "%llu MiB", ull(v / MiB));
	else if (v && v % KiB == 0)
		snprintf(buf, size, "%llu KiB", ull(v / KiB));
	else
		snprintf(buf, size, "%llu B", ull(v));
	return buf;
}

void plan_node_cpulist(const struct numa *numa, const struct topology *topo, uint32_t node,
		       char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < topo->maxcpus; i++) {
		uint32_t j = i;
		int n;

		if (numa->cpu_node[i] != node)
			continue;
		while (j + 1 < topo->maxcpus && numa->cpu_node[j + 1] == node)
			j++;
		if (j == i)
			n = snprintf(buf + len, size - len, "%s%u", len ? "," : "", i);
		else
			n = snprintf(buf + len, size - len, "%s%u-%u", len ? "," : "", i, j);
		if (n < 0 || (size_t)n >= size - len)
			return; /* truncated, still terminated */
		len += (size_t)n;
		i = j;
	}
}

/* What backs node's RAM, from the RAM plan; "none" for a node without RAM. */
static const char *node_backend(const struct plan_view *v, uint32_t node, char *buf, size_t size)
{
	int i = ram_plan_node_backend(v->ram, node);

	if (i < 0) {
		snprintf(buf, size, "none (no memory)");
		return buf;
	}
	return ram_backend_describe(v->ram, (unsigned)i, v->numa, buf, size);
}

static void print_nodes(FILE *out, const struct plan_view *v)
{
	const struct numa *n = v->numa;
	char a[32], b[96], cpus[1024];

	if (!n->nr_nodes) {
		fprintf(out, "numa: none (no -numa node and no memory hotplug: no SRAT)\n");
		return;
	}
	fprintf(out, "numa: %u node%s%s%s\n", n->nr_nodes, n->nr_nodes == 1 ? "" : "s",
		n->implicit ? ", node 0 implied by the memory-hotplug region" : "",
		n->auto_split ? ", RAM split by QEMU's default rule" : "");
	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id)) {
		plan_node_cpulist(n, v->topo, id, cpus, sizeof(cpus));
		fprintf(out, "  node %u: mem 0x%llx (%s), cpus %s, backend %s", id,
			ull(n->node[id].mem), human(n->node[id].mem, a, sizeof(a)),
			cpus[0] ? cpus : "none", node_backend(v, id, b, sizeof(b)));
		if (n->node[id].initiator != NUMA_NO_INITIATOR)
			fprintf(out, ", initiator %u", n->node[id].initiator);
		fputc('\n', out);
	}
	fprintf(out, "distances%s:\n      ", n->have_distance ? " (SLIT)" : " (default, no SLIT)");
	for (uint32_t d = numa_first(n); d < n->max_nodeid; d = numa_next(n, d))
		fprintf(out, " %4u", d);
	fputc('\n', out);
	for (uint32_t s = numa_first(n); s < n->max_nodeid; s = numa_next(n, s)) {
		fprintf(out, "  %4u", s);
		for (uint32_t d = numa_first(n); d < n->max_nodeid; d = numa_next(n, d))
			fprintf(out, " %4u", n->distance[s][d]);
		fputc('\n', out);
	}
}

static void print_hmat(FILE *out, const struct numa *n)
{
	static const char *const hier[] = {"memory", "first-level", "second-level", "third-level"};
	static const char *const type[] = {"access-latency",   "read-latency",	 "write-latency",
					   "access-bandwidth", "read-bandwidth", "write-bandwidth"};
	static const char *const assoc[] = {"none", "direct", "complex"};
	static const char *const policy[] = {"none", "write-back", "write-through"};
	const struct config_numa *cn = n->cfg;
	char a[32];

	if (!n->hmat)
		return;
	fprintf(out, "hmat:\n");
	for (unsigned h = 0; h < HMAT_NR_HIERARCHIES; h++) {
		for (unsigned t = 0; t < HMAT_NR_DATA_TYPES; t++) {
			bool lat = t <= HMAT_WRITE_LATENCY;
			if (!n->lb[h][t].present)
				continue;
			fprintf(out, "  %s %s, unit %llu %s:", hier[h], type[t],
				ull(lat ? n->lb[h][t].base : n->lb[h][t].base >> 20),
				lat ? "ns" : "MiB/s");
			for (unsigned i = 0; i < cn->nr_hmat_lb; i++) {
				const struct config_numa_hmat_lb *lb = &cn->hmat_lb[i];
				if (lb->hierarchy == h && lb->data_type == t)
					fprintf(out, " %u->%u %llu", lb->initiator, lb->target,
						ull(lat ? lb->latency : lb->bandwidth >> 20));
			}
			fputc('\n', out);
		}
	}
	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id)) {
		for (unsigned l = 1; l <= NUMA_HMAT_LEVELS; l++) {
			const struct config_numa_hmat_cache *c = n->cache[id][l];
			if (c)
				fprintf(out, "  node %u cache level %u: %s, %s, %s, line %u\n", id,
					l, human(c->size, a, sizeof(a)), assoc[c->associativity],
					policy[c->policy], c->line);
		}
	}
}

static void print_pci(FILE *out, const struct layout *l, const struct pci_plan *p)
{
	char a[32];

	fprintf(out, "pci:\n");
	fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s, 32-bit BARs below 0x%llx\n", "pci-hole",
		ull(l->pci_hole_start), ull(LAYOUT_PCI_HOLE_END - 1),
		human(LAYOUT_PCI_HOLE_END - l->pci_hole_start, a, sizeof(a)),
		ull(l->pci_mmio32_end));
	fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s, config space of bus 0\n", "pci-ecam",
		ull(LAYOUT_PCI_ECAM_BASE), ull(LAYOUT_PCI_ECAM_BASE + LAYOUT_PCI_ECAM_SIZE - 1),
		human(LAYOUT_PCI_ECAM_SIZE, a, sizeof(a)));
	if (l->pci_hole64_end)
		fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s, 64-bit BARs\n", "pci-hole64",
			ull(l->pci_hole64_start), ull(l->pci_hole64_end - 1),
			human(l->pci_hole64_end - l->pci_hole64_start, a, sizeof(a)));
	else
		fprintf(out, "  %-16s none: it would pass the %d-bit limit\n", "pci-hole64",
			LAYOUT_PHYS_BITS);
	for (unsigned i = 0; p && i < p->nr; i++) {
		const struct pci_plan_func *f = &p->func[i];

		fprintf(out, "  %02x:%02x.%x %04x:%04x %s", 0, f->slot, f->fn, f->ids.vendor,
			f->ids.device, f->driver);
		if (f->id[0])
			fprintf(out, " id=%s", f->id);
		if (f->intx_pin)
			fprintf(out, ", INT%c gsi %u", 'A' + f->intx_pin - 1, f->gsi);
		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar_req *r = &f->bar[b];
			if (r->kind == PCI_BAR_UNUSED)
				continue;
			fprintf(out, ", BAR%u [mem 0x%llx-0x%llx%s%s]", b, ull(f->bar_addr[b]),
				ull(f->bar_addr[b] + r->size - 1),
				r->kind == PCI_BAR_MEM64 ? " 64bit" : "",
				r->prefetch ? " pref" : "");
		}
		fputc('\n', out);
	}
}

/* "node 0", "nodes 1-2": the nodes whose RAM [start, start+len) lies in. */
static const char *nodes_of(const struct layout *l, uint64_t start, uint64_t len, char *buf,
			    size_t size)
{
	uint32_t first = UINT32_MAX, last = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < l->nr_parts; i++) {
		const struct layout_ram_part *p = &l->part[i];
		if (p->gpa < start + len && start < p->gpa + p->size) {
			if (first == UINT32_MAX)
				first = p->node;
			n += p->node != last || n == 0;
			last = p->node;
		}
	}
	if (n == 0)
		snprintf(buf, size, "outside RAM");
	else if (n == 1)
		snprintf(buf, size, "node %u", first);
	else
		snprintf(buf, size, "nodes %u-%u", first, last);
	return buf;
}

/* Where the loader puts what the guest boots from: a NUMA node boundary
 * inside one of them is fine, and shown. */
static void print_boot(FILE *out, const struct plan_view *v)
{
	const struct layout *l = v->layout;
	const struct boot_plan *bp = v->boot;
	char a[32], b[32];

	fprintf(out, "boot:\n");
	if (v->acpi)
		fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s, %s\n", "acpi-tables",
			ull(v->acpi->base), ull(v->acpi->base + v->acpi->size - 1),
			human(v->acpi->size, a, sizeof(a)),
			nodes_of(l, v->acpi->base, v->acpi->size, b, sizeof(b)));
	if (bp->elf) {
		uint64_t lo = bp->kernel_end - bp->init_size;
		fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s, %s; ELF, %u segments\n", "kernel",
			ull(lo), ull(bp->kernel_end - 1), human(bp->init_size, a, sizeof(a)),
			nodes_of(l, lo, bp->init_size, b, sizeof(b)), bp->nr_segments);
	} else if (bp->kernel_size) {
		uint64_t need = bp->init_size > bp->kernel_size ? bp->init_size : bp->kernel_size;
		fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s, %s", "kernel",
			ull(LAYOUT_KERNEL_LOAD), ull(LAYOUT_KERNEL_LOAD + bp->kernel_size - 1),
			human(bp->kernel_size, a, sizeof(a)),
			nodes_of(l, LAYOUT_KERNEL_LOAD, bp->kernel_size, b, sizeof(b)));
		fprintf(out, "; unpacks in [0x%016llx-0x%016llx], %s\n", ull(LAYOUT_KERNEL_LOAD),
			ull(LAYOUT_KERNEL_LOAD + need - 1),
			nodes_of(l, LAYOUT_KERNEL_LOAD, need, b, sizeof(b)));
	}
	if (bp->initrd_path && bp->initrd_size)
		fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s, %s\n", "initrd",
			ull(bp->initrd_gpa), ull(bp->initrd_gpa + bp->initrd_size - 1),
			human(bp->initrd_size, a, sizeof(a)),
			nodes_of(l, bp->initrd_gpa, bp->initrd_size, b, sizeof(b)));
}

void plan_print(FILE *out, const struct plan_view *v)
{
	const struct layout *l = v->layout;
	const struct topology *t = v->topo;
	char a[32], b[96];

	fprintf(out, "memory: size 0x%llx (%s), maxmem 0x%llx, slots %u\n", ull(l->ram_size),
		human(l->ram_size, a, sizeof(a)), ull(l->maxmem), l->slots);
	if (l->phys_bits)
		fprintf(out, "phys-bits: %u (the host CPU's), the map ends at 0x%llx\n",
			l->phys_bits, ull(l->phys_end));
	fprintf(out, "regions:\n");
	for (unsigned i = 0; i < l->nr_regions; i++) {
		const struct layout_region *r = &l->region[i];
		fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s\n", layout_region_name(r->kind),
			ull(r->gpa), ull(r->gpa + r->size - 1), human(r->size, a, sizeof(a)));
	}
	fprintf(out, "ram by node:\n");
	for (unsigned i = 0; i < v->ram->nr_regions; i++) {
		const struct ram_region *r = &v->ram->region[i];
		const struct layout_ram_part *p = r->part;
		fprintf(out, "  %-16s [0x%016llx-0x%016llx] %s, node %u, backend %s +0x%llx\n",
			p->name, ull(p->gpa), ull(p->gpa + p->size - 1),
			human(p->size, a, sizeof(a)), p->node,
			ram_backend_describe(v->ram, r->backend, v->numa, b, sizeof(b)),
			ull(r->backend_offset));
	}
	if (l->device_mem_size)
		fprintf(out,
			"  %-16s [0x%016llx-0x%016llx] %s, hotpluggable, node %u in the SRAT\n",
			"device-memory", ull(l->device_mem_base),
			ull(l->device_mem_base + l->device_mem_size - 1),
			human(l->device_mem_size, a, sizeof(a)),
			v->numa->nr_nodes ? v->numa->max_nodeid - 1 : 0);
	if (v->pci)
		print_pci(out, l, v->pci);
	print_nodes(out, v);
	print_hmat(out, v->numa);
	fprintf(out, "cpus: %u of %u possible (sockets %u, dies %u, cores %u, threads %u)\n",
		t->cpus, t->maxcpus, t->sockets, t->dies, t->cores, t->threads);
	for (uint32_t i = 0; i < t->maxcpus; i++) {
		struct topology_ids ids;
		topology_ids(t, i, &ids);
		fprintf(out, "  cpu %u: apic %u, socket %u die %u core %u thread %u%s", i,
			topology_apic_id(t, i), ids.socket, ids.die, ids.core, ids.thread,
			i < t->cpus ? "" : ", not plugged");
		if (v->numa->nr_nodes)
			fprintf(out, ", node %u", v->numa->cpu_node[i]);
		fputc('\n', out);
	}
	if (v->boot)
		print_boot(out, v);
	fprintf(out, "e820:\n");
	for (unsigned i = 0; i < v->e820->nr; i++) {
		const struct e820_entry *e = &v->e820->entry[i];
		fprintf(out, "  [mem 0x%016llx-0x%016llx] %s\n", ull(e->addr),
			ull(e->addr + e->size - 1), e820_type_name((enum e820_type)e->type));
	}
}
