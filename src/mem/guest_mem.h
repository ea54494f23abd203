/* guest_mem.h - the guest physical address space as host mappings.
 *
 * Owns: the list of guest RAM regions (each a window onto a backend) and
 * the ONLY translation from a guest physical address to a host pointer.
 * Every translation is bounds-checked: gpa + len must not overflow and the
 * whole range must lie inside one region (a pointer), or inside regions
 * that follow each other without a gap (a copy), or the call fails.  Devices,
 * the boot loader and firmware writers all go through here.
 * Never: calls KVM (vm.c registers the regions as memory slots) or
 * decides where regions go (plan/layout.h does).
 */
#ifndef KVMEM_MEM_GUEST_MEM_H
#define KVMEM_MEM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "mem/backend.h"
#include "util/err.h"

struct guest_region {
	const char *name;
	uint64_t gpa;
	uint64_t size;
	struct backend *backend;
	uint64_t backend_offset;
	uint8_t *hva; /* backend->hva + backend_offset */
};

#define GUEST_MEM_MAX_REGIONS 256 /* a part per NUMA node, and hotplugged memory */

struct guest_mem {
	struct guest_region region[GUEST_MEM_MAX_REGIONS];
	unsigned nr;
};

/* Map backend[off, off+size) at gpa.  Fails if the window leaves the
 * backend, wraps, or overlaps an existing region. */
int guest_mem_add(struct guest_mem *gm, const char *name, uint64_t gpa, uint64_t size,
		  struct backend *backend, uint64_t backend_offset, struct kverr *err);

/* Host pointer for [gpa, gpa+len), or NULL if the range is not wholly
 * inside one region (len 0 is refused too). */
void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Region containing gpa, or NULL. */
const struct guest_region *guest_mem_find(const struct guest_mem *gm, uint64_t gpa);

/* Copy to/from guest memory.  The range may span adjacent regions (a NUMA
 * node boundary is ordinary guest RAM); -EFAULT, with a message naming the
 * range and nothing copied, when any part of it is outside every region. */
int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len,
		    struct kverr *err);
int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len,
		   struct kverr *err);

#endif
