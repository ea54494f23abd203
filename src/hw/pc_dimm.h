/* pc_dimm.h - the pc-dimm device (the driver registers itself with the
 * device registry: -device pc-dimm, device_add, device_del).  What the
 * rest of the machine asks of the DIMMs, main thread only.
 */
#ifndef KVMEM_HW_PC_DIMM_H
#define KVMEM_HW_PC_DIMM_H

#include <jansson.h>

#include "plan/dimm.h"

struct machine;
struct dev_set;
struct device;

/* The realized DIMMs but self, for any memory device's placement. */
unsigned pc_dimm_ranges(const struct dev_set *set, const struct device *self,
			struct dimm_plugged *out, unsigned max);

/* The guest ejected the DIMM in slot (memhp's MEMHP_EV_EJECT): unplug it,
 * which removes its memory from the guest and sends DEVICE_DELETED. */
void pc_dimm_ejected(struct machine *m, unsigned slot);

/* query-memory-devices: QEMU's [MemoryDeviceInfo], {"type": "dimm",
 * "data": PCDIMMDeviceInfo}, in address order. */
json_t *pc_dimm_query(struct machine *m);

#endif
