/* dimm.c - DIMM slot and address placement; see dimm.h.
 *
 * The address search follows QEMU 7.2's memory_device_get_free_addr: the
 * DIMMs are visited in address order, and a candidate range that
 * overlaps one moves to that DIMM's end aligned up; a DIMM that starts
 * after the candidate ends stops the search.  Every sum is checked, so a
 * request near 2^64 is refused, never wrapped.
 */
#include "plan/dimm.h"

#include <stdlib.h>
#include <string.h>

void dimm_space_init(struct dimm_space *s, const struct layout *l, const struct numa *n)
{
	memset(s, 0, sizeof(*s));
	s->base = l->device_mem_base;
	s->size = l->device_mem_size;
	s->slots = l->slots;
	s->hotplug_max = l->maxmem - l->ram_size;
	if (!n || !n->nr_nodes)
		return;
	s->max_nodeid = n->max_nodeid;
	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id))
		s->node_mask[id / 64] |= 1ULL << (id % 64);
}

static bool aligned(uint64_t v, uint64_t align)
{
	return v % align == 0;
}

/* [a, a + as) and [b, b + bs) share a byte; neither wraps. */
static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

static int by_addr(const void *x, const void *y)
{
	const struct dimm_plugged *a = x, *b = y;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int pick_slot(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
		     int64_t want, uint32_t *slot, struct kverr *err)
{
	if (want != DIMM_SLOT_AUTO && (want < 0 || want >= s->slots))
		/* QEMU prints slots - 1 as an unsigned 64-bit number */
		return kverr_set(err, EINVAL, "invalid slot number %lld, valid range is [0-%llu]",
				 (long long)want, (unsigned long long)s->slots - 1);
	if (!s->slots)
		return kverr_set(err, EINVAL,
				 "no slots where allocated, please specify the 'slots' option");
	for (uint32_t cand = want == DIMM_SLOT_AUTO ? 0 : (uint32_t)want; cand < s->slots; cand++) {
		bool busy = false;

		for (unsigned i = 0; i < nr && !busy; i++)
			busy = plugged[i].slot == cand;
		if (!busy) {
			*slot = cand;
			return 0;
		}
		if (want != DIMM_SLOT_AUTO)
			return kverr_set(err, EBUSY, "slot %u is busy", cand);
	}
	return kverr_set(err, ENOSPC, "no free slots available");
}

int dimm_check_room(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
		    uint64_t size, struct kverr *err)
{
	uint64_t used = 0;

	for (unsigned i = 0; i < nr; i++)
		used += plugged[i].size; /* each inside the region: no wrap */
	if (used + size < used || used + size > s->hotplug_max)
		return kverr_set(err, ENOSPC,
				 "not enough space, currently 0x%llx in use of total space for "
				 "memory devices 0x%llx",
				 (unsigned long long)used, (unsigned long long)s->hotplug_max);
	return 0;
}

/* plugged sorted by address. */
static int pick_addr(const struct dimm_space *s, const struct dimm_plugged *sorted, unsigned nr,
		     const struct dimm_request *req, uint64_t *addr, struct kverr *err)
{
	const uint64_t end = s->base + s->size, align = req->align ? req->align : 1;
	uint64_t cand;

	if (req->addr != DIMM_ADDR_AUTO && !aligned(req->addr, align))
		return kverr_set(err, EINVAL, "address must be aligned to 0x%llx bytes",
				 (unsigned long long)align);
	if (!aligned(req->size, align))
		return kverr_set(err, EINVAL, "backend memory size must be multiple of 0x%llx",
				 (unsigned long long)align);
	if (req->addr != DIMM_ADDR_AUTO) {
		if (req->addr < s->base || req->addr > end || req->size > end - req->addr)
			return kverr_set(err, EINVAL,
					 "can't add memory device [0x%llx:0x%llx], usable range "
					 "for memory devices [0x%llx:0x%llx]",
					 (unsigned long long)req->addr,
					 (unsigned long long)req->size, (unsigned long long)s->base,
					 (unsigned long long)s->size);
		for (unsigned i = 0; i < nr; i++)
			if (overlap(sorted[i].addr, sorted[i].size, req->addr, req->size))
				return kverr_set(err, EBUSY,
						 "address range conflicts with memory device "
						 "id='%s'",
						 sorted[i].id ? sorted[i].id : "(unnamed)");
		*addr = req->addr;
		return 0;
	}
	cand = s->base + (align - s->base % align) % align;
	if (cand < s->base || req->size > UINT64_MAX - cand)
		return kverr_set(err, EINVAL, "can't add memory device, device too big");
	for (unsigned i = 0; i < nr; i++) {
		uint64_t next;

		if (overlap(sorted[i].addr, sorted[i].size, cand, req->size)) {
			next = sorted[i].addr + sorted[i].size;
			next += (align - next % align) % align;
			if (next < sorted[i].addr || req->size > UINT64_MAX - next) {
				cand = end; /* nowhere left */
				break;
			}
			cand = next;
		} else if (sorted[i].addr >= cand + req->size) {
			break;
		}
	}
	if (cand < s->base || cand > end || req->size > end - cand)
		return kverr_set(err, ENOSPC,
				 "could not find position in guest address space for memory "
				 "device - memory fragmented due to alignments");
	*addr = cand;
	return 0;
}

static int check_node(const struct dimm_space *s, uint32_t node, struct kverr *err)
{
	uint32_t nodes = s->max_nodeid ? s->max_nodeid : 1;

	if (node >= nodes)
		return kverr_set(err, EINVAL,
				 "'DIMM property node has value %u' which exceeds the number of "
				 "numa nodes: %u",
				 node, nodes);
	/* kvmem allows sparse node ids (QEMU 7.2 refuses them at start) */
	if (s->max_nodeid && !(s->node_mask[node / 64] >> (node % 64) & 1))
		return kverr_set(err, EINVAL,
				 "'DIMM property node has value %u' which is not a "
				 "NUMA node",
				 node);
	return 0;
}

int dimm_pick_addr(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
		   uint64_t want, uint64_t size, uint64_t align, uint64_t *addr, struct kverr *err)
{
	struct dimm_request req = {.addr = want, .size = size, .align = align};
	struct dimm_plugged *sorted;
	int ret;

	sorted = malloc((nr ? nr : 1) * sizeof(*sorted));
	if (!sorted)
		return kverr_set(err, ENOMEM, "out of memory placing a memory device");
	if (nr) {
		memcpy(sorted, plugged, nr * sizeof(*sorted));
		qsort(sorted, nr, sizeof(*sorted), by_addr);
	}
	ret = pick_addr(s, sorted, nr, &req, addr, err);
	free(sorted);
	return ret;
}

int dimm_place(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
	       const struct dimm_request *req, struct dimm_placement *out, struct kverr *err)
{
	struct dimm_placement p;
	int ret;

	ret = pick_slot(s, plugged, nr, req->slot, &p.slot, err);
	if (ret)
		return ret;
	if (!req->memdev)
		return kverr_set(err, EINVAL, "'memdev' property must be set");
	if (!req->kvm_slot_free)
		return kverr_set(err, ENOSPC, "hypervisor has no free memory slots left");
	ret = dimm_check_room(s, plugged, nr, req->size, err);
	if (ret)
		return ret;
	ret = dimm_pick_addr(s, plugged, nr, req->addr, req->size, req->align, &p.addr, err);
	if (ret)
		return ret;
	ret = check_node(s, req->node, err);
	if (ret)
		return ret;
	if (req->memdev_mapped)
		return kverr_set(err, EBUSY, "can't use already busy memdev: %s", req->memdev);
	*out = p;
	return 0;
}
