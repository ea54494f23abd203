/* mem_pci.h - virtio-mem-pci in the device registry: -device and
 * device_add virtio-mem-pci, its qom properties (requested-size, size,
 * block-size ...), QMP's view of it (query-memory-devices, the plugged
 * size, MEMORY_DEVICE_SIZE_CHANGE), and what the machine asks of it.
 * Main thread, except where said.
 *
 * Life of a device (dev.h's hooks):
 *   plan       (-device) its PCI slot and BARs in the machine's plan;
 *              a device_add checks the slot in pre_plug on a copy of the
 *              plan and adds it in realize
 *   pre_plug   plan/vmem.h decides the address and the block size, or
 *              refuses with QEMU 7.2's message; nothing changes
 *   realize    the memory manager adds the backend as one region whose
 *              pages are all unplugged (and discarded: a reused backend
 *              starts empty), with one KVM slot, or none with
 *              dynamic-memslots=on; the device model starts; the backend
 *              becomes mapped (object-del refuses it); the transport
 *              joins the machine's virtio-pci devices (machine->virtio,
 *              virtio/pci_list.h), which binds it to the VM and the main
 *              loop and, on a machine reset, unplugs all its memory
 *   unrealize  (the machine goes away: QEMU 7.2 cannot unplug virtio-mem,
 *              and device_del answers "virtio based memory devices cannot
 *              be unplugged.") the region leaves the manager
 */
#ifndef KVMEM_VIRTIO_MEM_PCI_H
#define KVMEM_VIRTIO_MEM_PCI_H

#include <jansson.h>
#include <stdint.h>

#include "plan/dimm.h"
#include "util/err.h"

struct machine;
struct dev_set;
struct device;

/* The virtio-mem devices' ranges, for any memory device's placement
 * (pc-dimm's too): every realized one but self. */
unsigned virtio_mem_pci_ranges(const struct dev_set *set, const struct device *self,
			       struct dimm_plugged *out, unsigned max);

/* query-memory-devices' entries: {"type": "virtio-mem", "data":
 * VirtioMEMDeviceInfo}, one per device (the caller sorts by address). */
void virtio_mem_pci_query(struct machine *m, json_t *list);

/* Bytes the guest has plugged on node (every node for -1). */
uint64_t virtio_mem_pci_plugged(struct machine *m, int64_t node);

#endif
