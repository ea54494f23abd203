/* device.h - -device, for config.c and the machine.
 *
 * Owns: reading -device arguments into struct config (their forms taken
 * apart by src/dev/opts.c), QEMU's "Duplicate ID 'x' for device" between
 * two -device given in the text form, -device help, and checking every
 * -device against the device registry (kvmem's drivers, dev_builtin)
 * once the whole command line is read: driver, bus, ids, properties and
 * their values, links to -object memory backends.  The check prepares
 * each device in a scratch set and throws it away: no driver hook runs
 * and nothing is created.  The machine prepares them again, for real,
 * through config_devices_prepare(), so both go the same way.
 */
#ifndef KVMEM_CONFIG_DEVICE_H
#define KVMEM_CONFIG_DEVICE_H

#include "config/config.h"
#include "util/buf.h"

struct dev_set;
struct dev_set_ops;

/* One -device argument (config.c's handler). */
int config_device_parse(struct config *cfg, const char *arg, struct kverr *err);

/* Every -device against dev_builtin (config.c's finish()). */
int config_devices_check(const struct config *cfg, struct kverr *err);

/* Add the machine's buses to s (the one list of them), then prepare every
 * -device in s, in QEMU's order (those in the text form first, then the
 * JSON ones); an error names the -device argument. */
int config_devices_prepare(const struct config *cfg, struct dev_set *s, struct kverr *err);

/* A link property's target among cfg's memory backends: kind
 * "memory-backend", name an id, "/objects/ID" or "objects/ID".  For
 * struct dev_set_ops's resolve_link (ctx is the config). */
int config_device_link(void *ctx, const char *kind, const char *name, void **target, char *path,
		       size_t size);

/* CONFIG_DEVICE_HELP: the text -device help (or DRIVER,help) prints, or
 * -EINVAL with err for a driver that does not exist. */
int config_device_help(const struct config *cfg, struct buf *out, struct kverr *err);

void config_devices_free(struct config *cfg);

#endif
