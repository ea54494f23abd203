/* layout.c - the guest physical memory map (see layout.h).
 *
 * Follows QEMU's pc machine (hw/i386/pc_piix.c pc_init1 and
 * hw/i386/pc.c pc_get_device_memory_range) with gigabyte_align set, as
 * every pc machine type from pc-i440fx-2.0 on has it: a guest moved between QEMU and
 * kvmem sees RAM and the hotplug window at the same addresses, and so do
 * tools that read its SRAT or e820.
 *
 * Every input is bounded by LAYOUT_PHYS_LIMIT before any sum is formed,
 * so none of the arithmetic below can wrap.
 */
#include "plan/layout.h"

#include <cpuid.h>
#include <stdio.h>
#include <string.h>

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) / align * align;
}

static int check_input(const struct config_mem *mem, struct kverr *err)
{
	if (mem->size < LAYOUT_MIN_RAM)
		return kverr_set(err, EINVAL,
				 "-m: size %llu bytes is too small; kvmem needs at least 2 MiB "
				 "(the kernel is loaded at 1 MiB)",
				 (unsigned long long)mem->size);
	if (mem->size % LAYOUT_PAGE_SIZE)
		return kverr_set(err, EINVAL, "-m: size %llu bytes is not a multiple of 4 KiB",
				 (unsigned long long)mem->size);
	if (mem->maxmem < mem->size)
		return kverr_set(err, EINVAL,
				 "-m: maxmem (0x%llx) must be at least the initial memory size "
				 "(0x%llx)",
				 (unsigned long long)mem->maxmem, (unsigned long long)mem->size);
	if (mem->maxmem % LAYOUT_PAGE_SIZE)
		return kverr_set(err, EINVAL, "-m: maxmem %llu bytes is not a multiple of 4 KiB",
				 (unsigned long long)mem->maxmem);
	if (mem->slots > CONFIG_MAX_SLOTS)
		return kverr_set(err, EINVAL, "-m: slots=%u is more than the %u kvmem supports",
				 mem->slots, CONFIG_MAX_SLOTS);
	if (mem->slots && mem->maxmem == mem->size)
		return kverr_set(err, EINVAL,
				 "-m: slots=%u given but maxmem (0x%llx) equals the initial "
				 "memory size: there is nothing to plug into the slots",
				 mem->slots, (unsigned long long)mem->maxmem);
	/* maxmem >= size, so this bounds both and keeps the sums below from
	 * wrapping: 4 GiB + 2 * 2^52 + 255 GiB fits easily in 64 bits. */
	if (mem->maxmem > LAYOUT_PHYS_LIMIT)
		return kverr_set(err, EINVAL,
				 "-m: maxmem 0x%llx does not fit in %d-bit guest physical "
				 "addresses (limit 0x%llx)",
				 (unsigned long long)mem->maxmem, LAYOUT_PHYS_BITS,
				 (unsigned long long)LAYOUT_PHYS_LIMIT);
	return 0;
}

static void add_region(struct layout *l, enum layout_region_kind kind, uint64_t gpa, uint64_t size)
{
	struct layout_region *r = &l->region[l->nr_regions++];

	r->kind = kind;
	r->gpa = gpa;
	r->size = size;
	l->phys_end = gpa + size;
}

int layout_compute(const struct config_mem *mem, struct layout *out, struct kverr *err)
{
	struct layout l;
	uint64_t lowmem = LAYOUT_LOWMEM_MAX;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_input(mem, err);
	if (rc)
		return rc;

	memset(&l, 0, sizeof(l));
	l.ram_size = mem->size;
	l.slots = mem->slots;
	l.maxmem = mem->maxmem;

	/* QEMU's pc rule: the split moves down to 3 GiB only when there is
	 * something to split, so that RAM above 4 GiB is gigabyte aligned in
	 * size while guests below 3.5 GiB keep all their RAM in 32-bit space. */
	if (mem->size >= LAYOUT_LOWMEM_MAX)
		lowmem = LAYOUT_LOWMEM_SPLIT;
	if (mem->size >= lowmem) {
		l.below_4g = lowmem;
		l.above_4g = mem->size - lowmem;
	} else {
		l.below_4g = mem->size;
		l.above_4g = 0;
	}
	l.pci_hole_start = l.below_4g;

	add_region(&l, LAYOUT_RAM_BELOW_4G, 0, l.below_4g);
	if (l.above_4g)
		add_region(&l, LAYOUT_RAM_ABOVE_4G, LAYOUT_4G, l.above_4g);

	if (mem->maxmem > mem->size) {
		/* A DIMM backed by 1 GiB pages must sit on a 1 GiB boundary, so
		 * each slot may waste up to 1 GiB of the window to alignment;
		 * QEMU sizes the window for that worst case and so do we. */
		l.device_mem_base = round_up(LAYOUT_4G + l.above_4g, GiB);
		l.device_mem_size = mem->maxmem - mem->size + LAYOUT_SLOT_ALIGN * mem->slots;
		add_region(&l, LAYOUT_DEVICE_MEMORY, l.device_mem_base, l.device_mem_size);
	}

	/* Without NUMA, one node: the RAM regions are its parts. */
	for (unsigned i = 0, off = 0; i < l.nr_regions; i++) {
		const struct layout_region *r = &l.region[i];
		struct layout_ram_part *p;

		if (r->kind == LAYOUT_DEVICE_MEMORY)
			continue;
		p = &l.part[l.nr_parts++];
		p->gpa = r->gpa;
		p->size = r->size;
		p->node_offset = off ? l.below_4g : 0;
		p->ram_offset = p->node_offset;
		snprintf(p->name, sizeof(p->name), "%s", layout_region_name(r->kind));
		off++;
	}

	/* QEMU's pc_pci_hole64_start() and i440FX's pci-hole64-end. */
	l.pci_mmio32_start = l.pci_hole_start;
	l.pci_mmio32_end = LAYOUT_PCI_ECAM_BASE;
	l.pci_hole64_start =
	    round_up(l.phys_end > LAYOUT_4G ? l.phys_end : LAYOUT_4G, LAYOUT_PCI_HOLE64_ALIGN);
	l.pci_hole64_end =
	    round_up(l.pci_hole64_start + LAYOUT_PCI_HOLE64_SIZE, LAYOUT_PCI_HOLE64_ALIGN);
	if (l.pci_hole64_end > LAYOUT_PHYS_LIMIT)
		l.pci_hole64_start = l.pci_hole64_end = 0;

	if (l.phys_end > LAYOUT_PHYS_LIMIT)
		return kverr_set(err, EINVAL,
				 "-m: maxmem 0x%llx (size 0x%llx, slots=%u) puts the guest "
				 "physical map end at 0x%llx, beyond the %d-bit limit 0x%llx",
				 (unsigned long long)mem->maxmem, (unsigned long long)mem->size,
				 mem->slots, (unsigned long long)l.phys_end, LAYOUT_PHYS_BITS,
				 (unsigned long long)LAYOUT_PHYS_LIMIT);

	*out = l;
	return 0;
}

static void add_part(struct layout *l, uint32_t node, uint64_t gpa, uint64_t size,
		     uint64_t node_offset, uint64_t ram_offset, const char *where)
{
	struct layout_ram_part *p = &l->part[l->nr_parts++];

	p->node = node;
	p->gpa = gpa;
	p->size = size;
	p->node_offset = node_offset;
	p->ram_offset = ram_offset;
	snprintf(p->name, sizeof(p->name), "node%u-%s", node, where);
}

int layout_place_nodes(struct layout *l, const struct numa *numa, struct kverr *err)
{
	uint64_t ram_off = 0; /* position in the RAM sequence below, then above, the hole */

	if (!numa->nr_nodes)
		return 0;
	l->nr_parts = 0;
	for (uint32_t id = numa_first(numa); id < numa->max_nodeid; id = numa_next(numa, id)) {
		uint64_t mem = numa->node[id].mem;

		if (mem > l->ram_size - ram_off)
			return kverr_set(err, EINVAL,
					 "-numa: node %u's memory (0x%llx) does not fit in the "
					 "0x%llx bytes of RAM left after the nodes before it",
					 id, (unsigned long long)mem,
					 (unsigned long long)(l->ram_size - ram_off));
		if (ram_off < l->below_4g && mem) {
			uint64_t low = l->below_4g - ram_off < mem ? l->below_4g - ram_off : mem;
			add_part(l, id, ram_off, low, 0, ram_off, "below-4g");
		}
		if (mem && ram_off + mem > l->below_4g) {
			uint64_t start = ram_off > l->below_4g ? ram_off : l->below_4g;
			uint64_t off = start - ram_off;
			add_part(l, id, LAYOUT_4G + (start - l->below_4g), mem - off, off, start,
				 "above-4g");
		}
		ram_off += mem;
	}
	if (ram_off != l->ram_size)
		return kverr_set(err, EINVAL,
				 "-numa: total memory for NUMA nodes (0x%llx) should equal RAM "
				 "size (0x%llx)",
				 (unsigned long long)ram_off, (unsigned long long)l->ram_size);
	return 0;
}

int layout_check_phys_bits(struct layout *l, unsigned phys_bits, struct kverr *err)
{
	/* the last byte the guest must be able to address */
	uint64_t used = l->phys_end - 1;
	uint64_t limit = phys_bits >= 64 ? UINT64_MAX : (1ULL << phys_bits) - 1;

	if (limit < used)
		return kverr_set(
		    err, EINVAL,
		    "-m: Address space limit 0x%llx < 0x%llx phys-bits too low (%u): "
		    "the guest CPU has the host's %u-bit physical addresses, and the "
		    "memory map of size 0x%llx, maxmem 0x%llx, slots=%u ends above them",
		    (unsigned long long)limit, (unsigned long long)used, phys_bits, phys_bits,
		    (unsigned long long)l->ram_size, (unsigned long long)l->maxmem, l->slots);
	l->phys_bits = phys_bits;
	return 0;
}

unsigned layout_guest_phys_bits(uint32_t eax)
{
	unsigned guest = (eax >> 16) & 0xff, host = eax & 0xff;

	return guest ? guest : host;
}

unsigned layout_host_guest_phys_bits(void)
{
	unsigned eax, ebx, ecx, edx;

	if (!__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) || eax < 0x80000008)
		return 36; /* what x86 CPUs without the leaf address */
	__get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx);
	return layout_guest_phys_bits(eax);
}

const char *layout_region_name(enum layout_region_kind kind)
{
	/* QEMU's memory region names, so "info mtree" output compares. */
	switch (kind) {
	case LAYOUT_RAM_BELOW_4G:
		return "ram-below-4g";
	case LAYOUT_RAM_ABOVE_4G:
		return "ram-above-4g";
	case LAYOUT_DEVICE_MEMORY:
		return "device-memory";
	}
	return "unknown";
}
