/* introspect.h - the QMP commands through which a program learns what
 * kvmem is before it starts a guest (libvirt's probe), and the ones it
 * sends at start about features kvmem does not have.
 *
 * Owns: query-qmp-schema (generated from the table in use, schema.h),
 * query-target, query-machines, qom-list-types (generated from the device
 * registry, the -object types, the machine types and the VM's
 * accelerators), qom-list-properties, query-command-line-options,
 * query-migrate-capabilities, migrate-set-capabilities, query-chardev,
 * query-named-block-nodes and query-block.  Every answer is a fact of this
 * kvmem: a type is listed only if kvmem can make it, a property only if it
 * takes it.  docs/qmp.md says what each answers.
 * Never: changes the machine (migrate-set-capabilities accepts only what
 * changes nothing: kvmem has no migration).
 */
#ifndef KVMEM_QMP_INTROSPECT_H
#define KVMEM_QMP_INTROSPECT_H

#include "qmp/dispatch.h"

int introspect_query_qmp_schema(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int introspect_query_target(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int introspect_query_machines(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int introspect_qom_list_types(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int introspect_qom_list_properties(const struct qmp_request *req, json_t **ret,
				   struct qmp_error *err);
int introspect_query_cmdline(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int introspect_query_migrate_caps(const struct qmp_request *req, json_t **ret,
				  struct qmp_error *err);
int introspect_set_migrate_caps(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int introspect_query_chardev(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int introspect_query_no_block(const struct qmp_request *req, json_t **ret, struct qmp_error *err);

extern const struct qmp_arg introspect_machines_args[];
extern const struct qmp_arg introspect_list_types_args[];
extern const struct qmp_arg introspect_list_properties_args[];
extern const struct qmp_arg introspect_cmdline_args[];
extern const struct qmp_arg introspect_migrate_caps_args[];
extern const struct qmp_arg introspect_named_block_nodes_args[];

/* The rows, for commands.c's table; all answer without a guest. */
#define INTROSPECT_QMP_COMMANDS                                                                    \
	{.name = "query-qmp-schema", .fn = introspect_query_qmp_schema, .flags = QMP_CMD_NO_VM},   \
	    {.name = "query-target", .fn = introspect_query_target, .flags = QMP_CMD_NO_VM},       \
	    {.name = "query-machines",                                                             \
	     .fn = introspect_query_machines,                                                      \
	     .args = introspect_machines_args,                                                     \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "qom-list-types",                                                             \
	     .fn = introspect_qom_list_types,                                                      \
	     .args = introspect_list_types_args,                                                   \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "qom-list-properties",                                                        \
	     .fn = introspect_qom_list_properties,                                                 \
	     .args = introspect_list_properties_args,                                              \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "query-command-line-options",                                                 \
	     .fn = introspect_query_cmdline,                                                       \
	     .args = introspect_cmdline_args,                                                      \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "query-migrate-capabilities",                                                 \
	     .fn = introspect_query_migrate_caps,                                                  \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "migrate-set-capabilities",                                                   \
	     .fn = introspect_set_migrate_caps,                                                    \
	     .args = introspect_migrate_caps_args,                                                 \
	     .flags = QMP_CMD_NO_VM},                                                              \
	    {.name = "query-chardev", .fn = introspect_query_chardev, .flags = QMP_CMD_NO_VM},     \
	    {.name = "query-named-block-nodes",                                                    \
	     .fn = introspect_query_no_block,                                                      \
	     .args = introspect_named_block_nodes_args,                                            \
	     .flags = QMP_CMD_NO_VM},                                                              \
	{                                                                                          \
		.name = "query-block", .fn = introspect_query_no_block, .flags = QMP_CMD_NO_VM     \
	}

#endif
