/* e820.h - the BIOS memory map handed to the guest.  Pure.
 *
 * Derived from struct layout alone:
 *   [0, 0x9fc00)                  RAM
 *   [0x9fc00, 0xa0000)            reserved (EBDA)
 *   [0xe0000, 0x100000)           ACPI tables (type 3)
 *   [1 MiB, below_4g)             RAM
 *   [4 GiB, 4 GiB + above_4g)     RAM
 * The device-memory region is not in the e820 (SRAT describes it).
 */
#ifndef KVMEM_PLAN_E820_H
#define KVMEM_PLAN_E820_H

#include <stdint.h>

#include "plan/layout.h"

enum e820_type {
	E820_RAM = 1,
	E820_RESERVED = 2,
	E820_ACPI = 3,
	E820_NVS = 4,
	E820_UNUSABLE = 5,
};

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

#define E820_MAX 128 /* boot_params holds 128 entries */

struct e820_map {
	struct e820_entry entry[E820_MAX];
	unsigned nr;
};

/* Fill map from layout, sorted by address, no overlaps. */
void e820_build(const struct layout *layout, struct e820_map *map);

/* Sum of the sizes of entries of the given type. */
uint64_t e820_total(const struct e820_map *map, enum e820_type type);

const char *e820_type_name(enum e820_type type);

#endif
