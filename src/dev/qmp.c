/* qmp.c - QMP commands for devices and the object tree; see qmp.h. */
#include "dev/qmp.h"

#include <errno.h>
#include <string.h>

#include "dev/opts.h"
#include "util/buf.h"

/* What QEMU 7.2's schema declares for device_add; the properties are
 * checked by the registry (QMP_CMD_OPEN_ARGS).  The features say -device
 * takes the JSON form with these arguments' shape, which kvmem's does. */
const struct qmp_arg dev_qmp_device_add_args[] = {
    {.name = "driver", .type = QMP_TYPE_STR, .optional = true},
    {.name = "bus", .type = QMP_TYPE_ANY, .optional = true},
    {.name = "id", .type = QMP_TYPE_ANY, .optional = true},
    {.name = NULL},
};
const char *const dev_qmp_device_add_features[] = {"json-cli", "json-cli-hotplug", NULL};

const struct qmp_arg dev_qmp_device_del_args[] = {
    {.name = "id", .type = QMP_TYPE_STR},
    {.name = NULL},
};

const struct qmp_arg dev_qmp_list_properties_args[] = {
    {.name = "typename", .type = QMP_TYPE_STR},
    {.name = NULL},
};

const struct qmp_arg dev_qmp_qom_list_args[] = {
    {.name = "path", .type = QMP_TYPE_STR},
    {.name = NULL},
};

const struct qmp_arg dev_qmp_qom_get_args[] = {
    {.name = "path", .type = QMP_TYPE_STR},
    {.name = "property", .type = QMP_TYPE_STR},
    {.name = NULL},
};

const struct qmp_arg dev_qmp_qom_set_args[] = {
    {.name = "path", .type = QMP_TYPE_STR},
    {.name = "property", .type = QMP_TYPE_STR},
    {.name = "value", .type = QMP_TYPE_ANY},
    {.name = NULL},
};

/* A module's -errno and message as QMP's error: -ENODEV is QEMU's
 * DeviceNotFound, the rest GenericError. */
static int fail(int ret, const struct kverr *e, struct qmp_error *err)
{
	return qmp_error_set(err, ret == -ENODEV ? QMP_ERR_DEVICE_NOT_FOUND : QMP_ERR_GENERIC, "%s",
			     e->msg);
}

static const char *str(json_t *args, const char *name)
{
	return json_string_value(json_object_get(args, name));
}

int dev_qmp_device_add(struct dev_set *s, json_t *args, struct qmp_error *err)
{
	struct kverr e = {{0}};
	struct dev_opts o;
	int ret;

	ret = dev_opts_from_qmp(args, &o, &e);
	if (!ret) {
		ret = dev_add(s, &o, NULL, &e);
		dev_opts_free(&o);
	}
	return ret ? fail(ret, &e, err) : 0;
}

int dev_qmp_device_del(const struct qom *q, json_t *args, struct qmp_error *err)
{
	struct kverr e = {{0}};
	struct device *dev;
	int ret = qom_find_device(q, str(args, "id"), &dev, &e);

	if (!ret)
		ret = dev_unplug(dev, &e);
	return ret ? fail(ret, &e, err) : 0;
}

int dev_qmp_device_list_properties(const struct dev_registry *r, json_t *args, json_t **ret,
				   struct qmp_error *err)
{
	const char *name = str(args, "typename");
	const struct dev_driver *drv = dev_registry_find(r, name);

	/* QEMU looks the type up by its name, not by a -device alias */
	if (!drv)
		return qmp_error_set(err, QMP_ERR_DEVICE_NOT_FOUND, "Device '%s' not found", name);
	*ret = dev_driver_props_json(drv);
	return 0;
}

int dev_qmp_qom_list(const struct qom *q, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct kverr e = {{0}};
	int r = qom_list(q, str(args, "path"), ret, &e);

	return r ? fail(r, &e, err) : 0;
}

int dev_qmp_qom_get(const struct qom *q, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct kverr e = {{0}};
	int r = qom_get(q, str(args, "path"), str(args, "property"), ret, &e);

	return r ? fail(r, &e, err) : 0;
}

int dev_qmp_qom_set(const struct qom *q, json_t *args, struct qmp_error *err)
{
	struct kverr e = {{0}};
	int r = qom_set(q, str(args, "path"), str(args, "property"), json_object_get(args, "value"),
			&e);

	return r ? fail(r, &e, err) : 0;
}

const struct qmp_arg dev_qmp_device_help_args[] = {
    {.name = "driver", .type = QMP_TYPE_STR, .optional = true},
    {.name = NULL},
};

int dev_qmp_device_help(const struct dev_registry *r, json_t *args, json_t **ret,
			struct qmp_error *err)
{
	struct kverr e = {{0}};
	struct buf b = {0};
	int rc = dev_registry_help(r, str(args, "driver"), &b, &e);

	if (rc) {
		buf_free(&b);
		return fail(rc, &e, err);
	}
	if (b.failed) {
		buf_free(&b);
		return qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
	}
	*ret = json_pack("{s:s}", "human-readable-text", b.data ? b.data : "");
	buf_free(&b);
	return 0;
}
