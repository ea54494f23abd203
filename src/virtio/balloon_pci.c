/* balloon_pci.c - virtio-balloon-pci in the registry; see balloon_pci.h.
 *
 * QEMU 7.2 checks a virtio-balloon-pci in this order: the PCI slot
 * (do_pci_register_device), then the balloon handler ("Only one balloon
 * device is supported").  kvmem checks the slot in the plan stage (the
 * plan hook puts the function in the machine's PCI plan, so -print-layout
 * shows its place and BARs), the one balloon in pre_plug, and starts the
 * device in realize.
 */
#include "virtio/balloon_pci.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev/devset.h"
#include "dev/registry.h"
#include "machine.h"
#include "mem/manager.h"
#include "qmp/json.h"
#include "qmp/server.h"
#include "qmp/throttle.h"
#include "virtio/balloon.h"

enum {
	P_ADDR,
	P_DEFLATE_ON_OOM,
	P_FREE_PAGE_REPORTING,
	P_PAGE_POISON,
	P_POLL_INTERVAL,
	P_GUEST_STATS,
};

struct balloon_pci {
	struct balloon b;
	struct machine *m;
	struct dma_space dma;
	struct pci_plan_func *plan;
	bool started;
	/* BALLOON_CHANGE: a vCPU sets the value, the main loop sends it */
	struct qmp_throttle change;
};

static const struct dev_driver balloon_pci_driver;

/* ---- the memory behind the balloon: the manager's page state ---- */

static int mem_inflate(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err)
{
	struct balloon_pci *s = ctx;

	return mem_pages_give(s->m->mem, gpa, len, MEM_PAGE_BALLOONED, NULL, err);
}

static int mem_deflate(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err)
{
	struct balloon_pci *s = ctx;

	return mem_pages_take(s->m->mem, gpa, len, MEM_PAGE_BALLOONED, err);
}

static int mem_report(void *ctx, uint64_t gpa, uint64_t len, struct kverr *err)
{
	struct balloon_pci *s = ctx;

	return mem_pages_give(s->m->mem, gpa, len, MEM_PAGE_REPORTED, NULL, err);
}

static int mem_sweep(void *ctx, struct kverr *err)
{
	struct balloon_pci *s = ctx;

	return mem_pages_sweep(s->m->mem, NULL, err);
}

static void mem_reset(void *ctx)
{
	struct balloon_pci *s = ctx;

	mem_pages_reset(s->m->mem, MEM_PAGE_BALLOONED | MEM_PAGE_REPORTED);
}

/* QEMU's get_current_ram_size(): boot RAM and plugged DIMMs. */
static uint64_t mem_ram_size(void *ctx)
{
	struct balloon_pci *s = ctx;
	const struct mem_view *v = mem_view_begin(s->m->mem);
	uint64_t size = 0;

	for (unsigned i = 0; i < v->nr_regions; i++)
		if (v->region[i]->kind == MEM_REGION_RAM || v->region[i]->kind == MEM_REGION_DIMM)
			size += v->region[i]->size;
	mem_view_end(s->m->mem);
	return size;
}

/* vCPU thread (the driver wrote `actual`): on to the main loop. */
static void mem_changed(void *ctx, uint64_t actual_bytes)
{
	struct balloon_pci *s = ctx;

	qmp_throttle_set(&s->change, actual_bytes);
}

/* ---- BALLOON_CHANGE on the main loop ---- */

/* at most one a second, as QEMU's monitor sends it (qmp/throttle.h) */
static void send_change(void *opaque, uint64_t actual)
{
	struct balloon_pci *s = opaque;
	json_t *data = json_pack("{s:I}", "actual", (json_int_t)actual);

	if (s->m->mon)
		monitors_event(s->m->mon, "BALLOON_CHANGE", data);
	else
		json_decref(data);
}

/* Main thread (pci_list.h): the main loop exists, BALLOON_CHANGE can be
 * sent from it.  dev is the device model, inside its balloon_pci. */
static int attach_loop(void *dev, struct loop *loop, struct kverr *err)
{
	struct balloon_pci *s =
	    (struct balloon_pci *)((char *)dev - offsetof(struct balloon_pci, b));

	return qmp_throttle_attach(&s->change, loop, err);
}

/* ---- properties ---- */

static int get_stats(struct device *dev, const struct dev_prop *p, json_t **out, struct kverr *err)
{
	struct balloon_pci *s = dev->state;
	struct balloon_stats st;
	json_t *stats = json_object();

	(void)p;
	if (!stats)
		return kverr_set(err, ENOMEM, "out of memory");
	st.last_update = 0;
	for (unsigned i = 0; i < BALLOON_NR_STATS; i++)
		st.stat[i] = UINT64_MAX;
	if (s->started)
		balloon_get_stats(&s->b, &st);
	/* u64 stats, as QEMU prints them: UINT64_MAX is "not reported" */
	for (unsigned i = 0; i < BALLOON_NR_STATS; i++)
		json_object_set_new(stats, balloon_stat_names[i], qmp_json_uint(st.stat[i]));
	*out = json_pack("{s:o, s:I}", "stats", stats, "last-update", (json_int_t)st.last_update);
	return *out ? 0 : kverr_set(err, ENOMEM, "out of memory");
}

static int set_interval(struct device *dev, const struct dev_prop *p, const struct dev_value *v,
			struct kverr *err)
{
	struct balloon_pci *s = dev->state;

	(void)p;
	if (!s->started) { /* set before realize: the same checks */
		if (v->i < 0)
			return kverr_set(err, EINVAL, "timer value must be greater than zero");
		if (v->i > UINT32_MAX)
			return kverr_set(err, EINVAL, "timer value is too big");
		return 0;
	}
	return balloon_set_poll_interval(&s->b, v->i, err);
}

static const struct dev_prop props[] = {
    [P_ADDR] = {.name = "addr",
		.type = DEV_PROP_PCI_ADDR,
		.help = "Slot and optional function number, example: 06.0 or 06",
		.has_default = true,
		.def.i = -1},
    [P_DEFLATE_ON_OOM] = {.name = "deflate-on-oom",
			  .type = DEV_PROP_BOOL,
			  .help = "on/off",
			  .has_default = true},
    [P_FREE_PAGE_REPORTING] = {.name = "free-page-reporting",
			       .type = DEV_PROP_BOOL,
			       .help = "on/off",
			       .has_default = true},
    [P_PAGE_POISON] = {.name = "page-poison",
		       .type = DEV_PROP_BOOL,
		       .help = "on/off",
		       .has_default = true,
		       .def.b = true},
    [P_POLL_INTERVAL] = {.name = "guest-stats-polling-interval",
			 .type = DEV_PROP_INT64,
			 .access = DEV_PROP_RUNTIME,
			 .type_name = "int",
			 .set = set_interval},
    [P_GUEST_STATS] = {.name = "guest-stats",
		       .type = DEV_PROP_JSON,
		       .access = DEV_PROP_READONLY,
		       .type_name = "guest statistics",
		       .get = get_stats},
    {.name = NULL},
};

/* ---- life ---- */

static void describe(struct device *dev, struct balloon *b, unsigned *nvectors)
{
	struct balloon_props bp = {
	    .deflate_on_oom = dev_val(dev, P_DEFLATE_ON_OOM)->b,
	    .free_page_reporting = dev_val(dev, P_FREE_PAGE_REPORTING)->b,
	    .page_poison = dev_val(dev, P_PAGE_POISON)->b,
	};

	balloon_describe(b, &bp);
	/* a vector per queue and one for config changes: Linux then gives
	 * each queue its own (QEMU's balloon has INTx only) */
	*nvectors = b->ops.nr_queues + 1;
}

/* Plan stage: the function's slot and BARs in the machine's plan (QEMU's
 * slot checks and messages; the BARs get their addresses once every
 * device is planned). */
static int balloon_pci_plan(struct device *dev, struct kverr *err)
{
	struct balloon_pci *s = dev->state;
	struct machine *m = dev->set->machine;
	struct balloon *b = malloc(sizeof(*b));
	unsigned nvectors;
	int ret;

	if (!b)
		return kverr_set(err, ENOMEM, "out of memory");
	describe(dev, b, &nvectors);
	ret = virtio_pci_plan_add(&m->pci_plan, &b->ops, nvectors, balloon_pci_driver.name, dev->id,
				  dev_val(dev, P_ADDR)->i, &s->plan, err);
	free(b);
	if (ret)
		return ret;
	return set_interval(dev, NULL, dev_val(dev, P_POLL_INTERVAL), err);
}

static int balloon_pci_pre_plug(struct device *dev, struct kverr *err)
{
	struct balloon_pci *s = dev->state;
	struct machine *m = dev->set->machine;

	if (!s->plan) /* device_add at run time: not planned */
		return kverr_set(err, ENOTSUP, "virtio-balloon-pci: only -device can create it");
	if (m->balloon)
		return kverr_set(err, EBUSY, "Only one balloon device is supported");
	return 0;
}

static void cleanup(struct balloon_pci *s)
{
	if (s->m)
		virtio_pci_list_remove(&s->m->virtio, &s->b.vp);
	if (s->started)
		balloon_destroy(&s->b);
	s->started = false;
	qmp_throttle_fini(&s->change);
}

static int balloon_pci_realize(struct device *dev, struct kverr *err)
{
	struct balloon_pci *s = dev->state;
	struct machine *m = dev->set->machine;
	struct balloon_mem_ops ops = {
	    .ctx = s,
	    .inflate = mem_inflate,
	    .deflate = mem_deflate,
	    .report = mem_report,
	    .reset = mem_reset,
	    .sweep = mem_sweep,
	    .ram_size = mem_ram_size,
	    .changed = mem_changed,
	};
	unsigned nvectors;
	int ret;

	s->m = m;
	if ((ret = qmp_throttle_init(&s->change, "virtio-balloon-pci", send_change, s, err))) {
		cleanup(s);
		return ret;
	}
	describe(dev, &s->b, &nvectors);
	s->b.ops.attach_loop = attach_loop;
	s->dma.mm = m->mem;
	s->started = true; /* balloon_destroy is safe on a half-set-up device */
	if ((ret = balloon_init(&s->b, s->plan, &s->dma, nvectors, &ops, err)) ||
	    (ret = balloon_start(&s->b, &m->pci, err)) ||
	    (ret = balloon_set_poll_interval(&s->b, dev_val(dev, P_POLL_INTERVAL)->i, err)) ||
	    (ret = virtio_pci_list_add(&m->virtio, &s->b.vp, err))) {
		pci_bus_remove(&m->pci, &s->b.vp.func);
		cleanup(s);
		return ret;
	}
	return 0;
}

static void balloon_pci_plug(struct device *dev)
{
	struct balloon_pci *s = dev->state;

	s->m->balloon = s;
}

static void balloon_pci_unrealize(struct device *dev)
{
	struct balloon_pci *s = dev->state;

	if (s->m && s->m->balloon == s)
		s->m->balloon = NULL;
	if (s->m)
		pci_bus_remove(&s->m->pci, &s->b.vp.func);
	cleanup(s);
}

static const struct dev_driver balloon_pci_driver = {
    .name = "virtio-balloon-pci",
    .alias = "virtio-balloon",
    .categories = DEV_CAT(DEV_CAT_MISC),
    .bus = DEV_BUS_PCI,
    .user_creatable = true,
    .props = props,
    .state_size = sizeof(struct balloon_pci),
    .plan = balloon_pci_plan,
    .pre_plug = balloon_pci_pre_plug,
    .realize = balloon_pci_realize,
    .plug = balloon_pci_plug,
    .unrealize = balloon_pci_unrealize,
};

DEV_DRIVER_REGISTER(balloon_pci_driver)

/* ---- QMP ---- */

const struct qmp_arg balloon_pci_balloon_args[] = {
    {.name = "value", .type = QMP_TYPE_INT},
    {.name = NULL},
};

static struct balloon_pci *active(const struct qmp_request *req, struct qmp_error *err)
{
	struct machine *m = req->ctx;

	if (!m->balloon)
		qmp_error_set(err, QMP_ERR_DEVICE_NOT_ACTIVE,
			      "No balloon device has been activated");
	return m->balloon;
}

int balloon_pci_cmd_balloon(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	struct balloon_pci *s = active(req, err);
	json_int_t value = json_integer_value(json_object_get(req->args, "value"));

	(void)ret;
	if (!s)
		return -1;
	if (value <= 0)
		return qmp_error_set(err, QMP_ERR_GENERIC, "Parameter 'target' expects a size");
	balloon_set_target(&s->b, (uint64_t)value);
	return 0;
}

int balloon_pci_cmd_query_balloon(const struct qmp_request *req, json_t **ret,
				  struct qmp_error *err)
{
	struct balloon_pci *s = active(req, err);

	if (!s)
		return -1;
	*ret = json_pack("{s:I}", "actual", (json_int_t)balloon_actual(&s->b));
	return *ret ? 0 : qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
}
