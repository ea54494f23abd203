/* vcpu.c - vCPU set-up and the run loop: one thread per vCPU, each
 * dispatching its exits to the device buses.  The first vCPU starts at the
 * kernel's 64-bit entry; the others wait in KVM for the guest's INIT/SIPI. */
#include "kvm/vm.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plan/layout.h"

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 0x1

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x7
#define APIC_MODE_NMI 0x4

#define X86_CR0_PE 0x1ULL
#define X86_CR0_ET 0x10ULL
#define X86_CR0_PG 0x80000000ULL
#define X86_CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

static int setup_lapic(struct vcpu *vcpu, struct kverr *err)
{
	struct kvm_lapic_state lapic;
	uint32_t *lvt0, *lvt1;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return kverr_sys(err, errno, "vCPU %u: KVM_GET_LAPIC", vcpu->idx);
	/* PC wiring: the 8259 reaches LINT0 as ExtINT, NMI comes on LINT1. */
	lvt0 = (uint32_t *)(void *)&lapic.regs[APIC_LVT0];
	lvt1 = (uint32_t *)(void *)&lapic.regs[APIC_LVT1];
	*lvt0 = (*lvt0 & ~0x700u) | (APIC_MODE_EXTINT << 8);
	*lvt1 = (*lvt1 & ~0x700u) | (APIC_MODE_NMI << 8);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return kverr_sys(err, errno, "vCPU %u: KVM_SET_LAPIC", vcpu->idx);
	return 0;
}

static int setup_msrs_fpu(struct vcpu *vcpu, struct kverr *err)
{
	/* struct kvm_msrs ends in a flexible array: build it in a buffer. */
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} buf;
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};

	memset(&buf, 0, sizeof(buf));
	buf.hdr.nmsrs = 1;
	buf.hdr.entries[0].index = MSR_IA32_MISC_ENABLE;
	buf.hdr.entries[0].data = MISC_ENABLE_FAST_STRING;
	if (ioctl(vcpu->fd, KVM_SET_MSRS, &buf.hdr) != 1)
		return kverr_sys(err, errno, "vCPU %u: KVM_SET_MSRS", vcpu->idx);
	if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
		return kverr_sys(err, errno, "vCPU %u: KVM_SET_FPU", vcpu->idx);
	return 0;
}

/* Everything after KVM_CREATE_VCPU; vcpu_init undoes it all on failure. */
static int vcpu_setup(struct vcpu *vcpu, struct kverr *err)
{
	struct vm *vm = vcpu->vm;
	struct cpuid_table *cpuid;
	void *run;
	int ret;

	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED)
		return kverr_sys(err, errno, "vCPU %u: mmap kvm_run", vcpu->idx);
	vcpu->run = run;

	cpuid = malloc(sizeof(*cpuid));
	if (!cpuid)
		return kverr_set(err, ENOMEM, "out of memory");
	cpuid_for_vcpu(vm->supported_cpuid, vm->topo, vcpu->idx, cpuid);
	ret = cpuid_set(vcpu->fd, cpuid, err);
	free(cpuid);
	if (ret < 0)
		return ret;

	ret = setup_msrs_fpu(vcpu, err);
	if (!ret)
		ret = setup_lapic(vcpu, err);
	return ret;
}

int vcpu_init(struct vcpu *vcpu, struct vm *vm, uint32_t idx, struct kverr *err)
{
	int ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->idx = idx;
	vcpu->apic_id = topology_apic_id(vm->topo, idx);
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)vcpu->apic_id);
	if (vcpu->fd < 0)
		return kverr_sys(err, errno, "KVM_CREATE_VCPU %u (APIC id %u)", idx, vcpu->apic_id);
	/* The caller counts only vCPUs that were set up completely, so a
	 * failure here must not leave the fd or its kvm_run mapping behind. */
	ret = vcpu_setup(vcpu, err);
	if (ret)
		vcpu_fini(vcpu);
	return ret;
}

void vcpu_fini(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int vcpu_set_boot_state(struct vcpu *vcpu, const struct boot_entry *entry, struct kverr *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = entry->code_sel,
		.type = 0xb, .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = entry->data_sel,
		.type = 0x3, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return kverr_sys(err, errno, "vCPU %u: KVM_GET_SREGS", vcpu->idx);
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = (struct kvm_segment){.limit = 0xffff, .type = 0xb, .present = 1};
	sregs.ldt = (struct kvm_segment){.limit = 0xffff, .type = 0x2, .present = 0};
	sregs.gdt.base = entry->gdt_base;
	sregs.gdt.limit = entry->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr3 = entry->cr3;
	sregs.cr4 |= X86_CR4_PAE;
	sregs.cr0 |= X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
	sregs.efer |= EFER_LME | EFER_LMA;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return kverr_sys(err, errno, "vCPU %u: KVM_SET_SREGS", vcpu->idx);

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = entry->rip;
	regs.rsi = entry->rsi;
	regs.rsp = regs.rbp = LAYOUT_BOOT_STACK;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return kverr_sys(err, errno, "vCPU %u: KVM_SET_REGS", vcpu->idx);
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (vcpu->run)
		vcpu->run->immediate_exit = 1;
	pthread_kill(vcpu->thread.id, SIGUSR1);
}

static size_t append(char *buf, size_t size, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t append(char *buf, size_t size, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pos >= size)
		return pos;
	va_start(ap, fmt);
	n = vsnprintf(buf + pos, size - pos, fmt, ap);
	va_end(ap);
	return n < 0 ? pos : pos + (size_t)n;
}

static size_t format_seg(char *buf, size_t size, size_t pos, const char *name,
			 const struct kvm_segment *s)
{
	return append(buf, size, pos, "  %-3s sel=0x%04x base=0x%016llx limit=0x%08x type=%u p=%u dpl=%u db=%u s=%u l=%u g=%u\n",
		      name, s->selector, (unsigned long long)s->base, s->limit, s->type,
		      s->present, s->dpl, s->db, s->s, s->l, s->g);
}

void vcpu_format_state(struct vcpu *vcpu, const char *why, char *buf, size_t size)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	size_t pos = 0;

	pos = append(buf, size, pos, "vCPU %u (APIC id %u): %s\n", vcpu->idx, vcpu->apic_id, why);
	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) == 0) {
		pos = append(buf, size, pos,
			     "  rip=0x%016llx rsp=0x%016llx rflags=0x%08llx\n"
			     "  rax=0x%016llx rbx=0x%016llx rcx=0x%016llx rdx=0x%016llx\n"
			     "  rsi=0x%016llx rdi=0x%016llx rbp=0x%016llx\n"
			     "  r8 =0x%016llx r9 =0x%016llx r10=0x%016llx r11=0x%016llx\n"
			     "  r12=0x%016llx r13=0x%016llx r14=0x%016llx r15=0x%016llx\n",
			     r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
			     r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15);
	}
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) == 0) {
		pos = append(buf, size, pos,
			     "  cr0=0x%016llx cr2=0x%016llx cr3=0x%016llx cr4=0x%016llx efer=0x%llx\n",
			     s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
		pos = format_seg(buf, size, pos, "cs", &s.cs);
		pos = format_seg(buf, size, pos, "ss", &s.ss);
		pos = format_seg(buf, size, pos, "ds", &s.ds);
		pos = format_seg(buf, size, pos, "tr", &s.tr);
		pos = append(buf, size, pos, "  gdt=0x%llx/0x%x idt=0x%llx/0x%x\n", s.gdt.base,
			     s.gdt.limit, s.idt.base, s.idt.limit);
	}
	/* Trim a trailing newline: main adds its own. */
	if (pos > 0 && pos <= size && buf[pos - 1] == '\n')
		buf[pos - 1] = '\0';
}

/* The state of this vCPU into vm->report (the first one to get there). */
static void report_state(struct vcpu *vcpu, const char *why)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->report_lock);
	if (!vm->report[0])
		vcpu_format_state(vcpu, why, vm->report, sizeof(vm->report));
	pthread_mutex_unlock(&vm->report_lock);
}

static void crash(struct vcpu *vcpu, const char *why)
{
	report_state(vcpu, why);
	vm_request(vcpu->vm, VM_REQ_CRASH);
}

static bool handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	if (run->io.data_offset + (uint64_t)run->io.size * run->io.count > vcpu->vm->run_size)
		return false;
	for (uint32_t i = 0; i < run->io.count; i++) {
		bus_access(vcpu->vm->pio, run->io.port, data, run->io.size, is_write);
		data += run->io.size;
	}
	return true;
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char why[160];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (!handle_io(vcpu)) {
			crash(vcpu, "port I/O exit with an out-of-range data buffer");
			return false;
		}
		return true;
	case KVM_EXIT_MMIO:
		bus_access(vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data,
			   run->mmio.len <= 8 ? run->mmio.len : 8, run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT: /* not expected with the in-kernel irqchip; harmless */
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault shuts the CPU down and the board resets it,
		 * as QEMU does (a guest-reset, subject to -action reboot=);
		 * the registers go with the request for the log. */
		report_state(vcpu, "triple fault (KVM_EXIT_SHUTDOWN)");
		vm_request(vcpu->vm, VM_REQ_RESET);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request(vcpu->vm, VM_REQ_POWEROFF);
			return false;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request(vcpu->vm, VM_REQ_RESET);
			return false;
		default:
			snprintf(why, sizeof(why), "guest system event %u", run->system_event.type);
			crash(vcpu, why);
			return false;
		}
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "VM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		crash(vcpu, why);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(why, sizeof(why), "KVM internal error, suberror %u",
			 run->internal.suberror);
		crash(vcpu, why);
		return false;
	default:
		snprintf(why, sizeof(why), "unhandled KVM exit reason %u", run->exit_reason);
		crash(vcpu, why);
		return false;
	}
}

/* Leaving a pause: the kick that parked the thread must not end its next
 * KVM_RUN (a stop that comes later sets immediate_exit again). */
static void clear_kick(struct vcpu *vcpu)
{
	vcpu->run->immediate_exit = 0;
}

void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->idx);
	pthread_setname_np(pthread_self(), name);
	vcpu_thread_begin(vcpu);

	/* A kick (immediate_exit + SIGUSR1) that lands between the check and
	 * KVM_RUN makes KVM_RUN return at once, so the thread comes back to
	 * the check: no pause or stop can be missed. */
	while (vcpu_thread_runnable(vcpu, clear_kick)) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			char why[96];
			snprintf(why, sizeof(why), "KVM_RUN failed: %s", kv_strerror(errno));
			crash(vcpu, why);
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	vcpu_thread_end(vcpu);
	return NULL;
}
