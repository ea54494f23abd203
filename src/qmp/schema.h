/* schema.h - query-qmp-schema from a command table.
 *
 * Owns: QEMU's introspection format (docs/devel/qapi-code-gen "Client JSON
 * Protocol introspection") built from the rows of a struct qmp_commands:
 * every command with its declared arguments (an object type), their types
 * (the builtins, an enum type for QMP_TYPE_ENUM with its values, an array
 * type for QMP_TYPE_ENUM_LIST) and the features a row declares.  Types are
 * named by numbers as QEMU masks them ("0", "1", ...), builtins by their
 * own names.  So the schema says exactly what the table takes: a command
 * kvmem does not have is not in it, and a client that checks a feature
 * (libvirt: "device_add/$json-cli-hotplug", "object-add/arg-type/qom-type/
 * ^secret") finds it only if a row declares it.
 * Never: describes return values beyond "any" (the table does not declare
 * them), or events.  Pure.
 */
#ifndef KVMEM_QMP_SCHEMA_H
#define KVMEM_QMP_SCHEMA_H

#include <jansson.h>

#include "qmp/dispatch.h"

/* The SchemaInfo list; NULL when out of memory. */
json_t *qmp_schema(const struct qmp_commands *table);

#endif
