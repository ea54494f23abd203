/* test_vmem_queue.c - virtio-mem's request queue as a driver fills it: each
 * request is a readable buffer followed by a writable one (Linux's
 * layout); the device answers in the writable buffer, pushes the request
 * used with the answer's length, and a malformed request (too short, no
 * room for the answer) is a violation that stops the queue without an
 * answer.  Guest memory is the memory manager over plain buffers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem/manager.h"
#include "virtio/mem.h"
#include "virtio/mem_blocks.h"
#include "virtio/mem_queue.h"
#include "virtio/virtio.h"

#define A_SIZE (64u << 10)
#define V_BASE (4ULL << 30)
#define V_SIZE (16ULL << 20)
#define BLOCK (1ULL << 20)

static uint8_t ram[A_SIZE];
static struct backend ba = {.id = "a", .size = A_SIZE, .page_size = 4096, .fd = -1, .hva = ram};
static struct backend bv = {.id = "v", .size = V_SIZE, .page_size = 4096, .fd = -1};

struct rig {
	struct mem_manager *mm;
	struct dma_space dma;
	struct vq q;
	struct vq_elem *e;
	struct vmem_blocks blocks;
	struct vmem dev;
	uint16_t avail_idx;
};

static int no_discard(void *opaque, struct backend *b, uint64_t off, uint64_t len,
		      struct kverr *err)
{
	(void)opaque;
	(void)b;
	(void)off;
	(void)len;
	(void)err;
	return 0;
}

static void setup(struct rig *r)
{
	struct mem_host_ops host = {.discard = no_discard};
	struct mem_region_spec a = {
	    .name = "a", .kind = MEM_REGION_RAM, .gpa = 0, .size = A_SIZE, .backend = &ba};
	struct mem_region_spec v = {.name = "v",
				    .kind = MEM_REGION_VIRTIO_MEM,
				    .flags = MEM_REGION_UNPLUGGED,
				    .gpa = V_BASE,
				    .size = V_SIZE,
				    .backend = &bv};
	struct vmem_params p = {.block_size = BLOCK,
				.addr = V_BASE,
				.region_size = V_SIZE,
				.requested_size = 8 * BLOCK};
	struct mem_region *reg;
	struct vmem_mem_ops ops;
	struct kverr err;

	memset(r, 0, sizeof(*r));
	memset(ram, 0, sizeof(ram));
	bv.hva = ram; /* never followed: nothing reads the device's memory here */
	assert_int_equal(mem_manager_create(&r->mm, &host, &err), 0);
	assert_int_equal(mem_manager_add(r->mm, &a, NULL, &err), 0);
	assert_int_equal(mem_manager_add(r->mm, &v, &reg, &err), 0);
	r->dma.mm = r->mm;
	vmem_blocks_init(&r->blocks, r->mm, reg, false, 0, NULL, &ops);
	assert_int_equal(vmem_init(&r->dev, &p, &ops, &err), 0);
	r->e = malloc(sizeof(*r->e));
	assert_non_null(r->e);
	r->q = (struct vq){
	    .size = 16, .ready = true, .desc = 0, .avail = 0x1000, .used = 0x2000, .dma = &r->dma};
	assert_int_equal(vq_start(&r->q, &err), 0);
}

static void teardown(struct rig *r)
{
	free(r->e);
	vmem_destroy(&r->dev);
	mem_manager_destroy(r->mm);
}

static void put16(uint64_t gpa, uint16_t v)
{
	ram[gpa] = (uint8_t)v;
	ram[gpa + 1] = (uint8_t)(v >> 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		ram[gpa + i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint64_t gpa, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		ram[gpa + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(uint64_t gpa)
{
	return ram[gpa] | ram[gpa + 1] << 8 | ram[gpa + 2] << 16 | (uint32_t)ram[gpa + 3] << 24;
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	put64(i * 16, addr);
	put32(i * 16 + 8, len);
	put16(i * 16 + 12, flags);
	put16(i * 16 + 14, next);
}

/* Queue request n (type, addr, nb) with req_len readable bytes and
 * resp_len writable ones, as descriptors 2n and 2n+1. */
static void queue(struct rig *r, unsigned n, uint16_t type, uint64_t addr, uint16_t nb,
		  uint32_t req_len, uint32_t resp_len)
{
	uint64_t rq = 0x3000 + n * 0x40, rs = 0x3800 + n * 0x40;

	memset(ram + rq, 0, 0x40);
	memset(ram + rs, 0xee, 0x40);
	put16(rq, type);
	put64(rq + 8, addr);
	put16(rq + 16, nb);
	desc(2 * n, rq, req_len, VIRTQ_DESC_F_NEXT, (uint16_t)(2 * n + 1));
	desc(2 * n + 1, rs, resp_len, VIRTQ_DESC_F_WRITE, 0);
	put16(0x1000 + 4 + 2 * (r->avail_idx % 16), (uint16_t)(2 * n));
	put16(0x1000 + 2, ++r->avail_idx);
}

static uint16_t answer(unsigned n, uint16_t *state)
{
	uint64_t rs = 0x3800 + n * 0x40;

	if (state)
		*state = (uint16_t)(ram[rs + 8] | ram[rs + 9] << 8);
	return (uint16_t)(ram[rs] | ram[rs + 1] << 8);
}

static void test_requests_answered(void **state)
{
	struct rig r;
	struct kverr err;
	unsigned pushed;
	uint16_t st;

	(void)state;
	setup(&r);
	queue(&r, 0, VIRTIO_MEM_REQ_PLUG, V_BASE, 4, 24, 16);
	queue(&r, 1, VIRTIO_MEM_REQ_STATE, V_BASE, 8, 24, 16);
	queue(&r, 2, VIRTIO_MEM_REQ_PLUG, V_BASE + 4 * BLOCK, 8, 24, 16);
	queue(&r, 3, VIRTIO_MEM_REQ_UNPLUG, V_BASE + BLOCK, 1, 24, 16);
	assert_int_equal(vmem_serve_queue(&r.dev, &r.q, r.e, NULL, NULL, &pushed, &err), 0);
	assert_int_equal(pushed, 4);
	assert_int_equal(answer(0, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(answer(1, &st), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(st, VIRTIO_MEM_STATE_MIXED);
	assert_int_equal(answer(2, NULL), VIRTIO_MEM_RESP_NACK); /* past requested-size */
	assert_int_equal(answer(3, NULL), VIRTIO_MEM_RESP_ACK);
	/* used ring: idx 4, each element the head and the answer's length */
	assert_int_equal(ram[0x2002], 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(get32(0x2004 + 8 * i), 2 * i);
		assert_int_equal(get32(0x2008 + 8 * i), VIRTIO_MEM_RESP_SIZE);
	}
	/* the answer's padding is written as zeros, the rest left alone */
	assert_int_equal(ram[0x3800 + 2], 0);
	assert_int_equal(ram[0x3800 + VIRTIO_MEM_RESP_SIZE], 0xee);
	assert_int_equal(r.dev.plugged_size, 3 * BLOCK);
	/* empty now: nothing more */
	assert_int_equal(vmem_serve_queue(&r.dev, &r.q, r.e, NULL, NULL, &pushed, &err), 0);
	assert_int_equal(pushed, 0);
	teardown(&r);
}

static void test_violations_stop(void **state)
{
	struct rig r;
	struct kverr err;
	unsigned pushed;

	(void)state;
	setup(&r);
	queue(&r, 0, VIRTIO_MEM_REQ_PLUG, V_BASE, 1, 24, 16);
	queue(&r, 1, VIRTIO_MEM_REQ_PLUG, V_BASE + BLOCK, 1, 23, 16);
	queue(&r, 2, VIRTIO_MEM_REQ_PLUG, V_BASE + 2 * BLOCK, 1, 24, 16);
	assert_int_equal(vmem_serve_queue(&r.dev, &r.q, r.e, NULL, NULL, &pushed, &err), -EPROTO);
	assert_string_equal(err.msg, "virtio-mem protocol violation: invalid request size: 24");
	/* the first was answered; the short one and what follows were not */
	assert_int_equal(pushed, 1);
	assert_int_equal(ram[0x2002], 1);
	assert_int_equal(answer(1, NULL), 0xeeee);
	assert_int_equal(r.dev.plugged_size, BLOCK);
	teardown(&r);

	setup(&r);
	queue(&r, 0, VIRTIO_MEM_REQ_STATE, V_BASE, 1, 24, 9);
	assert_int_equal(vmem_serve_queue(&r.dev, &r.q, r.e, NULL, NULL, &pushed, &err), -EPROTO);
	assert_string_equal(err.msg,
			    "virtio-mem protocol violation: not enough space for response: 9");
	assert_int_equal(pushed, 0);
	teardown(&r);
}

static bool stop_now(void *ctx)
{
	return *(bool *)ctx;
}

static void test_stopping(void **state)
{
	struct rig r;
	struct kverr err;
	unsigned pushed;
	bool stop = true;

	(void)state;
	setup(&r);
	queue(&r, 0, VIRTIO_MEM_REQ_PLUG, V_BASE, 1, 24, 16);
	/* a reset waits: nothing is taken from the ring */
	assert_int_equal(vmem_serve_queue(&r.dev, &r.q, r.e, stop_now, &stop, &pushed, &err), 0);
	assert_int_equal(pushed, 0);
	assert_int_equal(r.dev.plugged_size, 0);
	stop = false;
	assert_int_equal(vmem_serve_queue(&r.dev, &r.q, r.e, stop_now, &stop, &pushed, &err), 0);
	assert_int_equal(pushed, 1);
	teardown(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests_answered),
	    cmocka_unit_test(test_violations_stop),
	    cmocka_unit_test(test_stopping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
