/* test_manager_threads.c - the memory manager while threads read it.
 *
 * A region is added and removed over and over while reader threads copy
 * across it and hold pointers into it, and after each removal the test
 * poisons and munmaps the region's memory, as a DIMM's owner does: a
 * reader that could still reach a removed region reads poison (counted as
 * a violation) or faults.  Readers must never wait for a writer, and a
 * writer must wait for the readers that can see what it removes.
 * scripts/test.sh also runs this under ThreadSanitizer (build-tsan/).
 * cmocka's asserts only work on the test's own thread: the other threads
 * record what went wrong and the test checks it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem/epoch.h"
#include "mem/manager.h"

#define MiB (1ULL << 20)
#define HOT_GPA MiB /* the region that comes and goes, right after base */
#define HOT_SIZE MiB
#define BASE_BYTE 0xab
#define POISON 0xdd
#define NR_READERS 3

static uint8_t base_mem[MiB] __attribute__((aligned(4096)));
static struct backend base_backend = {
    .id = "base", .size = sizeof(base_mem), .page_size = 4096, .fd = -1, .hva = base_mem};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct shared {
	struct mem_manager *mm;
	atomic_bool stop;
	atomic_ulong hits, misses, violations, cycles;
	char why[256];
	pthread_mutex_t why_lock;
};

static void violation(struct shared *s, const char *fmt, unsigned a, unsigned b)
{
	pthread_mutex_lock(&s->why_lock);
	if (!s->why[0])
		snprintf(s->why, sizeof(s->why), fmt, a, b);
	pthread_mutex_unlock(&s->why_lock);
	atomic_fetch_add(&s->violations, 1);
}

/* Copies across base and hot, and reads through a pointer held for a
 * while: what it sees must be one incarnation's bytes, never poison. */
static void *reader(void *arg)
{
	struct shared *s = arg;
	uint8_t buf[8192];
	struct kverr err;

	while (!atomic_load(&s->stop)) {
		const struct mem_view *v;
		volatile uint8_t *p;
		uint8_t first;

		if (mem_read(s->mm, HOT_GPA - 4096, buf, sizeof(buf), &err) == 0) {
			atomic_fetch_add(&s->hits, 1);
			if (buf[0] != BASE_BYTE || buf[4095] != BASE_BYTE)
				violation(s, "base read 0x%x 0x%x", buf[0], buf[4095]);
			for (unsigned i = 4096; i < sizeof(buf); i++)
				if (buf[i] != buf[4096] || buf[i] == POISON || buf[i] == 0) {
					violation(s, "hot copy: byte 0x%x after 0x%x", buf[i],
						  buf[4096]);
					break;
				}
		} else {
			atomic_fetch_add(&s->misses, 1);
		}

		v = mem_view_begin(s->mm);
		p = mem_view_ptr(v, HOT_GPA + HOT_SIZE - 64, 64);
		if (p) {
			first = p[0];
			for (unsigned spin = 0; spin < 200; spin++)
				if (p[spin % 64] != first || first == POISON)
					violation(s, "hot pointer: 0x%x, first 0x%x", p[spin % 64],
						  first);
		}
		mem_view_end(s->mm);
	}
	return NULL;
}

#define MIN_CYCLES 20 /* a writer that waits on preempted readers is slow on 2 busy cores */
#define MAX_CYCLES 500

/* Add hot with fresh memory, let readers at it, remove it, poison and
 * unmap its memory: for 2 s and at least MIN_CYCLES times. */
static void *writer(void *arg)
{
	struct shared *s = arg;
	double end = now() + 2;
	struct kverr err;

	for (unsigned gen = 1; gen <= MAX_CYCLES && (gen <= MIN_CYCLES || now() < end); gen++) {
		struct backend b = {.size = HOT_SIZE, .page_size = 4096, .fd = -1};
		struct mem_region_spec spec = {.name = "hot",
					       .kind = MEM_REGION_DIMM,
					       .gpa = HOT_GPA,
					       .size = HOT_SIZE,
					       .backend = &b};
		struct mem_region *r;
		uint8_t fill = (uint8_t)(gen % 200 + 1); /* never 0, never POISON */

		snprintf(b.id, sizeof(b.id), "hot%u", gen);
		b.hva = mmap(NULL, HOT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
		if (b.hva == MAP_FAILED) {
			violation(s, "mmap failed (%u%u)", 0, 0);
			break;
		}
		memset(b.hva, fill, HOT_SIZE);
		if (mem_manager_add(s->mm, &spec, &r, &err)) {
			violation(s, "add failed in cycle %u (%u)", gen, 0);
			break;
		}
		usleep(200);
		if (mem_manager_remove(s->mm, r, &err))
			violation(s, "remove failed in cycle %u (%u)", gen, 0);
		/* no reader can reach it now */
		memset(b.hva, POISON, HOT_SIZE);
		munmap(b.hva, HOT_SIZE);
		atomic_fetch_add(&s->cycles, 1);
		usleep(100);
	}
	atomic_store(&s->stop, true);
	return NULL;
}

static void test_add_remove_under_readers(void **state)
{
	struct shared s = {0};
	struct mem_region_spec spec = {
	    .name = "base", .gpa = 0, .size = MiB, .backend = &base_backend};
	pthread_t rd[NR_READERS], wr;
	struct kverr err;
	(void)state;

	memset(base_mem, BASE_BYTE, sizeof(base_mem));
	pthread_mutex_init(&s.why_lock, NULL);
	assert_int_equal(mem_manager_create(&s.mm, NULL, &err), 0);
	assert_int_equal(mem_manager_add(s.mm, &spec, NULL, &err), 0);
	for (unsigned i = 0; i < NR_READERS; i++)
		assert_int_equal(pthread_create(&rd[i], NULL, reader, &s), 0);
	assert_int_equal(pthread_create(&wr, NULL, writer, &s), 0);
	pthread_join(wr, NULL);
	for (unsigned i = 0; i < NR_READERS; i++)
		pthread_join(rd[i], NULL);
	print_message("%lu add/remove cycles, %lu copies found the region, %lu did not\n",
		      atomic_load(&s.cycles), atomic_load(&s.hits), atomic_load(&s.misses));
	if (atomic_load(&s.violations))
		fail_msg("%lu violations, first: %s", atomic_load(&s.violations), s.why);
	/* the race was really run, both ways */
	assert_true(atomic_load(&s.cycles) >= MIN_CYCLES);
	assert_true(atomic_load(&s.hits) > 0);
	assert_true(atomic_load(&s.misses) > 0);
	mem_manager_destroy(s.mm);
	pthread_mutex_destroy(&s.why_lock);
}

/* ---- a writer waits for the reader that can see the old view ---- */

struct hold {
	struct mem_manager *mm;
	struct mem_region *r;
	atomic_bool inside, leave, removed, reader_ok;
	atomic_ulong other_reads;
	int remove_ret;
};

static void *holding_reader(void *arg)
{
	struct hold *h = arg;
	const struct mem_view *v = mem_view_begin(h->mm);
	bool ok = mem_view_find(v, HOT_GPA) != NULL;
	volatile uint8_t *p;

	atomic_store(&h->inside, true);
	while (!atomic_load(&h->leave))
		usleep(1000);
	/* still there, whatever the writer did meanwhile */
	p = mem_view_ptr(v, HOT_GPA, 1);
	atomic_store(&h->reader_ok, ok && mem_view_find(v, HOT_GPA) && p && *p == 0x5a);
	mem_view_end(h->mm);
	return NULL;
}

static void *remover(void *arg)
{
	struct hold *h = arg;
	struct kverr err;

	h->remove_ret = mem_manager_remove(h->mm, h->r, &err);
	atomic_store(&h->removed, true);
	return NULL;
}

static void *quick_reader(void *arg)
{
	struct hold *h = arg;
	uint8_t b;
	struct kverr err;

	for (unsigned i = 0; i < 2000; i++) {
		mem_read(h->mm, 0, &b, 1, &err);
		atomic_fetch_add(&h->other_reads, 1);
	}
	return NULL;
}

static void test_remove_waits_for_reader(void **state)
{
	static uint8_t hot_mem[MiB] __attribute__((aligned(4096)));
	struct backend hb = {.id = "hot", .size = MiB, .page_size = 4096, .fd = -1, .hva = hot_mem};
	struct mem_region_spec base = {
	    .name = "base", .gpa = 0, .size = MiB, .backend = &base_backend};
	struct mem_region_spec hot = {.name = "hot", .gpa = HOT_GPA, .size = MiB, .backend = &hb};
	struct hold h = {0};
	pthread_t rd, wr, quick;
	const struct mem_view *v;
	struct kverr err;
	(void)state;

	memset(hot_mem, 0x5a, sizeof(hot_mem));
	assert_int_equal(mem_manager_create(&h.mm, NULL, &err), 0);
	assert_int_equal(mem_manager_add(h.mm, &base, NULL, &err), 0);
	assert_int_equal(mem_manager_add(h.mm, &hot, &h.r, &err), 0);
	assert_int_equal(pthread_create(&rd, NULL, holding_reader, &h), 0);
	while (!atomic_load(&h.inside))
		usleep(1000);
	assert_int_equal(pthread_create(&wr, NULL, remover, &h), 0);
	usleep(200000);
	/* the remover has unpublished the region but waits for the reader */
	assert_false(atomic_load(&h.removed));
	v = mem_view_begin(h.mm);
	assert_null(mem_view_find(v, HOT_GPA)); /* new readers no longer see it */
	mem_view_end(h.mm);
	/* and new readers do not wait for the waiting writer */
	assert_int_equal(pthread_create(&quick, NULL, quick_reader, &h), 0);
	pthread_join(quick, NULL);
	assert_int_equal(atomic_load(&h.other_reads), 2000);
	assert_false(atomic_load(&h.removed));
	atomic_store(&h.leave, true);
	pthread_join(rd, NULL);
	pthread_join(wr, NULL);
	assert_true(atomic_load(&h.reader_ok));
	assert_true(atomic_load(&h.removed));
	assert_int_equal(h.remove_ret, 0);
	mem_manager_destroy(h.mm);
}

/* A writer inside its own read section would wait for itself. */
static void test_writer_inside_read_section(void **state)
{
	struct mem_region_spec base = {
	    .name = "base", .gpa = 0, .size = MiB, .backend = &base_backend};
	struct mem_manager *mm;
	struct mem_region *r;
	struct kverr err;
	(void)state;

	assert_int_equal(mem_manager_create(&mm, NULL, &err), 0);
	assert_int_equal(mem_manager_add(mm, &base, &r, &err), 0);
	mem_view_begin(mm);
	mem_view_begin(mm); /* nested */
	assert_true(epoch_in_read());
	assert_int_equal(mem_manager_remove(mm, r, &err), -EDEADLK);
	mem_view_end(mm);
	base.name = "other";
	base.gpa = 16 * MiB;
	assert_int_equal(mem_manager_add(mm, &base, NULL, &err), -EDEADLK);
	assert_int_equal(epoch_synchronize(), -EDEADLK);
	mem_view_end(mm);
	assert_false(epoch_in_read());
	assert_int_equal(mem_manager_remove(mm, r, &err), 0);
	mem_manager_destroy(mm);
}

/* Threads come and go (vCPUs across resets, device workers): each one's
 * record goes back when it exits, well past the table's size. */
static void *one_read(void *arg)
{
	struct mem_manager *mm = arg;
	uint8_t b = 0;
	struct kverr err;

	/* non-NULL: it failed */
	return mem_read(mm, 5, &b, 1, &err) == 0 && b == BASE_BYTE ? NULL : arg;
}

static void test_reader_threads_come_and_go(void **state)
{
	struct mem_region_spec base = {
	    .name = "base", .gpa = 0, .size = MiB, .backend = &base_backend};
	struct mem_manager *mm;
	struct kverr err;
	(void)state;

	memset(base_mem, BASE_BYTE, sizeof(base_mem));
	assert_int_equal(mem_manager_create(&mm, NULL, &err), 0);
	assert_int_equal(mem_manager_add(mm, &base, NULL, &err), 0);
	for (unsigned i = 0; i < EPOCH_MAX_READERS + 200; i += 8) {
		pthread_t t[8];
		for (unsigned j = 0; j < 8; j++)
			assert_int_equal(pthread_create(&t[j], NULL, one_read, mm), 0);
		for (unsigned j = 0; j < 8; j++) {
			void *failed;
			pthread_join(t[j], &failed);
			assert_null(failed);
		}
	}
	/* a writer still finishes: no record is left looking busy */
	base.name = "more";
	base.gpa = 8 * MiB;
	assert_int_equal(mem_manager_add(mm, &base, NULL, &err), 0);
	mem_manager_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_remove_under_readers),
	    cmocka_unit_test(test_remove_waits_for_reader),
	    cmocka_unit_test(test_writer_inside_read_section),
	    cmocka_unit_test(test_reader_threads_come_and_go),
	};
	return cmocka_run_group_tests_name("manager-threads", tests, NULL, NULL);
}
