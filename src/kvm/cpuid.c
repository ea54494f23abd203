#include "kvm/cpuid.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT (1u << 28)
#define CPUID_80000001_ECX_CMP_LEGACY (1u << 1)
#define CPUID_80000001_ECX_TOPOEXT (1u << 22)

static struct kvm_cpuid2 *kvm_cpuid_alloc(uint32_t nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	if (c)
		c->nent = nent;
	return c;
}

int cpuid_get_supported(int kvm_fd, struct cpuid_table *out, struct kverr *err)
{
	struct kvm_cpuid2 *c = kvm_cpuid_alloc(CPUID_MAX_ENTRIES);
	int ret = 0;

	if (!c)
		return kverr_set(err, ENOMEM, "out of memory");
	memset(out, 0, sizeof(*out));
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		ret = kverr_sys(err, errno, "KVM_GET_SUPPORTED_CPUID");
	} else {
		out->nent = c->nent;
		memcpy(out->entries, c->entries, c->nent * sizeof(c->entries[0]));
	}
	free(c);
	return ret;
}

int cpuid_set(int vcpu_fd, const struct cpuid_table *t, struct kverr *err)
{
	struct kvm_cpuid2 *c = kvm_cpuid_alloc(t->nent);
	int ret = 0;

	if (!c)
		return kverr_set(err, ENOMEM, "out of memory");
	memcpy(c->entries, t->entries, t->nent * sizeof(c->entries[0]));
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		ret = kverr_sys(err, errno, "KVM_SET_CPUID2");
	free(c);
	return ret;
}

struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *t, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->entries[i];
		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)
			return e;
	}
	return NULL;
}

static void drop_function(struct cpuid_table *t, uint32_t function)
{
	uint32_t w = 0;
	for (uint32_t i = 0; i < t->nent; i++)
		if (t->entries[i].function != function)
			t->entries[w++] = t->entries[i];
	t->nent = w;
}

static void add_entry(struct cpuid_table *t, uint32_t function, uint32_t index, uint32_t eax,
		      uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	if (t->nent == CPUID_MAX_ENTRIES)
		return;
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){
		.function = function,
		.index = index,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.eax = eax,
		.ebx = ebx,
		.ecx = ecx,
		.edx = edx,
	};
}

/* x2APIC topology leaf (0xB, or 0x1F with the same content): level 0 is
 * SMT, level 1 is core (everything below the package), then invalid. */
static void write_topology_leaf(struct cpuid_table *t, uint32_t function,
				const struct topology *topo, uint32_t apic_id)
{
	uint32_t per_core = topo->threads;
	uint32_t per_pkg = topo->threads * topo->cores * topo->dies;

	drop_function(t, function);
	add_entry(t, function, 0, topo->thread_bits, per_core, 0 | (1u << 8), apic_id);
	add_entry(t, function, 1, topology_pkg_shift(topo), per_pkg, 1 | (2u << 8), apic_id);
	add_entry(t, function, 2, 0, 0, 2, apic_id);
}

void cpuid_for_vcpu(const struct cpuid_table *supported, const struct topology *topo,
		    uint32_t idx, struct cpuid_table *out)
{
	uint32_t apic_id = topology_apic_id(topo, idx);
	uint32_t per_pkg = topo->threads * topo->cores * topo->dies;
	struct kvm_cpuid_entry2 *e;
	uint32_t max_basic = 0;

	memcpy(out, supported, sizeof(*out));

	e = cpuid_find(out, 0, 0);
	if (e)
		max_basic = e->eax;

	e = cpuid_find(out, 1, 0);
	if (e) {
		uint32_t logical = 1u << topology_pkg_shift(topo);
		if (logical > 255)
			logical = 255;
		e->ebx = (e->ebx & 0x0000ffffu) | (logical << 16) | (apic_id << 24);
		if (per_pkg > 1)
			e->edx |= CPUID_1_EDX_HTT;
		else
			e->edx &= ~CPUID_1_EDX_HTT;
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
	}

	/* Intel deterministic cache parameters: cores per package and
	 * threads sharing each cache level. */
	for (uint32_t i = 0; i < out->nent; i++) {
		e = &out->entries[i];
		if (e->function != 4 || (e->eax & 0x1f) == 0)
			continue;
		uint32_t level = (e->eax >> 5) & 0x7;
		uint32_t sharing = level >= 3 ? (1u << topology_pkg_shift(topo))
					      : (1u << topo->thread_bits);
		e->eax &= 0x3fff;
		e->eax |= ((sharing - 1) & 0xfff) << 14;
		e->eax |= (((1u << (topology_pkg_shift(topo) - topo->thread_bits)) - 1) & 0x3f)
			  << 26;
	}

	if (max_basic >= 0xb)
		write_topology_leaf(out, 0xb, topo, apic_id);
	if (cpuid_find(out, 0x1f, 0))
		write_topology_leaf(out, 0x1f, topo, apic_id);

	e = cpuid_find(out, 0x80000001, 0);
	if (e) {
		e->ecx &= ~CPUID_80000001_ECX_TOPOEXT;
		if (per_pkg > 1)
			e->ecx |= CPUID_80000001_ECX_CMP_LEGACY;
		else
			e->ecx &= ~CPUID_80000001_ECX_CMP_LEGACY;
	}
	drop_function(out, 0x8000001e);

	e = cpuid_find(out, 0x80000008, 0);
	if (e) {
		/* NC = logical processors per package - 1; ApicIdSize = bits. */
		e->ecx = (e->ecx & ~0xf0ffu) | ((per_pkg - 1) & 0xff) |
			 (topology_pkg_shift(topo) << 12);
	}
}
