/* pci_list.h - the machine's virtio-pci devices, as one list.
 *
 * Owns: which virtio-pci devices the machine has, and what the machine
 * does to all of them at once: bind them to each VM it builds, unbind
 * them before that VM goes, reset them with the machine, and give them
 * the main loop for their monitor events.  A driver adds its device once
 * the transport runs (virtio_pci_start) and removes it before
 * virtio_pci_destroy; a device added while a VM or the loop exists (a
 * device_add) is bound to them at once.
 * Never: plans, creates or frees a device (its driver does, dev/dev.h's
 * hooks), or calls KVM itself (the VM's pci_vm_ops do).
 * Main thread only.
 */
#ifndef KVMEM_VIRTIO_PCI_LIST_H
#define KVMEM_VIRTIO_PCI_LIST_H

#include <stdbool.h>

#include "hw/pci.h"
#include "util/err.h"

struct virtio_pci;
struct loop;

struct virtio_pci_list {
	struct virtio_pci *first; /* in the order they were added */
	struct pci_vm_ops vm;	  /* the VM they are bound to, while vm_bound */
	bool vm_bound;
	struct loop *loop; /* the main loop, once it exists */
};

/* vp (started) joins the list; bound to the VM and the loop if they
 * exist.  Fails only when the device's fds cannot join the loop; then vp
 * is not on the list. */
int virtio_pci_list_add(struct virtio_pci_list *l, struct virtio_pci *vp, struct kverr *err);
/* vp leaves the list (if it is on it). */
void virtio_pci_list_remove(struct virtio_pci_list *l, struct virtio_pci *vp);

/* A VM was built (start, each reset): bind every device's eventfds to it
 * (vm: the VM's ops, ctx set). */
void virtio_pci_list_vm_built(struct virtio_pci_list *l, const struct pci_vm_ops *vm);
/* The VM is going away: every device forgets what was bound. */
void virtio_pci_list_vm_gone(struct virtio_pci_list *l);
/* A machine reset: each device as at power-on, through its
 * ops->machine_reset, or the transport's reset when it has none. */
void virtio_pci_list_reset(struct virtio_pci_list *l);
/* The main loop exists: each device's ops->attach_loop, in order. */
int virtio_pci_list_attach_loop(struct virtio_pci_list *l, struct loop *loop, struct kverr *err);

#endif
