/* test_topology.c - APIC ids as QEMU assigns them for the same -smp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plan/topology.h"

static struct topology topo(uint32_t cpus, uint32_t sockets, uint32_t dies, uint32_t cores,
			    uint32_t threads)
{
	struct config_smp smp = {
	    .cpus = cpus,
	    .sockets = sockets,
	    .dies = dies,
	    .cores = cores,
	    .threads = threads,
	    .maxcpus = sockets * dies * cores * threads,
	};
	struct topology t;

	memset(&t, 0xa5, sizeof(t));
	topology_from_config(&smp, &t);
	return t;
}

static void test_single_cpu(void **state)
{
	struct topology t = topo(1, 1, 1, 1, 1);

	(void)state;
	assert_int_equal(t.thread_bits, 0);
	assert_int_equal(t.core_bits, 0);
	assert_int_equal(t.die_bits, 0);
	assert_int_equal(topology_pkg_shift(&t), 0);
	assert_int_equal(topology_apic_id(&t, 0), 0);
	assert_int_equal(topology_apic_id_limit(&t), 1);
	assert_int_equal(topology_check(&t, NULL), 0);
}

/* -smp 12,sockets=2,cores=3,threads=2: three cores need a 2-bit field,
 * so core id 3 is never used and each socket leaves a gap of two ids. */
static void test_two_sockets_three_cores_two_threads(void **state)
{
	static const uint32_t want[12] = {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13};
	struct topology t = topo(12, 2, 1, 3, 2);
	uint32_t i;

	(void)state;
	assert_int_equal(t.thread_bits, 1);
	assert_int_equal(t.core_bits, 2);
	assert_int_equal(t.die_bits, 0);
	assert_int_equal(topology_pkg_shift(&t), 3);
	for (i = 0; i < 12; i++)
		assert_int_equal(topology_apic_id(&t, i), want[i]);
	assert_int_equal(topology_apic_id_limit(&t), 14);
	assert_int_equal(topology_check(&t, NULL), 0);
}

/* -smp sockets=2,dies=3,cores=5,threads=3: every field has a gap. */
static void test_dies(void **state)
{
	struct topology t = topo(90, 2, 3, 5, 3);

	(void)state;
	assert_int_equal(t.thread_bits, 2);
	assert_int_equal(t.core_bits, 3);
	assert_int_equal(t.die_bits, 2);
	assert_int_equal(topology_pkg_shift(&t), 7);
	/* index 89 = socket 1, die 2, core 4, thread 2 */
	assert_int_equal(topology_apic_id(&t, 89), (1u << 7) | (2u << 5) | (4u << 2) | 2u);
	/* index 15 = socket 0, die 1, core 0, thread 0 */
	assert_int_equal(topology_apic_id(&t, 15), 1u << 5);
	/* index 3 = core 1, thread 0 */
	assert_int_equal(topology_apic_id(&t, 3), 1u << 2);
	assert_int_equal(topology_apic_id(&t, 45), 1u << 7);
	assert_int_equal(topology_check(&t, NULL), 0);
}

/* Field widths are ceil(log2(count)), QEMU's apicid_bitwidth_for_count. */
static void test_field_widths(void **state)
{
	static const struct {
		uint32_t count;
		unsigned bits;
	} w[] = {
	    {1, 0},  {2, 1},  {3, 2},  {4, 2},	 {5, 3},   {7, 3},   {8, 3},   {9, 4},	 {16, 4},
	    {17, 5}, {64, 6}, {65, 7}, {128, 7}, {129, 8}, {255, 8}, {256, 8}, {257, 9},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct topology t = topo(1, 1, w[i].count, w[i].count, w[i].count);

		assert_int_equal(t.thread_bits, w[i].bits);
		assert_int_equal(t.core_bits, w[i].bits);
		assert_int_equal(t.die_bits, w[i].bits);
	}
}

/* For every topology of up to 255 CPUs: ids unique, strictly increasing
 * with the index (so the MADT lists them in order), every field decodes
 * back to the position that index has, and within the xAPIC range. */
static void test_all_small_topologies(void **state)
{
	uint32_t s, d, c, th, i;
	unsigned tried = 0;

	(void)state;
	for (s = 1; s <= 8; s++)
		for (d = 1; d <= 4; d++)
			for (c = 1; c <= 16; c++)
				for (th = 1; th <= 4; th++) {
					struct topology t;
					uint32_t max = s * d * c * th, prev = 0;
					unsigned tb, cb, db;

					if (max > CONFIG_MAX_CPUS)
						continue;
					t = topo(1, s, d, c, th);
					tb = t.thread_bits;
					cb = t.core_bits;
					db = t.die_bits;
					assert_true((1u << tb) >= th &&
						    (th == 1 || (1u << (tb - 1)) < th));
					assert_true((1u << cb) >= c &&
						    (c == 1 || (1u << (cb - 1)) < c));
					assert_true((1u << db) >= d &&
						    (d == 1 || (1u << (db - 1)) < d));
					for (i = 0; i < max; i++) {
						uint32_t id = topology_apic_id(&t, i);

						if (i > 0 && id <= prev)
							fail_msg(
							    "s%u d%u c%u t%u: id %u for cpu %u "
							    "not above %u",
							    s, d, c, th, id, i, prev);
						prev = id;
						assert_int_equal(id & ((1u << tb) - 1), i % th);
						assert_int_equal(id >> tb & ((1u << cb) - 1),
								 i / th % c);
						assert_int_equal(id >> (tb + cb) & ((1u << db) - 1),
								 i / (th * c) % d);
						assert_int_equal(id >> topology_pkg_shift(&t),
								 i / (th * c * d));
					}
					assert_int_equal(topology_apic_id_limit(&t), prev + 1);
					if (prev <= TOPOLOGY_MAX_XAPIC_ID)
						assert_int_equal(topology_check(&t, NULL), 0);
					else
						assert_int_equal(topology_check(&t, NULL), -EINVAL);
					tried++;
				}
	assert_true(tried > 1000);
}

/* -smp 2,maxcpus=8,sockets=2,cores=2,threads=2: CPUs not started at boot
 * still have their ids reserved, for hotplug and the MADT. */
static void test_maxcpus_above_cpus(void **state)
{
	struct topology t = topo(2, 2, 1, 2, 2);
	static const uint32_t want[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	uint32_t i;

	(void)state;
	assert_int_equal(t.cpus, 2);
	assert_int_equal(t.maxcpus, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(topology_apic_id(&t, i), want[i]);
	assert_int_equal(topology_apic_id_limit(&t), 8);
	assert_int_equal(topology_check(&t, NULL), 0);
}

static void test_check_refuses(void **state)
{
	struct kverr err = {""};
	struct topology t;

	(void)state;
	/* 3 sockets of 65 cores: core field 7 bits, last id 2<<7 | 64 = 320 */
	t = topo(1, 3, 1, 65, 1);
	assert_int_equal(topology_check(&t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "APIC id 320"));
	assert_non_null(strstr(err.msg, "cores=65"));

	/* 255 CPUs in one socket fit exactly: ids 0..254 */
	t = topo(255, 1, 1, 255, 1);
	assert_int_equal(topology_check(&t, NULL), 0);
	assert_int_equal(topology_apic_id_limit(&t), 255);

	/* 256 would need id 255, the broadcast id */
	t = topo(1, 1, 1, 256, 1);
	assert_int_equal(topology_check(&t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "APIC id 255"));

	t = topo(5, 1, 1, 4, 1);
	assert_int_equal(topology_check(&t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "cpus=5"));

	t = topo(0, 1, 1, 4, 1);
	assert_int_equal(topology_check(&t, &err), -EINVAL);

	t = topo(2, 1, 1, 4, 1);
	t.maxcpus = 6; /* levels multiply to 4 */
	assert_int_equal(topology_check(&t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "maxcpus=6"));
	assert_null(strchr(err.msg, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_cpu),
	    cmocka_unit_test(test_two_sockets_three_cores_two_threads),
	    cmocka_unit_test(test_dies),
	    cmocka_unit_test(test_field_widths),
	    cmocka_unit_test(test_all_small_topologies),
	    cmocka_unit_test(test_maxcpus_above_cpus),
	    cmocka_unit_test(test_check_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
