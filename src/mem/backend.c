#include "mem/backend.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int backend_create_anon(struct backend *b, const char *id, uint64_t size, struct kverr *err)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	snprintf(b->id, sizeof(b->id), "%s", id);
	b->kind = BACKEND_ANON;
	b->page_size = pg > 0 ? (size_t)pg : 4096;
	if (size == 0 || size % b->page_size)
		return kverr_set(err, EINVAL, "memory backend '%s': size 0x%llx is not a multiple of the page size",
				 id, (unsigned long long)size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		 0);
	if (p == MAP_FAILED)
		return kverr_sys(err, errno, "memory backend '%s': cannot map %llu MiB", id,
				 (unsigned long long)(size >> 20));
	b->size = size;
	b->hva = p;
	return 0;
}

void backend_destroy(struct backend *b)
{
	if (b->hva)
		munmap(b->hva, b->size);
	if (b->fd >= 0)
		close(b->fd);
	b->hva = NULL;
	b->fd = -1;
}

int backend_discard(struct backend *b, uint64_t offset, uint64_t len, struct kverr *err)
{
	if (len == 0)
		return 0;
	if (offset % b->page_size || len % b->page_size || offset > b->size ||
	    len > b->size - offset)
		return kverr_set(err, EINVAL,
				 "memory backend '%s': discard of 0x%llx+0x%llx is not page-aligned inside 0x%llx bytes",
				 b->id, (unsigned long long)offset, (unsigned long long)len,
				 (unsigned long long)b->size);
	if (b->kind == BACKEND_FD) {
		if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
			      (off_t)len) < 0)
			return kverr_sys(err, errno, "memory backend '%s': punch hole 0x%llx+0x%llx",
					 b->id, (unsigned long long)offset, (unsigned long long)len);
		return 0;
	}
	if (madvise(b->hva + offset, len, b->shared ? MADV_REMOVE : MADV_DONTNEED) < 0)
		return kverr_sys(err, errno, "memory backend '%s': %s 0x%llx+0x%llx", b->id,
				 b->shared ? "MADV_REMOVE" : "MADV_DONTNEED",
				 (unsigned long long)offset, (unsigned long long)len);
	return 0;
}
