/* test_e820.c - the e820 a guest boots with, checked against the layout
 * it comes from, for many memory sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plan/e820.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("size=0x%llx maxmem=0x%llx: %s", (unsigned long long)l->ram_size, \
				 (unsigned long long)l->maxmem, #cond);                            \
	} while (0)

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int inside(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a >= b && a + alen <= b + blen;
}

static void plan(uint64_t size, uint32_t slots, uint64_t maxmem, struct layout *l,
		 struct e820_map *map)
{
	struct config_mem m = {.size = size, .slots = slots, .maxmem = maxmem};
	struct kverr err = {""};

	if (layout_compute(&m, l, &err))
		fail_msg("layout for size 0x%llx refused: %s", (unsigned long long)size, err.msg);
	memset(map, 0xa5, sizeof(*map));
	e820_build(l, map);
}

/* True when [addr, addr+len) is reported usable RAM. */
static int usable(const struct e820_map *map, uint64_t addr, uint64_t len)
{
	unsigned i;

	for (i = 0; i < map->nr; i++)
		if (map->entry[i].type == E820_RAM &&
		    inside(addr, len, map->entry[i].addr, map->entry[i].size))
			return 1;
	return 0;
}

static void check_map(const struct layout *l, const struct e820_map *map)
{
	unsigned i;

	CHECK(map->nr >= 4 && map->nr <= E820_MAX);
	CHECK(e820_total(map, E820_RAM) == l->ram_size - LAYOUT_LOW_CARVEOUT);
	for (i = 0; i < map->nr; i++) {
		const struct e820_entry *e = &map->entry[i];

		CHECK(e->size > 0);
		CHECK(e->type == E820_RAM || e->type == E820_RESERVED || e->type == E820_ACPI);
		if (i > 0)
			CHECK(map->entry[i - 1].addr + map->entry[i - 1].size <= e->addr);
		/* every entry describes memory the layout actually maps */
		CHECK(inside(e->addr, e->size, 0, l->below_4g) ||
		      inside(e->addr, e->size, LAYOUT_4G, l->above_4g));
		/* the hotplug window belongs to SRAT, never to the e820 */
		if (l->device_mem_size)
			CHECK(!overlaps(e->addr, e->size, l->device_mem_base, l->device_mem_size));
		CHECK(!overlaps(e->addr, e->size, l->below_4g, LAYOUT_4G - l->below_4g));
		if (e->type == E820_RAM)
			CHECK(!overlaps(e->addr, e->size, LAYOUT_EBDA, LAYOUT_LOW_CARVEOUT));
	}

	/* what the boot code writes into low memory is in usable RAM ... */
	CHECK(usable(map, LAYOUT_BOOT_GDT, 0x100));
	CHECK(usable(map, LAYOUT_BOOT_PARAMS, 0x1000));
	CHECK(usable(map, LAYOUT_PML4, LAYOUT_PD + 4 * 0x1000 - LAYOUT_PML4));
	CHECK(usable(map, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX));
	/* ... the kernel's first 1 MiB after the load address is too ... */
	CHECK(usable(map, LAYOUT_KERNEL_LOAD, 1 * MiB));
	/* ... and the ACPI tables are reported as ACPI data, not RAM */
	CHECK(!usable(map, LAYOUT_ACPI_BASE, 1));
	CHECK(e820_total(map, E820_ACPI) == LAYOUT_ACPI_SIZE);
	CHECK(e820_total(map, E820_RESERVED) == LAYOUT_EBDA_END - LAYOUT_EBDA);
}

static void test_exact_map_4g(void **state)
{
	struct layout layout, *l = &layout;
	struct e820_map map;
	static const struct e820_entry want[] = {
	    {0, 0x9fc00, E820_RAM},
	    {0x9fc00, 0x400, E820_RESERVED},
	    {0xe0000, 0x20000, E820_ACPI},
	    {0x100000, 0xc0000000ULL - 0x100000, E820_RAM},
	    {0x100000000ULL, 0x40000000ULL, E820_RAM},
	};
	unsigned i;

	(void)state;
	plan(4 * GiB, 0, 4 * GiB, l, &map);
	check_map(l, &map);
	assert_int_equal(map.nr, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(map.entry[i].addr, want[i].addr);
		assert_int_equal(map.entry[i].size, want[i].size);
		assert_int_equal(map.entry[i].type, want[i].type);
	}
}

/* Small guest, all below 4 GiB, with a hotplug window: no high entry. */
static void test_exact_map_128m_hotplug(void **state)
{
	struct layout layout, *l = &layout;
	struct e820_map map;

	(void)state;
	plan(128 * MiB, 4, 8 * GiB, l, &map);
	check_map(l, &map);
	assert_int_equal(map.nr, 4);
	assert_int_equal(map.entry[3].addr, 1 * MiB);
	assert_int_equal(map.entry[3].size, 127 * MiB);
	assert_int_equal(e820_total(&map, E820_RAM), 128 * MiB - 0x60400);
}

static void test_smallest_guest(void **state)
{
	struct layout layout, *l = &layout;
	struct e820_map map;

	(void)state;
	plan(LAYOUT_MIN_RAM, 0, LAYOUT_MIN_RAM, l, &map);
	check_map(l, &map);
	assert_int_equal(map.nr, 4);
	assert_int_equal(map.entry[3].size, 1 * MiB);
}

static void test_invariants_over_sizes(void **state)
{
	uint64_t s;
	unsigned n = 0;

	(void)state;
	/* geometric walk 2 MiB .. 2 TiB with 8 KiB-granular odd offsets */
	for (s = 2 * MiB; s <= 2 * TiB; s = (s / 8 * 9) & ~(8 * KiB - 1)) {
		const uint64_t sizes[] = {s, s + 13 * 8 * KiB, s + 4 * KiB};
		unsigned i;

		for (i = 0; i < 3; i++) {
			struct layout layout, *l = &layout;
			struct e820_map map;

			plan(sizes[i], 0, sizes[i], l, &map);
			check_map(l, &map);
			plan(sizes[i], 8, sizes[i] + 64 * GiB, l, &map);
			check_map(l, &map);
			n += 2;
		}
	}
	/* every 8 KiB across the 3.5 GiB split, where high RAM appears */
	for (s = 0xe0000000ULL - 16 * MiB; s <= 0xe0000000ULL + 16 * MiB; s += 8 * KiB) {
		struct layout layout, *l = &layout;
		struct e820_map map;

		plan(s, 0, s, l, &map);
		check_map(l, &map);
		CHECK(map.nr == (s >= 0xe0000000ULL ? 5u : 4u));
		n++;
	}
	assert_true(n > 4000);
}

static void test_total_and_names(void **state)
{
	struct e820_map map = {
	    .entry =
		{
		    {0, 100, E820_RAM},
		    {100, 20, E820_NVS},
		    {200, 50, E820_RAM},
		    {300, 7, E820_UNUSABLE},
		},
	    .nr = 4,
	};

	(void)state;
	assert_int_equal(e820_total(&map, E820_RAM), 150);
	assert_int_equal(e820_total(&map, E820_NVS), 20);
	assert_int_equal(e820_total(&map, E820_UNUSABLE), 7);
	assert_int_equal(e820_total(&map, E820_ACPI), 0);
	map.nr = 0;
	assert_int_equal(e820_total(&map, E820_RAM), 0);

	assert_string_equal(e820_type_name(E820_RAM), "usable");
	assert_string_equal(e820_type_name(E820_RESERVED), "reserved");
	assert_string_equal(e820_type_name(E820_ACPI), "ACPI data");
	assert_string_equal(e820_type_name(E820_NVS), "ACPI NVS");
	assert_string_equal(e820_type_name(E820_UNUSABLE), "unusable");
	assert_string_equal(e820_type_name((enum e820_type)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_map_4g),    cmocka_unit_test(test_exact_map_128m_hotplug),
	    cmocka_unit_test(test_smallest_guest),  cmocka_unit_test(test_invariants_over_sizes),
	    cmocka_unit_test(test_total_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
