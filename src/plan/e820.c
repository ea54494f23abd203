/* e820.c - the BIOS memory map handed to the guest (see e820.h).
 *
 * The map is a pure function of struct layout.  RAM in [0x9fc00, 1 MiB)
 * exists in the guest's memory slot but is never reported usable: the
 * EBDA and the ACPI tables are reported as such, and the legacy VGA and
 * option-ROM window [0xa0000, 0xe0000) is left out of the map entirely,
 * as on real hardware and in QEMU with SeaBIOS.
 */
#include "plan/e820.h"

static void add(struct e820_map *map, uint64_t addr, uint64_t size, enum e820_type type)
{
	struct e820_entry *e;

	if (!size || map->nr == E820_MAX)
		return;
	e = &map->entry[map->nr++];
	e->addr = addr;
	e->size = size;
	e->type = type;
}

void e820_build(const struct layout *layout, struct e820_map *map)
{
	map->nr = 0;
	add(map, 0, LAYOUT_EBDA, E820_RAM);
	add(map, LAYOUT_EBDA, LAYOUT_EBDA_END - LAYOUT_EBDA, E820_RESERVED);
	add(map, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, E820_ACPI);
	/* layout_compute guarantees at least 2 MiB below 4 GiB; checking
	 * anyway keeps a hand-made layout from wrapping the size. */
	if (layout->below_4g > LAYOUT_HIGH_RAM)
		add(map, LAYOUT_HIGH_RAM, layout->below_4g - LAYOUT_HIGH_RAM, E820_RAM);
	add(map, LAYOUT_4G, layout->above_4g, E820_RAM);
}

uint64_t e820_total(const struct e820_map *map, enum e820_type type)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < map->nr; i++)
		if (map->entry[i].type == (uint32_t)type)
			sum += map->entry[i].size;
	return sum;
}

const char *e820_type_name(enum e820_type type)
{
	/* The words Linux prints in its "BIOS-e820:" boot lines. */
	switch (type) {
	case E820_RAM:
		return "usable";
	case E820_RESERVED:
		return "reserved";
	case E820_ACPI:
		return "ACPI data";
	case E820_NVS:
		return "ACPI NVS";
	case E820_UNUSABLE:
		return "unusable";
	}
	return "unknown";
}
