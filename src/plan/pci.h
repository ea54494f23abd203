/* pci.h - the PCI bus as planned: which function sits at which slot, where
 * each of its BARs is, and which GSI each interrupt pin reaches.  Pure.
 *
 * Owns: slot and function numbers on bus 0 (pci.0), the BAR addresses kvmem
 * assigns as a firmware would (32-bit BARs from the top of the 32-bit PCI
 * window down, 64-bit BARs from the bottom of QEMU's pci-hole64 up; both
 * windows come from plan/layout.h), and the INTx routing rule that the
 * DSDT's _PRT and the device models both follow.
 * Never: touches config space (hw/pci.c does), or invents a window.
 *
 * Bus 0 always holds QEMU pc's i440FX host bridge at 00:00.0 and PIIX3 ISA
 * bridge at 00:01.0, so a device without addr= goes to the first free slot
 * from 2, as it does in QEMU with -nodefaults.  kvmem's devices are single
 * function; addr= follows QEMU's rules and messages for taken slots and
 * functions.
 */
#ifndef KVMEM_PLAN_PCI_H
#define KVMEM_PLAN_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "plan/layout.h"
#include "util/err.h"

#define PCI_SLOTS 32
#define PCI_FUNCS 8
#define PCI_NUM_BARS 6
#define PCI_PLAN_MAX_FUNCS 32
/* The first slot a device without addr= may take (0: host, 1: PIIX3). */
#define PCI_FIRST_FREE_SLOT 2
/* Memory BARs are at least a page, so each can be mapped on its own. */
#define PCI_BAR_MIN_SIZE 4096

/* PCI INTx pins as the Interrupt Pin register numbers them. */
enum pci_intx { PCI_INTX_NONE = 0, PCI_INTA = 1, PCI_INTB, PCI_INTC, PCI_INTD };

enum pci_bar_kind { PCI_BAR_UNUSED = 0, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar_req {
	enum pci_bar_kind kind;
	uint64_t size; /* a power of two, at least PCI_BAR_MIN_SIZE */
	bool prefetch;
};

/* The identity a function shows in its config header. */
struct pci_ids {
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys;
	uint8_t revision;
	uint32_t class_code; /* class << 16 | subclass << 8 | prog-if */
};

struct pci_plan_func {
	char driver[32]; /* QEMU's type name: "i440FX", "virtio-balloon-pci" */
	char id[32];	 /* the device's id=, "" without one */
	uint8_t slot, fn;
	bool multifunction;
	struct pci_ids ids;
	uint8_t intx_pin; /* enum pci_intx */
	unsigned gsi;	  /* where intx_pin reaches: pci_intx_gsi() */
	struct pci_bar_req bar[PCI_NUM_BARS];
	uint64_t bar_addr[PCI_NUM_BARS]; /* set by pci_plan_assign() */
};

struct pci_plan {
	uint64_t mmio32_start, mmio32_end; /* from the layout, end exclusive */
	uint64_t mmio64_start, mmio64_end;
	struct pci_plan_func func[PCI_PLAN_MAX_FUNCS]; /* in the order added */
	unsigned nr;
	bool assigned;
};

/* The bus with its host bridge (00:00.0) and PIIX3 (00:01.0), windows from l. */
void pci_plan_init(struct pci_plan *p, const struct layout *l);

/* Parse QEMU's addr= value "SLOT[.FN]" (hex, slot 0-0x1f, function 0-7).
 * Fails (-EINVAL) with QEMU's message "Property 'DRIVER.addr' doesn't take
 * value 'VALUE'". */
int pci_parse_addr(const char *driver, const char *value, uint8_t *slot, uint8_t *fn,
		   struct kverr *err);

/* Add a single-function device at addr (NULL: the first free slot from 2,
 * function 0).  Fails with QEMU's messages when the slot or function is
 * taken, the slot's function 0 is single-function, the bus is full, or a
 * BAR request is malformed.  *out (may be NULL) points into p. */
int pci_plan_add(struct pci_plan *p, const char *driver, const char *id, const char *addr,
		 const struct pci_ids *ids, uint8_t intx_pin,
		 const struct pci_bar_req bar[PCI_NUM_BARS], struct pci_plan_func **out,
		 struct kverr *err);

/* Give every BAR its address, once all devices are added (-ENOSPC when a
 * window is full). */
int pci_plan_assign(struct pci_plan *p, struct kverr *err);

/* The function at slot.fn, or NULL. */
const struct pci_plan_func *pci_plan_find(const struct pci_plan *p, uint8_t slot, uint8_t fn);

/* The GSI that pin (PCI_INTA..D) of a device in slot reaches: the i440FX's
 * PIRQ swizzle (slot - 1 + pin - 1) mod 4, PIRQ n wired to IOAPIC input
 * IOMAP_PCI_GSI_BASE + n.  The DSDT's _PRT says the same. */
unsigned pci_intx_gsi(uint8_t slot, uint8_t pin);

#endif
