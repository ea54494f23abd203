/* test_virtqueue.c - the split virtqueue against a driver that plays by the
 * rules and against one that does not: every malformed ring is refused
 * with a message naming the problem, nothing is consumed, and nothing
 * outside guest RAM is ever touched.
 *
 * Guest RAM is two regions with a hole between them, like RAM below and
 * above the PCI hole: [0, 1 MiB) and [4 GiB, 4 GiB + 64 KiB).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/ram_region.h"
#include "virtio/queue.h"
#include "virtio/virtio.h"

#define LOW_SIZE (1u << 20)
#define HIGH_BASE (4ULL << 30)
#define HIGH_SIZE (64u << 10)

#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x10000

static uint8_t *low, *high;
static struct backend b_low = {.id = "low", .size = LOW_SIZE, .page_size = 4096, .fd = -1};
static struct backend b_high = {.id = "high", .size = HIGH_SIZE, .page_size = 4096, .fd = -1};
static struct mem_manager *mm;
static struct dma_space dma;
static struct vq q;
static struct vq_elem *e;

static int setup(void **state)
{
	struct kverr err;

	(void)state;
	low = calloc(1, LOW_SIZE);
	high = calloc(1, HIGH_SIZE);
	e = calloc(1, sizeof(*e));
	b_low.hva = low;
	b_high.hva = high;
	if (test_ram_region(&mm, "low", 0, LOW_SIZE, &b_low, 0, &err) ||
	    test_ram_region(&mm, "high", HIGH_BASE, HIGH_SIZE, &b_high, 0, &err))
		return -1;
	dma.mm = mm;
	memset(&q, 0, sizeof(q));
	q.dma = &dma;
	q.index = 3;
	q.size = 8;
	q.desc = DESC;
	q.avail = AVAIL;
	q.used = USED;
	q.ready = true;
	return vq_start(&q, &err);
}

static int teardown(void **state)
{
	(void)state;
	mem_manager_destroy(mm);
	mm = NULL;
	free(low);
	free(high);
	free(e);
	return 0;
}

/* ---- the driver's side ---- */

static void put16(uint64_t gpa, uint16_t v)
{
	memcpy(low + gpa, &v, 2);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, low + gpa, 2);
	return v;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, low + gpa, 4);
	return v;
}

static void desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	uint8_t *p = low + table + 16 * i;
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_at(DESC, i, addr, len, flags, next);
}

/* Publish head in the next available slot. */
static void publish(uint16_t head)
{
	uint16_t idx = get16(AVAIL + 2);
	put16(AVAIL + 4 + 2 * (idx % q.size), head);
	put16(AVAIL + 2, (uint16_t)(idx + 1));
}

static void expect_malformed(const char *in_msg)
{
	struct kverr err = {""};
	uint16_t before = q.last_avail;

	assert_true(vq_pop(&q, e, &err) < 0);
	if (!strstr(err.msg, in_msg))
		fail_msg("message '%s' lacks '%s'", err.msg, in_msg);
	assert_non_null(strstr(err.msg, "virtqueue 3"));
	assert_int_equal(q.last_avail, before);
}

/* ---- rules kept ---- */

static void test_pop_push(void **state)
{
	struct kverr err;
	char out[32], in[16] = "", tmp[40];

	(void)state;
	assert_int_equal(vq_pop(&q, e, &err), 0); /* empty */
	memcpy(low + DATA, "hello, ", 7);
	memcpy(low + DATA + 0x100, "device", 6);
	desc(0, DATA, 7, VIRTQ_DESC_F_NEXT, 5);
	desc(5, DATA + 0x100, 6, VIRTQ_DESC_F_NEXT, 2);
	desc(2, HIGH_BASE + 0x10, 16, VIRTQ_DESC_F_WRITE, 0);
	publish(0);
	assert_int_equal(vq_pop(&q, e, &err), 1);
	assert_int_equal(e->head, 0);
	assert_int_equal(e->n_out, 2);
	assert_int_equal(e->n_in, 1);
	assert_int_equal(e->out_len, 13);
	assert_int_equal(e->in_len, 16);
	assert_int_equal(vq_elem_read(&q, e, 0, out, sizeof(out)), 13);
	assert_memory_equal(out, "hello, device", 13);
	assert_int_equal(vq_elem_read(&q, e, 5, out, 4), 4);
	assert_memory_equal(out, ", de", 4);
	assert_int_equal(vq_elem_write(&q, e, 0, "the answer is 42", 16), 16);
	assert_memory_equal(high + 0x10, "the answer is 42", 16);
	assert_int_equal(vq_elem_write(&q, e, 10, "0123456789", 10), 6); /* clipped */
	assert_int_equal(vq_elem_read(&q, e, 13, tmp, 1), 0);
	(void)in;
	assert_int_equal(vq_pop(&q, e, &err), 0);

	assert_int_equal(vq_push(&q, 0, 16, &err), 0);
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(get32(USED + 4), 0);
	assert_int_equal(get32(USED + 8), 16);
	assert_true(vq_should_notify(&q));
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(vq_should_notify(&q));
}

/* The indexes wrap at 2^16; the ring slot is index % size. */
static void test_wrap(void **state)
{
	struct kverr err;

	(void)state;
	put16(AVAIL + 2, 65534);
	q.last_avail = 65534;
	q.used_idx = 65534;
	for (unsigned n = 0; n < 5; n++) {
		desc(n, DATA, 8, 0, 0);
		publish((uint16_t)n);
		assert_int_equal(vq_pop(&q, e, &err), 1);
		assert_int_equal(e->head, n);
		assert_int_equal(vq_push(&q, e->head, 0, &err), 0);
	}
	assert_int_equal(q.last_avail, 3);
	assert_int_equal(get16(USED + 2), 3);
}

static void test_indirect(void **state)
{
	struct kverr err;
	uint64_t table = 0x8000;

	(void)state;
	desc_at(table, 0, DATA, 100, VIRTQ_DESC_F_NEXT, 1);
	desc_at(table, 1, DATA + 0x1000, 200, VIRTQ_DESC_F_NEXT, 2);
	desc_at(table, 2, HIGH_BASE, 300, VIRTQ_DESC_F_WRITE, 0);
	desc(4, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(4);
	expect_malformed("VIRTIO_RING_F_INDIRECT_DESC was not negotiated");
	q.indirect = true;
	assert_int_equal(vq_pop(&q, e, &err), 1);
	assert_int_equal(e->head, 4);
	assert_int_equal(e->n_out, 2);
	assert_int_equal(e->n_in, 1);
	assert_int_equal(e->seg[2].gpa, HIGH_BASE);
	assert_int_equal(e->in_len, 300);
}

static void test_event_idx(void **state)
{
	struct kverr err;

	(void)state;
	q.event_idx = true;
	assert_int_equal(vq_pop(&q, e, &err), 0);
	assert_int_equal(get16(USED + 4 + 8 * 8), 0); /* avail_event: kick me at 0 */
	desc(0, DATA, 8, 0, 0);
	publish(0);
	desc(1, DATA, 8, 0, 0);
	publish(1);
	assert_int_equal(vq_pop(&q, e, &err), 1);
	assert_int_equal(get16(USED + 4 + 8 * 8), 1);
	assert_int_equal(vq_pop(&q, e, &err), 1);
	assert_int_equal(get16(USED + 4 + 8 * 8), 2);

	/* used_event 1: the driver wants an interrupt once used idx passes 1 */
	put16(AVAIL + 4 + 2 * 8, 1);
	assert_int_equal(vq_push(&q, 0, 0, &err), 0); /* used idx 1 */
	assert_true(vq_should_notify(&q));	      /* the first one always */
	assert_int_equal(vq_push(&q, 1, 0, &err), 0); /* used idx 2: passes 1 */
	assert_true(vq_should_notify(&q));
	desc(2, DATA, 8, 0, 0);
	publish(2);
	assert_int_equal(vq_pop(&q, e, &err), 1);
	assert_int_equal(vq_push(&q, 2, 0, &err), 0); /* used idx 3, event still 1 */
	assert_false(vq_should_notify(&q));
}

/* ---- rules broken ---- */

static void test_bad_head_and_next(void **state)
{
	(void)state;
	publish(8);
	expect_malformed("names descriptor 8, beyond the queue size 8");
	put16(AVAIL + 4, 0); /* fix the head: now the chain */
	desc(0, DATA, 8, VIRTQ_DESC_F_NEXT, 9);
	expect_malformed("descriptor 0's next is 9, beyond its queue (8)");
}

static void test_loops(void **state)
{
	(void)state;
	desc(0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	publish(0);
	expect_malformed("loops or is longer than its queue (8)");
	/* a descriptor that names itself */
	desc(0, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	expect_malformed("loops");
	/* zero-length buffers do not make a loop legal */
	desc(0, DATA, 0, VIRTQ_DESC_F_NEXT, 0);
	expect_malformed("loops");
	/* inside an indirect table */
	q.indirect = true;
	desc_at(0x8000, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
	desc_at(0x8000, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	desc(0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_malformed("loops or is longer than its indirect table (2)");
}

static void test_avail_too_far(void **state)
{
	(void)state;
	put16(AVAIL + 2, 9);
	expect_malformed("available index 9 is 9 ahead of the device's 0, more than the queue");
	put16(AVAIL + 2, 0xffff); /* "behind": also more than size ahead */
	expect_malformed("available index 65535");
}

static void test_buffers_outside_ram(void **state)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
	    {LOW_SIZE, 1},			  /* just past the low region */
	    {LOW_SIZE - 8, 16},			  /* straddles its end */
	    {0x80000000, 4096},			  /* the hole */
	    {HIGH_BASE - 1, 2},			  /* straddles into the high region */
	    {HIGH_BASE + HIGH_SIZE - 4, 8},	  /* runs off the end */
	    {0xffffffffffffff00ULL, 0x200},	  /* wraps */
	    {0xfffffffffffff000ULL, 0xffffffffu}, /* wraps a lot */
	};

	(void)state;
	publish(0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		desc(0, bad[i].addr, bad[i].len, 0, 0);
		expect_malformed("buffer");
		desc(0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
		desc(1, bad[i].addr, bad[i].len, VIRTQ_DESC_F_WRITE, 0);
		expect_malformed("is not in guest RAM");
	}
	/* the descriptor table itself moved outside RAM behind our back */
	q.desc = LOW_SIZE - 16;
	desc(0, DATA, 8, 0, 0);
	put16(AVAIL + 4, 1);
	expect_malformed("descriptor [0x100000, +0x10)");
}

static void test_order_and_indirect_rules(void **state)
{
	(void)state;
	desc(0, DATA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(1, DATA, 8, 0, 0);
	publish(0);
	expect_malformed("readable descriptor 1 after a writable one");

	q.indirect = true;
	desc(0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	expect_malformed("both INDIRECT and NEXT");
	desc(0, 0x8000, 24, VIRTQ_DESC_F_INDIRECT, 0);
	expect_malformed("indirect table of 24 bytes");
	desc(0, 0x8000, 0, VIRTQ_DESC_F_INDIRECT, 0);
	expect_malformed("indirect table of 0 bytes");
	desc(0, 0x8000, 16 * (VQ_MAX_SEGS + 1), VIRTQ_DESC_F_INDIRECT, 0);
	expect_malformed("at most 1024 descriptors");
	desc(0, LOW_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_malformed("indirect table [0xffff0, +0x20)");
	desc_at(0x8000, 0, 0x9000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_malformed("indirect descriptor 0 inside an indirect table");
}

static void test_too_many_buffers(void **state)
{
	struct kverr err;
	(void)state;

	/* a legal queue of 2048 with a chain of 1025 buffers */
	q.size = 2048;
	q.desc = 0x20000;
	q.avail = 0x2000;
	q.used = 0x40000;
	assert_int_equal(vq_start(&q, &err), 0);
	for (unsigned i = 0; i < 1025; i++)
		desc_at(0x20000, i, DATA, 4, i < 1024 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	publish(0);
	expect_malformed("has more than 1024 buffers");
	desc_at(0x20000, 1023, DATA, 4, 0, 0);
	assert_int_equal(vq_pop(&q, e, &err), 1);
	assert_int_equal(e->n_out, 1024);
}

static void test_start_checks(void **state)
{
	struct kverr err;
	(void)state;

	q.size = 6;
	assert_int_equal(vq_start(&q, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "size 6 is not a power of two"));
	q.size = 0;
	assert_int_equal(vq_start(&q, &err), -EINVAL);
	q.size = 8;
	q.desc = DESC + 8;
	assert_int_equal(vq_start(&q, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not aligned"));
	q.desc = LOW_SIZE - 64; /* 8 descriptors need 128 bytes */
	assert_int_equal(vq_start(&q, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "descriptor table"));
	q.desc = DESC;
	q.used = LOW_SIZE - 32;
	assert_int_equal(vq_start(&q, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "used ring"));
	q.used = USED;
	q.avail = 0xfffffffffffffffeULL;
	assert_int_equal(vq_start(&q, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "available ring"));
	q.avail = AVAIL;
	assert_int_equal(vq_start(&q, &err), 0);
	/* a used ring gone from RAM: push fails, writes nothing */
	q.used = 0x80000000;
	assert_int_equal(vq_push(&q, 0, 0, &err), -EINVAL);
}

/* Random ring contents, many times over: pop never crashes, never hands
 * out a buffer outside guest RAM, and each result is 1, 0 or an error. */
static void test_random_rings(void **state)
{
	struct kverr err;
	unsigned popped = 0, refused = 0;
	(void)state;

	srand(7);
	q.indirect = true;
	for (unsigned round = 0; round < 20000; round++) {
		for (unsigned i = 0; i < 8; i++) {
			uint64_t a = (uint64_t)rand() % (LOW_SIZE + 0x1000);
			uint32_t len = (uint32_t)rand() % 600;
			uint16_t flags = (uint16_t)(rand() % 8), next = (uint16_t)(rand() % 9);

			if (rand() % 4 == 0)
				a = HIGH_BASE + (uint64_t)rand() % (HIGH_SIZE + 64);
			if (rand() % 16 == 0)
				a = (uint64_t)rand() << 40 | (uint64_t)rand();
			if (rand() % 16 == 0)
				len = (uint32_t)rand() << 8;
			desc(i, a, len, flags, next);
		}
		put16(AVAIL + 2, (uint16_t)(q.last_avail + (unsigned)rand() % 10));
		for (unsigned i = 0; i < 8; i++)
			put16(AVAIL + 4 + 2 * i, (uint16_t)(rand() % 9));
		int r = vq_pop(&q, e, &err);
		assert_true(r >= -EFAULT * 2 && r <= 1);
		if (r == 1) {
			popped++;
			assert_true(e->n_out + e->n_in <= VQ_MAX_SEGS);
			for (unsigned s = 0; s < e->n_out + e->n_in; s++)
				assert_true(dma_check(&dma, e->seg[s].gpa, e->seg[s].len));
		} else if (r < 0) {
			refused++;
		}
	}
	assert_true(popped > 0);
	assert_true(refused > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pop_push, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_head_and_next, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_avail_too_far, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_buffers_outside_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_and_indirect_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_many_buffers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_rings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
