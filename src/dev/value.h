/* value.h - a device property's value from what the user wrote, and back.
 *
 * Owns: the two ways QEMU 7.2 reads a property, with its messages:
 *   - text (-device DRIVER,key=value, HMP device_add, and QMP device_add,
 *     whose arguments QEMU 7.2 turns into text first): "on"/"yes"/"true"/
 *     "y" for booleans, numbers as strtoull/strtoll with base 0, QEMU sizes
 *     (512M), PCI addresses as SLOT[.FN] in hex;
 *   - JSON (-device '{"driver":...}' and qom-set): the JSON type must
 *     match (true, not "on"; 1, not "1").
 * and the JSON qom-get answers.
 * Never: resolves links (devset.c asks the machine) or stores anything.
 *
 * Every error is -EINVAL with QEMU's message in err ("Parameter 'node'
 * expects integer", "Invalid parameter type for 'x', expected: boolean",
 * "Property 'D.addr' doesn't take value 'zz'").  On success a STR or LINK
 * value's s is malloc'ed: release it with dev_value_clear().
 */
#ifndef KVMEM_DEV_VALUE_H
#define KVMEM_DEV_VALUE_H

#include <jansson.h>

#include "dev/dev.h"

int dev_value_from_text(const struct dev_driver *drv, const struct dev_prop *p, const char *text,
			struct dev_value *out, struct kverr *err);
int dev_value_from_json(const struct dev_driver *drv, const struct dev_prop *p, json_t *v,
			struct dev_value *out, struct kverr *err);

/* The property's default (or zero) value. */
int dev_value_default(const struct dev_prop *p, struct dev_value *out);

/* qom-get's answer for a stored value (not for JSON properties). */
json_t *dev_value_to_json(const struct dev_prop *p, const struct dev_value *v);

void dev_value_clear(struct dev_value *v);

#endif
