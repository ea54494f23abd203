/* test_manager.c - the memory manager, single-threaded: the one GPA -> host
 * translation refuses every range that is not guest RAM, copies cross
 * adjacent regions and never a gap, KVM slots are numbered, reused and
 * run out as KVM's would, and per-page state discards exactly the backend
 * pages (4 KiB or 2 MiB) no part of which the guest still uses.
 * Concurrent readers and writers: test_manager_threads.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem/manager.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)

static uint8_t low[64 * 1024], high[32 * 1024];
static struct backend b_low = {
    .id = "low", .size = sizeof(low), .page_size = 4096, .fd = -1, .hva = low};
static struct backend b_high = {
    .id = "high", .size = sizeof(high), .page_size = 4096, .fd = -1, .hva = high};

/* ---- what the manager asks of KVM and of the host, recorded ---- */

#define NR_FAKE_SLOTS 64

struct fake_kvm {
	struct {
		bool mapped;
		uint64_t gpa, size;
		void *hva;
	} slot[NR_FAKE_SLOTS];
	unsigned calls;
	int fail_at_call; /* this call (1-based) fails, 0: none */
};

static int fake_set_slot(void *opaque, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
			 struct kverr *err)
{
	struct fake_kvm *k = opaque;

	assert_true(slot < NR_FAKE_SLOTS);
	if (++k->calls == (unsigned)k->fail_at_call)
		return kverr_set(err, EFAULT, "fake KVM refuses slot %u", slot);
	/* as KVM: a slot is created, or deleted, never silently resized */
	if (size)
		assert_false(k->slot[slot].mapped);
	else
		assert_true(k->slot[slot].mapped);
	k->slot[slot].mapped = size != 0;
	k->slot[slot].gpa = gpa;
	k->slot[slot].size = size;
	k->slot[slot].hva = hva;
	return 0;
}

static const struct mem_slot_ops fake_ops = {.set_slot = fake_set_slot};

static unsigned kvm_mapped(const struct fake_kvm *k)
{
	unsigned n = 0;
	for (unsigned i = 0; i < NR_FAKE_SLOTS; i++)
		n += k->slot[i].mapped;
	return n;
}

struct discards {
	struct {
		const struct backend *b;
		uint64_t off, len;
	} d[64];
	unsigned n;
	int fail; /* errno to fail with, 0: succeed */
};

static int record_discard(void *opaque, struct backend *b, uint64_t off, uint64_t len,
			  struct kverr *err)
{
	struct discards *d = opaque;

	if (d->fail)
		return kverr_set(err, d->fail, "fake discard fails");
	assert_true(d->n < 64);
	/* the manager only ever asks for whole backend pages */
	assert_int_equal(off % b->page_size, 0);
	assert_int_equal(len % b->page_size, 0);
	d->d[d->n].b = b;
	d->d[d->n].off = off;
	d->d[d->n].len = len;
	d->n++;
	return 0;
}

static struct mem_manager *new_manager(struct discards *d)
{
	struct mem_host_ops host = {.discard = record_discard, .opaque = d};
	struct mem_manager *mm;
	struct kverr err;

	assert_int_equal(mem_manager_create(&mm, &host, &err), 0);
	return mm;
}

static int add(struct mem_manager *mm, const char *name, uint64_t gpa, uint64_t size,
	       struct backend *b, uint64_t off, struct kverr *err)
{
	struct mem_region_spec s = {
	    .name = name, .gpa = gpa, .size = size, .backend = b, .backend_offset = off};
	return mem_manager_add(mm, &s, NULL, err);
}

static struct mem_manager *setup_map(void)
{
	struct mem_manager *mm = new_manager(NULL);
	struct kverr err;

	assert_int_equal(add(mm, "low", 0, sizeof(low), &b_low, 0, &err), 0);
	/* a window onto the second half of 'high' placed at 1 MiB */
	assert_int_equal(add(mm, "high", 0x100000, 16384, &b_high, 16384, &err), 0);
	return mm;
}

static void *ptr(struct mem_manager *mm, uint64_t gpa, uint64_t len)
{
	void *p = mem_view_ptr(mem_view_begin(mm), gpa, len);
	mem_view_end(mm);
	return p;
}

/* ---- translation ---- */

static void test_translate_inside(void **state)
{
	struct mem_manager *mm = setup_map();
	(void)state;
	assert_ptr_equal(ptr(mm, 0, 1), low);
	assert_ptr_equal(ptr(mm, 100, 16), low + 100);
	assert_ptr_equal(ptr(mm, 0, sizeof(low)), low);
	assert_ptr_equal(ptr(mm, sizeof(low) - 1, 1), low + sizeof(low) - 1);
	assert_ptr_equal(ptr(mm, 0x100000, 8), high + 16384);
	assert_ptr_equal(ptr(mm, 0x100000 + 16383, 1), high + 32767);
	mem_manager_destroy(mm);
}

static void test_translate_refuses(void **state)
{
	struct mem_manager *mm = setup_map();
	(void)state;
	/* crossing a region's end, even by one byte */
	assert_null(ptr(mm, sizeof(low) - 1, 2));
	assert_null(ptr(mm, 0, sizeof(low) + 1));
	assert_null(ptr(mm, 0x100000 + 16383, 2));
	/* holes */
	assert_null(ptr(mm, sizeof(low), 1));
	assert_null(ptr(mm, 0xfffff, 1));
	assert_null(ptr(mm, 0xfffff, 2));
	/* overflow of gpa + len */
	assert_null(ptr(mm, 16, UINT64_MAX));
	assert_null(ptr(mm, UINT64_MAX, 2));
	assert_null(ptr(mm, 0x100000, UINT64_MAX - 0x100000 + 2));
	/* empty ranges are refused: a caller never needs a pointer for 0 bytes */
	assert_null(ptr(mm, 0, 0));
	mem_manager_destroy(mm);
}

static void test_add_refuses(void **state)
{
	struct mem_manager *mm = setup_map();
	struct kverr err;
	const struct mem_view *v;
	(void)state;
	/* overlap with an existing region */
	assert_int_equal(add(mm, "x", 0x1000, 4096, &b_low, 0, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "overlaps low"));
	/* window leaving its backend */
	assert_int_equal(add(mm, "y", 0x200000, 8192, &b_high, 28672, &err), -EINVAL);
	assert_int_equal(add(mm, "y", 0x200000, 4096, &b_high, UINT64_MAX & ~4095ULL, &err),
			 -EINVAL);
	/* wrapping the address space */
	assert_int_equal(add(mm, "z", UINT64_MAX - 4095, 8192, &b_high, 0, &err), -EINVAL);
	/* KVM maps whole pages: address, size and offset are 4 KiB multiples */
	assert_int_equal(add(mm, "a", 0x200800, 4096, &b_high, 0, &err), -EINVAL);
	assert_int_equal(add(mm, "a", 0x200000, 100, &b_high, 0, &err), -EINVAL);
	assert_int_equal(add(mm, "a", 0x200000, 4096, &b_high, 512, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "whole 4 KiB pages"));
	/* names: present, unique, bounded */
	assert_int_equal(add(mm, "high", 0x200000, 4096, &b_high, 0, &err), -EEXIST);
	assert_int_equal(add(mm, "", 0x200000, 4096, &b_high, 0, &err), -EINVAL);
	assert_int_equal(add(mm, "a-name-that-is-longer-than-sixty-three-characters-is-not-allowed",
			     0x200000, 4096, &b_high, 0, &err),
			 -EINVAL);
	v = mem_view_begin(mm);
	assert_int_equal(v->nr_regions, 2);
	assert_int_equal(v->nr_slots, 2);
	mem_view_end(mm);
	assert_int_equal(mem_manager_slots_used(mm), 2);
	mem_manager_destroy(mm);
}

static void test_read_write(void **state)
{
	struct mem_manager *mm = setup_map();
	struct kverr err;
	char buf[8] = "abcdefg";
	char out[8];
	(void)state;
	assert_int_equal(mem_write(mm, 0x100010, buf, sizeof(buf), &err), 0);
	assert_memory_equal(high + 16384 + 16, buf, sizeof(buf));
	assert_int_equal(mem_read(mm, 0x100010, out, sizeof(out), &err), 0);
	assert_memory_equal(out, buf, sizeof(buf));
	assert_int_equal(mem_write(mm, sizeof(low) - 4, buf, sizeof(buf), &err), -EFAULT);
	assert_non_null(strstr(err.msg, "0xfffc+0x8"));
	mem_manager_destroy(mm);
}

/* A copy may cross from one region into the next when nothing lies
 * between them; a gap anywhere refuses the whole copy and writes nothing. */
static void test_copy_across_adjacent(void **state)
{
	struct mem_manager *mm = setup_map();
	struct kverr err;
	uint8_t buf[64], out[64];
	(void)state;
	/* the first half of 'high' right after 'low': adjacent to it */
	assert_int_equal(add(mm, "mid", sizeof(low), 16384, &b_high, 0, &err), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i + 1);
	assert_int_equal(mem_write(mm, sizeof(low) - 16, buf, sizeof(buf), &err), 0);
	assert_memory_equal(low + sizeof(low) - 16, buf, 16);
	assert_memory_equal(high, buf + 16, sizeof(buf) - 16);
	memset(out, 0, sizeof(out));
	assert_int_equal(mem_read(mm, sizeof(low) - 16, out, sizeof(out), &err), 0);
	assert_memory_equal(out, buf, sizeof(buf));
	/* a pointer is still only ever inside one region */
	assert_null(ptr(mm, sizeof(low) - 16, sizeof(buf)));
	/* 'mid' ends at 80 KiB, 'high' starts at 1 MiB: the gap refuses it all */
	memset(high + 16384 - 8, 0xee, 8);
	assert_int_equal(mem_write(mm, sizeof(low) + 16384 - 8, buf, 16, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "0x13ff8+0x10 is not inside guest RAM"));
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(high[16384 - 8 + i], 0xee);
	/* running off the end of the last region, and wrapping */
	assert_int_equal(mem_read(mm, 0x100000 + 16384 - 4, out, 8, &err), -EFAULT);
	assert_int_equal(mem_read(mm, 16, out, UINT64_MAX, &err), -EFAULT);
	assert_int_equal(mem_write(mm, UINT64_MAX - 1, buf, 4, &err), -EFAULT);
	/* nothing at all is a no-op, even outside RAM */
	assert_int_equal(mem_write(mm, 0xdead0000, buf, 0, &err), 0);
	mem_manager_destroy(mm);
}

/* One answer to "what backs this address", with the region's slot. */
static void test_locate(void **state)
{
	struct mem_manager *mm = setup_map();
	const struct mem_view *v;
	struct mem_location loc;
	(void)state;
	v = mem_view_begin(mm);
	assert_int_equal(mem_view_locate(v, 0x100000 + 0x1234, &loc), 0);
	assert_string_equal(loc.region->name, "high");
	assert_ptr_equal(loc.backend, &b_high);
	assert_int_equal(loc.backend_offset, 16384 + 0x1234);
	assert_ptr_equal(loc.hva, high + 16384 + 0x1234);
	assert_int_equal(loc.len, 16384 - 0x1234);
	assert_int_equal(loc.slot, 1);
	assert_int_equal(mem_view_locate(v, 0, &loc), 0);
	assert_int_equal(loc.slot, 0);
	assert_int_equal(mem_view_locate(v, sizeof(low), &loc), -EFAULT);
	assert_int_equal(mem_view_locate(v, UINT64_MAX, &loc), -EFAULT);
	mem_view_end(mm);
	mem_manager_destroy(mm);
}

/* ---- regions and KVM slots ---- */

static uint8_t big[4 * MiB] __attribute__((aligned(4096)));
static struct backend b_big = {
    .id = "big", .size = sizeof(big), .page_size = 4096, .fd = -1, .hva = big};

/* Regions added before the VM exists get their slots when it attaches;
 * later ones at once; a removed region's slot is deleted and its number
 * is the next one handed out. */
static void test_slots_numbered_and_reused(void **state)
{
	struct mem_manager *mm = new_manager(NULL);
	struct fake_kvm kvm = {0};
	struct mem_region *r[4];
	struct mem_region_spec s = {.backend = &b_big, .size = MiB};
	struct kverr err;
	const char *names[] = {"r0", "r1", "r2", "r3"};
	(void)state;

	for (unsigned i = 0; i < 2; i++) {
		s.name = names[i];
		s.gpa = i * MiB;
		s.backend_offset = i * MiB;
		assert_int_equal(mem_manager_add(mm, &s, &r[i], &err), 0);
	}
	assert_int_equal(kvm_mapped(&kvm), 0);
	assert_int_equal(mem_manager_attach(mm, &fake_ops, &kvm, 8, &err), 0);
	assert_int_equal(kvm_mapped(&kvm), 2);
	assert_int_equal(kvm.slot[1].gpa, MiB);
	assert_ptr_equal(kvm.slot[1].hva, big + MiB);
	for (unsigned i = 2; i < 4; i++) {
		s.name = names[i];
		s.gpa = 16 * MiB + i * MiB; /* not in address order with the slots */
		s.backend_offset = i * MiB;
		assert_int_equal(mem_manager_add(mm, &s, &r[i], &err), 0);
	}
	assert_int_equal(kvm_mapped(&kvm), 4);
	assert_int_equal(kvm.slot[3].gpa, 19 * MiB);

	/* remove r1: slot 1 goes from KVM, and is the next one given */
	assert_int_equal(mem_manager_remove(mm, r[1], &err), 0);
	assert_false(kvm.slot[1].mapped);
	assert_int_equal(mem_manager_slots_used(mm), 3);
	assert_null(ptr(mm, MiB, 1));
	s.name = "again";
	s.gpa = 64 * MiB;
	s.backend_offset = MiB;
	assert_int_equal(mem_manager_add(mm, &s, &r[1], &err), 0);
	assert_true(kvm.slot[1].mapped);
	assert_int_equal(kvm.slot[1].gpa, 64 * MiB);
	assert_ptr_equal(ptr(mm, 64 * MiB + 5, 1), big + MiB + 5);
	/* a region that is gone cannot be removed twice */
	assert_int_equal(mem_manager_remove(mm, r[1], &err), 0);
	assert_int_equal(mem_manager_remove(mm, r[1], &err), -ENOENT);

	/* a new VM (after a reset): the same numbers, mapped again */
	mem_manager_detach(mm);
	memset(&kvm, 0, sizeof(kvm));
	assert_int_equal(mem_manager_attach(mm, &fake_ops, &kvm, 8, &err), 0);
	assert_int_equal(kvm_mapped(&kvm), 3);
	assert_true(kvm.slot[0].mapped && kvm.slot[2].mapped && kvm.slot[3].mapped);
	mem_manager_destroy(mm);
}

/* KVM_CAP_NR_MEMSLOTS bounds the numbers; a failed add changes nothing. */
static void test_slots_exhausted(void **state)
{
	struct mem_manager *mm = new_manager(NULL);
	struct fake_kvm kvm = {0};
	struct mem_region_spec s = {.backend = &b_big, .size = 64 * KiB};
	struct mem_region *r[4];
	struct kverr err;
	char name[4][8];
	(void)state;

	for (unsigned i = 0; i < 4; i++) {
		snprintf(name[i], sizeof(name[i]), "d%u", i);
		s.name = name[i];
		s.gpa = i * MiB;
		s.backend_offset = i * 64 * KiB;
		assert_int_equal(mem_manager_add(mm, &s, &r[i], &err), 0);
	}
	/* a VM that allows fewer slots than are in use is refused */
	assert_int_equal(mem_manager_attach(mm, &fake_ops, &kvm, 3, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "KVM allows 3"));
	assert_int_equal(kvm_mapped(&kvm), 0);
	assert_int_equal(mem_manager_attach(mm, &fake_ops, &kvm, 4, &err), 0);
	s.name = "d4";
	s.gpa = 8 * MiB;
	assert_int_equal(mem_manager_add(mm, &s, NULL, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "KVM memory slots exhausted (all 4 in use)"));
	assert_null(ptr(mm, 8 * MiB, 1));
	/* freeing one makes room for exactly one */
	assert_int_equal(mem_manager_remove(mm, r[2], &err), 0);
	assert_int_equal(mem_manager_add(mm, &s, NULL, &err), 0);
	assert_int_equal(kvm.slot[2].gpa, 8 * MiB);
	s.name = "d5";
	s.gpa = 9 * MiB;
	assert_int_equal(mem_manager_add(mm, &s, NULL, &err), -ENOSPC);

	/* KVM refusing a slot: the region is not added, the number not used */
	assert_int_equal(mem_manager_remove(mm, r[3], &err), 0);
	kvm.fail_at_call = (int)kvm.calls + 1;
	assert_int_equal(mem_manager_add(mm, &s, NULL, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "fake KVM refuses slot 3"));
	assert_null(ptr(mm, 9 * MiB, 1));
	assert_int_equal(mem_manager_slots_used(mm), 3);
	kvm.fail_at_call = 0;
	assert_int_equal(mem_manager_add(mm, &s, NULL, &err), 0);
	assert_int_equal(mem_manager_slots_used(mm), 4);
	mem_manager_destroy(mm);
}

/* Attaching to a VM that refuses one of the slots leaves KVM as it was. */
static void test_attach_undone(void **state)
{
	struct mem_manager *mm = new_manager(NULL);
	struct fake_kvm kvm = {.fail_at_call = 3};
	struct mem_region_spec s = {.backend = &b_big, .size = 64 * KiB};
	struct kverr err;
	const char *names[] = {"a", "b", "c"};
	(void)state;

	for (unsigned i = 0; i < 3; i++) {
		s.name = names[i];
		s.gpa = i * MiB;
		assert_int_equal(mem_manager_add(mm, &s, NULL, &err), 0);
	}
	assert_int_equal(mem_manager_attach(mm, &fake_ops, &kvm, 8, &err), -EFAULT);
	assert_int_equal(kvm_mapped(&kvm), 0);
	/* not attached: a new region maps nothing */
	s.name = "d";
	s.gpa = 5 * MiB;
	assert_int_equal(mem_manager_add(mm, &s, NULL, &err), 0);
	assert_int_equal(kvm_mapped(&kvm), 0);
	mem_manager_destroy(mm);
}

/* virtio-mem's dynamic memslots: a region without a slot of its own gets
 * one per plugged part, numbered from the same pool. */
static void test_region_slots(void **state)
{
	struct mem_manager *mm = new_manager(NULL);
	struct fake_kvm kvm = {0};
	struct mem_region_spec s = {.name = "vmem0",
				    .kind = MEM_REGION_VIRTIO_MEM,
				    .flags = MEM_REGION_NO_SLOT,
				    .gpa = 64 * MiB,
				    .size = 4 * MiB,
				    .backend = &b_big};
	struct mem_region *r;
	const struct mem_view *v;
	struct mem_location loc;
	struct kverr err;
	(void)state;

	assert_int_equal(mem_manager_attach(mm, &fake_ops, &kvm, 8, &err), 0);
	assert_int_equal(mem_manager_add(mm, &s, &r, &err), 0);
	assert_int_equal(kvm_mapped(&kvm), 0);
	assert_int_equal(mem_region_map_slot(mm, r, MiB, 2 * MiB, &err), 0);
	assert_int_equal(mem_region_map_slot(mm, r, 0, 512 * KiB, &err), 0);
	assert_int_equal(kvm.slot[0].gpa, 65 * MiB);
	assert_int_equal(kvm.slot[0].size, 2 * MiB);
	assert_ptr_equal(kvm.slot[0].hva, big + MiB);
	assert_int_equal(kvm.slot[1].gpa, 64 * MiB);
	/* overlapping, outside, misaligned */
	assert_int_equal(mem_region_map_slot(mm, r, 2 * MiB, MiB + 4096, &err), -EEXIST);
	assert_int_equal(mem_region_map_slot(mm, r, 3 * MiB, 2 * MiB, &err), -EINVAL);
	assert_int_equal(mem_region_map_slot(mm, r, 3 * MiB, 100, &err), -EINVAL);
	v = mem_view_begin(mm);
	assert_int_equal(v->nr_slots, 2);
	assert_int_equal(mem_view_locate(v, 65 * MiB + 4096, &loc), 0);
	assert_int_equal(loc.slot, 0);
	assert_int_equal(mem_view_locate(v, 67 * MiB + 4096, &loc), 0);
	assert_int_equal(loc.slot, -1);
	mem_view_end(mm);
	assert_int_equal(mem_region_unmap_slot(mm, r, MiB, &err), 0);
	assert_false(kvm.slot[0].mapped);
	assert_int_equal(mem_region_unmap_slot(mm, r, MiB, &err), -ENOENT);
	/* removing the region deletes the slots it still has */
	assert_int_equal(mem_manager_remove(mm, r, &err), 0);
	assert_int_equal(kvm_mapped(&kvm), 0);
	assert_int_equal(mem_manager_slots_used(mm), 0);
	mem_manager_destroy(mm);
}

/* ---- per-page state ---- */

static uint8_t ram4k[2 * MiB] __attribute__((aligned(4096)));
static uint8_t ram2m[8 * MiB] __attribute__((aligned(4096)));
static struct backend b_4k = {
    .id = "ram4k", .size = sizeof(ram4k), .page_size = 4096, .fd = -1, .hva = ram4k};
/* a hugetlb backend as the manager sees it: 2 MiB pages */
static struct backend b_2m = {.id = "ram2m",
			      .size = sizeof(ram2m),
			      .page_size = 2 * MiB,
			      .hugetlb = true,
			      .fd = -1,
			      .hva = ram2m};

#define G4K 0x100000000ULL /* where the 4 KiB backend is mapped */

/* Balloon pages one by one and in runs: each discard is one call per
 * contiguous range; deflating brings them back. */
static void test_pages_4k(void **state)
{
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	uint64_t done;
	struct kverr err;
	(void)state;

	assert_int_equal(add(mm, "ram", G4K, sizeof(ram4k), &b_4k, 0, &err), 0);
	assert_int_equal(mem_pages_give(mm, G4K + 5 * 4096, 4096, MEM_PAGE_BALLOONED, &done, &err),
			 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].off, 5 * 4096);
	assert_int_equal(d.d[0].len, 4096);
	assert_int_equal(done, 4096);
	/* 64 pages in one request: one call */
	assert_int_equal(
	    mem_pages_give(mm, G4K + 64 * 4096, 64 * 4096, MEM_PAGE_BALLOONED, &done, &err), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.d[1].off, 64 * 4096);
	assert_int_equal(d.d[1].len, 64 * 4096);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 65);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_DISCARDED), 65);
	assert_int_equal(mem_pages_state(mm, G4K + 70 * 4096),
			 MEM_PAGE_BALLOONED | MEM_PAGE_DISCARDED);
	assert_int_equal(mem_pages_state(mm, G4K + 4 * 4096), 0);

	/* deflate part of the run */
	assert_int_equal(mem_pages_take(mm, G4K + 64 * 4096, 8 * 4096, MEM_PAGE_BALLOONED, &err),
			 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 57);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_DISCARDED), 57);
	assert_int_equal(mem_pages_state(mm, G4K + 64 * 4096), 0);
	/* the same pages again: set twice counts once */
	assert_int_equal(
	    mem_pages_give(mm, G4K + 72 * 4096, 56 * 4096, MEM_PAGE_BALLOONED, &done, &err), 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 57);

	/* a reset gives the guest everything back */
	mem_pages_reset(mm, MEM_PAGE_BALLOONED);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_DISCARDED), 0);
	mem_manager_destroy(mm);
}

/* 4 KiB pages the kernel backs with transparent huge pages: a give of
 * ballooned pages discards whole 2 MiB spans only; the sweep discards
 * what is left, in runs, and not what the guest took back before it.
 * Reported ranges are discarded at once, 4 KiB pages included. */
static void test_pages_thp(void **state)
{
	static struct backend b_thp = {.id = "thp",
				       .size = sizeof(ram2m),
				       .page_size = 4096,
				       .thp_size = 2 * MiB,
				       .fd = -1,
				       .hva = ram2m};
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	uint64_t done;
	struct kverr err;
	(void)state;

	assert_int_equal(add(mm, "ram", G4K, sizeof(ram2m), &b_thp, 0, &err), 0);
	/* half of the first huge page, then four pages of the second */
	assert_int_equal(mem_pages_give(mm, G4K, MiB, MEM_PAGE_BALLOONED, &done, &err), 0);
	assert_int_equal(
	    mem_pages_give(mm, G4K + 2 * MiB, 4 * 4096, MEM_PAGE_BALLOONED, &done, &err), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(done, 0);
	/* the other half: the whole huge page goes, in one call */
	assert_int_equal(mem_pages_give(mm, G4K + MiB, MiB, MEM_PAGE_BALLOONED, &done, &err), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].off, 0);
	assert_int_equal(d.d[0].len, 2 * MiB);
	assert_int_equal(done, 2 * MiB);
	/* two more pages apart; the guest takes one of the four back */
	assert_int_equal(
	    mem_pages_give(mm, G4K + 2 * MiB + 8 * 4096, 4096, MEM_PAGE_BALLOONED, &done, &err), 0);
	assert_int_equal(mem_pages_give(mm, G4K + 6 * MiB, 4096, MEM_PAGE_BALLOONED, &done, &err),
			 0);
	assert_int_equal(
	    mem_pages_take(mm, G4K + 2 * MiB + 3 * 4096, 4096, MEM_PAGE_BALLOONED, &err), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_DISCARDED), 512);
	/* the sweep: pages 0-2 and 8 of the second huge page, one of the fourth */
	assert_int_equal(mem_pages_sweep(mm, &done, &err), 0);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.d[1].off, 2 * MiB);
	assert_int_equal(d.d[1].len, 3 * 4096);
	assert_int_equal(d.d[2].off, 2 * MiB + 8 * 4096);
	assert_int_equal(d.d[2].len, 4096);
	assert_int_equal(d.d[3].off, 6 * MiB);
	assert_int_equal(d.d[3].len, 4096);
	assert_int_equal(done, 5 * 4096);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_DISCARDED), 517);
	assert_int_equal(mem_pages_state(mm, G4K + 2 * MiB + 3 * 4096), 0);
	/* nothing left: a second sweep discards nothing */
	assert_int_equal(mem_pages_sweep(mm, &done, &err), 0);
	assert_int_equal(d.n, 4);
	assert_int_equal(done, 0);
	/* a reported range is discarded at once, whatever its size */
	assert_int_equal(
	    mem_pages_give(mm, G4K + 4 * MiB, 8 * 4096, MEM_PAGE_REPORTED, &done, &err), 0);
	assert_int_equal(d.n, 5);
	assert_int_equal(d.d[4].off, 4 * MiB);
	assert_int_equal(d.d[4].len, 8 * 4096);
	mem_manager_destroy(mm);
}

/* A hostile guest's ranges: refused whole, nothing changed or discarded. */
static void test_pages_refused(void **state)
{
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	struct kverr err;
	(void)state;

	assert_int_equal(add(mm, "ram", G4K, MiB, &b_4k, 0, &err), 0);
	assert_int_equal(add(mm, "ram2", G4K + MiB, MiB, &b_4k, MiB, &err), 0);
	/* outside, in a gap, past the end, wrapping */
	assert_int_equal(mem_pages_give(mm, 0, 4096, MEM_PAGE_BALLOONED, NULL, &err), -EFAULT);
	assert_int_equal(
	    mem_pages_give(mm, G4K + 2 * MiB - 4096, 8192, MEM_PAGE_BALLOONED, NULL, &err),
	    -EFAULT);
	assert_int_equal(
	    mem_pages_give(mm, UINT64_MAX - 4095, 8192, MEM_PAGE_BALLOONED, NULL, &err), -EFAULT);
	assert_int_equal(mem_pages_give(mm, G4K, UINT64_MAX - 4095, MEM_PAGE_BALLOONED, NULL, &err),
			 -EFAULT);
	/* not whole pages */
	assert_int_equal(mem_pages_give(mm, G4K + 1, 4096, MEM_PAGE_BALLOONED, NULL, &err),
			 -EINVAL);
	assert_int_equal(mem_pages_give(mm, G4K, 100, MEM_PAGE_BALLOONED, NULL, &err), -EINVAL);
	assert_int_equal(mem_pages_give(mm, G4K, 0, MEM_PAGE_BALLOONED, NULL, &err), -EINVAL);
	/* a state that is not given */
	assert_int_equal(mem_pages_give(mm, G4K, 4096, MEM_PAGE_DISCARDED, NULL, &err), -EINVAL);
	assert_int_equal(mem_pages_take(mm, 0, 4096, MEM_PAGE_BALLOONED, &err), -EFAULT);
	assert_int_equal(d.n, 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 0);
	/* across the two adjacent regions is fine */
	assert_int_equal(mem_pages_give(mm, G4K + MiB - 4096, 8192, MEM_PAGE_BALLOONED, NULL, &err),
			 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 2);
	/* a failing discard is reported; the guest still gave the page */
	d.fail = EIO;
	assert_int_equal(mem_pages_give(mm, G4K, 4096, MEM_PAGE_BALLOONED, NULL, &err), -EIO);
	assert_int_equal(mem_pages_state(mm, G4K), MEM_PAGE_BALLOONED);
	mem_manager_destroy(mm);
}

/* 2 MiB backend pages: discarded exactly when all 512 parts are gone. */
static void test_pages_2m(void **state)
{
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	uint64_t done;
	struct kverr err;
	(void)state;

	assert_int_equal(add(mm, "huge", G4K, sizeof(ram2m), &b_2m, 0, &err), 0);
	/* 511 of the 512 parts of the second huge page: nothing yet */
	for (unsigned i = 0; i < 511; i++)
		assert_int_equal(mem_pages_give(mm, G4K + 2 * MiB + i * 4096ULL, 4096,
						MEM_PAGE_BALLOONED, &done, &err),
				 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 511);
	/* the last one: the huge page goes, in one call */
	assert_int_equal(
	    mem_pages_give(mm, G4K + 4 * MiB - 4096, 4096, MEM_PAGE_BALLOONED, &done, &err), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].off, 2 * MiB);
	assert_int_equal(d.d[0].len, 2 * MiB);
	assert_int_equal(done, 2 * MiB);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_DISCARDED), 512);

	/* one part deflated: the guest will fault the whole huge page back */
	assert_int_equal(mem_pages_take(mm, G4K + 3 * MiB, 4096, MEM_PAGE_BALLOONED, &err), 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_DISCARDED), 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 511);
	/* and it is discarded again when that part comes back */
	assert_int_equal(mem_pages_give(mm, G4K + 3 * MiB, 4096, MEM_PAGE_BALLOONED, &done, &err),
			 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.d[1].off, 2 * MiB);

	/* two huge pages in one request: one call */
	assert_int_equal(
	    mem_pages_give(mm, G4K + 4 * MiB, 4 * MiB, MEM_PAGE_BALLOONED, &done, &err), 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.d[2].off, 4 * MiB);
	assert_int_equal(d.d[2].len, 4 * MiB);
	assert_int_equal(done, 4 * MiB);
	assert_int_equal(mem_pages_give(mm, G4K + MiB, MiB - 4096, MEM_PAGE_BALLOONED, &done, &err),
			 0);
	assert_int_equal(d.n, 3); /* the first huge page still has used parts */
	mem_manager_destroy(mm);
}

/* A report discards the huge pages it covers; its bit is only a hint
 * afterwards: the guest may reuse the pages without a word, so a later
 * balloon of one part must not discard the rest. */
static void test_pages_reported(void **state)
{
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	struct kverr err;
	(void)state;

	assert_int_equal(add(mm, "huge", G4K, sizeof(ram2m), &b_2m, 0, &err), 0);
	assert_int_equal(mem_pages_give(mm, G4K, 2 * MiB, MEM_PAGE_REPORTED, NULL, &err), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].len, 2 * MiB);
	/* half a huge page reported: nothing to discard */
	assert_int_equal(mem_pages_give(mm, G4K + 2 * MiB, MiB, MEM_PAGE_REPORTED, NULL, &err), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_REPORTED), 768);
	/* the guest quietly uses the reported pages; a balloon of one part */
	assert_int_equal(mem_pages_give(mm, G4K + 4096, 4096, MEM_PAGE_BALLOONED, NULL, &err), 0);
	assert_int_equal(d.n, 1);
	/* reported and ballooned parts together make a page unused, in the
	 * report itself */
	assert_int_equal(mem_pages_give(mm, G4K + 4 * MiB, MiB, MEM_PAGE_BALLOONED, NULL, &err), 0);
	assert_int_equal(mem_pages_give(mm, G4K + 5 * MiB, MiB, MEM_PAGE_REPORTED, NULL, &err), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.d[1].off, 4 * MiB);
	mem_manager_destroy(mm);
}

/* Two windows of one backend share a huge page at their edge: it goes
 * only when the parts in both regions are gone. */
static void test_pages_2m_shared_edge(void **state)
{
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	struct kverr err;
	(void)state;

	/* backend [0, 3 MiB) at 4 GiB, [3 MiB, 8 MiB) at 5 GiB */
	assert_int_equal(add(mm, "a", G4K, 3 * MiB, &b_2m, 0, &err), 0);
	assert_int_equal(add(mm, "b", G4K + 1024 * MiB, 5 * MiB, &b_2m, 3 * MiB, &err), 0);
	assert_int_equal(mem_pages_give(mm, G4K + 2 * MiB, MiB, MEM_PAGE_BALLOONED, NULL, &err), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(mem_pages_give(mm, G4K + 1024 * MiB, MiB, MEM_PAGE_BALLOONED, NULL, &err),
			 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].off, 2 * MiB);
	assert_int_equal(d.d[0].len, 2 * MiB);
	/* both regions' parts are marked */
	assert_int_equal(mem_pages_state(mm, G4K + 2 * MiB) & MEM_PAGE_DISCARDED,
			 MEM_PAGE_DISCARDED);
	assert_int_equal(mem_pages_state(mm, G4K + 1024 * MiB + MiB - 4096) & MEM_PAGE_DISCARDED,
			 MEM_PAGE_DISCARDED);
	/* taking back a part in 'b' un-discards the parts in 'a' too */
	assert_int_equal(mem_pages_take(mm, G4K + 1024 * MiB, 4096, MEM_PAGE_BALLOONED, &err), 0);
	assert_int_equal(mem_pages_state(mm, G4K + 2 * MiB), MEM_PAGE_BALLOONED);
	mem_manager_destroy(mm);
}

/* virtio-mem: pages start unplugged and, with unplugged-inaccessible,
 * no pointer or copy reaches them until plugged. */
static void test_pages_unplugged(void **state)
{
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	struct mem_region_spec s = {.name = "vmem",
				    .kind = MEM_REGION_VIRTIO_MEM,
				    .flags = MEM_REGION_UNPLUGGED | MEM_REGION_PLUGGED_ONLY,
				    .gpa = G4K,
				    .size = sizeof(ram2m),
				    .backend = &b_2m};
	uint64_t gpa, len;
	uint8_t byte = 7;
	struct kverr err;
	(void)state;

	assert_int_equal(mem_manager_add(mm, &s, NULL, &err), 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_UNPLUGGED), 2048);
	assert_null(ptr(mm, G4K, 1));
	assert_int_equal(mem_write(mm, G4K, &byte, 1, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "not plugged in vmem"));
	/* plug the second 2 MiB block */
	assert_int_equal(mem_pages_take(mm, G4K + 2 * MiB, 2 * MiB, MEM_PAGE_UNPLUGGED, &err), 0);
	assert_ptr_equal(ptr(mm, G4K + 2 * MiB, 2 * MiB), ram2m + 2 * MiB);
	assert_null(ptr(mm, G4K + 2 * MiB - 1, 2));
	assert_int_equal(mem_write(mm, G4K + 4 * MiB - 1, &byte, 1, &err), 0);
	/* unplug it again: discarded in one call */
	assert_int_equal(mem_pages_give(mm, G4K + 2 * MiB, 2 * MiB, MEM_PAGE_UNPLUGGED, NULL, &err),
			 0);
	assert_int_equal(d.n, 1);
	assert_null(ptr(mm, G4K + 2 * MiB, 1));
	/* the dump walk: nothing in use */
	assert_int_equal(mem_pages_find(mm, 0, MEM_PAGE_UNUSED, false, &gpa, &len), -ENOENT);
	mem_manager_destroy(mm);
}

/* What a dump walks: the runs of pages in use, region by region. */
static void test_pages_find(void **state)
{
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	uint64_t gpa, len;
	struct kverr err;
	(void)state;

	assert_int_equal(add(mm, "a", 0, MiB, &b_4k, 0, &err), 0);
	assert_int_equal(add(mm, "b", MiB, MiB, &b_4k, MiB, &err), 0);
	assert_int_equal(mem_pages_give(mm, 4096, 3 * 4096, MEM_PAGE_BALLOONED, NULL, &err), 0);
	assert_int_equal(mem_pages_give(mm, MiB, MiB, MEM_PAGE_BALLOONED, NULL, &err), 0);
	assert_int_equal(mem_pages_find(mm, 0, MEM_PAGE_UNUSED, false, &gpa, &len), 0);
	assert_int_equal(gpa, 0);
	assert_int_equal(len, 4096);
	assert_int_equal(mem_pages_find(mm, gpa + len, MEM_PAGE_UNUSED, false, &gpa, &len), 0);
	assert_int_equal(gpa, 4 * 4096);
	assert_int_equal(len, MiB - 4 * 4096); /* to the end of 'a'; 'b' is all ballooned */
	assert_int_equal(mem_pages_find(mm, gpa + len, MEM_PAGE_UNUSED, false, &gpa, &len),
			 -ENOENT);
	assert_int_equal(mem_pages_find(mm, 0, MEM_PAGE_BALLOONED, true, &gpa, &len), 0);
	assert_int_equal(gpa, 4096);
	assert_int_equal(len, 3 * 4096);
	assert_int_equal(mem_pages_find(mm, 2 * 4096, MEM_PAGE_BALLOONED, true, &gpa, &len), 0);
	assert_int_equal(gpa, 2 * 4096);
	assert_int_equal(len, 2 * 4096);
	assert_int_equal(mem_pages_find(mm, 4 * 4096, MEM_PAGE_BALLOONED, true, &gpa, &len), 0);
	assert_int_equal(gpa, MiB);
	assert_int_equal(len, MiB);
	mem_manager_destroy(mm);
}

/* A region that goes away takes its page state with it. */
static void test_pages_gone_with_region(void **state)
{
	struct discards d = {0};
	struct mem_manager *mm = new_manager(&d);
	struct mem_region_spec s = {
	    .name = "dimm0", .kind = MEM_REGION_DIMM, .gpa = G4K, .size = MiB, .backend = &b_4k};
	struct mem_region *r;
	struct kverr err;
	(void)state;

	assert_int_equal(mem_manager_add(mm, &s, &r, &err), 0);
	assert_int_equal(mem_pages_give(mm, G4K, MiB, MEM_PAGE_BALLOONED, NULL, &err), 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 256);
	assert_int_equal(mem_manager_remove(mm, r, &err), 0);
	assert_int_equal(mem_pages_count(mm, MEM_PAGE_BALLOONED), 0);
	assert_int_equal(mem_pages_give(mm, G4K, 4096, MEM_PAGE_BALLOONED, NULL, &err), -EFAULT);
	assert_int_equal(mem_manager_add(mm, &s, &r, &err), 0);
	assert_int_equal(mem_pages_state(mm, G4K), 0);
	mem_manager_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_translate_inside),
	    cmocka_unit_test(test_translate_refuses),
	    cmocka_unit_test(test_add_refuses),
	    cmocka_unit_test(test_read_write),
	    cmocka_unit_test(test_copy_across_adjacent),
	    cmocka_unit_test(test_locate),
	    cmocka_unit_test(test_slots_numbered_and_reused),
	    cmocka_unit_test(test_slots_exhausted),
	    cmocka_unit_test(test_attach_undone),
	    cmocka_unit_test(test_region_slots),
	    cmocka_unit_test(test_pages_4k),
	    cmocka_unit_test(test_pages_refused),
	    cmocka_unit_test(test_pages_thp),
	    cmocka_unit_test(test_pages_2m),
	    cmocka_unit_test(test_pages_reported),
	    cmocka_unit_test(test_pages_2m_shared_edge),
	    cmocka_unit_test(test_pages_unplugged),
	    cmocka_unit_test(test_pages_find),
	    cmocka_unit_test(test_pages_gone_with_region),
	};
	return cmocka_run_group_tests_name("manager", tests, NULL, NULL);
}
