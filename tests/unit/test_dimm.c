/* test_dimm.c - where DIMMs go, and why they are refused: QEMU 7.2's
 * placement.  The sequences below were run on qemu-system-x86_64 7.2
 * (-machine pc,accel=tcg, object-add + device_add pc-dimm over QMP) and
 * each address, slot and message here is what its query-memory-devices
 * and error answers said.  A property test then checks, over thousands of
 * random layouts, that the first fit is the lowest aligned free address
 * (found by brute force) and that nothing placed overlaps or leaves the
 * region.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan/dimm.h"

#define RAM_ALIGN (2 * MiB) /* memory-backend-ram */
#define PAGE (4 * KiB)	    /* memory-backend-memfd */

/* A machine: its region from the real layout code. */
struct vm {
	struct layout l;
	struct numa n;
	struct dimm_space s;
	struct dimm_plugged d[64];
	char ids[64][16];
	unsigned nr;
};

static void vm_init(struct vm *vm, uint64_t size, uint32_t slots, uint64_t maxmem)
{
	struct config_mem mem = {.size = size, .slots = slots, .maxmem = maxmem};
	struct kverr err;

	memset(vm, 0, sizeof(*vm));
	if (layout_compute(&mem, &vm->l, &err))
		fail_msg("layout: %s", err.msg);
	/* QEMU and kvmem give a machine with memory hotplug one NUMA node */
	vm->n.nr_nodes = 1;
	vm->n.max_nodeid = 1;
	vm->n.node[0].present = true;
	dimm_space_init(&vm->s, &vm->l, &vm->n);
}

static struct dimm_request req(uint64_t size, uint64_t align)
{
	return (struct dimm_request){.slot = DIMM_SLOT_AUTO,
				     .addr = DIMM_ADDR_AUTO,
				     .memdev = "m",
				     .size = size,
				     .align = align,
				     .kvm_slot_free = true};
}

/* Place r; on success plug it as id.  Returns 0 or the error. */
static int plug(struct vm *vm, const char *id, struct dimm_request r, struct dimm_placement *p,
		struct kverr *err)
{
	struct dimm_placement tmp;
	int ret;

	p = p ? p : &tmp;
	memset(err, 0, sizeof(*err));
	ret = dimm_place(&vm->s, vm->d, vm->nr, &r, p, err);
	if (ret)
		return ret;
	assert_true(vm->nr < 64);
	snprintf(vm->ids[vm->nr], sizeof(vm->ids[0]), "%s", id ? id : "");
	vm->d[vm->nr] = (struct dimm_plugged){
	    .id = id ? vm->ids[vm->nr] : NULL, .addr = p->addr, .size = r.size, .slot = p->slot};
	vm->nr++;
	return 0;
}

#define EXPECT_PLUG(vm, id, r, want_addr, want_slot)                                               \
	do {                                                                                       \
		struct dimm_placement p_;                                                          \
		struct kverr e_;                                                                   \
		if (plug(vm, id, r, &p_, &e_))                                                     \
			fail_msg("%s refused: %s", id ? id : "(unnamed)", e_.msg);                 \
		assert_int_equal(p_.addr, want_addr);                                              \
		assert_int_equal(p_.slot, want_slot);                                              \
	} while (0)

#define EXPECT_REFUSED(vm, r, want_msg)                                                            \
	do {                                                                                       \
		struct kverr e_;                                                                   \
		unsigned n_ = (vm)->nr;                                                            \
		assert_true(plug(vm, "refused", r, NULL, &e_) < 0);                                \
		assert_string_equal(e_.msg, want_msg);                                             \
		assert_int_equal((vm)->nr, n_);                                                    \
	} while (0)

/* -m 2G,slots=4,maxmem=8G: the region is [4 GiB, 14 GiB) */
static void test_qemu_first_fit(void **state)
{
	struct vm vm;

	(void)state;
	vm_init(&vm, 2 * GiB, 4, 8 * GiB);
	assert_int_equal(vm.s.base, 0x100000000ULL);
	assert_int_equal(vm.s.size, 10 * GiB);
	EXPECT_PLUG(&vm, "d1", req(1 * GiB, RAM_ALIGN), 0x100000000ULL, 0);
	/* memory-backend-ram of 1 MiB */
	EXPECT_REFUSED(&vm, req(1 * MiB, RAM_ALIGN),
		       "backend memory size must be multiple of 0x200000");
	/* memory-backend-memfd of 4 KiB: page aligned, right after d1 */
	EXPECT_PLUG(&vm, "d3", req(4 * KiB, PAGE), 0x140000000ULL, 1);
	/* the next 2 MiB-aligned DIMM skips past d3's page */
	EXPECT_PLUG(&vm, "d4", req(2 * MiB, RAM_ALIGN), 0x140200000ULL, 2);
}

/* -m 2G,slots=4,maxmem=4G: addr= given, then first fit around it */
static void test_qemu_addr_given(void **state)
{
	struct vm vm;
	struct dimm_request r;

	(void)state;
	vm_init(&vm, 2 * GiB, 4, 4 * GiB);
	assert_int_equal(vm.s.size, 6 * GiB);
	r = req(8 * KiB, PAGE);
	r.addr = 0x100001000ULL;
	EXPECT_PLUG(&vm, "e5", r, 0x100001000ULL, 0);
	r.addr = 0x100000000ULL;
	EXPECT_REFUSED(&vm, r, "address range conflicts with memory device id='e5'");
	r = req(1 * GiB, RAM_ALIGN);
	r.addr = 0x100000000ULL;
	EXPECT_REFUSED(&vm, r, "address range conflicts with memory device id='e5'");
	r.addr = 0x100000000ULL + 1 * MiB;
	EXPECT_REFUSED(&vm, r, "address must be aligned to 0x200000 bytes");
	r.addr = 0x400000000000ULL;
	EXPECT_REFUSED(&vm, r,
		       "can't add memory device [0x400000000000:0x40000000], usable range for "
		       "memory devices [0x100000000:0x180000000]");
	/* inside the region, but its end is not */
	r.addr = 0x250000000ULL;
	r.size = 0x76c00000ULL;
	EXPECT_REFUSED(&vm, r,
		       "can't add memory device [0x250000000:0x76c00000], usable range for "
		       "memory devices [0x100000000:0x180000000]");
	/* first fit: past e5's page, 2 MiB aligned */
	EXPECT_PLUG(&vm, "e7", req(1 * GiB, RAM_ALIGN), 0x100200000ULL, 1);
	/* an unnamed DIMM */
	r = req(2 * MiB, RAM_ALIGN);
	r.addr = 0x200000000ULL;
	EXPECT_PLUG(&vm, NULL, r, 0x200000000ULL, 2);
	EXPECT_REFUSED(&vm, r, "address range conflicts with memory device id='(unnamed)'");
	/* addr=0 is QEMU's "not given" */
	r.addr = 0;
	EXPECT_PLUG(&vm, "z", r, 0x140200000ULL, 3);
}

/* -m 4G,slots=2,maxmem=8G: RAM above 4 GiB moves the region to 5 GiB */
static void test_qemu_above_4g(void **state)
{
	struct vm vm;

	(void)state;
	vm_init(&vm, 4 * GiB, 2, 8 * GiB);
	EXPECT_PLUG(&vm, "d1", req(1 * GiB, RAM_ALIGN), 5 * GiB, 0);
}

/* Slots: none given, exhausted, out of range, busy, chosen. */
static void test_qemu_slots(void **state)
{
	struct vm vm;
	struct dimm_request r;

	(void)state;
	/* -m 2G,maxmem=4G: a region, but no slots */
	vm_init(&vm, 2 * GiB, 0, 4 * GiB);
	EXPECT_REFUSED(&vm, req(1 * GiB, RAM_ALIGN),
		       "no slots where allocated, please specify the 'slots' option");
	r = req(1 * GiB, RAM_ALIGN);
	r.slot = 0;
	EXPECT_REFUSED(&vm, r, "invalid slot number 0, valid range is [0-18446744073709551615]");

	vm_init(&vm, 2 * GiB, 2, 8 * GiB);
	r.slot = 9;
	EXPECT_REFUSED(&vm, r, "invalid slot number 9, valid range is [0-1]");
	r.slot = -2;
	EXPECT_REFUSED(&vm, r, "invalid slot number -2, valid range is [0-1]");
	r.slot = 1;
	EXPECT_PLUG(&vm, "d1", r, 4 * GiB, 1);
	EXPECT_REFUSED(&vm, r, "slot 1 is busy");
	EXPECT_PLUG(&vm, "d2", req(1 * GiB, RAM_ALIGN), 5 * GiB, 0);
	EXPECT_REFUSED(&vm, req(1 * GiB, RAM_ALIGN), "no free slots available");
}

/* maxmem: the DIMMs' total, not the region's size, is the limit. */
static void test_qemu_maxmem(void **state)
{
	struct vm vm;

	(void)state;
	/* -m 2G,slots=4,maxmem=4G: 2 GiB for DIMMs */
	vm_init(&vm, 2 * GiB, 4, 4 * GiB);
	EXPECT_PLUG(&vm, "d1", req(1 * GiB, RAM_ALIGN), 4 * GiB, 0);
	EXPECT_PLUG(&vm, "d2", req(1 * GiB, RAM_ALIGN), 5 * GiB, 1);
	EXPECT_REFUSED(&vm, req(1 * GiB, RAM_ALIGN),
		       "not enough space, currently 0x80000000 in use of total space for memory "
		       "devices 0x80000000");
	/* -m 2G,slots=2,maxmem=2050M: 2 MiB of room */
	vm_init(&vm, 2 * GiB, 2, 2050 * MiB);
	EXPECT_REFUSED(&vm, req(1 * GiB, RAM_ALIGN),
		       "not enough space, currently 0x0 in use of total space for memory devices "
		       "0x200000");
	EXPECT_PLUG(&vm, "d1", req(2 * MiB, RAM_ALIGN), 4 * GiB, 0);
	/* slightly more than the rest */
	vm_init(&vm, 2 * GiB, 4, 4 * GiB);
	EXPECT_PLUG(&vm, "e5", req(8 * KiB, PAGE), 4 * GiB, 0);
	EXPECT_PLUG(&vm, "e7", req(1 * GiB, RAM_ALIGN), 4 * GiB + 2 * MiB, 1);
	EXPECT_REFUSED(&vm, req(1 * GiB + 4 * KiB, PAGE),
		       "not enough space, currently 0x40002000 in use of total space for memory "
		       "devices 0x80000000");
}

/* -m 2G,slots=4,maxmem=4G, 2 MiB DIMMs at 5888M, 7680M and 9472M: no gap
 * takes 1900 MiB, though 2 GiB - 6 MiB of maxmem is left. */
static void test_qemu_fragmented(void **state)
{
	struct vm vm;
	struct dimm_request r = req(2 * MiB, RAM_ALIGN);

	(void)state;
	vm_init(&vm, 2 * GiB, 4, 4 * GiB);
	r.addr = 5888 * MiB;
	EXPECT_PLUG(&vm, "a", r, 5888 * MiB, 0);
	r.addr = 7680 * MiB;
	EXPECT_PLUG(&vm, "b", r, 7680 * MiB, 1);
	r.addr = 9472 * MiB;
	EXPECT_PLUG(&vm, NULL, r, 9472 * MiB, 2);
	EXPECT_REFUSED(&vm, req(1900 * MiB, RAM_ALIGN),
		       "could not find position in guest address space for memory device - "
		       "memory fragmented due to alignments");
	/* 1792 MiB fills the first gap exactly, up to a */
	EXPECT_PLUG(&vm, "c", req(1792 * MiB, RAM_ALIGN), 4096 * MiB, 3);
}

/* QEMU 7.2's order: slot, memdev, KVM slot, room, address, node, backend. */
static void test_qemu_order(void **state)
{
	struct vm vm;
	struct dimm_request r;

	(void)state;
	vm_init(&vm, 2 * GiB, 4, 3 * GiB);
	EXPECT_PLUG(&vm, "d1", req(1 * GiB, RAM_ALIGN), 4 * GiB, 0);
	/* room before node and before address */
	r = req(1 * GiB, RAM_ALIGN);
	r.node = 3;
	r.addr = 4096;
	r.memdev_mapped = true;
	EXPECT_REFUSED(&vm, r,
		       "not enough space, currently 0x40000000 in use of total space for memory "
		       "devices 0x40000000");
	vm_init(&vm, 2 * GiB, 4, 4 * GiB);
	EXPECT_PLUG(&vm, "d1", req(1 * GiB, RAM_ALIGN), 4 * GiB, 0);
	r = req(1 * GiB, RAM_ALIGN);
	r.node = 3;
	r.slot = 9;
	EXPECT_REFUSED(&vm, r, "invalid slot number 9, valid range is [0-3]");
	r.slot = DIMM_SLOT_AUTO;
	r.memdev = NULL;
	EXPECT_REFUSED(&vm, r, "'memdev' property must be set");
	r.memdev = "m1";
	r.kvm_slot_free = false;
	EXPECT_REFUSED(&vm, r, "hypervisor has no free memory slots left");
	r.kvm_slot_free = true;
	r.addr = 4096;
	EXPECT_REFUSED(&vm, r, "address must be aligned to 0x200000 bytes");
	/* alignment of addr= is checked before the size's */
	r.size = 1 * MiB;
	EXPECT_REFUSED(&vm, r, "address must be aligned to 0x200000 bytes");
	r.addr = 0x3b9aca00000ULL;
	EXPECT_REFUSED(&vm, r, "backend memory size must be multiple of 0x200000");
	r.addr = DIMM_ADDR_AUTO;
	r.size = 1 * GiB;
	r.memdev_mapped = true;
	EXPECT_REFUSED(&vm, r,
		       "'DIMM property node has value 3' which exceeds the number of numa "
		       "nodes: 1");
	r.node = 0;
	EXPECT_REFUSED(&vm, r, "can't use already busy memdev: m1");
	r.memdev_mapped = false;
	EXPECT_PLUG(&vm, "d2", r, 5 * GiB, 1);
}

/* Nodes: QEMU's count, and kvmem's sparse ids. */
static void test_nodes(void **state)
{
	struct vm vm;
	struct dimm_request r = req(1 * GiB, RAM_ALIGN);

	(void)state;
	vm_init(&vm, 2 * GiB, 4, 8 * GiB);
	vm.n.nr_nodes = 2;
	vm.n.max_nodeid = 3; /* nodes 0 and 2 */
	vm.n.node[2].present = true;
	dimm_space_init(&vm.s, &vm.l, &vm.n);
	r.node = 2;
	EXPECT_PLUG(&vm, "d1", r, 4 * GiB, 0);
	r.node = 1;
	EXPECT_REFUSED(&vm, r, "'DIMM property node has value 1' which is not a NUMA node");
	r.node = 3;
	EXPECT_REFUSED(&vm, r,
		       "'DIMM property node has value 3' which exceeds the number of numa "
		       "nodes: 3");
	/* without NUMA at all, node 0 only */
	vm.s.max_nodeid = 0;
	r.node = 1;
	EXPECT_REFUSED(&vm, r,
		       "'DIMM property node has value 1' which exceeds the number of numa "
		       "nodes: 1");
	r.node = 0;
	EXPECT_PLUG(&vm, "d2", r, 5 * GiB, 1);
}

/* Sums near 2^64 are refused, never wrapped. */
static void test_no_wrap(void **state)
{
	struct dimm_space s = {.base = UINT64_MAX - 8 * GiB + 1,
			       .size = 8 * GiB,
			       .slots = 4,
			       .hotplug_max = UINT64_MAX};
	struct dimm_plugged d = {.id = "top", .addr = UINT64_MAX - 4 * GiB + 1, .size = 4 * GiB};
	struct dimm_request r = req(2 * GiB, 1 * GiB);
	struct dimm_placement p;
	struct kverr err;

	(void)state;
	/* the aligned base plus the size does not fit in 64 bits */
	r.align = 16 * GiB;
	r.size = 16 * GiB;
	assert_int_equal(dimm_place(&s, NULL, 0, &r, &p, &err), -EINVAL);
	assert_string_equal(err.msg, "can't add memory device, device too big");
	/* the candidate moves past the last DIMM, to the end of the space */
	s.base = UINT64_MAX - 8 * GiB + 1 - (UINT64_MAX - 8 * GiB + 1) % GiB;
	s.size = UINT64_MAX - s.base;
	d.addr = s.base;
	d.size = s.size - 1 * GiB;
	r.align = 1 * GiB;
	r.size = 2 * GiB;
	assert_int_equal(dimm_place(&s, &d, 1, &r, &p, &err), -ENOSPC);
	assert_string_equal(err.msg, "could not find position in guest address space for memory "
				     "device - memory fragmented due to alignments");
	/* an addr= whose end wraps */
	r.addr = UINT64_MAX - 1 * GiB + 1;
	d.size = 1 * GiB;
	assert_true(dimm_place(&s, &d, 1, &r, &p, &err) < 0);
	assert_non_null(strstr(err.msg, "can't add memory device ["));
	/* a room sum that wraps */
	s.hotplug_max = UINT64_MAX;
	d.size = UINT64_MAX - 1 * GiB;
	r.addr = DIMM_ADDR_AUTO;
	assert_int_equal(dimm_place(&s, &d, 1, &r, &p, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "not enough space"));
}

/* xorshift: reproducible. */
static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

/* The lowest aligned address at or above the base where size fits
 * without touching a DIMM, by trying every aligned address. */
static bool brute_force(const struct dimm_space *s, const struct dimm_plugged *d, unsigned nr,
			uint64_t size, uint64_t align, uint64_t *addr)
{
	for (uint64_t a = (s->base + align - 1) / align * align; a + size <= s->base + s->size;
	     a += align) {
		bool free = true;

		for (unsigned i = 0; i < nr && free; i++)
			free = a + size <= d[i].addr || d[i].addr + d[i].size <= a;
		if (free) {
			*addr = a;
			return true;
		}
	}
	return false;
}

/* Random regions, DIMMs (some at chosen addresses and slots) and
 * alignments: every placement is in the region, aligned, overlap-free,
 * in a free slot, within maxmem, and the first fit is the lowest one. */
static void test_random_first_fit(void **state)
{
	unsigned placed = 0, refused = 0;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct dimm_space s = {
		    .base = (1 + rnd(8)) * GiB, .slots = 1 + (uint32_t)rnd(12), .max_nodeid = 0};
		struct dimm_plugged d[16];
		unsigned nr = 0;
		uint64_t used = 0;

		s.size = (1 + rnd(64)) * 64 * MiB;
		s.hotplug_max = s.size - rnd(2) * rnd(s.size / 2);
		for (int step = 0; step < 16; step++) {
			static const uint64_t aligns[] = {4 * KiB, 64 * KiB, 2 * MiB, 32 * MiB};
			struct dimm_request r = req(0, aligns[rnd(4)]);
			struct dimm_placement p;
			struct kverr err;
			uint64_t want;
			bool fits;
			int ret;

			r.size = (1 + rnd(64 * MiB / r.align)) * r.align;
			if (rnd(4) == 0)
				r.addr = s.base + rnd(s.size / r.align) * r.align;
			if (rnd(4) == 0)
				r.slot = (int64_t)rnd(s.slots);
			ret = dimm_place(&s, d, nr, &r, &p, &err);
			if (ret) {
				refused++;
				continue;
			}
			assert_true(p.addr >= s.base && p.addr + r.size <= s.base + s.size);
			assert_int_equal(p.addr % r.align, 0);
			assert_true(used + r.size <= s.hotplug_max);
			assert_true(p.slot < s.slots);
			if (r.slot != DIMM_SLOT_AUTO)
				assert_int_equal(p.slot, r.slot);
			if (r.addr != DIMM_ADDR_AUTO)
				assert_int_equal(p.addr, r.addr);
			for (unsigned i = 0; i < nr; i++) {
				assert_true(p.addr + r.size <= d[i].addr ||
					    d[i].addr + d[i].size <= p.addr);
				assert_int_not_equal(p.slot, d[i].slot);
			}
			if (r.addr == DIMM_ADDR_AUTO) {
				fits = brute_force(&s, d, nr, r.size, r.align, &want);
				assert_true(fits);
				assert_int_equal(p.addr, want);
			}
			d[nr++] =
			    (struct dimm_plugged){.addr = p.addr, .size = r.size, .slot = p.slot};
			used += r.size;
			placed++;
		}
		/* a refused first fit really had no place: the brute force agrees */
		{
			struct dimm_request r = req(64 * MiB, 2 * MiB);
			struct dimm_placement p;
			struct kverr err;
			uint64_t want;

			if (nr < s.slots && used + r.size <= s.hotplug_max) {
				bool fits = brute_force(&s, d, nr, r.size, r.align, &want);
				int ret = dimm_place(&s, d, nr, &r, &p, &err);

				assert_int_equal(ret == 0, fits);
				if (fits)
					assert_int_equal(p.addr, want);
			}
		}
	}
	/* the random cases reached both outcomes often */
	assert_true(placed > 5000);
	assert_true(refused > 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qemu_first_fit), cmocka_unit_test(test_qemu_addr_given),
	    cmocka_unit_test(test_qemu_above_4g),  cmocka_unit_test(test_qemu_slots),
	    cmocka_unit_test(test_qemu_maxmem),	   cmocka_unit_test(test_qemu_fragmented),
	    cmocka_unit_test(test_qemu_order),	   cmocka_unit_test(test_nodes),
	    cmocka_unit_test(test_no_wrap),	   cmocka_unit_test(test_random_first_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
