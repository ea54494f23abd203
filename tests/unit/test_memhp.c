/* test_memhp.c - the ACPI memory hotplug controller driven register by
 * register, as the DSDT's methods drive it (DWord reads of the DIMM's
 * address, size and node, byte writes of the control bits), plus the
 * accesses a hostile guest may make instead: other widths and offsets, a
 * selector past the last slot, ejecting an empty slot, _OST reports
 * without end.  Expected values follow QEMU's docs/specs/acpi_mem_hotplug.rst
 * and hw/acpi/memory_hotplug.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>

#include <cmocka.h>

#include "hw/memhp.h"
#include "plan/iomap.h"

#define ADDR_LO 0x00
#define ADDR_HI 0x04
#define SIZE_LO 0x08
#define SIZE_HI 0x0c
#define PXM 0x10
#define FLAGS 0x14
#define SELECT 0x00
#define OST_EVENT 0x04
#define OST_STATUS 0x08
#define CONTROL 0x14

#define ENABLED 1
#define INSERTING 2
#define REMOVING 4
#define EJECT 8

struct fx {
	struct memhp *mh;
	int notifies;
};

static void on_notify(void *opaque)
{
	((struct fx *)opaque)->notifies++;
}

static int setup(void **state)
{
	static struct fx f;
	struct memhp_callbacks cb = {.notify = on_notify, .opaque = &f};
	struct kverr err;

	memset(&f, 0, sizeof(f));
	if (memhp_create(&f.mh, 4, &cb, &err))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	memhp_destroy(((struct fx *)*state)->mh);
	return 0;
}

static uint32_t rd(struct memhp *mh, uint64_t off, unsigned len)
{
	uint8_t b[8] = {0};
	uint32_t v = 0;

	memhp_io(mh, off, b, len, false);
	for (unsigned i = 0; i < len && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void wr(struct memhp *mh, uint64_t off, uint32_t v, unsigned len)
{
	uint8_t b[8] = {0};

	for (unsigned i = 0; i < len && i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	memhp_io(mh, off, b, len, true);
}

static bool readable(struct memhp *mh)
{
	struct pollfd p = {.fd = memhp_event_fd(mh), .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

static void test_create_limits(void **state)
{
	struct memhp *mh;
	struct kverr err;

	(void)state;
	assert_int_equal(memhp_create(&mh, 0, NULL, &err), -EINVAL);
	assert_int_equal(memhp_create(&mh, MEMHP_MAX_SLOTS + 1, NULL, &err), -EINVAL);
	assert_int_equal(memhp_create(&mh, MEMHP_MAX_SLOTS, NULL, &err), 0);
	assert_int_equal(memhp_slots(mh), MEMHP_MAX_SLOTS);
	memhp_destroy(mh);
	memhp_destroy(NULL);
}

/* Power-on: every slot empty, every register of it 0. */
static void test_empty_slots(void **state)
{
	struct fx *f = *state;

	for (uint32_t s = 0; s < 4; s++) {
		wr(f->mh, SELECT, s, 4);
		assert_int_equal(rd(f->mh, ADDR_LO, 4), 0);
		assert_int_equal(rd(f->mh, ADDR_HI, 4), 0);
		assert_int_equal(rd(f->mh, SIZE_LO, 4), 0);
		assert_int_equal(rd(f->mh, SIZE_HI, 4), 0);
		assert_int_equal(rd(f->mh, PXM, 4), 0);
		assert_int_equal(rd(f->mh, FLAGS, 1), 0);
	}
	assert_false(readable(f->mh));
}

/* A cold-plugged DIMM: present at boot, no insert event, no GPE. */
static void test_cold_plug_registers(void **state)
{
	struct fx *f = *state;
	struct memhp_slot_info info;
	struct kverr err;

	assert_int_equal(
	    memhp_plug(f->mh, 2, 0x123456789000ULL, 0x240000000ULL, 3, "dimm2", false, &err), 0);
	assert_int_equal(f->notifies, 0);
	wr(f->mh, SELECT, 2, 4);
	assert_int_equal(rd(f->mh, ADDR_LO, 4), 0x56789000);
	assert_int_equal(rd(f->mh, ADDR_HI, 4), 0x1234);
	assert_int_equal(rd(f->mh, SIZE_LO, 4), 0x40000000);
	assert_int_equal(rd(f->mh, SIZE_HI, 4), 0x2);
	assert_int_equal(rd(f->mh, PXM, 4), 3);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED);
	/* the neighbours stay empty */
	wr(f->mh, SELECT, 1, 4);
	assert_int_equal(rd(f->mh, FLAGS, 1), 0);
	assert_int_equal(rd(f->mh, ADDR_LO, 4), 0);
	memhp_slot_info(f->mh, 2, &info);
	assert_true(info.present && info.enabled && !info.inserting && !info.removing);
	assert_int_equal(info.addr, 0x123456789000ULL);
	assert_int_equal(info.size, 0x240000000ULL);
	assert_int_equal(info.node, 3);
	assert_string_equal(info.id, "dimm2");
	/* a slot holds one DIMM; slots beyond the last do not exist */
	assert_int_equal(memhp_plug(f->mh, 2, 0, 1, 0, NULL, true, &err), -EINVAL);
	assert_int_equal(memhp_plug(f->mh, 4, 0, 1, 0, NULL, true, &err), -EINVAL);
	assert_int_equal(f->notifies, 0);
}

/* Hotplug: inserting set and a GPE; MSCN clears the event (bit 1). */
static void test_hotplug_insert_event(void **state)
{
	struct fx *f = *state;
	struct kverr err;

	assert_int_equal(memhp_plug(f->mh, 0, 0x100000000ULL, 1ULL << 30, 0, NULL, true, &err), 0);
	assert_int_equal(f->notifies, 1);
	wr(f->mh, SELECT, 0, 4);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED | INSERTING);
	/* the AML writes the field as a byte, other bits as zeros */
	wr(f->mh, CONTROL, INSERTING, 1);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED);
	/* writing 0 changes nothing */
	wr(f->mh, CONTROL, 0, 1);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED);
	assert_false(readable(f->mh));
}

/* Unplug request, the guest declines (clears remove, reports _OST), then
 * asks again and ejects. */
static void test_remove_and_eject(void **state)
{
	struct fx *f = *state;
	struct memhp_event ev;
	struct memhp_slot_info info;
	struct kverr err;

	assert_int_equal(memhp_plug(f->mh, 1, 0x140000000ULL, 1ULL << 30, 1, "d1", true, &err), 0);
	wr(f->mh, SELECT, 1, 4);
	wr(f->mh, CONTROL, INSERTING, 1);
	f->notifies = 0;
	assert_int_equal(memhp_unplug_request(f->mh, 1, &err), 0);
	assert_int_equal(f->notifies, 1);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED | REMOVING);
	/* bit 1 and bit 2 together: QEMU clears only the insert event */
	wr(f->mh, CONTROL, INSERTING | REMOVING, 1);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED | REMOVING);
	wr(f->mh, CONTROL, REMOVING, 1);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED);
	/* _OST: eject request (3) failed (0x80) */
	wr(f->mh, OST_EVENT, 3, 4);
	wr(f->mh, OST_STATUS, 0x80, 4);
	assert_true(readable(f->mh));
	assert_true(memhp_take_event(f->mh, &ev));
	assert_int_equal(ev.kind, MEMHP_EV_OST);
	assert_int_equal(ev.slot, 1);
	assert_string_equal(ev.id, "d1");
	assert_int_equal(ev.source, 3);
	assert_int_equal(ev.status, 0x80);
	assert_false(memhp_take_event(f->mh, &ev));
	assert_false(readable(f->mh));
	memhp_slot_info(f->mh, 1, &info);
	assert_true(info.present);
	assert_int_equal(info.ost_source, 3);
	assert_int_equal(info.ost_status, 0x80);

	/* asked again (a second device_del): notified again */
	assert_int_equal(memhp_unplug_request(f->mh, 1, &err), 0);
	assert_int_equal(memhp_unplug_request(f->mh, 1, &err), 0);
	assert_int_equal(f->notifies, 3);
	wr(f->mh, CONTROL, REMOVING, 1);
	/* _EJ0 */
	wr(f->mh, CONTROL, EJECT, 1);
	/* _STA reads 0 at once, before the main thread has done anything */
	assert_int_equal(rd(f->mh, FLAGS, 1), 0);
	memhp_slot_info(f->mh, 1, &info);
	assert_false(info.present);
	assert_true(readable(f->mh));
	assert_true(memhp_take_event(f->mh, &ev));
	assert_int_equal(ev.kind, MEMHP_EV_EJECT);
	assert_int_equal(ev.slot, 1);
	assert_string_equal(ev.id, "d1");
	assert_false(memhp_take_event(f->mh, &ev));
	/* the slot is free: empty registers, ready for the next DIMM */
	assert_int_equal(rd(f->mh, ADDR_LO, 4), 0);
	assert_int_equal(rd(f->mh, SIZE_HI, 4), 0);
	assert_int_equal(memhp_unplug_request(f->mh, 1, &err), -EINVAL);
	assert_int_equal(memhp_plug(f->mh, 1, 0x180000000ULL, 1ULL << 30, 0, "d2", true, &err), 0);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED | INSERTING);
	assert_int_equal(rd(f->mh, ADDR_LO, 4), 0x80000000);
}

/* A guest that ejects what is not there, or writes after selecting a
 * slot that does not exist, changes nothing. */
static void test_hostile_writes(void **state)
{
	struct fx *f = *state;
	struct memhp_event ev;
	struct memhp_slot_info info;
	struct kverr err;

	wr(f->mh, SELECT, 3, 4);
	wr(f->mh, CONTROL, EJECT, 1);
	assert_false(readable(f->mh));
	assert_false(memhp_take_event(f->mh, &ev));
	assert_int_equal(
	    memhp_plug(f->mh, 3, 0x100000000ULL, (1ULL << 32) + (1ULL << 27), 5, "x", false, &err),
	    0);
	/* selector past the end: reads 0 everywhere, writes ignored */
	wr(f->mh, SELECT, 4, 4);
	assert_int_equal(rd(f->mh, ADDR_LO, 4), 0);
	assert_int_equal(rd(f->mh, FLAGS, 1), 0);
	assert_int_equal(rd(f->mh, 0x15, 1), 0);
	wr(f->mh, CONTROL, EJECT, 1);
	wr(f->mh, OST_EVENT, 1, 4);
	wr(f->mh, OST_STATUS, 2, 4);
	wr(f->mh, SELECT, 0xffffffff, 4);
	wr(f->mh, CONTROL, EJECT, 1);
	assert_false(readable(f->mh));
	memhp_slot_info(f->mh, 3, &info);
	assert_true(info.present && info.enabled);
	assert_int_equal(info.ost_source, 0);
	/* back to a real slot */
	wr(f->mh, SELECT, 3, 4);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED);
	assert_int_equal(rd(f->mh, SIZE_LO, 4), 1u << 27);
	/* a byte write of the selector selects too */
	wr(f->mh, SELECT, 2, 1);
	assert_int_equal(rd(f->mh, FLAGS, 1), 0);
	/* writes to the reserved offsets change nothing */
	wr(f->mh, SELECT, 3, 4);
	wr(f->mh, 0x0c, 0xffffffff, 4);
	wr(f->mh, 0x10, 0xffffffff, 4);
	wr(f->mh, 0x16, 0xff, 1);
	assert_int_equal(rd(f->mh, PXM, 4), 5);
	assert_int_equal(rd(f->mh, SIZE_HI, 4), 1);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED);
	/* out-of-range slots are refused to the main thread too */
	memhp_slot_info(f->mh, 99, &info);
	assert_false(info.present);
	assert_int_equal(memhp_unplug_request(f->mh, 99, &err), -EINVAL);
}

/* Widths and offsets: decoded by the access's start offset, as QEMU's
 * memory core does (a read elsewhere is all ones). */
static void test_access_widths(void **state)
{
	struct fx *f = *state;
	struct kverr err;

	assert_int_equal(memhp_plug(f->mh, 0, 0xaabbccdd11223344ULL, 0x0102030405060708ULL, 7, NULL,
				    false, &err),
			 0);
	wr(f->mh, SELECT, 0, 4);
	assert_int_equal(rd(f->mh, ADDR_LO, 1), 0x44);
	assert_int_equal(rd(f->mh, ADDR_LO, 2), 0x3344);
	assert_int_equal(rd(f->mh, ADDR_LO, 4), 0x11223344);
	assert_int_equal(rd(f->mh, ADDR_HI, 4), 0xaabbccdd);
	assert_int_equal(rd(f->mh, SIZE_LO, 4), 0x05060708);
	assert_int_equal(rd(f->mh, SIZE_HI, 2), 0x0304);
	assert_int_equal(rd(f->mh, PXM, 1), 7);
	assert_int_equal(rd(f->mh, FLAGS, 4), ENABLED);
	/* inside a register, or past the flags: all ones */
	assert_int_equal(rd(f->mh, 0x01, 1), 0xff);
	assert_int_equal(rd(f->mh, 0x02, 2), 0xffff);
	assert_int_equal(rd(f->mh, 0x15, 1), 0xff);
	assert_int_equal(rd(f->mh, 0x17, 1), 0xff);
	/* an 8-byte access is decoded as 4 bytes wide */
	assert_int_equal(rd(f->mh, ADDR_LO, 8), 0x11223344);
	/* control written as a dword at its offset: same bits */
	assert_int_equal(memhp_unplug_request(f->mh, 0, &err), 0);
	wr(f->mh, CONTROL, REMOVING, 4);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED);
	/* a write at 0x15 is not the control register */
	wr(f->mh, 0x15, EJECT, 1);
	assert_int_equal(rd(f->mh, FLAGS, 1), ENABLED);
}

/* _OST reports queue up to a bound, oldest first; ejections come first. */
static void test_event_queue(void **state)
{
	struct fx *f = *state;
	struct memhp_event ev;
	struct kverr err;
	unsigned n = 0;

	assert_int_equal(memhp_plug(f->mh, 2, 0x100000000ULL, 1ULL << 27, 0, "q", false, &err), 0);
	wr(f->mh, SELECT, 2, 4);
	for (uint32_t i = 0; i < 1000; i++) {
		wr(f->mh, OST_EVENT, 1, 4);
		wr(f->mh, OST_STATUS, i, 4);
	}
	wr(f->mh, CONTROL, EJECT, 1);
	assert_true(memhp_take_event(f->mh, &ev));
	assert_int_equal(ev.kind, MEMHP_EV_EJECT);
	assert_int_equal(ev.slot, 2);
	while (memhp_take_event(f->mh, &ev)) {
		assert_int_equal(ev.kind, MEMHP_EV_OST);
		assert_int_equal(ev.status, n);
		assert_string_equal(ev.id, "q");
		n++;
	}
	assert_int_equal(n, MEMHP_MAX_OST_QUEUE);
	assert_false(readable(f->mh));
	/* an _OST on an empty slot names no device */
	wr(f->mh, OST_STATUS, 5, 4);
	assert_true(memhp_take_event(f->mh, &ev));
	assert_string_equal(ev.id, "");
	assert_int_equal(ev.slot, 2);
}

/* The DSDT part: nothing without slots; every slot's device with 255. */
static void test_aml(void **state)
{
	struct aml_ctx *ctx = aml_ctx_new();
	struct aml *body = aml_block(ctx);
	const uint8_t *data;
	size_t len;
	struct kverr err;
	bool found_last = false, found_e03 = false;

	(void)state;
	memhp_build_aml(ctx, body, 0);
	assert_int_equal(aml_bytes(body, &data, &len, &err), 0);
	assert_int_equal(len, 0);
	memhp_build_aml(ctx, body, 255);
	assert_int_equal(aml_bytes(body, &data, &len, &err), 0);
	for (size_t i = 0; i + 4 <= len; i++) {
		found_last = found_last || !memcmp(data + i, "MPFE", 4);
		found_e03 = found_e03 || !memcmp(data + i, "_E03", 4);
	}
	assert_true(found_last);
	assert_true(found_e03);
	aml_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_limits),
	    cmocka_unit_test_setup_teardown(test_empty_slots, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cold_plug_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hotplug_insert_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_and_eject, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_widths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event_queue, setup, teardown),
	    cmocka_unit_test(test_aml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
