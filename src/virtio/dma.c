/* dma.c - guest memory for virtio (see dma.h). */
#include "virtio/dma.h"

#include <errno.h>
#include <string.h>

bool dma_check(const struct dma_space *d, uint64_t gpa, uint64_t len)
{
	const struct mem_view *v;
	bool ok = len != 0 && gpa + len >= gpa;

	if (!ok)
		return false;
	v = mem_view_begin(d->mm);
	/* region by region: adjacent regions are one range of guest RAM */
	while (ok && len) {
		struct mem_location loc;
		uint64_t n;

		ok = mem_view_locate(v, gpa, &loc) == 0;
		if (!ok)
			break;
		n = len < loc.len ? len : loc.len;
		/* and accessible: plugged, where the region says it must be */
		ok = mem_view_ptr(v, gpa, n) != NULL;
		gpa += n;
		len -= n;
	}
	mem_view_end(d->mm);
	return ok;
}

int dma_read(const struct dma_space *d, uint64_t gpa, void *dst, size_t len)
{
	const struct mem_view *v;
	int ret;

	if (!len)
		return 0;
	v = mem_view_begin(d->mm);
	ret = mem_view_read(v, gpa, dst, len, NULL);
	mem_view_end(d->mm);
	return ret ? -EFAULT : 0;
}

int dma_write(const struct dma_space *d, uint64_t gpa, const void *src, size_t len)
{
	const struct mem_view *v;
	int ret;

	if (!len)
		return 0;
	v = mem_view_begin(d->mm);
	ret = mem_view_write(v, gpa, src, len, NULL);
	mem_view_end(d->mm);
	return ret ? -EFAULT : 0;
}

int dma_load16(const struct dma_space *d, uint64_t gpa, uint16_t *val)
{
	const struct mem_view *v;
	uint16_t *p;

	if (gpa & 1)
		return -EFAULT;
	v = mem_view_begin(d->mm);
	p = mem_view_ptr(v, gpa, 2);
	if (p)
		*val = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	mem_view_end(d->mm);
	return p ? 0 : -EFAULT;
}

int dma_store16(const struct dma_space *d, uint64_t gpa, uint16_t val)
{
	const struct mem_view *v;
	uint16_t *p;

	if (gpa & 1)
		return -EFAULT;
	v = mem_view_begin(d->mm);
	p = mem_view_ptr(v, gpa, 2);
	if (p)
		__atomic_store_n(p, val, __ATOMIC_RELEASE);
	mem_view_end(d->mm);
	return p ? 0 : -EFAULT;
}
