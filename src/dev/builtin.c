/* builtin.c - the registry kvmem's own device drivers add themselves to.
 *
 * Each driver's source file ends with DEV_DRIVER_REGISTER(its_driver),
 * which adds it here before main() runs (a constructor, as kvmtool's
 * dev_init); a driver refused by dev_registry_add() marks the registry
 * broken and kvmem refuses to start, naming it.  Nothing else writes it.
 */
#include "dev/registry.h"

struct dev_registry dev_builtin;

void dev_builtin_add(const struct dev_driver *drv)
{
	struct kverr err;

	if (dev_builtin.broken)
		return;
	if (dev_registry_add(&dev_builtin, drv, &err)) {
		dev_builtin.err = err;
		dev_builtin.broken = true;
	}
}
