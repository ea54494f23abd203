/* backend.h - host memory that backs guest RAM.
 *
 * Owns: creating host mappings for guest RAM and giving pages back to the
 * host.  backend_discard() is the one place that knows which call frees a
 * range for each kind of memory:
 *   private anonymous   -> MADV_DONTNEED (reads back as zeroes)
 *   shared anonymous    -> MADV_REMOVE (frees the shmem pages)
 *   fd-backed (memfd, file, hugetlbfs) -> fallocate(PUNCH_HOLE|KEEP_SIZE)
 * Never: knows guest physical addresses (guest_mem.h maps them).
 *
 * Today kvmem creates one private anonymous backend for -m; the
 * -object memory-backend-* family builds on this module.
 */
#ifndef KVMEM_MEM_BACKEND_H
#define KVMEM_MEM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum backend_kind {
	BACKEND_ANON, /* mmap(MAP_ANONYMOUS) */
	BACKEND_FD,   /* memfd or file, mapped from fd */
};

struct backend {
	char id[64];
	enum backend_kind kind;
	bool shared;      /* MAP_SHARED */
	uint64_t size;    /* bytes, a multiple of page_size */
	size_t page_size; /* host page size backing it */
	int fd;           /* BACKEND_FD only, else -1 */
	uint8_t *hva;     /* host mapping of [0, size) */
};

/* Private anonymous RAM, MAP_NORESERVE: pages cost nothing until touched. */
int backend_create_anon(struct backend *b, const char *id, uint64_t size, struct kverr *err);
void backend_destroy(struct backend *b);

/* Give [offset, offset+len) back to the host.  offset and len must be
 * multiples of page_size and inside the backend. */
int backend_discard(struct backend *b, uint64_t offset, uint64_t len, struct kverr *err);

#endif
