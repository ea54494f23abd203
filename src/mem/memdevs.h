/* memdevs.h - the memory backend objects: QEMU's /objects/ID for every
 * -object memory-backend-* given at start and every object-add since.
 *
 * Owns: the list of user-created backends, each with its description (an
 * owned copy of its struct config_memdev) and its host memory (backend.h),
 * and whether something maps it into the guest: a NUMA node's RAM,
 * -machine memory-backend or a DIMM (QEMU's host_memory_backend_is_mapped).
 * A mapped backend can be neither deleted nor used by a second device.
 * Every backend given with -object is created at start, used or not, as
 * QEMU creates it.
 * Never: maps anything into the guest or knows a guest address; the
 * backends kvmem makes for itself (-m's pc.ram, ram-nodeN) are not here.
 * Main thread only: start-up and the monitors' commands.
 */
#ifndef KVMEM_MEM_MEMDEVS_H
#define KVMEM_MEM_MEMDEVS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "mem/backend.h"
#include "util/err.h"

struct memdev {
	struct config_memdev spec; /* owned */
	struct backend host;
	bool mapped;
};

/* Objects in creation order; each struct memdev stays where it is until
 * it is deleted, so a guest memory region may point at its host backend. */
struct memdevs {
	struct memdev **obj;
	unsigned n, cap;
};

/* Create spec's host memory and add it.  An id already here gets QEMU's
 * "attempt to add duplicate property 'ID' to object (type 'container')";
 * a failed creation leaves the list as it was. */
int memdevs_create(struct memdevs *l, const struct config_memdev *spec, struct kverr *err);

/* The object with this id, or NULL. */
struct memdev *memdevs_find(const struct memdevs *l, const char *id);

/* object-del: unmap and close the host memory and forget the object.
 * QEMU's answers: "object 'ID' not found" (-ENOENT) and "object 'ID' is in
 * use, can not be deleted" (-EBUSY) for a mapped one. */
int memdevs_delete(struct memdevs *l, const char *id, struct kverr *err);

/* Destroy every object (machine teardown). */
void memdevs_free(struct memdevs *l);

/* The alignment a memory device (pc-dimm) must give this backend in guest
 * physical memory, as QEMU 7.2 derives it from the backend's memory
 * region: 2 MiB for memory-backend-ram (QEMU_VMALLOC_ALIGN), the page size
 * for memfd (the huge page size with hugetlb=on), the page size or align=
 * (whichever is larger) for a file. */
uint64_t memdev_device_align(const struct memdev *md);

#endif
