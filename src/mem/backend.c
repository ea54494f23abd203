/* backend.c - host memory backends: create, preallocate, discard.
 * See backend.h for the order of the steps and why it matters. */
#include "mem/backend.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/thread.h"

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26 /* <linux/memfd.h>, which clashes with glibc's */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define THP_ALIGN (2ULL << 20) /* THP size on x86-64, as QEMU aligns RAM */

static size_t base_page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	return pg > 0 ? (size_t)pg : 4096;
}

static unsigned long long mib(uint64_t bytes)
{
	return (unsigned long long)(bytes >> 20);
}

/* Free huge pages of this size in the pool, or -1 if unknown: named in
 * the messages for hugetlb failures, since that is what the user fixes. */
static long free_hugepages(size_t page_size)
{
	char path[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/free_hugepages",
		 page_size >> 10);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static int hugepage_error(struct backend *b, int e, const char *what, struct kverr *err)
{
	long avail = free_hugepages(b->page_size);

	return kverr_set(err, e,
			 "memory backend '%s': %s %llu MiB of %zu kB huge pages failed: %s "
			 "(%ld needed, %ld free in the pool: reserve more with "
			 "/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages)",
			 b->id, what, mib(b->size), b->page_size >> 10, kv_strerror(e),
			 (long)(b->size / b->page_size), avail, b->page_size >> 10);
}

/* ---- step 1: the memory ---- */

static int open_memfd(struct backend *b, const struct config_memdev *spec, struct kverr *err)
{
	unsigned flags = MFD_CLOEXEC;
	struct statfs fs;

	if (spec->seal)
		flags |= MFD_ALLOW_SEALING;
	if (spec->hugetlb) {
		flags |= MFD_HUGETLB;
		if (spec->hugetlbsize)
			flags |= (unsigned)__builtin_ctzll(spec->hugetlbsize) << MFD_HUGE_SHIFT;
	}
	/* the name shows in /proc/PID/maps as /memfd:ID */
	b->fd = memfd_create(b->id, flags);
	if (b->fd < 0) {
		if (spec->hugetlb && (errno == EINVAL || errno == ENOENT))
			return kverr_sys(err, errno,
					 "memory backend '%s': no hugetlb memfd with hugetlbsize "
					 "0x%llx on this host",
					 b->id, (unsigned long long)spec->hugetlbsize);
		return kverr_sys(err, errno, "memory backend '%s': memfd_create", b->id);
	}
	if (spec->hugetlb) {
		if (fstatfs(b->fd, &fs) < 0)
			return kverr_sys(err, errno, "memory backend '%s': fstatfs", b->id);
		b->page_size = (size_t)fs.f_bsize;
		b->hugetlb = true;
	}
	return 0;
}

/* mem-path: a directory gets an unlinked temporary file (QEMU does the
 * same), a file is used as it is and created if missing. */
static int open_file(struct backend *b, const struct config_memdev *spec, bool *created,
		     struct kverr *err)
{
	const char *path = spec->mem_path;
	struct statfs fs;
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *tmpl;

		if (asprintf(&tmpl, "%s/kvmem_%s_XXXXXX", path, b->id) < 0)
			return kverr_set(err, ENOMEM, "memory backend '%s': out of memory", b->id);
		b->fd = mkostemp(tmpl, O_CLOEXEC);
		if (b->fd >= 0)
			unlink(tmpl);
		free(tmpl);
	} else {
		b->fd = open(path, O_RDWR | O_CLOEXEC);
		if (b->fd < 0 && errno == ENOENT) {
			/* ours, so removed again if the backend fails */
			b->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			*created = b->fd >= 0;
		}
	}
	if (b->fd < 0)
		return kverr_sys(err, errno, "memory backend '%s': can't open backing store %s",
				 b->id, path);
	if (fstatfs(b->fd, &fs) < 0 || fstat(b->fd, &st) < 0)
		return kverr_sys(err, errno, "memory backend '%s': stat %s", b->id, path);
	if (fs.f_type == HUGETLBFS_MAGIC) {
		b->page_size = (size_t)fs.f_bsize;
		b->hugetlb = true;
	}
	/* A file that already holds data is never truncated (it may be a
	 * guest image); it must be large enough. */
	if (st.st_size > 0 && (uint64_t)st.st_size < spec->size)
		return kverr_set(err, EINVAL,
				 "memory backend '%s': backing store %s size 0x%llx does not match "
				 "'size' option 0x%llx",
				 b->id, path, (unsigned long long)st.st_size,
				 (unsigned long long)spec->size);
	return 0;
}

/* ---- step 2: the mapping ---- */

/* Reserve size + align of address space, then map the memory at the first
 * aligned address inside it and give the rest back. */
static void *map_aligned(uint64_t size, uint64_t align, int flags, int fd)
{
	uint8_t *area, *start;
	uint64_t head, tail;
	void *p;

	area =
	    mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	start = (uint8_t *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));
	p = mmap(start, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		munmap(area, size + align);
		errno = e;
		return MAP_FAILED;
	}
	head = (uint64_t)(start - area);
	tail = align - head;
	if (head)
		munmap(area, head);
	if (tail)
		munmap(start + size, tail);
	return p;
}

/* ---- step 4: NUMA policy ---- */

static int bind_memory(struct backend *b, const struct config_memdev *spec, struct kverr *err)
{
	static const int mode[] = {
	    [MEMDEV_POLICY_DEFAULT] = MPOL_DEFAULT,
	    [MEMDEV_POLICY_PREFERRED] = MPOL_PREFERRED,
	    [MEMDEV_POLICY_BIND] = MPOL_BIND,
	    [MEMDEV_POLICY_INTERLEAVE] = MPOL_INTERLEAVE,
	};
	unsigned long mask = (unsigned long)spec->host_nodes;
	unsigned long maxnode;
	int mpol = mode[spec->policy];

	if (spec->policy == MEMDEV_POLICY_DEFAULT)
		return 0; /* fresh memory already follows the task's policy */
	/* The kernel reads maxnode - 1 bits (an old off-by-one QEMU also
	 * works around), so one more than the highest node asked for. */
	maxnode = (unsigned long)(64 - __builtin_clzll(spec->host_nodes)) + 1;
	/* STRICT|MOVE would also move pages already there; there are none
	 * yet, which is the point of binding before prealloc. */
	/* MPOL_PREFERRED uses only the first node of a list; since Linux 5.15
	 * MPOL_PREFERRED_MANY prefers all of them (QEMU 8.0 does the same) */
	if (mpol == MPOL_PREFERRED && (spec->host_nodes & (spec->host_nodes - 1)) &&
	    syscall(SYS_mbind, b->hva, (unsigned long)b->size, MPOL_PREFERRED_MANY, &mask, maxnode,
		    MPOL_MF_STRICT | MPOL_MF_MOVE) == 0)
		return 0;
	if (syscall(SYS_mbind, b->hva, (unsigned long)b->size, mpol, &mask, maxnode,
		    MPOL_MF_STRICT | MPOL_MF_MOVE) < 0) {
		char nodes[256] = "";
		size_t o = 0;

		for (int n = 0; n < 64; n++)
			if (spec->host_nodes >> n & 1 && o < sizeof(nodes) - 8)
				o += (size_t)snprintf(nodes + o, sizeof(nodes) - o, "%s%d",
						      o ? "," : "", n);
		return kverr_sys(err, errno,
				 "memory backend '%s': cannot bind memory to host NUMA nodes %s "
				 "(policy=%s; does the host have them?)",
				 b->id, nodes, config_memdev_policy_name(spec->policy));
	}
	return 0;
}

/* ---- step 5: prealloc ---- */

struct prealloc_job {
	struct backend *b;
	uint64_t start, len;
	bool touch;
	int error;	 /* errno, SIGBUS as EFAULT */
	uint64_t failed; /* offset where it failed */
	struct thread thread;
	bool threaded;
};

/* volatile: the handler reads it, so the compiler must neither drop the
 * store before the loop nor move it across the page accesses */
static __thread sigjmp_buf *volatile prealloc_jmp;
static struct sigaction prealloc_old_sigbus;

/* A SIGBUS while a prealloc thread touches its range means the page could
 * not be allocated (no huge page left, or the file could not grow): jump
 * back and report it.  Any other SIGBUS is not ours: crash as before. */
static void prealloc_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (prealloc_jmp)
		siglongjmp(*prealloc_jmp, 1);
	sigaction(sig, &prealloc_old_sigbus, NULL);
	raise(sig);
}

static void touch_range(struct prealloc_job *j)
{
	sigjmp_buf jmp;
	volatile uint64_t off = j->start;
	size_t pg = j->b->page_size;

	if (sigsetjmp(jmp, 1)) {
		prealloc_jmp = NULL;
		j->error = EFAULT;
		j->failed = off;
		return;
	}
	prealloc_jmp = &jmp;
	for (; off < j->start + j->len; off += pg) {
		/* read and write back, so that a file's data survives */
		volatile uint8_t *p = j->b->hva + off;
		*p = *p;
	}
	prealloc_jmp = NULL;
}

static void *prealloc_worker(void *arg)
{
	struct prealloc_job *j = arg;

	/* backend_prealloc() chose: the kernel has MADV_POPULATE_WRITE (and
	 * then any error is real: EFAULT or ENOMEM when no page can be had),
	 * or touching, with its SIGBUS handler installed */
	if (j->touch) {
		touch_range(j);
	} else if (madvise(j->b->hva + j->start, j->len, MADV_POPULATE_WRITE) < 0) {
		j->error = errno;
		j->failed = j->start;
	}
	return NULL;
}

static bool kernel_has_populate_write(struct backend *b)
{
	/* A zero-length request is checked for the advice and nothing else:
	 * EINVAL means a kernel before 5.14. */
	return madvise(b->hva, 0, MADV_POPULATE_WRITE) == 0;
}

int backend_prealloc(struct backend *b, unsigned threads, bool touch, struct kverr *err)
{
	struct prealloc_job job[BACKEND_MAX_PREALLOC_THREADS];
	uint64_t pages = b->size / b->page_size, per, off = 0;
	struct sigaction sa;
	unsigned n;

	if (!touch && !kernel_has_populate_write(b))
		touch = true;
	n = threads ? threads : 1;
	if (n > BACKEND_MAX_PREALLOC_THREADS)
		n = BACKEND_MAX_PREALLOC_THREADS;
	if (n > pages)
		n = (unsigned)pages;
	if (touch) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = prealloc_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, &prealloc_old_sigbus);
	}
	/* Equal runs of whole pages; the first ones take the remainder.  A
	 * run whose thread cannot be created is done here, on this thread. */
	per = pages / n;
	for (unsigned i = 0; i < n; i++) {
		uint64_t np = per + (i < pages % n);

		job[i] = (struct prealloc_job){
		    .b = b, .start = off, .len = np * b->page_size, .touch = touch};
		off += job[i].len;
		job[i].threaded =
		    n > 1 && thread_start(&job[i].thread, prealloc_worker, &job[i]) == 0;
		if (!job[i].threaded)
			prealloc_worker(&job[i]);
	}
	for (unsigned i = 0; i < n; i++)
		if (job[i].threaded)
			thread_join(&job[i].thread);
	if (touch)
		sigaction(SIGBUS, &prealloc_old_sigbus, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct prealloc_job *j = &job[i];

		if (!j->error)
			continue;
		if (b->hugetlb)
			return hugepage_error(b, j->error, "preallocating", err);
		return kverr_set(err, j->error,
				 "memory backend '%s': preallocating %llu MiB failed at offset "
				 "0x%llx: %s",
				 b->id, mib(b->size), (unsigned long long)j->failed,
				 kv_strerror(j->error));
	}
	return 0;
}

/* ---- all steps ---- */

int backend_create(struct backend *b, const struct config_memdev *spec, struct kverr *err)
{
	bool created = false;
	uint64_t align;
	int flags, ret;
	void *p;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	snprintf(b->id, sizeof(b->id), "%s", spec->id);
	b->page_size = base_page_size();
	b->shared = spec->share;
	b->kind = spec->type == MEMDEV_RAM ? BACKEND_ANON : BACKEND_FD;

	if (spec->type == MEMDEV_MEMFD)
		ret = open_memfd(b, spec, err);
	else if (spec->type == MEMDEV_FILE)
		ret = open_file(b, spec, &created, err);
	else
		ret = 0;
	if (ret)
		goto fail;
	if (spec->size == 0 || spec->size % b->page_size) {
		ret = kverr_set(err, EINVAL,
				"memory backend '%s': size 0x%llx is not a multiple of the page "
				"size 0x%zx",
				b->id, (unsigned long long)spec->size, b->page_size);
		goto fail;
	}
	b->size = spec->size;
	if (b->fd >= 0) {
		struct stat st;

		if (fstat(b->fd, &st) == 0 && st.st_size == 0 &&
		    ftruncate(b->fd, (off_t)b->size) < 0) {
			ret = kverr_sys(err, errno, "memory backend '%s': cannot resize to 0x%llx",
					b->id, (unsigned long long)b->size);
			goto fail;
		}
		/* QEMU's seals: the size is fixed for good */
		if (spec->type == MEMDEV_MEMFD && spec->seal &&
		    fcntl(b->fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
			ret = kverr_sys(err, errno, "memory backend '%s': cannot seal the memfd",
					b->id);
			goto fail;
		}
	}

	/* 2 MiB at least, so transparent huge pages (anonymous or shmem) can
	 * back the guest; a huge page size or align= when larger. */
	align = b->size >= THP_ALIGN && b->page_size < THP_ALIGN ? THP_ALIGN : b->page_size;
	if (spec->type == MEMDEV_FILE && spec->align) {
		if (spec->align % b->page_size) {
			ret =
			    kverr_set(err, EINVAL,
				      "memory backend '%s': align 0x%llx must be a multiple of the "
				      "page size 0x%zx",
				      b->id, (unsigned long long)spec->align, b->page_size);
			goto fail;
		}
		if (spec->align > align)
			align = spec->align;
	}
	flags = b->shared ? MAP_SHARED : MAP_PRIVATE;
	if (b->kind == BACKEND_ANON)
		flags |= MAP_ANONYMOUS;
	if (!spec->reserve)
		flags |= MAP_NORESERVE;
	p = map_aligned(b->size, align, flags, b->fd);
	if (p == MAP_FAILED) {
		ret = -errno;
		if (b->hugetlb && errno == ENOMEM)
			hugepage_error(b, errno, "mapping", err);
		else
			kverr_sys(err, errno, "memory backend '%s': cannot map %llu MiB", b->id,
				  mib(b->size));
		goto fail;
	}
	b->hva = p;

	/* KSM skips what it cannot merge (shared or huge pages) and a kernel
	 * without KSM refuses the advice; neither is a reason to fail, as in
	 * QEMU, where merge=on is the default. */
	if (spec->merge)
		(void)madvise(b->hva, b->size, MADV_MERGEABLE);
	/* Anonymous guest RAM asks for transparent huge pages, as QEMU's does
	 * (fewer TLB and EPT misses for the guest); where THP is off or
	 * missing the advice changes nothing, so its failure is ignored. */
	if (b->kind == BACKEND_ANON && madvise(b->hva, b->size, MADV_HUGEPAGE) == 0 && !b->shared)
		b->thp_size = BACKEND_THP_SIZE;
	if (!spec->dump && madvise(b->hva, b->size, MADV_DONTDUMP) < 0) {
		ret = kverr_sys(err, errno, "memory backend '%s': madvise(MADV_DONTDUMP)", b->id);
		goto fail;
	}
	ret = bind_memory(b, spec, err);
	if (!ret && spec->prealloc)
		ret = backend_prealloc(b, spec->prealloc_threads, false, err);
	if (ret)
		goto fail;
	return 0;
fail:
	backend_destroy(b);
	if (created)
		unlink(spec->mem_path);
	return ret;
}

int backend_create_anon(struct backend *b, const char *id, uint64_t size, struct kverr *err)
{
	struct config_memdev spec;

	config_memdev_implicit(&spec, id, size);
	return backend_create(b, &spec, err);
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

int backend_populate(struct backend *b, uint64_t offset, uint64_t len, struct kverr *err)
{
	if (len == 0)
		return 0;
	if (offset % b->page_size || len % b->page_size || offset > b->size ||
	    len > b->size - offset)
		return kverr_set(err, EINVAL,
				 "memory backend '%s': populate of 0x%llx+0x%llx is not aligned to "
				 "its 0x%zx-byte pages inside 0x%llx bytes",
				 b->id, (unsigned long long)offset, (unsigned long long)len,
				 b->page_size, (unsigned long long)b->size);
	if (madvise(b->hva + offset, len, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno == EINVAL)
		return kverr_set(err, EOPNOTSUPP,
				 "memory backend '%s': preallocating needs MADV_POPULATE_WRITE "
				 "(Linux 5.14)",
				 b->id);
	if (b->hugetlb) {
		int e = errno;

		return kverr_set(err, e,
				 "memory backend '%s': preallocating 0x%llx+0x%llx: %s (%ld free "
				 "%zu kB huge pages in the pool)",
				 b->id, (unsigned long long)offset, (unsigned long long)len,
				 kv_strerror(e), free_hugepages(b->page_size), b->page_size >> 10);
	}
	return kverr_sys(err, errno, "memory backend '%s': preallocating 0x%llx+0x%llx", b->id,
			 (unsigned long long)offset, (unsigned long long)len);
}

int backend_discard(struct backend *b, uint64_t offset, uint64_t len, struct kverr *err)
{
	if (len == 0)
		return 0;
	if (offset % b->page_size || len % b->page_size || offset > b->size ||
	    len > b->size - offset)
		return kverr_set(err, EINVAL,
				 "memory backend '%s': discard of 0x%llx+0x%llx is not aligned to "
				 "its 0x%zx-byte pages inside 0x%llx bytes",
				 b->id, (unsigned long long)offset, (unsigned long long)len,
				 b->page_size, (unsigned long long)b->size);
	if (b->kind == BACKEND_FD) {
		if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
			      (off_t)len) < 0)
			return kverr_sys(err, errno,
					 "memory backend '%s': punch hole 0x%llx+0x%llx", b->id,
					 (unsigned long long)offset, (unsigned long long)len);
		/* A private mapping keeps its written pages as anonymous copies,
		 * which the hole does not reach. */
		if (!b->shared && madvise(b->hva + offset, len, MADV_DONTNEED) < 0)
			return kverr_sys(err, errno,
					 "memory backend '%s': MADV_DONTNEED 0x%llx+0x%llx", b->id,
					 (unsigned long long)offset, (unsigned long long)len);
		return 0;
	}
	if (madvise(b->hva + offset, len, b->shared ? MADV_REMOVE : MADV_DONTNEED) < 0)
		return kverr_sys(err, errno, "memory backend '%s': %s 0x%llx+0x%llx", b->id,
				 b->shared ? "MADV_REMOVE" : "MADV_DONTNEED",
				 (unsigned long long)offset, (unsigned long long)len);
	return 0;
}
