/* dimm.h - where a pc-dimm goes in the device-memory region, and whether
 * it may be plugged at all.  Pure: no syscalls, nothing created.
 *
 * Owns QEMU 7.2's pre-plug decisions for a DIMM (hw/mem/pc-dimm.c
 * pc_dimm_pre_plug and pc_dimm_realize, hw/mem/memory-device.c
 * memory_device_pre_plug), taken in QEMU's order and refused with QEMU's
 * messages, so that the same commands give the same addresses and the
 * same errors as QEMU:
 *   1. slot: slot= inside [0, slots) and free, or the lowest free slot;
 *   2. memdev= given;
 *   3. a KVM memory slot free for the DIMM;
 *   4. room: the DIMMs plugged so far plus this one within maxmem - size;
 *   5. address: the backend's alignment (memdev_device_align) divides
 *      addr= and the size; addr= lies inside the region and overlaps no
 *      DIMM; without addr=, first fit: the candidate starts at the
 *      region's base and moves past each DIMM it overlaps, in address
 *      order, aligned up, until it fits or leaves the region;
 *   6. node= is a NUMA node (node 0 only without NUMA);
 *   7. the backend is not already mapped (guest RAM or another DIMM).
 * Never: plugs anything.  The caller plugs only after dimm_place()
 * succeeded, so a refused device_add leaves the machine as it was.
 */
#ifndef KVMEM_PLAN_DIMM_H
#define KVMEM_PLAN_DIMM_H

#include <stdbool.h>
#include <stdint.h>

#include "plan/layout.h"
#include "plan/numa.h"
#include "util/err.h"

/* The device-memory region and the limits that apply to it. */
struct dimm_space {
	uint64_t base, size;  /* the region (layout.h); size 0: none */
	uint32_t slots;	      /* -m slots= */
	uint64_t hotplug_max; /* maxmem - RAM size */
	uint32_t max_nodeid;  /* NUMA: highest node id + 1; 0 without NUMA */
	uint64_t node_mask[(NUMA_MAX_NODES + 63) / 64]; /* present node ids */
};

/* A DIMM already plugged. */
struct dimm_plugged {
	const char *id; /* NULL for a device without id */
	uint64_t addr, size;
	uint32_t slot;
};

/* QEMU's "not given" values of the pc-dimm properties. */
#define DIMM_ADDR_AUTO 0ULL /* addr=0 asks for an address, as in QEMU */
#define DIMM_SLOT_AUTO (-1)

struct dimm_request {
	int64_t slot;	    /* DIMM_SLOT_AUTO or slot= */
	uint64_t addr;	    /* DIMM_ADDR_AUTO or addr= */
	uint32_t node;	    /* node= (default 0) */
	const char *memdev; /* memdev=, NULL when not given */
	uint64_t size;	    /* the backend's size */
	uint64_t align;	    /* memdev_device_align() of the backend */
	bool memdev_mapped; /* the backend is guest RAM or another DIMM's */
	bool kvm_slot_free; /* the memory manager has a KVM slot for it */
};

struct dimm_placement {
	uint64_t addr;
	uint32_t slot;
};

/* A memory device without a DIMM slot (virtio-mem) in a plugged list. */
#define DIMM_NO_SLOT UINT32_MAX

/* The region and limits of a planned machine. */
void dimm_space_init(struct dimm_space *s, const struct layout *l, const struct numa *n);

/* Decide where req goes among the nr DIMMs in plugged (any order), or
 * refuse it: -EINVAL (-ENOSPC for slots, room and KVM slots, -EBUSY for a
 * busy slot or backend) with QEMU's message in err. */
int dimm_place(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
	       const struct dimm_request *req, struct dimm_placement *out, struct kverr *err);

/* The two rules every memory device shares (QEMU's memory-device.c), for
 * the other memory devices' planners (plan/vmem.h).  plugged lists every
 * memory device (DIMMs and virtio-mem), any order.
 * Room: the devices plugged so far plus size within maxmem - RAM size. */
int dimm_check_room(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
		    uint64_t size, struct kverr *err);
/* Address: want (DIMM_ADDR_AUTO: first fit) aligned to align, size a
 * multiple of align, inside the region, overlapping no device. */
int dimm_pick_addr(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
		   uint64_t want, uint64_t size, uint64_t align, uint64_t *addr, struct kverr *err);

#endif
