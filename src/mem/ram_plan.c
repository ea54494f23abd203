/* ram_plan.c - which backend backs each part of boot RAM (see ram_plan.h). */
#include "mem/ram_plan.h"

#include <stdio.h>
#include <string.h>

static unsigned add_backend(struct ram_plan *p, enum ram_backend_origin origin, const char *id,
			    const struct config_memdev *memdev, uint64_t size, uint32_t node)
{
	struct ram_backend *b = &p->backend[p->nr_backends];

	memset(b, 0, sizeof(*b));
	snprintf(b->id, sizeof(b->id), "%s", id);
	b->origin = origin;
	b->node = node;
	if (memdev) {
		b->memdev = memdev;
	} else {
		config_memdev_implicit(&b->implicit, b->id, size);
		b->memdev = &b->implicit;
	}
	return p->nr_backends++;
}

void ram_plan_build(struct ram_plan *p, const struct config *cfg, const struct layout *l,
		    const struct numa *numa)
{
	int node_backend[CONFIG_MAX_NUMA_NODES];
	bool shared = numa->shared_backend;

	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < CONFIG_MAX_NUMA_NODES; i++)
		node_backend[i] = -1;
	if (shared) {
		const struct config_memdev *md = config_memdev_find(cfg, cfg->machine_memdev);
		if (md)
			add_backend(p, RAM_BACKEND_MACHINE, md->id, md, md->size,
				    RAM_PLAN_ALL_NODES);
		else
			add_backend(p, RAM_BACKEND_PC_RAM, "pc.ram", NULL, l->ram_size,
				    RAM_PLAN_ALL_NODES);
	}
	/* in guest physical order; a node's backend where its first part is */
	for (unsigned i = 0; i < l->nr_parts; i++) {
		const struct layout_ram_part *part = &l->part[i];
		struct ram_region *r = &p->region[p->nr_regions++];

		r->part = part;
		if (shared) {
			r->backend = 0;
			r->backend_offset = part->ram_offset;
			continue;
		}
		if (node_backend[part->node] < 0) {
			const struct numa_node *n = &numa->node[part->node];
			char id[32];

			if (n->memdev != NUMA_NO_MEMDEV) {
				const struct config_memdev *md = &cfg->memdev[n->memdev];
				node_backend[part->node] = (int)add_backend(
				    p, RAM_BACKEND_MEMDEV, md->id, md, md->size, part->node);
			} else {
				snprintf(id, sizeof(id), "ram-node%u", part->node);
				node_backend[part->node] = (int)add_backend(
				    p, RAM_BACKEND_NODE, id, NULL, n->mem, part->node);
			}
		}
		r->backend = (unsigned)node_backend[part->node];
		r->backend_offset = part->node_offset;
	}
}

int ram_plan_node_backend(const struct ram_plan *p, uint32_t node)
{
	for (unsigned i = 0; i < p->nr_regions; i++)
		if (p->region[i].part->node == node)
			return (int)p->region[i].backend;
	return -1;
}

const char *ram_backend_describe(const struct ram_plan *p, unsigned i, const struct numa *numa,
				 char *buf, size_t size)
{
	const struct ram_backend *b = &p->backend[i];

	switch (b->origin) {
	case RAM_BACKEND_MACHINE:
		snprintf(buf, size, "%s (-machine memory-backend)", b->id);
		break;
	case RAM_BACKEND_PC_RAM:
		snprintf(buf, size, "%s (anonymous, from -m)", b->id);
		break;
	case RAM_BACKEND_MEMDEV:
		snprintf(buf, size, "%s (memdev=)", b->id);
		break;
	case RAM_BACKEND_NODE:
		snprintf(buf, size, "%s (anonymous, %s)", b->id,
			 numa->implicit	    ? "implicit node for memory hotplug"
			 : numa->auto_split ? "default split"
					    : "mem=");
		break;
	}
	return buf;
}
