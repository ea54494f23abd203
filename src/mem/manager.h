/* manager.h - guest physical memory at run time: the memory manager.
 *
 * Owns, and is the only owner of:
 *   - the list of guest memory regions (boot RAM parts, DIMMs, virtio-mem
 *     devices), each a window [backend_offset, +size) of one host backend
 *     at a guest physical address, with its NUMA node, kind and name;
 *   - the KVM memory slot numbers: the manager numbers every slot, below
 *     the limit KVM gives (KVM_CAP_NR_MEMSLOTS), reusing freed numbers.
 *     The ioctl itself is src/kvm's, reached through struct mem_slot_ops,
 *     so the manager runs without KVM (unit tests, kvmem-sim);
 *   - per-page state at 4 KiB granularity (unplugged, ballooned, reported
 *     free, discarded), knowing each backend's page size, so that a huge
 *     page is discarded exactly when none of its 4 KiB parts is in use;
 *   - the ONLY translation of a guest physical address into a host
 *     pointer or into (region, backend, offset), bounds-checked: gpa + len
 *     never overflows, a pointer lies inside one region, a copy may cross
 *     adjacent regions but never a gap, and a refused copy copies nothing.
 *
 * Threads.  The regions are published as an immutable view (struct
 * mem_view).  Readers - vCPU threads handling exits, device threads
 * walking rings, the main loop - bracket their use of it with
 * mem_view_begin()/mem_view_end(): they never take a lock and never wait
 * for a writer (mem/epoch.h).  Writers (add, remove, map, attach) are
 * serialized by the manager, build a new view, publish it, and free the
 * old one - and munmap/close a removed region's memory, which the caller
 * does once mem_manager_remove() returned - only after every reader left
 * it.  Writers must not be called inside a read section, nor while holding
 * a lock that a reader may wait for.  Page state has its own lock, taken
 * by device threads (balloon, virtio-mem, dumps), never by a vCPU or by
 * the translation above.
 * Never: calls KVM or the host's memory syscalls itself (slot_ops and
 * host_ops do), decides where regions go (plan/layout.h, the device's
 * pre-plug checks do) or prints.
 */
#ifndef KVMEM_MEM_MANAGER_H
#define KVMEM_MEM_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/backend.h"
#include "util/err.h"

#define MEM_PAGE_SHIFT 12
#define MEM_PAGE_SIZE (1ULL << MEM_PAGE_SHIFT) /* the guest page: 4 KiB */
/* Highest number of KVM slots the manager hands out before it is
 * attached to a VM (KVM's own limit replaces it then; 32764 on Linux 6.1). */
#define MEM_MAX_SLOTS 32764
/* Regions at once: boot RAM parts, DIMM slots, virtio-mem devices. */
#define MEM_MAX_REGIONS 1024
#define MEM_NAME_MAX 64

enum mem_region_kind {
	MEM_REGION_RAM,	       /* a part of boot RAM (layout_ram_part) */
	MEM_REGION_DIMM,       /* pc-dimm */
	MEM_REGION_VIRTIO_MEM, /* a virtio-mem device's whole range */
};

/* mem_region_spec.flags */
enum {
	/* No KVM slot at add: the owner maps parts with mem_region_map_slot()
	 * (virtio-mem dynamic-memslots). */
	MEM_REGION_NO_SLOT = 1u << 0,
	/* Every page starts unplugged (virtio-mem). */
	MEM_REGION_UNPLUGGED = 1u << 1,
	/* Pointers and copies refuse unplugged pages (unplugged-inaccessible). */
	MEM_REGION_PLUGGED_ONLY = 1u << 2,
};

/* Per-page state bits, each kept for every 4 KiB guest page. */
enum mem_page_state {
	MEM_PAGE_UNPLUGGED = 1u << 0, /* not plugged (virtio-mem block) */
	MEM_PAGE_BALLOONED = 1u << 1, /* in the balloon */
	/* Reported free (free page reporting).  A hint: the guest may use a
	 * reported page again without saying so, so the bit never decides a
	 * discard after the report that set it, nor lets a dump skip a page. */
	MEM_PAGE_REPORTED = 1u << 2,
	/* Its backend page was given back to the host by the manager and the
	 * guest has not taken it back through the manager since. */
	MEM_PAGE_DISCARDED = 1u << 3,
};
#define MEM_PAGE_NR_STATES 4
/* The pages a guest does not use: a dump or snapshot may skip them. */
#define MEM_PAGE_UNUSED (MEM_PAGE_UNPLUGGED | MEM_PAGE_BALLOONED)

struct mem_pages; /* the page state of one region, private */

/* One region as published.  Everything but the page state is fixed from
 * mem_manager_add() until the region is freed after mem_manager_remove(). */
struct mem_region {
	char name[MEM_NAME_MAX];
	enum mem_region_kind kind;
	unsigned flags;
	uint64_t gpa;
	uint64_t size;
	struct backend *backend;
	uint64_t backend_offset;
	uint8_t *hva; /* backend->hva + backend_offset */
	uint32_t node;
	void *owner; /* the spec's owner, for the code that added it */
	struct mem_pages *pages;
};

/* A KVM memory slot: [offset, offset+size) of a region. */
struct mem_slot {
	uint32_t slot;
	const struct mem_region *region;
	uint64_t offset;
	uint64_t size;
};

/* An immutable snapshot: regions sorted by gpa, slots sorted by number.
 * Valid only between mem_view_begin() and mem_view_end(). */
struct mem_view {
	uint64_t generation; /* grows with each publication */
	unsigned nr_regions;
	const struct mem_region *const *region;
	unsigned nr_slots;
	const struct mem_slot *slot;
};

struct mem_region_spec {
	const char *name;
	enum mem_region_kind kind;
	unsigned flags;
	uint64_t gpa;
	uint64_t size;
	struct backend *backend;
	uint64_t backend_offset;
	uint32_t node;
	void *owner;
};

/* How the manager reaches KVM (src/kvm/vm.c) or a stand-in. */
struct mem_slot_ops {
	/* Make slot map guest [gpa, gpa+size) onto hva; size 0 deletes it. */
	int (*set_slot)(void *opaque, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
			struct kverr *err);
};

/* How the manager gives memory back to the host: backend_discard() in
 * kvmem, a recorder in the tests.  Called with page-aligned ranges (in
 * the backend's page size), one call per contiguous range. */
struct mem_host_ops {
	int (*discard)(void *opaque, struct backend *b, uint64_t offset, uint64_t len,
		       struct kverr *err);
	void *opaque;
};

struct mem_manager;

/* ---- life ---- */

int mem_manager_create(struct mem_manager **out, const struct mem_host_ops *host,
		       struct kverr *err);
/* Frees every region (after the readers left); the backends are the
 * caller's.  NULL is ignored. */
void mem_manager_destroy(struct mem_manager *mm);

/* ---- writers: serialized, never inside a read section ---- */

/* Add a region and publish it.  gpa, size and backend_offset are 4 KiB
 * multiples; the window lies inside the backend; the range neither wraps
 * nor overlaps a region.  Unless MEM_REGION_NO_SLOT, the region gets a KVM
 * slot, mapped at once when attached.  On failure nothing changed: -EINVAL
 * (bad range), -EEXIST (overlap, or the name is taken), -ENOSPC (no
 * region or KVM slot left), -ENOMEM, or the slot op's error.  *out (may
 * be NULL) is the region, valid until mem_manager_remove(). */
int mem_manager_add(struct mem_manager *mm, const struct mem_region_spec *spec,
		    struct mem_region **out, struct kverr *err);
/* Unpublish r, delete its KVM slots, wait until no reader can see it,
 * free it and its slot numbers.  When this returns the caller may unmap
 * and close r's backend.  -EDEADLK inside a read section, -ENOENT if r is
 * not a current region; a failed slot deletion is reported after the
 * region is gone anyway (KVM keeps nothing usable of a destroyed slot). */
int mem_manager_remove(struct mem_manager *mm, struct mem_region *r, struct kverr *err);
/* Give [offset, offset+size) of r its own KVM slot (4 KiB multiples,
 * inside r, overlapping none of r's slots). */
int mem_region_map_slot(struct mem_manager *mm, struct mem_region *r, uint64_t offset,
			uint64_t size, struct kverr *err);
/* Delete the slot of r that starts at offset. */
int mem_region_unmap_slot(struct mem_manager *mm, struct mem_region *r, uint64_t offset,
			  struct kverr *err);

/* Bind to a VM: map every slot through ops now (undone if one fails), and
 * every later change as it happens.  nr_slots is KVM's limit; a slot
 * number at or above it is -ENOSPC. */
int mem_manager_attach(struct mem_manager *mm, const struct mem_slot_ops *ops, void *opaque,
		       uint32_t nr_slots, struct kverr *err);
/* The VM is gone (its slots with it): stop calling ops.  Slot numbers stay
 * with their regions, for the next attach. */
void mem_manager_detach(struct mem_manager *mm);
/* Slot numbers in use. */
unsigned mem_manager_slots_used(struct mem_manager *mm);
/* Whether mem_manager_add() would find a KVM slot number for one more
 * region (KVM's limit once attached): a memory device's pre-plug check. */
bool mem_manager_slot_free(struct mem_manager *mm);

/* ---- readers: any thread, never waiting ---- */

/* Enter a read section and return the current view; sections nest. */
const struct mem_view *mem_view_begin(struct mem_manager *mm);
void mem_view_end(struct mem_manager *mm);

/* Region containing gpa, or NULL. */
const struct mem_region *mem_view_find(const struct mem_view *v, uint64_t gpa);
/* Host pointer for [gpa, gpa+len) wholly inside one region (and plugged,
 * for a MEM_REGION_PLUGGED_ONLY region), or NULL; len 0 is refused.
 * Valid until mem_view_end(). */
void *mem_view_ptr(const struct mem_view *v, uint64_t gpa, uint64_t len);

/* The one answer to "what backs this guest address". */
struct mem_location {
	const struct mem_region *region;
	struct backend *backend;
	uint64_t backend_offset; /* of gpa */
	uint8_t *hva;		 /* of gpa */
	uint64_t len;		 /* bytes from gpa to the region's end */
	int slot;		 /* KVM slot mapping gpa, -1 if none */
};
/* -EFAULT when gpa is in no region. */
int mem_view_locate(const struct mem_view *v, uint64_t gpa, struct mem_location *loc);

/* Copies that may cross adjacent regions; -EFAULT, naming the range and
 * copying nothing, when any byte lies outside every region (or in an
 * unplugged page of a MEM_REGION_PLUGGED_ONLY region).  len 0 is a no-op. */
int mem_view_read(const struct mem_view *v, uint64_t gpa, void *dst, uint64_t len,
		  struct kverr *err);
int mem_view_write(const struct mem_view *v, uint64_t gpa, const void *src, uint64_t len,
		   struct kverr *err);
/* The same, in a read section of their own. */
int mem_read(struct mem_manager *mm, uint64_t gpa, void *dst, uint64_t len, struct kverr *err);
int mem_write(struct mem_manager *mm, uint64_t gpa, const void *src, uint64_t len,
	      struct kverr *err);

/* ---- page state: device threads (balloon, virtio-mem, dumps) ---- */

/* The guest gave [gpa, gpa+len) up; why is MEM_PAGE_UNPLUGGED,
 * MEM_PAGE_BALLOONED or MEM_PAGE_REPORTED.  The range is 4 KiB aligned
 * and may cross adjacent regions; anything else is refused whole
 * (-EINVAL unaligned, -EFAULT outside guest RAM), changing nothing.
 * Then every backend page touching the range none of whose 4 KiB parts
 * the guest uses (each unplugged or ballooned, or inside this very
 * range) is discarded through host_ops, one call per contiguous backend
 * range, and marked MEM_PAGE_DISCARDED; ballooned pages of a backend with
 * transparent huge pages (backend.thp_size) only a whole huge page at a
 * time, the rest is mem_pages_sweep()'s.  *discarded (may be NULL) gets
 * the bytes given back.  A failed discard is returned; the state bits
 * stay set (the guest did give the pages up). */
int mem_pages_give(struct mem_manager *mm, uint64_t gpa, uint64_t len, unsigned why,
		   uint64_t *discarded, struct kverr *err);
/* Discard every backend page holding a ballooned page that is not
 * discarded yet and none of whose 4 KiB parts the guest uses (unplugged
 * or ballooned), one call per contiguous range: what a give of ballooned
 * pages on transparent huge pages left (it discards whole huge pages
 * only), or a discard that failed.  *discarded (may be NULL) gets the bytes given back.  The
 * balloon calls it once the guest has stopped inflating for a moment. */
int mem_pages_sweep(struct mem_manager *mm, uint64_t *discarded, struct kverr *err);
/* The guest takes [gpa, gpa+len) back: clear why (and MEM_PAGE_REPORTED,
 * which the guest's use ends).  Every backend page touching the range is
 * no longer discarded: the guest's next access brings all of it back.
 * Same checks as mem_pages_give. */
int mem_pages_take(struct mem_manager *mm, uint64_t gpa, uint64_t len, unsigned why,
		   struct kverr *err);
/* A machine reset: clear the bits in mask on every page (and
 * MEM_PAGE_DISCARDED where a page is then in use). */
void mem_pages_reset(struct mem_manager *mm, unsigned mask);
/* The state bits of the page holding gpa (0 outside guest RAM). */
unsigned mem_pages_state(struct mem_manager *mm, uint64_t gpa);
/* Pages (4 KiB) that have the state bit, over all regions. */
uint64_t mem_pages_count(struct mem_manager *mm, unsigned state);
/* The first run of pages at or after from, inside one region, whose
 * state has a bit of mask (set) or none (!set): 0 and [*gpa, *gpa+*len),
 * or -ENOENT past the last region.  A dump walks the pages to save with
 * mask MEM_PAGE_UNUSED, set false. */
int mem_pages_find(struct mem_manager *mm, uint64_t from, unsigned mask, bool set, uint64_t *gpa,
		   uint64_t *len);

#endif
