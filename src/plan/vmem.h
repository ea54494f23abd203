/* vmem.h - where a virtio-mem device goes in the device-memory region,
 * its block size, and whether it may be plugged at all.  Pure: no
 * syscalls, nothing created.
 *
 * Owns QEMU 7.2's checks for virtio-mem-pci (the block-size property's
 * setter, hw/mem/memory-device.c's pre-plug, hw/virtio/virtio-mem.c's
 * realize), in QEMU's order and with QEMU's messages:
 *   1. block-size= at least 1 MiB and a power of two;
 *   2. memdev= given;
 *   3. a device-memory region (-m maxmem=);
 *   4. a KVM memory slot free;
 *   5. room: the memory devices plugged so far plus the backend's size
 *      within maxmem - size (plan/dimm.h's rule, shared with pc-dimm);
 *   6. address: aligned to the block size (or the backend's alignment
 *      when larger), the size a multiple of it; memaddr= inside the region
 *      and overlapping no memory device, or first fit (plan/dimm.h);
 *   7. the backend not already mapped (guest RAM, a DIMM, virtio-mem);
 *   8. node= a NUMA node (node 0 only without NUMA);
 *   9. block-size at least the backend's page size;
 *  10. requested-size a multiple of block-size.
 * The default block size is QEMU's: the host's transparent huge page size
 * for memory in ordinary pages, else the backend's page size (at least
 * 1 MiB).  A requested-size above the backend's size is accepted at start,
 * as QEMU 7.2 does (the guest can plug at most the region).
 * Never: plugs anything; the caller acts only after vmem_place() succeeded.
 */
#ifndef KVMEM_PLAN_VMEM_H
#define KVMEM_PLAN_VMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "plan/dimm.h"
#include "util/err.h"

struct vmem_request {
	const char *memdev;	 /* memdev=, NULL when not given */
	uint64_t size;		 /* the backend's size */
	uint64_t page_size;	 /* the backend's page size */
	uint64_t host_page_size; /* the host's base page size (4 KiB) */
	uint64_t thp_size;	 /* the host's transparent huge page size */
	uint64_t align;		 /* memdev_device_align() of the backend */
	bool memdev_mapped;	 /* the backend is guest memory already */
	bool kvm_slot_free;	 /* the memory manager has a KVM slot for it */
	uint64_t block_size;	 /* block-size=, 0: the default */
	uint64_t requested_size; /* requested-size= */
	uint64_t addr;		 /* memaddr=, 0: first fit */
	uint32_t node;		 /* node= */
};

struct vmem_placement {
	uint64_t addr;
	uint64_t block_size;
};

/* The block size QEMU picks when block-size= is not given. */
uint64_t vmem_default_block_size(uint64_t page_size, uint64_t host_page_size, uint64_t thp_size);

/* block-size='s own checks (QEMU's property setter), for -device and
 * device_add before anything else. */
int vmem_check_block_size(uint64_t block_size, struct kverr *err);

/* Decide where req goes among the nr memory devices in plugged (DIMMs and
 * virtio-mem, any order), or refuse it with QEMU's message. */
int vmem_place(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
	       const struct vmem_request *req, struct vmem_placement *out, struct kverr *err);

#endif
