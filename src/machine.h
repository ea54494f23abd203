/* machine.h - assembles a VM from the configuration, stage by stage, and
 * runs it: the order the stages run in is the order of the functions here.
 *
 *   machine_plan()    pure: layout, topology, e820, ACPI, kernel checks
 *   machine_memory()  host memory backends and the guest memory map
 *   machine_devices() device models on the I/O buses
 *   machine_run()     build the KVM VM, load the guest, run until it powers
 *                     off, rebuilding the VM on each guest reset
 *
 * Nothing is created before machine_plan() has accepted the whole
 * configuration, so a bad option leaves nothing behind.
 */
#ifndef KVMEM_MACHINE_H
#define KVMEM_MACHINE_H

#include "acpi/acpi.h"
#include "config/config.h"
#include "hw/bus.h"
#include "kvm/boot.h"
#include "kvm/vm.h"
#include "mem/backend.h"
#include "mem/guest_mem.h"
#include "plan/e820.h"
#include "plan/layout.h"
#include "plan/numa.h"
#include "plan/topology.h"

struct serial;
struct rtc;
struct pm;

struct machine {
	const struct config *cfg;
	/* plan */
	struct layout layout;
	struct topology topo;
	struct numa numa;
	struct e820_map e820;
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
	/* KVM */
	struct vm vm;
	bool vm_live;
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
/* Runs the guest; returns a MACHINE_EXIT_* status.  Fills err for
 * MACHINE_EXIT_ERROR and with the crash report for MACHINE_EXIT_CRASH. */
int machine_run(struct machine *m, struct kverr *err, char *report, size_t report_size);
void machine_destroy(struct machine *m);

#endif
