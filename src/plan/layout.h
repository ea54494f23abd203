/* layout.h - the guest physical memory map.  Pure: no syscalls.
 *
 * Owns every guest physical address kvmem uses: where RAM goes below and
 * above the 32-bit PCI hole (QEMU's pc-machine rule, so a guest moved from
 * QEMU sees the same map), where the device-memory (hotplug) region is,
 * and the fixed addresses of the boot structures in low memory.  Nothing
 * else in kvmem invents a guest physical address.
 *
 * The split (QEMU pc with gigabyte alignment):
 *   RAM >= 3.5 GiB: 3 GiB below 4 GiB, the rest from 4 GiB
 *   RAM <  3.5 GiB: all of it below 4 GiB
 * Device memory (present when maxmem > size):
 *   base = ROUND_UP(4 GiB + above-4G RAM, 1 GiB)
 *   size = maxmem - size + 1 GiB * slots   (1 GiB alignment slack per slot)
 * PCI windows (QEMU's i440FX host, pci-hole and pci-hole64 properties):
 *   32-bit hole: [below-4G RAM end, 0xfec00000); kvmem keeps its top 1 MiB
 *   for the bus's ECAM, the rest is the window for 32-bit BARs
 *   64-bit hole: from ROUND_UP(end of device memory, or of RAM above 4 GiB,
 *   or 4 GiB, 1 GiB), 2 GiB long (rounded up to 1 GiB)
 */
#ifndef KVMEM_PLAN_LAYOUT_H
#define KVMEM_PLAN_LAYOUT_H

#include <stdint.h>

#include "config/config.h"
#include "plan/numa.h"
#include "util/err.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

/* ---- Fixed low-memory addresses (inside RAM below 1 MiB) ---- */
#define LAYOUT_BOOT_GDT      0x0500ULL  /* GDT for the 64-bit entry */
#define LAYOUT_BOOT_PARAMS   0x7000ULL  /* Linux "zero page" */
#define LAYOUT_BOOT_STACK    0x8ff0ULL  /* initial %rsp, below the page tables */
#define LAYOUT_PML4          0x9000ULL  /* identity page tables: PML4 */
#define LAYOUT_PDPT          0xa000ULL  /*   PDPT */
#define LAYOUT_PD            0xb000ULL  /*   4 PDs (0xb000-0xefff), 2 MiB pages, 0-4 GiB */
#define LAYOUT_CMDLINE       0x20000ULL /* kernel command line */
#define LAYOUT_CMDLINE_MAX   0x10000ULL
#define LAYOUT_EBDA          0x9fc00ULL /* usable RAM ends here below 1 MiB */
#define LAYOUT_EBDA_END      0xa0000ULL /* the legacy VGA window starts here */
#define LAYOUT_ACPI_BASE     0xe0000ULL /* ACPI tables: RSDP first (BIOS scan area) */
#define LAYOUT_ACPI_SIZE     0x20000ULL /* up to 1 MiB */
#define LAYOUT_HIGH_RAM      0x100000ULL /* 1 MiB: kernel is loaded here */
#define LAYOUT_KERNEL_LOAD   LAYOUT_HIGH_RAM
/* RAM in [LAYOUT_EBDA, LAYOUT_HIGH_RAM) exists but is not reported usable:
 * the documented carve-out of 0x60400 bytes (385 KiB). */
#define LAYOUT_LOW_CARVEOUT  (LAYOUT_HIGH_RAM - LAYOUT_EBDA)

#define LAYOUT_4G            (4 * GiB)
#define LAYOUT_LOWMEM_MAX    0xe0000000ULL /* below-4G RAM limit (3.5 GiB) */
#define LAYOUT_LOWMEM_SPLIT  0xc0000000ULL /* below-4G RAM when RAM >= 3.5 GiB */
#define LAYOUT_IOAPIC        0xfec00000ULL
/* Pages KVM needs on Intel hosts (EPT identity map, real-mode TSS), in the
 * PCI hole where no RAM or device lives; QEMU uses the same addresses. */
#define LAYOUT_KVM_IDENTITY_MAP 0xfeffc000ULL
#define LAYOUT_KVM_TSS       0xfeffd000ULL /* 3 pages */
#define LAYOUT_LAPIC         0xfee00000ULL

/* ---- PCI ---- */
/* The 32-bit PCI hole ends where the IOAPIC starts, as on QEMU's pc. */
#define LAYOUT_PCI_HOLE_END  LAYOUT_IOAPIC
/* Memory-mapped config space (ECAM) of bus 0: 32 slots x 8 functions x
 * 4 KiB, at the top of the 32-bit hole.  i440FX has none; kvmem offers it
 * (through the DSDT's _CBA) so that Linux finds extended config access
 * and prints no MMCONFIG warning (see docs/pci.md). */
#define LAYOUT_PCI_ECAM_SIZE MiB
#define LAYOUT_PCI_ECAM_BASE (LAYOUT_PCI_HOLE_END - LAYOUT_PCI_ECAM_SIZE)
/* QEMU i440FX's pci-hole64-size default, and the alignment of the hole. */
#define LAYOUT_PCI_HOLE64_SIZE (2 * GiB)
#define LAYOUT_PCI_HOLE64_ALIGN GiB

/* ---- Limits layout_compute enforces ---- */
/* Below this the kernel at LAYOUT_KERNEL_LOAD has no room at all. */
#define LAYOUT_MIN_RAM       (2 * MiB)
/* KVM maps guest memory in whole pages. */
#define LAYOUT_PAGE_SIZE     (4 * KiB)
/* Architectural x86-64 limit on guest physical addresses. */
#define LAYOUT_PHYS_BITS     52
#define LAYOUT_PHYS_LIMIT    (1ULL << LAYOUT_PHYS_BITS)
/* Device memory reserves this much alignment slack per hotplug slot. */
#define LAYOUT_SLOT_ALIGN    GiB

enum layout_region_kind {
	LAYOUT_RAM_BELOW_4G,
	LAYOUT_RAM_ABOVE_4G,
	LAYOUT_DEVICE_MEMORY,
};

struct layout_region {
	enum layout_region_kind kind;
	uint64_t gpa;
	uint64_t size;
};

#define LAYOUT_MAX_REGIONS 3

/* Boot RAM by NUMA node.  Nodes take their RAM in id order from one
 * sequence of RAM addresses, [0, below_4g) then [4 GiB, 4 GiB + above_4g),
 * so node 0 starts at 0 and the node whose memory reaches the PCI hole
 * continues above 4 GiB: that node has two parts, every other node one.
 * Without NUMA the parts are the RAM regions, all node 0.  Each node's
 * RAM is one host backend, node_offset is where a part starts in it; when
 * one backend holds all RAM (no NUMA, -machine memory-backend) the part is
 * at ram_offset in it: below_4g RAM first, then above. */
struct layout_ram_part {
	uint32_t node;
	uint64_t gpa;
	uint64_t size;
	uint64_t node_offset;
	uint64_t ram_offset; /* where it starts in all RAM (one backend for all) */
	char name[32];	     /* "ram-below-4g", "node1-above-4g", ... */
};

#define LAYOUT_MAX_PARTS (CONFIG_MAX_NUMA_NODES + 1)

struct layout {
	uint64_t ram_size;
	uint64_t below_4g; /* RAM bytes mapped at [0, below_4g) */
	uint64_t above_4g; /* RAM bytes mapped at [4 GiB, 4 GiB + above_4g) */
	uint64_t pci_hole_start; /* == below_4g; the hole ends at LAYOUT_PCI_HOLE_END */
	/* Where 32-bit BARs go: [pci_hole_start, LAYOUT_PCI_ECAM_BASE). */
	uint64_t pci_mmio32_start, pci_mmio32_end; /* end exclusive */
	/* Where 64-bit BARs go, QEMU's pci-hole64; empty (start == end) when it
	 * would pass the 52-bit limit.  Not counted in phys_end. */
	uint64_t pci_hole64_start, pci_hole64_end; /* end exclusive */
	uint64_t device_mem_base; /* 0 and size 0 when absent */
	uint64_t device_mem_size;
	uint32_t slots;
	uint64_t maxmem;
	/* The regions above in guest physical order; RAM regions of size 0
	 * are omitted. */
	struct layout_region region[LAYOUT_MAX_REGIONS];
	unsigned nr_regions;
	/* Highest guest physical address + 1 that any region uses. */
	uint64_t phys_end;
	/* The guest CPU's physical address width phys_end was checked
	 * against (layout_check_phys_bits); 0 before that check. */
	unsigned phys_bits;
	/* The RAM regions split by node, in guest physical order. */
	struct layout_ram_part part[LAYOUT_MAX_PARTS];
	unsigned nr_parts;
};

/* Compute the layout from -m.  Fails (-EINVAL, message naming the value)
 * on a size below 2 MiB, a size or maxmem that is not a whole number of
 * pages, maxmem below size, more than CONFIG_MAX_SLOTS slots, slots with
 * no room to plug anything (maxmem == size), or a map that does not fit
 * 52-bit addresses.  On failure *out is zeroed. */
int layout_compute(const struct config_mem *mem, struct layout *out, struct kverr *err);

/* Split the RAM regions of l among numa's nodes (see struct
 * layout_ram_part).  Without NUMA (nr_nodes 0) the parts stay as
 * layout_compute made them.  Fails (-EINVAL) if the nodes' memory does not
 * add up to the RAM size, which numa_plan() has already refused. */
int layout_place_nodes(struct layout *l, const struct numa *numa, struct kverr *err);

/* Check that the guest CPU's physical addresses, phys_bits wide, reach
 * the end of the map, as QEMU 7.2's pc_memory_init does against the CPU's
 * phys-bits (with its message), and record phys_bits in l.  -EINVAL when
 * they do not. */
int layout_check_phys_bits(struct layout *l, unsigned phys_bits, struct kverr *err);

/* The physical address width KVM gives a guest, from the host's CPUID
 * leaf 0x80000008 EAX (KVM_GET_SUPPORTED_CPUID reports it so, and
 * kvm/cpuid.c passes that leaf's EAX to the guest unchanged): bits 23:16
 * when the CPU states a guest width there, else bits 7:0. */
unsigned layout_guest_phys_bits(uint32_t cpuid_80000008_eax);

/* layout_guest_phys_bits() of the CPU this runs on: executes CPUID (no
 * syscall, no /dev/kvm), 36 if the CPU has no leaf 0x80000008. */
unsigned layout_host_guest_phys_bits(void);

const char *layout_region_name(enum layout_region_kind kind);

#endif
