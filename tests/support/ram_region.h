/* ram_region.h - the tests' and fuzzers' guest RAM: one memory manager
 * region over a backend the test made (its hva pointing at plain memory).
 *
 * Owns: the region spec such a set-up adds, so that every test that
 * fakes guest RAM under real devices (virtqueue, virtio PCI, balloon)
 * builds it the same way, and the manager is created on first use.
 */
#ifndef KVMEM_TESTS_RAM_REGION_H
#define KVMEM_TESTS_RAM_REGION_H

#include <stdint.h>

#include "mem/backend.h"
#include "mem/manager.h"
#include "util/err.h"

/* Adds RAM region NAME at guest address gpa, size bytes of backend b from
 * byte off; creates *mm first when it is NULL.  0 or -errno (err set). */
static inline int test_ram_region(struct mem_manager **mm, const char *name, uint64_t gpa,
				  uint64_t size, struct backend *b, uint64_t off, struct kverr *err)
{
	struct mem_region_spec s = {.name = name,
				    .kind = MEM_REGION_RAM,
				    .gpa = gpa,
				    .size = size,
				    .backend = b,
				    .backend_offset = off};
	int ret;

	if (!*mm && (ret = mem_manager_create(mm, NULL, err)))
		return ret;
	return mem_manager_add(*mm, &s, NULL, err);
}

#endif
