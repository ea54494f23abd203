/* qmp.h - the QMP commands of devices and of the object tree.
 *
 * Owns: device_add, device_del, device-list-properties, qom-list,
 * qom-get and qom-set as QEMU 7.2 answers them, over a device set, the
 * registry and the object tree; and the text the human monitor's
 * device_add help shows.
 * Never: reaches the machine other than through the set and the tree, so
 * the unit tests run these commands over a test driver.
 *
 * Each returns 0 (with *ret where the command returns something) or -1
 * with err filled (DeviceNotFound where QEMU says so, else GenericError),
 * as a command function of dispatch.h does.
 */
#ifndef KVMEM_DEV_QMP_H
#define KVMEM_DEV_QMP_H

#include "dev/qom.h"
#include "qmp/dispatch.h"

/* The arguments the table declares for each (device_add declares none and
 * takes any: QEMU's device_add checks its own, as 'gen': false). */
extern const struct qmp_arg dev_qmp_device_add_args[];
extern const char *const dev_qmp_device_add_features[];
extern const struct qmp_arg dev_qmp_device_del_args[];
extern const struct qmp_arg dev_qmp_list_properties_args[];
extern const struct qmp_arg dev_qmp_qom_list_args[];
extern const struct qmp_arg dev_qmp_qom_get_args[];
extern const struct qmp_arg dev_qmp_qom_set_args[];

int dev_qmp_device_add(struct dev_set *s, json_t *args, struct qmp_error *err);
int dev_qmp_device_del(const struct qom *q, json_t *args, struct qmp_error *err);
int dev_qmp_device_list_properties(const struct dev_registry *r, json_t *args, json_t **ret,
				   struct qmp_error *err);
int dev_qmp_qom_list(const struct qom *q, json_t *args, json_t **ret, struct qmp_error *err);
int dev_qmp_qom_get(const struct qom *q, json_t *args, json_t **ret, struct qmp_error *err);
int dev_qmp_qom_set(const struct qom *q, json_t *args, struct qmp_error *err);

/* x-kvmem-query-device-help [driver]: HumanReadableText of -device help,
 * or of -device DRIVER,help, for the human monitor's device_add help. */
extern const struct qmp_arg dev_qmp_device_help_args[];
int dev_qmp_device_help(const struct dev_registry *r, json_t *args, json_t **ret,
			struct qmp_error *err);

#endif
