#include "kvm/vm.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plan/layout.h"

#define KVM_DEV "/dev/kvm"

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

static int check_cap(struct vm *vm, long cap, const char *name, struct kverr *err)
{
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) <= 0)
		return kverr_set(err, ENOTSUP, "%s: KVM lacks %s", KVM_DEV, name);
	return 0;
}

const char *const vm_accels[] = {"kvm", NULL};

int vm_accel_probe(const char *name, struct kverr *err)
{
	int fd, ver;

	if (strcmp(name, "kvm"))
		return kverr_set(err, ENOTSUP, "kvmem runs guests with kvm only, not %s", name);
	fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kverr_sys(err, errno, "cannot open %s", KVM_DEV);
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (ver != KVM_API_VERSION)
		return kverr_set(err, ENOTSUP, "%s: API version %d, kvmem needs %d", KVM_DEV, ver,
				 KVM_API_VERSION);
	return 0;
}

int vm_create(struct vm *vm, const struct topology *topo, struct bus *pio, struct bus *mmio,
	      struct kverr *err)
{
	struct kvm_pit_config pit = {.flags = 0};
	struct sigaction sa;
	int ret, mmap_size;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	vm->topo = topo;
	vm->pio = pio;
	vm->mmio = mmio;
	pthread_mutex_init(&vm->report_lock, NULL);
	vm_threads_init(vm);
	vm_irq_init(vm);

	vm->kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return kverr_sys(err, errno, "cannot open %s", KVM_DEV);
	ret = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION)
		return kverr_set(err, ENOTSUP, "%s: API version %d, kvmem needs %d", KVM_DEV, ret,
				 KVM_API_VERSION);
	if ((ret = check_cap(vm, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", err)) ||
	    (ret = check_cap(vm, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", err)) ||
	    (ret = check_cap(vm, KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", err)) ||
	    (ret = check_cap(vm, KVM_CAP_PIT2, "KVM_CAP_PIT2", err)) ||
	    (ret = check_cap(vm, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", err)))
		return ret;
	ret = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	if (ret <= 0)
		ret = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (ret > 0 && topology_apic_id(topo, topo->maxcpus - 1) >= (uint32_t)ret)
		return kverr_set(err, EINVAL, "-smp: %u CPUs need APIC id %u, KVM allows ids below %d",
				 topo->maxcpus, topology_apic_id(topo, topo->maxcpus - 1), ret);

	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		return kverr_sys(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)mmap_size;

	vm->supported_cpuid = malloc(sizeof(*vm->supported_cpuid));
	if (!vm->supported_cpuid)
		return kverr_set(err, ENOMEM, "out of memory");
	ret = cpuid_get_supported(vm->kvm_fd, vm->supported_cpuid, err);
	if (ret)
		return ret;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return kverr_sys(err, errno, "KVM_CREATE_VM");
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		return kverr_sys(err, errno, "KVM_SET_TSS_ADDR");
	{
		uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
			return kverr_sys(err, errno, "KVM_SET_IDENTITY_MAP_ADDR");
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return kverr_sys(err, errno, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return kverr_sys(err, errno, "KVM_CREATE_PIT2");

	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return kverr_sys(err, errno, "eventfd");

	/* SIGUSR1 kicks a vCPU out of KVM_RUN; no SA_RESTART so the ioctl
	 * returns EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return kverr_sys(err, errno, "sigaction(SIGUSR1)");
	return 0;
}

/* The memory manager numbers the slots; this only tells KVM. */
static int vm_set_slot(void *opaque, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
		       struct kverr *err)
{
	struct vm *vm = opaque;
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return kverr_sys(err, errno, "KVM_SET_USER_MEMORY_REGION slot %u (0x%llx+0x%llx)",
				 slot, (unsigned long long)gpa, (unsigned long long)size);
	return 0;
}

static const struct mem_slot_ops vm_slot_ops = {.set_slot = vm_set_slot};

int vm_map_memory(struct vm *vm, struct mem_manager *mm, struct kverr *err)
{
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	int ret;

	/* KVM before 2.6.x answered 0: its limit was 32 */
	ret = mem_manager_attach(mm, &vm_slot_ops, vm, max > 0 ? (uint32_t)max : 32, err);
	if (!ret)
		vm->mem = mm;
	return ret;
}

int vm_create_vcpus(struct vm *vm, struct kverr *err)
{
	vm->vcpu = calloc(vm->topo->cpus, sizeof(*vm->vcpu));
	if (!vm->vcpu)
		return kverr_set(err, ENOMEM, "out of memory for %u vCPUs", vm->topo->cpus);
	for (uint32_t i = 0; i < vm->topo->cpus; i++) {
		int ret = vcpu_init(&vm->vcpu[i], vm, i, err);
		if (ret)
			return ret;
		vm->nr_vcpus++;
	}
	return 0;
}

int vm_start(struct vm *vm, const struct boot_entry *entry, bool paused, struct kverr *err)
{
	int ret = vcpu_set_boot_state(&vm->vcpu[0], entry, err);

	if (ret)
		return ret;
	return vm_threads_start(vm, vcpu_thread, paused, err);
}

void vm_pause(struct vm *vm)
{
	struct kvm_clock_data clock = {0};

	if (!vm_threads_pause(vm, vcpu_kick))
		return;
	/* Freeze the guest's clock, as QEMU's kvmclock device does on stop. */
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &clock) == 0) {
		vm->clock = clock.clock;
		vm->clock_saved = true;
	}
}

void vm_resume(struct vm *vm)
{
	if (vm->clock_saved) {
		struct kvm_clock_data clock = {.clock = vm->clock};

		/* Failure leaves the clock running on; the guest sees a jump. */
		(void)ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock);
		vm->clock_saved = false;
	}
	vm_threads_resume(vm);
}

void vm_stop(struct vm *vm)
{
	vm_threads_stop(vm, vcpu_kick);
}

void vm_destroy(struct vm *vm)
{
	vm_stop(vm);
	if (vm->mem)
		mem_manager_detach(vm->mem);
	vm->mem = NULL;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_fini(&vm->vcpu[i]);
	free(vm->vcpu);
	vm->vcpu = NULL;
	vm->nr_vcpus = 0;
	free(vm->supported_cpuid);
	vm->supported_cpuid = NULL;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	vm->vm_fd = vm->kvm_fd = vm->event_fd = -1;
	pthread_mutex_destroy(&vm->report_lock);
	vm_threads_fini(vm);
	vm_irq_fini(vm);
}

void vm_set_irq(void *ctx, unsigned gsi, int level)
{
	struct vm *vm = ctx;
	struct kvm_irq_level irq = {.irq = gsi, .level = level ? 1 : 0};

	/* Failure here means the VM fd is gone (teardown); nothing to do. */
	(void)ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
}
