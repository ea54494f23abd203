/* test_vmem_memory.c - virtio-mem on real memory, checked as a guest would
 * check it: what it wrote stays, and only what it unplugged goes.
 *
 * Boot RAM (its own anonymous backend) and a virtio-mem device's region
 * (memory-backend-ram private, or memfd shared) are real mappings, and
 * the memory manager discards through backend_discard() as kvmem does.
 * The "guest" writes a pattern into boot RAM and into every block it
 * plugs, then runs a long pseudo-random sequence of PLUG and UNPLUG
 * requests of block ranges of every length, the way Linux's driver mixes
 * whole memory blocks and single sub-blocks; after each request every
 * byte is checked: boot RAM and each plugged block still hold what was
 * written (read through the manager, as KVM's slots would show it), each
 * unplugged block reads zero from the host mapping (it was given back).
 * A discard one block too far, an offset of the wrong backend or a huge
 * page rounded over a neighbour shows up as a block whose data changed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "mem/backend.h"
#include "mem/manager.h"
#include "virtio/mem.h"
#include "virtio/mem_blocks.h"

#include "../support/vmem_request.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define RAM_SIZE (4 * MiB)
#define BLOCK (2 * MiB)
#define NBLOCKS 24
#define REGION (NBLOCKS * BLOCK)
#define BASE (4 * GiB)
#define STEPS 150

struct rig {
	struct backend ram, dev;
	struct mem_manager *mm;
	struct mem_region *r;
	struct vmem_blocks blocks;
	struct vmem vmem;
	bool plugged[NBLOCKS];
	uint32_t gen[NBLOCKS]; /* which pattern a plugged block holds */
	uint64_t rng;
};

static struct rig rig;

static int discard(void *opaque, struct backend *b, uint64_t off, uint64_t len, struct kverr *err)
{
	(void)opaque;
	return backend_discard(b, off, len, err);
}

static uint64_t next(void)
{
	rig.rng ^= rig.rng << 13;
	rig.rng ^= rig.rng >> 7;
	rig.rng ^= rig.rng << 17;
	return rig.rng;
}

/* The 8-byte word the guest keeps at gpa, in generation g. */
static uint64_t word(uint64_t gpa, uint32_t g)
{
	uint64_t x = gpa * 0x9e3779b97f4a7c15ULL ^ (uint64_t)g << 32;

	x ^= x >> 29;
	return x | 1; /* never zero, which is what a discarded page reads */
}

static void guest_fill(uint64_t gpa, uint64_t len, uint32_t g)
{
	static uint64_t buf[BLOCK / 8];
	struct kverr err;

	for (uint64_t done = 0; done < len; done += sizeof(buf)) {
		for (uint64_t i = 0; i < sizeof(buf) / 8; i++)
			buf[i] = word(gpa + done + i * 8, g);
		assert_int_equal(mem_write(rig.mm, gpa + done, buf, sizeof(buf), &err), 0);
	}
}

/* 0 when [gpa, gpa+len) holds generation g, else the first bad address. */
static uint64_t guest_check(uint64_t gpa, uint64_t len, uint32_t g)
{
	static uint64_t buf[BLOCK / 8];
	struct kverr err;

	for (uint64_t done = 0; done < len; done += sizeof(buf)) {
		assert_int_equal(mem_read(rig.mm, gpa + done, buf, sizeof(buf), &err), 0);
		for (uint64_t i = 0; i < sizeof(buf) / 8; i++)
			if (buf[i] != word(gpa + done + i * 8, g))
				return gpa + done + i * 8;
	}
	return 0;
}

static bool host_zero(uint64_t off, uint64_t len)
{
	for (uint64_t i = 0; i < len; i += 8)
		if (*(const uint64_t *)(const void *)(rig.dev.hva + off + i))
			return false;
	return true;
}

static int request(uint16_t type, uint64_t addr, uint16_t nb)
{
	return test_vmem_request(&rig.vmem, type, addr, nb, NULL);
}

static void setup(enum memdev_type type, bool share, uint64_t memslot_size)
{
	struct mem_host_ops host = {.discard = discard};
	struct config_memdev md;
	struct mem_region_spec ram = {
	    .name = "ram", .kind = MEM_REGION_RAM, .gpa = 0, .size = RAM_SIZE, .backend = &rig.ram};
	struct mem_region_spec dev = {.name = "vmem0",
				      .kind = MEM_REGION_VIRTIO_MEM,
				      .flags = MEM_REGION_UNPLUGGED |
					       (memslot_size ? MEM_REGION_NO_SLOT : 0),
				      .gpa = BASE,
				      .size = REGION,
				      .backend = &rig.dev};
	struct vmem_params p = {
	    .block_size = BLOCK, .addr = BASE, .region_size = REGION, .requested_size = REGION};
	struct vmem_mem_ops ops;
	struct kverr err;

	memset(&rig, 0, sizeof(rig));
	rig.rng = 0x243f6a8885a308d3ULL;
	assert_int_equal(backend_create_anon(&rig.ram, "ram", RAM_SIZE, &err), 0);
	config_memdev_implicit(&md, "vmem0", REGION);
	md.type = type;
	md.share = share;
	assert_int_equal(backend_create(&rig.dev, &md, &err), 0);
	assert_int_equal(mem_manager_create(&rig.mm, &host, &err), 0);
	assert_int_equal(mem_manager_add(rig.mm, &ram, NULL, &err), 0);
	assert_int_equal(mem_manager_add(rig.mm, &dev, &rig.r, &err), 0);
	/* as realize does: a clean slate */
	assert_int_equal(mem_pages_give(rig.mm, BASE, REGION, MEM_PAGE_UNPLUGGED, NULL, &err), 0);
	vmem_blocks_init(&rig.blocks, rig.mm, rig.r, false, memslot_size, backend_populate, &ops);
	assert_int_equal(vmem_init(&rig.vmem, &p, &ops, &err), 0);
	guest_fill(0, RAM_SIZE, 7);
}

static void teardown(void)
{
	vmem_blocks_release(&rig.blocks);
	vmem_destroy(&rig.vmem);
	mem_manager_destroy(rig.mm);
	backend_destroy(&rig.dev);
	backend_destroy(&rig.ram);
}

/* Blocks [from, to) as the guest and the host must see them. */
static void check_blocks(unsigned step, unsigned from, unsigned to)
{
	uint64_t bad;

	for (unsigned i = from; i < to && i < NBLOCKS; i++) {
		uint64_t gpa = BASE + i * BLOCK;

		if (rig.plugged[i] && (bad = guest_check(gpa, BLOCK, rig.gen[i])))
			fail_msg("step %u: plugged block %u changed at 0x%llx", step, i,
				 (unsigned long long)bad);
		if (!rig.plugged[i] && !host_zero(i * BLOCK, BLOCK))
			fail_msg("step %u: unplugged block %u was not given back", step, i);
	}
}

static void check_all(unsigned step)
{
	uint64_t bad = guest_check(0, RAM_SIZE, 7);

	if (bad)
		fail_msg("step %u: boot RAM changed at 0x%llx", step, (unsigned long long)bad);
	check_blocks(step, 0, NBLOCKS);
}

/* The longest run of blocks from first in state plugged, at most max. */
static unsigned run_of(unsigned first, bool plugged, unsigned max)
{
	unsigned n = 0;

	while (first + n < NBLOCKS && n < max && rig.plugged[first + n] == plugged)
		n++;
	return n;
}

static void churn(void)
{
	uint32_t gen = 100;

	/* plug everything, as a guest growing to the requested size */
	assert_int_equal(request(VIRTIO_MEM_REQ_PLUG, BASE, NBLOCKS), VIRTIO_MEM_RESP_ACK);
	for (unsigned i = 0; i < NBLOCKS; i++) {
		rig.plugged[i] = true;
		rig.gen[i] = gen++;
		guest_fill(BASE + i * BLOCK, BLOCK, rig.gen[i]);
	}
	check_all(0);
	for (unsigned step = 1; step <= STEPS; step++) {
		unsigned first = (unsigned)(next() % NBLOCKS);
		bool plug = !rig.plugged[first];
		/* one block, a few, or as many as the run has */
		unsigned want = (unsigned)(next() % 3 == 0 ? NBLOCKS : 1 + next() % 4);
		unsigned n = run_of(first, !plug, want);

		assert_int_equal(request(plug ? VIRTIO_MEM_REQ_PLUG : VIRTIO_MEM_REQ_UNPLUG,
					 BASE + first * BLOCK, (uint16_t)n),
				 VIRTIO_MEM_RESP_ACK);
		for (unsigned i = first; i < first + n; i++) {
			rig.plugged[i] = plug;
			if (plug) {
				/* new memory for the guest: it reads zero, then
				 * the guest writes its own */
				if (!host_zero(i * BLOCK, BLOCK))
					fail_msg("step %u: block %u plugged with old data", step,
						 i);
				rig.gen[i] = gen++;
				guest_fill(BASE + i * BLOCK, BLOCK, rig.gen[i]);
			}
		}
		/* the blocks around the request at once, everything now and then */
		check_blocks(step, first ? first - 1 : 0, first + n + 1);
		if (step % 10 == 0 || step == STEPS)
			check_all(step);
	}
}

static void test_ram_private(void **state)
{
	(void)state;
	setup(MEMDEV_RAM, false, 0);
	churn();
	teardown();
}

static void test_memfd_shared(void **state)
{
	(void)state;
	setup(MEMDEV_MEMFD, true, 0);
	churn();
	teardown();
}

static void test_memfd_private(void **state)
{
	(void)state;
	setup(MEMDEV_MEMFD, false, 0);
	churn();
	teardown();
}

/* dynamic memslots: 8 MiB memslots mapped and unmapped as blocks come
 * and go (no KVM here: the slots are the manager's only) */
static void test_ram_memslots(void **state)
{
	(void)state;
	setup(MEMDEV_RAM, false, 4 * BLOCK);
	churn();
	teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ram_private),
	    cmocka_unit_test(test_memfd_shared),
	    cmocka_unit_test(test_memfd_private),
	    cmocka_unit_test(test_ram_memslots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
