/* numa.c - guest NUMA validation and completion (see numa.h).
 *
 * Follows QEMU 7.2's hw/core/numa.c (parse_numa_node, parse_numa_distance,
 * numa_complete_configuration, validate_numa_distance,
 * complete_init_numa_distance, numa_default_auto_assign_ram) and
 * hw/core/machine.c (machine_set_cpu_numa_node,
 * machine_numa_finish_cpu_init), with QEMU's messages.  Unlike QEMU, all
 * records are checked after the whole command line is read, so the order
 * of -numa options does not matter beyond QEMU's default node ids, and
 * node ids need not be dense.
 */
#include "plan/numa.h"

#include <string.h>

#define PAGE 4096ULL

uint32_t numa_next(const struct numa *numa, uint32_t id)
{
	for (id++; id < numa->max_nodeid; id++)
		if (numa->node[id].present)
			return id;
	return numa->max_nodeid;
}

uint32_t numa_first(const struct numa *numa)
{
	if (numa->max_nodeid && numa->node[0].present)
		return 0;
	return numa_next(numa, 0);
}

static const char hmat_off[] = "ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, "
			       "enable it with -machine hmat=on before using any of hmat "
			       "specific options";

/* Index in cfg->memdev[] of the backend named id (config owns the lookup). */
static int find_memdev(const struct config *cfg, const char *id)
{
	const struct config_memdev *md = config_memdev_find(cfg, id);

	return md ? (int)(md - cfg->memdev) : NUMA_NO_MEMDEV;
}

static int add_nodes(struct numa *n, const struct config *cfg, struct kverr *err)
{
	const struct config_numa *cn = &cfg->numa;
	bool any_mem = false, any_memdev = false;

	for (unsigned i = 0; i < cn->nr_nodes; i++) {
		const struct config_numa_node *c = &cn->node[i];
		struct numa_node *node = &n->node[c->nodeid];

		if (node->present)
			return kverr_set(err, EINVAL, "-numa %s: Duplicate NUMA nodeid: %u", c->arg,
					 c->nodeid);
		any_mem |= c->has_mem;
		any_memdev |= c->memdev != NULL;
		if (any_mem && any_memdev)
			return kverr_set(err, EINVAL,
					 "-numa %s: numa configuration should use either mem= or "
					 "memdev=, mixing both is not allowed",
					 c->arg);
		if (c->has_initiator && !cn->hmat)
			return kverr_set(err, EINVAL, "-numa %s: %s", c->arg, hmat_off);
		*node = (struct numa_node){.present = true,
					   .mem = c->mem,
					   .memdev = NUMA_NO_MEMDEV,
					   .initiator =
					       c->has_initiator ? c->initiator : NUMA_NO_INITIATOR,
					   .arg = c->arg};
		if (c->memdev) {
			int m = find_memdev(cfg, c->memdev);
			if (m == NUMA_NO_MEMDEV)
				return kverr_set(
				    err, EINVAL,
				    "-numa %s: memdev=%s: no memory backend with this "
				    "id (define it with -object memory-backend-...,id=%s)",
				    c->arg, c->memdev, c->memdev);
			if (cfg->machine_memdev)
				return kverr_set(err, EINVAL,
						 "-numa %s: '-machine memory-backend' and '-numa "
						 "memdev' properties are mutually exclusive",
						 c->arg);
			for (uint32_t o = 0; o < n->max_nodeid; o++)
				if (n->node[o].present && n->node[o].memdev == m)
					return kverr_set(err, EINVAL,
							 "-numa %s: memory backend %s can't be "
							 "used multiple times (node %u uses it)",
							 c->arg, c->memdev, o);
			node->memdev = m;
			node->mem = cfg->memdev[m].size;
		}
		if (node->mem % PAGE)
			return kverr_set(err, EINVAL,
					 "-numa %s: node memory 0x%llx is not a multiple of 4 KiB",
					 c->arg, (unsigned long long)node->mem);
		n->nr_nodes++;
		if (c->nodeid + 1 > n->max_nodeid)
			n->max_nodeid = c->nodeid + 1;
	}
	return 0;
}

/* Gives CPU idx to node; a CPU already in another node is an error. */
static int assign_cpu(struct numa *n, bool *assigned, uint32_t idx, uint32_t node, const char *arg,
		      struct kverr *err)
{
	if (assigned[idx] && n->cpu_node[idx] != node)
		return kverr_set(err, EINVAL, "-numa %s: CPU %u is already assigned to node-id: %u",
				 arg, idx, n->cpu_node[idx]);
	assigned[idx] = true;
	n->cpu_node[idx] = node;
	n->node[node].explicit_cpus = true;
	return 0;
}

static bool id_matches(uint32_t want, uint32_t have)
{
	return want == CONFIG_NUMA_ANY_ID || want == have;
}

static int place_cpus(struct numa *n, const struct config *cfg, const struct topology *t,
		      struct kverr *err)
{
	const struct config_numa *cn = &cfg->numa;
	bool assigned[CONFIG_MAX_CPUS] = {false};
	uint32_t present[NUMA_MAX_NODES], nr_present = 0;
	bool any_placed = false;
	int ret;

	for (unsigned i = 0; i < cn->nr_nodes; i++) {
		const struct config_numa_node *c = &cn->node[i];
		for (unsigned r = 0; r < c->nr_cpus; r++) {
			/* QEMU names the first index of the list that is too large */
			if (c->cpus[r].last >= t->maxcpus)
				return kverr_set(err, EINVAL,
						 "-numa %s: CPU index (%u) should be smaller than "
						 "maxcpus (%u)",
						 c->arg,
						 c->cpus[r].first > t->maxcpus ? c->cpus[r].first
									       : t->maxcpus,
						 t->maxcpus);
			for (uint32_t idx = c->cpus[r].first; idx <= c->cpus[r].last; idx++) {
				ret = assign_cpu(n, assigned, idx, c->nodeid, c->arg, err);
				if (ret)
					return ret;
			}
		}
	}
	for (unsigned i = 0; i < cn->nr_cpus; i++) {
		const struct config_numa_cpu *c = &cn->cpu[i];
		bool matched = false;

		if (!n->node[c->node_id].present)
			return kverr_set(err, EINVAL,
					 "-numa %s: Invalid node-id=%u, NUMA node must be defined "
					 "with -numa node,nodeid=ID before it's used with -numa "
					 "cpu,node-id=ID",
					 c->arg, c->node_id);
		/* QEMU's pc gives a CPU slot a die-id only with dies > 1 */
		if (c->die_id != CONFIG_NUMA_ANY_ID && t->dies == 1)
			return kverr_set(err, EINVAL,
					 "-numa %s: die-id is not supported (-smp has one die per "
					 "socket)",
					 c->arg);
		for (uint32_t idx = 0; idx < t->maxcpus; idx++) {
			struct topology_ids ids;
			topology_ids(t, idx, &ids);
			if (!id_matches(c->socket_id, ids.socket) ||
			    !id_matches(c->die_id, ids.die) || !id_matches(c->core_id, ids.core) ||
			    !id_matches(c->thread_id, ids.thread))
				continue;
			ret = assign_cpu(n, assigned, idx, c->node_id, c->arg, err);
			if (ret)
				return ret;
			matched = true;
		}
		if (!matched)
			return kverr_set(err, EINVAL,
					 "-numa %s: no match found: no possible CPU has these ids "
					 "(-smp sockets=%u,dies=%u,cores=%u,threads=%u)",
					 c->arg, t->sockets, t->dies, t->cores, t->threads);
	}

	/* QEMU's machine_numa_finish_cpu_init: when no option placed any CPU,
	 * x86_get_default_cpu_node_id puts each at socket % number of nodes;
	 * when some were placed, the others go to node 0 (QEMU 7.2 warns that
	 * this partial mapping is deprecated).  With sparse ids, "node 0" is
	 * the lowest id and the modulo counts present nodes in id order. */
	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id))
		present[nr_present++] = id;
	for (uint32_t idx = 0; idx < t->maxcpus; idx++)
		any_placed |= assigned[idx];
	for (uint32_t idx = 0; idx < t->maxcpus; idx++) {
		if (!assigned[idx]) {
			struct topology_ids ids;
			topology_ids(t, idx, &ids);
			n->cpu_node[idx] =
			    any_placed ? present[0] : present[ids.socket % nr_present];
		}
		n->node[n->cpu_node[idx]].nr_cpus++;
	}
	return 0;
}

static int place_memory(struct numa *n, const struct config *cfg, struct kverr *err)
{
	uint64_t ram = cfg->mem.size, total = 0;
	bool any = false;

	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id))
		any |= n->node[id].mem != 0;
	if (!any) {
		/* QEMU's numa_default_auto_assign_ram: every node but the last
		 * gets size / nodes rounded down to 8 MiB, the last the rest. */
		uint64_t share = ram / n->nr_nodes & ~(NUMA_SPLIT_ALIGN - 1), used = 0;
		uint32_t last = n->max_nodeid - 1;

		n->auto_split = true;
		for (uint32_t id = numa_first(n); id < last; id = numa_next(n, id)) {
			n->node[id].mem = share;
			used += share;
		}
		n->node[last].mem = ram - used;
	}
	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id))
		if (__builtin_add_overflow(total, n->node[id].mem, &total))
			total = UINT64_MAX; /* cannot equal a RAM size kvmem accepts */
	if (total != ram)
		return kverr_set(err, EINVAL,
				 "-numa: total memory for NUMA nodes (0x%llx) should equal RAM "
				 "size (0x%llx)",
				 (unsigned long long)total, (unsigned long long)ram);
	return 0;
}

static int set_distances(struct numa *n, const struct config_numa *cn, struct kverr *err)
{
	uint8_t given[NUMA_MAX_NODES][NUMA_MAX_NODES];
	bool asymmetric = false;

	memset(given, 0, sizeof(given));
	for (unsigned i = 0; i < cn->nr_dists; i++) {
		const struct config_numa_dist *d = &cn->dist[i];

		if (!n->node[d->src].present || !n->node[d->dst].present)
			return kverr_set(err, EINVAL,
					 "-numa %s: Source/Destination NUMA node is missing. "
					 "Please use '-numa node' option to declare it first.",
					 d->arg);
		if (d->val < NUMA_DISTANCE_LOCAL)
			return kverr_set(err, EINVAL,
					 "-numa %s: NUMA distance (%u) is invalid, it shouldn't be "
					 "less than %d.",
					 d->arg, d->val, NUMA_DISTANCE_LOCAL);
		if (d->src == d->dst && d->val != NUMA_DISTANCE_LOCAL)
			return kverr_set(err, EINVAL,
					 "-numa %s: Local distance of node %u should be %d.",
					 d->arg, d->src, NUMA_DISTANCE_LOCAL);
		given[d->src][d->dst] = (uint8_t)d->val;
		n->have_distance = true;
	}

	/* QEMU's validate_numa_distance, over the present ids */
	for (uint32_t a = numa_first(n); a < n->max_nodeid && n->have_distance;
	     a = numa_next(n, a)) {
		for (uint32_t b = a; b < n->max_nodeid; b = numa_next(n, b)) {
			if (a != b && !given[a][b] && !given[b][a])
				return kverr_set(err, EINVAL,
						 "-numa dist: The distance between node %u and %u "
						 "is missing, at least one distance value between "
						 "each nodes should be provided.",
						 a, b);
			if (given[a][b] && given[b][a] && given[a][b] != given[b][a])
				asymmetric = true;
		}
	}
	for (uint32_t a = numa_first(n); a < n->max_nodeid && asymmetric; a = numa_next(n, a))
		for (uint32_t b = numa_first(n); b < n->max_nodeid; b = numa_next(n, b))
			if (a != b && !given[a][b])
				return kverr_set(err, EINVAL,
						 "-numa dist: At least one asymmetrical pair of "
						 "distances is given, please provide distances for "
						 "both directions of all node pairs (node %u to %u "
						 "is missing).",
						 a, b);

	/* complete_init_numa_distance, and the defaults for everything else */
	for (uint32_t a = 0; a < NUMA_MAX_NODES; a++) {
		for (uint32_t b = 0; b < NUMA_MAX_NODES; b++) {
			uint8_t d;
			if (a == b)
				d = NUMA_DISTANCE_LOCAL;
			else if (!n->node[a].present || !n->node[b].present)
				d = NUMA_DISTANCE_UNREACHABLE;
			else if (given[a][b])
				d = given[a][b];
			else if (given[b][a])
				d = given[b][a];
			else
				d = NUMA_DISTANCE_REMOTE;
			n->distance[a][b] = d;
		}
	}
	return 0;
}

static bool is_latency(enum numa_hmat_data_type t)
{
	return t <= HMAT_WRITE_LATENCY;
}

/* Largest power of 10 (latency) or of 2 (bandwidth) dividing v > 0. */
static uint64_t unit_of(uint64_t v, bool latency)
{
	uint64_t u = 1;

	if (latency) {
		while (v % 10 == 0) {
			v /= 10;
			u *= 10;
		}
		return u;
	}
	return v & -v;
}

static int check_hmat_lb(struct numa *n, const struct config_numa *cn, struct kverr *err)
{
	/* bit 0: a target has nonzero latency data, bit 1: bandwidth data */
	uint8_t provided[NUMA_MAX_NODES] = {0};

	for (unsigned i = 0; i < cn->nr_hmat_lb; i++) {
		const struct config_numa_hmat_lb *lb = &cn->hmat_lb[i];
		bool lat = is_latency(lb->data_type);
		uint64_t v = lat ? lb->latency : lb->bandwidth;
		struct numa_hmat_lb *h = &n->lb[lb->hierarchy][lb->data_type];

		if (!n->node[lb->initiator].present)
			return kverr_set(err, EINVAL,
					 "-numa %s: Invalid initiator=%u, it should be an existing "
					 "node",
					 lb->arg, lb->initiator);
		/* QEMU checks this while reading -numa, before CPUs that no
		 * option placed are given their node: those do not count. */
		if (!n->node[lb->initiator].explicit_cpus)
			return kverr_set(err, EINVAL,
					 "-numa %s: Invalid initiator=%u, it isn't an initiator "
					 "proximity domain%s",
					 lb->arg, lb->initiator,
					 n->node[lb->initiator].nr_cpus
					     ? " (its CPUs are only placed by default: name them "
					       "with -numa node,cpus= or -numa cpu)"
					     : "");
		if (!n->node[lb->target].present)
			return kverr_set(err, EINVAL,
					 "-numa %s: The target=%u should point to an existing node",
					 lb->arg, lb->target);
		if (lat && !lb->has_latency)
			return kverr_set(err, EINVAL, "-numa %s: Missing 'latency' option",
					 lb->arg);
		if (lat && lb->has_bandwidth)
			return kverr_set(err, EINVAL,
					 "-numa %s: Invalid option 'bandwidth' since the data type "
					 "is latency",
					 lb->arg);
		if (!lat && !lb->has_bandwidth)
			return kverr_set(err, EINVAL, "-numa %s: Missing 'bandwidth' option",
					 lb->arg);
		if (!lat && lb->has_latency)
			return kverr_set(err, EINVAL,
					 "-numa %s: Invalid option 'latency' since the data type "
					 "is bandwidth",
					 lb->arg);
		if (!lat && lb->bandwidth % (1ULL << 20))
			return kverr_set(err, EINVAL,
					 "-numa %s: Bandwidth %llu between initiator=%u and "
					 "target=%u should be 1MB aligned",
					 lb->arg, (unsigned long long)lb->bandwidth, lb->initiator,
					 lb->target);
		for (unsigned j = 0; j < i; j++) {
			const struct config_numa_hmat_lb *o = &cn->hmat_lb[j];
			if (o->hierarchy == lb->hierarchy && o->data_type == lb->data_type &&
			    o->initiator == lb->initiator && o->target == lb->target)
				return kverr_set(err, EINVAL,
						 "-numa %s: Duplicate configuration of the %s for "
						 "initiator=%u and target=%u",
						 lb->arg, lat ? "latency" : "bandwidth",
						 lb->initiator, lb->target);
		}
		h->present = true;
		if (v) {
			uint64_t u = unit_of(v, lat);
			h->base = h->base && h->base < u ? h->base : u;
			provided[lb->target] |= lat ? 1 : 2;
		}
	}
	/* Every entry of a structure is value / base in 16 bits. */
	for (unsigned i = 0; i < cn->nr_hmat_lb; i++) {
		const struct config_numa_hmat_lb *lb = &cn->hmat_lb[i];
		bool lat = is_latency(lb->data_type);
		uint64_t v = lat ? lb->latency : lb->bandwidth;
		struct numa_hmat_lb *h = &n->lb[lb->hierarchy][lb->data_type];

		if (!h->base)
			h->base = lat ? 1 : 1ULL << 20; /* all zero */
		if (v / h->base > NUMA_HMAT_MAX_ENTRY)
			return kverr_set(err, EINVAL,
					 "-numa %s: %s %llu between initiator=%u and target=%u "
					 "should not differ from the smallest unit of the other "
					 "values (%llu) by more than %d times",
					 lb->arg, lat ? "Latency" : "Bandwidth",
					 (unsigned long long)v, lb->initiator, lb->target,
					 (unsigned long long)h->base, NUMA_HMAT_MAX_ENTRY);
	}
	for (unsigned i = 0; i < cn->nr_hmat_cache; i++) {
		const struct config_numa_hmat_cache *c = &cn->hmat_cache[i];

		if (!n->node[c->node_id].present)
			return kverr_set(err, EINVAL,
					 "-numa %s: Invalid node-id=%u, it should be an existing "
					 "node",
					 c->arg, c->node_id);
		if (provided[c->node_id] != 3)
			return kverr_set(err, EINVAL,
					 "-numa %s: The latency and bandwidth information of "
					 "node-id=%u should be provided before memory side cache "
					 "attributes",
					 c->arg, c->node_id);
		if (c->level < 1 || c->level > NUMA_HMAT_LEVELS)
			return kverr_set(err, EINVAL,
					 "-numa %s: Invalid level=%u, it should be larger than 0 "
					 "and less than or equal to %d",
					 c->arg, c->level, NUMA_HMAT_LEVELS);
		if (n->cache[c->node_id][c->level])
			return kverr_set(err, EINVAL,
					 "-numa %s: Duplicate configuration of the side cache for "
					 "node-id=%u and level=%u",
					 c->arg, c->node_id, c->level);
		n->cache[c->node_id][c->level] = c;
	}
	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id)) {
		for (uint32_t l = 2; l <= NUMA_HMAT_LEVELS; l++) {
			const struct config_numa_hmat_cache *c = n->cache[id][l];
			const struct config_numa_hmat_cache *below = n->cache[id][l - 1];
			if (!c)
				continue;
			if (!below)
				return kverr_set(err, EINVAL,
						 "-numa %s: Cache level=%u shall be defined first",
						 c->arg, l - 1);
			if (c->size <= below->size)
				return kverr_set(
				    err, EINVAL,
				    "-numa %s: Invalid size=%llu, the size of level=%u "
				    "should be larger than the size(%llu) of level=%u",
				    c->arg, (unsigned long long)c->size, l,
				    (unsigned long long)below->size, l - 1);
		}
	}
	return 0;
}

/* QEMU's machine_numa_finish_cpu_init and numa_validate_initiator rules
 * for initiators when the HMAT is on.  Since QEMU 7.2 a node may have no
 * initiator: its HMAT entry then says so (no "initiator valid" flag). */
static int check_initiators(struct numa *n, struct kverr *err)
{
	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id)) {
		struct numa_node *node = &n->node[id];

		if (!node->nr_cpus)
			continue;
		if (node->initiator != NUMA_NO_INITIATOR && node->initiator != id)
			return kverr_set(err, EINVAL,
					 "-numa %s: The initiator of CPU NUMA node %u should be "
					 "itself (got %u)",
					 node->arg, id, node->initiator);
		node->initiator = id;
	}
	for (uint32_t id = numa_first(n); id < n->max_nodeid; id = numa_next(n, id)) {
		const struct numa_node *node = &n->node[id];

		if (node->initiator == NUMA_NO_INITIATOR)
			continue;
		if (!n->node[node->initiator].present)
			return kverr_set(err, EINVAL,
					 "-numa %s: NUMA node %u is missing, use '-numa node' "
					 "option to declare it first",
					 node->arg, node->initiator);
		if (!n->node[node->initiator].nr_cpus)
			return kverr_set(err, EINVAL,
					 "-numa %s: The initiator of NUMA node %u is invalid (node "
					 "%u has no CPUs)",
					 node->arg, id, node->initiator);
	}
	return 0;
}

static int check_hmat(struct numa *n, const struct config_numa *cn, struct kverr *err)
{
	int ret;

	if (!cn->hmat) {
		if (cn->nr_hmat_lb)
			return kverr_set(err, EINVAL, "-numa %s: %s", cn->hmat_lb[0].arg, hmat_off);
		if (cn->nr_hmat_cache)
			return kverr_set(err, EINVAL, "-numa %s: %s", cn->hmat_cache[0].arg,
					 hmat_off);
		return 0;
	}
	n->hmat = true;
	ret = check_initiators(n, err);
	if (!ret)
		ret = check_hmat_lb(n, cn, err);
	return ret;
}

int numa_plan(struct numa *out, const struct config *cfg, const struct topology *topo,
	      struct kverr *err)
{
	const struct config_numa *cn = &cfg->numa;
	struct numa *n = out;
	int ret;

	memset(n, 0, sizeof(*n));
	n->cfg = cn;
	n->shared_backend = !cn->nr_nodes || cfg->machine_memdev;
	if (!cn->nr_nodes) {
		if (cn->nr_dists || cn->nr_cpus || cn->nr_hmat_lb || cn->nr_hmat_cache) {
			const char *arg = cn->nr_dists	   ? cn->dist[0].arg
					  : cn->nr_cpus	   ? cn->cpu[0].arg
					  : cn->nr_hmat_lb ? cn->hmat_lb[0].arg
							   : cn->hmat_cache[0].arg;
			return kverr_set(err, EINVAL,
					 "-numa %s: no NUMA node is declared; use '-numa node' "
					 "first",
					 arg);
		}
		/* -machine hmat=on without nodes: QEMU 7.2 accepts it and builds
		 * no HMAT, or one for the memory-hotplug node 0 below. */
		/* QEMU pc's auto_enable_numa_with_memhp/_memdev: a guest with a
		 * hotplug region needs an SRAT to place hotplugged memory. */
		if (cfg->mem.maxmem <= cfg->mem.size && !cfg->mem.slots)
			return 0;
		n->implicit = true;
		n->nr_nodes = 1;
		n->max_nodeid = 1;
		n->node[0] = (struct numa_node){.present = true,
						.mem = cfg->mem.size,
						.memdev = NUMA_NO_MEMDEV,
						.initiator = NUMA_NO_INITIATOR};
	} else {
		ret = add_nodes(n, cfg, err);
		if (ret)
			return ret;
	}
	if ((ret = place_cpus(n, cfg, topo, err)) || (ret = place_memory(n, cfg, err)) ||
	    (ret = set_distances(n, cn, err)) || (ret = check_hmat(n, cn, err)))
		return ret;
	return 0;
}
