/* test_dimm_flow.c - a DIMM's whole life on kvmem's real machine, with the
 * guest's part played here register by register as the DSDT's methods
 * play it: object-add and device_add over QMP, the guest sees the insert
 * event and the DIMM's address, size and node; device_del, the guest
 * either refuses (_OST: ACPI_DEVICE_OST, query-acpi-ospm-status, the DIMM
 * stays) or ejects (_EJ0: the DIMM leaves the memory manager and its KVM
 * slot, DEVICE_DELETED, object-del frees the backend); and 100 such
 * cycles leave the process's open fds, mappings and KVM slots as they
 * were.  The machine is built by kvmem's stages over the KVM-less VM of
 * tests/qmp/sim_vm.c; what the main loop does with memhp's events is
 * done here by the same calls (memhp_take_event, pc_dimm_ejected).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/memhp.h"
#include "hw/pc_dimm.h"
#include "machine.h"
#include "qmp/commands.h"
#include "qmp/dispatch.h"

#define GiB (1ULL << 30)

static struct config cfg;
static struct machine m;
static struct dev_set_ops ops;
static char events[16][64];
static json_t *event_data[16];
static unsigned nr_events;

static void record_event(void *ctx, const char *name, json_t *data)
{
	(void)ctx;
	if (nr_events < 16) {
		snprintf(events[nr_events], sizeof(events[0]), "%s", name);
		event_data[nr_events++] = data;
	} else {
		json_decref(data);
	}
}

static void clear_events(void)
{
	for (unsigned i = 0; i < nr_events; i++)
		json_decref(event_data[i]);
	nr_events = 0;
}

static void write_fake_bzimage(const char *path)
{
	uint8_t img[4096] = {0};
	FILE *f = fopen(path, "wb");

	img[0x1f1] = 1;
	img[0x1fe] = 0x55;
	img[0x1ff] = 0xaa;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f;
	img[0x207] = 0x02;
	img[0x211] = 0x01;
	img[0x236] = 0x01;
	img[0x239] = 0x08;
	img[0x262] = 0x10;
	assert_non_null(f);
	assert_int_equal(fwrite(img, sizeof(img), 1, f), 1);
	fclose(f);
}

static int setup(void **state)
{
	static char kernel[64];
	char *args[] = {"kvmem",
			"-kernel",
			kernel,
			"-m",
			"1G,slots=4,maxmem=8G",
			"-smp",
			"2",
			"-serial",
			"none",
			"-numa",
			"node,nodeid=0,cpus=0,mem=512M",
			"-numa",
			"node,nodeid=1,cpus=1,mem=512M"};
	struct kverr err = {{0}};
	int fd;

	(void)state;
	snprintf(kernel, sizeof(kernel), "/tmp/kvmem-dimm-kernel-XXXXXX");
	fd = mkstemp(kernel);
	if (fd < 0)
		return -1;
	close(fd);
	write_fake_bzimage(kernel);
	if (config_parse(&cfg, sizeof(args) / sizeof(args[0]), args, &err) ||
	    machine_plan(&m, &cfg, &err) || machine_memory(&m, &err) || machine_devices(&m, &err) ||
	    machine_monitors(&m, &err) || vm_create(&m.vm, &m.topo, &m.pio, &m.mmio, &err) ||
	    vm_create_vcpus(&m.vm, &err)) {
		fprintf(stderr, "set-up failed: %s\n", err.msg);
		return -1;
	}
	unlink(kernel);
	m.vm_live = true;
	m.runstate = MACHINE_RUNNING;
	/* see the registry's events (DEVICE_DELETED) */
	ops = *m.devs.set.ops;
	ops.event = record_event;
	m.devs.set.ops = &ops;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	clear_events();
	machine_destroy(&m);
	config_free(&cfg);
	return 0;
}

/* A QMP command; returns its "return" (or NULL and *desc on an error). */
static json_t *qmp(const char *name, json_t *args, char *desc)
{
	struct qmp_error err;
	json_t *ret = NULL;

	if (qmp_execute(&kvmem_qmp_commands, &m, name, args, &ret, &err)) {
		if (desc)
			snprintf(desc, 256, "%.255s", err.desc);
		ret = NULL;
	}
	json_decref(args);
	return ret;
}

static void qmp_ok(const char *name, json_t *args)
{
	char desc[256] = "";
	json_t *r = qmp(name, args, desc);

	if (!r)
		fail_msg("%s: %s", name, desc);
	json_decref(r);
}

/* The guest, through the controller's registers (the DSDT's fields). */
static uint32_t guest_read(uint64_t off, unsigned len)
{
	uint8_t b[4] = {0};

	memhp_io(m.memhp, off, b, len, false);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void guest_write(uint64_t off, uint32_t v, unsigned len)
{
	uint8_t b[4] = {v, v >> 8, v >> 16, v >> 24};

	memhp_io(m.memhp, off, b, len, true);
}

/* What the main loop does when memhp's eventfd is readable. */
static void main_loop_memhp(unsigned *ost, unsigned *ejected)
{
	struct memhp_event ev;

	while (memhp_take_event(m.memhp, &ev)) {
		if (ev.kind == MEMHP_EV_OST) {
			(*ost)++;
		} else {
			pc_dimm_ejected(&m, ev.slot);
			(*ejected)++;
		}
	}
}

static unsigned count_dir(const char *path)
{
	DIR *d = opendir(path);
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static unsigned count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned n = 0;
	int c;

	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static unsigned nr_dimms(void)
{
	json_t *r = qmp("query-memory-devices", NULL, NULL);
	unsigned n = (unsigned)json_array_size(r);

	json_decref(r);
	return n;
}

static void plug(const char *id, const char *memdev, unsigned node)
{
	qmp_ok("object-add", json_pack("{s:s, s:s, s:I}", "qom-type", "memory-backend-memfd", "id",
				       memdev, "size", (json_int_t)(1 * GiB)));
	qmp_ok("device_add", json_pack("{s:s, s:s, s:s, s:i}", "driver", "pc-dimm", "id", id,
				       "memdev", memdev, "node", node));
}

/* Plug, refuse once, eject: what the guest sees and what kvmem does. */
static void test_plug_refuse_eject(void **state)
{
	unsigned slots0 = mem_manager_slots_used(m.mem), ost = 0, ejected = 0;
	char desc[256];
	json_t *r;

	(void)state;
	plug("d1", "m1", 1);
	assert_int_equal(nr_dimms(), 1);
	assert_int_equal(mem_manager_slots_used(m.mem), slots0 + 1);
	/* the guest's scan (MSCN): slot 0 has an insert event */
	guest_write(0x00, 0, 4);
	assert_int_equal(guest_read(0x14, 1), 0x3);
	guest_write(0x14, 0x2, 1);
	assert_int_equal(guest_read(0x14, 1), 0x1);
	/* _CRS and _PXM: the first fit above 4 GiB + RAM, node 1 */
	assert_int_equal(guest_read(0x00, 4), 0x00000000);
	assert_int_equal(guest_read(0x04, 4), 0x1);
	assert_int_equal(guest_read(0x08, 4), 0x40000000);
	assert_int_equal(guest_read(0x0c, 4), 0);
	assert_int_equal(guest_read(0x10, 4), 1);

	/* device_del: the guest is asked, cannot offline, says so */
	qmp_ok("device_del", json_pack("{s:s}", "id", "d1"));
	assert_int_equal(guest_read(0x14, 1), 0x5);
	guest_write(0x14, 0x4, 1); /* MSCN clears the remove event */
	guest_write(0x04, 0x103, 4);
	guest_write(0x08, 0x82, 4); /* _OST: eject request failed, busy */
	main_loop_memhp(&ost, &ejected);
	assert_int_equal(ost, 1);
	assert_int_equal(ejected, 0);
	r = qmp("query-acpi-ospm-status", NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "device")),
			    "d1");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "source")),
			 0x103);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "status")), 0x82);
	json_decref(r);
	assert_int_equal(nr_dimms(), 1);
	assert_null(qmp("object-del", json_pack("{s:s}", "id", "m1"), desc));
	assert_string_equal(desc, "object 'm1' is in use, can not be deleted");

	/* asked again: the guest ejects */
	qmp_ok("device_del", json_pack("{s:s}", "id", "d1"));
	assert_int_equal(guest_read(0x14, 1), 0x5);
	guest_write(0x14, 0x4, 1);
	guest_write(0x14, 0x8, 1);		  /* _EJ0 */
	assert_int_equal(guest_read(0x14, 1), 0); /* _STA: gone */
	assert_int_equal(nr_events, 0);
	main_loop_memhp(&ost, &ejected);
	assert_int_equal(ejected, 1);
	assert_int_equal(nr_events, 1);
	assert_string_equal(events[0], "DEVICE_DELETED");
	assert_string_equal(json_string_value(json_object_get(event_data[0], "device")), "d1");
	assert_string_equal(json_string_value(json_object_get(event_data[0], "path")),
			    "/machine/peripheral/d1");
	clear_events();
	assert_int_equal(nr_dimms(), 0);
	assert_int_equal(mem_manager_slots_used(m.mem), slots0);
	qmp_ok("object-del", json_pack("{s:s}", "id", "m1"));
	/* the slot and the id are free again */
	plug("d1", "m1", 0);
	assert_int_equal(nr_dimms(), 1);
}

/* 100 plug/unplug cycles: fds, mappings and KVM slots as before. */
static void test_cycles_leave_nothing(void **state)
{
	unsigned ost = 0, ejected = 0, fds, maps, slots;
	char id[16], md[16];

	(void)state;
	/* one cycle first, so lazily made things (the event queue, jansson's
	 * pools) are there before counting */
	plug("w", "wm", 0);
	qmp_ok("device_del", json_pack("{s:s}", "id", "w"));
	guest_write(0x00, 0, 4);
	guest_write(0x14, 0x8, 1);
	main_loop_memhp(&ost, &ejected);
	qmp_ok("object-del", json_pack("{s:s}", "id", "wm"));
	clear_events();
	fds = count_dir("/proc/self/fd");
	maps = count_lines("/proc/self/maps");
	slots = mem_manager_slots_used(m.mem);
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		snprintf(md, sizeof(md), "cm%d", i);
		plug(id, md, (unsigned)i % 2);
		guest_write(0x00, 0, 4);
		guest_write(0x14, 0x2, 1);
		qmp_ok("device_del", json_pack("{s:s}", "id", id));
		guest_write(0x14, 0x4, 1);
		guest_write(0x14, 0x8, 1);
		main_loop_memhp(&ost, &ejected);
		qmp_ok("object-del", json_pack("{s:s}", "id", md));
		clear_events();
	}
	assert_int_equal(ejected, 101);
	assert_int_equal(nr_dimms(), 0);
	assert_int_equal(count_dir("/proc/self/fd"), fds);
	assert_int_equal(count_lines("/proc/self/maps"), maps);
	assert_int_equal(mem_manager_slots_used(m.mem), slots);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_plug_refuse_eject, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cycles_leave_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
