/* print.h - the resolved plan as text (kvmem -print-layout).
 *
 * Owns: the human-readable form of what the pure stages decided: the
 * memory regions, each node's RAM parts and backend (mem/ram_plan.h), the NUMA nodes with
 * their CPUs and distances, each CPU's APIC id, the e820, the PCI windows and
 * functions with their BARs, and where the ACPI tables, kernel and initrd go,
 * with the nodes each one lies in.  It only
 * formats what layout, numa, topology and e820 computed; it decides
 * nothing, so what it prints is what the guest gets.
 * Never: opens /dev/kvm, maps memory, or prints anywhere but to `out`.
 */
#ifndef KVMEM_PLAN_PRINT_H
#define KVMEM_PLAN_PRINT_H

#include <stdio.h>

#include "acpi/acpi.h"
#include "config/config.h"
#include "kvm/boot.h"
#include "mem/ram_plan.h"
#include "plan/e820.h"
#include "plan/layout.h"
#include "plan/numa.h"
#include "plan/pci.h"
#include "plan/topology.h"

struct plan_view {
	const struct config *cfg;
	const struct layout *layout;
	const struct numa *numa;
	const struct topology *topo;
	const struct e820_map *e820;
	const struct pci_plan *pci; /* NULL: no PCI lines */
	const struct ram_plan *ram;
	const struct acpi_blob *acpi; /* NULL: not shown */
	const struct boot_plan *boot; /* NULL without -kernel */
};

void plan_print(FILE *out, const struct plan_view *v);

/* "0-3,6,8-9": the CPUs of node in Linux's cpulist syntax, into buf. */
void plan_node_cpulist(const struct numa *numa, const struct topology *topo, uint32_t node,
		       char *buf, size_t size);

#endif
