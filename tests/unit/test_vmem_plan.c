/* test_vmem_plan.c - where virtio-mem devices go and why they are refused:
 * QEMU 7.2's rules.  Every address and message here is what
 * qemu-system-x86_64 7.2 (-machine pc, accel tcg) answered for the same
 * -device or device_add: query-memory-devices for the addresses, the
 * error for the messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plan/dimm.h"
#include "plan/vmem.h"

#define THP (2 * MiB)
#define RAM_ALIGN (2 * MiB)

struct vm {
	struct layout l;
	struct numa n;
	struct dimm_space s;
	struct dimm_plugged d[16];
	unsigned nr;
};

static void vm_init(struct vm *vm, uint64_t size, uint32_t slots, uint64_t maxmem, unsigned nodes)
{
	struct config_mem mem = {.size = size, .slots = slots, .maxmem = maxmem};
	struct kverr err;

	memset(vm, 0, sizeof(*vm));
	if (layout_compute(&mem, &vm->l, &err))
		fail_msg("layout: %s", err.msg);
	vm->n.nr_nodes = nodes;
	vm->n.max_nodeid = nodes;
	for (unsigned i = 0; i < nodes; i++)
		vm->n.node[i].present = true;
	dimm_space_init(&vm->s, &vm->l, &vm->n);
}

/* memory-backend-ram of size: 4 KiB pages, QEMU's 2 MiB alignment */
static struct vmem_request ram(uint64_t size)
{
	return (struct vmem_request){.memdev = "m",
				     .size = size,
				     .page_size = 4096,
				     .host_page_size = 4096,
				     .thp_size = THP,
				     .align = RAM_ALIGN,
				     .kvm_slot_free = true};
}

static int vmem(struct vm *vm, const char *id, struct vmem_request r, struct vmem_placement *p,
		struct kverr *err)
{
	int ret = vmem_place(&vm->s, vm->d, vm->nr, &r, p, err);

	if (!ret)
		vm->d[vm->nr++] = (struct dimm_plugged){
		    .id = id, .addr = p->addr, .size = r.size, .slot = DIMM_NO_SLOT};
	return ret;
}

static void dimm(struct vm *vm, const char *id, uint64_t size, uint64_t want_addr)
{
	struct dimm_request r = {.slot = DIMM_SLOT_AUTO,
				 .memdev = id,
				 .size = size,
				 .align = RAM_ALIGN,
				 .kvm_slot_free = true};
	struct dimm_placement p;
	struct kverr err;

	if (dimm_place(&vm->s, vm->d, vm->nr, &r, &p, &err))
		fail_msg("%s: %s", id, err.msg);
	assert_int_equal(p.addr, want_addr);
	vm->d[vm->nr++] =
	    (struct dimm_plugged){.id = id, .addr = p.addr, .size = size, .slot = p.slot};
}

#define EXPECT_AT(vm, id, r, want_addr, want_block)                                                \
	do {                                                                                       \
		struct vmem_placement p_;                                                          \
		struct kverr e_;                                                                   \
		if (vmem(vm, id, r, &p_, &e_))                                                     \
			fail_msg("%s refused: %s", id, e_.msg);                                    \
		assert_int_equal(p_.addr, want_addr);                                              \
		assert_int_equal(p_.block_size, want_block);                                       \
	} while (0)

#define EXPECT_REFUSED(vm, r, want_msg)                                                            \
	do {                                                                                       \
		struct vmem_placement p_;                                                          \
		struct kverr e_;                                                                   \
		unsigned n_ = (vm)->nr;                                                            \
		assert_true(vmem(vm, "refused", r, &p_, &e_) < 0);                                 \
		assert_string_equal(e_.msg, want_msg);                                             \
		assert_int_equal((vm)->nr, n_);                                                    \
	} while (0)

/* -m 1G,slots=2,maxmem=8G; device_add virtio-mem-pci m0 (512M), pc-dimm dd
 * (1G), virtio-mem-pci m1 (1G, block-size=1G), pc-dimm dd1 (256M),
 * virtio-mem-pci m2 (memfd 64M, block-size=1M): QEMU 7.2 placed them at
 * 0x100000000, 0x120000000, 0x180000000, 0x160000000, 0x170000000. */
static void test_qemu_mixed_with_dimms(void **state)
{
	struct vm vm;
	struct vmem_request r;

	(void)state;
	vm_init(&vm, 1 * GiB, 2, 8 * GiB, 1);
	EXPECT_AT(&vm, "vm0", ram(512 * MiB), 0x100000000ULL, 2 * MiB);
	dimm(&vm, "dd", 1 * GiB, 0x120000000ULL);
	r = ram(1 * GiB);
	r.block_size = 1 * GiB;
	EXPECT_AT(&vm, "vm1", r, 0x180000000ULL, 1 * GiB);
	dimm(&vm, "dd1", 256 * MiB, 0x160000000ULL);
	r = ram(64 * MiB);
	r.align = 4096; /* memfd: page aligned */
	r.block_size = 1 * MiB;
	EXPECT_AT(&vm, "vm2", r, 0x170000000ULL, 1 * MiB);
}

static void test_qemu_messages(void **state)
{
	struct vm vm, none;
	struct vmem_request r;

	(void)state;
	vm_init(&vm, 1 * GiB, 0, 8 * GiB, 1);
	vm_init(&none, 1 * GiB, 0, 1 * GiB, 1);
	r = ram(1 * GiB);
	r.block_size = 512 * KiB;
	EXPECT_REFUSED(&vm, r, "'block-size' property has to be at least 0x100000");
	r.block_size = 3 * MiB;
	EXPECT_REFUSED(&vm, r, "'block-size' property has to be a power of two");
	r = ram(1 * GiB);
	r.memdev = NULL;
	EXPECT_REFUSED(&none, r, "'memdev' property must be set");
	EXPECT_REFUSED(&none, ram(1 * GiB),
		       "memory devices (e.g. for memory hotplug) are not enabled, please specify "
		       "the maxmem option");
	r = ram(1 * GiB);
	r.kvm_slot_free = false;
	EXPECT_REFUSED(&vm, r, "hypervisor has no free memory slots left");
	EXPECT_REFUSED(&vm, ram(8 * GiB),
		       "not enough space, currently 0x0 in use of total space for memory devices "
		       "0x1c0000000");
	EXPECT_REFUSED(&vm, ram(1025 * MiB), "backend memory size must be multiple of 0x200000");
	r = ram(1026 * MiB);
	r.block_size = 4 * MiB;
	EXPECT_REFUSED(&vm, r, "backend memory size must be multiple of 0x400000");
	r = ram(1 * GiB);
	r.block_size = 4 * MiB;
	r.addr = 0x100200000ULL;
	EXPECT_REFUSED(&vm, r, "address must be aligned to 0x400000 bytes");
	r = ram(1 * GiB);
	r.addr = 0x40000000ULL;
	EXPECT_REFUSED(&vm, r,
		       "can't add memory device [0x40000000:0x40000000], usable range for memory "
		       "devices [0x100000000:0x1c0000000]");
	r = ram(1 * GiB);
	r.memdev_mapped = true;
	r.memdev = "m0";
	EXPECT_REFUSED(&vm, r, "'memdev' property specifies a busy memdev: m0");
	r = ram(1 * GiB);
	r.node = 1;
	EXPECT_REFUSED(&vm, r,
		       "'node' property has value '1', which exceedsthe number of numa nodes: 1");
	r = ram(1 * GiB);
	r.requested_size = 3 * MiB;
	EXPECT_REFUSED(&vm, r,
		       "'requested-size' property has to be multiples of 'block-size' "
		       "(0x200000)");
	/* a hugetlb backend of 2 MiB pages with 1 MiB blocks */
	r = ram(1 * GiB);
	r.page_size = 2 * MiB;
	r.block_size = 1 * MiB;
	EXPECT_REFUSED(&vm, r, "'block-size' property has to be at least the page size (0x200000)");
	/* QEMU 7.2 accepts a requested-size above the backend's size */
	r = ram(1 * GiB);
	r.requested_size = 2 * GiB;
	EXPECT_AT(&vm, "big", r, 0x100000000ULL, 2 * MiB);
	/* memaddr= overlapping it */
	r = ram(1 * GiB);
	r.addr = 0x100000000ULL;
	EXPECT_REFUSED(&vm, r, "address range conflicts with memory device id='big'");
}

static void test_nodes(void **state)
{
	struct vm vm;
	struct vmem_request r = ram(1 * GiB);

	(void)state;
	vm_init(&vm, 1 * GiB, 0, 8 * GiB, 2);
	r.node = 2;
	EXPECT_REFUSED(&vm, r,
		       "'node' property has value '2', which exceedsthe number of numa nodes: 2");
	r.node = 1;
	EXPECT_AT(&vm, "vm0", r, 0x100000000ULL, 2 * MiB);
}

static void test_default_block_size(void **state)
{
	(void)state;
	/* ordinary pages: the THP size */
	assert_int_equal(vmem_default_block_size(4096, 4096, 2 * MiB), 2 * MiB);
	/* no THP: the 1 MiB floor (QEMU's thp_size then) */
	assert_int_equal(vmem_default_block_size(4096, 4096, 1 * MiB), 1 * MiB);
	/* hugetlb: the huge page */
	assert_int_equal(vmem_default_block_size(2 * MiB, 4096, 2 * MiB), 2 * MiB);
	assert_int_equal(vmem_default_block_size(1 * GiB, 4096, 2 * MiB), 1 * GiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qemu_mixed_with_dimms),
	    cmocka_unit_test(test_qemu_messages),
	    cmocka_unit_test(test_nodes),
	    cmocka_unit_test(test_default_block_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
