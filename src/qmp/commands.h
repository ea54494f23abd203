/* commands.h - kvmem's QMP commands: the table the monitors dispatch to.
 *
 * Owns: one row per command (name, function, declared arguments) and the
 * functions, which answer with QEMU's field names and types from the
 * machine's own facts (plan, guest memory map, vCPUs) and act through
 * machine.h's run-time control functions.  The table's context pointer
 * is the struct machine.
 * Never: parses JSON or checks arguments (dispatch.c did), or does I/O.
 */
#ifndef KVMEM_QMP_COMMANDS_H
#define KVMEM_QMP_COMMANDS_H

#include <stdbool.h>

#include "qmp/dispatch.h"

extern const struct qmp_commands kvmem_qmp_commands;
/* The table the monitors serve: kvmem_qmp_commands, or for -machine none
 * the same rows with those that need a guest refusing (QMP_CMD_NO_VM). */
const struct qmp_commands *kvmem_qmp_table(bool machine_none);

#endif
