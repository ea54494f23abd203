/* test_vcpu.c - vcpu_init's failure paths (src/kvm/vcpu.c) without KVM.
 *
 * ioctl, mmap (mmap64), munmap and close are wrapped at link time (-Wl,--wrap):
 * KVM_CREATE_VCPU hands out a real fd (an eventfd), its mmap a real
 * anonymous mapping, and each later set-up ioctl can be made to fail.
 * Whatever step fails, the vCPU's fd must be closed and its kvm_run
 * mapping unmapped once vcpu_init returns: vm_create_vcpus counts only
 * vCPUs that were set up completely, so nobody else would release them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvm/vm.h"

#define FAKE_VM_FD 1000

int __real_close(int fd);
/* Meson builds with _FILE_OFFSET_BITS=64, so glibc's headers turn mmap
 * into mmap64: that is the symbol vcpu.c calls. */
void *__real_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);

static struct {
	unsigned long fail_req; /* the ioctl that fails (0: none) */
	bool fail_mmap;
	int vcpu_fd; /* the fd KVM_CREATE_VCPU handed out, -1 before */
	bool vcpu_fd_closed;
	void *run; /* the kvm_run mapping handed out */
	bool run_unmapped;
} fake;

int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	if (req == fake.fail_req) {
		errno = EINVAL;
		return -1;
	}
	switch (req) {
	case KVM_CREATE_VCPU:
		assert_int_equal(fd, FAKE_VM_FD);
		fake.vcpu_fd = eventfd(0, EFD_CLOEXEC);
		return fake.vcpu_fd;
	case KVM_SET_MSRS:
		return 1; /* entries written */
	default:
		assert_int_equal(fd, fake.vcpu_fd);
		return 0;
	}
}

void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	(void)flags;
	(void)off;
	assert_int_equal(fd, fake.vcpu_fd);
	if (fake.fail_mmap) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	fake.run = __real_mmap64(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return fake.run;
}

int __wrap_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len)
{
	if (addr == fake.run)
		fake.run_unmapped = true;
	return __real_munmap(addr, len);
}

int __wrap_close(int fd);
int __wrap_close(int fd)
{
	if (fd == fake.vcpu_fd)
		fake.vcpu_fd_closed = true;
	return __real_close(fd);
}

static struct topology topo;
static struct cpuid_table supported;

static void vm_for_test(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = FAKE_VM_FD;
	vm->run_size = 4096;
	vm->topo = &topo;
	vm->supported_cpuid = &supported;
	memset(&fake, 0, sizeof(fake));
	fake.vcpu_fd = -1;
}

/* vcpu_init fails at the step named; nothing may be left behind. */
static void fails_cleanly(unsigned long fail_req, bool fail_mmap)
{
	struct vm vm;
	struct vcpu vcpu;
	struct kverr err = {{0}};

	vm_for_test(&vm);
	fake.fail_req = fail_req;
	fake.fail_mmap = fail_mmap;
	assert_true(vcpu_init(&vcpu, &vm, 0, &err) < 0);
	assert_true(err.msg[0] != '\0');
	assert_true(fake.vcpu_fd >= 0);
	assert_true(fake.vcpu_fd_closed);
	if (!fail_mmap)
		assert_true(fake.run_unmapped);
	assert_int_equal(vcpu.fd, -1);
	assert_null(vcpu.run);
}

static void test_mmap_fails(void **state)
{
	(void)state;
	fails_cleanly(0, true);
}

static void test_set_cpuid_fails(void **state)
{
	(void)state;
	fails_cleanly(KVM_SET_CPUID2, false);
}

static void test_set_msrs_fails(void **state)
{
	(void)state;
	fails_cleanly(KVM_SET_MSRS, false);
}

static void test_set_fpu_fails(void **state)
{
	(void)state;
	fails_cleanly(KVM_SET_FPU, false);
}

static void test_lapic_fails(void **state)
{
	(void)state;
	fails_cleanly(KVM_GET_LAPIC, false);
	fails_cleanly(KVM_SET_LAPIC, false);
}

/* The same steps succeeding keep the fd and the mapping until vcpu_fini. */
static void test_success_keeps_then_fini_releases(void **state)
{
	struct vm vm;
	struct vcpu vcpu;
	struct kverr err = {{0}};

	(void)state;
	vm_for_test(&vm);
	assert_int_equal(vcpu_init(&vcpu, &vm, 0, &err), 0);
	assert_int_equal(vcpu.fd, fake.vcpu_fd);
	assert_ptr_equal(vcpu.run, fake.run);
	assert_false(fake.vcpu_fd_closed);
	assert_false(fake.run_unmapped);
	vcpu_fini(&vcpu);
	assert_true(fake.vcpu_fd_closed);
	assert_true(fake.run_unmapped);
}

/* KVM_CREATE_VCPU itself failing: no fd to close, a message naming it. */
static void test_create_fails(void **state)
{
	struct vm vm;
	struct vcpu vcpu;
	struct kverr err = {{0}};

	(void)state;
	vm_for_test(&vm);
	fake.fail_req = KVM_CREATE_VCPU;
	assert_int_equal(vcpu_init(&vcpu, &vm, 0, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "KVM_CREATE_VCPU 0"));
	assert_null(vcpu.run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mmap_fails),
	    cmocka_unit_test(test_set_cpuid_fails),
	    cmocka_unit_test(test_set_msrs_fails),
	    cmocka_unit_test(test_set_fpu_fails),
	    cmocka_unit_test(test_lapic_fails),
	    cmocka_unit_test(test_success_keeps_then_fini_releases),
	    cmocka_unit_test(test_create_fails),
	};

	topology_from_config(
	    &(struct config_smp){
		.cpus = 1, .sockets = 1, .dies = 1, .cores = 1, .threads = 1, .maxcpus = 1},
	    &topo);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
