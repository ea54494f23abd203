/* test_vmem_blocks.c - virtio-mem on the memory manager: plugged blocks are
 * the manager's per-page state, unplugged ones are discarded with one call
 * per contiguous range (2 MiB huge pages exactly), unplugged-inaccessible
 * memory is not readable through the manager, dynamic memslots map only
 * what is plugged, and prealloc that finds no memory refuses the plug.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mem/manager.h"
#include "virtio/mem.h"
#include "virtio/mem_blocks.h"

#include "../support/vmem_request.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define BLOCK (2 * MiB)
#define BASE (4 * GiB)
#define REGION (4 * GiB)

/* ---- the host and KVM, recorded ---- */

struct discards {
	struct {
		uint64_t off, len;
	} d[64];
	unsigned n;
	int fail; /* errno every discard fails with, 0: none */
};

static int record_discard(void *opaque, struct backend *b, uint64_t off, uint64_t len,
			  struct kverr *err)
{
	struct discards *d = opaque;

	if (d->fail)
		return kverr_set(err, d->fail, "fake discard fails");
	assert_int_equal(off % b->page_size, 0);
	assert_int_equal(len % b->page_size, 0);
	assert_true(d->n < 64);
	d->d[d->n].off = off;
	d->d[d->n].len = len;
	d->n++;
	return 0;
}

struct populates {
	uint64_t off, len;
	unsigned n;
	int fail;
};

static struct populates pop;

static int fake_populate(struct backend *b, uint64_t off, uint64_t len, struct kverr *err)
{
	(void)b;
	pop.n++;
	pop.off = off;
	pop.len = len;
	if (pop.fail)
		return kverr_set(err, pop.fail, "no huge page left");
	return 0;
}

static unsigned slots_set, slots_deleted;

static int fake_set_slot(void *opaque, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
			 struct kverr *err)
{
	(void)opaque;
	(void)slot;
	(void)gpa;
	(void)hva;
	(void)err;
	if (size)
		slots_set++;
	else
		slots_deleted++;
	return 0;
}

static const struct mem_slot_ops slot_ops = {.set_slot = fake_set_slot};

/* The guest's memory is never touched here: the backend has no mapping
 * behind its (fake) address, only a size. */
static uint8_t page[4096];
static struct backend back = {.id = "vmem0", .size = REGION, .page_size = 2 * MiB, .fd = -1};

struct rig {
	struct mem_manager *mm;
	struct mem_region *r;
	struct discards disc;
	struct vmem_blocks blocks;
	struct vmem dev;
};

static struct rig rig;

static void setup(unsigned flags, bool prealloc, uint64_t memslot_size)
{
	struct mem_host_ops host = {.discard = record_discard, .opaque = &rig.disc};
	struct mem_region_spec spec = {.name = "vmem0",
				       .kind = MEM_REGION_VIRTIO_MEM,
				       .flags = MEM_REGION_UNPLUGGED | flags,
				       .gpa = BASE,
				       .size = REGION,
				       .backend = &back,
				       .node = 1};
	struct vmem_params p = {
	    .block_size = BLOCK, .addr = BASE, .region_size = REGION, .requested_size = REGION};
	struct vmem_mem_ops ops;
	struct kverr err;

	memset(&rig, 0, sizeof(rig));
	memset(&pop, 0, sizeof(pop));
	slots_set = slots_deleted = 0;
	back.hva = page; /* only pointers are computed, never followed */
	assert_int_equal(mem_manager_create(&rig.mm, &host, &err), 0);
	assert_int_equal(mem_manager_attach(rig.mm, &slot_ops, NULL, 512, &err), 0);
	assert_int_equal(mem_manager_add(rig.mm, &spec, &rig.r, &err), 0);
	vmem_blocks_init(&rig.blocks, rig.mm, rig.r, prealloc, memslot_size, fake_populate, &ops);
	assert_int_equal(vmem_init(&rig.dev, &p, &ops, &err), 0);
}

static void teardown(void)
{
	vmem_blocks_release(&rig.blocks);
	vmem_destroy(&rig.dev);
	mem_manager_destroy(rig.mm);
}

static int req(uint16_t type, uint64_t addr, uint16_t nb, uint16_t *state)
{
	return test_vmem_request(&rig.dev, type, addr, nb, state);
}

static void test_state_in_manager(void **state)
{
	uint16_t s;

	(void)state;
	setup(0, false, 0);
	/* every page starts unplugged */
	assert_int_equal(mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED), REGION / 4096);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE + 2 * BLOCK, 3, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(mem_pages_state(rig.mm, BASE + 2 * BLOCK) & MEM_PAGE_UNPLUGGED, 0);
	assert_int_equal(mem_pages_state(rig.mm, BASE + 5 * BLOCK - 4096) & MEM_PAGE_UNPLUGGED, 0);
	assert_true(mem_pages_state(rig.mm, BASE + 5 * BLOCK) & MEM_PAGE_UNPLUGGED);
	assert_true(mem_pages_state(rig.mm, BASE + 2 * BLOCK - 4096) & MEM_PAGE_UNPLUGGED);
	assert_int_equal(mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED), (REGION - 3 * BLOCK) / 4096);
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, BASE + BLOCK, 2, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_MIXED);
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, BASE + 2 * BLOCK, 3, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_PLUGGED);
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, BASE + 5 * BLOCK, 9, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_UNPLUGGED);
	/* a plug that overlaps plugged blocks is an error, changing nothing */
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE + BLOCK, 2, NULL), VIRTIO_MEM_RESP_ERROR);
	assert_true(mem_pages_state(rig.mm, BASE + BLOCK) & MEM_PAGE_UNPLUGGED);
	teardown();
}

static void test_unplug_discards_ranges(void **state)
{
	(void)state;
	setup(0, false, 0);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE, 16, NULL), VIRTIO_MEM_RESP_ACK);
	rig.disc.n = 0;
	/* 4 blocks in the middle: one discard of their 8 MiB */
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG, BASE + 4 * BLOCK, 4, NULL),
			 VIRTIO_MEM_RESP_ACK);
	assert_int_equal(rig.disc.n, 1);
	assert_int_equal(rig.disc.d[0].off, 4 * BLOCK);
	assert_int_equal(rig.disc.d[0].len, 4 * BLOCK);
	/* unplug all: the plugged ranges on both sides are discarded, and
	 * the region's already unplugged rest (discarded when added or not)
	 * costs no call per block */
	rig.disc.n = 0;
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), VIRTIO_MEM_RESP_ACK);
	assert_in_range(rig.disc.n, 1, 3);
	uint64_t total = 0;
	for (unsigned i = 0; i < rig.disc.n; i++)
		total += rig.disc.d[i].len;
	assert_true(total >= 12 * BLOCK);
	assert_int_equal(mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED), REGION / 4096);
	teardown();
}

static void test_inaccessible(void **state)
{
	const struct mem_view *v;

	(void)state;
	setup(MEM_REGION_PLUGGED_ONLY, false, 0);
	v = mem_view_begin(rig.mm);
	assert_null(mem_view_ptr(v, BASE, 8));
	mem_view_end(rig.mm);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE, 1, NULL), VIRTIO_MEM_RESP_ACK);
	v = mem_view_begin(rig.mm);
	assert_non_null(mem_view_ptr(v, BASE, 8));
	/* the next block is still unplugged: a range across it is refused */
	assert_null(mem_view_ptr(v, BASE + BLOCK - 8, 16));
	mem_view_end(rig.mm);
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG, BASE, 1, NULL), VIRTIO_MEM_RESP_ACK);
	v = mem_view_begin(rig.mm);
	assert_null(mem_view_ptr(v, BASE, 8));
	mem_view_end(rig.mm);
	teardown();
}

static void test_dynamic_memslots(void **state)
{
	const uint64_t slot = 1 * GiB;

	(void)state;
	assert_int_equal(vmem_memslot_size(REGION, BLOCK, 256), 1 * GiB);
	assert_int_equal(vmem_memslot_size(64 * GiB, BLOCK, 16), 4 * GiB);
	assert_int_equal(vmem_memslot_size(REGION, BLOCK, 1), REGION);
	setup(MEM_REGION_NO_SLOT, false, slot);
	assert_int_equal(mem_manager_slots_used(rig.mm), 0);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE, 2, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(vmem_blocks_memslots(&rig.blocks), 1);
	assert_int_equal(mem_manager_slots_used(rig.mm), 1);
	/* a range across the first memslot's end maps the second */
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE + slot - BLOCK, 2, NULL),
			 VIRTIO_MEM_RESP_ACK);
	assert_int_equal(mem_manager_slots_used(rig.mm), 2);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE + 3 * slot, 1, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(mem_manager_slots_used(rig.mm), 3);
	assert_int_equal(slots_set, 3);
	/* the first memslot keeps a plugged block: it stays */
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG, BASE, 2, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(mem_manager_slots_used(rig.mm), 3);
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG, BASE + 3 * slot, 1, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(mem_manager_slots_used(rig.mm), 2);
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(mem_manager_slots_used(rig.mm), 0);
	assert_int_equal(slots_deleted, 3);
	teardown();
}

static void test_prealloc(void **state)
{
	(void)state;
	setup(0, true, 0);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE + 4 * BLOCK, 2, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(pop.n, 1);
	assert_int_equal(pop.off, 4 * BLOCK);
	assert_int_equal(pop.len, 2 * BLOCK);
	/* no huge page left: BUSY, still unplugged, what was populated discarded */
	pop.fail = ENOMEM;
	rig.disc.n = 0;
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE + 8 * BLOCK, 2, NULL), VIRTIO_MEM_RESP_BUSY);
	assert_true(mem_pages_state(rig.mm, BASE + 8 * BLOCK) & MEM_PAGE_UNPLUGGED);
	assert_int_equal(rig.disc.n, 1);
	assert_int_equal(rig.disc.d[0].off, 8 * BLOCK);
	assert_int_equal(rig.dev.plugged_size, 2 * BLOCK);
	assert_string_equal(rig.dev.last_err.msg, "no huge page left");
	teardown();
}

static void test_reset_unplugs(void **state)
{
	struct kverr err;

	(void)state;
	setup(MEM_REGION_NO_SLOT, false, 1 * GiB);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE, 100, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(vmem_reset(&rig.dev, &err), 0);
	assert_int_equal(mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED), REGION / 4096);
	assert_int_equal(mem_manager_slots_used(rig.mm), 0);
	assert_int_equal(rig.dev.plugged_size, 0);
	teardown();
}

/* A discard that fails: UNPLUG answers BUSY and the blocks stay plugged;
 * a reset unplugs them anyway (the guest must find nothing plugged). */
static void test_failed_discard(void **state)
{
	struct kverr err;

	(void)state;
	setup(MEM_REGION_NO_SLOT, false, 1 * GiB);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE, 4, NULL), VIRTIO_MEM_RESP_ACK);
	rig.disc.fail = EIO;
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG, BASE, 2, NULL), VIRTIO_MEM_RESP_BUSY);
	assert_int_equal(mem_pages_state(rig.mm, BASE) & MEM_PAGE_UNPLUGGED, 0);
	assert_int_equal(rig.dev.plugged_size, 4 * BLOCK);
	assert_int_equal(mem_manager_slots_used(rig.mm), 1);
	assert_int_equal(vmem_reset(&rig.dev, &err), -EIO);
	assert_int_equal(mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED), REGION / 4096);
	assert_int_equal(rig.dev.plugged_size, 0);
	assert_int_equal(mem_manager_slots_used(rig.mm), 0);
	teardown();
}

/* UNPLUG_ALL whose discard fails: BUSY, and nothing changed.  Blocks the
 * guest had unplugged before stay unplugged (a hole among plugged blocks,
 * a whole memslot with none plugged: no KVM slot for it appears), the
 * plugged ones stay plugged; once the discard works, the retry unplugs
 * everything. */
static void test_failed_unplug_all(void **state)
{
	const uint64_t slot = 1 * GiB, far = BASE + 2 * slot;
	uint64_t unplugged;
	uint16_t s;

	(void)state;
	setup(MEM_REGION_NO_SLOT, false, slot);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, BASE, 6, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(req(VIRTIO_MEM_REQ_PLUG, far, 2, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG, BASE + 2 * BLOCK, 2, NULL),
			 VIRTIO_MEM_RESP_ACK);
	unplugged = mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED);
	assert_int_equal(unplugged, (REGION - 6 * BLOCK) / 4096);
	assert_int_equal(mem_manager_slots_used(rig.mm), 2);

	rig.disc.fail = EIO;
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), VIRTIO_MEM_RESP_BUSY);
	assert_int_equal(mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED), unplugged);
	assert_int_equal(rig.dev.plugged_size, 6 * BLOCK);
	assert_int_equal(mem_manager_slots_used(rig.mm), 2);
	assert_int_equal(vmem_blocks_memslots(&rig.blocks), 2);
	/* block by block, as the guest asks */
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, BASE, 2, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_PLUGGED);
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, BASE + 2 * BLOCK, 2, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_UNPLUGGED);
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, BASE + 4 * BLOCK, 2, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_PLUGGED);
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, BASE + 6 * BLOCK, 100, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_UNPLUGGED);
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, BASE + slot, 512, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_UNPLUGGED);
	assert_int_equal(req(VIRTIO_MEM_REQ_STATE, far, 2, &s), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(s, VIRTIO_MEM_STATE_PLUGGED);
	assert_true(mem_pages_state(rig.mm, far + 2 * BLOCK) & MEM_PAGE_UNPLUGGED);
	assert_true(mem_pages_state(rig.mm, far - 4096) & MEM_PAGE_UNPLUGGED);

	/* the same for UNPLUG of a range with unplugged blocks on both sides */
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG, BASE + 4 * BLOCK, 2, NULL),
			 VIRTIO_MEM_RESP_BUSY);
	assert_int_equal(mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED), unplugged);

	rig.disc.fail = 0;
	assert_int_equal(req(VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), VIRTIO_MEM_RESP_ACK);
	assert_int_equal(mem_pages_count(rig.mm, MEM_PAGE_UNPLUGGED), REGION / 4096);
	assert_int_equal(rig.dev.plugged_size, 0);
	assert_int_equal(mem_manager_slots_used(rig.mm), 0);
	teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state_in_manager), cmocka_unit_test(test_unplug_discards_ranges),
	    cmocka_unit_test(test_inaccessible),     cmocka_unit_test(test_dynamic_memslots),
	    cmocka_unit_test(test_prealloc),	     cmocka_unit_test(test_reset_unplugs),
	    cmocka_unit_test(test_failed_discard),   cmocka_unit_test(test_failed_unplug_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
