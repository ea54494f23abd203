/* test_acpi.c - the ACPI tables as a guest reads them.
 *
 * For a matrix of topologies and memory layouts, walk the blob the way an
 * OS does (RSDP -> XSDT -> FADT -> DSDT/FACS) with this file's own
 * parser, not acpi_blob_find(), and check every field a guest relies on
 * against layout.h, topology.h and iomap.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acpi/acpi.h"
#include "acpi/aml.h"
#include "hw/pci_acpi.h"
#include "config/config.h"
#include "plan/iomap.h"
#include "plan/numa.h"
#include "plan/pci.h"

static uint64_t le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

struct cfg {
	const char *name;
	uint32_t cpus, maxcpus, sockets, dies, cores, threads;
	uint64_t ram, below_4g;
};

static const struct cfg matrix[] = {
    {"1cpu-128M", 1, 1, 1, 1, 1, 1, 128 * MiB, 128 * MiB},
    {"2cpu-512M", 2, 2, 1, 1, 2, 1, 512 * MiB, 512 * MiB},
    {"4of8-2s2c2t-3G", 4, 8, 2, 1, 2, 2, 3 * GiB, 3 * GiB},
    /* 3 cores round up to 2 bits: APIC ids have holes */
    {"3of6-1s3c2t-4G", 3, 6, 1, 1, 3, 2, 4 * GiB, 3 * GiB},
    {"2of8-2d2c2t-8G", 2, 8, 1, 2, 2, 2, 8 * GiB, 3 * GiB},
    {"16of64-4s8c2t-64G", 16, 64, 4, 1, 8, 2, 64 * GiB, 3 * GiB},
    {"1of255-255s-1G", 1, 255, 255, 1, 1, 1, 1 * GiB, 1 * GiB},
    {"255cpu-255s-2G", 255, 255, 255, 1, 1, 1, 2 * GiB, 2 * GiB},
    {"100of200-2s100c-16G", 100, 200, 2, 1, 100, 1, 16 * GiB, 3 * GiB},
};

static void fill(const struct cfg *c, struct layout *l, struct topology *t)
{
	struct config_smp smp = {.cpus = c->cpus,
				 .maxcpus = c->maxcpus,
				 .sockets = c->sockets,
				 .dies = c->dies,
				 .cores = c->cores,
				 .threads = c->threads};
	memset(l, 0, sizeof(*l));
	l->ram_size = c->ram;
	l->below_4g = c->below_4g;
	l->above_4g = c->ram - c->below_4g;
	l->pci_hole_start = c->below_4g;
	l->maxmem = c->ram;
	topology_from_config(&smp, t);
}

/* A table found by walking pointers, with its offset in the blob. */
struct found {
	char sig[5];
	size_t off, len;
};

struct walk {
	struct found t[16];
	unsigned n;
	const uint8_t *fadt, *madt, *dsdt, *facs, *xsdt, *srat, *slit, *hmat;
	size_t fadt_len, madt_len, dsdt_len, facs_len, xsdt_len, srat_len, slit_len, hmat_len;
};

/* The table at guest address gpa: must lie wholly inside the blob. */
static const uint8_t *at(const struct acpi_blob *b, uint64_t gpa, size_t *len, const char *what)
{
	uint64_t off, l;
	if (gpa < b->base || gpa - b->base + 8 > b->size)
		fail_msg("%s at 0x%llx is outside the blob [0x%llx, +0x%zx)", what,
			 (unsigned long long)gpa, (unsigned long long)b->base, b->size);
	off = gpa - b->base;
	l = le(b->data + off + 4, 4);
	if (l < 36 || off + l > b->size)
		fail_msg("%s at 0x%llx: length %llu runs past the blob", what,
			 (unsigned long long)gpa, (unsigned long long)l);
	*len = (size_t)l;
	return b->data + off;
}

static void record(struct walk *w, const struct acpi_blob *b, const uint8_t *p, size_t len)
{
	struct found *f = &w->t[w->n++];
	memcpy(f->sig, p, 4);
	f->sig[4] = '\0';
	f->off = (size_t)(p - b->data);
	f->len = len;
}

static void check_header(const uint8_t *p, size_t len, const char *sig, uint8_t min_rev)
{
	if (memcmp(p, sig, 4))
		fail_msg("expected %s, found %.4s", sig, (const char *)p);
	assert_int_equal(le(p + 4, 4), len);
	if (p[8] < min_rev)
		fail_msg("%s revision %u, want >= %u", sig, p[8], min_rev);
	if (sum8(p, len) != 0)
		fail_msg("%s checksum: bytes sum to 0x%02x, not 0", sig, sum8(p, len));
	assert_memory_equal(p + 10, "KVMEM ", 6);
}

static void walk(const struct acpi_blob *b, struct walk *w)
{
	const uint8_t *r = b->data;
	size_t n;

	memset(w, 0, sizeof(*w));
	/* RSDP: first in the blob, ACPI 2.0 form, both checksums */
	assert_int_equal(b->rsdp_gpa, b->base);
	assert_int_equal(b->base % 16, 0);
	assert_true(b->size >= 36);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(r[15], 2);
	assert_int_equal(sum8(r, 20), 0);
	assert_int_equal(le(r + 20, 4), 36);
	assert_int_equal(sum8(r, 36), 0);
	assert_int_equal(le(r + 16, 4), 0); /* no RSDT */

	w->xsdt = at(b, le(r + 24, 8), &w->xsdt_len, "XSDT");
	check_header(w->xsdt, w->xsdt_len, "XSDT", 1);
	record(w, b, w->xsdt, w->xsdt_len);
	assert_int_equal((w->xsdt_len - 36) % 8, 0);
	n = (w->xsdt_len - 36) / 8;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *t = at(b, le(w->xsdt + 36 + 8 * i, 8), &len, "XSDT entry");
		if (!memcmp(t, "FACP", 4)) {
			assert_null(w->fadt);
			w->fadt = t;
			w->fadt_len = len;
		} else if (!memcmp(t, "APIC", 4)) {
			assert_null(w->madt);
			w->madt = t;
			w->madt_len = len;
		} else if (!memcmp(t, "SRAT", 4)) {
			assert_null(w->srat);
			w->srat = t;
			w->srat_len = len;
		} else if (!memcmp(t, "HMAT", 4)) {
			assert_null(w->hmat);
			w->hmat = t;
			w->hmat_len = len;
		} else if (!memcmp(t, "SLIT", 4)) {
			assert_null(w->slit);
			w->slit = t;
			w->slit_len = len;
		} else {
			fail_msg("unexpected table %.4s in the XSDT", (const char *)t);
		}
		if (sum8(t, len) != 0)
			fail_msg("%.4s checksum: bytes sum to 0x%02x", (const char *)t,
				 sum8(t, len));
		record(w, b, t, len);
	}
	assert_non_null(w->fadt);
	assert_non_null(w->madt);
	/* DSDT and FACS hang off the FADT */
	w->dsdt = at(b, le(w->fadt + 140, 8), &w->dsdt_len, "X_DSDT");
	check_header(w->dsdt, w->dsdt_len, "DSDT", 2);
	record(w, b, w->dsdt, w->dsdt_len);
	w->facs = at(b, le(w->fadt + 36, 4), &w->facs_len, "FIRMWARE_CTRL");
	record(w, b, w->facs, w->facs_len);
}

static void check_no_overlap(const struct walk *w)
{
	for (unsigned i = 0; i < w->n; i++) {
		/* nothing overlaps the RSDP at [0, 36) */
		assert_true(w->t[i].off >= 36);
		for (unsigned j = i + 1; j < w->n; j++) {
			const struct found *a = &w->t[i], *c = &w->t[j];
			if (a->off < c->off + c->len && c->off < a->off + a->len)
				fail_msg("%s [%zu, +%zu) overlaps %s [%zu, +%zu)", a->sig, a->off,
					 a->len, c->sig, c->off, c->len);
		}
	}
}

static void check_gas_io(const uint8_t *g, uint16_t port, unsigned len_bytes, const char *what)
{
	if (g[0] != 1 || g[1] != len_bytes * 8 || g[2] != 0 || le(g + 4, 8) != port)
		fail_msg("%s GAS: space %u width %u offset %u address 0x%llx, want SystemIO %u 0 "
			 "0x%x",
			 what, g[0], g[1], g[2], (unsigned long long)le(g + 4, 8), len_bytes * 8,
			 port);
}

static void check_fadt(const struct acpi_blob *b, const struct walk *w)
{
	const uint8_t *f = w->fadt;
	uint32_t flags;
	uint64_t facs_gpa = b->base + (uint64_t)(w->facs - b->data);
	uint64_t dsdt_gpa = b->base + (uint64_t)(w->dsdt - b->data);

	check_header(f, w->fadt_len, "FACP", 6);
	assert_int_equal(w->fadt_len, 276);
	assert_int_equal(f[131], 3); /* minor version: ACPI 6.3 */

	/* FACS: 32-bit pointer only, 64-byte aligned, no checksum field */
	assert_int_equal(le(f + 36, 4), facs_gpa);
	assert_int_equal(le(f + 132, 8), 0);
	assert_int_equal(facs_gpa % 64, 0);
	assert_memory_equal(w->facs, "FACS", 4);
	assert_int_equal(w->facs_len, 64);
	assert_int_equal(w->facs[32], 2); /* version */
	/* DSDT: both pointers agree */
	assert_int_equal(le(f + 40, 4), dsdt_gpa);
	assert_int_equal(le(f + 140, 8), dsdt_gpa);

	assert_int_equal(le(f + 46, 2), IOMAP_SCI_IRQ);
	assert_int_equal(le(f + 48, 4), 0); /* SMI_CMD: already in ACPI mode */
	assert_int_equal(f[52], 0);
	assert_int_equal(f[53], 0);
	assert_int_equal(le(f + 56, 4), IOMAP_PM1A_EVT);
	assert_int_equal(le(f + 60, 4), 0);
	assert_int_equal(le(f + 64, 4), IOMAP_PM1A_CNT);
	assert_int_equal(le(f + 68, 4), 0);
	assert_int_equal(le(f + 76, 4), IOMAP_PM_TMR);
	assert_int_equal(le(f + 80, 4), IOMAP_GPE0_BLK);
	assert_int_equal(f[88], IOMAP_PM1A_EVT_LEN);
	assert_int_equal(f[89], IOMAP_PM1A_CNT_LEN);
	assert_int_equal(f[91], IOMAP_PM_TMR_LEN);
	assert_int_equal(f[92], IOMAP_GPE0_BLK_LEN);
	assert_int_equal(f[92] % 2, 0); /* spec: GPE0_BLK_LEN is even */

	/* IAPC_BOOT_ARCH: no 8042 (bit 1 clear), no VGA (bit 2 set) */
	assert_int_equal(le(f + 109, 2) & 0x2, 0);
	assert_int_equal(le(f + 109, 2) & 0x4, 0x4);

	flags = (uint32_t)le(f + 112, 4);
	assert_int_equal(flags & (1U << 4), 0);		/* PWR_BUTTON: fixed feature */
	assert_int_equal(flags & (1U << 5), 1U << 5);	/* SLP_BUTTON: none fixed */
	assert_int_equal(flags & (1U << 8), 0);		/* TMR_VAL_EXT: 24-bit timer */
	assert_int_equal(flags & (1U << 10), 1U << 10); /* RESET_REG_SUP */
	assert_int_equal(flags & (1U << 20), 0);	/* not HW_REDUCED */

	check_gas_io(f + 116, IOMAP_RESET_REG, 1, "RESET_REG");
	assert_int_equal(f[128], IOMAP_RESET_VALUE);

	check_gas_io(f + 148, IOMAP_PM1A_EVT, IOMAP_PM1A_EVT_LEN, "X_PM1a_EVT_BLK");
	check_gas_io(f + 172, IOMAP_PM1A_CNT, IOMAP_PM1A_CNT_LEN, "X_PM1a_CNT_BLK");
	check_gas_io(f + 208, IOMAP_PM_TMR, IOMAP_PM_TMR_LEN, "X_PM_TMR_BLK");
	check_gas_io(f + 220, IOMAP_GPE0_BLK, IOMAP_GPE0_BLK_LEN, "X_GPE0_BLK");
	/* PM1b, PM2, GPE1: absent */
	for (unsigned off = 160; off < 172; off++)
		assert_int_equal(f[off], 0);
	for (unsigned off = 184; off < 208; off++)
		assert_int_equal(f[off], 0);
	for (unsigned off = 232; off < 244; off++)
		assert_int_equal(f[off], 0);
}

static void check_madt(const struct walk *w, const struct topology *t)
{
	const uint8_t *m = w->madt;
	size_t off = 44;
	uint32_t lapics = 0, ioapics = 0, nmis = 0;
	int iso_timer = 0, iso_sci = 0;
	uint8_t seen[256] = {0};

	check_header(m, w->madt_len, "APIC", 5);
	assert_int_equal(le(m + 36, 4), LAYOUT_LAPIC);
	assert_int_equal(le(m + 40, 4) & 1, 1); /* PCAT_COMPAT */

	while (off < w->madt_len) {
		const uint8_t *e = m + off;
		assert_true(off + 2 <= w->madt_len);
		assert_true(e[1] >= 2);
		assert_true(off + e[1] <= w->madt_len);
		switch (e[0]) {
		case 0: { /* Processor Local APIC */
			uint32_t flags = (uint32_t)le(e + 4, 4);
			assert_int_equal(e[1], 8);
			/* entries come in CPU index order, UID = index */
			assert_int_equal(e[2], lapics);
			assert_int_equal(e[3], topology_apic_id(t, lapics));
			if (seen[e[3]]++)
				fail_msg("APIC id %u listed twice", e[3]);
			if (lapics < t->cpus)
				assert_int_equal(flags, 1); /* enabled */
			else
				assert_int_equal(flags, 2); /* online capable, not enabled */
			lapics++;
			break;
		}
		case 1: /* I/O APIC */
			assert_int_equal(e[1], 12);
			assert_int_equal(le(e + 4, 4), LAYOUT_IOAPIC);
			assert_int_equal(le(e + 8, 4), 0); /* GSI base */
			ioapics++;
			break;
		case 2: /* Interrupt Source Override */
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0); /* ISA */
			if (e[3] == 0) {
				assert_int_equal(le(e + 4, 4), 2);
				assert_int_equal(le(e + 8, 2), 0);
				iso_timer++;
			} else if (e[3] == IOMAP_SCI_IRQ) {
				assert_int_equal(le(e + 4, 4), IOMAP_SCI_IRQ);
				assert_int_equal(le(e + 8, 2), 0xd); /* level, active high */
				iso_sci++;
			} else {
				fail_msg("unexpected override for IRQ %u", e[3]);
			}
			break;
		case 4: /* Local APIC NMI */
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff); /* all processors */
			assert_int_equal(e[5], 1);    /* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
		off += e[1];
	}
	assert_int_equal(off, w->madt_len);
	assert_int_equal(lapics, t->maxcpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(iso_timer, 1);
	assert_int_equal(iso_sci, 1);
	assert_int_equal(nmis, 1);
}

static const uint8_t *find_bytes(const uint8_t *hay, size_t len, const uint8_t *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

#define ASSERT_CONTAINS(hay, len, what, ...)                                                       \
	do {                                                                                       \
		const uint8_t needle_[] = {__VA_ARGS__};                                           \
		if (!find_bytes((hay), (len), needle_, sizeof(needle_)))                           \
			fail_msg("DSDT lacks %s", what);                                           \
	} while (0)

static void check_dsdt(const struct walk *w)
{
	const uint8_t *d = w->dsdt;
	size_t len = w->dsdt_len;

	/* Name (_S5, Package (4) { SLP_TYP_S5, ... }) */
	ASSERT_CONTAINS(d, len, "_S5 package", 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a,
			IOMAP_SLP_TYP_S5);
	ASSERT_CONTAINS(d, len, "\\_SB", '\\', '_', 'S', 'B', '_', 0x5b, 0x82);
	ASSERT_CONTAINS(d, len, "Device (COM1)", 'C', 'O', 'M', '1', 0x08, '_', 'H', 'I', 'D');
	ASSERT_CONTAINS(d, len, "COM1 _HID PNP0501", '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05,
			0x01);
	ASSERT_CONTAINS(d, len, "COM1 _UID", '_', 'U', 'I', 'D');
	ASSERT_CONTAINS(d, len, "COM1 _STA 0x0F", '_', 'S', 'T', 'A', 0x0a, 0x0f);
	ASSERT_CONTAINS(d, len, "COM1 IO descriptor", 0x47, 0x01, IOMAP_COM1_BASE & 0xff,
			IOMAP_COM1_BASE >> 8, IOMAP_COM1_BASE & 0xff, IOMAP_COM1_BASE >> 8, 0x01,
			IOMAP_COM1_LEN);
	ASSERT_CONTAINS(d, len, "COM1 IRQ", 0x22, (1 << IOMAP_COM1_IRQ) & 0xff,
			(1 << IOMAP_COM1_IRQ) >> 8, 0x79, 0x00);
	ASSERT_CONTAINS(d, len, "RTC _HID PNP0B00", 'R', 'T', 'C', '_', 0x08, '_', 'H', 'I', 'D',
			0x0c, 0x41, 0xd0, 0x0b, 0x00);
	ASSERT_CONTAINS(d, len, "RTC IO descriptor", 0x47, 0x01, IOMAP_RTC_BASE & 0xff,
			IOMAP_RTC_BASE >> 8, IOMAP_RTC_BASE & 0xff, IOMAP_RTC_BASE >> 8, 0x01,
			IOMAP_RTC_LEN);
	ASSERT_CONTAINS(d, len, "RTC IRQ", 0x22, (1 << IOMAP_RTC_IRQ) & 0xff,
			(1 << IOMAP_RTC_IRQ) >> 8, 0x79, 0x00);
}

static void check_find(const struct acpi_blob *b, const struct walk *w)
{
	size_t len = 0;
	for (unsigned i = 0; i < w->n; i++) {
		const uint8_t *p = acpi_blob_find(b, w->t[i].sig, &len);
		if (p != b->data + w->t[i].off || len != w->t[i].len)
			fail_msg("acpi_blob_find(%s) disagrees with the pointer walk", w->t[i].sig);
	}
	assert_ptr_equal(acpi_blob_find(b, "RSDP", &len), b->data);
	assert_int_equal(len, 36);
	assert_null(acpi_blob_find(b, "SRAT", &len));
	assert_null(acpi_blob_find(b, "SSDT", &len));
}

static void build_ok(const struct cfg *c, uint64_t base, struct acpi_blob *blob, struct topology *t)
{
	struct layout l;
	struct kverr err = {{0}};
	struct acpi_input in = {.layout = &l, .topo = t};

	fill(c, &l, t);
	if (acpi_build(&in, base, LAYOUT_ACPI_SIZE, blob, &err))
		fail_msg("%s: acpi_build failed: %s", c->name, err.msg);
	assert_int_equal(blob->base, base);
	assert_true(blob->size <= LAYOUT_ACPI_SIZE);
}

static void test_matrix(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		struct acpi_blob blob;
		struct topology t;
		struct walk w;

		build_ok(&matrix[i], LAYOUT_ACPI_BASE, &blob, &t);
		walk(&blob, &w);
		check_no_overlap(&w);
		check_fadt(&blob, &w);
		check_madt(&w, &t);
		check_dsdt(&w);
		check_find(&blob, &w);
		acpi_blob_free(&blob);
		assert_null(blob.data);
	}
}

/* A base that is 16- but not 64-byte aligned still gets a 64-byte aligned
 * FACS, and every pointer moves with the base. */
static void test_other_base(void **state)
{
	struct acpi_blob a, b;
	struct topology t;
	struct walk wa, wb;
	(void)state;

	build_ok(&matrix[2], LAYOUT_ACPI_BASE, &a, &t);
	build_ok(&matrix[2], 0x80010, &b, &t);
	walk(&a, &wa);
	walk(&b, &wb);
	check_fadt(&b, &wb);
	check_madt(&wb, &t);
	assert_int_equal(le(wb.fadt + 36, 4) % 64, 0);
	/* same tables, different places */
	assert_int_equal(wa.n, wb.n);
	for (unsigned i = 0; i < wa.n; i++) {
		assert_string_equal(wa.t[i].sig, wb.t[i].sig);
		assert_int_equal(wa.t[i].len, wb.t[i].len);
	}
	assert_memory_equal(wa.madt + 36, wb.madt + 36, wa.madt_len - 36);
	acpi_blob_free(&a);
	acpi_blob_free(&b);
}

static void test_deterministic(void **state)
{
	struct acpi_blob a, b;
	struct topology t;
	(void)state;

	build_ok(&matrix[5], LAYOUT_ACPI_BASE, &a, &t);
	build_ok(&matrix[5], LAYOUT_ACPI_BASE, &b, &t);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.data, b.data, a.size);
	acpi_blob_free(&a);
	acpi_blob_free(&b);
}

static void test_enospc(void **state)
{
	struct layout l;
	struct topology t;
	struct acpi_blob blob;
	struct kverr err = {{0}};
	struct acpi_input in = {.layout = &l, .topo = &t};
	size_t need;
	char want[32];
	(void)state;

	fill(&matrix[7], &l, &t);
	assert_int_equal(acpi_build(&in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &blob, &err), 0);
	need = blob.size;
	acpi_blob_free(&blob);

	assert_int_equal(acpi_build(&in, LAYOUT_ACPI_BASE, need - 1, &blob, &err), -ENOSPC);
	assert_null(blob.data);
	snprintf(want, sizeof(want), "%zu bytes", need);
	if (!strstr(err.msg, want))
		fail_msg("ENOSPC message '%s' does not name the size (%s)", err.msg, want);

	assert_int_equal(acpi_build(&in, LAYOUT_ACPI_BASE, need, &blob, &err), 0);
	assert_int_equal(blob.size, need);
	acpi_blob_free(&blob);
}

static void expect_build_error(struct acpi_input *in, uint64_t base, int want, const char *in_msg)
{
	struct acpi_blob blob;
	struct kverr err = {{0}};
	assert_int_equal(acpi_build(in, base, LAYOUT_ACPI_SIZE, &blob, &err), want);
	assert_null(blob.data);
	if (!strstr(err.msg, in_msg))
		fail_msg("message '%s' lacks '%s'", err.msg, in_msg);
}

static void test_bad_input(void **state)
{
	struct layout l;
	struct topology t;
	struct acpi_input in = {.layout = &l, .topo = &t};
	struct cfg sparse = {"sparse", 1, 255, 5, 1, 51, 1, GiB, GiB};
	(void)state;

	fill(&matrix[0], &l, &t);
	expect_build_error(&in, LAYOUT_ACPI_BASE + 8, -EINVAL, "0xe0008");

	t.cpus = 2; /* more boot CPUs than possible ones */
	expect_build_error(&in, LAYOUT_ACPI_BASE, -EINVAL, "maxcpus=1");

	/* 51 cores take 6 bits: CPU 204, socket 4 core 0, gets id 4 << 6 */
	fill(&sparse, &l, &t);
	expect_build_error(&in, LAYOUT_ACPI_BASE, -EINVAL, "CPU 204 has APIC id 256");

	/* tables must land in RAM below 4 GiB */
	fill(&matrix[0], &l, &t);
	l.below_4g = LAYOUT_ACPI_BASE + 0x100;
	expect_build_error(&in, LAYOUT_ACPI_BASE, -EINVAL, "0xe0100");

	in.topo = NULL;
	expect_build_error(&in, LAYOUT_ACPI_BASE, -EINVAL, "topology");
}

static void test_checksum(void **state)
{
	uint8_t v[] = {1, 2, 3, 0};
	(void)state;
	assert_int_equal(acpi_checksum(v, 3), 0xfa);
	assert_int_equal(acpi_checksum(v, 0), 0);
	v[3] = acpi_checksum(v, 4);
	assert_int_equal(sum8(v, 4), 0);
	assert_int_equal(acpi_checksum(v, 4), 0);
}

/* A corrupt blob never sends acpi_blob_find outside it. */
static void test_find_hostile(void **state)
{
	struct acpi_blob blob;
	struct topology t;
	struct walk w;
	size_t len;
	(void)state;

	build_ok(&matrix[1], LAYOUT_ACPI_BASE, &blob, &t);
	walk(&blob, &w);
	/* MADT length claims to run past the end */
	blob.data[w.madt - blob.data + 4] = 0xff;
	blob.data[w.madt - blob.data + 5] = 0xff;
	assert_null(acpi_blob_find(&blob, "APIC", &len));
	assert_non_null(acpi_blob_find(&blob, "FACP", &len));
	/* XSDT pointer outside the blob */
	blob.data[27] = 0x10;
	assert_null(acpi_blob_find(&blob, "FACP", &len));
	blob.data[0] = 'X';
	assert_null(acpi_blob_find(&blob, "RSDP", &len));
	acpi_blob_free(&blob);
}

/* ---- SRAT and SLIT: a matrix of NUMA topologies from real command lines ---- */

static const char *const numa_matrix[][40] = {
    {"-m", "2G", "-smp", "2", "-numa", "node,cpus=0,mem=1G", "-numa", "node,cpus=1,mem=1G"},
    /* node 1 straddles the PCI hole; CPUs by default socket % nodes */
    {"-m", "6G", "-smp", "4,sockets=2", "-numa", "node,mem=2G", "-numa", "node,mem=2G", "-numa",
     "node,mem=2G"},
    /* sparse ids: a 3x3 SLIT */
    {"-m", "2G", "-smp", "2", "-numa", "node,nodeid=0,cpus=0,mem=1G", "-numa",
     "node,nodeid=2,cpus=1,mem=1G", "-numa", "dist,src=0,dst=2,val=25"},
    {"-m",    "3G",
     "-smp",  "3",
     "-numa", "node,cpus=0,mem=1G",
     "-numa", "node,cpus=1,mem=1G",
     "-numa", "node,cpus=2,mem=1G",
     "-numa", "dist,src=0,dst=1,val=15",
     "-numa", "dist,src=1,dst=0,val=25",
     "-numa", "dist,src=0,dst=2,val=30",
     "-numa", "dist,src=2,dst=0,val=35",
     "-numa", "dist,src=1,dst=2,val=20",
     "-numa", "dist,src=2,dst=1,val=40"},
    /* seed 000 */
    {"-m", "size=4194304k,slots=16,maxmem=16777216k", "-numa", "node,nodeid=0,cpus=0", "-smp", "1"},
    /* no -numa, but hotplug: the implicit node 0 */
    {"-m", "4G,slots=2,maxmem=8G", "-smp", "2"},
    /* memory-only node 1, memory-less node 2, hotplug region to the highest id */
    {"-m", "2G,slots=1,maxmem=3G", "-smp", "4", "-numa", "node,cpus=0-1,cpus=3,mem=1536M", "-numa",
     "node,mem=512M", "-numa", "node,cpus=2,mem=0"},
    {"-m", "2500M", "-smp", "3,sockets=3", "-numa", "node", "-numa", "node", "-numa", "node"},
    {"-m",    "64G,slots=4,maxmem=128G", "-smp",  "16,maxcpus=64,sockets=4,cores=8,threads=2",
     "-numa", "node,nodeid=1,mem=16G",	 "-numa", "node,nodeid=3,mem=16G",
     "-numa", "node,nodeid=5,mem=16G",	 "-numa", "node,nodeid=7,mem=16G",
     "-numa", "dist,src=1,dst=3,val=11", "-numa", "dist,src=1,dst=5,val=21",
     "-numa", "dist,src=1,dst=7,val=31", "-numa", "dist,src=3,dst=5,val=41",
     "-numa", "dist,src=3,dst=7,val=51", "-numa", "dist,src=5,dst=7,val=61"},
    /* HMAT: a memory-only node whose initiator is node 1 */
    {"-machine",
     "hmat=on",
     "-m",
     "3G",
     "-smp",
     "2",
     "-numa",
     "node,cpus=0,mem=1G",
     "-numa",
     "node,cpus=1,mem=1G",
     "-numa",
     "node,mem=1G,initiator=1",
     "-numa",
     "hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-latency,latency=30",
     "-numa",
     "hmat-lb,initiator=1,target=2,hierarchy=memory,data-type=access-latency,latency=25",
     "-numa",
     "hmat-lb,initiator=1,target=2,hierarchy=first-level,data-type=write-bandwidth,bandwidth=3G",
     "-numa",
     "hmat-lb,initiator=1,target=1,hierarchy=first-level,data-type=write-bandwidth,bandwidth=2G",
     "-numa",
     "hmat-cache,node-id=2,size=1M,level=1,associativity=complex,policy=write-through,line=128"},
    /* no NUMA at all: no SRAT, no SLIT */
    {"-m", "4G", "-smp", "2"},
};

struct numa_case {
	struct config cfg;
	struct topology topo;
	struct layout layout;
	struct numa numa;
};

static void plan_case(struct numa_case *c, const char *const *args)
{
	char *argv[300];
	int argc = 0;
	struct kverr err = {{0}};

	argv[argc++] = (char *)"kvmem";
	argv[argc++] = (char *)"-print-layout";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	if (config_parse(&c->cfg, argc, argv, &err))
		fail_msg("config_parse: %s", err.msg);
	topology_from_config(&c->cfg.smp, &c->topo);
	if (layout_compute(&c->cfg.mem, &c->layout, &err) ||
	    numa_plan(&c->numa, &c->cfg, &c->topo, &err) ||
	    layout_place_nodes(&c->layout, &c->numa, &err))
		fail_msg("plan: %s", err.msg);
}

/* The SRAT read as Linux's acpi_numa_init does, checked against the plan:
 * every possible CPU once, in its node; RAM ranges that tile the RAM of
 * the layout in address order with the nodes' sizes; the device-memory
 * region as exactly one hotpluggable range (seed 000's bug was a
 * one-byte one). */
static void check_srat(const struct walk *w, const struct numa_case *c)
{
	const struct layout *l = &c->layout;
	const uint8_t *p = w->srat;
	uint64_t node_mem[NUMA_MAX_NODES] = {0};
	uint64_t next = 0; /* where the next RAM range must start */
	unsigned cpus = 0, hotplug = 0;
	size_t off;

	check_header(p, w->srat_len, "SRAT", 3);
	assert_int_equal(le(p + 36, 4), 1); /* reserved, 1 for compatibility */
	assert_int_equal(le(p + 40, 8), 0);
	for (off = 48; off < w->srat_len; off += p[off + 1]) {
		const uint8_t *e = p + off;

		assert_true(off + 2 <= w->srat_len);
		if (e[1] == 0 || off + e[1] > w->srat_len)
			fail_msg("SRAT entry at %zu: length %u runs past the table", off, e[1]);
		if (e[0] == 0) { /* Processor Local APIC Affinity */
			uint32_t pxm = e[2] | (uint32_t)le(e + 9, 3) << 8;
			assert_int_equal(e[1], 16);
			assert_true(cpus < c->topo.maxcpus);
			assert_int_equal(e[3], topology_apic_id(&c->topo, cpus));
			assert_int_equal(pxm, c->numa.cpu_node[cpus]);
			assert_true(c->numa.node[pxm].present);
			assert_int_equal(le(e + 4, 4) & 1, 1); /* enabled */
			cpus++;
		} else if (e[0] == 1) { /* Memory Affinity */
			uint32_t pxm = (uint32_t)le(e + 2, 4);
			uint64_t base = le(e + 8, 8), len = le(e + 16, 8);
			uint32_t flags = (uint32_t)le(e + 28, 4);

			assert_int_equal(e[1], 40);
			assert_true(c->numa.node[pxm].present);
			if (len < 4096 || len % 4096 || base % 4096)
				fail_msg("SRAT memory [0x%llx, +0x%llx): not whole pages",
					 (unsigned long long)base, (unsigned long long)len);
			if (flags & 2) {
				assert_int_equal(flags, 3);
				assert_int_equal(base, l->device_mem_base);
				assert_int_equal(len, l->device_mem_size);
				assert_int_equal(pxm, c->numa.max_nodeid - 1);
				hotplug++;
				continue;
			}
			assert_int_equal(flags, 1);
			assert_int_equal(hotplug, 0); /* RAM first, in address order */
			if (next == l->below_4g && l->above_4g)
				next = LAYOUT_4G;
			if (base != next)
				fail_msg("SRAT RAM range at 0x%llx, expected 0x%llx (contiguous)",
					 (unsigned long long)base, (unsigned long long)next);
			/* inside one RAM region */
			if (base < LAYOUT_4G)
				assert_true(base + len <= l->below_4g);
			else
				assert_true(base + len <= LAYOUT_4G + l->above_4g);
			next = base + len;
			node_mem[pxm] += len;
		} else {
			fail_msg("SRAT entry type %u at %zu", e[0], off);
		}
	}
	assert_int_equal(off, w->srat_len);
	assert_int_equal(cpus, c->topo.maxcpus);
	assert_int_equal(next, l->above_4g ? LAYOUT_4G + l->above_4g : l->below_4g);
	assert_int_equal(hotplug, l->device_mem_size ? 1 : 0);
	for (uint32_t id = 0; id < NUMA_MAX_NODES; id++)
		assert_int_equal(node_mem[id], c->numa.node[id].present ? c->numa.node[id].mem : 0);
}

static void check_slit(const struct walk *w, const struct numa_case *c)
{
	uint64_t n;

	if (!c->numa.have_distance) {
		assert_null(w->slit);
		return;
	}
	assert_non_null(w->slit);
	check_header(w->slit, w->slit_len, "SLIT", 1);
	n = le(w->slit + 36, 8);
	assert_int_equal(n, c->numa.max_nodeid);
	assert_int_equal(w->slit_len, 44 + n * n);
	for (uint64_t i = 0; i < n; i++) {
		for (uint64_t j = 0; j < n; j++) {
			uint8_t d = w->slit[44 + i * n + j];
			/* Linux's slit_valid(): 10 on the diagonal, more elsewhere */
			if (i == j)
				assert_int_equal(d, 10);
			else
				assert_true(d > 10);
			assert_int_equal(d, c->numa.distance[i][j]);
		}
	}
}

/* The HMAT decoded without the builder's help: each node's initiator, each
 * matrix's entries times its base unit equal to what -numa hmat-lb said
 * (latency ns -> ps, bandwidth bytes/s -> MB/s), each cache's attributes. */
static void check_hmat(const struct walk *w, const struct numa_case *c)
{
	const struct config_numa *cn = &c->cfg.numa;
	const uint8_t *p = w->hmat;
	unsigned mpda = 0, lbs = 0, caches = 0, want_lbs = 0;
	size_t off;

	if (!c->numa.hmat) {
		assert_null(w->hmat);
		return;
	}
	assert_non_null(w->hmat);
	check_header(p, w->hmat_len, "HMAT", 2);
	for (off = 40; off < w->hmat_len; off += le(p + off + 4, 4)) {
		const uint8_t *e = p + off;
		uint32_t len = (uint32_t)le(e + 4, 4), type = (uint32_t)le(e, 2);

		if (len < 8 || off + len > w->hmat_len)
			fail_msg("HMAT structure at %zu: length %u", off, len);
		if (type == 0) {
			uint32_t mem = (uint32_t)le(e + 16, 4);
			assert_int_equal(len, 40);
			assert_true(c->numa.node[mem].present);
			if (c->numa.node[mem].initiator == NUMA_NO_INITIATOR) {
				assert_int_equal(le(e + 8, 2), 0); /* no initiator valid */
				assert_int_equal(le(e + 12, 4), 0);
			} else {
				assert_int_equal(le(e + 8, 2), 1);
				assert_int_equal(le(e + 12, 4), c->numa.node[mem].initiator);
			}
			mpda++;
		} else if (type == 1) {
			uint32_t ni = (uint32_t)le(e + 12, 4), nt = (uint32_t)le(e + 16, 4);
			uint64_t unit = le(e + 24, 8);
			unsigned h = e[8] & 0xf, t = e[9], found = 0;

			assert_int_equal(len, 32 + 4 * ni + 4 * nt + 2 * ni * nt);
			for (uint32_t i = 0; i < ni; i++) {
				uint32_t ini = (uint32_t)le(e + 32 + 4 * i, 4);
				assert_true(c->numa.node[ini].nr_cpus > 0);
				for (uint32_t k = 0; k < nt; k++) {
					uint32_t tgt = (uint32_t)le(e + 32 + 4 * ni + 4 * k, 4);
					uint64_t v =
					    le(e + 32 + 4 * ni + 4 * nt + 2 * (i * nt + k), 2);
					uint64_t want = 0;
					for (unsigned r = 0; r < cn->nr_hmat_lb; r++) {
						const struct config_numa_hmat_lb *lb =
						    &cn->hmat_lb[r];
						if (lb->hierarchy != h || lb->data_type != t ||
						    lb->initiator != ini || lb->target != tgt)
							continue;
						want = t <= HMAT_WRITE_LATENCY
							   ? lb->latency * 1000
							   : lb->bandwidth >> 20;
						found++;
					}
					assert_int_equal(v * unit, want);
				}
			}
			assert_true(found > 0);
			lbs++;
		} else if (type == 2) {
			uint32_t mem = (uint32_t)le(e + 8, 4), attr = (uint32_t)le(e + 24, 4);
			const struct config_numa_hmat_cache *hc =
			    c->numa.cache[mem][(attr >> 4) & 0xf];
			assert_int_equal(len, 32);
			assert_non_null(hc);
			assert_int_equal(le(e + 16, 8), hc->size);
			assert_int_equal((attr >> 8) & 0xf, hc->associativity);
			assert_int_equal((attr >> 12) & 0xf, hc->policy);
			assert_int_equal(attr >> 16, hc->line);
			caches++;
		} else {
			fail_msg("HMAT structure type %u", type);
		}
	}
	assert_int_equal(off, w->hmat_len);
	assert_int_equal(mpda, c->numa.nr_nodes);
	for (unsigned h = 0; h < HMAT_NR_HIERARCHIES; h++)
		for (unsigned t = 0; t < HMAT_NR_DATA_TYPES; t++)
			want_lbs += c->numa.lb[h][t].present;
	assert_int_equal(lbs, want_lbs);
	assert_int_equal(caches, cn->nr_hmat_cache);
}

static void check_numa_case(struct numa_case *c, const char *what)
{
	struct acpi_input in = {.layout = &c->layout, .topo = &c->topo, .numa = &c->numa};
	struct kverr err = {{0}};
	struct acpi_blob blob;
	struct walk w;

	if (acpi_build(&in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &blob, &err))
		fail_msg("%s: acpi_build: %s", what, err.msg);
	walk(&blob, &w);
	check_no_overlap(&w);
	check_madt(&w, &c->topo);
	if (c->numa.nr_nodes) {
		assert_non_null(w.srat);
		check_srat(&w, c);
	} else {
		assert_null(w.srat);
	}
	check_slit(&w, c);
	check_hmat(&w, c);
	acpi_blob_free(&blob);
}

static void test_numa_matrix(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(numa_matrix) / sizeof(numa_matrix[0]); i++) {
		struct numa_case c;

		memset(&c, 0, sizeof(c));
		plan_case(&c, numa_matrix[i]);
		check_numa_case(&c, numa_matrix[i][1]);
		config_free(&c.cfg);
	}
}

/* The most a guest can have: 128 nodes (ids 0-127), a full SLIT. */
static void test_numa_128_nodes(void **state)
{
	static char dist[128 * 127 / 2][40];
	const char *args[2 + 2 * 128 + 2 * 128 * 127 / 2 + 1];
	struct numa_case c;
	unsigned n = 0, k = 0;
	(void)state;

	args[n++] = "-m";
	args[n++] = "100G,slots=8,maxmem=256G"; /* 800 MiB a node: node 3 straddles the hole */
	for (unsigned i = 0; i < 128; i++) {
		args[n++] = "-numa";
		args[n++] = "node";
	}
	for (unsigned i = 0; i < 128; i++) {
		for (unsigned j = i + 1; j < 128; j++) {
			snprintf(dist[k], sizeof(dist[k]), "dist,src=%u,dst=%u,val=%u", i, j,
				 11 + (i + j) % 200);
			args[n++] = "-numa";
			args[n++] = dist[k++];
		}
	}
	args[n] = NULL;
	memset(&c, 0, sizeof(c));
	{
		/* too many arguments for plan_case's array: parse in one go here */
		static char *argv[sizeof(args) / sizeof(args[0]) + 2];
		struct kverr err = {{0}};
		int argc = 0;

		argv[argc++] = (char *)"kvmem";
		argv[argc++] = (char *)"-print-layout";
		for (unsigned i = 0; i < n; i++)
			argv[argc++] = (char *)args[i];
		if (config_parse(&c.cfg, argc, argv, &err))
			fail_msg("config_parse: %s", err.msg);
		topology_from_config(&c.cfg.smp, &c.topo);
		if (layout_compute(&c.cfg.mem, &c.layout, &err) ||
		    numa_plan(&c.numa, &c.cfg, &c.topo, &err) ||
		    layout_place_nodes(&c.layout, &c.numa, &err))
			fail_msg("plan: %s", err.msg);
	}
	assert_int_equal(c.numa.nr_nodes, 128);
	assert_int_equal(c.layout.nr_parts, 129);
	check_numa_case(&c, "128 nodes");
	config_free(&c.cfg);
}

/* Device parts of the DSDT: each lands in \_SB in the order added; a
 * failing one fails the build and is named; the table stays valid. */
static void part_dev(struct aml_ctx *ctx, struct aml *root, struct aml *sb, const void *opaque)
{
	struct aml *dev = aml_device(ctx, opaque);

	(void)root;
	aml_append(dev, aml_name_decl(ctx, "_HID", aml_eisaid(ctx, "PNP0C02")));
	aml_append(sb, dev);
}

static void part_bad(struct aml_ctx *ctx, struct aml *root, struct aml *sb, const void *opaque)
{
	(void)opaque;
	(void)root;
	aml_append(sb, aml_device(ctx, "TOOLONG"));
}

static void test_dsdt_parts(void **state)
{
	struct layout l;
	struct topology t;
	struct acpi_input in = {.layout = &l, .topo = &t};
	struct acpi_blob blob;
	struct kverr err = {{0}};
	const uint8_t *d, *a, *b;
	size_t len;
	(void)state;

	fill(&matrix[1], &l, &t);
	assert_int_equal(acpi_add_dsdt_part(&in, "first", part_dev, "DEVA", &err), 0);
	assert_int_equal(acpi_add_dsdt_part(&in, "second", part_dev, "DEVB", &err), 0);
	assert_int_equal(acpi_build(&in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &blob, &err), 0);
	d = acpi_blob_find(&blob, "DSDT", &len);
	assert_non_null(d);
	a = find_bytes(d, len, (const uint8_t *)"DEVA", 4);
	b = find_bytes(d, len, (const uint8_t *)"DEVB", 4);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_true(find_bytes(d, len, (const uint8_t *)"COM1", 4) < a);
	assert_int_equal(sum8(d, len), 0);
	acpi_blob_free(&blob);

	assert_int_equal(acpi_add_dsdt_part(&in, "broken", part_bad, NULL, &err), 0);
	expect_build_error(&in, LAYOUT_ACPI_BASE, -EINVAL, "ACPI DSDT part broken: ");

	while (in.nr_dsdt_parts < ACPI_MAX_DSDT_PARTS)
		assert_int_equal(acpi_add_dsdt_part(&in, "x", part_dev, "DEVC", &err), 0);
	assert_int_equal(acpi_add_dsdt_part(&in, "one too many", part_dev, "DEVD", &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "one too many"));
}

/* The PCI bus's part: PCI0 with the plan's windows and _CBA, the ECAM
 * reserved by a motherboard device. */
static void test_pci0(void **state)
{
	struct layout l;
	struct topology t;
	struct pci_plan pci;
	struct acpi_input in = {.layout = &l, .topo = &t};
	struct acpi_blob blob;
	struct kverr err = {{0}};
	const uint8_t *d;
	size_t len;
	(void)state;

	fill(&matrix[1], &l, &t);
	{
		struct config_mem m = {.size = l.ram_size, .maxmem = l.ram_size};
		assert_int_equal(layout_compute(&m, &l, &err), 0);
	}
	pci_plan_init(&pci, &l);
	assert_int_equal(pci_plan_assign(&pci, &err), 0);
	assert_int_equal(acpi_add_dsdt_part(&in, "PCI0", pci_acpi_build, &pci, &err), 0);
	assert_int_equal(acpi_build(&in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &blob, &err), 0);
	d = acpi_blob_find(&blob, "DSDT", &len);
	assert_non_null(d);
	ASSERT_CONTAINS(d, len, "PCI0 _HID PNP0A03", 'P', 'C', 'I', '0', 0x08, '_', 'H', 'I', 'D',
			0x0c, 0x41, 0xd0, 0x0a, 0x03);
	ASSERT_CONTAINS(d, len, "PCI0 _CBA", '_', 'C', 'B', 'A', 0x0c, 0x00, 0x00, 0xb0, 0xfe);
	ASSERT_CONTAINS(d, len, "ECAM _HID PNP0C02", 'E', 'C', 'A', 'M', 0x08, '_', 'H', 'I', 'D',
			0x0c, 0x41, 0xd0, 0x0c, 0x02);
	ASSERT_CONTAINS(d, len, "ECAM Memory32Fixed", 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xb0,
			0xfe, 0x00, 0x00, 0x10, 0x00);
	/* the 32-bit window: from the end of RAM below 4 GiB to the ECAM */
	ASSERT_CONTAINS(d, len, "PCI0 32-bit window", 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00,
			0x00, 0x00, 0x00, (uint8_t)(l.below_4g), (uint8_t)(l.below_4g >> 8),
			(uint8_t)(l.below_4g >> 16), (uint8_t)(l.below_4g >> 24), 0xff, 0xff, 0xaf,
			0xfe);
	/* _PRT: slot 2 INTA reaches GSI 17 */
	ASSERT_CONTAINS(d, len, "_PRT slot 2 INTA", 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x02, 0x00,
			0x00, 0x00, 0x0a, 0x11);
	acpi_blob_free(&blob);
}

/* The SRAT's CPU entries for CPUs no option places: node 0 once some CPU
 * is placed (QEMU 7.2's info numa: node 0 cpus: 0 2 3, node 1 cpus: 1),
 * socket % nodes when none is.  And the HMAT of -machine hmat=on with only
 * the memory-hotplug node, and with a node that has no initiator. */
static void test_srat_default_cpu_nodes(void **state)
{
	static const struct {
		const char *args[16];
		uint32_t pxm[6];
	} cases[] = {
	    {{"-m", "3G", "-smp", "4,sockets=2", "-numa", "node,mem=3G", "-numa", "node,cpus=1"},
	     {0, 1, 0, 0}},
	    {{"-m", "3G", "-smp", "6,sockets=3", "-numa", "node", "-numa", "node"},
	     {0, 0, 1, 1, 0, 0}},
	    {{"-machine", "hmat=on", "-m", "1G,slots=1,maxmem=2G", "-smp", "2"}, {0, 0}},
	    /* node 1 without an initiator: its HMAT entry has no valid one */
	    {{"-machine", "hmat=on", "-m", "2G", "-smp", "2", "-numa", "node,cpus=0-1,mem=1G",
	      "-numa", "node,mem=1G"},
	     {0, 0}},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct acpi_input in;
		struct kverr err = {{0}};
		struct acpi_blob blob;
		struct numa_case c;
		struct walk w;
		unsigned cpu = 0;

		memset(&c, 0, sizeof(c));
		plan_case(&c, cases[i].args);
		in = (struct acpi_input){.layout = &c.layout, .topo = &c.topo, .numa = &c.numa};
		if (acpi_build(&in, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &blob, &err))
			fail_msg("acpi_build: %s", err.msg);
		walk(&blob, &w);
		assert_non_null(w.srat);
		for (size_t off = 48; off < w.srat_len; off += w.srat[off + 1]) {
			const uint8_t *e = w.srat + off;
			if (e[0] != 0)
				continue;
			assert_true(cpu < c.topo.maxcpus);
			assert_int_equal(e[2] | (uint32_t)le(e + 9, 3) << 8, cases[i].pxm[cpu]);
			cpu++;
		}
		assert_int_equal(cpu, c.topo.maxcpus);
		check_numa_case(&c, cases[i].args[1]);
		assert_true(c.numa.hmat == (w.hmat != NULL));
		acpi_blob_free(&blob);
		config_free(&c.cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dsdt_parts),	   cmocka_unit_test(test_pci0),
	    cmocka_unit_test(test_matrix),	   cmocka_unit_test(test_other_base),
	    cmocka_unit_test(test_deterministic),  cmocka_unit_test(test_enospc),
	    cmocka_unit_test(test_bad_input),	   cmocka_unit_test(test_checksum),
	    cmocka_unit_test(test_find_hostile),   cmocka_unit_test(test_numa_matrix),
	    cmocka_unit_test(test_numa_128_nodes), cmocka_unit_test(test_srat_default_cpu_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
