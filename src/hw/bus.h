/* bus.h - port I/O and MMIO dispatch from vCPU exits to device models.
 *
 * Devices register an address range and one access function at set-up,
 * before any vCPU runs; lookups afterwards take no lock.  A device guards
 * its own state (vCPU threads and the main loop may call it concurrently).
 * An access that hits no device reads as all ones and writes are dropped.
 */
#ifndef KVMEM_HW_BUS_H
#define KVMEM_HW_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* offset is relative to the registered base; len is 1, 2, 4 or 8. */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
			      bool is_write);

#define BUS_MAX_RANGES 64

struct bus_range {
	uint64_t base, len;
	bus_access_fn fn;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	struct bus_range range[BUS_MAX_RANGES];
	unsigned nr;
};

/* Fails with -EEXIST if the range overlaps a registered one. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn fn, void *opaque,
		 const char *name, struct kverr *err);

/* Returns false (after filling reads with 0xff) when no device claims addr. */
bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool is_write);

/* Interrupt line a device raises or lowers: set by the VM (KVM_IRQ_LINE). */
struct irq_line {
	void (*set)(void *ctx, unsigned gsi, int level);
	void *ctx;
	unsigned gsi;
};

static inline void irq_line_set(const struct irq_line *irq, int level)
{
	if (irq && irq->set)
		irq->set(irq->ctx, irq->gsi, level);
}

#endif
