/* numa.h - the guest NUMA topology, validated and completed.  Pure.
 *
 * Owns: which guest NUMA nodes exist, how much RAM each has and which
 * memdev backs it, which node each possible CPU belongs to, the complete
 * distance table and the HMAT data.  Built from the -numa records of
 * struct config (src/config/numa.c) with QEMU's rules and messages
 * (hw/core/numa.c, QEMU 7.2), going beyond QEMU in two ways: node ids
 * may be sparse (nodes 0 and 2 only), and nodes that give no memory get
 * QEMU 5.1's default split (docs/numa.md).
 * Never: chooses guest physical addresses (layout.h places each node's
 * RAM) or creates host memory.
 *
 * Rules, in the order they are checked (each failure is one line naming
 * the -numa argument, or -m/-smp for totals):
 *   - node ids unique; a node's mem= and memdev= exclusive, and all nodes
 *     use the same one of the two; memdev names a -object memory-backend-*
 *     used by no other node and not by -machine memory-backend;
 *   - cpus= indexes below maxcpus; a CPU in one node only (-numa node and
 *     -numa cpu alike); -numa cpu names a declared node and matches a CPU;
 *   - initiator= and hmat-lb/hmat-cache only with -machine hmat=on;
 *   - node memory a multiple of 4 KiB, summing to -m's size; when no node
 *     gives memory, QEMU's default split: size / nodes rounded down to
 *     8 MiB for every node but the last, which takes the rest;
 *   - distances: both nodes declared, value >= 10, local distance 10; if
 *     any pair is asymmetric every direction of every pair must be given,
 *     otherwise one direction per pair; the table is then completed
 *     symmetrically.  Without -numa dist: 10 local, 20 remote.
 *   - HMAT (QEMU's parse_numa_hmat_lb/_cache rules): initiators are nodes
 *     with CPUs, targets existing nodes; latency types take latency=,
 *     bandwidth types a 1 MiB-aligned bandwidth=; no duplicates; all values
 *     of one structure within 0xfffe of a common base; a cache level needs
 *     the levels below it, larger sizes at higher levels, and its node
 *     needs latency and bandwidth data; a node's initiator, when it has
 *     one, must have CPUs (a node with CPUs is its own); an hmat-lb
 *     initiator needs CPUs that -numa node,cpus= or -numa cpu placed;
 *   - -numa cpu's die-id only with more than one die per socket.
 * CPUs no -numa option places go where QEMU puts them: when no option
 * places any CPU, socket % nodes, counting present nodes in id order;
 * otherwise the lowest node id (QEMU's node 0).  With no -numa node at all but a
 * memory-hotplug region (-m slots/maxmem), one node 0 holds everything,
 * as QEMU's pc machine does, so that the guest gets an SRAT.
 */
#ifndef KVMEM_PLAN_NUMA_H
#define KVMEM_PLAN_NUMA_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "plan/topology.h"
#include "util/err.h"

#define NUMA_MAX_NODES CONFIG_MAX_NUMA_NODES
#define NUMA_DISTANCE_LOCAL 10
#define NUMA_DISTANCE_REMOTE 20
/* ACPI SLIT: "no connection".  Fills the rows and columns of ids that no
 * node uses, so that a table with sparse ids stays valid. */
#define NUMA_DISTANCE_UNREACHABLE 255
/* QEMU's numa_mem_align_shift (23) for the default split. */
#define NUMA_SPLIT_ALIGN (8ULL << 20)
#define NUMA_NO_INITIATOR UINT32_MAX
#define NUMA_NO_MEMDEV (-1)

struct numa_node {
	bool present;
	uint64_t mem;	    /* bytes of boot RAM */
	int memdev;	    /* index into config.memdev[], or NUMA_NO_MEMDEV */
	uint32_t initiator; /* HMAT initiator node, NUMA_NO_INITIATOR if none */
	uint32_t nr_cpus;   /* possible CPUs placed in this node */
	bool explicit_cpus; /* some placed by -numa node,cpus= or -numa cpu */
	const char *arg;    /* the -numa node argument, NULL for the implicit node */
};

#define NUMA_HMAT_LEVELS 3	   /* memory-side cache levels 1-3 */
#define NUMA_HMAT_MAX_ENTRY 0xfffe /* 0xffff means "unreachable" in the HMAT */

struct numa_hmat_lb {
	bool present;
	uint64_t base;
};

struct numa {
	unsigned nr_nodes;   /* present nodes; 0: no NUMA, no SRAT */
	uint32_t max_nodeid; /* highest present id + 1 */
	bool implicit;	     /* node 0 made for memory hotplug, no -numa given */
	bool auto_split;     /* no node gave memory: QEMU's default split */
	bool have_distance;  /* -numa dist given: the guest gets a SLIT */
	/* One host backend holds all RAM (no NUMA, or -machine memory-backend
	 * beside -numa mem=): parts map at layout_ram_part.ram_offset.
	 * Otherwise each node has its own backend, parts at node_offset. */
	bool shared_backend;
	struct numa_node node[NUMA_MAX_NODES];
	/* [src][dst], complete for present nodes; ids not in use have
	 * LOCAL on the diagonal and UNREACHABLE elsewhere. */
	uint8_t distance[NUMA_MAX_NODES][NUMA_MAX_NODES];
	uint32_t cpu_node[CONFIG_MAX_CPUS]; /* node of each possible CPU */
	/* HMAT (-machine hmat=on).  A node with CPUs is its own initiator;
	 * a node without CPUs has the one -numa node,initiator= names, or
	 * NUMA_NO_INITIATOR.  lb[hierarchy][data type] is present
	 * when some hmat-lb gave it; its entries are the records' values
	 * divided by base (ns for latencies, bytes/s for bandwidths), each
	 * below 0xffff.  cache[node][level] are the hmat-cache records. */
	bool hmat;
	struct numa_hmat_lb lb[HMAT_NR_HIERARCHIES][HMAT_NR_DATA_TYPES];
	const struct config_numa_hmat_cache *cache[NUMA_MAX_NODES][NUMA_HMAT_LEVELS + 1];
	const struct config_numa *cfg; /* the hmat-lb records */
};

/* Validate cfg->numa against cfg->mem, cfg->memdev[] and topo, and fill
 * out.  Returns 0, or -EINVAL with one line in err.  On success release
 * nothing to free; out->cfg points into cfg. */
int numa_plan(struct numa *out, const struct config *cfg, const struct topology *topo,
	      struct kverr *err);

/* The present node ids in increasing order: for (id = numa_first(n); id <
 * n->max_nodeid; id = numa_next(n, id)). */
uint32_t numa_first(const struct numa *numa);
uint32_t numa_next(const struct numa *numa, uint32_t id);

#endif
