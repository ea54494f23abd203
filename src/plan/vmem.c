/* vmem.c - virtio-mem placement and checks; see vmem.h. */
#include "plan/vmem.h"

#define MiB (1ULL << 20)

uint64_t vmem_default_block_size(uint64_t page_size, uint64_t host_page_size, uint64_t thp_size)
{
	/* hugetlbfs pages may be smaller than a THP: then the page decides */
	if (page_size == host_page_size)
		return page_size > thp_size ? page_size : thp_size;
	return page_size > MiB ? page_size : MiB;
}

int vmem_check_block_size(uint64_t block_size, struct kverr *err)
{
	if (block_size < MiB)
		return kverr_set(err, EINVAL, "'block-size' property has to be at least 0x%x",
				 (unsigned)MiB);
	if (block_size & (block_size - 1))
		return kverr_set(err, EINVAL, "'block-size' property has to be a power of two");
	return 0;
}

static int check_node(const struct dimm_space *s, uint32_t node, struct kverr *err)
{
	uint32_t nodes = s->max_nodeid ? s->max_nodeid : 1;

	if (node >= nodes)
		/* sic: QEMU 7.2's message lacks the space after "exceeds" */
		return kverr_set(err, EINVAL,
				 "'node' property has value '%u', which exceedsthe number of numa "
				 "nodes: %u",
				 node, nodes);
	/* kvmem allows sparse node ids (QEMU 7.2 refuses them at start) */
	if (s->max_nodeid && !(s->node_mask[node / 64] >> (node % 64) & 1))
		return kverr_set(err, EINVAL,
				 "'node' property has value '%u', which is not a NUMA node", node);
	return 0;
}

int vmem_place(const struct dimm_space *s, const struct dimm_plugged *plugged, unsigned nr,
	       const struct vmem_request *req, struct vmem_placement *out, struct kverr *err)
{
	uint64_t block, align;
	int ret;

	if (req->block_size && (ret = vmem_check_block_size(req->block_size, err)))
		return ret;
	if (!req->memdev)
		return kverr_set(err, EINVAL, "'memdev' property must be set");
	if (!s->size)
		return kverr_set(err, EINVAL,
				 "memory devices (e.g. for memory hotplug) are not enabled, please "
				 "specify the maxmem option");
	if (!req->kvm_slot_free)
		return kverr_set(err, ENOSPC, "hypervisor has no free memory slots left");
	ret = dimm_check_room(s, plugged, nr, req->size, err);
	if (ret)
		return ret;
	block = req->block_size
		    ? req->block_size
		    : vmem_default_block_size(req->page_size, req->host_page_size, req->thp_size);
	align = block > req->align ? block : req->align;
	ret = dimm_pick_addr(s, plugged, nr, req->addr, req->size, align, &out->addr, err);
	if (ret)
		return ret;
	if (req->memdev_mapped)
		return kverr_set(err, EBUSY, "'memdev' property specifies a busy memdev: %s",
				 req->memdev);
	ret = check_node(s, req->node, err);
	if (ret)
		return ret;
	if (block < req->page_size)
		return kverr_set(err, EINVAL,
				 "'block-size' property has to be at least the page size (0x%llx)",
				 (unsigned long long)req->page_size);
	if (req->requested_size % block)
		return kverr_set(err, EINVAL,
				 "'requested-size' property has to be multiples of 'block-size' "
				 "(0x%llx)",
				 (unsigned long long)block);
	out->block_size = block;
	return 0;
}
