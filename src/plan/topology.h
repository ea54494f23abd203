/* topology.h - CPU topology: APIC ids and the CPUID field widths.  Pure.
 *
 * APIC ids follow the x86 convention (and QEMU's x86_apicid_from_cpu_idx):
 * the id is packed as [socket][die][core][thread], each field as wide as
 * the count rounded up to a power of two.  CPUID leaves 1, 4, 0xB and
 * 0x80000008 and the ACPI MADT all use these numbers.
 */
#ifndef KVMEM_PLAN_TOPOLOGY_H
#define KVMEM_PLAN_TOPOLOGY_H

#include <stdint.h>

#include "config/config.h"
#include "util/err.h"

/* Highest APIC id an xAPIC can address; 0xff is the broadcast id. */
#define TOPOLOGY_MAX_XAPIC_ID 254

struct topology {
	uint32_t sockets, dies, cores, threads; /* per parent level */
	uint32_t cpus;    /* started at boot: indexes [0, cpus) */
	uint32_t maxcpus; /* possible: indexes [0, maxcpus) */
	unsigned thread_bits; /* width of the thread field in an APIC id */
	unsigned core_bits;
	unsigned die_bits;
};

void topology_from_config(const struct config_smp *smp, struct topology *t);

/* Where CPU index idx sits: threads vary fastest, then cores, dies,
 * sockets (QEMU's cpu index order, also used by -numa cpu,socket-id=...). */
struct topology_ids {
	uint32_t socket, die, core, thread;
};
void topology_ids(const struct topology *t, uint32_t idx, struct topology_ids *ids);

/* APIC id of CPU index idx (0 <= idx < maxcpus). */
uint32_t topology_apic_id(const struct topology *t, uint32_t idx);

/* Bits below the package (socket) field: thread_bits + core_bits + die_bits. */
unsigned topology_pkg_shift(const struct topology *t);

/* Highest APIC id of any possible CPU + 1 (0 when maxcpus is 0): the size
 * of a table indexed by APIC id, QEMU's apic_id_limit. */
uint32_t topology_apic_id_limit(const struct topology *t);

/* Check that t is consistent (1 <= cpus <= maxcpus, the levels multiply
 * to maxcpus) and that every possible CPU's APIC id fits an xAPIC.
 * Returns 0 or -EINVAL with a message naming the -smp values. */
int topology_check(const struct topology *t, struct kverr *err);

#endif
