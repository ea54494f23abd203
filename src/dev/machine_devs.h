/* machine_devs.h - the device registry inside the machine.
 *
 * Owns: the machine's set of devices (created from -device in the plan and
 * device stages, by device_add at run time), its object tree as QMP sees
 * it (/machine's own properties come from here), the eventfd through which
 * a driver's unplug finished on another thread reaches the main loop, and
 * the QMP commands over them: device_add, device_del,
 * device-list-properties, qom-list, qom-get, qom-set and
 * x-kvmem-query-device-help (the human monitor's "device_add help").
 * Never: parses or checks a device option itself (src/config/device.c and
 * src/dev/ do).
 */
#ifndef KVMEM_DEV_MACHINE_DEVS_H
#define KVMEM_DEV_MACHINE_DEVS_H

#include "dev/devset.h"
#include "dev/qmp.h"
#include "dev/qom.h"
#include "qmp/dispatch.h"
#include "util/loop.h"

struct machine;

struct machine_devs {
	struct dev_set set;
	struct qom qom;
	struct qom_host host;
	struct loop *loop;
	int kick_fd; /* eventfd, -1 until attached */
};

/* Plan stage (pure): the set, the machine's buses, every -device prepared
 * (checked and typed; no driver hook runs). */
int machine_devs_plan(struct machine *m, struct kverr *err);
/* Plan stage, after machine_devs_plan: each -device's plan hook, in order
 * (its PCI slot and BARs); errors as "-device ARG: ...". */
int machine_devs_plan_places(struct machine *m, struct kverr *err);
/* Device stage: pre_plug, realize and plug each -device in order; from
 * then on device_add is a hotplug. */
int machine_devs_realize(struct machine *m, struct kverr *err);
/* Run stage: the eventfd in the main loop. */
int machine_devs_attach(struct machine *m, struct loop *loop, struct kverr *err);
void machine_devs_destroy(struct machine *m);

int machine_devs_cmd_device_add(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int machine_devs_cmd_device_del(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int machine_devs_cmd_list_properties(const struct qmp_request *req, json_t **ret,
				     struct qmp_error *err);
int machine_devs_cmd_qom_list(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int machine_devs_cmd_qom_get(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int machine_devs_cmd_qom_set(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int machine_devs_cmd_device_help(const struct qmp_request *req, json_t **ret,
				 struct qmp_error *err);

/* The rows of these commands, for commands.c's table. */
#define MACHINE_DEVS_QMP_COMMANDS                                                                  \
	{.name = "device_add",                                                                     \
	 .fn = machine_devs_cmd_device_add,                                                        \
	 .args = dev_qmp_device_add_args,                                                          \
	 .flags = QMP_CMD_OPEN_ARGS,                                                               \
	 .features = dev_qmp_device_add_features},                                                 \
	    {.name = "device_del",                                                                 \
	     .fn = machine_devs_cmd_device_del,                                                    \
	     .args = dev_qmp_device_del_args},                                                     \
	    {.name = "device-list-properties",                                                     \
	     .fn = machine_devs_cmd_list_properties,                                               \
	     .args = dev_qmp_list_properties_args,                                                 \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "qom-list",                                                                   \
	     .fn = machine_devs_cmd_qom_list,                                                      \
	     .args = dev_qmp_qom_list_args,                                                        \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "qom-get",                                                                    \
	     .fn = machine_devs_cmd_qom_get,                                                       \
	     .args = dev_qmp_qom_get_args,                                                         \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "qom-set", .fn = machine_devs_cmd_qom_set, .args = dev_qmp_qom_set_args},     \
	{                                                                                          \
		.name = "x-kvmem-query-device-help", .fn = machine_devs_cmd_device_help,           \
		.args = dev_qmp_device_help_args                                                   \
	}

#endif
