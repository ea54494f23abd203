/* test_numa.c - guest NUMA from the command line: -numa parsing
 * (src/config/numa.c), the plan's validation and completion
 * (src/plan/numa.c) and the placement of each node's RAM
 * (layout_place_nodes).  Command lines go through config_parse, as a user
 * types them; numbers are what QEMU 7.2 computes for the same line, or
 * where kvmem goes beyond QEMU (sparse ids), what docs/numa.md promises.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "plan/layout.h"
#include "plan/numa.h"
#include "plan/print.h"
#include "plan/topology.h"

#define MAX_ARGS 48

struct planned {
	struct config cfg;
	struct topology topo;
	struct layout layout;
	struct numa numa;
	struct kverr err;
	bool parsed;
};

/* Parse "kvmem -print-layout ARGS" (NULL-terminated), then plan NUMA and
 * the layout as machine_plan does.  memdevs: optional "id=size" pairs put
 * into cfg.memdev[] as the -object parser will.  Returns the first
 * failure, err holding its message. */
static int plan_with(struct planned *p, const char *const *memdevs, const char *const *args)
{
	char *argv[MAX_ARGS];
	int argc = 0, ret;

	memset(p, 0, sizeof(*p));
	argv[argc++] = (char *)"kvmem";
	argv[argc++] = (char *)"-print-layout";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ret = config_parse(&p->cfg, argc, argv, &p->err);
	if (ret)
		return ret;
	p->parsed = true;
	for (; memdevs && *memdevs; memdevs += 2) {
		struct config_memdev *m = &p->cfg.memdev[p->cfg.nr_memdevs++];
		m->id = (char *)memdevs[0];
		assert_int_equal(config_parse_size(memdevs[1], 1, &m->size), 0);
	}
	topology_from_config(&p->cfg.smp, &p->topo);
	ret = layout_compute(&p->cfg.mem, &p->layout, &p->err);
	if (!ret)
		ret = numa_plan(&p->numa, &p->cfg, &p->topo, &p->err);
	if (!ret)
		ret = layout_place_nodes(&p->layout, &p->numa, &p->err);
	return ret;
}

static void done(struct planned *p)
{
	if (p->parsed) {
		p->cfg.nr_memdevs = 0; /* ids are string literals here */
		config_free(&p->cfg);
	}
}

#define PLAN(p, ...) plan_with((p), NULL, (const char *const[]){__VA_ARGS__, NULL})

static void expect_ok(struct planned *p, int ret)
{
	if (ret)
		fail_msg("unexpected error: %s", p->err.msg);
}

static void cpulist_is(struct planned *p, uint32_t node, const char *want)
{
	char buf[256];

	plan_node_cpulist(&p->numa, &p->topo, node, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_two_nodes(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p, PLAN(&p, "-m", "2G", "-smp", "2", "-numa", "node,nodeid=0,cpus=0,mem=1G",
			   "-numa", "node,nodeid=1,cpus=1,mem=1G"));
	assert_int_equal(p.numa.nr_nodes, 2);
	assert_int_equal(p.numa.max_nodeid, 2);
	assert_false(p.numa.auto_split);
	assert_false(p.numa.have_distance);
	assert_int_equal(p.numa.node[0].mem, 1ULL << 30);
	assert_int_equal(p.numa.node[1].mem, 1ULL << 30);
	cpulist_is(&p, 0, "0");
	cpulist_is(&p, 1, "1");
	assert_int_equal(p.numa.distance[0][0], 10);
	assert_int_equal(p.numa.distance[0][1], 20);
	assert_int_equal(p.numa.distance[1][0], 20);
	/* node 0 at 0, node 1 right after it */
	assert_int_equal(p.layout.nr_parts, 2);
	assert_int_equal(p.layout.part[0].node, 0);
	assert_int_equal(p.layout.part[0].gpa, 0);
	assert_int_equal(p.layout.part[1].node, 1);
	assert_int_equal(p.layout.part[1].gpa, 1ULL << 30);
	assert_int_equal(p.layout.part[1].size, 1ULL << 30);
	assert_string_equal(p.layout.part[1].name, "node1-below-4g");
	done(&p);
}

/* A node straddling the PCI hole has two parts, the second continuing in
 * its backend where the first stopped. */
static void test_node_across_hole(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p, PLAN(&p, "-m", "6G", "-smp", "3", "-numa", "node,mem=2G,cpus=0", "-numa",
			   "node,mem=2G,cpus=1", "-numa", "node,mem=2G,cpus=2"));
	/* 3 GiB below the hole: node 0 [0,2G), node 1 [2G,3G)+[4G,5G), node 2 [5G,7G) */
	assert_int_equal(p.layout.nr_parts, 4);
	assert_int_equal(p.layout.part[1].node, 1);
	assert_int_equal(p.layout.part[1].gpa, 2 * GiB);
	assert_int_equal(p.layout.part[1].size, 1 * GiB);
	assert_int_equal(p.layout.part[1].node_offset, 0);
	assert_int_equal(p.layout.part[2].node, 1);
	assert_int_equal(p.layout.part[2].gpa, 4 * GiB);
	assert_int_equal(p.layout.part[2].size, 1 * GiB);
	assert_int_equal(p.layout.part[2].node_offset, 1 * GiB);
	assert_string_equal(p.layout.part[2].name, "node1-above-4g");
	assert_int_equal(p.layout.part[3].node, 2);
	assert_int_equal(p.layout.part[3].gpa, 5 * GiB);
	assert_int_equal(p.layout.part[3].size, 2 * GiB);
	assert_int_equal(p.layout.part[3].node_offset, 0);
	/* each node its own backend; the RAM offsets count below the hole first */
	assert_false(p.numa.shared_backend);
	assert_int_equal(p.layout.part[1].ram_offset, 2 * GiB);
	assert_int_equal(p.layout.part[2].ram_offset, 3 * GiB);
	assert_int_equal(p.layout.part[3].ram_offset, 4 * GiB);
	done(&p);
}

/* QEMU 7.2 numa_default_auto_assign_ram: size / nodes & ~(8 MiB - 1) for
 * all but the last node. */
static void test_default_split(void **state)
{
	static const struct {
		const char *m;
		unsigned nodes;
		uint64_t first, last;
	} cases[] = {
	    {"1024", 2, 512 * MiB, 512 * MiB},
	    {"2500M", 3, 832 * MiB, 836 * MiB},
	    {"1G", 3, 336 * MiB, 352 * MiB}, /* 341.3 -> 336 */
	    {"100M", 4, 24 * MiB, 28 * MiB}, /* 25 -> 24 */
	    {"20M", 4, 0, 20 * MiB},	     /* 5 MiB rounds down to nothing */
	    {"4097M", 2, 2048 * MiB, 2049 * MiB},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[16] = {"-m", cases[i].m};
		unsigned n = 2;
		struct planned p;
		uint64_t sum = 0;

		for (unsigned k = 0; k < cases[i].nodes; k++) {
			args[n++] = "-numa";
			args[n++] = "node";
		}
		args[n] = NULL;
		expect_ok(&p, plan_with(&p, NULL, args));
		assert_true(p.numa.auto_split);
		assert_int_equal(p.numa.nr_nodes, cases[i].nodes);
		for (unsigned k = 0; k + 1 < cases[i].nodes; k++)
			assert_int_equal(p.numa.node[k].mem, cases[i].first);
		assert_int_equal(p.numa.node[cases[i].nodes - 1].mem, cases[i].last);
		for (unsigned k = 0; k < cases[i].nodes; k++)
			sum += p.numa.node[k].mem;
		assert_int_equal(sum, p.cfg.mem.size);
		done(&p);
	}
}

/* Sparse ids work; the SLIT-sized table marks the unused id. */
static void test_sparse_ids(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p,
		  PLAN(&p, "-m", "2G", "-smp", "2", "-numa", "node,nodeid=0,cpus=0,mem=1G", "-numa",
		       "node,nodeid=2,cpus=1,mem=1G", "-numa", "dist,src=2,dst=0,val=25"));
	assert_int_equal(p.numa.nr_nodes, 2);
	assert_int_equal(p.numa.max_nodeid, 3);
	assert_false(p.numa.node[1].present);
	assert_int_equal(numa_first(&p.numa), 0);
	assert_int_equal(numa_next(&p.numa, 0), 2);
	assert_int_equal(numa_next(&p.numa, 2), 3);
	assert_true(p.numa.have_distance);
	assert_int_equal(p.numa.distance[0][2], 25); /* completed symmetrically */
	assert_int_equal(p.numa.distance[2][0], 25);
	assert_int_equal(p.numa.distance[1][1], 10);
	assert_int_equal(p.numa.distance[0][1], 255);
	assert_int_equal(p.numa.distance[1][2], 255);
	assert_int_equal(p.layout.part[1].node, 2);
	assert_int_equal(p.layout.part[1].gpa, 1 * GiB);
	/* default ids follow the number of nodes declared so far (QEMU) */
	done(&p);
	expect_ok(&p,
		  PLAN(&p, "-m", "2G", "-numa", "node,nodeid=3,mem=1G", "-numa", "node,mem=1G"));
	assert_true(p.numa.node[3].present);
	assert_true(p.numa.node[1].present);
	assert_int_equal(p.layout.part[0].node, 1); /* id order, not command-line order */
	done(&p);
}

static void test_memory_only_and_cpu_only(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p, PLAN(&p, "-m", "2G", "-smp", "4", "-numa", "node,cpus=0-1,cpus=3,mem=1536M",
			   "-numa", "node,mem=512M", "-numa", "node,cpus=2,mem=0"));
	cpulist_is(&p, 0, "0-1,3");
	cpulist_is(&p, 1, "");
	cpulist_is(&p, 2, "2");
	assert_int_equal(p.numa.node[1].nr_cpus, 0);
	assert_int_equal(p.numa.node[2].mem, 0);
	assert_int_equal(p.layout.nr_parts, 2); /* node 2 has no RAM to place */
	done(&p);
	/* the same when RAM reaches above 4 GiB before the CPU-only node:
	 * no empty part (kvmem could not start with one) */
	expect_ok(&p, PLAN(&p, "-m", "4G", "-smp", "2", "-numa", "node,mem=3584M", "-numa",
			   "node,mem=512M", "-numa", "node,cpus=1,mem=0"));
	assert_int_equal(p.layout.nr_parts, 3);
	for (unsigned i = 0; i < p.layout.nr_parts; i++)
		assert_true(p.layout.part[i].size > 0 && p.layout.part[i].node < 2);
	done(&p);
}

static void test_asymmetric_table(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p, PLAN(&p, "-m", "3G", "-numa", "node", "-numa", "node", "-numa", "node",
			   "-numa", "dist,src=0,dst=1,val=15", "-numa", "dist,src=1,dst=0,val=25",
			   "-numa", "dist,src=0,dst=2,val=30", "-numa", "dist,src=2,dst=0,val=35",
			   "-numa", "dist,src=1,dst=2,val=20", "-numa", "dist,src=2,dst=1,val=40",
			   "-numa", "dist,src=1,dst=1,val=10"));
	assert_int_equal(p.numa.distance[0][1], 15);
	assert_int_equal(p.numa.distance[1][0], 25);
	assert_int_equal(p.numa.distance[2][1], 40);
	assert_int_equal(p.numa.distance[2][2], 10);
	done(&p);
}

/* Default CPU placement: socket % nodes (QEMU's x86 default), and
 * -numa cpu by topology ids. */
static void test_cpu_placement(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p, PLAN(&p, "-m", "2G", "-smp", "8,sockets=4,cores=2", "-numa", "node", "-numa",
			   "node,nodeid=5"));
	cpulist_is(&p, 0, "0-1,4-5");
	cpulist_is(&p, 5, "2-3,6-7");
	done(&p);
	expect_ok(&p, PLAN(&p, "-m", "2G", "-smp", "8,sockets=2,cores=2,threads=2", "-numa", "node",
			   "-numa", "node", "-numa", "cpu,node-id=1,socket-id=0,core-id=1", "-numa",
			   "cpu,node-id=0,socket-id=0,core-id=0", "-numa",
			   "cpu,node-id=1,socket-id=1"));
	cpulist_is(&p, 0, "0-1");
	cpulist_is(&p, 1, "2-7");
	done(&p);
	/* -numa node,cpus= and -numa cpu naming the same CPU for the same node is fine */
	expect_ok(&p, PLAN(&p, "-smp", "2", "-numa", "node,cpus=0-1", "-numa",
			   "cpu,node-id=0,core-id=1"));
	cpulist_is(&p, 0, "0-1");
	done(&p);
	/* die-id with two dies per socket: socket 1's die 0 is CPU 2; CPU 3,
	 * placed by no option, goes to node 0 (QEMU: node 0 cpus: 0 3) */
	expect_ok(&p, PLAN(&p, "-smp", "4,sockets=2,dies=2", "-numa", "node", "-numa", "node",
			   "-numa", "cpu,node-id=1,socket-id=1,die-id=0", "-numa",
			   "cpu,node-id=1,socket-id=0,die-id=1", "-numa",
			   "cpu,node-id=0,socket-id=0,die-id=0"));
	cpulist_is(&p, 0, "0,3");
	cpulist_is(&p, 1, "1-2");
	done(&p);
}

/* QEMU 7.2 machine_numa_finish_cpu_init: once any option places a CPU,
 * the CPUs no option places go to node 0, not to socket % nodes. */
static void test_cpu_placement_partial(void **state)
{
	struct planned p;
	(void)state;

	/* issue 8's line: QEMU's info numa says node 0 cpus: 0 2 3, node 1: 1 */
	expect_ok(&p, PLAN(&p, "-m", "3G", "-smp", "4,sockets=2", "-numa", "node,mem=3G", "-numa",
			   "node,cpus=1"));
	cpulist_is(&p, 0, "0,2-3");
	cpulist_is(&p, 1, "1");
	assert_int_equal(p.numa.node[0].nr_cpus, 3);
	assert_true(p.numa.node[1].explicit_cpus);
	assert_false(p.numa.node[0].explicit_cpus);
	done(&p);
	/* -numa cpu counts as placing: QEMU gives node 0 cpus 1 2 3 */
	expect_ok(&p, PLAN(&p, "-smp", "4,sockets=4", "-numa", "node", "-numa", "node", "-numa",
			   "cpu,node-id=1,socket-id=0"));
	cpulist_is(&p, 0, "1-3");
	cpulist_is(&p, 1, "0");
	done(&p);
	/* no option places a CPU: socket % nodes, QEMU's 0 1 4 5 / 2 3 */
	expect_ok(&p,
		  PLAN(&p, "-m", "3G", "-smp", "6,sockets=3", "-numa", "node", "-numa", "node"));
	cpulist_is(&p, 0, "0-1,4-5");
	cpulist_is(&p, 1, "2-3");
	done(&p);
	/* sparse ids: "node 0" is the lowest id present */
	expect_ok(&p,
		  PLAN(&p, "-smp", "4", "-numa", "node,nodeid=5,cpus=0", "-numa", "node,nodeid=2"));
	cpulist_is(&p, 2, "1-3");
	cpulist_is(&p, 5, "0");
	done(&p);
}

/* What QEMU 7.2's HMAT does not need: -machine hmat=on without -numa node
 * (the HMAT is built only when there are nodes, here the memory-hotplug
 * node 0), and an initiator for a node without CPUs. */
static void test_hmat_without_nodes(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p, PLAN(&p, "-machine", "hmat=on", "-smp", "2"));
	assert_int_equal(p.numa.nr_nodes, 0);
	assert_false(p.numa.hmat);
	done(&p);
	expect_ok(&p, PLAN(&p, "-machine", "hmat=on", "-m", "1G,slots=1,maxmem=2G", "-smp", "2"));
	assert_true(p.numa.implicit);
	assert_true(p.numa.hmat);
	assert_int_equal(p.numa.node[0].initiator, 0);
	cpulist_is(&p, 0, "0-1");
	done(&p);
	/* a node may have no initiator (QEMU 7.2 numa_validate_initiator) */
	expect_ok(&p, PLAN(&p, "-machine", "hmat=on", "-m", "2G", "-numa", "node,cpus=0,mem=1G",
			   "-numa", "node,mem=1G"));
	assert_true(p.numa.hmat);
	assert_int_equal(p.numa.node[0].initiator, 0);
	assert_int_equal(p.numa.node[1].initiator, NUMA_NO_INITIATOR);
	done(&p);
}

static void test_no_numa_and_implicit_node(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p, PLAN(&p, "-m", "4G"));
	assert_int_equal(p.numa.nr_nodes, 0);
	assert_int_equal(p.layout.nr_parts, 2);
	assert_string_equal(p.layout.part[0].name, "ram-below-4g");
	assert_string_equal(p.layout.part[1].name, "ram-above-4g");
	assert_int_equal(p.layout.part[1].node_offset, 3 * GiB);
	assert_int_equal(p.layout.part[1].ram_offset, 3 * GiB);
	assert_true(p.numa.shared_backend);
	done(&p);
	/* memory hotplug: one node with everything, as QEMU's pc does */
	expect_ok(&p, PLAN(&p, "-m", "4G,slots=2,maxmem=8G", "-smp", "2"));
	assert_true(p.numa.implicit);
	assert_int_equal(p.numa.nr_nodes, 1);
	assert_int_equal(p.numa.node[0].mem, 4 * GiB);
	assert_true(p.numa.shared_backend); /* pc.ram, as without NUMA */
	cpulist_is(&p, 0, "0-1");
	done(&p);
}

static void test_memdev(void **state)
{
	static const char *const devs[] = {"m0", "1G", "m1", "3G", NULL};
	struct planned p;
	(void)state;

	expect_ok(&p, plan_with(&p, devs,
				(const char *const[]){"-m", "4G", "-numa", "node,memdev=m1",
						      "-numa", "node,memdev=m0", NULL}));
	assert_int_equal(p.numa.node[0].memdev, 1);
	assert_int_equal(p.numa.node[0].mem, 3 * GiB);
	assert_int_equal(p.numa.node[1].memdev, 0);
	assert_int_equal(p.layout.part[1].node, 1);
	assert_int_equal(p.layout.part[1].gpa, 4 * GiB);
	done(&p);

	assert_int_equal(plan_with(&p, devs,
				   (const char *const[]){"-m", "2G", "-numa", "node,memdev=m0",
							 "-numa", "node,memdev=m0", NULL}),
			 -EINVAL);
	assert_string_equal(p.err.msg, "-numa node,memdev=m0: memory backend m0 can't be used "
				       "multiple times (node 0 uses it)");
	done(&p);
	assert_int_equal(plan_with(&p, devs,
				   (const char *const[]){"-m", "2G", "-numa", "node,memdev=m0",
							 "-numa", "node,memdev=nope", NULL}),
			 -EINVAL);
	assert_string_equal(p.err.msg, "-numa node,memdev=nope: memdev=nope: no memory backend "
				       "with this id (define it with -object "
				       "memory-backend-...,id=nope)");
	done(&p);
	assert_int_equal(plan_with(&p, devs,
				   (const char *const[]){"-m", "4G", "-numa", "node,memdev=m0",
							 "-numa", "node,mem=3G", NULL}),
			 -EINVAL);
	assert_string_equal(p.err.msg, "-numa node,mem=3G: numa configuration should use either "
				       "mem= or memdev=, mixing both is not allowed");
	done(&p);
	/* the memdevs must add up to -m like mem= does */
	assert_int_equal(
	    plan_with(&p, devs, (const char *const[]){"-m", "2G", "-numa", "node,memdev=m0", NULL}),
	    -EINVAL);
	assert_string_equal(p.err.msg, "-numa: total memory for NUMA nodes (0x40000000) should "
				       "equal RAM size (0x80000000)");
	done(&p);
}

/* Every rule, one line each, naming the -numa argument at fault. */
static void test_errors(void **state)
{
	static const struct {
		const char *args[16];
		const char *msg;
	} cases[] = {
	    {{"-m", "2G", "-numa", "node,mem=1G", "-numa", "node,nodeid=0,mem=1G"},
	     "-numa node,nodeid=0,mem=1G: Duplicate NUMA nodeid: 0"},
	    {{"-m", "2G", "-numa", "node,mem=1G", "-numa", "node,mem=512M"},
	     "-numa: total memory for NUMA nodes (0x60000000) should equal RAM size (0x80000000)"},
	    {{"-smp", "2", "-numa", "node,cpus=0-4"},
	     "-numa node,cpus=0-4: CPU index (2) should be smaller than maxcpus (2)"},
	    {{"-smp", "2", "-numa", "node,cpus=0-1", "-numa", "node,cpus=1"},
	     "-numa node,cpus=1: CPU 1 is already assigned to node-id: 0"},
	    {{"-smp", "2", "-numa", "node,cpus=0", "-numa", "node", "-numa",
	      "cpu,node-id=1,core-id=0"},
	     "-numa cpu,node-id=1,core-id=0: CPU 0 is already assigned to node-id: 0"},
	    {{"-numa", "node", "-numa", "node", "-numa", "dist,src=0,dst=1,val=9"},
	     "-numa dist,src=0,dst=1,val=9: NUMA distance (9) is invalid, it shouldn't be less "
	     "than 10."},
	    {{"-numa", "node", "-numa", "dist,src=0,dst=0,val=11"},
	     "-numa dist,src=0,dst=0,val=11: Local distance of node 0 should be 10."},
	    {{"-numa", "node", "-numa", "node", "-numa", "dist,src=0,dst=2,val=20"},
	     "-numa dist,src=0,dst=2,val=20: Source/Destination NUMA node is missing. Please use "
	     "'-numa node' option to declare it first."},
	    {{"-numa", "node", "-numa", "node", "-numa", "node", "-numa",
	      "dist,src=0,dst=1,val=20"},
	     "-numa dist: The distance between node 0 and 2 is missing, at least one distance "
	     "value between each nodes should be provided."},
	    {{"-numa", "node", "-numa", "node", "-numa", "dist,src=0,dst=1,val=20", "-numa",
	      "dist,src=1,dst=0,val=30", "-numa", "node", "-numa", "dist,src=0,dst=2,val=20",
	      "-numa", "dist,src=1,dst=2,val=20"},
	     "-numa dist: At least one asymmetrical pair of distances is given, please provide "
	     "distances for both directions of all node pairs (node 2 to 0 is missing)."},
	    {{"-numa", "node,nodeid=128"},
	     "-numa node,nodeid=128: Parameter 'nodeid' expects an integer between 0 and 127"},
	    {{"-numa", "node", "-numa", "dist,src=0,dst=0,val=256"},
	     "-numa dist,src=0,dst=0,val=256: Parameter 'val' expects an integer between 0 and "
	     "255"},
	    {{"-numa", "node,initiator=0"},
	     "-numa node,initiator=0: ACPI Heterogeneous Memory Attribute Table (HMAT) is "
	     "disabled, enable it with -machine hmat=on before using any of hmat specific "
	     "options"},
	    {{"-numa", "node", "-numa",
	      "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=5"},
	     "-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,"
	     "latency=5: ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, enable it "
	     "with -machine hmat=on before using any of hmat specific options"},
	    {{"-numa", "node", "-numa", "cpu,node-id=3"},
	     "-numa cpu,node-id=3: Invalid node-id=3, NUMA node must be defined with -numa "
	     "node,nodeid=ID before it's used with -numa cpu,node-id=ID"},
	    {{"-numa", "node", "-numa", "cpu,node-id=0,socket-id=1"},
	     "-numa cpu,node-id=0,socket-id=1: no match found: no possible CPU has these ids "
	     "(-smp sockets=1,dies=1,cores=1,threads=1)"},
	    {{"-numa", "cpu,socket-id=0"},
	     "-numa cpu,socket-id=0: Missing mandatory node-id property"},
	    {{"-m", "4M", "-numa", "node,mem=1001k", "-numa", "node,mem=3095k"},
	     "-numa node,mem=1001k: node memory 0xfa400 is not a multiple of 4 KiB"},
	    {{"-numa", "dist,src=0,dst=1,val=20"},
	     "-numa dist,src=0,dst=1,val=20: no NUMA node is declared; use '-numa node' first"},
	    {{"-numa", "foo"},
	     "-numa foo: invalid type 'foo' (node, dist, cpu, hmat-lb or hmat-cache)"},
	    {{"-numa", "node,bogus=1"}, "-numa node,bogus=1: unsupported parameter 'bogus'"},
	    {{"-numa", "node,cpus=3-1"},
	     "-numa node,cpus=3-1: invalid cpus '3-1': expected a CPU index or a range A-B with "
	     "A <= B <= 65535"},
	    {{"-numa", "node,mem=12X"},
	     "-numa node,mem=12X: invalid mem '12X': expected a size with an optional suffix B, "
	     "K, M, G, T, P or E"},
	    {{"-numa", "dist,src=0,dst=1"}, "-numa dist,src=0,dst=1: Parameter 'val' is missing"},
	    {{"-numa", "nodeid=1"},
	     "-numa nodeid=1: the first element must be the type: node, dist, cpu, hmat-lb or "
	     "hmat-cache"},
	    {{"-machine", "hmat=yes"}, "-machine hmat=yes: hmat expects 'on' or 'off'"},
	    /* QEMU's pc gives CPU slots a die-id only with dies > 1 */
	    {{"-smp", "2,sockets=2", "-numa", "node", "-numa",
	      "cpu,node-id=0,socket-id=0,die-id=0"},
	     "-numa cpu,node-id=0,socket-id=0,die-id=0: die-id is not supported (-smp has one die "
	     "per socket)"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct planned p;
		int ret = plan_with(&p, NULL, cases[i].args);

		if (ret != -EINVAL)
			fail_msg("case %zu (%s): returned %d", i, cases[i].msg, ret);
		if (strcmp(p.err.msg, cases[i].msg))
			fail_msg("case %zu:\n  got  '%s'\n  want '%s'", i, p.err.msg, cases[i].msg);
		done(&p);
	}
}

#define LAT(i, t, v)                                                                               \
	"hmat-lb,initiator=" #i ",target=" #t                                                      \
	",hierarchy=memory,data-type=access-latency,latency=" #v
#define BW(i, t, v)                                                                                \
	"hmat-lb,initiator=" #i ",target=" #t                                                      \
	",hierarchy=memory,data-type=access-bandwidth,bandwidth=" #v

static void test_hmat(void **state)
{
	struct planned p;
	(void)state;

	expect_ok(&p, PLAN(&p, "-machine", "hmat=on", "-m", "2G", "-smp", "2", "-numa",
			   "node,cpus=0,mem=1G", "-numa", "node,mem=1G,initiator=0", "-numa",
			   LAT(0, 0, 20), "-numa", LAT(0, 1, 150), "-numa", BW(0, 1, 96M), "-numa",
			   BW(0, 0, 1G), "-numa",
			   "hmat-cache,node-id=1,size=8K,level=1,associativity=direct,policy=write-"
			   "back,line=64",
			   "-numa",
			   "hmat-cache,node-id=1,size=64K,level=2,associativity=none,policy=none,"
			   "line=64"));
	assert_true(p.numa.hmat);
	assert_int_equal(p.numa.node[0].initiator, 0); /* a node with CPUs is its own */
	assert_int_equal(p.numa.node[1].initiator, 0);
	/* 20 and 150 ns share 10 ns; 96 MiB/s and 1 GiB/s share 32 MiB/s */
	assert_true(p.numa.lb[HMAT_MEMORY][HMAT_ACCESS_LATENCY].present);
	assert_int_equal(p.numa.lb[HMAT_MEMORY][HMAT_ACCESS_LATENCY].base, 10);
	assert_int_equal(p.numa.lb[HMAT_MEMORY][HMAT_ACCESS_BANDWIDTH].base, 32 * MiB);
	assert_false(p.numa.lb[HMAT_MEMORY][HMAT_READ_LATENCY].present);
	assert_non_null(p.numa.cache[1][1]);
	assert_non_null(p.numa.cache[1][2]);
	assert_null(p.numa.cache[0][1]);
	{
		struct e820_map e820;
		struct ram_plan ram;
		struct plan_view v = {&p.cfg, &p.layout, &p.numa, &p.topo, &e820,
				      NULL,   &ram,	 NULL,	  NULL};
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		e820_build(&p.layout, &e820);
		ram_plan_build(&ram, &p.cfg, &p.layout, &p.numa);
		assert_non_null(f);
		plan_print(f, &v);
		fclose(f);
		assert_non_null(
		    strstr(buf, "memory access-latency, unit 10 ns: 0->0 20 0->1 150\n"));
		assert_non_null(
		    strstr(buf, "memory access-bandwidth, unit 32 MiB/s: 0->1 96 0->0 1024\n"));
		assert_non_null(strstr(buf, "node 1 cache level 2: 64 KiB, none, none, line 64\n"));
		assert_non_null(strstr(buf, "node 1: mem 0x40000000 (1 GiB), cpus none, backend "
					    "ram-node1 (anonymous, mem=), initiator 0"));
		free(buf);
	}
	done(&p);
}

static void test_hmat_errors(void **state)
{
	static const struct {
		const char *args[20];
		const char *msg;
	} cases[] = {
	    {{"-machine", "hmat=on", "-smp", "2", "-numa", "node,cpus=0-1", "-numa",
	      "node,mem=0,initiator=0", "-numa", LAT(1, 0, 5)},
	     "-numa " LAT(1, 0, 5) ": Invalid initiator=1, it isn't an initiator proximity domain"},
	    /* node 0's CPUs come only from default placement, which QEMU does
	     * after it has read hmat-lb */
	    {{"-machine", "hmat=on", "-smp", "2", "-numa", "node,mem=1G", "-numa",
	      "node,mem=1G,initiator=0", "-m", "2G", "-numa", LAT(0, 0, 10)},
	     "-numa " LAT(0, 0, 10) ": Invalid initiator=0, it isn't an initiator proximity domain "
				    "(its CPUs are only placed by default: name them with -numa "
				    "node,cpus= or -numa cpu)"},
	    {{"-machine", "hmat=on", "-smp", "2", "-numa", "node,mem=1G", "-numa",
	      "node,mem=1G,cpus=1", "-m", "2G", "-numa", LAT(0, 0, 10)},
	     "-numa " LAT(0, 0, 10) ": Invalid initiator=0, it isn't an initiator proximity domain "
				    "(its CPUs are only placed by default: name them with -numa "
				    "node,cpus= or -numa cpu)"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa", LAT(0, 3, 5)},
	     "-numa " LAT(0, 3, 5) ": The target=3 should point to an existing node"},
	    {{"-machine", "hmat=on", "-m", "2G", "-numa", "node,cpus=0,mem=1G", "-numa",
	      "node,mem=1G,initiator=3"},
	     "-numa node,mem=1G,initiator=3: NUMA node 3 is missing, use '-numa node' option to "
	     "declare it first"},
	    {{"-machine", "hmat=on", "-smp", "2", "-numa", "node,cpus=0", "-numa",
	      "node,cpus=1,initiator=0"},
	     "-numa node,cpus=1,initiator=0: The initiator of CPU NUMA node 1 should be itself "
	     "(got 0)"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa", BW(0, 0, 1000000)},
	     "-numa " BW(0, 0, 1000000) ": Bandwidth 1000000 between initiator=0 and target=0 "
					"should be 1MB aligned"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa",
	      "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=read-latency,bandwidth=1M"},
	     "-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=read-latency,"
	     "bandwidth=1M: Missing 'latency' option"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa", LAT(0, 0, 5), "-numa",
	      LAT(0, 0, 6)},
	     "-numa " LAT(0, 0, 6) ": Duplicate configuration of the latency for initiator=0 and "
				   "target=0"},
	    {{"-machine", "hmat=on", "-m", "2G", "-numa", "node,cpus=0,mem=1G", "-numa",
	      "node,mem=1G,initiator=0", "-numa", LAT(0, 0, 1), "-numa", LAT(0, 1, 70000)},
	     "-numa " LAT(0, 1, 70000) ": Latency 70000 between initiator=0 and target=1 should "
				       "not differ from the smallest unit of the other values (1) "
				       "by more than 65534 "
				       "times"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa", LAT(0, 0, 5), "-numa",
	      "hmat-cache,node-id=0,size=8K,level=1,associativity=none,policy=none,line=8"},
	     "-numa hmat-cache,node-id=0,size=8K,level=1,associativity=none,policy=none,line=8: "
	     "The latency and bandwidth information of node-id=0 should be provided before "
	     "memory side cache attributes"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa", LAT(0, 0, 5), "-numa",
	      BW(0, 0, 1M), "-numa",
	      "hmat-cache,node-id=0,size=8K,level=2,associativity=none,policy=none,line=8"},
	     "-numa hmat-cache,node-id=0,size=8K,level=2,associativity=none,policy=none,line=8: "
	     "Cache level=1 shall be defined first"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa", LAT(0, 0, 5), "-numa",
	      BW(0, 0, 1M), "-numa",
	      "hmat-cache,node-id=0,size=8K,level=1,associativity=none,policy=none,line=8", "-numa",
	      "hmat-cache,node-id=0,size=8K,level=2,associativity=none,policy=none,line=8"},
	     "-numa hmat-cache,node-id=0,size=8K,level=2,associativity=none,policy=none,line=8: "
	     "Invalid size=8192, the size of level=2 should be larger than the size(8192) of "
	     "level=1"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa", LAT(0, 0, 5), "-numa",
	      BW(0, 0, 1M), "-numa",
	      "hmat-cache,node-id=0,size=8K,level=4,associativity=none,policy=none,line=8"},
	     "-numa hmat-cache,node-id=0,size=8K,level=4,associativity=none,policy=none,line=8: "
	     "Invalid level=4, it should be larger than 0 and less than or equal to 3"},
	    {{"-machine", "hmat=on", "-numa", "node,cpus=0", "-numa",
	      "hmat-lb,initiator=0,target=0,hierarchy=l4,data-type=access-latency,latency=5"},
	     "-numa hmat-lb,initiator=0,target=0,hierarchy=l4,data-type=access-latency,latency=5: "
	     "invalid hierarchy 'l4'"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct planned p;
		int ret = plan_with(&p, NULL, cases[i].args);

		if (ret != -EINVAL)
			fail_msg("case %zu (%s): returned %d", i, cases[i].msg, ret);
		if (strcmp(p.err.msg, cases[i].msg))
			fail_msg("case %zu:\n  got  '%s'\n  want '%s'", i, p.err.msg, cases[i].msg);
		done(&p);
	}
}

/* -print-layout's text shows what the plan decided. */
static void test_print(void **state)
{
	struct planned p;
	struct e820_map e820;
	struct ram_plan ram;
	struct plan_view v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	(void)state;

	expect_ok(&p, PLAN(&p, "-m", "4G,slots=1,maxmem=6G", "-smp", "2", "-numa",
			   "node,nodeid=0,cpus=0,mem=3584M", "-numa",
			   "node,nodeid=2,cpus=1,mem=512M", "-numa", "dist,src=0,dst=2,val=21"));
	e820_build(&p.layout, &e820);
	ram_plan_build(&ram, &p.cfg, &p.layout, &p.numa);
	v = (struct plan_view){&p.cfg, &p.layout, &p.numa, &p.topo, &e820, NULL, &ram, NULL, NULL};
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	plan_print(f, &v);
	fclose(f);
	assert_non_null(
	    strstr(buf, "node0-below-4g   [0x0000000000000000-0x00000000bfffffff] 3 GiB"));
	assert_non_null(strstr(buf,
			       "node0-above-4g   [0x0000000100000000-0x000000011fffffff] 512 "
			       "MiB, node 0, backend ram-node0 (anonymous, mem=) +0xc0000000"));
	assert_non_null(strstr(buf, "node2-above-4g   [0x0000000120000000-0x000000013fffffff]"));
	assert_non_null(strstr(buf, "device-memory    [0x0000000140000000-0x00000001ffffffff] 3 "
				    "GiB, hotpluggable, node 2 in the SRAT"));
	assert_non_null(strstr(buf, "node 2: mem 0x20000000 (512 MiB), cpus 1"));
	assert_non_null(strstr(buf, "     0   10   21\n     2   21   10\n"));
	assert_non_null(strstr(buf, "cpu 1: apic 1, socket 0 die 0 core 1 thread 0, node 2"));
	assert_non_null(strstr(buf, "[mem 0x0000000100000000-0x000000013fffffff] usable"));
	free(buf);
	done(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_nodes),
	    cmocka_unit_test(test_node_across_hole),
	    cmocka_unit_test(test_default_split),
	    cmocka_unit_test(test_sparse_ids),
	    cmocka_unit_test(test_memory_only_and_cpu_only),
	    cmocka_unit_test(test_asymmetric_table),
	    cmocka_unit_test(test_cpu_placement),
	    cmocka_unit_test(test_no_numa_and_implicit_node),
	    cmocka_unit_test(test_memdev),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_print),
	    cmocka_unit_test(test_hmat),
	    cmocka_unit_test(test_hmat_errors),
	    cmocka_unit_test(test_cpu_placement_partial),
	    cmocka_unit_test(test_hmat_without_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
