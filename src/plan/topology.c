/* topology.c - CPU topology and APIC ids (see topology.h).
 *
 * Same packing as QEMU's include/hw/i386/topology.h, so a guest sees the
 * same APIC ids (and so the same CPU numbering in /proc/cpuinfo and in
 * its MADT) under kvmem as under QEMU with the same -smp.
 */
#include "plan/topology.h"

/* Bits needed to hold ids 0..count-1: ceil(log2(count)), 0 for count 1. */
static unsigned bits_for_count(uint32_t count)
{
	unsigned bits = 0;

	while (count > 1 && (1ULL << bits) < count)
		bits++;
	return bits;
}

/* config guarantees every level >= 1; an absent level still means one of
 * it, and keeps topology_apic_id from dividing by zero. */
static uint32_t at_least_one(uint32_t n)
{
	return n ? n : 1;
}

void topology_from_config(const struct config_smp *smp, struct topology *t)
{
	t->sockets = at_least_one(smp->sockets);
	t->dies = at_least_one(smp->dies);
	t->cores = at_least_one(smp->cores);
	t->threads = at_least_one(smp->threads);
	t->cpus = smp->cpus;
	t->maxcpus = smp->maxcpus;
	t->thread_bits = bits_for_count(t->threads);
	t->core_bits = bits_for_count(t->cores);
	t->die_bits = bits_for_count(t->dies);
}

/* Shifts are done in 64 bits and saturate, so even absurd counts (which
 * topology_check rejects) are defined behaviour rather than UB. */
static uint64_t shl(uint64_t v, unsigned shift)
{
	return shift >= 64 ? 0 : v << shift;
}

void topology_ids(const struct topology *t, uint32_t idx, struct topology_ids *ids)
{
	/* Threads vary fastest, then cores, then dies: QEMU's cpu index
	 * order, which is also the order vCPUs are started in. */
	uint64_t per_core = t->threads;
	uint64_t per_die = per_core * t->cores;
	uint64_t per_socket = per_die * t->dies;

	ids->thread = (uint32_t)(idx % per_core);
	ids->core = (uint32_t)(idx / per_core % t->cores);
	ids->die = (uint32_t)(idx / per_die % t->dies);
	ids->socket = (uint32_t)(idx / per_socket);
}

static uint64_t apic_id_wide(const struct topology *t, uint32_t idx)
{
	struct topology_ids ids;

	topology_ids(t, idx, &ids);
	return shl(ids.socket, topology_pkg_shift(t)) |
	       shl(ids.die, t->core_bits + t->thread_bits) | shl(ids.core, t->thread_bits) |
	       ids.thread;
}

uint32_t topology_apic_id(const struct topology *t, uint32_t idx)
{
	return (uint32_t)apic_id_wide(t, idx);
}

unsigned topology_pkg_shift(const struct topology *t)
{
	return t->thread_bits + t->core_bits + t->die_bits;
}

uint32_t topology_apic_id_limit(const struct topology *t)
{
	if (!t->maxcpus)
		return 0;
	/* ids grow with the index, so the last possible CPU has the largest */
	return topology_apic_id(t, t->maxcpus - 1) + 1;
}

int topology_check(const struct topology *t, struct kverr *err)
{
	uint64_t last;

	if (!t->cpus || t->cpus > t->maxcpus)
		return kverr_set(err, EINVAL, "-smp: cpus=%u must be between 1 and maxcpus=%u",
				 t->cpus, t->maxcpus);
	if ((uint64_t)t->sockets * t->dies * t->cores * t->threads != t->maxcpus)
		return kverr_set(err, EINVAL,
				 "-smp: sockets=%u * dies=%u * cores=%u * threads=%u is not "
				 "maxcpus=%u",
				 t->sockets, t->dies, t->cores, t->threads, t->maxcpus);
	last = apic_id_wide(t, t->maxcpus - 1);
	if (last > TOPOLOGY_MAX_XAPIC_ID || topology_pkg_shift(t) >= 32)
		return kverr_set(err, EINVAL,
				 "-smp: sockets=%u,dies=%u,cores=%u,threads=%u gives CPU %u the "
				 "APIC id %llu, above the xAPIC limit %u (each field is rounded up "
				 "to a power of two)",
				 t->sockets, t->dies, t->cores, t->threads, t->maxcpus - 1,
				 (unsigned long long)last, TOPOLOGY_MAX_XAPIC_ID);
	return 0;
}
