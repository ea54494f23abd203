/* machine_devs.c - the device registry inside the machine; see
 * machine_devs.h.
 *
 * The set's link resolver is the configuration's (-object memory
 * backends); DEVICE_DELETED goes to the monitors; a driver's
 * dev_unplug_done_async() writes the eventfd and the main loop finishes
 * the unplug (dev_set_run_pending), so a vCPU thread never touches the
 * device list.
 */
#include "dev/machine_devs.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "config/device.h"
#include "dev/qmp.h"
#include "machine.h"
#include "qmp/server.h"

static void on_event(void *ctx, const char *name, json_t *data)
{
	struct machine *m = ctx;

	if (m->mon)
		monitors_event(m->mon, name, data);
	else
		json_decref(data);
}

static void kick(void *ctx)
{
	struct machine *m = ctx;
	uint64_t one = 1;

	/* the counter cannot overflow in practice; a full one is still readable */
	if (m->devs.kick_fd >= 0 && write(m->devs.kick_fd, &one, sizeof(one)) < 0) {
	}
}

/* Before the host memory exists (-device checked in the plan stage), a
 * memdev link names an -object; from then on it names a backend object
 * that exists now (object-add'ed ones included, object-del'ed ones not),
 * and its target is that object's description. */
static int resolve_link(void *ctx, const char *kind, const char *name, void **target, char *path,
			size_t size)
{
	struct machine *m = ctx;
	struct memdev *md;

	if (!m->mem || strcmp(kind, "memory-backend"))
		return config_device_link((void *)m->cfg, kind, name, target, path, size);
	md = memdevs_find(&m->memdevs, config_memdev_link_id(name));
	if (!md)
		return -ENODEV;
	*target = &md->spec;
	snprintf(path, size, "/objects/%s", md->spec.id);
	return 0;
}

static const struct dev_set_ops ops = {
    .resolve_link = resolve_link,
    .event = on_event,
    .kick = kick,
};

/* /machine's properties: what kvmem's machine has of QEMU's pc's. */
static const struct qom_prop_desc machine_props[] = {
    {"kernel", "string"},
    {"initrd", "string"},
    {"append", "string"},
    {"smp", "SMPConfiguration"},
    {"memory", "MemorySizeConfiguration"},
    {NULL, NULL},
};

static int machine_get(void *ctx, const char *name, json_t **out, struct kverr *err)
{
	struct machine *m = ctx;
	const struct config *cfg = m->cfg;

	if (!strcmp(name, "kernel"))
		*out = json_string(cfg->kernel ? cfg->kernel : "");
	else if (!strcmp(name, "initrd"))
		*out = json_string(cfg->initrd ? cfg->initrd : "");
	else if (!strcmp(name, "append"))
		*out = json_string(cfg->append ? cfg->append : "");
	else if (!strcmp(name, "smp"))
		*out = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "cpus", cfg->smp.cpus,
				 "maxcpus", cfg->smp.maxcpus, "threads", cfg->smp.threads, "cores",
				 cfg->smp.cores, "dies", cfg->smp.dies, "sockets", cfg->smp.sockets,
				 "clusters", 1);
	else if (!strcmp(name, "memory"))
		*out = json_pack("{s:I, s:i, s:I}", "size", (json_int_t)cfg->mem.size, "slots",
				 cfg->mem.slots, "max-size", (json_int_t)cfg->mem.maxmem);
	else
		return kverr_set(err, EINVAL, "Property 'pc-i440fx-7.2-machine.%s' not found",
				 name);
	return *out ? 0 : kverr_set(err, ENOMEM, "out of memory");
}

int machine_devs_plan(struct machine *m, struct kverr *err)
{
	struct machine_devs *d = &m->devs;

	d->kick_fd = -1;
	dev_set_init(&d->set, &dev_builtin, &ops, m);
	d->set.machine = m;
	d->host = (struct qom_host){
	    .machine_type = m->cfg->compat.machine_none ? "none-machine" : "pc-i440fx-7.2-machine",
	    .nr_cpus = m->cfg->compat.machine_none ? 0 : m->cfg->smp.cpus,
	    .cpu_type = "host-x86_64-cpu",
	    .machine_props = machine_props,
	    .machine_get = machine_get,
	    .ctx = m};
	d->qom = (struct qom){.devs = &d->set, .host = &d->host};
	if (dev_builtin.broken)
		return kverr_set(err, EINVAL, "%s", dev_builtin.err.msg);
	return config_devices_prepare(m->cfg, &d->set, err);
}

int machine_devs_plan_places(struct machine *m, struct kverr *err)
{
	for (struct device *dev = m->devs.set.first; dev; dev = dev->next) {
		struct kverr e;
		int ret = dev->drv->plan ? dev->drv->plan(dev, &e) : 0;

		if (ret)
			return kverr_set(err, -ret, "-device %s: %s",
					 dev->arg ? dev->arg : dev->path, e.msg);
	}
	return 0;
}

int machine_devs_realize(struct machine *m, struct kverr *err)
{
	struct dev_set *s = &m->devs.set;

	for (struct device *dev = s->first; dev; dev = dev->next) {
		struct kverr e;
		int ret = dev_realize(dev, &e);

		if (ret)
			return kverr_set(err, -ret, "-device %s: %s",
					 dev->arg ? dev->arg : dev->path, e.msg);
	}
	s->machine_ready = true;
	return 0;
}

static void on_kick(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	uint64_t v;

	(void)events;
	if (read(m->devs.kick_fd, &v, sizeof(v)) < 0) {
		/* spurious wake-up */
	}
	dev_set_run_pending(&m->devs.set);
}

int machine_devs_attach(struct machine *m, struct loop *loop, struct kverr *err)
{
	struct machine_devs *d = &m->devs;
	int ret;

	d->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->kick_fd < 0)
		return kverr_sys(err, errno, "eventfd");
	ret = loop_add(loop, d->kick_fd, EPOLLIN, on_kick, m);
	if (ret) {
		close(d->kick_fd);
		d->kick_fd = -1;
		return kverr_sys(err, -ret, "epoll");
	}
	d->loop = loop;
	/* an unplug finished before the loop ran */
	dev_set_run_pending(&d->set);
	return 0;
}

void machine_devs_destroy(struct machine *m)
{
	struct machine_devs *d = &m->devs;

	dev_set_fini(&d->set);
	if (d->kick_fd >= 0) {
		if (d->loop)
			loop_del(d->loop, d->kick_fd);
		close(d->kick_fd);
	}
	d->kick_fd = -1;
}

static struct machine_devs *devs_of(const struct qmp_request *req)
{
	return &((struct machine *)req->ctx)->devs;
}

int machine_devs_cmd_device_add(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	return dev_qmp_device_add(&devs_of(req)->set, req->args, err);
}

int machine_devs_cmd_device_del(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	return dev_qmp_device_del(&devs_of(req)->qom, req->args, err);
}

int machine_devs_cmd_list_properties(const struct qmp_request *req, json_t **ret,
				     struct qmp_error *err)
{
	return dev_qmp_device_list_properties(devs_of(req)->set.reg, req->args, ret, err);
}

int machine_devs_cmd_qom_list(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	return dev_qmp_qom_list(&devs_of(req)->qom, req->args, ret, err);
}

int machine_devs_cmd_qom_get(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	return dev_qmp_qom_get(&devs_of(req)->qom, req->args, ret, err);
}

int machine_devs_cmd_qom_set(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	(void)ret;
	return dev_qmp_qom_set(&devs_of(req)->qom, req->args, err);
}

int machine_devs_cmd_device_help(const struct qmp_request *req, json_t **ret, struct qmp_error *err)
{
	return dev_qmp_device_help(devs_of(req)->set.reg, req->args, ret, err);
}
