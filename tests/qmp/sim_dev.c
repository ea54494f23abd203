/* sim_dev.c - kvmem-sim's test device: every kind of property and the whole
 * life of a hotpluggable device, driven end to end through kvmem's real
 * -device, device_add, device_del and qom-* paths.
 *
 * Linked into kvmem-sim and the QMP fuzzer only: kvmem itself registers no
 * such driver, and its -device help does not list it.
 *
 *   kvmem-sim-dev,memdev=ID (required, as pc-dimm's),label=,flag=,count=,
 *                 offset=,slot=,size=,mode=on|off|auto,level=,
 *                 fail-realize=on, refuse-unplug=on, unplug-delay-ms=N
 *
 * level can be changed by qom-set while the device runs (not below 0);
 * status (read-only) shows level and how many unplug requests came.
 * device_del asks the "guest", which lets go after unplug-delay-ms on a
 * thread of its own (dev_unplug_done_async, as a vCPU thread handling an
 * ACPI eject would), or refuses with refuse-unplug=on.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "dev/dev.h"
#include "dev/registry.h"

#define SIM_MAX_DELAY_MS 2000

enum {
	P_MEMDEV,
	P_LABEL,
	P_FLAG,
	P_COUNT,
	P_OFFSET,
	P_SLOT,
	P_SIZE,
	P_MODE,
	P_LEVEL,
	P_STATUS,
	P_FAIL_REALIZE,
	P_REFUSE_UNPLUG,
	P_UNPLUG_DELAY,
};

struct sim_dev {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool thread_live;
	bool cancel;
	unsigned unplug_requests;
};

static int set_level(struct device *dev, const struct dev_prop *p, const struct dev_value *v,
		     struct kverr *err)
{
	(void)dev;
	if (v->i < 0)
		return kverr_set(err, EINVAL, "Property '%s' must not be negative", p->name);
	return 0;
}

static int get_status(struct device *dev, const struct dev_prop *p, json_t **out, struct kverr *err)
{
	struct sim_dev *s = dev->state;

	(void)p;
	(void)err;
	pthread_mutex_lock(&s->lock);
	*out = json_pack("{s:I, s:i}", "level", (json_int_t)dev_val(dev, P_LEVEL)->i,
			 "unplug-requests", s->unplug_requests);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static const char *const on_off_auto[] = {"on", "off", "auto", NULL};

static const struct dev_prop sim_props[] = {
    [P_MEMDEV] = {.name = "memdev",
		  .type = DEV_PROP_LINK,
		  .link_kind = "memory-backend",
		  .required = "'memdev' property must be set"},
    [P_LABEL] = {.name = "label", .type = DEV_PROP_STR, .has_default = true, .def.s = "sim"},
    [P_FLAG] = {.name = "flag", .type = DEV_PROP_BOOL, .help = "on/off", .has_default = true},
    [P_COUNT] = {.name = "count", .type = DEV_PROP_UINT32, .has_default = true, .def.u = 1},
    [P_OFFSET] = {.name = "offset", .type = DEV_PROP_UINT64, .has_default = true},
    [P_SLOT] = {.name = "slot", .type = DEV_PROP_INT32, .has_default = true, .def.i = -1},
    [P_SIZE] = {.name = "size", .type = DEV_PROP_SIZE},
    [P_MODE] = {.name = "mode",
		.type = DEV_PROP_ENUM,
		.type_name = "OnOffAuto",
		.values = on_off_auto,
		.help = "on/off/auto",
		.has_default = true,
		.def.s = "auto"},
    [P_LEVEL] = {.name = "level",
		 .type = DEV_PROP_INT64,
		 .type_name = "int",
		 .access = DEV_PROP_RUNTIME,
		 .set = set_level},
    [P_STATUS] = {.name = "status",
		  .type = DEV_PROP_JSON,
		  .type_name = "sim status",
		  .access = DEV_PROP_READONLY,
		  .get = get_status},
    [P_FAIL_REALIZE] = {.name = "fail-realize", .type = DEV_PROP_BOOL, .has_default = true},
    [P_REFUSE_UNPLUG] = {.name = "refuse-unplug", .type = DEV_PROP_BOOL, .has_default = true},
    [P_UNPLUG_DELAY] = {.name = "unplug-delay-ms", .type = DEV_PROP_UINT32, .has_default = true},
    {.name = NULL},
};

static int sim_realize(struct device *dev, struct kverr *err)
{
	struct sim_dev *s = dev->state;

	if (dev_val(dev, P_FAIL_REALIZE)->b)
		return kverr_set(err, EINVAL, "kvmem-sim-dev: realize refused (fail-realize=on)");
	if (dev_val(dev, P_UNPLUG_DELAY)->u > SIM_MAX_DELAY_MS)
		return kverr_set(err, EINVAL, "kvmem-sim-dev: unplug-delay-ms is at most %d",
				 SIM_MAX_DELAY_MS);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	return 0;
}

/* The "guest": lets go of the device after the delay, unless told to stop. */
static void *guest_eject(void *opaque)
{
	struct device *dev = opaque;
	struct sim_dev *s = dev->state;
	uint64_t ms = dev_val(dev, P_UNPLUG_DELAY)->u;
	struct timespec until;
	bool cancel;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->cancel && pthread_cond_timedwait(&s->cond, &s->lock, &until) != ETIMEDOUT) {
	}
	cancel = s->cancel;
	pthread_mutex_unlock(&s->lock);
	if (!cancel)
		dev_unplug_done_async(dev);
	return NULL;
}

static int sim_unplug_request(struct device *dev, struct kverr *err)
{
	struct sim_dev *s = dev->state;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	s->unplug_requests++;
	if (dev_val(dev, P_REFUSE_UNPLUG)->b) {
		ret = kverr_set(err, EBUSY, "kvmem-sim-dev: the guest refuses to let %s go",
				dev->id ? dev->id : dev->path);
	} else if (!s->thread_live) {
		if (!dev_val(dev, P_UNPLUG_DELAY)->u)
			dev_unplug_done_async(dev);
		else if (pthread_create(&s->thread, NULL, guest_eject, dev))
			ret = kverr_set(err, EAGAIN, "kvmem-sim-dev: cannot start its thread");
		else
			s->thread_live = true;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void sim_unrealize(struct device *dev)
{
	struct sim_dev *s = dev->state;

	pthread_mutex_lock(&s->lock);
	s->cancel = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->thread_live)
		pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

static const struct dev_driver sim_dev_driver = {
    .name = "kvmem-sim-dev",
    .desc = "kvmem-sim's test device",
    .categories = DEV_CAT(DEV_CAT_MISC),
    .bus = DEV_BUS_NONE,
    .user_creatable = true,
    .hotpluggable = true,
    .props = sim_props,
    .state_size = sizeof(struct sim_dev),
    .realize = sim_realize,
    .unplug_request = sim_unplug_request,
    .unrealize = sim_unrealize,
};

DEV_DRIVER_REGISTER(sim_dev_driver)
