/* cpuid_for_vcpu: the topology a guest reads from CPUID must agree with
 * -smp and with the APIC ids in the MADT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvm/cpuid.h"

static void add(struct cpuid_table *t, uint32_t fn, uint32_t idx, uint32_t flags, uint32_t eax,
		uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){
		.function = fn, .index = idx, .flags = flags,
		.eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx};
}

/* What KVM_GET_SUPPORTED_CPUID returns on a typical host, reduced. */
static void fake_supported(struct cpuid_table *t)
{
	const uint32_t sig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	memset(t, 0, sizeof(*t));
	add(t, 0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65);
	add(t, 1, 0, 0, 0x00a50f00, 0x00000800, 0x7ed8320b, 0x178bfbff);
	add(t, 4, 0, sig, 0x121, 0x1c0003f, 0x3f, 0);      /* L1d */
	add(t, 4, 1, sig, 0x163, 0x3c0003f, 0xfff, 0);     /* L3 */
	add(t, 4, 2, sig, 0, 0, 0, 0);
	add(t, 0xb, 0, sig, 1, 2, 0x100, 7);               /* host's topology */
	add(t, 0xb, 1, sig, 4, 16, 0x201, 7);
	add(t, 0x80000000, 0, 0, 0x80000021, 0, 0, 0);
	add(t, 0x80000001, 0, 0, 0, 0, (1u << 22) | (1u << 1) | 1, 0);
	add(t, 0x80000008, 0, 0, 0x3030, 0, 0x700f, 0);
	add(t, 0x8000001e, 0, 0, 7, 0x100, 0, 0);
}

static struct kvm_cpuid_entry2 *get(struct cpuid_table *t, uint32_t fn, uint32_t idx)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(t, fn, idx);
	assert_non_null(e);
	return e;
}

static void check_vcpu(const struct topology *topo, uint32_t idx)
{
	struct cpuid_table sup, out;
	uint32_t apic = topology_apic_id(topo, idx);
	uint32_t per_pkg = topo->threads * topo->cores * topo->dies;
	unsigned shift = topology_pkg_shift(topo);
	struct kvm_cpuid_entry2 *e;

	fake_supported(&sup);
	cpuid_for_vcpu(&sup, topo, idx, &out);

	e = get(&out, 1, 0);
	assert_int_equal(e->ebx >> 24, apic);
	assert_int_equal((e->ebx >> 16) & 0xff, 1u << shift);
	assert_int_equal(e->ebx & 0xffff, 0x0800); /* clflush size etc. kept */
	assert_int_equal(!!(e->edx & (1u << 28)), per_pkg > 1);
	assert_true(e->ecx & (1u << 31));

	/* x2APIC topology: SMT then core level, then invalid */
	e = get(&out, 0xb, 0);
	assert_int_equal(e->eax, topo->thread_bits);
	assert_int_equal(e->ebx, topo->threads);
	assert_int_equal(e->ecx, 0x100);
	assert_int_equal(e->edx, apic);
	e = get(&out, 0xb, 1);
	assert_int_equal(e->eax, shift);
	assert_int_equal(e->ebx, per_pkg);
	assert_int_equal(e->ecx, 0x201);
	assert_int_equal(e->edx, apic);
	e = get(&out, 0xb, 2);
	assert_int_equal((e->ecx >> 8) & 0xff, 0);

	/* leaf 4: cores per package - 1 in bits 31:26 */
	e = get(&out, 4, 0);
	assert_int_equal((e->eax >> 26) + 1, 1u << (shift - topo->thread_bits));
	assert_int_equal(e->eax & 0x3fff, 0x121);
	assert_int_equal(((e->eax >> 14) & 0xfff) + 1, 1u << topo->thread_bits);
	e = get(&out, 4, 1);
	assert_int_equal(((e->eax >> 14) & 0xfff) + 1, 1u << shift);

	/* AMD: NC and ApicIdSize; TOPOEXT and its leaf are gone */
	e = get(&out, 0x80000008, 0);
	assert_int_equal((e->ecx & 0xff) + 1, per_pkg);
	assert_int_equal((e->ecx >> 12) & 0xf, shift);
	e = get(&out, 0x80000001, 0);
	assert_false(e->ecx & (1u << 22));
	assert_int_equal(!!(e->ecx & (1u << 1)), per_pkg > 1);
	assert_null(cpuid_find(&out, 0x8000001e, 0));
}

static void topo_fill(struct topology *t, uint32_t s, uint32_t c, uint32_t th)
{
	struct config_smp smp = {.cpus = s * c * th, .sockets = s, .dies = 1, .cores = c,
				 .threads = th, .maxcpus = s * c * th};
	topology_from_config(&smp, t);
}

static void test_single(void **state)
{
	struct topology t;
	(void)state;
	topo_fill(&t, 1, 1, 1);
	check_vcpu(&t, 0);
}

static void test_cores(void **state)
{
	struct topology t;
	(void)state;
	topo_fill(&t, 1, 4, 1);
	for (uint32_t i = 0; i < 4; i++)
		check_vcpu(&t, i);
}

static void test_sockets_threads(void **state)
{
	struct topology t;
	(void)state;
	topo_fill(&t, 2, 3, 2); /* core field is 2 bits wide: APIC ids have gaps */
	for (uint32_t i = 0; i < 12; i++)
		check_vcpu(&t, i);
	assert_int_equal(topology_apic_id(&t, 6), 8); /* socket 1 starts at 1 << 3 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_cores),
		cmocka_unit_test(test_sockets_threads),
	};
	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
