/* balloon_pci.h - virtio-balloon-pci as a device of the registry, and the
 * balloon's monitor commands.
 *
 * Owns: the -device/qom face of the balloon (QEMU 7.2's properties:
 * addr, deflate-on-oom, free-page-reporting, page-poison,
 * guest-stats-polling-interval, guest-stats), its place on pci.0 (taken
 * in the plan stage by the driver's plan hook), the link from the device model
 * (virtio/balloon.c) to the memory manager's page state (mem_pages_give/
 * take/reset), BALLOON_CHANGE (throttled to one a second, as QEMU's
 * monitor does) and QMP balloon/query-balloon.
 * Never: discards memory itself (the manager and the backend do), or
 * touches guest memory outside the manager's read sections.
 *
 * One balloon per machine, as in QEMU ("Only one balloon device is
 * supported"); machine->balloon points at it while it exists.  The
 * machine binds, resets and stops it with its other virtio-pci devices
 * (machine->virtio, virtio/pci_list.h): a machine reset gives every
 * ballooned page back.  Not hotpluggable (kvmem's pc has no ACPI PCI
 * hotplug yet).
 */
#ifndef KVMEM_VIRTIO_BALLOON_PCI_H
#define KVMEM_VIRTIO_BALLOON_PCI_H

#include "qmp/dispatch.h"
#include "util/err.h"

struct machine;

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
