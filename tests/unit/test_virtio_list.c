/* test_virtio_list.c - the machine's list of virtio-pci devices
 * (src/virtio/pci_list.c), with the transport's functions it calls
 * replaced by fakes that record each call: every device is bound to each
 * VM once, one added while a VM or the loop exists is bound at once, a
 * machine reset reaches each device through its own hook or the
 * transport's reset, and a device that left gets nothing more.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/loop.h"
#include "virtio/pci.h"
#include "virtio/pci_list.h"

/* what happened to each device, by its index */
struct rec {
	int attached, detached, transport_resets, machine_resets, loops;
	const struct pci_vm_ops *vm; /* the last VM it was bound to */
	struct loop *loop;
	int refuse_loop; /* its attach_loop fails with this errno */
};

#define NDEV 4
static struct rec rec[NDEV];
static struct virtio_pci vp[NDEV];
static char order[64]; /* the devices' indexes, in the order reached */

static int index_of(const struct virtio_pci *p)
{
	return (int)(p - vp);
}

static void reached(int i)
{
	size_t n = strlen(order);

	order[n] = (char)('0' + i);
	order[n + 1] = '\0';
}

/* ---- the transport, faked ---- */

void virtio_pci_attach_vm(struct virtio_pci *p, const struct pci_vm_ops *vm)
{
	rec[index_of(p)].attached++;
	rec[index_of(p)].vm = vm;
	reached(index_of(p));
}

void virtio_pci_detach_vm(struct virtio_pci *p)
{
	rec[index_of(p)].detached++;
	reached(index_of(p));
}

void virtio_pci_reset(struct virtio_pci *p)
{
	rec[index_of(p)].transport_resets++;
	reached(index_of(p));
}

/* ---- the devices' hooks ---- */

static void dev_machine_reset(void *dev)
{
	struct rec *r = dev;

	r->machine_resets++;
	reached((int)(r - rec));
}

static int dev_attach_loop(void *dev, struct loop *loop, struct kverr *err)
{
	struct rec *r = dev;

	if (r->refuse_loop)
		return kverr_set(err, r->refuse_loop, "device %d: no room in the loop",
				 (int)(r - rec));
	r->loops++;
	r->loop = loop;
	reached((int)(r - rec));
	return 0;
}

/* devices 0 and 2 have both hooks (a balloon, a virtio-mem); 1 and 3 none */
static const struct virtio_dev_ops with_hooks = {
    .name = "hooked", .machine_reset = dev_machine_reset, .attach_loop = dev_attach_loop};
static const struct virtio_dev_ops plain = {.name = "plain"};

static int setup(void **state)
{
	(void)state;
	memset(rec, 0, sizeof(rec));
	memset(vp, 0, sizeof(vp));
	order[0] = '\0';
	for (int i = 0; i < NDEV; i++) {
		vp[i].ops = i % 2 ? &plain : &with_hooks;
		vp[i].dev = &rec[i];
	}
	return 0;
}

static void add(struct virtio_pci_list *l, int i)
{
	struct kverr err = {{0}};

	assert_int_equal(virtio_pci_list_add(l, &vp[i], &err), 0);
}

static const struct pci_vm_ops vm_a = {.ctx = (void *)"vm a"}, vm_b = {.ctx = (void *)"vm b"};

/* Each VM built (start, then a reset's new VM) binds every device once, in
 * the order they were added; each VM's end unbinds them all. */
static void test_each_vm_binds_every_device(void **state)
{
	struct virtio_pci_list l = {0};

	(void)state;
	add(&l, 0);
	add(&l, 1);
	add(&l, 2);
	assert_string_equal(order, ""); /* no VM yet: nothing bound */
	virtio_pci_list_vm_built(&l, &vm_a);
	assert_string_equal(order, "012");
	virtio_pci_list_vm_gone(&l);
	virtio_pci_list_vm_built(&l, &vm_b);
	assert_string_equal(order, "012012012");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rec[i].attached, 2);
		assert_int_equal(rec[i].detached, 1);
		assert_ptr_equal(rec[i].vm->ctx, vm_b.ctx); /* the new VM's */
	}
}

/* device_add while the guest runs: the new device is bound to the VM and
 * the loop at once; after the VM went, one added is not bound to it. */
static void test_added_while_running(void **state)
{
	struct virtio_pci_list l = {0};
	struct loop loop = {.epfd = -1};
	struct kverr err = {{0}};

	(void)state;
	add(&l, 0);
	assert_int_equal(virtio_pci_list_attach_loop(&l, &loop, &err), 0);
	virtio_pci_list_vm_built(&l, &vm_a);
	add(&l, 2);
	assert_int_equal(rec[2].attached, 1);
	assert_ptr_equal(rec[2].vm->ctx, vm_a.ctx);
	assert_int_equal(rec[2].loops, 1);
	assert_ptr_equal(rec[2].loop, &loop);
	assert_int_equal(rec[0].loops, 1); /* not attached twice */
	virtio_pci_list_vm_gone(&l);
	add(&l, 3);
	assert_int_equal(rec[3].attached, 0);
	assert_int_equal(rec[3].detached, 0);
}

/* A machine reset reaches each device once, in order: a device's own
 * hook where it has one (it resets its transport itself), else the
 * transport's reset. */
static void test_reset_reaches_each_device_once(void **state)
{
	struct virtio_pci_list l = {0};

	(void)state;
	for (int i = 0; i < NDEV; i++)
		add(&l, i);
	virtio_pci_list_reset(&l);
	assert_string_equal(order, "0123");
	for (int i = 0; i < NDEV; i++) {
		assert_int_equal(rec[i].machine_resets, i % 2 ? 0 : 1);
		assert_int_equal(rec[i].transport_resets, i % 2 ? 1 : 0);
	}
}

/* The main loop comes: each device's attach_loop in order; a failure
 * stops there with the device's message. */
static void test_attach_loop(void **state)
{
	struct virtio_pci_list l = {0};
	struct loop loop = {.epfd = -1};
	struct kverr err = {{0}};

	(void)state;
	for (int i = 0; i < NDEV; i++)
		add(&l, i);
	assert_int_equal(virtio_pci_list_attach_loop(&l, &loop, &err), 0);
	assert_string_equal(order, "02"); /* 1 and 3 have no fds of their own */

	setup(NULL);
	memset(&l, 0, sizeof(l));
	add(&l, 0);
	add(&l, 2);
	rec[2].refuse_loop = ENOMEM;
	assert_int_equal(virtio_pci_list_attach_loop(&l, &loop, &err), -ENOMEM);
	assert_string_equal(err.msg, "device 2: no room in the loop");
}

/* A device whose fds cannot join the loop is not on the list: no VM or
 * reset reaches it. */
static void test_add_fails_on_the_loop(void **state)
{
	struct virtio_pci_list l = {0};
	struct loop loop = {.epfd = -1};
	struct kverr err = {{0}};

	(void)state;
	assert_int_equal(virtio_pci_list_attach_loop(&l, &loop, &err), 0);
	virtio_pci_list_vm_built(&l, &vm_a);
	rec[0].refuse_loop = EMFILE;
	assert_int_equal(virtio_pci_list_add(&l, &vp[0], &err), -EMFILE);
	assert_int_equal(rec[0].attached, 0);
	virtio_pci_list_reset(&l);
	assert_int_equal(rec[0].machine_resets, 0);
	assert_null(l.first);
}

/* A device that left (unrealized, or its realize failed) gets nothing
 * more; the others keep their order.  Removing one not on the list is
 * harmless. */
static void test_removed_device_gets_nothing(void **state)
{
	struct virtio_pci_list l = {0};

	(void)state;
	for (int i = 0; i < 3; i++)
		add(&l, i);
	virtio_pci_list_remove(&l, &vp[1]);
	virtio_pci_list_remove(&l, &vp[3]);
	virtio_pci_list_vm_built(&l, &vm_a);
	virtio_pci_list_reset(&l);
	virtio_pci_list_vm_gone(&l);
	assert_string_equal(order, "020202");
	assert_int_equal(rec[1].attached + rec[1].detached + rec[1].transport_resets, 0);
	virtio_pci_list_remove(&l, &vp[0]);
	virtio_pci_list_remove(&l, &vp[2]);
	assert_null(l.first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_each_vm_binds_every_device, setup),
	    cmocka_unit_test_setup(test_added_while_running, setup),
	    cmocka_unit_test_setup(test_reset_reaches_each_device_once, setup),
	    cmocka_unit_test_setup(test_attach_loop, setup),
	    cmocka_unit_test_setup(test_add_fails_on_the_loop, setup),
	    cmocka_unit_test_setup(test_removed_device_gets_nothing, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
