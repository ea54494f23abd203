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
 *
 * Pausing (QMP stop/cont): vm_pause parks every vCPU thread outside
 * KVM_RUN and freezes the guest's kvmclock, vm_resume restores the clock
 * and lets them run, as QEMU does, so the guest does not see time jump by
 * the time it spent stopped.
 */
#ifndef KVMEM_KVM_VM_H
#define KVMEM_KVM_VM_H

#include <pthread.h>
#include <sys/types.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "hw/pci.h"
#include "kvm/boot.h"
#include "kvm/cpuid.h"
#include "mem/manager.h"
#include "plan/topology.h"
#include "util/err.h"
#include "util/thread.h"

struct vm;

struct vcpu {
	struct vm *vm;
	uint32_t idx;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	struct thread thread; /* on a small stack without huge pages */
	bool thread_started;
	pid_t tid; /* the vCPU thread's id, known once vm_start returned */
};

enum vm_request {
	VM_REQ_NONE = 0,
	VM_REQ_RESET,	 /* guest asked for a reboot; after a triple fault,
			  * vm->report holds the vCPU's registers */
	VM_REQ_POWEROFF, /* guest powered off (ACPI S5) */
	VM_REQ_CRASH,	 /* an exit kvmem cannot handle: vm->report says which */
};

/* An MSI route: an eventfd bound as irqfd to GSI VM_MSI_GSI_BASE + index. */
#define VM_MAX_MSI 128
#define VM_MSI_GSI_BASE 24 /* after the IOAPIC's 24 inputs */
struct vm_msi {
	bool used;
	int fd;
	uint64_t addr;
	uint32_t data;
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
	struct mem_manager *mem; /* attached by vm_map_memory, detached by vm_destroy */
	atomic_bool stopping;
	atomic_int request;
	/* vCPU run control (pause, stop), all under run_lock */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;  /* broadcast on every change below */
	atomic_bool pause;        /* vCPUs are to park; written under run_lock */
	unsigned parked;          /* vCPU threads waiting in their park */
	unsigned live_threads;    /* started and not yet left their run loop */
	bool clock_saved;         /* clock holds the kvmclock from vm_pause */
	uint64_t clock;
	pthread_mutex_t report_lock;
	char report[4096]; /* registers, with VM_REQ_CRASH or a triple fault's VM_REQ_RESET */
	/* PCI interrupts (irq.c), under irq_lock */
	pthread_mutex_t irq_lock;
	struct vm_msi msi[VM_MAX_MSI];
};

/* Open /dev/kvm, check the capabilities kvmem needs, create the VM with an
 * in-kernel irqchip and PIT.  pio/mmio are the device buses vCPU exits are
 * dispatched to. */
/* The accelerators this VM implementation has, by QEMU's names ("kvm"),
 * NULL-terminated: qom-list-types lists them, -accel picks among them. */
extern const char *const vm_accels[];
/* Whether accelerator name (one of vm_accels) works on this host, without
 * creating a VM (kvm: /dev/kvm opens and speaks API version 12); 0 or
 * -errno with err. */
int vm_accel_probe(const char *name, struct kverr *err);

int vm_create(struct vm *vm, const struct topology *topo, struct bus *pio, struct bus *mmio,
	      struct kverr *err);
/* Attach the memory manager: it maps its regions as KVM memory slots now,
 * and every later change, through vm_slot_ops; vm_destroy detaches it. */
int vm_map_memory(struct vm *vm, struct mem_manager *mm, struct kverr *err);
int vm_create_vcpus(struct vm *vm, struct kverr *err);
/* Put the BSP at the kernel's 64-bit entry and start all vCPU threads;
 * with paused they wait, parked, for vm_resume. */
int vm_start(struct vm *vm, const struct boot_entry *entry, bool paused, struct kverr *err);
/* Park every vCPU (returns once all are outside KVM_RUN) and save the
 * kvmclock.  Idempotent. */
void vm_pause(struct vm *vm);
/* Give the guest its kvmclock back and let the vCPUs run. */
void vm_resume(struct vm *vm);
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

/* irq.c: MSI routes (KVM GSI routing with the in-kernel irqchip's own
 * routes kept), irqfds and ioeventfds for PCI devices; ctx is the struct
 * vm.  vm_pci_ops.ctx is NULL: copy it and set ctx. */
extern const struct pci_vm_ops vm_pci_ops;
void vm_irq_init(struct vm *vm);
void vm_irq_fini(struct vm *vm);

/* threads.c: the vCPU threads' life, shared with tests/qmp/sim_vm.c.
 * kick (may be NULL) gets a thread out of whatever it waits in. */
void vm_threads_init(struct vm *vm);
void vm_threads_fini(struct vm *vm);
/* Start one thread per vCPU running fn; returns once each has called
 * vcpu_thread_begin().  With paused they park at once. */
int vm_threads_start(struct vm *vm, void *(*fn)(void *), bool paused, struct kverr *err);
/* Returns false if the VM was paused already; else once all have parked. */
bool vm_threads_pause(struct vm *vm, void (*kick)(struct vcpu *));
void vm_threads_resume(struct vm *vm);
/* Tell every thread to end, kick them and join them. */
void vm_threads_stop(struct vm *vm, void (*kick)(struct vcpu *));
/* In the vCPU thread: first thing, each round of its loop (false: end the
 * loop; on_wake runs, under the lock, when it leaves a pause), last thing. */
void vcpu_thread_begin(struct vcpu *vcpu);
bool vcpu_thread_runnable(struct vcpu *vcpu, void (*on_wake)(struct vcpu *));
void vcpu_thread_end(struct vcpu *vcpu);

/* vcpu.c */
/* Create vCPU idx and set it up (kvm_run, CPUID, MSRs, FPU, LAPIC).  On
 * failure nothing is left: its fd is closed and kvm_run unmapped. */
int vcpu_init(struct vcpu *vcpu, struct vm *vm, uint32_t idx, struct kverr *err);
int vcpu_set_boot_state(struct vcpu *vcpu, const struct boot_entry *entry, struct kverr *err);
void *vcpu_thread(void *arg);
void vcpu_kick(struct vcpu *vcpu);
void vcpu_format_state(struct vcpu *vcpu, const char *why, char *buf, size_t size);
void vcpu_fini(struct vcpu *vcpu);

#endif
