/* cpuid.h - the CPUID each vCPU sees.
 *
 * Starts from what KVM supports (KVM_GET_SUPPORTED_CPUID) and rewrites the
 * topology leaves so they agree with -smp and the APIC ids in the MADT:
 * leaf 1 (APIC id, logical count, HTT), leaf 4 (cores per package), leaf
 * 0xB/0x1F (x2APIC topology), 0x80000008 (AMD core count); AMD's
 * TOPOEXT leaf 0x8000001E is dropped rather than described wrongly.
 * cpuid_for_vcpu() is pure so the rules are unit-tested.
 */
#ifndef KVMEM_KVM_CPUID_H
#define KVMEM_KVM_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

#include "plan/topology.h"
#include "util/err.h"

#define CPUID_MAX_ENTRIES 256

struct cpuid_table {
	uint32_t nent;
	struct kvm_cpuid_entry2 entries[CPUID_MAX_ENTRIES];
};

/* KVM_GET_SUPPORTED_CPUID on the /dev/kvm fd. */
int cpuid_get_supported(int kvm_fd, struct cpuid_table *out, struct kverr *err);

/* out = supported, adjusted for CPU index idx of topology t. */
void cpuid_for_vcpu(const struct cpuid_table *supported, const struct topology *t, uint32_t idx,
		    struct cpuid_table *out);

/* KVM_SET_CPUID2 on a vCPU fd. */
int cpuid_set(int vcpu_fd, const struct cpuid_table *t, struct kverr *err);

/* Entry for (function, index) or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *t, uint32_t function, uint32_t index);

#endif
