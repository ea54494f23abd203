/* test_pci_plan.c - the planned PCI bus: QEMU's addr= syntax and its
 * messages for taken slots, the fixed functions of the pc machine, BARs
 * inside the layout's windows, and the INTx routing rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plan/iomap.h"
#include "plan/pci.h"

static const struct pci_ids virtio_ids = {0x1af4, 0x1045, 0x1af4, 0x1100, 1, 0x00ff00};

/* A virtio-pci device's BARs: MSI-X table in BAR1, the virtio regions in
 * BAR4 (64-bit, prefetchable), as QEMU lays them out. */
static void virtio_bars(struct pci_bar_req bar[PCI_NUM_BARS])
{
	memset(bar, 0, sizeof(struct pci_bar_req) * PCI_NUM_BARS);
	bar[1] = (struct pci_bar_req){PCI_BAR_MEM32, 4096, false};
	bar[4] = (struct pci_bar_req){PCI_BAR_MEM64, 16384, true};
}

static void plan_for(struct pci_plan *p, uint64_t size, uint32_t slots, uint64_t maxmem,
		     struct layout *l)
{
	struct config_mem m = {.size = size, .slots = slots, .maxmem = maxmem};
	struct kverr err = {""};

	if (layout_compute(&m, l, &err))
		fail_msg("layout_compute: %s", err.msg);
	pci_plan_init(p, l);
}

static int add(struct pci_plan *p, const char *id, const char *addr, struct kverr *err)
{
	struct pci_bar_req bar[PCI_NUM_BARS];

	virtio_bars(bar);
	return pci_plan_add(p, "virtio-balloon-pci", id, addr, &virtio_ids, PCI_INTA, bar, NULL,
			    err);
}

static void expect_add_error(struct pci_plan *p, const char *addr, int want, const char *msg)
{
	struct kverr err = {""};
	unsigned nr = p->nr;

	assert_int_equal(add(p, "", addr, &err), want);
	assert_string_equal(err.msg, msg);
	assert_int_equal(p->nr, nr); /* nothing added */
}

static void test_fixed_functions(void **state)
{
	struct pci_plan p;
	struct layout l;
	const struct pci_plan_func *host, *isa;

	(void)state;
	plan_for(&p, 2 * GiB, 0, 2 * GiB, &l);
	assert_int_equal(p.nr, 2);
	host = pci_plan_find(&p, 0, 0);
	isa = pci_plan_find(&p, 1, 0);
	assert_non_null(host);
	assert_non_null(isa);
	/* QEMU 7.2's ids, as its guests see them in sysfs */
	assert_int_equal(host->ids.vendor, 0x8086);
	assert_int_equal(host->ids.device, 0x1237);
	assert_int_equal(host->ids.revision, 0x02);
	assert_int_equal(host->ids.class_code, 0x060000);
	assert_int_equal(host->ids.subsys_vendor, 0x1af4);
	assert_int_equal(host->ids.subsys, 0x1100);
	assert_string_equal(host->driver, "i440FX");
	assert_int_equal(isa->ids.device, 0x7000);
	assert_int_equal(isa->ids.class_code, 0x060100);
	assert_true(isa->multifunction);
	assert_null(pci_plan_find(&p, 2, 0));
	assert_int_equal(p.mmio32_start, l.pci_mmio32_start);
	assert_int_equal(p.mmio32_end, LAYOUT_PCI_ECAM_BASE);
	assert_int_equal(p.mmio64_start, 4 * GiB);
	assert_int_equal(p.mmio64_end, 6 * GiB);
}

static void test_parse_addr(void **state)
{
	static const struct {
		const char *text;
		uint8_t slot, fn;
	} good[] = {{"3", 3, 0},    {"0x1f", 0x1f, 0}, {"0X1f", 0x1f, 0}, {"1f.0", 0x1f, 0},
		    {"3.7", 3, 7},  {"03.7", 3, 7},    {" 3", 3, 0},	  {"0", 0, 0},
		    {"a.1", 10, 1}, {"00", 0, 0}};
	static const char *const bad[] = {"zz", "0x20", "2.8", "-1", "2.0.0", "3.",
					  "",	".1",	"3x",  "20", "1.g"};
	struct kverr err;
	char want[128];

	(void)state;
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t s = 99, f = 99;
		if (pci_parse_addr("virtio-balloon-pci", good[i].text, &s, &f, &err))
			fail_msg("'%s' refused: %s", good[i].text, err.msg);
		if (s != good[i].slot || f != good[i].fn)
			fail_msg("'%s' gave %x.%x", good[i].text, s, f);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t s, f;
		err.msg[0] = '\0';
		if (pci_parse_addr("virtio-balloon-pci", bad[i], &s, &f, &err) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		snprintf(want, sizeof(want),
			 "Property 'virtio-balloon-pci.addr' doesn't take value '%s'", bad[i]);
		assert_string_equal(err.msg, want);
	}
}

/* QEMU 7.2's words, as qemu-system-x86_64 -M pc prints them. */
static void test_taken_slots(void **state)
{
	struct pci_plan p;
	struct layout l;
	struct kverr err;

	(void)state;
	plan_for(&p, 1 * GiB, 0, 1 * GiB, &l);
	expect_add_error(&p, "0", -EBUSY,
			 "PCI: slot 0 function 0 not available for virtio-balloon-pci, in use by "
			 "i440FX,id=(null)");
	expect_add_error(&p, "1.0", -EBUSY,
			 "PCI: slot 1 function 0 not available for virtio-balloon-pci, in use by "
			 "PIIX3,id=(null)");
	assert_int_equal(add(&p, "balloon0", "3", &err), 0);
	expect_add_error(&p, "3", -EBUSY,
			 "PCI: slot 3 function 0 not available for virtio-balloon-pci, in use by "
			 "virtio-balloon-pci,id=balloon0");
	expect_add_error(&p, "3.7", -EINVAL,
			 "PCI: single function device can't be populated in function 3.7");
	expect_add_error(&p, "zz", -EINVAL,
			 "Property 'virtio-balloon-pci.addr' doesn't take value 'zz'");
	/* a lone function 7 is accepted (QEMU too); then 4.0 cannot come */
	assert_int_equal(add(&p, "", "4.7", &err), 0);
	expect_add_error(&p, "4.0", -EINVAL,
			 "PCI: 4.0 indicates single function, but 4.7 is already populated.");
	/* PIIX3 is a multifunction slot: its free functions can be used */
	assert_int_equal(add(&p, "", "1.2", &err), 0);
}

static void test_auto_slots(void **state)
{
	struct pci_plan p;
	struct layout l;
	struct kverr err;
	unsigned n = 0;

	(void)state;
	plan_for(&p, 1 * GiB, 0, 1 * GiB, &l);
	assert_int_equal(add(&p, "", NULL, &err), 0);
	assert_int_equal(p.func[p.nr - 1].slot, 2); /* QEMU -nodefaults: 00:02.0 */
	assert_int_equal(add(&p, "", "4", &err), 0);
	assert_int_equal(add(&p, "", NULL, &err), 0);
	assert_int_equal(p.func[p.nr - 1].slot, 3); /* the first free one */
	assert_int_equal(add(&p, "", NULL, &err), 0);
	assert_int_equal(p.func[p.nr - 1].slot, 5);
	while (add(&p, "", NULL, &err) == 0)
		n++;
	assert_int_equal(n, PCI_SLOTS - 6); /* slots 6..31 */
	assert_string_equal(err.msg, "PCI: no slot/function available for virtio-balloon-pci, "
				     "all in use or reserved");
}

static void check_inside(const struct pci_plan *p)
{
	for (unsigned i = 0; i < p->nr; i++) {
		const struct pci_plan_func *f = &p->func[i];
		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			uint64_t a = f->bar_addr[b], s = f->bar[b].size;
			bool in32, in64;

			if (f->bar[b].kind == PCI_BAR_UNUSED) {
				assert_int_equal(a, 0);
				continue;
			}
			assert_int_equal(a % s, 0);
			in32 = a >= p->mmio32_start && a + s <= p->mmio32_end;
			in64 = a >= p->mmio64_start && a + s <= p->mmio64_end;
			assert_true(in32 || in64);
			if (f->bar[b].kind == PCI_BAR_MEM32)
				assert_true(in32);
			/* no two BARs overlap */
			for (unsigned j = 0; j < p->nr; j++)
				for (unsigned c = 0; c < PCI_NUM_BARS; c++) {
					const struct pci_plan_func *g = &p->func[j];
					if ((j == i && c == b) || g->bar[c].kind == PCI_BAR_UNUSED)
						continue;
					assert_false(a < g->bar_addr[c] + g->bar[c].size &&
						     g->bar_addr[c] < a + s);
				}
		}
	}
}

static void test_bars(void **state)
{
	struct pci_plan p;
	struct layout l;
	struct kverr err;

	(void)state;
	plan_for(&p, 2 * GiB, 2, 8 * GiB, &l);
	assert_int_equal(add(&p, "", NULL, &err), 0);
	assert_int_equal(add(&p, "", NULL, &err), 0);
	assert_int_equal(pci_plan_assign(&p, &err), 0);
	/* 32-bit BARs from the top of the window down, 64-bit ones from the
	 * start of the 64-bit hole (after device memory, at 12 GiB) up */
	assert_int_equal(p.func[2].bar_addr[1], LAYOUT_PCI_ECAM_BASE - 4096);
	assert_int_equal(p.func[3].bar_addr[1], LAYOUT_PCI_ECAM_BASE - 8192);
	assert_int_equal(p.func[2].bar_addr[4], 12 * GiB);
	assert_int_equal(p.func[3].bar_addr[4], 12 * GiB + 16384);
	check_inside(&p);

	/* a full bus still fits */
	plan_for(&p, 3584 * MiB - 4096, 0, 3584 * MiB - 4096, &l);
	while (add(&p, "", NULL, &err) == 0)
		;
	assert_int_equal(pci_plan_assign(&p, &err), 0);
	check_inside(&p);
}

static void test_bar_fallback_and_full(void **state)
{
	struct pci_plan p;
	struct layout l;
	struct kverr err;
	struct pci_bar_req bar[PCI_NUM_BARS] = {{0}};

	(void)state;
	/* no 64-bit hole: 64-bit BARs go below 4 GiB */
	plan_for(&p, 1 * GiB, 0, 1 * GiB, &l);
	p.mmio64_start = p.mmio64_end = 0;
	assert_int_equal(add(&p, "", NULL, &err), 0);
	assert_int_equal(pci_plan_assign(&p, &err), 0);
	assert_true(p.func[2].bar_addr[4] < 4 * GiB);
	check_inside(&p);

	/* a BAR bigger than both windows */
	plan_for(&p, 1 * GiB, 0, 1 * GiB, &l);
	bar[0] = (struct pci_bar_req){PCI_BAR_MEM64, 4 * GiB, true};
	assert_int_equal(pci_plan_add(&p, "big", "", NULL, &virtio_ids, 0, bar, NULL, &err), 0);
	assert_int_equal(pci_plan_assign(&p, &err), -ENOSPC);
	assert_string_equal(err.msg, "PCI: no room for BAR0 of big (02.0, 0x100000000 bytes) in "
				     "the PCI holes");
}

static void test_bad_bar_requests(void **state)
{
	struct pci_plan p;
	struct layout l;
	struct kverr err;
	struct pci_bar_req bar[PCI_NUM_BARS] = {{0}};

	(void)state;
	plan_for(&p, 1 * GiB, 0, 1 * GiB, &l);
	bar[0] = (struct pci_bar_req){PCI_BAR_MEM32, 3000, false};
	assert_int_equal(pci_plan_add(&p, "d", "", NULL, &virtio_ids, 0, bar, NULL, &err), -EINVAL);
	bar[0] = (struct pci_bar_req){PCI_BAR_MEM32, 2048, false};
	assert_int_equal(pci_plan_add(&p, "d", "", NULL, &virtio_ids, 0, bar, NULL, &err), -EINVAL);
	bar[0] = (struct pci_bar_req){PCI_BAR_MEM32, 4 * GiB, false};
	assert_int_equal(pci_plan_add(&p, "d", "", NULL, &virtio_ids, 0, bar, NULL, &err), -EINVAL);
	memset(bar, 0, sizeof(bar));
	bar[5] = (struct pci_bar_req){PCI_BAR_MEM64, 4096, false};
	assert_int_equal(pci_plan_add(&p, "d", "", NULL, &virtio_ids, 0, bar, NULL, &err), -EINVAL);
	memset(bar, 0, sizeof(bar));
	bar[0] = (struct pci_bar_req){PCI_BAR_MEM64, 4096, false};
	bar[1] = (struct pci_bar_req){PCI_BAR_MEM32, 4096, false};
	assert_int_equal(pci_plan_add(&p, "d", "", NULL, &virtio_ids, 0, bar, NULL, &err), -EINVAL);
	memset(bar, 0, sizeof(bar));
	assert_int_equal(pci_plan_add(&p, "d", "", NULL, &virtio_ids, 5, bar, NULL, &err), -EINVAL);
	assert_int_equal(p.nr, 2);
}

/* i440FX's swizzle: slot 2 INTA is PIRQB (QEMU's LNKB), and so on. */
static void test_intx_routing(void **state)
{
	(void)state;
	assert_int_equal(pci_intx_gsi(1, PCI_INTA), IOMAP_PCI_GSI_BASE + 0);
	assert_int_equal(pci_intx_gsi(2, PCI_INTA), IOMAP_PCI_GSI_BASE + 1);
	assert_int_equal(pci_intx_gsi(2, PCI_INTD), IOMAP_PCI_GSI_BASE + 0);
	assert_int_equal(pci_intx_gsi(3, PCI_INTB), IOMAP_PCI_GSI_BASE + 3);
	assert_int_equal(pci_intx_gsi(0, PCI_INTA), IOMAP_PCI_GSI_BASE + 3);
	for (uint8_t s = 0; s < PCI_SLOTS; s++)
		for (uint8_t pin = PCI_INTA; pin <= PCI_INTD; pin++) {
			unsigned g = pci_intx_gsi(s, pin);
			assert_true(g >= IOMAP_PCI_GSI_BASE &&
				    g < IOMAP_PCI_GSI_BASE + IOMAP_PCI_NR_PIRQ);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_functions),
	    cmocka_unit_test(test_parse_addr),
	    cmocka_unit_test(test_taken_slots),
	    cmocka_unit_test(test_auto_slots),
	    cmocka_unit_test(test_bars),
	    cmocka_unit_test(test_bar_fallback_and_full),
	    cmocka_unit_test(test_bad_bar_requests),
	    cmocka_unit_test(test_intx_routing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
