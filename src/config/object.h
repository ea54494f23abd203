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

/* The object types -object takes (NULL-terminated), and the properties of
 * one: at index idx, its name and QOM type (qom-list-properties).  1 and
 * the property, 0 past the last, -ENOENT for a type kvmem does not have. */
extern const char *const config_object_types[];
int config_object_type_props(const char *type, const char **name, const char **qom, unsigned idx);

/* object_json.c: -object's JSON form, turned into the key=value form with
 * QEMU's type checks; and secret objects. */
int config_object_json(struct config *cfg, const char *arg, struct kverr *err);
int config_secret_parse(struct config *cfg, const char *arg, struct kverr *err);
/* A secret in -object syntax checked as QEMU checks it (data or file, the
 * file readable, format raw or base64); *id is its id (malloc'd).  With
 * monitor, messages are worded as QEMU's object-add words them (no
 * "-object ARG: ").  Duplicates are the caller's to find. */
int config_secret_check(const char *arg, bool monitor, char **id, struct kverr *err);
int config_secret_props(const char **name, const char **qom, unsigned idx);
bool config_secret_find(const struct config *cfg, const char *id);

/* Frees what config_object_parse/config_machine_parse allocated. */
void config_objects_free(struct config *cfg);

#endif
