/* dma.c - guest memory for virtio (see dma.h). */
#include "virtio/dma.h"

#include <errno.h>
#include <string.h>

bool dma_check(const struct dma_space *d, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(d->gm, gpa, len) != NULL;
}

int dma_read(const struct dma_space *d, uint64_t gpa, void *dst, size_t len)
{
	const void *p;

	if (!len)
		return 0;
	p = guest_mem_ptr(d->gm, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int dma_write(const struct dma_space *d, uint64_t gpa, const void *src, size_t len)
{
	void *p;

	if (!len)
		return 0;
	p = guest_mem_ptr(d->gm, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int dma_load16(const struct dma_space *d, uint64_t gpa, uint16_t *v)
{
	uint16_t *p = (gpa & 1) ? NULL : guest_mem_ptr(d->gm, gpa, 2);

	if (!p)
		return -EFAULT;
	*v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return 0;
}

int dma_store16(const struct dma_space *d, uint64_t gpa, uint16_t v)
{
	uint16_t *p = (gpa & 1) ? NULL : guest_mem_ptr(d->gm, gpa, 2);

	if (!p)
		return -EFAULT;
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
	return 0;
}
