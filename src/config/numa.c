/* numa.c - -numa and -machine hmat= parsing (QEMU's spelling).
 *
 * Each -numa argument becomes one record in struct config_numa, in
 * command-line order, because QEMU gives some values meaning by position:
 * a node without nodeid= gets the number of nodes declared before it.
 * Only checks that need no other option happen here (key names, number
 * syntax and ranges, QEMU's enum spellings).  Everything that relates
 * records to each other or to -m/-smp/-object is src/plan/numa.c's job,
 * so the rules live in one place and are unit-tested without argv.
 *
 * QEMU reads -numa through its QAPI visitor; the limits below are the
 * widths of its types (nodeid uint16 below MAX_NODES, val uint8, cpus a
 * uint16 list with ranges A-B).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/kv.h"

#define MiB (1ULL << 20)
#define CPU_INDEX_MAX 0xffffULL /* QEMU's cpus= is a uint16 list */

/* Grows *array (of elem bytes, *n in use) by one zeroed element. */
static void *grow(void **array, unsigned *n, size_t elem)
{
	char *p = realloc(*array, (*n + 1) * elem);

	if (!p)
		return NULL;
	*array = p;
	memset(p + *n * elem, 0, elem);
	return p + (*n)++ * elem;
}

static int need_value(const char *arg, const struct kv *kv, struct kverr *err)
{
	if (kv->val && *kv->val)
		return 0;
	return kverr_set(err, EINVAL, "-numa %s: parameter '%s' needs a value", arg, kv->key);
}

/* A QEMU number no larger than max. */
static int number(const char *arg, const struct kv *kv, uint64_t max, uint64_t *out,
		  struct kverr *err)
{
	int ret = need_value(arg, kv, err);

	if (ret)
		return ret;
	ret = parse_number(kv->val, out);
	if (ret == -ERANGE || (!ret && *out > max))
		return kverr_set(err, EINVAL,
				 "-numa %s: Parameter '%s' expects an integer between 0 and %llu",
				 arg, kv->key, (unsigned long long)max);
	if (ret)
		return kverr_set(err, EINVAL, "-numa %s: invalid %s '%s': expected a number", arg,
				 kv->key, kv->val);
	return 0;
}

static int node_id(const char *arg, const struct kv *kv, uint32_t *out, struct kverr *err)
{
	uint64_t v;
	int ret = number(arg, kv, UINT16_MAX, &v, err);

	if (ret)
		return ret;
	if (v >= CONFIG_MAX_NUMA_NODES)
		return kverr_set(err, EINVAL,
				 "-numa %s: Parameter '%s' expects an integer between 0 and %d",
				 arg, kv->key, CONFIG_MAX_NUMA_NODES - 1);
	*out = (uint32_t)v;
	return 0;
}

/* One of names[], by index. */
static int choice(const char *arg, const struct kv *kv, const char *const *names, unsigned n,
		  unsigned *out, struct kverr *err)
{
	int ret = need_value(arg, kv, err);

	if (ret)
		return ret;
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(kv->val, names[i])) {
			*out = i;
			return 0;
		}
	}
	return kverr_set(err, EINVAL, "-numa %s: invalid %s '%s'", arg, kv->key, kv->val);
}

static int unknown_key(const char *arg, const struct kv *kv, struct kverr *err)
{
	return kverr_set(err, EINVAL, "-numa %s: unsupported parameter '%s'", arg, kv->key);
}

/* cpus=N or cpus=A-B; QEMU's list visitor takes both, A <= B. */
static int cpu_range(const char *arg, const struct kv *kv, struct config_numa_range *r,
		     struct kverr *err)
{
	const char *dash;
	uint64_t first, last;
	char buf[32];
	int ret = need_value(arg, kv, err);

	if (ret)
		return ret;
	dash = strchr(kv->val, '-');
	if (strlen(kv->val) >= sizeof(buf))
		goto bad;
	if (dash) {
		memcpy(buf, kv->val, (size_t)(dash - kv->val));
		buf[dash - kv->val] = '\0';
		if (parse_number(buf, &first) || parse_number(dash + 1, &last))
			goto bad;
	} else {
		if (parse_number(kv->val, &first))
			goto bad;
		last = first;
	}
	if (first > CPU_INDEX_MAX || last > CPU_INDEX_MAX || first > last)
		goto bad;
	r->first = (uint32_t)first;
	r->last = (uint32_t)last;
	return 0;
bad:
	return kverr_set(err, EINVAL,
			 "-numa %s: invalid cpus '%s': expected a CPU index or a range A-B with "
			 "A <= B <= %llu",
			 arg, kv->val, CPU_INDEX_MAX);
}

static int parse_node(struct config_numa *numa, const char *arg, struct kv_iter *it,
		      struct kverr *err)
{
	struct config_numa_node *n;
	struct kv kv;
	bool has_nodeid = false;
	int ret = 0;

	n = grow((void **)&numa->node, &numa->nr_nodes, sizeof(*n));
	if (!n)
		return kverr_set(err, ENOMEM, "-numa %s: out of memory", arg);
	n->arg = arg;
	/* QEMU: a node without nodeid= is numbered by how many came before */
	n->nodeid = numa->nr_nodes - 1;
	while (!ret && kv_next(it, &kv)) {
		if (!strcmp(kv.key, "nodeid")) {
			ret = node_id(arg, &kv, &n->nodeid, err);
			has_nodeid = true;
		} else if (!strcmp(kv.key, "cpus")) {
			struct config_numa_range *r;
			r = grow((void **)&n->cpus, &n->nr_cpus, sizeof(*r));
			if (!r)
				return kverr_set(err, ENOMEM, "-numa %s: out of memory", arg);
			ret = cpu_range(arg, &kv, r, err);
		} else if (!strcmp(kv.key, "mem")) {
			ret = need_value(arg, &kv, err);
			/* QEMU's legacy suffix-less format: a plain number is MiB */
			if (!ret && config_parse_size(kv.val, MiB, &n->mem))
				ret = kverr_set(err, EINVAL,
						"-numa %s: invalid mem '%s': expected a size with "
						"an optional suffix B, K, M, G, T, P or E",
						arg, kv.val);
			n->has_mem = true;
		} else if (!strcmp(kv.key, "memdev")) {
			ret = need_value(arg, &kv, err);
			if (!ret) {
				free(n->memdev);
				n->memdev = strdup(kv.val);
				if (!n->memdev)
					ret =
					    kverr_set(err, ENOMEM, "-numa %s: out of memory", arg);
			}
		} else if (!strcmp(kv.key, "initiator")) {
			ret = node_id(arg, &kv, &n->initiator, err);
			n->has_initiator = true;
		} else {
			ret = unknown_key(arg, &kv, err);
		}
	}
	if (!ret && !has_nodeid && n->nodeid >= CONFIG_MAX_NUMA_NODES)
		ret = kverr_set(err, EINVAL, "-numa %s: Max number of NUMA nodes reached: %u", arg,
				n->nodeid);
	return ret;
}

static int parse_dist(struct config_numa *numa, const char *arg, struct kv_iter *it,
		      struct kverr *err)
{
	struct config_numa_dist *d;
	struct kv kv;
	bool src = false, dst = false, val = false;
	uint64_t v;
	int ret = 0;

	d = grow((void **)&numa->dist, &numa->nr_dists, sizeof(*d));
	if (!d)
		return kverr_set(err, ENOMEM, "-numa %s: out of memory", arg);
	d->arg = arg;
	while (!ret && kv_next(it, &kv)) {
		if (!strcmp(kv.key, "src")) {
			ret = node_id(arg, &kv, &d->src, err);
			src = true;
		} else if (!strcmp(kv.key, "dst")) {
			ret = node_id(arg, &kv, &d->dst, err);
			dst = true;
		} else if (!strcmp(kv.key, "val")) {
			ret = number(arg, &kv, UINT8_MAX, &v, err);
			d->val = (uint32_t)v;
			val = true;
		} else {
			ret = unknown_key(arg, &kv, err);
		}
	}
	if (!ret && (!src || !dst || !val))
		ret = kverr_set(err, EINVAL, "-numa %s: Parameter '%s' is missing", arg,
				!src   ? "src"
				: !dst ? "dst"
				       : "val");
	return ret;
}

static int parse_cpu(struct config_numa *numa, const char *arg, struct kv_iter *it,
		     struct kverr *err)
{
	static const char *const keys[] = {"socket-id", "die-id", "core-id", "thread-id"};
	struct config_numa_cpu *c;
	uint32_t *ids[4];
	struct kv kv;
	bool has_node = false;
	int ret = 0;

	c = grow((void **)&numa->cpu, &numa->nr_cpus, sizeof(*c));
	if (!c)
		return kverr_set(err, ENOMEM, "-numa %s: out of memory", arg);
	c->arg = arg;
	ids[0] = &c->socket_id;
	ids[1] = &c->die_id;
	ids[2] = &c->core_id;
	ids[3] = &c->thread_id;
	for (unsigned i = 0; i < 4; i++)
		*ids[i] = CONFIG_NUMA_ANY_ID;
	while (!ret && kv_next(it, &kv)) {
		unsigned i;
		uint64_t v;

		if (!strcmp(kv.key, "node-id")) {
			ret = node_id(arg, &kv, &c->node_id, err);
			has_node = true;
			continue;
		}
		for (i = 0; i < 4 && strcmp(kv.key, keys[i]); i++)
			;
		if (i == 4) {
			ret = unknown_key(arg, &kv, err);
			break;
		}
		ret = number(arg, &kv, UINT32_MAX - 1, &v, err);
		*ids[i] = (uint32_t)v;
	}
	if (!ret && !has_node)
		ret = kverr_set(err, EINVAL, "-numa %s: Missing mandatory node-id property", arg);
	return ret;
}

static const char *const hierarchies[] = {"memory", "first-level", "second-level", "third-level"};
static const char *const data_types[] = {"access-latency",   "read-latency",   "write-latency",
					 "access-bandwidth", "read-bandwidth", "write-bandwidth"};
static const char *const assocs[] = {"none", "direct", "complex"};
static const char *const policies[] = {"none", "write-back", "write-through"};

static int parse_hmat_lb(struct config_numa *numa, const char *arg, struct kv_iter *it,
			 struct kverr *err)
{
	struct config_numa_hmat_lb *lb;
	struct kv kv;
	bool ini = false, tgt = false, hier = false, type = false;
	unsigned u;
	int ret = 0;

	lb = grow((void **)&numa->hmat_lb, &numa->nr_hmat_lb, sizeof(*lb));
	if (!lb)
		return kverr_set(err, ENOMEM, "-numa %s: out of memory", arg);
	lb->arg = arg;
	while (!ret && kv_next(it, &kv)) {
		if (!strcmp(kv.key, "initiator")) {
			ret = node_id(arg, &kv, &lb->initiator, err);
			ini = true;
		} else if (!strcmp(kv.key, "target")) {
			ret = node_id(arg, &kv, &lb->target, err);
			tgt = true;
		} else if (!strcmp(kv.key, "hierarchy")) {
			ret = choice(arg, &kv, hierarchies, HMAT_NR_HIERARCHIES, &u, err);
			lb->hierarchy = (enum numa_hmat_hierarchy)u;
			hier = true;
		} else if (!strcmp(kv.key, "data-type")) {
			ret = choice(arg, &kv, data_types, HMAT_NR_DATA_TYPES, &u, err);
			lb->data_type = (enum numa_hmat_data_type)u;
			type = true;
		} else if (!strcmp(kv.key, "latency")) {
			ret = number(arg, &kv, UINT64_MAX, &lb->latency, err);
			lb->has_latency = true;
		} else if (!strcmp(kv.key, "bandwidth")) {
			ret = need_value(arg, &kv, err);
			if (!ret && config_parse_size(kv.val, 1, &lb->bandwidth))
				ret = kverr_set(err, EINVAL, "-numa %s: invalid bandwidth '%s'",
						arg, kv.val);
			lb->has_bandwidth = true;
		} else {
			ret = unknown_key(arg, &kv, err);
		}
	}
	if (!ret && (!ini || !tgt || !hier || !type))
		ret = kverr_set(err, EINVAL, "-numa %s: Parameter '%s' is missing", arg,
				!ini	? "initiator"
				: !tgt	? "target"
				: !hier ? "hierarchy"
					: "data-type");
	return ret;
}

static int parse_hmat_cache(struct config_numa *numa, const char *arg, struct kv_iter *it,
			    struct kverr *err)
{
	struct config_numa_hmat_cache *c;
	struct kv kv;
	bool node = false, size = false, level = false, assoc = false, pol = false, line = false;
	uint64_t v;
	unsigned u;
	int ret = 0;

	c = grow((void **)&numa->hmat_cache, &numa->nr_hmat_cache, sizeof(*c));
	if (!c)
		return kverr_set(err, ENOMEM, "-numa %s: out of memory", arg);
	c->arg = arg;
	while (!ret && kv_next(it, &kv)) {
		if (!strcmp(kv.key, "node-id")) {
			ret = node_id(arg, &kv, &c->node_id, err);
			node = true;
		} else if (!strcmp(kv.key, "size")) {
			ret = need_value(arg, &kv, err);
			if (!ret && config_parse_size(kv.val, 1, &c->size))
				ret = kverr_set(err, EINVAL, "-numa %s: invalid size '%s'", arg,
						kv.val);
			size = true;
		} else if (!strcmp(kv.key, "level")) {
			ret = number(arg, &kv, UINT8_MAX, &v, err);
			c->level = (uint32_t)v;
			level = true;
		} else if (!strcmp(kv.key, "associativity")) {
			ret = choice(arg, &kv, assocs, 3, &u, err);
			c->associativity = (enum numa_hmat_assoc)u;
			assoc = true;
		} else if (!strcmp(kv.key, "policy")) {
			ret = choice(arg, &kv, policies, 3, &u, err);
			c->policy = (enum numa_hmat_policy)u;
			pol = true;
		} else if (!strcmp(kv.key, "line")) {
			ret = number(arg, &kv, UINT16_MAX, &v, err);
			c->line = (uint32_t)v;
			line = true;
		} else {
			ret = unknown_key(arg, &kv, err);
		}
	}
	if (!ret && (!node || !size || !level || !assoc || !pol || !line))
		ret = kverr_set(err, EINVAL, "-numa %s: Parameter '%s' is missing", arg,
				!node	 ? "node-id"
				: !size	 ? "size"
				: !level ? "level"
				: !assoc ? "associativity"
				: !pol	 ? "policy"
					 : "line");
	return ret;
}

int config_numa_parse(struct config_numa *numa, const char *arg, struct kverr *err)
{
	struct kv_iter it;
	struct kv kv;
	char *buf;
	int ret;

	if (!*arg)
		return kverr_set(err, EINVAL, "-numa: empty value");
	buf = malloc(strlen(arg) + 1);
	if (!buf)
		return kverr_set(err, ENOMEM, "-numa: out of memory");
	it = (struct kv_iter){.p = arg, .out = buf, .implied = "type", .first = true};
	kv_next(&it, &kv);
	if (strcmp(kv.key, "type") || !kv.val)
		ret = kverr_set(err, EINVAL,
				"-numa %s: the first element must be the type: node, dist, cpu, "
				"hmat-lb or hmat-cache",
				arg);
	else if (!strcmp(kv.val, "node"))
		ret = parse_node(numa, arg, &it, err);
	else if (!strcmp(kv.val, "dist"))
		ret = parse_dist(numa, arg, &it, err);
	else if (!strcmp(kv.val, "cpu"))
		ret = parse_cpu(numa, arg, &it, err);
	else if (!strcmp(kv.val, "hmat-lb"))
		ret = parse_hmat_lb(numa, arg, &it, err);
	else if (!strcmp(kv.val, "hmat-cache"))
		ret = parse_hmat_cache(numa, arg, &it, err);
	else
		ret = kverr_set(err, EINVAL,
				"-numa %s: invalid type '%s' (node, dist, cpu, hmat-lb or "
				"hmat-cache)",
				arg, kv.val);
	free(buf);
	return ret;
}

int config_machine_hmat(struct config_numa *numa, const char *key, const char *val, const char *arg,
			struct kverr *err)
{
	if (strcmp(key, "hmat"))
		return 0;
	if (val && !strcmp(val, "on"))
		numa->hmat = true;
	else if (val && !strcmp(val, "off"))
		numa->hmat = false;
	else
		return kverr_set(err, EINVAL, "-machine %s: hmat expects 'on' or 'off'", arg);
	return 1;
}

void config_numa_free(struct config_numa *numa)
{
	for (unsigned i = 0; i < numa->nr_nodes; i++) {
		free(numa->node[i].memdev);
		free(numa->node[i].cpus);
	}
	free(numa->node);
	free(numa->dist);
	free(numa->cpu);
	free(numa->hmat_lb);
	free(numa->hmat_cache);
	memset(numa, 0, sizeof(*numa));
}
