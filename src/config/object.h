/* object.h - -object memory-backend-* and -machine, for config.c.
 * Internal to src/config/; the results are plain data in struct config
 * (config.h), and these functions only parse and check: no syscalls.
 */
#ifndef KVMEM_CONFIG_OBJECT_H
#define KVMEM_CONFIG_OBJECT_H

#include "config/config.h"

/* One -object argument: appends a checked struct config_memdev. */
int config_object_parse(struct config *cfg, const char *arg, struct kverr *err);

/* One -machine/-M argument: [type=]pc, memory-backend=ID. */
int config_machine_parse(struct config *cfg, const char *arg, struct kverr *err);

/* The size of the backend -machine memory-backend=ID names (0 when none
 * is named); -EINVAL when no -object has that id.  config.c takes it as
 * the RAM size when -m gives none, as QEMU does. */
int config_machine_ram_size(const struct config *cfg, uint64_t *size, struct kverr *err);

/* After -m is final: the named backend must have exactly -m's size. */
int config_machine_check(const struct config *cfg, struct kverr *err);

/* Frees what config_object_parse/config_machine_parse allocated. */
void config_objects_free(struct config *cfg);

#endif
