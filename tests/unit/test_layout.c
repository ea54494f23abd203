/* test_layout.c - the guest physical map: QEMU's split, device memory,
 * and the invariants every later stage relies on, over many sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plan/layout.h"

/* cmocka's assert_* do not say which size broke; this does. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("size=0x%llx slots=%u maxmem=0x%llx: %s",                         \
				 (unsigned long long)m->size, m->slots,                            \
				 (unsigned long long)m->maxmem, #cond);                            \
	} while (0)

static struct config_mem mem(uint64_t size, uint32_t slots, uint64_t maxmem)
{
	struct config_mem m = {.size = size, .slots = slots, .maxmem = maxmem};
	return m;
}

static uint64_t ram_in_regions(const struct layout *l)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < l->nr_regions; i++)
		if (l->region[i].kind != LAYOUT_DEVICE_MEMORY)
			sum += l->region[i].size;
	return sum;
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Everything a consumer of struct layout may assume. */
static void check_layout(const struct config_mem *m, const struct layout *l)
{
	unsigned i;
	int seen_below = 0, seen_above = 0, seen_dev = 0;

	CHECK(l->ram_size == m->size);
	CHECK(l->slots == m->slots);
	CHECK(l->maxmem == m->maxmem);
	CHECK(l->below_4g + l->above_4g == m->size);
	CHECK(ram_in_regions(l) == m->size);
	CHECK(l->pci_hole_start == l->below_4g);
	CHECK(l->below_4g <= LAYOUT_LOWMEM_MAX);
	CHECK(l->below_4g >= LAYOUT_MIN_RAM);

	/* QEMU pc, gigabyte_align: split at 3 GiB only from 3.5 GiB up */
	if (m->size < LAYOUT_LOWMEM_MAX) {
		CHECK(l->below_4g == m->size);
		CHECK(l->above_4g == 0);
	} else {
		CHECK(l->below_4g == 3 * GiB);
		CHECK(l->above_4g == m->size - 3 * GiB);
	}

	CHECK(l->nr_regions >= 1 && l->nr_regions <= LAYOUT_MAX_REGIONS);
	for (i = 0; i < l->nr_regions; i++) {
		const struct layout_region *r = &l->region[i];

		CHECK(r->size > 0);
		CHECK(r->gpa % LAYOUT_PAGE_SIZE == 0);
		CHECK(r->size % LAYOUT_PAGE_SIZE == 0);
		/* nothing may live in the 32-bit PCI hole */
		CHECK(!overlaps(r->gpa, r->size, l->below_4g, LAYOUT_4G - l->below_4g));
		if (i > 0) {
			const struct layout_region *p = &l->region[i - 1];
			CHECK(p->gpa + p->size <= r->gpa);
		}
		switch (r->kind) {
		case LAYOUT_RAM_BELOW_4G:
			seen_below++;
			CHECK(r->gpa == 0);
			CHECK(r->size == l->below_4g);
			break;
		case LAYOUT_RAM_ABOVE_4G:
			seen_above++;
			CHECK(r->gpa == LAYOUT_4G);
			CHECK(r->size == l->above_4g);
			break;
		case LAYOUT_DEVICE_MEMORY:
			seen_dev++;
			CHECK(r->gpa == l->device_mem_base);
			CHECK(r->size == l->device_mem_size);
			break;
		default:
			CHECK(!"unknown region kind");
		}
	}
	CHECK(seen_below == 1);
	CHECK(seen_above == (l->above_4g > 0));

	if (m->maxmem > m->size) {
		CHECK(seen_dev == 1);
		CHECK(l->device_mem_base % GiB == 0);
		CHECK(l->device_mem_base >= LAYOUT_4G + l->above_4g);
		/* the first 1 GiB boundary at or after the end of RAM */
		CHECK(l->device_mem_base - (LAYOUT_4G + l->above_4g) < GiB);
		CHECK(l->device_mem_size == m->maxmem - m->size + (uint64_t)m->slots * GiB);
		CHECK(l->phys_end == l->device_mem_base + l->device_mem_size);
	} else {
		CHECK(seen_dev == 0);
		CHECK(l->device_mem_base == 0);
		CHECK(l->device_mem_size == 0);
		CHECK(l->phys_end == (l->above_4g ? LAYOUT_4G + l->above_4g : l->below_4g));
	}
	CHECK(l->phys_end <= LAYOUT_PHYS_LIMIT);
	CHECK(l->phys_end == l->region[l->nr_regions - 1].gpa + l->region[l->nr_regions - 1].size);

	/* PCI windows: the 32-bit one is the hole below the ECAM; the 64-bit
	 * one starts at the first GiB after every region, as QEMU's does */
	CHECK(l->pci_mmio32_start == l->below_4g);
	CHECK(l->pci_mmio32_end == LAYOUT_PCI_ECAM_BASE);
	CHECK(l->pci_mmio32_start < l->pci_mmio32_end);
	CHECK(LAYOUT_PCI_ECAM_BASE + LAYOUT_PCI_ECAM_SIZE == LAYOUT_IOAPIC);
	if (l->pci_hole64_end) {
		CHECK(l->pci_hole64_start >= LAYOUT_4G);
		CHECK(l->pci_hole64_start >= l->phys_end);
		CHECK(l->pci_hole64_start - (l->phys_end > LAYOUT_4G ? l->phys_end : LAYOUT_4G) <
		      GiB);
		CHECK(l->pci_hole64_start % GiB == 0);
		CHECK(l->pci_hole64_end - l->pci_hole64_start == LAYOUT_PCI_HOLE64_SIZE);
		CHECK(l->pci_hole64_end <= LAYOUT_PHYS_LIMIT);
	} else {
		CHECK(l->pci_hole64_start == 0);
		CHECK(l->phys_end + LAYOUT_PCI_HOLE64_SIZE + GiB > LAYOUT_PHYS_LIMIT);
	}

	/* boot structures live in RAM below 1 MiB, under the EBDA */
	CHECK(LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX <= LAYOUT_EBDA);
	CHECK(LAYOUT_HIGH_RAM < l->below_4g);
}

static void compute_ok(const struct config_mem *m, struct layout *l)
{
	struct kverr err = {""};
	int rc = layout_compute(m, l, &err);

	if (rc)
		fail_msg("size=0x%llx slots=%u maxmem=0x%llx: rc %d: %s",
			 (unsigned long long)m->size, m->slots, (unsigned long long)m->maxmem, rc,
			 err.msg);
	check_layout(m, l);
}

/* Sizes from 2 MiB to 2 TiB: a geometric walk with 8 KiB-granular odd
 * offsets (QEMU rounds -m up to 8 KiB) plus the values around each rule's
 * boundary.  Returns the count written to out. */
static unsigned test_sizes(uint64_t *out, unsigned max)
{
	static const uint64_t corner[] = {
	    2 * MiB,
	    2 * MiB + 4 * KiB,
	    2 * MiB + 8 * KiB,
	    3 * MiB,
	    1 * GiB,
	    3 * GiB - 8 * KiB,
	    3 * GiB,
	    3 * GiB + 8 * KiB,
	    0xe0000000ULL - 8 * KiB,
	    0xe0000000ULL - 4 * KiB,
	    0xe0000000ULL,
	    0xe0000000ULL + 4 * KiB,
	    0xe0000000ULL + 8 * KiB,
	    4 * GiB - 8 * KiB,
	    4 * GiB,
	    4 * GiB + 8 * KiB,
	    5 * GiB - 8 * KiB,
	    5 * GiB,
	    TiB,
	    2 * TiB - 8 * KiB,
	    2 * TiB,
	};
	unsigned n = 0, i;
	uint64_t s;

	for (i = 0; i < sizeof(corner) / sizeof(corner[0]) && n < max; i++)
		out[n++] = corner[i];
	for (s = 2 * MiB; s <= 2 * TiB && n + 3 <= max; s = (s / 8 * 9) & ~(8 * KiB - 1)) {
		out[n++] = s;
		out[n++] = s + 7 * 8 * KiB;
		if (s > 2 * MiB)
			out[n++] = s - 8 * KiB;
	}
	return n;
}

static void test_split_at_boundaries(void **state)
{
	static const struct {
		uint64_t size, below, above;
	} want[] = {
	    {2 * MiB, 2 * MiB, 0},
	    {3 * GiB, 3 * GiB, 0},
	    {0xe0000000ULL - 8 * KiB, 0xdfffe000ULL, 0},
	    {0xe0000000ULL, 3 * GiB, 512 * MiB},
	    {0xe0000000ULL + 8 * KiB, 3 * GiB, 512 * MiB + 8 * KiB},
	    {4 * GiB, 3 * GiB, 1 * GiB},
	    {TiB, 3 * GiB, TiB - 3 * GiB},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct config_mem cm = mem(want[i].size, 0, want[i].size);
		const struct config_mem *m = &cm;
		struct layout l;

		compute_ok(m, &l);
		CHECK(l.below_4g == want[i].below);
		CHECK(l.above_4g == want[i].above);
		CHECK(l.nr_regions == (want[i].above ? 2u : 1u));
		CHECK(l.phys_end == (want[i].above ? 4 * GiB + want[i].above : want[i].size));
	}
}

/* The case from seed 000: -m size=4194304k,slots=16,maxmem=16777216k.
 * QEMU puts the hotplug window at 5 GiB, 28 GiB long, ending at
 * 35433480192 - the numbers the guest's SRAT must carry. */
static void test_qemu_seed_hotplug_window(void **state)
{
	struct config_mem cm = mem(4194304 * KiB, 16, 16777216 * KiB);
	const struct config_mem *m = &cm;
	struct layout l;

	(void)state;
	compute_ok(m, &l);
	assert_int_equal(l.below_4g, 3 * GiB);
	assert_int_equal(l.above_4g, 1 * GiB);
	assert_int_equal(l.device_mem_base, 5 * GiB);
	assert_int_equal(l.device_mem_size, 30064771072ULL);
	assert_int_equal(l.phys_end, 35433480192ULL);
	assert_int_equal(l.nr_regions, 3);
	assert_int_equal(l.region[2].kind, LAYOUT_DEVICE_MEMORY);
}

static void test_device_memory_base_rounds_up(void **state)
{
	struct layout l;
	struct config_mem cm;
	const struct config_mem *m = &cm;

	(void)state;
	/* 4 GiB + 8 KiB RAM: above-4G RAM ends at 5 GiB + 8 KiB -> base 6 GiB */
	cm = mem(4 * GiB + 8 * KiB, 1, 8 * GiB);
	compute_ok(m, &l);
	CHECK(l.device_mem_base == 6 * GiB);
	CHECK(l.device_mem_size == 8 * GiB - (4 * GiB + 8 * KiB) + GiB);

	/* all RAM below 4 GiB: the window starts right at 4 GiB */
	cm = mem(512 * MiB, 2, 4 * GiB);
	compute_ok(m, &l);
	CHECK(l.nr_regions == 2);
	CHECK(l.device_mem_base == 4 * GiB);
	CHECK(l.device_mem_size == 4 * GiB - 512 * MiB + 2 * GiB);
	CHECK(l.region[1].kind == LAYOUT_DEVICE_MEMORY);

	/* maxmem without slots (virtio-mem style): no per-slot slack */
	cm = mem(1 * GiB, 0, 3 * GiB);
	compute_ok(m, &l);
	CHECK(l.device_mem_base == 4 * GiB);
	CHECK(l.device_mem_size == 2 * GiB);
}

static void test_invariants_over_sizes(void **state)
{
	static uint64_t sizes[1024];
	static const uint32_t slot_counts[] = {0, 1, 2, 3, 16, 255};
	unsigned n = test_sizes(sizes, 1024), i, j, k;

	(void)state;
	assert_true(n > 300);
	for (i = 0; i < n; i++) {
		const uint64_t size = sizes[i];
		const uint64_t maxmems[] = {size, size + 8 * KiB, size + GiB - 4 * KiB, 2 * size,
					    size + TiB};

		for (j = 0; j < sizeof(maxmems) / sizeof(maxmems[0]); j++) {
			for (k = 0; k < sizeof(slot_counts) / sizeof(slot_counts[0]); k++) {
				struct config_mem cm = mem(size, slot_counts[k], maxmems[j]);
				struct layout l;

				if (cm.maxmem == cm.size && cm.slots)
					continue; /* refused: see test_refuses_bad_input */
				compute_ok(&cm, &l);
			}
		}
	}
}

/* Every 8 KiB size across the 3.5 GiB split point, where a one-off
 * comparison would move 512 MiB of RAM. */
static void test_invariants_across_split(void **state)
{
	uint64_t s;

	(void)state;
	for (s = 0xe0000000ULL - 32 * MiB; s <= 0xe0000000ULL + 32 * MiB; s += 8 * KiB) {
		struct config_mem cm = mem(s, 4, s + 4 * GiB);
		struct layout l;

		compute_ok(&cm, &l);
	}
}

static void test_all_slot_counts(void **state)
{
	uint32_t slots;

	(void)state;
	for (slots = 0; slots <= CONFIG_MAX_SLOTS; slots++) {
		struct config_mem cm = mem(6 * GiB + 8 * KiB, slots, 64 * GiB);
		const struct config_mem *m = &cm;
		struct layout l;

		compute_ok(m, &l);
		CHECK(l.device_mem_base == 8 * GiB);
		CHECK(l.device_mem_size == 58 * GiB - 8 * KiB + slots * GiB);
	}
}

static void expect_refused(struct config_mem cm, const char *needle)
{
	struct kverr err = {""};
	struct layout l;

	memset(&l, 0xa5, sizeof(l));
	assert_int_equal(layout_compute(&cm, &l, &err), -EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' does not name '%s'", err.msg, needle);
	assert_null(strchr(err.msg, '\n'));
	/* a refused plan must not look like a valid one */
	assert_int_equal(l.nr_regions, 0);
	assert_int_equal(l.phys_end, 0);
	/* and a NULL err is allowed */
	assert_int_equal(layout_compute(&cm, &l, NULL), -EINVAL);
}

static void test_refuses_bad_input(void **state)
{
	(void)state;
	expect_refused(mem(0, 0, 0), "size 0 bytes");
	expect_refused(mem(1 * MiB, 0, 1 * MiB), "size 1048576 bytes");
	expect_refused(mem(2 * MiB - 8 * KiB, 0, 2 * MiB - 8 * KiB), "size 2088960 bytes");
	expect_refused(mem(2 * MiB + 512, 0, 2 * MiB + 512), "size 2097664 bytes");
	expect_refused(mem(1 * GiB, 0, 512 * MiB), "maxmem (0x20000000)");
	expect_refused(mem(1 * GiB, 1, 2 * GiB + 100), "maxmem 2147483748 bytes");
	expect_refused(mem(1 * GiB, 256, 2 * GiB), "slots=256");
	expect_refused(mem(1 * GiB, 4, 1 * GiB), "slots=4");
	/* values that would wrap 64-bit sums if added unchecked */
	expect_refused(
	    mem(UINT64_MAX & ~(LAYOUT_PAGE_SIZE - 1), 0, UINT64_MAX & ~(LAYOUT_PAGE_SIZE - 1)),
	    "maxmem 0xfffffffffffff000");
	expect_refused(mem(1 * GiB, 255, UINT64_MAX & ~(LAYOUT_PAGE_SIZE - 1)), "maxmem");
}

/* The map may end exactly at 2^52, not one page beyond. */
static void test_52_bit_limit(void **state)
{
	/* 1 GiB RAM, no slots: window at 4 GiB, ends at 4G + maxmem - 1G */
	const uint64_t fits = LAYOUT_PHYS_LIMIT - 3 * GiB;
	struct config_mem cm = mem(1 * GiB, 0, fits);
	const struct config_mem *m = &cm;
	struct layout l;
	char needle[64];

	(void)state;
	compute_ok(m, &l);
	CHECK(l.phys_end == LAYOUT_PHYS_LIMIT);

	snprintf(needle, sizeof(needle), "maxmem 0x%llx",
		 (unsigned long long)(fits + LAYOUT_PAGE_SIZE));
	expect_refused(mem(1 * GiB, 0, fits + LAYOUT_PAGE_SIZE), needle);
	/* the slots' slack counts too */
	expect_refused(mem(1 * GiB, 1, fits), "slots=1");
	/* RAM alone beyond the limit */
	expect_refused(mem(LAYOUT_PHYS_LIMIT, 0, LAYOUT_PHYS_LIMIT), "0x10000000000000");
}

/* The values QEMU 7.2's pc machine reports for qom-get /machine/i440fx
 * pci-hole-start, pci-hole64-start and pci-hole64-end. */
static void test_pci_holes_as_qemu(void **state)
{
	static const struct {
		struct config_mem m;
		uint64_t hole, hole64_start, hole64_end;
	} want[] = {
	    {{2 * GiB, 0, 2 * GiB}, 2147483648ULL, 4294967296ULL, 6442450944ULL},
	    {{6 * GiB, 0, 6 * GiB}, 3221225472ULL, 7516192768ULL, 9663676416ULL},
	    {{2 * GiB, 2, 8 * GiB}, 2147483648ULL, 12884901888ULL, 15032385536ULL},
	    {{5 * GiB, 1, 6 * GiB}, 3221225472ULL, 8589934592ULL, 10737418240ULL},
	    {{3000 * MiB, 0, 3000 * MiB}, 3145728000ULL, 4294967296ULL, 6442450944ULL},
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct config_mem *m = &want[i].m;
		struct layout l;

		compute_ok(m, &l);
		CHECK(l.pci_hole_start == want[i].hole);
		CHECK(l.pci_hole64_start == want[i].hole64_start);
		CHECK(l.pci_hole64_end == want[i].hole64_end);
	}
}

/* QEMU 7.2 refuses a map the CPU's phys-bits cannot reach ("Address
 * space limit ... phys-bits too low"); kvmem's guest CPU has the host's
 * width, KVM's answer for CPUID 0x80000008. */
static void test_phys_bits(void **state)
{
	/* 1 GiB RAM and 1 slot: the window is [4 GiB, 4 GiB + maxmem) */
	struct config_mem fits = mem(GiB, 1, TiB - 4 * GiB);
	struct config_mem beyond = mem(GiB, 1, TiB - 4 * GiB + LAYOUT_PAGE_SIZE);
	struct config_mem ram = mem(TiB, 0, TiB); /* 1 TiB from 4 GiB on */
	struct kverr err = {""};
	struct layout l;

	(void)state;
	compute_ok(&fits, &l);
	assert_int_equal(l.phys_end, TiB);
	assert_int_equal(l.phys_bits, 0);
	assert_int_equal(layout_check_phys_bits(&l, 40, &err), 0);
	assert_int_equal(l.phys_bits, 40);

	compute_ok(&beyond, &l);
	assert_int_equal(layout_check_phys_bits(&l, 40, &err), -EINVAL);
	assert_int_equal(l.phys_bits, 0);
	assert_non_null(strstr(err.msg, "-m: Address space limit 0xffffffffff < 0x10000000fff "
					"phys-bits too low (40)"));
	assert_non_null(strstr(err.msg, "maxmem 0xff00001000, slots=1"));
	assert_int_equal(layout_check_phys_bits(&l, 41, &err), 0);

	compute_ok(&ram, &l);
	assert_int_equal(layout_check_phys_bits(&l, 40, &err), -EINVAL);
	assert_int_equal(layout_check_phys_bits(&l, 52, &err), 0);

	/* KVM's rule: the guest width in EAX[23:16] when given, else EAX[7:0] */
	assert_int_equal(layout_guest_phys_bits(0x3030), 48);
	assert_int_equal(layout_guest_phys_bits(0x302b), 43);
	assert_int_equal(layout_guest_phys_bits(0x2b3030), 43);
	assert_in_range(layout_host_guest_phys_bits(), 32, 64);
}

static void test_region_names(void **state)
{
	(void)state;
	assert_string_equal(layout_region_name(LAYOUT_RAM_BELOW_4G), "ram-below-4g");
	assert_string_equal(layout_region_name(LAYOUT_RAM_ABOVE_4G), "ram-above-4g");
	assert_string_equal(layout_region_name(LAYOUT_DEVICE_MEMORY), "device-memory");
}

/* The fixed boot addresses must not collide with each other. */
static void test_boot_addresses_disjoint(void **state)
{
	static const struct {
		uint64_t gpa, len;
	} a[] = {
	    {LAYOUT_BOOT_GDT, 0x100},
	    {LAYOUT_BOOT_PARAMS, 0x1000},
	    {LAYOUT_PML4, 0x1000},
	    {LAYOUT_PDPT, 0x1000},
	    {LAYOUT_PD, 4 * 0x1000},
	    {LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX},
	    {LAYOUT_EBDA, LAYOUT_EBDA_END - LAYOUT_EBDA},
	    {LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE},
	};
	unsigned i, j;

	(void)state;
	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		assert_true(a[i].gpa + a[i].len <= LAYOUT_HIGH_RAM);
		for (j = i + 1; j < sizeof(a) / sizeof(a[0]); j++)
			if (overlaps(a[i].gpa, a[i].len, a[j].gpa, a[j].len))
				fail_msg("boot areas %u and %u overlap", i, j);
	}
	/* KVM's private pages and the APICs sit in the smallest PCI hole,
	 * apart from each other */
	assert_true(LAYOUT_IOAPIC >= LAYOUT_LOWMEM_MAX);
	assert_true(LAYOUT_KVM_IDENTITY_MAP >= LAYOUT_LOWMEM_MAX);
	assert_false(overlaps(LAYOUT_KVM_IDENTITY_MAP, 0x1000, LAYOUT_KVM_TSS, 0x3000));
	assert_false(overlaps(LAYOUT_KVM_IDENTITY_MAP, 0x1000, LAYOUT_LAPIC, 0x1000));
	assert_false(overlaps(LAYOUT_KVM_TSS, 0x3000, LAYOUT_LAPIC, 0x1000));
	assert_false(overlaps(LAYOUT_KVM_TSS, 0x3000, LAYOUT_IOAPIC, 0x1000));
	assert_true(LAYOUT_KVM_TSS + 0x3000 <= LAYOUT_4G);
	assert_int_equal(LAYOUT_LOW_CARVEOUT, 0x60400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_at_boundaries),
	    cmocka_unit_test(test_qemu_seed_hotplug_window),
	    cmocka_unit_test(test_device_memory_base_rounds_up),
	    cmocka_unit_test(test_invariants_over_sizes),
	    cmocka_unit_test(test_invariants_across_split),
	    cmocka_unit_test(test_all_slot_counts),
	    cmocka_unit_test(test_refuses_bad_input),
	    cmocka_unit_test(test_52_bit_limit),
	    cmocka_unit_test(test_pci_holes_as_qemu),
	    cmocka_unit_test(test_phys_bits),
	    cmocka_unit_test(test_region_names),
	    cmocka_unit_test(test_boot_addresses_disjoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
