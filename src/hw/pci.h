/* pci.h - PCI bus 0 at run time: every function's config space, the two
 * ways the guest reaches it (configuration mechanism #1 at 0xcf8/0xcfc and
 * the ECAM), and the dispatch of MMIO accesses to the BAR that decodes
 * them.
 *
 * Owns: the config space image of each function (header, capabilities),
 * the rules of each register (which bits the guest may write, which clear
 * on a 1), the BARs as the guest programs them and whether they decode
 * (COMMAND.MEMORY), and the i440FX host bridge and PIIX3 functions.
 * Never: decides a slot or a BAR address (plan/pci.h does: the bus starts
 * from the plan, as a firmware would leave it), or talks to KVM.
 *
 * A device model (virtio-pci, ...) fills in its function's capabilities,
 * then registers it with ops for what the bus cannot do alone: its BARs'
 * registers, side effects of its own config registers, and being told
 * where its BARs now decode.
 *
 * Threads: config and BAR accesses come from vCPU threads.  The bus lock
 * guards the mechanism #1 address latch, every config space and the BAR
 * mappings; ops->config_write, ->config_read and ->bar_mapped run under it
 * (a device may take its own lock inside, never the bus lock).
 * ops->bar_access runs without the bus lock: the device guards itself.
 */
#ifndef KVMEM_HW_PCI_H
#define KVMEM_HW_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "plan/pci.h"
#include "util/err.h"

#define PCI_CONFIG_SIZE 256
#define PCI_BAR_UNMAPPED UINT64_MAX

/* Config header registers (PCI Local Bus 3.0, 6.1) */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MULTIFUNCTION 0x80
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
/* Capabilities start after the header. */
#define PCI_CAP_START 0x40

/* What a PCI device needs from the VM for its interrupts and doorbells.
 * Each is an eventfd the device owns and the VM binds to KVM (irqfd,
 * ioeventfd), so a device thread never makes a VM ioctl itself and a VM
 * rebuilt on reset is simply bound again.  kvm/vm.h provides the real
 * ones (vm_pci_ops), the KVM-less VM of the tests its own; ctx is the VM.
 * Called from vCPU threads and the main thread, never from device threads. */
struct pci_vm_ops {
	void *ctx;
	/* deliver fd as the MSI (addr, data); again with the same fd updates it */
	int (*msi_bind)(void *ctx, int fd, uint64_t addr, uint32_t data, struct kverr *err);
	void (*msi_unbind)(void *ctx, int fd);
	/* fd asserts the level-triggered gsi until the guest's EOI, which is
	 * then signalled on resample_fd */
	int (*intx_bind)(void *ctx, int fd, int resample_fd, unsigned gsi, struct kverr *err);
	/* a guest write of len bytes to MMIO addr signals fd instead of exiting */
	int (*ioeventfd)(void *ctx, int fd, uint64_t addr, unsigned len, bool assign,
			 struct kverr *err);
};

struct pci_func_ops {
	/* A guest access to [off, off+len) of a mapped BAR. */
	void (*bar_access)(void *opaque, unsigned bar, uint64_t off, uint8_t *data, unsigned len,
			   bool is_write);
	/* After a guest write of config [off, off+len) has been applied to
	 * cfg (optional): the device's side effects. */
	void (*config_write)(void *opaque, uint32_t off, unsigned len);
	/* Before a guest read of config [off, off+len) (optional): the device
	 * may refresh those bytes of cfg. */
	void (*config_read)(void *opaque, uint32_t off, unsigned len);
	/* A BAR now decodes at addr, or no longer decodes (PCI_BAR_UNMAPPED);
	 * called on every change, the guest's or pci_bus_reset's (optional). */
	void (*bar_mapped)(void *opaque, unsigned bar, uint64_t addr);
};

struct pci_func {
	const struct pci_plan_func *plan;
	uint8_t cfg[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];	    /* bits the guest may write */
	uint8_t w1cmask[PCI_CONFIG_SIZE];   /* bits a guest 1 clears */
	uint8_t reset_cfg[PCI_CONFIG_SIZE]; /* cfg as the firmware leaves it */
	uint64_t mapped[PCI_NUM_BARS];	    /* where each BAR decodes, or PCI_BAR_UNMAPPED */
	uint8_t next_cap;		    /* where the next capability goes */
	const struct pci_func_ops *ops;
	void *opaque;
};

struct pci_bus;

/* One of the plan's BAR windows as registered on the MMIO bus. */
struct pci_window {
	struct pci_bus *bus;
	uint64_t base;
};

struct pci_bus {
	const struct pci_plan *plan;
	struct pci_window window[2]; /* 32-bit, 64-bit */
	pthread_mutex_t lock;
	bool lock_init;
	uint32_t config_addr;			      /* mechanism #1 latch (0xcf8) */
	struct pci_func *func[PCI_SLOTS * PCI_FUNCS]; /* by devfn */
	struct pci_func host, isa;		      /* i440FX at 00:00.0, PIIX3 at 00:01.0 */
};

/* The bus as the plan describes it, with the host bridge and PIIX3. */
int pci_bus_init(struct pci_bus *bus, const struct pci_plan *plan, struct kverr *err);
void pci_bus_fini(struct pci_bus *bus);

/* Claim 0xcf8 (one byte: 0xcf9 is the reset register) and 0xcfc-0xcff on
 * pio, and on mmio the ECAM and the plan's two BAR windows. */
int pci_bus_register(struct pci_bus *bus, struct bus *pio, struct bus *mmio, struct kverr *err);

/* Fill f's config header from its plan entry (ids, BARs at their planned
 * addresses, interrupt pin and line, decoding off).  Then add capabilities
 * with pci_func_add_cap, then pci_bus_add. */
void pci_func_init(struct pci_func *f, const struct pci_plan_func *plan);
/* Append a capability of len bytes with id; returns its offset (0 when
 * config space is full).  The id and next bytes are read-only; make other
 * bytes writable by setting f->wmask. */
uint8_t pci_func_add_cap(struct pci_func *f, uint8_t id, uint8_t len);
/* Put f on the bus at its planned slot.fn, taking ops (-EEXIST if taken). */
int pci_bus_add(struct pci_bus *bus, struct pci_func *f, const struct pci_func_ops *ops,
		void *opaque, struct kverr *err);

/* The firmware's state, at start and after a guest reset: every
 * function's config space as pci_bus_add found it, BARs at their planned
 * addresses and decoding (COMMAND.MEMORY set where a function has a BAR),
 * ops->bar_mapped told of each change. */
void pci_bus_reset(struct pci_bus *bus);
/* Take f off the bus again (a device whose realize failed, or that goes
 * away): its BARs stop decoding, config cycles find nothing there. */
void pci_bus_remove(struct pci_bus *bus, struct pci_func *f);

/* Little-endian config space accessors for device models (no side
 * effects; the caller holds the bus lock or owns f before pci_bus_add). */
uint32_t pci_get(const struct pci_func *f, uint32_t off, unsigned len);
void pci_set(struct pci_func *f, uint32_t off, uint32_t val, unsigned len);

/* The bus's port and MMIO handlers, for bus_register and tests. */
void pci_config_addr_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);
void pci_config_data_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);
void pci_ecam_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);
/* opaque is a struct pci_window, off relative to its base. */
void pci_mmio_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);

#endif
