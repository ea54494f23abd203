/* pci.c - the PCI bus as planned (see pci.h).
 *
 * Slot and function checks and their messages follow QEMU 7.2's
 * do_pci_register_device() and pci_init_multifunction(), so a command line
 * that QEMU refuses is refused here with the same words.  BARs are placed
 * the way a simple firmware does it: in the order the functions and their
 * BARs come, each aligned to its size.
 */
#include "plan/pci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/iomap.h"

/* QEMU pc's fixed functions, with the ids QEMU 7.2 gives them. */
#define QEMU_SUBSYS_VENDOR 0x1af4 /* Red Hat, Inc. */
#define QEMU_SUBSYS 0x1100	  /* QEMU */

void pci_plan_init(struct pci_plan *p, const struct layout *l)
{
	static const struct pci_bar_req none[PCI_NUM_BARS];
	const struct pci_ids host = {0x8086,	  0x1237, QEMU_SUBSYS_VENDOR,
				     QEMU_SUBSYS, 0x02,	  0x060000};
	const struct pci_ids isa = {0x8086,	 0x7000, QEMU_SUBSYS_VENDOR,
				    QEMU_SUBSYS, 0x00,	 0x060100};
	struct pci_plan_func *f;

	memset(p, 0, sizeof(*p));
	p->mmio32_start = l->pci_mmio32_start;
	p->mmio32_end = l->pci_mmio32_end;
	p->mmio64_start = l->pci_hole64_start;
	p->mmio64_end = l->pci_hole64_end;
	/* Both fit on an empty bus: these cannot fail. */
	pci_plan_add(p, "i440FX", "", "0.0", &host, PCI_INTX_NONE, none, NULL, NULL);
	pci_plan_add(p, "PIIX3", "", "1.0", &isa, PCI_INTX_NONE, none, &f, NULL);
	/* QEMU's PIIX3 is function 0 of a multifunction slot (IDE, ACPI). */
	if (f)
		f->multifunction = true;
}

static int bad_addr(const char *driver, const char *value, struct kverr *err)
{
	return kverr_set(err, EINVAL, "Property '%s.addr' doesn't take value '%s'", driver, value);
}

/* As QEMU's set_pci_devfn(): strtoul in base 16 for each part. */
int pci_parse_addr(const char *driver, const char *value, uint8_t *slot, uint8_t *fn,
		   struct kverr *err)
{
	unsigned long s, f = 0;
	const char *p = value;
	char *e;

	s = strtoul(p, &e, 16);
	if (e == p || (*e != '.' && *e != '\0'))
		return bad_addr(driver, value, err);
	if (*e == '.') {
		p = e + 1;
		f = strtoul(p, &e, 16);
		if (e == p || *e != '\0')
			return bad_addr(driver, value, err);
	}
	if (s >= PCI_SLOTS || f >= PCI_FUNCS)
		return bad_addr(driver, value, err);
	*slot = (uint8_t)s;
	*fn = (uint8_t)f;
	return 0;
}

static struct pci_plan_func *find(struct pci_plan *p, uint8_t slot, uint8_t fn)
{
	for (unsigned i = 0; i < p->nr; i++)
		if (p->func[i].slot == slot && p->func[i].fn == fn)
			return &p->func[i];
	return NULL;
}

const struct pci_plan_func *pci_plan_find(const struct pci_plan *p, uint8_t slot, uint8_t fn)
{
	return find((struct pci_plan *)p, slot, fn);
}

static bool power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int check_bars(const char *driver, const struct pci_bar_req bar[PCI_NUM_BARS],
		      struct kverr *err)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		if (bar[i].kind == PCI_BAR_UNUSED)
			continue;
		if (bar[i].kind != PCI_BAR_MEM32 && bar[i].kind != PCI_BAR_MEM64)
			return kverr_set(err, EINVAL, "PCI: %s: BAR%u has an unknown kind", driver,
					 i);
		if (!power_of_two(bar[i].size) || bar[i].size < PCI_BAR_MIN_SIZE ||
		    (bar[i].kind == PCI_BAR_MEM32 && bar[i].size > (1ULL << 31)))
			return kverr_set(err, EINVAL,
					 "PCI: %s: BAR%u size 0x%llx is not a power of two "
					 "from 4 KiB%s",
					 driver, i, (unsigned long long)bar[i].size,
					 bar[i].kind == PCI_BAR_MEM32 ? " to 2 GiB" : "");
		/* a 64-bit BAR takes the next register for its upper half */
		if (bar[i].kind == PCI_BAR_MEM64 &&
		    (i == PCI_NUM_BARS - 1 || bar[i + 1].kind != PCI_BAR_UNUSED))
			return kverr_set(
			    err, EINVAL,
			    "PCI: %s: 64-bit BAR%u needs BAR%u free for its upper half", driver, i,
			    i + 1);
		if (bar[i].kind == PCI_BAR_MEM64)
			i++;
	}
	return 0;
}

int pci_plan_add(struct pci_plan *p, const char *driver, const char *id, const char *addr,
		 const struct pci_ids *ids, uint8_t intx_pin,
		 const struct pci_bar_req bar[PCI_NUM_BARS], struct pci_plan_func **out,
		 struct kverr *err)
{
	uint8_t slot = 0, fn = 0;
	struct pci_plan_func *f, *f0;
	int ret;

	if (out)
		*out = NULL;
	if ((ret = check_bars(driver, bar, err)))
		return ret;
	if (intx_pin > PCI_INTD)
		return kverr_set(err, EINVAL, "PCI: %s: interrupt pin %u is not INTA-INTD", driver,
				 intx_pin);
	if (addr) {
		if ((ret = pci_parse_addr(driver, addr, &slot, &fn, err)))
			return ret;
		f = find(p, slot, fn);
		if (f)
			return kverr_set(err, EBUSY,
					 "PCI: slot %d function %d not available for %s, in use "
					 "by %s,id=%s",
					 slot, fn, driver, f->driver, f->id[0] ? f->id : "(null)");
	} else {
		for (slot = PCI_FIRST_FREE_SLOT; slot < PCI_SLOTS; slot++)
			if (!find(p, slot, 0))
				break;
		if (slot == PCI_SLOTS)
			return kverr_set(err, ENOSPC,
					 "PCI: no slot/function available for %s, all in use or "
					 "reserved",
					 driver);
	}
	if (p->nr == PCI_PLAN_MAX_FUNCS)
		return kverr_set(err, ENOSPC, "PCI: %s: kvmem supports at most %d functions",
				 driver, PCI_PLAN_MAX_FUNCS);
	f0 = find(p, slot, 0);
	if (fn && f0 && !f0->multifunction)
		return kverr_set(err, EINVAL,
				 "PCI: single function device can't be populated in function "
				 "%x.%x",
				 slot, fn);
	if (!fn) {
		for (uint8_t i = 1; i < PCI_FUNCS; i++)
			if (find(p, slot, i))
				return kverr_set(
				    err, EINVAL,
				    "PCI: %x.0 indicates single function, but %x.%x is "
				    "already populated.",
				    slot, slot, i);
	}

	f = &p->func[p->nr++];
	memset(f, 0, sizeof(*f));
	snprintf(f->driver, sizeof(f->driver), "%s", driver);
	snprintf(f->id, sizeof(f->id), "%s", id ? id : "");
	f->slot = slot;
	f->fn = fn;
	f->ids = *ids;
	f->intx_pin = intx_pin;
	f->gsi = intx_pin ? pci_intx_gsi(slot, intx_pin) : 0;
	memcpy(f->bar, bar, sizeof(f->bar));
	p->assigned = false;
	if (out)
		*out = f;
	return 0;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int pci_plan_assign(struct pci_plan *p, struct kverr *err)
{
	uint64_t top32 = p->mmio32_end, next64 = p->mmio64_start;

	for (unsigned i = 0; i < p->nr; i++) {
		struct pci_plan_func *f = &p->func[i];

		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar_req *r = &f->bar[b];
			uint64_t a;

			f->bar_addr[b] = 0;
			if (r->kind == PCI_BAR_UNUSED)
				continue;
			/* A 64-bit BAR goes above 4 GiB while the 64-bit hole
			 * has room (sizes are powers of two, so the aligned
			 * address plus the size cannot wrap below 2^52). */
			if (r->kind == PCI_BAR_MEM64 && p->mmio64_end) {
				a = align_up(next64, r->size);
				if (a >= next64 && a <= p->mmio64_end &&
				    r->size <= p->mmio64_end - a) {
					f->bar_addr[b] = a;
					next64 = a + r->size;
					continue;
				}
			}
			if (r->size <= top32 - p->mmio32_start) {
				a = align_down(top32 - r->size, r->size);
				if (a >= p->mmio32_start) {
					f->bar_addr[b] = a;
					top32 = a;
					continue;
				}
			}
			return kverr_set(err, ENOSPC,
					 "PCI: no room for BAR%u of %s (%02x.%x, 0x%llx bytes) in "
					 "the PCI holes",
					 b, f->driver, f->slot, f->fn, (unsigned long long)r->size);
		}
	}
	p->assigned = true;
	return 0;
}

unsigned pci_intx_gsi(uint8_t slot, uint8_t pin)
{
	return IOMAP_PCI_GSI_BASE +
	       ((unsigned)slot + IOMAP_PCI_NR_PIRQ - 1 + pin - 1) % IOMAP_PCI_NR_PIRQ;
}
