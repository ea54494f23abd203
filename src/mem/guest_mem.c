#include "mem/guest_mem.h"

#include <string.h>

int guest_mem_add(struct guest_mem *gm, const char *name, uint64_t gpa, uint64_t size,
		  struct backend *backend, uint64_t backend_offset, struct kverr *err)
{
	if (size == 0 || gpa + size < gpa || gpa + size - 1 < gpa)
		return kverr_set(err, EINVAL, "guest region %s: bad range 0x%llx+0x%llx", name,
				 (unsigned long long)gpa, (unsigned long long)size);
	if (backend_offset > backend->size || size > backend->size - backend_offset)
		return kverr_set(
		    err, EINVAL,
		    "guest region %s: 0x%llx+0x%llx lies outside backend '%s' (0x%llx bytes)", name,
		    (unsigned long long)backend_offset, (unsigned long long)size, backend->id,
		    (unsigned long long)backend->size);
	for (unsigned i = 0; i < gm->nr; i++) {
		const struct guest_region *r = &gm->region[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return kverr_set(
			    err, EEXIST, "guest region %s at 0x%llx overlaps %s at 0x%llx", name,
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

/* Calls fn on each piece of [gpa, gpa+len) that lies in one region, in
 * order, once every piece was found: a range that leaves guest RAM anywhere
 * (a gap between regions, the end, an overflow) is refused whole. */
static int for_each_piece(const struct guest_mem *gm, uint64_t gpa, uint64_t len,
			  void (*fn)(uint8_t *hva, uint64_t done, uint64_t n, void *arg), void *arg,
			  struct kverr *err)
{
	for (int pass = 0; pass < 2; pass++) {
		uint64_t done = 0;

		while (done < len) {
			const struct guest_region *r = guest_mem_find(gm, gpa + done);
			uint64_t off, n;

			/* gpa + done wraps only past a region ending at 2^64,
			 * which guest_mem_add refuses */
			if (!r || gpa + done < gpa)
				return kverr_set(
				    err, EFAULT,
				    "guest range 0x%llx+0x%llx is not inside guest RAM",
				    (unsigned long long)gpa, (unsigned long long)len);
			off = gpa + done - r->gpa;
			n = r->size - off < len - done ? r->size - off : len - done;
			if (pass)
				fn(r->hva + off, done, n, arg);
			done += n;
		}
	}
	return 0;
}

static void copy_in(uint8_t *hva, uint64_t done, uint64_t n, void *arg)
{
	memcpy(hva, (const uint8_t *)arg + done, n);
}

static void copy_out(uint8_t *hva, uint64_t done, uint64_t n, void *arg)
{
	memcpy((uint8_t *)arg + done, hva, n);
}

int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len,
		    struct kverr *err)
{
	return for_each_piece(gm, gpa, len, copy_in, (void *)src, err);
}

int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len,
		   struct kverr *err)
{
	return for_each_piece(gm, gpa, len, copy_out, dst, err);
}
