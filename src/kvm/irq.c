/* irq.c - interrupts and doorbells of PCI devices, bound to KVM
 * (see hw/pci.h's struct pci_vm_ops).
 *
 * MSI: each route is an irqfd on its own GSI from VM_MSI_GSI_BASE up.
 * KVM_SET_GSI_ROUTING replaces the whole table, so every change writes the
 * in-kernel irqchip's own routes first, exactly as KVM sets them up by
 * default (GSI 0-15 to the PIC and the IOAPIC, 16-23 to the IOAPIC), then
 * the MSI routes.  INTx: an irqfd with a resample fd, so the line stays
 * asserted until the guest's EOI, as a level-triggered line does.
 * Doorbells: ioeventfds on MMIO addresses.
 * Everything runs under irq_lock: vCPU threads program MSI-X tables
 * concurrently.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/vm.h"

#define IOAPIC_PINS 24
#define PIC_IRQS 16

void vm_irq_init(struct vm *vm)
{
	pthread_mutex_init(&vm->irq_lock, NULL);
	memset(vm->msi, 0, sizeof(vm->msi));
}

void vm_irq_fini(struct vm *vm)
{
	pthread_mutex_destroy(&vm->irq_lock);
}

static void irqchip_route(struct kvm_irq_routing_entry *e, unsigned gsi, unsigned chip,
			  unsigned pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* irq_lock held */
static int set_routing(struct vm *vm, struct kverr *err)
{
	size_t max = PIC_IRQS + IOAPIC_PINS + VM_MAX_MSI;
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
	unsigned n = 0;
	int ret = 0;

	if (!r)
		return kverr_set(err, ENOMEM, "out of memory for the interrupt routes");
	for (unsigned gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		irqchip_route(&r->entries[n++], gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < PIC_IRQS)
			irqchip_route(&r->entries[n++], gsi,
				      gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				      gsi % 8);
	}
	for (unsigned i = 0; i < VM_MAX_MSI; i++) {
		struct kvm_irq_routing_entry *e;

		if (!vm->msi[i].used)
			continue;
		e = &r->entries[n++];
		memset(e, 0, sizeof(*e));
		e->gsi = VM_MSI_GSI_BASE + i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)vm->msi[i].addr;
		e->u.msi.address_hi = (uint32_t)(vm->msi[i].addr >> 32);
		e->u.msi.data = vm->msi[i].data;
	}
	r->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		ret = kverr_sys(err, errno, "KVM_SET_GSI_ROUTING (%u routes)", n);
	free(r);
	return ret;
}

static int irqfd(struct vm *vm, int fd, unsigned gsi, int resample_fd, bool assign,
		 struct kverr *err)
{
	struct kvm_irqfd req = {.fd = (uint32_t)fd, .gsi = gsi};

	if (!assign)
		req.flags = KVM_IRQFD_FLAG_DEASSIGN;
	else if (resample_fd >= 0) {
		req.flags = KVM_IRQFD_FLAG_RESAMPLE;
		req.resamplefd = (uint32_t)resample_fd;
	}
	if (ioctl(vm->vm_fd, KVM_IRQFD, &req) < 0)
		return kverr_sys(err, errno, "KVM_IRQFD (%s GSI %u)", assign ? "bind" : "unbind",
				 gsi);
	return 0;
}

static int msi_bind(void *ctx, int fd, uint64_t addr, uint32_t data, struct kverr *err)
{
	struct vm *vm = ctx;
	int slot = -1, ret;
	bool fresh = false;

	pthread_mutex_lock(&vm->irq_lock);
	for (int i = 0; i < VM_MAX_MSI && slot < 0; i++)
		if (vm->msi[i].used && vm->msi[i].fd == fd)
			slot = i;
	for (int i = 0; i < VM_MAX_MSI && slot < 0; i++)
		if (!vm->msi[i].used)
			slot = i, fresh = true;
	if (slot < 0) {
		pthread_mutex_unlock(&vm->irq_lock);
		return kverr_set(err, ENOSPC, "no room for more than %d MSI routes", VM_MAX_MSI);
	}
	if (!fresh && vm->msi[slot].addr == addr && vm->msi[slot].data == data) {
		pthread_mutex_unlock(&vm->irq_lock);
		return 0;
	}
	vm->msi[slot] = (struct vm_msi){.used = true, .fd = fd, .addr = addr, .data = data};
	ret = set_routing(vm, err);
	if (!ret && fresh)
		ret = irqfd(vm, fd, VM_MSI_GSI_BASE + (unsigned)slot, -1, true, err);
	if (ret && fresh) {
		vm->msi[slot].used = false;
		set_routing(vm, NULL);
	}
	pthread_mutex_unlock(&vm->irq_lock);
	return ret;
}

static void msi_unbind(void *ctx, int fd)
{
	struct vm *vm = ctx;

	pthread_mutex_lock(&vm->irq_lock);
	for (unsigned i = 0; i < VM_MAX_MSI; i++) {
		if (!vm->msi[i].used || vm->msi[i].fd != fd)
			continue;
		irqfd(vm, fd, VM_MSI_GSI_BASE + i, -1, false, NULL);
		vm->msi[i].used = false;
		set_routing(vm, NULL);
	}
	pthread_mutex_unlock(&vm->irq_lock);
}

static int intx_bind(void *ctx, int fd, int resample_fd, unsigned gsi, struct kverr *err)
{
	struct vm *vm = ctx;

	if (gsi >= IOAPIC_PINS)
		return kverr_set(err, EINVAL, "INTx on GSI %u: the IOAPIC has %d inputs", gsi,
				 IOAPIC_PINS);
	return irqfd(vm, fd, gsi, resample_fd, true, err);
}

static int ioeventfd(void *ctx, int fd, uint64_t addr, unsigned len, bool assign, struct kverr *err)
{
	struct vm *vm = ctx;
	struct kvm_ioeventfd req = {.addr = addr, .len = len, .fd = fd};

	if (!assign)
		req.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &req) < 0)
		return kverr_sys(err, errno, "KVM_IOEVENTFD (%s 0x%llx+%u)",
				 assign ? "assign" : "deassign", (unsigned long long)addr, len);
	return 0;
}

const struct pci_vm_ops vm_pci_ops = {
    .msi_bind = msi_bind,
    .msi_unbind = msi_unbind,
    .intx_bind = intx_bind,
    .ioeventfd = ioeventfd,
};
