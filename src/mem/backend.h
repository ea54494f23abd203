/* backend.h - host memory that backs guest RAM.
 *
 * Owns: creating the host mapping for one memory backend from its
 * configuration (-object memory-backend-ram|memfd|file, or -m's implicit
 * one), in QEMU's order (host_memory_backend_memory_complete):
 *   1. the memory: anonymous (private or shared), memfd (optionally
 *      MFD_HUGETLB, sealed), or a file (a directory gets an unlinked
 *      temporary file; hugetlbfs gives its page size);
 *   2. the mapping, aligned to align=, the huge page size, or 2 MiB so
 *      that THP can back it; MAP_NORESERVE for reserve=off;
 *   3. madvise MADV_MERGEABLE (merge=on), MADV_DONTDUMP (dump=off), and
 *      MADV_HUGEPAGE for anonymous RAM (as QEMU does);
 *   4. mbind(policy, host-nodes, MPOL_MF_STRICT|MPOL_MF_MOVE) before any
 *      page is touched, so every page is allocated under the policy;
 *   5. prealloc: MADV_POPULATE_WRITE split over prealloc-threads threads,
 *      or, on kernels without it, a write to each page with SIGBUS caught
 *      for the duration, so running out of huge pages is an error message
 *      and never a crash.
 * It also owns giving pages back: backend_discard() is the one place that
 * knows which call frees a range for each kind of memory:
 *   private anonymous   -> MADV_DONTNEED (reads back as zeroes)
 *   shared anonymous    -> MADV_REMOVE (frees the shmem pages)
 *   fd-backed (memfd, file, hugetlbfs) -> fallocate(PUNCH_HOLE|KEEP_SIZE),
 *                          plus MADV_DONTNEED for a private mapping (its
 *                          written pages are anonymous copies)
 * in units of the backend's page size (huge pages included).
 * Never: knows guest physical addresses (the memory manager, manager.h, maps them) or reads
 * the command line (config.h has parsed it).
 */
#ifndef KVMEM_MEM_BACKEND_H
#define KVMEM_MEM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/err.h"

enum backend_kind {
	BACKEND_ANON, /* mmap(MAP_ANONYMOUS) */
	BACKEND_FD,   /* memfd or file, mapped from fd */
};

/* More threads than this never made prealloc faster (QEMU caps at 16);
 * the cap also bounds what a typo such as prealloc-threads=10000 costs. */
#define BACKEND_MAX_PREALLOC_THREADS 64

/* x86-64's PMD size: a transparent huge page */
#define BACKEND_THP_SIZE (2u << 20)

struct backend {
	char id[64];
	enum backend_kind kind;
	bool shared;	  /* MAP_SHARED */
	bool hugetlb;	  /* hugetlbfs or MFD_HUGETLB pages */
	uint64_t size;	  /* bytes, a multiple of page_size */
	size_t page_size; /* host page size backing it */
	/* Transparent huge pages the kernel may back it with (0: none):
	 * private anonymous memory that took MADV_HUGEPAGE.  The memory
	 * manager discards ballooned pages a whole huge page at a time
	 * first, so that a burst of inflates does not split them. */
	size_t thp_size;
	int fd;	      /* BACKEND_FD only, else -1 */
	uint8_t *hva; /* host mapping of [0, size) */
};

/* Create the backend spec describes (steps 1-5 above).  On failure
 * nothing is left behind (no mapping, no fd, and no mem-path file that
 * this call created) and err names the backend, the step and the reason. */
int backend_create(struct backend *b, const struct config_memdev *spec, struct kverr *err);

/* -m's implicit backend: config_memdev_implicit(), private anonymous RAM
 * mapped MAP_NORESERVE, pages cost nothing until touched. */
int backend_create_anon(struct backend *b, const char *id, uint64_t size, struct kverr *err);
void backend_destroy(struct backend *b);

/* Allocate every page now (step 5), with up to `threads` threads.  touch
 * forces the fallback path (a write to each page) even where the kernel has
 * MADV_POPULATE_WRITE; tests and bench/prealloc use it.  The fallback owns
 * the process's SIGBUS action while it runs, so two preallocations must not
 * run at the same time (kvmem creates backends from one thread). */
int backend_prealloc(struct backend *b, unsigned threads, bool touch, struct kverr *err);

/* Populate [offset, offset+len) now (page-aligned, inside the backend),
 * from any thread: virtio-mem's prealloc=on before a plug.  Only with
 * MADV_POPULATE_WRITE (Linux 5.14): -EOPNOTSUPP without it, because the
 * touching fallback owns the process's SIGBUS.  A page that cannot be had
 * (an exhausted huge-page pool) is an error here, never a SIGBUS later. */
int backend_populate(struct backend *b, uint64_t offset, uint64_t len, struct kverr *err);

/* Give [offset, offset+len) back to the host.  offset and len must be
 * multiples of page_size and inside the backend. */
int backend_discard(struct backend *b, uint64_t offset, uint64_t len, struct kverr *err);

#endif
