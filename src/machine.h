/* machine.h - assembles a VM from the configuration, stage by stage, and
 * runs it: the order the stages run in is the order of the functions here.
 *
 *   machine_plan()    pure: layout, topology, e820, ACPI, kernel checks
 *   machine_memory()  host memory backends and the guest memory map
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
#include "hw/bus.h"
#include "hw/pci.h"
#include "kvm/boot.h"
#include "kvm/vm.h"
#include "mem/backend.h"
#include "mem/guest_mem.h"
#include "plan/e820.h"
#include "plan/layout.h"
#include "plan/numa.h"
#include "plan/pci.h"
#include "plan/topology.h"
#include "util/loop.h"

struct serial;
struct rtc;
struct pm;
struct monitors;

/* QMP's RunState values kvmem has. */
enum machine_runstate {
	MACHINE_PRELAUNCH, /* -S, or reset while stopped: vCPUs not started yet */
	MACHINE_RUNNING,
	MACHINE_PAUSED,    /* by 'stop' */
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
};

struct machine {
	const struct config *cfg;
	/* plan */
	struct layout layout;
	struct topology topo;
	struct numa numa;
	struct e820_map e820;
	struct pci_plan pci_plan;
	struct acpi_blob acpi;
	struct boot_plan boot;
	/* host memory */
	struct backend ram[CONFIG_MAX_NUMA_NODES]; /* by node id; [0] without NUMA */
	struct guest_mem gm;
	/* devices */
	struct bus pio, mmio;
	int serial_out_fd;
	struct serial *serial;
	struct rtc *rtc;
	struct pm *pm;
	struct irq_line serial_irq, sci_irq;
	struct pci_bus pci;
	/* KVM */
	struct vm vm;
	bool vm_live;
	/* run: the main loop and the monitors */
	struct loop loop;
	struct monitors *mon;
	enum machine_runstate runstate;
	struct machine_end end;
	struct kverr loop_err; /* set with MACHINE_END_ERROR */
};

/* Exit statuses main() returns. */
enum {
	MACHINE_EXIT_OK = 0,      /* guest powered off, or rebooted with -no-reboot */
	MACHINE_EXIT_ERROR = 1,   /* bad configuration or set-up failure */
	MACHINE_EXIT_CRASH = 2,   /* guest crashed or an exit kvmem cannot handle */
};

int machine_plan(struct machine *m, const struct config *cfg, struct kverr *err);
int machine_memory(struct machine *m, struct kverr *err);
int machine_devices(struct machine *m, struct kverr *err);
int machine_monitors(struct machine *m, struct kverr *err);
/* Runs the guest; returns a MACHINE_EXIT_* status.  Fills err for
 * MACHINE_EXIT_ERROR and with the crash report for MACHINE_EXIT_CRASH. */
int machine_run(struct machine *m, struct kverr *err, char *report, size_t report_size);
void machine_destroy(struct machine *m);

/* ---- run-time control, for the monitors (main thread, while running) ---- */

/* QMP's name for the run state ("running", "paused", "prelaunch"). */
const char *machine_runstate_name(enum machine_runstate s);
/* QMP stop: park the vCPUs, freeze the guest clock; STOP if it ran. */
void machine_stop(struct machine *m);
/* QMP cont: run the vCPUs; RESUME if they were stopped. */
void machine_cont(struct machine *m);
/* QMP system_powerdown: press the ACPI power button; POWERDOWN. */
void machine_powerdown(struct machine *m);
/* QMP system_reset: reset the VM (RESET), or end it with -no-reboot. */
void machine_system_reset(struct machine *m);
/* QMP quit: end kvmem after this round of the loop (SHUTDOWN). */
void machine_quit(struct machine *m);
/* The host thread id of vCPU idx (0 before the VM runs). */
pid_t machine_vcpu_tid(const struct machine *m, unsigned idx);

#endif
