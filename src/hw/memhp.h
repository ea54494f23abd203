/* memhp.h - the ACPI memory hotplug controller: QEMU's interface of
 * docs/specs/acpi_mem_hotplug.rst, so that a guest's stock ACPI memory
 * driver (Linux's acpi_memhotplug) finds, adds and ejects DIMMs.
 *
 * Owns, per DIMM slot (0 .. slots-1): the DIMM there (guest address, size,
 * node, device id), its enabled / inserting / removing flags, the last
 * _OST event and status the guest reported, and an ejection the main loop
 * has yet to carry out; and the slot selector.  It also writes the DSDT's
 * part of the interface (memhp_build_aml).
 * Never: maps or unmaps memory, raises the GPE itself (the notify callback
 * does), or sends QMP events (the main loop takes them from
 * memhp_take_event and sends them).
 *
 * Registers, 24 bytes at IOMAP_MEMHP_BASE, 1 to 4 byte accesses decoded
 * by their start offset as QEMU decodes them (a read at a register's
 * offset returns its low bytes, a read anywhere else all ones):
 *   read   0x00 address low   0x04 address high   0x08 size low
 *          0x0c size high     0x10 proximity domain (the DIMM's node)
 *          0x14 flags: bit 0 enabled, 1 inserting, 2 removing
 *   write  0x00 slot selector
 *          0x04 _OST event    0x08 _OST status: queues an ACPI_DEVICE_OST
 *          0x14 control: bit 1 clears inserting; else bit 2 clears
 *               removing; else bit 3 ejects an enabled DIMM
 * While the selector is beyond the last slot, reads return 0 and writes
 * other than to the selector are ignored.  A slot without a DIMM reads 0
 * in every register.
 *
 * The guest's side, in the DSDT (memhp_build_aml): \_SB.MHPD holds the
 * register fields and the methods, \_SB.MPxx (PNP0C80) is slot xx with
 * _CRS, _STA, _PXM, _OST and _EJ0, and \_GPE._E03 scans the slots and
 * notifies the guest of insert (Device Check) and remove (Eject Request)
 * events.
 *
 * Threads: vCPU threads access the registers; the main thread plugs,
 * requests unplugs, reads slot state and takes events.  Every entry point
 * takes the device's mutex.  The notify callback runs on the main thread
 * without the mutex held.  What a vCPU write asks of the main thread
 * (an ACPI_DEVICE_OST event, an ejection) is queued and memhp_event_fd()
 * becomes readable.
 */
#ifndef KVMEM_HW_MEMHP_H
#define KVMEM_HW_MEMHP_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi/aml.h"
#include "util/err.h"

#define MEMHP_MAX_SLOTS 256 /* QEMU's ACPI_MAX_RAM_SLOTS */
#define MEMHP_ID_MAX 128    /* device ids are kept (and reported) up to this length */

struct memhp_callbacks {
	/* Raise the memory hotplug GPE (IOMAP_MEMHP_GPE). */
	void (*notify)(void *opaque);
	void *opaque;
};

struct memhp;

/* A controller with `slots` slots (1 .. MEMHP_MAX_SLOTS); *cb is copied. */
int memhp_create(struct memhp **out, unsigned slots, const struct memhp_callbacks *cb,
		 struct kverr *err);
void memhp_destroy(struct memhp *mh);

/* The bus access function (bus.h) for IOMAP_MEMHP_BASE, IOMAP_MEMHP_LEN. */
void memhp_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

/* A DIMM in slot: enabled at once; hotplugged (device_add while the guest
 * runs) also sets inserting and notifies the guest.  A cold-plugged DIMM
 * is simply present when the guest scans at boot.  id may be NULL.
 * -EINVAL for a slot out of range or one that holds a DIMM. */
int memhp_plug(struct memhp *mh, unsigned slot, uint64_t addr, uint64_t size, uint32_t node,
	       const char *id, bool hotplugged, struct kverr *err);

/* device_del: set removing and notify the guest, which offlines the
 * memory and ejects it (_EJ0), or reports through _OST that it cannot.
 * Asking again while the guest has not answered notifies it again, as
 * QEMU does.  -EINVAL for a slot without a DIMM. */
int memhp_unplug_request(struct memhp *mh, unsigned slot, struct kverr *err);

/* The DIMM in slot is gone without an ejection (the machine is torn
 * down, or the device removed otherwise): the slot is empty, its flags
 * clear; nothing is queued or notified.  A free slot stays free. */
void memhp_unplug(struct memhp *mh, unsigned slot);

/* The slot's state, for query-acpi-ospm-status and the monitors. */
struct memhp_slot_info {
	bool present; /* a DIMM is plugged (and not ejected) */
	bool enabled, inserting, removing;
	uint64_t addr, size;
	uint32_t node;
	char id[MEMHP_ID_MAX]; /* "" when the DIMM has none, or no DIMM */
	uint32_t ost_source, ost_status;
};

unsigned memhp_slots(const struct memhp *mh);
void memhp_slot_info(struct memhp *mh, unsigned slot, struct memhp_slot_info *out);

/* What the guest asked of the main thread. */
enum memhp_event_kind {
	MEMHP_EV_OST,	/* _OST reported: send ACPI_DEVICE_OST */
	MEMHP_EV_EJECT, /* _EJ0: the guest gave the DIMM up; unplug it */
};

struct memhp_event {
	enum memhp_event_kind kind;
	unsigned slot;
	char id[MEMHP_ID_MAX];	 /* the slot's DIMM's id, "" if none */
	uint32_t source, status; /* MEMHP_EV_OST */
};

/* Readable (an eventfd) while events are queued. */
int memhp_event_fd(const struct memhp *mh);
/* The oldest queued event: true and *ev filled, or false when none is
 * left.  Ejections come first; an ejected slot is free once taken.  _OST
 * reports beyond MEMHP_MAX_OST_QUEUE unread ones are dropped (a guest
 * cannot make kvmem queue without bound). */
#define MEMHP_MAX_OST_QUEUE 64
bool memhp_take_event(struct memhp *mh, struct memhp_event *ev);

/* The DSDT's memory hotplug devices for `slots` slots, appended to the
 * DSDT body `dsdt`.  Nothing for 0 slots. */
void memhp_build_aml(struct aml_ctx *ctx, struct aml *dsdt, unsigned slots);

#endif
