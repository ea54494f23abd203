/* test_pci.c - PCI bus 0 driven the way a guest drives it: dword accesses
 * to 0xcf8/0xcfc as Linux's pci_check_type1() and BAR sizing do, the
 * ECAM, and MMIO to the BARs, all through the I/O buses as vCPU exits
 * reach them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/pci.h"
#include "plan/iomap.h"

struct fixture {
	struct layout layout;
	struct pci_plan plan;
	struct pci_bus pci;
	struct bus pio, mmio;
	struct pci_func dev;
	/* what the test device saw */
	unsigned accesses, last_bar, mapped_calls, config_writes;
	uint64_t last_off, last_mapped[PCI_NUM_BARS];
	uint8_t last_data[8];
	bool last_write;
};

static void dev_bar_access(void *opaque, unsigned bar, uint64_t off, uint8_t *data, unsigned len,
			   bool is_write)
{
	struct fixture *fx = opaque;

	fx->accesses++;
	fx->last_bar = bar;
	fx->last_off = off;
	fx->last_write = is_write;
	if (is_write)
		memcpy(fx->last_data, data, len);
	else
		memset(data, 0x5a, len);
}

static void dev_bar_mapped(void *opaque, unsigned bar, uint64_t addr)
{
	struct fixture *fx = opaque;

	fx->mapped_calls++;
	fx->last_mapped[bar] = addr;
}

static void dev_config_write(void *opaque, uint32_t off, unsigned len)
{
	struct fixture *fx = opaque;

	(void)off;
	(void)len;
	fx->config_writes++;
}

static const struct pci_func_ops dev_ops = {
    .bar_access = dev_bar_access,
    .bar_mapped = dev_bar_mapped,
    .config_write = dev_config_write,
};

static const struct pci_ids virtio_ids = {0x1af4, 0x1045, 0x1af4, 0x1100, 1, 0x00ff00};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct config_mem m = {.size = 2 * GiB, .maxmem = 2 * GiB};
	struct pci_bar_req bar[PCI_NUM_BARS] = {{0}};
	struct pci_plan_func *pf;
	struct kverr err = {""};

	bar[1] = (struct pci_bar_req){PCI_BAR_MEM32, 4096, false};
	bar[4] = (struct pci_bar_req){PCI_BAR_MEM64, 16384, true};
	fx->pio.name = "pio";
	fx->mmio.name = "mmio";
	if (layout_compute(&m, &fx->layout, &err))
		return -1;
	pci_plan_init(&fx->plan, &fx->layout);
	if (pci_plan_add(&fx->plan, "virtio-test-pci", "t0", NULL, &virtio_ids, PCI_INTA, bar, &pf,
			 &err) ||
	    pci_plan_assign(&fx->plan, &err) || pci_bus_init(&fx->pci, &fx->plan, &err) ||
	    pci_bus_register(&fx->pci, &fx->pio, &fx->mmio, &err))
		fail_msg("set-up: %s", err.msg);
	pci_func_init(&fx->dev, pf);
	if (pci_bus_add(&fx->pci, &fx->dev, &dev_ops, fx, &err))
		fail_msg("pci_bus_add: %s", err.msg);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	pci_bus_fini(&fx->pci);
	free(fx);
	return 0;
}

static void outl(struct fixture *fx, uint16_t port, uint32_t v)
{
	uint8_t d[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	bus_access(&fx->pio, port, d, 4, true);
}

static uint32_t in(struct fixture *fx, uint16_t port, unsigned len)
{
	uint8_t d[4] = {0};
	bus_access(&fx->pio, port, d, len, false);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static uint32_t cfg_addr(unsigned slot, unsigned fn, unsigned reg)
{
	return 0x80000000u | slot << 11 | fn << 8 | (reg & 0xfc);
}

/* As Linux's raw_pci_read through pci_direct_conf1. */
static uint32_t conf1_read(struct fixture *fx, unsigned slot, unsigned fn, unsigned reg,
			   unsigned len)
{
	outl(fx, 0xcf8, cfg_addr(slot, fn, reg));
	return in(fx, 0xcfc + (reg & 3), len);
}

static void conf1_write(struct fixture *fx, unsigned slot, unsigned fn, unsigned reg, uint32_t v,
			unsigned len)
{
	uint8_t d[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	outl(fx, 0xcf8, cfg_addr(slot, fn, reg));
	bus_access(&fx->pio, 0xcfc + (reg & 3), d, len, true);
}

static uint64_t mmio_read(struct fixture *fx, uint64_t addr, unsigned len)
{
	uint8_t d[8] = {0};
	uint64_t v = 0;

	bus_access(&fx->mmio, addr, d, len, false);
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

/* Linux's pci_check_type1() and pci_sanity_check(). */
static void test_type1_probe(void **state)
{
	struct fixture *fx = *state;
	uint8_t b = 1;

	bus_access(&fx->pio, 0xcfb, &b, 1, true); /* outb(0x01, 0xCFB): nobody's */
	outl(fx, 0xcf8, 0x80000000);
	assert_int_equal(in(fx, 0xcf8, 4), 0x80000000);
	assert_int_equal(conf1_read(fx, 0, 0, 0x0a, 2), 0x0600); /* host bridge class */
	assert_int_equal(conf1_read(fx, 0, 0, 0x00, 4), 0x12378086);
	assert_int_equal(conf1_read(fx, 0, 0, 0x08, 1), 0x02);
	assert_int_equal(conf1_read(fx, 0, 0, 0x2c, 4), 0x11001af4);
	assert_int_equal(conf1_read(fx, 1, 0, 0x00, 4), 0x70008086);
	assert_int_equal(conf1_read(fx, 1, 0, 0x0e, 1), 0x80); /* multifunction */
	assert_int_equal(conf1_read(fx, 1, 0, 0x0a, 2), 0x0601);
	assert_int_equal(conf1_read(fx, 2, 0, 0x00, 4), 0x10451af4);
	assert_int_equal(conf1_read(fx, 2, 0, 0x0a, 2), 0x00ff);
	assert_int_equal(conf1_read(fx, 2, 0, 0x3d, 1), PCI_INTA);
	assert_int_equal(conf1_read(fx, 2, 0, 0x3c, 1), pci_intx_gsi(2, PCI_INTA));
	/* nothing there: all ones */
	assert_int_equal(conf1_read(fx, 3, 0, 0x00, 4), 0xffffffff);
	assert_int_equal(conf1_read(fx, 1, 1, 0x00, 4), 0xffffffff);
	outl(fx, 0xcf8, 0x80010000); /* bus 1 */
	assert_int_equal(in(fx, 0xcfc, 4), 0xffffffff);
	outl(fx, 0xcf8, 0x00000000); /* enable bit clear */
	assert_int_equal(in(fx, 0xcfc, 4), 0xffffffff);
	/* byte and word reads of the latch are not the latch */
	outl(fx, 0xcf8, 0x80000000);
	assert_int_equal(in(fx, 0xcf8, 2), 0xffff);
}

static void test_readonly_and_w1c(void **state)
{
	struct fixture *fx = *state;

	conf1_write(fx, 0, 0, 0x00, 0xdeadbeef, 4);
	assert_int_equal(conf1_read(fx, 0, 0, 0x00, 4), 0x12378086);
	conf1_write(fx, 2, 0, 0x08, 0xffffffff, 4); /* revision, class */
	assert_int_equal(conf1_read(fx, 2, 0, 0x08, 4), 0x00ff0001);
	/* STATUS: error bits clear on 1, the rest read-only */
	fx->dev.cfg[PCI_STATUS + 1] = 0x80; /* a device reported a parity error */
	conf1_write(fx, 2, 0, PCI_STATUS, 0x8000, 2);
	assert_int_equal(conf1_read(fx, 2, 0, PCI_STATUS, 2) & 0x8000, 0);
	/* the latency timer is plain storage */
	conf1_write(fx, 2, 0, PCI_LATENCY_TIMER, 0x40, 1);
	assert_int_equal(conf1_read(fx, 2, 0, PCI_LATENCY_TIMER, 1), 0x40);
	assert_true(fx->config_writes >= 3);
}

/* ECAM and mechanism #1 read the same registers. */
static void test_ecam(void **state)
{
	struct fixture *fx = *state;
	uint64_t f2 = LAYOUT_PCI_ECAM_BASE + (2 << 15);

	assert_int_equal(mmio_read(fx, LAYOUT_PCI_ECAM_BASE, 4), 0x12378086);
	assert_int_equal(mmio_read(fx, f2, 4), 0x10451af4);
	assert_int_equal(mmio_read(fx, f2 + 0x2c, 2), 0x1af4);
	assert_int_equal(mmio_read(fx, f2 + 0x100, 4), 0xffffffff); /* no extended space */
	assert_int_equal(mmio_read(fx, f2 + 0xffc, 4), 0xffffffff);
	assert_int_equal(mmio_read(fx, LAYOUT_PCI_ECAM_BASE + (5 << 15), 4), 0xffffffff);
	assert_int_equal(mmio_read(fx, f2 + 0x3, 2), 0xffff); /* crosses a dword */
	assert_int_equal(mmio_read(fx, f2, 8), 0xffffffffffffffffULL);
}

/* Linux's __pci_read_base(): decoding off, write all ones, read the size
 * mask, write the address back, decoding on. */
static void test_bar_sizing_and_decode(void **state)
{
	struct fixture *fx = *state;
	const struct pci_plan_func *pf = fx->dev.plan;
	uint64_t bar1 = pf->bar_addr[1], bar4 = pf->bar_addr[4];

	assert_true(bar1 >= fx->layout.pci_mmio32_start && bar1 < LAYOUT_PCI_ECAM_BASE);
	assert_int_equal(bar4, 4 * GiB);
	pci_bus_reset(&fx->pci); /* the firmware's state */
	assert_int_equal(conf1_read(fx, 2, 0, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_int_equal(fx->last_mapped[1], bar1);
	assert_int_equal(fx->last_mapped[4], bar4);
	assert_int_equal(conf1_read(fx, 2, 0, 0x14, 4), (uint32_t)bar1);
	assert_int_equal(conf1_read(fx, 2, 0, 0x20, 4), (uint32_t)bar4 | 0xc);
	assert_int_equal(conf1_read(fx, 2, 0, 0x24, 4), bar4 >> 32);

	/* an MMIO access reaches the device at its BAR offset */
	assert_int_equal(mmio_read(fx, bar4 + 0x3000, 2), 0x5a5a);
	assert_int_equal(fx->last_bar, 4);
	assert_int_equal(fx->last_off, 0x3000);
	assert_int_equal(mmio_read(fx, bar1 + 0x10, 4), 0x5a5a5a5a);
	assert_int_equal(fx->last_bar, 1);

	conf1_write(fx, 2, 0, PCI_COMMAND, 0, 2);
	assert_int_equal(fx->last_mapped[4], PCI_BAR_UNMAPPED);
	assert_int_equal(fx->last_mapped[1], PCI_BAR_UNMAPPED);
	fx->accesses = 0;
	assert_int_equal(mmio_read(fx, bar4, 4), 0xffffffff);
	assert_int_equal(fx->accesses, 0);

	conf1_write(fx, 2, 0, 0x14, 0xffffffff, 4);
	assert_int_equal(conf1_read(fx, 2, 0, 0x14, 4), 0xfffff000);
	conf1_write(fx, 2, 0, 0x20, 0xffffffff, 4);
	conf1_write(fx, 2, 0, 0x24, 0xffffffff, 4);
	assert_int_equal(conf1_read(fx, 2, 0, 0x20, 4), 0xffffc00c);
	assert_int_equal(conf1_read(fx, 2, 0, 0x24, 4), 0xffffffff);
	/* with decoding on, the all-ones value still does not decode */
	conf1_write(fx, 2, 0, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(fx->last_mapped[4], PCI_BAR_UNMAPPED);
	conf1_write(fx, 2, 0, PCI_COMMAND, 0, 2);

	/* the guest moves BAR4 elsewhere in the 64-bit window */
	conf1_write(fx, 2, 0, 0x20, (uint32_t)(bar4 + 0x10000), 4);
	conf1_write(fx, 2, 0, 0x24, (uint32_t)((bar4 + 0x10000) >> 32), 4);
	conf1_write(fx, 2, 0, 0x14, (uint32_t)bar1, 4);
	conf1_write(fx, 2, 0, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	assert_int_equal(fx->last_mapped[4], bar4 + 0x10000);
	assert_int_equal(fx->last_mapped[1], bar1);
	assert_int_equal(mmio_read(fx, bar4, 4), 0xffffffff);
	mmio_read(fx, bar4 + 0x10000 + 8, 1);
	assert_int_equal(fx->last_off, 8);

	/* a guest reset puts back what the firmware left */
	pci_bus_reset(&fx->pci);
	assert_int_equal(fx->last_mapped[4], bar4);
	assert_int_equal(conf1_read(fx, 2, 0, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_int_equal(conf1_read(fx, 2, 0, PCI_LATENCY_TIMER, 1), 0);
}

static void test_capabilities(void **state)
{
	struct fixture *fx = *state;
	struct pci_func f;
	uint8_t a, b, c;

	(void)fx;
	pci_func_init(&f, fx->dev.plan);
	a = pci_func_add_cap(&f, 0x09, 16);
	b = pci_func_add_cap(&f, 0x09, 20);
	c = pci_func_add_cap(&f, 0x11, 12);
	assert_int_equal(a, 0x40);
	assert_int_equal(b, 0x50);
	assert_int_equal(c, 0x64);
	assert_true(pci_get(&f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* the list, as lspci walks it: newest first */
	assert_int_equal(pci_get(&f, PCI_CAPABILITY_LIST, 1), c);
	assert_int_equal(pci_get(&f, c + 1, 1), b);
	assert_int_equal(pci_get(&f, b + 1, 1), a);
	assert_int_equal(pci_get(&f, a + 1, 1), 0);
	while (pci_func_add_cap(&f, 0x09, 20))
		;
	/* full: nothing of 20 or 8 bytes fits any more, 4 bytes still do */
	assert_int_equal(pci_func_add_cap(&f, 0x09, 8), 0);
	assert_int_equal(pci_func_add_cap(&f, 0x09, 4), 0xfc);
	assert_int_equal(pci_func_add_cap(&f, 0x09, 4), 0);
}

/* Whatever a guest writes to config space, nothing breaks and no BAR
 * decodes outside guest physical addresses. */
static void test_hostile_config_writes(void **state)
{
	struct fixture *fx = *state;

	srand(1);
	for (unsigned i = 0; i < 200000; i++) {
		unsigned slot = (unsigned)rand() % 4, reg = (unsigned)rand() % 256;
		unsigned len = 1u << (rand() % 3);
		uint32_t v = (uint32_t)rand() ^ (uint32_t)rand() << 16;
		uint8_t d[8];

		conf1_write(fx, slot, 0, reg & ~(len - 1), v, len);
		if (i % 7 == 0)
			bus_access(&fx->mmio, LAYOUT_PCI_ECAM_BASE + ((uint64_t)rand() % MiB), d,
				   1u << (rand() % 4), rand() & 1);
	}
	for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
		uint64_t a = fx->dev.mapped[b];
		if (a != PCI_BAR_UNMAPPED)
			assert_true(a + fx->dev.plan->bar[b].size <= LAYOUT_PHYS_LIMIT);
	}
	/* the identity never moved */
	assert_int_equal(conf1_read(fx, 2, 0, 0x00, 4), 0x10451af4);
	assert_int_equal(conf1_read(fx, 0, 0, 0x00, 4), 0x12378086);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_type1_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_and_w1c, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ecam, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bar_sizing_and_decode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_capabilities, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_config_writes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
