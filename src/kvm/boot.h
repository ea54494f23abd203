/* boot.h - the Linux x86 boot protocol (64-bit entry) for a bzImage, or
 * for an uncompressed ELF vmlinux entered at its own 64-bit entry point.
 *
 * Owns: reading and validating the bzImage setup header or the vmlinux's
 * ELF program headers, placing the kernel, initrd and command line in
 * guest RAM, the boot_params "zero page" with the e820 map, and the
 * minimal GDT and identity page tables the 64-bit entry point requires.  Addresses come from
 * plan/layout.h; all writes go through the memory manager (mem/manager.h). Never: creates vCPUs or
 * sets registers (vcpu.c applies struct boot_entry).
 *
 * boot_probe() runs during planning (before any VM exists) so a bad kernel
 * or an initrd that cannot fit is reported before anything is created.
 */
#ifndef KVMEM_KVM_BOOT_H
#define KVMEM_KVM_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/manager.h"
#include "plan/e820.h"
#include "plan/layout.h"
#include "util/err.h"

/* One PT_LOAD segment of an ELF vmlinux: filesz bytes of the file from
 * offset go to gpa, and the rest of memsz is zeroed. */
struct boot_segment {
	uint64_t offset, filesz, memsz, gpa;
};

#define BOOT_ELF_SEGMENTS_MAX 16

struct boot_plan {
	const char *kernel_path;
	const char *initrd_path; /* NULL: none */
	const char *cmdline;
	uint64_t kernel_size; /* protected-mode part, bytes */
	uint32_t setup_size;  /* real-mode part incl. boot sector */
	uint16_t protocol;    /* boot protocol version, e.g. 0x020f */
	uint32_t init_size;   /* memory the kernel needs from its load address */
	uint64_t initrd_size;
	uint64_t initrd_gpa; /* chosen placement */
	/* An ELF vmlinux (elf true): no setup part (setup_size 0, kernel_size
	 * the file's size), its segments where their physical addresses say,
	 * entered at entry; kernel_end is the end of the highest one. */
	bool elf;
	uint64_t entry;
	uint64_t kernel_end;
	unsigned nr_segments;
	struct boot_segment segment[BOOT_ELF_SEGMENTS_MAX];
};

/* The register state the BSP starts with. */
struct boot_entry {
	uint64_t rip; /* 64-bit entry: load address + 0x200, or the ELF entry */
	uint64_t rsi; /* boot_params */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t cr3; /* PML4 */
	uint16_t code_sel, data_sel;
};

/* Validate kernel/initrd and decide where everything goes for layout. */
int boot_probe(struct boot_plan *bp, const char *kernel, const char *initrd, const char *cmdline,
	       const struct layout *layout, struct kverr *err);

/* Write kernel, initrd, cmdline, boot_params (with e820 and RSDP address),
 * GDT and page tables into guest RAM. */
int boot_load(const struct boot_plan *bp, struct mem_manager *mm, const struct e820_map *e820,
	      uint64_t rsdp_gpa, struct boot_entry *entry, struct kverr *err);

#endif
