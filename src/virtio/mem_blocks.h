/* mem_blocks.h - the memory behind a virtio-mem device: struct
 * vmem_mem_ops on the memory manager.
 *
 * Owns: nothing but the order of the steps.  Which block is plugged is
 * the manager's per-page state (MEM_PAGE_UNPLUGGED on every 4 KiB page of
 * an unplugged block); giving unplugged memory back to the host is the
 * manager's mem_pages_give() (the backend's own discard, one call per
 * contiguous backend range, huge pages exactly); KVM slots are the
 * manager's.  The steps:
 *   plug    prealloc: populate the blocks first (an exhausted huge-page
 *           pool fails here, never a SIGBUS later; what was populated is
 *           discarded again); dynamic memslots: map every memslot the
 *           range touches that is not mapped yet; then mark the pages
 *           plugged.  A failure undoes the steps before it.
 *   unplug  mark the pages unplugged and discard them; dynamic memslots:
 *           unmap every memslot the range touches that has no plugged
 *           page left.  A failed discard puts back (plugged) exactly
 *           the pages that were plugged before, noted first; blocks the
 *           range held unplugged already (UNPLUG_ALL) stay so.  The
 *           device's answer (BUSY) and the state agree: nothing changed.
 *   state   from the page state.
 * With dynamic memslots the region is cut into memslots of memslot_size
 * (whole blocks, at least 1 GiB, few enough for the slot budget; the last
 * one may be smaller), each mapped only while one of its blocks is plugged:
 * a 64 GiB device with 1 GiB plugged costs one KVM slot.
 * Never: decides what may be plugged (virtio/mem.h does).
 */
#ifndef KVMEM_VIRTIO_MEM_BLOCKS_H
#define KVMEM_VIRTIO_MEM_BLOCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/manager.h"
#include "virtio/mem.h"

/* The smallest dynamic memslot (QEMU's VIRTIO_MEM_MIN_MEMSLOT_SIZE). */
#define VMEM_MIN_MEMSLOT_SIZE (1ULL << 30)
/* The most memslots one device uses. */
#define VMEM_MAX_MEMSLOTS 1024

struct vmem_blocks {
	struct mem_manager *mm;
	struct mem_region *region; /* the device's whole range */
	bool prealloc;
	/* populate [off, off+len) of the backend (backend_populate() in
	 * kvmem; tests fake it) */
	int (*populate)(struct backend *b, uint64_t off, uint64_t len, struct kverr *err);
	/* dynamic memslots; memslot_size 0: off (the region has one slot) */
	uint64_t memslot_size;
	unsigned nr_memslots;
	bool mapped[VMEM_MAX_MEMSLOTS];
};

/* The memslot size for a region of size bytes in blocks of block_size,
 * given at most budget slots for it (QEMU's virtio_mem_decide_memslots). */
uint64_t vmem_memslot_size(uint64_t size, uint64_t block_size, unsigned budget);

/* r was added to mm with MEM_REGION_UNPLUGGED (and MEM_REGION_NO_SLOT
 * when memslot_size is not 0).  Fills b and ops (ctx = b). */
void vmem_blocks_init(struct vmem_blocks *b, struct mem_manager *mm, struct mem_region *r,
		      bool prealloc, uint64_t memslot_size,
		      int (*populate)(struct backend *, uint64_t, uint64_t, struct kverr *),
		      struct vmem_mem_ops *ops);
/* Memslots of the device mapped now. */
unsigned vmem_blocks_memslots(const struct vmem_blocks *b);
/* Unmap every memslot still mapped (the device goes away). */
void vmem_blocks_release(struct vmem_blocks *b);

#endif
