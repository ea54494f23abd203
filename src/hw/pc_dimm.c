/* pc_dimm.c - the pc-dimm device: a memory backend plugged into a DIMM
 * slot of the device-memory region, found by the guest through ACPI.
 *
 * Life of a DIMM (dev.h's hooks, main thread):
 *   pre_plug   plan/dimm.c decides slot and address, or refuses with QEMU
 *              7.2's message; nothing changes
 *   realize    the memory manager adds the backend as a region with its
 *              KVM slot; the backend becomes mapped (object-del refuses it)
 *   plug       the ACPI memory hotplug controller shows the DIMM in its
 *              slot; hotplugged, it notifies the guest (GPE), which onlines
 *              the memory; cold-plugged (-device), the guest finds it at boot
 *   unplug_request  device_del: the controller asks the guest to eject;
 *              asked again, it asks again, as QEMU does
 *   (the guest offlines the memory and calls _EJ0: memhp queues an
 *    ejection, the main loop calls pc_dimm_ejected, the registry
 *    unrealizes the device and sends DEVICE_DELETED)
 *   unrealize  the region leaves the manager (KVM slot deleted, readers
 *              gone); the backend is unmapped and may be deleted, which
 *              gives its memory back to the host
 * The device's properties are QEMU's: memdev, node, addr, slot, and size
 * (read-only, the backend's).  addr and slot show the placement once
 * realized.
 */
#include "hw/pc_dimm.h"

#include <stdlib.h>
#include <string.h>

#include "dev/dev.h"
#include "dev/devset.h"
#include "dev/registry.h"
#include "hw/memhp.h"
#include "machine.h"
#include "plan/dimm.h"
#include "virtio/mem_pci.h"

enum { P_MEMDEV, P_NODE, P_ADDR, P_SLOT, P_SIZE };

struct dimm {
	struct memdev *md;
	struct mem_region *region;
	uint64_t addr;
	uint32_t slot;
};

static const struct dev_driver pc_dimm;

static struct machine *machine_of(const struct device *dev)
{
	return dev->set->machine;
}

/* The backend object the memdev link names now, or NULL. */
static struct memdev *memdev_of(const struct device *dev)
{
	return memdevs_find(&machine_of(dev)->memdevs,
			    config_memdev_link_id(dev_val(dev, P_MEMDEV)->s));
}

static int get_size(struct device *dev, const struct dev_prop *p, json_t **out, struct kverr *err)
{
	struct dimm *d = dev->state;
	struct memdev *md = d->md ? d->md : memdev_of(dev);

	(void)p;
	*out = json_integer(md ? (json_int_t)md->host.size : 0);
	return *out ? 0 : kverr_set(err, ENOMEM, "out of memory");
}

unsigned pc_dimm_ranges(const struct dev_set *set, const struct device *self,
			struct dimm_plugged *out, unsigned max)
{
	unsigned n = 0;

	for (struct device *d = set->first; d && n < max; d = d->next) {
		const struct dimm *s = d->state;

		if (d == self || d->drv != &pc_dimm || !d->realized)
			continue;
		out[n++] = (struct dimm_plugged){
		    .id = d->id, .addr = s->addr, .size = s->region->size, .slot = s->slot};
	}
	return n;
}

static int dimm_pre_plug(struct device *dev, struct kverr *err)
{
	struct machine *m = machine_of(dev);
	struct dimm *d = dev->state;
	struct memdev *md = memdev_of(dev);
	struct dimm_plugged list[DEV_MAX_DEVICES];
	struct dimm_space space;
	struct dimm_placement p;
	struct dimm_request req = {
	    .slot = dev_val(dev, P_SLOT)->i,
	    .addr = dev_val(dev, P_ADDR)->u,
	    .node = (uint32_t)dev_val(dev, P_NODE)->u,
	    .memdev = md ? md->spec.id : NULL,
	    .size = md ? md->host.size : 0,
	    .align = md ? memdev_device_align(md) : 1,
	    .memdev_mapped = md && md->mapped,
	    .kvm_slot_free = mem_manager_slot_free(m->mem),
	};
	unsigned n;
	int ret;

	/* every memory device shares the region: virtio-mem's too */
	dimm_space_init(&space, &m->layout, &m->numa);
	n = pc_dimm_ranges(dev->set, dev, list, DEV_MAX_DEVICES);
	n += virtio_mem_pci_ranges(dev->set, dev, list + n, DEV_MAX_DEVICES - n);
	ret = dimm_place(&space, list, n, &req, &p, err);
	if (ret)
		return ret;
	d->md = md;
	d->addr = p.addr;
	d->slot = p.slot;
	/* QEMU's pre-plug sets the properties: qom-get shows the placement */
	dev->val[P_ADDR].u = p.addr;
	dev->val[P_SLOT].i = p.slot;
	return 0;
}

static int dimm_realize(struct device *dev, struct kverr *err)
{
	struct machine *m = machine_of(dev);
	struct dimm *d = dev->state;
	struct mem_region_spec spec = {
	    .name = d->md->spec.id,
	    .kind = MEM_REGION_DIMM,
	    .gpa = d->addr,
	    .size = d->md->host.size,
	    .backend = &d->md->host,
	    .backend_offset = 0,
	    .node = (uint32_t)dev_val(dev, P_NODE)->u,
	    .owner = dev,
	};
	int ret = mem_manager_add(m->mem, &spec, &d->region, err);

	if (ret)
		return ret;
	d->md->mapped = true;
	return 0;
}

static void dimm_plug(struct device *dev)
{
	struct machine *m = machine_of(dev);
	struct dimm *d = dev->state;

	/* pre_plug found the slot free, and memhp holds what the set holds */
	memhp_plug(m->memhp, d->slot, d->addr, d->region->size, (uint32_t)dev_val(dev, P_NODE)->u,
		   dev->id, dev->hotplugged, NULL);
}

static int dimm_unplug_request(struct device *dev, struct kverr *err)
{
	struct dimm *d = dev->state;

	return memhp_unplug_request(machine_of(dev)->memhp, d->slot, err);
}

static void dimm_unrealize(struct device *dev)
{
	struct machine *m = machine_of(dev);
	struct dimm *d = dev->state;
	struct kverr err;

	/* after an ejection the slot is free already; not when the machine
	 * goes away with the DIMM plugged */
	memhp_unplug(m->memhp, d->slot);
	if (d->region) {
		/* KVM keeps nothing of a slot whose deletion failed: the region is
		 * gone either way, and then the backend may go too */
		(void)mem_manager_remove(m->mem, d->region, &err);
		d->region = NULL;
	}
	if (d->md)
		d->md->mapped = false;
}

static const struct dev_prop dimm_props[] = {
    [P_MEMDEV] = {.name = "memdev", .type = DEV_PROP_LINK, .link_kind = "memory-backend"},
    [P_NODE] = {.name = "node", .type = DEV_PROP_UINT32, .has_default = true},
    [P_ADDR] = {.name = "addr", .type = DEV_PROP_UINT64, .has_default = true},
    [P_SLOT] = {.name = "slot", .type = DEV_PROP_INT32, .has_default = true, .def.i = -1},
    [P_SIZE] = {.name = "size",
		.type = DEV_PROP_UINT64,
		.access = DEV_PROP_READONLY,
		.get = get_size},
    {.name = NULL},
};

static const struct dev_driver pc_dimm = {
    .name = "pc-dimm",
    .desc = "DIMM memory module",
    .categories = DEV_CAT(DEV_CAT_MISC),
    .bus = DEV_BUS_NONE,
    .user_creatable = true,
    .hotpluggable = true,
    .props = dimm_props,
    .state_size = sizeof(struct dimm),
    .pre_plug = dimm_pre_plug,
    .realize = dimm_realize,
    .plug = dimm_plug,
    .unplug_request = dimm_unplug_request,
    .unrealize = dimm_unrealize,
};
DEV_DRIVER_REGISTER(pc_dimm)

void pc_dimm_ejected(struct machine *m, unsigned slot)
{
	for (struct device *dev = m->devs.set.first; dev; dev = dev->next) {
		const struct dimm *d = dev->state;

		if (dev->drv == &pc_dimm && dev->realized && d->slot == slot) {
			dev_unplug_done(dev);
			return;
		}
	}
}

static int by_addr(const void *a, const void *b)
{
	const struct device *x = *(struct device *const *)a, *y = *(struct device *const *)b;
	const struct dimm *dx = x->state, *dy = y->state;

	return dx->addr < dy->addr ? -1 : dx->addr > dy->addr;
}

json_t *pc_dimm_query(struct machine *m)
{
	struct device *sorted[DEV_MAX_DEVICES];
	json_t *list = json_array();
	unsigned n = 0;

	for (struct device *dev = m->devs.set.first; dev && n < DEV_MAX_DEVICES; dev = dev->next)
		if (dev->drv == &pc_dimm && dev->realized)
			sorted[n++] = dev;
	qsort(sorted, n, sizeof(sorted[0]), by_addr);
	for (unsigned i = 0; i < n; i++) {
		const struct device *dev = sorted[i];
		const struct dimm *d = dev->state;
		json_t *data = json_pack("{s:s, s:b, s:I, s:b, s:I, s:i, s:i}", "memdev",
					 dev_val(dev, P_MEMDEV)->s, "hotplugged", dev->hotplugged,
					 "addr", (json_int_t)d->addr, "hotpluggable", 1, "size",
					 (json_int_t)d->region->size, "slot", (int)d->slot, "node",
					 (int)dev_val(dev, P_NODE)->u);

		if (dev->id)
			json_object_set_new(data, "id", json_string(dev->id));
		json_array_append_new(list, json_pack("{s:s, s:o}", "type", "dimm", "data", data));
	}
	return list;
}
