/* pci.c - PCI bus 0: config space, mechanism #1, ECAM and BAR dispatch
 * (see pci.h).
 *
 * Every guest write goes through one function, config_write(), which
 * applies the register rules byte by byte (wmask, w1cmask), then updates
 * the BAR mappings if COMMAND or a BAR changed, then lets the device see
 * it.  A BAR decodes, as in QEMU's pci_bar_address(), only with
 * COMMAND.MEMORY set, at a non-zero address whose whole range fits below
 * 2^52 (so the all-ones value a guest writes to size a BAR never decodes).
 */
#include "hw/pci.h"

#include <string.h>

#include "plan/iomap.h"

/* ---- config space bytes ---- */

uint32_t pci_get(const struct pci_func *f, uint32_t off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len && off + i < PCI_CONFIG_SIZE; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	return v;
}

void pci_set(struct pci_func *f, uint32_t off, uint32_t val, unsigned len)
{
	for (unsigned i = 0; i < len && off + i < PCI_CONFIG_SIZE; i++)
		f->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

static void set_wmask(struct pci_func *f, uint32_t off, uint32_t mask, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		f->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

void pci_func_init(struct pci_func *f, const struct pci_plan_func *plan)
{
	memset(f, 0, sizeof(*f));
	f->plan = plan;
	f->next_cap = PCI_CAP_START;
	for (unsigned b = 0; b < PCI_NUM_BARS; b++)
		f->mapped[b] = PCI_BAR_UNMAPPED;
	pci_set(f, PCI_VENDOR_ID, plan->ids.vendor, 2);
	pci_set(f, PCI_DEVICE_ID, plan->ids.device, 2);
	pci_set(f, PCI_REVISION_ID, plan->ids.revision, 1);
	pci_set(f, PCI_CLASS_PROG, plan->ids.class_code, 3);
	pci_set(f, PCI_HEADER_TYPE, plan->multifunction ? PCI_HEADER_TYPE_MULTIFUNCTION : 0, 1);
	pci_set(f, PCI_SUBSYSTEM_VENDOR_ID, plan->ids.subsys_vendor, 2);
	pci_set(f, PCI_SUBSYSTEM_ID, plan->ids.subsys, 2);
	set_wmask(f, PCI_COMMAND,
		  PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR |
		      PCI_COMMAND_INTX_DISABLE,
		  2);
	/* the error bits of STATUS clear when written with 1 */
	f->w1cmask[PCI_STATUS + 1] = 0xf9;
	f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	f->wmask[PCI_LATENCY_TIMER] = 0xff;
	if (plan->intx_pin) {
		pci_set(f, PCI_INTERRUPT_PIN, plan->intx_pin, 1);
		pci_set(f, PCI_INTERRUPT_LINE, plan->gsi, 1);
		f->wmask[PCI_INTERRUPT_LINE] = 0xff;
	}
	for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
		const struct pci_bar_req *r = &plan->bar[b];
		uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * b;
		uint32_t flags = (r->kind == PCI_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
				 (r->prefetch ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);

		if (r->kind == PCI_BAR_UNUSED)
			continue;
		pci_set(f, reg, (uint32_t)plan->bar_addr[b] | flags, 4);
		set_wmask(f, reg, (uint32_t) ~(r->size - 1) & ~0xfU, 4);
		if (r->kind == PCI_BAR_MEM64) {
			pci_set(f, reg + 4, (uint32_t)(plan->bar_addr[b] >> 32), 4);
			set_wmask(f, reg + 4, (uint32_t)(~(r->size - 1) >> 32), 4);
			b++;
		}
	}
}

uint8_t pci_func_add_cap(struct pci_func *f, uint8_t id, uint8_t len)
{
	uint8_t off = f->next_cap;

	if (len < 2 || off + len > PCI_CONFIG_SIZE)
		return 0;
	/* newest first, as QEMU links them: the list starts at the last one */
	pci_set(f, off, id, 1);
	pci_set(f, off + 1, pci_get(f, PCI_CAPABILITY_LIST, 1), 1);
	pci_set(f, PCI_CAPABILITY_LIST, off, 1);
	pci_set(f, PCI_STATUS, pci_get(f, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST, 2);
	f->next_cap = (uint8_t)((off + len + 3) & ~3);
	if (off + len + 3 >= PCI_CONFIG_SIZE)
		f->next_cap = PCI_CONFIG_SIZE - 1;
	return off;
}

/* ---- BAR decoding ---- */

static uint64_t bar_address(const struct pci_func *f, unsigned b)
{
	const struct pci_bar_req *r = &f->plan->bar[b];
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * b;
	uint64_t addr;

	if (r->kind == PCI_BAR_UNUSED || !(pci_get(f, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
		return PCI_BAR_UNMAPPED;
	addr = pci_get(f, reg, 4) & ~0xfULL;
	if (r->kind == PCI_BAR_MEM64)
		addr |= (uint64_t)pci_get(f, reg + 4, 4) << 32;
	if (!addr || addr > LAYOUT_PHYS_LIMIT || r->size > LAYOUT_PHYS_LIMIT - addr)
		return PCI_BAR_UNMAPPED;
	return addr;
}

/* Bring f->mapped up to date with its registers; tell the device. */
static void update_mappings(struct pci_func *f)
{
	for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
		uint64_t addr = bar_address(f, b);

		if (addr == f->mapped[b])
			continue;
		f->mapped[b] = addr;
		if (f->ops && f->ops->bar_mapped)
			f->ops->bar_mapped(f->opaque, b, addr);
	}
}

/* ---- config access (bus lock held) ---- */

static void config_write(struct pci_func *f, uint32_t off, uint32_t val, unsigned len)
{
	bool remap = false;

	for (unsigned i = 0; i < len; i++) {
		uint32_t o = off + i;
		uint8_t v = (uint8_t)(val >> (8 * i));

		f->cfg[o] = (uint8_t)((f->cfg[o] & ~f->wmask[o]) | (v & f->wmask[o]));
		f->cfg[o] &= (uint8_t) ~(v & f->w1cmask[o]);
		if ((o >= PCI_COMMAND && o < PCI_COMMAND + 2) ||
		    (o >= PCI_BASE_ADDRESS_0 && o < PCI_BASE_ADDRESS_0 + 4 * PCI_NUM_BARS))
			remap = true;
	}
	if (remap)
		update_mappings(f);
	if (f->ops && f->ops->config_write)
		f->ops->config_write(f->opaque, off, len);
}

static uint32_t config_read(struct pci_func *f, uint32_t off, unsigned len)
{
	if (f->ops && f->ops->config_read)
		f->ops->config_read(f->opaque, off, len);
	return pci_get(f, off, len);
}

/* A config access of len bytes at off of the function at devfn: reads of
 * nothing (an empty devfn, a register past the 256 bytes kvmem has, an
 * access crossing a dword) are all ones; such writes are dropped. */
static void config_access(struct pci_bus *bus, unsigned devfn, uint32_t off, uint8_t *data,
			  unsigned len, bool is_write)
{
	struct pci_func *f = devfn < PCI_SLOTS * PCI_FUNCS ? bus->func[devfn] : NULL;
	uint32_t v = 0;

	if (!f || off >= PCI_CONFIG_SIZE || (len != 1 && len != 2 && len != 4) ||
	    (off & 3) + len > 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write) {
		for (unsigned i = 0; i < len; i++)
			v |= (uint32_t)data[i] << (8 * i);
		config_write(f, off, v, len);
		return;
	}
	v = config_read(f, off, len);
	for (unsigned i = 0; i < len; i++)
		data[i] = (uint8_t)(v >> (8 * i));
}

/* Mechanism #1: bit 31 enable, bus 23:16, device 15:11, function 10:8,
 * register 7:2.  Only dword accesses reach the latch, as in QEMU. */
void pci_config_addr_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct pci_bus *bus = opaque;

	if (off != 0 || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&bus->lock);
	if (is_write)
		bus->config_addr = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
				   (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
	else
		for (unsigned i = 0; i < 4; i++)
			data[i] = (uint8_t)(bus->config_addr >> (8 * i));
	pthread_mutex_unlock(&bus->lock);
}

void pci_config_data_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct pci_bus *bus = opaque;
	uint32_t a;

	pthread_mutex_lock(&bus->lock);
	a = bus->config_addr;
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0 || off + len > 4) {
		if (!is_write)
			memset(data, 0xff, len);
	} else {
		config_access(bus, (a >> 8) & 0xff, (a & 0xfc) + (uint32_t)off, data, len,
			      is_write);
	}
	pthread_mutex_unlock(&bus->lock);
}

/* ECAM: bus 0 only, offset = devfn << 12 | register. */
void pci_ecam_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct pci_bus *bus = opaque;

	pthread_mutex_lock(&bus->lock);
	config_access(bus, (unsigned)(off >> 12), (uint32_t)(off & 0xfff), data, len, is_write);
	pthread_mutex_unlock(&bus->lock);
}

/* ---- BAR dispatch ---- */

void pci_mmio_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct pci_window *w = opaque;
	struct pci_bus *bus = w->bus;
	uint64_t addr = w->base + off;
	struct pci_func *hit = NULL;
	unsigned hit_bar = 0;
	uint64_t hit_off = 0;

	pthread_mutex_lock(&bus->lock);
	for (unsigned d = 0; d < PCI_SLOTS * PCI_FUNCS && !hit; d++) {
		struct pci_func *f = bus->func[d];

		for (unsigned b = 0; f && b < PCI_NUM_BARS; b++) {
			uint64_t base = f->mapped[b];

			if (base == PCI_BAR_UNMAPPED || addr < base ||
			    addr - base >= f->plan->bar[b].size)
				continue;
			hit = f;
			hit_bar = b;
			hit_off = addr - base;
			break;
		}
	}
	pthread_mutex_unlock(&bus->lock);
	/* an access running past the BAR's end is the device's to clip;
	 * nothing decodes it at all: all ones, as the bus does */
	if (hit && hit->ops && hit->ops->bar_access &&
	    hit_off + len <= hit->plan->bar[hit_bar].size)
		hit->ops->bar_access(hit->opaque, hit_bar, hit_off, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}

/* ---- the bus ---- */

static void add_fixed(struct pci_bus *bus, struct pci_func *f, uint8_t slot)
{
	const struct pci_plan_func *p = pci_plan_find(bus->plan, slot, 0);

	pci_func_init(f, p);
	/* the chipset registers past the header (PAM, SMRAM, PIIX3's IRQ
	 * routing ...) keep what is written, for guests that poke them */
	memset(f->wmask + PCI_CAP_START, 0xff, PCI_CONFIG_SIZE - PCI_CAP_START);
	memcpy(f->reset_cfg, f->cfg, sizeof(f->cfg));
	bus->func[slot * PCI_FUNCS] = f;
}

int pci_bus_init(struct pci_bus *bus, const struct pci_plan *plan, struct kverr *err)
{
	memset(bus, 0, sizeof(*bus));
	bus->plan = plan;
	if (!plan->assigned || !pci_plan_find(plan, 0, 0) || !pci_plan_find(plan, 1, 0))
		return kverr_set(err, EINVAL, "PCI: the bus plan is incomplete");
	if (pthread_mutex_init(&bus->lock, NULL))
		return kverr_set(err, ENOMEM, "PCI: cannot create the bus lock");
	bus->lock_init = true;
	add_fixed(bus, &bus->host, 0);
	add_fixed(bus, &bus->isa, 1);
	bus->window[0] = (struct pci_window){bus, plan->mmio32_start};
	bus->window[1] = (struct pci_window){bus, plan->mmio64_start};
	return 0;
}

void pci_bus_fini(struct pci_bus *bus)
{
	if (bus->lock_init)
		pthread_mutex_destroy(&bus->lock);
	bus->lock_init = false;
}

int pci_bus_register(struct pci_bus *bus, struct bus *pio, struct bus *mmio, struct kverr *err)
{
	const struct pci_plan *p = bus->plan;
	int ret;

	if ((ret = bus_register(pio, IOMAP_PCI_CONFIG_ADDR, 1, pci_config_addr_io, bus,
				"pci-conf-idx", err)) ||
	    (ret = bus_register(pio, IOMAP_PCI_CONFIG_DATA, IOMAP_PCI_CONFIG_DATA_LEN,
				pci_config_data_io, bus, "pci-conf-data", err)) ||
	    (ret = bus_register(mmio, LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_ECAM_SIZE, pci_ecam_io, bus,
				"pci-ecam", err)) ||
	    (ret = bus_register(mmio, p->mmio32_start, p->mmio32_end - p->mmio32_start, pci_mmio_io,
				&bus->window[0], "pci-hole", err)))
		return ret;
	if (p->mmio64_end > p->mmio64_start)
		ret = bus_register(mmio, p->mmio64_start, p->mmio64_end - p->mmio64_start,
				   pci_mmio_io, &bus->window[1], "pci-hole64", err);
	return ret;
}

int pci_bus_add(struct pci_bus *bus, struct pci_func *f, const struct pci_func_ops *ops,
		void *opaque, struct kverr *err)
{
	unsigned devfn = f->plan->slot * PCI_FUNCS + f->plan->fn;

	if (bus->func[devfn])
		return kverr_set(err, EEXIST, "PCI: %02x.%x is taken", f->plan->slot, f->plan->fn);
	f->ops = ops;
	f->opaque = opaque;
	memcpy(f->reset_cfg, f->cfg, sizeof(f->cfg));
	pthread_mutex_lock(&bus->lock);
	bus->func[devfn] = f;
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

void pci_bus_remove(struct pci_bus *bus, struct pci_func *f)
{
	unsigned devfn;

	if (!f->plan || !bus->lock_init)
		return;
	devfn = f->plan->slot * PCI_FUNCS + f->plan->fn;
	pthread_mutex_lock(&bus->lock);
	if (bus->func[devfn] == f) {
		/* no decoding: its BAR ranges go away from the MMIO bus */
		pci_set(f, PCI_COMMAND, 0, 2);
		update_mappings(f);
		bus->func[devfn] = NULL;
	}
	pthread_mutex_unlock(&bus->lock);
}

void pci_bus_reset(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->lock);
	bus->config_addr = 0;
	for (unsigned d = 0; d < PCI_SLOTS * PCI_FUNCS; d++) {
		struct pci_func *f = bus->func[d];
		bool has_bar = false;

		if (!f)
			continue;
		memcpy(f->cfg, f->reset_cfg, sizeof(f->cfg));
		for (unsigned b = 0; b < PCI_NUM_BARS; b++)
			has_bar |= f->plan->bar[b].kind != PCI_BAR_UNUSED;
		/* as a firmware leaves it: the BARs it assigned decode */
		if (has_bar)
			pci_set(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
		update_mappings(f);
	}
	pthread_mutex_unlock(&bus->lock);
}
