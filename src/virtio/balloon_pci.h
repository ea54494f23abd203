/* balloon_pci.h - virtio-balloon-pci as a device of the registry, and the
 * balloon's monitor commands.
 *
 * Owns: the -device/qom face of the balloon (QEMU 7.2's properties:
 * addr, deflate-on-oom, free-page-reporting, page-poison,
 * guest-stats-polling-interval, guest-stats), its place on pci.0 (planned
 * in pre_plug, committed in realize), the link from the device model
 * (virtio/balloon.c) to the memory manager's page state (mem_pages_give/
 * take/reset), BALLOON_CHANGE (throttled to one a second, as QEMU's
 * monitor does) and QMP balloon/query-balloon.
 * Never: discards memory itself (the manager and the backend do), or
 * touches guest memory outside the manager's read sections.
 *
 * One balloon per machine, as in QEMU ("Only one balloon device is
 * supported"); machine->balloon points at it while it exists.  Not
 * hotpluggable (kvmem's pc has no ACPI PCI hotplug yet).
 */
#ifndef KVMEM_VIRTIO_BALLOON_PCI_H
#define KVMEM_VIRTIO_BALLOON_PCI_H

#include "qmp/dispatch.h"
#include "util/err.h"
#include "util/loop.h"

struct machine;

/* The machine's hooks; each does nothing when there is no balloon. */
/* A VM was built (its memory mapped): bind the device's eventfds. */
void balloon_pci_vm_built(struct machine *m);
/* The VM is about to go. */
void balloon_pci_vm_gone(struct machine *m);
/* Machine reset: every ballooned page back to the guest. */
void balloon_pci_machine_reset(struct machine *m);
/* The main loop exists: BALLOON_CHANGE can be sent from it. */
int balloon_pci_attach_loop(struct machine *m, struct loop *loop, struct kverr *err);

int balloon_pci_cmd_balloon(const struct qmp_request *req, json_t **ret, struct qmp_error *err);
int balloon_pci_cmd_query_balloon(const struct qmp_request *req, json_t **ret,
				  struct qmp_error *err);
extern const struct qmp_arg balloon_pci_balloon_args[];

#define BALLOON_PCI_QMP_COMMANDS                                                                   \
	{.name = "balloon", .fn = balloon_pci_cmd_balloon, .args = balloon_pci_balloon_args},      \
	{                                                                                          \
		.name = "query-balloon", .fn = balloon_pci_cmd_query_balloon                       \
	}

#endif
