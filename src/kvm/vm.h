/* vm.h - one KVM virtual machine: the VM fd, its memory slots, in-kernel
 * interrupt controllers, and its vCPUs.
 *
 * Owns: every KVM ioctl on the VM and vCPU fds, the vCPU threads, and the
 * requests the guest makes of the machine (power off, reset, crash) which
 * it hands to the main loop through an eventfd.
 * Never: decides addresses (plan/), copies guest images (boot.c), or
 * prints (a crash report is formatted into vm->report for main to print).
 *
 * Lifecycle: vm_create -> vm_map_memory -> vm_create_vcpus ->
 * vm_start(entry) ... vm_stop -> vm_destroy.  A guest reset destroys the
 * VM and builds a new one over the same host memory.
 */
#ifndef KVMEM_KVM_VM_H
#define KVMEM_KVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "kvm/boot.h"
#include "kvm/cpuid.h"
#include "mem/guest_mem.h"
#include "plan/topology.h"
#include "util/err.h"

struct vm;

struct vcpu {
	struct vm *vm;
	uint32_t idx;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
};

enum vm_request {
	VM_REQ_NONE = 0,
	VM_REQ_RESET,    /* guest asked for a reboot */
	VM_REQ_POWEROFF, /* guest powered off (ACPI S5) */
	VM_REQ_CRASH,    /* unhandled exit or triple fault: vm->report says which */
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int event_fd;      /* readable when request != VM_REQ_NONE */
	size_t run_size;
	const struct topology *topo;
	struct bus *pio;
	struct bus *mmio;
	struct cpuid_table *supported_cpuid;
	struct vcpu *vcpu; /* topo->cpus entries */
	unsigned nr_vcpus;
	unsigned nr_slots;
	atomic_bool stopping;
	atomic_int request;
	pthread_mutex_t report_lock;
	char report[4096]; /* crash report, set with VM_REQ_CRASH */
};

/* Open /dev/kvm, check the capabilities kvmem needs, create the VM with an
 * in-kernel irqchip and PIT.  pio/mmio are the device buses vCPU exits are
 * dispatched to. */
int vm_create(struct vm *vm, const struct topology *topo, struct bus *pio, struct bus *mmio,
	      struct kverr *err);
/* Register every guest_mem region as a KVM memory slot. */
int vm_map_memory(struct vm *vm, const struct guest_mem *gm, struct kverr *err);
int vm_create_vcpus(struct vm *vm, struct kverr *err);
/* Put the BSP at the kernel's 64-bit entry and start all vCPU threads. */
int vm_start(struct vm *vm, const struct boot_entry *entry, struct kverr *err);
/* Stop and join all vCPU threads (idempotent). */
void vm_stop(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Called from any thread: record a request for the main loop.  The
 * strongest request wins (crash > poweroff > reset). */
void vm_request(struct vm *vm, enum vm_request req);
/* Read and clear the pending request (main loop). */
enum vm_request vm_take_request(struct vm *vm);

/* irq_line callback: ctx is the struct vm. */
void vm_set_irq(void *ctx, unsigned gsi, int level);

/* vcpu.c */
int vcpu_init(struct vcpu *vcpu, struct vm *vm, uint32_t idx, struct kverr *err);
int vcpu_set_boot_state(struct vcpu *vcpu, const struct boot_entry *entry, struct kverr *err);
void *vcpu_thread(void *arg);
void vcpu_kick(struct vcpu *vcpu);
void vcpu_format_state(struct vcpu *vcpu, const char *why, char *buf, size_t size);
void vcpu_fini(struct vcpu *vcpu);

#endif
