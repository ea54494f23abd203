/* test_balloon.c - virtio-balloon driven as Linux 6.1's virtio_balloon
 * driver drives it, over the real PCI transport, with a memory manager
 * that records what it is asked: PFNs arrive sorted and merged into
 * ranges, `actual` makes BALLOON_CHANGE, statistics come and go with the
 * polling timer, reported pages are discarded unless the guest poisons
 * free pages, refusals are logged once, and a machine reset gives every
 * page back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/ram_region.h"
#include "virtio/balloon.h"
#include "virtio/virtio.h"

#define RAM_SIZE (4u << 20) /* what the test maps; the guest "has" 1 GiB */
#define GUEST_RAM (1ULL << 30)
#define QSIZE 16
#define RING(q) (0x10000 + (q)*0x4000) /* desc; avail +0x1000, used +0x2000 */
#define DATA 0x100000

/* ---- the memory manager the balloon talks to ---- */

struct call {
	char what;
	uint64_t gpa, len;
};

struct fake_mem {
	pthread_mutex_t lock;
	struct call call[64];
	unsigned ncalls, resets, changes;
	uint64_t last_change;
	atomic_uint sweeps;
	unsigned resets_at_sweep; /* resets before the last sweep */
};

static void record(struct fake_mem *m, char what, uint64_t gpa, uint64_t len)
{
	pthread_mutex_lock(&m->lock);
	if (m->ncalls < 64)
		m->call[m->ncalls] = (struct call){what, gpa, len};
	m->ncalls++;
	pthread_mutex_unlock(&m->lock);
}

static int fake_inflate(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err)
{
	if (gpa + len > GUEST_RAM)
		return kverr_set(err, EFAULT, "not guest RAM");
	record(ctx, 'i', gpa, len);
	return 0;
}

static int fake_deflate(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err)
{
	(void)err;
	record(ctx, 'd', gpa, len);
	return 0;
}

static int fake_report(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err)
{
	(void)err;
	record(ctx, 'r', gpa, len);
	return 0;
}

static void fake_reset(void *ctx)
{
	struct fake_mem *m = ctx;
	m->resets++;
}

static uint64_t fake_ram(void *ctx)
{
	(void)ctx;
	return GUEST_RAM;
}

static void fake_changed(void *ctx, uint64_t bytes)
{
	struct fake_mem *m = ctx;
	pthread_mutex_lock(&m->lock);
	m->changes++;
	m->last_change = bytes;
	pthread_mutex_unlock(&m->lock);
}

static int fake_sweep(void *ctx, struct kverr *err)
{
	struct fake_mem *m = ctx;

	(void)err;
	m->resets_at_sweep = m->resets;
	atomic_fetch_add(&m->sweeps, 1);
	return 0;
}

/* ---- fixture ---- */

struct fx {
	uint8_t *ram;
	struct backend be;
	struct mem_manager *mm;
	struct dma_space dma;
	struct layout layout;
	struct pci_plan plan;
	struct pci_bus pci;
	struct bus pio, mmio;
	struct balloon b;
	struct fake_mem mem;
	uint64_t bar4;
	char log[8][512];
	unsigned nlog;
};

static void sink(const char *line, void *opaque)
{
	struct fx *fx = opaque;
	if (fx->nlog < 8)
		snprintf(fx->log[fx->nlog], sizeof(fx->log[0]), "%s", line);
	fx->nlog++;
}

static struct fx *make(const struct balloon_props *props)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct config_mem m = {.size = 1 * GiB, .maxmem = 1 * GiB};
	struct pci_bar_req bar[PCI_NUM_BARS];
	struct pci_plan_func *pf;
	struct pci_ids ids;
	struct kverr err = {{0}};
	struct balloon_mem_ops ops = {&fx->mem,	  fake_inflate, fake_deflate, fake_report,
				      fake_reset, fake_ram,	fake_changed, fake_sweep};

	fx->ram = calloc(1, RAM_SIZE);
	fx->be = (struct backend){
	    .id = "ram", .size = RAM_SIZE, .page_size = 4096, .fd = -1, .hva = fx->ram};

	fx->pio.name = "pio";
	fx->mmio.name = "mmio";
	pthread_mutex_init(&fx->mem.lock, NULL);
	log_set_sink(sink, fx);
	balloon_describe(&fx->b, props);
	virtio_pci_plan(&fx->b.ops, 0, &ids, bar);
	if (test_ram_region(&fx->mm, "ram", 0, RAM_SIZE, &fx->be, 0, &err) ||
	    layout_compute(&m, &fx->layout, &err))
		fail_msg("%s", err.msg);
	fx->dma.mm = fx->mm;
	pci_plan_init(&fx->plan, &fx->layout);
	if (pci_plan_add(&fx->plan, "virtio-balloon-pci", "balloon0", NULL, &ids, PCI_INTA, bar,
			 &pf, &err) ||
	    pci_plan_assign(&fx->plan, &err) || pci_bus_init(&fx->pci, &fx->plan, &err) ||
	    pci_bus_register(&fx->pci, &fx->pio, &fx->mmio, &err) ||
	    balloon_init(&fx->b, pf, &fx->dma, 0, &ops, &err) ||
	    balloon_start(&fx->b, &fx->pci, &err))
		fail_msg("set-up: %s", err.msg);
	fx->bar4 = pf->bar_addr[VIRTIO_PCI_BAR];
	pci_bus_reset(&fx->pci);
	return fx;
}

static int setup(void **state)
{
	struct balloon_props props = {.page_poison = true, .free_page_reporting = true};

	*state = make(&props);
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	balloon_destroy(&fx->b);
	pci_bus_fini(&fx->pci);
	log_set_sink(NULL, NULL);
	mem_manager_destroy(fx->mm);
	free(fx->ram);
	free(fx);
	return 0;
}

/* ---- the driver ---- */

static uint64_t rd(struct fx *fx, uint64_t off, unsigned len)
{
	uint8_t d[8] = {0};
	uint64_t v = 0;

	bus_access(&fx->mmio, fx->bar4 + off, d, len, false);
	memcpy(&v, d, len);
	return v;
}

static void wr(struct fx *fx, uint64_t off, uint64_t v, unsigned len)
{
	uint8_t d[8];

	memcpy(d, &v, 8);
	bus_access(&fx->mmio, fx->bar4 + off, d, len, true);
}

static void put(struct fx *fx, uint64_t gpa, uint64_t v, unsigned len)
{
	memcpy(fx->ram + gpa, &v, len);
}

static uint64_t get(struct fx *fx, uint64_t gpa, unsigned len)
{
	uint64_t v = 0;
	memcpy(&v, fx->ram + gpa, len);
	return v;
}

static void driver_init(struct fx *fx, uint32_t features)
{
	wr(fx, 0x14, 3, 1);
	wr(fx, 0x08, 0, 4);
	wr(fx, 0x0c, features, 4);
	wr(fx, 0x08, 1, 4);
	wr(fx, 0x0c, 1, 4);
	wr(fx, 0x14, 0x0b, 1);
	assert_int_equal(rd(fx, 0x14, 1), 0x0b);
	for (unsigned q = 0; q < rd(fx, 0x12, 2); q++) {
		wr(fx, 0x16, q, 2);
		wr(fx, 0x18, QSIZE, 2);
		wr(fx, 0x20, RING(q), 4);
		wr(fx, 0x28, RING(q) + 0x1000, 4);
		wr(fx, 0x30, RING(q) + 0x2000, 4);
		wr(fx, 0x1c, 1, 2);
	}
	wr(fx, 0x14, 0x0f, 1);
}

/* One buffer on queue q: readable [gpa, +len) or, with writable, a chain
 * of writable ranges; kick. */
static void submit(struct fx *fx, unsigned q, const uint64_t *gpa, const uint32_t *len, unsigned n,
		   bool writable)
{
	uint64_t desc = RING(q), avail = RING(q) + 0x1000;
	uint16_t idx = (uint16_t)get(fx, avail + 2, 2), head = (uint16_t)((idx * 4) % QSIZE);

	for (unsigned i = 0; i < n; i++) {
		uint16_t d = (uint16_t)((head + i) % QSIZE);
		put(fx, desc + 16 * d, gpa[i], 8);
		put(fx, desc + 16 * d + 8, len[i], 4);
		put(fx, desc + 16 * d + 12,
		    (writable ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0), 2);
		put(fx, desc + 16 * d + 14, (d + 1u) % QSIZE, 2);
	}
	put(fx, avail + 4 + 2 * (idx % QSIZE), head, 2);
	put(fx, avail + 2, (uint16_t)(idx + 1), 2);
	wr(fx, VIRTIO_PCI_NOTIFY + 4 * q, q, 2);
}

static void wait_used(struct fx *fx, unsigned q, uint16_t n)
{
	uint64_t used = RING(q) + 0x2000;

	for (int i = 0; i < 2000 && get(fx, used + 2, 2) != n; i++)
		usleep(1000);
	assert_int_equal(get(fx, used + 2, 2), n);
}

static void pfns(struct fx *fx, unsigned q, const uint32_t *p, unsigned n)
{
	uint64_t gpa = DATA + 0x10000 * q;
	uint32_t len = 4 * n;

	memcpy(fx->ram + gpa, p, len);
	submit(fx, q, &gpa, &len, 1, false);
}

/* The driver comes up, inflates PFN 0x1234 and resets the device (status
 * 0, from the vCPU), with the fake memory's counters cleared before it. */
static void inflate_one_then_reset(struct fx *fx)
{
	uint32_t p = 0x1234;

	driver_init(fx, 1u << 1);
	pfns(fx, BALLOON_INFLATE_Q, &p, 1);
	wait_used(fx, BALLOON_INFLATE_Q, 1);
	fx->mem.resets = 0;
	fx->mem.ncalls = 0;
	wr(fx, 0x14, 0, 1);
}

/* ---- tests ---- */

static void test_merge(void **state)
{
	uint32_t p[] = {9, 3, 4, 5, 5, 100, 2, 8, 101, 7};
	struct balloon_range r[10];
	unsigned n;

	(void)state;
	n = balloon_merge_pfns(p, 10, r);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].pfn, 2);
	assert_int_equal(r[0].count, 4); /* 2-5 */
	assert_int_equal(r[1].pfn, 7);
	assert_int_equal(r[1].count, 3); /* 7-9 */
	assert_int_equal(r[2].pfn, 100);
	assert_int_equal(r[2].count, 2);
	/* against a bitmap, on random input */
	srand(5);
	for (int round = 0; round < 200; round++) {
		static uint32_t q[4096];
		static struct balloon_range rr[4096];
		static uint8_t seen[2048], again[2048];
		unsigned m = (unsigned)rand() % 4096 + 1, k;

		memset(seen, 0, sizeof(seen));
		memset(again, 0, sizeof(again));
		for (unsigned i = 0; i < m; i++) {
			q[i] = (uint32_t)(rand() % 2048);
			seen[q[i]] = 1;
		}
		k = balloon_merge_pfns(q, m, rr);
		for (unsigned i = 0; i < k; i++) {
			if (i)
				assert_true(rr[i].pfn > rr[i - 1].pfn + rr[i - 1].count);
			for (uint64_t j = 0; j < rr[i].count; j++)
				again[rr[i].pfn + j] = 1;
		}
		assert_memory_equal(seen, again, sizeof(seen));
	}
}

/* What QEMU 7.2 offers with page-poison=on (its default) and
 * free-page-reporting=on, and the config space it has then. */
static void test_features_and_config(void **state)
{
	struct fx *fx = *state;
	struct balloon_props plain = {0};
	struct fx *small;

	wr(fx, 0x00, 0, 4);
	assert_int_equal(rd(fx, 0x04, 4) & 0x3f, 1u << 1 | 1u << 4 | 1u << 5);
	assert_int_equal(rd(fx, 0x12, 2), 4);
	assert_int_equal(rd(fx, VIRTIO_PCI_DEVICE_CFG + 12, 4), 0);
	small = make(&plain);
	wr(small, 0x00, 0, 4);
	assert_int_equal(small->b.ops.config_size, 8);
	assert_int_equal(rd(small, 0x04, 4) & 0x3f, 1u << 1);
	assert_int_equal(rd(small, 0x12, 2), 3);
	teardown((void **)&small);
	log_set_sink(sink, fx);
}

static void test_inflate_deflate(void **state)
{
	struct fx *fx = *state;
	uint32_t p[258];
	unsigned n = 0;

	driver_init(fx, 1u << 1 | 1u << 4 | 1u << 5);
	balloon_set_target(&fx->b, GUEST_RAM - 258 * 4096ULL);
	assert_int_equal(rd(fx, VIRTIO_PCI_DEVICE_CFG + 0, 4), 258);
	/* 256 consecutive pages, shuffled, one twice, one apart */
	for (unsigned i = 0; i < 256; i++)
		p[n++] = 0x20000 + (i * 37) % 256;
	p[n++] = 0x20005;
	p[n++] = 0x30000;
	pfns(fx, BALLOON_INFLATE_Q, p, n);
	wait_used(fx, BALLOON_INFLATE_Q, 1);
	assert_int_equal(fx->mem.ncalls, 2);
	assert_int_equal(fx->mem.call[0].what, 'i');
	assert_int_equal(fx->mem.call[0].gpa, 0x20000ULL << 12);
	assert_int_equal(fx->mem.call[0].len, 256 * 4096);
	assert_int_equal(fx->mem.call[1].gpa, 0x30000ULL << 12);
	assert_int_equal(fx->mem.call[1].len, 4096);
	assert_int_equal(get(fx, RING(0) + 0x2000 + 8, 4), 0); /* used len 0 */

	/* the driver says how many it holds: BALLOON_CHANGE */
	wr(fx, VIRTIO_PCI_DEVICE_CFG + 4, 257, 4);
	assert_int_equal(fx->mem.changes, 1);
	assert_int_equal(fx->mem.last_change, GUEST_RAM - 257 * 4096ULL);
	assert_int_equal(balloon_actual(&fx->b), GUEST_RAM - 257 * 4096ULL);
	wr(fx, VIRTIO_PCI_DEVICE_CFG + 4, 257, 4);
	assert_int_equal(fx->mem.changes, 1); /* no change, no event */

	p[0] = 0x30000;
	pfns(fx, BALLOON_DEFLATE_Q, p, 1);
	wait_used(fx, BALLOON_DEFLATE_Q, 1);
	assert_int_equal(fx->mem.call[2].what, 'd');
	assert_int_equal(fx->mem.call[2].gpa, 0x30000ULL << 12);

	/* a target above the RAM size is all of it; the target stays on */
	balloon_set_target(&fx->b, 2 * GUEST_RAM);
	assert_int_equal(rd(fx, VIRTIO_PCI_DEVICE_CFG + 0, 4), 0);
}

/* What inflate left is swept once the inflate queue has been quiet for
 * BALLOON_SWEEP_MS, once for a burst of requests; a deflate sweeps
 * nothing. */
static void test_sweep_after_inflate(void **state)
{
	struct fx *fx = *state;
	uint32_t p[2] = {0x20000, 0x20001};

	struct timespec t0, t1;
	long burst_ms;

	driver_init(fx, 1u << 1 | 1u << 4 | 1u << 5);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < 3; i++) {
		pfns(fx, BALLOON_INFLATE_Q, p, 2);
		wait_used(fx, BALLOON_INFLATE_Q, i + 1);
		p[0] += 2;
		p[1] += 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	burst_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	for (unsigned i = 0; i < 200 && !atomic_load(&fx->mem.sweeps); i++)
		usleep(10 * 1000);
	/* one sweep for the burst, unless a slow machine spread it out */
	if (burst_ms < BALLOON_SWEEP_MS)
		assert_int_equal(atomic_load(&fx->mem.sweeps), 1);
	assert_true(atomic_load(&fx->mem.sweeps) >= 1);
	usleep(2 * BALLOON_SWEEP_MS * 1000);
	atomic_store(&fx->mem.sweeps, 0);
	pfns(fx, BALLOON_DEFLATE_Q, p, 2);
	wait_used(fx, BALLOON_DEFLATE_Q, 1);
	usleep(2 * BALLOON_SWEEP_MS * 1000);
	assert_int_equal(atomic_load(&fx->mem.sweeps), 0);
}

/* A driver reset between an inflate and its sweep: the pages are the
 * guest's again before the sweep looks at them. */
static void test_sweep_after_driver_reset(void **state)
{
	struct fx *fx = *state;

	inflate_one_then_reset(fx);
	if (atomic_load(&fx->mem.sweeps))
		return; /* a slow machine swept before the reset */
	for (unsigned i = 0; i < 200 && !atomic_load(&fx->mem.sweeps); i++)
		usleep(10 * 1000);
	assert_int_equal(atomic_load(&fx->mem.sweeps), 1);
	assert_int_equal(fx->mem.resets_at_sweep, 1);
}

/* PFNs the manager refuses: logged once, the rest served. */
static void test_refused(void **state)
{
	struct fx *fx = *state;
	uint32_t p[4] = {0x100, 0x7fffffff, 0x200, 0x7ffffff0};

	driver_init(fx, 1u << 1);
	pfns(fx, BALLOON_INFLATE_Q, p, 4);
	wait_used(fx, BALLOON_INFLATE_Q, 1);
	assert_int_equal(fx->mem.ncalls, 2);
	assert_int_equal(fx->nlog, 1);
	assert_non_null(strstr(fx->log[0], "virtio-balloon-pci 00:02.0: inflate of "
					   "[0x7ffffff0000-0x7ffffff0fff] refused: not guest RAM"));
	/* more refusals within 5 s: silent */
	pfns(fx, BALLOON_INFLATE_Q, p, 4);
	wait_used(fx, BALLOON_INFLATE_Q, 2);
	assert_int_equal(fx->nlog, 1);
	/* a PFN array that is not a whole number of PFNs: the rest is ignored */
	{
		uint64_t gpa = DATA;
		uint32_t len = 6;
		memcpy(fx->ram + DATA, p, 8);
		submit(fx, BALLOON_INFLATE_Q, &gpa, &len, 1, false);
		wait_used(fx, BALLOON_INFLATE_Q, 3);
		assert_int_equal(fx->mem.ncalls, 5);
	}
}

static void stats_buffer(struct fx *fx, unsigned nstats)
{
	uint64_t gpa = DATA + 0x30000;
	uint32_t len = 10 * nstats;

	for (unsigned i = 0; i < nstats; i++) {
		uint16_t tag = (uint16_t)i;
		uint64_t val = 1000 + i;
		memcpy(fx->ram + gpa + 10 * i, &tag, 2);
		memcpy(fx->ram + gpa + 10 * i + 2, &val, 8);
	}
	submit(fx, BALLOON_STATS_Q, &gpa, &len, 1, false);
}

static void test_stats(void **state)
{
	struct fx *fx = *state;
	struct balloon_stats s;
	struct kverr err;
	int i;

	balloon_get_stats(&fx->b, &s);
	assert_int_equal(s.last_update, 0);
	assert_int_equal(s.stat[4], UINT64_MAX);
	driver_init(fx, 1u << 1);
	/* the driver's first buffer comes before any poll */
	stats_buffer(fx, 8);
	for (i = 0; i < 2000; i++) {
		balloon_get_stats(&fx->b, &s);
		if (s.last_update)
			break;
		usleep(1000);
	}
	assert_int_equal(s.stat[4], 1004);
	assert_int_equal(s.stat[7], 1007);
	assert_int_equal(s.stat[8], UINT64_MAX); /* not sent */
	assert_true(llabs(s.last_update - (int64_t)time(NULL)) <= 1);
	assert_int_equal(get(fx, RING(2) + 0x2000 + 2, 2), 0); /* held */

	/* QEMU's rules and words for the interval */
	assert_int_equal(balloon_set_poll_interval(&fx->b, -1, &err), -EINVAL);
	assert_string_equal(err.msg, "timer value must be greater than zero");
	assert_int_equal(balloon_set_poll_interval(&fx->b, 1ULL << 32, &err), -EINVAL);
	assert_string_equal(err.msg, "timer value is too big");
	/* a new interval polls at once: the buffer goes back to the driver */
	assert_int_equal(balloon_set_poll_interval(&fx->b, 1, &err), 0);
	assert_int_equal(balloon_poll_interval(&fx->b), 1);
	wait_used(fx, BALLOON_STATS_Q, 1);
	/* it refills; one second later it is asked again */
	stats_buffer(fx, 10);
	usleep(300 * 1000);
	assert_int_equal(get(fx, RING(2) + 0x2000 + 2, 2), 1);
	wait_used(fx, BALLOON_STATS_Q, 2);
	balloon_get_stats(&fx->b, &s);
	assert_int_equal(s.stat[9], 1009);
	assert_int_equal(balloon_set_poll_interval(&fx->b, 0, &err), 0);
}

static void test_report_and_poison(void **state)
{
	struct fx *fx = *state;
	uint64_t gpa[2] = {0x200000, 0x3ff000};
	uint32_t len[2] = {0x100000, 0x1000};
	uint64_t odd = 0x1800;
	uint32_t oddlen = 0x1000;

	driver_init(fx, 1u << 1 | 1u << 4 | 1u << 5);
	submit(fx, BALLOON_REPORT_Q, gpa, len, 2, true);
	wait_used(fx, BALLOON_REPORT_Q, 1);
	assert_int_equal(fx->mem.ncalls, 2);
	assert_int_equal(fx->mem.call[0].what, 'r');
	assert_int_equal(fx->mem.call[0].gpa, 0x200000);
	assert_int_equal(fx->mem.call[0].len, 0x100000);
	assert_int_equal(fx->mem.call[1].gpa, 0x3ff000);
	/* not page aligned: skipped, as QEMU skips it */
	submit(fx, BALLOON_REPORT_Q, &odd, &oddlen, 1, true);
	wait_used(fx, BALLOON_REPORT_Q, 2);
	assert_int_equal(fx->mem.ncalls, 2);
	/* the guest poisons free pages: reports are acknowledged, nothing
	 * discarded (a discarded page would come back zero, not poisoned) */
	wr(fx, VIRTIO_PCI_DEVICE_CFG + 12, 0xaaaaaaaa, 4);
	assert_int_equal(rd(fx, VIRTIO_PCI_DEVICE_CFG + 12, 4), 0xaaaaaaaa);
	submit(fx, BALLOON_REPORT_Q, gpa, len, 2, true);
	wait_used(fx, BALLOON_REPORT_Q, 3);
	assert_int_equal(fx->mem.ncalls, 2);
	/* init_on_free=1: poison value 0, pages expected zero: discarded */
	wr(fx, VIRTIO_PCI_DEVICE_CFG + 12, 0, 4);
	submit(fx, BALLOON_REPORT_Q, gpa, len, 2, true);
	wait_used(fx, BALLOON_REPORT_Q, 4);
	assert_int_equal(fx->mem.ncalls, 4);
}

/* Without PAGE_POISON negotiated a poison value is not taken. */
static void test_poison_not_negotiated(void **state)
{
	struct fx *fx = *state;

	driver_init(fx, 1u << 1 | 1u << 5);
	wr(fx, VIRTIO_PCI_DEVICE_CFG + 12, 0xaaaaaaaa, 4);
	assert_int_equal(rd(fx, VIRTIO_PCI_DEVICE_CFG + 12, 4), 0);
}

static void test_broken_ring(void **state)
{
	struct fx *fx = *state;
	uint64_t avail = RING(0) + 0x1000;

	driver_init(fx, 1u << 1);
	put(fx, avail + 4, 200, 2);
	put(fx, avail + 2, 1, 2);
	wr(fx, VIRTIO_PCI_NOTIFY, 0, 2);
	for (int i = 0; i < 2000 && !(rd(fx, 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(1000);
	assert_true(rd(fx, 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(fx->mem.ncalls, 0);
	assert_non_null(strstr(fx->log[0], "needs a reset"));
}

static void test_machine_reset(void **state)
{
	struct fx *fx = *state;
	uint32_t p = 0x1234;

	driver_init(fx, 1u << 1);
	balloon_set_target(&fx->b, GUEST_RAM / 2);
	pfns(fx, BALLOON_INFLATE_Q, &p, 1);
	wait_used(fx, BALLOON_INFLATE_Q, 1);
	wr(fx, VIRTIO_PCI_DEVICE_CFG + 4, 1, 4);
	assert_int_equal(fx->mem.changes, 1);
	fx->mem.resets = 0; /* the set-up's reset was done before that inflate */
	balloon_machine_reset(&fx->b);
	assert_int_equal(fx->mem.resets, 1);
	assert_int_equal(fx->mem.changes, 2);
	assert_int_equal(fx->mem.last_change, GUEST_RAM);
	assert_int_equal(balloon_actual(&fx->b), GUEST_RAM);
	assert_int_equal(rd(fx, 0x14, 1), 0);
	/* the target stays: the next driver inflates to it again */
	assert_int_equal(rd(fx, VIRTIO_PCI_DEVICE_CFG + 0, 4), (GUEST_RAM / 2) >> 12);
}

/* A driver that resets the device without deflating (kexec) uses its
 * ballooned pages again: they are the guest's before its next request. */
static void test_driver_reset(void **state)
{
	struct fx *fx = *state;
	uint32_t p = 0x2345;

	inflate_one_then_reset(fx);
	assert_int_equal(fx->mem.resets, 0); /* not on the vCPU */
	for (unsigned q = 0; q < 4; q++)     /* the new driver's rings are new */
		memset(fx->ram + RING(q), 0, 0x3000);
	driver_init(fx, 1u << 1);
	pfns(fx, BALLOON_INFLATE_Q, &p, 1);
	wait_used(fx, BALLOON_INFLATE_Q, 1);
	assert_int_equal(fx->mem.resets, 1);
	assert_int_equal(fx->mem.ncalls, 1);
	assert_int_equal(fx->mem.call[0].gpa, 0x2345ULL << 12);
	/* once: the next request finds nothing to return */
	pfns(fx, BALLOON_DEFLATE_Q, &p, 1);
	wait_used(fx, BALLOON_DEFLATE_Q, 1);
	assert_int_equal(fx->mem.resets, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test_setup_teardown(test_features_and_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inflate_deflate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_after_inflate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_after_driver_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_and_poison, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_poison_not_negotiated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_ring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_machine_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_driver_reset, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
