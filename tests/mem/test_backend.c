/* test_backend.c - host memory backends on real memory, checked the way a
 * user would check them: the mapping's Rss and VmFlags in
 * /proc/self/smaps, its policy in /proc/self/numa_maps, st_blocks of the
 * memfd or file, mincore() for page-cache residency, and the message when
 * huge pages run out.  No KVM needed; sizes stay small (a few MiB).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "mem/backend.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define SIZE (8 * MiB)

static struct config_memdev spec(enum memdev_type type, const char *id, uint64_t size)
{
	struct config_memdev md;

	/* start from what the parser gives for "-object memory-backend-X" */
	config_memdev_implicit(&md, id, size);
	md.type = type;
	md.reserve = true;
	md.share = type == MEMDEV_MEMFD;
	md.seal = type == MEMDEV_MEMFD;
	return md;
}

/* The smaps block of the mapping that starts at p: the value of `field`
 * ("Rss:") in kB, or with field "VmFlags:" whether flag is present. */
static long smaps_field(const void *p, const char *field, const char *flag)
{
	char line[512], start[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	bool inside = false;
	long val = -1;

	assert_non_null(f);
	snprintf(start, sizeof(start), "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof(line), f)) {
		/* a mapping's header starts with its address (lowercase hex),
		 * its fields with a capital letter */
		if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) {
			inside = !strncmp(line, start, strlen(start));
			continue;
		}
		if (!inside || strncmp(line, field, strlen(field)))
			continue;
		if (flag) {
			char word[8];
			const char *s = line + strlen(field);
			int n;

			val = 0;
			while (sscanf(s, " %7s%n", word, &n) == 1) {
				if (!strcmp(word, flag))
					val = 1;
				s += n;
			}
		} else {
			val = strtol(line + strlen(field), NULL, 10);
		}
		break;
	}
	fclose(f);
	return val;
}

static long rss_kb(const struct backend *b)
{
	return smaps_field(b->hva, "Rss:", NULL);
}

static bool vmflag(const struct backend *b, const char *flag)
{
	long v = smaps_field(b->hva, "VmFlags:", flag);

	assert_true(v >= 0); /* the mapping was found */
	return v == 1;
}

/* Pages of [p, p+len) in memory (page cache included, unlike Rss). */
static size_t resident_pages(const void *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = len / pg, count = 0;
	unsigned char *vec = malloc(n);

	assert_non_null(vec);
	assert_int_equal(mincore((void *)p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

static uint64_t allocated_bytes(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* ---- what the host must offer: the cases that need it run one at a time ---- */

/* Some cases need something of the host that a test cannot assume: NUMA,
 * or a 2 MiB huge page pool in a given state.  Each runs as its own meson
 * test (`test_backend NAME`, see main()); a host without what it needs
 * makes it print "SKIP: why" and exit 77, which meson counts as skipped,
 * so that a skip is never hidden inside a passing test. */
#define SKIP_STATUS 77

#define POOL_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB/"
/* The pool belongs to the whole host: every huge-page case takes this lock
 * (test runs of other build trees and worktrees included), so that pages one
 * case reserves never show up in another's counts. */
#define POOL_LOCK "/tmp/kvmem-test-hugepages.lock"

static char why_not[512];
static int pool_lock_fd = -1;
static long pool_nr_saved = -1; /* nr_hugepages to give back, or -1 */
static long pool_free_found;	/* free pages when the case started */

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -errno;
	errno = 0;
	ok = fprintf(f, "%ld\n", v) > 0;
	if (fclose(f) || !ok) /* sysfs refuses at the flush */
		return errno ? -errno : -EIO;
	return 0;
}

static long free_2m_hugepages(void)
{
	return read_long(POOL_DIR "free_hugepages");
}

static const char *need_numa(void)
{
	if (access("/sys/devices/system/node/node0", F_OK))
		return "the host kernel shows no NUMA node (no /sys/devices/system/node/node0)";
	if (access("/proc/self/numa_maps", F_OK))
		return "no /proc/self/numa_maps (a kernel without CONFIG_NUMA)";
	return NULL;
}

/* Takes the pool lock and notes the free pages; a reason if there is no
 * 2 MiB pool at all. */
static const char *pool_take(void)
{
	pool_lock_fd = open(POOL_LOCK, O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
	if (pool_lock_fd < 0 || flock(pool_lock_fd, LOCK_EX)) {
		snprintf(why_not, sizeof(why_not), "cannot lock %s: %s", POOL_LOCK,
			 strerror(errno));
		return why_not;
	}
	pool_free_found = free_2m_hugepages();
	if (pool_free_found < 0)
		return "the host has no 2 MiB huge page pool (no " POOL_DIR ")";
	return NULL;
}

/* Gives back what the case reserved, and the lock. */
static void pool_release(void)
{
	if (pool_nr_saved >= 0 && write_long(POOL_DIR "nr_hugepages", pool_nr_saved))
		fprintf(stderr, "test_backend: could not give back the huge pages: set %s to %ld\n",
			POOL_DIR "nr_hugepages", pool_nr_saved);
	pool_nr_saved = -1;
	if (pool_lock_fd >= 0)
		close(pool_lock_fd);
	pool_lock_fd = -1;
}

/* The exhaustion case asks for 4 pages more than the pool has free: it
 * needs only that the pool is small enough to exhaust quickly. */
static const char *need_pool_to_exhaust(void)
{
	const char *why = pool_take();

	if (!why && pool_free_found > 64) {
		snprintf(why_not, sizeof(why_not),
			 "the 2 MiB pool has %ld free pages; exhausting it would take %ld MiB",
			 pool_free_found, (pool_free_found + 4) * 2);
		why = why_not;
	}
	return why;
}

/* The discard case needs 4 free pages: as root it reserves the missing ones
 * for itself (pool_release() gives them back), which CI does. */
static const char *need_4_free_pages(void)
{
	const char *why = pool_take();
	long nr, got;
	int ret;

	if (why || pool_free_found >= 4)
		return why;
	if (geteuid() != 0) {
		snprintf(
		    why_not, sizeof(why_not),
		    "needs 4 free 2 MiB huge pages, the pool has %ld and only root can reserve "
		    "more (echo 4 > %snr_hugepages)",
		    pool_free_found, POOL_DIR);
		return why_not;
	}
	nr = read_long(POOL_DIR "nr_hugepages");
	ret = nr < 0 ? -ENOENT : write_long(POOL_DIR "nr_hugepages", nr + 4 - pool_free_found);
	if (ret) {
		snprintf(why_not, sizeof(why_not),
			 "cannot reserve 4 huge pages in %snr_hugepages: %s", POOL_DIR,
			 strerror(-ret));
		return why_not;
	}
	pool_nr_saved = nr;
	got = free_2m_hugepages();
	if (got < 4) {
		snprintf(
		    why_not, sizeof(why_not),
		    "the kernel gave only %ld free 2 MiB huge pages of 4 (memory too fragmented?)",
		    got);
		return why_not;
	}
	return NULL;
}

/* Where file backends go: tmpfs, as memory backends usually are, so that
 * st_blocks counts pages exactly (a disk file system's delayed allocation
 * may briefly report fewer blocks than the pages written). */
static const char *scratch_dir(void)
{
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* ---- prealloc ---- */

static void check_prealloc(struct config_memdev md, bool touch)
{
	struct backend b;
	struct kverr err = {{0}};

	md.prealloc = !touch;
	md.prealloc_threads = 4;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	if (touch) {
		assert_int_equal(rss_kb(&b), 0); /* nothing allocated until asked */
		assert_int_equal(backend_prealloc(&b, 3, true, &err), 0);
	}
	if (rss_kb(&b) != (long)(SIZE / KiB))
		fail_msg("%s (touch=%d): Rss %ld kB after prealloc", md.id, touch, rss_kb(&b));
	/* the file holds the guest's pages only when mapped shared; a private
	 * mapping's written pages are anonymous copies (counted in Rss) */
	if (b.fd >= 0 && b.shared && allocated_bytes(b.fd) != SIZE)
		fail_msg("%s (touch=%d): %llu bytes allocated in the file after prealloc", md.id,
			 touch, (unsigned long long)allocated_bytes(b.fd));
	backend_destroy(&b);
}

static void test_prealloc_every_kind(void **state)
{
	char dir[64];
	struct config_memdev md;

	(void)state;
	for (int touch = 0; touch < 2; touch++) {
		check_prealloc(spec(MEMDEV_RAM, "ram", SIZE), touch);
		md = spec(MEMDEV_RAM, "ram-shared", SIZE);
		md.share = true;
		check_prealloc(md, touch);
		check_prealloc(spec(MEMDEV_MEMFD, "memfd", SIZE), touch);
		md = spec(MEMDEV_MEMFD, "memfd-private", SIZE);
		md.share = false;
		check_prealloc(md, touch);
		snprintf(dir, sizeof(dir), "%s/kvmem-backend-XXXXXX", scratch_dir());
		assert_non_null(mkdtemp(dir));
		md = spec(MEMDEV_FILE, "file", SIZE);
		md.mem_path = dir;
		md.share = true;
		check_prealloc(md, touch);
		/* a directory gets an unlinked temporary file: nothing left */
		assert_int_equal(rmdir(dir), 0);
	}
}

/* prealloc of a file that holds data keeps the data */
static void test_prealloc_keeps_file_data(void **state)
{
	char path[64];
	int fd;
	struct config_memdev md = spec(MEMDEV_FILE, "data", SIZE);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	snprintf(path, sizeof(path), "%s/kvmem-backend-file-XXXXXX", scratch_dir());
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SIZE), 0);
	assert_int_equal(pwrite(fd, "kvmem", 5, SIZE - 4096), 5);
	close(fd);
	md.mem_path = path;
	md.share = true;
	md.prealloc = true;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_memory_equal(b.hva + SIZE - 4096, "kvmem", 5);
	assert_int_equal(backend_prealloc(&b, 2, true, &err), 0); /* and by touching */
	assert_memory_equal(b.hva + SIZE - 4096, "kvmem", 5);
	backend_destroy(&b);

	/* a file too small for size is refused, never truncated */
	md.size = 2 * SIZE;
	assert_int_equal(backend_create(&b, &md, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "does not match"));
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);

	/* a missing file is created, and removed again when the backend
	 * fails (here: bound to a node no host has) */
	md.size = SIZE;
	md.prealloc = false;
	md.policy = MEMDEV_POLICY_BIND;
	md.host_nodes = 1ULL << 63;
	assert_true(backend_create(&b, &md, &err) < 0);
	assert_int_equal(access(path, F_OK), -1);
	md.policy = MEMDEV_POLICY_DEFAULT;
	md.host_nodes = 0;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	backend_destroy(&b);
	assert_int_equal(access(path, F_OK), 0); /* a file the user named stays */
	unlink(path);
}

/* ---- populate (virtio-mem's prealloc=on) ---- */

static void test_populate_range(void **state)
{
	struct config_memdev md = spec(MEMDEV_RAM, "ram", SIZE);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_int_equal(resident_pages(b.hva, SIZE), 0);
	/* exactly the range, nothing around it */
	assert_int_equal(backend_populate(&b, 2 * MiB, 2 * MiB, &err), 0);
	assert_int_equal(resident_pages(b.hva + 2 * MiB, 2 * MiB), 2 * MiB / 4096);
	assert_int_equal(resident_pages(b.hva, 2 * MiB), 0);
	assert_int_equal(resident_pages(b.hva + 4 * MiB, SIZE - 4 * MiB), 0);
	/* outside or unaligned: refused, nothing done */
	assert_int_equal(backend_populate(&b, SIZE - 4096, 8192, &err), -EINVAL);
	assert_int_equal(backend_populate(&b, 100, 4096, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "populate of 0x64+0x1000"));
	backend_destroy(&b);
}

/* ---- discard ---- */

static void test_discard_private_anon(void **state)
{
	struct config_memdev md = spec(MEMDEV_RAM, "ram", SIZE);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	md.prealloc = true;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	memset(b.hva, 0xaa, SIZE);
	assert_int_equal(backend_discard(&b, 0, 2 * MiB, &err), 0);
	assert_int_equal(rss_kb(&b), (long)((SIZE - 2 * MiB) / KiB));
	assert_int_equal(b.hva[0], 0);
	assert_int_equal(b.hva[2 * MiB - 1], 0);
	assert_int_equal(b.hva[2 * MiB], 0xaa);
	backend_destroy(&b);
}

static void test_discard_shared_anon_frees_shmem(void **state)
{
	struct config_memdev md = spec(MEMDEV_RAM, "ram-shared", SIZE);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	md.share = true;
	md.prealloc = true;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_true(vmflag(&b, "sh"));
	memset(b.hva, 0x55, SIZE);
	assert_int_equal(resident_pages(b.hva, SIZE), SIZE / 4096);
	assert_int_equal(backend_discard(&b, 4 * MiB, 4 * MiB, &err), 0);
	/* MADV_REMOVE freed the shmem pages, not just unmapped them */
	assert_int_equal(resident_pages(b.hva, SIZE), (4 * MiB) / 4096);
	assert_int_equal(b.hva[4 * MiB], 0);
	assert_int_equal(b.hva[0], 0x55);
	backend_destroy(&b);
}

static void test_discard_memfd_punches_holes(void **state)
{
	struct config_memdev md = spec(MEMDEV_MEMFD, "memfd", SIZE);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	md.prealloc = true;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	memset(b.hva, 0x11, SIZE);
	assert_int_equal(allocated_bytes(b.fd), SIZE);
	assert_int_equal(backend_discard(&b, 1 * MiB, 3 * MiB, &err), 0);
	assert_int_equal(allocated_bytes(b.fd), SIZE - 3 * MiB);
	assert_int_equal(rss_kb(&b), (long)((SIZE - 3 * MiB) / KiB));
	assert_int_equal(b.hva[1 * MiB], 0);
	assert_int_equal(b.hva[0], 0x11);
	backend_destroy(&b);

	/* a private mapping of the memfd: written pages are anonymous copies,
	 * the discard must drop them as well */
	md.share = false;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	memset(b.hva, 0x22, SIZE);
	assert_int_equal(rss_kb(&b), (long)(SIZE / KiB));
	assert_int_equal(backend_discard(&b, 0, SIZE, &err), 0);
	assert_int_equal(rss_kb(&b), 0);
	assert_int_equal(b.hva[SIZE - 1], 0);
	backend_destroy(&b);
}

static void test_discard_checks_range(void **state)
{
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	assert_int_equal(backend_create_anon(&b, "pc.ram", SIZE, &err), 0);
	assert_int_equal(backend_discard(&b, 100, 4096, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "pc.ram"));
	assert_int_equal(backend_discard(&b, 0, SIZE + 4096, &err), -EINVAL);
	assert_int_equal(backend_discard(&b, SIZE, 4096, &err), -EINVAL);
	assert_int_equal(backend_discard(&b, 0, 0, &err), 0);
	backend_destroy(&b);
}

/* ---- flags, seals, alignment, policy ---- */

static void test_madvise_flags(void **state)
{
	struct config_memdev md = spec(MEMDEV_RAM, "ram", SIZE);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	/* QEMU's defaults: merge=on, dump=on, reserve=on */
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_true(vmflag(&b, "mg"));
	assert_false(vmflag(&b, "dd"));
	assert_false(vmflag(&b, "nr"));
	assert_false(vmflag(&b, "sh"));
	/* anonymous RAM is aligned for transparent huge pages and asks for
	 * them (VmFlags "hg"), where the kernel has THP */
	assert_int_equal((uintptr_t)b.hva % (2 * MiB), 0);
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0)
		assert_true(vmflag(&b, "hg"));
	backend_destroy(&b);

	md.merge = false;
	md.dump = false;
	md.reserve = false;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_false(vmflag(&b, "mg"));
	assert_true(vmflag(&b, "dd"));
	assert_true(vmflag(&b, "nr"));
	backend_destroy(&b);

	/* -m's implicit backend: MAP_NORESERVE, mergeable */
	assert_int_equal(backend_create_anon(&b, "pc.ram", SIZE, &err), 0);
	assert_true(vmflag(&b, "nr"));
	assert_true(vmflag(&b, "mg"));
	backend_destroy(&b);
}

static void test_memfd_seals(void **state)
{
	struct config_memdev md = spec(MEMDEV_MEMFD, "sealed", SIZE);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_int_equal(fcntl(b.fd, F_GET_SEALS), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	assert_int_equal(ftruncate(b.fd, 2 * SIZE), -1);
	assert_true(vmflag(&b, "sh"));			   /* memfd is shared by default */
	assert_int_equal((uintptr_t)b.hva % (2 * MiB), 0); /* room for shmem THP */
	backend_destroy(&b);

	md.seal = false;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_int_equal(fcntl(b.fd, F_GET_SEALS), F_SEAL_SEAL); /* not sealable at all */
	backend_destroy(&b);
}

static void test_file_align(void **state)
{
	char dir[64];
	struct config_memdev md = spec(MEMDEV_FILE, "aligned", SIZE);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	snprintf(dir, sizeof(dir), "%s/kvmem-backend-XXXXXX", scratch_dir());
	assert_non_null(mkdtemp(dir));
	md.mem_path = dir;
	md.align = 64 * MiB;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_int_equal((uintptr_t)b.hva % (64 * MiB), 0);
	backend_destroy(&b);
	md.align = 2048; /* below the page size */
	assert_int_equal(backend_create(&b, &md, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "page size"));
	rmdir(dir);

	md = spec(MEMDEV_RAM, "odd", SIZE + 100);
	assert_int_equal(backend_create(&b, &md, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'odd'"));
	assert_non_null(strstr(err.msg, "page size"));
}

static bool numa_maps_has(const void *p, const char *word)
{
	char line[1024], start[32];
	FILE *f = fopen("/proc/self/numa_maps", "r");
	bool found = false;

	assert_non_null(f);
	snprintf(start, sizeof(start), "%lx ", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, start, strlen(start)))
			found = strstr(line, word) != NULL;
	fclose(f);
	return found;
}

static void test_mbind_before_prealloc(void **state)
{
	struct config_memdev md = spec(MEMDEV_RAM, "bound", SIZE);
	struct backend b;
	struct kverr err = {{0}};
	char pages[32];

	(void)state;
	md.policy = MEMDEV_POLICY_BIND;
	md.host_nodes = 1; /* node 0: every NUMA host has it */
	md.prealloc = true;
	md.merge = false; /* KSM could move pages; keep the count exact */
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_true(numa_maps_has(b.hva, "bind:0"));
	/* every page was allocated under the policy, on node 0 */
	snprintf(pages, sizeof(pages), "N0=%llu", (unsigned long long)(SIZE / 4096));
	if (!numa_maps_has(b.hva, pages)) {
		/* THP: the pages may be counted as huge pages */
		snprintf(pages, sizeof(pages), "N0=%llu", (unsigned long long)(SIZE / (2 * MiB)));
		assert_true(numa_maps_has(b.hva, pages));
	}
	backend_destroy(&b);

	md.policy = MEMDEV_POLICY_INTERLEAVE;
	md.prealloc = false;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_true(numa_maps_has(b.hva, "interleave:0"));
	backend_destroy(&b);

	md.policy = MEMDEV_POLICY_PREFERRED;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_true(numa_maps_has(b.hva, "prefer:0"));
	backend_destroy(&b);

	/* a node the host does not have: the message names it and the policy */
	md.policy = MEMDEV_POLICY_BIND;
	md.host_nodes = 1ULL << 63;
	assert_true(backend_create(&b, &md, &err) < 0);
	assert_non_null(strstr(err.msg, "host NUMA nodes 63"));
	assert_non_null(strstr(err.msg, "policy=bind"));
	assert_null(b.hva);
	assert_int_equal(b.fd, -1);
}

/* Out of huge pages: a message naming the pool, never a SIGBUS.  Asks for 4
 * pages more than the pool has free (need_pool_to_exhaust()). */
static void test_hugetlb_exhausted(void **state)
{
	long want = pool_free_found + 4;
	struct config_memdev md = spec(MEMDEV_MEMFD, "huge", (uint64_t)want * 2 * MiB);
	struct backend b;
	struct kverr err = {{0}};
	char counts[64];

	(void)state;
	md.hugetlb = true;
	md.hugetlbsize = 2 * MiB;
	/* reserve=on: the kernel reserves the pages at mmap time */
	assert_true(backend_create(&b, &md, &err) < 0);
	assert_non_null(strstr(err.msg, "'huge'"));
	assert_non_null(strstr(err.msg, "huge pages"));
	snprintf(counts, sizeof(counts), "%ld needed, %ld free", want, pool_free_found);
	assert_non_null(strstr(err.msg, counts));
	assert_int_equal(b.fd, -1);

	/* reserve=off maps without pages; prealloc then fails cleanly, with
	 * MADV_POPULATE_WRITE and with the touching fallback (SIGBUS caught) */
	md.reserve = false;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_int_equal(b.page_size, 2 * MiB);
	for (int touch = 0; touch < 2; touch++) {
		memset(&err, 0, sizeof(err));
		assert_true(backend_prealloc(&b, 2, touch, &err) < 0);
		assert_non_null(strstr(err.msg, "preallocating"));
		assert_non_null(strstr(err.msg, "nr_hugepages"));
	}
	backend_destroy(&b);
}

/* Discard in units of huge pages, on 4 free 2 MiB pages (need_4_free_pages()). */
static void test_hugetlb_discard(void **state)
{
	struct config_memdev md = spec(MEMDEV_MEMFD, "huge", 8 * MiB);
	struct backend b;
	struct kverr err = {{0}};

	(void)state;
	md.hugetlb = true;
	md.hugetlbsize = 2 * MiB;
	md.prealloc = true;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	assert_int_equal(b.page_size, 2 * MiB);
	assert_true(vmflag(&b, "ht"));
	memset(b.hva, 0x33, 8 * MiB);
	assert_int_equal(allocated_bytes(b.fd), 8 * MiB);
	assert_int_equal(backend_discard(&b, 4096, 4096, &err), -EINVAL); /* not a huge page */
	assert_non_null(strstr(err.msg, "0x200000-byte pages"));
	assert_int_equal(backend_discard(&b, 2 * MiB, 2 * MiB, &err), 0);
	assert_int_equal(allocated_bytes(b.fd), 6 * MiB);
	assert_int_equal(b.hva[2 * MiB], 0);
	assert_int_equal(b.hva[4 * MiB], 0x33);
	backend_destroy(&b);

	/* private: the guest's copies go as well */
	md.share = false;
	assert_int_equal(backend_create(&b, &md, &err), 0);
	memset(b.hva, 0x44, 8 * MiB);
	assert_int_equal(backend_discard(&b, 0, 2 * MiB, &err), 0);
	assert_int_equal(b.hva[0], 0);
	assert_int_equal(b.hva[2 * MiB], 0x44);
	backend_destroy(&b);
}

/* The host-dependent cases, each a meson test of its own (meson.build). */
struct host_case {
	const char *name;
	const char *(*prepare)(void); /* why this host cannot run it, or NULL */
	struct CMUnitTest test;
};

static const struct host_case host_cases[] = {
    {"mbind", need_numa, cmocka_unit_test(test_mbind_before_prealloc)},
    {"hugetlb-exhausted", need_pool_to_exhaust, cmocka_unit_test(test_hugetlb_exhausted)},
    {"hugetlb-discard", need_4_free_pages, cmocka_unit_test(test_hugetlb_discard)},
};

/* test_backend: every case any Linux host runs.
 * test_backend NAME: one of host_cases, or exit 77 saying why not. */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prealloc_every_kind),
	    cmocka_unit_test(test_prealloc_keeps_file_data),
	    cmocka_unit_test(test_populate_range),
	    cmocka_unit_test(test_discard_private_anon),
	    cmocka_unit_test(test_discard_shared_anon_frees_shmem),
	    cmocka_unit_test(test_discard_memfd_punches_holes),
	    cmocka_unit_test(test_discard_checks_range),
	    cmocka_unit_test(test_madvise_flags),
	    cmocka_unit_test(test_memfd_seals),
	    cmocka_unit_test(test_file_align),
	};

	if (argc == 1)
		return cmocka_run_group_tests(tests, NULL, NULL);
	for (size_t i = 0; argc == 2 && i < sizeof(host_cases) / sizeof(host_cases[0]); i++) {
		struct CMUnitTest one[1] = {host_cases[i].test};
		const char *why;
		int ret;

		if (strcmp(argv[1], host_cases[i].name))
			continue;
		why = host_cases[i].prepare();
		if (why) {
			printf("SKIP: %s\n", why);
			pool_release();
			return SKIP_STATUS;
		}
		ret = cmocka_run_group_tests_name(host_cases[i].name, one, NULL, NULL);
		pool_release();
		return ret;
	}
	fprintf(stderr, "usage: %s [mbind|hugetlb-exhausted|hugetlb-discard]\n", argv[0]);
	return 2;
}
