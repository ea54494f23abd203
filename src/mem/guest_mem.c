#include "mem/guest_mem.h"

#include <string.h>

int guest_mem_add(struct guest_mem *gm, const char *name, uint64_t gpa, uint64_t size,
		  struct backend *backend, uint64_t backend_offset, struct kverr *err)
{
	if (size == 0 || gpa + size < gpa || gpa + size - 1 < gpa)
		return kverr_set(err, EINVAL, "guest region %s: bad range 0x%llx+0x%llx", name,
				 (unsigned long long)gpa, (unsigned long long)size);
	if (backend_offset > backend->size || size > backend->size - backend_offset)
		return kverr_set(err, EINVAL,
				 "guest region %s: 0x%llx+0x%llx lies outside backend '%s' (0x%llx bytes)",
				 name, (unsigned long long)backend_offset, (unsigned long long)size,
				 backend->id, (unsigned long long)backend->size);
	for (unsigned i = 0; i < gm->nr; i++) {
		const struct guest_region *r = &gm->region[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return kverr_set(err, EEXIST,
					 "guest region %s at 0x%llx overlaps %s at 0x%llx", name,
					 (unsigned long long)gpa, r->name, (unsigned long long)r->gpa);
	}
	if (gm->nr == GUEST_MEM_MAX_REGIONS)
		return kverr_set(err, ENOSPC, "guest region %s: more than %d regions", name,
				 GUEST_MEM_MAX_REGIONS);
	gm->region[gm->nr++] = (struct guest_region){
		.name = name,
		.gpa = gpa,
		.size = size,
		.backend = backend,
		.backend_offset = backend_offset,
		.hva = backend->hva + backend_offset,
	};
	return 0;
}

const struct guest_region *guest_mem_find(const struct guest_mem *gm, uint64_t gpa)
{
	for (unsigned i = 0; i < gm->nr; i++) {
		const struct guest_region *r = &gm->region[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const struct guest_region *r;
	uint64_t off;

	if (len == 0)
		return NULL;
	r = guest_mem_find(gm, gpa);
	if (!r)
		return NULL;
	off = gpa - r->gpa;
	/* off < r->size here, so r->size - off cannot underflow */
	if (len > r->size - off)
		return NULL;
	return r->hva + off;
}

int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len,
		    struct kverr *err)
{
	void *p;

	if (len == 0)
		return 0;
	p = guest_mem_ptr(gm, gpa, len);
	if (!p)
		return kverr_set(err, EFAULT, "guest range 0x%llx+0x%llx is not inside guest RAM",
				 (unsigned long long)gpa, (unsigned long long)len);
	memcpy(p, src, len);
	return 0;
}

int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len,
		   struct kverr *err)
{
	const void *p;

	if (len == 0)
		return 0;
	p = guest_mem_ptr(gm, gpa, len);
	if (!p)
		return kverr_set(err, EFAULT, "guest range 0x%llx+0x%llx is not inside guest RAM",
				 (unsigned long long)gpa, (unsigned long long)len);
	memcpy(dst, p, len);
	return 0;
}
