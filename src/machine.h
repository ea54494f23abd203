/* machine.h - assembles a VM from the configuration, stage by stage, and
 * runs it: the order the stages run in is the order of the functions here.
 *
 *   machine_plan()    pure: layout, topology, e820, ACPI, kernel checks
 *   machine_memory()  host memory backends and the memory manager's regions
 *   machine_devices() device models on the I/O buses
 *   machine_monitors() the -qmp and -monitor endpoints, listening
 *   machine_run()     build the KVM VM, load the guest, run until it powers
 *                     off, rebuilding the VM on each guest reset; the main
 *                     loop serves the monitors meanwhile
 *
 * At run time the monitors' commands act on the machine through the
 * machine_stop() ... machine_quit() functions below (main thread only);
 * they change the run state and emit QMP's events.
 * Nothing is created before machine_plan() has accepted the whole
 * configuration, so a bad option leaves nothing behind.
 */
#ifndef KVMEM_MACHINE_H
#define KVMEM_MACHINE_H

#include "acpi/acpi.h"
#include "config/config.h"
#include "dev/machine_devs.h"
#include "hw/chardevs.h"
#include "hw/bus.h"
#include "hw/pci.h"
#include "kvm/boot.h"
#include "kvm/vm.h"
#include "mem/backend.h"
#include "mem/manager.h"
#include "mem/memdevs.h"
#include "mem/ram_plan.h"
#include "plan/e820.h"
#include "plan/layout.h"
#include "plan/numa.h"
#include "plan/pci.h"
#include "plan/print.h"
#include "plan/topology.h"
#include "util/loop.h"
#include "util/names.h"
#include "virtio/pci_list.h"

struct serial;
struct rtc;
struct pm;
struct memhp;
struct monitors;
struct balloon_pci;

/* QMP's RunState values kvmem has. */
enum machine_runstate {
	MACHINE_PRELAUNCH, /* -S, or reset while stopped: vCPUs not started yet */
	MACHINE_RUNNING,
	MACHINE_PAUSED,	  /* by 'stop' */
	MACHINE_SHUTDOWN, /* powered off with -action shutdown=pause: needs a reset */
};

/* What ends the current run of the VM, and how QMP's SHUTDOWN or RESET
 * event describes it. */
enum machine_end_kind {
	MACHINE_END_NONE,
	MACHINE_END_POWEROFF,
	MACHINE_END_RESET,
	MACHINE_END_CRASH,
	MACHINE_END_QUIT,
	MACHINE_END_ERROR,
};

struct machine_end {
	enum machine_end_kind kind;
	bool guest;         /* the guest asked for it */
	const char *reason; /* QMP's ShutdownCause */
	bool announced;	    /* its RESET or SHUTDOWN event was sent */
};

struct machine {
	const struct config *cfg;
	const char *accel; /* the accelerator (vm_accels); NULL: none works (-machine none) */
	/* plan */
	struct layout layout;
	struct topology topo;
	struct numa numa;
	struct e820_map e820;
	struct pci_plan pci_plan;
	struct acpi_blob acpi;
	struct boot_plan boot;
	struct ram_plan ram_plan; /* which backend backs each part of RAM */
	/* host memory */
	struct memdevs memdevs; /* -object and object-add backends */
	struct names secrets;	/* -object and object-add secrets, by id */
	/* ram_plan.backend[i] is ram[i] when kvmem makes it (pc.ram,
	 * ram-nodeN); an -object's is that memdev's host memory instead */
	struct backend ram[CONFIG_MAX_NUMA_NODES];
	struct mem_manager *mem; /* guest memory: regions, KVM slots, page state */
	/* devices */
	struct bus pio, mmio;
	int serial_out_fd;
	struct serial *serial;
	struct rtc *rtc;
	struct pm *pm;
	struct memhp *memhp; /* ACPI memory hotplug, with -m slots= */
	struct irq_line serial_irq, sci_irq;
	struct pci_bus pci;
	struct machine_devs devs; /* -device and device_add (src/dev/) */
	/* the virtio-pci devices: the machine binds, resets and stops them */
	struct virtio_pci_list virtio;
	struct balloon_pci *balloon; /* the one virtio-balloon-pci, or NULL */
	struct chardevs chardevs; /* the -chardev backends devices use, opened */
	int console_in_fd;	  /* what the UART reads: stdin, a pty, or -1 */
	/* KVM */
	struct vm vm;
	bool vm_live;
	/* run: the main loop and the monitors */
	struct loop loop;
	struct monitors *mon;
	enum machine_runstate runstate;
	struct machine_end end;
	struct kverr loop_err; /* set with MACHINE_END_ERROR */
	/* main's: prints one block of lines on stderr while the machine runs
	 * (a triple fault's registers); only main prints.  May be NULL. */
	void (*log)(const char *block);
};

/* Exit statuses main() returns. */
enum {
	MACHINE_EXIT_OK = 0,	/* guest powered off, or rebooted with reboot=shutdown */
	MACHINE_EXIT_ERROR = 1, /* bad configuration or set-up failure */
	MACHINE_EXIT_CRASH = 2, /* guest crashed or an exit kvmem cannot handle */
};

int machine_plan(struct machine *m, const struct config *cfg, struct kverr *err);
/* What -print-layout shows of a planned machine (plan/print.h). */
struct plan_view machine_plan_view(const struct machine *m);
int machine_memory(struct machine *m, struct kverr *err);
int machine_devices(struct machine *m, struct kverr *err);
int machine_monitors(struct machine *m, struct kverr *err);
/* Runs the guest; returns a MACHINE_EXIT_* status.  Fills err for
 * MACHINE_EXIT_ERROR and with the crash report for MACHINE_EXIT_CRASH. */
int machine_run(struct machine *m, struct kverr *err, char *report, size_t report_size);
void machine_destroy(struct machine *m);

/* COM1's output and input (-1: none), instead of -serial's: the isa-serial
 * device's realize, before the guest runs.  The machine owns out_fd from
 * then on; in_fd stays the caller's. */
void machine_serial_connect(struct machine *m, int out_fd, int in_fd);

/* ---- run-time control, for the monitors (main thread, while running) ---- */

/* QMP's name for the run state ("running", "paused", "prelaunch"). */
const char *machine_runstate_name(enum machine_runstate s);
/* QMP stop: park the vCPUs, freeze the guest clock; STOP if it ran. */
void machine_stop(struct machine *m);
/* QMP cont: run the vCPUs; RESUME if they were stopped.  -1 in the
 * "shutdown" state (shutdown=pause), which only system_reset leaves. */
int machine_cont(struct machine *m);
/* QMP system_powerdown: press the ACPI power button; POWERDOWN. */
void machine_powerdown(struct machine *m);
/* QMP system_reset: reset the VM, or with -action reboot=shutdown power it
 * off.  RESET (or SHUTDOWN) is sent at once, before the command's answer,
 * as QEMU does. */
void machine_system_reset(struct machine *m);
/* QMP quit: end kvmem after this round of the loop.  SHUTDOWN is sent at
 * once, before the command's answer, as QEMU does. */
void machine_quit(struct machine *m);
/* The host thread id of vCPU idx (0 before the VM runs). */
pid_t machine_vcpu_tid(const struct machine *m, unsigned idx);

#endif
