#include "hw/bus.h"

#include <string.h>

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn fn, void *opaque,
		 const char *name, struct kverr *err)
{
	if (len == 0 || base + len < base)
		return kverr_set(err, EINVAL, "%s: bad range for %s: 0x%llx+0x%llx", bus->name,
				 name, (unsigned long long)base, (unsigned long long)len);
	for (unsigned i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->range[i];
		if (base < r->base + r->len && r->base < base + len)
			return kverr_set(err, EEXIST, "%s: %s at 0x%llx overlaps %s at 0x%llx",
					 bus->name, name, (unsigned long long)base, r->name,
					 (unsigned long long)r->base);
	}
	if (bus->nr == BUS_MAX_RANGES)
		return kverr_set(err, ENOSPC, "%s: too many devices registering %s", bus->name,
				 name);
	bus->range[bus->nr++] = (struct bus_range){base, len, fn, opaque, name};
	return 0;
}

bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	for (unsigned i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->range[i];
		if (addr >= r->base && addr - r->base < r->len) {
			r->fn(r->opaque, addr - r->base, data, len, is_write);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
	return false;
}
