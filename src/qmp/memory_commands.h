/* memory_commands.h - the QMP commands of run-time memory: backend objects
 * (object-add, object-del) and what the guest's memory devices report.
 * commands.c lists them in its table; they follow its rules (commands.h):
 * the dispatcher has checked the declared arguments, answers carry QEMU
 * 7.2's field names and messages.
 */
#ifndef KVMEM_QMP_MEMORY_COMMANDS_H
#define KVMEM_QMP_MEMORY_COMMANDS_H

#include <stdint.h>

#include "qmp/dispatch.h"

/* object-add: QEMU's flat ObjectOptions for memory-backend-ram|memfd|file. */
extern const struct qmp_arg qmp_object_add_args[];
int qmp_cmd_object_add(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
/* x-kvmem-object-add {"options": "memory-backend-ram,id=m1,size=1G"}: the
 * human monitor's object_add, -object syntax. */
extern const struct qmp_arg qmp_x_object_add_args[];
int qmp_cmd_x_object_add(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
/* object-del {"id": ...} */
extern const struct qmp_arg qmp_object_del_args[];
int qmp_cmd_object_del(const struct qmp_request *req, json_t **ret, struct qmp_error *err);

/* query-acpi-ospm-status: one ACPIOSTInfo per DIMM slot. */
int qmp_cmd_query_acpi_ospm_status(const struct qmp_request *req, json_t **ret,
				   struct qmp_error *err);
/* query-memory-devices: the DIMMs, in address order. */
int qmp_cmd_query_memory_devices(const struct qmp_request *req, json_t **ret,
				 struct qmp_error *err);
/* QEMU's ACPIOSTInfo for a DIMM slot: "device" only when id is not "". */
json_t *qmp_acpi_ost_info(const char *id, unsigned slot, uint32_t source, uint32_t status);

struct machine;
/* Bytes of DIMM memory plugged, on node (or on every node for -1). */
uint64_t qmp_plugged_memory(struct machine *m, int64_t node);

#endif
