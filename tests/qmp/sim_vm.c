/* sim_vm.c - kvm/vm.h without KVM, for testing the monitors where there is
 * no /dev/kvm (CI).
 *
 * Linked into kvmem-sim in place of src/kvm/vm.c and vcpu.c, everything
 * else being kvmem's own code: the command line, the plan, guest memory,
 * the devices, the main loop, the monitors and their commands.  Each
 * "vCPU" is a thread that parks while the VM is paused, exactly as a real
 * one does; instead of running a guest, vCPU 0 plays a tiny one through
 * the real device models on the I/O bus:
 *
 *   - it prints "sim: tick N" on the serial port every SIM_TICK_MS, so a
 *     test sees the guest make progress (and stop while paused); with
 *     KVMEM_SIM_FLOOD=1 in its environment it prints "sim: flood N" lines
 *     as fast as the UART takes them instead.  Either way it writes a
 *     byte only when LSR.THRE says the UART has room, as Linux's console
 *     driver does, so a reader that stops makes it wait, not lose bytes;
 *   - it enables the ACPI power button and, when the SCI shows a press,
 *     writes S5 to PM1_CNT as Linux does, so system_powerdown ends in a
 *     guest power-off;
 *   - it enables the memory hotplug GPE and, when it fires, does what
 *     kvmem's DSDT (\_GPE._E03, MSCN) and Linux's ACPI memory driver do
 *     together: for a DIMM being inserted, clear the event and report
 *     _OST (device check, success); for one being removed, clear the
 *     event, report _OST (eject request, in progress: 0x84), eject it
 *     (_EJ0) and report _OST (eject request, success), so device_del ends
 *     in DEVICE_DELETED as with a Linux guest;
 *   - the guest's uptime it prints stands still while the VM is paused,
 *     as kvmclock does on real KVM (vm_pause saves it, vm_resume restores);
 *   - with KVMEM_SIM_BALLOON=1, it drives a virtio balloon at 00:02.0 as
 *     Linux's driver does (sim_balloon.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "hw/memhp.h"
#include "kvm/vm.h"
#include "plan/iomap.h"
#include "sim_balloon.h"

#define SIM_TICK_MS 50

static atomic_int sci_level;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The simulated guest needs no accelerator: it stands in for kvmem on KVM
 * (the monitor tests), and for a software one, QEMU's tcg, where a
 * program such as libvirt must be told the host has no KVM. */
const char *const vm_accels[] = {"kvm", "tcg", NULL};

int vm_accel_probe(const char *name, struct kverr *err)
{
	for (const char *const *a = vm_accels; *a; a++)
		if (!strcmp(*a, name))
			return 0;
	return kverr_set(err, ENOTSUP, "kvmem-sim has no accelerator %s", name);
}

int vm_create(struct vm *vm, const struct topology *topo, struct bus *pio, struct bus *mmio,
	      struct kverr *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	vm->topo = topo;
	vm->pio = pio;
	vm->mmio = mmio;
	pthread_mutex_init(&vm->report_lock, NULL);
	vm_threads_init(vm);
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return kverr_sys(err, errno, "eventfd");
	atomic_store(&sci_level, 0);
	return 0;
}

/* The "KVM" side of the slots: checked like KVM checks them, nothing more. */
static int sim_set_slot(void *opaque, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
			struct kverr *err)
{
	(void)opaque;
	if ((gpa | size | (uintptr_t)hva) & 0xfff)
		return kverr_set(err, EINVAL, "sim: slot %u 0x%llx+0x%llx is not page aligned",
				 slot, (unsigned long long)gpa, (unsigned long long)size);
	return 0;
}

static const struct mem_slot_ops sim_slot_ops = {.set_slot = sim_set_slot};

int vm_map_memory(struct vm *vm, struct mem_manager *mm, struct kverr *err)
{
	int ret = mem_manager_attach(mm, &sim_slot_ops, vm, 509, err);

	if (!ret)
		vm->mem = mm;
	return ret;
}

int vm_create_vcpus(struct vm *vm, struct kverr *err)
{
	vm->vcpu = calloc(vm->topo->cpus, sizeof(*vm->vcpu));
	if (!vm->vcpu)
		return kverr_set(err, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < vm->topo->cpus; i++) {
		vm->vcpu[i] = (struct vcpu){.vm = vm, .idx = i, .fd = -1};
		vm->nr_vcpus++;
	}
	return 0;
}

static void pio(struct vm *vm, uint16_t port, uint16_t val, unsigned len, bool write)
{
	uint8_t data[2] = {(uint8_t)val, (uint8_t)(val >> 8)};

	bus_access(vm->pio, port, data, len, write);
}

static uint32_t pio_read(struct vm *vm, uint16_t port, unsigned len)
{
	uint8_t data[4] = {0};

	bus_access(vm->pio, port, data, len, false);
	return data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24;
}

static void pio_write32(struct vm *vm, uint16_t port, uint32_t val)
{
	uint8_t data[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
			   (uint8_t)(val >> 24)};

	bus_access(vm->pio, port, data, 4, true);
}

#define LSR_THRE 0x20
#define PM1_PWRBTN 0x0100
/* The memory hotplug registers (memhp.h) and the ACPI codes Linux uses */
#define MHP_SEL 0x00
#define MHP_OST_EVENT 0x04
#define MHP_OST_STATUS 0x08
#define MHP_FLAGS 0x14
#define MHP_INSERTING 0x02
#define MHP_REMOVING 0x04
#define MHP_EJECT 0x08
#define ACPI_NOTIFY_DEVICE_CHECK 1
#define ACPI_NOTIFY_EJECT_REQUEST 3
#define ACPI_OST_SUCCESS 0
#define ACPI_OST_EJECT_IN_PROGRESS 0x84

static bool serial_print(struct vcpu *vcpu, const char *s);

static void memhp_ost(struct vm *vm, uint32_t slot, uint32_t event, uint32_t status)
{
	pio_write32(vm, IOMAP_MEMHP_BASE + MHP_SEL, slot);
	pio_write32(vm, IOMAP_MEMHP_BASE + MHP_OST_EVENT, event);
	pio_write32(vm, IOMAP_MEMHP_BASE + MHP_OST_STATUS, status);
}

/* The memory hotplug GPE: MSCN's scan, then the OS's answer to each
 * notification. */
static void memhp_scan(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	char line[64];

	for (uint32_t slot = 0; slot < MEMHP_MAX_SLOTS; slot++) {
		uint32_t flags;

		pio_write32(vm, IOMAP_MEMHP_BASE + MHP_SEL, slot);
		flags = pio_read(vm, IOMAP_MEMHP_BASE + MHP_FLAGS, 1);
		if (flags & MHP_INSERTING) {
			pio_write32(vm, IOMAP_MEMHP_BASE + MHP_FLAGS, MHP_INSERTING);
			snprintf(line, sizeof(line), "sim: memory slot %u added\n", slot);
			serial_print(vcpu, line);
			memhp_ost(vm, slot, ACPI_NOTIFY_DEVICE_CHECK, ACPI_OST_SUCCESS);
		}
		if (flags & MHP_REMOVING) {
			pio_write32(vm, IOMAP_MEMHP_BASE + MHP_FLAGS, MHP_REMOVING);
			memhp_ost(vm, slot, ACPI_NOTIFY_EJECT_REQUEST, ACPI_OST_EJECT_IN_PROGRESS);
			snprintf(line, sizeof(line), "sim: memory slot %u ejected\n", slot);
			serial_print(vcpu, line);
			pio_write32(vm, IOMAP_MEMHP_BASE + MHP_SEL, slot);
			pio_write32(vm, IOMAP_MEMHP_BASE + MHP_FLAGS, MHP_EJECT);
			memhp_ost(vm, slot, ACPI_NOTIFY_EJECT_REQUEST, ACPI_OST_SUCCESS);
		}
	}
}

/* An SCI: the power button powers off; the memory hotplug GPE scans. */
static void sim_sci(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (pio_read(vm, IOMAP_GPE0_BLK, 2) & (1u << IOMAP_MEMHP_GPE)) {
		pio(vm, IOMAP_GPE0_BLK, 1u << IOMAP_MEMHP_GPE, 2, true); /* clear its status */
		memhp_scan(vcpu);
	}
	if (pio_read(vm, IOMAP_PM1A_EVT, 2) & PM1_PWRBTN) {
		pio(vm, IOMAP_PM1A_EVT, PM1_PWRBTN, 2, true); /* clear PWRBTN_STS */
		serial_print(vcpu, "sim: power button, powering off\n");
		pio(vm, IOMAP_PM1A_CNT, (IOMAP_SLP_TYP_S5 << 10) | 0x2000, 2, true);
	}
}

/* Print s as a driver that honours THRE does: wait (1 ms at a time) while
 * the UART has no room.  Returns false if the VM is stopping meanwhile. */
static bool serial_print(struct vcpu *vcpu, const char *s)
{
	struct vm *vm = vcpu->vm;

	for (; *s; s++) {
		for (;;) {
			uint8_t lsr = 0;

			bus_access(vm->pio, IOMAP_COM1_BASE + 5, &lsr, 1, false);
			if (lsr & LSR_THRE)
				break;
			if (!vcpu_thread_runnable(vcpu, NULL))
				return false;
			usleep(1000);
		}
		pio(vm, IOMAP_COM1_BASE, (uint8_t)*s, 1, true);
	}
	return true;
}

static void *sim_vcpu(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	uint64_t guest_ns = 0, last = mono_ns();
	unsigned tick = 0;
	const char *flood_env = getenv("KVMEM_SIM_FLOOD");
	bool flood = flood_env && !strcmp(flood_env, "1");
	const char *balloon_env = getenv("KVMEM_SIM_BALLOON");
	bool balloon = balloon_env && !strcmp(balloon_env, "1");

	vcpu_thread_begin(vcpu);
	if (vcpu->idx == 0) {
		pio(vm, IOMAP_PM1A_EVT + 2, PM1_PWRBTN, 2, true);	     /* PM1_EN: PWRBTN_EN */
		pio(vm, IOMAP_GPE0_BLK + 2, 1u << IOMAP_MEMHP_GPE, 2, true); /* GPE0_EN */
		serial_print(vcpu, "sim: guest up\n");
	}
	while (vcpu_thread_runnable(vcpu, NULL)) {
		uint64_t now = mono_ns();
		char line[96];

		/* guest time advances only while running (kvmclock) */
		guest_ns += now - last > 2 * SIM_TICK_MS * 1000000ull ? SIM_TICK_MS * 1000000ull
								      : now - last;
		last = now;
		if (vcpu->idx != 0 || !flood)
			usleep(SIM_TICK_MS * 1000);
		if (vcpu->idx != 0)
			continue;
		if (flood)
			snprintf(line, sizeof(line), "sim: flood %u\n", tick++);
		else
			snprintf(line, sizeof(line), "sim: tick %u uptime %.2f\n", tick++,
				 guest_ns / 1e9);
		if (!serial_print(vcpu, line))
			break;
		if (atomic_load(&sci_level))
			sim_sci(vcpu);
		if (balloon)
			sim_balloon_poll(vm);
	}
	vcpu_thread_end(vcpu);
	return NULL;
}

int vm_start(struct vm *vm, const struct boot_entry *entry, bool paused, struct kverr *err)
{
	(void)entry;
	return vm_threads_start(vm, sim_vcpu, paused, err);
}

/* The sim's vCPUs never block for long: no kick needed. */
void vm_pause(struct vm *vm)
{
	vm_threads_pause(vm, NULL);
}

void vm_resume(struct vm *vm)
{
	vm_threads_resume(vm);
}

void vm_stop(struct vm *vm)
{
	vm_threads_stop(vm, NULL);
}

void vm_destroy(struct vm *vm)
{
	vm_stop(vm);
	if (vm->mem)
		mem_manager_detach(vm->mem);
	vm->mem = NULL;
	free(vm->vcpu);
	vm->vcpu = NULL;
	vm->nr_vcpus = 0;
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	vm->event_fd = -1;
	pthread_mutex_destroy(&vm->report_lock);
	vm_threads_fini(vm);
}

void vm_set_irq(void *ctx, unsigned gsi, int level)
{
	(void)ctx;
	/* Called with the device's lock held: only note it for vCPU 0. */
	if (gsi == IOMAP_SCI_IRQ)
		atomic_store(&sci_level, level);
}

/* No interrupt controller and no doorbells without KVM: the devices'
 * eventfds are never bound, and a notify write reaches the device as an
 * MMIO access instead. */
static int sim_msi_bind(void *ctx, int fd, uint64_t addr, uint32_t data, struct kverr *err)
{
	(void)ctx, (void)fd, (void)addr, (void)data, (void)err;
	return 0;
}

static void sim_msi_unbind(void *ctx, int fd)
{
	(void)ctx, (void)fd;
}

static int sim_intx_bind(void *ctx, int fd, int resample_fd, unsigned gsi, struct kverr *err)
{
	(void)ctx, (void)fd, (void)resample_fd, (void)gsi, (void)err;
	return 0;
}

static int sim_ioeventfd(void *ctx, int fd, uint64_t addr, unsigned len, bool assign,
			 struct kverr *err)
{
	(void)ctx, (void)fd, (void)addr, (void)len, (void)assign;
	return kverr_set(err, ENOTSUP, "no ioeventfds without KVM");
}

const struct pci_vm_ops vm_pci_ops = {
    .msi_bind = sim_msi_bind,
    .msi_unbind = sim_msi_unbind,
    .intx_bind = sim_intx_bind,
    .ioeventfd = sim_ioeventfd,
};
