/* memhp.c - the ACPI memory hotplug controller; see memhp.h.
 *
 * Registers follow QEMU 7.2's hw/acpi/memory_hotplug.c behaviour as its
 * spec documents it; the AML follows the shape of QEMU's
 * build_memory_hotplug_aml (a controller device with the register fields
 * and one method per operation, thin PNP0C80 devices per slot calling
 * them), written with kvmem's AML builder and using 64-bit integers (the
 * DSDT is revision 2) where QEMU splits addresses into 32-bit halves.
 */
#include "hw/memhp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "plan/iomap.h"

/* Register offsets */
#define R_ADDR_LO 0x00 /* read; write: selector */
#define R_ADDR_HI 0x04 /* read; write: _OST event */
#define R_SIZE_LO 0x08 /* read; write: _OST status */
#define R_SIZE_HI 0x0c
#define R_PXM 0x10
#define R_FLAGS 0x14 /* read: flags; write: control */
#define W_SELECT R_ADDR_LO
#define W_OST_EVENT R_ADDR_HI
#define W_OST_STATUS R_SIZE_LO
#define W_CONTROL R_FLAGS

#define F_ENABLED 0x1
#define F_INSERTING 0x2
#define F_REMOVING 0x4
#define C_EJECT 0x8

struct slot {
	bool dimm; /* a DIMM is here */
	bool enabled, inserting, removing;
	bool ejected; /* the guest ejected it; the main thread has not taken it */
	uint64_t addr, size;
	uint32_t node;
	char id[MEMHP_ID_MAX];
	uint32_t ost_event, ost_status;
};

struct memhp {
	pthread_mutex_t lock;
	struct memhp_callbacks cb;
	unsigned nr;
	uint32_t selector;
	struct slot *slot;
	int event_fd;
	/* _OST reports for the main thread, oldest first */
	struct memhp_event ost[MEMHP_MAX_OST_QUEUE];
	unsigned ost_head, ost_count;
};

int memhp_create(struct memhp **out, unsigned slots, const struct memhp_callbacks *cb,
		 struct kverr *err)
{
	struct memhp *mh;
	int ret;

	if (slots == 0 || slots > MEMHP_MAX_SLOTS)
		return kverr_set(err, EINVAL, "memory hotplug: %u slots (1 to %u)", slots,
				 MEMHP_MAX_SLOTS);
	mh = calloc(1, sizeof(*mh));
	if (mh)
		mh->slot = calloc(slots, sizeof(*mh->slot));
	if (!mh || !mh->slot) {
		free(mh);
		return kverr_set(err, ENOMEM, "memory hotplug: cannot allocate %u slots", slots);
	}
	mh->nr = slots;
	if (cb)
		mh->cb = *cb;
	mh->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (mh->event_fd < 0) {
		ret = kverr_sys(err, errno, "memory hotplug: eventfd");
		free(mh->slot);
		free(mh);
		return ret;
	}
	ret = pthread_mutex_init(&mh->lock, NULL);
	if (ret) {
		close(mh->event_fd);
		free(mh->slot);
		free(mh);
		return kverr_sys(err, ret, "memory hotplug: pthread_mutex_init");
	}
	*out = mh;
	return 0;
}

void memhp_destroy(struct memhp *mh)
{
	if (!mh)
		return;
	pthread_mutex_destroy(&mh->lock);
	close(mh->event_fd);
	free(mh->slot);
	free(mh);
}

static void kick(struct memhp *mh)
{
	uint64_t one = 1;

	/* only EAGAIN (the counter is full, so already readable) can fail */
	if (write(mh->event_fd, &one, sizeof(one)) < 0) {
	}
}

static uint32_t read_reg(const struct memhp *mh, uint64_t offset)
{
	const struct slot *s;

	if (mh->selector >= mh->nr)
		return 0;
	s = &mh->slot[mh->selector];
	switch (offset) {
	case R_ADDR_LO:
		return s->dimm ? (uint32_t)s->addr : 0;
	case R_ADDR_HI:
		return s->dimm ? (uint32_t)(s->addr >> 32) : 0;
	case R_SIZE_LO:
		return s->dimm ? (uint32_t)s->size : 0;
	case R_SIZE_HI:
		return s->dimm ? (uint32_t)(s->size >> 32) : 0;
	case R_PXM:
		return s->dimm ? s->node : 0;
	case R_FLAGS:
		return (s->enabled ? F_ENABLED : 0) | (s->inserting ? F_INSERTING : 0) |
		       (s->removing ? F_REMOVING : 0);
	}
	return 0xffffffff;
}

static void queue_ost(struct memhp *mh, unsigned slot)
{
	const struct slot *s = &mh->slot[slot];
	struct memhp_event *ev;

	if (mh->ost_count == MEMHP_MAX_OST_QUEUE)
		return; /* the main loop is behind a guest that keeps reporting */
	ev = &mh->ost[(mh->ost_head + mh->ost_count++) % MEMHP_MAX_OST_QUEUE];
	*ev = (struct memhp_event){
	    .kind = MEMHP_EV_OST, .slot = slot, .source = s->ost_event, .status = s->ost_status};
	if (s->dimm)
		memcpy(ev->id, s->id, sizeof(ev->id));
	kick(mh);
}

static void write_reg(struct memhp *mh, uint64_t offset, uint32_t val)
{
	struct slot *s;

	if (offset == W_SELECT) {
		mh->selector = val;
		return;
	}
	if (mh->selector >= mh->nr)
		return;
	s = &mh->slot[mh->selector];
	switch (offset) {
	case W_OST_EVENT:
		s->ost_event = val;
		break;
	case W_OST_STATUS:
		s->ost_status = val;
		queue_ost(mh, mh->selector);
		break;
	case W_CONTROL:
		if (val & F_INSERTING) {
			s->inserting = false;
		} else if (val & F_REMOVING) {
			s->removing = false;
		} else if (val & C_EJECT) {
			/* QEMU ignores the eject of a slot that holds nothing */
			if (!s->enabled)
				break;
			s->enabled = s->inserting = s->removing = false;
			s->ejected = true;
			kick(mh);
		}
		break;
	}
}

void memhp_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct memhp *mh = opaque;
	uint32_t val = 0;

	if (len > 4)
		len = 4; /* QEMU's valid.max_access_size: wider accesses are not decoded */
	pthread_mutex_lock(&mh->lock);
	if (is_write) {
		for (unsigned i = 0; i < len; i++)
			val |= (uint32_t)data[i] << (8 * i);
		write_reg(mh, offset, val);
	} else {
		val = read_reg(mh, offset);
		for (unsigned i = 0; i < len; i++)
			data[i] = (uint8_t)(val >> (8 * i));
	}
	pthread_mutex_unlock(&mh->lock);
}

int memhp_plug(struct memhp *mh, unsigned slot, uint64_t addr, uint64_t size, uint32_t node,
	       const char *id, bool hotplugged, struct kverr *err)
{
	struct slot *s;

	if (slot >= mh->nr)
		return kverr_set(err, EINVAL, "memory hotplug: slot %u out of range (0 to %u)",
				 slot, mh->nr - 1);
	pthread_mutex_lock(&mh->lock);
	s = &mh->slot[slot];
	if (s->dimm) {
		pthread_mutex_unlock(&mh->lock);
		return kverr_set(err, EINVAL, "memory hotplug: slot %u holds a DIMM", slot);
	}
	s->dimm = s->enabled = true;
	s->inserting = hotplugged;
	s->removing = s->ejected = false;
	s->addr = addr;
	s->size = size;
	s->node = node;
	snprintf(s->id, sizeof(s->id), "%s", id ? id : "");
	pthread_mutex_unlock(&mh->lock);
	if (hotplugged && mh->cb.notify)
		mh->cb.notify(mh->cb.opaque);
	return 0;
}

int memhp_unplug_request(struct memhp *mh, unsigned slot, struct kverr *err)
{
	struct slot *s;

	pthread_mutex_lock(&mh->lock);
	s = slot < mh->nr ? &mh->slot[slot] : NULL;
	if (!s || !s->dimm || !s->enabled) {
		pthread_mutex_unlock(&mh->lock);
		return kverr_set(err, EINVAL, "memory hotplug: no DIMM in slot %u", slot);
	}
	s->removing = true;
	pthread_mutex_unlock(&mh->lock);
	if (mh->cb.notify)
		mh->cb.notify(mh->cb.opaque);
	return 0;
}

void memhp_unplug(struct memhp *mh, unsigned slot)
{
	struct slot *s;

	if (slot >= mh->nr)
		return;
	pthread_mutex_lock(&mh->lock);
	s = &mh->slot[slot];
	s->dimm = s->enabled = s->inserting = s->removing = s->ejected = false;
	s->addr = s->size = 0;
	s->node = 0;
	s->id[0] = '\0';
	pthread_mutex_unlock(&mh->lock);
}

unsigned memhp_slots(const struct memhp *mh)
{
	return mh->nr;
}

void memhp_slot_info(struct memhp *mh, unsigned slot, struct memhp_slot_info *out)
{
	const struct slot *s;

	memset(out, 0, sizeof(*out));
	if (slot >= mh->nr)
		return;
	pthread_mutex_lock(&mh->lock);
	s = &mh->slot[slot];
	out->present = s->dimm && !s->ejected;
	out->enabled = s->enabled;
	out->inserting = s->inserting;
	out->removing = s->removing;
	if (out->present) {
		out->addr = s->addr;
		out->size = s->size;
		out->node = s->node;
		memcpy(out->id, s->id, sizeof(out->id));
	}
	out->ost_source = s->ost_event;
	out->ost_status = s->ost_status;
	pthread_mutex_unlock(&mh->lock);
}

int memhp_event_fd(const struct memhp *mh)
{
	return mh->event_fd;
}

bool memhp_take_event(struct memhp *mh, struct memhp_event *ev)
{
	bool found = false;
	uint64_t count;

	pthread_mutex_lock(&mh->lock);
	for (unsigned i = 0; i < mh->nr && !found; i++) {
		struct slot *s = &mh->slot[i];

		if (!s->ejected)
			continue;
		*ev = (struct memhp_event){.kind = MEMHP_EV_EJECT, .slot = i};
		memcpy(ev->id, s->id, sizeof(ev->id));
		/* the slot is free from now on */
		s->dimm = s->ejected = false;
		s->addr = s->size = 0;
		s->node = 0;
		s->id[0] = '\0';
		found = true;
	}
	if (!found && mh->ost_count) {
		*ev = mh->ost[mh->ost_head];
		mh->ost_head = (mh->ost_head + 1) % MEMHP_MAX_OST_QUEUE;
		mh->ost_count--;
		found = true;
	}
	if (!found) {
		/* drained: let the eventfd fall quiet until the next kick */
		if (read(mh->event_fd, &count, sizeof(count)) < 0) {
		}
	}
	pthread_mutex_unlock(&mh->lock);
	return found;
}

/* ---- the DSDT ---- */

#define MHPD "\\_SB.MHPD"

/* Method (name, nargs) { Acquire (MLCK); MSEL = Arg0; <body>; Release } */
static struct aml *locked_method(struct aml_ctx *ctx, const char *name, unsigned nargs,
				 enum aml_serialize ser)
{
	struct aml *m = aml_method(ctx, name, nargs, ser);

	aml_append(m, aml_acquire(ctx, aml_name(ctx, "MLCK"), 0xffff));
	aml_append(m, aml_store(ctx, aml_arg(ctx, 0), aml_name(ctx, "MSEL")));
	return m;
}

static void release(struct aml_ctx *ctx, struct aml *m)
{
	aml_append(m, aml_release(ctx, aml_name(ctx, "MLCK")));
}

/* The controller: registers, lock and the methods the slots call. */
static struct aml *controller(struct aml_ctx *ctx, unsigned slots)
{
	struct aml *dev = aml_device(ctx, "MHPD"), *crs, *f, *m, *loop, *ifc;
	struct aml *idx = aml_local(ctx, 0);

	aml_append(dev, aml_name_decl(ctx, "_HID", aml_string(ctx, "PNP0A06")));
	aml_append(dev, aml_name_decl(ctx, "_UID", aml_string(ctx, "Memory hotplug resources")));
	/* present, enabled, functioning; not shown in a UI */
	aml_append(dev, aml_name_decl(ctx, "_STA", aml_int(ctx, 0xb)));
	crs = aml_resource_template(ctx);
	aml_append(
	    crs, aml_io(ctx, AML_DECODE16, IOMAP_MEMHP_BASE, IOMAP_MEMHP_BASE, 0, IOMAP_MEMHP_LEN));
	aml_append(dev, aml_name_decl(ctx, "_CRS", crs));
	aml_append(dev, aml_name_decl(ctx, "MDNR", aml_int(ctx, slots)));
	aml_append(dev,
		   aml_operation_region(ctx, "HPMR", AML_SYSTEM_IO, aml_int(ctx, IOMAP_MEMHP_BASE),
					aml_int(ctx, IOMAP_MEMHP_LEN)));
	/* read side: the selected DIMM */
	f = aml_field(ctx, "HPMR", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, aml_named_field(ctx, "MRBL", 32));
	aml_append(f, aml_named_field(ctx, "MRBH", 32));
	aml_append(f, aml_named_field(ctx, "MRLL", 32));
	aml_append(f, aml_named_field(ctx, "MRLH", 32));
	aml_append(f, aml_named_field(ctx, "MPX", 32));
	aml_append(dev, f);
	/* flags and control: a write sets one bit, the others as zeros */
	f = aml_field(ctx, "HPMR", AML_BYTE_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
	aml_append(f, aml_reserved_field(ctx, 0x14 * 8));
	aml_append(f, aml_named_field(ctx, "MES", 1));
	aml_append(f, aml_named_field(ctx, "MINS", 1));
	aml_append(f, aml_named_field(ctx, "MRMV", 1));
	aml_append(f, aml_named_field(ctx, "MEJ", 1));
	aml_append(dev, f);
	/* write side: selector and _OST */
	f = aml_field(ctx, "HPMR", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_append(f, aml_named_field(ctx, "MSEL", 32));
	aml_append(f, aml_named_field(ctx, "MOEV", 32));
	aml_append(f, aml_named_field(ctx, "MOSC", 32));
	aml_append(dev, f);
	aml_append(dev, aml_mutex(ctx, "MLCK", 0));

	/* MSCN: notify each slot with a pending insert or remove event and
	 * clear it; _E03 calls this. */
	m = aml_method(ctx, "MSCN", 0, AML_NOTSERIALIZED);
	aml_append(m, aml_acquire(ctx, aml_name(ctx, "MLCK"), 0xffff));
	aml_append(m, aml_store(ctx, aml_int(ctx, 0), idx));
	loop = aml_while(ctx, aml_lless(ctx, idx, aml_name(ctx, "MDNR")));
	aml_append(loop, aml_store(ctx, idx, aml_name(ctx, "MSEL")));
	ifc = aml_if(ctx, aml_equal(ctx, aml_name(ctx, "MINS"), aml_int(ctx, 1)));
	aml_append(ifc, aml_call(ctx, "\\_SB.MTFY", 2, idx, aml_int(ctx, 1))); /* Device Check */
	aml_append(ifc, aml_store(ctx, aml_int(ctx, 1), aml_name(ctx, "MINS")));
	aml_append(loop, ifc);
	/* not Else: a device_del that came before the guest scanned the
	 * device_add is not lost for want of another GPE */
	ifc = aml_if(ctx, aml_equal(ctx, aml_name(ctx, "MRMV"), aml_int(ctx, 1)));
	aml_append(ifc, aml_call(ctx, "\\_SB.MTFY", 2, idx, aml_int(ctx, 3))); /* Eject Request */
	aml_append(ifc, aml_store(ctx, aml_int(ctx, 1), aml_name(ctx, "MRMV")));
	aml_append(loop, ifc);
	aml_append(loop, aml_increment(ctx, idx));
	aml_append(m, loop);
	aml_append(m, aml_release(ctx, aml_name(ctx, "MLCK")));
	aml_append(m, aml_return(ctx, aml_int(ctx, 0)));
	aml_append(dev, m);

	/* MRST (slot): _STA, 0xf while a DIMM is enabled there, else 0 */
	m = locked_method(ctx, "MRST", 1, AML_NOTSERIALIZED);
	aml_append(m, aml_store(ctx, aml_int(ctx, 0), aml_local(ctx, 0)));
	ifc = aml_if(ctx, aml_equal(ctx, aml_name(ctx, "MES"), aml_int(ctx, 1)));
	aml_append(ifc, aml_store(ctx, aml_int(ctx, 0xf), aml_local(ctx, 0)));
	aml_append(m, ifc);
	release(ctx, m);
	aml_append(m, aml_return(ctx, aml_local(ctx, 0)));
	aml_append(dev, m);

	/* MCRS (slot): _CRS, one QWordMemory range [base, base + size) */
	m = locked_method(ctx, "MCRS", 1, AML_SERIALIZED);
	crs = aml_resource_template(ctx);
	aml_append(crs, aml_qword_memory(ctx, AML_POS_DECODE, AML_MIN_FIXED, AML_MAX_FIXED,
					 AML_CACHEABLE, AML_READ_WRITE, 0, 0xa0000, 0xbffff, 0,
					 0x20000));
	aml_append(m, aml_name_decl(ctx, "MR64", crs));
	/* QWordMemory: minimum at byte 14, maximum at 22, length at 38 */
	aml_append(m, aml_create_qword_field(ctx, aml_name(ctx, "MR64"), aml_int(ctx, 14), "MINV"));
	aml_append(m, aml_create_qword_field(ctx, aml_name(ctx, "MR64"), aml_int(ctx, 22), "MAXV"));
	aml_append(m, aml_create_qword_field(ctx, aml_name(ctx, "MR64"), aml_int(ctx, 38), "LENV"));
	aml_append(m, aml_or(ctx, aml_shiftleft(ctx, aml_name(ctx, "MRBH"), aml_int(ctx, 32), NULL),
			     aml_name(ctx, "MRBL"), aml_name(ctx, "MINV")));
	aml_append(m, aml_or(ctx, aml_shiftleft(ctx, aml_name(ctx, "MRLH"), aml_int(ctx, 32), NULL),
			     aml_name(ctx, "MRLL"), aml_name(ctx, "LENV")));
	aml_append(
	    m, aml_add(ctx, aml_name(ctx, "MINV"), aml_name(ctx, "LENV"), aml_name(ctx, "MAXV")));
	aml_append(
	    m, aml_subtract(ctx, aml_name(ctx, "MAXV"), aml_int(ctx, 1), aml_name(ctx, "MAXV")));
	release(ctx, m);
	aml_append(m, aml_return(ctx, aml_name(ctx, "MR64")));
	aml_append(dev, m);

	/* MPXM (slot): _PXM, the DIMM's node */
	m = locked_method(ctx, "MPXM", 1, AML_NOTSERIALIZED);
	aml_append(m, aml_store(ctx, aml_name(ctx, "MPX"), aml_local(ctx, 0)));
	release(ctx, m);
	aml_append(m, aml_return(ctx, aml_local(ctx, 0)));
	aml_append(dev, m);

	/* MOST (slot, event, status, buffer): _OST; the status write makes
	 * kvmem report ACPI_DEVICE_OST */
	m = locked_method(ctx, "MOST", 4, AML_NOTSERIALIZED);
	aml_append(m, aml_store(ctx, aml_arg(ctx, 1), aml_name(ctx, "MOEV")));
	aml_append(m, aml_store(ctx, aml_arg(ctx, 2), aml_name(ctx, "MOSC")));
	release(ctx, m);
	aml_append(dev, m);

	/* MEJ0 (slot, arg): _EJ0, the guest gives the DIMM up */
	m = locked_method(ctx, "MEJ0", 2, AML_NOTSERIALIZED);
	aml_append(m, aml_store(ctx, aml_int(ctx, 1), aml_name(ctx, "MEJ")));
	release(ctx, m);
	aml_append(dev, m);

	return dev;
}

/* Device MPxx: slot i, everything delegated to the controller. */
static struct aml *slot_device(struct aml_ctx *ctx, unsigned i)
{
	char name[16];
	struct aml *dev, *m, *uid = aml_name(ctx, "_UID");

	snprintf(name, sizeof(name), "MP%02X", i);
	dev = aml_device(ctx, name);
	aml_append(dev, aml_name_decl(ctx, "_HID", aml_eisaid(ctx, "PNP0C80")));
	aml_append(dev, aml_name_decl(ctx, "_UID", aml_int(ctx, i)));
	m = aml_method(ctx, "_CRS", 0, AML_NOTSERIALIZED);
	aml_append(m, aml_return(ctx, aml_call(ctx, MHPD ".MCRS", 1, uid)));
	aml_append(dev, m);
	m = aml_method(ctx, "_STA", 0, AML_NOTSERIALIZED);
	aml_append(m, aml_return(ctx, aml_call(ctx, MHPD ".MRST", 1, uid)));
	aml_append(dev, m);
	m = aml_method(ctx, "_PXM", 0, AML_NOTSERIALIZED);
	aml_append(m, aml_return(ctx, aml_call(ctx, MHPD ".MPXM", 1, uid)));
	aml_append(dev, m);
	m = aml_method(ctx, "_OST", 3, AML_NOTSERIALIZED);
	aml_append(m, aml_call(ctx, MHPD ".MOST", 4, uid, aml_arg(ctx, 0), aml_arg(ctx, 1),
			       aml_arg(ctx, 2)));
	aml_append(dev, m);
	m = aml_method(ctx, "_EJ0", 1, AML_NOTSERIALIZED);
	aml_append(m, aml_call(ctx, MHPD ".MEJ0", 2, uid, aml_arg(ctx, 0)));
	aml_append(dev, m);
	return dev;
}

void memhp_build_aml(struct aml_ctx *ctx, struct aml *dsdt, unsigned slots)
{
	struct aml *sb, *m, *ifc, *gpe;
	char name[16];

	if (!slots)
		return;
	sb = aml_scope(ctx, "\\_SB");
	aml_append(sb, controller(ctx, slots));
	for (unsigned i = 0; i < slots; i++)
		aml_append(sb, slot_device(ctx, i));
	/* MTFY (slot, event): Notify (MPxx, event) */
	m = aml_method(ctx, "MTFY", 2, AML_NOTSERIALIZED);
	for (unsigned i = 0; i < slots; i++) {
		snprintf(name, sizeof(name), "MP%02X", i);
		ifc = aml_if(ctx, aml_equal(ctx, aml_arg(ctx, 0), aml_int(ctx, i)));
		aml_append(ifc, aml_notify(ctx, aml_name(ctx, name), aml_arg(ctx, 1)));
		aml_append(m, ifc);
	}
	aml_append(sb, m);
	aml_append(dsdt, sb);

	/* the GPE the controller raises: scan the slots */
	snprintf(name, sizeof(name), "_E%02X", IOMAP_MEMHP_GPE);
	gpe = aml_scope(ctx, "\\_GPE");
	m = aml_method(ctx, name, 0, AML_NOTSERIALIZED);
	aml_append(m, aml_call(ctx, MHPD ".MSCN", 0));
	aml_append(gpe, m);
	aml_append(dsdt, gpe);
}
