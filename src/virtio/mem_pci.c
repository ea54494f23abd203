/* mem_pci.c - virtio-mem-pci in the registry; see mem_pci.h.
 *
 * The properties are QEMU 7.2's (memdev, node, memaddr, requested-size,
 * block-size, size, prealloc, unplugged-inaccessible) and one of kvmem's
 * own, dynamic-memslots (QEMU 8.2's name and rule: it needs
 * unplugged-inaccessible=on).  unplugged-inaccessible=auto is QEMU 7.2's:
 * off for private anonymous RAM in 4 KiB pages (an unplugged page read
 * there is the shared zero page and costs nothing), on otherwise.
 *
 * MEMORY_DEVICE_SIZE_CHANGE: the plugged size changes on the device's
 * worker thread; qmp/throttle.h carries the value to the main loop and
 * sends it from there, at most once a second per device with the last
 * value at the end of the second, as QEMU's monitor throttles it.
 */
#include "virtio/mem_pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev/dev.h"
#include "dev/devset.h"
#include "dev/registry.h"
#include "hw/pc_dimm.h"
#include "machine.h"
#include "mem/manager.h"
#include "mem/memdevs.h"
#include "plan/vmem.h"
#include "qmp/server.h"
#include "qmp/throttle.h"
#include "util/loop.h"
#include "virtio/mem.h"
#include "virtio/mem_blocks.h"
#include "virtio/mem_queue.h"
#include "virtio/pci.h"

enum {
	P_ADDR,
	P_MEMDEV,
	P_NODE,
	P_MEMADDR,
	P_REQUESTED_SIZE,
	P_BLOCK_SIZE,
	P_SIZE,
	P_PREALLOC,
	P_UNPLUGGED_INACCESSIBLE,
	P_DYNAMIC_MEMSLOTS,
};
enum { UI_ON, UI_OFF, UI_AUTO };

#define PCI_CLASS 0xff0000 /* QEMU's PCI_CLASS_OTHERS */
#define MiB (1ULL << 20)

struct vmem_pci {
	struct machine *m;
	struct device *dev;
	struct memdev *md;
	struct mem_region *region;
	uint64_t addr, block_size;
	bool started;
	struct vmem vm;
	struct vmem_blocks blocks;
	/* the transport */
	struct virtio_pci vp;
	struct virtio_dev_ops ops;
	struct dma_space dma;
	struct pci_plan_func *plan;
	struct vq_elem *elem; /* the worker's */
	bool vp_started;
	/* MEMORY_DEVICE_SIZE_CHANGE: the worker sets it, the main loop sends it */
	struct qmp_throttle change;
};

static const struct dev_driver virtio_mem_pci;

static struct machine *machine_of(const struct device *dev)
{
	return dev->set->machine;
}

static struct memdev *memdev_of(const struct device *dev)
{
	return memdevs_find(&machine_of(dev)->memdevs,
			    config_memdev_link_id(dev_val(dev, P_MEMDEV)->s));
}

/* The host's THP size, as QEMU probes it: 1 MiB without THP, 2 MiB when
 * the size cannot be read. */
static uint64_t host_thp_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
	unsigned long long v = 0;

	if (!f)
		return access("/sys/kernel/mm/transparent_hugepage/", F_OK) ? MiB : 2 * MiB;
	if (fscanf(f, "%llu", &v) != 1 || !v || (v & (v - 1)))
		v = 2 * MiB;
	fclose(f);
	return v;
}

static uint64_t host_page_size(void)
{
	long v = sysconf(_SC_PAGESIZE);

	return v > 0 ? (uint64_t)v : 4096;
}

/* ---- the memory's events ---- */

/* Main loop, at most one a second per device, as QEMU's monitor sends it
 * (qmp/throttle.h). */
static void send_change(void *opaque, uint64_t size)
{
	struct vmem_pci *s = opaque;
	json_t *data = json_object();

	/* QEMU's order: id (when the device has one), size, qom-path */
	if (data && s->dev->id)
		json_object_set_new(data, "id", json_string(s->dev->id));
	if (data) {
		json_object_set_new(data, "size", json_integer((json_int_t)size));
		json_object_set_new(data, "qom-path", json_string(s->dev->path));
	}
	if (data && s->m->mon)
		monitors_event(s->m->mon, "MEMORY_DEVICE_SIZE_CHANGE", data);
	else
		json_decref(data);
}

/* Worker or main thread: on to the main loop. */
static void size_changed(void *ctx, uint64_t plugged)
{
	struct vmem_pci *s = ctx;

	qmp_throttle_set(&s->change, plugged);
}

/* Main thread (qom-set requested-size): the config interrupt. */
static void config_changed(void *ctx)
{
	struct vmem_pci *s = ctx;

	if (s->vp_started)
		virtio_pci_config_changed(&s->vp);
}

/* Main thread (pci_list.h): the main loop exists, the device's events
 * can be sent from it. */
static int vp_attach_loop(void *dev, struct loop *loop, struct kverr *err)
{
	struct vmem_pci *s = dev;

	return qmp_throttle_attach(&s->change, loop, err);
}

/* ---- the memory behind the model ---- */

/* The ops' context is the device's vmem_blocks (mem_blocks.h): the
 * device's own callbacks find the device around it. */
static struct vmem_pci *of_blocks(void *ctx)
{
	return (struct vmem_pci *)((char *)ctx - offsetof(struct vmem_pci, blocks));
}

static void blocks_size_changed(void *ctx, uint64_t plugged)
{
	size_changed(of_blocks(ctx), plugged);
}

static void blocks_config_changed(void *ctx)
{
	config_changed(of_blocks(ctx));
}

/* ---- the transport's view of the device ---- */

/* vCPU thread, transport lock held */
static void vp_config_read(void *dev, uint32_t off, uint8_t *data, unsigned len)
{
	struct vmem_pci *s = dev;

	vmem_config_read(&s->vm, off, data, len);
}

static void vp_config_write(void *dev, uint32_t off, const uint8_t *data, unsigned len)
{
	/* the config space is read-only to the driver */
	(void)dev;
	(void)off;
	(void)data;
	(void)len;
}

static bool vp_set_features(void *dev, uint64_t features)
{
	struct vmem_pci *s = dev;

	return vmem_features_ok(&s->vm, features);
}

/* The driver reset the device (status 0): its queue starts again, the
 * memory stays as it is (QEMU: only a machine reset unplugs). */
static void vp_reset(void *dev)
{
	(void)dev;
}

/* Main thread (pci_list.h): a machine reset unplugs every block (the
 * specification's reset); the guest plugs again. */
static void vp_machine_reset(void *dev)
{
	struct vmem_pci *s = dev;
	struct kverr err;

	/* the worker is idle once the transport is reset: no request can
	 * plug a block after the reset unplugged them all */
	virtio_pci_reset(&s->vp);
	/* a discard that failed leaves the pages unplugged anyway */
	(void)vmem_reset(&s->vm, &err);
}

static bool stopping(void *ctx)
{
	return virtio_pci_stopping(ctx);
}

/* Worker thread: the guest's requests, one at a time. */
static void vp_queue_notify(void *dev, unsigned q)
{
	struct vmem_pci *s = dev;
	struct vq *vq = virtio_pci_queue(&s->vp, q);
	struct kverr err;
	unsigned pushed = 0;
	int ret;

	if (q != 0 || !vq)
		return;
	ret = vmem_serve_queue(&s->vm, vq, s->elem, stopping, &s->vp, &pushed, &err);
	if (pushed)
		virtio_pci_notify_queue(&s->vp, q);
	if (ret < 0)
		virtio_pci_fail(&s->vp, &err);
}

static void describe(struct vmem_pci *s)
{
	s->ops = (struct virtio_dev_ops){
	    .name = "virtio-mem-pci",
	    .device_id = VIRTIO_ID_MEM,
	    .pci_class = PCI_CLASS,
	    .nr_queues = 1,
	    .queue_size = 128,
	    .features = s->vm.features,
	    .config_size = VIRTIO_MEM_CONFIG_SIZE,
	    .config_read = vp_config_read,
	    .config_write = vp_config_write,
	    .set_features = vp_set_features,
	    .reset = vp_reset,
	    .queue_notify = vp_queue_notify,
	    .machine_reset = vp_machine_reset,
	    .attach_loop = vp_attach_loop,
	};
}

#define NVECTORS 2 /* the queue's and the config's */

/* Add the function (its slot, QEMU's checks and messages, and its BARs)
 * to plan p. */
static int plan_add(struct device *dev, struct pci_plan *p, struct pci_plan_func **out,
		    struct kverr *err)
{
	const struct virtio_dev_ops ops = {
	    .device_id = VIRTIO_ID_MEM, .pci_class = PCI_CLASS, .nr_queues = 1};

	return virtio_pci_plan_add(p, &ops, NVECTORS, "virtio-mem-pci", dev->id,
				   dev_val(dev, P_ADDR)->i, out, err);
}

/* device_add at run time (no plan stage): add the function to plan p and
 * give every BAR its address; the BARs already planned keep theirs. */
static int plan_add_assign(struct device *dev, struct pci_plan *p, struct pci_plan_func **out,
			   struct kverr *err)
{
	int ret = plan_add(dev, p, out, err);

	if (!ret && (ret = pci_plan_assign(p, err)))
		p->nr--; /* the others' addresses were what they are again */
	return ret;
}

/* ---- properties ---- */

static int get_size(struct device *dev, const struct dev_prop *p, json_t **out, struct kverr *err)
{
	struct vmem_pci *s = dev->state;
	struct vmem_info info = {0};

	(void)p;
	if (s->started)
		vmem_get_info(&s->vm, &info);
	*out = json_integer((json_int_t)info.plugged_size);
	return *out ? 0 : kverr_set(err, ENOMEM, "out of memory");
}

/* The block size: the device's once realized, else what it would be. */
static uint64_t block_size_of(struct device *dev)
{
	struct vmem_pci *s = dev->state;
	struct memdev *md;

	if (s->started)
		return s->block_size;
	if (dev_val(dev, P_BLOCK_SIZE)->u)
		return dev_val(dev, P_BLOCK_SIZE)->u;
	md = memdev_of(dev);
	if (!md)
		return host_thp_size();
	return vmem_default_block_size(md->host.page_size, host_page_size(), host_thp_size());
}

static int get_block_size(struct device *dev, const struct dev_prop *p, json_t **out,
			  struct kverr *err)
{
	(void)p;
	*out = json_integer((json_int_t)block_size_of(dev));
	return *out ? 0 : kverr_set(err, ENOMEM, "out of memory");
}

static int set_block_size(struct device *dev, const struct dev_prop *p, const struct dev_value *v,
			  struct kverr *err)
{
	struct vmem_pci *s = dev->state;

	(void)p;
	if (s->started)
		return kverr_set(err, EBUSY, "'block-size' cannot be changed");
	return vmem_check_block_size(v->u, err);
}

static int get_requested(struct device *dev, const struct dev_prop *p, json_t **out,
			 struct kverr *err)
{
	struct vmem_pci *s = dev->state;
	struct vmem_info info;

	(void)p;
	if (s->started) {
		vmem_get_info(&s->vm, &info);
		*out = json_integer((json_int_t)info.requested_size);
	} else {
		*out = json_integer((json_int_t)dev_val(dev, P_REQUESTED_SIZE)->u);
	}
	return *out ? 0 : kverr_set(err, ENOMEM, "out of memory");
}

static int set_requested(struct device *dev, const struct dev_prop *p, const struct dev_value *v,
			 struct kverr *err)
{
	struct vmem_pci *s = dev->state;

	(void)p;
	/* before realize QEMU keeps the value; realize checks it */
	return s->started ? vmem_set_requested_size(&s->vm, v->u, err) : 0;
}

static const char *const on_off_auto[] = {"on", "off", "auto", NULL};

static const struct dev_prop props[] = {
    [P_ADDR] = {.name = "addr",
		.type = DEV_PROP_PCI_ADDR,
		.help = "Slot and optional function number, example: 06.0 or 06",
		.has_default = true,
		.def.i = -1},
    [P_MEMDEV] = {.name = "memdev", .type = DEV_PROP_LINK, .link_kind = "memory-backend"},
    [P_NODE] = {.name = "node", .type = DEV_PROP_UINT32, .has_default = true},
    [P_MEMADDR] = {.name = "memaddr", .type = DEV_PROP_UINT64, .has_default = true},
    [P_REQUESTED_SIZE] = {.name = "requested-size",
			  .type = DEV_PROP_SIZE,
			  .access = DEV_PROP_RUNTIME,
			  .get = get_requested,
			  .set = set_requested},
    [P_BLOCK_SIZE] = {.name = "block-size",
		      .type = DEV_PROP_SIZE,
		      .access = DEV_PROP_RUNTIME,
		      .get = get_block_size,
		      .set = set_block_size},
    [P_SIZE] = {.name = "size",
		.type = DEV_PROP_SIZE,
		.access = DEV_PROP_READONLY,
		.get = get_size},
    [P_PREALLOC] = {.name = "prealloc", .type = DEV_PROP_BOOL, .has_default = true},
    [P_UNPLUGGED_INACCESSIBLE] = {.name = "unplugged-inaccessible",
				  .type = DEV_PROP_ENUM,
				  .type_name = "OnOffAuto",
				  .values = on_off_auto,
				  .help = "on/off/auto",
				  .has_default = true,
				  .def.s = "auto"},
    [P_DYNAMIC_MEMSLOTS] = {.name = "dynamic-memslots",
			    .type = DEV_PROP_BOOL,
			    .help = "on/off (kvmem: map only the plugged parts into KVM slots)",
			    .has_default = true},
    {.name = NULL},
};

/* ---- life ---- */

static bool shared_zeropage(const struct backend *b)
{
	return !b->shared && b->fd < 0 && b->page_size == host_page_size();
}

/* Plan stage (-device): the function's slot and BARs in the machine's
 * plan, so -print-layout shows them and a taken slot is refused before
 * any memory exists (the BARs get their addresses once every device is
 * planned).  QEMU checks the memory first and the slot in realize; with
 * both wrong, kvmem names the slot. */
static int vmem_plan(struct device *dev, struct kverr *err)
{
	struct vmem_pci *s = dev->state;

	return plan_add(dev, &machine_of(dev)->pci_plan, &s->plan, err);
}

static int vmem_pre_plug(struct device *dev, struct kverr *err)
{
	struct machine *m = machine_of(dev);
	struct vmem_pci *s = dev->state;
	struct memdev *md = memdev_of(dev);
	struct dimm_plugged list[DEV_MAX_DEVICES];
	struct dimm_space space;
	struct vmem_placement p;
	unsigned n, ui;
	struct vmem_request req = {
	    .memdev = md ? md->spec.id : NULL,
	    .size = md ? md->host.size : 0,
	    .page_size = md ? md->host.page_size : 4096,
	    .host_page_size = host_page_size(),
	    .thp_size = host_thp_size(),
	    .align = md ? memdev_device_align(md) : 1,
	    .memdev_mapped = md && md->mapped,
	    .kvm_slot_free = mem_manager_slot_free(m->mem),
	    .block_size = dev_val(dev, P_BLOCK_SIZE)->u,
	    .requested_size = dev_val(dev, P_REQUESTED_SIZE)->u,
	    .addr = dev_val(dev, P_MEMADDR)->u,
	    .node = (uint32_t)dev_val(dev, P_NODE)->u,
	};
	int ret;

	dimm_space_init(&space, &m->layout, &m->numa);
	n = pc_dimm_ranges(dev->set, dev, list, DEV_MAX_DEVICES);
	n += virtio_mem_pci_ranges(dev->set, dev, list + n, DEV_MAX_DEVICES - n);
	ret = vmem_place(&space, list, n, &req, &p, err);
	if (ret)
		return ret;
	ui = (unsigned)dev_val(dev, P_UNPLUGGED_INACCESSIBLE)->u;
	if (ui == UI_AUTO)
		ui = shared_zeropage(&md->host) ? UI_OFF : UI_ON;
	if (dev_val(dev, P_DYNAMIC_MEMSLOTS)->b && ui != UI_ON)
		return kverr_set(err, EINVAL,
				 "'dynamic-memslots' property set to 'on' requires "
				 "'unplugged-inaccessible' to be 'on'");
	/* device_add (not planned): the PCI slot, on a copy of the plan, so
	 * that nothing is committed */
	if (!s->plan) {
		struct pci_plan *copy = malloc(sizeof(*copy));

		if (!copy)
			return kverr_set(err, ENOMEM, "out of memory");
		*copy = m->pci_plan;
		ret = plan_add_assign(dev, copy, NULL, err);
		free(copy);
		if (ret)
			return ret;
	}
	s->md = md;
	s->addr = p.addr;
	s->block_size = p.block_size;
	/* QEMU's pre-plug sets the property: qom-get shows the placement */
	dev->val[P_MEMADDR].u = p.addr;
	dev->val[P_UNPLUGGED_INACCESSIBLE].u = ui;
	return 0;
}

static void release(struct vmem_pci *s)
{
	struct kverr err;

	qmp_throttle_fini(&s->change);
	if (s->vp_started) {
		virtio_pci_list_remove(&s->m->virtio, &s->vp);
		pci_bus_remove(&s->m->pci, &s->vp.func);
		virtio_pci_destroy(&s->vp);
		s->vp_started = false;
	}
	free(s->elem);
	s->elem = NULL;
	if (s->started)
		vmem_destroy(&s->vm);
	s->started = false;
	if (s->region) {
		vmem_blocks_release(&s->blocks);
		/* KVM keeps nothing of a slot whose deletion failed */
		(void)mem_manager_remove(s->m->mem, s->region, &err);
		s->region = NULL;
	}
	if (s->md)
		s->md->mapped = false;
}

static int vmem_realize(struct device *dev, struct kverr *err)
{
	struct machine *m = machine_of(dev);
	struct vmem_pci *s = dev->state;
	const bool dynamic = dev_val(dev, P_DYNAMIC_MEMSLOTS)->b;
	const bool inaccessible = dev_val(dev, P_UNPLUGGED_INACCESSIBLE)->u == UI_ON;
	struct mem_region_spec spec = {
	    .name = s->md->spec.id,
	    .kind = MEM_REGION_VIRTIO_MEM,
	    .flags = MEM_REGION_UNPLUGGED | (inaccessible ? MEM_REGION_PLUGGED_ONLY : 0) |
		     (dynamic ? MEM_REGION_NO_SLOT : 0),
	    .gpa = s->addr,
	    .size = s->md->host.size,
	    .backend = &s->md->host,
	    .owner = dev,
	    .node = (uint32_t)dev_val(dev, P_NODE)->u,
	};
	struct vmem_params params = {
	    .block_size = s->block_size,
	    .addr = s->addr,
	    .region_size = s->md->host.size,
	    .requested_size = dev_val(dev, P_REQUESTED_SIZE)->u,
	    .node = (uint16_t)dev_val(dev, P_NODE)->u,
	    .unplugged_inaccessible = inaccessible,
	    .acpi_pxm = m->numa.nr_nodes > 0,
	};
	struct vmem_mem_ops ops;
	bool run_time;
	int ret;

	s->m = m;
	s->dev = dev;
	if ((ret = qmp_throttle_init(&s->change, "virtio-mem-pci", send_change, s, err))) {
		release(s);
		return ret;
	}
	ret = mem_manager_add(m->mem, &spec, &s->region, err);
	if (ret) {
		release(s);
		return ret;
	}
	s->md->mapped = true;
	/* a clean slate, as QEMU starts: a reused backend keeps nothing */
	ret = mem_pages_give(m->mem, s->addr, s->md->host.size, MEM_PAGE_UNPLUGGED, NULL, err);
	if (ret) {
		release(s);
		return ret;
	}
	vmem_blocks_init(&s->blocks, m->mem, s->region, dev_val(dev, P_PREALLOC)->b,
			 dynamic ? vmem_memslot_size(s->md->host.size, s->block_size, 256) : 0,
			 backend_populate, &ops);
	ops.size_changed = blocks_size_changed;
	ops.config_changed = blocks_config_changed;
	ret = vmem_init(&s->vm, &params, &ops, err);
	if (ret) {
		release(s);
		return ret;
	}
	s->started = true;
	describe(s);
	s->dma.mm = m->mem;
	s->elem = malloc(sizeof(*s->elem));
	if (!s->elem) {
		release(s);
		return kverr_set(err, ENOMEM, "virtio-mem-pci: out of memory");
	}
	run_time = !s->plan; /* device_add: its function joins the plan now */
	if (run_time && (ret = plan_add_assign(dev, &m->pci_plan, &s->plan, err))) {
		release(s);
		return ret;
	}
	s->vp_started = true; /* virtio_pci_destroy is safe on a half-set-up one */
	/* on the machine's list, bound to the VM and the main loop if they
	 * exist (device_add while the guest runs) */
	if ((ret = virtio_pci_init(&s->vp, s->plan, &s->ops, s, &s->dma, NVECTORS, err)) ||
	    (ret = virtio_pci_start(&s->vp, &m->pci, err)) ||
	    (ret = virtio_pci_list_add(&m->virtio, &s->vp, err))) {
		release(s);
		if (run_time) {
			m->pci_plan.nr--;
			pci_plan_assign(&m->pci_plan, err);
		}
		return ret;
	}
	return 0;
}

static int vmem_unplug_request(struct device *dev, struct kverr *err)
{
	(void)dev;
	return kverr_set(err, EBUSY, "virtio based memory devices cannot be unplugged.");
}

static void vmem_unrealize(struct device *dev)
{
	release(dev->state);
}

static const struct dev_driver virtio_mem_pci = {
    .name = "virtio-mem-pci",
    .categories = DEV_CAT(DEV_CAT_MISC),
    .bus = DEV_BUS_PCI,
    .user_creatable = true,
    .hotpluggable = true,
    .props = props,
    .state_size = sizeof(struct vmem_pci),
    .plan = vmem_plan,
    .pre_plug = vmem_pre_plug,
    .realize = vmem_realize,
    .unplug_request = vmem_unplug_request,
    .unrealize = vmem_unrealize,
};
DEV_DRIVER_REGISTER(virtio_mem_pci)

/* ---- what the machine and QMP ask ---- */

static struct vmem_pci *started(const struct device *dev)
{
	struct vmem_pci *s = dev->state;

	return dev->drv == &virtio_mem_pci && dev->realized && s->started ? s : NULL;
}

unsigned virtio_mem_pci_ranges(const struct dev_set *set, const struct device *self,
			       struct dimm_plugged *out, unsigned max)
{
	unsigned n = 0;

	for (struct device *d = set->first; d && n < max; d = d->next) {
		struct vmem_pci *s = started(d);

		if (d == self || !s)
			continue;
		out[n++] = (struct dimm_plugged){
		    .id = d->id, .addr = s->addr, .size = s->region->size, .slot = DIMM_NO_SLOT};
	}
	return n;
}

void virtio_mem_pci_query(struct machine *m, json_t *list)
{
	for (struct device *d = m->devs.set.first; d; d = d->next) {
		struct vmem_pci *s = started(d);
		struct vmem_info info;
		json_t *data;

		if (!s)
			continue;
		vmem_get_info(&s->vm, &info);
		/* QEMU 7.2's order of VirtioMEMDeviceInfo's fields */
		data = json_pack("{s:s, s:I, s:I, s:I, s:i, s:I, s:I}", "memdev",
				 dev_val(d, P_MEMDEV)->s, "memaddr", (json_int_t)info.addr,
				 "block-size", (json_int_t)info.block_size, "size",
				 (json_int_t)info.plugged_size, "node", (int)info.node, "max-size",
				 (json_int_t)info.region_size, "requested-size",
				 (json_int_t)info.requested_size);
		if (!data)
			continue;
		if (d->id)
			json_object_set_new(data, "id", json_string(d->id));
		json_array_append_new(list,
				      json_pack("{s:s, s:o}", "type", "virtio-mem", "data", data));
	}
}

uint64_t virtio_mem_pci_plugged(struct machine *m, int64_t node)
{
	uint64_t sum = 0;

	for (struct device *d = m->devs.set.first; d; d = d->next) {
		struct vmem_pci *s = started(d);
		struct vmem_info info;

		if (!s)
			continue;
		vmem_get_info(&s->vm, &info);
		if (node < 0 || info.node == node)
			sum += info.plugged_size;
	}
	return sum;
}
