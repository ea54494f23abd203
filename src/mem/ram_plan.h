/* ram_plan.h - which host backend, and where in it, backs each part of
 * boot RAM.  Pure: decided during planning, before anything exists.
 *
 * Owns the rule, and is its only copy:
 *   - one backend holds all RAM (numa.shared_backend: no NUMA, or
 *     -machine memory-backend beside -numa mem=): -machine
 *     memory-backend=ID's -object, or -m's anonymous "pc.ram"; each part
 *     at its RAM offset (layout_ram_part.ram_offset);
 *   - otherwise one backend per node that has RAM: its memdev= -object, or
 *     an anonymous "ram-nodeN" of the node's size; each part at its node
 *     offset (layout_ram_part.node_offset).
 * machine_memory() creates the backends and adds the regions from it, so
 * the memory manager holds what this says; -print-layout prints it and
 * QMP's query-memdev lists its backends: the three cannot disagree.
 * Never: creates anything, or places RAM (plan/layout.h does).
 */
#ifndef KVMEM_MEM_RAM_PLAN_H
#define KVMEM_MEM_RAM_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "plan/layout.h"
#include "plan/numa.h"

enum ram_backend_origin {
	RAM_BACKEND_MACHINE, /* -machine memory-backend=ID: an -object holds all RAM */
	RAM_BACKEND_PC_RAM,  /* -m's anonymous pc.ram holds all RAM */
	RAM_BACKEND_MEMDEV,  /* a node's memdev=ID */
	RAM_BACKEND_NODE,    /* kvmem's anonymous ram-nodeN for a node without memdev */
};

#define RAM_PLAN_ALL_NODES UINT32_MAX

struct ram_backend {
	char id[64];
	enum ram_backend_origin origin;
	/* What backend_create() makes it from: the -object's record, or
	 * `implicit` (config_memdev_implicit: anonymous, reserve=off). */
	const struct config_memdev *memdev;
	struct config_memdev implicit; /* its id points at id[] above */
	uint32_t node;		       /* RAM_PLAN_ALL_NODES for MACHINE and PC_RAM */
};

struct ram_region {
	const struct layout_ram_part *part; /* name, gpa, size, node */
	unsigned backend;		    /* index into ram_plan.backend[] */
	uint64_t backend_offset;
};

struct ram_plan {
	struct ram_backend backend[CONFIG_MAX_NUMA_NODES];
	unsigned nr_backends;
	struct ram_region region[LAYOUT_MAX_PARTS];
	unsigned nr_regions;
};

/* Fill p from the accepted plan (layout with its parts placed, numa). p
 * points into cfg, l and itself: keep them where they are. */
void ram_plan_build(struct ram_plan *p, const struct config *cfg, const struct layout *l,
		    const struct numa *numa);
/* The backend of node's RAM, or -1 for a node without RAM. */
int ram_plan_node_backend(const struct ram_plan *p, uint32_t node);
/* "fast (memdev=)", "pc.ram (anonymous, from -m)", "ram-node1 (anonymous,
 * mem=)", ...: backend i as -print-layout names it. */
const char *ram_backend_describe(const struct ram_plan *p, unsigned i, const struct numa *numa,
				 char *buf, size_t size);

#endif
