/* pci.h - the virtio 1.x PCI transport (modern only), and the thread each
 * virtio device does its work on.
 *
 * Owns: a virtio device's PCI face as QEMU 7.2 gives it (vendor 0x1af4,
 * device 0x1040 + virtio id, subsystem 0x1af4:0x1100, revision 1; the
 * vendor capabilities for common, ISR, device and notify config in BAR4
 * and the PCI config access one; MSI-X with its table and PBA in BAR1;
 * INTx when the driver does not enable MSI-X), the device status and
 * feature negotiation, the queues' configuration, interrupts, and the
 * device's worker thread.
 * Never: knows what a device does (its ops do), or calls KVM (the VM's
 * struct pci_vm_ops binds the transport's eventfds).
 *
 * Threads and locks:
 *  - vCPU threads access config space and BARs; the transport lock guards
 *    every register.  ops->config_read/config_write/set_features/
 *    driver_ok/reset run with it held: they must not call back into the
 *    transport.
 *  - The worker thread waits on the queues' kick eventfds (KVM
 *    ioeventfds: a guest's notify never exits to a vCPU thread), the INTx
 *    resample fd and the device's own fds, and calls ops->queue_notify and
 *    those fds' handlers without the transport lock, while the device runs
 *    (DRIVER_OK, no NEEDS_RESET).  A slow request (discarding gigabytes)
 *    delays no vCPU and no monitor.
 *  - A device reset (the driver writes status 0, or the machine resets)
 *    waits until the worker is between two requests: a device handler
 *    checks virtio_pci_stopping() between requests and returns.
 * A malformed ring or request: virtio_pci_fail() sets NEEDS_RESET, tells
 * the driver (config interrupt) and logs one rate-limited line; the device
 * does nothing more until the driver resets it.  The VMM goes on.
 */
#ifndef KVMEM_VIRTIO_PCI_H
#define KVMEM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/pci.h"
#include "util/log.h"
#include "util/thread.h"
#include "util/loop.h"
#include "virtio/queue.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + virtio device id: modern only */
#define VIRTIO_PCI_SUBSYS 0x1100      /* QEMU */
#define VIRTIO_PCI_REVISION 1	      /* modern-only devices (4.1.2.1) */

/* BARs, as QEMU lays them out */
#define VIRTIO_PCI_MSIX_BAR 1
#define VIRTIO_PCI_MSIX_BAR_SIZE 4096
#define VIRTIO_PCI_MSIX_PBA 0x800
#define VIRTIO_PCI_BAR 4
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_PCI_COMMON 0x0000
#define VIRTIO_PCI_ISR 0x1000
#define VIRTIO_PCI_DEVICE_CFG 0x2000
#define VIRTIO_PCI_NOTIFY 0x3000
#define VIRTIO_PCI_REGION_SIZE 0x1000
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4

#define VIRTIO_PCI_MAX_QUEUES 8
#define VIRTIO_PCI_MAX_VECTORS 16

/* What a virtio device is, to the transport. */
struct virtio_dev_ops {
	const char *name;    /* QEMU's type name, "virtio-balloon-pci" */
	uint16_t device_id;  /* VIRTIO_ID_* */
	uint32_t pci_class;  /* class << 16 | subclass << 8 | prog-if */
	unsigned nr_queues;  /* at most VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_size; /* each queue's maximum */
	uint64_t features;   /* device-specific feature bits offered */
	uint32_t config_size;
	/* vCPU thread, transport lock held */
	void (*config_read)(void *dev, uint32_t off, uint8_t *data, unsigned len);
	void (*config_write)(void *dev, uint32_t off, const uint8_t *data, unsigned len);
	/* FEATURES_OK: false refuses the driver's choice (optional) */
	bool (*set_features)(void *dev, uint64_t features);
	void (*driver_ok)(void *dev); /* optional */
	/* back to the state before the driver came (status 0, machine reset);
	 * the worker is between requests */
	void (*reset)(void *dev);
	/* worker thread, no transport lock: queue q was kicked */
	void (*queue_notify)(void *dev, unsigned q);
	/* The machine's (virtio/pci_list.h), main thread, both optional: */
	/* a machine reset: the device as at power-on, its transport with it
	 * (virtio_pci_reset first: the worker is then idle); without it the
	 * machine resets the transport alone */
	void (*machine_reset)(void *dev);
	/* the main loop exists: add the device's own fds (its monitor
	 * events); the device removes them itself when it goes */
	int (*attach_loop)(void *dev, struct loop *loop, struct kverr *err);
};

/* The planned identity and BARs of a virtio-pci device (for plan/pci.h). */
static inline void virtio_pci_plan(const struct virtio_dev_ops *ops, unsigned nvectors,
				   struct pci_ids *ids, struct pci_bar_req bar[PCI_NUM_BARS])
{
	*ids = (struct pci_ids){
	    VIRTIO_PCI_VENDOR,	 (uint16_t)(VIRTIO_PCI_DEVICE_BASE + ops->device_id),
	    VIRTIO_PCI_VENDOR,	 VIRTIO_PCI_SUBSYS,
	    VIRTIO_PCI_REVISION, ops->pci_class};
	for (unsigned b = 0; b < PCI_NUM_BARS; b++)
		bar[b] = (struct pci_bar_req){PCI_BAR_UNUSED, 0, false};
	if (nvectors)
		bar[VIRTIO_PCI_MSIX_BAR] =
		    (struct pci_bar_req){PCI_BAR_MEM32, VIRTIO_PCI_MSIX_BAR_SIZE, false};
	bar[VIRTIO_PCI_BAR] = (struct pci_bar_req){PCI_BAR_MEM64, VIRTIO_PCI_BAR_SIZE, true};
}

/* Add a virtio-pci function to plan p: its identity and BARs as above, at
 * devfn (a PCI_ADDR property: -1 for the first free slot), with QEMU's
 * slot checks and messages for driver (plan/pci.h's pci_plan_add). */
int virtio_pci_plan_add(struct pci_plan *p, const struct virtio_dev_ops *ops, unsigned nvectors,
			const char *driver, const char *id, int64_t devfn,
			struct pci_plan_func **out, struct kverr *err);

typedef void (*virtio_fd_fn)(void *opaque, bool running);

struct virtio_pci;
/* what the worker's loop hands its callbacks: the device and an index */
struct virtio_pci_slot {
	struct virtio_pci *vp;
	unsigned i;
};

struct virtio_pci {
	const struct virtio_dev_ops *ops;
	void *dev;
	char name[64]; /* "virtio-balloon-pci 00:02.0", for messages */
	struct pci_func func;
	struct dma_space dma;
	unsigned nvectors;
	uint8_t msix_cap; /* config offset of the MSI-X capability, 0: none */
	uint8_t cfg_cap;  /* of the PCI config access capability */

	pthread_mutex_t lock;
	pthread_cond_t idle; /* the worker left a handler */
	struct pci_vm_ops vm;
	bool vm_attached;

	/* common config */
	uint32_t dfselect, gfselect;
	uint64_t driver_features, features; /* written, and accepted at FEATURES_OK */
	uint8_t status, generation, isr;
	uint16_t queue_select, config_vector;
	struct vq vq[VIRTIO_PCI_MAX_QUEUES];
	uint16_t queue_vector[VIRTIO_PCI_MAX_QUEUES];
	int kick_fd[VIRTIO_PCI_MAX_QUEUES];

	/* MSI-X */
	uint8_t msix_table[VIRTIO_PCI_MAX_VECTORS * 16];
	uint32_t msix_pending;
	bool msix_enabled, msix_masked;
	int vector_fd[VIRTIO_PCI_MAX_VECTORS];
	bool vector_bound[VIRTIO_PCI_MAX_VECTORS];

	/* INTx */
	int intx_fd, resample_fd;
	bool intx_disabled;

	/* notify doorbells */
	uint64_t notify_base; /* BAR4's address + VIRTIO_PCI_NOTIFY, or unmapped */
	bool ioeventfds;      /* registered at notify_base */
	bool ioeventfd_failed;

	/* the worker */
	struct loop loop;
	int ctl_fd;
	struct thread thread; /* util/thread: a 1 MiB stack without THP */
	bool thread_started;
	bool busy;		   /* in a handler */
	atomic_bool reset_pending; /* a reset waits for the worker */
	atomic_bool stop;
	struct ratelimit rl;
	struct {
		int fd;
		virtio_fd_fn fn;
		void *opaque;
	} extra[4];
	unsigned nr_extra;
	struct virtio_pci_slot slot[VIRTIO_PCI_MAX_QUEUES + 4];
	struct virtio_pci *list_next; /* the machine's list (pci_list.h) */
};

/* Set up vp for device dev at its planned place (plan from
 * virtio_pci_plan()), reaching guest memory through dma, with nvectors
 * MSI-X vectors (0: no MSI-X, INTx only). */
int virtio_pci_init(struct virtio_pci *vp, const struct pci_plan_func *plan,
		    const struct virtio_dev_ops *ops, void *dev, const struct dma_space *dma,
		    unsigned nvectors, struct kverr *err);
/* Before virtio_pci_start: a device fd the worker waits on too (a timer);
 * fn runs on the worker, between requests, and must consume fd's event;
 * running says whether the device runs (DRIVER_OK, no reset pending). */
int virtio_pci_add_fd(struct virtio_pci *vp, int fd, virtio_fd_fn fn, void *opaque,
		      struct kverr *err);
/* Put the function on the bus and start the worker. */
int virtio_pci_start(struct virtio_pci *vp, struct pci_bus *bus, struct kverr *err);
/* Stop and join the worker, close the eventfds.  Safe on a half-set-up vp
 * (after a zeroing and a failed init). */
void virtio_pci_destroy(struct virtio_pci *vp);

/* A VM was built: bind the INTx, MSI and doorbell eventfds to it.
 * Failures only cost speed (a doorbell without ioeventfd exits to the
 * vCPU) or are logged. */
void virtio_pci_attach_vm(struct virtio_pci *vp, const struct pci_vm_ops *vm);
/* The VM is going away: forget what was bound (no ioctls). */
void virtio_pci_detach_vm(struct virtio_pci *vp);
/* Machine reset: the device as at power-on (virtio and MSI-X state);
 * pci_bus_reset() does config space. */
void virtio_pci_reset(struct virtio_pci *vp);

/* For device models, from the worker or any thread without the lock. */
struct vq *virtio_pci_queue(struct virtio_pci *vp, unsigned q);
/* The device used buffers of queue q: interrupt the driver if it wants. */
void virtio_pci_notify_queue(struct virtio_pci *vp, unsigned q);
/* The device changed its config: new generation, config interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);
/* The driver broke a rule (err says which): NEEDS_RESET, as described
 * above. */
void virtio_pci_fail(struct virtio_pci *vp, const struct kverr *err);
/* True when a handler should return: a reset waits, or the device stops. */
bool virtio_pci_stopping(struct virtio_pci *vp);
/* The features the driver accepted (0 before FEATURES_OK). */
uint64_t virtio_pci_features(struct virtio_pci *vp);

#endif
